/* test_cli_examples.c — the FedAvg examples written in the text language (fedavg_linear.fc: one
 * round; fedavgm_linear.fc: a custom algorithm, three rounds with server momentum) run with
 * `fedc run`, checked against the same algorithms written here as plain C loops over the data API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/data.h"
#include "tools/cli_util.h"

/* Parses "<w=[a, b, ...], b=c>@SERVER" into w[28] and *b. */
static void parse_linear_model(const char *text, float *w, float *b) {
    const char *p = strstr(text, "w=[");
    ASSERT_TRUE(p != NULL);
    p += 3;
    for (int k = 0; k < 28; k++) {
        char *end;
        w[k] = strtof(p, &end);
        ASSERT_TRUE(end != p);
        p = end + (*end == ',' ? 2 : 0);
    }
    p = strstr(p, "b=");
    ASSERT_TRUE(p != NULL);
    *b = strtof(p + 2, NULL);
}

/* One FedAvg round of the linear model from (w0, b0): every client one epoch of SGD on squared
 * error over the mean intensities of its rows; the example-weighted mean into (mw, mb). */
static void plain_round(fedc_ctx *ctx, fedc_client_data *cd, float lr, const double *w0, double b0,
                        double *mw, double *mb) {
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    double W[28] = {0}, B = 0, N = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        float w[28], b = (float)b0, n = 0;
        for (int r = 0; r < 28; r++)
            w[r] = (float)w0[r];
        fedc_dataset *ds;
        ASSERT_OK(fedc_client_data_open(ctx, cd, c, &ds));
        bool got;
        for (;;) {
            ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
            if (!got) break;
            const fedc_tensor *px = fedc_example_get(ex, "pixels");
            float f[28], pred = 0;
            for (int r = 0; r < 28; r++) {
                double m = 0;
                for (int k = 0; k < 28; k++)
                    m += fedc_tensor_get_flat(px, r * 28 + k);
                f[r] = (float)(m / 28);
                pred += w[r] * f[r];
            }
            float err = pred + b - (float)fedc_tensor_get_flat(fedc_example_get(ex, "label"), 0);
            float step = lr * err;
            for (int r = 0; r < 28; r++)
                w[r] -= step * f[r];
            b -= step;
            n += 1;
        }
        fedc_dataset_destroy(ds);
        for (int r = 0; r < 28; r++)
            W[r] += n * w[r];
        B += n * b;
        N += n;
    }
    fedc_example_destroy(ex);
    for (int r = 0; r < 28; r++)
        mw[r] = W[r] / N;
    *mb = B / N;
}

TEST(example_fedavg_linear_matches_a_plain_c_round) {
    char path[512];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK) != 0) SKIP("%s is not there", path);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "digits_only_train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    double zero[28] = {0}, w[28], b;
    plain_round(ctx, cd, 0.05f, zero, 0, w, &b);
    fedc_client_data_destroy(cd);
    ASSERT_EQ(cli_run("run examples/fedavg_linear.fc --preprocess emnist-flat --arg lr=0.05 "
                      "--arg clients=%s:digits_only_train",
                      path),
              0);
    float got_w[28], got_b;
    parse_linear_model(cli_out, got_w, &got_b);
    for (int r = 0; r < 28; r++)
        ASSERT_NEAR(got_w[r], w[r], 1e-3);
    ASSERT_NEAR(got_b, b, 1e-3);
    /* the threaded executor prints the same bits */
    char ref[sizeof cli_out];
    strcpy(ref, cli_out);
    ASSERT_EQ(cli_run("run examples/fedavg_linear.fc --preprocess emnist-flat --arg lr=0.05 "
                      "--arg clients=%s:digits_only_train --threads 8",
                      path),
              0);
    ASSERT_STREQ(cli_out, ref);
}

TEST(example_fedavgm_linear_matches_three_plain_c_rounds) {
    char path[512];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    if (access(path, R_OK) != 0) SKIP("%s is not there", path);
    fedc_sqlite_opts o = fedc_sqlite_opts_default();
    o.split_name = "digits_only_train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &o, &cd));
    const double beta = 0.9;
    double w[28] = {0}, b = 0, vw[28] = {0}, vb = 0;
    for (int round = 0; round < 3; round++) {
        double mw[28], mb;
        plain_round(ctx, cd, 0.05f, w, b, mw, &mb);
        for (int r = 0; r < 28; r++) {
            vw[r] = beta * vw[r] + (w[r] - mw[r]);
            w[r] -= vw[r];
        }
        vb = beta * vb + (b - mb);
        b -= vb;
    }
    /* without momentum (beta 0) the three rounds end elsewhere */
    double pw[28] = {0}, pb = 0;
    for (int round = 0; round < 3; round++) {
        double mw[28], mb;
        plain_round(ctx, cd, 0.05f, pw, pb, mw, &mb);
        memcpy(pw, mw, sizeof pw);
        pb = mb;
    }
    fedc_client_data_destroy(cd);
    double apart = 0;
    for (int r = 0; r < 28; r++)
        apart += (pw[r] - w[r]) * (pw[r] - w[r]);
    ASSERT_GT(apart, 1e-2);
    ASSERT_EQ(cli_run("run examples/fedavgm_linear.fc --preprocess emnist-flat --arg lr=0.05 "
                      "--arg beta=0.9 --arg clients=%s:digits_only_train --threads 2",
                      path),
              0);
    float got_w[28], got_b;
    parse_linear_model(cli_out, got_w, &got_b);
    for (int r = 0; r < 28; r++)
        ASSERT_NEAR(got_w[r], w[r], 2e-3);
    ASSERT_NEAR(got_b, b, 2e-3);
}
