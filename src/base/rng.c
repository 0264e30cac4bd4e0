/* rng.c — keyed random streams on Philox-4x32-10 (Salmon et al., SC'11; constants as in
 * Random123).
 *
 * The n-th word of a stream is a pure function of (seed, keys, n): no global state, no time, no
 * platform-dependent arithmetic. Changing anything here changes every stream in every saved
 * experiment, so the golden test in tests/base/test_rng.c pins the output; do not "fix" it.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "base/base_int.h"
#include "fedc/base.h"

#define PHILOX_M0 UINT32_C(0xD2511F53)
#define PHILOX_M1 UINT32_C(0xCD9E8D57)
#define PHILOX_W0 UINT32_C(0x9E3779B9)
#define PHILOX_W1 UINT32_C(0xBB67AE85)

void fedc__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* splitmix64's finalizer: a bijection on 64 bits with full avalanche. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Two chains with different constants give 128 bits of stream name (64 for the Philox key, 64
 * for the upper counter words), so two different key lists collide with probability ~2^-128.
 * The chains start from nkeys, so (seed) and (seed, 0) are different streams, and each step
 * is a bijection of its input, so for a fixed length the last key is never lost. */
static void absorb(uint64_t *a, uint64_t *b, uint64_t v) {
    *a = mix64(*a ^ v);
    *b = mix64(*b + (v * UINT64_C(0x9FB21C651E98DF25) + UINT64_C(0x2545F4914F6CDD1D)));
}

void fedc_rng_init(fedc_rng *rng, uint64_t seed, size_t nkeys, const uint64_t *keys) {
    assert(rng);
    assert(nkeys <= FEDC_RNG_MAX_KEYS);
    assert(nkeys == 0 || keys);
    uint64_t a = mix64(UINT64_C(0x243F6A8885A308D3) + (uint64_t)nkeys);
    uint64_t b = mix64(UINT64_C(0x13198A2E03707344) ^ ((uint64_t)nkeys << 56));
    absorb(&a, &b, seed);
    for (size_t i = 0; i < nkeys; i++)
        absorb(&a, &b, keys[i]);
    memset(rng, 0, sizeof *rng);
    rng->key[0] = (uint32_t)a;
    rng->key[1] = (uint32_t)(a >> 32);
    rng->ctr[2] = (uint32_t)b;
    rng->ctr[3] = (uint32_t)(b >> 32);
    rng->used = 4;
}

fedc_rng fedc_rng_make(uint64_t seed, size_t nkeys, const uint64_t *keys) {
    fedc_rng rng;
    fedc_rng_init(&rng, seed, nkeys, keys);
    return rng;
}

/* ctr[0..1] always names the next block to generate; out[] holds the previous one. */
static void refill(fedc_rng *rng) {
    fedc__philox4x32_10(rng->ctr, rng->key, rng->out);
    if (++rng->ctr[0] == 0) ++rng->ctr[1];
    rng->used = 0;
}

void fedc_rng_seek(fedc_rng *rng, uint64_t index) {
    uint64_t block = index >> 2;
    rng->ctr[0] = (uint32_t)block;
    rng->ctr[1] = (uint32_t)(block >> 32);
    rng->used = 4;
    /* A cached normal belongs to the old position. */
    rng->has_spare_normal = 0;
    rng->spare_normal = 0.0;
    if (index & 3) {
        refill(rng);
        rng->used = (int)(index & 3);
    }
}

uint32_t fedc_rng_u32(fedc_rng *rng) {
    if (rng->used >= 4) refill(rng);
    return rng->out[rng->used++];
}

/* The first word is the low half. */
uint64_t fedc_rng_u64(fedc_rng *rng) {
    uint64_t lo = fedc_rng_u32(rng);
    uint64_t hi = fedc_rng_u32(rng);
    return lo | (hi << 32);
}

/* 64x64 -> 128-bit product in portable C (no __int128 under -Wpedantic). */
static uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* Lemire's multiply-and-reject (ACM TOMS 2019): unbiased, and rejects only when the low half
 * falls under 2^k mod n. Bounds up to 2^32 use one word per try so small ranges stay cheap. */
uint64_t fedc_rng_below(fedc_rng *rng, uint64_t n) {
    if (n == 0) return 0;
    if (n <= UINT64_C(0x100000000)) {
        uint64_t m = (uint64_t)fedc_rng_u32(rng) * n;
        if ((uint32_t)m < n) {
            uint64_t threshold = (UINT64_C(1) << 32) % n;
            while ((uint32_t)m < threshold)
                m = (uint64_t)fedc_rng_u32(rng) * n;
        }
        return m >> 32;
    }
    uint64_t lo;
    uint64_t hi = mul_64x64(fedc_rng_u64(rng), n, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold)
            hi = mul_64x64(fedc_rng_u64(rng), n, &lo);
    }
    return hi;
}

/* Both conversions are exact: the integer fits the significand and the scale is a power of 2. */
float fedc_rng_uniform(fedc_rng *rng) { return (float)(fedc_rng_u32(rng) >> 8) * 0x1p-24f; }

double fedc_rng_uniform_double(fedc_rng *rng) {
    return (double)(fedc_rng_u64(rng) >> 11) * 0x1p-53;
}

double fedc_rng_normal(fedc_rng *rng) {
    if (rng->has_spare_normal) {
        rng->has_spare_normal = 0;
        return rng->spare_normal;
    }
    double u1 = fedc_rng_uniform_double(rng);
    double u2 = fedc_rng_uniform_double(rng);
    /* 1 - u1 lies in (0, 1], so the log is finite. */
    double r = sqrt(-2.0 * log(1.0 - u1));
    double theta = 6.283185307179586 * u2;
    rng->spare_normal = r * sin(theta);
    rng->has_spare_normal = 1;
    return r * cos(theta);
}

/* Always draws, so that where a stream stands afterwards does not depend on p. */
bool fedc_rng_bernoulli(fedc_rng *rng, double p) {
    double u = fedc_rng_uniform_double(rng);
    if (!(p > 0.0)) return false;
    if (p >= 1.0) return true;
    return u < p;
}

size_t fedc_rng_categorical(fedc_rng *rng, const double *weights, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(weights[i] >= 0.0)) return n; /* negative or NaN */
        sum += weights[i];
    }
    if (!(sum > 0.0) || !isfinite(sum)) return n;
    double u = fedc_rng_uniform_double(rng) * sum;
    /* The running sum repeats the one above exactly, so u < sum guarantees a hit up to rounding
     * of u * sum; `last` covers that rounding and never names a zero weight. */
    double acc = 0.0;
    size_t last = n;
    for (size_t i = 0; i < n; i++) {
        if (weights[i] > 0.0) {
            acc += weights[i];
            last = i;
            if (u < acc) return i;
        }
    }
    return last;
}

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size) {
    unsigned char tmp[64];
    while (size > 0) {
        size_t k = size < sizeof tmp ? size : sizeof tmp;
        memcpy(tmp, a, k);
        memcpy(a, b, k);
        memcpy(b, tmp, k);
        a += k;
        b += k;
        size -= k;
    }
}

void fedc_rng_shuffle(fedc_rng *rng, void *base, size_t n, size_t size) {
    unsigned char *bytes = base;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)fedc_rng_below(rng, i);
        if (j != i - 1) swap_bytes(bytes + (i - 1) * size, bytes + j * size, size);
    }
}

/* The same draws as fedc_rng_shuffle on the identity, so either can replace the other. */
void fedc_rng_permutation(fedc_rng *rng, int64_t *perm, size_t n) {
    for (size_t i = 0; i < n; i++)
        perm[i] = (int64_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)fedc_rng_below(rng, i);
        int64_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}
