/* rng_fill.c — many words of a keyed stream at once: the same words, in the same order, as that
 * many calls of fedc_rng_u32, computed several Philox blocks side by side.
 *
 * Must not change any stream: every block is fedc__philox4x32_10 of the same counter and key
 * (tests/base/test_rng.c compares both ways of drawing word for word, from every offset).
 */
#include <string.h>

#include "base/base_int.h"
#include "fedc/base.h"

/* Blocks computed together. The round function is written over arrays of LANES counters so that
 * gcc -O2 turns each statement into vector instructions (32x32->64-bit multiplies included);
 * one block at a time, each round waits on the one before it. */
enum { LANES = 8 };

#define PHILOX_M0 UINT32_C(0xD2511F53)
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

/* LANES consecutive blocks starting at block number `block`, their words in stream order. */
static void philox_lanes(const fedc_rng *rng, uint64_t block, uint32_t *restrict out) {
    uint32_t c0[LANES], c1[LANES], c2[LANES], c3[LANES];
    for (int l = 0; l < LANES; l++) {
        uint64_t b = block + (uint64_t)l;
        c0[l] = (uint32_t)b;
        c1[l] = (uint32_t)(b >> 32);
        c2[l] = rng->ctr[2];
        c3[l] = rng->ctr[3];
    }
    uint32_t k0 = rng->key[0], k1 = rng->key[1];
    for (int round = 0; round < 10; round++) {
        for (int l = 0; l < LANES; l++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0[l];
            uint64_t p1 = (uint64_t)PHILOX_M1 * c2[l];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0;
            uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
            c1[l] = (uint32_t)p1;
            c3[l] = (uint32_t)p0;
            c0[l] = n0;
            c2[l] = n2;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    for (int l = 0; l < LANES; l++) {
        out[4 * l + 0] = c0[l];
        out[4 * l + 1] = c1[l];
        out[4 * l + 2] = c2[l];
        out[4 * l + 3] = c3[l];
    }
}

static uint64_t next_block(const fedc_rng *rng) {
    return (uint64_t)rng->ctr[0] | ((uint64_t)rng->ctr[1] << 32);
}

void fedc_rng_fill_u32(fedc_rng *rng, uint32_t *out, size_t n) {
    size_t i = 0;
    /* The rest of the current block first, as single draws would take it. */
    while (i < n && rng->used < 4)
        out[i++] = rng->out[rng->used++];
    /* Whole groups of blocks; the stream then stands after the last one, all of it used. */
    uint64_t block = next_block(rng);
    size_t groups = 0;
    for (; n - i >= 4 * (size_t)LANES; i += 4 * (size_t)LANES, groups++)
        philox_lanes(rng, block + groups * LANES, out + i);
    if (groups > 0) {
        block += groups * LANES;
        rng->ctr[0] = (uint32_t)block;
        rng->ctr[1] = (uint32_t)(block >> 32);
        /* out[] must hold the last block drawn, as after single draws. */
        memcpy(rng->out, out + i - 4, sizeof rng->out);
        rng->used = 4;
    }
    /* The tail, word by word. */
    for (; i < n; i++)
        out[i] = fedc_rng_u32(rng);
}

void fedc_rng_fill_uniform(fedc_rng *rng, float *out, size_t n) {
    /* Words in chunks on the stack, each converted as fedc_rng_uniform converts it (exactly). */
    enum { CHUNK = 256 };
    uint32_t words[CHUNK];
    for (size_t i = 0; i < n; i += CHUNK) {
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        fedc_rng_fill_u32(rng, words, m);
        for (size_t j = 0; j < m; j++)
            out[i + j] = (float)(words[j] >> 8) * 0x1p-24f;
    }
}
