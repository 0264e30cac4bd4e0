/* value_client_data.c — client datasets as lazy sequence values (fedc/core_data.h): the bridge
 * from the data layer into the core. It must not read a client's examples before an iteration
 * starts, nor keep them after it ends.
 */
#include <string.h>

#include "core/core_int.h"
#include "fedc/core_data.h"

typedef struct client_src {
    const fedc_client_data *cd;
    int64_t index;
} client_src;

typedef struct client_iter {
    fedc_dataset *ds;
    fedc_example *ex;
} client_iter;

static fedc_status cs_open(fedc_ctx *ctx, void *user, void **iter) {
    client_src *s = user;
    client_iter *it = fedc_calloc(1, sizeof *it);
    if (!it)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening client %lld",
                               (long long)s->index);
    fedc_status st = fedc_client_data_open(ctx, s->cd, s->index, &it->ds);
    if (st >= 0) st = fedc_example_create(ctx, &it->ex);
    if (st < 0) {
        fedc_dataset_destroy(it->ds);
        fedc_free(it);
        return st;
    }
    *iter = it;
    return FEDC_STATUS_OK;
}

static fedc_status cs_next(fedc_ctx *ctx, void *iter, fedc_value **out) {
    client_iter *it = iter;
    *out = NULL;
    bool got = false;
    fedc_status st = fedc_dataset_next(ctx, it->ds, it->ex, &got);
    if (st < 0 || !got) return st;
    int n = fedc_example_count(it->ex);
    fedc_value **items = fedc_calloc(n ? (size_t)n : 1, sizeof *items);
    const char **names = fedc_calloc(n ? (size_t)n : 1, sizeof *names);
    st = items && names ? FEDC_STATUS_OK
                        : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                          "out of memory converting an example");
    for (int i = 0; i < n && st >= 0; i++) {
        names[i] = fedc_example_name(it->ex, i);
        st = fedc_value_tensor(ctx, fedc_example_tensor(it->ex, i), &items[i]);
    }
    if (st >= 0) st = fedc_value_struct(ctx, (size_t)n, items, names, out);
    for (int i = 0; items && i < n; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    fedc_free(names);
    return st;
}

static void cs_close(void *iter) {
    client_iter *it = iter;
    fedc_dataset_destroy(it->ds);
    fedc_example_destroy(it->ex);
    fedc_free(it);
}

static void cs_release(void *user) { fedc_free(user); }

fedc_status fedc_value_client_sequence(fedc_ctx *ctx, const fedc_client_data *cd, int64_t index,
                                       fedc_value **out) {
    *out = NULL;
    int64_t n = fedc_client_data_num_clients(cd);
    if (index < 0 || index >= n)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_RANGE, "client index %lld outside [0, %lld)",
                               (long long)index, (long long)n);
    client_src *s = fedc_malloc(sizeof *s);
    if (!s)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a client sequence");
    s->cd = cd;
    s->index = index;
    fedc_sequence_source src = {cs_open, cs_next, cs_close, cs_release, s};
    return fedc_value_sequence_from(ctx, &src, out);
}

bool fedc_value_as_client_sequence(const fedc_value *v, const fedc_client_data **cd,
                                   int64_t *index) {
    if (!v || v->kind != FEDC_VALUE_SEQUENCE || !v->lazy || v->src.open != cs_open) return false;
    const client_src *s = v->src.user;
    *cd = s->cd;
    *index = s->index;
    return true;
}

fedc_status fedc_value_clients_sequences(fedc_ctx *ctx, const fedc_client_data *cd,
                                         fedc_value **out) {
    *out = NULL;
    size_t n = (size_t)fedc_client_data_num_clients(cd);
    fedc_value **items = fedc_calloc(n ? n : 1, sizeof *items);
    if (!items)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for %zu client sequences", n);
    fedc_status st = FEDC_STATUS_OK;
    for (size_t i = 0; i < n && st >= 0; i++)
        st = fedc_value_client_sequence(ctx, cd, (int64_t)i, &items[i]);
    if (st >= 0) st = fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, out);
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    return st;
}

fedc_status fedc_client_data_id_array(fedc_ctx *ctx, const fedc_client_data *cd,
                                      const char ***out) {
    int64_t n = fedc_client_data_num_clients(cd);
    const char **ids = fedc_calloc(n > 0 ? (size_t)n : 1, sizeof *ids);
    *out = ids;
    if (!ids)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for client ids");
    for (int64_t i = 0; i < n; i++)
        ids[i] = fedc_client_data_client_id(cd, i);
    return FEDC_STATUS_OK;
}
