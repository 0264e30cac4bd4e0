/* safetensors.c — the model's weights as a safetensors file: an 8-byte little-endian header
 * size, a JSON header {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...}
 * padded with spaces to 8 bytes, then the raw data.
 *
 * Loading validates everything (sizes, offsets, names, shapes) before copying, and every
 * message names the tensor or the byte offset. The JSON header is read and written by
 * fedc/base_json.h. Must not trust any number read from a file.
 */
#include <stdio.h>
#include <string.h>

#include "fedc/base_json.h"
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
    fedc_json_writer w;
    fedc_json_writer_init(&w, FEDC_JSON_STYLE_COMPACT); /* as the reference implementation */
    fedc_json_write_begin_object(&w);
    fedc_json_write_key(&w, "__metadata__");
    fedc_json_write_begin_object(&w);
    fedc_json_write_key(&w, "producer");
    fedc_json_write_string(&w, "fedc " FEDC_VERSION_STRING);
    fedc_json_write_end_object(&w);
    uint64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bytes = (uint64_t)fedc_shape_numel(&e[i].w.shape) * 4u;
        fedc_json_write_key(&w, e[i].name);
        fedc_json_write_begin_object(&w);
        fedc_json_write_key(&w, "dtype");
        fedc_json_write_string(&w, "F32");
        fedc_json_write_key(&w, "shape");
        fedc_json_write_begin_array(&w);
        for (int d = 0; d < e[i].w.shape.rank; d++)
            fedc_json_write_int(&w, e[i].w.shape.dims[d]);
        fedc_json_write_end_array(&w);
        fedc_json_write_key(&w, "data_offsets");
        fedc_json_write_begin_array(&w);
        fedc_json_write_uint(&w, off);
        fedc_json_write_uint(&w, off + bytes);
        fedc_json_write_end_array(&w);
        fedc_json_write_end_object(&w);
        off += bytes;
    }
    fedc_json_write_end_object(&w);
    char *header;
    size_t hlen;
    st = fedc_json_writer_finish(ctx, &w, "safetensors header", &header, &hlen);
    if (st != FEDC_STATUS_OK) {
        fedc_free(e);
        return st;
    }
    /* The header is padded with spaces to a multiple of 8 bytes so the data is aligned. */
    size_t padded = (hlen + 7) / 8 * 8;
    size_t total = 8 + padded + (size_t)off;
    unsigned char *img = fedc_malloc(total);
    if (!img) {
        fedc_free(header);
        fedc_free(e);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "safetensors: %zu-byte image",
                               total);
    }
    for (int k = 0; k < 8; k++)
        img[k] = (unsigned char)((uint64_t)padded >> (8 * k));
    memcpy(img + 8, header, hlen);
    memset(img + 8 + hlen, ' ', padded - hlen);
    unsigned char *d = img + 8 + padded;
    for (size_t i = 0; i < n; i++) {
        size_t bytes = (size_t)fedc_shape_numel(&e[i].w.shape) * 4u;
        memcpy(d, e[i].w.data, bytes);
        d += bytes;
    }
    fedc_free(header);
    fedc_free(e);
    *out = img;
    *len = total;
    return FEDC_STATUS_OK;
}

/* Checks one header entry against the weight it must fill; sets *src to its data. */
static fedc_status check_entry(fedc_ctx *ctx, const char *what, const fedc_json *t, const entry *e,
                               const unsigned char *data, uint64_t data_len,
                               const unsigned char **src) {
    const fedc_json *dt = fedc_json_get(t, "dtype"), *sh = fedc_json_get(t, "shape");
    const fedc_json *of = fedc_json_get(t, "data_offsets");
    const char *dtype = fedc_json_string(dt, NULL);
    if (fedc_json_type_of(t) != FEDC_JSON_OBJECT || !dtype ||
        fedc_json_type_of(sh) != FEDC_JSON_ARRAY || fedc_json_type_of(of) != FEDC_JSON_ARRAY ||
        fedc_json_count(of) != 2)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte %zu: tensor '%s' needs dtype, shape and data_offsets",
                               what, fedc_json_offset(t), e->name);
    if (strcmp(dtype, "F32") != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "%s: tensor '%s' has dtype %s, expected F32",
                               what, e->name, dtype);
    bool same = fedc_json_count(sh) == (size_t)e->w.shape.rank;
    for (int d = 0; same && d < e->w.shape.rank; d++) {
        int64_t dim;
        same = fedc_json_int64(fedc_json_at(sh, (size_t)d), &dim) && dim == e->w.shape.dims[d];
    }
    if (!same) {
        char want[96];
        fedc_shape_format(&e->w.shape, want, sizeof want);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "%s: byte %zu: tensor '%s' has another shape than the model's %s",
                               what, fedc_json_offset(sh), e->name, want);
    }
    const fedc_json *b = fedc_json_at(of, 0), *en = fedc_json_at(of, 1);
    uint64_t bytes = (uint64_t)fedc_shape_numel(&e->w.shape) * 4u;
    int64_t lo = -1, hi = -1;
    bool ok = fedc_json_int64(b, &lo) && fedc_json_int64(en, &hi) && lo >= 0 && hi >= lo &&
              (uint64_t)hi <= data_len && (uint64_t)(hi - lo) == bytes;
    if (!ok)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte %zu: tensor '%s' data_offsets [%.0f, %.0f] do not hold "
                               "%llu bytes inside the %llu-byte data section",
                               what, fedc_json_offset(of), e->name, fedc_json_number(b),
                               fedc_json_number(en), (unsigned long long)bytes,
                               (unsigned long long)data_len);
    *src = data + lo;
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
    entry *e = NULL;
    const unsigned char **src = NULL;
    size_t n = 0;
    fedc_json_opts jo = fedc_json_opts_default();
    jo.name = what;
    jo.base_offset = 8; /* messages and offsets count from the start of the file */
    fedc_json_doc *doc = NULL;
    fedc_status st = fedc_json_parse(ctx, p + 8, (size_t)hlen, &jo, &doc);
    const fedc_json *root = fedc_json_doc_root(doc);
    if (st == FEDC_STATUS_OK && fedc_json_type_of(root) != FEDC_JSON_OBJECT)
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
        const fedc_json *t = fedc_json_get(root, e[i].name);
        if (!t) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s: no tensor '%s'", what, e[i].name);
            goto done;
        }
        st = check_entry(ctx, what, t, &e[i], data, data_len, &src[i]);
        if (st != FEDC_STATUS_OK) goto done;
    }
    for (size_t k = 0; k < fedc_json_count(root); k++) {
        const char *key = fedc_json_key_at(root, k, NULL);
        if (strcmp(key, "__metadata__") == 0) continue;
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(key, e[i].name) == 0;
        if (!known) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "%s: byte %zu: tensor '%s' is not a weight of this model", what,
                                 fedc_json_offset(fedc_json_at(root, k)), key);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        memcpy(e[i].w.data, src[i], (size_t)fedc_shape_numel(&e[i].w.shape) * 4u);
done:
    fedc_free(src);
    fedc_free(e);
    fedc_json_doc_destroy(doc);
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
