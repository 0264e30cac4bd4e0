/* main.c — the fedc command-line tool: global flags and dispatch to one subcommand.
 * Subcommands live in their own files; this file only routes and prints the overview. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

static const fedc_command g_commands[] = {
    {"data", "import, inspect and split federated datasets", fedc_cmd_data},
    {"check", "type-check a computation file and print each definition's type", fedc_cmd_check},
    {"eval", "evaluate a saved model on client data or a test set", fedc_cmd_eval},
    {"fmt", "print a computation file in canonical form", fedc_cmd_fmt},
    {"info", "show the build: version, kernels, threads", fedc_cmd_info},
    {"report", "write an HTML page of a run's metrics (plots and final values)", fedc_cmd_report},
    {"run", "run a federated computation file on literals or client data", fedc_cmd_run},
    {"train", "train a model with federated learning (start here)", fedc_cmd_train},
    {"version", "print the version", fedc_cmd_version},
};
static const int g_ncommands = (int)(sizeof g_commands / sizeof g_commands[0]);

static void print_help(FILE *out) {
    fprintf(out, "usage: fedc [--help] [--version] COMMAND [ARGS...]\n"
                 "\n"
                 "fedc: federated learning and federated computation on decentralized data.\n"
                 "\n"
                 "commands:\n");
    for (int i = 0; i < g_ncommands; i++)
        fprintf(out, "  %-10s %s\n", g_commands[i].name, g_commands[i].summary);
    fprintf(out, "\n"
                 "Run 'fedc COMMAND --help' for a command's options.\n"
                 "\n"
                 "example:\n"
                 "  fedc info\n"
                 "\n"
                 "exit codes: 0 success, 1 the work failed, 2 bad command line\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return FEDC_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_help(stdout);
        return FEDC_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) return fedc_cmd_version(1, argv + 1);
    for (int i = 0; i < g_ncommands; i++)
        if (!strcmp(cmd, g_commands[i].name)) return g_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fedc: unknown command '%s' (see 'fedc --help')\n", cmd);
    return FEDC_EXIT_USAGE;
}
