/* program_store.c — a client store as one checkpoint blob, so a resumed SCAFFOLD run gets back
 * the clients' control variates of the checkpoint's round (not later ones a killed run may have
 * written). The blob: for each entry in increasing order of client id, a uint32 id length, the
 * id's bytes, a uint32 vector length n and n float32, all in the machine's byte order like the
 * checkpoint's other blobs.
 */
#include <string.h>

#include "learning/learning_int.h"

typedef struct bytes {
    uint8_t *b;
    size_t len, cap;
} bytes;

static bool append(bytes *o, const void *p, size_t n) {
    if (o->len + n > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 4096) + n;
        uint8_t *b = fedc_realloc(o->b, cap);
        if (!b) return false;
        o->b = b;
        o->cap = cap;
    }
    if (n) memcpy(o->b + o->len, p, n);
    o->len += n;
    return true;
}

static fedc_status add_entry(fedc_ctx *ctx, void *user, const char *id, const float *v, int64_t n) {
    bytes *o = user;
    uint32_t idlen = (uint32_t)strlen(id), count = (uint32_t)n;
    if (n > UINT32_MAX || !append(o, &idlen, 4) || !append(o, id, idlen) || !append(o, &count, 4) ||
        !append(o, v, (size_t)n * sizeof(float)))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory saving the client store (client '%s')", id);
    return FEDC_STATUS_OK;
}

fedc_status fedc__store_save(fedc_ctx *ctx, fedc_client_store *s, uint8_t **out, size_t *len) {
    bytes o = {0};
    fedc_status st = fedc_client_store_each(ctx, s, add_entry, &o);
    if (st >= 0 && !o.b && !(o.b = fedc_malloc(1))) /* an empty store: a blob of 0 bytes */
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    if (st < 0) {
        fedc_free(o.b);
        return st;
    }
    *out = o.b;
    *len = o.len;
    return FEDC_STATUS_OK;
}

fedc_status fedc__store_load(fedc_ctx *ctx, fedc_client_store *s, const void *data, size_t len) {
    const uint8_t *b = data;
    fedc_status st = fedc_client_store_clear(ctx, s);
    char id[1024];
    float *v = NULL;
    size_t at = 0;
    while (st >= 0 && at < len) {
        uint32_t idlen, n;
        if (len - at < 4 || (memcpy(&idlen, b + at, 4), idlen >= sizeof id) ||
            len - at - 4 < (size_t)idlen + 4) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "checkpoint: the client store is cut or bad at byte %zu", at);
            break;
        }
        memcpy(id, b + at + 4, idlen);
        id[idlen] = 0;
        at += 4 + (size_t)idlen;
        memcpy(&n, b + at, 4);
        at += 4;
        if ((len - at) / sizeof(float) < n) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "checkpoint: client '%s' of the client store is cut at byte %zu",
                                 id, at);
            break;
        }
        float *grown = fedc_realloc(v, (size_t)(n ? n : 1) * sizeof(float));
        if (!grown) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
            break;
        }
        v = grown;
        memcpy(v, b + at, (size_t)n * sizeof(float));
        at += (size_t)n * sizeof(float);
        st = fedc_client_store_put(ctx, s, id, v, n);
    }
    fedc_free(v);
    return st;
}
