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

static inline float apply(fedc_binary_op op, float x, float y) {
    switch (op) {
    case FEDC_BINARY_OP_ADD: return x + y;
    case FEDC_BINARY_OP_SUB: return x - y;
    case FEDC_BINARY_OP_MUL: return x * y;
    default: return x / y;
    }
}

/* The loops over len <= TILE elements, in blocks of 8 and then one at a time: a block's
 * constant length lets the compiler vectorize it at -O2 (a loop of unknown length it
 * vectorizes only at -O3), and unrolled it is two vector operations with no loop of its own
 * (as a loop of two iterations it ran at half the speed). Pointers never alias a written one (each
 * op writes a buffer of its own, or the running sum that only the last op reads). X(b) and Y(b)
 * read the first op's operands: an element, or a scalar held in a register (a scalar spread over a
 * buffer cost a third of the pass in stores and loads). */
#define LOOP(EXPR)                                                                                 \
    do {                                                                                           \
        size_t j = 0;                                                                              \
        for (; j + 8 <= len; j += 8)                                                               \
            _Pragma("GCC unroll 8") for (size_t b = j; b < j + 8; b++) out[b] = (EXPR);            \
        for (size_t b = j; b < len; b++)                                                           \
            out[b] = (EXPR);                                                                       \
    } while (0)

/* The operands' forms: both elements, x a scalar, or y a scalar. */
enum { VV, SV, VS };
#define X_VV(b) x[b]
#define Y_VV(b) y[b]
#define X_SV(b) xv
#define Y_SV(b) y[b]
#define X_VS(b) x[b]
#define Y_VS(b) yv

#define OP_CASE(M, O)                                                                              \
    case M * 4 + O:                                                                                \
        LOOP(apply(O, X_##M(b), Y_##M(b)));                                                        \
        break
#define OP_CASES(M)                                                                                \
    OP_CASE(M, FEDC_BINARY_OP_ADD);                                                                \
    OP_CASE(M, FEDC_BINARY_OP_SUB);                                                                \
    OP_CASE(M, FEDC_BINARY_OP_MUL);                                                                \
    OP_CASE(M, FEDC_BINARY_OP_DIV)

/* out = x op y, x or y a scalar (x[0], y[0]) as `form` says. This and run_pair are not inlined:
 * inlined, their restrict pointers no longer let the compiler vectorize the blocks. */
static __attribute__((noinline)) void run_op(fedc_binary_op op, int form, size_t len,
                                             const float *restrict x, const float *restrict y,
                                             float *restrict out) {
    float xv = x[0], yv = y[0];
    switch (form * 4 + (int)op) {
        OP_CASES(VV);
        OP_CASES(SV);
        OP_CASES(VS);
    }
}

/* Two ops in one pass: out = (x o1 y) o2 z, or z o2 (x o1 y) when z_first; with acc, out[i] =
 * out[i] + that, the running sum's addition (fedc__value_accumulate's: the sum on the left). A
 * tile written and read back between two ops cost as many stores as the arithmetic, so a pair
 * keeps the inner result in a register. The rounding is the same: one float32 operation at a
 * time, no contraction. */
#define PAIR_CASE(M, O1, O2)                                                                       \
    case (M * 4 + O1) * 4 + O2:                                                                    \
        if (z_first && acc)                                                                        \
            LOOP(out[b] + apply(O2, z[b], apply(O1, X_##M(b), Y_##M(b))));                         \
        else if (acc)                                                                              \
            LOOP(out[b] + apply(O2, apply(O1, X_##M(b), Y_##M(b)), z[b]));                         \
        else if (z_first)                                                                          \
            LOOP(apply(O2, z[b], apply(O1, X_##M(b), Y_##M(b))));                                  \
        else                                                                                       \
            LOOP(apply(O2, apply(O1, X_##M(b), Y_##M(b)), z[b]));                                  \
        break
#define PAIR_CASES2(M, O1)                                                                         \
    PAIR_CASE(M, O1, FEDC_BINARY_OP_ADD);                                                          \
    PAIR_CASE(M, O1, FEDC_BINARY_OP_SUB);                                                          \
    PAIR_CASE(M, O1, FEDC_BINARY_OP_MUL);                                                          \
    PAIR_CASE(M, O1, FEDC_BINARY_OP_DIV)
#define PAIR_CASES(M)                                                                              \
    PAIR_CASES2(M, FEDC_BINARY_OP_ADD);                                                            \
    PAIR_CASES2(M, FEDC_BINARY_OP_SUB);                                                            \
    PAIR_CASES2(M, FEDC_BINARY_OP_MUL);                                                            \
    PAIR_CASES2(M, FEDC_BINARY_OP_DIV)

static __attribute__((noinline)) void run_pair(fedc_binary_op o1, fedc_binary_op o2, int form,
                                               bool z_first, bool acc, size_t len,
                                               const float *restrict x, const float *restrict y,
                                               const float *restrict z, float *restrict out) {
    float xv = x[0], yv = y[0];
    switch ((form * 4 + (int)o1) * 4 + (int)o2) {
        PAIR_CASES(VV);
        PAIR_CASES(SV);
        PAIR_CASES(VS);
    }
}

/* sum[i] = sum[i] + x[i]: the running sum's addition (fedc__value_accumulate's). */
static void add_tile(size_t len, const float *restrict x, float *restrict out) {
    LOOP(out[b] + x[b]);
}

/* An operand of an op for one tile: its elements, or a scalar (p[0]). */
typedef struct operand {
    const float *p;
    bool scalar;
} operand;

/* The leaves of a run of the program. */
typedef struct leaf_data {
    /* a tile of an int32 operand, converted, or a scalar operand spread where an op needs
     * elements (a leaf is one or the other) */
    float buf[MAX_LEAVES][TILE];
    float value[MAX_LEAVES];         /* a scalar operand */
    const float *base[MAX_LEAVES];   /* a float32 operand's elements */
    const int32_t *ints[MAX_LEAVES]; /* an int32 operand of a cast, NULL for float32 */
    bool scalar[MAX_LEAVES], spread_made[MAX_LEAVES];
} leaf_data;

/* Leaf l's elements [at, at + len), or its scalar: an int32 operand is converted a tile at a
 * time, as fedc_tensor_cast does it: (float)x. */
static operand leaf_tile(leaf_data *d, int l, int64_t at, size_t len) {
    if (d->scalar[l]) return (operand){&d->value[l], true};
    if (d->ints[l]) {
        for (size_t j = 0; j < len; j++)
            d->buf[l][j] = (float)d->ints[l][at + (int64_t)j];
        return (operand){d->buf[l], false};
    }
    return (operand){d->base[l] + at, false};
}

/* The elements of an operand: a scalar spread over a tile (once per run) when it is not where
 * the kernels take one in a register. */
static const float *elements(leaf_data *d, operand o) {
    if (!o.scalar) return o.p;
    int l = (int)(o.p - d->value);
    if (!d->spread_made[l]) {
        for (int j = 0; j < TILE; j++)
            d->buf[l][j] = d->value[l];
        d->spread_made[l] = true;
    }
    return d->buf[l];
}

/* The form of x and y for the kernels; a scalar that does not fit one is spread. */
static int form_of(leaf_data *d, operand *x, operand *y) {
    if (x->scalar && !y->scalar) return SV;
    if (y->scalar && !x->scalar) return VS;
    if (x->scalar) x->p = elements(d, *x); /* both: a one-element result, or broadcast ones */
    return y->scalar ? VS : VV;
}

/* A program that is one pair: its ops and leaves. */
typedef struct pair_prog {
    fedc_binary_op o1, o2;
    bool z_first;
    int x, y, z;
} pair_prog;

/* Whether the program is one pair whose operands the kernels take as they are (no int32
 * elements to convert a tile at a time, no scalar to spread over one): it then runs tile after
 * tile with no interpretation (a fifth of a small client's work); the tiles stay, as the
 * compiler vectorizes the kernels for the lengths it knows them to have. */
static bool one_pass(const chain *c, const leaf_data *d, pair_prog *p) {
    const int *code = c->code;
    if (c->ncode != 5 || code[0] < 0 || code[1] < 0 || code[4] >= 0) return false;
    if (code[2] < 0 && code[3] >= 0) { /* (x o1 y) o2 z */
        *p = (pair_prog){(fedc_binary_op)(-code[2] - 1),
                         (fedc_binary_op)(-code[4] - 1),
                         false,
                         code[0],
                         code[1],
                         code[3]};
    } else if (code[2] >= 0 && code[3] < 0) { /* z o2 (x o1 y) */
        *p = (pair_prog){(fedc_binary_op)(-code[3] - 1),
                         (fedc_binary_op)(-code[4] - 1),
                         true,
                         code[1],
                         code[2],
                         code[0]};
    } else {
        return false;
    }
    const int l[3] = {p->x, p->y, p->z};
    for (int k = 0; k < 3; k++)
        if (d->ints[l[k]] && !d->scalar[l[k]]) return false;
    return !d->scalar[p->z] && !(d->scalar[p->x] && d->scalar[p->y]);
}

/* Leaf l's operand at element `at`: its scalar, or its elements from there. */
static const float *leaf_at(const leaf_data *d, int l, int64_t at) {
    return d->scalar[l] ? &d->value[l] : d->base[l] + at;
}

/* Runs the program over numel elements into out, or adds its result into out when acc; vals
 * are the leaves' values (contiguous tensors of numel elements or scalars: float32, or int32 for
 * a cast leaf). An op whose result the next op takes at once runs with it as a pair. */
static void run_chain(const chain *c, fedc_value *const *vals, int64_t numel, float *out,
                      bool acc) {
    leaf_data d;
    float tmp[MAX_CODE][TILE]; /* the result of the op at code[k] */
    for (int l = 0; l < c->nleaves; l++) {
        const fedc_tensor *t = &vals[l]->tensor;
        d.spread_made[l] = false;
        if (c->unused[l]) continue;
        d.scalar[l] = fedc_tensor_numel(t) == 1 && numel != 1;
        d.ints[l] = t->dtype == FEDC_DTYPE_INT32 ? t->data : NULL;
        d.base[l] = d.ints[l] ? NULL : t->data;
        if (d.scalar[l]) d.value[l] = d.ints[l] ? (float)d.ints[l][0] : d.base[l][0];
    }
    pair_prog p;
    if (one_pass(c, &d, &p)) {
        int form = d.scalar[p.x] ? SV : d.scalar[p.y] ? VS : VV;
        for (int64_t at = 0; at < numel; at += TILE) {
            size_t len = (size_t)(numel - at < TILE ? numel - at : TILE);
            run_pair(p.o1, p.o2, form, p.z_first, acc, len, leaf_at(&d, p.x, at),
                     leaf_at(&d, p.y, at), d.base[p.z] + at, out + at);
        }
        return;
    }
    const int last = c->ncode - 1;
    for (int64_t at = 0; at < numel; at += TILE) {
        size_t len = (size_t)(numel - at < TILE ? numel - at : TILE);
        operand stack[MAX_LEAVES];
        int sp = 0;
        for (int k = 0; k < c->ncode; k++) {
            int code = c->code[k];
            if (code >= 0) {
                stack[sp++] = leaf_tile(&d, code, at, len);
                continue;
            }
            fedc_binary_op o1 = (fedc_binary_op)(-code - 1);
            operand y = stack[--sp], x = stack[--sp];
            int form = form_of(&d, &x, &y);
            float *dst;
            if (k + 1 <= last && c->code[k + 1] < 0) {
                /* the next op takes this result as its y: z o2 (x o1 y) */
                k++;
                const float *z = elements(&d, stack[--sp]);
                dst = k == last ? out + at : tmp[k];
                run_pair(o1, (fedc_binary_op)(-c->code[k] - 1), form, true, acc && k == last, len,
                         x.p, y.p, z, dst);
            } else if (k + 2 <= last && c->code[k + 1] >= 0 && c->code[k + 2] < 0) {
                /* the next op takes this result as its x and a leaf as its y: (x o1 y) o2 z */
                const float *z = elements(&d, leaf_tile(&d, c->code[k + 1], at, len));
                k += 2;
                dst = k == last ? out + at : tmp[k];
                run_pair(o1, (fedc_binary_op)(-c->code[k] - 1), form, false, acc && k == last, len,
                         x.p, y.p, z, dst);
            } else {
                dst = k == last && !acc ? out + at : tmp[k];
                run_op(o1, form, len, x.p, y.p, dst);
                if (k == last && acc) add_tile(len, dst, out + at);
            }
            stack[sp++] = (operand){dst, false};
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
    if (full)
        *shape = *full;
    else
        *shape = FEDC_SHAPE0;
    return true;
}

/* The compiled chains of a run: an open-addressed table keyed by call node, as the literal
 * cache (exec.c). `node` is claimed by compare-and-swap, then `chain` published: the compiled
 * program, or &no_chain for a call that does not fuse. A reader that finds the node before its
 * chain compiles its own. Compiling looked up each builtin's name, per call, per client: as
 * much time as the arithmetic of a small chain. */
enum { CHAIN_SLOTS = 64 };
struct fedc__chain_slot {
    const fedc_node *_Atomic node;
    chain *_Atomic chain;
};
static chain no_chain; /* the mark of a call that does not fuse; never read */

struct fedc__chain_slot *fedc__exec_chains_new(void) {
    return fedc_calloc(CHAIN_SLOTS, sizeof(struct fedc__chain_slot));
}

void fedc__exec_chains_free(struct fedc__chain_slot *chains) {
    for (size_t i = 0; chains && i < CHAIN_SLOTS; i++) {
        chain *c = atomic_load(&chains[i].chain);
        if (c != &no_chain) fedc_free(c);
    }
    fedc_free(chains);
}

/* Compiles call n into *c; false when it does not fuse. */
static bool compile_call(const fedc_node *n, chain *c) {
    if (fusable_op(n) < 0) return false;
    const fedc_node *x = n->a[1]->items[0], *y = n->a[1]->items[1];
    if (fusable_op(x) < 0 && fusable_op(y) < 0 && !fusable_cast(x) && !fusable_cast(y))
        return false; /* one op alone: nothing to save */
    memset(c, 0, sizeof *c);
    return compile(c, n);
}

/* n's chain: from the run's table, else compiled into *local; NULL when n does not fuse. */
static const chain *find_chain(fedc__exec *ex, const fedc_node *n, chain *local) {
    struct fedc__chain_slot *slots = ex->chains;
    uint64_t h = (uint64_t)(uintptr_t)n * UINT64_C(0x9E3779B97F4A7C15);
    for (size_t probe = 0; slots && probe < CHAIN_SLOTS; probe++) {
        struct fedc__chain_slot *s = &slots[((h >> 58) + probe) & (CHAIN_SLOTS - 1)];
        const fedc_node *key = atomic_load_explicit(&s->node, memory_order_acquire);
        if (key == n) {
            const chain *c = atomic_load_explicit(&s->chain, memory_order_acquire);
            if (c) return c == &no_chain ? NULL : c;
            break; /* another worker is compiling it */
        }
        if (!key && atomic_compare_exchange_strong(&s->node, &key, n)) {
            chain *c = compile_call(n, local) ? fedc_malloc(sizeof *c) : &no_chain;
            if (c && c != &no_chain) *c = *local;
            /* out of memory: the slot stays claimed without a chain, and callers compile */
            if (c) atomic_store_explicit(&s->chain, c, memory_order_release);
            return c == &no_chain ? NULL : local;
        }
    }
    return compile_call(n, local) ? local : NULL;
}

/* A float32 tensor value of `shape` for a result: the worker's spare when it has one of the
 * same size (its memory is overwritten whole), else a new one; NULL when out of memory. */
static fedc_value *result_value(fedc__exec *ex, const fedc_shape *shape) {
    size_t bytes = (size_t)fedc_shape_numel(shape) * sizeof(float);
    fedc_value *v = ex->spare ? *ex->spare : NULL;
    if (v && fedc_tensor_nbytes(&v->tensor) == bytes) {
        *ex->spare = NULL;
        if (!fedc_shape_equal(&v->tensor.shape, shape)) { /* else it is float32 of shape already */
            void *data = v->tensor.owned;
            v->tensor = fedc_tensor_view(FEDC_DTYPE_FLOAT32, shape, data);
            v->tensor.owned = data;
        }
        return v;
    }
    if (!(v = fedc__value_new(FEDC_VALUE_TENSOR, 0))) return NULL;
    if (fedc__tensor_alloc_output(ex->ctx, &v->tensor, FEDC_DTYPE_FLOAT32, shape) < 0) {
        fedc_value_release(v);
        return NULL;
    }
    return v;
}

fedc_status fedc__exec_fused_elementwise(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                         bool *done, fedc_value **out) {
    *done = false;
    *out = NULL;
    /* the running sum this call may add into: only for the mapped function's body itself, and
     * taken now, so that no call inside the leaves sees it */
    fedc__fold_into *into = ex->fold_into && ex->fold_into->node == n ? ex->fold_into : NULL;
    ex->fold_into = NULL;
    chain local;
    const chain *c = find_chain(ex, n, &local);
    if (!c) return FEDC_STATUS_OK;
    fedc_value *vals[MAX_LEAVES] = {NULL};
    bool borrowed[MAX_LEAVES] = {false};
    fedc_status st = FEDC_STATUS_OK;
    for (int l = 0; l < c->nleaves && st >= 0; l++)
        if (!(borrowed[l] = (vals[l] = fedc__exec_peek(ex, env, c->leaves[l])) != NULL))
            st = fedc__exec_eval(ex, env, c->leaves[l], &vals[l]);
    fedc_shape shape;
    if (st >= 0 && operands_fit(c, vals, &shape)) {
        if (into && fedc_shape_equal(&into->acc->tensor.shape, &shape)) {
            /* the client's result is next in a running sum: add it in as it is computed; the
             * value returned stands for it and is released unread */
            run_chain(c, vals, fedc_shape_numel(&shape), into->acc->tensor.data, true);
            into->done = true;
            *out = fedc_value_retain(into->acc);
            *done = true;
        } else {
            fedc_value *v = result_value(ex, &shape);
            if (v) { /* else the usual path reports the lack of memory */
                run_chain(c, vals, fedc_shape_numel(&shape), v->tensor.data, false);
                *out = v;
                *done = true;
            }
        }
    }
    if (st < 0) fedc_ctx_clear(ex->ctx); /* the usual path evaluates it again and reports it */
    for (int l = 0; l < c->nleaves; l++)
        if (!borrowed[l]) fedc_value_release(vals[l]);
    return FEDC_STATUS_OK;
}
