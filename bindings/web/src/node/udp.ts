import dgram from "node:dgram";
import type { ServerAddress } from "../address.js";
import { MAX_PACKET_SIZE } from "../constants.js";
import { newCounters, PacketQueue, type Transport, type TransportFactory } from "../transport.js";

export interface UdpTransportOptions {
  /** Received packets waiting for update(); more are dropped and counted. Default 1024. */
  receiveQueueSize?: number;
}

/** A UDP socket for Node (tests, bots, tools): one datagram per packet, to the token's address. */
export class UdpTransport implements Transport {
  readonly counters = newCounters();
  error: Error | undefined;
  private readonly socket: dgram.Socket;
  private readonly queue: PacketQueue;
  private closed = false;
  private sending = 0; // sends whose callback has not run: close waits for them

  constructor(readonly server: ServerAddress, options: UdpTransportOptions = {}) {
    this.queue = new PacketQueue(options.receiveQueueSize ?? 1024);
    this.socket = dgram.createSocket(server.family === 6 ? "udp6" : "udp4");
    this.socket.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on("error", (e) => {
      if (!this.closed) this.error ??= e;
    });
    this.socket.bind(0);
    // The host's update loop keeps the process alive, not the socket: a
    // client left open must not hang a Node process at exit.
    this.socket.unref();
  }

  /** The local port, once bound. */
  get localPort(): number | undefined {
    try {
      return this.socket.address().port;
    } catch {
      return undefined;
    }
  }

  send(packet: Uint8Array): void {
    if (this.closed || this.error) {
      this.counters.sendDropped++;
      return;
    }
    this.sending++;
    this.socket.send(packet, this.server.port, this.server.host, (err) => {
      if (err) this.counters.sendDropped++;
      if (--this.sending === 0 && this.closed) this.socket.close();
    });
  }

  receive(): Uint8Array | undefined {
    return this.queue.shift();
  }

  /** Closes the socket once the sends already made have gone (a disconnect's packets). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    if (this.sending === 0) this.socket.close();
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (rinfo.port !== this.server.port || !sameHost(rinfo.address, this.server)) {
      this.counters.foreignDropped++;
      return;
    }
    if (msg.length > MAX_PACKET_SIZE || !this.queue.push(new Uint8Array(msg.buffer, msg.byteOffset, msg.length).slice())) {
      this.counters.receiveDropped++;
    }
  }
}

// Node prints IPv6 sources compressed and may map IPv4 ones (::ffff:a.b.c.d).
function sameHost(from: string, server: ServerAddress): boolean {
  if (from === server.host) return true;
  return from.startsWith("::ffff:") && from.slice(7) === server.host;
}

/** A transport factory for Client over UDP. */
export function udpTransport(options: UdpTransportOptions = {}): TransportFactory {
  return (server) => new UdpTransport(server, options);
}
