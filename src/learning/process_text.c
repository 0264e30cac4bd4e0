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

#define MAX_DEPTH 8

/* Whether the stage gathers every update (median, trimmed mean, Krum). */
static bool robust(const fedc_aggregator *a) {
    return a->kind == FEDC_AGGREGATOR_MEDIAN || a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN ||
           a->kind == FEDC_AGGREGATOR_KRUM;
}

/* The aggregator chain, outermost first, ending in MEAN, SUM, DP_GAUSSIAN or a robust kind; a
 * DP stage is preceded by the clipping it does (written into *clip). */
static fedc_status chain(fedc_ctx *ctx, const fedc_aggregator *a, const fedc_aggregator **out,
                         int *n, fedc_aggregator *clip) {
    *n = 0;
    while (a) {
        if (*n >= MAX_DEPTH - 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "aggregator: nested deeper than %d", MAX_DEPTH - 1);
        if ((a->kind == FEDC_AGGREGATOR_CLIPPING || a->kind == FEDC_AGGREGATOR_ZEROING) &&
            !(a->norm >= 0))
            return fedc_ctx_errorf(
                ctx, FEDC_STATUS_INVALID_ARGUMENT, "aggregator: %s norm must be >= 0, got %g",
                a->kind == FEDC_AGGREGATOR_CLIPPING ? "clipping" : "zeroing", a->norm);
        if ((unsigned)a->kind > FEDC_AGGREGATOR_KRUM)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "aggregator: unknown kind %d",
                                   (int)a->kind);
        if (a->kind == FEDC_AGGREGATOR_DP_GAUSSIAN) {
            if (!(a->norm > 0) || !(a->noise_multiplier >= 0) || !isfinite(a->noise_multiplier) ||
                a->expected_clients < 1 || !(a->delta >= 0 && a->delta < 1) ||
                (a->delta > 0 && a->population < a->expected_clients))
                return fedc_ctx_errorf(
                    ctx, FEDC_STATUS_INVALID_ARGUMENT,
                    "aggregator: DP needs a clip norm > 0 (got %g), a noise multiplier >= 0 (got "
                    "%g), expected clients >= 1 (got %lld), delta in [0, 1) (got %g) and, with "
                    "delta, a population >= the expected clients (got %lld)",
                    a->norm, a->noise_multiplier, (long long)a->expected_clients, a->delta,
                    (long long)a->population);
            *clip =
                (fedc_aggregator){.kind = FEDC_AGGREGATOR_CLIPPING, .norm = a->norm, .inner = a};
            out[(*n)++] = clip;
            out[(*n)++] = a;
            return FEDC_STATUS_OK;
        }
        if (robust(a)) {
            if (a->capacity < 1 ||
                (a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN &&
                 !(a->trim_fraction >= 0 && a->trim_fraction < 0.5)) ||
                (a->kind == FEDC_AGGREGATOR_KRUM &&
                 (a->byzantine < 0 || a->capacity < 2 * a->byzantine + 3 || a->krum_select < 1)))
                return fedc_ctx_errorf(
                    ctx, FEDC_STATUS_INVALID_ARGUMENT,
                    "aggregator: a robust aggregator needs capacity >= 1 (got %lld), a trim "
                    "fraction in [0, 0.5) (got %g), and for Krum capacity >= 2 byzantine + 3 "
                    "(byzantine %lld) and select >= 1 (got %lld)",
                    (long long)a->capacity, a->trim_fraction, (long long)a->byzantine,
                    (long long)a->krum_select);
            out[(*n)++] = a;
            return FEDC_STATUS_OK;
        }
        out[(*n)++] = a;
        if (a->kind == FEDC_AGGREGATOR_MEAN || a->kind == FEDC_AGGREGATOR_SUM)
            return FEDC_STATUS_OK;
        a = a->inner;
    }
    static const fedc_aggregator mean = {.kind = FEDC_AGGREGATOR_MEAN, .norm = 0, .inner = NULL};
    out[(*n)++] = &mean;
    return FEDC_STATUS_OK;
}

/* Whether the chain's last stage sums (SUM, DP) rather than averages. */
static bool sums(const fedc_aggregator *const *c, int n) {
    return c[n - 1]->kind == FEDC_AGGREGATOR_SUM || c[n - 1]->kind == FEDC_AGGREGATOR_DP_GAUSSIAN ||
           robust(c[n - 1]);
}

/* The accumulator's update length: P, or capacity rows of P for a robust aggregator. */
static long long acc_width(const fedc_learning_process *p, const fedc_aggregator *const *c, int n) {
    return robust(c[n - 1]) ? (long long)(c[n - 1]->capacity * p->P) : (long long)p->P;
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

/* The measurement a stage counts: "clipped_count" / "zeroed_count", suffixed by its depth when a
 * kind repeats. */
static void measure_name(const fedc_aggregator *const *c, int i, char *buf, size_t cap) {
    const char *base = c[i]->kind == FEDC_AGGREGATOR_CLIPPING ? "clipped_count" : "zeroed_count";
    int same = 0;
    for (int j = 0; j < i; j++)
        same += c[j]->kind == c[i]->kind;
    if (same)
        snprintf(buf, cap, "%s_%d", base, same);
    else
        snprintf(buf, cap, "%s", base);
}

static void put_aggregator(text *t, const fedc_learning_process *p, const fedc_aggregator *const *c,
                           int n, const char *out_type) {
    long long P = (long long)p->P, M = (long long)p->M;
    bool unweighted = sums(c, n) || c[n - 1]->unweighted;
    char name[48];
    /* the accumulator: the weighted sum, the total weight, the metrics, one count per stage */
    put(t, "# aggregator: ");
    for (int i = 0; i < n; i++) {
        const fedc_aggregator *a = c[i];
        if (a->kind == FEDC_AGGREGATOR_CLIPPING) put(t, "clipping(%.9g) -> ", a->norm);
        if (a->kind == FEDC_AGGREGATOR_ZEROING) put(t, "zeroing(%.9g) -> ", a->norm);
        if (a->kind == FEDC_AGGREGATOR_MEAN)
            put(t, "%s", a->unweighted ? "unweighted mean" : "mean");
        if (a->kind == FEDC_AGGREGATOR_SUM) put(t, "sum");
        if (robust(a))
            put(t, "%s of at most %lld clients",
                a->kind == FEDC_AGGREGATOR_MEDIAN         ? "coordinate-wise median"
                : a->kind == FEDC_AGGREGATOR_TRIMMED_MEAN ? "coordinate-wise trimmed mean"
                                                          : "multi-Krum",
                (long long)a->capacity);
        if (a->kind == FEDC_AGGREGATOR_DP_GAUSSIAN)
            put(t, "sum, then Gaussian noise (multiplier %.9g) and / %lld at the server",
                a->noise_multiplier, (long long)a->expected_clients);
    }
    long long width = acc_width(p, c, n);
    char rb[256] = "", hex[600] = "";
    if (robust(c[n - 1])) {
        robust_blob(p, c[n - 1], rb, sizeof rb);
        for (size_t i = 0; rb[i] && 2 * i + 2 < sizeof hex; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)rb[i]);
        put(t,
            "\nrows_put = native(\"fedc.learning.rows_put\": "
            "(<float32[%lld],float32,float32[%lld]> "
            "-> float32[%lld]), \"%s\")",
            width, P, width, hex);
        put(t,
            "\nrows_merge = native(\"fedc.learning.rows_merge\": (<float32[%lld],float32,"
            "float32[%lld],float32> -> float32[%lld]), \"%s\")",
            width, width, width, hex);
        put(t,
            "\nrobust_reduce = native(\"fedc.learning.robust_reduce\": (<float32[%lld],float32> -> "
            "float32[%lld]), \"%s\")",
            width, P, hex);
    }
    put(t,
        "\naggregate_accumulator = <update=fill([%lld], 0.0), weight=0.0, metrics=fill([%lld], "
        "float64(0)), clients=0.0",
        width, M);
    /* MimeLite's full gradient, SCAFFOLD's control delta: a mean of its own, beside the chain */
    const char *sec = p->second_name;
    if (sec) put(t, ", %s=fill([%lld], 0.0), %s_weight=0.0", sec, P, sec);
    for (int i = 0; i < n - 1; i++) {
        measure_name(c, i, name, sizeof name);
        put(t, ", %s=0.0", name);
    }
    put(t, ">\n");
    put(t, "aggregate_accumulate = (a: %s, c: %s ->\n    (let u0 = c.update, w0 = %s", "ACC",
        out_type, unweighted ? "1.0" : "c.weight");
    for (int i = 0; i < n - 1; i++) {
        const fedc_aggregator *a = c[i];
        if (a->kind == FEDC_AGGREGATOR_CLIPPING)
            put(t,
                ",\n         n%d = norm(u%d), u%d = clip_by_norm(u%d, float32(%.9g)), w%d = w%d, "
                "k%d = cast(greater(n%d, float32(%.9g)), 1.0)",
                i, i, i + 1, i, a->norm, i + 1, i, i, i, a->norm);
        else
            put(t,
                ",\n         z%d = greater(norm(u%d), float32(%.9g)), u%d = where(z%d, "
                "zeros_like(u%d), u%d), "
                "w%d = where(z%d, 0.0, w%d), k%d = cast(z%d, 1.0)",
                i, i, a->norm, i + 1, i, i, i, i + 1, i, i, i, i);
    }
    if (robust(c[n - 1]))
        put(t, "\n     in <update=rows_put(<a.update, a.weight, u%d>), weight=add(a.weight, 1.0)",
            n - 1);
    else if (sums(c, n))
        put(t, "\n     in <update=add(a.update, u%d), weight=add(a.weight, w%d)", n - 1, n - 1);
    else
        put(t, "\n     in <update=add(a.update, mul(u%d, w%d)), weight=add(a.weight, w%d)", n - 1,
            n - 1, n - 1);
    put(t, ", metrics=add(a.metrics, c.metrics), clients=add(a.clients, 1.0)");
    if (sec) {
        /* the gradient weighs as the client does; SCAFFOLD's mean of delta c is uniform */
        const char *ws = p->opts.algorithm == FEDC_ALGORITHM_SCAFFOLD ? "1.0" : "w0";
        put(t, ",\n         %s=add(a.%s, mul(c.%s, %s)), %s_weight=add(a.%s_weight, %s)", sec, sec,
            sec, ws, sec, sec, ws);
    }
    for (int i = 0; i < n - 1; i++) {
        measure_name(c, i, name, sizeof name);
        put(t, ", %s=add(a.%s, k%d)", name, name, i);
    }
    put(t, ">))\n");
    put(t,
        "aggregate_merge = (a: ACC, b: ACC -> <update=%s, "
        "weight=add(a.weight, b.weight), metrics=add(a.metrics, b.metrics), "
        "clients=add(a.clients, b.clients)",
        robust(c[n - 1]) ? "rows_merge(<a.update, a.weight, b.update, b.weight>)"
                         : "add(a.update, b.update)");
    if (sec)
        put(t, ", %s=add(a.%s, b.%s), %s_weight=add(a.%s_weight, b.%s_weight)", sec, sec, sec, sec,
            sec, sec);
    for (int i = 0; i < n - 1; i++) {
        measure_name(c, i, name, sizeof name);
        put(t, ", %s=add(a.%s, b.%s)", name, name, name);
    }
    put(t, ">)\n");
    put(t, "aggregate_report = (a: ACC -> <update=%s, ",
        robust(c[n - 1]) ? "robust_reduce(<a.update, a.weight>)"
        : sums(c, n)     ? "a.update"
                         : "div(a.update, a.weight)");
    if (sec) put(t, "%s=div(a.%s, a.%s_weight), ", sec, sec, sec);
    put(t, "metrics=a.metrics, measurements=<");
    put(t, "clients=a.clients%s", sums(c, n) ? "" : ", mean_weight=a.weight");
    for (int i = 0; i < n - 1; i++) {
        measure_name(c, i, name, sizeof name);
        put(t, ", %s=a.%s", name, name);
    }
    put(t, ">>)\n");
}

/* The accumulator's type, substituted for ACC. */
static void acc_type(const fedc_learning_process *p, const fedc_aggregator *const *c, int n,
                     char *buf, size_t cap) {
    int len = snprintf(buf, cap,
                       "<update=float32[%lld],weight=float32,metrics=float64[%lld],"
                       "clients=float32",
                       acc_width(p, c, n), (long long)p->M);
    if (p->second_name && len > 0 && (size_t)len < cap)
        len += snprintf(buf + len, cap - (size_t)len, ",%s=float32[%lld],%s_weight=float32",
                        p->second_name, (long long)p->P, p->second_name);
    char name[48];
    for (int i = 0; i < n - 1 && len > 0 && (size_t)len < cap; i++) {
        measure_name(c, i, name, sizeof name);
        len += snprintf(buf + len, cap - (size_t)len, ",%s=float32", name);
    }
    if (len > 0 && (size_t)len < cap) snprintf(buf + len, cap - (size_t)len, ">");
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

fedc_status fedc__process_text(fedc_ctx *ctx, const fedc_learning_process *p, char **out) {
    *out = NULL;
    const fedc_process_opts *o = &p->opts;
    text t = {0};
    char W[128], D[256], blob[512], OUT[160];
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
        char S[512], BC[256], APPLIED[640], ACCT[512], X[64] = "", XS[96] = "", SEC[64] = "";
        if (p->extra_name) {
            /* the client work state's third member, and the second vector clients send */
            snprintf(X, sizeof X, ",%s=float32[%lld]", p->extra_name, (long long)p->E);
            snprintf(XS, sizeof XS, ", %s=s.client_work.%s", p->extra_name, p->extra_name);
            snprintf(SEC, sizeof SEC, ",%s=float32[%lld]", p->second_name, (long long)p->P);
        }
        snprintf(S, sizeof S,
                 "<global_model_weights=%s,client_work=<hparams=float32[%lld],round=int32%s>,"
                 "finalizer=float32[%lld]>",
                 W, (long long)p->H, X, (long long)p->F);
        snprintf(BC, sizeof BC, "<weights=%s,hparams=float32[%lld],round=int32%s>", W,
                 (long long)p->H, X);
        snprintf(OUT, sizeof OUT, "<update=float32[%lld],weight=float32,metrics=float64[%lld]%s>",
                 (long long)p->P, (long long)p->M, SEC);
        const fedc_aggregator *c[MAX_DEPTH];
        int n;
        fedc_aggregator dp_clip;
        fedc_status st = chain(ctx, &o->aggregator, c, &n, &dp_clip);
        if (st < 0) {
            fedc_free(t.s);
            return st;
        }
        acc_type(p, c, n, ACCT, sizeof ACCT);
        char MEAS[512];
        int len = snprintf(MEAS, sizeof MEAS, "<clients=float32%s",
                           sums(c, n) ? "" : ",mean_weight=float32");
        char name[48];
        for (int i = 0; i < n - 1; i++) {
            measure_name(c, i, name, sizeof name);
            len += snprintf(MEAS + len, sizeof MEAS - (size_t)len, ",%s=float32", name);
        }
        snprintf(MEAS + len, sizeof MEAS - (size_t)len, ">");
        const fedc_aggregator *dp = c[n - 1]->kind == FEDC_AGGREGATOR_DP_GAUSSIAN ? c[n - 1] : NULL;
        snprintf(APPLIED, sizeof APPLIED, "<state=%s,measurements=<update_non_finite=int32%s>>", S,
                 dp ? ",dp_epsilon=float64" : "");
        char REP[800];
        snprintf(REP, sizeof REP, "<update=float32[%lld]%s,metrics=float64[%lld],measurements=%s>",
                 (long long)p->P, SEC, (long long)p->M, MEAS);

        char sched[1200] = "";
        if (o->client_lr_schedule &&
            fedc__schedule_blob(o->client_lr_schedule, sched, 0, sizeof sched) >= sizeof sched) {
            fedc_free(t.s);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "client learning-rate schedule: too long to write");
        }
        put(&t, "initial_state = native(\"fedc.learning.init\": ( -> %s)", S);
        if (sched[0]) {
            put(&t, ", \"");
            put_hex(&t, sched + 1);
            put(&t, "\"");
        }
        put(&t, ")\n");
        put(&t, "initialize = ( -> federated_value(<initial_state(), SERVER>))\n");
        put(&t, "# distributor: the model, the client optimizer's hyperparameters, the round%s%s\n",
            p->extra_name ? ", " : "", p->extra_name ? p->extra_name : "");
        put(&t,
            "distributor = (s: %s -> <weights=s.global_model_weights, "
            "hparams=s.client_work.hparams, round=s.client_work.round%s>)\n",
            S, XS);
        size_t blen = fedc__client_work_blob(&o->client, o->algorithm == FEDC_ALGORITHM_FED_SGD,
                                             blob, sizeof blob);
        if (p->extra_name && blen < sizeof blob)
            snprintf(blob + blen, sizeof blob - blen, ";algorithm=%s%s%s",
                     fedc__algorithm_word(o->algorithm), p->store ? ";store=" : "",
                     p->store ? fedc_client_store_kind(p->store) : "");
        put(&t, "# client work: %s\n", blob);
        put(&t,
            "client_update = native(\"fedc.learning.train\": (<server=%s,dataset=%s*> -> %s), \"",
            BC, D, OUT);
        put_hex(&t, blob);
        put(&t, "\")\n");
        put_aggregator(&t, p, c, n, OUT);
        char fblob[1600], dpkeys[300] = "";
        if (dp)
            snprintf(dpkeys, sizeof dpkeys,
                     ";dp_stddev=%.17g;dp_denominator=%lld;dp_seed=%llu;dp_noise_multiplier=%.17g;"
                     "dp_sampling_rate=%.17g;dp_delta=%.17g",
                     dp->noise_multiplier * dp->norm, (long long)dp->expected_clients,
                     (unsigned long long)dp->seed, dp->noise_multiplier,
                     dp->population > 0 ? (double)dp->expected_clients / (double)dp->population
                                        : 1.0,
                     dp->delta);
        char akeys[96] = "";
        if (p->extra_name)
            snprintf(akeys, sizeof akeys, ";algorithm=%s", fedc__algorithm_word(o->algorithm));
        if (o->algorithm == FEDC_ALGORITHM_SCAFFOLD)
            snprintf(akeys + strlen(akeys), sizeof akeys - strlen(akeys), ";population=%lld",
                     (long long)o->population);
        snprintf(fblob, sizeof fblob, "optimizer=%s%s%s%s",
                 fedc_optimizer_kind_name(o->server_optimizer.kind), sched, dpkeys, akeys);
        put(&t, "# finalizer: the server optimizer (%s) applied to the aggregated update\n",
            fedc_optimizer_kind_name(o->server_optimizer.kind));
        put(&t,
            "finalizer = native(\"fedc.learning.server_update\": (<state=%s,aggregate=%s> -> %s), "
            "\"",
            S, REP, APPLIED);
        put_hex(&t, fblob);
        put(&t, "\")\n");
        put(&t,
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
            "<train=finalize_metrics(r.metrics)>),\n"
            "                 aggregate>),\n"
            "             aggregator=federated_apply(<(r: %s -> r.measurements), aggregate>),\n"
            "             finalizer=federated_apply(<(a: %s -> a.measurements), applied>)>)>)\n",
            S, D, APPLIED, REP, REP, APPLIED);
        if (!substitute(&t, ACCT)) {
            fedc_free(t.s);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "out of memory writing a process");
        }
    }
    if (t.oom) {
        fedc_free(t.s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory writing a process");
    }
    *out = t.s;
    return FEDC_STATUS_OK;
}
