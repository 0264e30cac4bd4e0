/* test_arena.c — arenas: alignment, distinct memory, marks, reuse of blocks without malloc,
 * the used and high-water figures, and failures that leave the arena unchanged. */
#include <stdint.h>
#include <string.h>

#include "harness/harness.h"

TEST(alignment_up_to_4096) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 1024, &a));
    for (int round = 0; round < 3; round++) {
        for (size_t align = 1; align <= 4096; align *= 2) {
            for (size_t size = 0; size < 40; size += 13) {
                void *p = fedc_arena_alloc(a, size, align);
                ASSERT_NOT_NULL(p);
                ASSERT_EQ((uintptr_t)p % align, 0u);
            }
        }
        void *p = fedc_arena_alloc(a, 3, 0);
        ASSERT_NOT_NULL(p);
        ASSERT_EQ((uintptr_t)p % 16, 0u); /* 0 means 16 */
        fedc_arena_reset(a);
    }
    fedc_arena_destroy(a);
    fedc_arena_destroy(NULL);
}

TEST(allocations_do_not_overlap) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 256, &a));
    enum { N = 300 };
    unsigned char *ptr[N];
    size_t len[N];
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST);
    for (int i = 0; i < N; i++) {
        len[i] = (size_t)fedc_rng_below(&r, 600); /* some larger than a block */
        size_t align = (size_t)1 << fedc_rng_below(&r, 8);
        ptr[i] = fedc_arena_alloc(a, len[i], align);
        ASSERT_NOT_NULL(ptr[i]);
        memset(ptr[i], i & 0xff, len[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k++)
            ASSERT_EQ(ptr[i][k], (unsigned char)(i & 0xff));
    fedc_arena_destroy(a);
}

TEST(zero_size_requests_are_unique) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 64, &a));
    void *p[200];
    for (int i = 0; i < 200; i++) {
        p[i] = fedc_arena_alloc(a, 0, 1);
        ASSERT_NOT_NULL(p[i]);
        for (int j = 0; j < i; j++)
            ASSERT_NE(p[i], p[j]);
    }
    fedc_arena_destroy(a);
}

TEST(calloc_zeroes_and_checks_overflow) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 4096, &a));
    fedc_arena_mark m = fedc_arena_mark_get(a);
    unsigned char *dirty = fedc_arena_alloc(a, 1000, 16);
    ASSERT_NOT_NULL(dirty);
    memset(dirty, 0xAB, 1000);
    fedc_arena_rewind(a, m);
    size_t before = fedc_arena_used(a);
    int *z = fedc_arena_calloc(a, 250, sizeof(int), 16);
    ASSERT_PTR_EQ(z, dirty); /* the same bytes, handed out again */
    for (int i = 0; i < 250; i++)
        ASSERT_EQ(z[i], 0);
    size_t used = fedc_arena_used(a);
    ASSERT_GT(used, before);
    ASSERT_NULL(fedc_arena_calloc(a, SIZE_MAX / 2 + 1, 2, 16));
    ASSERT_NULL(fedc_arena_alloc(a, SIZE_MAX - 8, 16));
    ASSERT_EQ(fedc_arena_used(a), used);
    fedc_arena_destroy(a);
}

TEST(mark_and_rewind) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 128, &a));
    fedc_arena_mark start = fedc_arena_mark_get(a);
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 40, 8));
    fedc_arena_mark m = fedc_arena_mark_get(a);
    size_t used_at_m = fedc_arena_used(a);
    void *first[20];
    for (int i = 0; i < 20; i++)
        first[i] = fedc_arena_alloc(a, 50, 8); /* several blocks */
    size_t used_after = fedc_arena_used(a);
    ASSERT_GT(used_after, used_at_m);
    fedc_arena_rewind(a, m);
    ASSERT_EQ(fedc_arena_used(a), used_at_m);
    /* the same sequence of requests gets the same memory back */
    for (int i = 0; i < 20; i++)
        ASSERT_PTR_EQ(fedc_arena_alloc(a, 50, 8), first[i]);
    ASSERT_EQ(fedc_arena_used(a), used_after);
    /* a nested mark inside a later block */
    fedc_arena_mark inner = fedc_arena_mark_get(a);
    void *x = fedc_arena_alloc(a, 10, 8);
    size_t used_x = fedc_arena_used(a);
    ASSERT_GE(used_x, used_after + 10);
    fedc_arena_rewind(a, inner);
    ASSERT_PTR_EQ(fedc_arena_alloc(a, 10, 8), x);
    fedc_arena_rewind(a, start);
    ASSERT_EQ(fedc_arena_used(a), 0u);
    ASSERT_EQ(fedc_arena_high_water(a), used_x);
    fedc_arena_destroy(a);
}

TEST(used_and_high_water) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    ASSERT_EQ(fedc_arena_used(a), 0u);
    ASSERT_EQ(fedc_arena_high_water(a), 0u);
    /* 16-byte multiples at the default alignment: no padding to account for */
    for (int i = 0; i < 10; i++)
        ASSERT_NOT_NULL(fedc_arena_alloc(a, 32, 0));
    ASSERT_EQ(fedc_arena_used(a), 320u);
    fedc_arena_reset(a);
    ASSERT_EQ(fedc_arena_used(a), 0u);
    ASSERT_EQ(fedc_arena_high_water(a), 320u);
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 100, 0));
    ASSERT_GE(fedc_arena_used(a), 100u);
    ASSERT_EQ(fedc_arena_high_water(a), 320u);
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 1000, 0));
    ASSERT_GE(fedc_arena_high_water(a), 1100u);
    ASSERT_EQ(fedc_arena_high_water(a), fedc_arena_used(a));
    fedc_arena_destroy(a);
}

static void fill_round(fedc_arena *a, void **ptrs) {
    for (int i = 0; i < 50; i++)
        ptrs[i] = fedc_arena_alloc(a, 100 + (size_t)i * 7, 32);
    ptrs[50] = fedc_arena_alloc(a, 10000, 64); /* larger than a block: its own block */
    for (int i = 51; i < 60; i++)
        ptrs[i] = fedc_arena_alloc(a, 64, 4096);
}

TEST(reset_reuses_blocks_without_malloc) {
    fedc_test_alloc_begin(0, false);
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 1024, &a));
    void *p1[60], *p2[60];
    fill_round(a, p1);
    for (int i = 0; i < 60; i++)
        ASSERT_NOT_NULL(p1[i]);
    long after_first = fedc_test_alloc_count();
    ASSERT_GT(after_first, 2); /* several blocks, one of them oversized */
    size_t hw = fedc_arena_high_water(a);
    for (int round = 0; round < 5; round++) {
        fedc_arena_reset(a);
        fill_round(a, p2);
        ASSERT_EQ(fedc_test_alloc_count(), after_first);
        for (int i = 0; i < 60; i++)
            ASSERT_PTR_EQ(p2[i], p1[i]);
        ASSERT_EQ(fedc_arena_high_water(a), hw);
    }
    fedc_arena_destroy(a);
    long left = fedc_test_alloc_outstanding();
    fedc_test_alloc_end();
    ASSERT_EQ(left, 0);
}

TEST(large_request_gets_its_own_block_and_is_reused) {
    fedc_test_alloc_begin(0, false);
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 1024, &a));
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 100, 0));
    long n1 = fedc_test_alloc_count();
    unsigned char *big = fedc_arena_alloc(a, 100000, 0);
    ASSERT_NOT_NULL(big);
    memset(big, 1, 100000);
    ASSERT_EQ(fedc_test_alloc_count(), n1 + 1);
    fedc_arena_reset(a);
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 100, 0));
    ASSERT_PTR_EQ(fedc_arena_alloc(a, 100000, 0), big);
    /* after a reset, small requests may fill the big block too, but nothing is allocated */
    fedc_arena_reset(a);
    for (int i = 0; i < 100; i++)
        ASSERT_NOT_NULL(fedc_arena_alloc(a, 1000, 0));
    ASSERT_EQ(fedc_test_alloc_count(), n1 + 1);
    fedc_arena_destroy(a);
    long left = fedc_test_alloc_outstanding();
    fedc_test_alloc_end();
    ASSERT_EQ(left, 0);
}

TEST(failed_allocation_leaves_arena_unchanged) {
    fedc_test_alloc_begin(0, false);
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 256, &a));
    void *p = fedc_arena_alloc(a, 200, 8);
    ASSERT_NOT_NULL(p);
    size_t used = fedc_arena_used(a), hw = fedc_arena_high_water(a);
    fedc_arena_mark m = fedc_arena_mark_get(a);
    fedc_test_alloc_end();

    fedc_test_alloc_begin(1, true);           /* every allocation fails from now on */
    ASSERT_NULL(fedc_arena_alloc(a, 100, 8)); /* does not fit the first block */
    ASSERT_NULL(fedc_arena_alloc(a, 5000, 8));
    ASSERT_TRUE(fedc_test_alloc_failed());
    fedc_test_alloc_end();
    ASSERT_EQ(fedc_arena_used(a), used);
    ASSERT_EQ(fedc_arena_high_water(a), hw);
    fedc_arena_mark m2 = fedc_arena_mark_get(a);
    ASSERT_PTR_EQ(m2.block, m.block);
    ASSERT_EQ(m2.used, m.used);
    /* what still fits is still served */
    ASSERT_NOT_NULL(fedc_arena_alloc(a, 8, 8));

    /* and the arena recovers once memory is back */
    fedc_test_alloc_begin(0, false);
    void *q = fedc_arena_alloc(a, 100, 8);
    ASSERT_NOT_NULL(q);
    memset(q, 0, 100);
    fedc_test_alloc_end();
    fedc_arena_destroy(a);
}
