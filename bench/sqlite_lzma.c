/* bench/sqlite_lzma.c — what opening a compressed TFF file (NAME.sqlite.lzma) costs: the first
 * open, which decompresses into the cache (liblzma, a temporary file, fsync, rename), against
 * decompressing the same stream into memory alone in the same run; and a later open, which
 * reuses the cached copy, against opening the plain file.
 *
 *   make bench && build/bench/sqlite_lzma [--file PLAIN.sqlite] [--dir DIR] [--runs N]
 *
 * PLAIN defaults to /tmp/fedc-bench-data/mnist_20k.sqlite (made by build/bench/data) when it
 * exists, else ../shared/data/tff-sqlite/emnist_sample.sqlite. It is compressed once, as xz at
 * preset 6 (xz's default), into DIR (default /tmp/fedc-bench-lzma). Timings are medians of N
 * runs (5); every first open starts with the cached copy removed. Nothing here asserts a speed.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fedc/data.h"

#include "bench_util.h"

static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static int compress_xz(const char *src, const char *dst) {
    size_t n;
    unsigned char *in = slurp(src, &n);
    if (!in) return -1;
    size_t cap = lzma_stream_buffer_bound(n), size = 0;
    unsigned char *out = malloc(cap);
    int rc = -1;
    if (out &&
        lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, n, out, &size, cap) == LZMA_OK) {
        FILE *f = fopen(dst, "wb");
        if (f && fwrite(out, 1, size, f) == size) rc = 0;
        if (f) fclose(f);
    }
    free(in);
    free(out);
    return rc;
}

/* Decompresses the whole stream into memory: the decoder's own cost. */
static double decode_in_memory(const unsigned char *packed, size_t size, size_t plain_size) {
    unsigned char *out = malloc(plain_size);
    size_t in_pos = 0, out_pos = 0;
    uint64_t memlimit = UINT64_MAX;
    double t0 = bench_clock_s(CLOCK_MONOTONIC);
    lzma_ret ret = lzma_stream_buffer_decode(&memlimit, 0, NULL, packed, &in_pos, size, out,
                                             &out_pos, plain_size);
    double t = bench_clock_s(CLOCK_MONOTONIC) - t0;
    free(out);
    if (ret != LZMA_OK || out_pos != plain_size) {
        fprintf(stderr, "sqlite_lzma: in-memory decode failed (%d)\n", (int)ret);
        exit(1);
    }
    return t;
}

/* Opens path as client data and reads its client list; returns the seconds taken. */
static double open_once(fedc_ctx *ctx, const char *path, int64_t *clients) {
    fedc_client_data *cd;
    double t0 = bench_clock_s(CLOCK_MONOTONIC);
    if (fedc_client_data_open_sqlite(ctx, path, NULL, &cd) != FEDC_STATUS_OK) {
        fprintf(stderr, "sqlite_lzma: %s\n", fedc_ctx_message(ctx));
        exit(1);
    }
    double t = bench_clock_s(CLOCK_MONOTONIC) - t0;
    *clients = fedc_client_data_num_clients(cd);
    fedc_client_data_destroy(cd);
    return t;
}

int main(int argc, char **argv) {
    const char *plain = NULL, *dir = "/tmp/fedc-bench-lzma";
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            plain = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: sqlite_lzma [--file PLAIN.sqlite] [--dir DIR] [--runs N]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 100) runs = 5;
    if (!plain)
        plain = access("/tmp/fedc-bench-data/mnist_20k.sqlite", R_OK) == 0
                    ? "/tmp/fedc-bench-data/mnist_20k.sqlite"
                    : "../shared/data/tff-sqlite/emnist_sample.sqlite";
    struct stat ps;
    if (stat(plain, &ps) != 0) {
        fprintf(stderr, "sqlite_lzma: cannot read %s\n", plain);
        return 1;
    }
    mkdir(dir, 0755);
    char packed_path[1024], copy[1100], meta[1200];
    const char *base = strrchr(plain, '/') ? strrchr(plain, '/') + 1 : plain;
    snprintf(packed_path, sizeof packed_path, "%s/%s.lzma", dir, base);
    snprintf(copy, sizeof copy, "%s.fedc.sqlite", packed_path);
    snprintf(meta, sizeof meta, "%s.meta", copy);
    struct stat zs;
    if (stat(packed_path, &zs) != 0 || zs.st_mtime < ps.st_mtime) {
        printf("compressing %s (xz preset 6) ...\n", plain);
        if (compress_xz(plain, packed_path) != 0 || stat(packed_path, &zs) != 0) {
            fprintf(stderr, "sqlite_lzma: cannot write %s\n", packed_path);
            return 1;
        }
    }
    size_t packed_size;
    unsigned char *packed = slurp(packed_path, &packed_size);
    if (!packed) return 1;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) return 1;

    double mem[100], first[100], cached[100], direct[100];
    int64_t clients = 0, c2 = 0;
    for (int r = 0; r < runs; r++) {
        mem[r] = decode_in_memory(packed, packed_size, (size_t)ps.st_size);
        unlink(copy);
        unlink(meta);
        first[r] = open_once(ctx, packed_path, &clients);
        cached[r] = open_once(ctx, packed_path, &c2);
        direct[r] = open_once(ctx, plain, &c2);
    }
    double mb = (double)ps.st_size / 1e6;
    double tm = bench_median(mem, runs), tf = bench_median(first, runs);
    double tc = bench_median(cached, runs), td = bench_median(direct, runs);
    char cpu[256];
    printf("file %s: %.1f MB, %lld clients; compressed %s: %.1f MB (%.1fx)\n", plain, mb,
           (long long)clients, packed_path, (double)packed_size / 1e6,
           (double)ps.st_size / (double)packed_size);
    printf("cpu: %s\n", bench_cpu_model(cpu, sizeof cpu));
    printf("medians of %d runs                                   seconds   MB/s of output\n", runs);
    printf("decompress into memory (liblzma alone)               %8.4f   %8.1f\n", tm, mb / tm);
    printf("first open of .sqlite.lzma (decompress to cache)     %8.4f   %8.1f\n", tf, mb / tf);
    printf("open again (cached copy reused)                      %8.4f\n", tc);
    printf("open the plain file                                  %8.4f\n", td);
    printf("first open / in-memory decompression: %.2fx; cached open / plain open: %.2fx\n",
           tf / tm, tc / td);
    free(packed);
    fedc_ctx_destroy(ctx);
    return 0;
}
