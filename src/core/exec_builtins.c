/* exec_builtins.c — the built-in local tensor operations on values, for the reference executor:
 * each maps onto the tensor layer's checked operations (or a plain loop where the tensor layer
 * has none: where, logical_not, norms). Results are new values; inputs are never modified.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

typedef struct bx {
    fedc__exec *ex;
    const fedc_node *call;
    const char *name;
} bx;

static fedc_status bad(const bx *b, const char *want) {
    return fedc__node_errorf(b->ex->ctx, b->call, FEDC_STATUS_TYPE, "%s expects %s", b->name, want);
}

static fedc_status oom(const bx *b) {
    return fedc__node_errorf(b->ex->ctx, b->call, FEDC_STATUS_OUT_OF_MEMORY, "out of memory in %s",
                             b->name);
}

static const fedc_tensor *tensor_arg(const fedc_value *a, size_t i, size_t n) {
    const fedc_value *v =
        n == 1 ? a : (a && a->kind == FEDC_VALUE_STRUCT && a->n == n ? a->items[i] : NULL);
    return v && v->kind == FEDC_VALUE_TENSOR ? &v->tensor : NULL;
}

/* A new tensor value of dtype/shape (zeroed) for the result. */
static fedc_status new_tensor(const bx *b, fedc_dtype dt, const fedc_shape *shape,
                              fedc_value **out) {
    fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
    if (!v) return oom(b);
    fedc_status st = fedc_tensor_alloc(b->ex->ctx, &v->tensor, dt, shape);
    if (st < 0) {
        fedc_value_release(v);
        return st;
    }
    *out = v;
    return FEDC_STATUS_OK;
}

/* A new tensor value of dtype/shape whose elements are left unset, for an operation that writes
 * every one of them. */
static fedc_status new_output(const bx *b, fedc_dtype dt, const fedc_shape *shape,
                              fedc_value **out) {
    fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
    if (!v) return oom(b);
    fedc_status st = fedc__tensor_alloc_output(b->ex->ctx, &v->tensor, dt, shape);
    if (st < 0) {
        fedc_value_release(v);
        return st;
    }
    *out = v;
    return FEDC_STATUS_OK;
}

/* The builtins that map onto one tensor-layer operation, by name, sorted for bsearch (the names
 * are the tensor layer's own, copied once). A client's work calls builtins in its inner loop,
 * where comparing the name with every operation's in turn showed up in profiles. */
typedef enum op_family { FAMILY_BINARY, FAMILY_UNARY } op_family;

typedef struct op_entry {
    const char *name;
    op_family family;
    int op;
} op_entry;

static op_entry g_ops[FEDC_BINARY_OP_COUNT + FEDC_UNARY_OP_COUNT];
static size_t g_nops;
static pthread_once_t g_ops_once = PTHREAD_ONCE_INIT;

static int op_entry_cmp(const void *a, const void *b) {
    return strcmp(((const op_entry *)a)->name, ((const op_entry *)b)->name);
}

static void build_ops(void) {
    for (int op = 0; op < FEDC_BINARY_OP_COUNT; op++)
        g_ops[g_nops++] = (op_entry){fedc_binary_op_name((fedc_binary_op)op), FAMILY_BINARY, op};
    for (int op = 0; op < FEDC_UNARY_OP_COUNT; op++)
        g_ops[g_nops++] = (op_entry){fedc_unary_op_name((fedc_unary_op)op), FAMILY_UNARY, op};
    qsort(g_ops, g_nops, sizeof g_ops[0], op_entry_cmp);
}

static const op_entry *find_op(const char *name) {
    pthread_once(&g_ops_once, build_ops);
    op_entry key = {name, FAMILY_BINARY, 0};
    return bsearch(&key, g_ops, g_nops, sizeof g_ops[0], op_entry_cmp);
}

/* Contiguous copy of t broadcast to shape (for loops that index flat). */
static fedc_status expand_clone(const bx *b, const fedc_tensor *t, const fedc_shape *shape,
                                fedc_tensor *out) {
    fedc_tensor view;
    fedc_status st = fedc_tensor_expand(b->ex->ctx, t, shape, &view);
    if (st < 0) return st;
    return fedc_tensor_clone(b->ex->ctx, &view, out);
}

static fedc_status do_where(const bx *b, const fedc_value *a, fedc_value **out) {
    const fedc_tensor *c = tensor_arg(a, 0, 3), *x = tensor_arg(a, 1, 3), *y = tensor_arg(a, 2, 3);
    if (!c || !x || !y) return bad(b, "<bool tensor,tensor,tensor>");
    fedc_shape s1, s2;
    fedc_status st;
    if ((st = fedc_shape_broadcast(b->ex->ctx, &x->shape, &y->shape, &s1)) < 0 ||
        (st = fedc_shape_broadcast(b->ex->ctx, &c->shape, &s1, &s2)) < 0)
        return st;
    fedc_tensor ce = {0}, xe = {0}, ye = {0};
    if ((st = expand_clone(b, c, &s2, &ce)) >= 0 && (st = expand_clone(b, x, &s2, &xe)) >= 0 &&
        (st = expand_clone(b, y, &s2, &ye)) >= 0 && (st = new_tensor(b, x->dtype, &s2, out)) >= 0) {
        size_t es = fedc_dtype_size(x->dtype);
        int64_t n = fedc_shape_numel(&s2);
        for (int64_t i = 0; i < n; i++)
            memcpy((char *)(*out)->tensor.data + i * (int64_t)es,
                   (char *)(((const uint8_t *)ce.data)[i] ? xe.data : ye.data) + i * (int64_t)es,
                   es);
    }
    fedc_tensor_free(&ce);
    fedc_tensor_free(&xe);
    fedc_tensor_free(&ye);
    return st;
}

static double sum_squares(const fedc_value *v) {
    if (v->kind == FEDC_VALUE_TENSOR) {
        double s = 0;
        int64_t n = fedc_tensor_numel(&v->tensor);
        for (int64_t i = 0; i < n; i++) {
            double x = fedc_tensor_get_flat(&v->tensor, i);
            s += x * x;
        }
        return s;
    }
    double s = 0;
    for (size_t i = 0; i < v->n; i++)
        s += sum_squares(v->items[i]);
    return s;
}

static fedc_status scalar_value(const bx *b, fedc_dtype dt, double x, fedc_value **out) {
    fedc_shape s0 = FEDC_SHAPE0;
    fedc_status st = new_tensor(b, dt, &s0, out);
    if (st >= 0) fedc_tensor_set_flat(&(*out)->tensor, 0, x);
    return st;
}

/* zeros_like / ones_like over tensors and structs. */
static fedc_status fill_like(const bx *b, const fedc_value *v, double x, fedc_value **out) {
    if (v->kind == FEDC_VALUE_TENSOR) {
        fedc_status st = new_tensor(b, v->tensor.dtype, &v->tensor.shape, out);
        if (st >= 0) fedc_tensor_fill(&(*out)->tensor, x);
        return st;
    }
    if (v->kind != FEDC_VALUE_STRUCT) return bad(b, "tensors");
    fedc_value **items = fedc_calloc(v->n ? v->n : 1, sizeof *items);
    if (!items) return oom(b);
    fedc_status st = FEDC_STATUS_OK;
    for (size_t i = 0; i < v->n && st >= 0; i++)
        st = fill_like(b, v->items[i], x, &items[i]);
    if (st >= 0)
        st = fedc_value_struct(b->ex->ctx, v->n, items, (const char *const *)v->names, out);
    for (size_t i = 0; i < v->n; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    return st;
}

fedc_status fedc__exec_builtin(fedc__exec *ex, const fedc_node *call, const char *name,
                               fedc_value *a, fedc_value **out) {
    *out = NULL;
    bx b = {ex, call, name};
    fedc_ctx *ctx = ex->ctx;
    fedc_status st;
    if (!a) return bad(&b, "an argument");
    const op_entry *e = find_op(name);
    if (e && e->family == FAMILY_BINARY) {
        if (!tensor_arg(a, 0, 2) || !tensor_arg(a, 1, 2)) return bad(&b, "two tensors");
        return fedc__value_binary(ctx, (fedc_binary_op)e->op, a->items[0], a->items[1], out);
    }
    if (e) {
        const fedc_tensor *x = tensor_arg(a, 0, 1);
        if (!x) return bad(&b, "a tensor");
        if ((st = new_output(&b, x->dtype, &x->shape, out)) < 0) return st;
        if ((st = fedc_tensor_unary(ctx, (fedc_unary_op)e->op, x, &(*out)->tensor)) < 0) {
            fedc_value_release(*out);
            *out = NULL;
        }
        return st;
    }
    if (strncmp(name, "reduce_", 7) == 0) {
        fedc_reduce_op op = FEDC_REDUCE_OP_COUNT;
        for (int k = 0; k < FEDC_REDUCE_OP_COUNT; k++)
            if (strcmp(name + 7, fedc_reduce_op_name((fedc_reduce_op)k)) == 0)
                op = (fedc_reduce_op)k;
        bool has_axis = a->kind == FEDC_VALUE_STRUCT;
        const fedc_tensor *x = tensor_arg(a, 0, has_axis ? 2 : 1);
        const fedc_tensor *axis_t = has_axis ? tensor_arg(a, 1, 2) : NULL;
        if (!x || op == FEDC_REDUCE_OP_COUNT || (has_axis && !axis_t))
            return bad(&b, "a tensor, or <tensor,axis>");
        int axis = has_axis ? (int)fedc_tensor_get_flat(axis_t, 0) : -1;
        if (has_axis && (axis < 0 || axis >= x->shape.rank)) return bad(&b, "an axis in range");
        fedc_shape s = FEDC_SHAPE0;
        for (int i = 0; has_axis && i < x->shape.rank; i++)
            if (i != axis) s.dims[s.rank++] = x->shape.dims[i];
        if ((st = new_tensor(&b, x->dtype, &s, out)) < 0) return st;
        uint32_t mask = has_axis ? 1u << axis : 0;
        if (x->shape.rank == 0) { /* reducing a scalar is the scalar */
            st = fedc_tensor_copy(ctx, &(*out)->tensor, x);
        } else {
            st = fedc_tensor_reduce(ctx, op, x, mask, false, &(*out)->tensor);
        }
        if (st < 0) {
            fedc_value_release(*out);
            *out = NULL;
        }
        return st;
    }
    if (strcmp(name, "logical_not") == 0) {
        const fedc_tensor *x = tensor_arg(a, 0, 1);
        if (!x) return bad(&b, "a tensor");
        if ((st = new_tensor(&b, FEDC_DTYPE_BOOL, &x->shape, out)) < 0) return st;
        for (int64_t i = 0; i < fedc_tensor_numel(x); i++)
            fedc_tensor_set_flat(&(*out)->tensor, i, fedc_tensor_get_flat(x, i) == 0);
        return FEDC_STATUS_OK;
    }
    if (strcmp(name, "where") == 0) return do_where(&b, a, out);
    if (strcmp(name, "cast") == 0) {
        const fedc_tensor *x = tensor_arg(a, 0, 2), *like = tensor_arg(a, 1, 2);
        if (!x || !like) return bad(&b, "<tensor,tensor>");
        if ((st = new_output(&b, like->dtype, &x->shape, out)) < 0) return st;
        if ((st = fedc_tensor_cast(ctx, &(*out)->tensor, x)) < 0) {
            fedc_value_release(*out);
            *out = NULL;
        }
        return st;
    }
    if (strcmp(name, "matmul") == 0) {
        const fedc_tensor *x = tensor_arg(a, 0, 2), *y = tensor_arg(a, 1, 2);
        if (!x || !y || x->shape.rank != 2 || y->shape.rank != 2)
            return bad(&b, "two rank-2 tensors");
        fedc_shape s = FEDC_SHAPE(x->shape.dims[0], y->shape.dims[1]);
        if ((st = new_tensor(&b, x->dtype, &s, out)) < 0) return st;
        if ((st = fedc_tensor_matmul(ctx, x, false, y, false, &(*out)->tensor)) < 0) {
            fedc_value_release(*out);
            *out = NULL;
        }
        return st;
    }
    if (strcmp(name, "reshape") == 0) {
        const fedc_tensor *x = tensor_arg(a, 0, 2), *shape = tensor_arg(a, 1, 2);
        if (!x || !shape || shape->shape.rank != 1 || shape->shape.dims[0] > FEDC_MAX_RANK)
            return bad(&b, "<tensor,shape>");
        fedc_shape s = FEDC_SHAPE0;
        s.rank = (int)shape->shape.dims[0];
        for (int i = 0; i < s.rank; i++)
            s.dims[i] = (int64_t)fedc_tensor_get_flat(shape, i);
        fedc_tensor view;
        if ((st = fedc_tensor_reshape(ctx, x, &s, &view)) < 0) return st;
        return fedc_value_tensor(ctx, &view, out);
    }
    if (strcmp(name, "norm") == 0) {
        fedc_dtype dt = a->kind == FEDC_VALUE_TENSOR ? a->tensor.dtype : FEDC_DTYPE_FLOAT32;
        return scalar_value(&b, dt, sqrt(sum_squares(a)), out);
    }
    if (strcmp(name, "clip_by_norm") == 0) {
        const fedc_tensor *c = tensor_arg(a, 1, 2);
        if (!c) return bad(&b, "<tensors,scalar>");
        double clip = fedc_tensor_get_flat(c, 0), norm = sqrt(sum_squares(a->items[0]));
        if (norm <= clip) {
            *out = fedc_value_retain(a->items[0]);
            return FEDC_STATUS_OK;
        }
        return fedc__value_scale(ctx, a->items[0], clip / norm, out);
    }
    if (strcmp(name, "zeros_like") == 0) return fill_like(&b, a, 0.0, out);
    if (strcmp(name, "ones_like") == 0) return fill_like(&b, a, 1.0, out);
    if (strcmp(name, "fill") == 0) {
        const fedc_tensor *shape = tensor_arg(a, 0, 2), *value = tensor_arg(a, 1, 2);
        if (!shape || !value || shape->shape.rank != 1 || shape->shape.dims[0] > FEDC_MAX_RANK)
            return bad(&b, "<shape,scalar>");
        fedc_shape s = FEDC_SHAPE0;
        s.rank = (int)shape->shape.dims[0];
        for (int i = 0; i < s.rank; i++)
            s.dims[i] = (int64_t)fedc_tensor_get_flat(shape, i);
        if ((st = new_tensor(&b, value->dtype, &s, out)) < 0) return st;
        fedc_tensor_fill(&(*out)->tensor, fedc_tensor_get_flat(value, 0));
        return FEDC_STATUS_OK;
    }
    if (strcmp(name, "size") == 0) {
        const fedc_tensor *x = tensor_arg(a, 0, 1);
        if (!x) return bad(&b, "a tensor");
        return scalar_value(&b, FEDC_DTYPE_INT32, (double)fedc_tensor_numel(x), out);
    }
    return fedc__node_errorf(ctx, call, FEDC_STATUS_NOT_FOUND, "unknown builtin '%s'", name);
}
