/* cli_util.h — running the fedc binary ($FEDC_TOOL) from tests, as a script would. */
#ifndef FEDC_TEST_CLI_UTIL_H
#define FEDC_TEST_CLI_UTIL_H

#include <stddef.h>

#include "harness/harness.h"

/* The output (stdout and stderr together) of the last cli_run, NUL-terminated. */
extern char cli_out[1 << 16];

/* Runs `$FEDC_TOOL ARGS` (SKIPs the test when FEDC_TOOL is unset); returns the exit code. */
int cli_run(const char *fmt, ...) FEDC_PRINTF(1, 2);

/* Writes text to a new temporary file named like /tmp/fedc_cli_XXXXXX into path. */
void cli_temp_file(const char *text, char *path, size_t size);

#endif
