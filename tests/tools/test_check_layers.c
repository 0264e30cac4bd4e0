/* test_check_layers.c — the layering check passes on the tree and catches a violation.
 * Copies the script into a scratch tree with a file that breaks the rule. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/harness.h"

static int shell(const char *cmd) {
    int status = system(cmd);
    if (status == -1 || !WIFEXITED(status)) FAIL("could not run: %s", cmd);
    return WEXITSTATUS(status);
}

TEST(the_tree_respects_its_layers) { ASSERT_EQ(shell("sh scripts/check-layers.sh >/dev/null"), 0); }

TEST(an_upward_include_is_caught) {
    char dir[] = "/tmp/fedc-layers-XXXXXX";
    if (!mkdtemp(dir)) FAIL("mkdtemp failed");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/scripts %s/src/base %s/src/tensor %s/include/fedc && "
             "cp scripts/check-layers.sh %s/scripts/ && "
             "printf '#include \"fedc/base.h\"\\n' > %s/src/tensor/ok.c",
             dir, dir, dir, dir, dir, dir);
    ASSERT_EQ(shell(cmd), 0);
    snprintf(cmd, sizeof cmd, "sh %s/scripts/check-layers.sh >/dev/null", dir);
    ASSERT_EQ(shell(cmd), 0);
    /* base may not see tensor, public or private */
    snprintf(cmd, sizeof cmd, "printf '#include \"fedc/tensor.h\"\\n' > %s/src/base/up.c", dir);
    ASSERT_EQ(shell(cmd), 0);
    snprintf(cmd, sizeof cmd, "sh %s/scripts/check-layers.sh >/dev/null", dir);
    ASSERT_EQ(shell(cmd), 1);
    snprintf(cmd, sizeof cmd,
             "printf '#include \"tensor/kernels/kernels.h\"\\n' > %s/src/base/up.c", dir);
    ASSERT_EQ(shell(cmd), 0);
    snprintf(cmd, sizeof cmd, "sh %s/scripts/check-layers.sh >/dev/null", dir);
    ASSERT_EQ(shell(cmd), 1);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    shell(cmd);
}
