/* test_program_report.c — the HTML report: a plot per metric with train and eval together,
 * escaped names, nothing fetched from elsewhere, a table of final values, the same bytes for
 * the same metrics, and clear errors for missing or empty metrics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learning/test_program_util.h"

/* 6 rounds: train/loss and train/accuracy every round, eval/loss every 3rd, and a metric whose
 * name needs escaping. */
static void write_run(fedc_ctx *ctx, const char *path) {
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    for (int r = 1; r <= 6; r++) {
        fedc_metrics_record *rec;
        ASSERT_OK(fedc_metrics_record_create(ctx, r, 1000 + r, &rec));
        ASSERT_OK(fedc_metrics_record_add(ctx, rec, "train/loss", 2.0 / r));
        ASSERT_OK(fedc_metrics_record_add(ctx, rec, "train/accuracy", 0.1 * r));
        if (r % 3 == 0) ASSERT_OK(fedc_metrics_record_add(ctx, rec, "eval/loss", 2.5 / r));
        ASSERT_OK(fedc_metrics_record_add(ctx, rec, "<clip & \"count\">", r == 6 ? NAN : r));
        ASSERT_OK(fedc_metrics_writer_write(ctx, w, rec));
        fedc_metrics_record_destroy(rec);
    }
    fedc_metrics_writer_destroy(w);
}

TEST(report_has_a_plot_per_metric_and_a_table_of_final_values) {
    char dir[64], metrics[128], html[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    write_run(ctx, metrics);
    ASSERT_OK(fedc_report_write_html(ctx, metrics, html, "EMNIST <FedAvg>"));
    char *text = ptest_read(html, NULL);
    /* loss (train and eval together), accuracy, the odd one */
    ASSERT_EQ(ptest_count(text, "<svg "), 3);
    ASSERT_EQ(ptest_count(text, "</svg>"), 3);
    ASSERT_CONTAINS(text, "<title>loss</title>");
    ASSERT_CONTAINS(text, "<title>train/accuracy</title>");
    ASSERT_EQ(ptest_count(text, "<polyline"), 3); /* eval/loss has isolated points: dots only */
    ASSERT_CONTAINS(text, ">eval/loss</text>");   /* legend */
    ASSERT_CONTAINS(text, ">round</text>");       /* axis label */
    /* self-contained */
    ASSERT_EQ(ptest_count(text, "http://"), 0);
    ASSERT_EQ(ptest_count(text, "https://"), 0);
    ASSERT_EQ(ptest_count(text, "<script"), 0);
    ASSERT_EQ(ptest_count(text, "<img"), 0);
    ASSERT_EQ(ptest_count(text, "<link"), 0);
    ASSERT_EQ(ptest_count(text, "url("), 0);
    /* escaped */
    ASSERT_CONTAINS(text, "<h1>EMNIST &lt;FedAvg&gt;</h1>");
    ASSERT_CONTAINS(text, "&lt;clip &amp; &quot;count&quot;&gt;");
    ASSERT_EQ(ptest_count(text, "<clip"), 0);
    /* final values: the last finite one, with its round */
    ASSERT_CONTAINS(text, "<tr><td>train/loss</td><td class=\"num\">0.333333</td>"
                          "<td class=\"num\">6</td></tr>");
    ASSERT_CONTAINS(text, "<tr><td>eval/loss</td><td class=\"num\">0.416667</td>"
                          "<td class=\"num\">6</td></tr>");
    ASSERT_CONTAINS(text, "<td class=\"num\">5</td><td class=\"num\">5</td></tr>");
    ASSERT_CONTAINS(text, "6 rounds recorded, round 1 to round 6; 4 metrics.");
    /* deterministic */
    char html2[160];
    snprintf(html2, sizeof html2, "%s/again.html", dir);
    ASSERT_OK(fedc_report_write_html(ctx, metrics, html2, "EMNIST <FedAvg>"));
    char *text2 = ptest_read(html2, NULL);
    ASSERT_STREQ(text2, text);
    free(text);
    free(text2);
    ptest_rmtree(dir);
}

TEST(report_of_missing_or_empty_metrics_is_an_error) {
    char dir[64], metrics[128], html[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    ASSERT_STATUS(fedc_report_write_html(ctx, metrics, html, NULL), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "metrics.jsonl");
    ptest_write(metrics, "", 0, 0);
    ASSERT_STATUS(fedc_report_write_html(ctx, metrics, html, NULL), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "holds no metrics record");
    ptest_write(metrics, "{\"round\":1}\n", 12, 0);
    ASSERT_STATUS(fedc_report_write_html(ctx, metrics, html, NULL), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "line 1");
    /* a single round with a constant metric still gets axes */
    ptest_write(metrics, "{\"round\":0,\"wall_time\":1,\"metrics\":{\"x\":3.0}}\n", 47, 0);
    ASSERT_OK(fedc_report_write_html(ctx, metrics, html, NULL));
    char *text = ptest_read(html, NULL);
    ASSERT_EQ(ptest_count(text, "<svg "), 1);
    ASSERT_EQ(ptest_count(text, "<circle"), 1);
    ASSERT_EQ(ptest_count(text, "nan"), 0);
    ASSERT_EQ(ptest_count(text, "inf"), 0);
    free(text);
    snprintf(html, sizeof html, "%s/no/dir/report.html", dir);
    ASSERT_STATUS(fedc_report_write_html(ctx, metrics, html, NULL), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no/dir/report.html");
    ptest_rmtree(dir);
}
