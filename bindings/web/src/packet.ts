import { concatBytes, readU64, writeU64 } from "./bytes.js";
import {
  CHALLENGE_BODY_SIZE,
  KEEP_ALIVE_BODY_SIZE,
  MAC_SIZE,
  MAX_PAYLOAD_SIZE,
  MIN_ENCRYPTED_PACKET,
  REQUEST_PACKET_SIZE,
  VERSION,
  VERSION_SIZE,
} from "./constants.js";
import { open, seal, sequenceNonce } from "./crypto.js";
import type { ReplayWindow } from "./replay.js";
import type { ConnectToken } from "./token.js";

export const PacketType = {
  Request: 0,
  Denied: 1,
  Challenge: 2,
  Response: 3,
  KeepAlive: 4,
  Payload: 5,
  Disconnect: 6,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];
const NUM_PACKET_TYPES = 7;

/** The packet types one side accepts, as a bit set. */
export type TypeSet = number;
const bit = (t: PacketType) => 1 << t;
export const CLIENT_ACCEPTS: TypeSet =
  bit(PacketType.Denied) | bit(PacketType.Challenge) | bit(PacketType.KeepAlive) | bit(PacketType.Payload) | bit(PacketType.Disconnect);
export const SERVER_ACCEPTS: TypeSet =
  bit(PacketType.Request) | bit(PacketType.Response) | bit(PacketType.KeepAlive) | bit(PacketType.Payload) | bit(PacketType.Disconnect);

/** Why a received packet was dropped: every drop is silent and counted. */
export type DropReason = "malformed" | "replayed" | "decrypt" | "rejected";

/** The fewest bytes that hold seq; 0 still takes one. */
export function sequenceBytes(seq: bigint): number {
  let n = 1;
  while (n < 8 && seq >> BigInt(8 * n) !== 0n) n++;
  return n;
}

/** VERSION || protocol_id || prefix: the associated data of packets 1..6. */
export function packetAD(protocolId: bigint, prefix: number): Uint8Array {
  const ad = new Uint8Array(VERSION_SIZE + 8 + 1);
  ad.set(VERSION);
  writeU64(ad, VERSION_SIZE, protocolId);
  ad[VERSION_SIZE + 8] = prefix;
  return ad;
}

/** Builds an encrypted packet (types 1..6): prefix, sequence bytes, sealed body. */
export function writeEncrypted(type: PacketType, seq: bigint, body: Uint8Array, key: Uint8Array, protocolId: bigint): Uint8Array {
  const n = sequenceBytes(seq);
  const prefix = (n << 4) | type;
  const header = new Uint8Array(1 + n);
  header[0] = prefix;
  for (let i = 0; i < n; i++) header[1 + i] = Number((seq >> BigInt(8 * i)) & 0xffn);
  return concatBytes(header, seal(key, sequenceNonce(seq), packetAD(protocolId, prefix), body));
}

/** The 1078-byte request: 0 || VERSION || protocol_id || expire || nonce || sealed private token. */
export function writeRequest(t: ConnectToken): Uint8Array {
  const out = new Uint8Array(REQUEST_PACKET_SIZE);
  out[0] = PacketType.Request;
  out.set(VERSION, 1);
  writeU64(out, 1 + VERSION_SIZE, t.protocolId);
  writeU64(out, 1 + VERSION_SIZE + 8, t.expireTimestamp);
  out.set(t.nonce, 1 + VERSION_SIZE + 16);
  out.set(t.privateData, 1 + VERSION_SIZE + 16 + t.nonce.length);
  return out;
}

export interface Header {
  type: PacketType;
  seq: bigint;
  prefix: number;
  size: number;
}

/** The checks before the replay window, in the reference's order: size, type, role, sequence bytes. */
export function parseHeader(pkt: Uint8Array, accepts: TypeSet): Header | undefined {
  if (pkt.length < MIN_ENCRYPTED_PACKET) return undefined;
  const prefix = pkt[0]!;
  const type = prefix & 0xf;
  if (type >= NUM_PACKET_TYPES || type === PacketType.Request || (accepts & (1 << type)) === 0) return undefined;
  const n = prefix >> 4;
  if (n < 1 || n > 8 || pkt.length < 1 + n + MAC_SIZE) return undefined;
  let seq = 0n;
  for (let i = 0; i < n; i++) seq |= BigInt(pkt[1 + i]!) << BigInt(8 * i);
  return { type: type as PacketType, seq, prefix, size: 1 + n };
}

export function bodySizeOK(type: PacketType, n: number): boolean {
  switch (type) {
    case PacketType.Denied:
    case PacketType.Disconnect:
      return n === 0;
    case PacketType.Challenge:
    case PacketType.Response:
      return n === CHALLENGE_BODY_SIZE;
    case PacketType.KeepAlive:
      return n === KEEP_ALIVE_BODY_SIZE;
    case PacketType.Payload:
      return n >= 1 && n <= MAX_PAYLOAD_SIZE;
    default:
      return false;
  }
}

export type ReadResult = { ok: true; header: Header; body: Uint8Array } | { ok: false; drop: DropReason };

/**
 * Reads an encrypted packet as the reference does: header checks, replay
 * check (keep-alive, payload, disconnect; only when a window is given),
 * decrypt, body size; the window advances only after a successful decrypt.
 */
export function readEncrypted(pkt: Uint8Array, accepts: TypeSet, key: Uint8Array, protocolId: bigint, replay?: ReplayWindow): ReadResult {
  const h = parseHeader(pkt, accepts);
  if (!h) return { ok: false, drop: "malformed" };
  const replayed = h.type >= PacketType.KeepAlive;
  if (replay && replayed && replay.alreadyReceived(h.seq)) return { ok: false, drop: "replayed" };
  const body = open(key, sequenceNonce(h.seq), packetAD(protocolId, h.prefix), pkt.subarray(h.size));
  if (!body) return { ok: false, drop: "decrypt" };
  if (!bodySizeOK(h.type, body.length)) return { ok: false, drop: "malformed" };
  if (replay && replayed) replay.advance(h.seq);
  return { ok: true, header: h, body };
}

/** The response body: the challenge packet's body, echoed. */
export function responseBody(challengeSeq: bigint, challengeToken: Uint8Array): Uint8Array {
  const b = new Uint8Array(CHALLENGE_BODY_SIZE);
  writeU64(b, 0, challengeSeq);
  b.set(challengeToken, 8);
  return b;
}

export function readChallengeBody(body: Uint8Array): { seq: bigint; token: Uint8Array } {
  return { seq: readU64(body, 0), token: body.slice(8) };
}
