/* bench/agg.c — the aggregation kernels of learning_agg.h at the size of a federated round:
 * throughput of the Gaussian mechanism, quantization, the Hadamard rotation and modular sums over
 * a model of P floats, the robust aggregates over K client updates, and the cost of the RDP
 * accountant for a DP-SGD run.
 *
 *   make bench && build/bench/agg [--quick] [--clients K] [--params P]
 *
 * Defaults: P = 1,048,576 (a 1M-parameter model; a power of two, so the rotation does not pad)
 * and K = 50 clients. Each figure is the median of 7 samples (3 with --quick), each sample as
 * many calls as fill 0.2 s (0.1 s) of CPU time, after one warm-up call; one thread. Throughput is
 * millions of model coordinates per CPU second (for the robust aggregates: coordinates of all K
 * updates read). Nothing here asserts a speed: it measures and prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/learning_agg.h"

#include "bench_util.h"

static int samples = 7;
static double min_sample_s = 0.2;

static void die(fedc_ctx *ctx, const char *what) {
    fprintf(stderr, "bench/agg: %s: %s\n", what, fedc_ctx_message(ctx));
    exit(1);
}

typedef void (*bench_fn)(fedc_ctx *ctx, void *arg);

/* Seconds per call, CPU time and wall time: the median over samples of (sample time / calls in
 * it). On a machine shared with other jobs the wall clock counts their time too, so throughput
 * is computed from the process's CPU time and the wall time is printed beside it. */
static void time_call(fedc_ctx *ctx, bench_fn fn, void *arg, double *cpu_s, double *wall_s) {
    fn(ctx, arg);
    double cpu[16], wall[16];
    for (int s = 0; s < samples; s++) {
        long calls = 0;
        double c0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID), t0 = bench_clock_s(CLOCK_MONOTONIC);
        double c;
        do {
            fn(ctx, arg);
            calls++;
            c = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
        } while (c - c0 < min_sample_s);
        cpu[s] = (c - c0) / (double)calls;
        wall[s] = (bench_clock_s(CLOCK_MONOTONIC) - t0) / (double)calls;
    }
    *cpu_s = bench_median(cpu, samples);
    *wall_s = bench_median(wall, samples);
}

typedef struct {
    int64_t K, P, d;
    float *x, *y, *out;
    float **updates;
    uint16_t *codes;
    int32_t *q, *acc;
    uint64_t round;
} work;

static void run_noise(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_dp_add_gaussian_noise(ctx, w->y, w->P, 0.1, 1, w->round++)) die(ctx, "noise");
}
static void run_quantize(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    float lo, hi;
    if (fedc_quantize_stochastic(ctx, w->x, w->P, 8, 1, w->round++, 0, w->codes, &lo, &hi))
        die(ctx, "quantize");
}
static void run_dequantize(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_dequantize(ctx, w->codes, w->P, 8, -1.0f, 1.0f, w->out)) die(ctx, "dequantize");
}
static void run_rotate(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_hadamard_rotate(ctx, w->x, w->P, w->y, w->d, 1, 2)) die(ctx, "rotate");
}
static void run_discretize(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_discretize(ctx, w->x, w->P, 1000.0, true, 1, w->round++, 0, w->q))
        die(ctx, "discretize");
}
static void run_modular_add(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_modular_add(ctx, w->acc, w->q, w->P, -(1 << 20), 1 << 20)) die(ctx, "modular add");
}
static void run_median(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_agg_median(ctx, (const float *const *)w->updates, w->K, w->P, w->out))
        die(ctx, "median");
}
static void run_trimmed(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    if (fedc_agg_trimmed_mean(ctx, (const float *const *)w->updates, w->K, w->P, 0.1, w->out))
        die(ctx, "trimmed mean");
}
static void run_krum(fedc_ctx *ctx, void *arg) {
    work *w = arg;
    int64_t f = (w->K - 3) / 2;
    if (fedc_agg_multi_krum(ctx, (const float *const *)w->updates, w->K, w->P, f, w->K - f, w->out,
                            NULL))
        die(ctx, "krum");
}

typedef struct {
    double eps;
} rdp_work;

static void run_rdp(fedc_ctx *ctx, void *arg) {
    rdp_work *r = arg;
    fedc_rdp_accountant *acc;
    if (fedc_rdp_accountant_create(ctx, NULL, 0, &acc) ||
        fedc_rdp_accountant_add_steps(ctx, acc, 1.1, 256.0 / 60000.0, 14062) ||
        fedc_rdp_accountant_epsilon(ctx, acc, 1e-5, &r->eps, NULL))
        die(ctx, "rdp");
    fedc_rdp_accountant_destroy(acc);
}

static void usage(FILE *f) {
    fprintf(f, "usage: agg [--quick] [--clients K] [--params P] [--help]\n"
               "  the aggregation kernels at the size of a round; e.g. build/bench/agg --quick\n");
}

int main(int argc, char **argv) {
    int64_t K = 50, P = 1 << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            samples = 3;
            min_sample_s = 0.1;
        } else if (!strcmp(argv[i], "--clients") && i + 1 < argc) {
            K = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "--params") && i + 1 < argc) {
            P = atoll(argv[++i]);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "agg: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (K < 5 || P < 1) {
        fprintf(stderr, "agg: need --clients >= 5 and --params >= 1\n");
        return 2;
    }
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 1;
    work w = {.K = K, .P = P, .d = fedc_hadamard_padded_size(P)};
    w.x = malloc((size_t)P * sizeof(float));
    w.y = malloc((size_t)w.d * sizeof(float));
    w.out = malloc((size_t)P * sizeof(float));
    w.codes = malloc((size_t)P * sizeof(uint16_t));
    w.q = malloc((size_t)P * sizeof(int32_t));
    w.acc = calloc((size_t)P, sizeof(int32_t));
    w.updates = malloc((size_t)K * sizeof(float *));
    if (!w.x || !w.y || !w.out || !w.codes || !w.q || !w.acc || !w.updates) return 1;
    fedc_rng rng = FEDC_RNG(7, FEDC_RNG_PURPOSE_TEST);
    for (int64_t i = 0; i < P; i++)
        w.x[i] = w.y[i] = (float)(0.01 * fedc_rng_normal(&rng));
    for (int64_t k = 0; k < K; k++) {
        w.updates[k] = malloc((size_t)P * sizeof(float));
        if (!w.updates[k]) return 1;
        for (int64_t i = 0; i < P; i++)
            w.updates[k][i] = (float)(0.01 * fedc_rng_normal(&rng));
    }
    char cpu[256];
    printf("bench/agg: P = %lld coordinates, K = %lld clients, %d samples of >= %.1f s, CPU %s\n",
           (long long)P, (long long)K, samples, min_sample_s, bench_cpu_model(cpu, sizeof cpu));
    printf("%-34s %12s %12s %14s\n", "kernel", "cpu ms/call", "wall ms", "Mcoord/cpu-s");
    struct {
        const char *name;
        bench_fn fn;
        double coords;
    } rows[] = {
        {"gaussian noise", run_noise, (double)P},
        {"quantize 8 bits (stochastic)", run_quantize, (double)P},
        {"dequantize 8 bits", run_dequantize, (double)P},
        {"hadamard rotate", run_rotate, (double)P},
        {"discretize (stochastic)", run_discretize, (double)P},
        {"modular add", run_modular_add, (double)P},
        {"median over K", run_median, (double)P * (double)K},
        {"trimmed mean over K (beta 0.1)", run_trimmed, (double)P * (double)K},
        {"multi-krum over K (f max)", run_krum, (double)P * (double)K},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        double s, ws;
        time_call(ctx, rows[r].fn, &w, &s, &ws);
        printf("%-34s %12.3f %12.3f %14.1f\n", rows[r].name, 1e3 * s, 1e3 * ws,
               rows[r].coords / s / 1e6);
        fflush(stdout);
    }
    rdp_work rw;
    double s, ws;
    time_call(ctx, run_rdp, &rw, &s, &ws);
    printf("%-34s %12.3f %12.3f   (epsilon %.4f: MNIST DP-SGD, 14062 steps)\n",
           "rdp accountant, 72 orders", 1e3 * s, 1e3 * ws, rw.eps);
    for (int64_t k = 0; k < K; k++)
        free(w.updates[k]);
    free(w.updates);
    free(w.x);
    free(w.y);
    free(w.out);
    free(w.codes);
    free(w.q);
    free(w.acc);
    fedc_ctx_destroy(ctx);
    return 0;
}
