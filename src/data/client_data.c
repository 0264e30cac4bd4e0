/* client_data.c — fedc_client_data, the ClientData handle over a backend vtable: sorts the
 * backend's client ids into TFF's order (byte order, as Python sorts str), finds ids, opens
 * clients. Nothing here knows how a backend stores its data.
 */
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"

struct fedc_client_data {
    const fedc_client_data_vtable *vt;
    void *self;
    int64_t n;
    int64_t *order;   /* sorted position -> backend index */
    const char **ids; /* sorted position -> id (owned by the backend) */
};

/* qsort has no context argument in C11: sort (id, index) pairs instead. */
typedef struct id_pair {
    const char *id;
    int64_t index;
} id_pair;

static int cmp_pairs(const void *a, const void *b) {
    /* strcmp compares as unsigned char: UTF-8 byte order, which is code point order. */
    return strcmp(((const id_pair *)a)->id, ((const id_pair *)b)->id);
}

fedc_status fedc_client_data_create(fedc_ctx *ctx, const fedc_client_data_vtable *vtable,
                                    void *self, fedc_client_data **out) {
    *out = NULL;
    fedc_client_data *cd = fedc_calloc(1, sizeof *cd);
    id_pair *pairs = NULL;
    int64_t n = vtable->num_clients(self);
    if (cd) {
        cd->vt = vtable;
        cd->self = self;
        cd->n = n;
        size_t m = n > 0 ? (size_t)n : 1;
        cd->order = fedc_malloc(m * sizeof *cd->order);
        cd->ids = fedc_malloc(m * sizeof *cd->ids);
        pairs = fedc_malloc(m * sizeof *pairs);
    }
    if (!cd || !cd->order || !cd->ids || !pairs) {
        fedc_free(pairs);
        if (!cd) vtable->destroy(self); /* else cd owns self and destroys it */
        fedc_client_data_destroy(cd);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "cannot allocate the index of %lld clients", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        pairs[i] = (id_pair){vtable->client_id(self, i), i};
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_pairs);
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(pairs[i - 1].id, pairs[i].id) == 0) {
            fedc_status st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                             "%s client data: client id '%s' appears twice",
                                             vtable->name, pairs[i].id);
            fedc_free(pairs);
            fedc_client_data_destroy(cd);
            return st;
        }
        cd->order[i] = pairs[i].index;
        cd->ids[i] = pairs[i].id;
    }
    fedc_free(pairs);
    *out = cd;
    return FEDC_STATUS_OK;
}

void fedc_client_data_destroy(fedc_client_data *cd) {
    if (!cd) return;
    if (cd->vt && cd->vt->destroy) cd->vt->destroy(cd->self);
    fedc_free(cd->order);
    fedc_free(cd->ids);
    fedc_free(cd);
}

int64_t fedc_client_data_num_clients(const fedc_client_data *cd) { return cd->n; }

const char *fedc_client_data_client_id(const fedc_client_data *cd, int64_t i) {
    return i >= 0 && i < cd->n ? cd->ids[i] : NULL;
}

int64_t fedc_client_data_num_examples(const fedc_client_data *cd, int64_t i) {
    if (i < 0 || i >= cd->n || !cd->vt->num_examples) return -1;
    return cd->vt->num_examples(cd->self, cd->order[i]);
}

fedc_status fedc_client_data_find(fedc_ctx *ctx, const fedc_client_data *cd, const char *id,
                                  int64_t *index) {
    int64_t lo = 0, hi = cd->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cd->ids[mid], id);
        if (c == 0) {
            *index = mid;
            return FEDC_STATUS_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *index = -1;
    return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "%s client data has no client '%s'",
                           cd->vt->name, id);
}

fedc_status fedc_client_data_open(fedc_ctx *ctx, const fedc_client_data *cd, int64_t i,
                                  fedc_dataset **out) {
    *out = NULL;
    if (i < 0 || i >= cd->n)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                               "client index %lld is outside 0..%lld", (long long)i,
                               (long long)cd->n - 1);
    fedc_status st = cd->vt->open(ctx, cd->self, cd->order[i], out);
    if (st) fedc_ctx_prefixf(ctx, "client %lld ('%s')", (long long)i, cd->ids[i]);
    return st;
}

fedc_status fedc_client_data_open_id(fedc_ctx *ctx, const fedc_client_data *cd, const char *id,
                                     fedc_dataset **out) {
    int64_t i;
    *out = NULL;
    fedc_status st = fedc_client_data_find(ctx, cd, id, &i);
    if (st) return st;
    return fedc_client_data_open(ctx, cd, i, out);
}
