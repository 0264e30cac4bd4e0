/* program_writer.c — the metric writer interface: a vtable with the round-order check every
 * writer shares, and a group that releases each record to several writers (the analog of
 * tff.program's release managers). Must not know any output format.
 */
#include <string.h>

#include "learning/program_int.h"

struct fedc_metrics_writer {
    const fedc_metrics_writer_ops *ops;
    void *self;
    int64_t last_round;
};

fedc_status fedc_metrics_writer_create(fedc_ctx *ctx, const fedc_metrics_writer_ops *ops,
                                       void *self, int64_t last_round, fedc_metrics_writer **out) {
    *out = NULL;
    if (!ops || !ops->write || !ops->destroy) {
        if (ops && ops->destroy) ops->destroy(self);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics writer: ops need write and destroy functions");
    }
    fedc_metrics_writer *w = fedc_calloc(1, sizeof *w);
    if (!w) {
        ops->destroy(self);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a metrics writer");
    }
    w->ops = ops;
    w->self = self;
    w->last_round = last_round < 0 ? -1 : last_round;
    *out = w;
    return FEDC_STATUS_OK;
}

fedc_status fedc_metrics_writer_write(fedc_ctx *ctx, fedc_metrics_writer *w,
                                      const fedc_metrics_record *record) {
    const char *kind = w->ops->kind ? w->ops->kind : "metrics writer";
    int64_t round = fedc_metrics_record_round(record);
    if (round <= w->last_round)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: round %lld written after round %lld (rounds must increase)",
                               kind, (long long)round, (long long)w->last_round);
    fedc_status st = w->ops->write(ctx, w->self, record);
    if (st < 0) return w->ops->kind ? fedc_ctx_prefixf(ctx, "%s", kind) : st;
    w->last_round = round;
    return FEDC_STATUS_OK;
}

int64_t fedc_metrics_writer_last_round(const fedc_metrics_writer *w) { return w->last_round; }

void fedc_metrics_writer_destroy(fedc_metrics_writer *w) {
    if (!w) return;
    w->ops->destroy(w->self);
    fedc_free(w);
}

/* ---- a group of writers ---- */

typedef struct group {
    fedc_metrics_writer **writers;
    size_t n;
} group;

static fedc_status group_write(fedc_ctx *ctx, void *self, const fedc_metrics_record *record) {
    group *g = self;
    fedc_status first = FEDC_STATUS_OK;
    char message[FEDC_CTX_MESSAGE_MAX];
    for (size_t i = 0; i < g->n; i++) {
        fedc_status st = fedc_metrics_writer_write(ctx, g->writers[i], record);
        if (st < 0 && first == FEDC_STATUS_OK) {
            first = st;
            snprintf(message, sizeof message, "%s", fedc_ctx_message(ctx));
        }
    }
    if (first < 0) return fedc_ctx_errorf(ctx, first, "%s", message);
    return FEDC_STATUS_OK;
}

static void group_destroy(void *self) {
    group *g = self;
    for (size_t i = 0; i < g->n; i++)
        fedc_metrics_writer_destroy(g->writers[i]);
    fedc_free(g->writers);
    fedc_free(g);
}

/* The group has no kind so its members' messages are not prefixed twice. */
static const fedc_metrics_writer_ops k_group_ops = {NULL, group_write, group_destroy};

fedc_status fedc_metrics_writer_group(fedc_ctx *ctx, fedc_metrics_writer *const *writers, size_t n,
                                      fedc_metrics_writer **out) {
    *out = NULL;
    group *g = fedc_calloc(1, sizeof *g);
    fedc_metrics_writer **copy = n ? fedc_calloc(n, sizeof *copy) : NULL;
    if (!g || (n && !copy)) {
        fedc_free(g);
        fedc_free(copy);
        for (size_t i = 0; i < n; i++)
            fedc_metrics_writer_destroy(writers[i]);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a writer group");
    }
    int64_t last = -1; /* the group continues after the furthest member */
    for (size_t i = 0; i < n; i++) {
        copy[i] = writers[i];
        if (writers[i]->last_round > last) last = writers[i]->last_round;
    }
    g->writers = copy;
    g->n = n;
    return fedc_metrics_writer_create(ctx, &k_group_ops, g, last, out);
}
