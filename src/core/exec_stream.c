/* exec_stream.c — the threaded executor's streaming of more shapes than one aggregation of one
 * map: a weighted mean of two maps over one argument, and a let-bound federated_map used only by
 * aggregations. Each client's values are computed once on a worker and folded into every
 * aggregation that needs them, in client-index order on the calling thread, so only a window of
 * client results is held and the arithmetic is the reference executor's, bit for bit.
 *
 * It must fold exactly as exec_intrinsics.c does (same operations, same order, same first
 * element), never in completion order; a shape it does not recognise is left to the general
 * path (done = false), never approximated.
 */
#include <string.h>

#include "core/core_int.h"

enum { MAX_CONSUMERS = 8, MAX_SLOTS = 16 };

/* One aggregation fed by the stream. */
typedef struct consumer {
    const fedc_node *call;
    fedc_intrinsic in;
    size_t slot[2]; /* the per-client values it folds (weighted mean: value, weight) */
    fedc_binary_op op;
    fedc_value *acc, *wacc;          /* running fold; weighted mean: also the weights' sum */
    fedc_value *accumulate, *report; /* federated_aggregate's functions */
} consumer;

/* What each client computes: base = src_fn(member) (or the member itself), then one value per
 * slot, slot_fn[s](base) (or base itself). */
typedef struct plan {
    fedc_value *src_fn, *src;
    size_t nslots, ncons;
    fedc_value *slot_fn[MAX_SLOTS];
    bool slot_used[MAX_SLOTS];
    consumer cons[MAX_CONSUMERS];
} plan;

static void plan_release(plan *p) {
    fedc_value_release(p->src_fn);
    fedc_value_release(p->src);
    for (size_t s = 0; s < p->nslots; s++)
        fedc_value_release(p->slot_fn[s]);
    for (size_t k = 0; k < p->ncons; k++) {
        consumer *c = &p->cons[k];
        fedc_value_release(c->acc);
        fedc_value_release(c->wacc);
        fedc_value_release(c->accumulate);
        fedc_value_release(c->report);
    }
}

static bool is_intrinsic_call(const fedc_node *n, fedc_intrinsic in) {
    return n && n->kind == FEDC_NODE_CALL && n->a[0]->kind == FEDC_NODE_INTRINSIC &&
           n->a[0]->intrinsic == in && n->a[1];
}

/* federated_map(<F, X>) written with a struct argument: its F and X, else false. */
static bool map_parts(const fedc_node *n, const fedc_node **f, const fedc_node **x) {
    if (!is_intrinsic_call(n, FEDC_INTRINSIC_FEDERATED_MAP)) return false;
    const fedc_node *a = n->a[1];
    if (a->kind != FEDC_NODE_STRUCT || a->n != 2) return false;
    *f = a->items[0];
    *x = a->items[1];
    return true;
}

static bool streams(const fedc_value *v) {
    return v && v->kind == FEDC_VALUE_FEDERATED && v->placement == FEDC_PLACEMENT_CLIENTS &&
           !v->all_equal && v->n > 0;
}

/* Sets the plan's source from node x: a federated_map(<F, Y>) streams Y through F (so a map of
 * a map never holds the inner results), anything else is evaluated and streamed as it is.
 * *ok false when the source has no per-client members to stream. */
static fedc_status set_source(fedc__exec *ex, fedc__env *env, const fedc_node *x, plan *p,
                              bool *ok) {
    const fedc_node *f, *y;
    fedc_status st;
    if (map_parts(x, &f, &y)) {
        if ((st = fedc__exec_eval(ex, env, f, &p->src_fn)) < 0) return st;
        x = y;
    }
    if ((st = fedc__exec_eval(ex, env, x, &p->src)) < 0) return st;
    *ok = streams(p->src);
    return FEDC_STATUS_OK;
}

static fedc_status add_slot(fedc__exec *ex, fedc__env *env, plan *p, const fedc_node *fn,
                            size_t *slot) {
    if (p->nslots == MAX_SLOTS)
        return fedc__node_errorf(ex->ctx, fn, FEDC_STATUS_INTERNAL, "too many streamed values");
    *slot = p->nslots++;
    p->slot_used[*slot] = true;
    return fn ? fedc__exec_eval(ex, env, fn, &p->slot_fn[*slot]) : FEDC_STATUS_OK;
}

/* ---- per client, on a worker ---- */

static fedc_status client_work(fedc__exec *ex, void *user, fedc_value *x, fedc_value **out) {
    plan *p = user;
    fedc_value *base;
    fedc_status st = p->src_fn ? fedc__exec_apply(ex, p->src_fn, x, &base) : FEDC_STATUS_OK;
    if (st < 0) return st;
    if (!p->src_fn) base = fedc_value_retain(x);
    fedc_value *v = fedc__value_new(FEDC_VALUE_STRUCT, p->nslots);
    if (!v) {
        fedc_value_release(base);
        return fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
    }
    for (size_t s = 0; s < p->nslots && st >= 0; s++) {
        if (p->slot_fn[s])
            st = fedc__exec_apply(ex, p->slot_fn[s], base, &v->items[s]);
        else
            v->items[s] = fedc_value_retain(base);
    }
    fedc_value_release(base);
    if (st < 0) {
        fedc_value_release(v);
        return st;
    }
    *out = v;
    return FEDC_STATUS_OK;
}

/* ---- folding, on the calling thread, in client order (as exec_intrinsics.c) ---- */

static fedc_status wrong_kind(fedc__exec *ex, const consumer *c) {
    return fedc__node_errorf(ex->ctx, c->call, FEDC_STATUS_TYPE, "%s got a value of the wrong kind",
                             fedc_intrinsic_name(c->in));
}

static fedc_status feed(fedc__exec *ex, consumer *c, size_t i, fedc_value *const *vals) {
    fedc_status st = FEDC_STATUS_OK;
    fedc_value *v = vals[c->slot[0]];
    switch (c->in) {
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE: {
        fedc_value *pair[2] = {c->acc, v}, *arg, *next = NULL;
        if ((st = fedc_value_struct(ex->ctx, 2, pair, NULL, &arg)) < 0) return st;
        if ((st = fedc__exec_apply(ex, c->accumulate, arg, &next)) < 0)
            fedc__exec_client_error(ex, c->in, i, st);
        fedc_value_release(arg);
        fedc_value_release(c->acc);
        c->acc = next;
        return st;
    }
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN: {
        fedc_value *w = vals[c->slot[1]], *term;
        if (w->kind != FEDC_VALUE_TENSOR || fedc_tensor_numel(&w->tensor) != 1)
            return wrong_kind(ex, c);
        double wi = fedc_tensor_get_flat(&w->tensor, 0);
        if (!c->wacc)
            c->wacc = fedc_value_retain(w);
        else if ((st = fedc__value_accumulate(ex->ctx, FEDC_BINARY_OP_ADD, &c->wacc, w)) < 0)
            return st;
        if ((st = fedc__value_scale(ex->ctx, v, wi, &term)) < 0) return st;
        if (!c->acc) {
            c->acc = term;
            return FEDC_STATUS_OK;
        }
        st = fedc__value_accumulate(ex->ctx, FEDC_BINARY_OP_ADD, &c->acc, term);
        fedc_value_release(term);
        return st;
    }
    default: /* sum, mean, min, max: acc = m0, then op(acc, m_i) */
        if (!c->acc) {
            c->acc = fedc_value_retain(v);
            return FEDC_STATUS_OK;
        }
        if ((st = fedc__value_accumulate(ex->ctx, c->op, &c->acc, v)) < 0)
            return fedc__exec_client_error(ex, c->in, i, st);
        return FEDC_STATUS_OK;
    }
}

static fedc_status sink(fedc__exec *ex, void *user, size_t i, fedc_value *r) {
    plan *p = user;
    fedc_status st = FEDC_STATUS_OK;
    for (size_t k = 0; k < p->ncons && st >= 0; k++)
        st = feed(ex, &p->cons[k], i, r->items);
    fedc_value_release(r);
    return st;
}

/* The consumer's result at the server, from its fold over n clients. */
static fedc_status finish(fedc__exec *ex, consumer *c, size_t n, fedc_value **out) {
    fedc_value *r = NULL;
    fedc_status st = FEDC_STATUS_OK;
    switch (c->in) {
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE:
        st = fedc__exec_apply(ex, c->report, c->acc, &r);
        break;
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN: {
        const fedc_value *w = c->wacc;
        if (!w || w->kind != FEDC_VALUE_TENSOR || fedc_tensor_numel(&w->tensor) != 1)
            return wrong_kind(ex, c);
        double wsum = fedc_tensor_get_flat(&w->tensor, 0);
        if (!c->acc || wsum == 0)
            return fedc__node_errorf(ex->ctx, c->call, FEDC_STATUS_OUT_OF_RANGE,
                                     "federated_weighted_mean: the weights sum to 0");
        st = fedc__value_divide(ex->ctx, c->acc, wsum, &r);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_MEAN:
        st = fedc__value_divide(ex->ctx, c->acc, (double)n, &r);
        break;
    default: r = fedc_value_retain(c->acc); break;
    }
    if (st < 0) return st;
    st = fedc_value_federated(ex->ctx, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    fedc_value_release(r);
    return st;
}

static fedc_status run_plan(fedc__exec *ex, plan *p) {
    return fedc__exec_work_clients(ex, FEDC_INTRINSIC_FEDERATED_MAP, client_work, p, p->src,
                                   p->src->n, sink, p);
}

static consumer *new_consumer(plan *p, const fedc_node *call) {
    consumer *c = &p->cons[p->ncons++];
    memset(c, 0, sizeof *c);
    c->call = call;
    c->in = call->a[0]->intrinsic;
    c->op = c->in == FEDC_INTRINSIC_FEDERATED_MIN   ? FEDC_BINARY_OP_MINIMUM
            : c->in == FEDC_INTRINSIC_FEDERATED_MAX ? FEDC_BINARY_OP_MAXIMUM
                                                    : FEDC_BINARY_OP_ADD;
    return c;
}

/* ---- federated_weighted_mean(<federated_map(<f, X>), federated_map(<g, X>)>) ---- */

fedc_status fedc__exec_stream_weighted_mean(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                            bool *done, fedc_value **out) {
    *done = false;
    const fedc_node *a = n->a[1], *f, *g, *x, *y;
    if (!a || a->kind != FEDC_NODE_STRUCT || a->n != 2 || !map_parts(a->items[0], &f, &x) ||
        !map_parts(a->items[1], &g, &y) || !fedc_node_equal(x, y))
        return FEDC_STATUS_OK;
    plan p;
    memset(&p, 0, sizeof p);
    bool ok = false;
    consumer *c = new_consumer(&p, n);
    fedc_status st = set_source(ex, env, x, &p, &ok);
    if (st >= 0 && ok && (st = add_slot(ex, env, &p, f, &c->slot[0])) >= 0)
        st = add_slot(ex, env, &p, g, &c->slot[1]);
    *done = st < 0 || ok;
    if (st >= 0 && ok && (st = run_plan(ex, &p)) >= 0) st = finish(ex, c, p.src->n, out);
    plan_release(&p);
    return st;
}

/* ---- a let-bound federated_map used only by aggregations ---- */

/* Whether a REFERENCE to `name` occurs anywhere under n (shadowing ignored: conservative). */
static bool mentions(const fedc_node *n, const char *name) {
    if (!n) return false;
    if (n->kind == FEDC_NODE_REFERENCE) return strcmp(n->name, name) == 0;
    if (mentions(n->a[0], name) || mentions(n->a[1], name)) return true;
    if (n->kind == FEDC_NODE_STRUCT || n->kind == FEDC_NODE_BLOCK)
        for (size_t i = 0; i < n->n; i++)
            if (mentions(n->items[i], name)) return true;
    return false;
}

/* Whether a let or a lambda parameter under n binds `name`. */
static bool binds(const fedc_node *n, const char *name) {
    if (!n) return false;
    if (n->kind == FEDC_NODE_BLOCK)
        for (size_t i = 0; i < n->n; i++)
            if (strcmp(n->names[i], name) == 0) return true;
    if (n->kind == FEDC_NODE_LAMBDA)
        for (size_t i = 0; i < n->n; i++)
            if (strcmp(n->params[i].name, name) == 0) return true;
    if (binds(n->a[0], name) || binds(n->a[1], name)) return true;
    if (n->kind == FEDC_NODE_STRUCT || n->kind == FEDC_NODE_BLOCK)
        for (size_t i = 0; i < n->n; i++)
            if (binds(n->items[i], name)) return true;
    return false;
}

/* The block and binding being streamed: names bound at or after it (in the block, or anywhere
 * in what follows) may not be used by the parts of its aggregations that are evaluated early. */
typedef struct scan {
    const fedc_node *block;
    size_t i;
    const char *name;
    const fedc_node *calls[MAX_CONSUMERS];
    size_t ncalls;
    bool ok;
} scan;

static bool late(const scan *s, const char *name) {
    for (size_t k = s->i; k < s->block->n; k++)
        if (strcmp(s->block->names[k], name) == 0) return true;
    for (size_t k = s->i + 1; k < s->block->n; k++)
        if (binds(s->block->items[k], name)) return true;
    return binds(s->block->a[0], name);
}

/* Names bound inside the part being checked (its lambdas' parameters, its lets). */
typedef struct inner {
    const char *name;
    const struct inner *up;
} inner;

static bool bound_inside(const inner *in, const char *name) {
    for (; in; in = in->up)
        if (strcmp(in->name, name) == 0) return true;
    return false;
}

/* Whether n, evaluated at the binding instead of where it is written, would see a different
 * value for one of its free names: one bound at or after the binding. Parameters and lets
 * nested deeper than 8 in one lambda or block count as free (conservative). */
static bool uses_late(const scan *s, const fedc_node *n, const inner *in) {
    if (!n) return false;
    switch (n->kind) {
    case FEDC_NODE_REFERENCE: return !bound_inside(in, n->name) && late(s, n->name);
    case FEDC_NODE_LAMBDA: {
        inner local[8];
        const inner *cur = in;
        for (size_t i = 0; i < n->n && i < 8; i++) {
            local[i] = (inner){n->params[i].name, cur};
            cur = &local[i];
        }
        return uses_late(s, n->a[0], cur);
    }
    case FEDC_NODE_BLOCK: {
        inner local[8];
        const inner *cur = in;
        for (size_t i = 0; i < n->n; i++) {
            if (uses_late(s, n->items[i], cur)) return true;
            if (i < 8) {
                local[i] = (inner){n->names[i], cur};
                cur = &local[i];
            }
        }
        return uses_late(s, n->a[0], cur);
    }
    case FEDC_NODE_STRUCT:
        for (size_t i = 0; i < n->n; i++)
            if (uses_late(s, n->items[i], in)) return true;
        return false;
    default: return uses_late(s, n->a[0], in) || uses_late(s, n->a[1], in);
    }
}

/* `name` itself, or federated_map(<F, name>) with F evaluable early. */
static bool operand(const scan *s, const fedc_node *o) {
    const fedc_node *f, *x;
    if (o->kind == FEDC_NODE_REFERENCE) return strcmp(o->name, s->name) == 0;
    return map_parts(o, &f, &x) && x->kind == FEDC_NODE_REFERENCE &&
           strcmp(x->name, s->name) == 0 && !mentions(f, s->name) && !uses_late(s, f, NULL);
}

static bool consumer_call(const scan *s, const fedc_node *n) {
    if (n->kind != FEDC_NODE_CALL || n->a[0]->kind != FEDC_NODE_INTRINSIC || !n->a[1]) return false;
    const fedc_node *a = n->a[1];
    switch (n->a[0]->intrinsic) {
    case FEDC_INTRINSIC_FEDERATED_SUM:
    case FEDC_INTRINSIC_FEDERATED_MEAN:
    case FEDC_INTRINSIC_FEDERATED_MIN:
    case FEDC_INTRINSIC_FEDERATED_MAX: return operand(s, a);
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN:
        return a->kind == FEDC_NODE_STRUCT && a->n == 2 && operand(s, a->items[0]) &&
               operand(s, a->items[1]);
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE:
        if (a->kind != FEDC_NODE_STRUCT || a->n != 5 || !operand(s, a->items[0])) return false;
        for (size_t k = 1; k < 5; k++)
            if (mentions(a->items[k], s->name) || uses_late(s, a->items[k], NULL)) return false;
        return true;
    default: return false;
    }
}

static void scan_uses(scan *s, const fedc_node *n) {
    if (!n || !s->ok) return;
    switch (n->kind) {
    case FEDC_NODE_REFERENCE: /* a use that is not an aggregation: the values are needed */
        if (strcmp(n->name, s->name) == 0) s->ok = false;
        return;
    case FEDC_NODE_LAMBDA:
        if (mentions(n, s->name)) s->ok = false;
        return;
    case FEDC_NODE_CALL:
        if (consumer_call(s, n)) {
            if (s->ncalls == MAX_CONSUMERS)
                s->ok = false;
            else
                s->calls[s->ncalls++] = n;
            return;
        }
        scan_uses(s, n->a[0]);
        scan_uses(s, n->a[1]);
        return;
    case FEDC_NODE_BLOCK:
        for (size_t i = 0; i < n->n; i++)
            if (strcmp(n->names[i], s->name) == 0) s->ok = false; /* shadowed: give up */
        for (size_t i = 0; i < n->n; i++)
            scan_uses(s, n->items[i]);
        scan_uses(s, n->a[0]);
        return;
    case FEDC_NODE_SELECTION: scan_uses(s, n->a[0]); return;
    case FEDC_NODE_STRUCT:
        for (size_t i = 0; i < n->n; i++)
            scan_uses(s, n->items[i]);
        return;
    default: return;
    }
}

/* The slot an operand folds: the map's function over the binding's values, or those values. */
static fedc_status operand_slot(fedc__exec *ex, fedc__env *env, plan *p, const fedc_node *o,
                                size_t *slot) {
    const fedc_node *f, *x;
    return add_slot(ex, env, p, map_parts(o, &f, &x) ? f : NULL, slot);
}

static fedc_status add_consumer(fedc__exec *ex, fedc__env *env, plan *p, const fedc_node *call) {
    consumer *c = new_consumer(p, call);
    const fedc_node *a = call->a[1];
    fedc_status st;
    switch (c->in) {
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN:
        if ((st = operand_slot(ex, env, p, a->items[0], &c->slot[0])) < 0) return st;
        return operand_slot(ex, env, p, a->items[1], &c->slot[1]);
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE:
        if ((st = operand_slot(ex, env, p, a->items[0], &c->slot[0])) < 0 ||
            (st = fedc__exec_eval(ex, env, a->items[1], &c->acc)) < 0 ||
            (st = fedc__exec_eval(ex, env, a->items[2], &c->accumulate)) < 0)
            return st;
        return fedc__exec_eval(ex, env, a->items[4], &c->report);
    default: return operand_slot(ex, env, p, a, &c->slot[0]);
    }
}

fedc_status fedc__exec_stream_binding(fedc__exec *ex, fedc__env *env, const fedc_node *b, size_t i,
                                      bool *done) {
    *done = false;
    const fedc_node *value = b->items[i], *f, *x;
    if (!map_parts(value, &f, &x)) return FEDC_STATUS_OK;
    scan s = {b, i, b->names[i], {NULL}, 0, true};
    for (size_t k = i + 1; k < b->n && s.ok; k++) {
        if (strcmp(b->names[k], s.name) == 0) s.ok = false; /* rebound: later uses are not it */
        scan_uses(&s, b->items[k]);
    }
    scan_uses(&s, b->a[0]);
    if (!s.ok || s.ncalls == 0) return FEDC_STATUS_OK;
    plan p;
    memset(&p, 0, sizeof p);
    bool ok = false;
    fedc_status st = set_source(ex, env, value, &p, &ok);
    for (size_t k = 0; k < s.ncalls && st >= 0 && ok; k++)
        st = add_consumer(ex, env, &p, s.calls[k]);
    *done = st < 0 || ok;
    if (st >= 0 && ok) st = run_plan(ex, &p);
    for (size_t k = 0; k < p.ncons && st >= 0 && ok; k++) {
        fedc__fused *e = fedc_calloc(1, sizeof *e);
        if (!e) {
            st = fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory streaming");
            break;
        }
        e->call = p.cons[k].call;
        if ((st = finish(ex, &p.cons[k], p.src->n, &e->value)) < 0) {
            fedc_free(e);
            break;
        }
        e->next = ex->fused;
        ex->fused = e;
    }
    plan_release(&p);
    return st;
}
