/* recurrent.h — private to src/nn: what GRU and LSTM share (input shape [timesteps, features],
 * the sigmoid of their gates, the checks and sizes of build), header-only so that the sigmoid
 * stays inlined in their time loops.
 *
 * Must not allocate, and must not hold anything specific to one cell: the gate count and the
 * bias size are the caller's.
 */
#ifndef FEDC_NN_RECURRENT_H
#define FEDC_NN_RECURRENT_H

#include <math.h>

#include "nn/nn_int.h"

static inline int64_t fedc__rnn_steps(const fedc_layer *l) { return l->in_shape.dims[0]; }
static inline int64_t fedc__rnn_feats(const fedc_layer *l) { return l->in_shape.dims[1]; }

static inline float fedc__rnn_sig(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* Checks a recurrent layer (rank-2 input, units > 0, tanh with recurrent sigmoid) and sizes it:
 * kernel [features, gates u], recurrent kernel [u, gates u], bias_units u biases if use_bias. */
static inline fedc_status fedc__rnn_build(fedc_ctx *ctx, fedc_layer *l, int64_t gates,
                                          int64_t bias_units) {
    if (l->in_shape.rank != 2) {
        char buf[64];
        fedc_shape_format(&l->in_shape, buf, sizeof buf);
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_SHAPE,
                                  "expects inputs [timesteps, features], got %s", buf);
    }
    if (l->spec.units <= 0)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_INVALID_ARGUMENT,
                                  "units must be positive, got %lld", (long long)l->spec.units);
    if (l->spec.activation != FEDC_ACTIVATION_TANH ||
        l->spec.recurrent_activation != FEDC_ACTIVATION_SIGMOID)
        return fedc__layer_errorf(ctx, l, FEDC_STATUS_UNSUPPORTED,
                                  "only activation tanh with recurrent_activation sigmoid is "
                                  "supported, got %s and %s",
                                  fedc_activation_name(l->spec.activation),
                                  fedc_activation_name(l->spec.recurrent_activation));
    int64_t u = l->spec.units;
    l->out_shape = l->spec.return_sequences ? FEDC_SHAPE(fedc__rnn_steps(l), u) : FEDC_SHAPE(u);
    l->param_count =
        fedc__rnn_feats(l) * gates * u + u * gates * u + (l->spec.use_bias ? bias_units * u : 0);
    l->state_count = 0;
    return FEDC_STATUS_OK;
}

#endif
