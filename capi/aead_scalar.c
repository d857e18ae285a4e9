/* aead.c once more, built with LY_AEAD_SCALAR: the one-block-at-a-time
 * ChaCha20 that compilers without GCC's vector extensions get, and the
 * Poly1305 with 26-bit limbs that compilers without unsigned __int128
 * get. The library never calls it; it is here, under other names, so that
 * the tests (aead_test.go, through testhooks.go) check those paths on
 * every target alongside the library's (vector ChaCha20, Poly1305 with
 * 64-bit limbs). */
#define LY_AEAD_SCALAR
#define ly__aead_seal ly__aead_seal_scalar
#define ly__aead_open ly__aead_open_scalar
#define ly__chacha20 ly__chacha20_scalar
#define ly__poly1305 ly__poly1305_scalar
#include "aead.c"
