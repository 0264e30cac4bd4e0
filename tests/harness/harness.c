/* harness.c — the test runner: registry, forking runner with timeouts, assertion reporting and
 * the counting allocator behind allocation-failure sweeps.
 *
 * The closing line `tests: N passed, N failed, N skipped` is read by CI; keep it exact.
 */
#include "harness/harness.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { OUTCOME_PASS = 0, OUTCOME_FAIL = 1, OUTCOME_SKIP = 77 };

typedef struct test_entry {
    char name[256]; /* "base/rng.uniform_range" */
    fedc_test_fn fn;
} test_entry;

static test_entry *g_tests;
static size_t g_ntests, g_captests;
static uint64_t g_seed = 1;
static bool g_forked = true;
static jmp_buf g_jump; /* no-fork mode: where a failing test returns to */
static int g_outcome;

void fedc_test_register(const char *file, const char *name, fedc_test_fn fn) {
    if (g_ntests == g_captests) {
        g_captests = g_captests ? 2 * g_captests : 64;
        g_tests = realloc(g_tests, g_captests * sizeof *g_tests);
        if (!g_tests) abort();
    }
    /* "tests/base/test_rng.c" -> "base/rng" */
    const char *f = file;
    if (strncmp(f, "tests/", 6) == 0) f += 6;
    char stem[200];
    snprintf(stem, sizeof stem, "%s", f);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    char *slash = strrchr(stem, '/');
    char *base = slash ? slash + 1 : stem;
    if (strncmp(base, "test_", 5) == 0) memmove(base, base + 5, strlen(base + 5) + 1);
    test_entry *t = &g_tests[g_ntests++];
    snprintf(t->name, sizeof t->name, "%s.%s", stem, name);
    t->fn = fn;
}

uint64_t fedc_test_seed(void) { return g_seed; }

const char *fedc_test_data_dir(void) {
    const char *d = getenv("FEDC_DATA_DIR");
    return (d && *d) ? d : "../shared/data";
}

static _Noreturn void finish(int outcome) {
    fflush(stdout);
    fflush(stderr);
    if (g_forked) _exit(outcome);
    g_outcome = outcome;
    longjmp(g_jump, 1);
}

void fedc_test_fail(const char *file, int line, const char *fmt, ...) {
    fprintf(stderr, "    %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    finish(OUTCOME_FAIL);
}

void fedc_test_skip(const char *fmt, ...) {
    fprintf(stderr, "    skipped: ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    finish(OUTCOME_SKIP);
}

/* ---- values ---- */

fedc_test_value fedc_tv_int(long long v) { return (fedc_test_value){.kind = FEDC_TV_INT, .i = v}; }
fedc_test_value fedc_tv_uint(unsigned long long v) {
    return (fedc_test_value){.kind = FEDC_TV_UINT, .u = v};
}
fedc_test_value fedc_tv_float(long double v) {
    return (fedc_test_value){.kind = FEDC_TV_FLOAT, .f = v};
}
fedc_test_value fedc_tv_str(const char *v) {
    return (fedc_test_value){.kind = FEDC_TV_STR, .s = v};
}
fedc_test_value fedc_tv_ptr(const void *v) {
    return (fedc_test_value){.kind = FEDC_TV_PTR, .p = v};
}

static void format_value(char *buf, size_t size, fedc_test_value v) {
    switch (v.kind) {
    case FEDC_TV_INT: snprintf(buf, size, "%lld", v.i); break;
    case FEDC_TV_UINT: snprintf(buf, size, "%llu", v.u); break;
    case FEDC_TV_FLOAT: snprintf(buf, size, "%.9Lg", v.f); break;
    case FEDC_TV_STR:
        if (v.s)
            snprintf(buf, size, "\"%s\"", v.s);
        else
            snprintf(buf, size, "NULL");
        break;
    case FEDC_TV_PTR: snprintf(buf, size, "%p", v.p); break;
    }
}

static long double as_long_double(fedc_test_value v) {
    switch (v.kind) {
    case FEDC_TV_INT: return (long double)v.i;
    case FEDC_TV_UINT: return (long double)v.u;
    case FEDC_TV_FLOAT: return v.f;
    default: return 0;
    }
}

/* -1, 0, 1, or 2 for unordered (NaN). */
static int compare_values(fedc_test_value a, fedc_test_value b) {
    if (a.kind == FEDC_TV_STR || b.kind == FEDC_TV_STR) {
        if (!a.s || !b.s) return (a.s == b.s) ? 0 : (a.s ? 1 : -1);
        int c = strcmp(a.s, b.s);
        return (c > 0) - (c < 0);
    }
    if (a.kind == FEDC_TV_PTR || b.kind == FEDC_TV_PTR)
        return ((uintptr_t)a.p > (uintptr_t)b.p) - ((uintptr_t)a.p < (uintptr_t)b.p);
    if (a.kind == FEDC_TV_FLOAT || b.kind == FEDC_TV_FLOAT) {
        long double x = as_long_double(a), y = as_long_double(b);
        if (isnan(x) || isnan(y)) return 2;
        return (x > y) - (x < y);
    }
    if (a.kind == FEDC_TV_INT && b.kind == FEDC_TV_INT) return (a.i > b.i) - (a.i < b.i);
    if (a.kind == FEDC_TV_UINT && b.kind == FEDC_TV_UINT) return (a.u > b.u) - (a.u < b.u);
    /* mixed signedness: a negative signed value is below every unsigned one */
    if (a.kind == FEDC_TV_INT) {
        if (a.i < 0) return -1;
        unsigned long long x = (unsigned long long)a.i;
        return (x > b.u) - (x < b.u);
    }
    if (b.i < 0) return 1;
    unsigned long long y = (unsigned long long)b.i;
    return (a.u > y) - (a.u < y);
}

void fedc_test_check_cmp(const char *file, int line, const char *a_text, const char *b_text,
                         fedc_cmp_op op, fedc_test_value a, fedc_test_value b) {
    int c = compare_values(a, b);
    bool ok = false;
    switch (op) {
    case FEDC_CMP_EQ: ok = c == 0; break;
    case FEDC_CMP_NE: ok = c != 0; break;
    case FEDC_CMP_LT: ok = c == -1; break;
    case FEDC_CMP_LE: ok = c == -1 || c == 0; break;
    case FEDC_CMP_GT: ok = c == 1; break;
    case FEDC_CMP_GE: ok = c == 1 || c == 0; break;
    }
    if (ok) return;
    static const char *names[] = {"==", "!=", "<", "<=", ">", ">="};
    char av[256], bv[256];
    format_value(av, sizeof av, a);
    format_value(bv, sizeof bv, b);
    fedc_test_fail(file, line, "expected %s %s %s\n      %s = %s\n      %s = %s", a_text, names[op],
                   b_text, a_text, av, b_text, bv);
}

void fedc_test_check_contains(const char *file, int line, const char *h_text, const char *haystack,
                              const char *needle) {
    if (haystack && needle && strstr(haystack, needle)) return;
    fedc_test_fail(file, line, "expected %s to contain \"%s\"\n      %s = \"%s\"", h_text,
                   needle ? needle : "(null)", h_text, haystack ? haystack : "(null)");
}

void fedc_test_check_near(const char *file, int line, const char *a_text, const char *b_text,
                          double a, double b, double tol) {
    if (isnan(a) && isnan(b)) return;
    if (fabs(a - b) <= tol) return;
    if (isinf(a) && a == b) return;
    fedc_test_fail(file, line,
                   "expected |%s - %s| <= %g\n      %s = %.9g\n      %s = %.9g\n"
                   "      difference %.9g",
                   a_text, b_text, tol, a_text, a, b_text, b, fabs(a - b));
}

/* Scans pairs (a[i], b[i]) for the worst excess over tolerance; returns the index or -1. */
typedef double (*element_getter)(const void *src, int64_t i);

static int64_t worst_mismatch(const void *a, const void *b, element_getter get, int64_t n,
                              double tol, double *worst_diff, double *largest_diff) {
    int64_t worst = -1;
    double worst_excess = 0;
    *largest_diff = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = get(a, i), y = get(b, i);
        if (isnan(x) && isnan(y)) continue;
        if (isinf(x) && x == y) continue;
        double d = fabs(x - y);
        if (isnan(d)) d = INFINITY;
        if (d > *largest_diff) *largest_diff = d;
        double allowed = tol * (fabs(y) > 1 ? fabs(y) : 1);
        if (d > allowed && (worst < 0 || d - allowed > worst_excess)) {
            worst = i;
            worst_excess = d - allowed;
            *worst_diff = d;
        }
    }
    return worst;
}

static double get_float(const void *p, int64_t i) { return ((const float *)p)[i]; }

void fedc_test_check_floats_near(const char *file, int line, const char *a_text, const char *b_text,
                                 const float *a, const float *b, int64_t n, double tol) {
    double worst_diff = 0, largest = 0;
    int64_t i = worst_mismatch(a, b, get_float, n, tol, &worst_diff, &largest);
    if (i < 0) return;
    fedc_test_fail(file, line,
                   "%s and %s differ beyond %g (relative above 1): largest difference %.9g; worst "
                   "at [%lld]: %.9g vs %.9g",
                   a_text, b_text, tol, largest, (long long)i, (double)a[i], (double)b[i]);
}

static double get_tensor_flat(const void *t, int64_t i) {
    return fedc_tensor_get_flat((const fedc_tensor *)t, i);
}

void fedc_test_check_tensor_near(const char *file, int line, const char *a_text, const char *b_text,
                                 const fedc_tensor *a, const fedc_tensor *b, double tol) {
    if (!fedc_shape_equal(&a->shape, &b->shape)) {
        char sa[128], sb[128];
        fedc_shape_format(&a->shape, sa, sizeof sa);
        fedc_shape_format(&b->shape, sb, sizeof sb);
        fedc_test_fail(file, line, "%s has shape %s, %s has shape %s", a_text, sa, b_text, sb);
    }
    int64_t n = fedc_shape_numel(&a->shape);
    double worst_diff = 0, largest = 0;
    int64_t i = worst_mismatch(a, b, get_tensor_flat, n, tol, &worst_diff, &largest);
    if (i < 0) return;
    /* the flat index as a multi-index */
    char where[160] = "[";
    int64_t rest = i;
    int64_t idx[FEDC_MAX_RANK] = {0};
    for (int d = a->shape.rank - 1; d >= 0; d--) {
        int64_t dim = a->shape.dims[d];
        idx[d] = dim ? rest % dim : 0;
        rest = dim ? rest / dim : 0;
    }
    for (int d = 0; d < a->shape.rank; d++) {
        size_t len = strlen(where);
        snprintf(where + len, sizeof where - len, "%s%lld", d ? "," : "", (long long)idx[d]);
    }
    strcat(where, "]");
    fedc_test_fail(file, line,
                   "%s and %s differ beyond %g (relative above 1): largest difference %.9g; worst "
                   "at %s: %.9g vs %.9g",
                   a_text, b_text, tol, largest, where, fedc_tensor_get_flat(a, i),
                   fedc_tensor_get_flat(b, i));
}

/* ---- counting allocator ---- */

/* Atomic: allocation sweeps may run code that allocates from several threads. */
static _Atomic long g_alloc_count, g_alloc_outstanding;
static long g_fail_at;
static bool g_fail_sticky;
static _Atomic bool g_fail_hit;

static bool should_fail(void) {
    long n = ++g_alloc_count;
    if (g_fail_at > 0 && (n == g_fail_at || (g_fail_sticky && n > g_fail_at))) {
        g_fail_hit = true;
        return true;
    }
    return false;
}

static void *counting_malloc(void *user, size_t size) {
    (void)user;
    if (should_fail()) return NULL;
    void *p = malloc(size ? size : 1);
    if (p) g_alloc_outstanding++;
    return p;
}

static void *counting_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    if (should_fail()) return NULL;
    void *p = realloc(ptr, size ? size : 1);
    if (p && !ptr) g_alloc_outstanding++;
    return p;
}

static void counting_free(void *user, void *ptr) {
    (void)user;
    if (ptr) {
        g_alloc_outstanding--;
        free(ptr);
    }
}

void fedc_test_alloc_begin(long fail_at, bool sticky) {
    g_alloc_count = 0;
    g_alloc_outstanding = 0;
    g_fail_at = fail_at;
    g_fail_sticky = sticky;
    g_fail_hit = false;
    fedc_allocator a = {counting_malloc, counting_realloc, counting_free, NULL};
    fedc_allocator_set(&a);
}

void fedc_test_alloc_end(void) { fedc_allocator_set(NULL); }
long fedc_test_alloc_count(void) { return g_alloc_count; }
long fedc_test_alloc_outstanding(void) { return g_alloc_outstanding; }
bool fedc_test_alloc_failed(void) { return g_fail_hit; }

long fedc_test_alloc_sweep(fedc_ctx *ctx, fedc_test_alloc_op op, void (*cleanup)(void *arg),
                           void *arg) {
    for (long k = 1;; k++) {
        fedc_ctx_clear(ctx);
        fedc_test_alloc_begin(k, false);
        fedc_status st = op(ctx, arg);
        bool hit = fedc_test_alloc_failed();
        long made = fedc_test_alloc_count();
        if (st == FEDC_STATUS_OK) {
            if (cleanup) cleanup(arg);
            long left = fedc_test_alloc_outstanding();
            fedc_test_alloc_end();
            if (left != 0)
                FAIL("allocation sweep: %ld block(s) left after success and cleanup (k = %ld)",
                     left, k);
            if (!hit) return made;
            /* the operation recovered from the failure on its own (e.g. a fallback): go on */
            continue;
        }
        long left = fedc_test_alloc_outstanding();
        fedc_test_alloc_end();
        if (!hit)
            FAIL("allocation sweep: failed with %s (%s) without reaching allocation %ld",
                 fedc_status_name(st), fedc_ctx_message(ctx), k);
        if (st != FEDC_STATUS_OUT_OF_MEMORY)
            FAIL("allocation sweep: allocation %ld failed and the operation returned %s (%s), "
                 "expected OUT_OF_MEMORY",
                 k, fedc_status_name(st), fedc_ctx_message(ctx));
        if (fedc_ctx_message(ctx)[0] == '\0')
            FAIL("allocation sweep: allocation %ld failed with no message", k);
        if (left != 0)
            FAIL("allocation sweep: allocation %ld failed and %ld block(s) leaked", k, left);
    }
}

/* ---- runner ---- */

static bool matches_filter(const char *name, const char *filter) {
    if (!filter || !*filter) return true;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", filter);
    for (char *save = NULL, *pat = strtok_r(buf, ",", &save); pat; pat = strtok_r(NULL, ",", &save))
        if (strstr(name, pat)) return true;
    return false;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_in_process(const test_entry *t) {
    fedc_ctx *ctx = NULL;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) return OUTCOME_FAIL;
    g_outcome = OUTCOME_PASS;
    if (setjmp(g_jump) == 0) t->fn(ctx);
    fedc_test_alloc_end();
    fedc_ctx_destroy(ctx);
    return g_outcome;
}

static int run_forked(const test_entry *t, unsigned timeout_s) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "    fork failed: %s\n", strerror(errno));
        return OUTCOME_FAIL;
    }
    if (pid == 0) {
        alarm(timeout_s);
        fedc_ctx *ctx = NULL;
        if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) _exit(OUTCOME_FAIL);
        t->fn(ctx);
        fedc_ctx_destroy(ctx);
        fflush(stdout);
        fflush(stderr);
        _exit(OUTCOME_PASS);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return OUTCOME_FAIL;
    }
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code == OUTCOME_PASS || code == OUTCOME_SKIP) return code;
        if (code != OUTCOME_FAIL) fprintf(stderr, "    exited with code %d\n", code);
        return OUTCOME_FAIL;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM)
            fprintf(stderr, "    timed out after %u s\n", timeout_s);
        else
            fprintf(stderr, "    killed by signal %d (%s)\n", sig, strsignal(sig));
    }
    return OUTCOME_FAIL;
}

static int compare_entries(const void *a, const void *b) {
    return strcmp(((const test_entry *)a)->name, ((const test_entry *)b)->name);
}

static void usage(void) {
    printf("usage: run_tests [--filter PAT[,PAT...]] [--no-fork] [--seed N] [--timeout S] [--list] "
           "[--verbose]\n");
}

int main(int argc, char **argv) {
    const char *filter = NULL;
    unsigned timeout_s = 300;
    bool list = false, verbose = false;
    const char *env_timeout = getenv("FEDC_TEST_TIMEOUT");
    if (env_timeout && atoi(env_timeout) > 0) timeout_s = (unsigned)atoi(env_timeout);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strncmp(a, "--filter=", 9))
            filter = a + 9;
        else if (!strcmp(a, "--no-fork"))
            g_forked = false;
        else if (!strcmp(a, "--seed") && i + 1 < argc)
            g_seed = strtoull(argv[++i], NULL, 0);
        else if (!strncmp(a, "--seed=", 7))
            g_seed = strtoull(a + 7, NULL, 0);
        else if (!strcmp(a, "--timeout") && i + 1 < argc)
            timeout_s = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--list"))
            list = true;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
            verbose = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "run_tests: unknown argument '%s'\n", a);
            usage();
            return 2;
        }
    }
    qsort(g_tests, g_ntests, sizeof *g_tests, compare_entries);
    if (list) {
        for (size_t i = 0; i < g_ntests; i++)
            if (matches_filter(g_tests[i].name, filter)) printf("%s\n", g_tests[i].name);
        return 0;
    }
    printf("fedc %s tests, seed %llu, kernels %s\n", fedc_version(), (unsigned long long)g_seed,
           fedc_kernels_name());
    int passed = 0, failed = 0, skipped = 0;
    /* hidden_* tests misbehave on purpose; only the harness's own tests run them */
    bool run_hidden = getenv("FEDC_HARNESS_SELFTEST") != NULL;
    for (size_t i = 0; i < g_ntests; i++) {
        const test_entry *t = &g_tests[i];
        if (!matches_filter(t->name, filter)) continue;
        if (!run_hidden && strstr(t->name, ".hidden_")) continue;
        if (verbose) {
            printf("run  %s\n", t->name);
            fflush(stdout);
        }
        double t0 = now_ms();
        int outcome = g_forked ? run_forked(t, timeout_s) : run_in_process(t);
        double ms = now_ms() - t0;
        if (outcome == OUTCOME_PASS) {
            passed++;
            printf("ok   %s (%.0f ms)\n", t->name, ms);
        } else if (outcome == OUTCOME_SKIP) {
            skipped++;
            printf("skip %s\n", t->name);
        } else {
            failed++;
            printf("FAIL %s (%.0f ms)\n", t->name, ms);
        }
        fflush(stdout);
    }
    printf("tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
