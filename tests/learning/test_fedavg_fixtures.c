/* test_fedavg_fixtures.c — two rounds of weighted FedAvg against PyTorch: the same model,
 * weights, clients and settings as tests/learning/make_fixtures.py, whose output
 * (fixtures/fedavg.txt) is committed; weights and the training loss agree to float32 rounding.
 */
#include <stdio.h>
#include <string.h>

#include "harness/fixtures.h"
#include "learning/learning_testutil.h"

#define TOL 2e-6

static void load(void) {
    char path[512];
    fedc_fixture_load(fedc_fixture_path(__FILE__, "fixtures/fedavg.txt", path, sizeof path));
}

TEST(two_fedavg_rounds_match_pytorch) {
    load();
    /* the clients, from the fixture */
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    const int sizes[3] = {3, 5, 7};
    for (int c = 0; c < 3; c++) {
        char name[16], id[8];
        snprintf(name, sizeof name, "x_%d", c);
        const float *x = fedc_fixture_get(name, sizes[c] * 6);
        snprintf(name, sizeof name, "y_%d", c);
        const float *y = fedc_fixture_get(name, sizes[c]);
        snprintf(id, sizeof id, "c%d", c);
        for (int k = 0; k < sizes[c]; k++) {
            fedc_tensor *t;
            fedc_shape xs = FEDC_SHAPE(6), s0 = FEDC_SHAPE0;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            memcpy(t->data, x + 6 * k, 6 * sizeof(float));
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = (int32_t)y[k];
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    /* Dense(3, softmax) with the fixture's kernel and bias */
    fedc_shape in = FEDC_SHAPE(6);
    fedc_layer_spec l = fedc_layer_dense(3, FEDC_ACTIVATION_SOFTMAX);
    fedc_model *m;
    ASSERT_OK(fedc_model_create(ctx, &in, &l, 1, NULL, &m));
    ASSERT_EQ(fedc_model_num_params(m), 21);
    memcpy(fedc_model_params(m), fedc_fixture_get("kernel", 18), 18 * sizeof(float));
    memcpy(fedc_model_params(m) + 18, fedc_fixture_get("bias", 3), 3 * sizeof(float));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_learning_model *lm;
    ASSERT_OK(fedc_learning_model_from_sequential(ctx, m, &loss, NULL, 0, NULL, &lm));
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    o.client.epochs = 2;
    o.client.optimizer.learning_rate = 0.1;
    o.server_optimizer.learning_rate = 0.7;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd);
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    for (int r = 1; r <= 2; r++) {
        fedc_value *s2, *metrics, *w;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &metrics));
        fedc_value_release(state);
        state = s2;
        ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, state, &w));
        const float *got = fedc_value_get_tensor(fedc_value_item(w, 0))->data;
        char name[32];
        snprintf(name, sizeof name, "kernel_round%d", r);
        ASSERT_FLOATS_NEAR(got, fedc_fixture_get(name, 18), 18, TOL);
        snprintf(name, sizeof name, "bias_round%d", r);
        ASSERT_FLOATS_NEAR(got + 18, fedc_fixture_get(name, 3), 3, TOL);
        double train_loss;
        ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/loss", &train_loss));
        snprintf(name, sizeof name, "train_loss_round%d", r);
        ASSERT_NEAR(train_loss, fedc_fixture_get(name, 1)[0], 1e-5);
        fedc_value_release(w);
        fedc_value_release(metrics);
    }
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}
