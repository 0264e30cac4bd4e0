/* blob.c — the options of a native node as readable `key=value;` text in its parameter blob, so
 * a printed learning process says how its clients train.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learning/learning_int.h"

bool fedc__blob_get_str(const uint8_t *blob, size_t size, const char *key, char *buf, size_t cap) {
    size_t klen = strlen(key);
    size_t i = 0;
    while (i < size) {
        size_t end = i;
        while (end < size && blob[end] != ';')
            end++;
        if (end - i > klen && memcmp(blob + i, key, klen) == 0 && blob[i + klen] == '=') {
            size_t vlen = end - i - klen - 1;
            if (vlen + 1 > cap) return false;
            memcpy(buf, blob + i + klen + 1, vlen);
            buf[vlen] = 0;
            return true;
        }
        i = end + 1;
    }
    return false;
}

bool fedc__blob_get_i64(const uint8_t *blob, size_t size, const char *key, int64_t *out) {
    char buf[32], *end;
    if (!fedc__blob_get_str(blob, size, key, buf, sizeof buf) || !buf[0]) return false;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno) return false;
    *out = v;
    return true;
}

bool fedc__blob_get_f64(const uint8_t *blob, size_t size, const char *key, double *out) {
    char buf[48], *end;
    if (!fedc__blob_get_str(blob, size, key, buf, sizeof buf) || !buf[0]) return false;
    double v = strtod(buf, &end);
    if (*end) return false;
    *out = v;
    return true;
}

size_t fedc__client_work_blob(const fedc_client_work_opts *o, bool fed_sgd, char *buf, size_t cap) {
    int n = snprintf(buf, cap,
                     "work=%s;optimizer=%s;epochs=%lld;batch_size=%lld;drop_remainder=%d;"
                     "shuffle_buffer=%lld;max_batches=%lld;weighting=%s;proximal_strength=%.17g;"
                     "seed=%" PRIu64,
                     fed_sgd ? "gradient" : "train", fedc_optimizer_kind_name(o->optimizer.kind),
                     (long long)o->epochs, (long long)o->batch_size, o->drop_remainder ? 1 : 0,
                     (long long)o->shuffle_buffer, (long long)o->max_batches,
                     o->weighting == FEDC_CLIENT_WEIGHTING_UNIFORM ? "uniform" : "num_examples",
                     o->proximal_strength, o->seed);
    return n < 0 ? 0 : (size_t)n;
}

static fedc_status bad_key(fedc_ctx *ctx, const char *key) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                           "client work options: missing or bad '%s'", key);
}

fedc_status fedc__client_work_from_blob(fedc_ctx *ctx, const uint8_t *b, size_t n,
                                        fedc_client_work_opts *o, bool *fed_sgd) {
    char s[32];
    int64_t v;
    *o = fedc_client_work_opts_default();
    if (!fedc__blob_get_str(b, n, "work", s, sizeof s) ||
        (strcmp(s, "train") && strcmp(s, "gradient")))
        return bad_key(ctx, "work");
    *fed_sgd = strcmp(s, "gradient") == 0;
    if (!fedc__blob_get_str(b, n, "optimizer", s, sizeof s) ||
        !fedc_optimizer_kind_parse(s, &o->optimizer.kind))
        return bad_key(ctx, "optimizer");
    if (!fedc__blob_get_i64(b, n, "epochs", &o->epochs) || o->epochs < 1)
        return bad_key(ctx, "epochs");
    if (!fedc__blob_get_i64(b, n, "batch_size", &o->batch_size) || o->batch_size < 1)
        return bad_key(ctx, "batch_size");
    if (!fedc__blob_get_i64(b, n, "drop_remainder", &v) || (v != 0 && v != 1))
        return bad_key(ctx, "drop_remainder");
    o->drop_remainder = v == 1;
    if (!fedc__blob_get_i64(b, n, "shuffle_buffer", &o->shuffle_buffer) || o->shuffle_buffer < 0)
        return bad_key(ctx, "shuffle_buffer");
    if (!fedc__blob_get_i64(b, n, "max_batches", &o->max_batches) || o->max_batches < -1)
        return bad_key(ctx, "max_batches");
    if (!fedc__blob_get_str(b, n, "weighting", s, sizeof s) ||
        (strcmp(s, "uniform") && strcmp(s, "num_examples")))
        return bad_key(ctx, "weighting");
    o->weighting = strcmp(s, "uniform") == 0 ? FEDC_CLIENT_WEIGHTING_UNIFORM
                                             : FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES;
    if (!fedc__blob_get_f64(b, n, "proximal_strength", &o->proximal_strength) ||
        !(o->proximal_strength >= 0))
        return bad_key(ctx, "proximal_strength");
    if (!fedc__blob_get_i64(b, n, "seed", &v)) return bad_key(ctx, "seed");
    o->seed = (uint64_t)v;
    return FEDC_STATUS_OK;
}

static const char *const k_schedule_names[FEDC_LR_SCHEDULE_COUNT] = {
    "constant", "exponential_decay", "inverse_time_decay", "cosine_decay", "piecewise_constant"};

size_t fedc__schedule_blob(const fedc_lr_schedule_opts *o, char *buf, size_t len, size_t cap) {
    if ((unsigned)o->kind >= FEDC_LR_SCHEDULE_COUNT || o->nboundaries > FEDC__MAX_BOUNDARIES)
        return cap;
    int n = snprintf(buf + len, len < cap ? cap - len : 0,
                     ";client_lr_schedule=%s;initial_learning_rate=%.17g;decay_steps=%lld;"
                     "decay_rate=%.17g;staircase=%d;alpha=%.17g;boundaries=",
                     k_schedule_names[o->kind], o->initial_learning_rate, (long long)o->decay_steps,
                     o->decay_rate, o->staircase ? 1 : 0, o->alpha);
    len += n > 0 ? (size_t)n : cap;
    for (size_t i = 0; i < o->nboundaries && len < cap; i++) {
        n = snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)o->boundaries[i]);
        len += n > 0 ? (size_t)n : cap;
    }
    if (len < cap) {
        n = snprintf(buf + len, cap - len, ";values=");
        len += n > 0 ? (size_t)n : cap;
    }
    for (size_t i = 0; o->nboundaries && i <= o->nboundaries && len < cap; i++) {
        n = snprintf(buf + len, cap - len, "%s%.17g", i ? "," : "", o->values[i]);
        len += n > 0 ? (size_t)n : cap;
    }
    return len;
}

/* Comma-separated numbers into out (at most cap); returns the count or -1. */
static int numbers(const char *s, double *out, int cap) {
    int n = 0;
    while (*s) {
        char *end;
        if (n == cap) return -1;
        out[n++] = strtod(s, &end);
        if (end == s || (*end && *end != ',')) return -1;
        s = *end ? end + 1 : end;
    }
    return n;
}

fedc_status fedc__schedule_from_blob(fedc_ctx *ctx, const uint8_t *b, size_t n,
                                     fedc__schedule *out) {
    memset(out, 0, sizeof *out);
    char kind[32], list[2048];
    if (!fedc__blob_get_str(b, n, "client_lr_schedule", kind, sizeof kind)) return FEDC_STATUS_OK;
    fedc_lr_schedule_opts *o = &out->opts;
    *o = fedc_lr_schedule_opts_default();
    int k = 0;
    while (k < FEDC_LR_SCHEDULE_COUNT && strcmp(k_schedule_names[k], kind))
        k++;
    int64_t steps, stair;
    double v[FEDC__MAX_BOUNDARIES + 1];
    if (k == FEDC_LR_SCHEDULE_COUNT ||
        !fedc__blob_get_f64(b, n, "initial_learning_rate", &o->initial_learning_rate) ||
        !fedc__blob_get_i64(b, n, "decay_steps", &steps) ||
        !fedc__blob_get_f64(b, n, "decay_rate", &o->decay_rate) ||
        !fedc__blob_get_i64(b, n, "staircase", &stair) ||
        !fedc__blob_get_f64(b, n, "alpha", &o->alpha))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client learning-rate schedule: missing or bad keys");
    o->kind = (fedc_lr_schedule_kind)k;
    o->decay_steps = steps;
    o->staircase = stair != 0;
    if (!fedc__blob_get_str(b, n, "boundaries", list, sizeof list))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client learning-rate schedule: no boundaries");
    int nb = numbers(list, v, FEDC__MAX_BOUNDARIES);
    for (int i = 0; i < nb; i++)
        out->boundaries[i] = (int64_t)v[i];
    int nv = fedc__blob_get_str(b, n, "values", list, sizeof list)
                 ? numbers(list, out->values, FEDC__MAX_BOUNDARIES + 1)
                 : -1;
    if (nb < 0 || nv < 0 || (nb > 0 && nv != nb + 1))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "client learning-rate schedule: bad boundaries or values");
    o->nboundaries = (size_t)nb;
    o->boundaries = out->boundaries;
    o->values = out->values;
    out->on = true;
    return FEDC_STATUS_OK;
}
