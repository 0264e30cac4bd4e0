/* safetensors.c — the model's weights as a safetensors file: an 8-byte little-endian header
 * size, a JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...}
 * padded with spaces to 8 bytes, then the raw data.
 *
 * Loading validates everything (sizes, offsets, names, shapes) before copying, and every
 * message names the tensor or the byte offset. Must not trust any number read from a file.
 */
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

#define MAX_HEADER (100u << 20) /* as the reference implementation */

typedef struct entry {
    char name[FEDC_LAYER_NAME_MAX + 32];
    fedc__weight w;
} entry;

/* All the model's weights in file order, into a fedc_malloc'd array. */
static fedc_status list_weights(fedc_ctx *ctx, const fedc_model *m, entry **out, size_t *count) {
    size_t n = 0;
    fedc__weight w[FEDC__MAX_LAYER_WEIGHTS];
    for (size_t i = 0; i < m->n; i++)
        n += (size_t)fedc__layer_weights(&m->layers[i], w);
    entry *e = fedc_calloc(n ? n : 1, sizeof *e);
    if (!e) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "safetensors: %zu tensors", n);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        int c = fedc__layer_weights(&m->layers[i], w);
        for (int j = 0; j < c; j++, k++) {
            snprintf(e[k].name, sizeof e[k].name, "%s/%s", m->layers[i].name, w[j].name);
            e[k].w = w[j];
        }
    }
    *out = e;
    *count = n;
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_weights_to_safetensors(fedc_ctx *ctx, const fedc_model *m, void **out,
                                              size_t *len) {
    *out = NULL;
    *len = 0;
    entry *e;
    size_t n;
    fedc_status st = list_weights(ctx, m, &e, &n);
    if (st != FEDC_STATUS_OK) return st;
    fedc__buf b = {0};
    fedc__nn_buf_printf(&b, "{\"__metadata__\":{\"producer\":\"fedc %s\"}", FEDC_VERSION_STRING);
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bytes = (uint64_t)fedc_shape_numel(&e[i].w.shape) * 4u;
        fedc__nn_buf_printf(&b, ",");
        fedc__nn_buf_json_string(&b, e[i].name);
        fedc__nn_buf_printf(&b, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < e[i].w.shape.rank; d++)
            fedc__nn_buf_printf(&b, "%s%lld", d ? "," : "", (long long)e[i].w.shape.dims[d]);
        fedc__nn_buf_printf(&b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                            (unsigned long long)(off + bytes));
        off += bytes;
    }
    fedc__nn_buf_printf(&b, "}");
    while (!b.failed && b.len % 8 != 0)
        fedc__nn_buf_printf(&b, " ");
    size_t total = b.failed ? 0 : 8 + b.len + (size_t)off;
    unsigned char *img = b.failed ? NULL : fedc_malloc(total);
    if (!img) {
        fedc_free(b.data);
        fedc_free(e);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "safetensors: %zu-byte image",
                               total);
    }
    for (int k = 0; k < 8; k++)
        img[k] = (unsigned char)((uint64_t)b.len >> (8 * k));
    memcpy(img + 8, b.data, b.len);
    unsigned char *d = img + 8 + b.len;
    for (size_t i = 0; i < n; i++) {
        size_t bytes = (size_t)fedc_shape_numel(&e[i].w.shape) * 4u;
        memcpy(d, e[i].w.data, bytes);
        d += bytes;
    }
    fedc_free(b.data);
    fedc_free(e);
    *out = img;
    *len = total;
    return FEDC_STATUS_OK;
}

/* Checks one header entry against the weight it must fill; sets *src to its data. */
static fedc_status check_entry(fedc_ctx *ctx, const char *what, const fedc__json *t, const entry *e,
                               const unsigned char *data, uint64_t data_len,
                               const unsigned char **src) {
    const fedc__json *dt = fedc__nn_json_get(t, "dtype"), *sh = fedc__nn_json_get(t, "shape");
    const fedc__json *of = fedc__nn_json_get(t, "data_offsets");
    size_t at = t->offset;
    if (t->kind != FEDC__JSON_OBJECT || !dt || dt->kind != FEDC__JSON_STRING || !sh ||
        sh->kind != FEDC__JSON_ARRAY || !of || of->kind != FEDC__JSON_ARRAY || of->count != 2)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte %zu: tensor '%s' needs dtype, shape and data_offsets",
                               what, at, e->name);
    if (strcmp(dt->str, "F32") != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: tensor '%s' has dtype %s, expected F32",
                               what, e->name, dt->str);
    bool same = sh->count == (size_t)e->w.shape.rank;
    int d = 0;
    for (const fedc__json *c = sh->child; same && c; c = c->next, d++)
        same = c->kind == FEDC__JSON_NUMBER && c->num == (double)e->w.shape.dims[d];
    if (!same) {
        char want[96];
        fedc_shape_format(&e->w.shape, want, sizeof want);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "%s: byte %zu: tensor '%s' has another shape than the model's %s",
                               what, sh->offset, e->name, want);
    }
    const fedc__json *b = of->child, *en = b->next;
    uint64_t bytes = (uint64_t)fedc_shape_numel(&e->w.shape) * 4u;
    if (b->kind != FEDC__JSON_NUMBER || en->kind != FEDC__JSON_NUMBER || b->num < 0 ||
        en->num < b->num || en->num > (double)data_len || en->num - b->num != (double)bytes)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte %zu: tensor '%s' data_offsets [%.0f, %.0f] do not hold "
                               "%llu bytes inside the %llu-byte data section",
                               what, of->offset, e->name, b->num, en->num,
                               (unsigned long long)bytes, (unsigned long long)data_len);
    *src = data + (uint64_t)b->num;
    return FEDC_STATUS_OK;
}

fedc_status fedc_model_weights_from_safetensors(fedc_ctx *ctx, fedc_model *m, const void *image,
                                                size_t len, const char *what) {
    const unsigned char *p = image;
    if (len < 8)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte 0: %zu bytes, too short for a safetensors header", what,
                               len);
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)p[k] << (8 * k);
    if (hlen > MAX_HEADER || hlen > len - 8)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte 0: header size %llu does not fit the %zu-byte file", what,
                               (unsigned long long)hlen, len);
    fedc_arena *arena;
    fedc_status st = fedc_arena_create(ctx, 0, &arena);
    if (st != FEDC_STATUS_OK) return st;
    entry *e = NULL;
    const unsigned char **src = NULL;
    size_t n = 0;
    fedc__json *root;
    st = fedc__nn_json_parse(ctx, what, (const char *)p + 8, (size_t)hlen, 8, arena, &root);
    if (st == FEDC_STATUS_OK && root->kind != FEDC__JSON_OBJECT)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: byte 8: header is not a JSON object",
                             what);
    if (st != FEDC_STATUS_OK) goto done;
    st = list_weights(ctx, m, &e, &n);
    if (st != FEDC_STATUS_OK) goto done;
    src = fedc_calloc(n ? n : 1, sizeof *src);
    if (!src) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "safetensors: %zu tensors", n);
        goto done;
    }
    const unsigned char *data = p + 8 + hlen;
    uint64_t data_len = len - 8 - hlen;
    for (size_t i = 0; i < n; i++) {
        const fedc__json *t = fedc__nn_json_get(root, e[i].name);
        if (!t) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s: no tensor '%s'", what, e[i].name);
            goto done;
        }
        st = check_entry(ctx, what, t, &e[i], data, data_len, &src[i]);
        if (st != FEDC_STATUS_OK) goto done;
    }
    for (const fedc__json *c = root->child; c; c = c->next) {
        if (strcmp(c->key, "__metadata__") == 0) continue;
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(c->key, e[i].name) == 0;
        if (!known) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "%s: byte %zu: tensor '%s' is not a weight of this model", what,
                                 8 + c->offset, c->key);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        memcpy(e[i].w.data, src[i], (size_t)fedc_shape_numel(&e[i].w.shape) * 4u);
done:
    fedc_free(src);
    fedc_free(e);
    fedc_arena_destroy(arena);
    return st;
}

fedc_status fedc_model_save_safetensors(fedc_ctx *ctx, const fedc_model *m, const char *path) {
    void *img;
    size_t len;
    fedc_status st = fedc_model_weights_to_safetensors(ctx, m, &img, &len);
    if (st != FEDC_STATUS_OK) return st;
    st = fedc__nn_write_file(ctx, path, img, len);
    fedc_free(img);
    return st;
}

fedc_status fedc_model_load_safetensors(fedc_ctx *ctx, fedc_model *m, const char *path) {
    char *buf;
    size_t len;
    fedc_status st = fedc__nn_read_file(ctx, path, &buf, &len);
    if (st != FEDC_STATUS_OK) return st;
    st = fedc_model_weights_from_safetensors(ctx, m, buf, len, path);
    fedc_free(buf);
    return st;
}
