/* cmd_fmt.c — `fedc fmt FILE [--split NAME]`: prints a computation file in its canonical form
 * (what fedc_comp_print writes; parsing it gives the same module), or the distribute-aggregate
 * form of one of its definitions (fedc_comp_split_daf). Comments are not kept. It must not
 * change the file itself.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

static const char *const k_help =
    "usage: fedc fmt FILE [--split NAME]\n"
    "\n"
    "Parses a module of federated computations and prints its canonical text to stdout:\n"
    "one definition per line, long expressions broken after their brackets and indented by 4.\n"
    "Comments are dropped. Parse errors name FILE:LINE:COL.\n"
    "\n"
    "  --split NAME   type-check the module and print definition NAME split into the\n"
    "                 distribute-aggregate form instead: server_prepare,\n"
    "                 server_to_client_broadcast, client_work, client_to_server_aggregation,\n"
    "                 server_result (and daf_inputs, which deals out NAME's arguments); a\n"
    "                 computation that does not fit is refused with the reason and LINE:COL\n"
    "\n"
    "example:\n"
    "  fedc fmt examples/analytics_mean.fc\n"
    "  fedc fmt examples/fedavg_linear.fc --split main\n";

int fedc_cmd_fmt(int argc, char **argv) {
    const char *path = NULL, *split = NULL;
    /* --split NAME is taken out here; the rest is the plain FILE argument */
    char *rest[3] = {argv[0], NULL, NULL};
    int nrest = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--split") == 0) {
            if (i + 1 >= argc || split) {
                fprintf(stderr, "fedc fmt: --split takes one NAME (see 'fedc fmt --help')\n");
                return FEDC_EXIT_USAGE;
            }
            split = argv[++i];
        } else if (nrest < 3) {
            rest[nrest++] = argv[i];
        } else {
            fprintf(stderr, "fedc fmt: unexpected argument '%s' (see 'fedc fmt --help')\n",
                    argv[i]);
            return FEDC_EXIT_USAGE;
        }
    }
    int usage = fedc_cmd_file_args("fmt", k_help, nrest, rest, &path);
    if (usage >= 0) return usage;
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
