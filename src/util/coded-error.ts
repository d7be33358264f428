/**
 * Base class for every error megaseq raises on purpose. The code is a stable, machine-readable
 * name (callers and tests match on it); the message is for people.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export function isCodedError(value: unknown): value is CodedError {
  return value instanceof CodedError;
}
