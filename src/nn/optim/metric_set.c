/* metric_set.c — a named list of metrics whose float64 states lie end to end in one vector:
 * zero, update with a batch, merge (add) and finalize.
 *
 * The set owns copies of the definitions and names but never the states (the caller's memory,
 * so a client's unfinalized metrics are one vector to ship and sum). Update checks the batch
 * before any metric runs; nothing here allocates after the set is built.
 */
#include <string.h>

#include "nn/optim/optim_int.h"

typedef struct metric_entry {
    fedc_metric_def def; /* def.name points to `name` */
    char *name;
    size_t offset;
} metric_entry;

struct fedc_metric_set {
    metric_entry *items;
    size_t count, cap;
    size_t state_size;
};

fedc_status fedc_metric_set_create(fedc_ctx *ctx, fedc_metric_set **out) {
    *out = fedc_calloc(1, sizeof **out);
    if (!*out) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "metric set: out of memory");
    return FEDC_STATUS_OK;
}

void fedc_metric_set_destroy(fedc_metric_set *set) {
    if (!set) return;
    for (size_t i = 0; i < set->count; i++)
        fedc_free(set->items[i].name);
    fedc_free(set->items);
    fedc_free(set);
}

fedc_status fedc_metric_set_add(fedc_ctx *ctx, fedc_metric_set *set, const fedc_metric_def *def) {
    if (!def || !def->name || !def->name[0] || !def->zero || !def->update || !def->finalize ||
        def->state_size == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metric set: metric '%s' needs a name, zero, update and finalize "
                               "functions and a state size > 0",
                               def && def->name ? def->name : "(null)");
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, def->name) == 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_EXISTS,
                                   "metric set: a metric named '%s' is already in the set",
                                   def->name);
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4;
        metric_entry *items = fedc_realloc(set->items, cap * sizeof *items);
        if (!items)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "metric set: out of memory adding '%s'", def->name);
        set->items = items;
        set->cap = cap;
    }
    char *name = fedc_strdup(def->name);
    if (!name)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "metric set: out of memory adding '%s'", def->name);
    metric_entry *e = &set->items[set->count++];
    e->def = *def;
    e->def.name = name;
    e->name = name;
    e->offset = set->state_size;
    set->state_size += def->state_size;
    return FEDC_STATUS_OK;
}

fedc_status fedc_metric_set_add_builtin(fedc_ctx *ctx, fedc_metric_set *set, const char *name) {
    const fedc_metric_def *def = fedc_metric_builtin(name);
    if (!def)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND,
                               "metric set: unknown built-in metric '%s' (built-ins: "
                               "sparse_categorical_accuracy, loss, num_examples, num_batches)",
                               name ? name : "(null)");
    return fedc_metric_set_add(ctx, set, def);
}

size_t fedc_metric_set_count(const fedc_metric_set *set) { return set->count; }

const char *fedc_metric_set_name(const fedc_metric_set *set, size_t i) {
    return i < set->count ? set->items[i].name : NULL;
}

size_t fedc_metric_set_state_size(const fedc_metric_set *set) { return set->state_size; }

size_t fedc_metric_set_state_offset(const fedc_metric_set *set, size_t i) {
    return i < set->count ? set->items[i].offset : set->state_size;
}

void fedc_metric_set_zero(const fedc_metric_set *set, double *state) {
    for (size_t i = 0; i < set->count; i++) {
        const metric_entry *e = &set->items[i];
        e->def.zero(e->def.user, state + e->offset);
    }
}

/* The checks every metric relies on, done once so a bad batch changes nothing. */
static fedc_status check_batch(fedc_ctx *ctx, const fedc_metric_batch *b) {
    if (!b) return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "metric set: batch is NULL");
    if (b->batch_size < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metric set: batch_size must be >= 0, got %lld",
                               (long long)b->batch_size);
    if (b->labels && b->num_classes > 0) {
        for (int64_t i = 0; i < b->batch_size; i++)
            if (b->labels[i] < 0 || (int64_t)b->labels[i] >= b->num_classes)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE,
                                       "metric set: label %lld of the batch is %d, expected a "
                                       "class in [0, %lld)",
                                       (long long)i, (int)b->labels[i], (long long)b->num_classes);
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_metric_set_update(fedc_ctx *ctx, const fedc_metric_set *set, double *state,
                                   const fedc_metric_batch *batch) {
    fedc_status st = check_batch(ctx, batch);
    if (st) return st;
    for (size_t i = 0; i < set->count; i++) {
        const metric_entry *e = &set->items[i];
        st = e->def.update(e->def.user, ctx, state + e->offset, batch);
        if (st) {
            fedc_ctx_prefixf(ctx, "metric '%s'", e->name);
            return st;
        }
    }
    return FEDC_STATUS_OK;
}

void fedc_metric_set_merge(const fedc_metric_set *set, double *acc, const double *other) {
    for (size_t i = 0; i < set->state_size; i++)
        acc[i] += other[i];
}

void fedc_metric_set_finalize(const fedc_metric_set *set, const double *state, double *results) {
    for (size_t i = 0; i < set->count; i++) {
        const metric_entry *e = &set->items[i];
        results[i] = e->def.finalize(e->def.user, state + e->offset);
    }
}
