/* bench/data.c — iterating a TFF-schema SQLite file of 784-float examples through the client
 * data API: examples per second, the ratio to reading the same file's bytes sequentially in the
 * same run, and peak resident memory while iterating a 100,000-example file against a
 * 20,000-example one (bounded by the clients open at once, not by the file's size).
 *
 *   make bench && build/bench/data [--dir DIR] [--runs N]
 *
 * The files are built once in DIR (default /tmp/fedc-bench-data) from ../shared/data/mnist:
 * train 60k + test 10k + the first 30k train images again = 100,000 examples (and the first
 * 20,000 for the small file), {"pixels": float32[784] in [0,1], "label": int64[1]}, 100 examples
 * per client in file order. Timings are medians of N runs (5) with the file in the page cache
 * (both readers see it warm). Peak RSS comes from a fresh process per file (this program run
 * with --iterate FILE) so that the MNIST arrays of the build step do not count.
 * Nothing here asserts a speed: it measures and prints. One thread.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fedc/data.h"

#include "bench_util.h"

enum { PER_CLIENT = 100, BIG = 100000, SMALL = 20000 };

/* CPU seconds of this process (user + system): on a shared, loaded machine the wall clock
 * measures the other jobs too, so both are printed. */
static void die(fedc_ctx *ctx, const char *what) {
    fprintf(stderr, "bench/data: %s: %s\n", what, fedc_ctx_message(ctx));
    exit(1);
}

/* Writes the first `n` of (train, test, train again) as clients of PER_CLIENT examples. */
static void build_file(fedc_ctx *ctx, const char *path, int64_t n, const fedc_tensor *img[2],
                       const fedc_tensor *lab[2]) {
    fedc_sqlite_writer *w;
    fedc_status st = fedc_sqlite_writer_create(ctx, path, &w);
    if (st == FEDC_STATUS_EXISTS) return; /* built by an earlier run */
    if (st) die(ctx, path);
    fedc_example *ex;
    if (fedc_example_create(ctx, &ex)) die(ctx, "example");
    fedc_shape ps = FEDC_SHAPE(784), ls = FEDC_SHAPE(1);
    int64_t ntrain = img[0]->shape.dims[0], ntest = img[1]->shape.dims[0];
    for (int64_t i = 0; i < n; i++) {
        int s = i >= ntrain && i < ntrain + ntest;
        int64_t j = s ? i - ntrain : i % (ntrain + ntest) % ntrain;
        if (i >= ntrain + ntest) j = (i - ntrain - ntest) % ntrain;
        fedc_tensor *pt, *lt;
        if (fedc_example_set(ctx, ex, "pixels", FEDC_DTYPE_FLOAT32, &ps, &pt) ||
            fedc_example_set(ctx, ex, "label", FEDC_DTYPE_INT64, &ls, &lt))
            die(ctx, "example");
        const uint8_t *px = (const uint8_t *)img[s]->data + j * 784;
        for (int p = 0; p < 784; p++)
            ((float *)pt->data)[p] = (float)px[p] / 255.0f;
        ((int64_t *)lt->data)[0] = ((const uint8_t *)lab[s]->data)[j];
        char id[32];
        snprintf(id, sizeof id, "client_%05lld", (long long)(i / PER_CLIENT));
        if (fedc_sqlite_writer_add(ctx, w, "train", id, ex)) die(ctx, path);
    }
    if (fedc_sqlite_writer_finish(ctx, w)) die(ctx, path);
    fedc_sqlite_writer_destroy(w);
    fedc_example_destroy(ex);
}

/* Every example of every client, one client open at a time; returns the count, adds a checksum
 * of the pixels so the decode cannot be skipped. */
static int64_t iterate(fedc_ctx *ctx, const char *path, double *checksum) {
    fedc_client_data *cd;
    if (fedc_client_data_open_sqlite(ctx, path, NULL, &cd)) die(ctx, path);
    fedc_example *ex;
    if (fedc_example_create(ctx, &ex)) die(ctx, "example");
    int64_t count = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_dataset *ds;
        if (fedc_client_data_open(ctx, cd, c, &ds)) die(ctx, path);
        bool got;
        for (;;) {
            if (fedc_dataset_next(ctx, ds, ex, &got)) die(ctx, path);
            if (!got) break;
            const fedc_tensor *t = fedc_example_get(ex, "pixels");
            *checksum += ((const float *)t->data)[400];
            count++;
        }
        fedc_dataset_destroy(ds);
    }
    fedc_example_destroy(ex);
    fedc_client_data_destroy(cd);
    return count;
}

/* Reads the file's bytes sequentially in 1 MiB blocks; returns the byte count. */
static int64_t read_bytes(const char *path, uint64_t *sum) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    static unsigned char buf[1 << 20];
    int64_t total = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        total += got;
        for (ssize_t i = 0; i < got; i += 4096)
            *sum += buf[i];
    }
    close(fd);
    return total;
}

/* VmHWM (peak resident set) and VmRSS of this process in KiB, from /proc. */
static long proc_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl)) v = atol(line + kl + 1);
    fclose(f);
    return v;
}

static int child_iterate(const char *path) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 1;
    long before = proc_kib("VmHWM");
    double sum = 0;
    int64_t n = iterate(ctx, path, &sum);
    printf("%lld %ld %ld\n", (long long)n, before, proc_kib("VmHWM"));
    fedc_ctx_destroy(ctx);
    return 0;
}

static void peak_rss(const char *self, const char *path, long *before, long *peak) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --iterate '%s'", self, path);
    FILE *p = popen(cmd, "r");
    long long n = 0;
    if (!p || fscanf(p, "%lld %ld %ld", &n, before, peak) != 3) {
        fprintf(stderr, "bench/data: %s failed\n", cmd);
        exit(1);
    }
    pclose(p);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--iterate")) return child_iterate(argv[2]);
    const char *dir = "/tmp/fedc-bench-data";
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--runs"))
            runs = atoi(argv[i + 1]);
    }
    if (runs < 1 || runs > 64) runs = 5;
    mkdir(dir, 0755);
    char big[1024], small[1024], mnist[1024];
    snprintf(big, sizeof big, "%s/mnist_100k.sqlite", dir);
    snprintf(small, sizeof small, "%s/mnist_20k.sqlite", dir);
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 1;
    if (access(big, R_OK) || access(small, R_OK)) {
        fedc_tensor img[2], lab[2];
        static const char *const names[4] = {
            "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"};
        for (int i = 0; i < 4; i++) {
            snprintf(mnist, sizeof mnist, "../shared/data/mnist/%s", names[i]);
            if (fedc_idx_read(ctx, mnist, i < 2 ? &img[i] : &lab[i - 2])) die(ctx, mnist);
        }
        const fedc_tensor *ip[2] = {&img[0], &img[1]}, *lp[2] = {&lab[0], &lab[1]};
        double t = bench_clock_s(CLOCK_MONOTONIC);
        build_file(ctx, big, BIG, ip, lp);
        build_file(ctx, small, SMALL, ip, lp);
        printf("built %s and %s in %.1f s\n", big, small, bench_clock_s(CLOCK_MONOTONIC) - t);
        for (int i = 0; i < 2; i++) {
            fedc_tensor_free(&img[i]);
            fedc_tensor_free(&lab[i]);
        }
    }
    struct stat sb;
    stat(big, &sb);
    printf("file %s: %lld examples, %.1f MB, %d clients of %d\n", big, (long long)BIG,
           (double)sb.st_size / 1e6, BIG / PER_CLIENT, PER_CLIENT);
    double t_iter[64], t_read[64], c_iter[64], c_read[64], checksum = 0;
    uint64_t bsum = 0;
    int64_t n = 0, bytes = 0;
    (void)read_bytes(big, &bsum); /* warm the page cache for both readers */
    for (int r = 0; r < runs; r++) {
        double t = bench_clock_s(CLOCK_MONOTONIC), c = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
        n = iterate(ctx, big, &checksum);
        t_iter[r] = bench_clock_s(CLOCK_MONOTONIC) - t;
        c_iter[r] = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c;
        t = bench_clock_s(CLOCK_MONOTONIC);
        c = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
        bytes = read_bytes(big, &bsum);
        t_read[r] = bench_clock_s(CLOCK_MONOTONIC) - t;
        c_read[r] = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c;
    }
    double ti = bench_median(t_iter, runs), tr = bench_median(t_read, runs);
    double ci = bench_median(c_iter, runs), cr = bench_median(c_read, runs);
    printf("medians of %d runs (checksums %.1f %llu)   wall s   CPU s   examples/s (wall, CPU)   "
           "MB/s of file (wall, CPU)\n",
           runs, checksum, (unsigned long long)bsum);
    printf("iterate, client data API + decode     %8.3f %7.3f   %9.0f %9.0f   %7.0f %7.0f\n", ti,
           ci, (double)n / ti, (double)n / ci, (double)bytes / ti / 1e6, (double)bytes / ci / 1e6);
    printf("read the file's bytes sequentially    %8.3f %7.3f   %9s %9s   %7.0f %7.0f\n", tr, cr,
           "-", "-", (double)bytes / tr / 1e6, (double)bytes / cr / 1e6);
    printf("ratio iterate / read: %.1fx wall, %.1fx CPU (%lld examples)\n", ti / tr, ci / cr,
           (long long)n);
    long b_big, p_big, b_small, p_small;
    peak_rss(argv[0], big, &b_big, &p_big);
    peak_rss(argv[0], small, &b_small, &p_small);
    stat(small, &sb);
    double small_mb = (double)sb.st_size / 1e6;
    stat(big, &sb);
    printf("peak RSS iterating (fresh process): %d examples (%.1f MB file): %.1f MiB "
           "(%.1f MiB at start); %d examples (%.1f MB file): %.1f MiB (%.1f MiB at start)\n",
           BIG, (double)sb.st_size / 1e6, p_big / 1024.0, b_big / 1024.0, SMALL, small_mb,
           p_small / 1024.0, b_small / 1024.0);
    fedc_ctx_destroy(ctx);
    return 0;
}
