/* cmd_version.c — `fedc version` / `fedc --version`: the version on one line. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

int fedc_cmd_version(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: fedc version\n\nPrints the version of fedc.\n\nexample:\n  fedc version\n");
        return FEDC_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "fedc version: unexpected argument '%s'\n", argv[1]);
        return FEDC_EXIT_USAGE;
    }
    printf("fedc %s\n", fedc_version());
    return FEDC_EXIT_OK;
}
