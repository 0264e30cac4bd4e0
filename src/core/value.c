/* value.c — values of the Federated Core: construction, reference counting, accessors, and
 * collecting lazy sequences. Values are immutable once built, so sharing is by reference; the
 * counts are not atomic (the reference executor is sequential).
 */
#include <string.h>

#include "core/core_int.h"

static fedc_status oom(fedc_ctx *ctx, const char *what) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory making %s", what);
}

fedc_value *fedc__value_new(fedc_value_kind kind, size_t n) {
    fedc_value *v = fedc_calloc(1, sizeof *v);
    if (!v) return NULL;
    v->refs = 1;
    v->kind = kind;
    if (n > 0 && !(v->items = fedc_calloc(n, sizeof *v->items))) {
        fedc_free(v);
        return NULL;
    }
    v->n = n;
    return v;
}

fedc_value *fedc_value_retain(fedc_value *v) {
    if (v) v->refs++;
    return v;
}

void fedc_value_release(fedc_value *v) {
    if (!v || --v->refs > 0) return;
    if (v->kind == FEDC_VALUE_TENSOR) { /* holds nothing else (a client's result, per client) */
        fedc_tensor_free(&v->tensor);
        fedc_free(v);
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        fedc_value_release(v->items[i]);
        if (v->names) fedc_free(v->names[i]);
    }
    fedc_free(v->items);
    fedc_free(v->names);
    fedc_tensor_free(&v->tensor);
    if (v->lazy && v->src.release) v->src.release(v->src.user);
    fedc__env_release(v->env);
    fedc_free(v);
}

fedc__env *fedc__env_push(fedc__env *up, const char *name, fedc_value *value) {
    fedc__env *e = fedc_malloc(sizeof *e);
    if (!e) return NULL;
    e->refs = 1;
    e->name = name;
    e->value = fedc_value_retain(value);
    e->up = up;
    if (up) up->refs++;
    return e;
}

void fedc__env_release(fedc__env *env) {
    while (env && --env->refs == 0) {
        fedc__env *up = env->up;
        fedc_value_release(env->value);
        fedc_free(env);
        env = up;
    }
}

fedc_status fedc_value_tensor(fedc_ctx *ctx, const fedc_tensor *t, fedc_value **out) {
    *out = NULL;
    fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
    if (!v) return oom(ctx, "a tensor value");
    fedc_status st = fedc_tensor_clone(ctx, t, &v->tensor);
    if (st < 0) {
        fedc_value_release(v);
        return st;
    }
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_value_tensor_take(fedc_ctx *ctx, fedc_tensor *t, fedc_value **out) {
    *out = NULL;
    if (!t->owned || t->data != t->owned || !fedc_tensor_is_contiguous(t))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "fedc_value_tensor_take needs a contiguous tensor that owns its "
                               "data (from fedc_tensor_alloc or fedc_tensor_clone)");
    fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
    if (!v) return oom(ctx, "a tensor value");
    v->tensor = *t;
    memset(t, 0, sizeof *t);
    *out = v;
    return FEDC_STATUS_OK;
}

static fedc_status with_items(fedc_ctx *ctx, fedc_value_kind kind, size_t n,
                              fedc_value *const *items, const char *what, fedc_value **out) {
    *out = NULL;
    fedc_value *v = fedc__value_new(kind, n);
    if (!v) return oom(ctx, what);
    for (size_t i = 0; i < n; i++)
        v->items[i] = fedc_value_retain(items[i]);
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_value_struct(fedc_ctx *ctx, size_t n, fedc_value *const *items,
                              const char *const *names, fedc_value **out) {
    fedc_status st = with_items(ctx, FEDC_VALUE_STRUCT, n, items, "a struct value", out);
    if (st < 0 || !names || n == 0) return st;
    fedc_value *v = *out;
    if (!(v->names = fedc_calloc(n, sizeof *v->names))) goto fail;
    for (size_t i = 0; i < n; i++)
        if (names[i] && !(v->names[i] = fedc_strdup(names[i]))) goto fail;
    return FEDC_STATUS_OK;
fail:
    fedc_value_release(v);
    *out = NULL;
    return oom(ctx, "a struct value");
}

fedc_status fedc_value_sequence(fedc_ctx *ctx, size_t n, fedc_value *const *items,
                                fedc_value **out) {
    return with_items(ctx, FEDC_VALUE_SEQUENCE, n, items, "a sequence value", out);
}

fedc_status fedc_value_sequence_from(fedc_ctx *ctx, const fedc_sequence_source *src,
                                     fedc_value **out) {
    *out = NULL;
    fedc_value *v = fedc__value_new(FEDC_VALUE_SEQUENCE, 0);
    if (!v) {
        if (src->release) src->release(src->user);
        return oom(ctx, "a sequence value");
    }
    v->lazy = true;
    v->src = *src;
    *out = v;
    return FEDC_STATUS_OK;
}

fedc_status fedc_value_federated(fedc_ctx *ctx, fedc_placement placement, bool all_equal, size_t n,
                                 fedc_value *const *members, fedc_value **out) {
    *out = NULL;
    if (placement == FEDC_PLACEMENT_SERVER) all_equal = true;
    if (all_equal && n != 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "a federated value at %s%s holds one member, got %zu",
                               fedc_placement_name(placement),
                               placement == FEDC_PLACEMENT_SERVER ? "" : " (all equal)", n);
    fedc_status st = with_items(ctx, FEDC_VALUE_FEDERATED, n, members, "a federated value", out);
    if (st < 0) return st;
    (*out)->placement = placement;
    (*out)->all_equal = all_equal;
    return FEDC_STATUS_OK;
}

fedc_value_kind fedc_value_get_kind(const fedc_value *v) { return v->kind; }

const fedc_tensor *fedc_value_get_tensor(const fedc_value *v) {
    return v->kind == FEDC_VALUE_TENSOR ? &v->tensor : NULL;
}

size_t fedc_value_size(const fedc_value *v) {
    return v->kind == FEDC_VALUE_STRUCT || v->kind == FEDC_VALUE_SEQUENCE ||
                   v->kind == FEDC_VALUE_FEDERATED
               ? v->n
               : 0;
}

fedc_value *fedc_value_item(const fedc_value *v, size_t i) {
    return i < fedc_value_size(v) ? v->items[i] : NULL;
}

const char *fedc_value_name(const fedc_value *v, size_t i) {
    return v->kind == FEDC_VALUE_STRUCT && v->names && i < v->n ? v->names[i] : NULL;
}

fedc_placement fedc_value_placement(const fedc_value *v) { return v->placement; }
bool fedc_value_all_equal(const fedc_value *v) { return v->all_equal; }

fedc_status fedc_value_sequence_collect(fedc_ctx *ctx, fedc_value *v, fedc_value **out) {
    *out = NULL;
    if (v->kind != FEDC_VALUE_SEQUENCE)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "expected a sequence value, got kind %d",
                               (int)v->kind);
    if (!v->lazy) {
        *out = fedc_value_retain(v);
        return FEDC_STATUS_OK;
    }
    void *it = NULL;
    fedc_status st = v->src.open(ctx, v->src.user, &it);
    if (st < 0) return st;
    size_t n = 0, cap = 0;
    fedc_value **items = NULL;
    for (;;) {
        fedc_value *e = NULL;
        if ((st = v->src.next(ctx, it, &e)) < 0) break;
        if (!e) break;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            fedc_value **ni = fedc_realloc(items, ncap * sizeof *ni);
            if (!ni) {
                fedc_value_release(e);
                st = oom(ctx, "a sequence");
                break;
            }
            items = ni;
            cap = ncap;
        }
        items[n++] = e;
    }
    v->src.close(it);
    if (st >= 0) st = fedc_value_sequence(ctx, n, items, out);
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    return st;
}

bool fedc_value_equal(const fedc_value *a, const fedc_value *b) {
    if (a == b) return true;
    if (!a || !b || a->kind != b->kind) return false;
    switch (a->kind) {
    case FEDC_VALUE_TENSOR: {
        if (a->tensor.dtype != b->tensor.dtype ||
            !fedc_shape_equal(&a->tensor.shape, &b->tensor.shape))
            return false;
        /* owned tensors are contiguous (made by clone or alloc) */
        size_t bytes = fedc_tensor_nbytes(&a->tensor);
        return bytes == 0 || memcmp(a->tensor.data, b->tensor.data, bytes) == 0;
    }
    case FEDC_VALUE_STRUCT:
    case FEDC_VALUE_SEQUENCE:
    case FEDC_VALUE_FEDERATED:
        if (a->lazy || b->lazy || a->n != b->n || a->placement != b->placement ||
            a->all_equal != b->all_equal)
            return false;
        for (size_t i = 0; i < a->n; i++) {
            const char *na = a->names ? a->names[i] : NULL, *nb = b->names ? b->names[i] : NULL;
            if ((na || nb) && (!na || !nb || strcmp(na, nb) != 0)) return false;
            if (!fedc_value_equal(a->items[i], b->items[i])) return false;
        }
        return true;
    case FEDC_VALUE_FUNCTION: return false;
    case FEDC_VALUE_PLACEMENT: return a->placement == b->placement;
    }
    return false;
}

fedc_status fedc__seq_open(fedc_ctx *ctx, fedc_value *seq, fedc__seq_iter *it) {
    it->seq = seq;
    it->it = NULL;
    it->i = 0;
    if (seq->kind != FEDC_VALUE_SEQUENCE)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "expected a sequence value, got kind %d",
                               (int)seq->kind);
    return seq->lazy ? seq->src.open(ctx, seq->src.user, &it->it) : FEDC_STATUS_OK;
}

fedc_status fedc__seq_next(fedc_ctx *ctx, fedc__seq_iter *it, fedc_value **out) {
    *out = NULL;
    if (it->seq->lazy) {
        fedc_status st = it->seq->src.next(ctx, it->it, out);
        if (*out) it->i++;
        return st;
    }
    if (it->i < it->seq->n) *out = fedc_value_retain(it->seq->items[it->i++]);
    return FEDC_STATUS_OK;
}

void fedc__seq_close(fedc__seq_iter *it) {
    if (it->seq->lazy) it->seq->src.close(it->it);
}
