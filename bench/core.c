/* bench/core.c — the Federated Core's threaded executor on a map-then-mean over many clients,
 * against a plain C loop doing the same arithmetic in the same run, and its memory as the
 * number of clients grows.
 *
 *   make bench && build/bench/core [--clients N] [--runs R] [--width W] [--window K]
 *   build/bench/core --executor-only T [--native | --native-uninit]
 *       only the executor on T threads (for a profiler)
 *
 * The computation: client i holds one int32, its index; its work builds a float32[W] update
 * u = i * a + b (a and b are constant vectors of the module) and the server takes the mean:
 *
 *   main = (ids: {int32}@CLIENTS) -> federated_mean(federated_map(<work, ids>))
 *
 * so the clients' inputs are 4 bytes each and the 4W-byte updates exist only inside the
 * executor. The plain loop computes u for each client in index order and adds it to the running
 * sum as the executor does (acc = u_0, then acc + u_i), then divides in double and rounds once;
 * its result must equal the executor's bit for bit, and the program says so. The work comes in
 * three forms: builtins the executor interprets, a native C function whose result comes from
 * fedc_tensor_alloc (zero-filled), and the same native with fedc_tensor_alloc_uninit.
 * Timings are medians of R runs (5) after one untimed run, wall clock and CPU seconds, with the
 * range of each run's ratio to the loop of the same run; the loop runs on one thread, the
 * executor on a pool of 1 and of 2 threads. The machine's load averages are printed with them.
 *
 * Memory: for each client count a fresh process (this program run with --memory N) builds the
 * input, then runs the computation on 2 threads once, reporting the peak of the library's live
 * bytes above the input (an allocator hook counts every byte fedc allocates) and the process's
 * maximum resident set (getrusage). Nothing here asserts a speed: it measures and prints.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fedc/fedc.h"

#include "bench_live.h"
#include "bench_util.h"

static void die(fedc_ctx *ctx, const char *what) {
    fprintf(stderr, "bench/core: %s: %s\n", what, ctx ? fedc_ctx_message(ctx) : "failed");
    exit(1);
}

/* a[j] and b[j] of the client work: exact in float32, so both sides start from the same bits */
static float coef_a(int j) { return 0.25f + (float)(j % 17) * 0.125f; }
static float coef_b(int j) { return (float)(j % 29) - 14.0f; }

/* The same client work as a native function: what the executor costs around a client's work
 * when that work is compiled C rather than builtins the executor interprets. */
typedef struct affine_coefs {
    int width;
    const float *a, *b;
} affine_coefs;

/* Aligned, as the loop below, so that its speed does not depend on where the linker puts it. */
static __attribute__((noinline, aligned(64))) fedc_status
affine(fedc_ctx *ctx, const affine_coefs *c, bool zeroed, fedc_value *arg, fedc_value **out) {
    const fedc_tensor *t = arg ? fedc_value_get_tensor(arg) : NULL;
    if (!t || t->dtype != FEDC_DTYPE_INT32 || fedc_tensor_numel(t) != 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "affine expects an int32 scalar");
    float s = (float)*(const int32_t *)t->data;
    fedc_shape shape = FEDC_SHAPE(c->width);
    fedc_tensor u;
    fedc_status st = FEDC_STATUS_OK;
    /* every element is written below, so the zero fill is a wasted pass unless asked for */
    if (zeroed)
        st = fedc_tensor_alloc(ctx, &u, FEDC_DTYPE_FLOAT32, &shape);
    else
        st = fedc_tensor_alloc_uninit(ctx, &u, FEDC_DTYPE_FLOAT32, &shape);
    if (st < 0) return st;
    /* locals, so the compiler knows the stores cannot move a, b or width and vectorizes */
    float *pu = u.data;
    const float *a = c->a, *b = c->b;
    for (int j = 0, w = c->width; j < w; j++)
        pu[j] = s * a[j] + b[j];
    if ((st = fedc_value_tensor_take(ctx, &u, out)) < 0) fedc_tensor_free(&u);
    return st;
}

/* The native as one would write it first: its result from fedc_tensor_alloc, zero-filled. */
static fedc_status affine_native(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                 fedc_value *arg, fedc_value **out) {
    (void)blob;
    (void)blob_size;
    return affine(ctx, user, true, arg, out);
}

/* The same without the zero fill, which the loop does not pay either (a third pass of stores
 * over the 4 KB result). */
static fedc_status affine_native_uninit(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                        size_t blob_size, fedc_value *arg, fedc_value **out) {
    (void)blob;
    (void)blob_size;
    return affine(ctx, user, false, arg, out);
}

static affine_coefs g_coefs; /* a and b, shared by the module's literals, the native, the loop */

static void coefs_init(int width) {
    float *a = malloc((size_t)width * sizeof *a), *b = malloc((size_t)width * sizeof *b);
    if (!a || !b) die(NULL, "out of memory");
    for (int j = 0; j < width; j++) {
        a[j] = coef_a(j);
        b[j] = coef_b(j);
    }
    g_coefs = (affine_coefs){width, a, b};
}

/* main = federated_mean(federated_map(<work, ids>)) for a work definition. */
static fedc_node *mean_of_map(fedc_comp *c, const char *work, const fedc_type *ids_type) {
    fedc_param pids = {"ids", ids_type};
    fedc_node *map = fedc_node_call(c, fedc_node_intrinsic(c, FEDC_INTRINSIC_FEDERATED_MAP),
                                    fedc_node_struct(c, 2,
                                                     (fedc_node *[]){fedc_node_reference(c, work),
                                                                     fedc_node_reference(c, "ids")},
                                                     NULL));
    fedc_node *mean = fedc_node_call(c, fedc_node_intrinsic(c, FEDC_INTRINSIC_FEDERATED_MEAN), map);
    return fedc_node_lambda(c, 1, &pids, mean);
}

/* work = (i: int32 -> add(mul(cast(i, 1.0), a), b)), work_native its native twin, main and
 * main_native as in the header. */
static fedc_comp *build_comp(fedc_ctx *ctx, int width) {
    fedc_comp *c;
    if (fedc_comp_create(ctx, &c)) die(ctx, "module");
    const float *a = g_coefs.a, *b = g_coefs.b;
    fedc_shape s = FEDC_SHAPE(width);
    fedc_tensor at = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, (void *)a);
    fedc_tensor bt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, (void *)b);
    if (fedc_comp_define(ctx, c, "a", fedc_node_literal(c, &at)) ||
        fedc_comp_define(ctx, c, "b", fedc_node_literal(c, &bt)))
        die(ctx, "constants");
    fedc_arena *ar = fedc_comp_arena(c);
    const fedc_type *i32 = fedc_type_tensor(ar, FEDC_DTYPE_INT32, 0, NULL);
    fedc_param pi = {"i", i32};
    fedc_node *castd = fedc_node_call(
        c, fedc_node_builtin(c, "cast"),
        fedc_node_struct(
            c, 2, (fedc_node *[]){fedc_node_reference(c, "i"), fedc_node_float(c, 1.0f)}, NULL));
    fedc_node *scaled = fedc_node_call(
        c, fedc_node_builtin(c, "mul"),
        fedc_node_struct(c, 2, (fedc_node *[]){castd, fedc_node_reference(c, "a")}, NULL));
    fedc_node *sum = fedc_node_call(
        c, fedc_node_builtin(c, "add"),
        fedc_node_struct(c, 2, (fedc_node *[]){scaled, fedc_node_reference(c, "b")}, NULL));
    if (fedc_comp_define(ctx, c, "work", fedc_node_lambda(c, 1, &pi, sum))) die(ctx, "work");
    const fedc_type *ids = fedc_type_federated(ar, i32, FEDC_PLACEMENT_CLIENTS, false);
    int64_t dims[1] = {width};
    const fedc_type *native_type =
        fedc_type_function(ar, i32, fedc_type_tensor(ar, FEDC_DTYPE_FLOAT32, 1, dims));
    if (fedc_comp_define(ctx, c, "work_native",
                         fedc_node_native(c, "affine", native_type, NULL, 0)) ||
        fedc_comp_define(ctx, c, "work_native_uninit",
                         fedc_node_native(c, "affine_uninit", native_type, NULL, 0)) ||
        fedc_comp_define(ctx, c, "main", mean_of_map(c, "work", ids)) ||
        fedc_comp_define(ctx, c, "main_native", mean_of_map(c, "work_native", ids)) ||
        fedc_comp_define(ctx, c, "main_native_uninit", mean_of_map(c, "work_native_uninit", ids)))
        die(ctx, "main");
    if (fedc_comp_check(ctx, c)) die(ctx, "check");
    return c;
}

/* {0, 1, ..., n-1}@CLIENTS as int32 scalars. */
static fedc_value *build_ids(fedc_ctx *ctx, int n) {
    fedc_value **items = malloc((size_t)n * sizeof *items);
    if (!items) die(NULL, "out of memory");
    fedc_shape s0 = FEDC_SHAPE0;
    for (int i = 0; i < n; i++) {
        int32_t v = i;
        fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &v);
        if (fedc_value_tensor(ctx, &t, &items[i])) die(ctx, "input");
    }
    fedc_value *ids;
    if (fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, (size_t)n, items, &ids))
        die(ctx, "input");
    for (int i = 0; i < n; i++)
        fedc_value_release(items[i]);
    free(items);
    return ids;
}

/* The same arithmetic as the computation, in one loop: float32 products and sums in client
 * order, the mean divided in double and rounded once (as the executor's divide). Not inlined
 * and aligned to 64 bytes: inlined into main, it ran at 0.016 or 0.022 s from one build to the
 * next (main moved with the size of the library's cold code before it, and the loop with it),
 * which moved every ratio by a third; aligned, it runs at the faster speed in every build. */
static __attribute__((noinline, aligned(64))) void
plain_loop(int n, int width, const float *a, const float *b, float *acc, float *u, float *mean) {
    for (int i = 0; i < n; i++) {
        float s = (float)i;
        for (int j = 0; j < width; j++)
            u[j] = s * a[j] + b[j];
        if (i == 0)
            memcpy(acc, u, (size_t)width * sizeof *acc);
        else
            for (int j = 0; j < width; j++)
                acc[j] = acc[j] + u[j];
    }
    for (int j = 0; j < width; j++)
        mean[j] = (float)((double)acc[j] / (double)n);
}

static double cpu_s(void) { return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* The first three fields of /proc/loadavg, or "unknown". */
static void bench_loadavg(char *buf, size_t size) {
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/loadavg", "r");
    double l1, l5, l15;
    if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        snprintf(buf, size, "%.2f, %.2f, %.2f", l1, l5, l15);
    if (f) fclose(f);
}
static double wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }

/* Runs main once on `pool` (NULL: the reference executor); the result's member tensor. */
static size_t g_window; /* --window: clients per window, 0 the executor's default */
static const char *g_only_name = "main"; /* --executor-only's definition (--native...) */

static fedc_value *run_once(fedc_ctx *ctx, fedc_comp *c, const char *name, fedc_value *ids,
                            fedc_pool *pool) {
    fedc_native natives[2] = {{"affine", affine_native, &g_coefs},
                              {"affine_uninit", affine_native_uninit, &g_coefs}};
    fedc_exec_opts o = fedc_exec_opts_default();
    o.pool = pool;
    o.window = g_window;
    o.natives = natives;
    o.nnatives = 2;
    fedc_value *r;
    if (fedc_exec_run(ctx, c, name, ids, &o, &r)) die(ctx, "run");
    return r;
}

/* The child of the memory table: prints "INPUT PEAK" (bytes) on stdout. */
static int memory_child(int n, int width) {
    bench_live_install();
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) die(NULL, "context");
    fedc_comp *c = build_comp(ctx, width);
    fedc_pool *pool;
    if (fedc_pool_create(ctx, 2, &pool)) die(ctx, "pool");
    long long before = bench_live_now();
    fedc_value *ids = build_ids(ctx, n);
    long long input = bench_live_now() - before;
    bench_live_reset_peak();
    long long base = bench_live_now();
    fedc_value *r = run_once(ctx, c, "main", ids, pool);
    long long peak = bench_live_peak() - base;
    fedc_value_release(r);
    fedc_value_release(ids);
    fedc_pool_destroy(pool);
    fedc_comp_destroy(c);
    fedc_ctx_destroy(ctx);
    printf("%lld %lld\n", input, peak);
    return 0;
}

/* Runs `self --memory n` and reads its figures and maximum RSS (KiB). */
static void memory_row(const char *self, int n, int width) {
    int fds[2];
    if (pipe(fds)) die(NULL, "pipe");
    pid_t pid = fork();
    if (pid < 0) die(NULL, "fork");
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        char nbuf[32], wbuf[32];
        snprintf(nbuf, sizeof nbuf, "%d", n);
        snprintf(wbuf, sizeof wbuf, "%d", width);
        execl(self, self, "--memory", nbuf, "--width", wbuf, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[128] = {0};
    FILE *f = fdopen(fds[0], "r");
    if (!f || !fgets(line, sizeof line, f)) line[0] = '\0';
    if (f) fclose(f);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die(NULL, "memory child failed");
    long long input = 0, peak = 0;
    if (sscanf(line, "%lld %lld", &input, &peak) != 2) die(NULL, "memory child output");
    printf("%9d  %12.2f  %18.3f  %12.1f\n", n, (double)input / (1 << 20), (double)peak / (1 << 20),
           (double)ru.ru_maxrss / 1024.0);
}

/* --executor-only: R runs on T threads and nothing else, so a profile shows only the executor. */
static int executor_only(int n, int runs, int width, int threads) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) die(NULL, "context");
    fedc_comp *c = build_comp(ctx, width);
    fedc_value *ids = build_ids(ctx, n);
    fedc_pool *pool;
    if (fedc_pool_create(ctx, threads, &pool)) die(ctx, "pool");
    for (int r = 0; r < runs; r++) {
        double w0 = wall_s();
        fedc_value_release(run_once(ctx, c, g_only_name, ids, pool));
        printf("run %d: %.3f s\n", r, wall_s() - w0);
    }
    fedc_pool_destroy(pool);
    fedc_value_release(ids);
    fedc_comp_destroy(c);
    fedc_ctx_destroy(ctx);
    return 0;
}

int main(int argc, char **argv) {
    int n = 100000, runs = 5, width = 1000, memory = 0, only = 0;
    for (int k = 1; k < argc; k++) {
        if (k + 1 < argc && strcmp(argv[k], "--clients") == 0)
            n = atoi(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--runs") == 0)
            runs = atoi(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--width") == 0)
            width = atoi(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--memory") == 0)
            memory = atoi(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--window") == 0)
            g_window = (size_t)atoi(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--executor-only") == 0)
            only = atoi(argv[++k]);
        else if (strcmp(argv[k], "--native") == 0)
            g_only_name = "main_native";
        else if (strcmp(argv[k], "--native-uninit") == 0)
            g_only_name = "main_native_uninit";
        else {
            fprintf(stderr,
                    "usage: %s [--clients N] [--runs R] [--width W] [--window K] "
                    "[--executor-only THREADS [--native | --native-uninit]]\n",
                    argv[0]);
            return 2;
        }
    }
    if (n < 1 || runs < 1 || runs > 99 || width < 1) {
        fprintf(stderr, "bench/core: --clients, --runs (<= 99) and --width must be positive\n");
        return 2;
    }
    coefs_init(width);
    if (memory > 0) return memory_child(memory, width);
    if (only > 0) return executor_only(n, runs, width, only);

    char cpu[256];
    printf("federated_mean(federated_map(<work, ids>)) over %d clients, float32[%d] updates\n", n,
           width);
    printf("cpu: %s, %d online; %d runs, medians\n\n", bench_cpu_model(cpu, sizeof cpu),
           fedc_cpu_count(), runs);

    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) die(NULL, "context");
    fedc_comp *c = build_comp(ctx, width);
    fedc_value *ids = build_ids(ctx, n);
    const float *a = g_coefs.a, *b = g_coefs.b;
    float *acc = malloc((size_t)width * sizeof *acc), *u = malloc((size_t)width * sizeof *u);
    float *mean = malloc((size_t)width * sizeof *mean);
    if (!acc || !u || !mean) die(NULL, "out of memory");
    fedc_pool *pools[2];
    for (int t = 0; t < 2; t++)
        if (fedc_pool_create(ctx, t + 1, &pools[t])) die(ctx, "pool");

    /* row 0 the loop; rows 1 + 2 * k + t: definition k (builtins, native, native without the
     * zero fill) on t + 1 threads */
    static const char *const defs[3] = {"main", "main_native", "main_native_uninit"};
    static const char *const forms[3] = {"builtin", "native", "native uninit."};
    enum { ROWS = 7 };
    double wall[ROWS][99], cpu_t[ROWS][99], ratio[ROWS][99];
    bool same = true;
    char load0[64], load1[64];
    bench_loadavg(load0, sizeof load0);
    /* r = -1 warms up, untimed: first touches of memory, and OpenBLAS's threads, which spin
     * for a while after the program starts, off the timings */
    for (int r = -1; r < runs; r++) { /* interleaved, so drift of the machine hits all alike */
        double w0 = wall_s(), c0 = cpu_s();
        plain_loop(n, width, a, b, acc, u, mean);
        double w_loop = wall_s() - w0, c_loop = cpu_s() - c0;
        if (r >= 0) {
            wall[0][r] = w_loop;
            cpu_t[0][r] = c_loop;
        }
        for (int row = 1; row < ROWS; row++) {
            w0 = wall_s();
            c0 = cpu_s();
            fedc_value *res = run_once(ctx, c, defs[(row - 1) / 2], ids, pools[(row - 1) % 2]);
            if (r >= 0) {
                wall[row][r] = wall_s() - w0;
                cpu_t[row][r] = cpu_s() - c0;
                ratio[row][r] = wall[row][r] / w_loop; /* against the loop of the same run */
            }
            const fedc_tensor *m = fedc_value_get_tensor(fedc_value_item(res, 0));
            same = same && m && memcmp(m->data, mean, (size_t)width * sizeof *mean) == 0;
            fedc_value_release(res);
        }
    }
    bench_loadavg(load1, sizeof load1);
    double loop_wall = bench_median(wall[0], runs);
    printf("load average (1, 5, 15 min) at the start: %s, at the end: %s\n\n", load0, load1);
    printf("%-44s %8s %8s %10s %12s %14s\n", "", "wall s", "cpu s", "us/client", "wall / loop",
           "per run: range");
    printf("%-44s %8.3f %8.3f %10.2f %12s\n", "plain C loop (1 thread)", loop_wall,
           bench_median(cpu_t[0], runs), 1e6 * loop_wall / n, "1.00");
    for (int row = 1; row < ROWS; row++) {
        double w = bench_median(wall[row], runs);
        char label[64];
        snprintf(label, sizeof label, "executor, %s work, %d thread%s", forms[(row - 1) / 2],
                 (row - 1) % 2 + 1, row % 2 ? "" : "s");
        double lo = ratio[row][0], hi = ratio[row][0];
        for (int r = 1; r < runs; r++) {
            lo = ratio[row][r] < lo ? ratio[row][r] : lo;
            hi = ratio[row][r] > hi ? ratio[row][r] : hi;
        }
        printf("%-44s %8.3f %8.3f %10.2f %12.2f %7.2f-%.2f\n", label, w,
               bench_median(cpu_t[row], runs), 1e6 * w / n, w / loop_wall, lo, hi);
    }
    printf("\nevery executor result bit-identical to the loop's: %s\n", same ? "yes" : "NO");

    printf("\nmemory (builtin work), a fresh process per row, 2 threads:\n");
    printf("%9s  %12s  %18s  %12s\n", "clients", "input MiB", "executor peak MiB", "max RSS MiB");
    for (int k = 0; k < 3; k++)
        memory_row("/proc/self/exe", (int[]){1000, 10000, 100000}[k], width);

    for (int t = 0; t < 2; t++)
        fedc_pool_destroy(pools[t]);
    free(acc);
    free(u);
    free(mean);
    fedc_value_release(ids);
    fedc_comp_destroy(c);
    fedc_ctx_destroy(ctx);
    free((void *)g_coefs.a);
    free((void *)g_coefs.b);
    return same ? 0 : 1;
}
