import type { ServerAddress } from "./address.js";
import { MAX_PACKET_SIZE } from "./constants.js";
import { newCounters, PacketQueue, type Transport, type TransportFactory } from "./transport.js";

/** The parts of the browser's WebTransport API the transport uses. */
export interface WebTransportLike {
  readonly ready: Promise<unknown>;
  readonly closed: Promise<unknown>;
  readonly datagrams: {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    /** The largest datagram the session carries now (Chromium 156 on loopback: 1215). */
    readonly maxDatagramSize?: number;
  };
  close(info?: { closeCode?: number; reason?: string }): void;
}
export interface CertificateHash {
  algorithm: "sha-256";
  value: ArrayBuffer | ArrayBufferView;
}
export type WebTransportConstructor = new (
  url: string,
  options?: { serverCertificateHashes?: CertificateHash[] },
) => WebTransportLike;

export interface WebTransportTransportOptions {
  /** https://host:port/path of the server; a function gets the token's address. */
  url: string | ((server: ServerAddress) => string);
  /** For a self-signed certificate (ECDSA P-256, valid at most 14 days): its SHA-256, from the backend. */
  serverCertificateHashes?: CertificateHash[];
  /** Received packets waiting for update(); more are dropped and counted. Default 1024. */
  receiveQueueSize?: number;
  /** Datagrams written but not yet taken by the browser; more are dropped and counted. Default 256. */
  maxPendingDatagrams?: number;
  /** The WebTransport class; default globalThis.WebTransport. */
  WebTransport?: WebTransportConstructor;
}

/** One netcode packet per WebTransport datagram, nothing added. */
export class WebTransportTransport implements Transport {
  readonly counters = newCounters();
  error: Error | undefined;
  private readonly wt: WebTransportLike;
  private readonly queue: PacketQueue;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private closing = false;
  private lastWrite: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private readonly maxPending: number;

  constructor(url: string, options: Omit<WebTransportTransportOptions, "url"> = {}) {
    const Ctor = options.WebTransport ?? (globalThis as { WebTransport?: WebTransportConstructor }).WebTransport;
    if (!Ctor) throw new Error("no WebTransport in this environment: use the WebSocket transport");
    this.queue = new PacketQueue(options.receiveQueueSize ?? 1024);
    this.maxPending = options.maxPendingDatagrams ?? 256;
    const init = options.serverCertificateHashes ? { serverCertificateHashes: options.serverCertificateHashes } : undefined;
    this.wt = new Ctor(url, init);
    this.wt.ready.then(
      () => this.start(),
      (e) => this.fail(e),
    );
    this.wt.closed.then(
      () => this.fail(new Error("WebTransport session closed")),
      (e) => this.fail(e),
    );
  }

  send(packet: Uint8Array): void {
    const w = this.writer;
    // Not ready, failed, or too many writes pending: lost like a datagram.
    // The stream's desiredSize is no bound: Chromium's datagram writable
    // has a high-water mark of one, so a burst of a frame's packets would
    // lose all but the first; the browser drops datagrams it cannot send.
    // A datagram over maxDatagramSize would vanish silently in the browser:
    // netcode packets are payload + 18..25 bytes, so over WebTransport
    // payloads above about maxDatagramSize - 25 (1190 in Chromium) are
    // dropped here and counted.
    const max = this.wt.datagrams.maxDatagramSize;
    if (!w || this.error || this.pending >= this.maxPending || (typeof max === "number" && packet.byteLength > max)) {
      this.counters.sendDropped++;
      return;
    }
    this.pending++;
    this.lastWrite = w.write(packet).then(
      () => void this.pending--,
      () => {
        this.pending--;
        this.counters.sendDropped++;
      },
    );
  }

  receive(): Uint8Array | undefined {
    return this.queue.shift();
  }

  /** Closes the session once the datagrams already written are handed over (a disconnect's packets). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.clear();
    this.reader?.cancel().catch(() => {});
    void this.lastWrite.then(() => {
      try {
        this.wt.close({ closeCode: 0, reason: "" });
      } catch {
        // Closing a session that failed to open throws; nothing to release then.
      }
    });
  }

  private start(): void {
    if (this.closing) return;
    this.writer = this.wt.datagrams.writable.getWriter();
    this.reader = this.wt.datagrams.readable.getReader();
    void this.readLoop(this.reader);
  }

  private async readLoop(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (value.byteLength > MAX_PACKET_SIZE || !this.queue.push(value)) this.counters.receiveDropped++;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (this.closing) return;
    this.error ??= e instanceof Error ? e : new Error(`WebTransport: ${String(e)}`);
  }
}

/** A transport factory for Client: one WebTransport session per server address tried. */
export function webTransportTransport(options: WebTransportTransportOptions): TransportFactory {
  const url = options.url;
  if (typeof url !== "string" && typeof url !== "function") throw new TypeError("webTransportTransport: options.url is required");
  return (server) => new WebTransportTransport(typeof url === "string" ? url : url(server), options);
}
