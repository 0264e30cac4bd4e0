/* cmd_eval.c — `fedc eval`: a saved model (architecture by zoo name or Keras JSON, weights as
 * safetensors) evaluated on client data or a built-in test set, through federated evaluation.
 * Binds the command line to the public API only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "train_common.h"

static const char *const k_help =
    "usage: fedc eval --weights FILE.safetensors [--model M] [--data D] [--NAME VALUE]...\n"
    "\n"
    "Evaluates a model on every client of the data and prints the loss, accuracy and number of\n"
    "examples. The options are fedc train's:\n"
    "  --weights FILE        the model's weights (fedc train --save-model writes them)\n"
    "  --model M             its architecture: small_cnn (default), cnn, emnist_cnn, 2nn, seed,\n"
    "                        shakespeare_lstm, or a Keras JSON file\n"
    "  --classes N           output classes of zoo models (10)\n"
    "  --data D              fashion-mnist (default: its 10,000 test images), mnist (its test\n"
    "                        set), or PATH.sqlite[:SPLIT] / PATH.json: every client of it\n"
    "  --preprocess P        for files: emnist (default), emnist-flat, shakespeare, none\n"
    "  --batch-size N        (500)\n"
    "  --threads N           (0: one per core); results do not depend on it\n"
    "  --config FILE         NAME = VALUE lines with these names\n"
    "\n"
    "example:\n"
    "  fedc train --rounds 5 --save-model /tmp/model.safetensors && \\\n"
    "      fedc eval --weights /tmp/model.safetensors\n";

static const char *const k_known[] = {
    "weights",    "model",   "classes", "data",   "preprocess",
    "batch-size", "threads", "seed",    "config", NULL,
};

int fedc_cmd_eval(int argc, char **argv) {
    train_flags f = {.cmd = "eval", .known = k_known};
    bool help = false;
    int rc = train_flags_parse(argc, argv, &f, &help);
    if (help) {
        fputs(k_help, stdout);
        train_flags_free(&f);
        return FEDC_EXIT_OK;
    }
    if (rc >= 0) {
        train_flags_free(&f);
        return rc;
    }
    train_run r = {.cmd = "eval"};
    if (fedc_ctx_create(&r.ctx) < 0) {
        train_flags_free(&f);
        return FEDC_EXIT_FAILURE;
    }
    int64_t batch, threads;
    const char *weights = train_flag(&f, "weights");
    if (!weights) rc = train_usage(&f, "%s", "--weights FILE is needed");
    if (rc < 0 && (!train_flag_int(&f, "batch-size", 500, 1, &batch) ||
                   !train_flag_int(&f, "threads", 0, 0, &threads)))
        rc = FEDC_EXIT_USAGE;
    if (rc < 0) rc = train_make_model(&r, &f);
    if (rc < 0 &&
        fedc_model_load_safetensors(r.ctx, fedc_learning_model_sequential(r.model), weights) < 0)
        rc = train_fail(&r);
    if (rc < 0) rc = train_open_data(&r, &f, true);
    fedc_pool *pool = NULL;
    fedc_value *clients = NULL, *metrics = NULL, *next_state = NULL;
    const char **ids = NULL;
    if (rc < 0) {
        fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_EVAL);
        o.client.batch_size = batch;
        fedc_exec_opts e = fedc_exec_opts_default();
        if (fedc_learning_process_create(r.ctx, r.model, &o, &r.process) < 0 ||
            fedc_learning_process_initialize(r.ctx, r.process, &r.state) < 0 ||
            fedc_value_clients_sequences(r.ctx, r.test, &clients) < 0 ||
            fedc_client_data_id_array(r.ctx, r.test, &ids) < 0 ||
            (threads != 1 && fedc_pool_create(r.ctx, (int)threads, &pool) < 0)) {
            rc = train_fail(&r);
        } else {
            e.pool = pool;
            e.client_ids = ids;
            if (fedc_learning_process_next(r.ctx, r.process, r.state, clients, &e, &next_state,
                                           &metrics) < 0)
                rc = train_fail(&r);
        }
    }
    if (rc < 0) {
        static const char *const names[] = {"loss", "sparse_categorical_accuracy", "num_examples"};
        printf("evaluated %lld clients\n", (long long)fedc_client_data_num_clients(r.test));
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char path[96];
            double v;
            snprintf(path, sizeof path, "client_work/eval/%s", names[i]);
            if (fedc_metrics_get(r.ctx, metrics, path, &v) >= 0) printf("%s: %.6g\n", names[i], v);
        }
        rc = FEDC_EXIT_OK;
    }
    fedc_free(ids);
    fedc_value_release(clients);
    fedc_value_release(metrics);
    fedc_value_release(next_state);
    fedc_pool_destroy(pool);
    train_flags_free(&f);
    train_run_free(&r);
    return rc;
}
