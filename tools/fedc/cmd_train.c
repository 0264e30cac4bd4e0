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
#include "train_common.h"

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
    "                        fedavgm, mimelite, scaffold\n"
    "  --rounds N            (30)\n"
    "  --clients-per-round N (10)\n"
    "  --epochs N            local epochs (2)\n"
    "  --batch-size N        (20)\n"
    "  --client-optimizer O  sgd (default), adam, adagrad, rmsprop, yogi, adamw\n"
    "  --client-lr LR        (0.1)\n"
    "  --server-lr LR        (1.0 for fedavg and fedprox, 0.1 fedsgd, 0.01 fedadam/fedyogi,\n"
    "                        0.1 fedadagrad, 1.0 fedavgm)\n"
    "  --server-momentum M   fedavgm's momentum (0.9)\n"
    "  --mu MU               fedprox's proximal strength (0.01)\n"
    "  --shuffle-buffer N    client data shuffle buffer (100; 0: in order)\n"
    "  --max-batches N       stop each client's training after N batches (-1: no limit)\n"
    "  --uniform-weighting   weight clients equally instead of by examples\n"
    "  --aggregator A        mean (default); robust: zeroing and clipping at norms that follow\n"
    "                        quantiles of the update norms (tff.learning.robust_aggregator);\n"
    "                        dp: adaptive zeroing, then DP-FedAvg with an adaptive clip (needs\n"
    "                        --dp-noise-multiplier; tff.learning.dp_aggregator); compression:\n"
    "                        robust, then 8-bit quantization of updates of >= 20000 values;\n"
    "                        secure: robust's norms, then the mean as secure aggregation sums\n"
    "                        it (16-bit codes bounded by the clip norm, up to 1024 clients)\n"
    "  --clip NORM           clip each client update to this L2 norm\n"
    "  --clip-quantile Q     make --clip adaptive: it starts at NORM (default 1) and follows the\n"
    "                        Q quantile of the clients' update norms\n"
    "  --zeroing NORM        zero client updates whose L2 norm exceeds NORM\n"
    "  --dp-noise-multiplier Z  DP-FedAvg: clip to --clip, sum, add Gaussian noise Z * clip, and\n"
    "                        average over the clients per round; reports epsilon each round\n"
    "  --dp-delta D          the delta epsilon is reported at (1e-5)\n"
    "  --metrics-aggregation M  sum (default: sum the clients' metric states, then finalize);\n"
    "                        secure: the same sum with secure aggregation's modular arithmetic;\n"
    "                        sample: each client finalizes its own, a keyed uniform sample of\n"
    "                        --metrics-sample-size clients (100) is reported (metrics.jsonl holds\n"
    "                        scalars only, so the progress line shows no training metrics)\n"
    "  --overrides FILE      replace parts of the process (distributor, client_update,\n"
    "                        aggregate_*, finalizer, ...) with definitions in the text language\n"
    "                        (--print-computation shows the parts and their types)\n"
    "";

/* The rest of the help (one string literal would pass C's portable length). */
static const char *const k_help_run =
    "run\n"
    "  --seed S              sampling, shuffling, dropout and initialization (0)\n"
    "  --threads N           executor threads (0: one per core, default)\n"
    "  --eval-every K        evaluate every K rounds and after the last (5; 0: last only)\n"
    "  --save-model FILE     write the final weights as safetensors\n"
    "  --out DIR             write DIR/metrics.csv, DIR/metrics.jsonl, a TensorBoard events file\n"
    "                        (tensorboard --logdir DIR) and checkpoints; fedc report DIR plots it\n"
    "  --checkpoint-every K  a checkpoint every K rounds and after the last (0: none)\n"
    "  --keep-checkpoints N  keep the last N checkpoints (3)\n"
    "  --resume              continue from DIR's newest checkpoint (after a crash or kill -9);\n"
    "                        the final model is bit-identical to an uninterrupted run's\n"
    "  --print-computation   print the process's next computation and exit\n"
    "  --config FILE         read NAME = VALUE lines (the flag names without --; # comments);\n"
    "                        flags on the command line win\n"
    "\n"
    "examples:\n"
    "  fedc train                                   # Fashion-MNIST, ~1-3 minutes on 2 cores\n"
    "  fedc train --out runs/fm --checkpoint-every 5 && fedc report runs/fm\n"
    "  fedc train --rounds 5 --model 2nn --algorithm fedadam --client-lr 0.02\n"
    "  fedc train --data ../shared/data/tff-sqlite/emnist_sample.sqlite:digits_only_train \\\n"
    "      --test ../shared/data/tff-sqlite/emnist_sample.sqlite:digits_only_test \\\n"
    "      --model seed --preprocess emnist-flat --epochs 10 --client-lr 0.1\n";

/* The options `fedc train` takes (and its config file). */
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
    "max-batches",
    "uniform-weighting",
    "aggregator",
    "clip",
    "clip-quantile",
    "zeroing",
    "seed",
    "threads",
    "eval-every",
    "save-model",
    "out",
    "overrides",
    "dp-noise-multiplier",
    "dp-delta",
    "metrics-aggregation",
    "metrics-sample-size",
    "checkpoint-every",
    "keep-checkpoints",
    "resume",
    "print-computation",
    "config",
    NULL,
};

static int make_process(train_run *r, const train_flags *f) {
    const char *alg = train_flag(f, "algorithm") ? train_flag(f, "algorithm") : "fedavg";
    fedc_algorithm a = FEDC_ALGORITHM_FED_AVG;
    fedc_optimizer_kind server = FEDC_OPTIMIZER_SGD;
    double server_lr = 1.0;
    if (!strcmp(alg, "fedsgd"))
        a = FEDC_ALGORITHM_FED_SGD, server_lr = 0.1;
    else if (!strcmp(alg, "fedprox"))
        a = FEDC_ALGORITHM_FED_PROX;
    else if (!strcmp(alg, "mimelite"))
        a = FEDC_ALGORITHM_MIME_LITE;
    else if (!strcmp(alg, "scaffold"))
        a = FEDC_ALGORITHM_SCAFFOLD;
    else if (!strcmp(alg, "fedadam"))
        server = FEDC_OPTIMIZER_ADAM, server_lr = 0.01;
    else if (!strcmp(alg, "fedyogi"))
        server = FEDC_OPTIMIZER_YOGI, server_lr = 0.01;
    else if (!strcmp(alg, "fedadagrad"))
        server = FEDC_OPTIMIZER_ADAGRAD, server_lr = 0.1;
    else if (strcmp(alg, "fedavg") && strcmp(alg, "fedavgm"))
        return train_usage(f,
                           "unknown --algorithm '%s' (fedavg, fedsgd, fedprox, fedadam, fedyogi, "
                           "fedadagrad, fedavgm, mimelite, scaffold)",
                           alg);
    fedc_process_opts o = fedc_process_opts_default(a);
    int64_t epochs, batch, shuffle, max_batches;
    double client_lr, slr, momentum, mu, clip, zeroing, seed;
    if (!train_flag_int(f, "epochs", 2, 1, &epochs) ||
        !train_flag_int(f, "batch-size", 20, 1, &batch) ||
        !train_flag_int(f, "shuffle-buffer", 100, 0, &shuffle) ||
        !train_flag_int(f, "max-batches", -1, -1, &max_batches) ||
        !train_flag_num(f, "client-lr", 0.1, 0, &client_lr) ||
        !train_flag_num(f, "server-lr", server_lr, 0, &slr) ||
        !train_flag_num(f, "server-momentum", 0.9, 0, &momentum) ||
        !train_flag_num(f, "mu", 0.01, 0, &mu) || !train_flag_num(f, "clip", 0, 0, &clip) ||
        !train_flag_num(f, "zeroing", 0, 0, &zeroing) || !train_flag_num(f, "seed", 0, 0, &seed))
        return FEDC_EXIT_USAGE;
    const char *copt =
        train_flag(f, "client-optimizer") ? train_flag(f, "client-optimizer") : "sgd";
    fedc_optimizer_kind ck;
    if (!fedc_optimizer_kind_parse(copt, &ck))
        return train_usage(
            f, "unknown --client-optimizer '%s' (sgd, adam, adamw, adagrad, rmsprop, yogi)", copt);
    o.client.optimizer = fedc_optimizer_opts_default(ck);
    o.client.optimizer.learning_rate = client_lr;
    o.client.epochs = epochs;
    o.client.batch_size = batch;
    o.client.shuffle_buffer = shuffle;
    o.client.max_batches = max_batches;
    o.client.seed = (uint64_t)seed;
    o.client.proximal_strength = a == FEDC_ALGORITHM_FED_PROX ? mu : 0;
    if (train_flag(f, "uniform-weighting")) {
        o.client.weighting = FEDC_CLIENT_WEIGHTING_UNIFORM;
        o.aggregator.unweighted = true;
    }
    o.server_optimizer = fedc_optimizer_opts_default(server);
    o.server_optimizer.learning_rate = slr;
    if (!strcmp(alg, "fedavgm")) o.server_optimizer.momentum = momentum;
    double z, delta, quantile;
    int64_t per_round;
    if (!train_flag_num(f, "dp-noise-multiplier", -1, -1, &z) ||
        !train_flag_num(f, "dp-delta", 1e-5, 0, &delta) ||
        !train_flag_num(f, "clip-quantile", -1, -1, &quantile) ||
        !train_flag_int(f, "clients-per-round", 10, 1, &per_round))
        return FEDC_EXIT_USAGE;
    int64_t population = r->train ? fedc_client_data_num_clients(r->train) : per_round;
    if (per_round > population) per_round = population;
    if (a == FEDC_ALGORITHM_SCAFFOLD) /* c moves by |S| / N of the clients' mean delta */
        o.population = population;
    const char *preset = train_flag(f, "aggregator") ? train_flag(f, "aggregator") : "mean";
    bool weighted = !o.aggregator.unweighted;
    static fedc_aggregator_stages room;
    static fedc_aggregator zero_agg, mean_agg;
    if (strcmp(preset, "mean") && (clip > 0 || zeroing > 0 || quantile >= 0))
        return train_usage(f,
                           "--aggregator %s sets its own norms: drop --clip, --clip-quantile "
                           "and --zeroing",
                           preset);
    if (!strcmp(preset, "robust")) {
        o.aggregator = *fedc_aggregator_robust(&room, true, true, weighted);
    } else if (!strcmp(preset, "secure")) {
        if (per_round > 1024)
            return train_usage(f, "%s", "--aggregator secure sums at most 1024 clients a round");
        o.aggregator = *fedc_aggregator_secure(&room, true);
    } else if (!strcmp(preset, "compression")) {
        o.aggregator = *fedc_aggregator_compression(&room, true, true, weighted);
    } else if (!strcmp(preset, "dp")) {
        if (z < 0) return train_usage(f, "%s", "--aggregator dp needs --dp-noise-multiplier Z");
        o.aggregator = *fedc_aggregator_dp(&room, z, per_round, population, delta, true);
        room.stage[0].seed = (uint64_t)seed; /* the DP stage keys its noise */
    } else if (strcmp(preset, "mean")) {
        return train_usage(f, "unknown --aggregator '%s' (mean, robust, dp, compression, secure)",
                           preset);
    } else {
        if (quantile >= 0 && !(clip > 0)) clip = 1.0;
        mean_agg = o.aggregator;
        const fedc_aggregator *inner = &mean_agg;
        if (zeroing > 0) {
            zero_agg =
                (fedc_aggregator){.kind = FEDC_AGGREGATOR_ZEROING, .norm = zeroing, .inner = inner};
            inner = &zero_agg;
        }
        if (clip > 0 && quantile >= 0)
            o.aggregator = fedc_aggregator_adaptive_clipping(clip, quantile, 0.2, inner);
        else if (clip > 0)
            o.aggregator =
                (fedc_aggregator){.kind = FEDC_AGGREGATOR_CLIPPING, .norm = clip, .inner = inner};
        else
            o.aggregator = *inner;
        if (z >= 0) {
            if (!(clip > 0)) return train_usage(f, "%s", "--dp-noise-multiplier needs --clip NORM");
            fedc_norm_estimate e = o.aggregator.estimate;
            o.aggregator = fedc_aggregator_dp_gaussian(z, clip, per_round, population, delta);
            if (e.on) { /* adaptive DP clipping, with TFF's count noise */
                o.aggregator.estimate = e;
                o.aggregator.estimate.count_stddev = 0.05 * (double)per_round;
            }
            o.aggregator.seed = (uint64_t)seed;
        }
    }
    const char *magg = train_flag(f, "metrics-aggregation");
    int64_t sample_size;
    if (!train_flag_int(f, "metrics-sample-size", 100, 1, &sample_size)) return FEDC_EXIT_USAGE;
    if (magg && !strcmp(magg, "secure")) {
        o.metrics_aggregator.kind = FEDC_METRICS_SECURE_SUM_THEN_FINALIZE;
    } else if (magg && !strcmp(magg, "sample")) {
        o.metrics_aggregator.kind = FEDC_METRICS_FINALIZE_THEN_SAMPLE;
        o.metrics_aggregator.sample_size = sample_size;
        o.metrics_aggregator.seed = (uint64_t)seed;
    } else if (magg && strcmp(magg, "sum")) {
        return train_usage(f, "unknown --metrics-aggregation '%s' (sum, secure, sample)", magg);
    }
    char *overrides = NULL;
    const char *opath = train_flag(f, "overrides");
    size_t olen;
    if (opath && !(overrides = fedc_cmd_read_file("train", opath, &olen))) return FEDC_EXIT_FAILURE;
    o.overrides = overrides;
    fedc_status st = fedc_learning_process_create(r->ctx, r->model, &o, &r->process);
    free(overrides);
    if (st < 0) return train_fail(r);
    return -1;
}

static void print_value(double v, const char *fmt) {
    if (isnan(v))
        printf("      -");
    else
        printf(fmt, v);
}

/* Off a terminal, one line per round; on one, an updating progress line, with a lasting line
 * for each round that was evaluated. */
static fedc_status on_round(fedc_ctx *ctx, void *user, const fedc_round_report *rep) {
    train_run *r = user;
    bool evaluated = !isnan(rep->eval_accuracy);
    if (r->rounds_reported++ == 0 && rep->round > 1)
        printf("resumed from the checkpoint of round %lld\n", (long long)rep->round - 1);
    if (!r->progress || evaluated || rep->non_finite) {
        if (r->progress) printf("\r\033[K");
        printf("round %4lld/%lld  clients %3lld  train loss ", (long long)rep->round,
               (long long)rep->rounds, (long long)rep->clients);
        print_value(rep->train_loss, "%7.4f");
        printf("  acc ");
        print_value(rep->train_accuracy, "%6.4f");
        printf("  |  test loss ");
        print_value(rep->eval_loss, "%7.4f");
        printf("  acc ");
        print_value(rep->eval_accuracy, "%6.4f");
        printf("  %5.2fs/round", rep->seconds);
        double eps;
        if (rep->record && fedc_metrics_record_get(rep->record, "finalizer/dp_epsilon", &eps))
            printf("  epsilon %.3f", eps);
        if (rep->non_finite) printf("  (update not finite: kept the model)");
        printf("\n");
        fflush(stdout);
    }
    return r->progress ? fedc_progress_update(ctx, r->progress, rep->record) : FEDC_STATUS_OK;
}

int fedc_cmd_train(int argc, char **argv) {
    train_flags f = {.cmd = "train", .known = k_known};
    bool help = false;
    int rc = train_flags_parse(argc, argv, &f, &help);
    if (help) {
        fputs(k_help, stdout);
        fputs(k_help_run, stdout);
        train_flags_free(&f);
        return FEDC_EXIT_OK;
    }
    if (rc >= 0) {
        train_flags_free(&f);
        return rc;
    }
    train_run r = {.cmd = "train"};
    if (fedc_ctx_create(&r.ctx) < 0) {
        train_flags_free(&f);
        fprintf(stderr, "fedc train: out of memory\n");
        return FEDC_EXIT_FAILURE;
    }
    r.tty = isatty(STDOUT_FILENO);
    int64_t rounds, per_round, threads, eval_every;
    double seed;
    rc = -1;
    int64_t checkpoint_every, keep;
    if (!train_flag_int(&f, "checkpoint-every", 0, 0, &checkpoint_every) ||
        !train_flag_int(&f, "keep-checkpoints", 3, 0, &keep))
        rc = FEDC_EXIT_USAGE;
    if (rc < 0 && (train_flag(&f, "resume") || checkpoint_every) && !train_flag(&f, "out"))
        rc = train_usage(&f, "%s", "--resume and --checkpoint-every need --out DIR");
    if (!train_flag_int(&f, "rounds", 30, 0, &rounds) ||
        !train_flag_int(&f, "clients-per-round", 10, 1, &per_round) ||
        !train_flag_int(&f, "threads", 0, 0, &threads) ||
        !train_flag_int(&f, "eval-every", 5, 0, &eval_every) ||
        !train_flag_num(&f, "seed", 0, 0, &seed))
        rc = FEDC_EXIT_USAGE;
    bool print_only = train_flag(&f, "print-computation") != NULL;
    r.quiet = print_only;
    if (rc < 0 && !print_only) rc = train_open_data(&r, &f, false);
    if (rc < 0) rc = train_make_model(&r, &f);
    if (rc < 0) rc = make_process(&r, &f);
    if (rc < 0 && print_only) {
        char *text;
        if (fedc_comp_print(r.ctx, fedc_learning_process_module(r.process), &text) < 0) {
            rc = train_fail(&r);
        } else {
            fputs(text, stdout);
            fedc_free(text);
            rc = FEDC_EXIT_OK;
        }
    }
    if (rc < 0 && fedc_learning_process_initialize(r.ctx, r.process, &r.state) < 0)
        rc = train_fail(&r);
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
        to.out_dir = train_flag(&f, "out");
        to.checkpoint_every = checkpoint_every;
        to.keep_checkpoints = (int)keep;
        to.resume = train_flag(&f, "resume") != NULL;
        if (r.tty) {
            fedc_progress_opts po = fedc_progress_opts_default();
            po.out = stdout;
            po.mode = FEDC_PROGRESS_TTY;
            po.total_rounds = rounds;
            if (fedc_progress_create(r.ctx, &po, &r.progress) < 0) rc = train_fail(&r);
        }
        printf("training: %lld rounds, %lld clients per round, %d threads\n", (long long)rounds,
               (long long)to.sampling.cohort_size,
               threads ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN));
        if (fedc_train_run(r.ctx, r.process, &r.state, r.train, r.test, &to) < 0)
            rc = train_fail(&r);
    }
    const char *save = train_flag(&f, "save-model");
    if (rc < 0 && save) {
        fedc_value *w = NULL;
        if (fedc_learning_process_get_model_weights(r.ctx, r.process, r.state, &w) < 0 ||
            fedc_learning_model_set_weights(r.ctx, r.model, w) < 0 ||
            fedc_model_save_safetensors(r.ctx, fedc_learning_model_sequential(r.model), save) < 0)
            rc = train_fail(&r);
        else
            printf("saved the model's weights to %s\n", save);
        fedc_value_release(w);
    }
    train_flags_free(&f);
    train_run_free(&r);
    return rc < 0 ? FEDC_EXIT_OK : rc;
}
