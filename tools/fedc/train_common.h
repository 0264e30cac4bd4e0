/* train_common.h — what `fedc train` and `fedc eval` share: options given as flags or as a
 * config file of `name = value` lines (one set of names), and opening data and models from them.
 * Binds the command line to the public API only.
 */
#ifndef FEDC_TOOL_TRAIN_COMMON_H
#define FEDC_TOOL_TRAIN_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "fedc/fedc.h"

/* Every option by name, as a string (NULL: not given). Flags and the config file fill it. */
typedef struct train_flags {
    const char *cmd;          /* "train", "eval": for messages */
    const char *const *known; /* the command's option names, NULL-terminated */
    const char *names[48];
    char *values[48];
    int n;
} train_flags;

/* Options that take no value. */
bool train_flag_is_switch(const char *name);
/* Parses --NAME VALUE flags, then --config FILE (flags win). Returns -1 to go on, or the exit
 * code (after printing the usage error); sets *help for --help. */
int train_flags_parse(int argc, char **argv, train_flags *f, bool *help);
void train_flags_free(train_flags *f);
/* The option's value or NULL. */
const char *train_flag(const train_flags *f, const char *name);
/* Numbers with a default and a lower bound; false (after printing which option) when bad. */
bool train_flag_num(const train_flags *f, const char *name, double def, double lo, double *out);
bool train_flag_int(const train_flags *f, const char *name, long long def, long long lo,
                    int64_t *out);
/* Prints `fedc CMD: ` + the message + a pointer to --help; returns the usage exit code. */
int train_usage(const train_flags *f, const char *fmt, const char *what);

/* What a run holds, freed together by train_run_free. */
typedef struct train_run {
    const char *cmd;
    fedc_ctx *ctx;
    fedc_client_data *train_raw, *test_raw, *train, *test;
    fedc_learning_model *model;
    fedc_learning_process *process;
    fedc_value *state;
    bool tty;
    bool quiet;              /* print nothing but the command's result (--print-computation) */
    fedc_progress *progress; /* train on a terminal: the updating line */
    int64_t rounds_reported;
} train_run;

void train_run_free(train_run *r);
/* Prints the context's message as `fedc CMD: ...`; returns the failure exit code. */
int train_fail(train_run *r);
/* --data (built-in names or files), --test, --preprocess, --num-clients, --partition, --alpha,
 * --seed: opens r->train (unless test_only) and r->test. Returns -1 or an exit code. */
int train_open_data(train_run *r, const train_flags *f, bool test_only);
/* --model, --classes, --seed: r->model. Returns -1 or an exit code. */
int train_make_model(train_run *r, const train_flags *f);

#endif
