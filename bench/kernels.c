/* bench/kernels.c — speed of fedc_sgemm and im2col / col2im at the shapes federated models use,
 * against this machine's single-thread sgemm peak measured in the same run.
 *
 *   make bench && build/bench/kernels                 (OpenBLAS build)
 *   make BLAS=none bench && build/noblas/bench/kernels (the library's own kernels)
 *
 * Products: for a dense layer Y[m, n] = X[m, k] @ W[k, n] (batch m), forward is X @ W,
 * backward-data dX = dY @ W^T and backward-weights dW = X^T @ dY; convolutions are the same
 * products on the im2col matrix. Every figure is the median of several samples of at least
 * 0.2 s each, after a warm-up call. Nothing here asserts a speed: it measures and prints.
 * Must not link anything but libfedc (and what it needs), nor use more than one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fedc/tensor.h"

#include "bench_util.h"

typedef void (*bench_fn)(void *arg);

static int g_samples = 7;
static double g_min_sample_s = 0.2;

/* Median seconds per call of fn: one warm-up call, then the number of calls that fills
 * g_min_sample_s, timed g_samples times. */
static double time_per_call(bench_fn fn, void *arg) {
    fn(arg);
    long iters = 1;
    for (;;) {
        double t = bench_clock_s(CLOCK_MONOTONIC);
        for (long i = 0; i < iters; i++)
            fn(arg);
        t = bench_clock_s(CLOCK_MONOTONIC) - t;
        if (t >= g_min_sample_s) break;
        /* aim 20% past the target so the first real sample is long enough */
        long next = t > 0 ? (long)(iters * 1.2 * g_min_sample_s / t) + 1 : iters * 10;
        iters = next > iters * 10 ? iters * 10 : next > iters ? next : iters + 1;
    }
    double samples[64];
    int n = g_samples < 64 ? g_samples : 64;
    for (int s = 0; s < n; s++) {
        double t = bench_clock_s(CLOCK_MONOTONIC);
        for (long i = 0; i < iters; i++)
            fn(arg);
        samples[s] = (bench_clock_s(CLOCK_MONOTONIC) - t) / (double)iters;
    }
    return bench_median(samples, n);
}

static float *random_floats(int64_t n, uint64_t key) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "kernels: out of memory (%lld floats)\n", (long long)n);
        exit(1);
    }
    fedc_rng r = FEDC_RNG(1, key, FEDC_RNG_PURPOSE_TEST);
    for (int64_t i = 0; i < n; i++)
        p[i] = 2.0f * fedc_rng_uniform(&r) - 1.0f;
    return p;
}

/* ---- sgemm ---- */

typedef struct gemm_case {
    bool ta, tb;
    int64_t m, n, k;
    const float *a, *b;
    float *c;
} gemm_case;

static void run_gemm(void *arg) {
    gemm_case *g = arg;
    int64_t lda = g->ta ? g->m : g->k, ldb = g->tb ? g->k : g->n;
    fedc_sgemm(g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a, lda, g->b, ldb, 0.0f, g->c, g->n);
}

/* GFLOP/s of one product. */
static double gemm_gflops(bool ta, bool tb, int64_t m, int64_t n, int64_t k) {
    float *a = random_floats(m * k, 1), *b = random_floats(k * n, 2), *c = random_floats(m * n, 3);
    gemm_case g = {ta, tb, m, n, k, a, b, c};
    double t = time_per_call(run_gemm, &g);
    free(a);
    free(b);
    free(c);
    return 2.0 * (double)m * (double)n * (double)k / t * 1e-9;
}

/* ---- im2col / col2im ---- */

typedef struct conv_case {
    fedc_conv2d_geom g;
    float *x, *cols;
} conv_case;

static void run_im2col(void *arg) {
    conv_case *c = arg;
    fedc_im2col(&c->g, c->x, c->cols);
}

static void run_col2im(void *arg) {
    conv_case *c = arg;
    fedc_col2im(&c->g, c->cols, c->x);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: kernels [--quick] [--help]\n"
            "Measures fedc_sgemm (GFLOP/s) at federated-model shapes and im2col/col2im (GB/s),\n"
            "single-threaded, against a 1024x1024x1024 sgemm measured in the same run.\n"
            "  --quick  3 samples of >= 0.1 s instead of 7 of >= 0.2 s\n"
            "example: make bench && build/bench/kernels\n");
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            g_samples = 3;
            g_min_sample_s = 0.1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "kernels: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    char model[256];
    printf("fedc %s kernel benchmark\n", fedc_version());
    printf("kernels: %s\n", fedc_kernels_name());
    printf("cpu:     %s (%d online), measured on 1 thread\n", bench_cpu_model(model, sizeof model),
           fedc_cpu_count());
    printf("timing:  median of %d samples, each >= %.1f s, after a warm-up call\n\n", g_samples,
           g_min_sample_s);

    /* The peak is measured again after the products: on a shared or throttling machine the two
     * differ, and the difference shows how far the run's figures can be trusted. */
    double peak_start = gemm_gflops(false, false, 1024, 1024, 1024);
    printf("peak: sgemm 1024x1024x1024 = %.1f GFLOP/s (start of run)\n\n", peak_start);
    double peak = peak_start;

    static const struct {
        const char *name;
        int64_t batch, in, out; /* Y[batch, out] = X[batch, in] @ W[in, out] */
    } layers[] = {
        {"seed model dense 784->10", 20, 784, 10},
        {"EMNIST CNN dense 9216->128", 20, 9216, 128},
        {"EMNIST CNN dense 128->10", 20, 128, 10},
        {"conv1 3x3x1->32 (im2col)", 26 * 26 * 20, 9, 32},
        {"conv2 3x3x32->64 (im2col)", 24 * 24 * 20, 288, 64},
    };
    printf("%-28s %-17s %6s %5s %5s %9s %8s\n", "layer (batch 20)", "product", "m", "n", "k",
           "GFLOP/s", "of peak");
    for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++) {
        int64_t B = layers[l].batch, I = layers[l].in, O = layers[l].out;
        struct {
            const char *what;
            bool ta, tb;
            int64_t m, n, k;
        } prods[3] = {
            {"forward X@W", false, false, B, O, I},
            {"bwd-data dY@W^T", false, true, B, I, O},
            {"bwd-weights X^T@dY", true, false, I, O, B},
        };
        for (int p = 0; p < 3; p++) {
            double gf = gemm_gflops(prods[p].ta, prods[p].tb, prods[p].m, prods[p].n, prods[p].k);
            printf("%-28s %-17s %6lld %5lld %5lld %9.1f %7.0f%%\n", p == 0 ? layers[l].name : "",
                   prods[p].what, (long long)prods[p].m, (long long)prods[p].n,
                   (long long)prods[p].k, gf, 100.0 * gf / peak);
        }
    }

    double peak_end = gemm_gflops(false, false, 1024, 1024, 1024);
    printf("\npeak at the end: %.1f GFLOP/s (start %.1f, %+.0f%%; 'of peak' uses the start)\n",
           peak_end, peak_start, 100.0 * (peak_end - peak_start) / peak_start);

    static const struct {
        const char *name;
        int64_t h, w, c;
    } convs[] = {{"conv1 28x28x1, 3x3 VALID", 28, 28, 1},
                 {"conv2 26x26x32, 3x3 VALID", 26, 26, 32}};
    printf("\n%-28s %-8s %14s %9s %9s\n", "im2col (batch 20)", "op", "cols", "GB/s", "us/call");
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        conv_case cc;
        if (fedc_conv2d_geom_make(NULL, 20, convs[i].h, convs[i].w, convs[i].c, 3, 3, 1, 1,
                                  FEDC_PADDING_VALID, &cc.g) != FEDC_STATUS_OK) {
            fprintf(stderr, "kernels: bad geometry\n");
            return 1;
        }
        int64_t rows = cc.g.batch * cc.g.out_h * cc.g.out_w, width = 9 * cc.g.channels;
        int64_t nx = cc.g.batch * cc.g.in_h * cc.g.in_w * cc.g.channels;
        cc.x = random_floats(nx, 4);
        cc.cols = random_floats(rows * width, 5);
        /* bytes that must move: the image read and the matrix written (im2col), or the matrix
         * read and the image written (col2im) */
        double bytes = (double)(nx + rows * width) * sizeof(float);
        char shape[64];
        snprintf(shape, sizeof shape, "%lldx%lld", (long long)rows, (long long)width);
        double t = time_per_call(run_im2col, &cc);
        printf("%-28s %-8s %14s %9.2f %9.1f\n", convs[i].name, "im2col", shape, bytes / t * 1e-9,
               t * 1e6);
        t = time_per_call(run_col2im, &cc);
        printf("%-28s %-8s %14s %9.2f %9.1f\n", "", "col2im", shape, bytes / t * 1e-9, t * 1e6);
        free(cc.x);
        free(cc.cols);
    }
    return 0;
}
