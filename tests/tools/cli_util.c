/* cli_util.c — see cli_util.h. */
#include "tools/cli_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char cli_out[1 << 16];

int cli_vrun(char *buf, size_t size, const char *fmt, va_list ap) {
    const char *tool = getenv("FEDC_TOOL");
    if (!tool || !*tool) SKIP("FEDC_TOOL is not set (run through make check)");
    char args[4096], cmd[8192];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", tool, args);
    FILE *p = popen(cmd, "r");
    if (!p) FAIL("popen(%s) failed", cmd);
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    int status = pclose(p);
    if (!WIFEXITED(status)) FAIL("'%s' did not exit normally", cmd);
    return WEXITSTATUS(status);
}

int cli_run(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = cli_vrun(cli_out, sizeof cli_out, fmt, ap);
    va_end(ap);
    return rc;
}

void cli_temp_file(const char *text, char *path, size_t size) {
    snprintf(path, size, "/tmp/fedc_cli_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) FAIL("mkstemp failed");
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) FAIL("write failed");
    close(fd);
}
