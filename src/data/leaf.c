/* leaf.c — client data from LEAF's JSON files ({"users": [...], "num_samples": [...],
 * "user_data": {user: {"x": [...], "y": [...]}}}), as FEMNIST, Shakespeare, Sent140 and the
 * synthetic sets are shipped. The file is parsed whole (as LEAF itself loads it) into in-memory
 * client data. Nothing here writes files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

/* Sets feature `name` from one LEAF value: a string -> uint8 bytes, a number -> a scalar (int32
 * when integral and int_scalars, else float32), an array of numbers -> float32[n]. */
static fedc_status set_value(fedc_ctx *ctx, fedc_example *ex, const char *name, const fedc_json *v,
                             bool int_scalars) {
    fedc_tensor *t;
    fedc_status st;
    if (v->type == FEDC_JSON_STRING) {
        fedc_shape s = FEDC_SHAPE((int64_t)v->len);
        st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_UINT8, &s, &t);
        if (!st && v->len) memcpy(t->data, v->str, v->len);
        return st;
    }
    if (v->type == FEDC_JSON_NUMBER) {
        fedc_shape s = FEDC_SHAPE0;
        bool integral = int_scalars && v->num == floor(v->num) && fabs(v->num) < 2147483648.0;
        st = fedc_example_set(ctx, ex, name, integral ? FEDC_DTYPE_INT32 : FEDC_DTYPE_FLOAT32, &s,
                              &t);
        if (st) return st;
        if (integral)
            ((int32_t *)t->data)[0] = (int32_t)v->num;
        else
            ((float *)t->data)[0] = (float)v->num;
        return FEDC_STATUS_OK;
    }
    if (v->type == FEDC_JSON_ARRAY) {
        fedc_shape s = FEDC_SHAPE((int64_t)v->count);
        st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_FLOAT32, &s, &t);
        if (st) return st;
        float *f = t->data;
        int64_t i = 0;
        for (const fedc_json *e = v->child; e; e = e->next, i++) {
            if (e->type != FEDC_JSON_NUMBER)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                       "'%s' is an array whose element %lld is not a number", name,
                                       (long long)i);
            f[i] = (float)e->num;
        }
        return FEDC_STATUS_OK;
    }
    return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                           "'%s' is not a string, number or array of numbers", name);
}

static fedc_status load(fedc_ctx *ctx, const char *path, const fedc_json *root,
                        fedc_memory_data *b) {
    if (root->type != FEDC_JSON_OBJECT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: the top level is not an object",
                               path);
    const fedc_json *users = fedc__json_get(root, "users");
    const fedc_json *data = fedc__json_get(root, "user_data");
    const fedc_json *counts = fedc__json_get(root, "num_samples");
    if (!users || users->type != FEDC_JSON_ARRAY || !data || data->type != FEDC_JSON_OBJECT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: not a LEAF file (needs \"users\" array and \"user_data\" "
                               "object)",
                               path);
    if (counts && (counts->type != FEDC_JSON_ARRAY || counts->count != users->count))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: \"num_samples\" has %zu entries for %zu users", path,
                               counts->count, users->count);
    fedc_example *ex;
    fedc_status st = fedc_example_create(ctx, &ex);
    if (st) return st;
    for (const fedc_json *u = users->child; u && !st; u = u->next) {
        if (u->type != FEDC_JSON_STRING || u->len == 0 || strlen(u->str) != u->len) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: a user id is not a string", path);
            break;
        }
        const fedc_json *ud = fedc__json_get(data, u->str);
        const fedc_json *x = fedc__json_get(ud, "x"), *y = fedc__json_get(ud, "y");
        if (!ud || !x || !y || x->type != FEDC_JSON_ARRAY || y->type != FEDC_JSON_ARRAY) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: user '%s' has no \"x\" and \"y\" arrays in user_data", path,
                                 u->str);
            break;
        }
        if (x->count != y->count) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: user '%s' has %zu x values but %zu y values", path, u->str,
                                 x->count, y->count);
            break;
        }
        size_t i = 0;
        for (const fedc_json *xi = x->child, *yi = y->child; xi && !st;
             xi = xi->next, yi = yi->next, i++) {
            fedc_example_clear(ex);
            st = set_value(ctx, ex, "x", xi, false);
            if (!st) st = set_value(ctx, ex, "y", yi, true);
            if (!st) st = fedc_memory_data_add(ctx, b, u->str, ex);
            if (st) fedc_ctx_prefixf(ctx, "%s: user '%s', sample %zu", path, u->str, i);
        }
    }
    fedc_example_destroy(ex);
    return st;
}

fedc_status fedc_client_data_open_leaf(fedc_ctx *ctx, const char *path, fedc_client_data **out) {
    *out = NULL;
    uint8_t *text;
    size_t size;
    fedc_status st = fedc__read_file(ctx, path, &text, &size);
    if (st) return st;
    fedc_arena *arena = NULL;
    fedc_memory_data *b = NULL;
    fedc_json *root;
    st = fedc_arena_create(ctx, 1 << 20, &arena);
    if (!st) st = fedc__json_parse(ctx, path, text, size, arena, &root);
    if (!st) st = fedc_memory_data_create(ctx, &b);
    if (!st) st = load(ctx, path, root, b);
    if (!st) st = fedc_memory_data_finish(ctx, b, out);
    fedc_memory_data_destroy(b);
    fedc_arena_destroy(arena);
    fedc_free(text);
    return st;
}
