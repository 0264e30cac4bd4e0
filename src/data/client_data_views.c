/* client_data_views.c — client data derived from other client data without copying: a subset of
 * clients, a train/test split by clients or by examples, a preprocessed view, and the pooled
 * dataset of all clients (for centralized evaluation). Views borrow their parent, which must
 * outlive them and the datasets opened from them. Nothing here stores examples.
 */
#include <math.h>
#include <string.h>

#include "data/data_int.h"

typedef enum view_part { PART_ALL, PART_HEAD, PART_TAIL } view_part;

typedef struct view {
    const fedc_client_data *parent;
    int64_t *map; /* view index -> parent index; NULL: identity */
    int64_t n;
    view_part part; /* PART_HEAD: the first floor(count * (1 - fraction)) examples */
    double fraction;
    fedc_preprocess_fn fn;
    void *user;
} view;

static int64_t parent_index(const view *v, int64_t i) { return v->map ? v->map[i] : i; }

static int64_t head_count(const view *v, int64_t count) {
    return (int64_t)floor((double)count * (1.0 - v->fraction));
}

static int64_t view_num_clients(void *self) { return ((view *)self)->n; }

static const char *view_client_id(void *self, int64_t i) {
    view *v = self;
    return fedc_client_data_client_id(v->parent, parent_index(v, i));
}

static int64_t view_num_examples(void *self, int64_t i) {
    view *v = self;
    int64_t n = fedc_client_data_num_examples(v->parent, parent_index(v, i));
    if (n < 0 || v->part == PART_ALL || v->fn) return v->fn ? -1 : n;
    int64_t head = head_count(v, n);
    return v->part == PART_HEAD ? head : n - head;
}

static fedc_status view_open(fedc_ctx *ctx, void *self, int64_t i, fedc_dataset **out) {
    view *v = self;
    int64_t pi = parent_index(v, i);
    fedc_status st = fedc_client_data_open(ctx, v->parent, pi, out);
    if (st) return st;
    if (v->part != PART_ALL) {
        int64_t n = fedc_client_data_num_examples(v->parent, pi);
        if (n < 0) {
            fedc_dataset_destroy(*out);
            *out = NULL;
            return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                   "split by examples needs the example count of client '%s'",
                                   fedc_client_data_client_id(v->parent, pi));
        }
        int64_t head = head_count(v, n);
        st = v->part == PART_HEAD ? fedc_dataset_take(ctx, *out, head, out)
                                  : fedc_dataset_skip(ctx, *out, head, out);
        if (st) return st;
    }
    if (v->fn) {
        st = v->fn(ctx, v->user, *out, out);
        if (st) *out = NULL;
    }
    return st;
}

static void view_destroy(void *self) {
    view *v = self;
    if (!v) return;
    fedc_free(v->map);
    fedc_free(v);
}

static const fedc_client_data_vtable view_vtable = {
    "view", view_num_clients, view_client_id, view_num_examples, view_open, view_destroy};

static fedc_status make_view(fedc_ctx *ctx, const view *proto, fedc_client_data **out) {
    *out = NULL;
    view *v = fedc_malloc(sizeof *v);
    if (!v) {
        fedc_free(proto->map);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a client view");
    }
    *v = *proto;
    return fedc_client_data_create(ctx, &view_vtable, v, out);
}

fedc_status fedc_client_data_subset(fedc_ctx *ctx, const fedc_client_data *cd,
                                    const int64_t *indices, int64_t n, fedc_client_data **out) {
    *out = NULL;
    int64_t total = fedc_client_data_num_clients(cd);
    for (int64_t i = 0; i < n; i++)
        if (indices[i] < 0 || indices[i] >= total || (i > 0 && indices[i] <= indices[i - 1]))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "subset: index %lld at position %lld is out of range or out "
                                   "of order",
                                   (long long)indices[i], (long long)i);
    view v = {cd,  fedc_malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t)), n, PART_ALL, 0, NULL,
              NULL};
    if (!v.map)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "subset of %lld", (long long)n);
    if (n) memcpy(v.map, indices, (size_t)n * sizeof *v.map);
    return make_view(ctx, &v, out);
}

fedc_status fedc_client_data_split_clients(fedc_ctx *ctx, const fedc_client_data *cd,
                                           double test_fraction, uint64_t seed,
                                           fedc_client_data **train, fedc_client_data **test) {
    *train = *test = NULL;
    if (!(test_fraction >= 0.0 && test_fraction <= 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "split: test fraction %g is outside [0, 1]", test_fraction);
    int64_t n = fedc_client_data_num_clients(cd);
    int64_t ntest = (int64_t)llround(test_fraction * (double)n);
    int64_t *perm = fedc_malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    bool *is_test = fedc_calloc((size_t)(n > 0 ? n : 1), sizeof *is_test);
    int64_t *a = fedc_malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    int64_t *b = fedc_malloc((size_t)(n > 0 ? n : 1) * sizeof *b);
    fedc_status st = FEDC_STATUS_OK;
    if (!perm || !is_test || !a || !b) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "split of %lld clients", (long long)n);
    } else {
        fedc_rng rng = FEDC_RNG(seed, 0, FEDC_RNG_PURPOSE_PARTITION);
        fedc_rng_permutation(&rng, perm, (size_t)n);
        for (int64_t i = 0; i < ntest; i++)
            is_test[perm[i]] = true;
        int64_t na = 0, nb = 0;
        for (int64_t i = 0; i < n; i++) {
            if (is_test[i])
                b[nb++] = i;
            else
                a[na++] = i;
        }
        st = fedc_client_data_subset(ctx, cd, a, na, train);
        if (!st) st = fedc_client_data_subset(ctx, cd, b, nb, test);
        if (st) {
            fedc_client_data_destroy(*train);
            *train = NULL;
        }
    }
    fedc_free(perm);
    fedc_free(is_test);
    fedc_free(a);
    fedc_free(b);
    return st;
}

fedc_status fedc_client_data_split_examples(fedc_ctx *ctx, const fedc_client_data *cd,
                                            double test_fraction, fedc_client_data **train,
                                            fedc_client_data **test) {
    *train = *test = NULL;
    if (!(test_fraction >= 0.0 && test_fraction <= 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "split: test fraction %g is outside [0, 1]", test_fraction);
    int64_t n = fedc_client_data_num_clients(cd);
    view v = {cd, NULL, n, PART_HEAD, test_fraction, NULL, NULL};
    fedc_status st = make_view(ctx, &v, train);
    if (st) return st;
    v.part = PART_TAIL;
    st = make_view(ctx, &v, test);
    if (st) {
        fedc_client_data_destroy(*train);
        *train = NULL;
    }
    return st;
}

fedc_status fedc_client_data_preprocess(fedc_ctx *ctx, const fedc_client_data *cd,
                                        fedc_preprocess_fn fn, void *user, fedc_client_data **out) {
    view v = {cd, NULL, fedc_client_data_num_clients(cd), PART_ALL, 0, fn, user};
    return make_view(ctx, &v, out);
}

/* ---- pooled ---- */

typedef struct pooled_ds {
    const fedc_client_data *cd;
    int64_t client;
    fedc_dataset *cur;
} pooled_ds;

static void pooled_destroy(void *self) {
    pooled_ds *p = self;
    if (!p) return;
    fedc_dataset_destroy(p->cur);
    fedc_free(p);
}

static fedc_status pooled_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    pooled_ds *p = self;
    int64_t n = fedc_client_data_num_clients(p->cd);
    while (p->client < n) {
        if (!p->cur) {
            fedc_status st = fedc_client_data_open(ctx, p->cd, p->client, &p->cur);
            if (st) return st;
        }
        fedc_status st = fedc_dataset_next(ctx, p->cur, out, got);
        if (st || *got) return st;
        fedc_dataset_destroy(p->cur); /* one client open at a time */
        p->cur = NULL;
        p->client++;
    }
    return FEDC_STATUS_OK;
}

static fedc_status pooled_reset(fedc_ctx *ctx, void *self) {
    (void)ctx;
    pooled_ds *p = self;
    fedc_dataset_destroy(p->cur);
    p->cur = NULL;
    p->client = 0;
    return FEDC_STATUS_OK;
}

static int64_t pooled_cardinality(void *self) {
    pooled_ds *p = self;
    int64_t total = 0;
    for (int64_t i = 0; i < fedc_client_data_num_clients(p->cd); i++) {
        int64_t n = fedc_client_data_num_examples(p->cd, i);
        if (n < 0) return -1;
        total += n;
    }
    return total;
}

static const fedc_dataset_vtable pooled_vtable = {"pooled", pooled_next, pooled_reset,
                                                  pooled_cardinality, pooled_destroy};

fedc_status fedc_client_data_pooled(fedc_ctx *ctx, const fedc_client_data *cd, fedc_dataset **out) {
    *out = NULL;
    pooled_ds *p = fedc_calloc(1, sizeof *p);
    if (!p) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a dataset");
    p->cd = cd;
    return fedc_dataset_create(ctx, &pooled_vtable, p, out);
}
