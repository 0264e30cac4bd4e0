/* test_metrics_aggregation.c — the training metrics' aggregations: secure sum then finalize gives
 * the plain sum's metrics within its fixed-point precision (counts exactly) and counts clamped
 * values; finalize then sample reports clients' own finalized metrics for a sample that is the
 * same on any executor.
 */
#include <math.h>
#include <string.h>

#include "learning/learning_testutil.h"

static fedc_value *field(fedc_value *v, const char *name) {
    if (v && fedc_value_get_kind(v) == FEDC_VALUE_FEDERATED) v = fedc_value_item(v, 0);
    for (size_t i = 0; v && i < fedc_value_size(v); i++)
        if (fedc_value_name(v, i) && !strcmp(fedc_value_name(v, i), name))
            return fedc_value_item(v, i);
    return NULL;
}

/* One round of FedAvg with the metrics aggregation; the metrics (and the state, when asked). */
static fedc_value *one_round(fedc_ctx *ctx, const fedc_metrics_aggregator *ma, int threads,
                             int round_seed, fedc_value **state_out) {
    fedc_client_data *cd = ltest_clients(ctx, 6, 4, 3, 11);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 12);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.metrics_aggregator = *ma;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2 = NULL, *m = NULL;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    fedc_pool *pool = NULL;
    if (threads) ASSERT_OK(fedc_pool_create(ctx, threads, &pool));
    fedc_exec_opts e = fedc_exec_opts_default();
    e.pool = pool;
    for (int r = 0; r <= round_seed; r++) {
        fedc_value_release(s2);
        fedc_value_release(m);
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, &e, &s2, &m));
        if (r < round_seed) {
            fedc_value_release(state);
            state = fedc_value_retain(s2);
        }
    }
    fedc_pool_destroy(pool);
    if (state_out) *state_out = fedc_value_retain(s2);
    fedc_value_release(s2);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    return m;
}

static double get(fedc_ctx *ctx, fedc_value *m, const char *path) {
    double v = NAN;
    ASSERT_OK(fedc_metrics_get(ctx, m, path, &v));
    return v;
}

TEST(secure_sum_then_finalize_matches_the_plain_sum_within_its_precision) {
    fedc_metrics_aggregator plain = {0}, secure = {.kind = FEDC_METRICS_SECURE_SUM_THEN_FINALIZE};
    fedc_value *sa, *sb;
    fedc_value *a = one_round(ctx, &plain, 0, 0, &sa), *b = one_round(ctx, &secure, 2, 0, &sb);
    ASSERT_TRUE(fedc_value_equal(sa, sb)); /* metrics do not touch the model */
    ASSERT_EQ(get(ctx, b, "client_work/train/num_examples"),
              get(ctx, a, "client_work/train/num_examples"));
    ASSERT_EQ(get(ctx, b, "client_work/train/num_batches"),
              get(ctx, a, "client_work/train/num_batches"));
    /* 2^20 codes per unit: a loss sum is off by at most 6 clients x half a code */
    double la = get(ctx, a, "client_work/train/loss"), lb = get(ctx, b, "client_work/train/loss");
    ASSERT_NEAR(lb, la, 1e-5);
    ASSERT_NEAR(get(ctx, b, "client_work/train/sparse_categorical_accuracy"),
                get(ctx, a, "client_work/train/sparse_categorical_accuracy"), 1e-6);
    ASSERT_EQ(get(ctx, b, "aggregator/secure_clamped"), 0);
    /* an upper bound below the sums clamps them, and says how many values it clamped */
    fedc_metrics_aggregator tight = secure;
    tight.secure_upper = 1.0;
    fedc_value *c = one_round(ctx, &tight, 0, 0, NULL);
    ASSERT_GT(get(ctx, c, "aggregator/secure_clamped"), 0);
    ASSERT_LE(get(ctx, c, "client_work/train/num_examples"), 6.0);
    fedc_value *vals[] = {a, b, c, sa, sb};
    for (size_t i = 0; i < 5; i++)
        fedc_value_release(vals[i]);
}

TEST(finalize_then_sample_reports_clients_own_metrics_for_a_keyed_sample) {
    fedc_metrics_aggregator plain = {0};
    fedc_metrics_aggregator all = {.kind = FEDC_METRICS_FINALIZE_THEN_SAMPLE, .sample_size = 8};
    fedc_value *sum = one_round(ctx, &plain, 0, 0, NULL), *m = one_round(ctx, &all, 0, 0, NULL);
    fedc_value *train = field(field(m, "client_work"), "train");
    const fedc_tensor *n = fedc_value_get_tensor(field(train, "num_sampled"));
    const fedc_tensor *ex = fedc_value_get_tensor(field(train, "num_examples"));
    const fedc_tensor *loss = fedc_value_get_tensor(field(train, "loss"));
    ASSERT_TRUE(n && ex && loss);
    ASSERT_EQ(fedc_tensor_get_flat(n, 0), 6); /* every client, with room for 8 */
    ASSERT_EQ(fedc_tensor_numel(ex), 8);
    double total = 0;
    for (int i = 0; i < 6; i++) {
        total += fedc_tensor_get_flat(ex, i);
        ASSERT_TRUE(isfinite(fedc_tensor_get_flat(loss, i)));
    }
    ASSERT_TRUE(isnan(fedc_tensor_get_flat(ex, 6)) && isnan(fedc_tensor_get_flat(ex, 7)));
    ASSERT_EQ(total, get(ctx, sum, "client_work/train/num_examples"));
    /* a sample of 2: the same on 2 threads (merged) as on the reference, and it moves with the
     * round */
    fedc_metrics_aggregator two = {.kind = FEDC_METRICS_FINALIZE_THEN_SAMPLE, .sample_size = 2};
    fedc_value *r0 = one_round(ctx, &two, 0, 0, NULL), *t0 = one_round(ctx, &two, 2, 0, NULL);
    ASSERT_TRUE(fedc_value_equal(r0, t0));
    const fedc_tensor *e0 =
        fedc_value_get_tensor(field(field(field(r0, "client_work"), "train"), "num_examples"));
    ASSERT_EQ(fedc_tensor_numel(e0), 2);
    bool moved = false;
    for (int round = 1; round < 6 && !moved; round++) {
        fedc_value *rk = one_round(ctx, &two, 0, round, NULL);
        fedc_value *lk = field(field(field(rk, "client_work"), "train"), "loss");
        moved = !fedc_value_equal(lk, field(field(field(r0, "client_work"), "train"), "loss"));
        fedc_value_release(rk);
    }
    ASSERT_TRUE(moved);
    fedc_value *vals[] = {sum, m, r0, t0};
    for (size_t i = 0; i < 4; i++)
        fedc_value_release(vals[i]);
}

TEST(metrics_aggregation_options_are_checked) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 1);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.metrics_aggregator.kind = FEDC_METRICS_FINALIZE_THEN_SAMPLE;
    o.metrics_aggregator.sample_size = -3;
    fedc_learning_process *p = NULL;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sample size in [0, 100000] (got -3)");
    o.metrics_aggregator = (fedc_metrics_aggregator){.kind = FEDC_METRICS_SECURE_SUM_THEN_FINALIZE,
                                                     .secure_upper = -1};
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "secure upper bound >= 0 (got -1)");
    ASSERT_TRUE(p == NULL);
    fedc_learning_model_destroy(lm);
}
