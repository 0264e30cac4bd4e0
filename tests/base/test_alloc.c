/* test_alloc.c — the allocator hook: routing through a user allocator, calloc's overflow check
 * and zeroing, realloc keeping the block on failure, strdup, and an allocation-failure sweep
 * over arena creation and use. Every test restores the default allocator before it ends. */
#include <stdlib.h>
#include <string.h>

#include "harness/harness.h"

typedef struct {
    long mallocs, reallocs, frees;
    bool fail;
} hook_state;

/* New memory is filled with 0xAB so that a missing memset in fedc_calloc shows. */
static void *hook_malloc(void *user, size_t size) {
    hook_state *h = user;
    h->mallocs++;
    if (h->fail) return NULL;
    void *p = malloc(size ? size : 1);
    if (p) memset(p, 0xAB, size);
    return p;
}

static void *hook_realloc(void *user, void *ptr, size_t size) {
    hook_state *h = user;
    h->reallocs++;
    if (h->fail) return NULL;
    return realloc(ptr, size ? size : 1);
}

static void hook_free(void *user, void *ptr) {
    hook_state *h = user;
    if (ptr) h->frees++;
    free(ptr);
}

TEST(allocator_hook_routes_every_call) {
    hook_state h = {0};
    fedc_allocator mine = {hook_malloc, hook_realloc, hook_free, &h};
    fedc_allocator_set(&mine);
    fedc_allocator got = fedc_allocator_get();
    void *p = fedc_malloc(10);
    void *q = p ? fedc_realloc(p, 1000) : NULL;
    fedc_free(q);
    fedc_allocator_set(NULL);
    fedc_allocator def = fedc_allocator_get();

    ASSERT_TRUE(got.malloc_fn == hook_malloc && got.realloc_fn == hook_realloc &&
                got.free_fn == hook_free);
    ASSERT_PTR_EQ(got.user, &h);
    ASSERT_NOT_NULL(q);
    ASSERT_EQ(h.mallocs, 1);
    ASSERT_EQ(h.reallocs, 1);
    ASSERT_EQ(h.frees, 1);
    ASSERT_TRUE(def.malloc_fn != hook_malloc && def.free_fn != hook_free);
    ASSERT_TRUE(def.malloc_fn != NULL && def.realloc_fn != NULL && def.free_fn != NULL);
    /* the default works */
    char *s = fedc_malloc(4);
    ASSERT_NOT_NULL(s);
    fedc_free(s);
    ASSERT_EQ(h.mallocs, 1);
}

TEST(calloc_checks_overflow_and_zeroes) {
    hook_state h = {0};
    fedc_allocator mine = {hook_malloc, hook_realloc, hook_free, &h};
    fedc_allocator_set(&mine);
    void *over1 = fedc_calloc(SIZE_MAX / 2 + 1, 2);
    void *over2 = fedc_calloc(2, SIZE_MAX / 2 + 1);
    void *over3 = fedc_calloc(SIZE_MAX, SIZE_MAX);
    long mallocs_after_overflow = h.mallocs;
    unsigned char *z = fedc_calloc(100, 3);
    bool zeroed = z != NULL;
    for (int i = 0; z && i < 300; i++)
        zeroed = zeroed && z[i] == 0;
    fedc_free(z);
    fedc_allocator_set(NULL);
    ASSERT_NULL(over1);
    ASSERT_NULL(over2);
    ASSERT_NULL(over3);
    ASSERT_EQ(mallocs_after_overflow, 0); /* rejected before reaching the hook */
    ASSERT_TRUE(zeroed);
}

TEST(realloc_keeps_block_on_failure) {
    hook_state h = {0};
    fedc_allocator mine = {hook_malloc, hook_realloc, hook_free, &h};
    fedc_allocator_set(&mine);
    char *p = fedc_malloc(8);
    if (p) memcpy(p, "abcdefg", 8);
    h.fail = true;
    char *q = fedc_realloc(p, 1 << 20);
    h.fail = false;
    bool kept = p && strcmp(p, "abcdefg") == 0;
    fedc_free(p);
    fedc_allocator_set(NULL);
    ASSERT_NOT_NULL(p);
    ASSERT_NULL(q);
    ASSERT_TRUE(kept);
    ASSERT_EQ(h.frees, 1);
}

TEST(strdup_copies_and_fails_cleanly) {
    const char *text = "client f0042_13";
    char *copy = fedc_strdup(text);
    ASSERT_NOT_NULL(copy);
    ASSERT_NE((const void *)copy, (const void *)text);
    ASSERT_STREQ(copy, text);
    fedc_free(copy);
    char *empty = fedc_strdup("");
    ASSERT_NOT_NULL(empty);
    ASSERT_STREQ(empty, "");
    fedc_free(empty);

    fedc_test_alloc_begin(1, true);
    char *none = fedc_strdup(text);
    long left = fedc_test_alloc_outstanding();
    fedc_test_alloc_end();
    ASSERT_NULL(none);
    ASSERT_EQ(left, 0);
}

/* Creates an arena and makes allocations that need new blocks, an oversized block, and reuse
 * after a rewind; a failed allocation is reported the way library code must report it. */
static fedc_status arena_op(fedc_ctx *ctx, void *arg) {
    fedc_arena **out = arg;
    fedc_arena *a;
    *out = NULL;
    fedc_status st = fedc_arena_create(ctx, 512, &a);
    if (st != FEDC_STATUS_OK) return st;
    static const size_t sizes[] = {100, 400, 300, 5000, 0, 512, 4096};
    fedc_arena_mark m = fedc_arena_mark_get(a);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned char *p = fedc_arena_alloc(a, sizes[i], 64);
            if (!p) {
                fedc_arena_destroy(a);
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "arena: out of memory for %zu bytes", sizes[i]);
            }
            memset(p, (int)i, sizes[i]);
        }
        fedc_arena_rewind(a, m);
    }
    *out = a;
    return FEDC_STATUS_OK;
}

static void arena_cleanup(void *arg) {
    fedc_arena **a = arg;
    fedc_arena_destroy(*a);
    *a = NULL;
}

TEST(arena_survives_allocation_failures) {
    fedc_arena *a = NULL;
    long made = fedc_test_alloc_sweep(ctx, arena_op, arena_cleanup, &a);
    /* the struct and its blocks; the second round reuses them */
    ASSERT_GE(made, 4);
    ASSERT_LE(made, 8);
}
