/* test_cli_train.c — `fedc train` as a user runs it: help with a working example, the printed
 * computation, flags and config files with the same names, errors that name the bad option, and
 * a short run on ../shared/data's EMNIST sample that is identical on 1 and 2 threads and saves
 * a model that loads back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fedc/nn.h"
#include "tools/cli_util.h"

static const char *sample(char *buf, size_t size) {
    snprintf(buf, size, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(buf, R_OK) != 0) SKIP("%s is not there", buf);
    return buf;
}

TEST(train_help_shows_a_working_example) {
    ASSERT_EQ(cli_run("train --help"), 0);
    ASSERT_CONTAINS(cli_out, "usage: fedc train");
    ASSERT_CONTAINS(cli_out, "examples:");
    ASSERT_CONTAINS(cli_out, "fedc train --rounds 5 --model 2nn");
    ASSERT_EQ(cli_run("--help"), 0);
    ASSERT_CONTAINS(cli_out, "train");
}

TEST(train_prints_the_computation_of_next) {
    ASSERT_EQ(cli_run("train --print-computation --model seed --algorithm fedadam --clip 2"), 0);
    ASSERT_CONTAINS(cli_out, "next = (state: <global_model_weights=<trainable=float32[7850]");
    ASSERT_CONTAINS(cli_out, "native(\"fedc.learning.train\"");
    ASSERT_CONTAINS(cli_out, "native(\"fedc.learning.server_update\"");
    ASSERT_CONTAINS(cli_out, "b0 = 2.0");
    ASSERT_CONTAINS(cli_out, "clip_by_norm(u0, b0)");
}

TEST(train_with_differential_privacy_reports_epsilon) {
    char path[4096];
    sample(path, sizeof path);
    ASSERT_EQ(cli_run("train --data %s:digits_only_train --model seed --preprocess emnist-flat "
                      "--rounds 2 --clients-per-round 4 --clip 1 --dp-noise-multiplier 0.5",
                      path),
              0);
    ASSERT_CONTAINS(cli_out, "round    2/2  clients   4");
    ASSERT_CONTAINS(cli_out, "epsilon ");
    ASSERT_EQ(cli_run("train --model seed --dp-noise-multiplier 1 --print-computation"), 2);
    ASSERT_CONTAINS(cli_out, "--dp-noise-multiplier needs --clip NORM");
}

TEST(train_takes_the_aggregator_presets_and_adaptive_clipping) {
    char path[4096];
    sample(path, sizeof path);
    ASSERT_EQ(cli_run("train --data %s:digits_only_train --model seed --preprocess emnist-flat "
                      "--rounds 2 --clients-per-round 3 --aggregator robust",
                      path),
              0);
    ASSERT_CONTAINS(cli_out, "round    2/2  clients   3");
    ASSERT_EQ(cli_run("train --model seed --print-computation --clip 0.5 --clip-quantile 0.7"), 0);
    ASSERT_CONTAINS(cli_out, "aggregator=<clipping=float32>");
    ASSERT_CONTAINS(cli_out, "b0 = c.norms.clipping");
    ASSERT_EQ(cli_run("train --model seed --print-computation --aggregator secure"), 0);
    ASSERT_CONTAINS(cli_out, "native(\"fedc.learning.secure_add\"");
    ASSERT_EQ(cli_run("train --model seed --print-computation --aggregator dp "
                      "--dp-noise-multiplier 0.5"),
              0);
    ASSERT_CONTAINS(cli_out, "aggregator=<zeroing=float32,clipping=float32>");
    ASSERT_EQ(cli_run("train --model seed --print-computation --aggregator dp"), 2);
    ASSERT_CONTAINS(cli_out, "--aggregator dp needs --dp-noise-multiplier Z");
    ASSERT_EQ(cli_run("train --model seed --print-computation --aggregator robust --clip 1"), 2);
    ASSERT_CONTAINS(cli_out, "--aggregator robust sets its own norms");
    ASSERT_EQ(cli_run("train --data %s:digits_only_train --model seed --preprocess emnist-flat "
                      "--rounds 1 --clients-per-round 3 --metrics-aggregation secure",
                      path),
              0);
    ASSERT_CONTAINS(cli_out, "round    1/1  clients   3  train loss");
    ASSERT_EQ(cli_run("train --model seed --print-computation --metrics-aggregation sample "
                      "--metrics-sample-size 7"),
              0);
    ASSERT_CONTAINS(cli_out, "loss=float64[7]");
    ASSERT_EQ(cli_run("train --model seed --print-computation --metrics-aggregation mean"), 2);
    ASSERT_CONTAINS(cli_out, "unknown --metrics-aggregation 'mean' (sum, secure, sample)");
    ASSERT_EQ(cli_run("train --model seed --print-computation --aggregator fancy"), 2);
    ASSERT_CONTAINS(cli_out,
                    "unknown --aggregator 'fancy' (mean, robust, dp, compression, secure)");
}

TEST(eval_needs_weights_and_names_a_bad_file) {
    ASSERT_EQ(cli_run("eval --help"), 0);
    ASSERT_CONTAINS(cli_out, "example:");
    ASSERT_EQ(cli_run("eval --model seed"), 2);
    ASSERT_CONTAINS(cli_out, "--weights FILE is needed");
    ASSERT_EQ(cli_run("eval --model seed --weights /nonexistent/w.safetensors"), 1);
    ASSERT_CONTAINS(cli_out, "/nonexistent/w.safetensors");
}

TEST(train_names_bad_options) {
    ASSERT_EQ(cli_run("train --rounds x"), 2);
    ASSERT_CONTAINS(cli_out, "--rounds wants a number >= 0, got 'x'");
    ASSERT_EQ(cli_run("train --algorithm fedbogus --print-computation"), 2);
    ASSERT_CONTAINS(cli_out, "unknown --algorithm 'fedbogus'");
    ASSERT_EQ(cli_run("train --learning-rate 3"), 2);
    ASSERT_CONTAINS(cli_out, "unknown option '--learning-rate'");
    ASSERT_EQ(cli_run("train --rounds"), 2);
    ASSERT_CONTAINS(cli_out, "--rounds needs a value");
    char cfg[64];
    cli_temp_file("rounds = 2\n# a comment\nlearning_rate = 3\n", cfg, sizeof cfg);
    ASSERT_EQ(cli_run("train --config %s", cfg), 2);
    ASSERT_CONTAINS(cli_out, ":3: unknown option 'learning_rate'");
    unlink(cfg);
    ASSERT_EQ(cli_run("train --config /nonexistent/x.cfg"), 2);
    ASSERT_CONTAINS(cli_out, "/nonexistent/x.cfg");
    ASSERT_EQ(cli_run("train --data /nonexistent/file.sqlite --model seed"), 1);
    ASSERT_CONTAINS(cli_out, "/nonexistent/file.sqlite");
}

/* The lines of a run without the timings, for comparing runs. */
static void rounds_only(const char *out, char *buf, size_t size) {
    buf[0] = 0;
    for (const char *l = strstr(out, "round "); l; l = strstr(l + 1, "\nround ")) {
        if (*l == '\n') l++;
        const char *bar = strstr(l, "s/round");
        const char *cut = bar ? bar : l + strlen(l);
        while (cut > l && cut[-1] != ' ')
            cut--;
        strncat(buf, l,
                (size_t)(cut - l) < size - strlen(buf) - 1 ? (size_t)(cut - l)
                                                           : size - strlen(buf) - 1);
    }
}

TEST(train_on_emnist_sample_is_reproducible_and_saves_the_model) {
    char path[4096], a[4096], b[4096], c[4096];
    sample(path, sizeof path);
    const char *common = "--model seed --preprocess emnist-flat --rounds 3 --epochs 2 "
                         "--clients-per-round 4 --client-lr 0.1 --eval-every 1";
    ASSERT_EQ(cli_run("train --data %s:digits_only_train --test %s:digits_only_test %s --threads 1 "
                      "--save-model /tmp/fedc_cli_train_model.safetensors",
                      path, path, common),
              0);
    ASSERT_CONTAINS(cli_out, "data: ");
    ASSERT_CONTAINS(cli_out, "12 clients");
    ASSERT_CONTAINS(cli_out, "round    3/3  clients   4");
    ASSERT_CONTAINS(cli_out, "saved the model's weights to /tmp/fedc_cli_train_model.safetensors");
    rounds_only(cli_out, a, sizeof a);
    ASSERT_CONTAINS(a, "test loss");
    /* the saved model evaluates to the last round's test accuracy */
    const char *acc = strrchr(cli_out, '|');
    ASSERT_TRUE(acc != NULL);
    acc = strstr(acc, "acc ");
    ASSERT_TRUE(acc != NULL);
    double train_acc = atof(acc + 4);
    ASSERT_EQ(cli_run("eval --weights /tmp/fedc_cli_train_model.safetensors --model seed --data "
                      "%s:digits_only_test --preprocess emnist-flat --threads 2",
                      path),
              0);
    ASSERT_CONTAINS(cli_out, "evaluated 12 clients");
    const char *got = strstr(cli_out, "sparse_categorical_accuracy: ");
    ASSERT_TRUE(got != NULL);
    ASSERT_NEAR(atof(got + 29), train_acc, 6e-5);
    ASSERT_CONTAINS(cli_out, "num_examples: 67");
    ASSERT_EQ(cli_run("train --data %s:digits_only_train --test %s:digits_only_test %s --threads 2",
                      path, path, common),
              0);
    rounds_only(cli_out, b, sizeof b);
    ASSERT_STREQ(a, b);
    /* the same settings from a config file */
    char cfg[64], text[9000];
    snprintf(text, sizeof text,
             "data = %s:digits_only_train\ntest = %s:digits_only_test\nmodel = seed\n"
             "preprocess = emnist-flat\nrounds = 3\nepochs = 2\nclients-per-round = 4\n"
             "client-lr = 0.1\neval-every = 1\nthreads = 2\n",
             path, path);
    cli_temp_file(text, cfg, sizeof cfg);
    ASSERT_EQ(cli_run("train --config %s", cfg), 0);
    rounds_only(cli_out, c, sizeof c);
    ASSERT_STREQ(a, c);
    unlink(cfg);
    fedc_model *m;
    ASSERT_OK(fedc_zoo_seed_model(ctx, 0, &m));
    ASSERT_OK(fedc_model_load_safetensors(ctx, m, "/tmp/fedc_cli_train_model.safetensors"));
    float sum = 0;
    for (int64_t i = 0; i < fedc_model_num_params(m); i++)
        sum += fedc_model_params(m)[i] * fedc_model_params(m)[i];
    ASSERT_GT(sum, 0); /* trained away from the zero initialization */
    fedc_model_destroy(m);
    unlink("/tmp/fedc_cli_train_model.safetensors");
}

/* Starts `fedc train ARGS...` in the background (output discarded); returns its pid. */
static pid_t spawn_train(const char *const *args) {
    const char *tool = getenv("FEDC_TOOL");
    if (!tool || !*tool) SKIP("FEDC_TOOL is not set (run through make check)");
    pid_t pid = fork();
    if (pid < 0) FAIL("fork failed");
    if (pid == 0) {
        const char *argv[64] = {tool, "train"};
        int n = 2;
        for (int i = 0; args[i] && n < 63; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        execv(tool, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static bool same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    int ca = 0, cb = 0;
    while (same && (ca = fgetc(fa)) != EOF) {
        cb = fgetc(fb);
        same = ca == cb;
    }
    if (same) same = fgetc(fb) == EOF;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

TEST(train_killed_with_sigkill_resumes_to_the_same_model) {
    char path[4096], data[4200], a[] = "/tmp/fedc_kill_a_XXXXXX", b[] = "/tmp/fedc_kill_b_XXXXXX";
    sample(path, sizeof path);
    snprintf(data, sizeof data, "%s:digits_only_train", path);
    ASSERT_TRUE(mkdtemp(a) != NULL);
    ASSERT_TRUE(mkdtemp(b) != NULL);
    char a_out[64], b_out[64], a_model[80], b_model[80], ckpt[96];
    snprintf(a_out, sizeof a_out, "%s/run", a);
    snprintf(b_out, sizeof b_out, "%s/run", b);
    snprintf(a_model, sizeof a_model, "%s/model.safetensors", a);
    snprintf(b_model, sizeof b_model, "%s/model.safetensors", b);
    ASSERT_EQ(
        cli_run("train --data %s --model seed --preprocess emnist-flat --rounds 30 --epochs 20 "
                "--clients-per-round 6 --client-lr 0.01 --out %s --checkpoint-every 1 "
                "--save-model %s",
                data, a_out, a_model),
        0);
    /* the same run, killed once its third checkpoint is on disk */
    const char *args[] = {
        "--data",      data,   "--model",  "seed", "--preprocess",        "emnist-flat",
        "--rounds",    "30",   "--epochs", "20",   "--clients-per-round", "6",
        "--client-lr", "0.01", "--out",    b_out,  "--checkpoint-every",  "1",
        NULL};
    pid_t pid = spawn_train(args);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints/ckpt-3.fcc", b_out);
    for (int i = 0; i < 3000 && access(ckpt, F_OK) != 0; i++)
        usleep(2000);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    ASSERT_EQ(
        cli_run("train --data %s --model seed --preprocess emnist-flat --rounds 30 --epochs 20 "
                "--clients-per-round 6 --client-lr 0.01 --out %s --checkpoint-every 1 "
                "--resume --save-model %s",
                data, b_out, b_model),
        0);
    ASSERT_CONTAINS(cli_out, "round   30/30");
    ASSERT_TRUE(same_file(a_model, b_model));
    /* the metric files hold each round once */
    snprintf(ckpt, sizeof ckpt, "%s/metrics.jsonl", b_out);
    FILE *f = fopen(ckpt, "r");
    ASSERT_TRUE(f != NULL);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    ASSERT_EQ(lines, 30);
    ASSERT_EQ(cli_run("train --resume --model seed"), 2);
    ASSERT_CONTAINS(cli_out, "need --out DIR");
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
    ASSERT_EQ(system(cmd), 0);
}
