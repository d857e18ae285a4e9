// The Node entry point: everything of the browser one, plus UDP.
export * from "../index.js";
export { UdpTransport, udpTransport, type UdpTransportOptions } from "./udp.js";
