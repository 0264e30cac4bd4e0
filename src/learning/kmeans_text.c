/* kmeans_text.c — federated k-means written in the text language of the Federated Core: the
 * initial centroids, the client step (a native), the sum over clients, the server update in
 * builtins (TFF's finalizer arithmetic), the metrics, and their composition in `next`. The text
 * is parsed and checked like any module and is what printing the process shows. It must not
 * compute anything itself: the module does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "learning/kmeans_int.h"

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

/* A native's blob as the hex string the text language carries. */
static void put_hex(text *t, const char *blob) {
    for (const unsigned char *b = (const unsigned char *)blob; *b; b++)
        put(t, "%02x", *b);
}

/* A float32 as a literal that reads back as float32 with the same bits: nine significant digits
 * (enough for any float32), and a decimal point so the literal is not an int32. */
static void put_float(text *t, float v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", (double)v);
    put(t, "%s%s", buf, strpbrk(buf, ".e") ? "" : ".0");
}

/* The centroids as a nested list literal, one row per line. */
static void put_centroids(text *t, const float *c, int64_t k, int64_t d) {
    put(t, "[");
    for (int64_t i = 0; i < k; i++) {
        put(t, "%s[", i ? ",\n     " : "");
        for (int64_t j = 0; j < d; j++) {
            if (j) put(t, ", ");
            put_float(t, c[i * d + j]);
        }
        put(t, "]");
    }
    put(t, "]");
}

fedc_status fedc__kmeans_text(fedc_ctx *ctx, const fedc_kmeans_process *p, uint64_t seed,
                              const float *initial, char **out) {
    *out = NULL;
    long long k = (long long)p->k, d = (long long)p->d;
    char C[64], S[160], U[224], blob[160];
    snprintf(C, sizeof C, "float32[%lld,%lld]", k, d);
    snprintf(S, sizeof S, "<global_model_weights=%s,finalizer=int32[%lld]>", C, k);
    snprintf(U, sizeof U,
             "<sums=%s,counts=int32[%lld],num_examples=int32,squared_distance=float64>", C, k);
    const char *D = p->element_type;
    text t = {0};
    put(&t,
        "# Federated k-means (TFF's build_fed_kmeans), written by fedc's learning layer: %lld "
        "clusters\n# of %lld values from feature '%s'. The state: global_model_weights = the "
        "centroids,\n# finalizer = how many points each has absorbed over all rounds.\n",
        k, d, p->feature);
    if (initial) {
        put(&t, "initial_centroids = ( -> ");
        put_centroids(&t, initial, p->k, p->d);
        put(&t, ")\n");
    } else {
        snprintf(blob, sizeof blob, "seed=%llu;k=%lld;d=%lld", (unsigned long long)seed, k, d);
        put(&t, "# standard normal draws from the stream of %s\n", blob);
        put(&t, "initial_centroids = native(\"fedc.learning.kmeans_init\": ( -> %s), \"", C);
        put_hex(&t, blob);
        put(&t, "\")\n");
    }
    put(&t,
        "initialize = ( -> federated_value(<<global_model_weights=initial_centroids(), "
        "finalizer=fill([%lld], 0)>, SERVER>))\n",
        k);
    snprintf(blob, sizeof blob, "feature=%s;k=%lld;d=%lld", p->feature, k, d);
    put(&t,
        "# client step: each point to its nearest centroid (squared Euclidean distance, ties to "
        "the\n# lowest index); the sum and the count of the points of each cluster: %s\n",
        blob);
    put(&t,
        "client_step = native(\"fedc.learning.kmeans_step\": (<centroids=%s,dataset=%s*> -> %s), "
        "\"",
        C, D, U);
    put_hex(&t, blob);
    put(&t, "\")\n");
    put(&t,
        "# server update, TFF's finalizer: a cluster of weight w that received n > 0 points of "
        "sum s\n# moves to centroid * (w / (w + n)) + s * (1 / (w + n)); one that received none "
        "keeps its centroid\n");
    put(&t,
        "server_update = (a: <state=%s,update=%s> ->\n"
        "    (let c = a.state.global_model_weights, w = a.state.finalizer,\n"
        "         total = add(w, a.update.counts),\n"
        "         denominator = maximum(cast(total, 0.0), 1.0),\n"
        "         old_scale = reshape(div(cast(w, 0.0), denominator), [%lld, 1]),\n"
        "         new_scale = reshape(div(1.0, denominator), [%lld, 1]),\n"
        "         moved = add(mul(old_scale, c), mul(new_scale, a.update.sums)),\n"
        "         received = reshape(greater(a.update.counts, 0), [%lld, 1])\n"
        "     in <global_model_weights=where(received, moved, c), finalizer=total>))\n",
        S, U, k, k, k);
    put(&t,
        "report = (u: %s -> <num_examples=u.num_examples,\n"
        "    mean_squared_distance=div(u.squared_distance, maximum(cast(u.num_examples, "
        "float64(0)), float64(1)))>)\n",
        U);
    put(&t,
        "next = (state: %s@SERVER, datasets: {%s*}@CLIENTS) ->\n"
        "    (let centroids = federated_broadcast(federated_apply(<(s: %s -> "
        "s.global_model_weights), state>)),\n"
        "         update = federated_sum(federated_map(<client_step, federated_zip(<\n"
        "             centroids=centroids, dataset=datasets>)>))\n"
        "     in <state=federated_apply(<server_update, federated_zip(<state=state, "
        "update=update>)>),\n"
        "         metrics=federated_zip(<client_work=federated_apply(<report, update>)>)>)\n",
        S, D, S);
    if (t.oom) {
        fedc_free(t.s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory writing a k-means process");
    }
    *out = t.s;
    return FEDC_STATUS_OK;
}
