/* aead.c once more, built with LY_AEAD_SCALAR: the one-block-at-a-time
 * ChaCha20 that compilers without GCC's vector extensions get. The library
 * never calls it; it is here, under other names, so that the tests
 * (aead_test.go, through testhooks.go) check that path on every target
 * alongside the vector one. */
#define LY_AEAD_SCALAR
#define ly__aead_seal ly__aead_seal_scalar
#define ly__aead_open ly__aead_open_scalar
#define ly__chacha20 ly__chacha20_scalar
#define ly__poly1305 ly__poly1305_scalar
#include "aead.c"
