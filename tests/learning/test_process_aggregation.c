/* test_process_aggregation.c — the aggregators of a learning process on updates with known
 * norms, and what the process does with non-finite updates: a client's is zeroed with weight 0
 * (TFF's client work), and a non-finite aggregate is rejected by the finalizer, which keeps the
 * weights and reports it.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "learning/learning_testutil.h"

/* Clients whose examples make local training move the model far (large inputs, large lr). */
static fedc_client_data *big_clients(fedc_ctx *ctx, float scale, int nan_client) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < 3; c++) {
        char id[8] = {'c', (char)('0' + c), 0};
        for (int k = 0; k < 4; k++) {
            fedc_tensor *t;
            fedc_shape xs = FEDC_SHAPE(3), s0 = FEDC_SHAPE0;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            float *x = t->data;
            for (int i = 0; i < 3; i++)
                x[i] = scale * (float)(c + 1) * (float)(i + k + 1);
            if (c == nan_client && k == 2) x[1] = NAN;
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = (c + k) % 2;
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

typedef struct round_result {
    float w[8];
    double metrics[8];
} round_result;

static const char *const k_paths[] = {"aggregator/clipped_count", "aggregator/zeroed_count",
                                      "aggregator/mean_weight", "finalizer/update_non_finite",
                                      "client_work/train/num_examples"};

static void one_round(fedc_ctx *ctx, fedc_client_data *cd, const fedc_aggregator *agg,
                      fedc_client_weighting weighting, round_result *r) {
    memset(r, 0, sizeof *r);
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.client.optimizer.learning_rate = 0.5;
    o.client.weighting = weighting;
    o.aggregator = *agg;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *m, *w;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, s2, &w));
    const fedc_tensor *t = fedc_value_get_tensor(fedc_value_item(w, 0));
    ASSERT_EQ(fedc_tensor_numel(t), 8);
    memcpy(r->w, t->data, 8 * sizeof(float));
    for (int i = 0; i < 5; i++) {
        r->metrics[i] = -1;
        fedc_metrics_get(ctx, m, k_paths[i], &r->metrics[i]);
    }
    fedc_value_release(w);
    fedc_value_release(state);
    fedc_value_release(s2);
    fedc_value_release(m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
}

TEST(clipping_counts_and_bounds_the_mean_update) {
    fedc_client_data *cd = big_clients(ctx, 1, -1);
    fedc_aggregator mean = fedc_aggregator_mean();
    round_result plain, tiny, loose;
    one_round(ctx, cd, &mean, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &plain);
    fedc_aggregator clip = {.kind = FEDC_AGGREGATOR_CLIPPING, .norm = 0.01, .inner = NULL};
    one_round(ctx, cd, &clip, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &tiny);
    clip.norm = 1e6;
    one_round(ctx, cd, &clip, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &loose);
    ASSERT_EQ(tiny.metrics[0], 3);  /* every client clipped */
    ASSERT_EQ(loose.metrics[0], 0); /* none */
    ASSERT_EQ(memcmp(loose.w, plain.w, sizeof plain.w), 0);
    /* with every update clipped to 0.01, the mean moves the weights by at most 0.01 */
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    const float *w0 = fedc_learning_model_trainable(lm);
    double d = 0;
    for (int i = 0; i < 8; i++)
        d += ((double)tiny.w[i] - w0[i]) * ((double)tiny.w[i] - w0[i]);
    ASSERT_LE(sqrt(d), 0.01 * 1.0001);
    ASSERT_GT(sqrt(d), 0.001);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(zeroing_drops_large_updates_and_their_weight) {
    fedc_client_data *cd = big_clients(ctx, 1, -1);
    fedc_aggregator zero = {.kind = FEDC_AGGREGATOR_ZEROING, .norm = 1e-9, .inner = NULL};
    round_result r;
    one_round(ctx, cd, &zero, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &r);
    ASSERT_EQ(r.metrics[1], 3);
    /* all weights zero: 0/0 is not finite, so the finalizer keeps the model and says so */
    ASSERT_EQ(r.metrics[3], 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    ASSERT_EQ(memcmp(r.w, fedc_learning_model_trainable(lm), sizeof r.w), 0);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(a_client_with_a_non_finite_update_gets_weight_zero) {
    fedc_client_data *clean = big_clients(ctx, 1, -1), *dirty = big_clients(ctx, 1, 1);
    fedc_aggregator mean = fedc_aggregator_mean();
    round_result a, b;
    one_round(ctx, clean, &mean, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &a);
    one_round(ctx, dirty, &mean, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &b);
    ASSERT_EQ(a.metrics[2], 12); /* mean weight: 3 clients x 4 examples */
    ASSERT_EQ(b.metrics[2], 8);  /* client 1's NaN update counts for nothing */
    ASSERT_EQ(b.metrics[3], 0);  /* and the aggregate stays finite */
    for (int i = 0; i < 8; i++)
        ASSERT_TRUE(isfinite(b.w[i]));
    ASSERT_NE(memcmp(a.w, b.w, sizeof a.w), 0);
    fedc_client_data_destroy(clean);
    fedc_client_data_destroy(dirty);
}

TEST(unweighted_mean_and_sum) {
    fedc_client_data *cd = big_clients(ctx, 0.1f, -1);
    fedc_aggregator mean = fedc_aggregator_mean(), unw = mean,
                    sum = {.kind = FEDC_AGGREGATOR_SUM, .norm = 0, .inner = NULL};
    unw.unweighted = true;
    round_result w, u, s, uc;
    one_round(ctx, cd, &mean, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &w);
    one_round(ctx, cd, &unw, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &u);
    one_round(ctx, cd, &sum, FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES, &s);
    one_round(ctx, cd, &mean, FEDC_CLIENT_WEIGHTING_UNIFORM, &uc);
    ASSERT_EQ(u.metrics[2], 3); /* weights of 1 */
    ASSERT_EQ(uc.metrics[2], 3);
    /* equal-sized clients: the weighted and unweighted means agree to rounding */
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    const float *w0 = fedc_learning_model_trainable(lm);
    for (int i = 0; i < 8; i++) {
        ASSERT_NEAR(w.w[i], u.w[i], 1e-6);
        ASSERT_NEAR(u.w[i], uc.w[i], 1e-6);
        /* the sum moves three times as far as the mean */
        ASSERT_NEAR(s.w[i] - w0[i], 3 * (u.w[i] - w0[i]), 1e-5);
    }
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* The weights after one FedAvg round with aggregator `agg` and its finalizer's measurements. */
static void dp_round(fedc_ctx *ctx, fedc_client_data *cd, const fedc_aggregator *agg, int rounds,
                     float *w, double *epsilon) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.client.optimizer.learning_rate = 0.5;
    o.client.weighting = FEDC_CLIENT_WEIGHTING_UNIFORM;
    o.aggregator = *agg;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *wv;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    *epsilon = -1;
    for (int r = 0; r < rounds; r++) {
        fedc_value *s2, *m;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
        fedc_metrics_get(ctx, m, "finalizer/dp_epsilon", epsilon);
        fedc_value_release(state);
        fedc_value_release(m);
        state = s2;
    }
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, state, &wv));
    memcpy(w, fedc_value_get_tensor(fedc_value_item(wv, 0))->data, 8 * sizeof(float));
    fedc_value_release(wv);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
}

TEST(dp_gaussian_clips_sums_adds_keyed_noise_and_reports_epsilon) {
    fedc_client_data *cd = big_clients(ctx, 1, -1);
    /* without noise: the clipped sum over the expected 3 clients, which is the unweighted mean of
     * the clipped updates, bit for bit */
    fedc_aggregator dp0 = fedc_aggregator_dp_gaussian(0.0, 0.05, 3, 0, 0);
    fedc_aggregator mean = fedc_aggregator_mean();
    mean.unweighted = true;
    fedc_aggregator clip = {.kind = FEDC_AGGREGATOR_CLIPPING, .norm = 0.05, .inner = &mean};
    float a[8], b[8], c[8], d[8];
    double eps_a, eps_b, eps_c, eps_d;
    dp_round(ctx, cd, &dp0, 1, a, &eps_a);
    dp_round(ctx, cd, &clip, 1, b, &eps_b);
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT_TRUE(isnan(eps_a)); /* no delta: no accounting */
    /* with noise: the same seed gives the same bits, another seed other bits */
    fedc_aggregator dp1 = fedc_aggregator_dp_gaussian(1.0, 0.05, 3, 300, 1e-5);
    dp_round(ctx, cd, &dp1, 2, c, &eps_c);
    dp_round(ctx, cd, &dp1, 2, d, &eps_d);
    ASSERT_EQ(memcmp(c, d, sizeof c), 0);
    dp1.seed = 7;
    dp_round(ctx, cd, &dp1, 2, d, &eps_d);
    ASSERT_NE(memcmp(c, d, sizeof c), 0);
    /* epsilon after 2 rounds is the accountant's for 2 steps at q = 3/300, z = 1 */
    fedc_rdp_accountant *acc;
    ASSERT_OK(fedc_rdp_accountant_create(ctx, NULL, 0, &acc));
    ASSERT_OK(fedc_rdp_accountant_add_steps(ctx, acc, 1.0, 0.01, 2));
    double want;
    ASSERT_OK(fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &want, NULL));
    fedc_rdp_accountant_destroy(acc);
    ASSERT_NEAR(eps_c, want, 1e-12);
    ASSERT_GT(eps_c, 0);
    /* bad options are named */
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.aggregator = fedc_aggregator_dp_gaussian(1.0, 0.0, 3, 300, 1e-5);
    fedc_learning_process *p;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "clip norm > 0 (got 0)");
    o.aggregator = fedc_aggregator_dp_gaussian(1.0, 1.0, 3, 2, 1e-5);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* 5 clients: 4 alike, and client 4 (when corrupt) with inputs 30 times larger. */
static fedc_client_data *with_corrupt_client(fedc_ctx *ctx, bool corrupt, int nclients) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < nclients; c++) {
        char id[8] = {'c', (char)('0' + c), 0};
        float scale = corrupt && c == 4 ? 30.0f : 1.0f;
        for (int k = 0; k < 4; k++) {
            fedc_tensor *t;
            fedc_shape xs = FEDC_SHAPE(3), s0 = FEDC_SHAPE0;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            for (int i = 0; i < 3; i++)
                ((float *)t->data)[i] = scale * (0.1f * (float)(i + k) + 0.01f * (float)c);
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = k % 2;
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

static double distance(const float *a, const float *b) {
    double d = 0;
    for (int i = 0; i < 8; i++)
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(d);
}

TEST(robust_aggregators_resist_a_corrupt_client) {
    fedc_client_data *honest = with_corrupt_client(ctx, false, 4);
    fedc_client_data *attacked = with_corrupt_client(ctx, true, 5);
    fedc_aggregator mean = fedc_aggregator_mean();
    mean.unweighted = true;
    float ref[8], bad[8], w[8];
    double eps;
    dp_round(ctx, honest, &mean, 1, ref, &eps);
    dp_round(ctx, attacked, &mean, 1, bad, &eps);
    double hurt = distance(bad, ref);
    ASSERT_GT(hurt, 0.5); /* the mean follows the corrupt client */
    fedc_aggregator kinds[3] = {
        {.kind = FEDC_AGGREGATOR_MEDIAN, .capacity = 8},
        {.kind = FEDC_AGGREGATOR_TRIMMED_MEAN, .capacity = 8, .trim_fraction = 0.2},
        {.kind = FEDC_AGGREGATOR_KRUM, .capacity = 8, .byzantine = 1, .krum_select = 2},
    };
    for (int k = 0; k < 3; k++) {
        dp_round(ctx, attacked, &kinds[k], 1, w, &eps);
        ASSERT_LT(distance(w, ref), hurt * 0.1);
    }
    /* threads and windows do not change the rows' order, so neither the result */
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 9);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.aggregator = kinds[2];
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *data = ltest_clients_value(ctx, attacked), *s0, *a, *ma, *b, *mb;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &s0));
    ASSERT_OK(fedc_learning_process_next(ctx, p, s0, data, NULL, &a, &ma));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    fedc_exec_opts e = fedc_exec_opts_default();
    e.pool = pool;
    e.window = 1;
    ASSERT_OK(fedc_learning_process_next(ctx, p, s0, data, &e, &b, &mb));
    ASSERT_TRUE(fedc_value_equal(a, b));
    fedc_pool_destroy(pool);
    /* more clients than the capacity is an error that says so */
    fedc_learning_process *small;
    o.aggregator = (fedc_aggregator){.kind = FEDC_AGGREGATOR_MEDIAN, .capacity = 3};
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &small));
    fedc_value *c, *mc;
    ASSERT_STATUS(FEDC_STATUS_OUT_OF_RANGE,
                  fedc_learning_process_next(ctx, small, s0, data, NULL, &c, &mc));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "capacity of 3");
    o.aggregator = (fedc_aggregator){
        .kind = FEDC_AGGREGATOR_KRUM, .capacity = 4, .byzantine = 1, .krum_select = 1};
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &small));
    fedc_learning_process_destroy(small);
    fedc_value *vals[] = {data, s0, a, ma, b, mb};
    for (size_t i = 0; i < 6; i++)
        fedc_value_release(vals[i]);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(honest);
    fedc_client_data_destroy(attacked);
}
