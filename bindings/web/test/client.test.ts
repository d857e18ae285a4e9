// The client's state machine against a scripted server over an in-memory
// transport; time is stepped by the test.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAddress } from "../src/address.js";
import { Client, type ClientOptions } from "../src/client.js";
import { NetcodeError } from "../src/errors.js";
import { PacketType, SERVER_ACCEPTS, readEncrypted, writeEncrypted, type Header } from "../src/packet.js";
import { ClientState, DisconnectReason } from "../src/state.js";
import { fakeFactory, type FakeTransport } from "./fake-transport.js";
import { hex, loadVectors, makeToken, unhex } from "./helpers.js";

const v = loadVectors();
const vecToken = unhex(v.connect_tokens[0]!.connect_token); // 127.0.0.1:40000, timeout 5 s, expires in 30 s
const wire = (name: string) => unhex(v.packets.find((p) => p.name === name)!.wire);

function setup(token: Uint8Array = vecToken, options: Partial<ClientOptions> = {}) {
  const factory = fakeFactory();
  const client = new Client(token, { transport: factory, ...options });
  const tr = (): FakeTransport => factory.opened.at(-1)!;
  return { client, factory, tr };
}

/** A server-to-client packet under the client's token keys. */
function fromServer(c: Client, type: PacketType, seq: bigint, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  return writeEncrypted(type, seq, body, c.token!.serverToClientKey, c.token!.protocolId);
}

/** Reads a packet the client sent, as a server would. */
function asServer(c: Client, pkt: Uint8Array): { header: Header; body: Uint8Array } {
  const r = readEncrypted(pkt, SERVER_ACCEPTS, c.token!.clientToServerKey, c.token!.protocolId);
  assert.ok(r.ok, `server could not read the client's packet: ${r.ok ? "" : r.drop}`);
  return r;
}

function keepAliveBody(index: number, max: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, index, true);
  new DataView(b.buffer).setUint32(4, max, true);
  return b;
}

const challengeBody = () => {
  const b = new Uint8Array(308).fill(0x5a);
  b.set([9, 0, 0, 0, 0, 0, 0, 0x80]); // challenge sequence 2^63 + 9
  return b;
};

/** Runs the handshake from t0; ends connected at t0 + 0.2. */
function connectAt(c: Client, tr: () => FakeTransport, t0: number): void {
  c.connect(t0);
  c.update(t0);
  tr().inbox.push(fromServer(c, PacketType.Challenge, 1n << 63n, challengeBody()));
  c.update(t0 + 0.1);
  tr().inbox.push(fromServer(c, PacketType.KeepAlive, 0n, keepAliveBody(5, 16)));
  c.update(t0 + 0.2);
  assert.equal(c.state, ClientState.Connected);
  tr().take();
}

describe("handshake", () => {
  test("the request is the reference's bytes, sent at once and every 0.1 s", () => {
    const { client, tr } = setup();
    client.connect(100);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    client.update(100);
    const first = tr().take();
    assert.equal(first.length, 1);
    assert.equal(hex(first[0]!), hex(wire("request")));
    client.update(100.05);
    assert.equal(tr().take().length, 0, "nothing before 0.1 s");
    client.update(100.1);
    assert.equal(tr().take().length, 1);
  });

  test("challenge, response (the reference's bytes), keep-alive: connected", () => {
    const { client, tr } = setup();
    client.connect(0);
    client.update(0);
    tr().take();
    tr().inbox.push(wire("challenge")); // the vector challenge: sequence 2^63+1, challenge token seq 0
    client.update(0.1);
    assert.equal(client.state, ClientState.SendingConnectionResponse);
    const sent = tr().take();
    assert.equal(sent.length, 1);
    // The request used sequence 0; the response is sequence 1 and echoes the challenge: the vector.
    assert.equal(hex(sent[0]!), hex(wire("response")));
    client.update(0.15);
    assert.equal(tr().take().length, 0);
    client.update(0.2);
    const again = asServer(client, tr().take()[0]!);
    assert.equal(again.header.type, PacketType.Response);
    assert.equal(again.header.seq, 2n, "every resend takes the next sequence");
    assert.equal(hex(again.body), hex(asServer(client, wire("response")).body));
    tr().inbox.push(wire("keep_alive_s2c")); // client index 3, max clients 64
    client.update(0.25);
    assert.equal(client.state, ClientState.Connected);
    assert.equal(client.clientIndex, 3);
    assert.equal(client.maxClients, 64);
    assert.equal(client.disconnectReason, DisconnectReason.None);
  });

  test("a keep-alive or payload before the challenge is rejected and counted", () => {
    const { client, tr } = setup();
    client.connect(0);
    client.update(0);
    tr().inbox.push(fromServer(client, PacketType.KeepAlive, 0n, keepAliveBody(1, 2)));
    tr().inbox.push(fromServer(client, PacketType.Payload, 1n, new Uint8Array([1])));
    tr().inbox.push(fromServer(client, PacketType.Disconnect, 2n));
    client.update(0.01);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    assert.equal(client.stats().droppedRejected, 3);
    assert.equal(client.receive(), undefined);
  });

  test("denied ends the attempt with ConnectionDenied", () => {
    const { client, tr } = setup();
    client.connect(0);
    client.update(0);
    tr().inbox.push(wire("denied"));
    client.update(0.01);
    assert.equal(client.state, ClientState.ConnectionDenied);
    assert.equal(client.disconnectReason, DisconnectReason.Denied);
  });

  test("denied moves on to the token's next address, with fresh sequences", () => {
    const token = makeToken({ addresses: ["10.0.0.1:1000", "10.0.0.2:2000"] });
    const { client, factory, tr } = setup(token);
    client.connect(0);
    client.update(0);
    client.update(0.1);
    assert.equal(tr().take().length, 2);
    tr().inbox.push(fromServer(client, PacketType.Denied, 1n << 63n));
    client.update(0.15);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    assert.equal(formatAddress(client.serverAddress!), "10.0.0.2:2000");
    assert.equal(factory.opened.length, 2);
    assert.equal(factory.opened[0]!.closed, true, "the first transport is released");
    client.update(0.15);
    const req = tr().take();
    assert.equal(req.length, 1);
    assert.equal(req[0]!.length, 1078);
    tr().inbox.push(fromServer(client, PacketType.Challenge, 1n << 63n, challengeBody()));
    client.update(0.25);
    assert.equal(asServer(client, tr().take()[0]!).header.seq, 1n, "sequences restart with the new address");
    tr().inbox.push(fromServer(client, PacketType.Denied, (1n << 63n) + 1n));
    client.update(0.3);
    assert.equal(client.state, ClientState.ConnectionDenied);
  });

  test("a transport that cannot open is skipped; none at all fails connect", () => {
    const token = makeToken({ addresses: ["10.0.0.1:1000", "10.0.0.2:2000"] });
    const factory = fakeFactory((a) => a.host === "10.0.0.1");
    const c = new Client(token, { transport: factory });
    c.connect(0);
    assert.equal(formatAddress(c.serverAddress!), "10.0.0.2:2000");
    const none = new Client(token, { transport: fakeFactory(() => true) });
    assert.throws(() => none.connect(0), (e: unknown) => e instanceof NetcodeError && e.code === "transport");
    assert.equal(none.state, ClientState.Disconnected);
    assert.equal(none.disconnectReason, DisconnectReason.TransportError);
  });
});

describe("timeouts", () => {
  test("request timeout: after more than the token's timeout (5 s), not at it", () => {
    const { client } = setup();
    client.connect(10);
    for (let t = 10; t <= 15; t += 0.5) client.update(t);
    client.update(15);
    assert.equal(client.state, ClientState.SendingConnectionRequest, "last_received + timeout < now is strict");
    client.update(15.001);
    assert.equal(client.state, ClientState.ConnectionRequestTimedOut);
    assert.equal(client.disconnectReason, DisconnectReason.RequestTimedOut);
  });

  test("response timeout", () => {
    const { client, tr } = setup();
    client.connect(0);
    client.update(0);
    tr().inbox.push(fromServer(client, PacketType.Challenge, 1n << 63n, challengeBody()));
    client.update(1);
    assert.equal(client.state, ClientState.SendingConnectionResponse);
    client.update(6);
    assert.equal(client.state, ClientState.SendingConnectionResponse);
    client.update(6.01);
    assert.equal(client.state, ClientState.ConnectionResponseTimedOut);
    assert.equal(client.disconnectReason, DisconnectReason.ResponseTimedOut);
  });

  test("connection timeout; every packet from the server resets it", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    let seq = 1n;
    for (let t = 1; t <= 20; t++) {
      tr().inbox.push(fromServer(client, PacketType.KeepAlive, seq++, keepAliveBody(5, 16)));
      client.update(t);
    }
    assert.equal(client.state, ClientState.Connected);
    client.update(25);
    assert.equal(client.state, ClientState.Connected);
    client.update(25.01);
    assert.equal(client.state, ClientState.ConnectionTimedOut);
    assert.equal(client.disconnectReason, DisconnectReason.TimedOut);
    assert.equal(tr().take().filter((p) => asServer(client, p).header.type === PacketType.Disconnect).length, 0, "a timeout sends no disconnect");
  });

  test("a request timeout moves on to the next address", () => {
    const token = makeToken({ addresses: ["10.0.0.1:1000", "10.0.0.2:2000"], timeoutSeconds: 1 });
    const { client } = setup(token);
    client.connect(0);
    client.update(1.5);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    assert.equal(formatAddress(client.serverAddress!), "10.0.0.2:2000");
    client.update(3);
    assert.equal(client.state, ClientState.ConnectionRequestTimedOut);
  });

  test("the token expires: expire - create seconds after connect", () => {
    const token = makeToken({ create: 1000n, expire: 1002n, timeoutSeconds: 10 });
    const { client } = setup(token);
    client.connect(50);
    client.update(51.99);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    client.update(52);
    assert.equal(client.state, ClientState.ConnectTokenExpired);
    assert.equal(client.disconnectReason, DisconnectReason.TokenExpired);
  });

  test("timeout -1 and a token that never expires: the client keeps trying", () => {
    const token = unhex(v.connect_tokens[1]!.connect_token);
    const { client } = setup(token);
    client.connect(0);
    client.update(1e6);
    assert.equal(client.state, ClientState.SendingConnectionRequest);
  });
});

describe("connected", () => {
  test("a keep-alive after 0.1 s without sending, carrying 0, 0", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    client.update(0.25);
    assert.equal(tr().take().length, 0);
    client.update(0.3);
    const ka = tr().take();
    assert.equal(ka.length, 1);
    const p = asServer(client, ka[0]!);
    assert.equal(p.header.type, PacketType.KeepAlive);
    assert.equal(hex(p.body), "0000000000000000");
    client.send(new Uint8Array([1]));
    tr().take();
    client.update(0.35);
    assert.equal(tr().take().length, 0, "a payload counts as sending");
  });

  test("payloads both ways; sequences count up; replays dropped and counted", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    const seqs: bigint[] = [];
    for (let i = 0; i < 300; i++) client.send(new Uint8Array([i & 0xff, i >> 8, 7]));
    for (const pkt of tr().take()) {
      const p = asServer(client, pkt);
      assert.equal(p.header.type, PacketType.Payload);
      seqs.push(p.header.seq);
      const i = Number(seqs.length - 1);
      assert.equal(hex(p.body), hex(new Uint8Array([i & 0xff, i >> 8, 7])));
    }
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1n);

    const pkt = fromServer(client, PacketType.Payload, 1n, new Uint8Array([0xab]));
    assert.equal(hex(pkt), hex(wire("payload_s2c_1")), "with the vector keys, the vector's bytes");
    tr().inbox.push(pkt, pkt);
    client.update(0.3);
    assert.equal(hex(client.receive()!), "ab");
    assert.equal(client.receive(), undefined);
    assert.equal(client.stats().droppedReplayed, 1);
    const big = new Uint8Array(1200).map((_, i) => i);
    tr().inbox.push(fromServer(client, PacketType.Payload, 0x0102030405060708n, big));
    client.update(0.31);
    assert.equal(hex(client.receive()!), hex(big));
  });

  test("malformed, tampered, oversized and unexpected packets are dropped and counted", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    const good = fromServer(client, PacketType.Payload, 10n, new Uint8Array([1, 2, 3]));
    const tampered = good.slice();
    tampered[good.length - 1]! ^= 1;
    const wrongKey = writeEncrypted(PacketType.Payload, 11n, new Uint8Array([1]), client.token!.clientToServerKey, client.token!.protocolId);
    tr().inbox.push(
      new Uint8Array(17), // too short
      new Uint8Array(1300), // larger than any packet
      tampered,
      wrongKey,
      new Uint8Array([0x17, ...new Uint8Array(20)]), // type 7
      fromServer(client, PacketType.Challenge, 12n, challengeBody()), // not in Connected
      fromServer(client, PacketType.Denied, 13n), // not in Connected
      good,
    );
    client.update(0.3);
    const s = client.stats();
    assert.equal(s.droppedMalformed, 2);
    assert.equal(s.droppedOversized, 1);
    assert.equal(s.droppedDecryptFailed, 2);
    assert.equal(s.droppedRejected, 2);
    assert.equal(s.packetsReceived, 8 + 2, "the handshake's two and these eight");
    assert.equal(client.state, ClientState.Connected);
    assert.equal(hex(client.receive()!), "010203");
  });

  test("a full receive queue drops and counts", () => {
    const { client, tr } = setup(vecToken, { receiveQueueSize: 2 });
    connectAt(client, tr, 0);
    for (let i = 1; i <= 5; i++) tr().inbox.push(fromServer(client, PacketType.Payload, BigInt(i), new Uint8Array([i])));
    client.update(0.3);
    assert.equal(client.stats().droppedQueueFull, 3);
    assert.deepEqual([client.receive()![0], client.receive()![0], client.receive()], [1, 2, undefined]);
  });

  test("maxReadsPerUpdate bounds one update's reads", () => {
    const { client, tr } = setup(vecToken, { maxReadsPerUpdate: 3 });
    connectAt(client, tr, 0);
    for (let i = 1; i <= 5; i++) tr().inbox.push(fromServer(client, PacketType.Payload, BigInt(i), new Uint8Array([i])));
    client.update(0.3);
    assert.equal(tr().inbox.length, 2);
    client.update(0.3);
    assert.equal(tr().inbox.length, 0);
  });

  test("the server's disconnect: Disconnected, reason Remote", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    tr().inbox.push(fromServer(client, PacketType.Disconnect, 1n));
    client.update(0.3);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.Remote);
  });

  test("disconnect sends 10 disconnect packets, then Disconnected, reason Local", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    client.disconnect();
    const sent = tr().take().map((p) => asServer(client, p).header);
    assert.equal(sent.length, 10);
    assert.ok(sent.every((h) => h.type === PacketType.Disconnect));
    for (let i = 1; i < sent.length; i++) assert.equal(sent[i]!.seq, sent[i - 1]!.seq + 1n);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.Local);
    client.disconnect();
    assert.equal(tr().take().length, 0, "nothing more once disconnected");
    client.update(10);
    assert.equal(tr().take().length, 0, "no keep-alives after a disconnect");
  });

  test("disconnect while connecting sends nothing", () => {
    const { client, tr } = setup();
    client.connect(0);
    client.update(0);
    tr().take();
    client.disconnect();
    assert.equal(tr().take().length, 0);
    assert.equal(client.disconnectReason, DisconnectReason.Local);
  });

  test("a failed transport ends the connection with TransportError", () => {
    const { client, tr } = setup();
    connectAt(client, tr, 0);
    tr().error = new Error("socket closed");
    client.update(0.3);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.TransportError);
  });

  test("reconnecting needs a new token, and takes one", () => {
    const { client, tr, factory } = setup();
    connectAt(client, tr, 0);
    assert.throws(() => client.setToken(vecToken), (e: unknown) => e instanceof NetcodeError && e.code === "already-active");
    client.disconnect();
    client.setToken(makeToken({ addresses: ["10.9.9.9:9"] }));
    client.connect(1);
    assert.equal(formatAddress(client.serverAddress!), "10.9.9.9:9");
    assert.equal(factory.opened.length, 2);
  });
});

describe("API misuse and invalid tokens", () => {
  const isCode = (code: string) => (e: unknown) => e instanceof NetcodeError && e.code === code;

  test("invalid tokens: InvalidConnectToken and a thrown error", () => {
    const good = makeToken();
    const cases: [string, Uint8Array][] = [
      ["short", good.slice(0, 2047)],
      ["long", new Uint8Array(2049)],
      ["bad version", (() => { const b = good.slice(); b[11] = 0x31; return b; })()],
      ["no addresses", (() => { const b = good.slice(); b[1089] = 0; return b; })()],
      ["33 addresses", (() => { const b = good.slice(); b[1089] = 33; return b; })()],
      ["address type 3", (() => { const b = good.slice(); b[1093] = 3; return b; })()],
      ["created after expiry", makeToken({ create: 10n, expire: 9n })],
    ];
    for (const [name, tok] of cases) {
      const { client } = setup(tok);
      assert.throws(() => client.connect(0), isCode("invalid-token"), name);
      assert.equal(client.state, ClientState.InvalidConnectToken, name);
      assert.equal(client.disconnectReason, DisconnectReason.InvalidToken, name);
    }
  });

  test("misuse throws clear errors", () => {
    const { client, tr } = setup();
    assert.throws(() => client.send(new Uint8Array(1)), isCode("not-connected"));
    assert.throws(() => client.update(Number.NaN), isCode("invalid-argument"));
    client.connect(5);
    assert.throws(() => client.connect(5), isCode("already-active"));
    assert.throws(() => client.update(4), isCode("invalid-argument"), "time going back");
    client.update(5);
    tr().inbox.push(fromServer(client, PacketType.Challenge, 1n << 63n, challengeBody()));
    client.update(5.1);
    tr().inbox.push(fromServer(client, PacketType.KeepAlive, 0n, keepAliveBody(0, 1)));
    client.update(5.2);
    assert.throws(() => client.send(new Uint8Array(0)), isCode("payload-size"));
    assert.throws(() => client.send(new Uint8Array(1201)), isCode("payload-size"));
    assert.throws(() => client.send([1, 2] as unknown as Uint8Array), isCode("invalid-argument"));
    client.send(new Uint8Array(1200));
    client.close();
    assert.equal(tr().closed, true);
    assert.throws(() => client.update(6), isCode("closed"));
    assert.throws(() => client.send(new Uint8Array(1)), isCode("closed"));
    client.close(); // twice is fine
    assert.throws(() => new Client(vecToken, {} as ClientOptions), isCode("invalid-argument"));
    assert.throws(() => new Client(vecToken, { transport: fakeFactory(), receiveQueueSize: 0 }), isCode("invalid-argument"));
  });
});
