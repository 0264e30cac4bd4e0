/* commands.h — the subcommands of the fedc tool: one file each, registered in main.c.
 * Exit codes every subcommand keeps: 0 success, 1 the work failed (bad data, I/O, ...),
 * 2 the command line was wrong. */
#ifndef FEDC_TOOL_COMMANDS_H
#define FEDC_TOOL_COMMANDS_H

enum { FEDC_EXIT_OK = 0, FEDC_EXIT_FAILURE = 1, FEDC_EXIT_USAGE = 2 };

typedef struct fedc_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
} fedc_command;

int fedc_cmd_version(int argc, char **argv);
int fedc_cmd_info(int argc, char **argv);

#endif /* FEDC_TOOL_COMMANDS_H */
