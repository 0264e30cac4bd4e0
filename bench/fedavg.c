/* bench/fedavg.c — whole FedAvg rounds through fedc's learning process, against a plain PyTorch
 * FedAvg loop doing the same work (bench/torch_fedavg.py), in client updates per second.
 *
 *   make bench && build/bench/fedavg [--cpu-time] [--samples N] [--no-torch]
 *
 * Workloads (each round: 10 clients of 100 random examples, local SGD 0.1 in batches of 20,
 * updates averaged by examples, server SGD 1.0):
 *   seed    TFF's seed model (Dense 784->10 softmax, zero init), 10 local epochs
 *   emnist  TFF's EMNIST CNN with dropout, 1 local epoch
 * fedc runs on 1 thread (the reference executor) and on 2 (the threaded executor); PyTorch on 1.
 * Samples alternate fedc 1 thread, PyTorch, fedc 2 threads, so all see the same load; figures
 * are medians. Nothing here asserts a speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/fedc.h"

#include "bench_torch.h"
#include "bench_util.h"

#define CLIENTS 10
#define EXAMPLES 100
#define MAX_SAMPLES 64

static bool g_cpu_time = false;

static double now_s(void) {
    return bench_clock_s(g_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC);
}

static void check(fedc_status st, fedc_ctx *ctx, const char *what) {
    if (st >= 0) return;
    fprintf(stderr, "fedavg: %s: %s\n", what, fedc_ctx_message(ctx));
    exit(1);
}

/* 10 clients of 100 examples: x float32 of `shape` in [0, 1), y in [0, 10). */
static fedc_client_data *random_clients(fedc_ctx *ctx, fedc_shape shape) {
    fedc_memory_data *b;
    fedc_example *ex;
    check(fedc_memory_data_create(ctx, &b), ctx, "memory data");
    check(fedc_example_create(ctx, &ex), ctx, "example");
    for (int c = 0; c < CLIENTS; c++) {
        char id[16];
        snprintf(id, sizeof id, "client_%02d", c);
        fedc_rng rng = FEDC_RNG(1, (uint64_t)c, FEDC_RNG_PURPOSE_TEST);
        for (int k = 0; k < EXAMPLES; k++) {
            fedc_tensor *x, *y;
            fedc_shape s0 = FEDC_SHAPE0;
            check(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &shape, &x), ctx, "x");
            for (int64_t i = 0; i < fedc_tensor_numel(x); i++)
                ((float *)x->data)[i] = (float)fedc_rng_uniform(&rng);
            check(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &y), ctx, "y");
            *(int32_t *)y->data = (int32_t)fedc_rng_below(&rng, 10);
            check(fedc_memory_data_add(ctx, b, id, ex), ctx, "add");
        }
    }
    fedc_client_data *cd;
    check(fedc_memory_data_finish(ctx, b, &cd), ctx, "finish");
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

typedef struct workload {
    const char *name;
    fedc_client_data *cd;
    fedc_value *clients;
    fedc_learning_model *model;
    fedc_learning_process *process;
    fedc_value *state;
} workload;

static void setup(fedc_ctx *ctx, workload *w, const char *name) {
    memset(w, 0, sizeof *w);
    w->name = name;
    bool seed = !strcmp(name, "seed");
    fedc_model *m;
    if (seed)
        check(fedc_zoo_seed_model(ctx, 0, &m), ctx, "seed model");
    else
        check(fedc_zoo_emnist_cnn(ctx, 10, 0, &m), ctx, "emnist cnn");
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    check(fedc_learning_model_from_sequential(ctx, m, &loss, NULL, 0, NULL, &w->model), ctx,
          "model");
    w->cd = random_clients(ctx, seed ? FEDC_SHAPE(784) : FEDC_SHAPE(28, 28, 1));
    check(fedc_value_clients_sequences(ctx, w->cd, &w->clients), ctx, "clients");
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_FED_AVG);
    o.client.epochs = seed ? 10 : 1;
    o.client.batch_size = 20;
    o.client.optimizer.learning_rate = 0.1;
    check(fedc_learning_process_create(ctx, w->model, &o, &w->process), ctx, "process");
    check(fedc_learning_process_initialize(ctx, w->process, &w->state), ctx, "initialize");
}

static void teardown(workload *w) {
    fedc_value_release(w->state);
    fedc_value_release(w->clients);
    fedc_learning_process_destroy(w->process);
    fedc_learning_model_destroy(w->model);
    fedc_client_data_destroy(w->cd);
}

/* Rounds for at least `seconds`: client updates per second. */
static double fedc_sample(fedc_ctx *ctx, workload *w, fedc_pool *pool, double seconds) {
    fedc_exec_opts e = fedc_exec_opts_default();
    e.pool = pool;
    int64_t updates = 0;
    double t0 = now_s(), t;
    do {
        fedc_value *s2, *m;
        check(fedc_learning_process_next(ctx, w->process, w->state, w->clients, &e, &s2, &m), ctx,
              "next");
        fedc_value_release(w->state);
        fedc_value_release(m);
        w->state = s2;
        updates += CLIENTS;
        t = now_s() - t0;
    } while (t < seconds);
    return (double)updates / t;
}

int main(int argc, char **argv) {
    int samples = 5;
    bool torch = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cpu-time"))
            g_cpu_time = true;
        else if (!strcmp(argv[i], "--no-torch"))
            torch = false;
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: fedavg [--cpu-time] [--samples N] [--no-torch]\n");
            return 2;
        }
    }
    if (samples < 1 || samples > MAX_SAMPLES) samples = 5;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return 1;
    fedc_pool *pool;
    check(fedc_pool_create(ctx, 2, &pool), ctx, "pool");
    bench_torch tp;
    bool have_torch = torch && bench_torch_start(&tp, "bench/torch_fedavg.py");
    char cpu[256];
    printf("machine: %s; %s time; %d samples of >= 1 s each, medians\n",
           bench_cpu_model(cpu, sizeof cpu), g_cpu_time ? "process CPU" : "wall-clock", samples);
    if (have_torch) printf("PyTorch %s, one thread\n", tp.version);
    printf("%-40s %10s %10s %10s %8s %8s\n", "workload (client updates/s)", "fedc 1t", "PyTorch",
           "fedc 2t", "1t/torch", "2t/1t");
    const char *names[2] = {"seed", "emnist"};
    for (int k = 0; k < 2; k++) {
        workload w;
        setup(ctx, &w, names[k]);
        double one[MAX_SAMPLES], two[MAX_SAMPLES], pt[MAX_SAMPLES];
        fedc_sample(ctx, &w, NULL, 0.2); /* warm up: clones, arenas, caches */
        for (int s = 0; s < samples; s++) {
            one[s] = fedc_sample(ctx, &w, NULL, 1.0);
            pt[s] = have_torch ? bench_torch_sample(&tp, names[k], 1.0, g_cpu_time) : 0;
            two[s] = fedc_sample(ctx, &w, pool, 1.0);
        }
        double m1 = bench_median(one, samples), m2 = bench_median(two, samples);
        double mt = bench_median(pt, samples);
        char label[64];
        snprintf(label, sizeof label, "%s (%s)", names[k],
                 k == 0 ? "Dense 784->10, 10 epochs" : "EMNIST CNN, 1 epoch");
        if (have_torch)
            printf("%-40s %10.1f %10.1f %10.1f %7.2fx %7.2fx\n", label, m1, mt, m2, m1 / mt,
                   m2 / m1);
        else
            printf("%-40s %10.1f %10s %10.1f %8s %7.2fx\n", label, m1, "-", m2, "-", m2 / m1);
        teardown(&w);
    }
    if (have_torch) bench_torch_stop(&tp);
    fedc_pool_destroy(pool);
    fedc_ctx_destroy(ctx);
    return 0;
}
