/* nn_int.h — the nn layer's private declarations: activation kernels, the built-in layers'
 * vtables and shared helpers, named fedc__*.
 *
 * Only src/nn/ (and the nn tests) include this; it must not include headers of other layers
 * beyond base and tensor.
 */
#ifndef FEDC_NN_INT_H
#define FEDC_NN_INT_H

#include "fedc/nn.h"

/* y = act(z) over a rows x cols matrix (softmax per row); y may equal z except for GELU's
 * backward, which needs z (callers keep z when act is not LINEAR). */
void fedc__act_forward(fedc_activation act, int64_t rows, int64_t cols, const float *z, float *y);

/* dz = dL/dz given z, y = act(z) and dy; dz may equal dy. */
void fedc__act_backward(fedc_activation act, int64_t rows, int64_t cols, const float *z,
                        const float *y, const float *dy, float *dz);

/* Fills a layer's weight number `weight_index` (0 kernel, 1 bias) of `shape` from
 * FEDC_RNG(seed, layer->index, weight_index, FEDC_RNG_PURPOSE_INIT); errors name the layer. */
fedc_status fedc__init_weight(fedc_ctx *ctx, const fedc_layer *layer, int weight_index,
                              const fedc_initializer *init, const fedc_shape *shape, uint64_t seed,
                              float *out);

/* Records an INVALID_ARGUMENT naming the layer: "layer 3 (conv2d_1, Conv2D): <message>". */
fedc_status fedc__layer_errorf(fedc_ctx *ctx, const fedc_layer *layer, fedc_status status,
                               const char *fmt, ...) FEDC_PRINTF(4, 5);

/* ---- whole files (nn_file.c) ---- */

/* Reads the file at path into *out (fedc_malloc, NUL-terminated, fedc_free it) of *len bytes.
 * Errors: IO naming the path and the reason, OUT_OF_MEMORY. */
fedc_status fedc__nn_read_file(fedc_ctx *ctx, const char *path, char **out, size_t *len);

/* Writes len bytes to path (created or truncated). Errors: IO naming the path and reason. */
fedc_status fedc__nn_write_file(fedc_ctx *ctx, const char *path, const void *data, size_t len);

/* ---- a layer's named weights (model_weights.c), Keras's names and order ---- */

#define FEDC__MAX_LAYER_WEIGHTS 4

typedef struct fedc__weight {
    const char *name; /* "kernel", "bias", "recurrent_kernel", "embeddings", "gamma", ... */
    fedc_shape shape;
    float *data; /* into the model's params or state */
    bool trainable;
} fedc__weight;

/* Fills out[] with the layer's weights (trainable ones first, in parameter order) and returns
 * how many. */
int fedc__layer_weights(const fedc_layer *l, fedc__weight out[FEDC__MAX_LAYER_WEIGHTS]);

/* The Sequential model (model.c builds it, model_run.c runs it). */
struct fedc_model {
    size_t n;
    fedc_layer *layers;
    fedc_shape in_shape;
    int64_t n_params, n_state;
    float *params, *grads, *state;
    uint64_t seed, step;
    fedc_arena *arena; /* activations, saved values and scratch of the last forward */
    /* The last forward, for backward: acts[0] is its input copy, acts[i + 1] layer i's output
     * (the same buffer as acts[i] when layer i is a view: ops->output_is_input). */
    bool have_forward, training;
    int64_t batch;
    float **acts;  /* n + 1 */
    float **saved; /* n */
    float *temp;
};

/* The built-in layers' vtables. */
extern const fedc_layer_ops fedc__dense_ops;
extern const fedc_layer_ops fedc__conv2d_ops;
extern const fedc_layer_ops fedc__maxpool2d_ops;
extern const fedc_layer_ops fedc__avgpool2d_ops;
extern const fedc_layer_ops fedc__flatten_ops;
extern const fedc_layer_ops fedc__reshape_ops;
extern const fedc_layer_ops fedc__dropout_ops;
extern const fedc_layer_ops fedc__activation_ops;
extern const fedc_layer_ops fedc__embedding_ops;
extern const fedc_layer_ops fedc__lstm_ops;
extern const fedc_layer_ops fedc__gru_ops;
extern const fedc_layer_ops fedc__layer_norm_ops;
extern const fedc_layer_ops fedc__batch_norm_ops;
extern const fedc_layer_ops fedc__group_norm_ops;

#endif /* FEDC_NN_INT_H */
