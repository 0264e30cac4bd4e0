/* metric_builtin.c — the built-in two-phase metrics: sparse categorical accuracy, mean loss,
 * number of examples, number of batches.
 *
 * Each state is a few float64 sums, so clients' states aggregate by addition and the finalizer
 * divides at the end (TFF's unfinalized metrics + finalizers). An update must check its inputs
 * before it writes, so that a failed update leaves the state as it was.
 */
#include <string.h>

#include "nn/optim/optim_int.h"

static void zero2(void *user, double *state) {
    (void)user;
    state[0] = 0;
    state[1] = 0;
}

static void zero1(void *user, double *state) {
    (void)user;
    state[0] = 0;
}

/* Keras's divide_no_nan: 0 when nothing was counted. */
static double ratio(void *user, const double *state) {
    (void)user;
    return state[1] != 0 ? state[0] / state[1] : 0.0;
}

static double first(void *user, const double *state) {
    (void)user;
    return state[0];
}

/* state: (sum of weights of correct predictions, sum of weights). Keras's
 * SparseCategoricalAccuracy: argmax of the row (the first maximum) equals the label. */
static fedc_status accuracy_update(void *user, fedc_ctx *ctx, double *state,
                                   const fedc_metric_batch *b) {
    (void)user;
    if (b->batch_size == 0) return FEDC_STATUS_OK;
    if (!b->predictions || !b->labels || b->num_classes <= 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "sparse_categorical_accuracy: the batch needs predictions, labels "
                               "and num_classes > 0 (got num_classes %lld)",
                               (long long)b->num_classes);
    double correct = 0, total = 0;
    for (int64_t i = 0; i < b->batch_size; i++) {
        const float *row = b->predictions + i * b->num_classes;
        int64_t best = 0;
        for (int64_t k = 1; k < b->num_classes; k++)
            if (row[k] > row[best]) best = k;
        double w = b->sample_weights ? (double)b->sample_weights[i] : 1.0;
        if (best == (int64_t)b->labels[i]) correct += w;
        total += w;
    }
    state[0] += correct;
    state[1] += total;
    return FEDC_STATUS_OK;
}

/* state: (sum of batch mean loss * batch size, examples), as TFF's Keras wrapper weights the
 * loss metric by the batch size. */
static fedc_status loss_update(void *user, fedc_ctx *ctx, double *state,
                               const fedc_metric_batch *b) {
    (void)user;
    (void)ctx;
    if (b->batch_size == 0) return FEDC_STATUS_OK;
    state[0] += b->loss * (double)b->batch_size;
    state[1] += (double)b->batch_size;
    return FEDC_STATUS_OK;
}

static fedc_status examples_update(void *user, fedc_ctx *ctx, double *state,
                                   const fedc_metric_batch *b) {
    (void)user;
    (void)ctx;
    state[0] += (double)b->batch_size;
    return FEDC_STATUS_OK;
}

static fedc_status batches_update(void *user, fedc_ctx *ctx, double *state,
                                  const fedc_metric_batch *b) {
    (void)user;
    (void)ctx;
    (void)b;
    state[0] += 1;
    return FEDC_STATUS_OK;
}

static const fedc_metric_def builtins[] = {
    {"sparse_categorical_accuracy", 2, zero2, accuracy_update, ratio, NULL},
    {"loss", 2, zero2, loss_update, ratio, NULL},
    {"num_examples", 1, zero1, examples_update, first, NULL},
    {"num_batches", 1, zero1, batches_update, first, NULL},
};

const fedc_metric_def *fedc_metric_builtin(const char *name) {
    for (size_t i = 0; name && i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
    return NULL;
}
