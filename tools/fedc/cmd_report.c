/* cmd_report.c — `fedc report RUN_DIR`: turns a run's metrics (RUN_DIR/metrics.jsonl, written
 * by the JSON lines metrics writer) into RUN_DIR/report.html, a page with a plot per metric and
 * a table of final values that opens offline. It must not touch anything in RUN_DIR but the
 * report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"
#include "fedc/learning_program.h"

static const char *const k_help =
    "usage: fedc report [--help] [-o FILE] [--title TEXT] RUN_DIR\n"
    "\n"
    "Reads RUN_DIR/metrics.jsonl (one JSON object per round, as fedc's training programs\n"
    "write it) and writes RUN_DIR/report.html: one line plot per metric over rounds (train and\n"
    "eval curves of the same metric share a plot) and a table of each metric's final value.\n"
    "The page has no scripts, fonts or links: it opens offline.\n"
    "\n"
    "options:\n"
    "  -o FILE        write the page to FILE instead of RUN_DIR/report.html\n"
    "  --title TEXT   the page's heading (default: RUN_DIR)\n"
    "\n"
    "example:\n"
    "  fedc report runs/emnist-fedavg && xdg-open runs/emnist-fedavg/report.html\n";

int fedc_cmd_report(int argc, char **argv) {
    const char *run_dir = NULL, *out = NULL, *title = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(k_help, stdout);
            return FEDC_EXIT_OK;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--title")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "fedc report: %s needs a value (see 'fedc report --help')\n", a);
                return FEDC_EXIT_USAGE;
            }
            if (!strcmp(a, "-o"))
                out = argv[++i];
            else
                title = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "fedc report: unknown option '%s' (see 'fedc report --help')\n", a);
            return FEDC_EXIT_USAGE;
        } else if (run_dir) {
            fprintf(stderr, "fedc report: one RUN_DIR expected, got '%s' and '%s'\n", run_dir, a);
            return FEDC_EXIT_USAGE;
        } else {
            run_dir = a;
        }
    }
    if (!run_dir) {
        fprintf(stderr, "fedc report: missing RUN_DIR (see 'fedc report --help')\n");
        return FEDC_EXIT_USAGE;
    }
    size_t n = strlen(run_dir) + 32;
    char *metrics = malloc(n), *html = malloc(n);
    fedc_ctx *ctx = NULL;
    int rc = FEDC_EXIT_FAILURE;
    if (!metrics || !html || fedc_ctx_create(&ctx) < 0) {
        fprintf(stderr, "fedc report: out of memory\n");
        goto done;
    }
    snprintf(metrics, n, "%s/metrics.jsonl", run_dir);
    snprintf(html, n, "%s/report.html", run_dir);
    if (!out) out = html;
    if (fedc_report_write_html(ctx, metrics, out, title ? title : run_dir) < 0) {
        fprintf(stderr, "fedc report: %s\n", fedc_ctx_message(ctx));
        goto done;
    }
    printf("wrote %s\n", out);
    rc = FEDC_EXIT_OK;
done:
    fedc_ctx_destroy(ctx);
    free(metrics);
    free(html);
    return rc;
}
