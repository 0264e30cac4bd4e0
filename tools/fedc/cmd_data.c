/* cmd_data.c — `fedc data`: routes to import, info, head and split (one file each). Nothing
 * here reads data. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const fedc_command g_data_commands[] = {
    {"import", "centralized data (IDX, CSV, CIFAR, a play) -> partitioned SQLite file",
     fedc_cmd_data_import},
    {"info", "clients, splits, example counts, size quantiles, labels", fedc_cmd_data_info},
    {"head", "the first examples of one client, readable", fedc_cmd_data_head},
    {"split", "a train/test split by clients or by examples, into a new file", fedc_cmd_data_split},
};
static const int g_ndata = (int)(sizeof g_data_commands / sizeof g_data_commands[0]);

static void print_help(FILE *out) {
    fprintf(out,
            "usage: fedc data COMMAND [ARGS...]\n"
            "\n"
            "Federated datasets in TFF's ClientData SQLite schema (files move between TFF and\n"
            "fedc both ways).\n"
            "\n"
            "commands:\n");
    for (int i = 0; i < g_ndata; i++)
        fprintf(out, "  %-8s %s\n", g_data_commands[i].name, g_data_commands[i].summary);
    fprintf(out, "\n"
                 "example:\n"
                 "  fedc data import idx train-images-idx3-ubyte train-labels-idx1-ubyte \\\n"
                 "      -o mnist.sqlite --clients 100 --partition dirichlet:0.5 --seed 1\n"
                 "  fedc data info mnist.sqlite\n"
                 "\n"
                 "Run 'fedc data COMMAND --help' for a command's options.\n");
}

int fedc_cmd_data(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return FEDC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_help(stdout);
        return FEDC_EXIT_OK;
    }
    for (int i = 0; i < g_ndata; i++)
        if (!strcmp(argv[1], g_data_commands[i].name))
            return g_data_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fedc data: unknown command '%s' (see 'fedc data --help')\n", argv[1]);
    return FEDC_EXIT_USAGE;
}
