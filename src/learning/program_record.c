/* program_record.c — one round's metrics: a round, a wall time and ordered (name, value) pairs.
 * Names are copied into one string pool per record so a reset keeps the memory. Must not know
 * any output format.
 */
#include <assert.h>
#include <string.h>

#include "learning/program_int.h"

struct fedc_metrics_record {
    int64_t round;
    double wall_time;
    size_t count, cap;
    size_t *name_at; /* offsets into pool */
    double *values;
    fedc__prog_buf pool; /* the names, each NUL-terminated */
};

fedc_status fedc_metrics_record_create(fedc_ctx *ctx, int64_t round, double wall_time,
                                       fedc_metrics_record **out) {
    *out = NULL;
    if (round < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics record: round %lld is negative", (long long)round);
    fedc_metrics_record *r = fedc_calloc(1, sizeof *r);
    if (!r)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a metrics record");
    r->round = round;
    r->wall_time = wall_time;
    *out = r;
    return FEDC_STATUS_OK;
}

void fedc_metrics_record_destroy(fedc_metrics_record *r) {
    if (!r) return;
    fedc_free(r->name_at);
    fedc_free(r->values);
    fedc__prog_buf_free(&r->pool);
    fedc_free(r);
}

void fedc_metrics_record_reset(fedc_metrics_record *r, int64_t round, double wall_time) {
    assert(round >= 0);
    r->round = round;
    r->wall_time = wall_time;
    r->count = 0;
    r->pool.len = 0;
}

static bool find(const fedc_metrics_record *r, const char *name, size_t *at) {
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->pool.data + r->name_at[i], name) == 0) {
            *at = i;
            return true;
        }
    return false;
}

fedc_status fedc_metrics_record_add(fedc_ctx *ctx, fedc_metrics_record *r, const char *name,
                                    double value) {
    if (!name || !name[0])
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics record round %lld: empty metric name", (long long)r->round);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "metrics record round %lld: metric name with control character "
                                   "0x%02x at byte %zu",
                                   (long long)r->round, *p,
                                   (size_t)(p - (const unsigned char *)name));
    size_t at;
    if (find(r, name, &at))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "metrics record round %lld: metric '%s' given twice",
                               (long long)r->round, name);
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        size_t *names = fedc_realloc(r->name_at, cap * sizeof *names);
        if (!names) goto oom;
        r->name_at = names;
        double *values = fedc_realloc(r->values, cap * sizeof *values);
        if (!values) goto oom;
        r->values = values;
        r->cap = cap;
    }
    size_t offset = r->pool.len;
    fedc__prog_buf_append(&r->pool, name, strlen(name) + 1);
    if (r->pool.oom) {
        r->pool.oom = false; /* the pool is intact: only the append failed */
        r->pool.len = offset;
        goto oom;
    }
    r->name_at[r->count] = offset;
    r->values[r->count] = value;
    r->count++;
    return FEDC_STATUS_OK;
oom:
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory adding metric '%s'",
                           name);
}

int64_t fedc_metrics_record_round(const fedc_metrics_record *r) { return r->round; }
double fedc_metrics_record_wall_time(const fedc_metrics_record *r) { return r->wall_time; }
size_t fedc_metrics_record_count(const fedc_metrics_record *r) { return r->count; }

const char *fedc_metrics_record_name(const fedc_metrics_record *r, size_t i) {
    assert(i < r->count);
    return r->pool.data + r->name_at[i];
}

double fedc_metrics_record_value(const fedc_metrics_record *r, size_t i) {
    assert(i < r->count);
    return r->values[i];
}

bool fedc_metrics_record_get(const fedc_metrics_record *r, const char *name, double *out) {
    size_t at;
    if (!find(r, name, &at)) return false;
    *out = r->values[at];
    return true;
}
