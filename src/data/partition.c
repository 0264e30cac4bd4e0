/* partition.c — partitioners that turn centralized examples into clients (IID, Dirichlet over
 * labels, pathological shards, quantity skew, natural ids) and their label/size statistics.
 * Every draw comes from a keyed stream, so a partition is a function of its options. Nothing
 * here touches files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

fedc_partition_opts fedc_partition_opts_default(void) {
    fedc_partition_opts o;
    memset(&o, 0, sizeof o);
    o.kind = FEDC_PARTITION_IID;
    o.num_clients = 10;
    o.alpha = 0.5;
    o.shards_per_client = 2;
    o.sigma = 1.0;
    return o;
}

/* Keys of the streams, one per job. */
enum { KEY_PERM = 1, KEY_DIRICHLET = 2, KEY_SIZES = 3 };

/* Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 boosted by U^(1/shape). */
static double gamma_draw(fedc_rng *r, double shape) {
    if (shape < 1.0) {
        double u = fedc_rng_uniform_double(r);
        return gamma_draw(r, shape + 1.0) * pow(u > 0 ? u : 1e-300, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = fedc_rng_normal(r), v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = fedc_rng_uniform_double(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (u > 0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* Cuts perm[0..n) into consecutive runs of sizes[c] for client c. */
static void deal(const int64_t *perm, const int64_t *sizes, int64_t k, int64_t *client_of) {
    int64_t at = 0;
    for (int64_t c = 0; c < k; c++)
        for (int64_t j = 0; j < sizes[c]; j++)
            client_of[perm[at++]] = c;
}

static fedc_status oom(fedc_ctx *ctx, int64_t n) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "partition: cannot allocate for %lld",
                           (long long)n);
}

fedc_status fedc_partition_assign(fedc_ctx *ctx, const fedc_partition_opts *o,
                                  const int64_t *labels, int64_t n, int64_t num_classes,
                                  int64_t *client_of) {
    int64_t k = o->num_clients;
    if (k < 1 || n < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "partition: %lld clients for %lld examples", (long long)k,
                               (long long)n);
    int64_t bound = o->kind == FEDC_PARTITION_NATURAL ? k : num_classes;
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= bound)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "partition: %s %lld of example %lld is outside [0, %lld)",
                                   o->kind == FEDC_PARTITION_NATURAL ? "group id" : "label",
                                   (long long)labels[i], (long long)i, (long long)bound);
    if (o->kind == FEDC_PARTITION_NATURAL) {
        if (n) memcpy(client_of, labels, (size_t)n * sizeof *client_of);
        return FEDC_STATUS_OK;
    }
    if (k > n)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "partition: %lld clients but only %lld examples", (long long)k,
                               (long long)n);
    int64_t *perm = fedc_malloc((size_t)(n ? n : 1) * sizeof *perm);
    int64_t *sizes = fedc_calloc((size_t)k, sizeof *sizes);
    if (!perm || !sizes) {
        fedc_free(perm);
        fedc_free(sizes);
        return oom(ctx, n);
    }
    fedc_status st = FEDC_STATUS_OK;
    fedc_rng rng = FEDC_RNG(o->seed, KEY_PERM, FEDC_RNG_PURPOSE_PARTITION);
    switch (o->kind) {
    case FEDC_PARTITION_IID:
        fedc_rng_permutation(&rng, perm, (size_t)n);
        for (int64_t c = 0; c < k; c++)
            sizes[c] = n / k + (c < n % k);
        deal(perm, sizes, k, client_of);
        break;
    case FEDC_PARTITION_QUANTITY_SKEW: {
        if (!(o->sigma >= 0)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "partition: quantity skew sigma %g < 0", o->sigma);
            break;
        }
        fedc_rng_permutation(&rng, perm, (size_t)n);
        fedc_rng sr = FEDC_RNG(o->seed, KEY_SIZES, FEDC_RNG_PURPOSE_PARTITION);
        double *w = fedc_malloc((size_t)k * sizeof *w);
        if (!w) {
            st = oom(ctx, k);
            break;
        }
        double total = 0;
        for (int64_t c = 0; c < k; c++)
            total += w[c] = exp(o->sigma * fedc_rng_normal(&sr));
        /* Each client gets 1, the rest is shared by weight (largest remainders get the slack). */
        int64_t rest = n - k, given = 0;
        for (int64_t c = 0; c < k; c++) {
            sizes[c] = 1 + (int64_t)floor((double)rest * w[c] / total);
            given += sizes[c];
        }
        for (int64_t c = 0; given < n; c = (c + 1) % k, given++)
            sizes[c]++;
        fedc_free(w);
        deal(perm, sizes, k, client_of);
        break;
    }
    case FEDC_PARTITION_SHARDS: {
        int64_t s = o->shards_per_client, nshards = k * s;
        if (s < 1 || nshards > n) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "partition: %lld shards per client for %lld clients need at "
                                 "least %lld examples, have %lld",
                                 (long long)s, (long long)k, (long long)(k * (s > 0 ? s : 1)),
                                 (long long)n);
            break;
        }
        /* Sort by label (counting sort: stable, ties in example order). */
        int64_t *start = fedc_calloc((size_t)num_classes + 1, sizeof *start);
        int64_t *order = fedc_malloc((size_t)nshards * sizeof *order);
        if (!start || !order) {
            fedc_free(start);
            fedc_free(order);
            st = oom(ctx, n);
            break;
        }
        for (int64_t i = 0; i < n; i++)
            start[labels[i] + 1]++;
        for (int64_t c = 0; c < num_classes; c++)
            start[c + 1] += start[c];
        for (int64_t i = 0; i < n; i++)
            perm[start[labels[i]]++] = i;
        fedc_rng_permutation(&rng, order, (size_t)nshards);
        /* Shard j holds sorted positions [j * n / nshards, (j + 1) * n / nshards). */
        for (int64_t j = 0; j < nshards; j++) {
            int64_t lo = j * n / nshards, hi = (j + 1) * n / nshards;
            int64_t client = order[j] / s;
            for (int64_t p = lo; p < hi; p++)
                client_of[perm[p]] = client;
        }
        fedc_free(start);
        fedc_free(order);
        break;
    }
    case FEDC_PARTITION_DIRICHLET: {
        if (!(o->alpha > 0)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                 "partition: Dirichlet alpha %g must be > 0", o->alpha);
            break;
        }
        double *p = fedc_malloc((size_t)k * sizeof *p);
        if (!p) {
            st = oom(ctx, k);
            break;
        }
        fedc_rng_permutation(&rng, perm, (size_t)n);
        for (int64_t cls = 0; cls < num_classes; cls++) {
            fedc_rng dr =
                FEDC_RNG(o->seed, KEY_DIRICHLET, (uint64_t)cls, FEDC_RNG_PURPOSE_PARTITION);
            double total = 0;
            for (int64_t c = 0; c < k; c++)
                total += p[c] = gamma_draw(&dr, o->alpha);
            /* Walk this class's examples in permuted order; cut at cumulative shares. */
            int64_t m = 0;
            for (int64_t i = 0; i < n; i++)
                m += labels[perm[i]] == cls;
            int64_t seen = 0, c = 0;
            double cum = total > 0 ? p[0] / total : 1.0;
            for (int64_t i = 0; i < n; i++) {
                if (labels[perm[i]] != cls) continue;
                while (c < k - 1 && (double)seen >= cum * (double)m)
                    cum += p[++c] / total;
                client_of[perm[i]] = c;
                seen++;
            }
        }
        fedc_free(p);
        break;
    }
    default:
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "partition: unknown kind %d",
                             (int)o->kind);
    }
    fedc_free(perm);
    fedc_free(sizes);
    return st;
}

fedc_status fedc_partition_stats_compute(fedc_ctx *ctx, const int64_t *client_of,
                                         const int64_t *labels, int64_t n, int64_t num_clients,
                                         int64_t num_classes, fedc_partition_stats *out) {
    memset(out, 0, sizeof *out);
    out->num_clients = num_clients;
    out->num_classes = num_classes;
    out->sizes = fedc_calloc((size_t)(num_clients > 0 ? num_clients : 1), sizeof *out->sizes);
    out->label_counts = fedc_calloc((size_t)(num_clients > 0 ? num_clients : 1) *
                                        (size_t)(num_classes > 0 ? num_classes : 1),
                                    sizeof *out->label_counts);
    if (!out->sizes || !out->label_counts) {
        fedc_partition_stats_free(out);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "partition statistics");
    }
    for (int64_t i = 0; i < n; i++) {
        if (client_of[i] < 0 || client_of[i] >= num_clients || labels[i] < 0 ||
            labels[i] >= num_classes) {
            fedc_partition_stats_free(out);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "partition statistics: example %lld has client %lld, label "
                                   "%lld",
                                   (long long)i, (long long)client_of[i], (long long)labels[i]);
        }
        out->sizes[client_of[i]]++;
        out->label_counts[client_of[i] * num_classes + labels[i]]++;
    }
    out->min_size = out->min_labels = INT64_MAX;
    for (int64_t c = 0; c < num_clients; c++) {
        int64_t distinct = 0;
        for (int64_t l = 0; l < num_classes; l++)
            distinct += out->label_counts[c * num_classes + l] > 0;
        if (out->sizes[c] < out->min_size) out->min_size = out->sizes[c];
        if (out->sizes[c] > out->max_size) out->max_size = out->sizes[c];
        if (distinct < out->min_labels) out->min_labels = distinct;
        if (distinct > out->max_labels) out->max_labels = distinct;
    }
    if (num_clients == 0) out->min_size = out->min_labels = 0;
    out->mean_size = num_clients ? (double)n / (double)num_clients : 0.0;
    return FEDC_STATUS_OK;
}

void fedc_partition_stats_free(fedc_partition_stats *stats) {
    if (!stats) return;
    fedc_free(stats->sizes);
    fedc_free(stats->label_counts);
    stats->sizes = stats->label_counts = NULL;
}

int fedc_partition_stats_format(const fedc_partition_stats *s, char *buf, size_t size) {
    return snprintf(buf, size,
                    "%lld clients, sizes min %lld mean %.1f max %lld, labels per client min %lld "
                    "max %lld",
                    (long long)s->num_clients, (long long)s->min_size, s->mean_size,
                    (long long)s->max_size, (long long)s->min_labels, (long long)s->max_labels);
}
