/* learning_int.h — private to the learning layer: the model struct, option blobs, the process
 * internals shared by its files.
 */
#ifndef FEDC_LEARNING_INT_H
#define FEDC_LEARNING_INT_H

#include <stdatomic.h>

#include "fedc/core_data.h"
#include "fedc/learning.h"

struct fedc_learning_model {
    const fedc_learning_model_ops *ops;
    void *self;
    fedc_input_spec spec;
    char x_name[64], y_name[64]; /* spec's names point here */
    fedc_metric_set *metrics;    /* owned by the original; shared (read-only) by clones */
    bool owns_metrics;
};

/* ---- option blobs: `key=value;` text in a native node's parameter blob ---- */

/* Looks up `key` in blob; false when absent or malformed. */
bool fedc__blob_get_i64(const uint8_t *blob, size_t size, const char *key, int64_t *out);
bool fedc__blob_get_f64(const uint8_t *blob, size_t size, const char *key, double *out);
/* Copies the value of `key` into buf (NUL-terminated); false when absent or too long. */
bool fedc__blob_get_str(const uint8_t *blob, size_t size, const char *key, char *buf, size_t cap);

/* The algorithm's word in blobs ("fed_avg", "mime_lite", "scaffold", ...). */
const char *fedc__algorithm_word(fedc_algorithm a);

/* Parses the client work options the train native's blob carries (written by
 * fedc__client_work_blob). Errors: INVALID_ARGUMENT naming the missing or bad key. */
fedc_status fedc__client_work_from_blob(fedc_ctx *ctx, const uint8_t *blob, size_t size,
                                        fedc_client_work_opts *out, bool *fed_sgd);
/* Writes them as blob text into buf (NUL-terminated); returns the length needed. */
size_t fedc__client_work_blob(const fedc_client_work_opts *o, bool fed_sgd, char *buf, size_t cap);

/* A client learning-rate schedule as blob text, and back. */
#define FEDC__MAX_BOUNDARIES 32
typedef struct fedc__schedule {
    bool on;
    fedc_lr_schedule_opts opts; /* arrays point into the struct */
    int64_t boundaries[FEDC__MAX_BOUNDARIES];
    double values[FEDC__MAX_BOUNDARIES + 1];
} fedc__schedule;

/* Appends `;client_lr_schedule=...` keys to buf (of length len, capacity cap); returns the new
 * length (cap or more when it does not fit). */
size_t fedc__schedule_blob(const fedc_lr_schedule_opts *o, char *buf, size_t len, size_t cap);
/* Reads the keys back (out->on false when the blob has none). Errors: INVALID_ARGUMENT. */
fedc_status fedc__schedule_from_blob(fedc_ctx *ctx, const uint8_t *blob, size_t size,
                                     fedc__schedule *out);

/* ---- instances of the model for worker threads ---- */

#define FEDC__MAX_INSTANCES 64

/* Clones of the process's model, one taken per running client (lock-free: each slot has an
 * atomic busy flag), so concurrent clients never share one and steady rounds allocate nothing. */
typedef struct fedc__instances {
    const fedc_learning_model *proto;
    fedc_learning_model *slot[FEDC__MAX_INSTANCES];
    atomic_bool busy[FEDC__MAX_INSTANCES];
} fedc__instances;

/* Takes a free instance (cloning the prototype into an empty slot when needed; a temporary
 * clone when all slots are busy) into *m and its slot into *slot (-1: temporary). */
fedc_status fedc__instance_take(fedc_ctx *ctx, fedc__instances *in, fedc_learning_model **m,
                                int *slot);
void fedc__instance_give(fedc__instances *in, fedc_learning_model *m, int slot);
void fedc__instances_free(fedc__instances *in);

/* ---- local work over one client's dataset ---- */

/* Opens a client's dataset from a sequence value: directly through the data layer when the
 * value is a client-data sequence, otherwise by reading the sequence's struct elements. *key is
 * a stable 64-bit key of the client (a hash of its id; 0 for sequences with no id). */
fedc_status fedc__open_client_dataset(fedc_ctx *ctx, fedc_value *seq, fedc_dataset **out,
                                      uint64_t *key);

/* One client's examples in the model's input spec, contiguous: x float32 [n, xdim], y of the
 * spec's dtype [n, ydim]; and buffers for gathered batches. */
typedef struct fedc__examples {
    int64_t n, cap, xdim, ydim, bcap;
    size_t ysize;
    float *x, *xb;
    void *y, *yb;
    uint64_t key; /* the client's key (fedc__open_client_dataset) */
} fedc__examples;

/* Reads every example of a client's sequence. Errors: NOT_FOUND for a missing feature, SHAPE
 * naming the feature and both shapes, the dataset's, OUT_OF_MEMORY; each prefixed with the
 * example's position. On error *e is empty. */
fedc_status fedc__examples_load(fedc_ctx *ctx, const fedc_input_spec *spec, fedc_value *seq,
                                fedc__examples *e);
void fedc__examples_free(fedc__examples *e);

/* Batch rows start .. start+count of `order` (NULL: the examples in order, as views without a
 * copy) into b, with x and y as its tensors (views valid until the next call). */
fedc_status fedc__examples_batch(fedc_ctx *ctx, const fedc_input_spec *spec, fedc__examples *e,
                                 const int64_t *order, int64_t start, int64_t count, fedc_tensor *x,
                                 fedc_tensor *y, fedc_batch *b);

/* The order in which fedc_dataset_shuffle(buffer, seed, key) would yield n examples in its first
 * epoch, without moving them. Errors: OUT_OF_MEMORY. */
fedc_status fedc__shuffle_order(fedc_ctx *ctx, uint64_t seed, uint64_t key, int64_t buffer,
                                int64_t n, int64_t *order);

/* 64-bit FNV-1a of a string: a client's key. */
uint64_t fedc__hash_string(const char *s);

/* The natives: arguments and results as documented in fedc/learning.h's module. */
fedc_status fedc__native_train(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                               fedc_value *arg, fedc_value **out);
fedc_status fedc__native_evaluate(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out);
fedc_status fedc__native_server_update(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_finalize_metrics(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                          size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_rows_put(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out);
fedc_status fedc__native_rows_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_robust_reduce(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_personalize(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_quantize(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                                  fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_encode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_add(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_decode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_metrics_add(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                            size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_metrics_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                              size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_secure_metrics_decode(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                               size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_sample_put(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                    size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_sample_merge(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                      size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_sample_report(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                       size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_init(fedc_ctx *ctx, void *user, const uint8_t *blob, size_t blob_size,
                              fedc_value *arg, fedc_value **out);

/* ---- states ---- */

/* The members of a state. */
typedef struct fedc__state {
    fedc_value *weights, *hparams, *finalizer;
    fedc_value *extra;      /* the client work's third member (MimeLite's optimizer_state,
                               SCAFFOLD's control), NULL for the others */
    fedc_value *aggregator; /* the adaptive norms' estimates (p->A > 0), else NULL */
    int32_t round;
} fedc__state;

/* The members of a state member (borrowed), checked against the process's sizes. Errors: TYPE. */
fedc_status fedc__read_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc_value *s,
                             fedc__state *out);
/* A state member from its parts; takes the references it is given (NULL: memory ran out).
 * extra and aggregator are ignored (and released) unless the process has them. */
fedc_status fedc__make_state(fedc_ctx *ctx, const fedc_learning_process *p, fedc__state parts,
                             fedc_value **out);

/* The aggregator state <name=float32,...> of the process's A adaptive norm estimates est[0..A)
 * (server_work.c), and the A estimates of such a state into est (false when v is not one). */
fedc_status fedc__aggregator_state(fedc_ctx *ctx, const fedc_learning_process *p, const float *est,
                                   fedc_value **out);
bool fedc__aggregator_values(const fedc_learning_process *p, const fedc_value *v, float *est);

/* ---- a client store in a checkpoint (program_store.c) ---- */

/* Every entry of s as one blob (fedc_malloc'd into *out). Errors: the store's, OUT_OF_MEMORY. */
fedc_status fedc__store_save(fedc_ctx *ctx, fedc_client_store *s, uint8_t **out, size_t *len);
/* Replaces s's entries with a blob's. Errors: CORRUPT naming the byte offset, the store's. */
fedc_status fedc__store_load(fedc_ctx *ctx, fedc_client_store *s, const void *data, size_t len);

/* ---- the process ---- */

/* ---- the aggregator chain (agg_chain.c) ---- */

#define FEDC__AGG_MAX_DEPTH 8

/* An aggregator's stages, outermost first, ending in MEAN, SUM, DP_GAUSSIAN or a robust kind; a
 * DP stage is preceded by the clipping it does (dp_clip, so the chain may not be copied). */
typedef struct fedc__agg_chain {
    const fedc_aggregator *stage[FEDC__AGG_MAX_DEPTH];
    int n;
    fedc_aggregator dp_clip;
} fedc__agg_chain;

/* Checks the aggregator's options and lists its stages. Errors: INVALID_ARGUMENT naming the
 * stage and the bad option. */
fedc_status fedc__agg_chain_build(fedc_ctx *ctx, const fedc_aggregator *a, fedc__agg_chain *c);
/* Whether the stage gathers every update (median, trimmed mean, Krum). */
bool fedc__agg_robust(const fedc_aggregator *a);
/* Whether the chain's last stage sums (SUM, DP, robust) rather than averages. */
bool fedc__agg_sums(const fedc__agg_chain *c);
/* Whether a stage draws per client (quantization, a secure mean's rounding): clients then send
 * their key and round with the update. */
bool fedc__agg_quantizes(const fedc__agg_chain *c);
/* A secure mean's modular sum width T = bits + ceil(log2 capacity). */
int fedc__agg_modulus_bits(const fedc_aggregator *a);
/* The clipping stage nearest before a chain's last, whose norm bounds a secure mean without a
 * norm of its own; -1 when none. */
int fedc__agg_secure_bound_stage(const fedc__agg_chain *c);
/* Whether stage i counts the clients over its norm (clipping, zeroing), and whether that norm is
 * adaptive. */
bool fedc__agg_counts(const fedc__agg_chain *c, int i);
bool fedc__agg_adaptive(const fedc__agg_chain *c, int i);
/* Stage i's names, suffixed by how many earlier stages share its kind: its count measurement
 * ("clipped_count", "zeroed_count"), the norm it applied ("clipping_norm", "zeroing_norm"), and
 * its estimate in the aggregator state ("clipping", "zeroing"). */
void fedc__agg_count_name(const fedc__agg_chain *c, int i, char *buf, size_t cap);
void fedc__agg_norm_name(const fedc__agg_chain *c, int i, char *buf, size_t cap);
void fedc__agg_state_name(const fedc__agg_chain *c, int i, char *buf, size_t cap);

struct fedc_learning_process {
    fedc_process_opts opts;
    fedc_learning_model *model; /* borrowed */
    fedc__instances instances;
    fedc_optimizer *client_opt, *server_opt; /* shapes of the optimizer states */
    int64_t P, Q, H, F, M;                   /* sizes in the state and metrics */
    int64_t lr_index;                        /* "learning_rate" among the client hparams */
    /* MimeLite and SCAFFOLD: the client work state's third member (E floats: the base
     * optimizer's state after its hparams, or the control variate c) and the second vector the
     * aggregate carries (the full gradient, or delta c); E 0 and names NULL otherwise. */
    int64_t E;
    const char *extra_name, *second_name;
    fedc_client_store *store; /* SCAFFOLD: the clients' control variates */
    bool owns_store;
    fedc__schedule schedule; /* the client learning-rate schedule, if any */
    fedc_comp *module;
    /* The aggregator's state: the estimates of its adaptive norms, A of them, as
     * <name=float32,...> (A 0: no aggregator member in the state). */
    int64_t A;
    char agg_names[FEDC__AGG_MAX_DEPTH][24];
    float agg_init[FEDC__AGG_MAX_DEPTH];
#define FEDC__NATIVES 19
    fedc_native natives[FEDC__NATIVES];
};

/* Sets p->A, agg_names and agg_init from p->opts.aggregator. Errors: as fedc__agg_chain_build. */
fedc_status fedc__agg_plan(fedc_ctx *ctx, fedc_learning_process *p);

/* Writes the module text of the process into a fedc_malloc'd string. Errors: OUT_OF_MEMORY,
 * INVALID_ARGUMENT for a bad aggregator. */
fedc_status fedc__process_text(fedc_ctx *ctx, const fedc_learning_process *p, char **out);

/* A float32 [n] tensor value (zeroed or copied from data when not NULL). */
fedc_status fedc__vector_value(fedc_ctx *ctx, const float *data, int64_t n, fedc_value **out);
/* The float32 vector in value v (a tensor of rank 1 and n elements), or NULL. */
const float *fedc__vector_of(const fedc_value *v, int64_t n);
/* The same for any dtype: the elements of a contiguous rank-1 tensor of dt and n elements in v,
 * or NULL; and a value copied from n elements of dt. */
const void *fedc__typed_vector_of(const fedc_value *v, fedc_dtype dt, int64_t n);
fedc_status fedc__typed_vector_value(fedc_ctx *ctx, fedc_dtype dt, const void *data, int64_t n,
                                     fedc_value **out);
/* The element of a scalar (rank 0) tensor of dt in v, or NULL; and a scalar value copied from
 * *data (NULL when memory ran out, for callers that collect items before failing once). */
const void *fedc__scalar_of(const fedc_value *v, fedc_dtype dt);
fedc_value *fedc__scalar_value(fedc_ctx *ctx, fedc_dtype dt, const void *data);
/* The tensor of value v, or NULL when v is NULL or not a tensor. */
const fedc_tensor *fedc__tensor_of(const fedc_value *v);
/* The field called `name` of struct v, or NULL. */
fedc_value *fedc__field(const fedc_value *v, const char *name);

#endif /* FEDC_LEARNING_INT_H */
