/* cmd_info.c — `fedc info`: what this build is (version, kernels, processors), for bug reports. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

int fedc_cmd_info(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: fedc info\n\nPrints the version, the kernel set this build uses and the "
               "number of processors.\n\nexample:\n  fedc info\n");
        return FEDC_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "fedc info: unexpected argument '%s'\n", argv[1]);
        return FEDC_EXIT_USAGE;
    }
    printf("version     %s\n", fedc_version());
    printf("kernels     %s\n", fedc_kernels_name());
    printf("processors  %d\n", fedc_cpu_count());
    return FEDC_EXIT_OK;
}
