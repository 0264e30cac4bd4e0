/* cmd_fmt.c — `fedc fmt FILE`: prints a computation file in its canonical form (what
 * fedc_comp_print writes; parsing it gives the same module). Comments are not kept. It must not
 * change the file itself.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

static const char *const k_help =
    "usage: fedc fmt FILE\n"
    "\n"
    "Parses a module of federated computations and prints its canonical text to stdout:\n"
    "one definition per line, long expressions broken after their brackets and indented by 4.\n"
    "Comments are dropped. Parse errors name FILE:LINE:COL.\n"
    "\n"
    "example:\n"
    "  fedc fmt examples/analytics_mean.fc\n";

int fedc_cmd_fmt(int argc, char **argv) {
    const char *path = NULL;
    int usage = fedc_cmd_file_args("fmt", k_help, argc, argv, &path);
    if (usage >= 0) return usage;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return FEDC_EXIT_FAILURE;
    fedc_comp *comp;
    int rc = fedc_cmd_load_module("fmt", path, false, ctx, &comp);
    char *text = NULL;
    if (rc == FEDC_EXIT_OK && fedc_comp_print(ctx, comp, &text) < 0) {
        fprintf(stderr, "fedc fmt: %s\n", fedc_ctx_message(ctx));
        rc = FEDC_EXIT_FAILURE;
    }
    if (text) fputs(text, stdout);
    fedc_free(text);
    fedc_comp_destroy(comp);
    fedc_ctx_destroy(ctx);
    return rc;
}
