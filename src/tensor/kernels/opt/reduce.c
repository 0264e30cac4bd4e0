/* opt/reduce.c — optimized reductions for the two layouts that matter, the rest delegated to
 * the reference.
 *
 * With a and out contiguous, ignoring size-1 axes:
 *   - reduced axes last ([K.., R..], e.g. a row sum): each output reduces one contiguous run.
 *     Float sums use eight double accumulators combined in a fixed tree, so they differ from
 *     the reference's single running sum in the last bits but are the same on every run;
 *     integer sums (wrapping, so associative) and max/min (sequential) are bit-identical.
 *   - reduced axes before kept ones ([K.., R.., K..], e.g. a sum over the batch axis): column
 *     blocks of outputs accumulate row after row, the same order as the reference, so
 *     bit-identical.
 * Anything else (two separate reduced runs, strided or permuted inputs) calls fedc__ref_reduce.
 * Nothing here allocates: column accumulators live on the stack in fixed blocks. */
#include <assert.h>
#include <math.h>

#include "tensor/kernels/kernels.h"

/* The max/min step of ref/reduce.c: take x if larger (smaller) or NaN; ties keep the first. */
#define MAX_STEP(m, x) ((x) > (m) || (x) != (x))
#define MIN_STEP(m, x) ((x) < (m) || (x) != (x))
#define INT_MAX_STEP(m, x) ((x) > (m))
#define INT_MIN_STEP(m, x) ((x) < (m))

/* Columns per block in the reduced-first path: 256 doubles (2 KiB) of accumulators. */
#define COLS 256

/* max/min over the run x[0..inner) into out[o]; ties keep the first (as the reference). */
#define MINMAX_RUN(T, MAX_S, MIN_S)                                                                \
    do {                                                                                           \
        T m = x[0];                                                                                \
        bool is_max = op == FEDC_REDUCE_OP_MAX;                                                    \
        for (int64_t i = 1; i < inner; i++)                                                        \
            if (is_max ? MAX_S(m, x[i]) : MIN_S(m, x[i])) m = x[i];                                \
        out[o] = m;                                                                                \
    } while (0)

/* max/min down the columns j0..j0+w of a [outer, inner] block, row after row. */
#define MINMAX_COLS(T, MAX_S, MIN_S)                                                               \
    do {                                                                                           \
        T m[COLS];                                                                                 \
        bool is_max = op == FEDC_REDUCE_OP_MAX;                                                    \
        for (int64_t j = 0; j < w; j++)                                                            \
            m[j] = a[j0 + j];                                                                      \
        for (int64_t i = 1; i < outer; i++) {                                                      \
            const T *x = a + i * inner + j0;                                                       \
            if (is_max) {                                                                          \
                for (int64_t j = 0; j < w; j++)                                                    \
                    m[j] = MAX_S(m[j], x[j]) ? x[j] : m[j];                                        \
            } else {                                                                               \
                for (int64_t j = 0; j < w; j++)                                                    \
                    m[j] = MIN_S(m[j], x[j]) ? x[j] : m[j];                                        \
            }                                                                                      \
        }                                                                                          \
        for (int64_t j = 0; j < w; j++)                                                            \
            out[j0 + j] = m[j];                                                                    \
    } while (0)

/* ---- reduced axes last: one contiguous run of `inner` elements per output ----------------- */

#define FLOAT_ROWS(NAME, T)                                                                        \
    static void NAME(fedc_reduce_op op, int64_t outer, int64_t inner, const T *a, T *out) {        \
        for (int64_t o = 0; o < outer; o++) {                                                      \
            const T *x = a + o * inner;                                                            \
            if (op == FEDC_REDUCE_OP_SUM || op == FEDC_REDUCE_OP_MEAN) {                           \
                double acc[8] = {0};                                                               \
                int64_t i = 0;                                                                     \
                for (; i + 8 <= inner; i += 8)                                                     \
                    for (int k = 0; k < 8; k++)                                                    \
                        acc[k] += (double)x[i + k];                                                \
                double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) +                               \
                           ((acc[4] + acc[5]) + (acc[6] + acc[7]));                                \
                for (; i < inner; i++)                                                             \
                    s += (double)x[i];                                                             \
                if (op == FEDC_REDUCE_OP_MEAN) s = inner ? s / (double)inner : NAN;                \
                out[o] = (T)s;                                                                     \
            } else {                                                                               \
                MINMAX_RUN(T, MAX_STEP, MIN_STEP);                                                 \
            }                                                                                      \
        }                                                                                          \
    }

#define INT_ROWS(NAME, T)                                                                          \
    static void NAME(fedc_reduce_op op, int64_t outer, int64_t inner, const T *a, T *out) {        \
        for (int64_t o = 0; o < outer; o++) {                                                      \
            const T *x = a + o * inner;                                                            \
            if (op == FEDC_REDUCE_OP_SUM) {                                                        \
                uint64_t s = 0;                                                                    \
                for (int64_t i = 0; i < inner; i++)                                                \
                    s += (uint64_t)(int64_t)x[i];                                                  \
                out[o] = (T)(int64_t)s;                                                            \
            } else {                                                                               \
                MINMAX_RUN(T, INT_MAX_STEP, INT_MIN_STEP);                                         \
            }                                                                                      \
        }                                                                                          \
    }

/* ---- reduced axes first: out[j] = OP over i of a[i * inner + j] --------------------------- */

#define FLOAT_COLS(NAME, T)                                                                        \
    static void NAME(fedc_reduce_op op, int64_t outer, int64_t inner, const T *a, T *out) {        \
        for (int64_t j0 = 0; j0 < inner; j0 += COLS) {                                             \
            int64_t w = inner - j0 < COLS ? inner - j0 : COLS;                                     \
            if (op == FEDC_REDUCE_OP_SUM || op == FEDC_REDUCE_OP_MEAN) {                           \
                double acc[COLS];                                                                  \
                for (int64_t j = 0; j < w; j++)                                                    \
                    acc[j] = 0;                                                                    \
                for (int64_t i = 0; i < outer; i++) {                                              \
                    const T *x = a + i * inner + j0;                                               \
                    for (int64_t j = 0; j < w; j++)                                                \
                        acc[j] += (double)x[j];                                                    \
                }                                                                                  \
                for (int64_t j = 0; j < w; j++) {                                                  \
                    double s = acc[j];                                                             \
                    if (op == FEDC_REDUCE_OP_MEAN) s = outer ? s / (double)outer : NAN;            \
                    out[j0 + j] = (T)s;                                                            \
                }                                                                                  \
            } else {                                                                               \
                MINMAX_COLS(T, MAX_STEP, MIN_STEP);                                                \
            }                                                                                      \
        }                                                                                          \
    }

#define INT_COLS(NAME, T)                                                                          \
    static void NAME(fedc_reduce_op op, int64_t outer, int64_t inner, const T *a, T *out) {        \
        for (int64_t j0 = 0; j0 < inner; j0 += COLS) {                                             \
            int64_t w = inner - j0 < COLS ? inner - j0 : COLS;                                     \
            if (op == FEDC_REDUCE_OP_SUM) {                                                        \
                uint64_t acc[COLS];                                                                \
                for (int64_t j = 0; j < w; j++)                                                    \
                    acc[j] = 0;                                                                    \
                for (int64_t i = 0; i < outer; i++) {                                              \
                    const T *x = a + i * inner + j0;                                               \
                    for (int64_t j = 0; j < w; j++)                                                \
                        acc[j] += (uint64_t)(int64_t)x[j];                                         \
                }                                                                                  \
                for (int64_t j = 0; j < w; j++)                                                    \
                    out[j0 + j] = (T)(int64_t)acc[j];                                              \
            } else {                                                                               \
                MINMAX_COLS(T, INT_MAX_STEP, INT_MIN_STEP);                                        \
            }                                                                                      \
        }                                                                                          \
    }

FLOAT_ROWS(rows_f32, float)
FLOAT_ROWS(rows_f64, double)
INT_ROWS(rows_i32, int32_t)
INT_ROWS(rows_i64, int64_t)
INT_ROWS(rows_u8, uint8_t)
FLOAT_COLS(cols_f32, float)
FLOAT_COLS(cols_f64, double)
INT_COLS(cols_i32, int32_t)
INT_COLS(cols_i64, int64_t)
INT_COLS(cols_u8, uint8_t)

typedef void (*reduce_fn)(fedc_reduce_op op, int64_t outer, int64_t inner, const void *a,
                          void *out);

/* Wrappers with untyped pointers, so one table serves every dtype. */
#define UNTYPED(NAME, FN, T)                                                                       \
    static void NAME(fedc_reduce_op op, int64_t outer, int64_t inner, const void *a, void *out) {  \
        FN(op, outer, inner, (const T *)a, (T *)out);                                              \
    }
UNTYPED(rows_f32_v, rows_f32, float)
UNTYPED(rows_f64_v, rows_f64, double)
UNTYPED(rows_i32_v, rows_i32, int32_t)
UNTYPED(rows_i64_v, rows_i64, int64_t)
UNTYPED(rows_u8_v, rows_u8, uint8_t)
UNTYPED(cols_f32_v, cols_f32, float)
UNTYPED(cols_f64_v, cols_f64, double)
UNTYPED(cols_i32_v, cols_i32, int32_t)
UNTYPED(cols_i64_v, cols_i64, int64_t)
UNTYPED(cols_u8_v, cols_u8, uint8_t)

static const reduce_fn g_rows[FEDC_DTYPE_COUNT] = {
    [FEDC_DTYPE_FLOAT32] = rows_f32_v, [FEDC_DTYPE_FLOAT64] = rows_f64_v,
    [FEDC_DTYPE_INT32] = rows_i32_v,   [FEDC_DTYPE_INT64] = rows_i64_v,
    [FEDC_DTYPE_UINT8] = rows_u8_v,
};

static const reduce_fn g_cols[FEDC_DTYPE_COUNT] = {
    [FEDC_DTYPE_FLOAT32] = cols_f32_v, [FEDC_DTYPE_FLOAT64] = cols_f64_v,
    [FEDC_DTYPE_INT32] = cols_i32_v,   [FEDC_DTYPE_INT64] = cols_i64_v,
    [FEDC_DTYPE_UINT8] = cols_u8_v,
};

void fedc__opt_reduce(fedc_reduce_op op, const fedc_tensor *a, uint32_t axes_mask,
                      fedc_tensor *out_keepdims) {
    fedc_tensor *out = out_keepdims;
    if (fedc_tensor_numel(out) == 0) return;
    if (!fedc_tensor_is_contiguous(a) || !fedc_tensor_is_contiguous(out)) {
        fedc__ref_reduce(op, a, axes_mask, out);
        return;
    }
    int rank = a->shape.rank;
    uint32_t all = (1u << rank) - 1;
    uint32_t mask = axes_mask ? axes_mask & all : all;
    /* Classify the axes longer than 1 as kept (K) or reduced (R), in order, and measure the
     * kept block before the first reduced axis, the reduced run, and whatever follows. */
    int64_t head = 1, mid = 1, tail = 1; /* K.. then R.. then K.. */
    int phase = 0;                       /* 0: in head, 1: in mid, 2: in tail, 3: R after tail */
    for (int i = 0; i < rank; i++) {
        int64_t d = a->shape.dims[i];
        if (d == 1) continue;
        bool reduced = mask >> i & 1;
        if (phase == 0 && reduced)
            phase = 1;
        else if (phase == 1 && !reduced)
            phase = 2;
        else if (phase == 2 && reduced)
            phase = 3;
        if (phase == 0)
            head *= d;
        else if (phase == 1)
            mid *= d;
        else if (phase == 2)
            tail *= d;
    }
    assert(g_rows[a->dtype]);
    if (phase <= 1) { /* [K.., R..]: `head` outputs, each over a run of `mid` */
        g_rows[a->dtype](op, head, mid, a->data, out->data);
    } else if (phase == 2) {
        /* [K.., R.., K..]: per head index, `tail` outputs, each over `mid` rows of the block */
        int64_t es = (int64_t)fedc_dtype_size(a->dtype);
        for (int64_t h = 0; h < head; h++)
            g_cols[a->dtype](op, mid, tail, (const char *)a->data + h * mid * tail * es,
                             (char *)out->data + h * tail * es);
    } else {
        fedc__ref_reduce(op, a, axes_mask, out);
    }
}
