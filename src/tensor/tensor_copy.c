/* tensor_copy.c — clone, copy and cast: moving elements between tensors of any layout.
 *
 * Copies of one dtype go through the copy kernel (kernels.h), which the optimized set speeds up
 * for contiguous and transposed layouts. Casts convert element by element with C's conversions
 * here; they must not round-trip through double, which would corrupt int64 values above 2^53.
 * Source and destination must not overlap (except a copy of a tensor onto itself). */
#include <string.h>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/walk.h"
#include "tensor/tensor_int.h"

fedc_status fedc_tensor_clone(fedc_ctx *ctx, const fedc_tensor *src, fedc_tensor *out) {
    fedc_tensor tmp;
    fedc_status st = fedc_tensor_alloc(ctx, &tmp, src->dtype, &src->shape);
    if (st) {
        if (out != src) *out = tmp;     /* empty, as fedc_tensor_alloc leaves it */
        fedc_ctx_prefixf(ctx, "clone"); /* returns OK for a NULL ctx, so keep st */
        return st;
    }
    FEDC__KERNEL(copy)(&tmp, src);
    *out = tmp;
    return FEDC_STATUS_OK;
}

static fedc_status check_pair(fedc_ctx *ctx, const char *fn, const fedc_tensor *dst,
                              const fedc_tensor *src) {
    fedc_status st;
    if ((st = fedc__check_tensor(ctx, fn, "dst", dst))) return st;
    if ((st = fedc__check_tensor(ctx, fn, "src", src))) return st;
    if (!fedc_shape_equal(&dst->shape, &src->shape))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE, "%s: dst has shape %s, src has shape %s", fn,
                               fedc__shape_str(&dst->shape).s, fedc__shape_str(&src->shape).s);
    return fedc__check_writable(ctx, fn, "dst", dst);
}

fedc_status fedc_tensor_copy(fedc_ctx *ctx, fedc_tensor *dst, const fedc_tensor *src) {
    fedc_status st;
    if ((st = fedc__check_tensor(ctx, "copy", "dst", dst))) return st;
    if ((st = fedc__check_tensor(ctx, "copy", "src", src))) return st;
    if (dst->dtype != src->dtype)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "copy: dst has dtype %s, src has dtype %s (use cast to convert)",
                               fedc_dtype_name(dst->dtype), fedc_dtype_name(src->dtype));
    if ((st = check_pair(ctx, "copy", dst, src))) return st;
    FEDC__KERNEL(copy)(dst, src);
    return FEDC_STATUS_OK;
}

/* ---- casts ----------------------------------------------------------------------------------
 * One converting loop per (source, destination) pair: CAST_FROM defines, for one source type,
 * a function that switches on the destination dtype. A bool source reads as (byte != 0) and a
 * bool destination stores (value != 0), so a stray byte value never leaks through. */

#define CAST_LOOP(TD, EXPR)                                                                        \
    do {                                                                                           \
        TD *d = dst;                                                                               \
        for (int64_t i = 0; i < n; i++) {                                                          \
            SRC_T v = s[i * ss];                                                                   \
            d[i * sd] = (TD)(EXPR);                                                                \
        }                                                                                          \
    } while (0)

#define CAST_FROM(NAME, TS, VALUE)                                                                 \
    static void NAME(fedc_dtype dd, void *dst, int64_t sd, const void *src, int64_t ss,            \
                     int64_t n) {                                                                  \
        typedef TS SRC_T;                                                                          \
        const SRC_T *s = src;                                                                      \
        switch (dd) {                                                                              \
        case FEDC_DTYPE_FLOAT32: CAST_LOOP(float, VALUE); break;                                   \
        case FEDC_DTYPE_FLOAT64: CAST_LOOP(double, VALUE); break;                                  \
        case FEDC_DTYPE_INT32: CAST_LOOP(int32_t, VALUE); break;                                   \
        case FEDC_DTYPE_INT64: CAST_LOOP(int64_t, VALUE); break;                                   \
        case FEDC_DTYPE_UINT8: CAST_LOOP(uint8_t, VALUE); break;                                   \
        case FEDC_DTYPE_BOOL: CAST_LOOP(uint8_t, v != 0); break;                                   \
        default: break;                                                                            \
        }                                                                                          \
    }

CAST_FROM(cast_from_f32, float, v)
CAST_FROM(cast_from_f64, double, v)
CAST_FROM(cast_from_i32, int32_t, v)
CAST_FROM(cast_from_i64, int64_t, v)
CAST_FROM(cast_from_u8, uint8_t, v)
CAST_FROM(cast_from_bool, uint8_t, v != 0)

typedef void (*cast_row_fn)(fedc_dtype dd, void *dst, int64_t sd, const void *src, int64_t ss,
                            int64_t n);

static const cast_row_fn g_cast_from[FEDC_DTYPE_COUNT] = {
    [FEDC_DTYPE_FLOAT32] = cast_from_f32, [FEDC_DTYPE_FLOAT64] = cast_from_f64,
    [FEDC_DTYPE_INT32] = cast_from_i32,   [FEDC_DTYPE_INT64] = cast_from_i64,
    [FEDC_DTYPE_UINT8] = cast_from_u8,    [FEDC_DTYPE_BOOL] = cast_from_bool,
};

fedc_status fedc_tensor_cast(fedc_ctx *ctx, fedc_tensor *dst, const fedc_tensor *src) {
    fedc_status st = check_pair(ctx, "cast", dst, src);
    if (st) return st;
    if (dst->dtype == src->dtype) {
        FEDC__KERNEL(copy)(dst, src);
        return FEDC_STATUS_OK;
    }
    if (fedc_tensor_numel(dst) == 0) return FEDC_STATUS_OK;
    /* Walk the rows (all axes but the last) in row-major order; each row is one strided loop. */
    fedc__walk w; /* operands: 0 dst, 1 src */
    fedc__walk_init(&w, &dst->shape);
    fedc__walk_add(&w, dst);
    fedc__walk_add(&w, src);
    int64_t rs[2];
    int64_t n = fedc__walk_row(&w, rs);
    int64_t esd = (int64_t)fedc_dtype_size(dst->dtype), ess = (int64_t)fedc_dtype_size(src->dtype);
    cast_row_fn row = g_cast_from[src->dtype];
    do {
        row(dst->dtype, (char *)dst->data + w.off[0] * esd, rs[0],
            (const char *)src->data + w.off[1] * ess, rs[1], n);
    } while (fedc__walk_next(&w));
    return FEDC_STATUS_OK;
}
