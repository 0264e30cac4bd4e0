/* test_process_state.c — a learning process's state: model weights and hyperparameters read and
 * written by name, states of another process refused; federated evaluation; and FedAvg on real
 * EMNIST clients from a TFF SQLite file (the seed model learns).
 */
#include <stdio.h>
#include <string.h>

#include "learning/learning_testutil.h"

TEST(weights_and_hyperparameters_by_name) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 1),
                        *other = ltest_dense_model(ctx, 5, 3, 1);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.server_optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_learning_process *p, *q;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_OK(fedc_learning_process_create(ctx, other, &o, &q));
    fedc_value *state, *s2, *s3, *w, *wq;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    double v;
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, state, "client/learning_rate", &v));
    ASSERT_NEAR(v, 0.1, 1e-7);
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, state, "server/beta_2", &v));
    ASSERT_NEAR(v, 0.999, 1e-7);
    ASSERT_OK(fedc_learning_process_set_hparam(ctx, p, state, "client/learning_rate", 0.25, &s2));
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, s2, "client/learning_rate", &v));
    ASSERT_EQ(v, 0.25);
    ASSERT_OK(fedc_learning_process_set_hparam(ctx, p, s2, "server/learning_rate", 0.5, &s3));
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, s3, "server/learning_rate", &v));
    ASSERT_EQ(v, 0.5);
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, s3, "client/learning_rate", &v));
    ASSERT_EQ(v, 0.25);
    ASSERT_STATUS(FEDC_STATUS_NOT_FOUND,
                  fedc_learning_process_get_hparam(ctx, p, state, "client/momentum", &v));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "known: client/learning_rate, server/learning_rate");
    fedc_value *bad;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT,
                  fedc_learning_process_set_hparam(ctx, p, state, "server/beta_1", 2.0, &bad));
    /* weights: read, replaced by another model's (refused: other sizes), set back */
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, s3, &w));
    ASSERT_OK(fedc_learning_model_get_weights(ctx, other, &wq));
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_learning_process_set_model_weights(ctx, p, s3, wq, &bad));
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_learning_process_get_model_weights(ctx, q, s3, &bad));
    ASSERT_EQ(fedc_learning_process_round(q, s3), -1);
    fedc_value *s4, *w4;
    ASSERT_OK(fedc_learning_process_set_model_weights(ctx, p, s3, w, &s4));
    ASSERT_TRUE(fedc_value_equal(s4, s3));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, s4, &w4));
    ASSERT_TRUE(fedc_value_equal(w4, w));
    /* the learning rate set in the state is the one clients use: lr 0 leaves the model alone */
    fedc_client_data *cd = ltest_clients(ctx, 2, 4, 3, 2);
    fedc_value *data = ltest_clients_value(ctx, cd), *s5, *s6, *m;
    ASSERT_OK(fedc_learning_process_set_hparam(ctx, p, state, "client/learning_rate", 0, &s5));
    ASSERT_OK(fedc_learning_process_next(ctx, p, s5, data, NULL, &s6, &m));
    fedc_value *w6, *w0;
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, s6, &w6));
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, state, &w0));
    ASSERT_TRUE(fedc_value_equal(w6, w0));
    fedc_value *vals[] = {state, s2, s3, w, wq, s4, w4, data, s5, s6, m, w6, w0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        fedc_value_release(vals[i]);
    fedc_client_data_destroy(cd);
    fedc_learning_process_destroy(p);
    fedc_learning_process_destroy(q);
    fedc_learning_model_destroy(lm);
    fedc_learning_model_destroy(other);
}

TEST(evaluation_counts_correct_predictions) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 4, 3, 4);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 5);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_EVAL);
    o.client.batch_size = 4;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *m;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_TRUE(fedc_value_equal(state, s2));
    /* by hand: argmax of the model's predictions against the labels, over every example */
    int correct = 0, total = 0;
    for (int64_t c = 0; c < 3; c++) {
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        fedc_example *ex;
        ASSERT_OK(fedc_example_create(ctx, &ex));
        bool got;
        for (;;) {
            ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
            if (!got) break;
            fedc_shape s = FEDC_SHAPE(1, 4);
            fedc_tensor x =
                fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, fedc_example_get(ex, "x")->data);
            int32_t y = *(const int32_t *)fedc_example_get(ex, "y")->data;
            fedc_shape ys = FEDC_SHAPE(1);
            fedc_tensor yt = fedc_tensor_view(FEDC_DTYPE_INT32, &ys, &y);
            fedc_batch b = {1, &x, &yt};
            fedc_forward_opts fo = {false, false, 0};
            fedc_forward_output out;
            ASSERT_OK(fedc_learning_model_forward(ctx, lm, &b, &fo, NULL, &out));
            const float *pr = out.predictions.data;
            int best = 0;
            for (int k = 1; k < 3; k++)
                if (pr[k] > pr[best]) best = k;
            correct += best == y;
            total++;
        }
        fedc_example_destroy(ex);
        fedc_dataset_destroy(ds);
    }
    double acc, n;
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/eval/sparse_categorical_accuracy", &acc));
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/eval/num_examples", &n));
    ASSERT_EQ(n, total);
    ASSERT_NEAR(acc, (double)correct / total, 1e-12);
    fedc_value_release(state);
    fedc_value_release(s2);
    fedc_value_release(m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

static fedc_status flat_emnist(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    (void)user;
    return fedc_dataset_emnist_preprocess(ctx, in, true, out);
}

TEST(seed_model_learns_on_emnist_clients) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    FILE *f = fopen(path, "rb");
    if (!f) SKIP("no %s", path);
    fclose(f);
    fedc_sqlite_opts so = fedc_sqlite_opts_default();
    so.split_name = "digits_only_train";
    fedc_client_data *raw, *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &so, &raw));
    ASSERT_OK(fedc_client_data_preprocess(ctx, raw, flat_emnist, NULL, &cd));
    fedc_model *m;
    ASSERT_OK(fedc_zoo_seed_model(ctx, 0, &m));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_learning_model *lm;
    ASSERT_OK(fedc_learning_model_from_sequential(ctx, m, &loss, NULL, 0, NULL, &lm));
    /* TFF's landing-page example: batch 20, repeat 10 (epochs), client SGD 0.1 */
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.epochs = 10;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    /* Raw pixels (background 1.0) make the landing page's loss large, as in TFF; it falls and
     * the accuracy rises round after round (0.148 -> 0.227 here). */
    double first = 0, last = 0, acc_first = 0, acc_last = 0;
    for (int r = 0; r < 5; r++) {
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        fedc_value *s2, *metrics;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, &e, &s2, &metrics));
        ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/loss", &last));
        ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/sparse_categorical_accuracy",
                                   &acc_last));
        if (r == 0) first = last, acc_first = acc_last;
        fedc_value_release(state);
        fedc_value_release(metrics);
        state = s2;
    }
    ASSERT_LT(last, first);
    ASSERT_GT(acc_last, acc_first + 0.05);
    fedc_pool_destroy(pool);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    fedc_client_data_destroy(raw);
}

TEST(client_learning_rate_follows_a_schedule_round_by_round) {
    fedc_client_data *cd = ltest_clients(ctx, 2, 4, 3, 31);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 32);
    fedc_lr_schedule_opts so = fedc_lr_schedule_opts_default();
    so.kind = FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY;
    so.initial_learning_rate = 0.2;
    so.decay_steps = 1;
    so.decay_rate = 0.5;
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client_lr_schedule = &so;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd);
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    double want = 0.2;
    for (int r = 0; r < 4; r++) {
        double lr;
        ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, state, "client/learning_rate", &lr));
        ASSERT_NEAR(lr, want, 1e-7);
        fedc_value *s2, *m;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
        fedc_value_release(state);
        fedc_value_release(m);
        state = s2;
        want *= 0.5;
    }
    /* a piecewise schedule travels through the printed computation and back */
    int64_t bounds[2] = {1, 2};
    double values[3] = {0.3, 0.2, 0.1};
    fedc_lr_schedule_opts pw = fedc_lr_schedule_opts_default();
    pw.kind = FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT;
    pw.boundaries = bounds;
    pw.values = values;
    pw.nboundaries = 2;
    o.client_lr_schedule = &pw;
    fedc_learning_process *q;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &q));
    fedc_value *qs;
    ASSERT_OK(fedc_learning_process_initialize(ctx, q, &qs));
    double lr;
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, q, qs, "client/learning_rate", &lr));
    ASSERT_NEAR(lr, 0.3, 1e-7);
    pw.decay_rate = -1;
    pw.kind = FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY;
    fedc_learning_process *bad;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &bad));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client learning-rate schedule");
    fedc_value_release(qs);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_process_destroy(q);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(personalization_fine_tunes_each_client_and_evaluates_before_and_after) {
    /* client c always has label c % 3: a global model cannot fit all, a personalized one can */
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < 3; c++) {
        char id[8] = {'c', (char)('0' + c), 0};
        fedc_rng rng = FEDC_RNG(7, (uint64_t)c, FEDC_RNG_PURPOSE_TEST);
        for (int k = 0; k < 10; k++) {
            fedc_tensor *t;
            fedc_shape xs = FEDC_SHAPE(4), s0 = FEDC_SHAPE0;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            for (int i = 0; i < 4; i++)
                ((float *)t->data)[i] = (float)fedc_rng_uniform(&rng);
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = c;
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 3);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_PERSONALIZATION_EVAL);
    o.client.epochs = 20;
    o.client.batch_size = 4;
    o.client.optimizer.learning_rate = 0.5;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *m;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_TRUE(fedc_value_equal(state, s2));
    double before, after, n_before, n_after;
    ASSERT_OK(
        fedc_metrics_get(ctx, m, "client_work/baseline/sparse_categorical_accuracy", &before));
    ASSERT_OK(
        fedc_metrics_get(ctx, m, "client_work/personalized/sparse_categorical_accuracy", &after));
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/baseline/num_examples", &n_before));
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/personalized/num_examples", &n_after));
    ASSERT_EQ(n_before, 6); /* the last 2 of each client's 10 */
    ASSERT_EQ(n_after, 6);
    ASSERT_LE(before, 0.5);
    ASSERT_EQ(after, 1.0);
    o.personalization_test_fraction = 1.5;
    fedc_learning_process *bad;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &bad));
    fedc_value_release(state);
    fedc_value_release(s2);
    fedc_value_release(m);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}
