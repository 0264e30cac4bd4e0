/* test_harness.c — the harness checks itself: failing assertions print both sides and fail,
 * crashes and hangs fail only their own test, and the closing line counts correctly.
 * The misbehaving tests are named hidden_*: the runner leaves them out unless
 * FEDC_HARNESS_SELFTEST is set, and each acts only when that variable names it. The real tests
 * run this same binary on them in a child process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/harness.h"

static bool selftest_enabled(const char *which) {
    const char *v = getenv("FEDC_HARNESS_SELFTEST");
    if (!v || strcmp(v, which) != 0) SKIP("runs only inside the harness self-test");
    return true;
}

TEST(hidden_failing_eq) {
    selftest_enabled("eq");
    int answer = 41;
    ASSERT_EQ(answer, 42);
}

TEST(hidden_failing_tensor_near) {
    selftest_enabled("tensor");
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3.5f, 4};
    fedc_shape s = FEDC_SHAPE(2, 2);
    fedc_tensor ta = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, a);
    fedc_tensor tb = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, b);
    ASSERT_TENSOR_NEAR(&ta, &tb, 1e-3);
}

TEST(hidden_failing_ok) {
    selftest_enabled("ok");
    ASSERT_OK(fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "row 7: truncated"));
}

TEST(hidden_crash) {
    selftest_enabled("crash");
    abort();
}

TEST(hidden_hang) {
    selftest_enabled("hang");
    for (;;)
        pause();
}

/* Runs this test binary with the self-test switch; returns the exit code, output in buf. */
static int run_self(const char *which, const char *args, char *buf, size_t size) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) SKIP("cannot find the test binary through /proc/self/exe");
    exe[n] = '\0';
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "FEDC_HARNESS_SELFTEST=%s '%s' %s 2>&1", which, exe, args);
    FILE *p = popen(cmd, "r");
    if (!p) FAIL("popen failed");
    size_t got = fread(buf, 1, size - 1, p);
    buf[got] = '\0';
    int status = pclose(p);
    if (!WIFEXITED(status)) FAIL("the self-test runner did not exit normally");
    return WEXITSTATUS(status);
}

TEST(a_failing_comparison_prints_both_values_and_the_place) {
    char out[8192];
    ASSERT_EQ(run_self("eq", "--filter hidden_failing_eq", out, sizeof out), 1);
    ASSERT_CONTAINS(out, "test_harness.c:");
    ASSERT_CONTAINS(out, "expected answer == 42");
    ASSERT_CONTAINS(out, "answer = 41");
    ASSERT_CONTAINS(out, "FAIL harness/harness.hidden_failing_eq");
    ASSERT_CONTAINS(out, "tests: 0 passed, 1 failed, 0 skipped\n");
}

TEST(tensor_near_prints_the_largest_difference_and_where) {
    char out[8192];
    ASSERT_EQ(run_self("tensor", "--filter hidden_failing_tensor_near", out, sizeof out), 1);
    ASSERT_CONTAINS(out, "largest difference 0.5");
    ASSERT_CONTAINS(out, "worst at [1,0]");
}

TEST(assert_ok_prints_the_status_name_and_message) {
    char out[8192];
    ASSERT_EQ(run_self("ok", "--filter hidden_failing_ok", out, sizeof out), 1);
    ASSERT_CONTAINS(out, "returned CORRUPT: row 7: truncated");
}

TEST(crashes_and_hangs_fail_only_their_own_test) {
    char out[8192];
    ASSERT_EQ(run_self("crash", "--filter hidden_crash,version_matches", out, sizeof out), 1);
    ASSERT_CONTAINS(out, "killed by signal");
    ASSERT_CONTAINS(out, "tests: 1 passed, 1 failed, 0 skipped\n");
    ASSERT_EQ(run_self("hang", "--filter hidden_hang --timeout 1", out, sizeof out), 1);
    ASSERT_CONTAINS(out, "timed out after 1 s");
}

TEST(skips_count_as_skipped_and_the_run_passes) {
    char out[8192];
    ASSERT_EQ(run_self("none", "--filter hidden_", out, sizeof out), 0);
    ASSERT_CONTAINS(out, "tests: 0 passed, 0 failed, 5 skipped\n");
}

TEST(unknown_flags_are_usage_errors) {
    char out[8192];
    ASSERT_EQ(run_self("none", "--frobnicate", out, sizeof out), 2);
    ASSERT_CONTAINS(out, "unknown argument '--frobnicate'");
}
