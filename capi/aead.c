/* ChaCha20-Poly1305, the IETF AEAD of RFC 8439 (section 2.8), written from
 * the RFC's description.
 *
 * Portable C99 for every target the library is built for: bytes are
 * loaded and stored one at a time in little-endian order (compilers fuse
 * them into word accesses where the target allows unaligned ones), and
 * Poly1305 keeps its numbers in 26-bit limbs so that every product fits a
 * uint64_t, with no 128-bit type. Two exceptions: with GCC and Clang on
 * little-endian targets, ChaCha20 computes four blocks at once with the
 * compilers' vector extensions, which they turn into SSE2 or NEON code
 * (see chacha_pass); and where the compiler has unsigned __int128 (GCC
 * and Clang on 64-bit targets), Poly1305 uses 64-bit limbs and 128-bit
 * products (see LY_POLY64). No assembly and no intrinsics. */
#include "aead.h"

#include <string.h>

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void store64(uint8_t *p, uint64_t v)
{
    store32(p, (uint32_t)v);
    store32(p + 4, (uint32_t)(v >> 32));
}

/* Clears key material off the stack. memset is called through a volatile
 * pointer so that the compiler cannot tell it is memset and drop the
 * stores as dead; unlike a volatile byte loop it stays fast. */
static void *(*const volatile memset_v)(void *, int, size_t) = memset;

static void wipe(void *p, size_t n) { memset_v(p, 0, n); }

/* ChaCha20 (RFC 8439, 2.1 to 2.4). */

/* For uint32_t and for vectors of them alike. */
#define ROTL(v, n) ((v) << (n) | (v) >> (32 - (n)))

/* Macros on named words rather than functions on an array: the 16 words
 * then stay in registers, which makes the block several times faster. */
#define QUARTER_ROUND(a, b, c, d) \
    do {                          \
        a += b;                   \
        d = ROTL(d ^ a, 16);      \
        c += d;                   \
        b = ROTL(b ^ c, 12);      \
        a += b;                   \
        d = ROTL(d ^ a, 8);       \
        c += d;                   \
        b = ROTL(b ^ c, 7);       \
    } while (0)

/* A column round and a diagonal round on the words x0 to x15; the 20
 * rounds of a block are ten of these. */
#define DOUBLE_ROUND()                  \
    do {                                \
        QUARTER_ROUND(x0, x4, x8, x12);  \
        QUARTER_ROUND(x1, x5, x9, x13);  \
        QUARTER_ROUND(x2, x6, x10, x14); \
        QUARTER_ROUND(x3, x7, x11, x15); \
        QUARTER_ROUND(x0, x5, x10, x15); \
        QUARTER_ROUND(x1, x6, x11, x12); \
        QUARTER_ROUND(x2, x7, x8, x13);  \
        QUARTER_ROUND(x3, x4, x9, x14);  \
    } while (0)

/* The state: the constant "expand 32-byte k", the key, the block counter
 * and the nonce, as little-endian words. */
static void chacha_init(uint32_t st[16], const uint8_t key[32], const uint8_t nonce[12], uint32_t counter)
{
    st[0] = 0x61707865;
    st[1] = 0x3320646e;
    st[2] = 0x79622d32;
    st[3] = 0x6b206574;
    for (int i = 0; i < 8; i++)
        st[4 + i] = load32(key + 4 * i);
    st[12] = counter;
    for (int i = 0; i < 3; i++)
        st[13 + i] = load32(nonce + 4 * i);
}

/* A block of key stream is 20 rounds over a copy of the state, which is
 * then added back so that the rounds cannot be run backwards to the key.
 * The key stream is made a pass of four blocks at a time: blocks st[12]
 * to st[12] + 3 (the counter wraps as it would block by block), as 256
 * bytes in ks. A packet of up to 192 bytes takes one pass, its Poly1305
 * key included (see aead_init).
 *
 * With GCC and Clang each word of the state is a vector of four, one lane
 * per block, and every operation of the rounds works on the four blocks
 * at once (SSE2 on x86_64, NEON on aarch64). The lanes are stored with
 * memcpy, so in the machine's byte order: little-endian targets only.
 * Elsewhere, or with LY_AEAD_SCALAR (aead_scalar.c builds it so for the
 * tests), the blocks are computed one after another, only as many as
 * needed. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(LY_AEAD_SCALAR)

__extension__ typedef uint32_t v4u __attribute__((vector_size(16)));

#define SPLAT(w) ((v4u){(w), (w), (w), (w)})

#if defined(__clang__)
#define SHUFFLE(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define SHUFFLE(a, b, i, j, k, l) __builtin_shuffle(a, b, (v4u){i, j, k, l})
#endif

/* Stores words w to w + 3 of the four blocks, given as a, b, c and d
 * (lane j of each is block j's), with ks at word w of block 0: a 4x4
 * transpose makes them one vector per block, for ks + 64 * j. */
static void store_words(uint8_t *ks, v4u a, v4u b, v4u c, v4u d)
{
    v4u ab01 = SHUFFLE(a, b, 0, 4, 1, 5), ab23 = SHUFFLE(a, b, 2, 6, 3, 7);
    v4u cd01 = SHUFFLE(c, d, 0, 4, 1, 5), cd23 = SHUFFLE(c, d, 2, 6, 3, 7);
    v4u y0 = SHUFFLE(ab01, cd01, 0, 1, 4, 5), y1 = SHUFFLE(ab01, cd01, 2, 3, 6, 7);
    v4u y2 = SHUFFLE(ab23, cd23, 0, 1, 4, 5), y3 = SHUFFLE(ab23, cd23, 2, 3, 6, 7);
    memcpy(ks, &y0, 16);
    memcpy(ks + 64, &y1, 16);
    memcpy(ks + 128, &y2, 16);
    memcpy(ks + 192, &y3, 16);
}

/* All four blocks, whatever n (computing fewer would save nothing). */
static void chacha_pass(uint8_t ks[256], const uint32_t st[16], size_t n)
{
    const v4u ctr = {0, 1, 2, 3};
    v4u x0 = SPLAT(st[0]), x1 = SPLAT(st[1]), x2 = SPLAT(st[2]), x3 = SPLAT(st[3]);
    v4u x4 = SPLAT(st[4]), x5 = SPLAT(st[5]), x6 = SPLAT(st[6]), x7 = SPLAT(st[7]);
    v4u x8 = SPLAT(st[8]), x9 = SPLAT(st[9]), x10 = SPLAT(st[10]), x11 = SPLAT(st[11]);
    v4u x12 = SPLAT(st[12]) + ctr, x13 = SPLAT(st[13]), x14 = SPLAT(st[14]), x15 = SPLAT(st[15]);
    (void)n;
    for (int i = 0; i < 10; i++)
        DOUBLE_ROUND();
    store_words(ks, x0 + SPLAT(st[0]), x1 + SPLAT(st[1]), x2 + SPLAT(st[2]), x3 + SPLAT(st[3]));
    store_words(ks + 16, x4 + SPLAT(st[4]), x5 + SPLAT(st[5]), x6 + SPLAT(st[6]), x7 + SPLAT(st[7]));
    store_words(ks + 32, x8 + SPLAT(st[8]), x9 + SPLAT(st[9]), x10 + SPLAT(st[10]), x11 + SPLAT(st[11]));
    store_words(ks + 48, x12 + SPLAT(st[12]) + ctr, x13 + SPLAT(st[13]), x14 + SPLAT(st[14]), x15 + SPLAT(st[15]));
}

#else

/* The first n blocks. */
static void chacha_pass(uint8_t ks[256], const uint32_t st[16], size_t n)
{
    for (uint32_t j = 0; j < n; j++, ks += 64) {
        uint32_t x0 = st[0], x1 = st[1], x2 = st[2], x3 = st[3], x4 = st[4], x5 = st[5], x6 = st[6], x7 = st[7],
                 x8 = st[8], x9 = st[9], x10 = st[10], x11 = st[11], x12 = st[12] + j, x13 = st[13], x14 = st[14],
                 x15 = st[15];
        for (int i = 0; i < 10; i++)
            DOUBLE_ROUND();
        store32(ks, x0 + st[0]), store32(ks + 4, x1 + st[1]), store32(ks + 8, x2 + st[2]);
        store32(ks + 12, x3 + st[3]), store32(ks + 16, x4 + st[4]), store32(ks + 20, x5 + st[5]);
        store32(ks + 24, x6 + st[6]), store32(ks + 28, x7 + st[7]), store32(ks + 32, x8 + st[8]);
        store32(ks + 36, x9 + st[9]), store32(ks + 40, x10 + st[10]), store32(ks + 44, x11 + st[11]);
        store32(ks + 48, x12 + st[12] + j), store32(ks + 52, x13 + st[13]), store32(ks + 56, x14 + st[14]);
        store32(ks + 60, x15 + st[15]);
    }
}

#endif

/* out = in ^ ks for len bytes (in == out allowed). Eight bytes at a time
 * go through memcpy, which is the same on every byte order and compiles
 * to one load or store. */
static void xor_bytes(uint8_t *out, const uint8_t *in, const uint8_t *ks, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t a, k;
        memcpy(&a, in + i, 8);
        memcpy(&k, ks + i, 8);
        a ^= k;
        memcpy(out + i, &a, 8);
    }
    for (; i < len; i++)
        out[i] = in[i] ^ ks[i];
}

/* XORs len bytes with the key stream from the state's block counter on,
 * a pass at a time through ks, and advances the counter. */
static void chacha_xor(uint8_t *out, const uint8_t *in, size_t len, uint32_t st[16], uint8_t ks[256])
{
    while (len > 0) {
        size_t n = len < 256 ? len : 256;
        chacha_pass(ks, st, (n + 63) / 64);
        st[12] += 4;
        xor_bytes(out, in, ks, n);
        out += n, in += n, len -= n;
    }
}

void ly__chacha20(uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12], const uint8_t key[32],
                  uint32_t counter)
{
    uint32_t st[16];
    uint8_t ks[256];
    chacha_init(st, key, nonce, counter);
    chacha_xor(out, in, len, st, ks);
    wipe(st, sizeof st);
    wipe(ks, sizeof ks);
}

/* Poly1305 (RFC 8439, 2.5): the accumulator h becomes (h + block) * r
 * modulo p = 2^130 - 5 for each 16-byte block, and the tag is h + s
 * modulo 2^128.
 *
 * Two implementations of the same interface (HIBIT, struct poly,
 * poly_init, poly_blocks, poly_finish):
 *
 * - 64-bit limbs with 128-bit products, where the compiler has unsigned
 *   __int128 (GCC and Clang on 64-bit targets). The library's build
 *   (aead.c as compiled on its own) uses it there: LY_POLY64 is defined.
 * - 26-bit limbs with 64-bit products, in plain C99: every other
 *   compiler, and always with LY_AEAD_SCALAR, so that aead_scalar.c (the
 *   build the tests run beside the library's) checks this one on every
 *   target while the library's build checks the other. */
#if defined(__SIZEOF_INT128__) && !defined(LY_AEAD_SCALAR)
#define LY_POLY64 1
#endif

#if defined(LY_POLY64)

/* Numbers are h0 + h1 * 2^64 + h2 * 2^128 with h0 and h1 full 64-bit
 * words and h2 a few bits (below 8 here, see poly_blocks).
 *
 * Clamping leaves r = r0 + r1 * 2^64 with r0 and r1 below 2^60 and r1 a
 * multiple of 4. So r1 * 2^128 = (r1 / 4) * 2^130, which is congruent to
 * 5 * (r1 / 4) = r1 + r1 / 4 modulo p, as 2^130 = 5 (mod p): rr1 below.
 * With it, the terms of h * r at 2^128 and 2^192 fold down by 2^128:
 *
 *   h * r = h0 r0 + (h0 r1 + h1 r0) 2^64 + (h1 r1 + h2 r0) 2^128
 *           + h2 r1 2^192
 *         = (h0 r0 + h1 rr1) + (h0 r1 + h1 r0 + h2 rr1) 2^64 + h2 r0 2^128
 *
 * modulo p: four 64x64 -> 128-bit products and two small ones. */

__extension__ typedef unsigned __int128 u128;

/* Bit 128 of a block: the 1 the RFC appends to each full 16-byte block,
 * added to h2. */
#define HIBIT 1u

struct poly {
    uint64_t r0, r1; /* r, clamped */
    uint64_t rr1;    /* r1 + r1 / 4: 5 * r1 / 4, r1's term at 2^128 folded */
    uint64_t h[3];   /* the accumulator */
    uint64_t s[2];   /* the second half of the key */
};

static inline uint64_t load64(const uint8_t *p) { return (uint64_t)load32(p) | (uint64_t)load32(p + 4) << 32; }

static void poly_init(struct poly *p, const uint8_t key[32])
{
    /* Clamping: the top 4 bits of r's bytes 3, 7, 11 and 15 and the low 2
     * bits of its bytes 4, 8 and 12 are cleared. */
    p->r0 = load64(key) & 0x0ffffffc0fffffffu;
    p->r1 = load64(key + 8) & 0x0ffffffc0ffffffcu;
    p->rr1 = p->r1 + (p->r1 >> 2);
    p->h[0] = p->h[1] = p->h[2] = 0;
    p->s[0] = load64(key + 16);
    p->s[1] = load64(key + 24);
}

/* Adds each of n 16-byte blocks to h, with hibit added at bit 128 (HIBIT
 * for a full block, 0 for a short last one that carries its own 1), and
 * multiplies by r, reducing partly: h2 ends at most 4.
 *
 * Bounds: h2 is at most 4 on entry, so at most 6 with a block added.
 * r0 < 2^60 and rr1 < 1.25 * 2^60, so d0 = h0 r0 + h1 rr1 < 2.25 * 2^124
 * and d1 = h0 r1 + h1 r0 + h2 rr1 + (d0 >> 64) < 2^125 + 2^65: no
 * overflow. h2 r0 < 2^63 and d1 >> 64 < 2^62 make the new h2 below
 * 2^63 + 2^62; the part of it at 2^130 and above, k = h2 >> 2, goes back
 * to the bottom as 5k = (h2 & ~3) + k < 2^64, and after that carry h2 is
 * h2 & 3 plus at most 1.
 *
 * The 128-bit type is for the products only. Sums carry as comparisons
 * (c = x < y after x += y), which compilers make into add-with-carry or
 * set-on-carry instructions, not branches; 128-bit sums of 64-bit words
 * made GCC 12 go through the stack, which took twice as long. */
static void poly_blocks(struct poly *p, const uint8_t *m, size_t n, uint32_t hibit)
{
    const uint64_t r0 = p->r0, r1 = p->r1, rr1 = p->rr1;
    uint64_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2];

    for (; n > 0; n--, m += 16) {
        uint64_t m0 = load64(m), m1 = load64(m + 8), c;
        h0 += m0;
        c = h0 < m0;
        h1 += c;
        c = h1 < c;
        h1 += m1;
        c += h1 < m1;
        h2 += c + hibit;

        u128 d0 = (u128)h0 * r0 + (u128)h1 * rr1;
        u128 d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)(h2 * rr1);
        uint64_t d2 = h2 * r0;

        /* Carry d0 into d1 and d1 into d2. */
        d1 += (uint64_t)(d0 >> 64);
        h0 = (uint64_t)d0;
        h1 = (uint64_t)d1;
        h2 = d2 + (uint64_t)(d1 >> 64);

        /* Bits 130 and up, 5 times, back to the bottom. */
        uint64_t c5 = (h2 & ~(uint64_t)3) + (h2 >> 2);
        h2 &= 3;
        h0 += c5;
        c = h0 < c5;
        h1 += c;
        h2 += h1 < c;
    }
    p->h[0] = h0;
    p->h[1] = h1;
    p->h[2] = h2;
}

/* Writes the tag and clears the state. */
static void poly_finish(struct poly *p, uint8_t tag[16])
{
    uint64_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2];

    /* h2 is at most 4, so h < 5 * 2^128 < 2p, and h mod p is h - p if
     * h + 5 reaches 2^130, else h. g = h + 5 (g2 at most 5: bit 2 of g2
     * is whether g reaches 2^130); choose with a mask rather than a
     * branch so that the time does not depend on h. Only the low 128
     * bits matter from here, and those of h - p are those of g. */
    uint64_t g0 = h0 + 5, c = g0 < 5;
    uint64_t g1 = h1 + c;
    uint64_t g2 = h2 + (g1 < c);
    uint64_t take_g = 0u - (g2 >> 2);
    h0 = (h0 & ~take_g) | (g0 & take_g);
    h1 = (h1 & ~take_g) | (g1 & take_g);

    /* Plus s, modulo 2^128. */
    h0 += p->s[0];
    c = h0 < p->s[0];
    store64(tag, h0);
    store64(tag + 8, h1 + p->s[1] + c);

    wipe(p, sizeof *p);
}

#else

/* Numbers below 2^130 are five limbs of 26 bits: limb k holds bits 26k to
 * 26k + 25. With a block added, h's limbs are below 2^27, and r's limbs
 * times 5 (see poly_blocks) below 2^29, so each product is below 2^56 and
 * the five that make a limb of h * r sum to less than 2^59: no overflow. */

#define M26 0x3ffffffu
/* Bit 128 of a block, in limb 4: the 1 byte the RFC appends to each
 * full 16-byte block. */
#define HIBIT (1u << 24)

struct poly {
    uint32_t r[5]; /* r, clamped */
    uint32_t h[5]; /* the accumulator; limbs may run a little over 26 bits */
    uint32_t s[4]; /* the second half of the key, as four words */
};

/* 128 bits, as four little-endian words, to five limbs. */
static void to_limbs(uint32_t l[5], uint32_t t0, uint32_t t1, uint32_t t2, uint32_t t3)
{
    l[0] = t0 & M26;
    l[1] = (t0 >> 26 | t1 << 6) & M26;
    l[2] = (t1 >> 20 | t2 << 12) & M26;
    l[3] = (t2 >> 14 | t3 << 18) & M26;
    l[4] = t3 >> 8;
}

static void poly_init(struct poly *p, const uint8_t key[32])
{
    /* Clamping: the top 4 bits of r's bytes 3, 7, 11 and 15 and the low 2
     * bits of its bytes 4, 8 and 12 are cleared. */
    to_limbs(p->r, load32(key) & 0x0fffffff, load32(key + 4) & 0x0ffffffc, load32(key + 8) & 0x0ffffffc,
             load32(key + 12) & 0x0ffffffc);
    for (int i = 0; i < 5; i++)
        p->h[i] = 0;
    for (int i = 0; i < 4; i++)
        p->s[i] = load32(key + 16 + 4 * i);
}

/* Adds each of n 16-byte blocks to h, with hibit added at bit 128 (HIBIT
 * for a full block, 0 for a short last one that carries its own 1), and
 * multiplies by r. The product is only partly reduced: limbs 0, 2, 3 and
 * 4 end below 2^26 and limb 1 a little above, which leaves the next
 * block's sums and products far from overflowing. */
static void poly_blocks(struct poly *p, const uint8_t *m, size_t n, uint32_t hibit)
{
    const uint64_t r0 = p->r[0], r1 = p->r[1], r2 = p->r[2], r3 = p->r[3], r4 = p->r[4];
    /* 2^130 = 5 (mod p): the part of a product at 2^130 and above comes
     * back to the bottom multiplied by 5. */
    const uint64_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint64_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2], h3 = p->h[3], h4 = p->h[4];

    for (; n > 0; n--, m += 16) {
        uint32_t t0 = load32(m), t1 = load32(m + 4), t2 = load32(m + 8), t3 = load32(m + 12);
        h0 += t0 & M26;
        h1 += (t0 >> 26 | t1 << 6) & M26;
        h2 += (t1 >> 20 | t2 << 12) & M26;
        h3 += (t2 >> 14 | t3 << 18) & M26;
        h4 += t3 >> 8 | hibit;

        uint64_t d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
        uint64_t d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
        uint64_t d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
        uint64_t d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
        uint64_t d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;

        /* Carry each limb into the next; the carry out of limb 4 is at
         * 2^130, so it goes to limb 0 times 5. */
        d1 += d0 >> 26;
        d2 += d1 >> 26;
        d3 += d2 >> 26;
        d4 += d3 >> 26;
        h0 = (d0 & M26) + (d4 >> 26) * 5;
        h1 = (d1 & M26) + (h0 >> 26);
        h0 &= M26;
        h2 = d2 & M26;
        h3 = d3 & M26;
        h4 = d4 & M26;
    }
    p->h[0] = (uint32_t)h0;
    p->h[1] = (uint32_t)h1;
    p->h[2] = (uint32_t)h2;
    p->h[3] = (uint32_t)h3;
    p->h[4] = (uint32_t)h4;
}

/* Writes the tag and clears the state. */
static void poly_finish(struct poly *p, uint8_t tag[16])
{
    uint32_t *h = p->h, g[5], c;

    /* Carry every limb down to 26 bits, wrapping the carry out of limb 4
     * to limb 0 as before, then carry once more without the wrap: limbs 0
     * to 3 are then below 2^26, limb 4 at most 2^26, and h below 2p. */
    for (int i = 0; i < 4; i++) {
        h[i + 1] += h[i] >> 26;
        h[i] &= M26;
    }
    h[0] += (h[4] >> 26) * 5;
    h[4] &= M26;
    for (int i = 0; i < 4; i++) {
        h[i + 1] += h[i] >> 26;
        h[i] &= M26;
    }

    /* h mod p is h - p if h + 5 reaches 2^130, else h. Choose with a mask
     * rather than a branch so that the time does not depend on h. */
    c = 5;
    for (int i = 0; i < 5; i++) {
        g[i] = h[i] + c;
        c = g[i] >> 26;
        g[i] &= M26;
    }
    uint32_t take_g = 0u - c;
    for (int i = 0; i < 5; i++)
        h[i] = (h[i] & ~take_g) | (g[i] & take_g);

    /* Back to four words, plus s, modulo 2^128. */
    uint64_t f = (uint64_t)(h[0] | h[1] << 26) + p->s[0];
    store32(tag, (uint32_t)f);
    f = (uint64_t)(h[1] >> 6 | h[2] << 20) + p->s[1] + (f >> 32);
    store32(tag + 4, (uint32_t)f);
    f = (uint64_t)(h[2] >> 12 | h[3] << 14) + p->s[2] + (f >> 32);
    store32(tag + 8, (uint32_t)f);
    f = (uint64_t)(h[3] >> 18 | h[4] << 8) + p->s[3] + (f >> 32);
    store32(tag + 12, (uint32_t)f);

    wipe(g, sizeof g);
    wipe(p, sizeof *p);
}

#endif

void ly__poly1305(uint8_t tag[16], const uint8_t *msg, size_t len, const uint8_t key[32])
{
    struct poly p;
    size_t rest = len % 16;
    poly_init(&p, key);
    poly_blocks(&p, msg, len / 16, HIBIT);
    if (rest > 0) {
        /* A short last block has its 1 right after its bytes. */
        uint8_t b[16] = {0};
        memcpy(b, msg + len - rest, rest);
        b[rest] = 1;
        poly_blocks(&p, b, 1, 0);
    }
    poly_finish(&p, tag);
}

/* The AEAD (RFC 8439, 2.6 and 2.8). */

/* Feeds len bytes followed by zeros up to a multiple of 16, as the AEAD
 * pads the AD and the ciphertext. Padded, every block is a full one. */
static void poly_padded(struct poly *p, const uint8_t *data, size_t len)
{
    size_t rest = len % 16;
    poly_blocks(p, data, len / 16, HIBIT);
    if (rest > 0) {
        uint8_t b[16] = {0};
        memcpy(b, data + len - rest, rest);
        poly_blocks(p, b, 1, HIBIT);
    }
}

/* The one-time Poly1305 key is the first 32 bytes of key stream block 0;
 * the data is encrypted from block 1 on. The first pass gives both: the
 * key, and in ks + 64 the key stream of the first `first` bytes (at most
 * 192). The rest, if any, takes passes from block 4 on. */
static void aead_init(uint8_t ks[256], uint32_t st[16], struct poly *p, const uint8_t nonce[12],
                      const uint8_t key[32], size_t first)
{
    chacha_init(st, key, nonce, 0);
    chacha_pass(ks, st, 1 + (first + 63) / 64);
    st[12] = 4;
    poly_init(p, ks);
}

/* The tag: Poly1305 over the padded AD, the padded ciphertext, and the
 * two lengths as 64-bit little-endian numbers. */
static void aead_tag(struct poly *p, uint8_t tag[16], const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t len)
{
    uint8_t lens[16];
    poly_padded(p, ad, ad_len);
    poly_padded(p, ct, len);
    store64(lens, (uint64_t)ad_len);
    store64(lens + 8, (uint64_t)len);
    poly_blocks(p, lens, 1, HIBIT);
    poly_finish(p, tag);
}

void ly__aead_seal(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
                   const uint8_t nonce[12], const uint8_t key[32])
{
    uint32_t st[16];
    uint8_t ks[256];
    struct poly p;
    size_t first = len < 192 ? len : 192;
    aead_init(ks, st, &p, nonce, key, first);
    xor_bytes(out, in, ks + 64, first);
    chacha_xor(out + first, in + first, len - first, st, ks);
    aead_tag(&p, out + len, ad, ad_len, out, len);
    wipe(st, sizeof st);
    wipe(ks, sizeof ks);
}

int ly__aead_open(uint8_t *out, const uint8_t *in, size_t len, const uint8_t *ad, size_t ad_len,
                  const uint8_t nonce[12], const uint8_t key[32])
{
    uint32_t st[16];
    uint8_t ks[256], tag[16];
    struct poly p;
    int rc = -1;
    size_t first = len < 192 ? len : 192;
    aead_init(ks, st, &p, nonce, key, first);
    aead_tag(&p, tag, ad, ad_len, in, len);
    /* Every byte is compared, whatever the first difference, so the time
     * does not tell a forger how much of a tag was right. */
    uint32_t diff = 0;
    for (size_t i = 0; i < 16; i++)
        diff |= (uint32_t)(tag[i] ^ in[len + i]);
    if (diff == 0) {
        xor_bytes(out, in, ks + 64, first);
        chacha_xor(out + first, in + first, len - first, st, ks);
        rc = 0;
    }
    wipe(st, sizeof st);
    wipe(ks, sizeof ks);
    wipe(tag, sizeof tag);
    return rc;
}
