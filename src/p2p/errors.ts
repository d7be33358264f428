import { CodedError } from "../util/coded-error.ts";

export type P2pErrorCode =
  | "BAD_MULTIADDR"
  | "BAD_PEER_KEY_FILE"
  | "FRAME_TOO_LARGE"
  | "STREAM_ENDED"
  | "TIMEOUT"
  | "MESSAGE_TOO_LARGE"
  | "BAD_REQUEST"
  | "BAD_RESPONSE"
  | "RESPONSE_TOO_LARGE"
  | "RATE_LIMITED"
  | "REMOTE_ERROR"
  | "NOT_STARTED"
  | "NO_HANDLER"
  | "BAD_STATUS";

export class P2pError extends CodedError<P2pErrorCode> {}
