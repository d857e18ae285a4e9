import { formatAddress, type ServerAddress } from "./address.js";
import { MAX_PACKET_SIZE } from "./constants.js";
import { newCounters, PacketQueue, type Transport, type TransportFactory } from "./transport.js";

/** The parts of the WebSocket API the transport uses (browsers' and Node 22's global). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface WebSocketTransportOptions {
  /** The server's URL (wss://host:port/path); a function gets the token's address. */
  url: string | ((server: ServerAddress) => string);
  protocols?: string | string[];
  /** Received packets waiting for update(); more are dropped and counted. Default 1024. */
  receiveQueueSize?: number;
  /** Bytes buffered by the socket above which sends are dropped (a datagram's fate). Default 256 KiB. */
  maxBufferedBytes?: number;
  /** The WebSocket class; default globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
}

const OPEN = 1;

/** One netcode packet per binary WebSocket message, nothing added. */
export class WebSocketTransport implements Transport {
  readonly counters = newCounters();
  error: Error | undefined;
  private readonly ws: WebSocketLike;
  private readonly queue: PacketQueue;
  private readonly maxBuffered: number;
  private closing = false;

  constructor(url: string, options: Omit<WebSocketTransportOptions, "url"> = {}) {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error("no WebSocket class: pass options.WebSocket");
    this.queue = new PacketQueue(options.receiveQueueSize ?? 1024);
    this.maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
    this.ws = new Ctor(url, options.protocols);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (ev) => this.onMessage(ev.data);
    this.ws.onclose = (ev) => this.fail(new Error(`WebSocket closed (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`));
    // An error event is always followed by a close event, whose code says more.
    this.ws.onerror = () => {};
  }

  send(packet: Uint8Array): void {
    // Before open, after close or with a backed-up socket the packet is lost,
    // as a datagram would be; netcode resends what matters.
    if (this.error || this.ws.readyState !== OPEN || this.ws.bufferedAmount > this.maxBuffered) {
      this.counters.sendDropped++;
      return;
    }
    this.ws.send(packet);
  }

  receive(): Uint8Array | undefined {
    return this.queue.shift();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.onmessage = null;
    this.queue.clear();
    // The browser sends what was queued before the close frame.
    this.ws.close(1000);
  }

  private onMessage(data: unknown): void {
    // Text frames are not netcode packets.
    if (!(data instanceof ArrayBuffer) || data.byteLength > MAX_PACKET_SIZE || !this.queue.push(new Uint8Array(data))) {
      this.counters.receiveDropped++;
    }
  }

  private fail(e: Error): void {
    if (!this.closing) this.error ??= e;
  }
}

/** A transport factory for Client: one WebSocket per server address tried. */
export function webSocketTransport(options: WebSocketTransportOptions): TransportFactory {
  const url = options.url;
  if (typeof url !== "string" && typeof url !== "function") throw new TypeError("webSocketTransport: options.url is required");
  return (server) => new WebSocketTransport(typeof url === "string" ? url : url(server), options);
}

/** ws://host:port/path for a token address (wss:// when secure). */
export function addressUrl(scheme: "ws" | "wss" | "https", server: ServerAddress, path = "/"): string {
  return `${scheme}://${formatAddress(server)}${path}`;
}
