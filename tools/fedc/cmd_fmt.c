/* cmd_fmt.c — `fedc fmt FILE [--split NAME] [--binary] [-o OUT]`: prints a computation file
 * (text or binary form) in its canonical text (what fedc_comp_print writes; parsing it gives the
 * same module), or writes its binary form (proto/computation.proto); with --split, the
 * distribute-aggregate form of one definition (fedc_comp_split_daf) instead of the module.
 * Comments are not kept. It must not change FILE itself unless OUT names it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

static const char *const k_help =
    "usage: fedc fmt FILE [--split NAME] [--binary] [-o OUT]\n"
    "\n"
    "Reads a module of federated computations (FILE in the text syntax or the binary form, told\n"
    "apart by its first bytes) and prints its canonical text to stdout: one definition per\n"
    "line, long expressions broken after their brackets and indented by 4. Comments are\n"
    "dropped. Parse errors name FILE:LINE:COL; errors in a binary file name the byte offset.\n"
    "\n"
    "  -o OUT     write to OUT instead of stdout\n"
    "  --binary   write the binary form (protobuf, schema proto/computation.proto) instead of\n"
    "             text, with source positions; needs -o. fedc check, run and fmt read it back\n"
    "\n"
    "  --split NAME   type-check the module and print definition NAME split into the\n"
    "                 distribute-aggregate form instead: server_prepare,\n"
    "                 server_to_client_broadcast, client_work, client_to_server_aggregation,\n"
    "                 server_result (and daf_inputs, which deals out NAME's arguments); a\n"
    "                 computation that does not fit is refused with the reason and LINE:COL\n"
    "\n"
    "example:\n"
    "  fedc fmt examples/analytics_mean.fc\n"
    "  fedc fmt examples/analytics_mean.fc --binary -o /tmp/analytics_mean.pb\n"
    "  fedc fmt examples/fedavg_linear.fc --split main\n";

static int usage(const char *fmt, const char *what) {
    fprintf(stderr, "fedc fmt: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see 'fedc fmt --help')\n");
    return FEDC_EXIT_USAGE;
}

/* Writes n bytes to `path` (NULL: stdout); prints why on failure. */
static int write_out(const char *path, const void *data, size_t n) {
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "fedc fmt: cannot create %s: %s\n", path, strerror(errno));
        return FEDC_EXIT_FAILURE;
    }
    bool ok = fwrite(data, 1, n, f) == n;
    ok = (path ? fclose(f) : fflush(f)) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "fedc fmt: cannot write %s\n", path ? path : "stdout");
        return FEDC_EXIT_FAILURE;
    }
    return FEDC_EXIT_OK;
}

int fedc_cmd_fmt(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *split = NULL;
    bool binary = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(k_help, stdout);
            return FEDC_EXIT_OK;
        }
        if (!strcmp(a, "--binary"))
            binary = true;
        else if (!strcmp(a, "--split")) {
            if (i + 1 >= argc || split) return usage("%s", "--split takes one NAME");
            split = argv[++i];
        } else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc) return usage("%s needs a value", a);
            out = argv[++i];
        } else if (a[0] == '-' || path)
            return usage("unexpected argument '%s'", a);
        else
            path = a;
    }
    if (!path) return usage("%s", "missing FILE");
    /* binary bytes on a terminal help nobody; a pipe can use -o /dev/stdout */
    if (binary && !out) return usage("%s", "--binary needs -o OUT");
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return FEDC_EXIT_FAILURE;
    fedc_comp *comp;
    int rc = fedc_cmd_load_module("fmt", path, split != NULL, ctx, &comp);
    if (rc == FEDC_EXIT_OK && split) {
        fedc_comp *form;
        if (fedc_comp_split_daf(ctx, comp, split, &form) < 0) {
            fprintf(stderr, "fedc fmt: %s: %s\n", path, fedc_ctx_message(ctx));
            rc = FEDC_EXIT_FAILURE;
        } else {
            fedc_comp_destroy(comp);
            comp = form;
        }
    }
    void *bytes = NULL;
    char *text = NULL;
    size_t n = 0;
    fedc_status st = FEDC_STATUS_OK;
    if (rc == FEDC_EXIT_OK) {
        if (binary)
            st = fedc_comp_to_binary(ctx, comp, &bytes, &n);
        else if ((st = fedc_comp_print(ctx, comp, &text)) == FEDC_STATUS_OK) {
            bytes = text;
            n = strlen(text);
        }
    }
    if (st < 0) {
        fprintf(stderr, "fedc fmt: %s\n", fedc_ctx_message(ctx));
        rc = FEDC_EXIT_FAILURE;
    } else if (rc == FEDC_EXIT_OK)
        rc = write_out(out, bytes, n);
    fedc_free(bytes);
    fedc_comp_destroy(comp);
    fedc_ctx_destroy(ctx);
    return rc;
}
