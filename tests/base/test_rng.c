/* test_rng.c — Philox streams: the block function against Random123's known answers, stream
 * naming, seeking, the pinned output of one stream, and the distributions.
 *
 * Statistical checks use bounds of about six standard deviations around the exact expectation,
 * so a correct generator fails them with probability < 1e-8 for any --seed.
 */
#include <math.h>
#include <string.h>

#include "base/base_int.h"
#include "harness/harness.h"

#define DRAWS 100000

TEST(philox_block_matches_random123_known_answers) {
    static const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t t = 0; t < sizeof kat / sizeof kat[0]; t++) {
        uint32_t out[4];
        fedc__philox4x32_10(kat[t].ctr, kat[t].key, out);
        for (int i = 0; i < 4; i++)
            ASSERT_EQ(out[i], kat[t].out[i]);
    }
}

/* If this fails, the stream changed: every seeded experiment and fixture changes with it. */
TEST(golden_stream_is_pinned) {
    static const uint32_t want[8] = {0xe86d4275, 0x85c37edd, 0x9f444260, 0x4ef887fe,
                                     0x8e69a940, 0x6d5fa8a9, 0xdfd1696d, 0xc01733fb};
    fedc_rng r = FEDC_RNG(42, 1, 2, 3);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ(fedc_rng_u32(&r), want[i]);

    r = FEDC_RNG(42, 1, 2, 3);
    ASSERT_EQ(fedc_rng_u64(&r), UINT64_C(0x85c37edde86d4275));
    r = FEDC_RNG(42, 1, 2, 3);
    ASSERT_EQ(fedc_rng_below(&r, 1000), 907u);
    ASSERT_EQ(fedc_rng_below(&r, 1000), 522u);
    ASSERT_EQ(fedc_rng_below(&r, 1000), 622u);
    r = FEDC_RNG(42, 1, 2, 3);
    ASSERT_EQ(fedc_rng_uniform(&r), (float)(0xe86d4275u >> 8) * 0x1p-24f);
    ASSERT_EQ(fedc_rng_uniform_double(&r), 0x1.3e8884c10b86fp-1);
    /* libm's log/sin/cos may differ in the last bit between platforms. */
    r = FEDC_RNG(42, 1, 2, 3);
    ASSERT_NEAR(fedc_rng_normal(&r), -0.43678826314200697, 1e-15);
    ASSERT_NEAR(fedc_rng_normal(&r), 1.1347502129486502, 1e-15);
    r = FEDC_RNG(42, 1, 2, 3);
    int64_t perm[8];
    static const int64_t want_perm[8] = {0, 5, 4, 2, 1, 6, 3, 7};
    fedc_rng_permutation(&r, perm, 8);
    for (int i = 0; i < 8; i++)
        ASSERT_EQ(perm[i], want_perm[i]);
}

TEST(same_name_same_stream) {
    uint64_t keys[3] = {7, 8, 9};
    fedc_rng a, b;
    fedc_rng_init(&a, 123, 3, keys);
    b = fedc_rng_make(123, 3, keys);
    fedc_rng c = FEDC_RNG(123, 7, 8, 9);
    for (int i = 0; i < 1000; i++) {
        uint32_t x = fedc_rng_u32(&a);
        ASSERT_EQ(fedc_rng_u32(&b), x);
        ASSERT_EQ(fedc_rng_u32(&c), x);
    }
}

/* The first 4 words of each stream, for comparisons between names. */
static void head4(fedc_rng r, uint32_t out[4]) {
    for (int i = 0; i < 4; i++)
        out[i] = fedc_rng_u32(&r);
}

TEST(different_names_different_streams) {
    uint64_t zeros[FEDC_RNG_MAX_KEYS] = {0};
    enum { NSTREAMS = 14 };
    fedc_rng s[NSTREAMS];
    int k = 0;
    /* lists that differ only in length */
    for (size_t len = 0; len <= FEDC_RNG_MAX_KEYS; len++)
        fedc_rng_init(&s[k++], 0, len, zeros);
    s[k++] = FEDC_RNG(1, 2);
    s[k++] = FEDC_RNG(2, 1); /* seed and key swapped */
    s[k++] = FEDC_RNG(1, 2, 3);
    s[k++] = FEDC_RNG(1, 3, 2); /* keys swapped */
    s[k++] = FEDC_RNG(1, 2, 3, FEDC_RNG_PURPOSE_INIT);
    s[k++] = FEDC_RNG(1, 2, 3, FEDC_RNG_PURPOSE_DROPOUT);
    s[k++] = FEDC_RNG(1, 2, 4);
    ASSERT_EQ(k, NSTREAMS);
    uint32_t h[NSTREAMS][4];
    for (int i = 0; i < NSTREAMS; i++)
        head4(s[i], h[i]);
    for (int i = 0; i < NSTREAMS; i++)
        for (int j = i + 1; j < NSTREAMS; j++)
            if (memcmp(h[i], h[j], sizeof h[i]) == 0) FAIL("streams %d and %d coincide", i, j);
}

TEST(seek_equals_drawing) {
    uint64_t seed = fedc_test_seed();
    for (uint64_t i = 0; i < 40; i++) {
        fedc_rng drawn = FEDC_RNG(seed, 5, FEDC_RNG_PURPOSE_TEST);
        fedc_rng sought = drawn;
        for (uint64_t k = 0; k < i; k++)
            fedc_rng_u32(&drawn);
        fedc_rng_seek(&sought, i);
        for (int k = 0; k < 9; k++)
            ASSERT_EQ(fedc_rng_u32(&sought), fedc_rng_u32(&drawn));
    }
    /* backwards, and far ahead across the 32-bit boundary of the block counter */
    fedc_rng r = FEDC_RNG(seed, 5, FEDC_RNG_PURPOSE_TEST);
    uint32_t first = fedc_rng_u32(&r);
    fedc_rng_seek(&r, 0);
    ASSERT_EQ(fedc_rng_u32(&r), first);
    uint64_t far = (UINT64_C(1) << 34) - 3; /* block 2^32 - 1, word 1 */
    fedc_rng a = r, b = r;
    fedc_rng_seek(&a, far);
    fedc_rng_seek(&b, far - 1);
    fedc_rng_u32(&b);
    for (int k = 0; k < 12; k++)
        ASSERT_EQ(fedc_rng_u32(&a), fedc_rng_u32(&b));
    /* seeking drops a cached normal: the next normal comes from the new position */
    fedc_rng n1 = FEDC_RNG(seed, 6), n2 = n1;
    fedc_rng_normal(&n1);
    fedc_rng_seek(&n1, 0);
    ASSERT_EQ(fedc_rng_normal(&n1), fedc_rng_normal(&n2));
}

TEST(u64_is_two_words_low_first) {
    fedc_rng a = FEDC_RNG(fedc_test_seed(), 11), b = a;
    for (int i = 0; i < 100; i++) {
        uint64_t lo = fedc_rng_u32(&b);
        uint64_t hi = fedc_rng_u32(&b);
        ASSERT_EQ(fedc_rng_u64(&a), lo | hi << 32);
    }
}

TEST(uniform_in_range_with_mean_one_half) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 12);
    double sum_f = 0, sum_d = 0;
    for (int i = 0; i < DRAWS; i++) {
        float f = fedc_rng_uniform(&r);
        double d = fedc_rng_uniform_double(&r);
        if (!(f >= 0.0f && f < 1.0f)) FAIL("uniform draw %d = %.9g", i, (double)f);
        if (!(d >= 0.0 && d < 1.0)) FAIL("uniform_double draw %d = %.17g", i, d);
        /* exactly 24 and 53 random bits */
        ASSERT_EQ(f * 0x1p24f, floorf(f * 0x1p24f));
        ASSERT_EQ(d * 0x1p53, floor(d * 0x1p53));
        sum_f += f;
        sum_d += d;
    }
    double sd = sqrt(1.0 / 12.0 / DRAWS);
    ASSERT_NEAR(sum_f / DRAWS, 0.5, 6 * sd);
    ASSERT_NEAR(sum_d / DRAWS, 0.5, 6 * sd);
}

TEST(normal_moments) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 13);
    double sum = 0, sum2 = 0, sum4 = 0;
    int beyond2 = 0;
    for (int i = 0; i < DRAWS; i++) {
        double x = fedc_rng_normal(&r);
        if (!isfinite(x)) FAIL("normal draw %d is %g", i, x);
        sum += x;
        sum2 += x * x;
        sum4 += x * x * x * x;
        beyond2 += fabs(x) > 2.0;
    }
    double mean = sum / DRAWS, var = sum2 / DRAWS - mean * mean;
    ASSERT_NEAR(mean, 0.0, 6 * sqrt(1.0 / DRAWS));
    ASSERT_NEAR(var, 1.0, 6 * sqrt(2.0 / DRAWS));
    /* the tails: E[x^4] = 3 (sd of the estimate sqrt(96/n)); P(|x| > 2) = 0.0455 */
    ASSERT_NEAR(sum4 / DRAWS, 3.0, 6 * sqrt(96.0 / DRAWS));
    ASSERT_NEAR((double)beyond2 / DRAWS, 0.0455, 6 * sqrt(0.0455 * 0.9545 / DRAWS));
}

TEST(normal_caches_the_second_value) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 14), words = r;
    fedc_rng_normal(&r);
    fedc_rng_normal(&r);
    /* one pair takes two doubles, i.e. four words */
    fedc_rng_seek(&words, 4);
    ASSERT_EQ(fedc_rng_u32(&r), fedc_rng_u32(&words));
}

TEST(below_is_in_range_and_uniform) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 15);
    ASSERT_EQ(fedc_rng_below(&r, 0), 0u);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(fedc_rng_below(&r, 1), 0u);

    enum { K = 10 };
    long count[K] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = fedc_rng_below(&r, K);
        ASSERT_LT(v, (uint64_t)K);
        count[v]++;
    }
    double expect = (double)DRAWS / K, chi2 = 0;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - expect) * (count[k] - expect) / expect;
    /* 9 degrees of freedom: mean 9, P(chi2 > 50) < 1e-7 */
    ASSERT_LT(chi2, 50.0);

    static const uint64_t bounds[] = {3,
                                      1000,
                                      UINT64_C(0xFFFFFFFF),
                                      UINT64_C(0x100000000),
                                      UINT64_C(0x100000001),
                                      UINT64_C(0x8000000000000001),
                                      UINT64_MAX};
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++)
        for (int i = 0; i < 2000; i++)
            ASSERT_LT(fedc_rng_below(&r, bounds[b]), bounds[b]);
}

/* With n = 3 * 2^(k-2) on k-bit words, `x % n` puts half the draws below 2^(k-2) instead of a
 * third: a direct check for modulo bias on both the 32- and 64-bit paths. */
TEST(below_has_no_modulo_bias) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 16);
    const uint64_t n32 = UINT64_C(3) << 30, n64 = UINT64_C(3) << 62;
    long low32 = 0, low64 = 0;
    for (int i = 0; i < DRAWS; i++) {
        low32 += fedc_rng_below(&r, n32) < (UINT64_C(1) << 30);
        low64 += fedc_rng_below(&r, n64) < (UINT64_C(1) << 62);
    }
    double tol = 6 * sqrt((1.0 / 3) * (2.0 / 3) / DRAWS);
    ASSERT_NEAR((double)low32 / DRAWS, 1.0 / 3, tol);
    ASSERT_NEAR((double)low64 / DRAWS, 1.0 / 3, tol);
}

TEST(bernoulli_rate) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 17);
    long hits = 0;
    for (int i = 0; i < DRAWS; i++)
        hits += fedc_rng_bernoulli(&r, 0.3);
    ASSERT_NEAR((double)hits / DRAWS, 0.3, 6 * sqrt(0.3 * 0.7 / DRAWS));
    for (int i = 0; i < 1000; i++) {
        ASSERT_FALSE(fedc_rng_bernoulli(&r, 0.0));
        ASSERT_FALSE(fedc_rng_bernoulli(&r, -1.0));
        ASSERT_FALSE(fedc_rng_bernoulli(&r, NAN));
        ASSERT_TRUE(fedc_rng_bernoulli(&r, 1.0));
        ASSERT_TRUE(fedc_rng_bernoulli(&r, 2.0));
    }
    /* every call takes one double, whatever p, so positions do not depend on p */
    fedc_rng a = FEDC_RNG(1, 2), b = a;
    fedc_rng_bernoulli(&a, 0.0);
    fedc_rng_bernoulli(&a, 1.0);
    fedc_rng_seek(&b, 4);
    ASSERT_EQ(fedc_rng_u32(&a), fedc_rng_u32(&b));
}

TEST(categorical_frequencies) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 18);
    const double w[5] = {1.0, 0.0, 3.0, 6.0, 0.0};
    long count[6] = {0};
    for (int i = 0; i < DRAWS; i++) {
        size_t k = fedc_rng_categorical(&r, w, 5);
        ASSERT_LT(k, (size_t)5);
        count[k]++;
    }
    ASSERT_EQ(count[1], 0);
    ASSERT_EQ(count[4], 0);
    for (int k = 0; k < 5; k++) {
        double p = w[k] / 10.0;
        ASSERT_NEAR((double)count[k] / DRAWS, p, 6 * sqrt(p * (1 - p) / DRAWS));
    }
    const double one[3] = {0.0, 2.5, 0.0};
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(fedc_rng_categorical(&r, one, 3), (size_t)1);
}

TEST(categorical_rejects_bad_weights) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 19);
    const double negative[3] = {1.0, -0.5, 1.0};
    const double zeros[3] = {0.0, 0.0, 0.0};
    const double nan[3] = {1.0, NAN, 1.0};
    const double inf[3] = {1.0, INFINITY, 1.0};
    const double overflow[2] = {1e308, 1e308};
    ASSERT_EQ(fedc_rng_categorical(&r, negative, 3), (size_t)3);
    ASSERT_EQ(fedc_rng_categorical(&r, zeros, 3), (size_t)3);
    ASSERT_EQ(fedc_rng_categorical(&r, nan, 3), (size_t)3);
    ASSERT_EQ(fedc_rng_categorical(&r, inf, 3), (size_t)3);
    ASSERT_EQ(fedc_rng_categorical(&r, overflow, 2), (size_t)2);
    ASSERT_EQ(fedc_rng_categorical(&r, NULL, 0), (size_t)0);
}

TEST(permutation_is_a_permutation) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 20);
    enum { N = 1000 };
    static int64_t perm[N];
    static unsigned char seen[N];
    fedc_rng_permutation(&r, perm, N);
    int fixed = 0;
    for (int i = 0; i < N; i++) {
        ASSERT_GE(perm[i], 0);
        ASSERT_LT(perm[i], N);
        ASSERT_EQ(seen[perm[i]], 0);
        seen[perm[i]] = 1;
        fixed += perm[i] == i;
    }
    /* fixed points of a random permutation are ~Poisson(1): 20 has probability ~1e-19 */
    ASSERT_LT(fixed, 20);
    fedc_rng_permutation(&r, perm, 0);
    fedc_rng_permutation(&r, perm, 1);
    ASSERT_EQ(perm[0], 0);
}

TEST(shuffle_keeps_elements_and_matches_permutation) {
    typedef struct {
        int32_t id;
        char pad[9];
    } item;
    enum { N = 257 };
    static item items[N];
    static int64_t perm[N];
    for (int i = 0; i < N; i++) {
        items[i].id = i;
        memset(items[i].pad, i & 0x7f, sizeof items[i].pad);
    }
    fedc_rng a = FEDC_RNG(fedc_test_seed(), 21), b = a;
    fedc_rng_shuffle(&a, items, N, sizeof(item));
    fedc_rng_permutation(&b, perm, N);
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(items[i].id, perm[i]);
        for (size_t k = 0; k < sizeof items[i].pad; k++)
            ASSERT_EQ(items[i].pad[k], perm[i] & 0x7f);
    }
    /* elements wider than the internal swap buffer */
    static double rows[5][20];
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 20; j++)
            rows[i][j] = i * 100 + j;
    fedc_rng c = FEDC_RNG(fedc_test_seed(), 22), d = c;
    fedc_rng_shuffle(&c, rows, 5, sizeof rows[0]);
    fedc_rng_permutation(&d, perm, 5);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 20; j++)
            ASSERT_EQ(rows[i][j], (double)(perm[i] * 100 + j));
}

TEST(shuffle_is_uniform_over_permutations) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), 23);
    enum { ROUNDS = 60000 };
    long count[27] = {0};
    for (int i = 0; i < ROUNDS; i++) {
        int v[3] = {0, 1, 2};
        fedc_rng_shuffle(&r, v, 3, sizeof v[0]);
        count[v[0] * 9 + v[1] * 3 + v[2]]++;
    }
    int distinct = 0;
    double expect = ROUNDS / 6.0;
    for (int k = 0; k < 27; k++) {
        if (!count[k]) continue;
        distinct++;
        ASSERT_NEAR((double)count[k], expect, 6 * sqrt(expect * 5.0 / 6.0));
    }
    ASSERT_EQ(distinct, 6);
}

/* The bulk draws against single draws: every starting offset within a block, lengths across the
 * group size of the bulk path, the stream position afterwards, and the 32-bit counter carry. */
TEST(fill_equals_single_draws) {
    uint64_t seed = fedc_test_seed();
    static const size_t lengths[] = {0, 1, 3, 4, 5, 31, 32, 33, 64, 100, 257, 1000};
    uint32_t bulk[1000], single[1000];
    for (uint64_t start = 0; start < 8; start++)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            size_t n = lengths[li];
            fedc_rng a = FEDC_RNG(seed, 9, FEDC_RNG_PURPOSE_TEST);
            fedc_rng_seek(&a, start);
            fedc_rng b = a;
            fedc_rng_fill_u32(&a, bulk, n);
            for (size_t i = 0; i < n; i++)
                single[i] = fedc_rng_u32(&b);
            for (size_t i = 0; i < n; i++)
                if (bulk[i] != single[i])
                    FAIL("start %llu, n %zu: word %zu is %u, single draws give %u",
                         (unsigned long long)start, n, i, bulk[i], single[i]);
            /* the whole state, so that a copy of the stream also goes on the same way */
            ASSERT_EQ(memcmp(&a, &b, sizeof a), 0);
            for (int k = 0; k < 9; k++)
                ASSERT_EQ(fedc_rng_u32(&a), fedc_rng_u32(&b));
        }
    fedc_rng a = FEDC_RNG(seed, 9, FEDC_RNG_PURPOSE_TEST);
    fedc_rng_seek(&a, (UINT64_C(1) << 34) - 50); /* 50 words before block 2^32 */
    fedc_rng b = a;
    fedc_rng_fill_u32(&a, bulk, 200);
    for (size_t i = 0; i < 200; i++)
        ASSERT_EQ(bulk[i], fedc_rng_u32(&b));
    ASSERT_EQ(fedc_rng_u64(&a), fedc_rng_u64(&b));
}

TEST(fill_uniform_equals_single_draws) {
    fedc_rng a = FEDC_RNG(fedc_test_seed(), 10, FEDC_RNG_PURPOSE_TEST);
    fedc_rng_u32(&a);
    fedc_rng b = a;
    float bulk[700];
    fedc_rng_fill_uniform(&a, bulk, 700);
    for (int i = 0; i < 700; i++) {
        float u = fedc_rng_uniform(&b);
        if (memcmp(&bulk[i], &u, sizeof u) != 0)
            FAIL("value %d: %a, single draw %a", i, bulk[i], u);
    }
    ASSERT_EQ(fedc_rng_u32(&a), fedc_rng_u32(&b));
}
