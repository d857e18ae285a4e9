import { readAddress, type ServerAddress } from "./address.js";
import { equalBytes, readI32, readU32, readU64 } from "./bytes.js";
import {
  CONNECT_TOKEN_SIZE,
  KEY_SIZE,
  MAX_SERVER_ADDRESSES,
  NEVER_EXPIRES,
  PRIVATE_TOKEN_SIZE,
  VERSION,
  VERSION_SIZE,
  XNONCE_SIZE,
} from "./constants.js";
import { NetcodeError } from "./errors.js";

/** The public part of a 2048-byte connect token, as the client reads it. */
export interface ConnectToken {
  readonly protocolId: bigint;
  readonly createTimestamp: bigint;
  readonly expireTimestamp: bigint;
  readonly nonce: Uint8Array;
  /** The private token, sealed with the servers' key: the client only forwards it. */
  readonly privateData: Uint8Array;
  /** Seconds without a packet before the connection times out; <= 0 disables. */
  readonly timeoutSeconds: number;
  readonly serverAddresses: readonly ServerAddress[];
  readonly clientToServerKey: Uint8Array;
  readonly serverToClientKey: Uint8Array;
}

// Field offsets in the token (NETCODE.md, "Tokens").
const PROTOCOL = 13;
const CREATE = 21;
const EXPIRE = 29;
const NONCE = 37;
const PRIVATE = 61;
const TIMEOUT = PRIVATE + PRIVATE_TOKEN_SIZE;
const NUM_ADDRESSES = TIMEOUT + 4;
const ADDRESSES = NUM_ADDRESSES + 4;

/**
 * Parses a connect token. It checks the structure only (as the Go client
 * does): the private part stays sealed and expiry is the server's to judge.
 * Throws NetcodeError("invalid-token").
 */
export function parseConnectToken(bytes: Uint8Array): ConnectToken {
  const bad = (why: string) => new NetcodeError("invalid-token", `invalid connect token: ${why}`);
  if (!(bytes instanceof Uint8Array)) throw bad("not a Uint8Array");
  if (bytes.length !== CONNECT_TOKEN_SIZE) throw bad(`${bytes.length} bytes, want ${CONNECT_TOKEN_SIZE}`);
  if (!equalBytes(bytes.subarray(0, VERSION_SIZE), VERSION)) throw bad("not a netcode 1.02 token");
  const b = bytes.slice(); // the caller may reuse its buffer
  const createTimestamp = readU64(b, CREATE);
  const expireTimestamp = readU64(b, EXPIRE);
  if (createTimestamp > expireTimestamp) throw bad("created after it expires");
  const n = readU32(b, NUM_ADDRESSES);
  if (n < 1 || n > MAX_SERVER_ADDRESSES) throw bad(`${n} server addresses (want 1..${MAX_SERVER_ADDRESSES})`);
  const serverAddresses: ServerAddress[] = [];
  let off = ADDRESSES;
  for (let i = 0; i < n; i++) {
    const a = readAddress(b, off);
    if (!a) throw bad(`server address ${i} malformed`);
    serverAddresses.push(a.address);
    off += a.size;
  }
  if (off + 2 * KEY_SIZE > b.length) throw bad("truncated keys");
  return {
    protocolId: readU64(b, PROTOCOL),
    createTimestamp,
    expireTimestamp,
    nonce: b.slice(NONCE, NONCE + XNONCE_SIZE),
    privateData: b.slice(PRIVATE, PRIVATE + PRIVATE_TOKEN_SIZE),
    timeoutSeconds: readI32(b, TIMEOUT),
    serverAddresses,
    clientToServerKey: b.slice(off, off + KEY_SIZE),
    serverToClientKey: b.slice(off + KEY_SIZE, off + 2 * KEY_SIZE),
  };
}

/** Seconds the client may keep trying to connect with t, or undefined for ever. */
export function tokenLifetime(t: ConnectToken): number | undefined {
  if (t.expireTimestamp === NEVER_EXPIRES) return undefined;
  return Number(t.expireTimestamp - t.createTimestamp);
}
