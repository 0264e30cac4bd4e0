/* fedc/nn.h — the nn layer's public API: layers with forward and backward passes, initializers,
 * the Sequential model with flat parameter buffers, losses and the model zoo.
 *
 * Depends only on fedc/base.h and fedc/tensor.h (and the nn layer's own headers). Nothing here
 * knows about clients, rounds or executors: a model is a pure function of its parameters, its
 * input and (for dropout) a keyed random stream.
 */
#ifndef FEDC_NN_H
#define FEDC_NN_H

#include "fedc/base.h"
#include "fedc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Activations
 *
 * Usable as a standalone layer (fedc_layer_activation) and as the `activation` argument of Dense
 * and Conv2D, as in Keras. Softmax acts along the last axis.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_activation {
    FEDC_ACTIVATION_LINEAR = 0, /* identity (Keras's None / "linear") */
    FEDC_ACTIVATION_RELU,
    FEDC_ACTIVATION_TANH,
    FEDC_ACTIVATION_SIGMOID,
    FEDC_ACTIVATION_SOFTMAX,
    FEDC_ACTIVATION_GELU, /* exact: 0.5 x (1 + erf(x / sqrt 2)), Keras's approximate=False */
    FEDC_ACTIVATION_COUNT
} fedc_activation;

/* Keras's name ("linear", "relu", "tanh", "sigmoid", "softmax", "gelu"), "invalid" otherwise.
 * Static storage; thread-safe. */
const char *fedc_activation_name(fedc_activation act);

/* Parses a Keras activation name into *out; false if unknown. Thread-safe. */
bool fedc_activation_parse(const char *name, fedc_activation *out);

/* ---------------------------------------------------------------------------------------------
 * Initializers
 *
 * Each weight is filled from its own keyed stream FEDC_RNG(seed, layer index, weight index,
 * FEDC_RNG_PURPOSE_INIT), so one layer's values do not depend on the others'. Fans follow Keras:
 * a [in, out] kernel has fan_in = in, fan_out = out; a conv kernel [kh, kw, cin, cout] has
 * fan_in = kh*kw*cin, fan_out = kh*kw*cout. The "normal" variance-scaling initializers draw
 * from a normal truncated at two standard deviations, scaled by 1/0.87962566103423978 as
 * Keras does, so the variance is the nominal one.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_init_kind {
    FEDC_INIT_ZEROS = 0,
    FEDC_INIT_ONES,
    FEDC_INIT_CONSTANT,       /* value */
    FEDC_INIT_RANDOM_NORMAL,  /* mean, stddev (Keras default 0, 0.05) */
    FEDC_INIT_RANDOM_UNIFORM, /* minval, maxval (Keras default -0.05, 0.05) */
    FEDC_INIT_GLOROT_UNIFORM, /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
    FEDC_INIT_GLOROT_NORMAL,  /* truncated normal, stddev sqrt(2 / (fan_in + fan_out)) */
    FEDC_INIT_HE_NORMAL,      /* truncated normal, stddev sqrt(2 / fan_in) */
    FEDC_INIT_HE_UNIFORM,     /* U(-l, l), l = sqrt(6 / fan_in) */
    FEDC_INIT_LECUN_NORMAL,   /* truncated normal, stddev sqrt(1 / fan_in) */
    FEDC_INIT_ORTHOGONAL,     /* gain * Q of the QR of a normal [prod(dims[:-1]), dims[-1]] */
    FEDC_INIT_COUNT
} fedc_init_kind;

typedef struct fedc_initializer {
    fedc_init_kind kind;
    double value;          /* CONSTANT */
    double mean, stddev;   /* RANDOM_NORMAL */
    double minval, maxval; /* RANDOM_UNIFORM */
    double gain;           /* ORTHOGONAL (default 1) */
} fedc_initializer;

/* An initializer of `kind` with Keras's default arguments. Thread-safe. */
fedc_initializer fedc_initializer_make(fedc_init_kind kind);

/* Keras's name ("zeros", "glorot_uniform", "he_normal", ...), "invalid" otherwise. */
const char *fedc_init_name(fedc_init_kind kind);

/* Fills `out` (n = numel(shape) floats) with the initializer's values for a weight of `shape`
 * (rank >= 1; fans as above), drawing from `rng`. Errors: INVALID_ARGUMENT for an unknown kind,
 * a negative stddev, minval > maxval, or a rank-0 shape; OUT_OF_MEMORY (ORTHOGONAL works in a
 * temporary double matrix). Thread-safe (touches only its arguments). */
fedc_status fedc_init_fill(fedc_ctx *ctx, const fedc_initializer *init, const fedc_shape *shape,
                           fedc_rng *rng, float *out);

/* ---------------------------------------------------------------------------------------------
 * Layer specs
 *
 * A fedc_layer_spec is plain data describing one layer (its Keras config, in effect); a list of
 * them plus an input shape makes a model. The fedc_layer_* functions return specs with Keras's
 * defaults; change fields afterwards for anything else (e.g. spec.kernel_init).
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_layer_kind {
    FEDC_LAYER_DENSE = 0,
    FEDC_LAYER_CONV2D,
    FEDC_LAYER_MAXPOOL2D,
    FEDC_LAYER_AVGPOOL2D,
    FEDC_LAYER_FLATTEN,
    FEDC_LAYER_RESHAPE,
    FEDC_LAYER_DROPOUT,
    FEDC_LAYER_ACTIVATION,
    FEDC_LAYER_EMBEDDING,  /* input: float32 token ids [T]; output [T, units] */
    FEDC_LAYER_LSTM,       /* input [T, features]; output [T, units] or [units] */
    FEDC_LAYER_GRU,        /* as LSTM */
    FEDC_LAYER_LAYER_NORM, /* normalizes over the last axis */
    FEDC_LAYER_BATCH_NORM, /* normalizes each channel (last axis) over the batch */
    FEDC_LAYER_GROUP_NORM, /* normalizes groups of channels (last axis) per example */
    FEDC_LAYER_CUSTOM,     /* behaviour from spec.custom_ops (see fedc_layer_ops) */
    FEDC_LAYER_KIND_COUNT
} fedc_layer_kind;

typedef struct fedc_layer_ops fedc_layer_ops;

typedef struct fedc_layer_spec {
    fedc_layer_kind kind;
    const char *name;  /* NULL: Keras-style automatic name ("dense", "dense_1", ...) */
    int64_t units;     /* DENSE, LSTM, GRU: output size; CONV2D: filters; EMBEDDING: output_dim */
    int64_t input_dim; /* EMBEDDING: vocabulary size */
    int64_t kernel_h;  /* CONV2D kernel / pooling window */
    int64_t kernel_w;
    int64_t stride_h; /* CONV2D (default 1) / pooling (default: the window) */
    int64_t stride_w;
    fedc_padding padding;            /* CONV2D and pooling (default VALID) */
    fedc_activation activation;      /* DENSE, CONV2D, ACTIVATION */
    bool use_bias;                   /* DENSE, CONV2D, LSTM, GRU (default true) */
    fedc_initializer kernel_init;    /* default glorot_uniform; EMBEDDING: uniform(-0.05, 0.05);
                                        norms: gamma (ones) */
    fedc_initializer bias_init;      /* default zeros; norms: beta */
    fedc_initializer recurrent_init; /* LSTM, GRU: default orthogonal */
    fedc_activation recurrent_activation; /* LSTM, GRU: default sigmoid (tanh/sigmoid only) */
    bool return_sequences;                /* LSTM, GRU: every step's output (default: last) */
    bool unit_forget_bias;                /* LSTM: forget-gate bias starts at 1 (default true) */
    double epsilon;                       /* norms: added to the variance (Keras default 1e-3) */
    int64_t groups;                       /* GROUP_NORM: channel groups (Keras default 32) */
    double momentum;                  /* BATCH_NORM: moving-statistics momentum (default 0.99) */
    double rate;                      /* DROPOUT: fraction dropped, in [0, 1) */
    fedc_shape target_shape;          /* RESHAPE: per-example shape; one dimension may be -1 */
    const fedc_layer_ops *custom_ops; /* CUSTOM */
    void *custom_arg; /* CUSTOM: borrowed, handed to the ops through fedc_layer.spec */
} fedc_layer_spec;

/* Spec constructors with Keras's defaults. Thread-safe; nothing is allocated. */
fedc_layer_spec fedc_layer_dense(int64_t units, fedc_activation activation);
/* Conv2D with `filters` kernels of kh x kw, stride (sh, sw), channels-last. A layer of 3x3
 * kernels at stride 1 with at least 16 input channels and 16 filters computes its forward and
 * gradients by Winograd's F(2x2, 3x3) (2.25x fewer multiplications than the direct products);
 * its results then differ from the direct convolution's by float32 rounding only (within 1e-5
 * of PyTorch in the tests), and stay the same bits for the same inputs. */
fedc_layer_spec fedc_layer_conv2d(int64_t filters, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                  fedc_padding padding, fedc_activation activation);
/* Pooling windows of ph x pw; strides of 0 mean "the window", as Keras's strides=None. */
fedc_layer_spec fedc_layer_maxpool2d(int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                                     fedc_padding padding);
fedc_layer_spec fedc_layer_avgpool2d(int64_t ph, int64_t pw, int64_t sh, int64_t sw,
                                     fedc_padding padding);
fedc_layer_spec fedc_layer_flatten(void);
fedc_layer_spec fedc_layer_reshape(fedc_shape target_shape);
fedc_layer_spec fedc_layer_dropout(double rate);
fedc_layer_spec fedc_layer_activation(fedc_activation activation);
/* Embedding of `input_dim` tokens into `output_dim` floats. Token ids arrive as float32 (the
 * model's input dtype) and must be integers in [0, input_dim): others make forward fail. */
fedc_layer_spec fedc_layer_embedding(int64_t input_dim, int64_t output_dim);
/* LSTM with Keras's gate order (i, f, c, o), tanh and sigmoid, weights kernel [in, 4u],
 * recurrent_kernel [u, 4u], bias [4u]. */
fedc_layer_spec fedc_layer_lstm(int64_t units, bool return_sequences);
/* GRU as Keras 2 defaults it (reset_after=True): gates (z, r, h), weights kernel [in, 3u],
 * recurrent_kernel [u, 3u] (orthogonal), bias [2, 3u] (input bias row, recurrent bias row). */
fedc_layer_spec fedc_layer_gru(int64_t units, bool return_sequences);
/* LayerNormalization over the last axis with gamma and beta [last] (epsilon 1e-3). */
fedc_layer_spec fedc_layer_layer_norm(void);
/* BatchNormalization over the last axis: trainable gamma, beta [C]; non-trainable
 * moving_mean, moving_variance [C] (in the state buffer), updated by training forwards. */
fedc_layer_spec fedc_layer_batch_norm(void);
/* GroupNormalization: the last axis (channels) split into `groups` groups; each example's group
 * (all positions, its channels) is normalized; gamma and beta [C] (epsilon 1e-3). */
fedc_layer_spec fedc_layer_group_norm(int64_t groups);

/* Keras's class name of a kind ("Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D",
 * "Flatten", "Reshape", "Dropout", "Activation", "Embedding", "LSTM", "GRU",
 * "LayerNormalization", "BatchNormalization", "GroupNormalization", "Custom"), "invalid"
 * otherwise. */
const char *fedc_layer_kind_name(fedc_layer_kind kind);

/* ---------------------------------------------------------------------------------------------
 * Layers and the layer vtable
 *
 * A fedc_layer is one layer inside a model: its spec, shapes, and views of the model's flat
 * buffers. The model owns it; callers read it through fedc_model_layer. Shapes are per example
 * (no batch axis); activations are float32, contiguous, batch-major.
 *
 * Custom layers implement fedc_layer_ops and are added with kind FEDC_LAYER_CUSTOM. The model
 * calls build once, init at creation, and forward/backward with memory it provides from its
 * arena; ops must not allocate in forward or backward.
 * ------------------------------------------------------------------------------------------- */

#define FEDC_LAYER_NAME_MAX 64

typedef struct fedc_layer {
    const fedc_layer_ops *ops;
    fedc_layer_spec spec;           /* as given, name pointing at name[] */
    char name[FEDC_LAYER_NAME_MAX]; /* unique within the model */
    int index;                      /* position in the model */
    fedc_shape in_shape, out_shape; /* per example */
    int64_t param_count;            /* trainable floats */
    int64_t state_count;            /* non-trainable floats */
    int64_t param_offset;           /* into fedc_model_params / fedc_model_grads */
    int64_t state_offset;           /* into fedc_model_state */
    float *params, *grads, *state;  /* views of the model's buffers (NULL when counts are 0) */
    fedc_conv2d_geom geom;          /* CONV2D and pooling: the window geometry with batch 1 */
} fedc_layer;

/* What one forward or backward call of a layer gets. */
typedef struct fedc_layer_io {
    int64_t batch; /* rows of x, y, dx and dy */
    bool training; /* forward mode of this pass (dropout is active only when true) */
    fedc_rng rng;  /* the layer's stream for this step: FEDC_RNG(seed, step, index, DROPOUT) */
    float *saved;  /* saved_size floats, written by forward, read by the following backward */
    float *temp;   /* temp_size floats, scratch for one call (not kept between calls) */
} fedc_layer_io;

struct fedc_layer_ops {
    const char *class_name; /* Keras class name */
    /* From layer->spec and layer->in_shape: set out_shape, param_count and state_count (and
     * geom if wanted). Errors: INVALID_ARGUMENT / SHAPE naming the layer and both shapes. */
    fedc_status (*build)(fedc_ctx *ctx, fedc_layer *layer);
    /* Fills params and state from keyed streams under `seed` (see Initializers). */
    fedc_status (*init)(fedc_ctx *ctx, fedc_layer *layer, uint64_t seed);
    /* Floats forward keeps for backward, and scratch floats per call, for `batch` rows
     * (NULL: none). */
    int64_t (*saved_size)(const fedc_layer *layer, int64_t batch);
    int64_t (*temp_size)(const fedc_layer *layer, int64_t batch);
    /* y = f(x). Must not fail or allocate. */
    void (*forward)(const fedc_layer *layer, fedc_layer_io *io, const float *x, float *y);
    /* Given x, y of the last forward and dy = dL/dy: overwrites layer->grads with dL/dparams
     * and, when dx is not NULL, dx with dL/dx. */
    void (*backward)(const fedc_layer *layer, fedc_layer_io *io, const float *x, const float *y,
                     const float *dy, float *dx);
    /* Optional: checks the values of x before forward (e.g. token ids in range). Errors name
     * the layer and the offending element. */
    fedc_status (*validate)(fedc_ctx *ctx, const fedc_layer *layer, int64_t batch, const float *x);
    /* Optional (false by default): y is x under another shape, element for element (Flatten,
     * Reshape). The model then passes x's buffer on as y and dy back as dx without calling
     * forward or backward, which must still be given (they copy) for callers that run the layer
     * alone. Set it only for a layer with no parameters and y[i] == x[i] for every i. */
    bool output_is_input;
};

/* ---------------------------------------------------------------------------------------------
 * The Sequential model
 *
 * Trainable parameters live in ONE contiguous float buffer in layer order (for each layer its
 * kernel, then its bias, as Keras orders weights); gradients use the same layout, so a
 * broadcast is a memcpy and an aggregate an axpy. Non-trainable parameters are another buffer.
 * Per-call activations and scratch come from the model's arena, reset at each forward, so a
 * training loop of a steady batch size does not call malloc after the first step.
 *
 * Thread safety: a model is not synchronized; use one per thread (copy parameters between them).
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_model fedc_model;

typedef struct fedc_model_opts {
    uint64_t seed; /* initializer and dropout streams (default 0) */
    bool no_init;  /* leave parameters zero instead of running the initializers */
} fedc_model_opts;

/* Defaults: seed 0, initializers run. */
fedc_model_opts fedc_model_opts_default(void);

/* Builds a model from `n` layer specs (copied; names are copied too) for inputs of per-example
 * shape `input_shape`, and initializes its parameters (opts NULL: defaults). Errors:
 * INVALID_ARGUMENT for n == 0, a bad spec or shape (the message names the layer's index, name
 * and what was wrong), OUT_OF_MEMORY. The caller owns *out (fedc_model_destroy); *out is NULL on
 * error. */
fedc_status fedc_model_create(fedc_ctx *ctx, const fedc_shape *input_shape,
                              const fedc_layer_spec *layers, size_t n, const fedc_model_opts *opts,
                              fedc_model **out);

/* Frees the model. NULL is a no-op. */
void fedc_model_destroy(fedc_model *model);

/* A new model with the same layers, seed, step counter, parameters and state (e.g. one per
 * worker thread). Custom layers' custom_arg is shared, not copied. Errors: OUT_OF_MEMORY. The
 * caller owns *out (NULL on error). Thread safety: reads `model` only. */
fedc_status fedc_model_clone(fedc_ctx *ctx, const fedc_model *model, fedc_model **out);

/* Re-runs every initializer under `seed` (also the dropout seed from now on). Errors:
 * OUT_OF_MEMORY (orthogonal init). */
fedc_status fedc_model_init(fedc_ctx *ctx, fedc_model *model, uint64_t seed);

/* Sizes and buffers. The pointers stay valid for the model's life; callers may read and write
 * parameters freely between calls. */
int64_t fedc_model_num_params(const fedc_model *model);
int64_t fedc_model_num_state(const fedc_model *model);
float *fedc_model_params(fedc_model *model);
float *fedc_model_grads(fedc_model *model);
float *fedc_model_state(fedc_model *model);

size_t fedc_model_num_layers(const fedc_model *model);
/* The i-th layer (i < num_layers, asserted), owned by the model. */
const fedc_layer *fedc_model_layer(const fedc_model *model, size_t i);
/* Per-example input and output shapes. */
fedc_shape fedc_model_input_shape(const fedc_model *model);
fedc_shape fedc_model_output_shape(const fedc_model *model);

/* The dropout step counter: training forwards use FEDC_RNG(seed, step, layer, DROPOUT) and then
 * increment it. Setting it (e.g. from round and client) makes masks reproducible anywhere. */
uint64_t fedc_model_step(const fedc_model *model);
void fedc_model_set_step(fedc_model *model, uint64_t step);

/* Runs the layers on x (float32 [batch, input_shape...], any batch >= 1, copied) in training or
 * inference mode and sets *out to a view of the output [batch, output_shape...], owned by the
 * model and valid until its next forward. A training forward also updates non-trainable state
 * (BatchNorm's moving statistics). Errors: TYPE (not float32), SHAPE (naming expected and found
 * shapes), INVALID_ARGUMENT (a value a layer rejects, e.g. a token id out of range),
 * OUT_OF_MEMORY. */
fedc_status fedc_model_forward(fedc_ctx *ctx, fedc_model *model, const fedc_tensor *x,
                               bool training, fedc_tensor *out);

/* Back-propagates dy = dL/d(output) (float32, the shape of the last forward's output) through
 * the last forward and overwrites the gradient buffer with dL/dparams. Errors: INVALID_ARGUMENT
 * when no forward preceded it, TYPE, SHAPE, OUT_OF_MEMORY. */
fedc_status fedc_model_backward(fedc_ctx *ctx, fedc_model *model, const fedc_tensor *dy);

/* Inference: runs the model on x (in chunks of 128 examples, so scratch memory does not grow
 * with the batch) and copies the output into `out`, a caller-allocated float32 tensor of shape
 * [batch, output_shape...]. Errors: as forward, SHAPE for `out`. */
fedc_status fedc_model_predict(fedc_ctx *ctx, fedc_model *model, const fedc_tensor *x,
                               fedc_tensor *out);

/* ---------------------------------------------------------------------------------------------
 * Weights as safetensors (readable by Python's safetensors and PyTorch tools)
 *
 * One F32 tensor per weight, named "<layer name>/<weight>" with Keras's weight names and shapes:
 * "dense/kernel" [in, units], "dense/bias", "conv2d/kernel" [kh, kw, cin, filters],
 * "embedding/embeddings", "lstm/kernel", "lstm/recurrent_kernel", "lstm/bias", "gru/bias" [2, 3u],
 * "layer_normalization/gamma", "batch_normalization/moving_mean", ... (custom layers:
 * "<name>/weights" and "<name>/state"). Non-trainable weights are included. Data is written
 * little-endian (the host's order; big-endian hosts are not supported). Save then load is exact.
 * Thread safety: as the model.
 * ------------------------------------------------------------------------------------------- */

/* Serializes the model's weights into a new buffer (*out, *len), which the caller frees with
 * fedc_free. Errors: OUT_OF_MEMORY. */
fedc_status fedc_model_weights_to_safetensors(fedc_ctx *ctx, const fedc_model *model, void **out,
                                              size_t *len);

/* Loads weights from a safetensors image of len bytes; `what` names it in messages (a path).
 * The file must hold exactly the model's weights, F32, with the model's shapes. All checks run
 * before anything is copied, so on error the model is unchanged. Errors: CORRUPT (a header size
 * or data offsets that do not fit the file, naming the byte offset), PARSE (a malformed JSON
 * header: byte offset), SHAPE / TYPE / NOT_FOUND / INVALID_ARGUMENT naming the tensor (wrong
 * shape, dtype other than F32, missing, or one the model lacks), OUT_OF_MEMORY. */
fedc_status fedc_model_weights_from_safetensors(fedc_ctx *ctx, fedc_model *model, const void *data,
                                                size_t len, const char *what);

/* The same through a file at `path`. Errors: IO naming the path and the system's reason, and
 * those above. */
fedc_status fedc_model_save_safetensors(fedc_ctx *ctx, const fedc_model *model, const char *path);
fedc_status fedc_model_load_safetensors(fedc_ctx *ctx, fedc_model *model, const char *path);

/* ---------------------------------------------------------------------------------------------
 * Architecture as Keras JSON (the Sequential config dialect of Keras's model.to_json())
 *
 * Supported classes: InputLayer, Dense, Conv2D, MaxPooling2D, AveragePooling2D, Flatten,
 * Reshape, Dropout, Activation, Softmax, ReLU, Embedding, LSTM, GRU (reset_after),
 * LayerNormalization, GroupNormalization,
 * BatchNormalization. Settings without an equivalent (channels_first, dilation, groups,
 * regularizers, constraints, stateful or dropout RNNs, masking) are errors, never ignored.
 * ------------------------------------------------------------------------------------------- */

/* Builds a model from len bytes of Keras JSON (`what` names it in messages, e.g. a path) and
 * initializes it per opts (NULL: defaults). Errors: PARSE (malformed JSON: byte offset and what
 * was expected), UNSUPPORTED (a class or setting fedc lacks: naming the layer's index, name and
 * byte offset), INVALID_ARGUMENT (a missing or ill-typed field, no input shape), the errors of
 * fedc_model_create, OUT_OF_MEMORY. The caller owns *out (NULL on error). */
fedc_status fedc_model_from_keras_json(fedc_ctx *ctx, const char *json, size_t len,
                                       const char *what, const fedc_model_opts *opts,
                                       fedc_model **out);

/* Writes the model's architecture as Keras JSON into *out (NUL-terminated, fedc_free it).
 * Reading it back gives the same layers. Errors: UNSUPPORTED for custom layers, OUT_OF_MEMORY. */
fedc_status fedc_model_to_keras_json(fedc_ctx *ctx, const fedc_model *model, char **out);

/* The same through files: reads the JSON at `path` (messages name the path), or writes it there.
 * Errors: IO naming the path and the system's reason, and those above. */
fedc_status fedc_model_load_keras_json(fedc_ctx *ctx, const char *path, const fedc_model_opts *opts,
                                       fedc_model **out);
fedc_status fedc_model_save_keras_json(fedc_ctx *ctx, const fedc_model *model, const char *path);

/* ---------------------------------------------------------------------------------------------
 * Losses
 *
 * Keras semantics: per-sample losses (cross-entropies per row of the last axis; MSE and binary
 * cross-entropy averaged over the last axis), multiplied by optional sample weights (one per
 * example, broadcast over a sequence's steps), summed and divided by the number of per-sample
 * losses (Keras's SUM_OVER_BATCH_SIZE: the batch, or batch * T for sequence outputs). Probabilities
 * are clipped to [1e-7, 1 - 1e-7] as Keras does (gradients are zero where the clip is active);
 * categorical cross-entropy from probabilities first divides each row by its sum, as Keras does.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_loss_kind {
    FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY = 0, /* targets: class indices [batch] */
    FEDC_LOSS_CATEGORICAL_CROSSENTROPY,            /* targets: distributions, pred's shape */
    FEDC_LOSS_BINARY_CROSSENTROPY,                 /* targets in [0, 1], pred's shape */
    FEDC_LOSS_MEAN_SQUARED_ERROR,                  /* targets: pred's shape */
    FEDC_LOSS_COUNT
} fedc_loss_kind;

typedef struct fedc_loss {
    fedc_loss_kind kind;
    bool from_logits; /* cross-entropies: pred holds logits rather than probabilities */
} fedc_loss;

/* Keras's function name ("sparse_categorical_crossentropy", ...), "invalid" otherwise. */
const char *fedc_loss_name(fedc_loss_kind kind);

/* Computes the loss of `pred` (float32 [batch, ...], contiguous) against `target` (sparse:
 * int32, int64 or float32 of pred's shape without the last axis, holding class indices; others:
 * float32 of pred's shape) with optional `sample_weight` (NULL or float32 [batch]) into *loss_out
 * (summed in double), and, when dpred is not NULL, dL/dpred into dpred (float32, pred's shape,
 * contiguous, overwritten). Errors: INVALID_ARGUMENT (bad kind, empty batch, a class index out of
 * range: naming the row and the value), TYPE, SHAPE (naming both shapes). Thread-safe (touches only
 * its arguments). */
fedc_status fedc_loss_eval(fedc_ctx *ctx, const fedc_loss *loss, const fedc_tensor *pred,
                           const fedc_tensor *target, const fedc_tensor *sample_weight,
                           double *loss_out, fedc_tensor *dpred);

/* One training step's gradients: a training-mode forward of x, the loss against target (and
 * sample_weight, may be NULL) into *loss_out, and the backward pass, leaving dL/dparams in the
 * model's gradient buffer. dL/dpred lives in the model's arena, so a steady loop does not call
 * malloc; a contiguous x is read in place rather than copied. The model keeps no forward
 * afterwards (fedc_model_backward then fails until the next forward). Errors: those of
 * fedc_model_forward, fedc_loss_eval and fedc_model_backward. */
fedc_status fedc_model_gradients(fedc_ctx *ctx, fedc_model *model, const fedc_loss *loss,
                                 const fedc_tensor *x, const fedc_tensor *target,
                                 const fedc_tensor *sample_weight, double *loss_out);

/* ---------------------------------------------------------------------------------------------
 * Model zoo: the models federated-learning papers use, with Keras's parameter layout.
 * Each builds and initializes a model under `seed`; the caller owns *out. Errors: as
 * fedc_model_create (INVALID_ARGUMENT for a bad class count).
 * ------------------------------------------------------------------------------------------- */

/* TFF's seed model: Dense 784 -> 10 with zero-initialized kernel and bias, softmax (7,850
 * parameters). Input [784]. */
fedc_status fedc_zoo_seed_model(fedc_ctx *ctx, uint64_t seed, fedc_model **out);

/* McMahan et al.'s 2NN: 784-200-200-10, relu, softmax output (199,210 parameters). Input
 * [784]. */
fedc_status fedc_zoo_mnist_2nn(fedc_ctx *ctx, uint64_t seed, fedc_model **out);

/* McMahan et al.'s CNN as TFF builds it: conv 5x5 32 same relu, maxpool 2 (same), conv 5x5 64
 * same relu, maxpool 2 (same), flatten, dense 512 relu, dense 10 softmax (1,663,370
 * parameters). Input [28, 28, 1]. */
fedc_status fedc_zoo_mnist_cnn(fedc_ctx *ctx, uint64_t seed, fedc_model **out);

/* TFF's EMNIST CNN with dropout: conv 3x3 32 relu, conv 3x3 64 relu, maxpool 2, dropout 0.25,
 * flatten, dense 128 relu, dropout 0.5, dense num_classes (10 or 62) softmax (1,199,882
 * parameters for 10 classes). Input [28, 28, 1]. */
fedc_status fedc_zoo_emnist_cnn(fedc_ctx *ctx, int64_t num_classes, uint64_t seed,
                                fedc_model **out);

/* A small CNN for 28x28 images that trains in seconds per round on a laptop core: conv 3x3 16
 * relu, maxpool 2, conv 3x3 32 relu, maxpool 2, flatten, dense 64 relu, dense num_classes
 * softmax (56,714 parameters for 10 classes; about 1.4 MFLOP per example forward). fedc's
 * default model for `fedc train`. Input [28, 28, 1]. Errors: INVALID_ARGUMENT for
 * num_classes < 2. */
fedc_status fedc_zoo_small_cnn(fedc_ctx *ctx, int64_t num_classes, uint64_t seed, fedc_model **out);

/* TFF's Shakespeare character model: embedding vocab_size -> 8, LSTM 256 (sequences), LSTM 256
 * (sequences), dense vocab_size (logits: use sparse cross-entropy from logits). Input
 * [sequence_length] token ids as float32; output [sequence_length, vocab_size] (820,522
 * parameters for TFF's vocabulary of 90). Errors: INVALID_ARGUMENT for sizes < 1. */
fedc_status fedc_zoo_shakespeare_lstm(fedc_ctx *ctx, int64_t vocab_size, int64_t sequence_length,
                                      uint64_t seed, fedc_model **out);

#ifdef __cplusplus
}
#endif

/* Optimizers, learning-rate schedules and metrics: the rest of the nn layer's API. */
#include "fedc/nn_optim.h"

#endif /* FEDC_NN_H */
