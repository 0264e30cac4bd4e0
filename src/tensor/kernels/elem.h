/* elem.h — the per-element definition of every binary and unary op, per dtype, shared by
 * ref/elementwise.c and opt/elementwise.c (private to src/tensor/kernels).
 *
 * One definition is what makes the twins bit-identical: both kernel sets expand the same
 * expressions and differ only in the row loops they wrap them in. An including file defines its
 * row loop macros and passes them to ELEM_DEFINE_BINARY_ROWS / ELEM_DEFINE_UNARY_ROWS, which
 * define its static row functions and the tables indexed by dtype; elem_binary / elem_unary then
 * run a row function over every row of the output. This header must not hold row loops or
 * layout special cases (those are each kernel set's own), nor anything else that differs between
 * the sets: change an expression here and the oracle changes with it.
 *
 * Integer semantics: add, sub, mul, neg, abs and square wrap around (computed in the unsigned
 * type, since signed overflow is undefined in C); division truncates toward zero, x / 0 is 0
 * and INT_MIN / -1 wraps to INT_MIN (it would trap on x86). Floats follow IEEE; maximum and
 * minimum propagate NaN, relu keeps NaN. */
#ifndef FEDC_TENSOR_KERNELS_ELEM_H
#define FEDC_TENSOR_KERNELS_ELEM_H

#include <assert.h>
#include <math.h>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/walk.h"

/* ---- scalar helpers ---------------------------------------------------------------------- */

static inline int32_t elem_div_i32(int32_t x, int32_t y) {
    if (y == 0) return 0;
    if (y == -1) return (int32_t)(0u - (uint32_t)x);
    return x / y;
}

static inline int64_t elem_div_i64(int64_t x, int64_t y) {
    if (y == 0) return 0;
    if (y == -1) return (int64_t)(0u - (uint64_t)x);
    return x / y;
}

static inline uint8_t elem_div_u8(uint8_t x, uint8_t y) { return y == 0 ? 0 : (uint8_t)(x / y); }

static inline float elem_sigmoid_f32(float x) {
    /* exp of a non-positive argument only, so neither branch overflows */
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static inline double elem_sigmoid_f64(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* ---- binary ------------------------------------------------------------------------------ */

/* A row function: out[i * so] = a[i * sa] (op) b[i * sb] for i < n, all of the operands'
 * dtype (bool for comparisons' out). */
#define ELEM_BINARY_ROW_PARAMS                                                                     \
    fedc_binary_op op, int64_t n, const void *a, int64_t sa, const void *b, int64_t sb, void *out, \
        int64_t so

typedef void (*elem_binary_row_fn)(ELEM_BINARY_ROW_PARAMS);

/* LOOP(TI, TO, EXPR) is the including file's row loop over the row function's parameters: for
 * each element it binds x and y (of type TI) and stores (TO)(EXPR). */
#define ELEM_COMPARISON_CASES_(LOOP, T)                                                            \
    case FEDC_BINARY_OP_EQUAL: LOOP(T, uint8_t, x == y); break;                                    \
    case FEDC_BINARY_OP_NOT_EQUAL: LOOP(T, uint8_t, x != y); break;                                \
    case FEDC_BINARY_OP_LESS: LOOP(T, uint8_t, x < y); break;                                      \
    case FEDC_BINARY_OP_LESS_EQUAL: LOOP(T, uint8_t, x <= y); break;                               \
    case FEDC_BINARY_OP_GREATER: LOOP(T, uint8_t, x > y); break;                                   \
    case FEDC_BINARY_OP_GREATER_EQUAL:                                                             \
        LOOP(T, uint8_t, x >= y);                                                                  \
        break;

#define ELEM_FLOAT_BINARY_ROW_(LOOP, NAME, T, POW)                                                 \
    static void NAME(ELEM_BINARY_ROW_PARAMS) {                                                     \
        switch (op) {                                                                              \
        case FEDC_BINARY_OP_ADD: LOOP(T, T, x + y); break;                                         \
        case FEDC_BINARY_OP_SUB: LOOP(T, T, x - y); break;                                         \
        case FEDC_BINARY_OP_MUL: LOOP(T, T, x *y); break;                                          \
        case FEDC_BINARY_OP_DIV: LOOP(T, T, x / y); break;                                         \
        case FEDC_BINARY_OP_MAXIMUM: LOOP(T, T, (x > y || x != x) ? x : y); break;                 \
        case FEDC_BINARY_OP_MINIMUM: LOOP(T, T, (x < y || x != x) ? x : y); break;                 \
        case FEDC_BINARY_OP_POW:                                                                   \
            LOOP(T, T, POW(x, y));                                                                 \
            break;                                                                                 \
            ELEM_COMPARISON_CASES_(LOOP, T)                                                        \
        default: assert(!"binary op"); break;                                                      \
        }                                                                                          \
    }

/* U: the unsigned type wrapping arithmetic is done in (at least as wide as T). */
#define ELEM_INT_BINARY_ROW_(LOOP, NAME, T, U, DIV)                                                \
    static void NAME(ELEM_BINARY_ROW_PARAMS) {                                                     \
        switch (op) {                                                                              \
        case FEDC_BINARY_OP_ADD: LOOP(T, T, (U)x + (U)y); break;                                   \
        case FEDC_BINARY_OP_SUB: LOOP(T, T, (U)x - (U)y); break;                                   \
        case FEDC_BINARY_OP_MUL: LOOP(T, T, (U)x *(U)y); break;                                    \
        case FEDC_BINARY_OP_DIV: LOOP(T, T, DIV(x, y)); break;                                     \
        case FEDC_BINARY_OP_MAXIMUM: LOOP(T, T, x > y ? x : y); break;                             \
        case FEDC_BINARY_OP_MINIMUM:                                                               \
            LOOP(T, T, x < y ? x : y);                                                             \
            break;                                                                                 \
            ELEM_COMPARISON_CASES_(LOOP, T)                                                        \
        default: assert(!"binary op"); break;                                                      \
        }                                                                                          \
    }

/* Defines the static row functions binary_row_<dtype> with LOOP and the table
 * g_binary_rows[dtype] of them; bool has the comparisons only. */
#define ELEM_DEFINE_BINARY_ROWS(LOOP)                                                              \
    ELEM_FLOAT_BINARY_ROW_(LOOP, binary_row_f32, float, powf)                                      \
    ELEM_FLOAT_BINARY_ROW_(LOOP, binary_row_f64, double, pow)                                      \
    ELEM_INT_BINARY_ROW_(LOOP, binary_row_i32, int32_t, uint32_t, elem_div_i32)                    \
    ELEM_INT_BINARY_ROW_(LOOP, binary_row_i64, int64_t, uint64_t, elem_div_i64)                    \
    ELEM_INT_BINARY_ROW_(LOOP, binary_row_u8, uint8_t, uint32_t, elem_div_u8)                      \
    static void binary_row_bool(ELEM_BINARY_ROW_PARAMS) {                                          \
        switch (op) {                                                                              \
            ELEM_COMPARISON_CASES_(LOOP, uint8_t)                                                  \
        default: assert(!"binary op on bool"); break;                                              \
        }                                                                                          \
    }                                                                                              \
    static const elem_binary_row_fn g_binary_rows[FEDC_DTYPE_COUNT] = {                            \
        [FEDC_DTYPE_FLOAT32] = binary_row_f32, [FEDC_DTYPE_FLOAT64] = binary_row_f64,              \
        [FEDC_DTYPE_INT32] = binary_row_i32,   [FEDC_DTYPE_INT64] = binary_row_i64,                \
        [FEDC_DTYPE_UINT8] = binary_row_u8,    [FEDC_DTYPE_BOOL] = binary_row_bool,                \
    };

/* ---- unary ------------------------------------------------------------------------------- */

/* A row function: out[i * so] = op(a[i * sa]) for i < n, both of the operand's dtype. */
#define ELEM_UNARY_ROW_PARAMS                                                                      \
    fedc_unary_op op, int64_t n, const void *a, int64_t sa, void *out, int64_t so

typedef void (*elem_unary_row_fn)(ELEM_UNARY_ROW_PARAMS);

/* LOOP(T, EXPR) is the including file's row loop: for each element it binds x (of type T) and
 * stores (T)(EXPR). */
#define ELEM_FLOAT_UNARY_ROW_(LOOP, NAME, T, ABS, SQRT, EXP, LOG, SIGMOID, TANH)                   \
    static void NAME(ELEM_UNARY_ROW_PARAMS) {                                                      \
        switch (op) {                                                                              \
        case FEDC_UNARY_OP_NEG: LOOP(T, -x); break;                                                \
        case FEDC_UNARY_OP_ABS: LOOP(T, ABS(x)); break;                                            \
        case FEDC_UNARY_OP_SQUARE: LOOP(T, x *x); break;                                           \
        case FEDC_UNARY_OP_SQRT: LOOP(T, SQRT(x)); break;                                          \
        case FEDC_UNARY_OP_EXP: LOOP(T, EXP(x)); break;                                            \
        case FEDC_UNARY_OP_LOG: LOOP(T, LOG(x)); break;                                            \
        case FEDC_UNARY_OP_RELU: LOOP(T, (x > 0 || x != x) ? x : 0); break;                        \
        case FEDC_UNARY_OP_SIGMOID: LOOP(T, SIGMOID(x)); break;                                    \
        case FEDC_UNARY_OP_TANH: LOOP(T, TANH(x)); break;                                          \
        default: assert(!"unary op"); break;                                                       \
        }                                                                                          \
    }

/* ABS is an expression in x (an integer type has no abs function that wraps). */
#define ELEM_INT_UNARY_ROW_(LOOP, NAME, T, U, ABS)                                                 \
    static void NAME(ELEM_UNARY_ROW_PARAMS) {                                                      \
        switch (op) {                                                                              \
        case FEDC_UNARY_OP_NEG: LOOP(T, (U)0 - (U)x); break;                                       \
        case FEDC_UNARY_OP_ABS: LOOP(T, ABS); break;                                               \
        case FEDC_UNARY_OP_SQUARE: LOOP(T, (U)x *(U)x); break;                                     \
        default: assert(!"unary op on an integer dtype"); break;                                   \
        }                                                                                          \
    }

/* Defines the static row functions unary_row_<dtype> with LOOP and the table
 * g_unary_rows[dtype] of them; bool has no unary ops, so its entry is NULL. */
#define ELEM_DEFINE_UNARY_ROWS(LOOP)                                                               \
    ELEM_FLOAT_UNARY_ROW_(LOOP, unary_row_f32, float, fabsf, sqrtf, expf, logf, elem_sigmoid_f32,  \
                          tanhf)                                                                   \
    ELEM_FLOAT_UNARY_ROW_(LOOP, unary_row_f64, double, fabs, sqrt, exp, log, elem_sigmoid_f64,     \
                          tanh)                                                                    \
    ELEM_INT_UNARY_ROW_(LOOP, unary_row_i32, int32_t, uint32_t,                                    \
                        x < 0 ? (uint32_t)0 - (uint32_t)x : (uint32_t)x)                           \
    ELEM_INT_UNARY_ROW_(LOOP, unary_row_i64, int64_t, uint64_t,                                    \
                        x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x)                           \
    ELEM_INT_UNARY_ROW_(LOOP, unary_row_u8, uint8_t, uint32_t, x)                                  \
    static const elem_unary_row_fn g_unary_rows[FEDC_DTYPE_COUNT] = {                              \
        [FEDC_DTYPE_FLOAT32] = unary_row_f32, [FEDC_DTYPE_FLOAT64] = unary_row_f64,                \
        [FEDC_DTYPE_INT32] = unary_row_i32,   [FEDC_DTYPE_INT64] = unary_row_i64,                  \
        [FEDC_DTYPE_UINT8] = unary_row_u8,                                                         \
    };

/* ---- drivers ----------------------------------------------------------------------------- */

/* out = a (op) b: calls row once per row of out, in row-major order. `collapse` merges the axes
 * every operand walks as one first (the optimized set: fewer, longer rows); the reference walks
 * out's shape as it is. */
static inline void elem_binary(elem_binary_row_fn row, fedc_binary_op op, const fedc_tensor *a,
                               const fedc_tensor *b, fedc_tensor *out, bool collapse) {
    if (fedc_tensor_numel(out) == 0) return;
    fedc__walk w; /* operands: 0 out, 1 a, 2 b */
    fedc__walk_init(&w, &out->shape);
    fedc__walk_add(&w, out);
    fedc__walk_add(&w, a);
    fedc__walk_add(&w, b);
    if (collapse) fedc__walk_collapse(&w);
    int64_t rs[3];
    int64_t n = fedc__walk_row(&w, rs);
    int64_t ein = (int64_t)fedc_dtype_size(a->dtype), eout = (int64_t)fedc_dtype_size(out->dtype);
    do {
        row(op, n, (const char *)a->data + w.off[1] * ein, rs[1],
            (const char *)b->data + w.off[2] * ein, rs[2], (char *)out->data + w.off[0] * eout,
            rs[0]);
    } while (fedc__walk_next(&w));
}

/* out = op(a), as elem_binary; a and out have one shape and dtype. */
static inline void elem_unary(elem_unary_row_fn row, fedc_unary_op op, const fedc_tensor *a,
                              fedc_tensor *out, bool collapse) {
    if (fedc_tensor_numel(out) == 0) return;
    assert(row);  /* bool has no unary ops; the public wrapper rejects it */
    fedc__walk w; /* operands: 0 out, 1 a */
    fedc__walk_init(&w, &out->shape);
    fedc__walk_add(&w, out);
    fedc__walk_add(&w, a);
    if (collapse) fedc__walk_collapse(&w);
    int64_t rs[2];
    int64_t n = fedc__walk_row(&w, rs);
    int64_t es = (int64_t)fedc_dtype_size(a->dtype);
    do {
        row(op, n, (const char *)a->data + w.off[1] * es, rs[1], (char *)out->data + w.off[0] * es,
            rs[0]);
    } while (fedc__walk_next(&w));
}

#endif /* FEDC_TENSOR_KERNELS_ELEM_H */
