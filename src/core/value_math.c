/* value_math.c — arithmetic over whole values (tensors and structs of tensors, matched
 * field by field) for the executor's aggregations. Each result is a new value and inputs are never
 * modified, because values are shared; the one exception is fedc__value_accumulate, which writes
 * over a running sum that no one else holds.
 */
#include "core/core_int.h"

fedc_status fedc__tensor_alloc_output(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                                      const fedc_shape *shape) {
    size_t bytes = (size_t)fedc_shape_numel(shape) * fedc_dtype_size(dtype);
    void *data = fedc_malloc(bytes ? bytes : 1);
    if (!data)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "cannot allocate %zu bytes for a result tensor", bytes);
    *out = fedc_tensor_view(dtype, shape, data);
    out->owned = data;
    return FEDC_STATUS_OK;
}

/* acc[j] += b[j] over n float32s: the tensor layer's add, element for element (one IEEE
 * addition each), without its checks and stride logic, for the running sum of a fold that runs
 * once per client. Blocks of 8 with restrict pointers vectorize at -O2; unrolled, a block is two
 * vector operations with no loop of its own (as a loop it ran at half the speed). Not inlined:
 * inlined, its restrict pointers no longer let the compiler vectorize a block. */
static __attribute__((noinline)) void add_f32(float *restrict acc, const float *restrict b,
                                              int64_t n) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        _Pragma("GCC unroll 8") for (int64_t k = j; k < j + 8; k++) acc[k] = acc[k] + b[k];
    for (; j < n; j++)
        acc[j] = acc[j] + b[j];
}

/* Whether x and y are float32 tensors of one shape, both laid out row-major with no gaps (the
 * test of fedc_tensor_is_contiguous, made here: the fold runs it once per client); *numel their
 * elements. */
static bool dense_f32_alike(const fedc_tensor *x, const fedc_tensor *y, int64_t *numel) {
    if (x->dtype != FEDC_DTYPE_FLOAT32 || y->dtype != FEDC_DTYPE_FLOAT32 ||
        x->shape.rank != y->shape.rank)
        return false;
    int64_t stride = 1;
    for (int i = x->shape.rank - 1; i >= 0; i--) {
        int64_t d = x->shape.dims[i];
        if (d != y->shape.dims[i]) return false;
        if (d != 1 && (x->strides[i] != stride || y->strides[i] != stride)) return false;
        stride *= d;
    }
    *numel = stride;
    return true;
}

fedc_status fedc__value_accumulate(fedc_ctx *ctx, fedc_binary_op op, fedc_value **acc,
                                   const fedc_value *b) {
    fedc_value *a = *acc;
    int64_t n;
    /* the fold of float32 updates, by far the most frequent: the checks below, inline */
    if (op == FEDC_BINARY_OP_ADD && a->kind == FEDC_VALUE_TENSOR && b->kind == FEDC_VALUE_TENSOR &&
        atomic_load(&a->refs) == 1 && a->tensor.owned && a->tensor.data == a->tensor.owned &&
        a->tensor.data != b->tensor.data && dense_f32_alike(&a->tensor, &b->tensor, &n)) {
        add_f32(a->tensor.data, b->tensor.data, n);
        return FEDC_STATUS_OK;
    }
    /* the only reference is ours, so nobody can see the update: write over the old sum with
     * the same kernel fedc__value_binary would run, for the same bits */
    if (atomic_load(&a->refs) == 1 && op < FEDC_BINARY_OP_EQUAL) {
        const fedc_tensor *x = &a->tensor, *y = &b->tensor;
        if (a->kind == FEDC_VALUE_TENSOR && b->kind == FEDC_VALUE_TENSOR && x->owned &&
            x->data == x->owned && x->dtype == y->dtype && fedc_shape_equal(&x->shape, &y->shape) &&
            fedc_tensor_is_contiguous(x)) {
            if (op == FEDC_BINARY_OP_ADD && x->dtype == FEDC_DTYPE_FLOAT32 &&
                fedc_tensor_is_contiguous(y) && x->data != y->data) {
                add_f32(x->data, y->data, fedc_tensor_numel(x));
                return FEDC_STATUS_OK;
            }
            return fedc_tensor_binary(ctx, op, x, y, &a->tensor);
        }
        if (a->kind == FEDC_VALUE_STRUCT && b->kind == FEDC_VALUE_STRUCT && a->n == b->n) {
            for (size_t i = 0; i < a->n; i++) {
                fedc_status st = fedc__value_accumulate(ctx, op, &a->items[i], b->items[i]);
                if (st < 0) return st;
            }
            return FEDC_STATUS_OK;
        }
    }
    fedc_value *next;
    fedc_status st = fedc__value_binary(ctx, op, a, b, &next);
    if (st < 0) return st;
    fedc_value_release(a);
    *acc = next;
    return FEDC_STATUS_OK;
}

fedc_status fedc__value_binary(fedc_ctx *ctx, fedc_binary_op op, const fedc_value *a,
                               const fedc_value *b, fedc_value **out) {
    *out = NULL;
    fedc_status st;
    if (a->kind == FEDC_VALUE_TENSOR && b->kind == FEDC_VALUE_TENSOR) {
        fedc_shape shape;
        if ((st = fedc_shape_broadcast(ctx, &a->tensor.shape, &b->tensor.shape, &shape)) < 0)
            return st;
        fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
        if (!v) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
        fedc_dtype dt = op >= FEDC_BINARY_OP_EQUAL ? FEDC_DTYPE_BOOL : a->tensor.dtype;
        if ((st = fedc__tensor_alloc_output(ctx, &v->tensor, dt, &shape)) < 0 ||
            (st = fedc_tensor_binary(ctx, op, &a->tensor, &b->tensor, &v->tensor)) < 0) {
            fedc_value_release(v);
            return st;
        }
        *out = v;
        return FEDC_STATUS_OK;
    }
    if (a->kind == FEDC_VALUE_STRUCT && b->kind == FEDC_VALUE_STRUCT && a->n == b->n) {
        fedc_value **items = fedc_calloc(a->n ? a->n : 1, sizeof *items);
        if (!items)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
        st = FEDC_STATUS_OK;
        for (size_t i = 0; i < a->n && st >= 0; i++)
            st = fedc__value_binary(ctx, op, a->items[i], b->items[i], &items[i]);
        if (st >= 0) st = fedc_value_struct(ctx, a->n, items, (const char *const *)a->names, out);
        for (size_t i = 0; i < a->n; i++)
            fedc_value_release(items[i]);
        fedc_free(items);
        return st;
    }
    return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                           "%s expects values of one structure, got kinds %d and %d (%zu and %zu "
                           "items)",
                           fedc_binary_op_name(op), (int)a->kind, (int)b->kind, a->n, b->n);
}

/* x * s, or x / s when divide: computed in double and rounded once to the dtype, which for
 * float32 equals the float32 operation (double has more than 2 * 24 + 2 bits). */
static fedc_status scale(fedc_ctx *ctx, const fedc_value *a, double s, bool divide,
                         fedc_value **out) {
    *out = NULL;
    fedc_status st;
    if (a->kind == FEDC_VALUE_TENSOR) {
        fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
        if (!v) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
        if ((st = fedc_tensor_clone(ctx, &a->tensor, &v->tensor)) < 0) {
            fedc_value_release(v);
            return st;
        }
        int64_t n = fedc_tensor_numel(&v->tensor);
        for (int64_t i = 0; i < n; i++)
            fedc_tensor_set_flat(&v->tensor, i,
                                 divide ? fedc_tensor_get_flat(&v->tensor, i) / s
                                        : fedc_tensor_get_flat(&v->tensor, i) * s);
        *out = v;
        return FEDC_STATUS_OK;
    }
    if (a->kind == FEDC_VALUE_STRUCT) {
        fedc_value **items = fedc_calloc(a->n ? a->n : 1, sizeof *items);
        if (!items)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
        st = FEDC_STATUS_OK;
        for (size_t i = 0; i < a->n && st >= 0; i++)
            st = scale(ctx, a->items[i], s, divide, &items[i]);
        if (st >= 0) st = fedc_value_struct(ctx, a->n, items, (const char *const *)a->names, out);
        for (size_t i = 0; i < a->n; i++)
            fedc_value_release(items[i]);
        fedc_free(items);
        return st;
    }
    return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "expected tensors, got a value of kind %d",
                           (int)a->kind);
}

fedc_status fedc__value_scale(fedc_ctx *ctx, const fedc_value *a, double s, fedc_value **out) {
    return scale(ctx, a, s, false, out);
}

fedc_status fedc__value_divide(fedc_ctx *ctx, const fedc_value *a, double d, fedc_value **out) {
    return scale(ctx, a, d, true, out);
}
