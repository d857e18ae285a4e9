import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "../src/client.js";
import { runClient } from "../src/loop.js";
import { PacketType, writeEncrypted } from "../src/packet.js";
import { ClientState, DisconnectReason } from "../src/state.js";
import { fakeFactory } from "./fake-transport.js";
import { makeToken } from "./helpers.js";

test("runClient connects, updates on its clock, hands over payloads and reports the end", async () => {
  const factory = fakeFactory();
  const client = new Client(makeToken({ timeoutSeconds: 1 }), { transport: factory });
  let t = 0;
  const batches: number[][] = [];
  let ended = false;
  const stop = runClient(client, {
    intervalMs: 1,
    clock: () => t,
    onUpdate: (_, payloads) => payloads.length && batches.push(payloads.map((p) => p[0]!)),
    onEnd: () => (ended = true),
  });
  try {
    assert.equal(client.state, ClientState.SendingConnectionRequest);
    const tok = client.token!;
    const s2c = (type: PacketType, seq: bigint, body: Uint8Array) => writeEncrypted(type, seq, body, tok.serverToClientKey, tok.protocolId);
    const tr = factory.opened[0]!;
    tr.inbox.push(s2c(PacketType.Challenge, 1n << 63n, new Uint8Array(308)));
    await sleep(10);
    tr.inbox.push(s2c(PacketType.KeepAlive, 0n, new Uint8Array(8)), s2c(PacketType.Payload, 1n, new Uint8Array([42])));
    t = 0.1;
    await sleep(10);
    assert.equal(client.state, ClientState.Connected);
    assert.deepEqual(batches, [[42]]);
    t = 1.5; // past the 1 s timeout
    for (let i = 0; i < 200 && !ended; i++) await sleep(2);
    assert.equal(ended, true);
    assert.equal(client.disconnectReason, DisconnectReason.TimedOut);
  } finally {
    stop();
    client.close();
  }
});
