/* test_metrics.c — the two-phase metrics: built-ins' known answers (ties, sample weights, empty
 * batches), the aggregation property (summing two clients' unfinalized states equals one run
 * over all their batches), user-registered metrics, batch errors that leave the state unchanged,
 * and an allocation-failure sweep of building a set.
 */
#include <string.h>

#include "fedc/nn_optim.h"
#include "harness/harness.h"

static fedc_metric_set *standard_set(fedc_ctx *ctx) {
    fedc_metric_set *set = NULL;
    ASSERT_OK(fedc_metric_set_create(ctx, &set));
    ASSERT_OK(fedc_metric_set_add_builtin(ctx, set, "sparse_categorical_accuracy"));
    ASSERT_OK(fedc_metric_set_add_builtin(ctx, set, "loss"));
    ASSERT_OK(fedc_metric_set_add_builtin(ctx, set, "num_examples"));
    ASSERT_OK(fedc_metric_set_add_builtin(ctx, set, "num_batches"));
    return set;
}

/* Four examples over three classes; the first maximum of row 2 (a tie) is class 0. */
static const float preds[4 * 3] = {
    0.1f, 0.7f, 0.2f, /* -> 1 */
    0.5f, 0.3f, 0.2f, /* -> 0 */
    0.4f, 0.2f, 0.4f, /* tie -> 0 */
    0.0f, 0.1f, 0.9f, /* -> 2 */
};
static const int32_t labels[4] = {1, 2, 2, 2};

TEST(set_layout_and_names) {
    fedc_metric_set *set = standard_set(ctx);
    ASSERT_EQ(fedc_metric_set_count(set), (size_t)4);
    ASSERT_STREQ(fedc_metric_set_name(set, 0), "sparse_categorical_accuracy");
    ASSERT_STREQ(fedc_metric_set_name(set, 3), "num_batches");
    ASSERT_NULL(fedc_metric_set_name(set, 4));
    ASSERT_EQ(fedc_metric_set_state_size(set), (size_t)6);
    ASSERT_EQ(fedc_metric_set_state_offset(set, 1), (size_t)2);
    ASSERT_EQ(fedc_metric_set_state_offset(set, 3), (size_t)5);
    ASSERT_NULL(fedc_metric_builtin("f1_score"));
    fedc_metric_set_destroy(set);
    fedc_metric_set_destroy(NULL);
}

TEST(builtins_known_answers) {
    fedc_metric_set *set = standard_set(ctx);
    double state[6], res[4];
    fedc_metric_set_zero(set, state);
    fedc_metric_set_finalize(set, state, res);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(res[i], 0.0); /* empty: 0, not NaN (divide_no_nan) */

    fedc_metric_batch b = {
        .batch_size = 4, .predictions = preds, .num_classes = 3, .labels = labels, .loss = 2.0};
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &b));
    /* a second batch: the first two examples, loss 0.5 */
    b.batch_size = 2;
    b.loss = 0.5;
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &b));
    /* an empty batch counts as a batch and nothing else */
    b.batch_size = 0;
    b.predictions = NULL;
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &b));
    fedc_metric_set_finalize(set, state, res);
    ASSERT_NEAR(res[0], 3.0 / 6.0, 1e-15);               /* correct: rows 0, 3 and row 0 again */
    ASSERT_NEAR(res[1], (2.0 * 4 + 0.5 * 2) / 6, 1e-15); /* 1.5 */
    ASSERT_EQ(res[2], 6.0);
    ASSERT_EQ(res[3], 3.0);
    fedc_metric_set_destroy(set);
}

TEST(accuracy_uses_sample_weights) {
    fedc_metric_set *set = NULL;
    ASSERT_OK(fedc_metric_set_create(ctx, &set));
    ASSERT_OK(fedc_metric_set_add_builtin(ctx, set, "sparse_categorical_accuracy"));
    const float weights[4] = {3, 1, 1, 0};
    fedc_metric_batch b = {.batch_size = 4,
                           .predictions = preds,
                           .num_classes = 3,
                           .labels = labels,
                           .sample_weights = weights};
    double state[2], res;
    fedc_metric_set_zero(set, state);
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &b));
    ASSERT_EQ(state[0], 3.0);
    ASSERT_EQ(state[1], 5.0);
    fedc_metric_set_finalize(set, state, &res);
    ASSERT_NEAR(res, 0.6, 1e-15);
    fedc_metric_set_destroy(set);
}

TEST(client_states_aggregate_by_addition) {
    fedc_metric_set *set = standard_set(ctx);
    double a[6], b[6], all[6], ra[4], rall[4];
    fedc_metric_set_zero(set, a);
    fedc_metric_set_zero(set, b);
    fedc_metric_set_zero(set, all);
    fedc_metric_batch first = {
        .batch_size = 2, .predictions = preds, .num_classes = 3, .labels = labels, .loss = 1.25};
    fedc_metric_batch second = {.batch_size = 2,
                                .predictions = preds + 6,
                                .num_classes = 3,
                                .labels = labels + 2,
                                .loss = 0.75};
    ASSERT_OK(fedc_metric_set_update(ctx, set, a, &first));   /* client A */
    ASSERT_OK(fedc_metric_set_update(ctx, set, b, &second));  /* client B */
    ASSERT_OK(fedc_metric_set_update(ctx, set, all, &first)); /* one client with both */
    ASSERT_OK(fedc_metric_set_update(ctx, set, all, &second));
    fedc_metric_set_merge(set, a, b);
    ASSERT_EQ(memcmp(a, all, sizeof a), 0);
    fedc_metric_set_finalize(set, a, ra);
    fedc_metric_set_finalize(set, all, rall);
    ASSERT_EQ(memcmp(ra, rall, sizeof ra), 0);
    ASSERT_NEAR(ra[0], 0.5, 1e-15);
    ASSERT_NEAR(ra[1], 1.0, 1e-15);
    fedc_metric_set_destroy(set);
}

TEST(bad_batches_leave_the_state_unchanged) {
    fedc_metric_set *set = standard_set(ctx);
    double state[6], before[6];
    fedc_metric_set_zero(set, state);
    fedc_metric_batch ok = {
        .batch_size = 4, .predictions = preds, .num_classes = 3, .labels = labels, .loss = 1};
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &ok));
    memcpy(before, state, sizeof state);

    const int32_t bad_labels[4] = {0, 1, 3, 0};
    fedc_metric_batch b = ok;
    b.labels = bad_labels;
    ASSERT_STATUS(fedc_metric_set_update(ctx, set, state, &b), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "label 2 of the batch is 3, expected a class in [0, 3)");
    ASSERT_EQ(memcmp(state, before, sizeof state), 0);

    b = ok;
    b.batch_size = -1;
    ASSERT_STATUS(fedc_metric_set_update(ctx, set, state, &b), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "batch_size must be >= 0, got -1");

    /* Accuracy is the first metric, so a batch without predictions changes nothing either. */
    b = ok;
    b.predictions = NULL;
    ASSERT_STATUS(fedc_metric_set_update(ctx, set, state, &b), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "metric 'sparse_categorical_accuracy': "
                                           "sparse_categorical_accuracy: the batch needs "
                                           "predictions");
    ASSERT_EQ(memcmp(state, before, sizeof state), 0);
    ASSERT_STATUS(fedc_metric_set_update(ctx, set, state, NULL), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_metric_set_destroy(set);
}

/* ---- a user metric: the largest absolute label seen would not sum, so this one is "sum of
 * labels times a user scale" with a two-entry state (sum, count) and a mean finalizer. ---- */

static void mean_label_zero(void *user, double *state) {
    (void)user;
    state[0] = state[1] = 0;
}

static fedc_status mean_label_update(void *user, fedc_ctx *ctx, double *state,
                                     const fedc_metric_batch *b) {
    const double *scale = user;
    if (!b->labels && b->batch_size > 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "mean_label: no labels");
    for (int64_t i = 0; i < b->batch_size; i++)
        state[0] += *scale * b->labels[i];
    state[1] += (double)b->batch_size;
    return FEDC_STATUS_OK;
}

static double mean_label_finalize(void *user, const double *state) {
    (void)user;
    return state[1] > 0 ? state[0] / state[1] : 0;
}

TEST(user_metrics_register_and_run) {
    double scale = 10;
    char name[16] = "mean_label";
    fedc_metric_def def = {name,  2, mean_label_zero, mean_label_update, mean_label_finalize,
                           &scale};
    fedc_metric_set *set = standard_set(ctx);
    ASSERT_OK(fedc_metric_set_add(ctx, set, &def));
    strcpy(name, "changed"); /* the set copied the name */
    ASSERT_STREQ(fedc_metric_set_name(set, 4), "mean_label");
    def.name = "loss";
    ASSERT_STATUS(fedc_metric_set_add(ctx, set, &def), FEDC_STATUS_EXISTS);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "a metric named 'loss' is already in the set");
    def.name = "x";
    def.finalize = NULL;
    ASSERT_STATUS(fedc_metric_set_add(ctx, set, &def), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "metric 'x' needs a name, zero, update and finalize");
    def.finalize = mean_label_finalize;
    def.state_size = 0;
    ASSERT_STATUS(fedc_metric_set_add(ctx, set, &def), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_metric_set_add(ctx, set, NULL), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_metric_set_add_builtin(ctx, set, "auc"), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unknown built-in metric 'auc'");
    ASSERT_EQ(fedc_metric_set_count(set), (size_t)5);

    double state[8], res[5];
    ASSERT_EQ(fedc_metric_set_state_size(set), (size_t)8);
    fedc_metric_set_zero(set, state);
    fedc_metric_batch b = {
        .batch_size = 4, .predictions = preds, .num_classes = 3, .labels = labels, .loss = 1};
    ASSERT_OK(fedc_metric_set_update(ctx, set, state, &b));
    fedc_metric_set_finalize(set, state, res);
    ASSERT_NEAR(res[4], 10.0 * 7 / 4, 1e-15);
    fedc_metric_set_destroy(set);
}

typedef struct build_arg {
    fedc_metric_set *set;
} build_arg;

static fedc_status build_op(fedc_ctx *ctx, void *p) {
    build_arg *a = p;
    fedc_status st = fedc_metric_set_create(ctx, &a->set);
    if (st) return st;
    static const char *names[] = {"sparse_categorical_accuracy", "loss", "num_examples",
                                  "num_batches"};
    for (int i = 0; i < 4; i++) {
        st = fedc_metric_set_add_builtin(ctx, a->set, names[i]);
        if (st) {
            fedc_metric_set_destroy(a->set);
            a->set = NULL;
            return st;
        }
    }
    return FEDC_STATUS_OK;
}

static void build_cleanup(void *p) {
    build_arg *a = p;
    fedc_metric_set_destroy(a->set);
    a->set = NULL;
}

TEST(building_a_set_survives_allocation_failures) {
    build_arg a = {NULL};
    /* the set, the item array, four names */
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, build_op, build_cleanup, &a), 6L);
}
