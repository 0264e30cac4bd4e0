/* test_train.c — the training loop: a run stopped after some rounds and continued from its state
 * ends bit-identical to an uninterrupted run; cohorts follow the sampling stream; evaluation runs
 * when asked; a callback's error stops the run keeping the last completed state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/learning_train.h"
#include "learning/learning_testutil.h"

typedef struct seen {
    int calls, evals;
    double last_eval_acc;
    int64_t cohort[16][8];
    int stop_at;
} seen;

static fedc_status record(fedc_ctx *ctx, void *user, const fedc_round_report *r) {
    seen *s = user;
    s->calls++;
    if (!isnan(r->eval_accuracy)) {
        s->evals++;
        s->last_eval_acc = r->eval_accuracy;
    }
    if (s->stop_at && r->round == s->stop_at)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CANCELLED, "stopped at round %lld",
                               (long long)r->round);
    return FEDC_STATUS_OK;
}

static fedc_learning_process *make_process(fedc_ctx *ctx, fedc_learning_model *lm) {
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.client.shuffle_buffer = 3;
    o.server_optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    return p;
}

TEST(a_resumed_run_ends_where_an_uninterrupted_one_does) {
    fedc_client_data *cd = ltest_clients(ctx, 8, 4, 3, 11), *test = ltest_clients(ctx, 2, 4, 3, 12);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 13);
    fedc_learning_process *p = make_process(ctx, lm);
    fedc_train_opts o = fedc_train_opts_default();
    o.rounds = 6;
    o.sampling.cohort_size = 3;
    o.sampling.seed = 5;
    o.eval_every = 2;
    seen a = {0}, b = {0};
    o.on_round = record;
    o.user = &a;
    fedc_value *whole, *part;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &whole));
    ASSERT_OK(fedc_train_run(ctx, p, &whole, cd, test, &o));
    ASSERT_EQ(a.calls, 6);
    ASSERT_EQ(a.evals, 3); /* rounds 2, 4, 6 */
    ASSERT_EQ(fedc_learning_process_round(p, whole), 6);
    /* stopped by the callback after round 4 (as a kill would), continued on 2 threads */
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &part));
    b.stop_at = 4;
    o.user = &b;
    ASSERT_STATUS(FEDC_STATUS_CANCELLED, fedc_train_run(ctx, p, &part, cd, test, &o));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "stopped at round 4");
    ASSERT_EQ(fedc_learning_process_round(p, part), 4);
    b.stop_at = 0;
    o.threads = 2;
    ASSERT_OK(fedc_train_run(ctx, p, &part, cd, test, &o));
    ASSERT_EQ(b.calls, 6);
    ASSERT_TRUE(fedc_value_equal(part, whole));
    ASSERT_EQ(a.last_eval_acc, b.last_eval_acc);
    ASSERT_GE(a.last_eval_acc, 0);
    ASSERT_LE(a.last_eval_acc, 1);
    fedc_value_release(whole);
    fedc_value_release(part);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    fedc_client_data_destroy(test);
}

TEST(training_options_are_checked) {
    fedc_client_data *cd = ltest_clients(ctx, 2, 4, 3, 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 1);
    fedc_learning_process *p = make_process(ctx, lm);
    fedc_value *state;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    fedc_train_opts o = fedc_train_opts_default();
    o.sampling.cohort_size = 5; /* more than the 2 clients */
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_train_run(ctx, p, &state, cd, NULL, &o));
    ASSERT_EQ(fedc_learning_process_round(p, state), 0);
    o = fedc_train_opts_default();
    o.eval_batch_size = 0;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_train_run(ctx, p, &state, cd, NULL, &o));
    fedc_value *bogus;
    ASSERT_OK(fedc_learning_model_get_weights(ctx, lm, &bogus));
    o = fedc_train_opts_default();
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_train_run(ctx, p, &bogus, cd, NULL, &o));
    fedc_value_release(bogus);
    fedc_value_release(state);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

typedef struct rounds_seen {
    int64_t rounds[32];
    double loss[32];
    int n;
} rounds_seen;

static fedc_status collect(fedc_ctx *ctx, void *user, const fedc_metrics_record *r) {
    (void)ctx;
    rounds_seen *s = user;
    if (s->n < 32) {
        s->rounds[s->n] = fedc_metrics_record_round(r);
        if (!fedc_metrics_record_get(r, "train/loss", &s->loss[s->n])) s->loss[s->n] = -1;
        s->n++;
    }
    return FEDC_STATUS_OK;
}

TEST(a_run_killed_after_a_checkpoint_resumes_bit_identically_with_its_metric_files) {
    fedc_client_data *cd = ltest_clients(ctx, 8, 4, 3, 41), *test = ltest_clients(ctx, 2, 4, 3, 42);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 43);
    fedc_learning_process *p = make_process(ctx, lm);
    char a_dir[] = "/tmp/fedc_train_a_XXXXXX", b_dir[] = "/tmp/fedc_train_b_XXXXXX";
    ASSERT_TRUE(mkdtemp(a_dir) != NULL);
    ASSERT_TRUE(mkdtemp(b_dir) != NULL);
    fedc_train_opts o = fedc_train_opts_default();
    o.rounds = 6;
    o.sampling.cohort_size = 3;
    o.eval_every = 2;
    o.checkpoint_every = 2;
    o.out_dir = a_dir;
    fedc_value *whole, *part, *fresh;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &whole));
    ASSERT_OK(fedc_train_run(ctx, p, &whole, cd, test, &o));
    /* stopped after round 5: checkpoints 2 and 4 exist, the metric files hold rounds 1-5 */
    seen b = {0};
    b.stop_at = 5;
    o.out_dir = b_dir;
    o.on_round = record;
    o.user = &b;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &part));
    ASSERT_STATUS(FEDC_STATUS_CANCELLED, fedc_train_run(ctx, p, &part, cd, test, &o));
    /* a new process resumes from round 4 (the state it is given is replaced) */
    b.stop_at = 0;
    o.resume = true;
    o.threads = 2;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &fresh));
    ASSERT_OK(fedc_train_run(ctx, p, &fresh, cd, test, &o));
    ASSERT_EQ(fedc_learning_process_round(p, fresh), 6);
    ASSERT_TRUE(fedc_value_equal(fresh, whole));
    char path[128];
    rounds_seen ra = {0}, rb = {0};
    snprintf(path, sizeof path, "%s/metrics.jsonl", a_dir);
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &ra));
    snprintf(path, sizeof path, "%s/metrics.jsonl", b_dir);
    ASSERT_OK(fedc_metrics_jsonl_read(ctx, path, collect, &rb));
    ASSERT_EQ(ra.n, 6);
    ASSERT_EQ(rb.n, 6); /* round 5 of the stopped run was cut, then written again */
    for (int i = 0; i < 6; i++) {
        ASSERT_EQ(rb.rounds[i], i + 1);
        ASSERT_EQ(rb.loss[i], ra.loss[i]);
    }
    snprintf(path, sizeof path, "%s/metrics.csv", b_dir);
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f != NULL);
    char line[4096];
    ASSERT_TRUE(fgets(line, sizeof line, f) != NULL);
    ASSERT_CONTAINS(line, "train/loss");
    ASSERT_CONTAINS(line, "eval/sparse_categorical_accuracy");
    ASSERT_CONTAINS(line, "finalizer/update_non_finite");
    fclose(f);
    /* a checkpoint of another model is refused, naming what does not fit */
    fedc_learning_model *other = ltest_dense_model(ctx, 5, 3, 1);
    fedc_learning_process *q = make_process(ctx, other);
    fedc_value *qs;
    ASSERT_OK(fedc_learning_process_initialize(ctx, q, &qs));
    ASSERT_STATUS(FEDC_STATUS_CORRUPT, fedc_train_run(ctx, q, &qs, cd, NULL, &o));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "'trainable' has 60 bytes");
    fedc_value_release(qs);
    fedc_learning_process_destroy(q);
    fedc_learning_model_destroy(other);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a_dir, b_dir);
    ASSERT_EQ(system(cmd), 0);
    fedc_value_release(whole);
    fedc_value_release(part);
    fedc_value_release(fresh);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    fedc_client_data_destroy(test);
}
