/* process_text.c — a learning process written in the text language of the Federated Core: the
 * distributor, the client work (a native), the aggregator (a federated_aggregate written with
 * builtins, so it streams), the finalizer (a native) and their composition in `next`. The text
 * is parsed and checked like any module, and is what `fedc train --print-computation` shows.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_int.h"

typedef struct text {
    char *s;
    size_t len, cap;
    bool oom;
} text;

static void put(text *t, const char *fmt, ...) FEDC_PRINTF(2, 3);
static void put(text *t, const char *fmt, ...) {
    if (t->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = true;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *s = fedc_realloc(t->s, cap);
        if (!s) {
            t->oom = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

static void put_hex(text *t, const char *blob) {
    for (const unsigned char *b = (const unsigned char *)blob; *b; b++)
        put(t, "%02x", *b);
}

/* `float32[28,28,1]`, `int32` */
static void put_tensor_type(text *t, fedc_dtype dt, const fedc_shape *s) {
    put(t, "%s", fedc_dtype_name(dt));
    if (s->rank == 0) return;
    put(t, "[");
    for (int i = 0; i < s->rank; i++)
        put(t, "%s%lld", i ? "," : "", (long long)s->dims[i]);
    put(t, "]");
}

static void put_element_type(text *t, const fedc_input_spec *sp) {
    fedc_shape xs = sp->x_shape;
    put(t, "<%s=", sp->x_name);
    put_tensor_type(t, FEDC_DTYPE_FLOAT32, &xs);
    put(t, ",%s=", sp->y_name);
    put_tensor_type(t, sp->y_dtype, &sp->y_shape);
    put(t, ">");
}

/* The accumulator's update length: P, or capacity rows of P for a robust aggregator. */
static long long acc_width(const fedc_learning_process *p, const fedc__agg_chain *c) {
    const fedc_aggregator *last = c->stage[c->n - 1];
    return fedc__agg_robust(last) ? (long long)(last->capacity * p->P) : (long long)p->P;
}

/* The robust natives' parameter blob. */
static void robust_blob(const fedc_learning_process *p, const fedc_aggregator *a, char *buf,
                        size_t cap) {
    static const char *const kinds[] = {"median", "trimmed_mean", "krum"};
    snprintf(buf, cap,
             "kind=%s;rows=%lld;width=%lld;trim_fraction=%.17g;byzantine=%lld;select=%lld",
             kinds[a->kind - FEDC_AGGREGATOR_MEDIAN], (long long)a->capacity, (long long)p->P,
             a->trim_fraction, (long long)a->byzantine, (long long)a->krum_select);
}

/* The norm stage i applies: its fixed norm, or (adaptive) the one the server sent with the
 * update. */
static void put_norm(text *t, const fedc__agg_chain *c, int i) {
    char name[32];
    if (!fedc__agg_adaptive(c, i)) {
        put(t, "float32(%.9g)", c->stage[i]->norm);
        return;
    }
    fedc__agg_state_name(c, i, name, sizeof name);
    put(t, "c.norms.%s", name);
}

/* The accumulator's scalar measurements beyond the clients: one count per clipping or zeroing
 * stage, and the norm each adaptive stage applied. Calls put_one(t, name, stage, is_norm). */
static void each_measurement(text *t, const fedc__agg_chain *c,
                             void (*put_one)(text *, const char *, const fedc__agg_chain *, int,
                                             bool)) {
    char name[48];
    for (int i = 0; i < c->n; i++) {
        if (!fedc__agg_counts(c, i)) continue;
        fedc__agg_count_name(c, i, name, sizeof name);
        put_one(t, name, c, i, false);
        if (!fedc__agg_adaptive(c, i)) continue;
        fedc__agg_norm_name(c, i, name, sizeof name);
        put_one(t, name, c, i, true);
    }
}

static void put_zero(text *t, const char *name, const fedc__agg_chain *c, int i, bool norm) {
    (void)c, (void)i, (void)norm;
    put(t, ", %s=0.0", name);
}

static void put_accumulate(text *t, const char *name, const fedc__agg_chain *c, int i, bool norm) {
    if (norm) {
        put(t, ", %s=maximum(a.%s, ", name, name);
        put_norm(t, c, i);
        put(t, ")");
    } else {
        put(t, ", %s=add(a.%s, k%d)", name, name, i);
    }
}

static void put_merge(text *t, const char *name, const fedc__agg_chain *c, int i, bool norm) {
    (void)c, (void)i;
    put(t, ", %s=%s(a.%s, b.%s)", name, norm ? "maximum" : "add", name, name);
}

static void put_report(text *t, const char *name, const fedc__agg_chain *c, int i, bool norm) {
    (void)c, (void)i, (void)norm;
    put(t, ", %s=a.%s", name, name);
}

static void put_type(text *t, const char *name, const fedc__agg_chain *c, int i, bool norm) {
    (void)c, (void)i, (void)norm;
    put(t, ",%s=float32", name);
}

/* The hex of a parameter blob, as a native's second argument. */
static void put_blob_native(text *t, const char *name, const char *native, const char *type,
                            const char *blob) {
    put(t, "\n%s = native(\"%s\": %s, \"", name, native, type);
    put_hex(t, blob);
    put(t, "\")");
}

/* How the training metrics travel through the aggregate (fedc_metrics_aggregation): the
 * accumulator's metrics type and zero, how a client's are added and two accumulators merged,
 * what the report carries and how the server finalizes it. */
typedef struct metric_forms {
    fedc_metrics_aggregation kind;
    char acc_type[48], rep_type[48], zero[64];
    const char *accumulate, *merge, *report, *finalize;
    bool keyed; /* clients send their key and round */
} metric_forms;

static metric_forms metric_forms_of(const fedc_learning_process *p) {
    metric_forms f = {.kind = p->opts.metrics_aggregator.kind};
    long long M = (long long)p->M;
    snprintf(f.rep_type, sizeof f.rep_type, "float64[%lld]", M);
    if (f.kind == FEDC_METRICS_SECURE_SUM_THEN_FINALIZE) {
        snprintf(f.acc_type, sizeof f.acc_type, "int64[%lld]", M + 1);
        snprintf(f.zero, sizeof f.zero, "fill([%lld], int64(0))", M + 1);
        f.accumulate = "secure_metrics_add(<a.metrics, c.metrics>)";
        f.merge = "secure_metrics_merge(<a.metrics, b.metrics>)";
        f.report = "secure_metrics_decode(a.metrics).sum";
        f.finalize = "finalize_metrics";
    } else if (f.kind == FEDC_METRICS_FINALIZE_THEN_SAMPLE) {
        long long F = p->model->metrics ? (long long)fedc_metric_set_count(p->model->metrics) : 0;
        long long S =
            p->opts.metrics_aggregator.sample_size ? p->opts.metrics_aggregator.sample_size : 100;
        snprintf(f.acc_type, sizeof f.acc_type, "float64[%lld]", S * (1 + F));
        snprintf(f.rep_type, sizeof f.rep_type, "float64[%lld]", S * (1 + F));
        snprintf(f.zero, sizeof f.zero, "fill([%lld], float64(0))", S * (1 + F));
        f.accumulate = "sample_put(<rows=a.metrics, metrics=c.metrics, key=c.key, round=c.round>)";
        f.merge = "sample_merge(<a.metrics, b.metrics>)";
        f.report = "a.metrics";
        f.finalize = "sample_report";
        f.keyed = true;
    } else {
        snprintf(f.acc_type, sizeof f.acc_type, "float64[%lld]", M);
        snprintf(f.zero, sizeof f.zero, "fill([%lld], float64(0))", M);
        f.accumulate = "add(a.metrics, c.metrics)";
        f.merge = "add(a.metrics, b.metrics)";
        f.report = "a.metrics";
        f.finalize = "finalize_metrics";
    }
    return f;
}

/* The natives of a metrics aggregation other than the plain sum. */
static void put_metric_natives(text *t, const fedc_learning_process *p, const metric_forms *f) {
    char blob[96], type[256];
    long long M = (long long)p->M;
    const fedc_metrics_aggregator *ma = &p->opts.metrics_aggregator;
    if (f->kind == FEDC_METRICS_SECURE_SUM_THEN_FINALIZE) {
        snprintf(blob, sizeof blob, "upper=%.17g",
                 ma->secure_upper > 0 ? ma->secure_upper : 1048576.0);
        snprintf(type, sizeof type, "(<int64[%lld],float64[%lld]> -> int64[%lld])", M + 1, M,
                 M + 1);
        put_blob_native(t, "secure_metrics_add", "fedc.learning.secure_metrics_add", type, blob);
        snprintf(type, sizeof type, "(<int64[%lld],int64[%lld]> -> int64[%lld])", M + 1, M + 1,
                 M + 1);
        put_blob_native(t, "secure_metrics_merge", "fedc.learning.secure_metrics_merge", type,
                        blob);
        snprintf(type, sizeof type, "(int64[%lld] -> <sum=float64[%lld],clamped=float64>)", M + 1,
                 M);
        put_blob_native(t, "secure_metrics_decode", "fedc.learning.secure_metrics_decode", type,
                        blob);
    } else if (f->kind == FEDC_METRICS_FINALIZE_THEN_SAMPLE) {
        long long S = ma->sample_size ? ma->sample_size : 100;
        snprintf(blob, sizeof blob, "sample_size=%lld;seed=%llu", S, (unsigned long long)ma->seed);
        snprintf(type, sizeof type, "(<rows=%s,metrics=float64[%lld],key=int64,round=int32> -> %s)",
                 f->acc_type, M, f->acc_type);
        put_blob_native(t, "sample_put", "fedc.learning.sample_put", type, blob);
        snprintf(type, sizeof type, "(<%s,%s> -> %s)", f->acc_type, f->acc_type, f->acc_type);
        put_blob_native(t, "sample_merge", "fedc.learning.sample_merge", type, blob);
        text report = {0}; /* one float64[S] per metric: longer than `type` may hold */
        put(&report, "(%s -> <", f->acc_type);
        const fedc_metric_set *set = p->model->metrics;
        for (size_t i = 0; set && i < fedc_metric_set_count(set); i++)
            put(&report, "%s=float64[%lld],", fedc_metric_set_name(set, i), S);
        put(&report, "num_sampled=float64>)");
        if (report.oom || !report.s)
            t->oom = true; /* the process then fails with OUT_OF_MEMORY */
        else
            put_blob_native(t, "sample_report", "fedc.learning.sample_report", report.s, blob);
        fedc_free(report.s);
    }
}

static void put_aggregator(text *t, const fedc_learning_process *p, const fedc__agg_chain *c,
                           const char *out_type) {
    metric_forms mf = metric_forms_of(p);
    long long P = (long long)p->P;
    int n = c->n;
    const fedc_aggregator *last = c->stage[n - 1];
    bool robust = fedc__agg_robust(last), sums = fedc__agg_sums(c);
    bool unweighted = sums || last->unweighted;
    /* the accumulator: the weighted sum, the total weight, the metrics, the measurements */
    put(t, "# aggregator: ");
    for (int i = 0; i < n; i++) {
        const fedc_aggregator *a = c->stage[i];
        const char *adaptive = a->estimate.on ? "adaptive " : "";
        if (a->kind == FEDC_AGGREGATOR_CLIPPING) put(t, "%sclipping(%.9g) -> ", adaptive, a->norm);
        if (a->kind == FEDC_AGGREGATOR_ZEROING) put(t, "%szeroing(%.9g) -> ", adaptive, a->norm);
        if (a->kind == FEDC_AGGREGATOR_QUANTIZE)
            put(t, "%d-bit quantization%s of updates of >= %lld values -> ", a->bits,
                a->rotate ? " in a rotated basis" : "", (long long)a->threshold);
        if (a->kind == FEDC_AGGREGATOR_MEAN)
            put(t, "%s", a->unweighted ? "unweighted mean" : "mean");
        if (a->kind == FEDC_AGGREGATOR_SUM) put(t, "sum");
        if (fedc__agg_robust(a))
            put(t, "%s of at most %lld clients",
                a->kind == FEDC_AGGREGATOR_MEDIAN         ? "coordinate-wise median"
                : a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN ? "coordinate-wise trimmed mean"
                                                          : "multi-Krum",
                (long long)a->capacity);
        if (a->kind == FEDC_AGGREGATOR_DP_GAUSSIAN)
            put(t, "sum, then Gaussian noise (multiplier %.9g) and / %lld at the server",
                a->noise_multiplier, (long long)a->expected_clients);
        if (a->kind == FEDC_AGGREGATOR_SECURE_MEAN)
            put(t, "secure mean of %d-bit codes, a %d-bit modular sum for up to %lld clients",
                a->bits, fedc__agg_modulus_bits(a), (long long)a->capacity);
    }
    long long width = acc_width(p, c);
    char blob[256], type[256];
    if (robust) {
        robust_blob(p, last, blob, sizeof blob);
        snprintf(type, sizeof type, "(<float32[%lld],float32,float32[%lld]> -> float32[%lld])",
                 width, P, width);
        put_blob_native(t, "rows_put", "fedc.learning.rows_put", type, blob);
        snprintf(type, sizeof type,
                 "(<float32[%lld],float32,float32[%lld],float32> -> float32[%lld])", width, width,
                 width);
        put_blob_native(t, "rows_merge", "fedc.learning.rows_merge", type, blob);
        snprintf(type, sizeof type, "(<float32[%lld],float32> -> float32[%lld])", width, P);
        put_blob_native(t, "robust_reduce", "fedc.learning.robust_reduce", type, blob);
    }
    for (int i = 0; i < n; i++) {
        const fedc_aggregator *a = c->stage[i];
        if (a->kind != FEDC_AGGREGATOR_QUANTIZE) continue;
        snprintf(blob, sizeof blob, "bits=%d;threshold=%lld;seed=%llu;rotate=%d", a->bits,
                 (long long)a->threshold, (unsigned long long)a->seed, a->rotate ? 1 : 0);
        snprintf(type, sizeof type,
                 "(<update=float32[%lld],key=int64,round=int32> -> float32[%lld])", P, P);
        char name[32];
        snprintf(name, sizeof name, "quantize%d", i);
        put_blob_native(t, name, "fedc.learning.quantize", type, blob);
    }
    bool secure = last->kind == FEDC_AGGREGATOR_SECURE_MEAN;
    char bound[32] = "";
    if (secure) {
        snprintf(blob, sizeof blob, "bits=%d;seed=%llu", last->bits,
                 (unsigned long long)last->seed);
        snprintf(type, sizeof type,
                 "(<update=float32[%lld],bound=float32,key=int64,round=int32> -> int32[%lld])", P,
                 P);
        put_blob_native(t, "secure_encode", "fedc.learning.secure_encode", type, blob);
        snprintf(blob, sizeof blob, "modulus_bits=%d", fedc__agg_modulus_bits(last));
        snprintf(type, sizeof type, "(<int32[%lld],int32[%lld]> -> int32[%lld])", P, P, P);
        put_blob_native(t, "secure_add", "fedc.learning.secure_add", type, blob);
        snprintf(blob, sizeof blob, "bits=%d;capacity=%lld", last->bits, (long long)last->capacity);
        snprintf(type, sizeof type,
                 "(<sum=int32[%lld],bound=float32,clients=float32> -> float32[%lld])", P, P);
        put_blob_native(t, "secure_decode", "fedc.learning.secure_decode", type, blob);
        /* the bound: the stage's own, or the norm the last clipping stage applied */
        if (last->norm > 0)
            snprintf(bound, sizeof bound, "float32(%.9g)", last->norm);
        else
            snprintf(bound, sizeof bound, "b%d", fedc__agg_secure_bound_stage(c));
    }
    put_metric_natives(t, p, &mf);
    put(t,
        "\naggregate_accumulator = <update=fill([%lld], %s), weight=0.0, metrics=%s, "
        "clients=0.0%s",
        width, secure ? "int32(0)" : "0.0", mf.zero, secure ? ", secure_bound=0.0" : "");
    /* MimeLite's full gradient, SCAFFOLD's control delta: a mean of its own, beside the chain */
    const char *sec = p->second_name;
    if (sec) put(t, ", %s=fill([%lld], 0.0), %s_weight=0.0", sec, P, sec);
    each_measurement(t, c, put_zero);
    put(t, ">\n");
    put(t, "aggregate_accumulate = (a: %s, c: %s ->\n    (let u0 = c.update, w0 = %s", "ACC",
        out_type, unweighted ? "1.0" : "c.weight");
    for (int i = 0; i < n - 1; i++) {
        const fedc_aggregator *a = c->stage[i];
        if (a->kind == FEDC_AGGREGATOR_CLIPPING) {
            put(t, ",\n         b%d = ", i);
            put_norm(t, c, i);
            put(t,
                ", n%d = norm(u%d), u%d = clip_by_norm(u%d, b%d), w%d = w%d, "
                "k%d = cast(greater(n%d, b%d), 1.0)",
                i, i, i + 1, i, i, i + 1, i, i, i, i);
        } else if (a->kind == FEDC_AGGREGATOR_ZEROING) {
            put(t, ",\n         z%d = greater(norm(u%d), ", i, i);
            put_norm(t, c, i);
            put(t,
                "), u%d = where(z%d, zeros_like(u%d), u%d), "
                "w%d = where(z%d, 0.0, w%d), k%d = cast(z%d, 1.0)",
                i + 1, i, i, i, i + 1, i, i, i, i);
        } else { /* QUANTIZE */
            put(t,
                ",\n         u%d = quantize%d(<update=u%d, key=c.key, round=c.round>), w%d = w%d",
                i + 1, i, i, i + 1, i);
        }
    }
    if (robust)
        put(t, "\n     in <update=rows_put(<a.update, a.weight, u%d>), weight=add(a.weight, 1.0)",
            n - 1);
    else if (secure)
        put(t,
            "\n     in <update=secure_add(<a.update, secure_encode(<update=u%d, bound=%s, "
            "key=c.key, round=c.round>)>), weight=add(a.weight, 1.0)",
            n - 1, bound);
    else if (sums)
        put(t, "\n     in <update=add(a.update, u%d), weight=add(a.weight, w%d)", n - 1, n - 1);
    else
        put(t, "\n     in <update=add(a.update, mul(u%d, w%d)), weight=add(a.weight, w%d)", n - 1,
            n - 1, n - 1);
    put(t, ", metrics=%s, clients=add(a.clients, 1.0)", mf.accumulate);
    if (secure) put(t, ",\n         secure_bound=maximum(a.secure_bound, %s)", bound);
    if (sec) {
        /* the gradient weighs as the client does; SCAFFOLD's mean of delta c is uniform */
        const char *ws = p->opts.algorithm == FEDC_ALGORITHM_SCAFFOLD ? "1.0" : "w0";
        put(t, ",\n         %s=add(a.%s, mul(c.%s, %s)), %s_weight=add(a.%s_weight, %s)", sec, sec,
            sec, ws, sec, sec, ws);
    }
    each_measurement(t, c, put_accumulate);
    put(t, ">))\n");
    put(t,
        "aggregate_merge = (a: ACC, b: ACC -> <update=%s, "
        "weight=add(a.weight, b.weight), metrics=%s, "
        "clients=add(a.clients, b.clients)",
        robust   ? "rows_merge(<a.update, a.weight, b.update, b.weight>)"
        : secure ? "secure_add(<a.update, b.update>)"
                 : "add(a.update, b.update)",
        mf.merge);
    if (secure) put(t, ", secure_bound=maximum(a.secure_bound, b.secure_bound)");
    if (sec)
        put(t, ", %s=add(a.%s, b.%s), %s_weight=add(a.%s_weight, b.%s_weight)", sec, sec, sec, sec,
            sec, sec);
    each_measurement(t, c, put_merge);
    put(t, ">)\n");
    put(t, "aggregate_report = (a: ACC -> <update=%s, ",
        robust   ? "robust_reduce(<a.update, a.weight>)"
        : secure ? "div(secure_decode(<sum=a.update, bound=a.secure_bound, clients=a.clients>), "
                   "a.clients)"
        : sums   ? "a.update"
                 : "div(a.update, a.weight)");
    if (sec) put(t, "%s=div(a.%s, a.%s_weight), ", sec, sec, sec);
    put(t, "metrics=%s, measurements=<", mf.report);
    put(t, "clients=a.clients%s", sums ? "" : ", mean_weight=a.weight");
    if (secure) put(t, ", secure_bound=a.secure_bound");
    if (mf.kind == FEDC_METRICS_SECURE_SUM_THEN_FINALIZE)
        put(t, ", secure_clamped=secure_metrics_decode(a.metrics).clamped");
    each_measurement(t, c, put_report);
    put(t, ">>)\n");
}

/* The accumulator's type, substituted for ACC. */
static bool secure_mean(const fedc__agg_chain *c) {
    return c->stage[c->n - 1]->kind == FEDC_AGGREGATOR_SECURE_MEAN;
}

static void acc_type(text *t, const fedc_learning_process *p, const fedc__agg_chain *c) {
    metric_forms mf = metric_forms_of(p);
    put(t, "<update=%s[%lld],weight=float32,metrics=%s,clients=float32%s",
        secure_mean(c) ? "int32" : "float32", acc_width(p, c), mf.acc_type,
        secure_mean(c) ? ",secure_bound=float32" : "");
    if (p->second_name)
        put(t, ",%s=float32[%lld],%s_weight=float32", p->second_name, (long long)p->P,
            p->second_name);
    each_measurement(t, c, put_type);
    put(t, ">");
}

/* The aggregator state's type <clipping=float32,...>, or the norms applied from it (estimate *
 * multiplier + increment, in the text) when `applied`, reading the state from `from`. */
static void put_norms(text *t, const fedc__agg_chain *c, bool applied, const char *from) {
    char name[32];
    bool first = true;
    put(t, "<");
    for (int i = 0; i < c->n; i++) {
        if (!fedc__agg_adaptive(c, i)) continue;
        fedc__agg_state_name(c, i, name, sizeof name);
        put(t, "%s%s=", first ? "" : (applied ? ", " : ","), name);
        first = false;
        const fedc_norm_estimate *e = &c->stage[i]->estimate;
        if (!applied)
            put(t, "float32");
        else if (e->multiplier == 1 && e->increment == 0)
            put(t, "%s.%s", from, name);
        else
            put(t, "add(mul(%s.%s, float32(%.9g)), float32(%.9g))", from, name, e->multiplier,
                e->increment);
    }
    put(t, ">");
}

/* The server update's keys for the DP stage and the adaptive norms. */
static void put_finalizer_keys(text *t, const fedc__agg_chain *c) {
    const fedc_aggregator *dp = c->stage[c->n - 1];
    char name[32];
    if (dp->kind == FEDC_AGGREGATOR_DP_GAUSSIAN) {
        /* adaptive: the count takes part of the noise (TFF's gaussian_adaptive) */
        double z = dp->noise_multiplier, zv = z;
        if (dp->estimate.on && z > 0)
            zv = 1 / sqrt(1 / (z * z) -
                          1 / (4 * dp->estimate.count_stddev * dp->estimate.count_stddev));
        put(t,
            ";dp_value_multiplier=%.17g;dp_denominator=%lld;dp_seed=%llu;"
            "dp_noise_multiplier=%.17g;dp_sampling_rate=%.17g;dp_delta=%.17g",
            zv, (long long)dp->expected_clients, (unsigned long long)dp->seed, z,
            dp->population > 0 ? (double)dp->expected_clients / (double)dp->population : 1.0,
            dp->delta);
        if (dp->estimate.on) {
            fedc__agg_state_name(c, c->n - 2, name, sizeof name);
            put(t, ";dp_clip_state=%s", name);
        } else {
            put(t, ";dp_clip=%.17g", dp->norm);
        }
        put(t, ";adapt_seed=%llu", (unsigned long long)dp->seed);
    }
    int j = 0;
    for (int i = 0; i < c->n; i++) {
        if (!fedc__agg_adaptive(c, i)) continue;
        const fedc_norm_estimate *e = &c->stage[i]->estimate;
        fedc__agg_count_name(c, i, name, sizeof name);
        put(t,
            ";adapt%d_count=%s;adapt%d_quantile=%.17g;adapt%d_lr=%.17g;adapt%d_arithmetic=%d;"
            "adapt%d_stddev=%.17g;adapt%d_expected=%lld",
            j, name, j, e->target_quantile, j, e->learning_rate, j, e->arithmetic ? 1 : 0, j,
            e->count_stddev, j,
            (long long)(dp->kind == FEDC_AGGREGATOR_DP_GAUSSIAN ? dp->expected_clients : 0));
        j++;
    }
}

/* Replaces every "ACC" token in t with `with` (a new buffer). */
static bool substitute(text *t, const char *with) {
    text out = {0};
    const char *s = t->s;
    for (const char *hit; (hit = strstr(s, "ACC")) != NULL; s = hit + 3) {
        put(&out, "%.*s%s", (int)(hit - s), s, with);
    }
    put(&out, "%s", s);
    fedc_free(t->s);
    *t = out;
    return !out.oom;
}

/* Whether a part was written whole (not out of memory). */
static bool finish(text *part) { return !part->oom && part->s; }

/* The training processes (FedAvg and its relatives): the state, the distributor, the client work,
 * the aggregator, the finalizer and next. */
static fedc_status put_training(fedc_ctx *ctx, text *t, const fedc_learning_process *p,
                                const char *W, const char *D) {
    const fedc_process_opts *o = &p->opts;
    fedc__agg_chain c;
    fedc_status st = fedc__agg_chain_build(ctx, &o->aggregator, &c);
    if (st < 0) return st;
    bool dp = c.stage[c.n - 1]->kind == FEDC_AGGREGATOR_DP_GAUSSIAN;
    metric_forms mf = metric_forms_of(p);
    text S = {0}, BC = {0}, OUT = {0}, APPLIED = {0}, REP = {0}, ACCT = {0}, X = {0}, XS = {0};
    if (p->extra_name) {
        /* the client work state's third member, broadcast with the weights */
        put(&X, ",%s=float32[%lld]", p->extra_name, (long long)p->E);
        put(&XS, ", %s=s.client_work.%s", p->extra_name, p->extra_name);
    } else {
        put(&X, "%s", "");
        put(&XS, "%s", "");
    }
    put(&S, "<global_model_weights=%s,client_work=<hparams=float32[%lld],round=int32%s>,", W,
        (long long)p->H, X.s);
    if (p->A) {
        put(&S, "aggregator=");
        put_norms(&S, &c, false, NULL);
        put(&S, ",");
    }
    put(&S, "finalizer=float32[%lld]>", (long long)p->F);
    put(&BC, "<weights=%s,hparams=float32[%lld],round=int32%s", W, (long long)p->H, X.s);
    put(&OUT, "<update=float32[%lld],weight=float32,metrics=float64[%lld]", (long long)p->P,
        (long long)p->M);
    if (p->second_name) put(&OUT, ",%s=float32[%lld]", p->second_name, (long long)p->P);
    if (p->A) {
        put(&BC, ",norms=");
        put_norms(&BC, &c, false, NULL);
        put(&OUT, ",norms=");
        put_norms(&OUT, &c, false, NULL);
    }
    if (fedc__agg_quantizes(&c) || mf.keyed) put(&OUT, ",key=int64,round=int32");
    put(&BC, ">");
    put(&OUT, ">");
    acc_type(&ACCT, p, &c);
    put(&APPLIED, "<state=%s,measurements=<update_non_finite=int32%s>>", S.s ? S.s : "",
        dp ? ",dp_epsilon=float64" : "");
    put(&REP, "<update=float32[%lld]", (long long)p->P);
    if (p->second_name) put(&REP, ",%s=float32[%lld]", p->second_name, (long long)p->P);
    put(&REP, ",metrics=%s,measurements=<clients=float32%s%s%s", mf.rep_type,
        fedc__agg_sums(&c) ? "" : ",mean_weight=float32",
        secure_mean(&c) ? ",secure_bound=float32" : "",
        mf.kind == FEDC_METRICS_SECURE_SUM_THEN_FINALIZE ? ",secure_clamped=float64" : "");
    each_measurement(&REP, &c, put_type);
    put(&REP, ">>");

    char sched[1200] = "", blob[600];
    if (o->client_lr_schedule &&
        fedc__schedule_blob(o->client_lr_schedule, sched, 0, sizeof sched) >= sizeof sched)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                             "client learning-rate schedule: too long to write");
    if (st >= 0 && !(finish(&S) && finish(&BC) && finish(&OUT) && finish(&APPLIED) &&
                     finish(&REP) && finish(&ACCT) && finish(&X) && finish(&XS)))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory writing a process");
    if (st >= 0) {
        put(t, "initial_state = native(\"fedc.learning.init\": ( -> %s)", S.s);
        if (sched[0]) {
            put(t, ", \"");
            put_hex(t, sched + 1);
            put(t, "\"");
        }
        put(t, ")\n");
        put(t, "initialize = ( -> federated_value(<initial_state(), SERVER>))\n");
        put(t,
            "# distributor: the model, the client optimizer's hyperparameters, the round%s%s%s\n",
            p->extra_name ? ", " : "", p->extra_name ? p->extra_name : "",
            p->A ? ", the aggregator's norms" : "");
        put(t,
            "distributor = (s: %s -> <weights=s.global_model_weights, "
            "hparams=s.client_work.hparams, round=s.client_work.round%s",
            S.s, XS.s);
        if (p->A) {
            put(t, ",\n                             norms=");
            put_norms(t, &c, true, "s.aggregator");
        }
        put(t, ">)\n");
        size_t blen = fedc__client_work_blob(&o->client, o->algorithm == FEDC_ALGORITHM_FED_SGD,
                                             blob, sizeof blob);
        if (p->extra_name && blen < sizeof blob)
            blen += (size_t)snprintf(blob + blen, sizeof blob - blen, ";algorithm=%s%s%s",
                                     fedc__algorithm_word(o->algorithm), p->store ? ";store=" : "",
                                     p->store ? fedc_client_store_kind(p->store) : "");
        if ((fedc__agg_quantizes(&c) || mf.keyed) && blen < sizeof blob)
            snprintf(blob + blen, sizeof blob - blen, ";send_key=1");
        put(t, "# client work: %s\n", blob);
        put(t,
            "client_update = native(\"fedc.learning.train\": (<server=%s,dataset=%s*> -> %s), \"",
            BC.s, D, OUT.s);
        put_hex(t, blob);
        put(t, "\")\n");
        put_aggregator(t, p, &c, OUT.s);
        text fblob = {0};
        put(&fblob, "optimizer=%s%s", fedc_optimizer_kind_name(o->server_optimizer.kind), sched);
        put_finalizer_keys(&fblob, &c);
        if (p->extra_name) put(&fblob, ";algorithm=%s", fedc__algorithm_word(o->algorithm));
        if (o->algorithm == FEDC_ALGORITHM_SCAFFOLD)
            put(&fblob, ";population=%lld", (long long)o->population);
        put(t, "# finalizer: the server optimizer (%s) applied to the aggregated update%s\n",
            fedc_optimizer_kind_name(o->server_optimizer.kind),
            p->A ? "; the aggregator's norms follow their quantiles" : "");
        put(t,
            "finalizer = native(\"fedc.learning.server_update\": (<state=%s,aggregate=%s> -> %s), "
            "\"",
            S.s, REP.s, APPLIED.s);
        if (finish(&fblob)) put_hex(t, fblob.s);
        fedc_free(fblob.s);
        put(t, "\")\n");
        put(t,
            "next = (state: %s@SERVER, datasets: {%s*}@CLIENTS) ->\n"
            "    (let sent = federated_broadcast(federated_apply(<distributor, state>)),\n"
            "         aggregate = federated_aggregate(<\n"
            "             federated_map(<client_update, federated_zip(<server=sent, "
            "dataset=datasets>)>),\n"
            "             aggregate_accumulator, aggregate_accumulate, aggregate_merge,\n"
            "             aggregate_report>),\n"
            "         applied = federated_apply(<finalizer, federated_zip(<state=state,\n"
            "             aggregate=aggregate>)>)\n"
            "     in <state=federated_apply(<(a: %s -> a.state), applied>),\n"
            "         metrics=federated_zip(<\n"
            "             client_work=federated_apply(<(r: %s -> "
            "<train=%s(r.metrics)>),\n"
            "                 aggregate>),\n"
            "             aggregator=federated_apply(<(r: %s -> r.measurements), aggregate>),\n"
            "             finalizer=federated_apply(<(a: %s -> a.measurements), applied>)>)>)\n",
            S.s, D, APPLIED.s, REP.s, mf.finalize, REP.s, APPLIED.s);
        if (!substitute(t, ACCT.s))
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory writing a process");
    }
    text *parts[] = {&S, &BC, &OUT, &APPLIED, &REP, &ACCT, &X, &XS};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        fedc_free(parts[i]->s);
    return st;
}

fedc_status fedc__process_text(fedc_ctx *ctx, const fedc_learning_process *p, char **out) {
    *out = NULL;
    const fedc_process_opts *o = &p->opts;
    text t = {0};
    char W[128], D[256], blob[512];
    snprintf(W, sizeof W, "<trainable=float32[%lld],non_trainable=float32[%lld]>", (long long)p->P,
             (long long)p->Q);
    text dt = {0};
    put_element_type(&dt, &p->model->spec);
    if (dt.oom || dt.len >= sizeof D) {
        fedc_free(dt.s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory writing a process");
    }
    strcpy(D, dt.s);
    fedc_free(dt.s);
    char MET[2048];
    int ml = snprintf(MET, sizeof MET, "<");
    const fedc_metric_set *set = p->model->metrics;
    for (size_t i = 0; set && i < fedc_metric_set_count(set) && ml > 0 && (size_t)ml < sizeof MET;
         i++)
        ml += snprintf(MET + ml, sizeof MET - (size_t)ml, "%s%s=float64", i ? "," : "",
                       fedc_metric_set_name(set, i));
    if (ml < 0 || (size_t)ml + 2 >= sizeof MET)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "too many metrics");
    strcat(MET, ">");

    put(&t,
        "# %s, written by fedc's learning layer. Model: %lld trainable, %lld non-trainable "
        "weights.\n",
        o->algorithm == FEDC_ALGORITHM_FED_SGD                ? "FedSGD"
        : o->algorithm == FEDC_ALGORITHM_FED_PROX             ? "FedProx"
        : o->algorithm == FEDC_ALGORITHM_FED_EVAL             ? "Federated evaluation"
        : o->algorithm == FEDC_ALGORITHM_PERSONALIZATION_EVAL ? "Personalization evaluation"
        : o->algorithm == FEDC_ALGORITHM_MIME_LITE            ? "MimeLite"
        : o->algorithm == FEDC_ALGORITHM_SCAFFOLD             ? "SCAFFOLD"
                                                              : "Federated averaging",
        (long long)p->P, (long long)p->Q);
    put(&t,
        "finalize_metrics = native(\"fedc.learning.finalize_metrics\": (float64[%lld] -> %s))\n",
        (long long)p->M, MET);

    if (o->algorithm == FEDC_ALGORITHM_PERSONALIZATION_EVAL) {
        size_t len = fedc__client_work_blob(&o->client, false, blob, sizeof blob);
        snprintf(blob + len, len < sizeof blob ? sizeof blob - len : 0, ";test_fraction=%.17g",
                 o->personalization_test_fraction);
        char PM[160];
        snprintf(PM, sizeof PM, "<baseline=float64[%lld],personalized=float64[%lld]>",
                 (long long)p->M, (long long)p->M);
        put(&t, "initial_weights = native(\"fedc.learning.init\": ( -> %s))\n", W);
        put(&t, "initialize = ( -> federated_value(<initial_weights(), SERVER>))\n");
        put(&t, "# each client: %s\n", blob);
        put(&t,
            "personalize_client = native(\"fedc.learning.personalize\": (<weights=%s,dataset=%s*> "
            "-> %s), \"",
            W, D, PM);
        put_hex(&t, blob);
        put(&t, "\")\n");
        put(&t,
            "next = (state: %s@SERVER, datasets: {%s*}@CLIENTS) ->\n"
            "    (let sums = federated_sum(federated_map(<personalize_client, federated_zip(<\n"
            "             weights=federated_broadcast(state), dataset=datasets>)>))\n"
            "     in <state=state, metrics=federated_zip(<client_work=federated_apply(<\n"
            "             (s: %s -> <baseline=finalize_metrics(s.baseline),\n"
            "                        personalized=finalize_metrics(s.personalized)>), sums>)>)>)\n",
            W, D, PM);
    } else if (o->algorithm == FEDC_ALGORITHM_FED_EVAL) {
        snprintf(blob, sizeof blob, "work=evaluate;batch_size=%lld",
                 (long long)o->client.batch_size);
        put(&t, "initial_weights = native(\"fedc.learning.init\": ( -> %s))\n", W);
        put(&t, "initialize = ( -> federated_value(<initial_weights(), SERVER>))\n");
        put(&t,
            "evaluate_client = native(\"fedc.learning.evaluate\": (<weights=%s,dataset=%s*> -> "
            "float64[%lld]), \"",
            W, D, (long long)p->M);
        put_hex(&t, blob);
        put(&t, "\")\n");
        put(&t,
            "next = (state: %s@SERVER, datasets: {%s*}@CLIENTS) ->\n"
            "    (let sums = federated_sum(federated_map(<evaluate_client, federated_zip(<\n"
            "             weights=federated_broadcast(state), dataset=datasets>)>))\n"
            "     in <state=state, metrics=federated_zip(<client_work=federated_apply(<\n"
            "             (s: float64[%lld] -> <eval=finalize_metrics(s)>), sums>)>)>)\n",
            W, D, (long long)p->M);
    } else {
        fedc_status st = put_training(ctx, &t, p, W, D);
        if (st < 0) {
            fedc_free(t.s);
            return st;
        }
    }
    if (t.oom) {
        fedc_free(t.s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory writing a process");
    }
    *out = t.s;
    return FEDC_STATUS_OK;
}
