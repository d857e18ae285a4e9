import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (tests run from bindings/web/build/test). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
export const vectorsDir = path.join(repoRoot, "core/netcode/testdata/vectors");

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function unhex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || /[^0-9a-f]/i.test(s)) throw new Error(`bad hex ${s.slice(0, 20)}`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

export interface VecToken {
  name: string;
  public_server_addresses: string[];
  internal_server_addresses: string[];
  private_key: string;
  protocol_id: string;
  client_id: string;
  create_timestamp: string;
  expire_seconds: number;
  expire_timestamp: string;
  timeout_seconds: number;
  nonce: string;
  client_to_server_key: string;
  server_to_client_key: string;
  user_data: string;
  private_plain: string;
  private_encrypted: string;
  connect_token: string;
  private_associated_data: string;
}
export interface VecChallenge {
  name: string;
  client_id: string;
  key: string;
  sequence: string;
  nonce: string;
  plain: string;
  encrypted: string;
}
export interface VecPacket {
  name: string;
  packet_type: number;
  direction: string;
  key: string;
  protocol_id: string;
  sequence: string;
  sequence_bytes: number;
  prefix_byte: string;
  plaintext_body: string;
  associated_data: string;
  nonce: string;
  wire: string;
  file?: string;
}
export interface VecRead {
  name: string;
  reader: "client" | "server";
  read_key: string | null;
  private_key: string | null;
  protocol_id: string;
  wire: string;
  expected: "accept" | "reject";
}
export interface VecReplay {
  sequence: string;
  expected: "accept" | "reject";
  most_recent_sequence_after: string;
}
export interface Vectors {
  connect_tokens: VecToken[];
  challenge_tokens: VecChallenge[];
  packets: VecPacket[];
  keep_alive_sequence_sweep: VecPacket[];
  read_tests: VecRead[];
  replay_protection_sequence: VecReplay[];
}

export function loadVectors(): Vectors {
  return JSON.parse(readFileSync(path.join(vectorsDir, "vectors.json"), "utf8")) as Vectors;
}

export function readBin(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(vectorsDir, name)));
}

export interface TokenFields {
  protocolId?: bigint;
  create?: bigint;
  expire?: bigint;
  timeoutSeconds?: number;
  /** IPv4 "a.b.c.d:port" strings. */
  addresses?: string[];
  c2s?: Uint8Array;
  s2c?: Uint8Array;
  privateData?: Uint8Array;
}

/**
 * The public part of a connect token as a backend writes it, for client
 * tests that need other lifetimes, timeouts or addresses than the vectors'.
 * The private part is opaque to a client, so any bytes do.
 */
export function makeToken(f: TokenFields = {}): Uint8Array {
  const b = new Uint8Array(2048);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode("NETCODE 1.02\0"));
  dv.setBigUint64(13, f.protocolId ?? 0x1122334455667788n, true);
  const create = f.create ?? 1700000000n;
  dv.setBigUint64(21, create, true);
  dv.setBigUint64(29, f.expire ?? create + 30n, true);
  b.set(f.privateData ?? new Uint8Array(1024).fill(7), 61);
  dv.setInt32(1085, f.timeoutSeconds ?? 5, true);
  const addrs = f.addresses ?? ["127.0.0.1:40000"];
  dv.setUint32(1089, addrs.length, true);
  let off = 1093;
  for (const a of addrs) {
    const [host, port] = a.split(":");
    b[off] = 1;
    host!.split(".").forEach((x, i) => (b[off + 1 + i] = Number(x)));
    dv.setUint16(off + 5, Number(port), true);
    off += 7;
  }
  b.set(f.c2s ?? new Uint8Array(32).fill(0x40), off);
  b.set(f.s2c ?? new Uint8Array(32).fill(0x80), off + 32);
  return b;
}
