/* seed.c — TFF's landing-page example in C: FedAvg on 3 clients of EMNIST, a zero-initialized
 * Dense 784 -> 10 softmax model, each client's data repeated 10 times in batches of 20, client
 * SGD with learning rate 0.1, 5 rounds, printing the training loss of each round.
 *
 *   make examples && build/examples/seed [FILE.sqlite]
 *
 * FILE defaults to ../shared/data/tff-sqlite/emnist_sample.sqlite ($FEDC_DATA_DIR/... when set);
 * any TFF EMNIST file works (TFF's fed_emnist_digitsonly.sqlite, split "train").
 */
#include <stdio.h>
#include <stdlib.h>

#include "fedc/fedc.h"

static fedc_status to_784_floats(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    (void)user;
    return fedc_dataset_emnist_preprocess(ctx, in, true, out);
}

static int check(fedc_ctx *ctx, fedc_status st) {
    if (st < 0) {
        fprintf(stderr, "seed: %s\n", fedc_ctx_message(ctx));
        exit(1);
    }
    return 0;
}

int main(int argc, char **argv) {
    char path[4096];
    const char *dir = getenv("FEDC_DATA_DIR");
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite",
             dir && *dir ? dir : "../shared/data");
    const char *file = argc > 1 ? argv[1] : path;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return 1;

    /* emnist_train: the file's training split, examples as <x=float32[784], y=int32> */
    fedc_sqlite_opts so = fedc_sqlite_opts_default();
    so.split_name = argc > 2 ? argv[2] : "digits_only_train";
    fedc_client_data *raw, *emnist_train;
    check(ctx, fedc_client_data_open_sqlite(ctx, file, &so, &raw));
    check(ctx, fedc_client_data_preprocess(ctx, raw, to_784_floats, NULL, &emnist_train));

    /* train_data: the first 3 clients */
    int64_t first3[3] = {0, 1, 2};
    fedc_client_data *three;
    check(ctx, fedc_client_data_subset(ctx, emnist_train, first3, 3, &three));
    fedc_value *train_data;
    check(ctx, fedc_value_clients_sequences(ctx, three, &train_data));

    /* model_fn: Dense(10, kernel_initializer='zeros') + softmax, sparse cross-entropy */
    fedc_model *keras_model;
    check(ctx, fedc_zoo_seed_model(ctx, 0, &keras_model));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_learning_model *model;
    check(ctx, fedc_learning_model_from_sequential(ctx, keras_model, &loss, NULL, 0, NULL, &model));

    /* build_weighted_fed_avg(model_fn, client_optimizer_fn=lambda: SGD(0.1)); repeat(10).batch(20)
     */
    fedc_process_opts opts = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    opts.client.optimizer.learning_rate = 0.1;
    opts.client.epochs = 10;
    opts.client.batch_size = 20;
    fedc_learning_process *trainer;
    check(ctx, fedc_learning_process_create(ctx, model, &opts, &trainer));

    fedc_value *state;
    check(ctx, fedc_learning_process_initialize(ctx, trainer, &state));
    for (int round = 0; round < 5; round++) {
        fedc_value *next_state, *metrics;
        check(ctx, fedc_learning_process_next(ctx, trainer, state, train_data, NULL, &next_state,
                                              &metrics));
        double train_loss;
        check(ctx, fedc_metrics_get(ctx, metrics, "client_work/train/loss", &train_loss));
        printf("%.6f\n", train_loss);
        fedc_value_release(state);
        fedc_value_release(metrics);
        state = next_state;
    }

    fedc_value_release(state);
    fedc_value_release(train_data);
    fedc_learning_process_destroy(trainer);
    fedc_learning_model_destroy(model);
    fedc_client_data_destroy(three);
    fedc_client_data_destroy(emnist_train);
    fedc_client_data_destroy(raw);
    fedc_ctx_destroy(ctx);
    return 0;
}
