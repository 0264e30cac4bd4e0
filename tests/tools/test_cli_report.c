/* test_cli_report.c — `fedc report` as a script sees it: the page it writes, its messages and
 * exit codes. Runs the binary named by $FEDC_TOOL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/learning_program.h"
#include "tools/cli_util.h"

static void make_run(fedc_ctx *ctx, const char *dir) {
    char path[160];
    snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_jsonl_writer_create(ctx, path, FEDC_METRICS_FRESH, &w));
    for (int r = 0; r < 4; r++) {
        fedc_metrics_record *rec;
        ASSERT_OK(fedc_metrics_record_create(ctx, r, 1e9 + r, &rec));
        ASSERT_OK(fedc_metrics_record_add(ctx, rec, "train/loss", 1.0 / (r + 1)));
        ASSERT_OK(fedc_metrics_record_add(ctx, rec, "eval/loss", 1.5 / (r + 1)));
        ASSERT_OK(fedc_metrics_writer_write(ctx, w, rec));
        fedc_metrics_record_destroy(rec);
    }
    fedc_metrics_writer_destroy(w);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

TEST(report_writes_the_page_into_the_run_directory) {
    char dir[64], html[128];
    snprintf(dir, sizeof dir, "/tmp/fedc_cli_report_XXXXXX");
    if (!mkdtemp(dir)) FAIL("mkdtemp failed");
    make_run(ctx, dir);
    ASSERT_EQ(cli_run("report %s", dir), 0);
    snprintf(html, sizeof html, "%s/report.html", dir);
    char want[160];
    snprintf(want, sizeof want, "wrote %s\n", html);
    ASSERT_STREQ(cli_out, want);
    const char *page = slurp(html);
    ASSERT_CONTAINS(page, "<!DOCTYPE html>");
    ASSERT_CONTAINS(page, "<svg ");
    ASSERT_CONTAINS(page, ">eval/loss</text>");
    ASSERT_TRUE(strstr(page, "http") == NULL);
    unlink(html);
    snprintf(html, sizeof html, "%s/other.html", dir);
    ASSERT_EQ(cli_run("report -o %s --title 'my run' %s", html, dir), 0);
    ASSERT_CONTAINS(slurp(html), "<h1>my run</h1>");
    unlink(html);
    snprintf(html, sizeof html, "%s/metrics.jsonl", dir);
    unlink(html);
    rmdir(dir);
}

TEST(report_errors_and_usage) {
    ASSERT_EQ(cli_run("report /nonexistent/run"), 1);
    ASSERT_CONTAINS(cli_out, "fedc report: cannot open /nonexistent/run/metrics.jsonl");
    ASSERT_EQ(cli_run("report"), 2);
    ASSERT_CONTAINS(cli_out, "missing RUN_DIR");
    ASSERT_EQ(cli_run("report a b"), 2);
    ASSERT_EQ(cli_run("report --frobnicate x"), 2);
    ASSERT_CONTAINS(cli_out, "unknown option '--frobnicate'");
    ASSERT_EQ(cli_run("report -o"), 2);
    ASSERT_EQ(cli_run("report --help"), 0);
    ASSERT_CONTAINS(cli_out, "usage: fedc report");
    ASSERT_CONTAINS(cli_out, "example:");
    ASSERT_EQ(cli_run("--help"), 0);
    ASSERT_CONTAINS(cli_out, "report");
}
