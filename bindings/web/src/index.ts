// The browser entry point: no Node built-ins here (the UDP transport is in
// "lightyear-conn-web/node").
export { Client, type ClientOptions, type ClientStats } from "./client.js";
export { ClientState, DisconnectReason, stateName, reasonName } from "./state.js";
export { NetcodeError, type NetcodeErrorCode } from "./errors.js";
export { parseConnectToken, tokenLifetime, type ConnectToken } from "./token.js";
export { formatAddress, type ServerAddress } from "./address.js";
export type { Transport, TransportCounters, TransportFactory } from "./transport.js";
export {
  WebSocketTransport,
  webSocketTransport,
  addressUrl,
  type WebSocketTransportOptions,
  type WebSocketLike,
  type WebSocketConstructor,
} from "./websocket.js";
export {
  WebTransportTransport,
  webTransportTransport,
  type WebTransportTransportOptions,
  type WebTransportLike,
  type WebTransportConstructor,
  type CertificateHash,
} from "./webtransport.js";
export { runClient, type LoopOptions } from "./loop.js";
export { MAX_PAYLOAD_SIZE, CONNECT_TOKEN_SIZE } from "./constants.js";
