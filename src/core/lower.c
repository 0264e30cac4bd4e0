/* lower.c — compiler forms: lowering federated_sum, federated_mean and federated_weighted_mean to
 * federated_aggregate, as TFF's compiler does before splitting a computation for deployment.
 * It rewrites a copy of the module; the input is never modified.
 */
#include <string.h>

#include "core/core_int.h"

typedef struct lw {
    fedc_ctx *ctx;
    fedc_comp *c;
    fedc_status st; /* the first error: OUT_OF_MEMORY or UNSUPPORTED */
} lw;

#define MAX_PATH 64

/* name[path[0]][path[1]]... */
static fedc_node *ref_path(lw *w, const char *name, const int64_t *path, int depth) {
    fedc_node *n = fedc_node_reference(w->c, name);
    for (int i = 0; i < depth; i++)
        n = fedc_node_select_index(w->c, n, path[i]);
    return n;
}

static fedc_node *call2(lw *w, const char *builtin, fedc_node *x, fedc_node *y) {
    fedc_node *args[2] = {x, y};
    return fedc_node_call(w->c, fedc_node_builtin(w->c, builtin),
                          fedc_node_struct(w->c, 2, args, NULL));
}

static const char **field_names(lw *w, const fedc_type *t) {
    const char **names =
        fedc_arena_calloc(w->c->arena, t->nfields ? t->nfields : 1, sizeof *names, 0);
    for (size_t i = 0; names && i < t->nfields; i++)
        names[i] = t->fields[i].name;
    return names;
}

static fedc_node *zero_of(lw *w, const fedc_node *at, const fedc_type *t) {
    if (t->kind == FEDC_TYPE_TENSOR) {
        for (int i = 0; i < t->rank; i++)
            if (t->dims[i] == FEDC_DIM_UNKNOWN) {
                char ts[256];
                fedc_type_format(t, ts, sizeof ts);
                w->st = fedc__node_errorf(w->ctx, at, FEDC_STATUS_UNSUPPORTED,
                                          "lowering to federated_aggregate expects a member type "
                                          "with known dimensions, got %s",
                                          ts);
                return NULL;
            }
        fedc_shape s = fedc_shape_make(t->rank, t->dims);
        void *data = fedc_arena_calloc(w->c->arena, (size_t)fedc_shape_numel(&s),
                                       fedc_dtype_size(t->dtype), 16);
        if (!data) return NULL;
        fedc_tensor z = fedc_tensor_view(t->dtype, &s, data);
        return fedc_node_literal(w->c, &z);
    }
    fedc_node **items =
        fedc_arena_calloc(w->c->arena, t->nfields ? t->nfields : 1, sizeof *items, 0);
    if (!items) return NULL;
    for (size_t i = 0; i < t->nfields; i++)
        if (!(items[i] = zero_of(w, at, t->fields[i].type))) return NULL;
    return fedc_node_struct(w->c, t->nfields, items, field_names(w, t));
}

typedef enum leaf_op { LEAF_ADD, LEAF_ADD_WEIGHTED, LEAF_DIV } leaf_op;

/* Over the leaves of t (paths extended from xpath / ypath):
 *   ADD:          add(x.., y..)
 *   ADD_WEIGHTED: add(x.., mul(y.., cast(wref, y..)))
 *   DIV:          div(x.., cast(wref, x..)) */
static fedc_node *tree(lw *w, leaf_op op, const fedc_type *t, const char *x, int64_t *xpath, int xd,
                       const char *y, int64_t *ypath, int yd, const char *wname,
                       const int64_t *wpath, int wd) {
    if (xd >= MAX_PATH || yd >= MAX_PATH) return NULL;
    if (t->kind == FEDC_TYPE_TENSOR) {
        fedc_node *xl = ref_path(w, x, xpath, xd);
        switch (op) {
        case LEAF_ADD: return call2(w, "add", xl, ref_path(w, y, ypath, yd));
        case LEAF_ADD_WEIGHTED:
            return call2(
                w, "add", xl,
                call2(w, "mul", ref_path(w, y, ypath, yd),
                      call2(w, "cast", ref_path(w, wname, wpath, wd), ref_path(w, y, ypath, yd))));
        case LEAF_DIV:
            return call2(
                w, "div", xl,
                call2(w, "cast", ref_path(w, wname, wpath, wd), ref_path(w, x, xpath, xd)));
        }
        return NULL;
    }
    fedc_node **items =
        fedc_arena_calloc(w->c->arena, t->nfields ? t->nfields : 1, sizeof *items, 0);
    if (!items) return NULL;
    for (size_t i = 0; i < t->nfields; i++) {
        xpath[xd] = (int64_t)i;
        ypath[yd] = (int64_t)i;
        if (!(items[i] = tree(w, op, t->fields[i].type, x, xpath, xd + 1, y, ypath, yd + 1, wname,
                              wpath, wd)))
            return NULL;
    }
    return fedc_node_struct(w->c, t->nfields, items, field_names(w, t));
}

/* tree() with fresh paths whose first entry is 0 (the sum part of a pair accumulator). */
static fedc_node *tree0(lw *w, leaf_op op, const fedc_type *t, const char *x, int xd, const char *y,
                        int yd, const char *wname, const int64_t *wpath, int wd) {
    int64_t xp[MAX_PATH] = {0}, yp[MAX_PATH] = {0};
    return tree(w, op, t, x, xp, xd, y, yp, yd, wname, wpath, wd);
}

static fedc_node *lambda2(lw *w, const char *p0, const char *p1, const fedc_type *t0,
                          const fedc_type *t1, fedc_node *body) {
    fedc_param ps[2] = {{p0, t0}, {p1, t1}};
    return fedc_node_lambda(w->c, 2, ps, body);
}

static fedc_node *pair_node(lw *w, fedc_node *a, fedc_node *b) {
    fedc_node *items[2] = {a, b};
    return fedc_node_struct(w->c, 2, items, NULL);
}

static const fedc_type *pair_type(lw *w, const fedc_type *a, const fedc_type *b) {
    fedc_type_field f[2] = {{NULL, a}, {NULL, b}};
    return fedc_type_struct(w->c->arena, 2, f);
}

/* The federated_aggregate call that replaces `call` (to `in`, argument already lowered). */
static fedc_node *lowered(lw *w, fedc_node *call, fedc_intrinsic in) {
    fedc_arena *arena = w->c->arena;
    fedc_node *arg = call->a[1];
    const fedc_type *at = arg->type;
    fedc_node *value, *zero, *acc, *merge, *report;
    if (in == FEDC_INTRINSIC_FEDERATED_SUM) {
        const fedc_type *v = at->element;
        value = arg;
        if (!(zero = zero_of(w, call, v))) return NULL;
        acc = lambda2(w, "a", "v", v, v, tree0(w, LEAF_ADD, v, "a", 0, "v", 0, NULL, NULL, 0));
        merge = lambda2(w, "a", "b", v, v, tree0(w, LEAF_ADD, v, "a", 0, "b", 0, NULL, NULL, 0));
        fedc_param p = {"a", v};
        report = fedc_node_lambda(w->c, 1, &p, fedc_node_reference(w->c, "a"));
    } else if (in == FEDC_INTRINSIC_FEDERATED_MEAN) {
        const fedc_type *v = at->element;
        const fedc_type *i32 = fedc_type_tensor(arena, FEDC_DTYPE_INT32, 0, NULL);
        const fedc_type *a = pair_type(w, v, i32);
        if (!a) return NULL;
        value = arg;
        fedc_node *z = zero_of(w, call, v);
        if (!z) return NULL;
        zero = pair_node(w, z, fedc_node_int(w->c, 0));
        int64_t one = 1;
        acc =
            lambda2(w, "a", "v", a, v,
                    pair_node(w, tree0(w, LEAF_ADD, v, "a", 1, "v", 0, NULL, NULL, 0),
                              call2(w, "add", ref_path(w, "a", &one, 1), fedc_node_int(w->c, 1))));
        merge = lambda2(
            w, "a", "b", a, a,
            pair_node(w, tree0(w, LEAF_ADD, v, "a", 1, "b", 1, NULL, NULL, 0),
                      call2(w, "add", ref_path(w, "a", &one, 1), ref_path(w, "b", &one, 1))));
        fedc_param p = {"a", a};
        report = fedc_node_lambda(w->c, 1, &p, tree0(w, LEAF_DIV, v, "a", 1, "a", 1, "a", &one, 1));
    } else {
        const fedc_type *v = at->fields[0].type->element, *wt = at->fields[1].type->element;
        const fedc_type *a = pair_type(w, v, wt);
        if (!a) return NULL;
        fedc_node *zip_args = arg;
        value =
            fedc_node_call(w->c, fedc_node_intrinsic(w->c, FEDC_INTRINSIC_FEDERATED_ZIP), zip_args);
        fedc_node *z = zero_of(w, call, v), *zw = z ? zero_of(w, call, wt) : NULL;
        if (!zw) return NULL;
        zero = pair_node(w, z, zw);
        int64_t one = 1;
        acc = lambda2(
            w, "a", "v", a, a,
            pair_node(w, tree0(w, LEAF_ADD_WEIGHTED, v, "a", 1, "v", 1, "v", &one, 1),
                      call2(w, "add", ref_path(w, "a", &one, 1), ref_path(w, "v", &one, 1))));
        merge = lambda2(
            w, "a", "b", a, a,
            pair_node(w, tree0(w, LEAF_ADD, v, "a", 1, "b", 1, NULL, NULL, 0),
                      call2(w, "add", ref_path(w, "a", &one, 1), ref_path(w, "b", &one, 1))));
        fedc_param p = {"a", a};
        report = fedc_node_lambda(w->c, 1, &p, tree0(w, LEAF_DIV, v, "a", 1, "a", 1, "a", &one, 1));
    }
    fedc_node *items[5] = {value, zero, acc, merge, report};
    for (int i = 0; i < 5; i++)
        if (!items[i]) return NULL;
    fedc_node *agg =
        fedc_node_call(w->c, fedc_node_intrinsic(w->c, FEDC_INTRINSIC_FEDERATED_AGGREGATE),
                       fedc_node_struct(w->c, 5, items, NULL));
    if (agg) {
        agg->line = call->line;
        agg->col = call->col;
    }
    return agg;
}

/* Rewrites the (cloned, checked) tree in place, children first. */
static bool rewrite(lw *w, fedc_node *n) {
    for (int i = 0; i < 2; i++)
        if (n->a[i] && !rewrite(w, n->a[i])) return false;
    if (n->kind == FEDC_NODE_STRUCT || n->kind == FEDC_NODE_BLOCK)
        for (size_t i = 0; i < n->n; i++)
            if (!rewrite(w, n->items[i])) return false;
    if (n->kind == FEDC_NODE_CALL && n->a[0]->kind == FEDC_NODE_INTRINSIC) {
        fedc_intrinsic in = n->a[0]->intrinsic;
        if (in == FEDC_INTRINSIC_FEDERATED_SUM || in == FEDC_INTRINSIC_FEDERATED_MEAN ||
            in == FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN) {
            fedc_node *r = lowered(w, n, in);
            if (!r) return false;
            *n = *r;
        }
    }
    return true;
}

fedc_status fedc_comp_lower_aggregates(fedc_ctx *ctx, const fedc_comp *comp, fedc_comp **out) {
    *out = NULL;
    for (size_t i = 0; i < comp->ndefs; i++)
        if (!comp->defs[i].node->type)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "lowering expects a checked module ('%s' is not checked)",
                                   comp->defs[i].name);
    lw w = {ctx, NULL, FEDC_STATUS_OK};
    fedc_status st = fedc_comp_create(ctx, &w.c);
    if (st < 0) return st;
    for (size_t i = 0; i < comp->ndefs && st >= 0; i++) {
        fedc_node *n = fedc_node_clone(w.c, comp->defs[i].node);
        if (!n || !rewrite(&w, n)) {
            st = w.st < 0 ? w.st
                          : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                            "out of memory lowering '%s'", comp->defs[i].name);
            break;
        }
        if ((st = fedc_comp_define(ctx, w.c, comp->defs[i].name, n)) >= 0) {
            w.c->defs[w.c->ndefs - 1].line = comp->defs[i].line;
            w.c->defs[w.c->ndefs - 1].col = comp->defs[i].col;
        }
    }
    if (st >= 0) st = fedc_comp_check(ctx, w.c);
    if (st < 0) {
        fedc_comp_destroy(w.c);
        return st;
    }
    *out = w.c;
    return FEDC_STATUS_OK;
}
