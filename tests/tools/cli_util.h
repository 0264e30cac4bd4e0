/* cli_util.h — running the fedc binary ($FEDC_TOOL) from tests, as a script would. */
#ifndef FEDC_TEST_CLI_UTIL_H
#define FEDC_TEST_CLI_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include "harness/harness.h"

/* The output (stdout and stderr together) of the last cli_run, NUL-terminated. */
extern char cli_out[1 << 16];

/* Runs `$FEDC_TOOL ARGS` (SKIPs the test when FEDC_TOOL is unset); returns the exit code. */
int cli_run(const char *fmt, ...) FEDC_PRINTF(1, 2);

/* The same with the output (stdout and stderr) into buf (size bytes, NUL-terminated). */
int cli_vrun(char *buf, size_t size, const char *fmt, va_list ap);

/* Writes text to a new temporary file named like /tmp/fedc_cli_XXXXXX into path. */
void cli_temp_file(const char *text, char *path, size_t size);

#endif
