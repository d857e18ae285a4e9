// The two AEADs netcode uses, from @noble/ciphers (audited): nothing here
// is hand-written crypto, only the nonce and associated-data layouts.
import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { writeU64 } from "./bytes.js";

/** The IETF nonce of a packet or challenge token: four zero bytes, then the sequence (LE). */
export function sequenceNonce(seq: bigint): Uint8Array {
  const n = new Uint8Array(12);
  writeU64(n, 4, seq);
  return n;
}

/** ChaCha20-Poly1305 (IETF): ciphertext followed by the 16-byte tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array | undefined, plain: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonce, ad).encrypt(plain);
}

/** Decrypts and authenticates, or returns undefined. */
export function open(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array | undefined, sealed: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(sealed);
  } catch {
    return undefined;
  }
}

/** XChaCha20-Poly1305, the private connect token's AEAD (servers and token makers use it). */
export function sealX(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, plain: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).encrypt(plain);
}

export function openX(key: Uint8Array, nonce: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  try {
    return xchacha20poly1305(key, nonce, ad).decrypt(sealed);
  } catch {
    return undefined;
  }
}
