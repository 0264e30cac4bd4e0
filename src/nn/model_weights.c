/* model_weights.c — the names and shapes of each layer's weights, as Keras names them
 * (kernel, bias, recurrent_kernel, embeddings, gamma, beta, moving_mean, moving_variance), over
 * the model's flat buffers; model files are written and read through this list.
 *
 * Must agree with each layer's parameter layout (its init and forward); it allocates nothing.
 */
#include "nn/nn_int.h"

static int add(fedc__weight *out, int n, const char *name, fedc_shape shape, float *data,
               bool trainable) {
    out[n].name = name;
    out[n].shape = shape;
    out[n].data = data;
    out[n].trainable = trainable;
    return n + 1;
}

int fedc__layer_weights(const fedc_layer *l, fedc__weight out[FEDC__MAX_LAYER_WEIGHTS]) {
    int n = 0;
    const fedc_layer_spec *s = &l->spec;
    float *p = l->params;
    int64_t last = l->in_shape.rank ? l->in_shape.dims[l->in_shape.rank - 1] : 1;
    switch (s->kind) {
    case FEDC_LAYER_DENSE:
        n = add(out, n, "kernel", FEDC_SHAPE(last, s->units), p, true);
        if (s->use_bias) n = add(out, n, "bias", FEDC_SHAPE(s->units), p + last * s->units, true);
        return n;
    case FEDC_LAYER_CONV2D: {
        int64_t k = l->geom.kernel_h * l->geom.kernel_w * l->geom.channels;
        n = add(out, n, "kernel",
                FEDC_SHAPE(l->geom.kernel_h, l->geom.kernel_w, l->geom.channels, s->units), p,
                true);
        if (s->use_bias) n = add(out, n, "bias", FEDC_SHAPE(s->units), p + k * s->units, true);
        return n;
    }
    case FEDC_LAYER_EMBEDDING:
        return add(out, n, "embeddings", FEDC_SHAPE(s->input_dim, s->units), p, true);
    case FEDC_LAYER_LSTM: {
        int64_t u = s->units, f = l->in_shape.dims[1];
        n = add(out, n, "kernel", FEDC_SHAPE(f, 4 * u), p, true);
        n = add(out, n, "recurrent_kernel", FEDC_SHAPE(u, 4 * u), p + f * 4 * u, true);
        if (s->use_bias) n = add(out, n, "bias", FEDC_SHAPE(4 * u), p + (f + u) * 4 * u, true);
        return n;
    }
    case FEDC_LAYER_GRU: {
        int64_t u = s->units, f = l->in_shape.dims[1];
        n = add(out, n, "kernel", FEDC_SHAPE(f, 3 * u), p, true);
        n = add(out, n, "recurrent_kernel", FEDC_SHAPE(u, 3 * u), p + f * 3 * u, true);
        if (s->use_bias) n = add(out, n, "bias", FEDC_SHAPE(2, 3 * u), p + (f + u) * 3 * u, true);
        return n;
    }
    case FEDC_LAYER_LAYER_NORM:
    case FEDC_LAYER_GROUP_NORM:
    case FEDC_LAYER_BATCH_NORM:
        n = add(out, n, "gamma", FEDC_SHAPE(last), p, true);
        n = add(out, n, "beta", FEDC_SHAPE(last), p + last, true);
        if (s->kind == FEDC_LAYER_BATCH_NORM) {
            n = add(out, n, "moving_mean", FEDC_SHAPE(last), l->state, false);
            n = add(out, n, "moving_variance", FEDC_SHAPE(last), l->state + last, false);
        }
        return n;
    default:
        /* Custom layers: their buffers whole. Built-in layers without weights: none. */
        if (l->param_count > 0) n = add(out, n, "weights", FEDC_SHAPE(l->param_count), p, true);
        if (l->state_count > 0)
            n = add(out, n, "state", FEDC_SHAPE(l->state_count), l->state, false);
        return n;
    }
}
