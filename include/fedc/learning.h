/* fedc/learning.h — the Federated Learning API (tff.learning in C): the model interface, local
 * training, and learning processes whose initialize and next are Federated Core computations.
 *
 * Part of layer learning (above core, nn and data). A learning process is a checked fedc_comp
 * module (print it with fedc_comp_print) whose local steps are native functions this layer
 * registers with the executor: local training ("fedc.learning.train"), local evaluation
 * ("fedc.learning.evaluate"), the server update ("fedc.learning.server_update"), the metric
 * finalizer ("fedc.learning.finalize_metrics") and the initial state ("fedc.learning.init").
 * Their options travel in the native nodes' parameter blobs (readable `key=value;` text), so a
 * printed process says what it does. Aggregation is written in the text language
 * (federated_aggregate with builtins), so the threaded executor streams client results into the
 * aggregate and no round holds more than a window of client updates.
 *
 * Model weights as Federated Core values: `<trainable=float32[P],non_trainable=float32[Q]>`, the
 * flat buffers of the model in its own order (Q may be 0).
 *
 * Thread safety: a process may be run by one thread at a time (fedc_learning_process_next); its
 * native functions run on the executor's worker threads, each client on its own copy of the
 * model. A fedc_learning_model is used by one thread at a time.
 */
#ifndef FEDC_LEARNING_H
#define FEDC_LEARNING_H

#include "fedc/core_exec.h"
#include "fedc/data.h"
#include "fedc/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * The model interface (tff.learning.models.VariableModel)
 * ------------------------------------------------------------------------------------------- */

/* What a model reads from a client's examples: feature `x_name` (any numeric dtype, converted to
 * float32) of per-example shape x_shape, and the label feature `y_name` (int32 class indices for
 * sparse losses, otherwise float32) of per-example shape y_shape. */
typedef struct fedc_input_spec {
    const char *x_name, *y_name; /* default "x" and "y" */
    fedc_shape x_shape, y_shape;
    fedc_dtype y_dtype;
} fedc_input_spec;

/* One batch: x float32 [n, x_shape...] and y [n, y_shape...], both contiguous. */
typedef struct fedc_batch {
    int64_t n;
    const fedc_tensor *x, *y;
} fedc_batch;

/* How a forward pass runs. */
typedef struct fedc_forward_opts {
    bool training;       /* training mode (dropout active, BatchNorm statistics updated) */
    bool want_gradients; /* also back-propagate the loss into the gradient buffer */
    uint64_t step_key;   /* keys the pass's random draws (dropout), so masks are reproducible */
} fedc_forward_opts;

/* What a forward pass gives: the batch's mean loss, the number of examples, and predictions
 * (a view owned by the model, valid until its next forward) of shape [n, ...] whose last axis
 * holds the classes. */
typedef struct fedc_forward_output {
    double loss;
    int64_t num_examples;
    fedc_tensor predictions;
} fedc_forward_output;

/* A model implementation. `self` is the implementation's state. Every function is required. */
typedef struct fedc_learning_model_ops {
    const char *name; /* for messages */
    /* A new, independent instance with the same architecture and weights (one per worker). */
    fedc_status (*clone)(fedc_ctx *ctx, const void *self, void **out);
    void (*destroy)(void *self);
    int64_t (*num_trainable)(const void *self);
    int64_t (*num_non_trainable)(const void *self);
    /* The weight and gradient buffers: read and written freely between calls. */
    float *(*trainable)(void *self);
    float *(*non_trainable)(void *self);
    float *(*gradients)(void *self);
    /* Runs the model on a batch; with opts->want_gradients also leaves dLoss/dTrainable in the
     * gradient buffer. Errors name what was wrong (shapes, label values). */
    fedc_status (*forward)(fedc_ctx *ctx, void *self, const fedc_batch *batch,
                           const fedc_forward_opts *opts, fedc_forward_output *out);
} fedc_learning_model_ops;

typedef struct fedc_learning_model fedc_learning_model;

/* Wraps an implementation: `self` is owned from now on (ops->destroy is called by
 * fedc_learning_model_destroy, and here on error). `spec` is copied (names included). `metrics`
 * (may be NULL: no metrics) is owned from now on; it is read-only once given and computed from
 * each batch's predictions, labels and loss (the two-phase protocol of fedc/nn_optim.h: unfinalized
 * float64 states that sum across clients, and finalizers). Errors: INVALID_ARGUMENT (a missing
 * function), OUT_OF_MEMORY. The caller owns *out (NULL on error). */
fedc_status fedc_learning_model_create(fedc_ctx *ctx, const fedc_learning_model_ops *ops,
                                       void *self, const fedc_input_spec *spec,
                                       fedc_metric_set *metrics, fedc_learning_model **out);

/* The from_keras_model analog: a Sequential model (owned from now on, also on error) with a loss
 * and metrics by name (fedc_metric_builtin names; NULL or n 0: "sparse_categorical_accuracy" and
 * "loss" for sparse losses, "loss" otherwise; "num_examples" and "num_batches" are always
 * added, as TFF does). spec may be NULL: x of the model's input shape, y int32 scalars for sparse
 * cross-entropy, float32 of the output shape otherwise. Errors: SHAPE when spec's x_shape is not
 * the model's input shape; NOT_FOUND for an unknown metric; OUT_OF_MEMORY. */
fedc_status fedc_learning_model_from_sequential(fedc_ctx *ctx, fedc_model *model,
                                                const fedc_loss *loss, const char *const *metrics,
                                                size_t nmetrics, const fedc_input_spec *spec,
                                                fedc_learning_model **out);

/* Frees the model. NULL is a no-op. */
void fedc_learning_model_destroy(fedc_learning_model *m);

/* The Sequential model inside a model made by fedc_learning_model_from_sequential (borrowed:
 * owned by m; e.g. to save its weights as safetensors), or NULL for other implementations. */
fedc_model *fedc_learning_model_sequential(fedc_learning_model *m);

/* A new instance with the same weights, spec and metrics (the metric set is shared, read-only).
 * Errors: those of ops->clone, OUT_OF_MEMORY. Thread safety: reads m only. */
fedc_status fedc_learning_model_clone(fedc_ctx *ctx, const fedc_learning_model *m,
                                      fedc_learning_model **out);

/* Accessors. Buffers stay valid for the model's life. */
const fedc_input_spec *fedc_learning_model_spec(const fedc_learning_model *m);
const fedc_metric_set *fedc_learning_model_metrics(const fedc_learning_model *m);
int64_t fedc_learning_model_num_trainable(const fedc_learning_model *m);
int64_t fedc_learning_model_num_non_trainable(const fedc_learning_model *m);
float *fedc_learning_model_trainable(fedc_learning_model *m);
float *fedc_learning_model_non_trainable(fedc_learning_model *m);
float *fedc_learning_model_gradients(fedc_learning_model *m);

/* Runs a forward pass (see the ops) and, when metric_state is not NULL, adds the batch into the
 * unfinalized metrics (fedc_metric_set_state_size doubles). Errors: the model's, the metrics'. */
fedc_status fedc_learning_model_forward(fedc_ctx *ctx, fedc_learning_model *m,
                                        const fedc_batch *batch, const fedc_forward_opts *opts,
                                        double *metric_state, fedc_forward_output *out);

/* The weights as a Federated Core value <trainable=float32[P],non_trainable=float32[Q]> (a copy;
 * the caller releases it), and back: the value must have that type. Errors: TYPE/SHAPE naming
 * the mismatch, OUT_OF_MEMORY. */
fedc_status fedc_learning_model_get_weights(fedc_ctx *ctx, fedc_learning_model *m,
                                            fedc_value **out);
fedc_status fedc_learning_model_set_weights(fedc_ctx *ctx, fedc_learning_model *m,
                                            const fedc_value *weights);

/* ---------------------------------------------------------------------------------------------
 * Local training and evaluation options
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_client_weighting {
    FEDC_CLIENT_WEIGHTING_NUM_EXAMPLES = 0, /* weight = examples trained on (TFF's default) */
    FEDC_CLIENT_WEIGHTING_UNIFORM = 1       /* weight = 1 */
} fedc_client_weighting;

/* What a client does with the broadcast model (TFF's model_update/client work). */
typedef struct fedc_client_work_opts {
    fedc_optimizer_opts optimizer; /* the client optimizer, fresh every round (default sgd 0.1) */
    int64_t epochs;                /* passes over the client's data (default 1) */
    int64_t batch_size;            /* default 20 */
    bool drop_remainder;           /* drop the last partial batch of an epoch (default false) */
    int64_t shuffle_buffer;        /* tf.data shuffle buffer; 0 or 1: no shuffling (default 0) */
    int64_t max_batches;           /* stop after this many batches per round; -1: no limit */
    fedc_client_weighting weighting;
    double proximal_strength; /* FedProx's mu: adds mu (w - w_round_start) to each gradient */
    uint64_t seed;            /* keys shuffling and dropout, with the round and the client id */
} fedc_client_work_opts;

/* TFF-like defaults: sgd lr 0.1, 1 epoch, batch 20, no shuffle, no limit, weighting by examples,
 * no proximal term, seed 0. */
fedc_client_work_opts fedc_client_work_opts_default(void);

/* ---------------------------------------------------------------------------------------------
 * Aggregators (tff.aggregators factories, nestable)
 *
 * An aggregator turns the clients' model updates into the one the server applies. Each kind
 * writes its part of the round's federated_aggregate (a per-client transform and what is
 * accumulated), so they compose: clipping(zeroing(mean)) clips each update, zeroes it when its
 * norm is still too large, then averages. Each reports measurements in the round's metrics
 * under "aggregator".
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_aggregator_kind {
    FEDC_AGGREGATOR_MEAN = 0,     /* weighted by the client weight (unweighted: weight 1) */
    FEDC_AGGREGATOR_SUM = 1,      /* the plain sum of updates */
    FEDC_AGGREGATOR_CLIPPING = 2, /* clip each update to L2 norm `norm`, then the inner one */
    FEDC_AGGREGATOR_ZEROING = 3,  /* zero an update of norm > `norm` (and its weight), then inner */
    /* DP-FedAvg's Gaussian mechanism (TFF's DifferentiallyPrivateFactory.gaussian_fixed): each
     * update clipped to L2 norm `norm`, summed unweighted, N(0, (noise_multiplier norm)^2) noise
     * added to the sum at the server from the stream FEDC_RNG(seed, round, NOISE), divided by
     * expected_clients. With delta > 0, each round reports the epsilon spent so far by the RDP
     * accountant (sampling rate expected_clients / population, one step per round). */
    FEDC_AGGREGATOR_DP_GAUSSIAN = 4,
    /* Robust aggregation against corrupt clients (ends a chain; client weights are ignored): the
     * updates of up to `capacity` clients are gathered, then reduced by fedc/learning_agg.h's
     * kernels: coordinate-wise median; coordinate-wise trimmed mean dropping the trim_fraction
     * largest and smallest per coordinate; multi-Krum averaging the krum_select updates closest
     * to their neighbours, tolerating `byzantine` corrupt ones (Krum: krum_select 1). A round with
     * more clients than `capacity` is an error naming both. Memory: capacity x P floats. */
    FEDC_AGGREGATOR_MEDIAN = 5,
    FEDC_AGGREGATOR_TRIMMED_MEAN = 6,
    FEDC_AGGREGATOR_KRUM = 7,
    /* Compression (TFF's EncodedSumFactory.quantize_above_threshold), a stage: each client's
     * update of at least `threshold` values is quantized stochastically to `bits` bits between
     * its min and max (fedc_quantize_stochastic, keyed by (seed, round, client)) and the server
     * sums the decoded values, which are unbiased; smaller updates pass unchanged. */
    FEDC_AGGREGATOR_QUANTIZE = 8,
    /* The unweighted mean computed as secure aggregation computes it (ends a chain; TFF's
     * SecureSumFactory under an unweighted mean): each client clamps every coordinate to
     * [-B, B], scales it to a signed integer of `bits` bits (stochastic rounding keyed by
     * (seed, round, client)), and the server sees only the modular sum of the codes in
     * [-2^(T-1), 2^(T-1)), T = bits + ceil(log2 capacity) <= 31, which it decodes and divides
     * by the clients. B is `norm`, or when `norm` is 0 the norm the nearest clipping stage
     * before it applied (so a clipped update's coordinates are within it). A round of more than
     * `capacity` clients would wrap the sum: it is an error naming both. */
    FEDC_AGGREGATOR_SECURE_MEAN = 9
} fedc_aggregator_kind;

/* A norm that follows a quantile of the clients' update norms (Andrew et al. 2021; TFF's
 * PrivateQuantileEstimationProcess): the state holds an estimate, initially the stage's `norm`;
 * the norm a round applies is estimate * multiplier + increment; after the round the estimate
 * moves toward the target quantile by fedc_quantile_update from the fraction of clients whose
 * norm was at most the applied norm. Without noise that fraction is over the round's clients;
 * with count_stddev > 0 (DP) Gaussian noise is added to the centred count as TFF does (each
 * client contributes +-1/2) and the fraction is over expected_clients. */
typedef struct fedc_norm_estimate {
    bool on;                /* off: the norm is fixed */
    double target_quantile; /* in [0, 1] */
    double learning_rate;   /* >= 0 */
    bool arithmetic;        /* arithmetic update instead of the geometric default */
    double multiplier;      /* > 0 */
    double increment;       /* >= 0 */
    double count_stddev;    /* noise on the count (DP); 0 none */
} fedc_norm_estimate;

typedef struct fedc_aggregator fedc_aggregator;
struct fedc_aggregator {
    fedc_aggregator_kind kind;
    bool unweighted;              /* MEAN: ignore client weights */
    double norm;                  /* CLIPPING, ZEROING, DP_GAUSSIAN */
    const fedc_aggregator *inner; /* CLIPPING, ZEROING: what follows (NULL: weighted mean) */
    /* DP_GAUSSIAN (ends a chain: it clips, sums and averages itself) */
    double noise_multiplier;  /* >= 0 */
    int64_t expected_clients; /* >= 1, the denominator */
    int64_t population;       /* clients sampled from (for the sampling rate); >= expected */
    double delta;             /* the delta epsilon is reported at; 0: no accounting */
    uint64_t seed;            /* keys the noise */
    /* MEDIAN, TRIMMED_MEAN, KRUM, SECURE_MEAN */
    int64_t capacity;     /* the most clients a round may have */
    double trim_fraction; /* TRIMMED_MEAN, in [0, 0.5) */
    int64_t byzantine;    /* KRUM: f, with capacity >= 2 f + 3 */
    int64_t krum_select;  /* KRUM: m >= 1 */
    /* CLIPPING, ZEROING, DP_GAUSSIAN: an adaptive norm (`norm` is its initial estimate). For
     * DP_GAUSSIAN it takes the noise multiplier apart as TFF's gaussian_adaptive does: the
     * count gets estimate.count_stddev and the sum noise multiplier z_v with
     * z^-2 = z_v^-2 + (2 count_stddev)^-2, so that the round as a whole has noise_multiplier z,
     * which the accountant uses; count_stddev must be > z / 2. */
    fedc_norm_estimate estimate;
    /* QUANTIZE, SECURE_MEAN */
    int bits;          /* QUANTIZE: 1..16; SECURE_MEAN: 2..24 */
    int64_t threshold; /* QUANTIZE: quantize updates of at least this many values */
    /* QUANTIZE: rotate each update by the round's randomized Hadamard transform before
     * quantizing (fedc_hadamard_rotate, signs shared by the round's clients) and rotate the
     * decoded values back, which spreads a spiky update's range over all coordinates */
    bool rotate;
};

/* Room for the stages of a preset, which nest through `inner` pointers into it: keep it alive
 * while the aggregator is used (a process reads its aggregator only in
 * fedc_learning_process_create). */
typedef struct fedc_aggregator_stages {
    fedc_aggregator stage[4];
} fedc_aggregator_stages;

/* A weighted mean (TFF's default model aggregator). */
fedc_aggregator fedc_aggregator_mean(void);

/* DP_GAUSSIAN with clip norm `clip`, the noise multiplier, and expected_clients sampled from
 * population per round, epsilon reported at delta (0: none), noise seed 0. */
fedc_aggregator fedc_aggregator_dp_gaussian(double noise_multiplier, double clip,
                                            int64_t expected_clients, int64_t population,
                                            double delta);

/* An adaptive clipping stage before `inner` (NULL: weighted mean; borrowed, it must outlive
 * the stage's use): initial norm, target quantile and learning rate, geometric update,
 * multiplier 1, increment 0, no noise. These constructors return values and check nothing
 * (fedc_learning_process_create does, naming the bad option); any thread may call them. */
fedc_aggregator fedc_aggregator_adaptive_clipping(double initial_norm, double target_quantile,
                                                  double learning_rate,
                                                  const fedc_aggregator *inner);

/* An adaptive zeroing stage before `inner` with TFF's zeroing defaults (robust_aggregator's):
 * initial estimate 10, target quantile 0.98, learning rate ln 10, multiplier 2, increment 1. */
fedc_aggregator fedc_aggregator_adaptive_zeroing(const fedc_aggregator *inner);

/* DP_GAUSSIAN with an adaptive clip (TFF's DifferentiallyPrivateFactory.gaussian_adaptive
 * defaults): initial clip 0.1, target quantile 0.5, learning rate 0.2, geometric, count noise
 * stddev 0.05 * expected_clients; epsilon at delta (0: none) for expected_clients of
 * population per round. */
fedc_aggregator fedc_aggregator_dp_adaptive(double noise_multiplier, int64_t expected_clients,
                                            int64_t population, double delta);

/* The presets of tff.learning, built into `room` (returned: the outermost stage).
 *   robust:      [adaptive zeroing ->] [adaptive clipping (initial 1, quantile 0.8, lr 0.2) ->]
 *                mean (unweighted when !weighted)
 *   dp:          [adaptive zeroing ->] dp_adaptive (unweighted, as TFF's)
 *   compression: robust's stages -> 8-bit quantization of updates of >= 20000 values -> mean
 * NULL when room is NULL. The stages are checked when a process is created, not here. Pure:
 * they write only into room, so any thread may call them for its own room. */
const fedc_aggregator *fedc_aggregator_robust(fedc_aggregator_stages *room, bool zeroing,
                                              bool clipping, bool weighted);
const fedc_aggregator *fedc_aggregator_dp(fedc_aggregator_stages *room, double noise_multiplier,
                                          int64_t clients_per_round, int64_t population,
                                          double delta, bool zeroing);
const fedc_aggregator *fedc_aggregator_compression(fedc_aggregator_stages *room, bool zeroing,
                                                   bool clipping, bool weighted);
/* secure: [adaptive zeroing ->] adaptive clipping (as robust) -> SECURE_MEAN of 16-bit codes
 * bounded by the clip norm, for up to 1024 clients a round (a 26-bit modular sum). */
const fedc_aggregator *fedc_aggregator_secure(fedc_aggregator_stages *room, bool zeroing);

/* ---------------------------------------------------------------------------------------------
 * Learning processes (tff.learning.templates.LearningProcess)
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_learning_process fedc_learning_process;

typedef enum fedc_algorithm {
    FEDC_ALGORITHM_FED_AVG = 0,  /* local training, weighted mean of model deltas, server opt */
    FEDC_ALGORITHM_FED_SGD = 1,  /* one gradient per client over its data, server optimizer */
    FEDC_ALGORITHM_FED_PROX = 2, /* FedAvg with a proximal term (client.proximal_strength) */
    FEDC_ALGORITHM_FED_EVAL = 3, /* federated evaluation: metrics only, the state is the model */
    /* TFF's personalization evaluation: each client fine-tunes the model on the first part of
     * its examples (client options: optimizer, epochs, batch size, shuffling) and evaluates it
     * before and after on the rest; the state is the model. */
    FEDC_ALGORITHM_PERSONALIZATION_EVAL = 4,
    /* MimeLite (Karimireddy et al. 2021, "Breaking the centralised barrier for cross-device
     * federated learning"; TFF's build_weighted_mime_lite / build_unweighted_mime_lite): the
     * client optimizer is the base optimizer, whose state (step counter and slots, e.g. SGD
     * momentum or Adam's moments) lives at the server and is broadcast with the weights. Each
     * client computes the full-batch gradient of its data at the broadcast weights (every example
     * once, in order, in batches of batch_size), then trains locally with the base optimizer whose
     * state stays frozen at the broadcast one; it returns the model delta and the full gradient.
     * The server averages both (the gradient weighted by the client weight, outside the
     * aggregator chain), applies the delta with the server optimizer (sgd 1.0 by default) and
     * advances the base optimizer's state with the averaged gradient. */
    FEDC_ALGORITHM_MIME_LITE = 5,
    /* SCAFFOLD (Karimireddy et al. 2020, "SCAFFOLD: Stochastic Controlled Averaging for
     * Federated Learning", option II): the state holds the global control variate c, each client
     * its own c_i in the process's client store (zeros for a client never seen). A client runs K
     * plain SGD steps y -= lr (g(y) - c_i + c) from x, then c_i+ = c_i - c + (x - y) / (K lr) is
     * written to the store under its id; it returns the update x - y and delta c = c_i+ - c_i.
     * The server applies the mean update through the server optimizer as FedAvg does and adds
     * (|S| / N) mean(delta c) to c, N the population. The client optimizer must be sgd without
     * momentum; client datasets must be client-data sequences (they carry the ids). */
    FEDC_ALGORITHM_SCAFFOLD = 6
} fedc_algorithm;

/* Whether the algorithm only evaluates (its state is the model weights W). */
bool fedc_algorithm_is_evaluation(fedc_algorithm a);

/* ---------------------------------------------------------------------------------------------
 * Client stores: per-client vectors that persist across rounds (SCAFFOLD's control variates)
 *
 * A store maps a client id to a float32 vector. A client missing from the store reads as zeros.
 * Clients running at the same time read and write their own entries only, so a store is used by
 * several threads at once (each implementation serializes what it must).
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_client_store fedc_client_store;

/* What fedc_client_store_each calls for every entry (the id and vector are valid during the
 * call only); an error stops the walk and is returned. */
typedef fedc_status (*fedc_client_store_visit)(fedc_ctx *ctx, void *user, const char *client_id,
                                               const float *v, int64_t n);

/* A store implementation. `self` is its state. get: when the client has an entry, *count is its
 * length in floats and, when that equals n, the entry is copied into out; *count is -1 when the
 * client has none. put: replaces the client's entry with v[0..n). Both are called from several
 * threads at once for different clients. each (optional): visits every entry in increasing
 * order of client id, while no put runs. clear (optional): removes every entry. Errors: IO,
 * CORRUPT, OUT_OF_MEMORY naming the client. */
typedef struct fedc_client_store_ops {
    const char *kind; /* a word naming the storage ("memory", "sqlite"); printed in processes */
    fedc_status (*get)(fedc_ctx *ctx, void *self, const char *client_id, float *out, int64_t n,
                       int64_t *count);
    fedc_status (*put)(fedc_ctx *ctx, void *self, const char *client_id, const float *v, int64_t n);
    void (*destroy)(void *self);
    fedc_status (*each)(fedc_ctx *ctx, void *self, fedc_client_store_visit visit, void *user);
    fedc_status (*clear)(fedc_ctx *ctx, void *self);
} fedc_client_store_ops;

/* Wraps an implementation: `self` is owned from now on (ops->destroy is called by
 * fedc_client_store_destroy, and here on error). Errors: INVALID_ARGUMENT (a missing function or
 * kind), OUT_OF_MEMORY. The caller owns *out. */
fedc_status fedc_client_store_create(fedc_ctx *ctx, const fedc_client_store_ops *ops, void *self,
                                     fedc_client_store **out);

/* A store in memory (kind "memory"): a hash table of copies. Errors: OUT_OF_MEMORY. */
fedc_status fedc_client_store_memory(fedc_ctx *ctx, fedc_client_store **out);

/* A store in an SQLite file (kind "sqlite"), created when missing: table
 * client_variates(client_id TEXT PRIMARY KEY, variate BLOB), each vector as little-endian float32
 * bytes, so millions of clients live on disk and only the round's are in memory. One connection,
 * serialized by a lock. Errors: IO naming the path and SQLite's message. */
fedc_status fedc_client_store_sqlite_open(fedc_ctx *ctx, const char *path, fedc_client_store **out);

/* Frees the store (closing its file). NULL is a no-op. */
void fedc_client_store_destroy(fedc_client_store *s);

/* The implementation's kind word. */
const char *fedc_client_store_kind(const fedc_client_store *s);

/* Reads client_id's vector of n floats into out (zeros when the client has no entry). Errors:
 * CORRUPT naming the client when its entry has another length, the implementation's. Thread
 * safety: any number of threads, for different clients. */
fedc_status fedc_client_store_get(fedc_ctx *ctx, fedc_client_store *s, const char *client_id,
                                  int64_t n, float *out);

/* Replaces client_id's vector with v[0..n) (copied). Errors: the implementation's. Thread safety:
 * any number of threads, for different clients. */
fedc_status fedc_client_store_put(fedc_ctx *ctx, fedc_client_store *s, const char *client_id,
                                  const float *v, int64_t n);

/* Calls visit for every entry, in increasing order of client id (what a checkpoint saves).
 * Errors: UNSUPPORTED when the implementation cannot enumerate, visit's, the implementation's.
 * Thread safety: not while another thread puts. */
fedc_status fedc_client_store_each(fedc_ctx *ctx, fedc_client_store *s,
                                   fedc_client_store_visit visit, void *user);

/* Removes every entry (before a checkpoint's are put back). Errors: UNSUPPORTED when the
 * implementation cannot, the implementation's. Thread safety: not while another thread uses
 * the store. */
fedc_status fedc_client_store_clear(fedc_ctx *ctx, fedc_client_store *s);

/* How the clients' metrics reach the server (tff.learning.metrics aggregation factories). */
typedef enum fedc_metrics_aggregation {
    /* Sum the clients' unfinalized metric states, finalize at the server (TFF's default). */
    FEDC_METRICS_SUM_THEN_FINALIZE = 0,
    /* The same sum as secure aggregation computes it: every unfinalized value is clamped to
     * [0, secure_upper] (TFF's default float range, 2^20, when 0), coded as a 64-bit integer
     * at 2^40 / secure_upper per unit (rounded to nearest) and summed modulo 2^64, which does not
     * wrap for fewer than 2^23 clients; the server decodes the sum and finalizes. The count of
     * clamped values is reported beside the metrics (secure_clamped). */
    FEDC_METRICS_SECURE_SUM_THEN_FINALIZE = 1,
    /* Each client finalizes its own metrics; the server gets those of a uniform sample of at
     * most sample_size clients (100 when 0): the clients with the smallest priorities drawn from
     * FEDC_RNG(seed, round, client, SAMPLING), which is mergeable and independent of order. Each
     * metric becomes a float64[sample_size] of the sampled clients' values in priority order,
     * NaN past the sampled count, with num_sampled=float64. */
    FEDC_METRICS_FINALIZE_THEN_SAMPLE = 2
} fedc_metrics_aggregation;

typedef struct fedc_metrics_aggregator {
    fedc_metrics_aggregation kind;
    double secure_upper; /* SECURE_SUM_THEN_FINALIZE: > 0, or 0 for 2^20 */
    int64_t sample_size; /* FINALIZE_THEN_SAMPLE: >= 1, or 0 for 100 */
    uint64_t seed;       /* FINALIZE_THEN_SAMPLE: keys the priorities */
} fedc_metrics_aggregator;

typedef struct fedc_process_opts {
    fedc_algorithm algorithm;
    fedc_client_work_opts client;
    /* The server optimizer applied to the aggregated update (TFF: sgd lr 1.0 for FedAvg and
     * FedProx, sgd lr 0.1 for FedSGD). FedOpt variants are a choice of kind: adam (FedAdam),
     * yogi (FedYogi), adagrad (FedAdagrad), sgd with momentum (FedAvgM). */
    fedc_optimizer_opts server_optimizer;
    fedc_aggregator aggregator; /* default: weighted mean (unweighted for uniform weighting) */
    /* How the training metrics are aggregated (default: sum then finalize). */
    fedc_metrics_aggregator metrics_aggregator;
    /* TFF's build_weighted_fed_avg_with_optimizer_schedule: the client learning rate of round r
     * (0-based) is this schedule's value at r, written into the state's client hyperparameters
     * by initialize and by each round's finalizer (NULL: the rate the state holds; borrowed,
     * copied at creation; piecewise schedules have at most 32 boundaries). */
    const fedc_lr_schedule_opts *client_lr_schedule;
    /* PERSONALIZATION_EVAL: the fraction of each client's examples held out for evaluation (the
     * last ones, as fedc_client_data_split_examples cuts), in [0, 1]; default 0.2. */
    double personalization_test_fraction;
    /* Replaces parts of the process (NULL: none): a module in the text language whose
     * definitions take the place of the generated ones of the same name (distributor,
     * client_update, aggregate_accumulator, aggregate_accumulate, aggregate_merge,
     * aggregate_report, finalizer, finalize_metrics, next, ...), with the same types; its other
     * definitions come first, for the replacements to use. Print a process to see the parts. */
    const char *overrides;
    /* SCAFFOLD: where the clients' control variates live (borrowed: it must outlive the process;
     * NULL: the process makes and owns an in-memory one, fedc_learning_process_client_store).
     * Its kind is written into the client work's blob. */
    fedc_client_store *client_store;
    /* SCAFFOLD: N, the number of clients rounds are sampled from (>= 1; c moves by |S| / N of
     * the mean control delta). */
    int64_t population;
} fedc_process_opts;

/* Defaults for `algorithm` as TFF's builders have them; SCAFFOLD as the paper has it: client
 * sgd without momentum, updates averaged unweighted (client weighting uniform), population 0
 * (to be set). */
fedc_process_opts fedc_process_opts_default(fedc_algorithm algorithm);

/* Builds a learning process for `model` (borrowed: it must outlive the process; its current
 * weights are the initial ones). The process's module defines:
 *   initialize = ( -> S@SERVER)
 *   next = (state: S@SERVER, datasets: {D*}@CLIENTS) -> <state=S@SERVER, metrics=M@SERVER>
 * where S = <global_model_weights=<trainable=float32[P],non_trainable=float32[Q]>,
 *            client_work=<hparams=float32[H],round=int32>, finalizer=float32[F]>
 * (hparams: the client optimizer's hyperparameters in its order; finalizer: the server
 * optimizer's state). With adaptive norms in the aggregator, S also has
 * aggregator=<clipping=float32,zeroing=float32,...> before finalizer: each adaptive stage's
 * estimate, named by its kind (suffixed _1, _2 when a kind repeats); the distributor sends the
 * applied norms (estimate * multiplier + increment) with the weights as norms=<...>, the clients
 * return them with their update, and the aggregator's measurements report each applied norm
 * (clipping_norm, zeroing_norm) beside its count (clipped_count, zeroed_count). MIME_LITE's
 * client_work has a third member optimizer_state=float32[C-H], the rest of the base (client)
 * optimizer's state after its hyperparameters (step counter and slots); SCAFFOLD's has
 * control=float32[P], the global control variate c. Both are broadcast with the weights, and their
 * aggregate carries a second vector (MIME_LITE: gradient, SCAFFOLD: control_delta) averaged outside
 * the aggregator chain. D is the client dataset's element <x=..., y=...> as the input spec says,
 * and M = <client_work=<train=<metric=float64,...>>, aggregator=<...>,
 * finalizer=<update_non_finite=int32>> (with a DP aggregator the finalizer also reports
 * dp_epsilon=float64, NaN without accounting). FED_EVAL's next is (state: W@SERVER, datasets:
 * {D*}@CLIENTS) -> <state=W@SERVER, metrics=...> with W the model weights and metrics
 * <client_work=<eval=<metric=float64,...>>>; PERSONALIZATION_EVAL's the same with metrics
 * <client_work=<baseline=<...>,personalized=<...>>> (baseline: the global model on the held-out
 * examples; personalized: after fine-tuning). Errors: PARSE / TYPE / NOT_FOUND for overrides that
 * do not parse or check (their messages say "overrides:LINE:COL"), INVALID_ARGUMENT naming a bad
 * option (epochs < 1, batch_size < 1, a negative proximal strength or norm, an aggregator nesting
 * deeper than 8; MIME_LITE or SCAFFOLD with a DP aggregator, whose privacy the unclipped second
 * vector would void; SCAFFOLD with a client optimizer other than plain sgd or a population < 1),
 * the optimizers' and the schedule's errors, OUT_OF_MEMORY. The caller destroys *out. */
fedc_status fedc_learning_process_create(fedc_ctx *ctx, fedc_learning_model *model,
                                         const fedc_process_opts *opts,
                                         fedc_learning_process **out);

/* Frees the process. NULL is a no-op. */
void fedc_learning_process_destroy(fedc_learning_process *p);

/* SCAFFOLD's client store (the one given in the options or the process's own in-memory one), or
 * NULL for other algorithms. Borrowed from the process. */
fedc_client_store *fedc_learning_process_client_store(const fedc_learning_process *p);

/* The checked module (print it with fedc_comp_print). Owned by the process. */
const fedc_comp *fedc_learning_process_module(const fedc_learning_process *p);

/* The native functions the module's native nodes name, for running the module with
 * fedc_exec_run directly (count into *n). Owned by the process. */
const fedc_native *fedc_learning_process_natives(const fedc_learning_process *p, size_t *n);

/* Runs `initialize` into *state (a S@SERVER value; release it). Errors: OUT_OF_MEMORY. */
fedc_status fedc_learning_process_initialize(fedc_ctx *ctx, fedc_learning_process *p,
                                             fedc_value **state);

/* Runs one round: `next` on state and the clients' datasets (a {D*}@CLIENTS value, e.g. from
 * fedc_value_clients_sequences over the round's sampled clients). exec (may be NULL) chooses the
 * executor: NULL or pool NULL the reference executor, a pool the threaded one (bit-identical
 * results for any number of threads); its natives are set by the process, its other fields
 * (client ids for messages, window) are used as given. *new_state and *metrics are new
 * references (the metrics a M@SERVER value). Errors: the executor's (naming the client and the
 * intrinsic), TYPE for a state or data of the wrong type. */
fedc_status fedc_learning_process_next(fedc_ctx *ctx, fedc_learning_process *p, fedc_value *state,
                                       fedc_value *clients, const fedc_exec_opts *exec,
                                       fedc_value **new_state, fedc_value **metrics);

/* The model weights in a state (a new reference to its <trainable,non_trainable> value), and a
 * state with other weights (a new state value; the optimizer states are kept). state may be the
 * federated S@SERVER value or its member. Errors: TYPE when the value is not a state of this
 * process or weights have the wrong type, OUT_OF_MEMORY. */
fedc_status fedc_learning_process_get_model_weights(fedc_ctx *ctx, const fedc_learning_process *p,
                                                    fedc_value *state, fedc_value **weights);
fedc_status fedc_learning_process_set_model_weights(fedc_ctx *ctx, const fedc_learning_process *p,
                                                    fedc_value *state, fedc_value *weights,
                                                    fedc_value **new_state);

/* Hyperparameters by name: "client/<name>" for the client optimizer's ("client/learning_rate"),
 * "server/<name>" for the server optimizer's. get reads the state; set gives a new state.
 * Errors: NOT_FOUND naming the known names, INVALID_ARGUMENT for a value out of range, TYPE
 * for a value that is not a state of this process, OUT_OF_MEMORY. */
fedc_status fedc_learning_process_get_hparam(fedc_ctx *ctx, const fedc_learning_process *p,
                                             fedc_value *state, const char *name, double *out);
fedc_status fedc_learning_process_set_hparam(fedc_ctx *ctx, const fedc_learning_process *p,
                                             fedc_value *state, const char *name, double value,
                                             fedc_value **new_state);

/* The round number a state has reached (0 after initialize). -1 for a value that is not a
 * state of this process. */
int64_t fedc_learning_process_round(const fedc_learning_process *p, fedc_value *state);

/* Reads metric `path` ("client_work/train/loss", "finalizer/update_non_finite") from a metrics
 * value as a double. Errors: NOT_FOUND naming the path. */
fedc_status fedc_metrics_get(fedc_ctx *ctx, fedc_value *metrics, const char *path, double *out);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_LEARNING_H */
