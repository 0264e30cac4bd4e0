/* test_cli.c — the fedc tool as a script sees it: output and exit codes of its commands.
 * Runs the binary named by $FEDC_TOOL (set by `make check`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness/harness.h"

/* Runs `fedc ARGS` with stderr folded into stdout; returns the exit code, output in buf. */
static int run_tool(const char *args, char *buf, size_t size) {
    const char *tool = getenv("FEDC_TOOL");
    if (!tool || !*tool) SKIP("FEDC_TOOL is not set (run through make check)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", tool, args);
    FILE *p = popen(cmd, "r");
    if (!p) FAIL("popen(%s) failed", cmd);
    size_t n = fread(buf, 1, size - 1, p);
    buf[n] = '\0';
    int status = pclose(p);
    if (!WIFEXITED(status)) FAIL("'%s' did not exit normally", cmd);
    return WEXITSTATUS(status);
}

TEST(version_prints_the_library_version) {
    char out[4096], want[64];
    snprintf(want, sizeof want, "fedc %s\n", fedc_version());
    ASSERT_EQ(run_tool("--version", out, sizeof out), 0);
    ASSERT_STREQ(out, want);
    ASSERT_EQ(run_tool("version", out, sizeof out), 0);
    ASSERT_STREQ(out, want);
}

TEST(help_lists_commands_and_an_example) {
    char out[4096];
    ASSERT_EQ(run_tool("--help", out, sizeof out), 0);
    ASSERT_CONTAINS(out, "usage: fedc");
    ASSERT_CONTAINS(out, "version");
    ASSERT_CONTAINS(out, "example:");
    ASSERT_EQ(run_tool("info --help", out, sizeof out), 0);
    ASSERT_CONTAINS(out, "usage: fedc info");
}

TEST(info_names_the_kernels) {
    char out[4096];
    ASSERT_EQ(run_tool("info", out, sizeof out), 0);
    ASSERT_CONTAINS(out, fedc_kernels_name());
}

TEST(bad_command_lines_exit_2_with_a_message) {
    char out[4096];
    ASSERT_EQ(run_tool("", out, sizeof out), 2);
    ASSERT_CONTAINS(out, "usage: fedc");
    ASSERT_EQ(run_tool("frobnicate", out, sizeof out), 2);
    ASSERT_CONTAINS(out, "unknown command 'frobnicate'");
    ASSERT_EQ(run_tool("version extra", out, sizeof out), 2);
    ASSERT_CONTAINS(out, "unexpected argument 'extra'");
}
