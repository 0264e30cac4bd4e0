/* memory_data.c — client data held in memory: a builder collects copies of examples per
 * client; finish() freezes them into a reference-counted store shared by the client data and
 * every dataset opened from it. Nothing here reads files.
 */
#include <stdatomic.h>
#include <string.h>

#include "data/data_int.h"

typedef struct mem_client {
    char *id;
    fedc_example **ex;
    int64_t n, cap;
} mem_client;

typedef struct mem_store {
    atomic_long refs;
    mem_client *clients;
    int64_t n;
} mem_store;

struct fedc_memory_data {
    mem_client *clients;
    int64_t n, cap;
};

static void client_free(mem_client *c) {
    for (int64_t i = 0; i < c->n; i++)
        fedc_example_destroy(c->ex[i]);
    fedc_free(c->ex);
    fedc_free(c->id);
}

static void store_release(mem_store *s) {
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    for (int64_t i = 0; i < s->n; i++)
        client_free(&s->clients[i]);
    fedc_free(s->clients);
    fedc_free(s);
}

fedc_status fedc_memory_data_create(fedc_ctx *ctx, fedc_memory_data **out) {
    *out = fedc_calloc(1, sizeof **out);
    if (!*out) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a builder");
    return FEDC_STATUS_OK;
}

void fedc_memory_data_destroy(fedc_memory_data *b) {
    if (!b) return;
    for (int64_t i = 0; i < b->n; i++)
        client_free(&b->clients[i]);
    fedc_free(b->clients);
    fedc_free(b);
}

/* The client called id, created when new. Searches from the end: builders usually add one
 * client's examples together. */
static fedc_status find_or_add(fedc_ctx *ctx, fedc_memory_data *b, const char *id,
                               mem_client **out) {
    for (int64_t i = b->n - 1; i >= 0; i--)
        if (strcmp(b->clients[i].id, id) == 0) {
            *out = &b->clients[i];
            return FEDC_STATUS_OK;
        }
    if (b->n == b->cap) {
        int64_t ncap = b->cap ? b->cap * 2 : 16;
        mem_client *nc = fedc_realloc(b->clients, (size_t)ncap * sizeof *nc);
        if (!nc)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot grow to %lld clients",
                                   (long long)ncap);
        b->clients = nc;
        b->cap = ncap;
    }
    mem_client *c = &b->clients[b->n];
    memset(c, 0, sizeof *c);
    c->id = fedc_strdup(id);
    if (!c->id)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot copy client id '%s'", id);
    b->n++;
    *out = c;
    return FEDC_STATUS_OK;
}

fedc_status fedc_memory_data_add(fedc_ctx *ctx, fedc_memory_data *b, const char *client_id,
                                 const fedc_example *ex) {
    if (!client_id || !client_id[0])
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "empty client id");
    mem_client *c = NULL;
    fedc_status st = find_or_add(ctx, b, client_id, &c);
    if (st) return st;
    if (c->n == c->cap) {
        int64_t ncap = c->cap ? c->cap * 2 : 16;
        fedc_example **ne = fedc_realloc(c->ex, (size_t)ncap * sizeof *ne);
        if (!ne)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "client '%s': cannot grow to %lld examples", client_id,
                                   (long long)ncap);
        c->ex = ne;
        c->cap = ncap;
    }
    fedc_example *copy;
    st = fedc_example_create(ctx, &copy);
    if (!st) st = fedc_example_copy(ctx, copy, ex);
    if (st) {
        fedc_example_destroy(copy);
        return st;
    }
    c->ex[c->n++] = copy;
    return FEDC_STATUS_OK;
}

/* ---- one client's dataset ---- */

typedef struct mclient_ds {
    mem_store *store;
    const mem_client *c;
    int64_t pos;
} mclient_ds;

static void mclient_destroy(void *self) {
    mclient_ds *d = self;
    if (!d) return;
    store_release(d->store);
    fedc_free(d);
}

static fedc_status mclient_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    mclient_ds *d = self;
    if (d->pos >= d->c->n) return FEDC_STATUS_OK;
    fedc_status st = fedc_example_copy(ctx, out, d->c->ex[d->pos]);
    if (st) return st;
    d->pos++;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status mclient_reset(fedc_ctx *ctx, void *self) {
    (void)ctx;
    ((mclient_ds *)self)->pos = 0;
    return FEDC_STATUS_OK;
}

static int64_t mclient_cardinality(void *self) { return ((mclient_ds *)self)->c->n; }

static const fedc_dataset_vtable mclient_vtable = {"memory", mclient_next, mclient_reset,
                                                   mclient_cardinality, mclient_destroy};

/* ---- the client data ---- */

static int64_t mcd_num_clients(void *self) { return ((mem_store *)self)->n; }
static const char *mcd_client_id(void *self, int64_t i) {
    return ((mem_store *)self)->clients[i].id;
}
static int64_t mcd_num_examples(void *self, int64_t i) { return ((mem_store *)self)->clients[i].n; }
static void mcd_destroy(void *self) { store_release(self); }

static fedc_status mcd_open(fedc_ctx *ctx, void *self, int64_t i, fedc_dataset **out) {
    mem_store *s = self;
    mclient_ds *d = fedc_calloc(1, sizeof *d);
    if (!d) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a dataset");
    atomic_fetch_add(&s->refs, 1);
    d->store = s;
    d->c = &s->clients[i];
    return fedc_dataset_create(ctx, &mclient_vtable, d, out);
}

static const fedc_client_data_vtable mcd_vtable = {"memory",         mcd_num_clients, mcd_client_id,
                                                   mcd_num_examples, mcd_open,        mcd_destroy};

fedc_status fedc_memory_data_finish(fedc_ctx *ctx, fedc_memory_data *b, fedc_client_data **out) {
    *out = NULL;
    mem_store *s = fedc_calloc(1, sizeof *s);
    if (!s) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate client data");
    atomic_init(&s->refs, 1);
    s->clients = b->clients;
    s->n = b->n;
    b->clients = NULL;
    b->n = b->cap = 0;
    return fedc_client_data_create(ctx, &mcd_vtable, s, out);
}
