/* value_check.c — whether a value has a given type (for the executor's arguments): walks both
 * and reports the first place where they differ, as a path (`x[2].a`). Lazy sequences are not
 * read (their elements are checked by the operations that read them).
 */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

static const char *kind_name(fedc_value_kind k) {
    static const char *const names[] = {"a tensor",          "a struct",   "a sequence",
                                        "a federated value", "a function", "a placement"};
    return (unsigned)k < 6 ? names[k] : "an unknown value";
}

static fedc_status mismatch(fedc_ctx *ctx, const char *path, const fedc_type *t,
                            const char *found) {
    char ts[256];
    fedc_type_format(t, ts, sizeof ts);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "at %s: expected %s, found %s",
                           path[0] ? path : "the top", ts, found);
}

static fedc_status conforms(fedc_ctx *ctx, const fedc_type *t, const fedc_value *v, char *path,
                            size_t len, size_t cap, bool positional);

/* Checks element i of a sequence (`<i>`) or member i of a federated value (`@i`) again, its
 * index now in the path,
 * to word the error. Elements are checked first without it: formatting an index for each of
 * 100,000 clients cost more than the check itself. */
static fedc_status with_index(fedc_ctx *ctx, const fedc_type *t, const fedc_value *v, char *path,
                              size_t len, size_t cap, bool member, size_t i) {
    int n = member ? snprintf(path + len, cap - len, "@%zu", i)
                   : snprintf(path + len, cap - len, "<%zu>", i);
    size_t nl = n > 0 && (size_t)n < cap - len ? len + (size_t)n : len;
    return conforms(ctx, t, v, path, nl, cap, false);
}

static fedc_status conforms(fedc_ctx *ctx, const fedc_type *t, const fedc_value *v, char *path,
                            size_t len, size_t cap, bool positional) {
    fedc_status st;
    path[len] = '\0';
    switch (t->kind) {
    case FEDC_TYPE_TENSOR: {
        if (v->kind != FEDC_VALUE_TENSOR) return mismatch(ctx, path, t, kind_name(v->kind));
        bool ok = v->tensor.dtype == t->dtype && v->tensor.shape.rank == t->rank;
        for (int i = 0; ok && i < t->rank; i++)
            ok = t->dims[i] == FEDC_DIM_UNKNOWN || t->dims[i] == v->tensor.shape.dims[i];
        if (!ok) {
            char found[64], shape[48];
            fedc_shape_format(&v->tensor.shape, shape, sizeof shape);
            snprintf(found, sizeof found, "%s%s", fedc_dtype_name(v->tensor.dtype),
                     v->tensor.shape.rank ? shape : "");
            return mismatch(ctx, path, t, found);
        }
        return FEDC_STATUS_OK;
    }
    case FEDC_TYPE_STRUCT:
        if (v->kind != FEDC_VALUE_STRUCT || v->n != t->nfields) {
            char found[64];
            snprintf(found, sizeof found, "%s of %zu", kind_name(v->kind), v->n);
            return mismatch(ctx, path, t,
                            v->kind == FEDC_VALUE_STRUCT ? found : kind_name(v->kind));
        }
        for (size_t i = 0; i < t->nfields; i++) {
            const char *vn = v->names ? v->names[i] : NULL;
            if (!positional && t->fields[i].name && (!vn || strcmp(vn, t->fields[i].name) != 0)) {
                char found[96];
                snprintf(found, sizeof found, "field %zu named '%s'", i, vn ? vn : "");
                return mismatch(ctx, path, t, found);
            }
            int n = t->fields[i].name ? snprintf(path + len, cap - len, ".%s", t->fields[i].name)
                                      : snprintf(path + len, cap - len, "[%zu]", i);
            size_t nl = n > 0 && (size_t)n < cap - len ? len + (size_t)n : len;
            if ((st = conforms(ctx, t->fields[i].type, v->items[i], path, nl, cap, false)) < 0)
                return st;
            path[len] = '\0';
        }
        return FEDC_STATUS_OK;
    case FEDC_TYPE_SEQUENCE:
        if (v->kind != FEDC_VALUE_SEQUENCE) return mismatch(ctx, path, t, kind_name(v->kind));
        for (size_t i = 0; !v->lazy && i < v->n; i++)
            if ((st = conforms(ctx, t->element, v->items[i], path, len, cap, false)) < 0)
                return with_index(ctx, t->element, v->items[i], path, len, cap, false, i);
        return FEDC_STATUS_OK;
    case FEDC_TYPE_FEDERATED:
        if (v->kind != FEDC_VALUE_FEDERATED || v->placement != t->placement ||
            (t->all_equal && !v->all_equal)) {
            char found[64];
            snprintf(found, sizeof found, "%s%s@%s", kind_name(v->kind),
                     v->kind == FEDC_VALUE_FEDERATED && !v->all_equal ? " (per client)" : "",
                     v->kind == FEDC_VALUE_FEDERATED ? fedc_placement_name(v->placement) : "-");
            return mismatch(ctx, path, t, found);
        }
        for (size_t i = 0; i < v->n; i++) {
            /* the members are scattered over the heap (100,000 clients: 27 MB): ask for the
             * ones a few steps ahead so that their misses overlap */
            if (i + 8 < v->n) __builtin_prefetch(v->items[i + 8]);
            if ((st = conforms(ctx, t->element, v->items[i], path, len, cap, false)) < 0)
                return with_index(ctx, t->element, v->items[i], path, len, cap, true, i);
        }
        return FEDC_STATUS_OK;
    case FEDC_TYPE_FUNCTION:
        return v->kind == FEDC_VALUE_FUNCTION ? FEDC_STATUS_OK
                                              : mismatch(ctx, path, t, kind_name(v->kind));
    case FEDC_TYPE_PLACEMENT:
        return v->kind == FEDC_VALUE_PLACEMENT ? FEDC_STATUS_OK
                                               : mismatch(ctx, path, t, kind_name(v->kind));
    }
    return mismatch(ctx, path, t, "a value of an unknown type");
}

fedc_status fedc__value_conforms(fedc_ctx *ctx, const fedc_type *t, const fedc_value *v,
                                 bool positional) {
    char path[256];
    return conforms(ctx, t, v, path, 0, sizeof path, positional);
}
