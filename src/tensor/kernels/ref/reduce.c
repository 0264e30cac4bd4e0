/* ref/reduce.c — reference reductions (sum, mean, max, min) over any set of axes.
 *
 * The oracle for opt/reduce.c. For each output element the reduced elements are visited in
 * row-major order of the reduced axes. Float sums and means accumulate in double; integer sums
 * in 64-bit wrapping arithmetic, then convert to the output type. Max and min keep the first
 * of equal values and propagate NaN. No other order, blocking or layout special case here:
 * this file defines what "the reference sum" means. */
#include <assert.h>
#include <math.h>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/walk.h"

static int64_t dot(int rank, const int64_t *idx, const int64_t *strides) {
    int64_t off = 0;
    for (int i = 0; i < rank; i++)
        off += idx[i] * strides[i];
    return off;
}

/* The reduced sub-space of one output element: nr axes with their sizes and a's strides. */
typedef struct reduced_axes {
    int nr;
    int64_t dims[FEDC_MAX_RANK];
    int64_t strides[FEDC_MAX_RANK];
    int64_t count; /* product of dims: the number of terms */
} reduced_axes;

/* The step of max/min: take x if it is larger (smaller) or NaN, so ties keep the first. */
#define MAX_STEP(m, x) ((x) > (m) || (x) != (x))
#define MIN_STEP(m, x) ((x) < (m) || (x) != (x))

#define FLOAT_REDUCE(NAME, T)                                                                      \
    static void NAME(fedc_reduce_op op, const T *p, const reduced_axes *r, T *out) {               \
        int64_t idx[FEDC_MAX_RANK] = {0};                                                          \
        if (op == FEDC_REDUCE_OP_SUM || op == FEDC_REDUCE_OP_MEAN) {                               \
            double s = 0;                                                                          \
            if (r->count > 0) do {                                                                 \
                    s += (double)p[dot(r->nr, idx, r->strides)];                                   \
                } while (fedc__next_index(r->nr, r->dims, idx));                                   \
            if (op == FEDC_REDUCE_OP_MEAN) s = r->count ? s / (double)r->count : NAN;              \
            *out = (T)s;                                                                           \
            return;                                                                                \
        }                                                                                          \
        assert(r->count > 0);                                                                      \
        T m = p[0];                                                                                \
        bool is_max = op == FEDC_REDUCE_OP_MAX;                                                    \
        do {                                                                                       \
            T x = p[dot(r->nr, idx, r->strides)];                                                  \
            if (is_max ? MAX_STEP(m, x) : MIN_STEP(m, x)) m = x;                                   \
        } while (fedc__next_index(r->nr, r->dims, idx));                                           \
        *out = m;                                                                                  \
    }

#define INT_REDUCE(NAME, T)                                                                        \
    static void NAME(fedc_reduce_op op, const T *p, const reduced_axes *r, T *out) {               \
        int64_t idx[FEDC_MAX_RANK] = {0};                                                          \
        if (op == FEDC_REDUCE_OP_SUM) {                                                            \
            uint64_t s = 0; /* unsigned: overflow wraps instead of being undefined */              \
            if (r->count > 0) do {                                                                 \
                    s += (uint64_t)(int64_t)p[dot(r->nr, idx, r->strides)];                        \
                } while (fedc__next_index(r->nr, r->dims, idx));                                   \
            *out = (T)(int64_t)s;                                                                  \
            return;                                                                                \
        }                                                                                          \
        assert(op != FEDC_REDUCE_OP_MEAN && r->count > 0);                                         \
        T m = p[0];                                                                                \
        bool is_max = op == FEDC_REDUCE_OP_MAX;                                                    \
        do {                                                                                       \
            T x = p[dot(r->nr, idx, r->strides)];                                                  \
            if (is_max ? x > m : x < m) m = x;                                                     \
        } while (fedc__next_index(r->nr, r->dims, idx));                                           \
        *out = m;                                                                                  \
    }

FLOAT_REDUCE(reduce_f32, float)
FLOAT_REDUCE(reduce_f64, double)
INT_REDUCE(reduce_i32, int32_t)
INT_REDUCE(reduce_i64, int64_t)
INT_REDUCE(reduce_u8, uint8_t)

static void reduce_one(fedc_reduce_op op, fedc_dtype dtype, const void *p, const reduced_axes *r,
                       void *out) {
    switch (dtype) {
    case FEDC_DTYPE_FLOAT32: reduce_f32(op, p, r, out); break;
    case FEDC_DTYPE_FLOAT64: reduce_f64(op, p, r, out); break;
    case FEDC_DTYPE_INT32: reduce_i32(op, p, r, out); break;
    case FEDC_DTYPE_INT64: reduce_i64(op, p, r, out); break;
    case FEDC_DTYPE_UINT8: reduce_u8(op, p, r, out); break;
    default: assert(!"reduce dtype"); break;
    }
}

void fedc__ref_reduce(fedc_reduce_op op, const fedc_tensor *a, uint32_t axes_mask,
                      fedc_tensor *out_keepdims) {
    const fedc_tensor *out = out_keepdims;
    if (fedc_tensor_numel(out) == 0) return;
    int rank = a->shape.rank;
    uint32_t all = (1u << rank) - 1;
    uint32_t mask = axes_mask ? axes_mask & all : all; /* 0 means every axis */
    reduced_axes r = {.nr = 0, .count = 1};
    for (int i = 0; i < rank; i++) {
        if (!(mask >> i & 1)) continue;
        r.dims[r.nr] = a->shape.dims[i];
        r.strides[r.nr] = a->strides[i];
        r.count *= a->shape.dims[i];
        r.nr++;
    }
    /* Walk the output; along reduced axes its index stays 0, so `dot` with a's strides gives
     * the first reduced element of each output. */
    int64_t es = (int64_t)fedc_dtype_size(a->dtype);
    int64_t idx[FEDC_MAX_RANK] = {0};
    do {
        const char *pa = (const char *)a->data + dot(rank, idx, a->strides) * es;
        char *po = (char *)out->data + dot(rank, idx, out->strides) * es;
        reduce_one(op, a->dtype, pa, &r, po);
    } while (fedc__next_index(rank, out->shape.dims, idx));
}
