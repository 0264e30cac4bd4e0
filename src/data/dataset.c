/* dataset.c — fedc_dataset, the stream-of-examples handle over a vtable, and the simplest source:
 * a dataset over copies of examples held in memory.
 * Pipeline steps live in pipeline_*.c; nothing here reads files.
 */
#include <string.h>

#include "data/data_int.h"

struct fedc_dataset {
    const fedc_dataset_vtable *vt;
    void *self;
};

fedc_status fedc_dataset_create(fedc_ctx *ctx, const fedc_dataset_vtable *vtable, void *self,
                                fedc_dataset **out) {
    *out = fedc_malloc(sizeof **out);
    if (!*out) {
        if (vtable->destroy) vtable->destroy(self);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a %s dataset",
                               vtable->name);
    }
    (*out)->vt = vtable;
    (*out)->self = self;
    return FEDC_STATUS_OK;
}

fedc_status fedc__dataset_wrap(fedc_ctx *ctx, const fedc_dataset_vtable *vtable, void *self,
                               fedc_dataset **out) {
    return fedc_dataset_create(ctx, vtable, self, out);
}

void fedc_dataset_destroy(fedc_dataset *ds) {
    if (!ds) return;
    if (ds->vt->destroy) ds->vt->destroy(ds->self);
    fedc_free(ds);
}

fedc_status fedc_dataset_next(fedc_ctx *ctx, fedc_dataset *ds, fedc_example *out, bool *got) {
    *got = false;
    return ds->vt->next(ctx, ds->self, out, got);
}

fedc_status fedc_dataset_reset(fedc_ctx *ctx, fedc_dataset *ds) {
    if (!ds->vt->reset)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "a %s dataset cannot restart",
                               ds->vt->name);
    return ds->vt->reset(ctx, ds->self);
}

int64_t fedc_dataset_cardinality(const fedc_dataset *ds) {
    return ds->vt->cardinality ? ds->vt->cardinality(ds->self) : -1;
}

fedc_status fedc_dataset_count(fedc_ctx *ctx, fedc_dataset *ds, int64_t *count) {
    *count = 0;
    fedc_example *ex;
    fedc_status st = fedc_example_create(ctx, &ex);
    if (st) return st;
    bool got;
    while ((st = fedc_dataset_next(ctx, ds, ex, &got)) == FEDC_STATUS_OK && got)
        ++*count;
    fedc_example_destroy(ex);
    return st;
}

/* ---- a dataset over copies of examples ---- */

typedef struct mem_ds {
    fedc_example **ex;
    int64_t n, pos;
} mem_ds;

static void mem_destroy(void *self) {
    mem_ds *m = self;
    if (!m) return;
    for (int64_t i = 0; i < m->n; i++)
        fedc_example_destroy(m->ex[i]);
    fedc_free(m->ex);
    fedc_free(m);
}

static fedc_status mem_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    mem_ds *m = self;
    if (m->pos >= m->n) return FEDC_STATUS_OK;
    fedc_status st = fedc_example_copy(ctx, out, m->ex[m->pos]);
    if (st) return st;
    m->pos++;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status mem_reset(fedc_ctx *ctx, void *self) {
    (void)ctx;
    ((mem_ds *)self)->pos = 0;
    return FEDC_STATUS_OK;
}

static int64_t mem_cardinality(void *self) { return ((mem_ds *)self)->n; }

static const fedc_dataset_vtable mem_vtable = {"memory", mem_next, mem_reset, mem_cardinality,
                                               mem_destroy};

fedc_status fedc_dataset_from_examples(fedc_ctx *ctx, fedc_example *const *examples, int64_t n,
                                       fedc_dataset **out) {
    *out = NULL;
    if (n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "negative example count %lld",
                               (long long)n);
    mem_ds *m = fedc_calloc(1, sizeof *m);
    if (!m) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a dataset");
    m->ex = fedc_calloc(n ? (size_t)n : 1, sizeof *m->ex);
    if (!m->ex) {
        mem_destroy(m);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "cannot allocate a dataset of %lld examples", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) {
        fedc_status st = fedc_example_create(ctx, &m->ex[i]);
        if (!st) st = fedc_example_copy(ctx, m->ex[i], examples[i]);
        m->n = i + 1;
        if (st) {
            mem_destroy(m);
            return st;
        }
    }
    return fedc_dataset_create(ctx, &mem_vtable, m, out);
}
