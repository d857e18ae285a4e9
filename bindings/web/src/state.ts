// Client states and disconnect reasons, with the values of the C API
// (LY_STATE_* and LY_REASON_* in include/lightyear_conn.h).

export const ClientState = {
  ConnectTokenExpired: -6,
  InvalidConnectToken: -5,
  ConnectionTimedOut: -4,
  ConnectionResponseTimedOut: -3,
  ConnectionRequestTimedOut: -2,
  ConnectionDenied: -1,
  Disconnected: 0,
  SendingConnectionRequest: 1,
  SendingConnectionResponse: 2,
  Connected: 3,
} as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

export const DisconnectReason = {
  None: 0,
  /** This side called disconnect. */
  Local: 1,
  /** The server sent a disconnect. */
  Remote: 2,
  /** Nothing was received within the token's timeout. */
  TimedOut: 3,
  /** The server stopped (reported by servers; a client sees Remote). */
  ServerStopped: 4,
  Denied: 5,
  RequestTimedOut: 6,
  ResponseTimedOut: 7,
  TokenExpired: 8,
  InvalidToken: 9,
  /** The transport failed or was closed under the client. */
  TransportError: 10,
} as const;
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

const stateNames: Record<ClientState, string> = {
  [-6]: "connect token expired",
  [-5]: "invalid connect token",
  [-4]: "connection timed out",
  [-3]: "connection response timed out",
  [-2]: "connection request timed out",
  [-1]: "connection denied",
  0: "disconnected",
  1: "sending connection request",
  2: "sending connection response",
  3: "connected",
};

const reasonNames: Record<DisconnectReason, string> = {
  0: "none",
  1: "disconnected locally",
  2: "disconnected by peer",
  3: "timed out",
  4: "server stopped",
  5: "connection denied",
  6: "connection request timed out",
  7: "connection response timed out",
  8: "connect token expired",
  9: "invalid connect token",
  10: "transport error",
};

export function stateName(s: ClientState): string {
  return stateNames[s] ?? `state(${s})`;
}

export function reasonName(r: DisconnectReason): string {
  return reasonNames[r] ?? `reason(${r})`;
}

/** The reason an error state carries (as core.ReasonForState in Go). */
export function reasonForState(s: ClientState): DisconnectReason {
  switch (s) {
    case ClientState.ConnectTokenExpired:
      return DisconnectReason.TokenExpired;
    case ClientState.InvalidConnectToken:
      return DisconnectReason.InvalidToken;
    case ClientState.ConnectionTimedOut:
      return DisconnectReason.TimedOut;
    case ClientState.ConnectionResponseTimedOut:
      return DisconnectReason.ResponseTimedOut;
    case ClientState.ConnectionRequestTimedOut:
      return DisconnectReason.RequestTimedOut;
    case ClientState.ConnectionDenied:
      return DisconnectReason.Denied;
    default:
      return DisconnectReason.None;
  }
}

export function isConnecting(s: ClientState): boolean {
  return s === ClientState.SendingConnectionRequest || s === ClientState.SendingConnectionResponse;
}
