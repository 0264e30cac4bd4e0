/* exec_seqmap.c — sequence_map as a lazy sequence for the reference executor: each element is
 * mapped when it is read, so sequence_sum(sequence_map(f, data)) streams a client's dataset
 * instead of holding it. Mapped sequences refer to the module's lambdas, so fedc_exec_run
 * materializes those left in its result (fedc__value_materialize) before the module can go.
 */
#include <string.h>

#include "core/core_int.h"

typedef struct seqmap {
    fedc_value *fn, *seq;
    const fedc_comp *comp;
    fedc_exec_opts opts;
} seqmap;

typedef struct seqmap_iter {
    seqmap *m;
    fedc__seq_iter it;
} seqmap_iter;

static fedc_status sm_open(fedc_ctx *ctx, void *user, void **iter) {
    seqmap_iter *it = fedc_malloc(sizeof *it);
    if (!it)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading a sequence");
    it->m = user;
    fedc_status st = fedc__seq_open(ctx, it->m->seq, &it->it);
    if (st < 0) {
        fedc_free(it);
        return st;
    }
    *iter = it;
    return FEDC_STATUS_OK;
}

static fedc_status sm_next(fedc_ctx *ctx, void *iter, fedc_value **out) {
    seqmap_iter *it = iter;
    fedc_value *x;
    *out = NULL;
    fedc_status st = fedc__seq_next(ctx, &it->it, &x);
    if (st < 0 || !x) return st;
    /* outlives the run: no caches */
    fedc__exec ex = {ctx, it->m->comp, it->m->opts, NULL, NULL, NULL, NULL, NULL, NULL};
    st = fedc__exec_apply(&ex, it->m->fn, x, out);
    fedc_value_release(x);
    if (st < 0) fedc_ctx_prefixf(ctx, "sequence_map: element %zu", it->it.i - 1);
    return st;
}

static void sm_close(void *iter) {
    seqmap_iter *it = iter;
    fedc__seq_close(&it->it);
    fedc_free(it);
}

static void sm_release(void *user) {
    seqmap *m = user;
    fedc_value_release(m->fn);
    fedc_value_release(m->seq);
    fedc_free(m);
}

fedc_status fedc__exec_sequence_map(fedc__exec *ex, fedc_value *fn, fedc_value *seq,
                                    fedc_value **out) {
    *out = NULL;
    seqmap *m = fedc_malloc(sizeof *m);
    if (!m)
        return fedc_ctx_errorf(ex->ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for sequence_map");
    m->fn = fedc_value_retain(fn);
    m->seq = fedc_value_retain(seq);
    m->comp = ex->comp;
    m->opts = ex->opts;
    fedc_sequence_source src = {sm_open, sm_next, sm_close, sm_release, m};
    return fedc_value_sequence_from(ex->ctx, &src, out); /* releases m on failure */
}

/* Whether v holds a mapped sequence anywhere. */
static bool has_seqmap(const fedc_value *v) {
    if (v->kind == FEDC_VALUE_SEQUENCE && v->lazy) return v->src.open == sm_open;
    if (v->kind == FEDC_VALUE_STRUCT || v->kind == FEDC_VALUE_FEDERATED ||
        v->kind == FEDC_VALUE_SEQUENCE)
        for (size_t i = 0; i < v->n; i++)
            if (has_seqmap(v->items[i])) return true;
    return false;
}

fedc_status fedc__value_materialize(fedc_ctx *ctx, fedc_value *v, fedc_value **out) {
    *out = NULL;
    if (!has_seqmap(v)) {
        *out = fedc_value_retain(v);
        return FEDC_STATUS_OK;
    }
    if (v->kind == FEDC_VALUE_SEQUENCE && v->lazy) {
        fedc_value *list;
        fedc_status st = fedc_value_sequence_collect(ctx, v, &list);
        if (st < 0) return st;
        st = fedc__value_materialize(ctx, list, out); /* elements may hold mapped sequences */
        fedc_value_release(list);
        return st;
    }
    fedc_value *c = fedc__value_new(v->kind, v->n);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
    c->placement = v->placement;
    c->all_equal = v->all_equal;
    fedc_status st = FEDC_STATUS_OK;
    if (v->names && !(c->names = fedc_calloc(v->n, sizeof *c->names)))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
    for (size_t i = 0; i < v->n && st >= 0; i++) {
        if (v->names && v->names[i] && !(c->names[i] = fedc_strdup(v->names[i])))
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a value");
        else
            st = fedc__value_materialize(ctx, v->items[i], &c->items[i]);
    }
    if (st < 0) {
        fedc_value_release(c);
        return st;
    }
    *out = c;
    return FEDC_STATUS_OK;
}
