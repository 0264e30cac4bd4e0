/* harness.h — fedc's test harness: registration, assertions, allocation-failure sweeps.
 *
 * A test is a function registered with TEST(name); it receives a fresh fedc_ctx named `ctx`.
 * The runner (harness.c, which has main) runs each test in a forked child with a timeout, so a
 * crash or hang fails that test alone, and ends with `tests: N passed, N failed, N skipped`.
 * Runner flags: --filter PAT[,PAT...] (substring of "file/name"), --no-fork (run in-process, for
 * gdb), --seed N (fedc_test_seed), --timeout SECONDS, --list, --verbose.
 * Tests named hidden_* are left out unless $FEDC_HARNESS_SELFTEST is set (the harness's own
 * tests use them to misbehave on purpose).
 * This file must not depend on anything above the base layer.
 */
#ifndef FEDC_TEST_HARNESS_H
#define FEDC_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fedc/base.h"
#include "fedc/tensor.h"

typedef void (*fedc_test_fn)(fedc_ctx *ctx);

void fedc_test_register(const char *file, const char *name, fedc_test_fn fn);

#define TEST(name)                                                                                 \
    static void test_##name(fedc_ctx *ctx);                                                        \
    __attribute__((constructor)) static void test_register_##name(void) {                          \
        fedc_test_register(__FILE__, #name, test_##name);                                          \
    }                                                                                              \
    static void test_##name(fedc_ctx *ctx __attribute__((unused)))

/* The seed for this run (--seed, default 1): tests that draw random inputs key them by it, so a
 * failure is reproduced with the same --seed. */
uint64_t fedc_test_seed(void);

/* Where the shared real data lives: $FEDC_DATA_DIR, else ../shared/data. */
const char *fedc_test_data_dir(void);

/* Ends the test as failed / skipped with a printf-style message. Never return. */
_Noreturn void fedc_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void fedc_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define FAIL(...) fedc_test_fail(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...) fedc_test_skip(__VA_ARGS__)

/* ---- generic values for comparisons that print both sides ---- */

typedef enum { FEDC_TV_INT, FEDC_TV_UINT, FEDC_TV_FLOAT, FEDC_TV_STR, FEDC_TV_PTR } fedc_tv_kind;
typedef struct fedc_test_value {
    fedc_tv_kind kind;
    long long i;
    unsigned long long u;
    long double f;
    const char *s;
    const void *p;
} fedc_test_value;

fedc_test_value fedc_tv_int(long long v);
fedc_test_value fedc_tv_uint(unsigned long long v);
fedc_test_value fedc_tv_float(long double v);
fedc_test_value fedc_tv_str(const char *v);
fedc_test_value fedc_tv_ptr(const void *v);

#define FEDC_TV_(x)                                                                                \
    _Generic((x),                                                                           \
        float: fedc_tv_float, double: fedc_tv_float, long double: fedc_tv_float,           \
        _Bool: fedc_tv_uint, unsigned char: fedc_tv_uint, unsigned short: fedc_tv_uint,     \
        unsigned int: fedc_tv_uint, unsigned long: fedc_tv_uint,                            \
        unsigned long long: fedc_tv_uint,                                                   \
        char *: fedc_tv_str, const char *: fedc_tv_str,                                     \
        void *: fedc_tv_ptr, const void *: fedc_tv_ptr,                                     \
        default: fedc_tv_int)(x)

typedef enum {
    FEDC_CMP_EQ,
    FEDC_CMP_NE,
    FEDC_CMP_LT,
    FEDC_CMP_LE,
    FEDC_CMP_GT,
    FEDC_CMP_GE
} fedc_cmp_op;

/* Compares with C's meaning for numbers (signed/unsigned mixed correctly, NaN unordered),
 * strcmp for strings, addresses for pointers; fails the test printing both values if false. */
void fedc_test_check_cmp(const char *file, int line, const char *a_text, const char *b_text,
                         fedc_cmp_op op, fedc_test_value a, fedc_test_value b);

#define FEDC_ASSERT_CMP_(a, b, op)                                                                 \
    fedc_test_check_cmp(__FILE__, __LINE__, #a, #b, op, FEDC_TV_(a), FEDC_TV_(b))

#define ASSERT_TRUE(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) fedc_test_fail(__FILE__, __LINE__, "expected true: %s", #cond);               \
    } while (0)
#define ASSERT_FALSE(cond)                                                                         \
    do {                                                                                           \
        if (cond) fedc_test_fail(__FILE__, __LINE__, "expected false: %s", #cond);                 \
    } while (0)
#define ASSERT_EQ(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_EQ)
#define ASSERT_NE(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_NE)
#define ASSERT_LT(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_LT)
#define ASSERT_LE(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_LE)
#define ASSERT_GT(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_GT)
#define ASSERT_GE(a, b) FEDC_ASSERT_CMP_(a, b, FEDC_CMP_GE)
#define ASSERT_STREQ(a, b) FEDC_ASSERT_CMP_((const char *)(a), (const char *)(b), FEDC_CMP_EQ)
#define ASSERT_PTR_EQ(a, b) FEDC_ASSERT_CMP_((const void *)(a), (const void *)(b), FEDC_CMP_EQ)
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a)                                                                         \
    do {                                                                                           \
        if ((a) == NULL) fedc_test_fail(__FILE__, __LINE__, "expected non-NULL: %s", #a);          \
    } while (0)

/* `haystack` contains `needle` (both strings). */
void fedc_test_check_contains(const char *file, int line, const char *h_text, const char *haystack,
                              const char *needle);
#define ASSERT_CONTAINS(haystack, needle)                                                          \
    fedc_test_check_contains(__FILE__, __LINE__, #haystack, (haystack), (needle))

/* |a - b| <= tol, as doubles (NaN fails unless both are NaN). */
void fedc_test_check_near(const char *file, int line, const char *a_text, const char *b_text,
                          double a, double b, double tol);
#define ASSERT_NEAR(a, b, tol)                                                                     \
    fedc_test_check_near(__FILE__, __LINE__, #a, #b, (double)(a), (double)(b), (double)(tol))

/* Element-wise: |a[i] - b[i]| <= tol * max(1, |b[i]|) (absolute near zero, relative above 1;
 * NaN matches NaN, infinities match the same infinity). Prints the largest difference and its
 * index. The tensor form checks shapes first (dtypes may differ: values compare as doubles). */
void fedc_test_check_floats_near(const char *file, int line, const char *a_text, const char *b_text,
                                 const float *a, const float *b, int64_t n, double tol);
void fedc_test_check_tensor_near(const char *file, int line, const char *a_text, const char *b_text,
                                 const fedc_tensor *a, const fedc_tensor *b, double tol);
#define ASSERT_FLOATS_NEAR(a, b, n, tol)                                                           \
    fedc_test_check_floats_near(__FILE__, __LINE__, #a, #b, (a), (b), (n), (tol))
#define ASSERT_TENSOR_NEAR(a, b, tol)                                                              \
    fedc_test_check_tensor_near(__FILE__, __LINE__, #a, #b, (a), (b), (tol))

/* The expression returns FEDC_STATUS_OK; otherwise prints the status name and ctx's message. */
#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        fedc_status st_ = (expr);                                                                  \
        if (st_ != FEDC_STATUS_OK)                                                                 \
            fedc_test_fail(__FILE__, __LINE__, "%s returned %s: %s", #expr, fedc_status_name(st_), \
                           fedc_ctx_message(ctx));                                                 \
    } while (0)

/* The expression returns the status `want`, with a non-empty message in ctx. */
#define ASSERT_STATUS(expr, want)                                                                  \
    do {                                                                                           \
        fedc_status st_ = (expr);                                                                  \
        if (st_ != (want))                                                                         \
            fedc_test_fail(__FILE__, __LINE__, "%s returned %s (%s), expected %s", #expr,          \
                           fedc_status_name(st_), fedc_ctx_message(ctx), fedc_status_name(want));  \
        if (fedc_ctx_message(ctx)[0] == '\0')                                                      \
            fedc_test_fail(__FILE__, __LINE__, "%s returned %s with no message", #expr,            \
                           fedc_status_name(st_));                                                 \
    } while (0)

/* ---- allocation-failure injection ---- */

/* Installs a counting allocator that fails the `fail_at`-th allocation (1-based; 0 never
 * fails) and every later one when `sticky`. */
void fedc_test_alloc_begin(long fail_at, bool sticky);
/* Restores the default allocator. */
void fedc_test_alloc_end(void);
/* Allocations made, blocks outstanding, and whether the failure was triggered, since begin. */
long fedc_test_alloc_count(void);
long fedc_test_alloc_outstanding(void);
bool fedc_test_alloc_failed(void);

/* Runs `op` with allocation k failing, for k = 1, 2, ... until a run succeeds without reaching
 * its failure. Each failed run must return OUT_OF_MEMORY with a message and leave no block
 * allocated; each successful run is followed by `cleanup` (may be NULL), after which no block may
 * remain. Fails the test otherwise, naming k. Returns the number of allocations the operation
 * makes. */
typedef fedc_status (*fedc_test_alloc_op)(fedc_ctx *ctx, void *arg);
long fedc_test_alloc_sweep(fedc_ctx *ctx, fedc_test_alloc_op op, void (*cleanup)(void *arg),
                           void *arg);

#endif /* FEDC_TEST_HARNESS_H */
