/* kmeans.c — the federated k-means process (fedc/learning_kmeans.h): options, building and
 * checking its module, running initialize and next through the executor, and reading the
 * centroids from a state. The arithmetic lives in the module (kmeans_text.c) and its natives
 * (kmeans_step.c), never here.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learning/kmeans_int.h"
#include "learning/learning_int.h"

fedc_kmeans_opts fedc_kmeans_opts_default(void) {
    fedc_kmeans_opts o;
    memset(&o, 0, sizeof o);
    o.feature = "x";
    return o;
}

/* A name the text language and the blobs carry as they are. */
static bool plain_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n >= 64 || isdigit((unsigned char)s[0])) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_') return false;
    return true;
}

static fedc_status check_opts(fedc_ctx *ctx, const fedc_kmeans_opts *o) {
    if (o->k < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "k-means: k (clusters) must be >= 1, got %lld", (long long)o->k);
    if (o->d < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "k-means: d (values per point) must be >= 1, got %lld",
                               (long long)o->d);
    /* k d floats of centroids and sums travel in one tensor each */
    if (o->k > INT32_MAX / o->d)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "k-means: k x d = %lld x %lld is too large", (long long)o->k,
                               (long long)o->d);
    if (!o->feature || !plain_name(o->feature))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "k-means: feature name '%s' must be letters, digits and '_', not "
                               "starting with a digit, at most 63 characters",
                               o->feature ? o->feature : "(null)");
    for (int64_t i = 0; o->initial_centroids && i < o->k * o->d; i++)
        if (!isfinite(o->initial_centroids[i]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "k-means: initial centroid %lld has a non-finite value at %lld",
                                   (long long)(i / o->d), (long long)(i % o->d));
    return FEDC_STATUS_OK;
}

/* The element type must hold the feature as a numeric tensor of d values (a `?` dimension is
 * left for the client step to check on each example). */
static fedc_status check_element_type(fedc_ctx *ctx, const fedc_kmeans_process *p) {
    fedc_arena *arena;
    fedc_status st = fedc_arena_create(ctx, 4096, &arena);
    if (st < 0) return st;
    const fedc_type *t = NULL, *f = NULL;
    st = fedc_type_parse(ctx, arena, p->element_type, &t);
    if (st < 0) st = fedc_ctx_prefixf(ctx, "k-means: element type '%s'", p->element_type);
    if (st >= 0 && t->kind == FEDC_TYPE_STRUCT)
        for (size_t i = 0; i < t->nfields; i++)
            if (t->fields[i].name && strcmp(t->fields[i].name, p->feature) == 0)
                f = t->fields[i].type;
    if (st >= 0 && (!f || f->kind != FEDC_TYPE_TENSOR || f->dtype == FEDC_DTYPE_BOOL))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                             "k-means: element type %s has no numeric tensor feature '%s'",
                             p->element_type, p->feature);
    int64_t n = 1;
    bool known = true;
    for (int i = 0; st >= 0 && i < f->rank; i++) {
        known = known && f->dims[i] != FEDC_DIM_UNKNOWN;
        if (known) n *= f->dims[i];
    }
    if (st >= 0 && known && n != p->d) {
        char ts[128];
        fedc_type_format(f, ts, sizeof ts);
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                             "k-means: feature '%s' of the element type is %s (%lld values), the "
                             "centroids have d=%lld",
                             p->feature, ts, (long long)n, (long long)p->d);
    }
    fedc_arena_destroy(arena);
    return st;
}

void fedc_kmeans_process_destroy(fedc_kmeans_process *p) {
    if (!p) return;
    fedc_comp_destroy(p->module);
    fedc_free(p->element_type);
    fedc_free(p);
}

fedc_status fedc_kmeans_process_create(fedc_ctx *ctx, const fedc_kmeans_opts *opts,
                                       fedc_kmeans_process **out) {
    *out = NULL;
    fedc_status st = check_opts(ctx, opts);
    if (st < 0) return st;
    fedc_kmeans_process *p = fedc_calloc(1, sizeof *p);
    if (!p) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a process");
    p->k = opts->k;
    p->d = opts->d;
    snprintf(p->feature, sizeof p->feature, "%s", opts->feature);
    size_t need = opts->element_type ? strlen(opts->element_type) + 1 : sizeof p->feature + 48;
    if (!(p->element_type = fedc_malloc(need))) {
        fedc_kmeans_process_destroy(p);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a process");
    }
    if (opts->element_type)
        memcpy(p->element_type, opts->element_type, need);
    else
        snprintf(p->element_type, need, "<%s=float32[%lld]>", p->feature, (long long)p->d);
    fedc_native natives[FEDC__KMEANS_NATIVES] = {
        {"fedc.learning.kmeans_init", fedc__native_kmeans_init, p},
        {"fedc.learning.kmeans_step", fedc__native_kmeans_step, p},
    };
    memcpy(p->natives, natives, sizeof natives);
    char *text = NULL;
    st = check_element_type(ctx, p);
    if (st >= 0) st = fedc__kmeans_text(ctx, p, opts->seed, opts->initial_centroids, &text);
    if (st >= 0) st = fedc_comp_parse(ctx, "kmeans", text, &p->module);
    if (st >= 0) st = fedc_comp_check(ctx, p->module);
    fedc_free(text);
    if (st < 0) {
        fedc_kmeans_process_destroy(p);
        return st;
    }
    *out = p;
    return FEDC_STATUS_OK;
}

const fedc_comp *fedc_kmeans_process_module(const fedc_kmeans_process *p) { return p->module; }

const fedc_native *fedc_kmeans_process_natives(const fedc_kmeans_process *p, size_t *n) {
    *n = FEDC__KMEANS_NATIVES;
    return p->natives;
}

static fedc_exec_opts exec_opts(const fedc_kmeans_process *p, const fedc_exec_opts *given) {
    fedc_exec_opts o = given ? *given : fedc_exec_opts_default();
    o.natives = p->natives;
    o.nnatives = FEDC__KMEANS_NATIVES;
    return o;
}

fedc_status fedc_kmeans_process_initialize(fedc_ctx *ctx, fedc_kmeans_process *p,
                                           fedc_value **state) {
    fedc_exec_opts o = exec_opts(p, NULL);
    o.num_clients = 1; /* initialize places nothing at CLIENTS */
    return fedc_exec_run(ctx, p->module, "initialize", NULL, &o, state);
}

fedc_status fedc_kmeans_process_next(fedc_ctx *ctx, fedc_kmeans_process *p, fedc_value *state,
                                     fedc_value *clients, const fedc_exec_opts *exec,
                                     fedc_value **new_state, fedc_value **metrics) {
    *new_state = *metrics = NULL;
    if (!state || !clients)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "k-means round: no %s given",
                               state ? "client data" : "state");
    fedc_exec_opts o = exec_opts(p, exec);
    if (fedc_value_get_kind(clients) == FEDC_VALUE_FEDERATED && o.num_clients == 0)
        o.num_clients = (int64_t)fedc_value_size(clients);
    fedc_value *items[2] = {state, clients}, *arg = NULL, *out = NULL;
    static const char *const names[2] = {"state", "datasets"};
    fedc_status st = fedc_value_struct(ctx, 2, items, names, &arg);
    if (st >= 0) st = fedc_exec_run(ctx, p->module, "next", arg, &o, &out);
    fedc_value_release(arg);
    if (st < 0) return st;
    *new_state = fedc_value_retain(fedc__field(out, "state"));
    *metrics = fedc_value_retain(fedc__field(out, "metrics"));
    fedc_value_release(out);
    return FEDC_STATUS_OK;
}

fedc_status fedc_kmeans_process_centroids(fedc_ctx *ctx, const fedc_kmeans_process *p,
                                          fedc_value *state, float *centroids, int32_t *weights) {
    fedc_value *s = state;
    if (s && fedc_value_get_kind(s) == FEDC_VALUE_FEDERATED && fedc_value_size(s) == 1)
        s = fedc_value_item(s, 0);
    const fedc_tensor *c = fedc__tensor_of(fedc__field(s, "global_model_weights"));
    const fedc_tensor *w = fedc__tensor_of(fedc__field(s, "finalizer"));
    if (!c || !w || c->dtype != FEDC_DTYPE_FLOAT32 || c->shape.rank != 2 ||
        c->shape.dims[0] != p->k || c->shape.dims[1] != p->d || !fedc_tensor_is_contiguous(c) ||
        w->dtype != FEDC_DTYPE_INT32 || w->shape.rank != 1 || w->shape.dims[0] != p->k ||
        !fedc_tensor_is_contiguous(w))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "k-means state: expected <global_model_weights=float32[%lld,%lld],"
                               "finalizer=int32[%lld]>",
                               (long long)p->k, (long long)p->d, (long long)p->k);
    memcpy(centroids, c->data, (size_t)(p->k * p->d) * sizeof(float));
    if (weights) memcpy(weights, w->data, (size_t)p->k * sizeof(int32_t));
    return FEDC_STATUS_OK;
}
