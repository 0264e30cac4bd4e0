/* cmd_train.c — `fedc train`: federated training from the command line or a config file. It
 * binds flags to the public API (data, nn zoo, learning processes, the training loop) and prints
 * progress; it must not train anything itself.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "fedc/fedc.h"
#include "fedc/learning_train.h"

static const char *const k_help =
    "usage: fedc train [--config FILE] [--NAME VALUE]...\n"
    "\n"
    "Trains a model with federated learning and prints the loss and accuracy round by round.\n"
    "With no options: Fashion-MNIST (Debian's dataset-fashion-mnist) split across 100 clients\n"
    "by Dirichlet(0.5) over labels, a small CNN, FedAvg with 10 clients per round, evaluated\n"
    "on the 10,000 test images.\n"
    "\n"
    "data\n"
    "  --data D              fashion-mnist (default), mnist (FEDC_DATA_DIR or ../shared/data),\n"
    "                        or a file: PATH.sqlite[:SPLIT] (TFF schema), PATH.json (LEAF)\n"
    "  --test D              held-out data to evaluate on (built-in data: its test set)\n"
    "  --preprocess P        for files: emnist (default), emnist-flat, shakespeare, none\n"
    "  --num-clients N       built-in data: clients to partition into (100)\n"
    "  --partition P         built-in data: dirichlet (default), iid, shards\n"
    "  --alpha A             Dirichlet concentration (0.5)\n"
    "model\n"
    "  --model M             small_cnn (default), cnn (McMahan et al.), emnist_cnn, 2nn, seed,\n"
    "                        shakespeare_lstm, or a Keras JSON file (model.to_json())\n"
    "  --classes N           output classes of zoo models (10)\n"
    "algorithm\n"
    "  --algorithm A         fedavg (default), fedsgd, fedprox, fedadam, fedyogi, fedadagrad,\n"
    "                        fedavgm\n"
    "  --rounds N            (30)\n"
    "  --clients-per-round N (10)\n"
    "  --epochs N            local epochs (1)\n"
    "  --batch-size N        (20)\n"
    "  --client-optimizer O  sgd (default), adam, adagrad, rmsprop, yogi, adamw\n"
    "  --client-lr LR        (0.05)\n"
    "  --server-lr LR        (1.0 for fedavg and fedprox, 0.1 fedsgd, 0.01 fedadam/fedyogi,\n"
    "                        0.1 fedadagrad, 1.0 fedavgm)\n"
    "  --server-momentum M   fedavgm's momentum (0.9)\n"
    "  --mu MU               fedprox's proximal strength (0.01)\n"
    "  --shuffle-buffer N    client data shuffle buffer (100; 0: in order)\n"
    "  --uniform-weighting   weight clients equally instead of by examples\n"
    "  --clip NORM           clip each client update to this L2 norm\n"
    "  --zeroing NORM        zero client updates whose L2 norm exceeds NORM\n"
    "run\n"
    "  --seed S              sampling, shuffling, dropout and initialization (0)\n"
    "  --threads N           executor threads (0: one per core, default)\n"
    "  --eval-every K        evaluate every K rounds and after the last (5; 0: last only)\n"
    "  --save-model FILE     write the final weights as safetensors\n"
    "  --print-computation   print the process's next computation and exit\n"
    "  --config FILE         read NAME = VALUE lines (the flag names without --; # comments);\n"
    "                        flags on the command line win\n"
    "\n"
    "examples:\n"
    "  fedc train                                   # Fashion-MNIST, ~1-3 minutes on 2 cores\n"
    "  fedc train --rounds 5 --model 2nn --algorithm fedadam --client-lr 0.02\n"
    "  fedc train --data ../shared/data/tff-sqlite/emnist_sample.sqlite:digits_only_train \\\n"
    "      --test ../shared/data/tff-sqlite/emnist_sample.sqlite:digits_only_test \\\n"
    "      --model seed --preprocess emnist-flat --epochs 10 --client-lr 0.1\n";

/* Every option by name, as a string (NULL: not given). Flags and the config file fill it. */
typedef struct train_flags {
    const char *names[48];
    char *values[48];
    int n;
} train_flags;

static const char *const k_known[] = {
    "data",
    "test",
    "preprocess",
    "num-clients",
    "partition",
    "alpha",
    "model",
    "classes",
    "algorithm",
    "rounds",
    "clients-per-round",
    "epochs",
    "batch-size",
    "client-optimizer",
    "client-lr",
    "server-lr",
    "server-momentum",
    "mu",
    "shuffle-buffer",
    "uniform-weighting",
    "clip",
    "zeroing",
    "seed",
    "threads",
    "eval-every",
    "save-model",
    "print-computation",
    "config",
};

static bool is_switch(const char *name) {
    return !strcmp(name, "uniform-weighting") || !strcmp(name, "print-computation");
}

static bool known(const char *name) {
    for (size_t i = 0; i < sizeof k_known / sizeof k_known[0]; i++)
        if (!strcmp(k_known[i], name)) return true;
    return false;
}

static const char *get(const train_flags *f, const char *name) {
    for (int i = f->n - 1; i >= 0; i--)
        if (!strcmp(f->names[i], name)) return f->values[i];
    return NULL;
}

static int usage(const char *fmt, const char *what) {
    fprintf(stderr, "fedc train: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see 'fedc train --help')\n");
    return FEDC_EXIT_USAGE;
}

static int set(train_flags *f, const char *name, const char *value) {
    if (!known(name)) return usage("unknown option '%s'", name);
    if (f->n == (int)(sizeof f->names / sizeof f->names[0])) return usage("%s", "too many options");
    char *v = strdup(value);
    if (!v) return usage("%s", "out of memory");
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name)) {
            free(f->values[i]);
            f->values[i] = v;
            return -1;
        }
    f->names[f->n] = name;
    f->values[f->n++] = v;
    return -1;
}

static void flags_free(train_flags *f) {
    for (int i = 0; i < f->n; i++)
        free(f->values[i]);
}

/* NAME = VALUE lines; options already set on the command line are kept. */
static int read_config(train_flags *f, const char *path) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "fedc train: %s: %s\n", path, strerror(errno));
        return FEDC_EXIT_USAGE;
    }
    char line[1024];
    int lineno = 0, rc = -1;
    while (rc < 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
            s[--len] = 0;
        if (!len) continue;
        char *eq = strchr(s, '=');
        char *name_end = eq ? eq : s + len;
        while (name_end > s && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        *name_end = 0;
        const char *value = eq ? eq + 1 : "1";
        while (*value == ' ' || *value == '\t')
            value++;
        const char *name = NULL;
        for (size_t i = 0; i < sizeof k_known / sizeof k_known[0]; i++)
            if (!strcmp(k_known[i], s)) name = k_known[i];
        if (!name || !strcmp(name, "config")) {
            fprintf(stderr, "fedc train: %s:%d: unknown option '%s'\n", path, lineno, s);
            rc = FEDC_EXIT_USAGE;
        } else if (!eq && !is_switch(name)) {
            fprintf(stderr, "fedc train: %s:%d: '%s' needs '= VALUE'\n", path, lineno, s);
            rc = FEDC_EXIT_USAGE;
        } else if (!get(f, name)) {
            rc = set(f, name, value);
        }
    }
    fclose(fp);
    return rc;
}

static int parse_flags(int argc, char **argv, train_flags *f, bool *help) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return FEDC_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) return usage("unexpected argument '%s'", a);
        const char *name = NULL;
        for (size_t k = 0; k < sizeof k_known / sizeof k_known[0]; k++)
            if (!strcmp(k_known[k], a + 2)) name = k_known[k];
        if (!name) return usage("unknown option '%s'", a);
        int rc;
        if (is_switch(name)) {
            rc = set(f, name, "1");
        } else {
            if (i + 1 >= argc) return usage("%s needs a value", a);
            rc = set(f, name, argv[++i]);
        }
        if (rc >= 0) return rc;
    }
    const char *config = get(f, "config");
    return config ? read_config(f, config) : -1;
}

/* Numbers with their ranges; errors name the option. */
static bool num(const train_flags *f, const char *name, double def, double lo, double *out) {
    const char *v = get(f, name);
    *out = def;
    if (!v) return true;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo) || !isfinite(x)) {
        fprintf(stderr, "fedc train: --%s wants a number >= %g, got '%s'\n", name, lo, v);
        return false;
    }
    *out = x;
    return true;
}

static bool integer(const train_flags *f, const char *name, long long def, long long lo,
                    int64_t *out) {
    double x;
    if (!num(f, name, (double)def, (double)lo, &x)) return false;
    if (x != floor(x) || x > 9e15) {
        fprintf(stderr, "fedc train: --%s wants an integer, got '%s'\n", name, get(f, name));
        return false;
    }
    *out = (int64_t)x;
    return true;
}

/* Everything a run holds, freed together. */
typedef struct train_run {
    fedc_ctx *ctx;
    fedc_client_data *train_raw, *test_raw, *train, *test;
    fedc_learning_model *model;
    fedc_learning_process *process;
    fedc_value *state;
    bool tty;
} train_run;

static void run_free(train_run *r) {
    fedc_value_release(r->state);
    fedc_learning_process_destroy(r->process);
    fedc_learning_model_destroy(r->model);
    if (r->train != r->train_raw) fedc_client_data_destroy(r->train);
    if (r->test != r->test_raw) fedc_client_data_destroy(r->test);
    fedc_client_data_destroy(r->train_raw);
    fedc_client_data_destroy(r->test_raw);
    fedc_ctx_destroy(r->ctx);
}

static int fail(train_run *r) {
    fprintf(stderr, "fedc train: %s\n", fedc_ctx_message(r->ctx));
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

static int open_data(train_run *r, const train_flags *f) {
    const char *data = get(f, "data") ? get(f, "data") : "fashion-mnist";
    const char *prep = get(f, "preprocess") ? get(f, "preprocess") : "emnist";
    if (strcmp(prep, "emnist") && strcmp(prep, "emnist-flat") && strcmp(prep, "shakespeare") &&
        strcmp(prep, "none"))
        return usage("unknown --preprocess '%s' (emnist, emnist-flat, shakespeare, none)", prep);
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
        const char *part = get(f, "partition") ? get(f, "partition") : "dirichlet";
        if (!integer(f, "num-clients", 100, 1, &nc) || !num(f, "alpha", 0.5, 1e-9, &alpha) ||
            !num(f, "seed", 0, 0, &seed))
            return FEDC_EXIT_USAGE;
        if (!strcmp(part, "dirichlet"))
            po.kind = FEDC_PARTITION_DIRICHLET;
        else if (!strcmp(part, "iid"))
            po.kind = FEDC_PARTITION_IID;
        else if (!strcmp(part, "shards"))
            po.kind = FEDC_PARTITION_SHARDS;
        else
            return usage("unknown --partition '%s' (dirichlet, iid, shards)", part);
        po.num_clients = nc;
        po.alpha = alpha;
        po.seed = (uint64_t)seed;
        fedc_partition_stats stats;
        if (fedc_client_data_from_idx(r->ctx, img, lab, &po, &stats, &r->train_raw) < 0) {
            fprintf(stderr, "fedc train: %s%s\n", fedc_ctx_message(r->ctx),
                    fashion ? " (Fashion-MNIST comes with Debian's dataset-fashion-mnist: "
                              "sudo apt-get install dataset-fashion-mnist)"
                            : "");
            return FEDC_EXIT_FAILURE;
        }
        char line[256];
        fedc_partition_stats_format(&stats, line, sizeof line);
        printf("data: %s, %s partition: %s\n", data, part, line);
        fedc_partition_stats_free(&stats);
        fedc_partition_opts to = fedc_partition_opts_default();
        to.num_clients = 10; /* evaluation spreads over the executor's threads */
        if (!get(f, "test") &&
            fedc_client_data_from_idx(r->ctx, timg, tlab, &to, NULL, &r->test_raw) < 0)
            return fail(r);
        r->train = r->train_raw;
        r->test = r->test_raw;
    } else {
        if (open_file_data(r->ctx, data, prep, &r->train_raw, &r->train) < 0) return fail(r);
        printf("data: %s, %lld clients\n", data, (long long)fedc_client_data_num_clients(r->train));
    }
    const char *test = get(f, "test");
    if (test && open_file_data(r->ctx, test, prep, &r->test_raw, &r->test) < 0) return fail(r);
    return -1;
}

static int make_model(train_run *r, const train_flags *f) {
    const char *name = get(f, "model") ? get(f, "model") : "small_cnn";
    int64_t classes;
    double seedd;
    if (!integer(f, "classes", 10, 2, &classes) || !num(f, "seed", 0, 0, &seedd))
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
        return usage("unknown --model '%s' (small_cnn, cnn, emnist_cnn, 2nn, seed, "
                     "shakespeare_lstm, or a Keras JSON file)",
                     name);
    }
    if (st >= 0)
        st = fedc_learning_model_from_sequential(r->ctx, m, &loss, NULL, 0, NULL, &r->model);
    if (st < 0) return fail(r);
    printf("model: %s, %lld weights\n", name,
           (long long)fedc_learning_model_num_trainable(r->model));
    return -1;
}

static bool parse_optimizer(const char *name, fedc_optimizer_kind *out) {
    return fedc_optimizer_kind_parse(name, out);
}

static int make_process(train_run *r, const train_flags *f) {
    const char *alg = get(f, "algorithm") ? get(f, "algorithm") : "fedavg";
    fedc_algorithm a = FEDC_ALGORITHM_FED_AVG;
    fedc_optimizer_kind server = FEDC_OPTIMIZER_SGD;
    double server_lr = 1.0;
    if (!strcmp(alg, "fedsgd"))
        a = FEDC_ALGORITHM_FED_SGD, server_lr = 0.1;
    else if (!strcmp(alg, "fedprox"))
        a = FEDC_ALGORITHM_FED_PROX;
    else if (!strcmp(alg, "fedadam"))
        server = FEDC_OPTIMIZER_ADAM, server_lr = 0.01;
    else if (!strcmp(alg, "fedyogi"))
        server = FEDC_OPTIMIZER_YOGI, server_lr = 0.01;
    else if (!strcmp(alg, "fedadagrad"))
        server = FEDC_OPTIMIZER_ADAGRAD, server_lr = 0.1;
    else if (strcmp(alg, "fedavg") && strcmp(alg, "fedavgm"))
        return usage("unknown --algorithm '%s' (fedavg, fedsgd, fedprox, fedadam, fedyogi, "
                     "fedadagrad, fedavgm)",
                     alg);
    fedc_process_opts o = fedc_process_opts_default(a);
    int64_t epochs, batch, shuffle;
    double client_lr, slr, momentum, mu, clip, zeroing, seed;
    if (!integer(f, "epochs", 1, 1, &epochs) || !integer(f, "batch-size", 20, 1, &batch) ||
        !integer(f, "shuffle-buffer", 100, 0, &shuffle) ||
        !num(f, "client-lr", 0.05, 0, &client_lr) || !num(f, "server-lr", server_lr, 0, &slr) ||
        !num(f, "server-momentum", 0.9, 0, &momentum) || !num(f, "mu", 0.01, 0, &mu) ||
        !num(f, "clip", 0, 0, &clip) || !num(f, "zeroing", 0, 0, &zeroing) ||
        !num(f, "seed", 0, 0, &seed))
        return FEDC_EXIT_USAGE;
    const char *copt = get(f, "client-optimizer") ? get(f, "client-optimizer") : "sgd";
    fedc_optimizer_kind ck;
    if (!parse_optimizer(copt, &ck))
        return usage("unknown --client-optimizer '%s' (sgd, adam, adamw, adagrad, rmsprop, yogi)",
                     copt);
    o.client.optimizer = fedc_optimizer_opts_default(ck);
    o.client.optimizer.learning_rate = client_lr;
    o.client.epochs = epochs;
    o.client.batch_size = batch;
    o.client.shuffle_buffer = shuffle;
    o.client.seed = (uint64_t)seed;
    o.client.proximal_strength = a == FEDC_ALGORITHM_FED_PROX ? mu : 0;
    if (get(f, "uniform-weighting")) {
        o.client.weighting = FEDC_CLIENT_WEIGHTING_UNIFORM;
        o.aggregator.unweighted = true;
    }
    o.server_optimizer = fedc_optimizer_opts_default(server);
    o.server_optimizer.learning_rate = slr;
    if (!strcmp(alg, "fedavgm")) o.server_optimizer.momentum = momentum;
    static fedc_aggregator zero_agg, mean_agg;
    mean_agg = o.aggregator;
    const fedc_aggregator *inner = &mean_agg;
    if (zeroing > 0) {
        zero_agg = (fedc_aggregator){FEDC_AGGREGATOR_ZEROING, false, zeroing, inner};
        inner = &zero_agg;
    }
    if (clip > 0)
        o.aggregator = (fedc_aggregator){FEDC_AGGREGATOR_CLIPPING, false, clip, inner};
    else
        o.aggregator = *inner;
    if (fedc_learning_process_create(r->ctx, r->model, &o, &r->process) < 0) return fail(r);
    return -1;
}

static void print_value(double v, const char *fmt) {
    if (isnan(v))
        printf("      -");
    else
        printf(fmt, v);
}

static fedc_status on_round(fedc_ctx *ctx, void *user, const fedc_round_report *rep) {
    (void)ctx;
    train_run *r = user;
    if (r->tty) printf("\r\033[K");
    printf("round %4lld/%lld  clients %3lld  train loss ", (long long)rep->round,
           (long long)rep->rounds, (long long)rep->clients);
    print_value(rep->train_loss, "%7.4f");
    printf("  acc ");
    print_value(rep->train_accuracy, "%6.4f");
    printf("  |  test loss ");
    print_value(rep->eval_loss, "%7.4f");
    printf("  acc ");
    print_value(rep->eval_accuracy, "%6.4f");
    double rate = rep->elapsed > 0 ? (double)rep->round / rep->elapsed : 0;
    printf("  %5.2fs/round", rep->seconds);
    if (rep->non_finite) printf("  (update not finite: kept the model)");
    printf("\n");
    (void)rate;
    fflush(stdout);
    return FEDC_STATUS_OK;
}

int fedc_cmd_train(int argc, char **argv) {
    train_flags f = {0};
    bool help = false;
    int rc = parse_flags(argc, argv, &f, &help);
    if (help) {
        fputs(k_help, stdout);
        flags_free(&f);
        return FEDC_EXIT_OK;
    }
    if (rc >= 0) {
        flags_free(&f);
        return rc;
    }
    train_run r = {0};
    if (fedc_ctx_create(&r.ctx) < 0) {
        flags_free(&f);
        fprintf(stderr, "fedc train: out of memory\n");
        return FEDC_EXIT_FAILURE;
    }
    r.tty = isatty(STDOUT_FILENO);
    int64_t rounds, per_round, threads, eval_every;
    double seed;
    rc = -1;
    if (!integer(&f, "rounds", 30, 0, &rounds) ||
        !integer(&f, "clients-per-round", 10, 1, &per_round) ||
        !integer(&f, "threads", 0, 0, &threads) || !integer(&f, "eval-every", 5, 0, &eval_every) ||
        !num(&f, "seed", 0, 0, &seed))
        rc = FEDC_EXIT_USAGE;
    bool print_only = get(&f, "print-computation") != NULL;
    if (rc < 0 && !print_only) rc = open_data(&r, &f);
    if (rc < 0) rc = make_model(&r, &f);
    if (rc < 0) rc = make_process(&r, &f);
    if (rc < 0 && print_only) {
        char *text;
        if (fedc_comp_print(r.ctx, fedc_learning_process_module(r.process), &text) < 0) {
            rc = fail(&r);
        } else {
            fputs(text, stdout);
            fedc_free(text);
            rc = FEDC_EXIT_OK;
        }
    }
    if (rc < 0 && fedc_learning_process_initialize(r.ctx, r.process, &r.state) < 0) rc = fail(&r);
    if (rc < 0) {
        fedc_train_opts to = fedc_train_opts_default();
        to.rounds = rounds;
        to.sampling.cohort_size = per_round;
        if (per_round > fedc_client_data_num_clients(r.train))
            to.sampling.cohort_size = fedc_client_data_num_clients(r.train);
        to.sampling.seed = (uint64_t)seed;
        to.threads = (int)threads;
        to.eval_every = eval_every;
        to.on_round = on_round;
        to.user = &r;
        printf("training: %lld rounds, %lld clients per round, %d threads\n", (long long)rounds,
               (long long)to.sampling.cohort_size,
               threads ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN));
        if (fedc_train_run(r.ctx, r.process, &r.state, r.train, r.test, &to) < 0) rc = fail(&r);
    }
    const char *save = get(&f, "save-model");
    if (rc < 0 && save) {
        fedc_value *w = NULL;
        if (fedc_learning_process_get_model_weights(r.ctx, r.process, r.state, &w) < 0 ||
            fedc_learning_model_set_weights(r.ctx, r.model, w) < 0 ||
            fedc_model_save_safetensors(r.ctx, fedc_learning_model_sequential(r.model), save) < 0)
            rc = fail(&r);
        else
            printf("saved the model's weights to %s\n", save);
        fedc_value_release(w);
    }
    flags_free(&f);
    run_free(&r);
    return rc < 0 ? FEDC_EXIT_OK : rc;
}
