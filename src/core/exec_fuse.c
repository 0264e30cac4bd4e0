/* exec_fuse.c — the threaded executor's evaluation of a chain of elementwise float32 arithmetic
 * (`add(mul(cast(i, 1.0), a), b)`) in one pass: the operands that are not such arithmetic (nor
 * a cast to float32, which is converted as it is read) are evaluated as usual, then the chain
 * runs tile by tile through buffers on the stack, so a client's work allocates its result and
 * nothing for the intermediates, and reads each operand once while it is in cache.
 *
 * It must give the bits of node-by-node evaluation: each element goes through the same float32
 * operations (IEEE, no contraction: the library is built with -ffp-contract=off) in the same
 * order as the tensor layer's kernels. Anything else (other dtypes, broadcasting beyond a
 * scalar, a failing operand) is left to the usual path, which then reports what the reference
 * would.
 */
#include <string.h>

#include "core/core_int.h"

enum { MAX_LEAVES = 8, MAX_CODE = 2 * MAX_LEAVES - 1, TILE = 256 };

/* A postfix program over the chain's operands: code[k] >= 0 pushes leaf code[k]; a negative
 * code[k] pops two operands and pushes op -(code[k] + 1). A leaf marked `cast` is the x of
 * cast(x, like) to float32 (x int32 or float32), converted as it is read; the `like` that
 * follows it is marked `unused`: evaluated, as the node-by-node path would, and checked, but
 * never read. */
typedef struct chain {
    int ncode, nleaves;
    int code[MAX_CODE];
    const fedc_node *leaves[MAX_LEAVES];
    bool cast[MAX_LEAVES], unused[MAX_LEAVES];
} chain;

/* The arithmetic that fuses, or -1: a builtin call add/sub/mul/div on two unnamed operands whose
 * checked type is a float32 tensor. */
static int fusable_op(const fedc_node *n) {
    if (n->kind != FEDC_NODE_CALL || n->a[0]->kind != FEDC_NODE_BUILTIN || !n->type ||
        n->type->kind != FEDC_TYPE_TENSOR || n->type->dtype != FEDC_DTYPE_FLOAT32)
        return -1;
    const fedc_node *s = n->a[1];
    if (!s || s->kind != FEDC_NODE_STRUCT || s->n != 2 ||
        (s->names && (s->names[0] || s->names[1])))
        return -1;
    static const struct {
        const char *name;
        fedc_binary_op op;
    } ops[] = {{"add", FEDC_BINARY_OP_ADD},
               {"sub", FEDC_BINARY_OP_SUB},
               {"mul", FEDC_BINARY_OP_MUL},
               {"div", FEDC_BINARY_OP_DIV}};
    const char *name = n->a[0]->name;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (name[0] == ops[k].name[0] && strcmp(name, ops[k].name) == 0) return (int)ops[k].op;
    return -1;
}

/* Whether n is cast(x, like) of checked type float32, on two unnamed operands. */
static bool fusable_cast(const fedc_node *n) {
    if (n->kind != FEDC_NODE_CALL || n->a[0]->kind != FEDC_NODE_BUILTIN || !n->type ||
        n->type->kind != FEDC_TYPE_TENSOR || n->type->dtype != FEDC_DTYPE_FLOAT32)
        return false;
    const fedc_node *s = n->a[1];
    return s && s->kind == FEDC_NODE_STRUCT && s->n == 2 &&
           !(s->names && (s->names[0] || s->names[1])) && strcmp(n->a[0]->name, "cast") == 0;
}

/* Appends n to the program: its operands then its op when it fuses, else n as a leaf. False
 * when the chain has more leaves than fit (then the usual path takes the whole call). */
static bool compile(chain *c, const fedc_node *n) {
    int op = fusable_op(n);
    if (op < 0 && fusable_cast(n)) {
        if (c->nleaves + 2 > MAX_LEAVES) return false;
        c->leaves[c->nleaves] = n->a[1]->items[0];
        c->cast[c->nleaves] = true;
        c->code[c->ncode++] = c->nleaves++;
        c->leaves[c->nleaves] = n->a[1]->items[1];
        c->unused[c->nleaves++] = true;
        return true;
    }
    if (op < 0) {
        if (c->nleaves == MAX_LEAVES) return false;
        c->leaves[c->nleaves] = n;
        c->code[c->ncode++] = c->nleaves++;
        return true;
    }
    if (!compile(c, n->a[1]->items[0]) || !compile(c, n->a[1]->items[1])) return false;
    c->code[c->ncode++] = -(op + 1);
    return true;
}

/* One op over len <= TILE elements, in blocks of 8 and then one at a time. The pointers never
 * alias (each op writes a buffer of its own), and a block's constant length lets the compiler
 * vectorize it at -O2 (a loop of unknown length it vectorizes only at -O3). */
#define BLOCKED_LOOP(EXPR)                                                                         \
    do {                                                                                           \
        size_t j = 0;                                                                              \
        for (; j + 8 <= len; j += 8)                                                               \
            for (size_t b = j; b < j + 8; b++)                                                     \
                out[b] = (EXPR);                                                                   \
        for (size_t b = j; b < len; b++)                                                           \
            out[b] = (EXPR);                                                                       \
    } while (0)

static void run_op(fedc_binary_op op, size_t len, const float *restrict x, const float *restrict y,
                   float *restrict out) {
    switch (op) {
    case FEDC_BINARY_OP_ADD: BLOCKED_LOOP(x[b] + y[b]); break;
    case FEDC_BINARY_OP_SUB: BLOCKED_LOOP(x[b] - y[b]); break;
    case FEDC_BINARY_OP_MUL: BLOCKED_LOOP(x[b] * y[b]); break;
    default: BLOCKED_LOOP(x[b] / y[b]); break;
    }
}

/* Runs the program over numel elements into out; vals are the leaves' values (contiguous
 * tensors of numel elements or scalars: float32, or int32 for a cast leaf). An int32 operand is
 * converted a tile at a time, as fedc_tensor_cast does it: (float)x. */
static void run_chain(const chain *c, fedc_value *const *vals, int64_t numel, float *out) {
    float spread[MAX_LEAVES][TILE]; /* a scalar operand over a tile, or a tile converted */
    float tmp[MAX_CODE][TILE];      /* the result of the op at code[k] */
    const float *base[MAX_LEAVES];
    const int32_t *ints[MAX_LEAVES]; /* an int32 operand of a cast, NULL for float32 */
    bool scalar[MAX_LEAVES];
    for (int l = 0; l < c->nleaves; l++) {
        const fedc_tensor *t = &vals[l]->tensor;
        if (c->unused[l]) continue;
        scalar[l] = fedc_tensor_numel(t) == 1 && numel != 1;
        ints[l] = t->dtype == FEDC_DTYPE_INT32 ? t->data : NULL;
        base[l] = ints[l] ? NULL : t->data;
        if (scalar[l]) {
            float x = ints[l] ? (float)ints[l][0] : base[l][0];
            for (int j = 0; j < TILE; j++)
                spread[l][j] = x;
            base[l] = spread[l];
            ints[l] = NULL;
        }
    }
    for (int64_t at = 0; at < numel; at += TILE) {
        size_t len = (size_t)(numel - at < TILE ? numel - at : TILE);
        const float *stack[MAX_LEAVES];
        int sp = 0;
        for (int k = 0; k < c->ncode; k++) {
            int code = c->code[k];
            if (code >= 0) {
                const float *p = scalar[code] ? base[code] : base[code] + at;
                if (ints[code]) {
                    for (size_t j = 0; j < len; j++)
                        spread[code][j] = (float)ints[code][at + (int64_t)j];
                    p = spread[code];
                }
                stack[sp++] = p;
                continue;
            }
            const float *y = stack[--sp], *x = stack[--sp];
            float *dst = k == c->ncode - 1 ? out + at : tmp[k];
            run_op((fedc_binary_op)(-code - 1), len, x, y, dst);
            stack[sp++] = dst;
        }
    }
}

/* Whether the leaves' values can run through run_chain: contiguous tensors, float32 (int32 too
 * for the x of a cast; an unused `like` only float32, whatever its shape), all of one shape
 * except scalars (rank 0); *shape is the result's. */
static bool operands_fit(const chain *c, fedc_value *const *vals, fedc_shape *shape) {
    const fedc_shape *full = NULL;
    for (int l = 0; l < c->nleaves; l++) {
        const fedc_value *v = vals[l];
        if (v->kind != FEDC_VALUE_TENSOR || !fedc_tensor_is_contiguous(&v->tensor)) return false;
        fedc_dtype dt = v->tensor.dtype;
        if (dt != FEDC_DTYPE_FLOAT32 && !(c->cast[l] && dt == FEDC_DTYPE_INT32)) return false;
        if (c->unused[l] || v->tensor.shape.rank == 0) continue;
        if (!full)
            full = &v->tensor.shape;
        else if (!fedc_shape_equal(full, &v->tensor.shape))
            return false;
    }
    fedc_shape s0 = FEDC_SHAPE0;
    *shape = full ? *full : s0;
    return true;
}

fedc_status fedc__exec_fused_elementwise(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                         bool *done, fedc_value **out) {
    *done = false;
    *out = NULL;
    if (fusable_op(n) < 0) return FEDC_STATUS_OK;
    const fedc_node *x = n->a[1]->items[0], *y = n->a[1]->items[1];
    if (fusable_op(x) < 0 && fusable_op(y) < 0 && !fusable_cast(x) && !fusable_cast(y))
        return FEDC_STATUS_OK; /* one op alone: nothing to save */
    chain c;
    memset(&c, 0, sizeof c);
    if (!compile(&c, n)) return FEDC_STATUS_OK;
    fedc_value *vals[MAX_LEAVES] = {NULL};
    fedc_status st = FEDC_STATUS_OK;
    for (int l = 0; l < c.nleaves && st >= 0; l++)
        st = fedc__exec_eval(ex, env, c.leaves[l], &vals[l]);
    fedc_shape shape;
    if (st >= 0 && operands_fit(&c, vals, &shape)) {
        fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
        if (v && fedc__tensor_alloc_output(ex->ctx, &v->tensor, FEDC_DTYPE_FLOAT32, &shape) >= 0) {
            run_chain(&c, vals, fedc_shape_numel(&shape), v->tensor.data);
            *out = v;
            *done = true;
        } else {
            fedc_value_release(v); /* the usual path reports the lack of memory */
        }
    }
    if (st < 0) fedc_ctx_clear(ex->ctx); /* the usual path evaluates it again and reports it */
    for (int l = 0; l < c.nleaves; l++)
        fedc_value_release(vals[l]);
    return FEDC_STATUS_OK;
}
