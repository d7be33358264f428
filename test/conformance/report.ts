/** One conformance folder's outcome; the script prints these and checks the pass rate. */
export interface FolderResult {
  folder: string;
  passed: number;
  failed: { name: string; reason: string }[];
  /** Cases that do not apply to this chain (e.g. blob transactions), with why. Not counted. */
  skipped: { name: string; reason: string }[];
}

export function newResult(folder: string): FolderResult {
  return { folder, passed: 0, failed: [], skipped: [] };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}
