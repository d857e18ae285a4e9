// The transports' framing and drop counting (one netcode packet per
// WebSocket message or WebTransport datagram, nothing added), with
// stand-ins for the browser APIs; UDP over real loopback sockets.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { formatAddress, type ServerAddress } from "../src/address.js";
import { Client } from "../src/client.js";
import { ClientState, DisconnectReason } from "../src/state.js";
import { UdpTransport } from "../src/node/udp.js";
import { WebSocketTransport, webSocketTransport, type WebSocketLike } from "../src/websocket.js";
import { WebTransportTransport, type WebTransportLike } from "../src/webtransport.js";
import { hex, makeToken } from "./helpers.js";

class FakeWebSocket implements WebSocketLike {
  static made: FakeWebSocket[] = [];
  binaryType = "blob";
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;
  constructor(readonly url: string, readonly protocols?: string | string[]) {
    FakeWebSocket.made.push(this);
  }
  send(data: Uint8Array): void {
    this.sent.push(data.slice());
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
    this.onclose?.({ code: code ?? 1005, reason: "" });
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  message(data: unknown): void {
    this.onmessage?.({ data });
  }
  peerClose(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const buf = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);

describe("WebSocket transport", () => {
  test("one packet per binary message; drops counted", () => {
    const t = new WebSocketTransport("ws://127.0.0.1:1/x", { WebSocket: FakeWebSocket, receiveQueueSize: 2, protocols: "netcode" });
    const ws = FakeWebSocket.made.at(-1)!;
    assert.equal(ws.url, "ws://127.0.0.1:1/x");
    assert.equal(ws.protocols, "netcode");
    assert.equal(ws.binaryType, "arraybuffer");
    t.send(bytes(30));
    assert.equal(ws.sent.length, 0, "nothing goes before open");
    assert.equal(t.counters.sendDropped, 1);
    ws.open();
    const pkt = new Uint8Array([0x15, 1, 2, 3]);
    t.send(pkt);
    assert.deepEqual(ws.sent, [pkt], "the packet, as it is");
    ws.bufferedAmount = 1 << 20;
    t.send(pkt);
    assert.equal(t.counters.sendDropped, 2, "a backed-up socket drops");

    ws.message("text frame");
    ws.message(buf(bytes(1226))); // larger than any netcode packet
    ws.message(buf(bytes(20, 7)));
    ws.message(buf(bytes(21, 8)));
    ws.message(buf(bytes(22, 9))); // queue of 2 is full
    assert.equal(t.counters.receiveDropped, 3);
    assert.equal(hex(t.receive()!), hex(bytes(20, 7)));
    assert.equal(hex(t.receive()!), hex(bytes(21, 8)));
    assert.equal(t.receive(), undefined);
    assert.equal(t.error, undefined);
    ws.peerClose(1011, "bye");
    assert.match(String(t.error), /1011: bye/);
  });

  test("closing it ourselves is not an error", () => {
    const t = new WebSocketTransport("ws://h:1/", { WebSocket: FakeWebSocket });
    t.close();
    t.close();
    assert.equal(FakeWebSocket.made.at(-1)!.closedWith, 1000);
    assert.equal(t.error, undefined);
  });

  test("a client over it: handshake packets go out; a closed socket is a transport error", () => {
    const token = makeToken({ addresses: ["10.0.0.1:8080", "10.0.0.2:8081"] });
    const urls: string[] = [];
    const factory = webSocketTransport({
      url: (a: ServerAddress) => {
        urls.push(`ws://${formatAddress(a)}/netcode`);
        return urls.at(-1)!;
      },
      WebSocket: FakeWebSocket,
    });
    const c = new Client(token, { transport: factory });
    c.connect(0);
    const first = FakeWebSocket.made.at(-1)!;
    first.peerClose(1006, ""); // refused: the client moves on to the next address
    c.update(0);
    assert.equal(c.state, ClientState.SendingConnectionRequest);
    assert.deepEqual(urls, ["ws://10.0.0.1:8080/netcode", "ws://10.0.0.2:8081/netcode"]);
    const second = FakeWebSocket.made.at(-1)!;
    second.open();
    c.update(0.01);
    assert.equal(second.sent.length, 1);
    assert.equal(second.sent[0]!.length, 1078);
    second.peerClose(1001, "going away");
    c.update(0.02);
    assert.equal(c.state, ClientState.Disconnected);
    assert.equal(c.disconnectReason, DisconnectReason.TransportError);
    assert.equal(c.stats().transport.sendDropped, 0);
  });
});

class FakeWebTransport implements WebTransportLike {
  static made: FakeWebTransport[] = [];
  readonly ready: Promise<unknown>;
  readonly closed: Promise<unknown>;
  readonly datagrams: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  readonly written: Uint8Array[] = [];
  incoming!: ReadableStreamDefaultController<Uint8Array>;
  resolveReady!: () => void;
  rejectClosed!: (e: Error) => void;
  closeCalled = false;
  constructor(readonly url: string, readonly init?: unknown) {
    FakeWebTransport.made.push(this);
    this.ready = new Promise<void>((r) => (this.resolveReady = r));
    this.closed = new Promise((_, reject) => (this.rejectClosed = reject));
    this.datagrams = {
      readable: new ReadableStream<Uint8Array>({ start: (c) => void (this.incoming = c) }),
      writable: new WritableStream<Uint8Array>({ write: (chunk) => void this.written.push(chunk.slice()) }),
    };
  }
  close(): void {
    this.closeCalled = true;
  }
}

/** A session whose datagram writable has a high-water mark of one (as Chromium's) and takes no write until release(). */
class StalledWebTransport extends FakeWebTransport {
  static last: StalledWebTransport | undefined;
  private gate!: () => void;
  private readonly opened = new Promise<void>((r) => (this.gate = r));
  override readonly datagrams;
  constructor(url: string, init?: unknown) {
    super(url, init);
    StalledWebTransport.last = this;
    this.datagrams = {
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>({ write: () => this.opened }, { highWaterMark: 1 }),
    };
  }
  release(): void {
    this.gate();
  }
}

describe("WebTransport transport", () => {
  test("one packet per datagram; certificate hashes passed on; failure reported", async () => {
    const hash = { algorithm: "sha-256" as const, value: new Uint8Array(32).fill(3) };
    const t = new WebTransportTransport("https://127.0.0.1:4433/", {
      WebTransport: FakeWebTransport,
      serverCertificateHashes: [hash],
    });
    const wt = FakeWebTransport.made.at(-1)!;
    assert.deepEqual(wt.init, { serverCertificateHashes: [hash] });
    t.send(bytes(40));
    assert.equal(t.counters.sendDropped, 1, "nothing goes before the session is ready");
    wt.resolveReady();
    await sleep(0);
    const pkt = new Uint8Array([0x14, 0, 9, 9]);
    t.send(pkt);
    await sleep(0);
    assert.deepEqual(wt.written, [pkt]);
    wt.incoming.enqueue(bytes(25, 4));
    wt.incoming.enqueue(bytes(1300, 5)); // oversized
    await sleep(0);
    assert.equal(hex(t.receive()!), hex(bytes(25, 4)));
    assert.equal(t.receive(), undefined);
    assert.equal(t.counters.receiveDropped, 1);
    wt.rejectClosed(new Error("session reset"));
    await sleep(0);
    assert.match(String(t.error), /session reset/);
    t.close();
    await sleep(0);
    assert.equal(wt.closeCalled, true, "closed once the writes are handed over");
  });

  test("writes the browser has not taken yet are bounded by maxPendingDatagrams, not by the stream's desiredSize", async () => {
    const t = new WebTransportTransport("https://127.0.0.1:4433/", { WebTransport: StalledWebTransport, maxPendingDatagrams: 4 });
    StalledWebTransport.last!.resolveReady();
    await sleep(0);
    for (let i = 0; i < 6; i++) t.send(bytes(20, i));
    assert.equal(t.counters.sendDropped, 2, "a high-water mark of one must not drop the 2nd..4th");
    StalledWebTransport.last!.release();
    await sleep(0);
    t.send(bytes(20, 9));
    assert.equal(t.counters.sendDropped, 2, "released writes free their places");
    t.close();
  });

  test("without WebTransport in the environment, opening throws (the client skips the address)", () => {
    assert.throws(() => new WebTransportTransport("https://x/"), /no WebTransport/);
  });
});

describe("UDP transport", () => {
  test("datagrams to and from the server; anyone else is dropped and counted", async () => {
    const server = dgram.createSocket("udp4");
    const other = dgram.createSocket("udp4");
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", r));
    const got: Buffer[] = [];
    let clientPort = 0;
    server.on("message", (m, r) => {
      got.push(m);
      clientPort = r.port;
    });
    const t = new UdpTransport({ family: 4, host: "127.0.0.1", port: server.address().port });
    try {
      t.send(new Uint8Array([1, 2, 3]));
      for (let i = 0; i < 500 && got.length === 0; i++) await sleep(2);
      assert.equal(hex(new Uint8Array(got[0]!)), "010203");
      server.send(new Uint8Array([4, 5]), clientPort, "127.0.0.1");
      other.send(new Uint8Array([6]), clientPort, "127.0.0.1");
      for (let i = 0; i < 500 && t.counters.foreignDropped === 0; i++) await sleep(2);
      let p: Uint8Array | undefined;
      for (let i = 0; i < 500 && !(p = t.receive()); i++) await sleep(2);
      assert.equal(hex(p!), "0405");
      assert.equal(t.counters.foreignDropped, 1);
    } finally {
      t.close();
      t.close();
      server.close();
      other.close();
    }
  });
});
