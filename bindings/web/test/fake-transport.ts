import type { ServerAddress } from "../src/address.js";
import { newCounters, type Transport, type TransportFactory } from "../src/transport.js";

/** An in-memory transport: the test plays the server through inbox and sent. */
export class FakeTransport implements Transport {
  readonly counters = newCounters();
  error: Error | undefined;
  readonly sent: Uint8Array[] = [];
  readonly inbox: Uint8Array[] = [];
  closed = false;
  constructor(readonly server: ServerAddress) {}
  send(packet: Uint8Array): void {
    this.sent.push(packet.slice());
  }
  receive(): Uint8Array | undefined {
    return this.inbox.shift();
  }
  close(): void {
    this.closed = true;
  }
  /** The packets sent since the last call. */
  take(): Uint8Array[] {
    return this.sent.splice(0);
  }
}

/** A factory that remembers every transport it opened; fail(addr) makes opening throw. */
export function fakeFactory(fail: (a: ServerAddress) => boolean = () => false): TransportFactory & { opened: FakeTransport[] } {
  const opened: FakeTransport[] = [];
  const f = (a: ServerAddress) => {
    if (fail(a)) throw new Error(`cannot open ${a.host}:${a.port}`);
    const t = new FakeTransport(a);
    opened.push(t);
    return t;
  };
  return Object.assign(f, { opened });
}
