/* test_program_progress.c — the progress line's exact text, and the display's two forms (one
 * updating line on a terminal, plain lines every k rounds elsewhere) with the terminal choice
 * forced, since a test never runs on one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learning/test_program_util.h"

TEST(format_shows_bar_round_loss_accuracy_rate_and_eta) {
    char line[256];
    fedc_progress_state st = {12, 100, 0.43214, 0.87649, 3.21};
    int n = fedc_progress_format(line, sizeof line, &st, 10);
    /* 88 rounds left at 3.21 r/s: 27.4 s */
    ASSERT_STREQ(line, "[#.........] round 12/100  loss 0.4321  acc 0.8765  3.21 r/s  ETA 0:00:27");
    ASSERT_EQ(n, (int)strlen(line));
    fedc_progress_state slow = {1, 5000, NAN, INFINITY, 0.1};
    fedc_progress_format(line, sizeof line, &slow, 0);
    ASSERT_STREQ(line, "round 1/5000  loss -  acc -  0.10 r/s  ETA 13:53:10");
    fedc_progress_state open = {7, 0, 1.5, 0.25, 0};
    fedc_progress_format(line, sizeof line, &open, 10);
    ASSERT_STREQ(line, "round 7  loss 1.5000  acc 0.2500  - r/s");
    fedc_progress_state done = {100, 100, 0.1, 0.9, 2};
    fedc_progress_format(line, sizeof line, &done, 4);
    ASSERT_STREQ(line, "[####] round 100/100  loss 0.1000  acc 0.9000  2.00 r/s  ETA 0:00:00");
}

TEST(format_truncates_and_reports_the_length_it_wanted) {
    char small[16];
    fedc_progress_state st = {12, 100, 0.5, 0.5, 1};
    char full[256];
    int want = fedc_progress_format(full, sizeof full, &st, 20);
    ASSERT_EQ(fedc_progress_format(small, sizeof small, &st, 20), want);
    ASSERT_EQ(strlen(small), sizeof small - 1);
    ASSERT_EQ(strncmp(small, full, sizeof small - 1), 0);
    ASSERT_EQ(fedc_progress_format(NULL, 0, &st, 20), want);
}

static char *run_display(fedc_ctx *ctx, fedc_progress_mode mode, int every, int rounds,
                         bool *is_tty) {
    FILE *f = tmpfile();
    ASSERT_NOT_NULL(f);
    fedc_progress_opts o = fedc_progress_opts_default();
    o.out = f;
    o.mode = mode;
    o.every = every;
    o.total_rounds = rounds;
    o.bar_width = 5;
    fedc_progress *p;
    ASSERT_OK(fedc_progress_create(ctx, &o, &p));
    *is_tty = fedc_progress_is_tty(p);
    const char *names[2] = {"train/loss", "train/sparse_categorical_accuracy"};
    for (int r = 1; r <= rounds; r++) {
        double v[2] = {1.0 / r, 0.1 * r};
        fedc_metrics_record *rec = ptest_record(ctx, r, 2, names, v);
        ASSERT_OK(fedc_progress_update(ctx, p, rec));
        fedc_metrics_record_destroy(rec);
    }
    fedc_progress_destroy(p);
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    ASSERT_EQ(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

TEST(plain_display_prints_every_kth_round_and_the_last) {
    bool tty;
    char *text = run_display(ctx, FEDC_PROGRESS_PLAIN, 2, 5, &tty);
    ASSERT_FALSE(tty);
    ASSERT_EQ(ptest_count(text, "\n"), 3);
    ASSERT_EQ(ptest_count(text, "\r"), 0);
    ASSERT_CONTAINS(text, "round 2/5  loss 0.5000  acc 0.2000");
    ASSERT_CONTAINS(text, "round 4/5  loss 0.2500");
    ASSERT_CONTAINS(text, "round 5/5  loss 0.2000  acc 0.5000");
    ASSERT_EQ(ptest_count(text, "round 3/5"), 0);
    ASSERT_EQ(ptest_count(text, "["), 0); /* no bar in logs */
    free(text);
    /* AUTO on a file is plain */
    text = run_display(ctx, FEDC_PROGRESS_AUTO, 1, 2, &tty);
    ASSERT_FALSE(tty);
    ASSERT_EQ(ptest_count(text, "\n"), 2);
    free(text);
}

TEST(terminal_display_rewrites_one_line) {
    bool tty;
    char *text = run_display(ctx, FEDC_PROGRESS_TTY, 1, 4, &tty);
    ASSERT_TRUE(tty);
    ASSERT_EQ(ptest_count(text, "\r"), 4);
    ASSERT_EQ(ptest_count(text, "\x1b[K"), 4);
    ASSERT_EQ(ptest_count(text, "\n"), 1); /* only the final one */
    ASSERT_EQ(text[strlen(text) - 1], '\n');
    ASSERT_CONTAINS(text, "\r[#####] round 4/4  loss 0.2500  acc 0.4000");
    ASSERT_CONTAINS(text, "\r[#....] round 1/4");
    free(text);
}

TEST(display_options_are_checked) {
    fedc_progress_opts o = fedc_progress_opts_default();
    fedc_progress *p;
    o.every = 0;
    ASSERT_STATUS(fedc_progress_create(ctx, &o, &p), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "every = 0");
    o.every = 1;
    o.bar_width = -1;
    ASSERT_STATUS(fedc_progress_create(ctx, &o, &p), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_progress_destroy(NULL);
}
