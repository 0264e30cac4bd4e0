/* leaf.c — client data from LEAF's JSON files ({"users": [...], "num_samples": [...],
 * "user_data": {user: {"x": [...], "y": [...]}}}), as FEMNIST, Shakespeare, Sent140 and the
 * synthetic sets are shipped (Sent140's samples are records: arrays of strings). The file is parsed
 * whole (as LEAF itself loads it) into in-memory client data; the JSON itself is read by the base
 * layer's parser (fedc/base_json.h). Nothing here writes files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"
#include "fedc/base_json.h"

/* Whether every element of an array is a number (FEMNIST's pixels, synthetic's features). */
static bool all_numbers(const fedc_json *v) {
    for (size_t i = 0; i < fedc_json_count(v); i++)
        if (fedc_json_type_of(fedc_json_at(v, i)) != FEDC_JSON_NUMBER) return false;
    return true;
}

static fedc_status set_value(fedc_ctx *ctx, fedc_example *ex, const char *name, const fedc_json *v,
                             bool int_scalars);

/* One feature per part of a record: `name`_i for array element i, `name`_key for an object's
 * member `key`. LEAF's Sent140 samples are such arrays: [tweet id, date, query, user, text,
 * "training"/"test"] (the columns of Sentiment140's CSV after the polarity, which is y, plus
 * the file they came from), so the tweet's text is x_4. */
static fedc_status set_record(fedc_ctx *ctx, fedc_example *ex, const char *name, const fedc_json *v,
                              bool int_scalars) {
    bool is_object = fedc_json_type_of(v) == FEDC_JSON_OBJECT;
    for (size_t i = 0; i < fedc_json_count(v); i++) {
        char part[256];
        int n;
        if (is_object) {
            size_t klen;
            const char *key = fedc_json_key_at(v, i, &klen);
            if (klen == 0 || memchr(key, '\0', klen))
                return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                       "'%s' has a member whose name is empty or holds a NUL",
                                       name);
            n = snprintf(part, sizeof part, "%s_%.*s", name, (int)klen, key);
        } else {
            n = snprintf(part, sizeof part, "%s_%zu", name, i);
        }
        if (n < 0 || (size_t)n >= sizeof part)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                   "'%s': a part's feature name is longer than 255 bytes", name);
        if (fedc_example_find(ex, part) >= 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                   "'%s': two parts are both named '%s'", name, part);
        fedc_status st = set_value(ctx, ex, part, fedc_json_at(v, i), int_scalars);
        if (st) return st;
    }
    return FEDC_STATUS_OK;
}

/* Sets feature `name` from one LEAF value: a string -> uint8 bytes, a number -> a scalar (int32
 * when integral and int_scalars, else float32), an array of numbers -> float32[n], any other
 * array or an object -> a record, one feature per part (set_record). */
static fedc_status set_value(fedc_ctx *ctx, fedc_example *ex, const char *name, const fedc_json *v,
                             bool int_scalars) {
    fedc_tensor *t;
    fedc_status st;
    fedc_json_type type = fedc_json_type_of(v);
    if (type == FEDC_JSON_STRING) {
        size_t len;
        const char *str = fedc_json_string(v, &len);
        fedc_shape s = FEDC_SHAPE((int64_t)len);
        st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_UINT8, &s, &t);
        if (!st && len) memcpy(t->data, str, len);
        return st;
    }
    if (type == FEDC_JSON_NUMBER) {
        fedc_shape s = FEDC_SHAPE0;
        double num = fedc_json_number(v);
        bool integral = int_scalars && num == floor(num) && fabs(num) < 2147483648.0;
        st = fedc_example_set(ctx, ex, name, integral ? FEDC_DTYPE_INT32 : FEDC_DTYPE_FLOAT32, &s,
                              &t);
        if (st) return st;
        if (integral)
            ((int32_t *)t->data)[0] = (int32_t)num;
        else
            ((float *)t->data)[0] = (float)num;
        return FEDC_STATUS_OK;
    }
    if (type == FEDC_JSON_ARRAY && all_numbers(v)) {
        size_t n = fedc_json_count(v);
        fedc_shape s = FEDC_SHAPE((int64_t)n);
        st = fedc_example_set(ctx, ex, name, FEDC_DTYPE_FLOAT32, &s, &t);
        if (st) return st;
        float *f = t->data;
        for (size_t i = 0; i < n; i++)
            f[i] = (float)fedc_json_number(fedc_json_at(v, i));
        return FEDC_STATUS_OK;
    }
    if (type == FEDC_JSON_ARRAY || type == FEDC_JSON_OBJECT)
        return set_record(ctx, ex, name, v, int_scalars);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                           "'%s' is %s (LEAF values are strings, numbers, arrays and records)",
                           name, type == FEDC_JSON_BOOL ? "a boolean" : "null");
}

static fedc_status load(fedc_ctx *ctx, const char *path, const fedc_json *root,
                        fedc_memory_data *b) {
    if (fedc_json_type_of(root) != FEDC_JSON_OBJECT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: the top level is not an object",
                               path);
    const fedc_json *users = fedc_json_get(root, "users");
    const fedc_json *data = fedc_json_get(root, "user_data");
    const fedc_json *counts = fedc_json_get(root, "num_samples");
    if (fedc_json_type_of(users) != FEDC_JSON_ARRAY || fedc_json_type_of(data) != FEDC_JSON_OBJECT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: not a LEAF file (needs \"users\" array and \"user_data\" "
                               "object)",
                               path);
    size_t n_users = fedc_json_count(users);
    if (counts &&
        (fedc_json_type_of(counts) != FEDC_JSON_ARRAY || fedc_json_count(counts) != n_users))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: \"num_samples\" has %zu entries for %zu users", path,
                               fedc_json_count(counts), n_users);
    fedc_example *ex;
    fedc_status st = fedc_example_create(ctx, &ex);
    if (st) return st;
    for (size_t k = 0; k < n_users && !st; k++) {
        size_t id_len;
        const char *id = fedc_json_string(fedc_json_at(users, k), &id_len);
        /* Ids with NULs could not be named by the C API, so they are refused. */
        if (!id || id_len == 0 || memchr(id, '\0', id_len)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: a user id is not a string", path);
            break;
        }
        const fedc_json *ud = fedc_json_get(data, id);
        const fedc_json *x = fedc_json_get(ud, "x"), *y = fedc_json_get(ud, "y");
        if (fedc_json_type_of(x) != FEDC_JSON_ARRAY || fedc_json_type_of(y) != FEDC_JSON_ARRAY) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: user '%s' has no \"x\" and \"y\" arrays in user_data", path,
                                 id);
            break;
        }
        size_t nx = fedc_json_count(x), ny = fedc_json_count(y);
        if (nx != ny) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: user '%s' has %zu x values but %zu y values", path, id, nx,
                                 ny);
            break;
        }
        for (size_t i = 0; i < nx && !st; i++) {
            fedc_example_clear(ex);
            st = set_value(ctx, ex, "x", fedc_json_at(x, i), false);
            if (!st) st = set_value(ctx, ex, "y", fedc_json_at(y, i), true);
            if (!st) st = fedc_memory_data_add(ctx, b, id, ex);
            if (st) fedc_ctx_prefixf(ctx, "%s: user '%s', sample %zu", path, id, i);
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
    fedc_json_doc *doc = NULL;
    fedc_memory_data *b = NULL;
    fedc_json_opts opts = fedc_json_opts_default();
    opts.name = path;
    st = fedc_json_parse(ctx, text, size, &opts, &doc);
    fedc_free(text); /* the document keeps its own copies */
    if (!st) st = fedc_memory_data_create(ctx, &b);
    if (!st) st = load(ctx, path, fedc_json_doc_root(doc), b);
    if (!st) st = fedc_memory_data_finish(ctx, b, out);
    fedc_memory_data_destroy(b);
    fedc_json_doc_destroy(doc);
    return st;
}
