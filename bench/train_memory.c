/* bench/train_memory.c — peak memory of FedAvg training as the number of clients per round
 * grows, the model and the population fixed (issue: 1,000 clients per round within 1.2x of 10).
 *
 *   make bench && build/bench/train_memory [--cohorts 10,100,1000] [--rounds R] [--population N]
 *       [--data fashion-mnist|mnist] [--partition dirichlet|iid] [--max-batches B]
 *       [--models small_cnn,seed,cnn]
 *
 * Each row is a fresh process (this program run with a hidden --child flag) that loads the data
 * (Fashion-MNIST from Debian's dataset-fashion-mnist, or MNIST from FEDC_DATA_DIR or
 * ../shared/data) partitioned over N = 1,000 clients (Dirichlet(0.5) over labels, as `fedc
 * train`, or IID: 60 examples each), builds the model (`fedc train`'s small CNN, TFF's seed
 * model on flattened images, or on request McMahan et al.'s CNN: 1.66 million weights, slow) and a
 * FedAvg process (1 local epoch, batch 20, B = -1: no cap on batches, client SGD 0.1), and runs R =
 * 2 rounds of fedc_train_run on the threaded executor with 2 threads and no evaluation, as `fedc
 * train` does. The population and the model are the same in every row; only the clients per round
 * change. A fresh process per row, so no row inherits another's heap or the allocator's free lists.
 *
 * Measured in the child: the resident set after loading (VmRSS: the data, the model, the
 * process), the process's peak resident set (getrusage ru_maxrss: the figure), the
 * peak during training alone (VmHWM after resetting it through /proc/self/clear_refs; "-" where
 * the kernel refuses), and through an allocator hook the bytes fedc holds after loading and
 * their peak above that during training. The hook counts usable sizes (malloc_usable_size), so
 * it counts what fedc asks malloc for, not pages. Nothing here asserts anything: it measures
 * and prints.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fedc/fedc.h"
#include "fedc/learning_train.h"

#include "bench_live.h"
#include "bench_util.h"

static void die(fedc_ctx *ctx, const char *what) {
    fprintf(stderr, "bench/train_memory: %s: %s\n", what, ctx ? fedc_ctx_message(ctx) : "failed");
    exit(1);
}

/* ---- the child: one cohort size, one model ---- */

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"), or -1. */
static long long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            v = atoll(line + n + 1);
            break;
        }
    fclose(f);
    return v;
}

/* Resets the peak resident set (VmHWM) to the current one; false where not allowed. */
static bool reset_hwm(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static fedc_status flatten_x(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    (void)user;
    fedc_shape s = FEDC_SHAPE(784);
    return fedc_dataset_reshape(ctx, in, "x", &s, out);
}

static double wall_s(void) { return bench_clock_s(CLOCK_MONOTONIC); }

typedef struct child_opts {
    const char *model, *data, *partition;
    int64_t cohort, rounds, population, max_batches;
} child_opts;

/* Prints "RSS_LOAD_KIB HWM_TRAIN_KIB LIVE_LOAD PEAK_ABOVE SECONDS MAXRSS_KIB" on stdout. */
static int child(const child_opts *o) {
    bench_live_install();
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) die(NULL, "context");
    char dir[4096], img[4200], lab[4200];
    if (!strcmp(o->data, "mnist")) {
        const char *d = getenv("FEDC_DATA_DIR");
        snprintf(dir, sizeof dir, "%s/mnist", d && *d ? d : "../shared/data");
    } else {
        snprintf(dir, sizeof dir, "/usr/share/datasets/fashion-mnist");
    }
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);
    fedc_partition_opts po = fedc_partition_opts_default();
    po.kind = strcmp(o->partition, "iid") ? FEDC_PARTITION_DIRICHLET : FEDC_PARTITION_IID;
    po.num_clients = o->population;
    fedc_client_data *raw, *cd;
    if (fedc_client_data_from_idx(ctx, img, lab, &po, NULL, &raw)) die(ctx, img);
    bool seed = !strcmp(o->model, "seed");
    if (seed) {
        if (fedc_client_data_preprocess(ctx, raw, flatten_x, NULL, &cd)) die(ctx, "preprocess");
    } else {
        cd = raw;
    }
    fedc_model *m;
    fedc_status st = seed                       ? fedc_zoo_seed_model(ctx, 0, &m)
                     : !strcmp(o->model, "cnn") ? fedc_zoo_mnist_cnn(ctx, 0, &m)
                                                : fedc_zoo_small_cnn(ctx, 10, 0, &m);
    if (st) die(ctx, "model");
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_learning_model *lm;
    if (fedc_learning_model_from_sequential(ctx, m, &loss, NULL, 0, NULL, &lm)) die(ctx, "model");
    fedc_process_opts po2 = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    po2.client.epochs = 1;
    po2.client.batch_size = 20;
    po2.client.max_batches = o->max_batches;
    po2.client.optimizer.learning_rate = 0.1;
    fedc_learning_process *p;
    fedc_value *state;
    if (fedc_learning_process_create(ctx, lm, &po2, &p)) die(ctx, "process");
    if (fedc_learning_process_initialize(ctx, p, &state)) die(ctx, "initialize");

    long long rss_load = status_kib("VmRSS");
    bool hwm = reset_hwm();
    long long live_load = bench_live_now();
    bench_live_reset_peak();
    fedc_train_opts to = fedc_train_opts_default();
    to.rounds = o->rounds;
    to.sampling.cohort_size = o->cohort;
    to.threads = 2;
    to.eval_every = -1;
    double t0 = wall_s();
    if (fedc_train_run(ctx, p, &state, cd, NULL, &to)) die(ctx, "training");
    double seconds = wall_s() - t0;
    long long hwm_train = hwm ? status_kib("VmHWM") : -1;
    long long peak_above = bench_live_peak() - live_load;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    fedc_value_release(state);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    if (cd != raw) fedc_client_data_destroy(cd);
    fedc_client_data_destroy(raw);
    fedc_ctx_destroy(ctx);
    printf("%lld %lld %lld %lld %.3f %ld\n", rss_load, hwm_train, live_load, peak_above, seconds,
           ru.ru_maxrss);
    return 0;
}

/* ---- the parent: one fresh process per row ---- */

typedef struct row {
    long long rss_load, hwm_train, live_load, peak_above, maxrss;
    double seconds;
} row;

static row run_child(const char *self, const child_opts *o) {
    int fds[2];
    if (pipe(fds)) die(NULL, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) die(NULL, "fork");
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        char c[32], r[32], n[32], b[32];
        snprintf(c, sizeof c, "%lld", (long long)o->cohort);
        snprintf(r, sizeof r, "%lld", (long long)o->rounds);
        snprintf(n, sizeof n, "%lld", (long long)o->population);
        snprintf(b, sizeof b, "%lld", (long long)o->max_batches);
        execl(self, self, "--child", o->model, c, "--rounds", r, "--population", n, "--data",
              o->data, "--max-batches", b, "--partition", o->partition, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256] = {0};
    FILE *f = fdopen(fds[0], "r");
    if (!f || !fgets(line, sizeof line, f)) line[0] = '\0';
    if (f) fclose(f);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die(NULL, "child failed");
    row w;
    if (sscanf(line, "%lld %lld %lld %lld %lf %lld", &w.rss_load, &w.hwm_train, &w.live_load,
               &w.peak_above, &w.seconds, &w.maxrss) != 6)
        die(NULL, "child output");
    return w;
}

static double mib_k(long long kib) { return (double)kib / 1024.0; }
static double mib_b(long long bytes) { return (double)bytes / (1 << 20); }

/* Parses "10,100,1000" into out (at most cap); the count, 0 when malformed. */
static int parse_list(const char *s, long long *out, int cap) {
    int n = 0;
    while (*s && n < cap) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 1) return 0;
        out[n++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return *s ? 0 : n;
}

int main(int argc, char **argv) {
    child_opts o = {.model = "small_cnn",
                    .data = "fashion-mnist",
                    .partition = "dirichlet",
                    .rounds = 2,
                    .population = 1000,
                    .max_batches = -1};
    const char *cohorts = "10,100,1000", *models = "small_cnn,seed";
    bool is_child = false;
    for (int k = 1; k < argc; k++) {
        if (k + 2 < argc && !strcmp(argv[k], "--child")) {
            is_child = true;
            o.model = argv[++k];
            o.cohort = atoll(argv[++k]);
        } else if (k + 1 < argc && !strcmp(argv[k], "--cohorts")) {
            cohorts = argv[++k];
        } else if (k + 1 < argc && !strcmp(argv[k], "--models")) {
            models = argv[++k];
        } else if (k + 1 < argc && !strcmp(argv[k], "--rounds")) {
            o.rounds = atoll(argv[++k]);
        } else if (k + 1 < argc && !strcmp(argv[k], "--population")) {
            o.population = atoll(argv[++k]);
        } else if (k + 1 < argc && !strcmp(argv[k], "--max-batches")) {
            o.max_batches = atoll(argv[++k]);
        } else if (k + 1 < argc && !strcmp(argv[k], "--partition")) {
            o.partition = argv[++k];
        } else if (k + 1 < argc && !strcmp(argv[k], "--data")) {
            o.data = argv[++k];
        } else {
            fprintf(stderr,
                    "usage: %s [--cohorts 10,100,1000] [--rounds R] [--population N] "
                    "[--data fashion-mnist|mnist] [--partition dirichlet|iid] [--max-batches B] "
                    "[--models small_cnn,seed,cnn]\n",
                    argv[0]);
            return 2;
        }
    }
    if (o.rounds < 1 || o.population < 1 || o.max_batches < -1 || o.max_batches == 0 ||
        (strcmp(o.data, "fashion-mnist") && strcmp(o.data, "mnist")) ||
        (strcmp(o.partition, "dirichlet") && strcmp(o.partition, "iid"))) {
        fprintf(stderr, "bench/train_memory: --rounds and --population >= 1, --max-batches >= 1 "
                        "or -1, --data fashion-mnist or mnist, --partition dirichlet or iid\n");
        return 2;
    }
    if (is_child) return child(&o);

    long long sizes[16];
    int ns = parse_list(cohorts, sizes, 16);
    if (!ns) {
        fprintf(stderr, "bench/train_memory: --cohorts wants positive numbers, e.g. 10,100,1000\n");
        return 2;
    }
    for (int i = 0; i < ns; i++)
        if (sizes[i] > o.population) {
            fprintf(stderr, "bench/train_memory: cohort %lld exceeds the population %lld\n",
                    sizes[i], (long long)o.population);
            return 2;
        }
    char cpu[256];
    printf("FedAvg on %s, %s over %lld clients, %lld round%s, 1 epoch, batch 20, "
           "max batches %lld; threaded executor, 2 threads; a fresh process per row\n",
           o.data, o.partition, (long long)o.population, (long long)o.rounds,
           o.rounds == 1 ? "" : "s", (long long)o.max_batches);
    printf("cpu: %s\n\n", bench_cpu_model(cpu, sizeof cpu));
    printf("%-9s %8s %11s %11s %7s %11s %7s %11s %12s %8s\n", "model", "clients", "RSS load",
           "peak RSS", "ratio", "peak-load", "ratio", "train HWM", "fedc +peak", "seconds");
    printf("%-9s %8s %11s %11s %7s %11s %7s %11s %12s %8s\n", "", "/round", "MiB", "MiB", "", "MiB",
           "", "MiB", "MiB", "");
    char list[256];
    snprintf(list, sizeof list, "%s", models);
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        if (strcmp(name, "small_cnn") && strcmp(name, "seed") && strcmp(name, "cnn")) {
            fprintf(stderr, "bench/train_memory: unknown model '%s' (small_cnn, seed, cnn)\n",
                    name);
            return 2;
        }
        o.model = name;
        row first = {0};
        for (int i = 0; i < ns; i++) {
            o.cohort = sizes[i];
            row w = run_child("/proc/self/exe", &o);
            if (i == 0) first = w;
            long long grow = w.maxrss - w.rss_load, grow0 = first.maxrss - first.rss_load;
            char hwm[32];
            if (w.hwm_train >= 0)
                snprintf(hwm, sizeof hwm, "%.1f", mib_k(w.hwm_train));
            else
                snprintf(hwm, sizeof hwm, "-");
            printf("%-9s %8lld %11.1f %11.1f %6.2fx %11.1f %6.2fx %11s %12.2f %8.2f\n", name,
                   sizes[i], mib_k(w.rss_load), mib_k(w.maxrss),
                   (double)w.maxrss / (double)first.maxrss, mib_k(grow),
                   grow0 > 0 ? (double)grow / (double)grow0 : 0.0, hwm, mib_b(w.peak_above),
                   w.seconds);
            fflush(stdout);
        }
    }
    printf("\nRSS load: resident after loading the data and building the process; peak RSS: the "
           "process's maximum (ru_maxrss);\npeak-load: their difference; train HWM: the peak "
           "during training alone; fedc +peak: fedc's live bytes at their\npeak during training "
           "above those after loading (allocator hook). Ratios are to the first row of the "
           "model.\n");
    return 0;
}
