/* bench/models.c — training speed of fedc's zoo models against the same steps in PyTorch, one
 * thread each, with the EMNIST CNN's GFLOP/s as a fraction of this machine's single-thread sgemm
 * peak measured in the same run.
 *
 *   make bench && build/bench/models                 (OpenBLAS build)
 *   make BLAS=none bench && build/noblas/bench/models (the library's own kernels)
 *
 * Workloads (a step is forward + loss + backward + SGD update):
 *   seed      TFF's seed model, Dense 784->10 softmax, batch 20, SGD 0.1: steps/s
 *   emnist    TFF's EMNIST CNN with dropout, batch 20, SGD 0.1: examples/s and GFLOP/s
 *   charlstm  the Shakespeare character model (vocabulary 90), sequence 80, batch 4: steps/s
 * PyTorch's side is bench/torch_models.py in --serve mode: one python3 process answers one
 * sample per request, and the samples alternate fedc, PyTorch, fedc, ... so that both see the
 * same load. Figures are medians. Nothing here asserts a speed: it measures and prints.
 * Must not use more than one thread on fedc's side, nor link anything but libfedc.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fedc/fedc.h"
#include "nn/winograd.h" /* which convolutions run as Winograd products */

#include "bench_torch.h"
#include "bench_util.h"

#define MAX_SAMPLES 64

static int g_samples = 7;
static double g_min_sample_s = 0.5;

/* Samples are timed in wall-clock time, or with --cpu-time in this process's CPU time (both
 * sides then use it: python's time.process_time), which leaves out the time the scheduler
 * gives to other processes on a shared machine; contention for caches and memory still counts. */
static bool g_cpu_time = false;

static double now_s(void) {
    return bench_clock_s(g_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC);
}

static void die(const char *what, fedc_ctx *ctx) {
    fprintf(stderr, "models: %s: %s\n", what, ctx ? fedc_ctx_message(ctx) : strerror(errno));
    exit(1);
}

static void check(fedc_status st, fedc_ctx *ctx, const char *what) {
    if (st != FEDC_STATUS_OK) die(what, ctx);
}

/* ---- the PyTorch side: bench_torch.h drives bench/torch_models.py in --serve mode ---- */

/* ---- fedc's side ----------------------------------------------------------------------------- */

typedef struct workload {
    const char *name;
    const char *what;
    const char *unit;
    int64_t batch, per_step; /* per_step: examples counted per step (1: steps/s) */
    fedc_ctx *ctx;
    fedc_model *model;
    fedc_loss loss;
    fedc_optimizer *opt;
    float *opt_state;
    fedc_tensor x, y;
    double flops;     /* sgemm flops of one training step, convolutions counted as direct */
    double run_flops; /* the flops of the products the step runs (fewer with Winograd) */
} workload;

static void step(workload *w) {
    double loss;
    check(fedc_model_gradients(w->ctx, w->model, &w->loss, &w->x, &w->y, NULL, &loss), w->ctx,
          "gradients");
    check(fedc_optimizer_next(w->ctx, w->opt, w->opt_state, fedc_model_params(w->model),
                              fedc_model_grads(w->model)),
          w->ctx, "optimizer");
}

/* One sample: steps over at least g_min_sample_s, in the workload's unit. */
static double fedc_sample(workload *w) {
    long n = 0;
    double t0 = now_s(), t;
    do {
        step(w);
        n++;
        t = now_s() - t0;
    } while (t < g_min_sample_s);
    return (double)(n * w->per_step) / t;
}

/* The seed model's bound: its step's two products alone (forward X @ W and the weight gradient
 * X^T @ dZ, 20x784x10 each, on the step's own input and kernel), in steps per second. A step also
 * runs softmax, the loss, the bias and the update, so it cannot be faster than this. */
static double seed_products_sample(workload *w) {
    const fedc_layer *l = fedc_model_layer(w->model, 0);
    enum { B = 20, IN = 784, OUT = 10 };
    static float y[B * OUT], dz[B * OUT], dw[IN * OUT];
    for (int i = 0; i < B * OUT; i++)
        dz[i] = (float)(i % 7) * 0.01f;
    const float *x = w->x.data;
    long n = 0;
    double t0 = now_s(), t;
    do {
        fedc_sgemm(false, false, B, OUT, IN, 1.0f, x, IN, l->params, OUT, 0.0f, y, OUT);
        fedc_sgemm(true, false, IN, OUT, B, 1.0f, x, IN, dz, OUT, 0.0f, dw, OUT);
        n++;
        t = now_s() - t0;
    } while (t < g_min_sample_s);
    return (double)n / t;
}

/* The flops of the products a training step runs: for Dense and Conv2D, forward, the weight
 * gradient and (except for the first layer, whose dx nobody needs) the input gradient, each
 * 2 m n k; for LSTM per step the input and recurrent products and their gradients. Elementwise
 * work (activations, pooling, im2col, the update) is not counted, as is usual. */
static double step_flops(const fedc_model *m, int64_t batch) {
    double total = 0.0;
    for (size_t i = 0; i < fedc_model_num_layers(m); i++) {
        const fedc_layer *l = fedc_model_layer(m, i);
        double products = i == 0 ? 2.0 : 3.0, mnk = 0.0;
        if (l->spec.kind == FEDC_LAYER_DENSE) {
            int64_t in = l->in_shape.dims[l->in_shape.rank - 1];
            mnk = (double)(batch * (fedc_shape_numel(&l->in_shape) / in)) * (double)in *
                  (double)l->spec.units;
        } else if (l->spec.kind == FEDC_LAYER_CONV2D) {
            mnk = (double)(batch * l->geom.out_h * l->geom.out_w) *
                  (double)(l->geom.kernel_h * l->geom.kernel_w * l->geom.channels) *
                  (double)l->spec.units;
        } else if (l->spec.kind == FEDC_LAYER_LSTM) {
            int64_t t = l->in_shape.dims[0], f = l->in_shape.dims[1], u = l->spec.units;
            /* x W every step; h U from the second step on */
            total += products * 2.0 * (double)(batch * t * f * 4 * u);
            total += 3.0 * 2.0 * (double)(batch * (t - 1) * u * 4 * u);
            continue;
        }
        total += products * 2.0 * mnk;
    }
    return total;
}

/* The flops of the products a step really runs: step_flops, except that a convolution taken by
 * Winograd F(2x2, 3x3) (the layer's own rule, nn/winograd.h) runs 16 products of
 * [tiles x in] @ [in x out] per pass instead of im2col's one, 2.25x fewer multiplications. So
 * step_flops / time is the usual effective rate (the direct convolution's flops), and this /
 * time is the rate of the products themselves, which only the machine's peak bounds. */
static double run_flops(const fedc_model *m, int64_t batch) {
    double total = step_flops(m, batch);
    for (size_t i = 0; i < fedc_model_num_layers(m); i++) {
        const fedc_layer *l = fedc_model_layer(m, i);
        if (l->spec.kind != FEDC_LAYER_CONV2D || !fedc__wino_applies(&l->geom, l->spec.units))
            continue;
        double c = (double)l->geom.channels, f = (double)l->spec.units;
        fedc__wino_geom fw = fedc__wino_forward_geom(&l->geom, l->spec.units);
        fedc__wino_geom bw = fedc__wino_input_grad_geom(&l->geom, l->spec.units);
        double direct = 2.0 * (double)(batch * l->geom.out_h * l->geom.out_w) * 9.0 * c * f;
        double tiled = 2.0 * 16.0 * (double)fedc__wino_tiles(&fw, batch) * c * f;
        double tiled_dx = 2.0 * 16.0 * (double)fedc__wino_tiles(&bw, batch) * c * f;
        total += i == 0 ? 2.0 * (tiled - direct) : 2.0 * (tiled - direct) + tiled_dx - direct;
    }
    return total;
}

static void workload_make(workload *w, fedc_model *model, fedc_loss loss, const char *name,
                          const char *what, const char *unit, int64_t batch, int64_t per_step,
                          int64_t classes, bool token_inputs, fedc_ctx *ctx) {
    w->name = name;
    w->what = what;
    w->unit = unit;
    w->batch = batch;
    w->per_step = per_step;
    w->ctx = ctx;
    w->model = model;
    w->loss = loss;
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.learning_rate = 0.1;
    check(fedc_optimizer_create(ctx, &o, fedc_model_num_params(model), &w->opt), ctx, "optimizer");
    w->opt_state = malloc((size_t)fedc_optimizer_state_size(w->opt) * sizeof(float) + 1);
    if (!w->opt_state) die("malloc", NULL);
    fedc_optimizer_init(w->opt, w->opt_state);

    /* Inputs [batch, input shape...] and sparse targets [batch, output shape minus classes]:
     * random, since speed does not depend on the values. */
    fedc_shape in = fedc_model_input_shape(model), out = fedc_model_output_shape(model);
    fedc_shape xs = {.rank = in.rank + 1}, ys = {.rank = out.rank};
    xs.dims[0] = ys.dims[0] = batch;
    for (int i = 0; i < in.rank; i++)
        xs.dims[i + 1] = in.dims[i];
    for (int i = 0; i + 1 < out.rank; i++)
        ys.dims[i + 1] = out.dims[i];
    check(fedc_tensor_alloc(ctx, &w->x, FEDC_DTYPE_FLOAT32, &xs), ctx, "input");
    check(fedc_tensor_alloc(ctx, &w->y, FEDC_DTYPE_INT32, &ys), ctx, "target");
    fedc_rng r = FEDC_RNG(7, 1, FEDC_RNG_PURPOSE_TEST);
    float *xp = w->x.data;
    for (int64_t i = 0; i < fedc_tensor_numel(&w->x); i++)
        xp[i] = token_inputs ? (float)fedc_rng_below(&r, (uint64_t)classes) : fedc_rng_uniform(&r);
    int32_t *yp = w->y.data;
    for (int64_t i = 0; i < fedc_tensor_numel(&w->y); i++)
        yp[i] = (int32_t)fedc_rng_below(&r, (uint64_t)classes);
    w->flops = step_flops(model, batch);
    w->run_flops = run_flops(model, batch);
}

static void workload_free(workload *w) {
    fedc_tensor_free(&w->x);
    fedc_tensor_free(&w->y);
    free(w->opt_state);
    fedc_optimizer_destroy(w->opt);
    fedc_model_destroy(w->model);
}

/* ---- the sgemm peak -------------------------------------------------------------------------- */

/* GFLOP/s of fedc_sgemm 1024^3 (median of g_samples, after a warm-up call). */
static double sgemm_peak(void) {
    const int64_t n = 1024;
    float *a = malloc((size_t)(n * n) * sizeof *a), *b = malloc((size_t)(n * n) * sizeof *b);
    float *c = malloc((size_t)(n * n) * sizeof *c);
    if (!a || !b || !c) die("malloc", NULL);
    fedc_rng r = FEDC_RNG(7, 2, FEDC_RNG_PURPOSE_TEST);
    for (int64_t i = 0; i < n * n; i++) {
        a[i] = fedc_rng_uniform(&r) - 0.5f;
        b[i] = fedc_rng_uniform(&r) - 0.5f;
    }
    fedc_sgemm(false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double rates[MAX_SAMPLES];
    for (int s = 0; s < g_samples; s++) {
        long calls = 0;
        double t0 = now_s(), t;
        do {
            fedc_sgemm(false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            calls++;
            t = now_s() - t0;
        } while (t < g_min_sample_s / 2);
        rates[s] = 2.0 * (double)(n * n * n) * (double)calls / t * 1e-9;
    }
    free(a);
    free(b);
    free(c);
    return bench_median(rates, g_samples);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void loadavg(char *buf, size_t size) {
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3) snprintf(buf, size, "%.2f %.2f %.2f", a, b, c);
    fclose(f);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: models [--quick] [--no-torch] [--cpu-time] [--samples N] [--seconds S]\n"
            "              [--script PATH] [--only seed|emnist|charlstm] [--help]\n"
            "Training steps of fedc's zoo models (seed model, EMNIST CNN, Shakespeare char LSTM)\n"
            "on one thread, against the same steps in PyTorch (bench/torch_models.py run "
            "by\n" BENCH_PYTHON "), samples interleaved; medians, ratios and goals.\n"
            "  --quick      3 samples of >= 0.2 s instead of 7 of >= 0.5 s\n"
            "  --no-torch   fedc only\n"
            "  --cpu-time   time both sides in process CPU time instead of wall-clock time\n"
            "               (a shared machine: time given to other processes does not count)\n"
            "  --script P   the PyTorch script (default bench/torch_models.py)\n"
            "  --only W     one workload\n"
            "example: make bench && build/bench/models --quick\n");
}

int main(int argc, char **argv) {
    bool use_torch = true;
    const char *script = "bench/torch_models.py", *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            g_samples = 3;
            g_min_sample_s = 0.2;
        } else if (!strcmp(argv[i], "--cpu-time")) {
            g_cpu_time = true;
        } else if (!strcmp(argv[i], "--no-torch")) {
            use_torch = false;
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            g_samples = atoi(argv[++i]);
            if (g_samples < 1 || g_samples > MAX_SAMPLES) {
                fprintf(stderr, "models: --samples must be in [1, %d]\n", MAX_SAMPLES);
                return 2;
            }
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            g_min_sample_s = atof(argv[++i]);
            if (!(g_min_sample_s > 0.0)) {
                fprintf(stderr, "models: --seconds must be positive\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--script") && i + 1 < argc) {
            script = argv[++i];
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "models: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN); /* a dead child shows as a failed read, not a killed parent */

    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) die("context", NULL);
    char cpu[256], load_start[64], load_end[64];
    loadavg(load_start, sizeof load_start);
    printf("fedc %s model benchmark\n", fedc_version());
    printf("kernels: %s\n", fedc_kernels_name());
    printf("cpu:     %s (%d online), 1 thread per side\n", bench_cpu_model(cpu, sizeof cpu),
           fedc_cpu_count());
    printf("timing:  median of %d samples, each >= %.2f s of %s, fedc and PyTorch alternating\n",
           g_samples, g_min_sample_s, g_cpu_time ? "process CPU time" : "wall-clock time");
    printf("load:    %s (1, 5, 15 min) at start\n", load_start);

    bench_torch tp = {0};
    bool have_torch = use_torch && bench_torch_start(&tp, script);
    if (!use_torch) printf("notice: --no-torch: PyTorch side skipped\n");
    if (have_torch) printf("pytorch: %s (%s, 1 thread)\n", tp.version, BENCH_PYTHON);

    double peak_start = sgemm_peak();
    printf("peak:    fedc_sgemm 1024^3 = %.1f GFLOP/s (start of run)\n\n", peak_start);

    fedc_loss probs = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    fedc_loss logits = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, true};
    workload w[3];
    int nw = 0;
    fedc_model *m;
    if (!only || !strcmp(only, "seed")) {
        check(fedc_zoo_seed_model(ctx, 1, &m), ctx, "seed model");
        workload_make(&w[nw++], m, probs, "seed", "seed model, Dense 784->10, batch 20", "steps/s",
                      20, 1, 10, false, ctx);
    }
    if (!only || !strcmp(only, "emnist")) {
        check(fedc_zoo_emnist_cnn(ctx, 10, 1, &m), ctx, "emnist cnn");
        workload_make(&w[nw++], m, probs, "emnist", "EMNIST CNN (dropout), batch 20", "examples/s",
                      20, 20, 10, false, ctx);
    }
    if (!only || !strcmp(only, "charlstm")) {
        check(fedc_zoo_shakespeare_lstm(ctx, 90, 80, 1, &m), ctx, "shakespeare lstm");
        workload_make(&w[nw++], m, logits, "charlstm", "char LSTM, seq 80, batch 4", "steps/s", 4,
                      1, 90, true, ctx);
    }
    if (nw == 0) {
        fprintf(stderr, "models: --only takes seed, emnist or charlstm\n");
        return 2;
    }

    double fedc_med[3], torch_med[3], seed_bound = 0.0;
    for (int i = 0; i < nw; i++) {
        double fs[MAX_SAMPLES], ts[MAX_SAMPLES], bs[MAX_SAMPLES];
        bool seed = !strcmp(w[i].name, "seed");
        step(&w[i]); /* warm-up: the arena and the gemm buffers reach their size */
        for (int s = 0; s < g_samples; s++) {
            fs[s] = fedc_sample(&w[i]);
            if (seed) bs[s] = seed_products_sample(&w[i]);
            if (have_torch) ts[s] = bench_torch_sample(&tp, w[i].name, g_min_sample_s, g_cpu_time);
        }
        if (seed) seed_bound = bench_median(bs, g_samples);
        fedc_med[i] = bench_median(fs, g_samples);
        torch_med[i] = have_torch ? bench_median(ts, g_samples) : 0.0;
        printf("measured %-9s fedc %10.1f  pytorch %10.1f %s (samples fedc %.1f..%.1f)\n",
               w[i].name, fedc_med[i], torch_med[i], w[i].unit, fs[0], fs[g_samples - 1]);
        fflush(stdout);
    }
    double peak_end = sgemm_peak();
    bench_torch_stop(&tp);
    loadavg(load_end, sizeof load_end);
    /* The larger of the two peaks: on a shared machine the lower one is the load, not the
     * core, and dividing by it would flatter the fraction. */
    double peak = peak_end > peak_start ? peak_end : peak_start;

    printf("\n%-38s %11s %11s %-11s %7s  %s\n", "workload (1 thread)", "fedc", "PyTorch", "unit",
           "ratio", "goal");
    for (int i = 0; i < nw; i++) {
        const char *goal = "-";
        double want = 0.0;
        if (!strcmp(w[i].name, "seed")) goal = ">= 20x", want = 20.0;
        if (!strcmp(w[i].name, "emnist")) goal = ">= 1.5x", want = 1.5;
        char ratio[32] = "-";
        const char *met = "";
        if (have_torch && torch_med[i] > 0) {
            double q = fedc_med[i] / torch_med[i];
            snprintf(ratio, sizeof ratio, "%.2fx", q);
            if (want > 0) met = q >= want ? " met" : " NOT met";
        }
        char tv[32] = "-";
        if (have_torch) snprintf(tv, sizeof tv, "%.1f", torch_med[i]);
        printf("%-38s %11.1f %11s %-11s %7s  %s%s\n", w[i].what, fedc_med[i], tv, w[i].unit, ratio,
               goal, met);
    }
    for (int i = 0; i < nw; i++) {
        double steps = fedc_med[i] / (double)w[i].per_step;
        double gf = steps * w[i].flops * 1e-9;
        printf("%-38s %11.1f %11s %-11s %6.0f%%  %s%s\n",
               !strcmp(w[i].name, "emnist") ? "EMNIST CNN GFLOP/s, of sgemm peak"
               : !strcmp(w[i].name, "seed") ? "seed model GFLOP/s, of sgemm peak"
                                            : "char LSTM GFLOP/s, of sgemm peak",
               gf, "", "GFLOP/s", 100.0 * gf / peak, !strcmp(w[i].name, "emnist") ? ">= 50%" : "-",
               !strcmp(w[i].name, "emnist") ? (gf >= 0.5 * peak ? " met" : " NOT met") : "");
    }
    for (int i = 0; i < nw; i++) {
        if (w[i].run_flops == w[i].flops) continue;
        double gf = fedc_med[i] / (double)w[i].per_step * w[i].run_flops * 1e-9;
        printf("%-38s %11.1f %11s %-11s %6.0f%%  %s\n",
               !strcmp(w[i].name, "emnist") ? "EMNIST CNN products run, of peak" : w[i].name, gf,
               "", "GFLOP/s", 100.0 * gf / peak, "-");
    }
    if (seed_bound > 0.0) {
        char ratio[32] = "-", tv[32] = "-";
        for (int i = 0; i < nw; i++)
            if (!strcmp(w[i].name, "seed") && have_torch && torch_med[i] > 0) {
                snprintf(ratio, sizeof ratio, "%.2fx", seed_bound / torch_med[i]);
                snprintf(tv, sizeof tv, "%.1f", torch_med[i]);
            }
        printf("%-38s %11.1f %11s %-11s %7s  %s\n", "seed model, its 2 products alone", seed_bound,
               tv, "steps/s", ratio, "(bound)");
    }
    printf("\n(GFLOP/s counts the sgemm flops of a step: forward, weight and input gradients of\n"
           " Dense/Conv2D/LSTM products, a convolution as its direct products; 'products run'\n"
           " counts the Winograd products that replace a 3x3 convolution's, 2.25x fewer.)\n");
    printf("peak:    %.1f GFLOP/s at the end (start %.1f, %+.0f%%; 'of peak' divides by the "
           "larger)\n",
           peak_end, peak_start, 100.0 * (peak_end - peak_start) / peak_start);
    printf("load:    %s (1, 5, 15 min) at the end\n", load_end);
    for (int i = 0; i < nw; i++)
        workload_free(&w[i]);
    fedc_ctx_destroy(ctx);
    return 0;
}
