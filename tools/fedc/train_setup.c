/* train_setup.c — data and models for `fedc train` and `fedc eval` from their options (see
 * train_common.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "train_common.h"

void train_run_free(train_run *r) {
    fedc_progress_destroy(r->progress);
    fedc_value_release(r->state);
    fedc_learning_process_destroy(r->process);
    fedc_learning_model_destroy(r->model);
    if (r->train != r->train_raw) fedc_client_data_destroy(r->train);
    if (r->test != r->test_raw) fedc_client_data_destroy(r->test);
    fedc_client_data_destroy(r->train_raw);
    fedc_client_data_destroy(r->test_raw);
    fedc_ctx_destroy(r->ctx);
}

int train_fail(train_run *r) {
    fprintf(stderr, "fedc %s: %s\n", r->cmd, fedc_ctx_message(r->ctx));
    return FEDC_EXIT_FAILURE;
}

static fedc_status preprocess_fn(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    const char *p = user;
    if (!strcmp(p, "shakespeare")) return fedc_dataset_shakespeare_preprocess(ctx, in, 80, out);
    return fedc_dataset_emnist_preprocess(ctx, in, !strcmp(p, "emnist-flat"), out);
}

/* PATH.sqlite[:SPLIT] or PATH.json, preprocessed. */
static fedc_status open_file_data(fedc_ctx *ctx, const char *spec, const char *prep,
                                  fedc_client_data **raw, fedc_client_data **out) {
    char path[4096];
    const char *colon = strrchr(spec, ':');
    size_t plen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (plen >= sizeof path)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "path too long: %s", spec);
    memcpy(path, spec, plen);
    path[plen] = 0;
    fedc_status st;
    if (plen > 5 && !strcmp(path + plen - 5, ".json")) {
        st = fedc_client_data_open_leaf(ctx, path, raw);
    } else {
        fedc_sqlite_opts so = fedc_sqlite_opts_default();
        so.split_name = colon ? colon + 1 : NULL;
        st = fedc_client_data_open_sqlite(ctx, path, &so, raw);
    }
    if (st < 0) return st;
    if (!strcmp(prep, "none")) {
        *out = *raw;
        return FEDC_STATUS_OK;
    }
    return fedc_client_data_preprocess(ctx, *raw, preprocess_fn, (void *)prep, out);
}

static const char *data_dir(void) {
    const char *d = getenv("FEDC_DATA_DIR");
    return d && *d ? d : "../shared/data";
}

int train_open_data(train_run *r, const train_flags *f, bool test_only) {
    const char *data = train_flag(f, "data") ? train_flag(f, "data") : "fashion-mnist";
    const char *prep = train_flag(f, "preprocess") ? train_flag(f, "preprocess") : "emnist";
    if (strcmp(prep, "emnist") && strcmp(prep, "emnist-flat") && strcmp(prep, "shakespeare") &&
        strcmp(prep, "none"))
        return train_usage(f, "unknown --preprocess '%s' (emnist, emnist-flat, shakespeare, none)",
                           prep);
    bool fashion = !strcmp(data, "fashion-mnist"), mnist = !strcmp(data, "mnist");
    if (fashion || mnist) {
        char img[4096], lab[4096], timg[4096], tlab[4096];
        const char *dir = fashion ? "/usr/share/datasets/fashion-mnist" : NULL;
        char mdir[4000];
        if (!dir) {
            snprintf(mdir, sizeof mdir, "%s/mnist", data_dir());
            dir = mdir;
        }
        snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
        snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);
        snprintf(timg, sizeof timg, "%s/t10k-images-idx3-ubyte.gz", dir);
        snprintf(tlab, sizeof tlab, "%s/t10k-labels-idx1-ubyte.gz", dir);
        fedc_partition_opts po = fedc_partition_opts_default();
        int64_t nc;
        double alpha, seed;
        const char *part = train_flag(f, "partition") ? train_flag(f, "partition") : "dirichlet";
        if (!train_flag_int(f, "num-clients", 100, 1, &nc) ||
            !train_flag_num(f, "alpha", 0.5, 1e-9, &alpha) ||
            !train_flag_num(f, "seed", 0, 0, &seed))
            return FEDC_EXIT_USAGE;
        if (!strcmp(part, "dirichlet"))
            po.kind = FEDC_PARTITION_DIRICHLET;
        else if (!strcmp(part, "iid"))
            po.kind = FEDC_PARTITION_IID;
        else if (!strcmp(part, "shards"))
            po.kind = FEDC_PARTITION_SHARDS;
        else
            return train_usage(f, "unknown --partition '%s' (dirichlet, iid, shards)", part);
        po.num_clients = nc;
        po.alpha = alpha;
        po.seed = (uint64_t)seed;
        fedc_partition_stats stats;
        if (!test_only &&
            fedc_client_data_from_idx(r->ctx, img, lab, &po, &stats, &r->train_raw) < 0) {
            fprintf(stderr, "fedc %s: %s%s\n", r->cmd, fedc_ctx_message(r->ctx),
                    fashion ? " (Fashion-MNIST comes with Debian's dataset-fashion-mnist: "
                              "sudo apt-get install dataset-fashion-mnist)"
                            : "");
            return FEDC_EXIT_FAILURE;
        }
        if (!test_only) {
            char line[256];
            fedc_partition_stats_format(&stats, line, sizeof line);
            printf("data: %s, %s partition: %s\n", data, part, line);
            fedc_partition_stats_free(&stats);
        }
        fedc_partition_opts to = fedc_partition_opts_default();
        to.num_clients = 10; /* evaluation spreads over the executor's threads */
        if (!train_flag(f, "test") &&
            fedc_client_data_from_idx(r->ctx, timg, tlab, &to, NULL, &r->test_raw) < 0)
            return train_fail(r);
        r->train = r->train_raw;
        r->test = r->test_raw;
    } else if (test_only) { /* the data to evaluate on */
        if (open_file_data(r->ctx, data, prep, &r->test_raw, &r->test) < 0) return train_fail(r);
        return -1;
    } else {
        if (open_file_data(r->ctx, data, prep, &r->train_raw, &r->train) < 0) return train_fail(r);
        printf("data: %s, %lld clients\n", data, (long long)fedc_client_data_num_clients(r->train));
    }
    const char *test = train_flag(f, "test");
    if (test && open_file_data(r->ctx, test, prep, &r->test_raw, &r->test) < 0)
        return train_fail(r);
    return -1;
}

int train_make_model(train_run *r, const train_flags *f) {
    const char *name = train_flag(f, "model") ? train_flag(f, "model") : "small_cnn";
    int64_t classes;
    double seedd;
    if (!train_flag_int(f, "classes", 10, 2, &classes) || !train_flag_num(f, "seed", 0, 0, &seedd))
        return FEDC_EXIT_USAGE;
    uint64_t seed = (uint64_t)seedd;
    fedc_model *m = NULL;
    fedc_status st;
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    if (!strcmp(name, "small_cnn"))
        st = fedc_zoo_small_cnn(r->ctx, classes, seed, &m);
    else if (!strcmp(name, "cnn"))
        st = fedc_zoo_mnist_cnn(r->ctx, seed, &m);
    else if (!strcmp(name, "emnist_cnn"))
        st = fedc_zoo_emnist_cnn(r->ctx, classes, seed, &m);
    else if (!strcmp(name, "2nn"))
        st = fedc_zoo_mnist_2nn(r->ctx, seed, &m);
    else if (!strcmp(name, "seed"))
        st = fedc_zoo_seed_model(r->ctx, seed, &m);
    else if (!strcmp(name, "shakespeare_lstm")) {
        st = fedc_zoo_shakespeare_lstm(r->ctx, 90, 80, seed, &m);
        loss.from_logits = true;
    } else if (strstr(name, ".json")) {
        fedc_model_opts mo = fedc_model_opts_default();
        mo.seed = seed;
        st = fedc_model_load_keras_json(r->ctx, name, &mo, &m);
    } else {
        return train_usage(f,
                           "unknown --model '%s' (small_cnn, cnn, emnist_cnn, 2nn, seed, "
                           "shakespeare_lstm, or a Keras JSON file)",
                           name);
    }
    if (st >= 0)
        st = fedc_learning_model_from_sequential(r->ctx, m, &loss, NULL, 0, NULL, &r->model);
    if (st < 0) return train_fail(r);
    if (!r->quiet)
        printf("model: %s, %lld weights\n", name,
               (long long)fedc_learning_model_num_trainable(r->model));
    return -1;
}
