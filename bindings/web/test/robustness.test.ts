// Garbage in every state: nothing throws, every datagram is either accepted
// or counted under one drop cause, and the state machine is not moved by it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIPv6 } from "../src/address.js";
import { Client, type ClientStats } from "../src/client.js";
import { PacketType, writeEncrypted } from "../src/packet.js";
import { ClientState } from "../src/state.js";
import { fakeFactory } from "./fake-transport.js";
import { makeToken } from "./helpers.js";

/** A small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const drops = (s: ClientStats) =>
  s.droppedMalformed + s.droppedReplayed + s.droppedDecryptFailed + s.droppedRejected + s.droppedQueueFull + s.droppedOversized;

test("random datagrams in each state are dropped and counted, never thrown", () => {
  const rand = rng(0x1eaf);
  for (const target of [ClientState.SendingConnectionRequest, ClientState.SendingConnectionResponse, ClientState.Connected]) {
    const factory = fakeFactory();
    const c = new Client(makeToken({ timeoutSeconds: -1 }), { transport: factory });
    c.connect(0);
    const tok = c.token!;
    const tr = factory.opened[0]!;
    const s2c = (type: PacketType, seq: bigint, body: Uint8Array) => writeEncrypted(type, seq, body, tok.serverToClientKey, tok.protocolId);
    if (target >= ClientState.SendingConnectionResponse) tr.inbox.push(s2c(PacketType.Challenge, 1n << 63n, new Uint8Array(308)));
    if (target >= ClientState.Connected) tr.inbox.push(s2c(PacketType.KeepAlive, 0n, new Uint8Array(8)));
    c.update(0);
    assert.equal(c.state, target);
    const before = c.stats();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const len = Math.floor(rand() * 1400);
      const b = new Uint8Array(len).map(() => Math.floor(rand() * 256));
      // Half of them carry a plausible prefix, to get past the first checks.
      if (len > 0 && i % 2 === 0) b[0] = ((1 + Math.floor(rand() * 8)) << 4) | Math.floor(rand() * 8);
      tr.inbox.push(b);
    }
    c.update(0.05);
    const after = c.stats();
    assert.equal(after.packetsReceived - before.packetsReceived, n);
    assert.equal(drops(after) - drops(before), n, `state ${target}: every datagram counted as a drop`);
    assert.equal(c.state, target, "garbage does not move the state");
    assert.equal(c.receive(), undefined);
    assert.ok(after.droppedMalformed > 0 && after.droppedDecryptFailed > 0 && after.droppedOversized > 0);
  }
});

test("IPv6 text as Go's netip writes it", () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0], "::"],
    [[0, 0, 0, 0, 0, 0, 0, 1], "::1"],
    [[1, 0, 0, 0, 0, 0, 0, 0], "1::"],
    [[0x2001, 0xdb8, 0, 1, 2, 3, 4, 5], "2001:db8:0:1:2:3:4:5"], // a single zero group stays
    [[0xfd00, 0, 0, 0, 0, 0, 0x1234, 0x5678], "fd00::1234:5678"],
    [[1, 0, 0, 2, 0, 0, 3, 4], "1::2:0:0:3:4"], // the first of two equal runs
    [[1, 0, 0, 2, 0, 0, 0, 4], "1:0:0:2::4"], // the longest run
  ];
  for (const [groups, text] of cases) assert.equal(formatIPv6(groups), text);
});
