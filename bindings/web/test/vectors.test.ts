// The reference implementation's vectors (core/netcode/testdata/vectors),
// byte for byte: tokens, challenge tokens, every packet type, the read
// verdicts and the replay window.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatAddress } from "../src/address.js";
import { writeU64 } from "../src/bytes.js";
import { MAC_SIZE, PRIVATE_TOKEN_SIZE, VERSION, VERSION_SIZE, CHALLENGE_TOKEN_SIZE } from "../src/constants.js";
import { open, openX, seal, sealX, sequenceNonce } from "../src/crypto.js";
import {
  CLIENT_ACCEPTS,
  PacketType,
  SERVER_ACCEPTS,
  packetAD,
  readEncrypted,
  sequenceBytes,
  writeEncrypted,
  writeRequest,
} from "../src/packet.js";
import { ReplayWindow } from "../src/replay.js";
import { parseConnectToken } from "../src/token.js";
import { hex, loadVectors, readBin, unhex } from "./helpers.js";

const v = loadVectors();

function tokenAD(protocolId: bigint, expire: bigint): Uint8Array {
  const ad = new Uint8Array(VERSION_SIZE + 16);
  ad.set(VERSION);
  writeU64(ad, VERSION_SIZE, protocolId);
  writeU64(ad, VERSION_SIZE + 8, expire);
  return ad;
}

describe("connect token vectors", () => {
  assert.equal(v.connect_tokens.length, 2);
  for (const tv of v.connect_tokens) {
    test(`${tv.name}: parse`, () => {
      const wire = unhex(tv.connect_token);
      assert.equal(hex(readBin(`${tv.name}.bin`)), tv.connect_token, ".bin agrees with the JSON");
      const t = parseConnectToken(wire);
      assert.equal(t.protocolId, BigInt(tv.protocol_id));
      assert.equal(t.createTimestamp, BigInt(tv.create_timestamp));
      assert.equal(t.expireTimestamp, BigInt(tv.expire_timestamp));
      assert.equal(t.timeoutSeconds, tv.timeout_seconds);
      assert.equal(hex(t.nonce), tv.nonce);
      assert.equal(hex(t.privateData), tv.private_encrypted);
      assert.equal(hex(t.clientToServerKey), tv.client_to_server_key);
      assert.equal(hex(t.serverToClientKey), tv.server_to_client_key);
      assert.deepEqual(t.serverAddresses.map(formatAddress), tv.public_server_addresses);
    });
    test(`${tv.name}: private part sealed with XChaCha20-Poly1305`, () => {
      const t = parseConnectToken(unhex(tv.connect_token));
      const ad = tokenAD(t.protocolId, t.expireTimestamp);
      assert.equal(hex(ad), tv.private_associated_data);
      const plain = unhex(tv.private_plain);
      assert.equal(plain.length, PRIVATE_TOKEN_SIZE);
      const key = unhex(tv.private_key);
      const sealed = sealX(key, t.nonce, ad, plain.subarray(0, PRIVATE_TOKEN_SIZE - MAC_SIZE));
      assert.equal(hex(sealed), tv.private_encrypted);
      const opened = openX(key, t.nonce, ad, t.privateData);
      assert.ok(opened);
      assert.equal(hex(opened), hex(plain.subarray(0, PRIVATE_TOKEN_SIZE - MAC_SIZE)));
      // The expire timestamp is authenticated: a token with another one does not open.
      assert.equal(openX(key, t.nonce, tokenAD(t.protocolId, t.expireTimestamp - 1n), t.privateData), undefined);
    });
  }
});

describe("challenge token vectors", () => {
  assert.equal(v.challenge_tokens.length, 2);
  for (const cv of v.challenge_tokens) {
    test(cv.name, () => {
      const seq = BigInt(cv.sequence);
      const nonce = sequenceNonce(seq);
      assert.equal(hex(nonce), cv.nonce);
      const plain = unhex(cv.plain);
      assert.equal(hex(readBin(`${cv.name}_encrypted.bin`)), cv.encrypted);
      const sealed = seal(unhex(cv.key), nonce, undefined, plain.subarray(0, CHALLENGE_TOKEN_SIZE - MAC_SIZE));
      assert.equal(hex(sealed), cv.encrypted);
      const back = open(unhex(cv.key), nonce, undefined, sealed);
      assert.ok(back);
      assert.equal(hex(back), hex(plain.subarray(0, CHALLENGE_TOKEN_SIZE - MAC_SIZE)));
    });
  }
});

describe("packet vectors", () => {
  assert.equal(v.packets.length, 11);
  assert.equal(v.keep_alive_sequence_sweep.length, 12);
  const typesSeen = new Set<number>();
  for (const pv of [...v.packets, ...v.keep_alive_sequence_sweep]) {
    typesSeen.add(pv.packet_type);
    test(pv.name, () => {
      if (pv.file) assert.equal(hex(readBin(pv.file)), pv.wire, ".bin agrees with the JSON");
      if (pv.packet_type === PacketType.Request) {
        const t = parseConnectToken(unhex(v.connect_tokens[0]!.connect_token));
        assert.equal(hex(writeRequest(t)), pv.wire);
        return;
      }
      const seq = BigInt(pv.sequence);
      const protocolId = BigInt(pv.protocol_id);
      const key = unhex(pv.key);
      const body = unhex(pv.plaintext_body);
      assert.equal(sequenceBytes(seq), pv.sequence_bytes);
      const prefix = Number.parseInt(pv.prefix_byte, 16);
      assert.equal(hex(packetAD(protocolId, prefix)), pv.associated_data);
      assert.equal(hex(sequenceNonce(seq)), pv.nonce);
      const wire = writeEncrypted(pv.packet_type as PacketType, seq, body, key, protocolId);
      assert.equal(hex(wire), pv.wire);

      const accepts = pv.direction === "server_to_client" ? CLIENT_ACCEPTS : SERVER_ACCEPTS;
      const r = readEncrypted(unhex(pv.wire), accepts, key, protocolId, new ReplayWindow());
      assert.ok(r.ok, `read back: ${r.ok ? "" : r.drop}`);
      assert.equal(r.header.type, pv.packet_type);
      assert.equal(r.header.seq, seq);
      assert.equal(hex(r.body), pv.plaintext_body);
    });
  }
  test("every packet type has a vector", () => {
    assert.deepEqual([...typesSeen].sort(), [0, 1, 2, 3, 4, 5, 6]);
  });
});

describe("tampering", () => {
  // Every byte of every encrypted packet is covered by the AEAD or the
  // header checks: flipping any bit of any byte must make the read fail.
  for (const pv of v.packets.filter((p) => p.packet_type !== PacketType.Request)) {
    test(`${pv.name}: every byte flipped is refused`, () => {
      const wire = unhex(pv.wire);
      const accepts = pv.direction === "server_to_client" ? CLIENT_ACCEPTS : SERVER_ACCEPTS;
      for (let i = 0; i < wire.length; i++) {
        const bad = wire.slice();
        bad[i]! ^= 0x01;
        const r = readEncrypted(bad, accepts, unhex(pv.key), BigInt(pv.protocol_id));
        assert.equal(r.ok, false, `byte ${i} flipped was accepted`);
      }
    });
  }
});

describe("read tests (the reference reader's verdicts)", () => {
  assert.equal(v.read_tests.length, 35);
  // Requests read by a server need the server's private key and its rules
  // (expiry, its address in the token): a client never reads them. The
  // client must refuse a request, which request_rejected_by_client checks.
  const serverRequests = v.read_tests.filter((r) => r.reader === "server" && r.name.startsWith("request_"));
  assert.equal(serverRequests.length, 10);
  for (const rv of v.read_tests.filter((r) => !serverRequests.includes(r))) {
    test(`${rv.name} (${rv.reader}): ${rv.expected}`, () => {
      const accepts = rv.reader === "client" ? CLIENT_ACCEPTS : SERVER_ACCEPTS;
      const key = rv.read_key ? unhex(rv.read_key) : new Uint8Array(32);
      const r = readEncrypted(unhex(rv.wire), accepts, key, BigInt(rv.protocol_id), new ReplayWindow());
      assert.equal(r.ok, rv.expected === "accept", r.ok ? "accepted" : `dropped: ${r.drop}`);
    });
  }
});

test("replay protection sequence", () => {
  assert.equal(v.replay_protection_sequence.length, 16);
  const tv = v.connect_tokens[0]!;
  const key = unhex(tv.client_to_server_key);
  const protocolId = BigInt(tv.protocol_id);
  const w = new ReplayWindow();
  v.replay_protection_sequence.forEach((step, i) => {
    const seq = BigInt(step.sequence);
    const pkt = writeEncrypted(PacketType.KeepAlive, seq, new Uint8Array(8), key, protocolId);
    const r = readEncrypted(pkt, SERVER_ACCEPTS, key, protocolId, w);
    assert.equal(r.ok, step.expected === "accept", `step ${i} seq ${seq}`);
    if (!r.ok) assert.equal(r.drop, "replayed");
    assert.equal(w.mostRecent, BigInt(step.most_recent_sequence_after), `step ${i}`);
  });
});

test("replay window near 2^64 does not wrap", () => {
  const w = new ReplayWindow();
  const seq = 0xffff_ffff_ffff_fffen; // 2^64-1 itself is the empty marker, as in the reference
  w.advance(seq);
  assert.equal(w.alreadyReceived(seq), true);
  assert.equal(w.alreadyReceived(seq - 255n), false);
  assert.equal(w.alreadyReceived(seq - 256n), true);
  assert.equal(w.alreadyReceived(0n), true);
});
