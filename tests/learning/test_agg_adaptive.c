/* test_agg_adaptive.c — adaptive norms in a learning process: the estimate in the aggregator
 * state follows fedc_quantile_update from the round's counts, the applied norm is estimate *
 * multiplier + increment, the presets (robust, dp, compression, secure) run bit-identically on the
 * reference and threaded executors, and a checkpoint carries the estimates.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "fedc/learning_train.h"
#include "learning/learning_testutil.h"

/* The named field of a struct value, or NULL. */
static fedc_value *field(fedc_value *v, const char *name) {
    for (size_t i = 0; v && i < fedc_value_size(v); i++)
        if (fedc_value_name(v, i) && !strcmp(fedc_value_name(v, i), name))
            return fedc_value_item(v, i);
    return NULL;
}

/* The state's aggregator estimate `name` (the state may be placed at SERVER). */
static double estimate(fedc_value *state, const char *name) {
    fedc_value *s = state;
    if (fedc_value_get_kind(s) == FEDC_VALUE_FEDERATED) s = fedc_value_item(s, 0);
    const fedc_tensor *t = fedc_value_get_tensor(field(field(s, "aggregator"), name));
    return t ? fedc_tensor_get_flat(t, 0) : NAN;
}

typedef struct run {
    fedc_learning_process *p;
    fedc_value *state;
} run;

static run start(fedc_ctx *ctx, fedc_learning_model *lm, const fedc_aggregator *agg) {
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.client.optimizer.learning_rate = 0.5;
    o.aggregator = *agg;
    run r = {0};
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &r.p));
    ASSERT_OK(fedc_learning_process_initialize(ctx, r.p, &r.state));
    return r;
}

/* One round on `data` with the given threads (0: reference executor); returns the metrics. */
static fedc_value *step(fedc_ctx *ctx, run *r, fedc_value *data, int threads) {
    fedc_exec_opts e = fedc_exec_opts_default();
    fedc_pool *pool = NULL;
    if (threads > 0) ASSERT_OK(fedc_pool_create(ctx, threads, &pool));
    e.pool = pool;
    fedc_value *s2, *m;
    ASSERT_OK(fedc_learning_process_next(ctx, r->p, r->state, data, &e, &s2, &m));
    fedc_pool_destroy(pool);
    fedc_value_release(r->state);
    r->state = s2;
    return m;
}

static void finish(run *r) {
    fedc_value_release(r->state);
    fedc_learning_process_destroy(r->p);
}

/* The largest difference between two runs' trainable weights. */
static double farthest(fedc_ctx *ctx, const run *a, const run *b) {
    fedc_value *wa, *wb;
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, a->p, a->state, &wa));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, b->p, b->state, &wb));
    const fedc_tensor *x = fedc_value_get_tensor(fedc_value_item(wa, 0));
    const fedc_tensor *y = fedc_value_get_tensor(fedc_value_item(wb, 0));
    double far = 0;
    for (int64_t i = 0; i < fedc_tensor_numel(x); i++)
        far = fmax(far, fabs(fedc_tensor_get_flat(x, i) - fedc_tensor_get_flat(y, i)));
    fedc_value_release(wa);
    fedc_value_release(wb);
    return far;
}

static double metric(fedc_ctx *ctx, fedc_value *m, const char *path) {
    double v = NAN;
    ASSERT_OK(fedc_metrics_get(ctx, m, path, &v));
    return v;
}

TEST(adaptive_clipping_moves_its_estimate_by_the_quantile_update) {
    fedc_client_data *cd = ltest_clients(ctx, 5, 4, 3, 21);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 22);
    fedc_value *data = ltest_clients_value(ctx, cd);
    fedc_aggregator agg = fedc_aggregator_adaptive_clipping(0.05, 0.5, 0.2, NULL);
    run r = start(ctx, lm, &agg);
    ASSERT_EQ(estimate(r.state, "clipping"), (double)0.05f);
    double e = (float)0.05;
    for (int round = 0; round < 4; round++) {
        fedc_value *m = step(ctx, &r, data, 0);
        /* the round applied the estimate it started with and reports it */
        ASSERT_EQ(metric(ctx, m, "aggregator/clipping_norm"), e);
        double clients = metric(ctx, m, "aggregator/clients");
        double below = clients - metric(ctx, m, "aggregator/clipped_count");
        ASSERT_EQ(clients, 5);
        fedc_quantile_opts q = {0.5, 0.2, true};
        ASSERT_OK(fedc_quantile_update(ctx, &q, below / clients, &e));
        e = (float)e;
        ASSERT_EQ(estimate(r.state, "clipping"), e);
        fedc_value_release(m);
    }
    /* tiny initial norm: every client was clipped at first, so the estimate grew */
    ASSERT_GT(e, 0.05 * exp(0.1) * 0.999);
    finish(&r);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(adaptive_zeroing_applies_twice_its_estimate_plus_one) {
    fedc_client_data *cd = ltest_clients(ctx, 4, 4, 3, 31);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 32);
    fedc_value *data = ltest_clients_value(ctx, cd);
    fedc_aggregator agg = fedc_aggregator_adaptive_zeroing(NULL);
    run r = start(ctx, lm, &agg);
    ASSERT_EQ(estimate(r.state, "zeroing"), 10);
    fedc_value *m = step(ctx, &r, data, 0);
    ASSERT_EQ(metric(ctx, m, "aggregator/zeroing_norm"), 21); /* 2 * 10 + 1 */
    ASSERT_EQ(metric(ctx, m, "aggregator/zeroed_count"), 0);  /* small updates */
    /* all 4 below: fraction 1 > 0.98, so the estimate falls by exp(-ln 10 * 0.02) */
    ASSERT_NEAR(estimate(r.state, "zeroing"), 10 * exp(-log(10.0) * 0.02), 1e-5);
    fedc_value_release(m);
    finish(&r);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(adaptive_options_are_checked) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 1);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    fedc_learning_process *p = NULL;
    o.aggregator = fedc_aggregator_adaptive_clipping(1, 1.5, 0.2, NULL);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "target quantile in [0, 1] (got 1.5)");
    o.aggregator = fedc_aggregator_adaptive_clipping(0, 0.5, 0.2, NULL);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "initial norm > 0 (got 0)");
    /* TFF's rule: the count's noise must leave some for the sum (2 * 0.05 * 3 < 1) */
    o.aggregator = fedc_aggregator_dp_adaptive(1.0, 3, 100, 1e-5);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "count noise above half the noise multiplier");
    o.aggregator = (fedc_aggregator){.kind = FEDC_AGGREGATOR_QUANTIZE, .bits = 17};
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "bits in [1, 16] (got 17)");
    ASSERT_TRUE(p == NULL);
    fedc_learning_model_destroy(lm);
}

/* Three rounds of a preset on the reference executor and on 2 threads: the same bits. */
static void presets_agree(fedc_ctx *ctx, const fedc_aggregator *agg, const char *must_print) {
    fedc_client_data *cd = ltest_clients(ctx, 6, 4, 3, 41);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 42);
    fedc_value *data = ltest_clients_value(ctx, cd);
    run a = start(ctx, lm, agg), b = start(ctx, lm, agg);
    for (int round = 0; round < 3; round++) {
        fedc_value *ma = step(ctx, &a, data, 0), *mb = step(ctx, &b, data, 2);
        ASSERT_TRUE(fedc_value_equal(ma, mb));
        fedc_value_release(ma);
        fedc_value_release(mb);
    }
    ASSERT_TRUE(fedc_value_equal(a.state, b.state));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(a.p), &text));
    ASSERT_CONTAINS(text, must_print);
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, "printed", text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_learning_process_module(a.p)));
    fedc_comp_destroy(back);
    fedc_free(text);
    finish(&a);
    finish(&b);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(the_robust_preset_zeroes_then_clips_adaptively_on_any_executor) {
    fedc_aggregator_stages room;
    const fedc_aggregator *agg = fedc_aggregator_robust(&room, true, true, true);
    ASSERT_EQ(agg->kind, FEDC_AGGREGATOR_ZEROING);
    ASSERT_EQ(agg->inner->kind, FEDC_AGGREGATOR_CLIPPING);
    ASSERT_EQ(agg->inner->norm, 1.0);
    ASSERT_EQ(agg->inner->estimate.target_quantile, 0.8);
    ASSERT_EQ(agg->inner->inner->kind, FEDC_AGGREGATOR_MEAN);
    presets_agree(ctx, agg, "add(mul(s.aggregator.zeroing, 2.0), 1.0)");
    ASSERT_TRUE(fedc_aggregator_robust(NULL, true, true, true) == NULL);
}

TEST(the_dp_preset_noises_sum_and_count_and_reports_epsilon) {
    fedc_aggregator_stages room;
    const fedc_aggregator *agg = fedc_aggregator_dp(&room, 0.5, 20, 1000, 1e-5, true);
    ASSERT_EQ(agg->kind, FEDC_AGGREGATOR_ZEROING);
    ASSERT_EQ(agg->inner->kind, FEDC_AGGREGATOR_DP_GAUSSIAN);
    ASSERT_EQ(agg->inner->estimate.count_stddev, 1.0);
    presets_agree(ctx, agg, "clip_by_norm(u1, b1)");
    /* epsilon grows with the rounds; the DP clip starts at TFF's 0.1 and moves */
    fedc_client_data *cd = ltest_clients(ctx, 6, 4, 3, 51);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 52);
    fedc_value *data = ltest_clients_value(ctx, cd);
    run r = start(ctx, lm, agg);
    ASSERT_NEAR(estimate(r.state, "clipping"), 0.1, 1e-7);
    fedc_value *m1 = step(ctx, &r, data, 0), *m2 = step(ctx, &r, data, 0);
    double e1 = metric(ctx, m1, "finalizer/dp_epsilon"),
           e2 = metric(ctx, m2, "finalizer/dp_epsilon");
    ASSERT_TRUE(isfinite(e1) && e1 > 0);
    ASSERT_GT(e2, e1);
    ASSERT_TRUE(estimate(r.state, "clipping") != (double)0.1f);
    fedc_value_release(m1);
    fedc_value_release(m2);
    finish(&r);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(quantization_in_a_process_is_close_to_the_plain_mean_and_keyed) {
    fedc_client_data *cd = ltest_clients(ctx, 5, 4, 3, 61);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 62);
    fedc_value *data = ltest_clients_value(ctx, cd);
    fedc_aggregator mean = fedc_aggregator_mean();
    fedc_aggregator q16 = {
        .kind = FEDC_AGGREGATOR_QUANTIZE, .bits = 16, .threshold = 0, .inner = &mean};
    fedc_aggregator q1 = q16;
    q1.bits = 1;
    run plain = start(ctx, lm, &mean), fine = start(ctx, lm, &q16), coarse = start(ctx, lm, &q1);
    fedc_value *m[3] = {step(ctx, &plain, data, 0), step(ctx, &fine, data, 2),
                        step(ctx, &coarse, data, 0)};
    double far16 = farthest(ctx, &plain, &fine), far1 = farthest(ctx, &plain, &coarse);
    ASSERT_LT(far16, 1e-4); /* 65535 levels */
    ASSERT_GT(far1, far16); /* 1 level: the draws show */
    /* in the round's rotated basis: still the mean within the codes' precision, other bits */
    fedc_aggregator r16 = q16;
    r16.rotate = true;
    run rotated = start(ctx, lm, &r16);
    fedc_value *m5 = step(ctx, &rotated, data, 2);
    ASSERT_LT(farthest(ctx, &plain, &rotated), 1e-4);
    ASSERT_FALSE(fedc_value_equal(rotated.state, fine.state));
    fedc_value_release(m5);
    finish(&rotated);
    /* the draws are keyed: another run on 2 threads gives the same bits */
    run again = start(ctx, lm, &q1);
    fedc_value *m4 = step(ctx, &again, data, 2);
    ASSERT_TRUE(fedc_value_equal(again.state, coarse.state));
    fedc_value_release(m4);
    finish(&again);
    for (int i = 0; i < 3; i++)
        fedc_value_release(m[i]);
    finish(&plain);
    finish(&fine);
    finish(&coarse);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(the_compression_preset_quantizes_only_large_updates) {
    fedc_aggregator_stages room;
    const fedc_aggregator *agg = fedc_aggregator_compression(&room, true, true, true);
    ASSERT_EQ(agg->inner->inner->kind, FEDC_AGGREGATOR_QUANTIZE);
    ASSERT_EQ(agg->inner->inner->bits, 8);
    ASSERT_EQ(agg->inner->inner->threshold, 20000);
    /* a model of 15 weights is under the threshold: the same bits as the robust preset */
    fedc_aggregator_stages room2;
    const fedc_aggregator *robust = fedc_aggregator_robust(&room2, true, true, true);
    fedc_client_data *cd = ltest_clients(ctx, 4, 4, 3, 71);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 72);
    fedc_value *data = ltest_clients_value(ctx, cd);
    run a = start(ctx, lm, agg), b = start(ctx, lm, robust);
    fedc_value *ma = step(ctx, &a, data, 0), *mb = step(ctx, &b, data, 0);
    ASSERT_TRUE(fedc_value_equal(a.state, b.state));
    fedc_value_release(ma);
    fedc_value_release(mb);
    finish(&a);
    finish(&b);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(a_checkpoint_carries_the_aggregator_estimates) {
    fedc_client_data *cd = ltest_clients(ctx, 8, 4, 3, 81);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 82);
    fedc_aggregator_stages room;
    fedc_process_opts po = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    po.client.batch_size = 2;
    po.aggregator = *fedc_aggregator_robust(&room, true, true, true);
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &po, &p));
    char dir[] = "/tmp/fedc_adaptive_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    fedc_train_opts o = fedc_train_opts_default();
    o.rounds = 3;
    o.sampling.cohort_size = 3;
    o.checkpoint_every = 1;
    o.out_dir = dir;
    fedc_value *whole, *resumed;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &whole));
    ASSERT_OK(fedc_train_run(ctx, p, &whole, cd, NULL, &o));
    ASSERT_TRUE(estimate(whole, "clipping") != 1.0);
    /* resuming from round 3's checkpoint gives back the same state, estimates included */
    o.resume = true;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &resumed));
    ASSERT_OK(fedc_train_run(ctx, p, &resumed, cd, NULL, &o));
    ASSERT_TRUE(fedc_value_equal(resumed, whole));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
    fedc_value_release(whole);
    fedc_value_release(resumed);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(the_secure_preset_is_the_clipped_mean_within_its_precision) {
    fedc_aggregator_stages room, room2;
    const fedc_aggregator *secure = fedc_aggregator_secure(&room, true);
    ASSERT_EQ(secure->inner->inner->kind, FEDC_AGGREGATOR_SECURE_MEAN);
    presets_agree(ctx, secure, "secure_add(<a.update, b.update>)");
    /* the same chain with a plain unweighted mean: equal within the 16-bit codes' precision */
    const fedc_aggregator *plain = fedc_aggregator_robust(&room2, true, true, false);
    fedc_client_data *cd = ltest_clients(ctx, 6, 4, 3, 91);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 92);
    fedc_value *data = ltest_clients_value(ctx, cd);
    run a = start(ctx, lm, secure), b = start(ctx, lm, plain);
    fedc_value *ma = step(ctx, &a, data, 0), *mb = step(ctx, &b, data, 0);
    double bound = metric(ctx, ma, "aggregator/secure_bound");
    ASSERT_EQ(bound, metric(ctx, ma, "aggregator/clipping_norm"));
    double far = farthest(ctx, &a, &b);
    ASSERT_LE(far, bound / 32767 + 1e-6); /* one code step of the mean, at most */
    ASSERT_GT(far, 0);                    /* the rounding is there */
    fedc_value_release(ma);
    fedc_value_release(mb);
    finish(&a);
    finish(&b);
    /* more clients than the modular sum has room for is an error, not a wrapped mean */
    fedc_aggregator small = {
        .kind = FEDC_AGGREGATOR_SECURE_MEAN, .bits = 8, .capacity = 4, .norm = 1};
    run c = start(ctx, lm, &small);
    fedc_exec_opts e = fedc_exec_opts_default();
    fedc_value *s2, *m;
    ASSERT_STATUS(FEDC_STATUS_OUT_OF_RANGE,
                  fedc_learning_process_next(ctx, c.p, c.state, data, &e, &s2, &m));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "6 clients in the round, more than its capacity 4");
    finish(&c);
    /* a secure mean needs a bound */
    fedc_aggregator unbounded = {.kind = FEDC_AGGREGATOR_SECURE_MEAN, .bits = 16, .capacity = 8};
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.aggregator = unbounded;
    fedc_learning_process *p = NULL;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "or a clipping stage before it");
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(adaptive_dp_noises_the_sum_with_the_split_multiplier_from_its_stream) {
    /* the same round with noise multiplier 0.5 and 0: the weights differ by the sum's noise
     * over the expected clients, N(0, (z_v clip)^2) from FEDC_RNG(seed, round, NOISE) with
     * z_v = (0.5^-2 - (2 x 1.0)^-2)^-1/2, clip the initial 0.1 */
    fedc_client_data *cd = ltest_clients(ctx, 5, 4, 3, 101);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 102);
    fedc_value *data = ltest_clients_value(ctx, cd);
    fedc_aggregator noisy = fedc_aggregator_dp_adaptive(0.5, 20, 100, 0);
    fedc_aggregator quiet = fedc_aggregator_dp_adaptive(0.0, 20, 100, 0);
    ASSERT_EQ(noisy.estimate.count_stddev, 1.0);
    run a = start(ctx, lm, &noisy), b = start(ctx, lm, &quiet);
    fedc_value *ma = step(ctx, &a, data, 0), *mb = step(ctx, &b, data, 0), *wa, *wb;
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, a.p, a.state, &wa));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, b.p, b.state, &wb));
    const float *x = fedc_value_get_tensor(fedc_value_item(wa, 0))->data;
    const float *y = fedc_value_get_tensor(fedc_value_item(wb, 0))->data;
    int64_t n = fedc_learning_model_num_trainable(lm);
    float noise[64] = {0};
    ASSERT_LE(n, 64);
    double zv = 1.0 / sqrt(1.0 / 0.25 - 1.0 / 4.0);
    ASSERT_OK(fedc_dp_add_gaussian_noise(ctx, noise, n, zv * 0.1, 0, 0));
    for (int64_t i = 0; i < n; i++) /* server sgd 1.0: w = w0 - mean update */
        ASSERT_NEAR((double)y[i] - x[i], noise[i] / 20.0, 1e-6);
    /* both moved their clip estimate the same way (the count's noise does not depend on z) */
    ASSERT_EQ(estimate(a.state, "clipping"), estimate(b.state, "clipping"));
    fedc_value *vals[] = {ma, mb, wa, wb};
    for (size_t i = 0; i < 4; i++)
        fedc_value_release(vals[i]);
    finish(&a);
    finish(&b);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}
