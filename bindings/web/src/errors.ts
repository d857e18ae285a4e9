/** What went wrong, for callers that branch on it. */
export type NetcodeErrorCode =
  | "invalid-token"
  | "invalid-argument"
  | "payload-size"
  | "not-connected"
  | "already-active"
  | "closed"
  | "transport";

/** Thrown on API misuse and on connect failures; packets are never a reason to throw. */
export class NetcodeError extends Error {
  readonly code: NetcodeErrorCode;
  constructor(code: NetcodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`netcode: ${message}`, options);
    this.name = "NetcodeError";
    this.code = code;
  }
}
