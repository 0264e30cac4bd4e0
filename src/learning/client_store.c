/* client_store.c — per-client vectors that persist across rounds (fedc/learning.h): the checked
 * wrapper every implementation goes through (zeros for a missing client, a wrong length named
 * with the client), and the in-memory implementation, a hash table under one lock.
 * It must not know what the vectors mean; SCAFFOLD's client work decides that.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "learning/learning_int.h"

struct fedc_client_store {
    const fedc_client_store_ops *ops;
    void *self;
};

fedc_status fedc_client_store_create(fedc_ctx *ctx, const fedc_client_store_ops *ops, void *self,
                                     fedc_client_store **out) {
    *out = NULL;
    if (!ops || !ops->kind || !ops->get || !ops->put || !ops->destroy) {
        if (ops && ops->destroy) ops->destroy(self);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client store: the implementation lacks a kind or a function");
    }
    fedc_client_store *s = fedc_calloc(1, sizeof *s);
    if (!s) {
        ops->destroy(self);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a client store");
    }
    s->ops = ops;
    s->self = self;
    *out = s;
    return FEDC_STATUS_OK;
}

void fedc_client_store_destroy(fedc_client_store *s) {
    if (!s) return;
    s->ops->destroy(s->self);
    fedc_free(s);
}

const char *fedc_client_store_kind(const fedc_client_store *s) { return s->ops->kind; }

fedc_status fedc_client_store_get(fedc_ctx *ctx, fedc_client_store *s, const char *client_id,
                                  int64_t n, float *out) {
    int64_t count = -1;
    fedc_status st = s->ops->get(ctx, s->self, client_id, out, n, &count);
    if (st < 0) return st;
    if (count < 0) {
        memset(out, 0, (size_t)n * sizeof(float));
        return FEDC_STATUS_OK;
    }
    if (count != n)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "client store (%s): client '%s' has a vector of %lld floats, "
                               "expected %lld",
                               s->ops->kind, client_id, (long long)count, (long long)n);
    return FEDC_STATUS_OK;
}

fedc_status fedc_client_store_put(fedc_ctx *ctx, fedc_client_store *s, const char *client_id,
                                  const float *v, int64_t n) {
    return s->ops->put(ctx, s->self, client_id, v, n);
}

fedc_status fedc_client_store_each(fedc_ctx *ctx, fedc_client_store *s,
                                   fedc_client_store_visit visit, void *user) {
    if (!s->ops->each)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "client store (%s): cannot list its entries", s->ops->kind);
    return s->ops->each(ctx, s->self, visit, user);
}

fedc_status fedc_client_store_clear(fedc_ctx *ctx, fedc_client_store *s) {
    if (!s->ops->clear)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "client store (%s): cannot remove its entries", s->ops->kind);
    return s->ops->clear(ctx, s->self);
}

/* ---- in memory: open addressing on the id's hash, grown at half load ---- */

typedef struct entry {
    char *id; /* NULL: empty slot */
    float *v;
    int64_t n;
} entry;

typedef struct memory_store {
    pthread_mutex_t lock; /* clients of a round put concurrently; the table may grow */
    entry *slots;
    size_t cap, used;
} memory_store;

static entry *find(memory_store *m, const char *id) {
    size_t i = (size_t)fedc__hash_string(id) & (m->cap - 1);
    while (m->slots[i].id && strcmp(m->slots[i].id, id))
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static bool grow(memory_store *m) {
    size_t old_cap = m->cap;
    entry *old = m->slots;
    entry *slots = fedc_calloc(old_cap ? old_cap * 2 : 64, sizeof *slots);
    if (!slots) return false;
    m->slots = slots;
    m->cap = old_cap ? old_cap * 2 : 64;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id) *find(m, old[i].id) = old[i];
    fedc_free(old);
    return true;
}

static fedc_status memory_get(fedc_ctx *ctx, void *self, const char *id, float *out, int64_t n,
                              int64_t *count) {
    (void)ctx;
    memory_store *m = self;
    pthread_mutex_lock(&m->lock);
    *count = -1;
    if (m->cap) {
        const entry *e = find(m, id);
        if (e->id) {
            *count = e->n;
            if (e->n == n) memcpy(out, e->v, (size_t)n * sizeof(float));
        }
    }
    pthread_mutex_unlock(&m->lock);
    return FEDC_STATUS_OK;
}

static fedc_status memory_put(fedc_ctx *ctx, void *self, const char *id, const float *v,
                              int64_t n) {
    memory_store *m = self;
    float *copy = fedc_malloc((size_t)(n ? n : 1) * sizeof(float));
    if (copy) memcpy(copy, v, (size_t)n * sizeof(float));
    pthread_mutex_lock(&m->lock);
    bool ok = copy && ((m->used + 1) * 2 <= m->cap || grow(m));
    entry *e = ok ? find(m, id) : NULL;
    if (e && !e->id) {
        size_t len = strlen(id);
        if ((e->id = fedc_malloc(len + 1)) != NULL) {
            memcpy(e->id, id, len + 1);
            m->used++;
        } else {
            ok = false;
        }
    }
    if (ok) {
        fedc_free(e->v);
        e->v = copy;
        e->n = n;
        copy = NULL;
    }
    pthread_mutex_unlock(&m->lock);
    fedc_free(copy);
    if (!ok)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "client store (memory): out of memory storing client '%s'", id);
    return FEDC_STATUS_OK;
}

static void memory_destroy(void *self) {
    memory_store *m = self;
    for (size_t i = 0; i < m->cap; i++) {
        fedc_free(m->slots[i].id);
        fedc_free(m->slots[i].v);
    }
    fedc_free(m->slots);
    pthread_mutex_destroy(&m->lock);
    fedc_free(m);
}

static int by_id(const void *a, const void *b) {
    return strcmp((*(const entry *const *)a)->id, (*(const entry *const *)b)->id);
}

static fedc_status memory_each(fedc_ctx *ctx, void *self, fedc_client_store_visit visit,
                               void *user) {
    memory_store *m = self;
    pthread_mutex_lock(&m->lock);
    const entry **order = fedc_malloc((m->used ? m->used : 1) * sizeof *order);
    fedc_status st = order ? FEDC_STATUS_OK
                           : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                             "client store (memory): out of memory listing");
    size_t k = 0;
    for (size_t i = 0; order && i < m->cap; i++)
        if (m->slots[i].id) order[k++] = &m->slots[i];
    if (order) qsort(order, k, sizeof *order, by_id);
    for (size_t i = 0; st >= 0 && i < k; i++)
        st = visit(ctx, user, order[i]->id, order[i]->v, order[i]->n);
    fedc_free(order);
    pthread_mutex_unlock(&m->lock);
    return st;
}

static fedc_status memory_clear(fedc_ctx *ctx, void *self) {
    (void)ctx;
    memory_store *m = self;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->cap; i++) {
        fedc_free(m->slots[i].id);
        fedc_free(m->slots[i].v);
        m->slots[i] = (entry){0};
    }
    m->used = 0;
    pthread_mutex_unlock(&m->lock);
    return FEDC_STATUS_OK;
}

static const fedc_client_store_ops k_memory_ops = {"memory",       memory_get,  memory_put,
                                                   memory_destroy, memory_each, memory_clear};

fedc_status fedc_client_store_memory(fedc_ctx *ctx, fedc_client_store **out) {
    *out = NULL;
    memory_store *m = fedc_calloc(1, sizeof *m);
    if (!m || pthread_mutex_init(&m->lock, NULL) != 0) {
        fedc_free(m);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a client store");
    }
    return fedc_client_store_create(ctx, &k_memory_ops, m, out);
}
