/* test_fedavg.c — FedAvg, FedSGD and FedProx as learning processes: a round equals the same
 * arithmetic written as a plain loop over the clients; the process runs bit-identically on the
 * reference and the threaded executor and on data read directly or through sequence values;
 * its computation prints and parses back.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_testutil.h"

/* One FedAvg round by hand: per client, SGD over its batches in order from the broadcast
 * weights; the update w0 - w weighted by examples; mean; the server's SGD. Same operations in
 * the same order as the process, so the same bits. */
static void plain_fedavg_round(fedc_ctx *ctx, fedc_learning_model *proto, fedc_client_data *cd,
                               const fedc_process_opts *o, float *w_out) {
    int64_t P = fedc_learning_model_num_trainable(proto);
    float *w0 = fedc_malloc((size_t)P * sizeof(float)),
          *acc = fedc_calloc((size_t)P, sizeof(float));
    float *mean = fedc_malloc((size_t)P * sizeof(float));
    memcpy(w0, fedc_learning_model_trainable(proto), (size_t)P * sizeof(float));
    float total = 0;
    fedc_optimizer *copt, *sopt;
    ASSERT_OK(fedc_optimizer_create(ctx, &o->client.optimizer, P, &copt));
    ASSERT_OK(fedc_optimizer_create(ctx, &o->server_optimizer, P, &sopt));
    float cstate[64], sstate[64];
    ASSERT_LE(fedc_optimizer_state_size(copt), 64);
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_learning_model *m;
        ASSERT_OK(fedc_learning_model_clone(ctx, proto, &m));
        float *w = fedc_learning_model_trainable(m), *g = fedc_learning_model_gradients(m);
        fedc_optimizer_init(copt, cstate);
        fedc_dataset *ds, *b;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        ASSERT_OK(fedc_dataset_batch(ctx, ds, o->client.batch_size, false, &b));
        fedc_example *ex;
        ASSERT_OK(fedc_example_create(ctx, &ex));
        float examples = 0;
        for (;;) {
            bool got;
            ASSERT_OK(fedc_dataset_next(ctx, b, ex, &got));
            if (!got) break;
            const fedc_tensor *x = fedc_example_get(ex, "x"), *y = fedc_example_get(ex, "y");
            fedc_batch batch = {x->shape.dims[0], x, y};
            fedc_forward_opts fo = {true, true, 0};
            fedc_forward_output res;
            ASSERT_OK(fedc_learning_model_forward(ctx, m, &batch, &fo, NULL, &res));
            ASSERT_OK(fedc_optimizer_next(ctx, copt, cstate, w, g));
            examples += (float)batch.n;
        }
        for (int64_t i = 0; i < P; i++)
            acc[i] = acc[i] + (w0[i] - w[i]) * examples;
        total = total + examples;
        fedc_example_destroy(ex);
        fedc_dataset_destroy(b);
        fedc_learning_model_destroy(m);
    }
    for (int64_t i = 0; i < P; i++)
        mean[i] = acc[i] / total;
    memcpy(w_out, w0, (size_t)P * sizeof(float));
    fedc_optimizer_init(sopt, sstate);
    ASSERT_OK(fedc_optimizer_next(ctx, sopt, sstate, w_out, mean));
    fedc_optimizer_destroy(copt);
    fedc_optimizer_destroy(sopt);
    fedc_free(w0);
    fedc_free(acc);
    fedc_free(mean);
}

static const float *trainable_of(fedc_ctx *ctx, fedc_learning_process *p, fedc_value *state,
                                 fedc_value **hold) {
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, state, hold));
    const fedc_value *t = NULL;
    for (size_t i = 0; i < fedc_value_size(*hold); i++)
        if (!strcmp(fedc_value_name(*hold, i), "trainable")) t = fedc_value_item(*hold, i);
    ASSERT_TRUE(t != NULL);
    return fedc_value_get_tensor(t)->data;
}

TEST(fedavg_round_equals_a_plain_loop) {
    fedc_client_data *cd = ltest_clients(ctx, 4, 6, 3, 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 6, 3, 2);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.server_optimizer.learning_rate = 0.7; /* so the server step is not a plain copy */
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *metrics, *hold;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &metrics));
    int64_t P = fedc_learning_model_num_trainable(lm);
    float want[64];
    ASSERT_LE(P, 64);
    plain_fedavg_round(ctx, lm, cd, &o, want);
    const float *got = trainable_of(ctx, p, s2, &hold);
    for (int64_t i = 0; i < P; i++)
        ASSERT_EQ(memcmp(&got[i], &want[i], sizeof(float)), 0);
    /* the weights moved, and the metrics count every example and batch of the round */
    ASSERT_NE(memcmp(got, fedc_learning_model_trainable(lm), (size_t)P * sizeof(float)), 0);
    double v;
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/num_examples", &v));
    ASSERT_EQ(v, 3 + 5 + 7 + 9);
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/num_batches", &v));
    ASSERT_EQ(v, 2 + 3 + 4 + 5);
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "aggregator/mean_weight", &v));
    ASSERT_EQ(v, 24);
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "finalizer/update_non_finite", &v));
    ASSERT_EQ(v, 0);
    ASSERT_STATUS(FEDC_STATUS_NOT_FOUND, fedc_metrics_get(ctx, metrics, "client_work/nope", &v));
    ASSERT_EQ(fedc_learning_process_round(p, s2), 1);
    ASSERT_EQ(fedc_learning_process_round(p, state), 0);
    fedc_value_release(hold);
    fedc_value_release(state);
    fedc_value_release(s2);
    fedc_value_release(metrics);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* Runs `rounds` rounds and returns the final state and the last metrics. */
static void run_rounds(fedc_ctx *ctx, fedc_learning_process *p, fedc_value *data, int rounds,
                       fedc_pool *pool, fedc_value **state, fedc_value **metrics) {
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, state));
    *metrics = NULL;
    for (int r = 0; r < rounds; r++) {
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        e.window = 2;
        fedc_value *s2, *m2;
        ASSERT_OK(fedc_learning_process_next(ctx, p, *state, data, &e, &s2, &m2));
        fedc_value_release(*state);
        fedc_value_release(*metrics);
        *state = s2;
        *metrics = m2;
    }
}

/* Every client's sequence read into memory: the generic path of local training. */
static fedc_value *collected(fedc_ctx *ctx, fedc_value *clients) {
    size_t n = fedc_value_size(clients);
    fedc_value *items[16];
    ASSERT_LE(n, 16);
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(fedc_value_sequence_collect(ctx, fedc_value_item(clients, i), &items[i]));
    fedc_value *v;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

TEST(fedavg_is_bit_identical_across_executors_threads_and_data_paths) {
    fedc_client_data *cd = ltest_clients(ctx, 6, 5, 4, 3);
    fedc_learning_model *lm = ltest_dense_model(ctx, 5, 4, 4);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 3;
    o.client.epochs = 2;
    o.client.shuffle_buffer = 4;
    o.client.optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.server_optimizer.momentum = 0.9;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *data = ltest_clients_value(ctx, cd), *ref_s, *ref_m;
    run_rounds(ctx, p, data, 3, NULL, &ref_s, &ref_m);
    ASSERT_EQ(fedc_learning_process_round(p, ref_s), 3);
    int threads[] = {1, 2, 4};
    for (int t = 0; t < 3; t++) {
        fedc_pool *pool;
        ASSERT_OK(fedc_pool_create(ctx, threads[t], &pool));
        fedc_value *s, *m;
        run_rounds(ctx, p, data, 3, pool, &s, &m);
        ASSERT_TRUE(fedc_value_equal(s, ref_s));
        ASSERT_TRUE(fedc_value_equal(m, ref_m));
        fedc_value_release(s);
        fedc_value_release(m);
        fedc_pool_destroy(pool);
    }
    /* Sequences read into memory have no client ids, so their shuffles are keyed alike: compare
     * without shuffling. */
    fedc_learning_process_destroy(p);
    o.client.shuffle_buffer = 0;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *mem = collected(ctx, data), *s1, *m1, *s2, *m2;
    run_rounds(ctx, p, data, 2, NULL, &s1, &m1);
    run_rounds(ctx, p, mem, 2, NULL, &s2, &m2);
    ASSERT_TRUE(fedc_value_equal(s1, s2));
    ASSERT_TRUE(fedc_value_equal(m1, m2));
    fedc_value_release(s1);
    fedc_value_release(m1);
    fedc_value_release(s2);
    fedc_value_release(m2);
    fedc_value_release(mem);
    fedc_value_release(ref_s);
    fedc_value_release(ref_m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(fedavg_computation_prints_and_parses_back) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 2, 1);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    fedc_aggregator zero = {.kind = FEDC_AGGREGATOR_ZEROING, .norm = 100, .inner = NULL};
    o.aggregator = (fedc_aggregator){.kind = FEDC_AGGREGATOR_CLIPPING, .norm = 1.5, .inner = &zero};
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(p), &text));
    ASSERT_CONTAINS(text, "next = (state: <global_model_weights=");
    ASSERT_CONTAINS(text, "b0 = 1.5");
    ASSERT_CONTAINS(text, "clip_by_norm(u0, b0)");
    ASSERT_CONTAINS(text, "native(\"fedc.learning.train\"");
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, "printed", text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_learning_process_module(p)));
    ASSERT_OK(fedc_comp_check(ctx, back));
    fedc_comp_destroy(back);
    fedc_free(text);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
}

TEST(fedsgd_applies_the_mean_gradient) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 4, 3, 5);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 6);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_SGD);
    o.client.batch_size = 100; /* one batch per client: the client's mean gradient */
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *data = ltest_clients_value(ctx, cd), *s, *m, *hold;
    run_rounds(ctx, p, data, 1, NULL, &s, &m);
    /* By hand: sum over clients of n_c * grad_c, divided by the total, times the server's 0.1. */
    int64_t P = fedc_learning_model_num_trainable(lm);
    float acc[64] = {0}, total = 0;
    ASSERT_LE(P, 64);
    for (int64_t c = 0; c < 3; c++) {
        fedc_learning_model *m2;
        ASSERT_OK(fedc_learning_model_clone(ctx, lm, &m2));
        fedc_dataset *ds, *b;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        ASSERT_OK(fedc_dataset_batch(ctx, ds, 100, false, &b));
        fedc_example *ex;
        ASSERT_OK(fedc_example_create(ctx, &ex));
        bool got;
        ASSERT_OK(fedc_dataset_next(ctx, b, ex, &got));
        const fedc_tensor *x = fedc_example_get(ex, "x"), *y = fedc_example_get(ex, "y");
        fedc_batch batch = {x->shape.dims[0], x, y};
        fedc_forward_opts fo = {true, true, 0};
        fedc_forward_output res;
        ASSERT_OK(fedc_learning_model_forward(ctx, m2, &batch, &fo, NULL, &res));
        const float *g = fedc_learning_model_gradients(m2);
        float sum[64] = {0};
        for (int64_t i = 0; i < P; i++)
            sum[i] = g[i] * (float)batch.n;
        float mean_c[64];
        for (int64_t i = 0; i < P; i++)
            mean_c[i] = sum[i] / (float)batch.n;
        for (int64_t i = 0; i < P; i++)
            acc[i] = acc[i] + mean_c[i] * (float)batch.n;
        total += (float)batch.n;
        fedc_example_destroy(ex);
        fedc_dataset_destroy(b);
        fedc_learning_model_destroy(m2);
    }
    const float *w0 = fedc_learning_model_trainable(lm), *got = trainable_of(ctx, p, s, &hold);
    for (int64_t i = 0; i < P; i++)
        ASSERT_NEAR(got[i], w0[i] - 0.1f * (acc[i] / total), 1e-6);
    fedc_value_release(hold);
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* The distance the round moved the weights, for a FedProx strength. */
static double moved(fedc_ctx *ctx, double mu) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 4, 3, 7);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 8);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_PROX);
    o.client.batch_size = 1;
    o.client.epochs = 5;
    o.client.proximal_strength = mu;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *data = ltest_clients_value(ctx, cd), *s, *m, *hold;
    run_rounds(ctx, p, data, 1, NULL, &s, &m);
    const float *w0 = fedc_learning_model_trainable(lm), *w = trainable_of(ctx, p, s, &hold);
    double d = 0;
    for (int64_t i = 0; i < fedc_learning_model_num_trainable(lm); i++)
        d += ((double)w[i] - w0[i]) * ((double)w[i] - w0[i]);
    fedc_value_release(hold);
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    return sqrt(d);
}

TEST(fedprox_proximal_term_holds_clients_near_the_server_model) {
    double free_move = moved(ctx, 0), held = moved(ctx, 5), pinned = moved(ctx, 9);
    ASSERT_GT(free_move, 0);
    ASSERT_LT(held, free_move * 0.8);
    ASSERT_LT(pinned, held);
}

TEST(process_rejects_bad_options) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 2, 1);
    fedc_learning_process *p;
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.epochs = 0;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "epochs must be >= 1, got 0");
    o = fedc_process_opts_default(FEDC_ALGORITHM_FED_PROX);
    o.client.proximal_strength = -1;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "proximal strength");
    o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.optimizer.learning_rate = -1;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client optimizer");
    o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.aggregator = (fedc_aggregator){.kind = FEDC_AGGREGATOR_CLIPPING, .norm = -2, .inner = NULL};
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "clipping norm must be >= 0");
    fedc_learning_model_destroy(lm);
}

TEST(a_part_of_the_process_can_be_replaced_in_the_text_language) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 4, 3, 21);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 22);
    /* The aggregate halved in the report equals a server learning rate of 0.5: scaling by a
     * power of two is exact, so the bits agree. */
    const char *half =
        "half = (x: float32[15] -> mul(x, 0.5))\n"
        "aggregate_report = (a: <update=float32[15],weight=float32,metrics=float64[6],"
        "clients=float32> ->\n"
        "    <update=half(div(a.update, a.weight)), metrics=a.metrics,\n"
        "     measurements=<clients=a.clients, mean_weight=a.weight>>)\n";
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.overrides = half;
    fedc_learning_process *p, *q;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    o.overrides = NULL;
    o.server_optimizer.learning_rate = 0.5;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &q));
    fedc_value *data = ltest_clients_value(ctx, cd), *s1, *m1, *s2, *m2;
    run_rounds(ctx, p, data, 2, NULL, &s1, &m1);
    run_rounds(ctx, q, data, 2, NULL, &s2, &m2);
    fedc_value *w1, *w2; /* the states differ in the server's learning rate they hold */
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, s1, &w1));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, q, s2, &w2));
    ASSERT_TRUE(fedc_value_equal(w1, w2));
    fedc_value_release(w1);
    fedc_value_release(w2);
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(p), &text));
    ASSERT_CONTAINS(text, "update=half(div(a.update, a.weight))");
    fedc_free(text);
    /* overrides that do not check name their place */
    fedc_learning_process *bad;
    o.overrides = "distributor = (s: float32 -> s)\n";
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_learning_process_create(ctx, lm, &o, &bad));
    o.overrides = "distributor = (s: float32 -> \n";
    ASSERT_STATUS(FEDC_STATUS_PARSE, fedc_learning_process_create(ctx, lm, &o, &bad));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "overrides:2:");
    fedc_value_release(s1);
    fedc_value_release(m1);
    fedc_value_release(s2);
    fedc_value_release(m2);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_process_destroy(q);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* next, and its DistributeAggregateForm run by fedc_daf_run, give the same round. */
static void split_round_equals_next(fedc_ctx *ctx, const fedc_aggregator *agg) {
    fedc_client_data *cd = ltest_clients(ctx, 4, 4, 3, 51);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 52);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.aggregator = *agg;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    /* the parts a deployment runs: server prepare, broadcast, client work, aggregation, result */
    fedc_comp *daf;
    ASSERT_OK(fedc_comp_split_daf(ctx, fedc_learning_process_module(p), "next", &daf));
    ASSERT_TRUE(fedc_comp_lookup(daf, "client_work") != NULL);
    ASSERT_TRUE(fedc_comp_lookup(daf, "client_to_server_aggregation") != NULL);
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *m, *arg, *out;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    fedc_value *items[2] = {state, data};
    static const char *const names[2] = {"state", "datasets"};
    ASSERT_OK(fedc_value_struct(ctx, 2, items, names, &arg));
    fedc_exec_opts e = fedc_exec_opts_default();
    size_t n;
    e.natives = fedc_learning_process_natives(p, &n);
    e.nnatives = n;
    ASSERT_OK(fedc_daf_run(ctx, daf, arg, &e, &out));
    fedc_value *got_state = NULL, *got_metrics = NULL;
    for (size_t i = 0; i < fedc_value_size(out); i++) {
        if (!strcmp(fedc_value_name(out, i), "state")) got_state = fedc_value_item(out, i);
        if (!strcmp(fedc_value_name(out, i), "metrics")) got_metrics = fedc_value_item(out, i);
    }
    ASSERT_TRUE(got_state && got_metrics);
    ASSERT_TRUE(fedc_value_equal(got_state, s2));
    ASSERT_TRUE(fedc_value_equal(got_metrics, m));
    fedc_value *vals[] = {state, data, s2, m, arg, out};
    for (size_t i = 0; i < 6; i++)
        fedc_value_release(vals[i]);
    fedc_comp_destroy(daf);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(fedavg_next_splits_into_the_distribute_aggregate_form_with_the_same_round) {
    fedc_aggregator zero = {.kind = FEDC_AGGREGATOR_ZEROING, .norm = 100, .inner = NULL};
    fedc_aggregator clip = {.kind = FEDC_AGGREGATOR_CLIPPING, .norm = 0.5, .inner = &zero};
    split_round_equals_next(ctx, &clip);
    /* adaptive norms travel with the broadcast and come back with the updates */
    fedc_aggregator_stages room;
    split_round_equals_next(ctx, fedc_aggregator_robust(&room, true, true, true));
    split_round_equals_next(ctx, fedc_aggregator_secure(&room, true));
}
