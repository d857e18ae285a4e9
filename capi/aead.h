/* ChaCha20-Poly1305, the IETF AEAD of RFC 8439 (aead.c): what netcode
 * encrypts its packets with, for a packet path that stays in C. Internal to
 * the library, not part of the ABI. */
#ifndef LY_AEAD_H
#define LY_AEAD_H

#include <stddef.h>
#include <stdint.h>
#include "capi_internal.h"

#define LY__AEAD_KEY 32
#define LY__AEAD_NONCE 12
#define LY__AEAD_TAG 16

/* Encrypts len bytes of in to out (in == out allowed: in place), then
 * writes the 16-byte tag at out + len. Other overlaps are not allowed.
 * len is at most 2^38 - 64 bytes (ChaCha20's 32-bit block counter), far
 * above any packet. */
LY__HIDDEN void ly__aead_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
                              const uint8_t nonce[12], const uint8_t key[32]);

/* Checks the tag at in + len (len excludes the tag) and, only if it
 * matches, decrypts len bytes to out (in == out allowed). Returns 0 on
 * success, -1 if the tag does not match (out is then untouched). The tag is
 * compared in constant time. */
LY__HIDDEN int ly__aead_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
                             const uint8_t nonce[12], const uint8_t key[32]);

/* The two halves on their own, for the tests (RFC 8439, 2.4 and 2.5). */

/* XORs len bytes of in with the ChaCha20 key stream from block counter
 * on, to out (in == out allowed). */
LY__HIDDEN void ly__chacha20(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12],
                             const uint8_t key[32], uint32_t counter);
/* The Poly1305 tag of len bytes of msg under a one-time key. */
LY__HIDDEN void ly__poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32]);

#endif
