/* fedc/nn_optim.h — part of the nn layer's public API: optimizers, learning-rate schedules and
 * metrics with a two-phase (sum, then finalize) protocol.
 *
 * Depends only on fedc/base.h and fedc/tensor.h; fedc/nn.h includes this header. Nothing here
 * knows about layers or models: an optimizer works on one flat float32 parameter vector (the
 * model's trainable buffer) and a gradient vector of the same layout.
 */
#ifndef FEDC_NN_OPTIM_H
#define FEDC_NN_OPTIM_H

#include "fedc/base.h"
#include "fedc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Optimizers
 *
 * As tff.learning.optimizers: an optimizer is pure. The fedc_optimizer object is an immutable
 * description (kind, parameter count, structure); everything that changes lives in a flat
 * float32 `state` the caller owns: first the hyperparameters (so a server can schedule the
 * learning rate by rewriting the state, as TFF's set_hparams does), then the step counter, then
 * the slots (momentum, first and second moments, ...) in the parameter vector's layout. A state
 * can therefore be copied, serialized, summed or averaged like any other float vector.
 *
 * Update rules and defaults are TFF's (tff.learning.optimizers.build_*), cited in each source
 * file; SGD's Nesterov variant is Keras's/PyTorch's (TFF has none).
 *
 * Thread safety: an optimizer is immutable after creation, so one object may be used from many
 * threads at once, each with its own state. A state is plain memory.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_optimizer_kind {
    FEDC_OPTIMIZER_SGD = 0,       /* build_sgdm: plain, momentum, Nesterov */
    FEDC_OPTIMIZER_ADAM = 1,      /* build_adam */
    FEDC_OPTIMIZER_ADAMW = 2,     /* build_adamw (decoupled weight decay) */
    FEDC_OPTIMIZER_ADAGRAD = 3,   /* build_adagrad */
    FEDC_OPTIMIZER_YOGI = 4,      /* build_yogi */
    FEDC_OPTIMIZER_RMSPROP = 5,   /* build_rmsprop */
    FEDC_OPTIMIZER_ADAFACTOR = 6, /* build_adafactor (Shazeer & Stern 2018) */
    FEDC_OPTIMIZER_COUNT = 7
} fedc_optimizer_kind;

/* The kind's name as TFF spells it without "build_": "sgd", "adam", "adamw", "adagrad", "yogi",
 * "rmsprop", "adafactor"; "invalid" otherwise. Static storage; thread-safe. */
const char *fedc_optimizer_kind_name(fedc_optimizer_kind kind);

/* Parses a name printed by fedc_optimizer_kind_name (also "sgdm") into *out; false if unknown. */
bool fedc_optimizer_kind_parse(const char *name, fedc_optimizer_kind *out);

/* Everything an optimizer is built from. Fields a kind does not use are ignored. */
typedef struct fedc_optimizer_opts {
    fedc_optimizer_kind kind;
    double learning_rate;                /* all kinds; >= 0 */
    double momentum;                     /* sgd: in [0, 1]; 0 at creation means no momentum slot */
    bool nesterov;                       /* sgd: Nesterov momentum (needs momentum > 0) */
    double beta_1;                       /* adam, adamw, yogi: in [0, 1) */
    double beta_2;                       /* adam, adamw, yogi: in [0, 1) */
    double epsilon;                      /* adam, adamw, adagrad, yogi, rmsprop: >= 0 */
    double weight_decay;                 /* adamw: >= 0 */
    double decay;                        /* rmsprop: in [0, 1) */
    double initial_preconditioner_value; /* adagrad (>= 0), yogi (> 0) */
    /* adafactor */
    double beta_2_decay;   /* <= 0; beta_2 at step t is 1 - t^beta_2_decay */
    double epsilon_1;      /* >= 0, added to the squared gradient */
    double epsilon_2;      /* >= 0, lower bound of the parameter scale */
    double clip_threshold; /* > 0, update clipping by RMS */
    bool relative_step;    /* learning rate min(lr, 1/sqrt(t)) */
    /* adafactor: the shapes of the parameters, in the order they lie in the flat vector; their
     * element counts must add up to the parameter count. Rank >= 2 gets factored second moments
     * over the last two axes; rank 0-1 unfactored ones. NULL/0: the whole vector is one 1-D
     * parameter. Borrowed: copied by fedc_optimizer_create. Other kinds check the sum only. */
    const fedc_shape *segments;
    size_t nsegments;
} fedc_optimizer_opts;

/* TFF's defaults for `kind`: sgd lr 0.01, momentum 0 (none), no Nesterov; adam and adamw
 * lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7 (adamw weight_decay 0.004); adagrad lr 0.001,
 * initial_preconditioner_value 0.1, epsilon 1e-7; yogi lr 0.01, beta_1 0.9, beta_2 0.999,
 * epsilon 1e-3, initial_preconditioner_value 1e-6; rmsprop lr 0.001, decay 0.9, epsilon 1e-7;
 * adafactor lr 0.001, beta_2_decay -0.8, epsilon_1 1e-30, epsilon_2 1e-3, clip_threshold 1,
 * relative_step true. (TFF requires a learning rate for all but sgd; the defaults given here
 * are Keras's.) A kind outside the enum gives sgd's. */
fedc_optimizer_opts fedc_optimizer_opts_default(fedc_optimizer_kind kind);

typedef struct fedc_optimizer fedc_optimizer;

/* Creates an optimizer for a parameter vector of `nparams` floats (>= 0). Errors:
 * INVALID_ARGUMENT for an unknown kind, a negative count, a hyperparameter out of its range
 * (the message names it, its range and the value), Nesterov without momentum, a bad segment
 * (rank or dimension) or segments whose sizes do not add up to nparams (SHAPE); OUT_OF_MEMORY.
 * On error *out is NULL. The caller owns the optimizer (fedc_optimizer_destroy). */
fedc_status fedc_optimizer_create(fedc_ctx *ctx, const fedc_optimizer_opts *opts, int64_t nparams,
                                  fedc_optimizer **out);

/* Frees an optimizer. NULL is a no-op. States made for it stay valid memory. */
void fedc_optimizer_destroy(fedc_optimizer *opt);

/* The kind and the parameter count it was created with. */
fedc_optimizer_kind fedc_optimizer_get_kind(const fedc_optimizer *opt);
int64_t fedc_optimizer_nparams(const fedc_optimizer *opt);

/* The number of floats of a state (hyperparameters + 2 for the step counter + slots). */
int64_t fedc_optimizer_state_size(const fedc_optimizer *opt);

/* Writes the initial state into state[0 .. state_size): the hyperparameters from the options,
 * step 0, slots at their initial values (zeros; adagrad's and yogi's preconditioner at
 * initial_preconditioner_value). Never fails. */
void fedc_optimizer_init(const fedc_optimizer *opt, float *state);

/* One step: updates `weights` (nparams floats) in place from `grads` (same layout) and advances
 * `state`. weights, grads and the state must not overlap one another. Allocates nothing. Errors
 * (state and weights unchanged): INVALID_ARGUMENT when a hyperparameter in the state is out of
 * range (e.g. written by hand or averaged into nonsense), CORRUPT when the step counter is not a
 * count, OUT_OF_RANGE when the counter is at its maximum (2^48 - 1). Non-finite gradients are not
 * checked: they propagate as IEEE arithmetic does. */
fedc_status fedc_optimizer_next(fedc_ctx *ctx, const fedc_optimizer *opt, float *state,
                                float *weights, const float *grads);

/* The hyperparameters the kind has, in state order: their count and names (TFF's keys,
 * "learning_rate", "momentum", "beta_1", "beta_2", "epsilon", "weight_decay", "decay",
 * "beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold"). sgd has "momentum" only when
 * created with momentum > 0. The name is NULL for i out of range. Static storage. */
size_t fedc_optimizer_hparam_count(const fedc_optimizer *opt);
const char *fedc_optimizer_hparam_name(const fedc_optimizer *opt, size_t i);

/* Reads / writes hyperparameter `name` in `state` (as float32, as the state stores it). Errors:
 * NOT_FOUND naming the unknown name and the kind's names; set: INVALID_ARGUMENT for a value out
 * of range (the state is unchanged). */
fedc_status fedc_optimizer_get_hparam(fedc_ctx *ctx, const fedc_optimizer *opt, const float *state,
                                      const char *name, double *out);
fedc_status fedc_optimizer_set_hparam(fedc_ctx *ctx, const fedc_optimizer *opt, float *state,
                                      const char *name, double value);

/* The number of steps taken by `state` (0 after init). -1 when the counter is corrupt. */
int64_t fedc_optimizer_step_count(const fedc_optimizer *opt, const float *state);

/* Where slot `name` lies in a state: *offset and *length in floats. Slots: sgd "accumulator"
 * (with momentum); adam, adamw, yogi "accumulator" and "preconditioner"; adagrad, rmsprop
 * "preconditioner"; adafactor "moments" (per segment, factored: row then column statistics;
 * unfactored: the full second moment). Errors: NOT_FOUND naming the kind's slots. */
fedc_status fedc_optimizer_slot(fedc_ctx *ctx, const fedc_optimizer *opt, const char *name,
                                int64_t *offset, int64_t *length);

/* ---------------------------------------------------------------------------------------------
 * Learning-rate schedules (Keras's formulas, keras.optimizers.schedules)
 *
 * A schedule maps a step (round or iteration, >= 0; negative steps count as 0) to a learning
 * rate. Immutable after creation: value() is thread-safe.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_lr_schedule_kind {
    FEDC_LR_SCHEDULE_CONSTANT = 0,           /* initial */
    FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY = 1,  /* initial * rate^(step / decay_steps) */
    FEDC_LR_SCHEDULE_INVERSE_TIME_DECAY = 2, /* initial / (1 + rate * step / decay_steps) */
    FEDC_LR_SCHEDULE_COSINE_DECAY = 3,       /* initial * ((1-a) (1+cos(pi s/D))/2 + a) */
    FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT = 4, /* values[i] for boundaries[i-1] < step <= b[i] */
    FEDC_LR_SCHEDULE_COUNT = 5
} fedc_lr_schedule_kind;

typedef struct fedc_lr_schedule_opts {
    fedc_lr_schedule_kind kind;
    double initial_learning_rate; /* >= 0, finite (not piecewise) */
    int64_t decay_steps;          /* > 0 (exponential, inverse time, cosine) */
    double decay_rate;            /* exponential: > 0; inverse time: >= 0 */
    bool staircase;               /* exponential, inverse time: floor(step / decay_steps) */
    double alpha;                 /* cosine: the final fraction of the rate, in [0, 1] */
    /* piecewise constant: nboundaries strictly increasing steps and nboundaries + 1 values
     * (finite, >= 0); borrowed, copied by create */
    const int64_t *boundaries;
    const double *values;
    size_t nboundaries;
} fedc_lr_schedule_opts;

/* A constant schedule of 0.01 (other fields: decay_steps 1000, decay_rate 0.96, alpha 0). */
fedc_lr_schedule_opts fedc_lr_schedule_opts_default(void);

typedef struct fedc_lr_schedule fedc_lr_schedule;

/* Creates a schedule. Errors: INVALID_ARGUMENT naming the bad field and value (unknown kind,
 * decay_steps <= 0, a rate or alpha out of range, boundaries not increasing, NULL arrays);
 * OUT_OF_MEMORY. On error *out is NULL. The caller owns it (fedc_lr_schedule_destroy). */
fedc_status fedc_lr_schedule_create(fedc_ctx *ctx, const fedc_lr_schedule_opts *opts,
                                    fedc_lr_schedule **out);

/* Frees a schedule. NULL is a no-op. */
void fedc_lr_schedule_destroy(fedc_lr_schedule *schedule);

/* The learning rate at `step`. */
double fedc_lr_schedule_value(const fedc_lr_schedule *schedule, int64_t step);

/* ---------------------------------------------------------------------------------------------
 * Metrics: the two-phase protocol
 *
 * As TFF's report_local_unfinalized_metrics / metric_finalizers: each metric keeps a small
 * float64 state whose entries SUM across batches and clients (so aggregating clients is adding
 * their states), and a finalizer turns a (summed) state into the result. The state belongs to
 * the caller; a metric set lays its metrics' states end to end.
 * ------------------------------------------------------------------------------------------- */

/* What one batch offers the metrics. Metrics read what they need and report an error when it is
 * missing. */
typedef struct fedc_metric_batch {
    int64_t batch_size;       /* number of examples in the batch (>= 0) */
    const float *predictions; /* [batch_size, num_classes] row-major, or NULL */
    int64_t num_classes;
    const int32_t *labels;       /* [batch_size] class indices, or NULL */
    const float *sample_weights; /* [batch_size] or NULL (all 1) */
    double loss;                 /* the batch's mean loss */
} fedc_metric_batch;

/* A metric: its name, its state size in doubles, and three functions. `zero` writes the empty
 * state (the identity of addition: zeros for the built-ins); `update` adds one batch into the
 * state and reports errors through ctx; `finalize` turns a state into one number. `user` is
 * passed to each and is borrowed: it must outlive the set. Definitions are copied by
 * fedc_metric_set_add, `name` included. Every state entry must be a sum (aggregation adds). */
typedef struct fedc_metric_def {
    const char *name;
    size_t state_size;
    void (*zero)(void *user, double *state);
    fedc_status (*update)(void *user, fedc_ctx *ctx, double *state, const fedc_metric_batch *batch);
    double (*finalize)(void *user, const double *state);
    void *user;
} fedc_metric_def;

/* The built-in metrics, with Keras's/TFF's names:
 * "sparse_categorical_accuracy" state (weighted correct, weight), result correct / weight (0 when
 *   the weight is 0); a prediction is correct when the first maximum of its row is the label;
 * "loss" state (sum of loss * batch_size, number of examples), result their ratio (0 when empty);
 * "num_examples" state (examples), result the count;
 * "num_batches" state (batches), result the count.
 * Returns NULL for an unknown name. Static storage; thread-safe. */
const fedc_metric_def *fedc_metric_builtin(const char *name);

typedef struct fedc_metric_set fedc_metric_set;

/* Creates an empty set. Errors: OUT_OF_MEMORY. The caller owns it (fedc_metric_set_destroy).
 * Thread safety: building a set is not synchronized; a built set is read-only, so many threads
 * may update their own states through it. */
fedc_status fedc_metric_set_create(fedc_ctx *ctx, fedc_metric_set **out);

/* Frees a set. NULL is a no-op. */
void fedc_metric_set_destroy(fedc_metric_set *set);

/* Appends a metric. Errors: INVALID_ARGUMENT for a missing name or function or a zero state
 * size; EXISTS when the set already has that name; OUT_OF_MEMORY (the set is unchanged). */
fedc_status fedc_metric_set_add(fedc_ctx *ctx, fedc_metric_set *set, const fedc_metric_def *def);

/* Appends the built-in metric `name`. Errors: NOT_FOUND naming the built-ins; as _add. */
fedc_status fedc_metric_set_add_builtin(fedc_ctx *ctx, fedc_metric_set *set, const char *name);

/* The number of metrics, metric i's name (NULL out of range), the total state size in doubles
 * and where metric i's state starts. */
size_t fedc_metric_set_count(const fedc_metric_set *set);
const char *fedc_metric_set_name(const fedc_metric_set *set, size_t i);
size_t fedc_metric_set_state_size(const fedc_metric_set *set);
size_t fedc_metric_set_state_offset(const fedc_metric_set *set, size_t i);

/* Writes every metric's empty state into state[0 .. state_size). */
void fedc_metric_set_zero(const fedc_metric_set *set, double *state);

/* Adds one batch into every metric's state. Errors: INVALID_ARGUMENT (a negative batch size, a
 * metric's missing input), OUT_OF_RANGE (a label outside [0, num_classes)), naming the metric.
 * The batch is checked before any metric runs, so a bad batch leaves the state unchanged; a
 * user metric that fails leaves the metrics before it updated. */
fedc_status fedc_metric_set_update(fedc_ctx *ctx, const fedc_metric_set *set, double *state,
                                   const fedc_metric_batch *batch);

/* acc[i] += other[i] over the state: the aggregation of two clients' unfinalized metrics. */
void fedc_metric_set_merge(const fedc_metric_set *set, double *acc, const double *other);

/* Writes metric i's result into results[i] for every metric. */
void fedc_metric_set_finalize(const fedc_metric_set *set, const double *state, double *results);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_NN_OPTIM_H */
