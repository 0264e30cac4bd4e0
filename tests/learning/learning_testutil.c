/* learning_testutil.c — see learning_testutil.h. */
#include "learning/learning_testutil.h"

#include <stdio.h>

fedc_client_data *ltest_clients(fedc_ctx *ctx, int nclients, int64_t d, int classes,
                                uint64_t seed) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < nclients; c++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", c);
        fedc_rng rng = FEDC_RNG(seed, (uint64_t)c, FEDC_RNG_PURPOSE_TEST);
        for (int k = 0; k < 3 + 2 * c; k++) {
            fedc_example_clear(ex);
            fedc_shape xs = FEDC_SHAPE(d), s0 = FEDC_SHAPE0;
            fedc_tensor *t;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            float *x = t->data;
            for (int64_t i = 0; i < d; i++)
                x[i] = (float)fedc_rng_uniform(&rng);
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = (int32_t)fedc_rng_below(&rng, classes);
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

fedc_learning_model *ltest_dense_model(fedc_ctx *ctx, int64_t d, int classes, uint64_t seed) {
    fedc_shape in = FEDC_SHAPE(d);
    fedc_layer_spec l = fedc_layer_dense(classes, FEDC_ACTIVATION_SOFTMAX);
    l.kernel_init = fedc_initializer_make(FEDC_INIT_GLOROT_UNIFORM);
    fedc_model_opts mo = fedc_model_opts_default();
    mo.seed = seed;
    fedc_model *m;
    ASSERT_OK(fedc_model_create(ctx, &in, &l, 1, &mo, &m));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_learning_model *lm;
    ASSERT_OK(fedc_learning_model_from_sequential(ctx, m, &loss, NULL, 0, NULL, &lm));
    return lm;
}

fedc_value *ltest_clients_value(fedc_ctx *ctx, const fedc_client_data *cd) {
    fedc_value *v;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &v));
    return v;
}
