import type { ServerAddress } from "./address.js";

/** Counters a transport keeps for what it had to drop itself. */
export interface TransportCounters {
  /** Packets not sent: not open yet, closed, the send buffer full, or over WebTransport's maxDatagramSize. */
  sendDropped: number;
  /** Datagrams dropped on arrival: receive queue full, text frames, oversized. */
  receiveDropped: number;
  /** Datagrams from anyone but the server (datagram sockets only). */
  foreignDropped: number;
}

/**
 * How the client reaches one server: datagrams, one netcode packet each,
 * nothing added. Implementations buffer what arrives (bounded) so the
 * client can poll it from update(), and never throw from send or receive:
 * a packet that cannot go is dropped and counted, as UDP would lose it.
 */
export interface Transport {
  /** Sends one packet to the server. */
  send(packet: Uint8Array): void;
  /** The next packet that arrived, or undefined when none is waiting. */
  receive(): Uint8Array | undefined;
  /** Set once the transport failed or the peer closed it; it stays failed. */
  readonly error: Error | undefined;
  readonly counters: TransportCounters;
  /** Releases the socket or session. Safe to call twice. */
  close(): void;
}

/** Opens a transport to one of the token's server addresses (may throw). */
export type TransportFactory = (server: ServerAddress) => Transport;

export function newCounters(): TransportCounters {
  return { sendDropped: 0, receiveDropped: 0, foreignDropped: 0 };
}

/** A bounded FIFO of received packets for the event-driven transports. */
export class PacketQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity ${capacity}: want an integer >= 1`);
  }
  get length(): number {
    return this.items.length - this.head;
  }
  /** False when full (the caller counts the drop). */
  push(p: Uint8Array): boolean {
    if (this.length >= this.capacity) return false;
    this.items.push(p);
    return true;
  }
  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const p = this.items[this.head++];
    // Compact now and then so a long-lived queue does not grow.
    if (this.head > 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
