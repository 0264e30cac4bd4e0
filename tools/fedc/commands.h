/* commands.h — the subcommands of the fedc tool: one file each, registered in main.c.
 * Exit codes every subcommand keeps: 0 success, 1 the work failed (bad data, I/O, ...),
 * 2 the command line was wrong. */
#ifndef FEDC_TOOL_COMMANDS_H
#define FEDC_TOOL_COMMANDS_H

#include <stddef.h>

enum { FEDC_EXIT_OK = 0, FEDC_EXIT_FAILURE = 1, FEDC_EXIT_USAGE = 2 };

typedef struct fedc_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
} fedc_command;

int fedc_cmd_version(int argc, char **argv);
int fedc_cmd_info(int argc, char **argv);
/* Federated Core files: cmd_run.c, cmd_check.c, cmd_fmt.c. fedc_cmd_load_module (cmd_check.c)
 * reads and parses PATH (and type-checks it when `check`), printing errors as `fedc CMD: ...`;
 * returns an exit code. */
int fedc_cmd_run(int argc, char **argv);
int fedc_cmd_check(int argc, char **argv);
int fedc_cmd_fmt(int argc, char **argv);
struct fedc_ctx;
struct fedc_comp;
/* Reads the whole file into a malloc'd buffer with a NUL after it (*len bytes before the NUL);
 * NULL after printing `fedc CMD: cannot open PATH: reason`. The caller frees it. */
char *fedc_cmd_read_file(const char *cmd, const char *path, size_t *len);
int fedc_cmd_load_module(const char *cmd, const char *path, _Bool check, struct fedc_ctx *ctx,
                         struct fedc_comp **out);
/* fedc_cmd_file_args (cmd_check.c) parses `fedc CMD [--help] FILE`: sets *path and returns -1 to
 * go on, else prints HELP or a usage error and returns the exit code. */
int fedc_cmd_file_args(const char *cmd, const char *help, int argc, char **argv, const char **path);
/* `fedc data` dispatches to its subcommands (cmd_data*.c); argv[0] is the subcommand's name. */
int fedc_cmd_data(int argc, char **argv);
int fedc_cmd_data_import(int argc, char **argv);
int fedc_cmd_data_info(int argc, char **argv);
int fedc_cmd_data_head(int argc, char **argv);
int fedc_cmd_data_split(int argc, char **argv);
/* `fedc report RUN_DIR` (cmd_report.c): RUN_DIR/metrics.jsonl into RUN_DIR/report.html. */
int fedc_cmd_report(int argc, char **argv);

/* Federated learning: cmd_train.c, cmd_eval.c (shared parts: train_common.h). */
int fedc_cmd_train(int argc, char **argv);
int fedc_cmd_eval(int argc, char **argv);

#endif /* FEDC_TOOL_COMMANDS_H */
