/* fedc/data.h — the data layer's public API: examples (structs of named tensors), client
 * datasets (streams of examples) and pipelines over them, TFF's task preprocessing,
 * tf.train.Example encoding, client data (the tff.simulation.ClientData analog) with its views
 * and backends (TFF's SQLite files, LEAF JSON, memory, synthetic), IDX files, importers,
 * partitioners and client sampling.
 *
 * Depends only on fedc/base.h and fedc/tensor.h. Nothing here trains or knows about models.
 */
#ifndef FEDC_DATA_H
#define FEDC_DATA_H

#include "fedc/base.h"
#include "fedc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Examples
 *
 * An example is an ordered set of named tensors ("pixels" float32[28,28], "label" int32[]).
 * Byte strings (tf.train.Example bytes_list values, e.g. Shakespeare's "snippets") are uint8
 * tensors of rank 1. A list of several byte strings (a bytes_list of several values, e.g. a
 * post's tags) is one uint8 feature of rank 1 too, holding the strings one after another, marked
 * as a list with the strings' lengths (tf.RaggedTensor's flat values and row lengths): read it
 * with fedc_example_bytes_count and fedc_example_bytes_at, which also read a plain uint8 feature
 * as one string. An example owns the memory of its tensors and keeps it when cleared, so a
 * dataset that fills the same example again and again does not allocate in steady state.
 * Thread safety: an example is not synchronized; use one per thread.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_example fedc_example;

/* The description of one feature: what tf.io.FixedLenFeature says in TFF's parsing code. A dims
 * entry of -1 (at most one) is inferred from the number of values. */
typedef struct fedc_feature_spec {
    const char *name;
    fedc_dtype dtype;
    fedc_shape shape;
} fedc_feature_spec;

/* Creates an empty example into *out. Errors: OUT_OF_MEMORY. Free with fedc_example_destroy. */
fedc_status fedc_example_create(fedc_ctx *ctx, fedc_example **out);

/* Frees the example and its tensors. NULL is a no-op. */
void fedc_example_destroy(fedc_example *ex);

/* Removes every feature; the memory is kept for reuse. */
void fedc_example_clear(fedc_example *ex);

/* The number of features, the i-th name and tensor (0 <= i < count, asserted). The tensor is a
 * contiguous view of memory the example owns, valid until the example is changed. */
int fedc_example_count(const fedc_example *ex);
const char *fedc_example_name(const fedc_example *ex, int i);
const fedc_tensor *fedc_example_tensor(const fedc_example *ex, int i);

/* The index of the feature called `name`, or -1. */
int fedc_example_find(const fedc_example *ex, const char *name);

/* The tensor of feature `name`, or NULL when absent. */
const fedc_tensor *fedc_example_get(const fedc_example *ex, const char *name);

/* As fedc_example_get, and when absent records NOT_FOUND in ctx ("no feature 'x'; the example
 * has: a, b") and returns NULL. */
const fedc_tensor *fedc_example_require(fedc_ctx *ctx, const fedc_example *ex, const char *name);

/* Makes feature `name` a contiguous tensor of `dtype` and `shape` (replacing a feature of that
 * name in place, else appending) and points *out at it, for the caller to fill. The contents are
 * unspecified. Errors: INVALID_ARGUMENT (bad dtype, negative dimension, empty name),
 * OUT_OF_MEMORY. On error the example is unchanged but for that feature, which is removed. */
fedc_status fedc_example_set(fedc_ctx *ctx, fedc_example *ex, const char *name, fedc_dtype dtype,
                             const fedc_shape *shape, fedc_tensor **out);

/* Makes feature `name` a list of `count` byte strings of lengths[0..count): a uint8 tensor
 * [sum of lengths] that *out points at, for the caller to fill with the strings one after
 * another. count may be 0 (an empty list, which differs from one empty string). Errors:
 * INVALID_ARGUMENT (negative count or length, empty name), OUT_OF_MEMORY; on error the feature
 * is removed. */
fedc_status fedc_example_set_bytes_list(fedc_ctx *ctx, fedc_example *ex, const char *name,
                                        const int64_t *lengths, int64_t count, fedc_tensor **out);

/* Whether feature i (0 <= i < count, asserted) was made a list of byte strings (by
 * fedc_example_set_bytes_list, or by decoding a bytes_list that has not exactly one value).
 * Setting the feature again by any other call makes it a plain tensor. */
bool fedc_example_is_bytes_list(const fedc_example *ex, int i);

/* The number of byte strings feature i holds: the list's count, 1 for a plain uint8 tensor of
 * rank 1, -1 for any other feature. */
int64_t fedc_example_bytes_count(const fedc_example *ex, int i);

/* String k of feature i (0 <= k < fedc_example_bytes_count, asserted): a pointer into the
 * feature's tensor and its length in *len; valid until the example is changed. */
const uint8_t *fedc_example_bytes_at(const fedc_example *ex, int i, int64_t k, size_t *len);

/* Sets feature `name` to a copy of `src` (any strides). Errors: as fedc_example_set. */
fedc_status fedc_example_set_tensor(fedc_ctx *ctx, fedc_example *ex, const char *name,
                                    const fedc_tensor *src);

/* Makes dst a copy of src, lists of byte strings included (dst is cleared first). Errors:
 * OUT_OF_MEMORY. */
fedc_status fedc_example_copy(fedc_ctx *ctx, fedc_example *dst, const fedc_example *src);

/* Removes feature `name` if present (later features move down by one). */
void fedc_example_remove(fedc_example *ex, const char *name);

/* ---------------------------------------------------------------------------------------------
 * tf.train.Example
 *
 * The protobuf wire format of tensorflow/core/example/example.proto (schema in
 * proto/tf_example.proto), decoded and encoded by fedc's own code: Example{features:
 * Features{feature: map<string, Feature{bytes_list | float_list | int64_list}>}}. Packed and
 * unpacked repeated fields are both read (and may be mixed); unknown fields are skipped.
 * ------------------------------------------------------------------------------------------- */

/* Decodes `size` bytes of a serialized tf.train.Example into ex (cleared first).
 * Without specs (nspecs == 0) every feature is kept, in name order (the wire order of a map is
 * unspecified): float_list -> float32[n], int64_list -> int64[n], a bytes_list of one value ->
 * uint8[length], a bytes_list of any other number of values (0, 2, ...) -> a list of byte
 * strings (uint8[total length], see Examples); a Feature with no list -> float32[0].
 * With specs, exactly the features named there are produced, in spec order, like
 * tf.io.parse_example with FixedLenFeature: float_list to float32/float64, int64_list to
 * int64/int32/uint8/bool, a bytes_list to uint8 (a list when it has not exactly one value); the
 * number of values (for bytes: the total length of the strings) must equal the shape's element
 * count (or fill its one -1 dimension).
 * Errors: CORRUPT naming the byte offset and what was wrong (truncated varint or field, bad wire
 * type, a field running past its parent); NOT_FOUND for a spec'd feature that is missing; TYPE
 * for a list of the wrong kind; SHAPE for a wrong count; OUT_OF_MEMORY. Thread-safe for distinct
 * examples. */
fedc_status fedc_tf_example_decode(fedc_ctx *ctx, const void *data, size_t size,
                                   const fedc_feature_spec *specs, int nspecs, fedc_example *ex);

/* Serializes ex as a tf.train.Example into a buffer from fedc_malloc (*out_data, the caller
 * frees it with fedc_free; *out_size bytes), as the protobuf library writes it: packed lists,
 * map entries in the example's feature order. float32 and float64 features become float_list
 * (float64 rounded to float), int32, int64 and bool int64_list, uint8 a bytes_list of one value,
 * and a list of byte strings a bytes_list of its strings, so decoding and encoding again gives
 * the protobuf library's bytes back. Errors: OUT_OF_MEMORY. */
fedc_status fedc_tf_example_encode(fedc_ctx *ctx, const fedc_example *ex, void **out_data,
                                   size_t *out_size);

/* ---------------------------------------------------------------------------------------------
 * Datasets
 *
 * A dataset is a stream of examples: next() fills the caller's example until the stream ends.
 * Backends and pipeline steps implement a small vtable, so any source plugs in. Pipeline steps
 * take ownership of their input dataset (also on error, when it is destroyed) and produce a new
 * one; destroying the last destroys the chain.
 * Thread safety: a dataset is used by one thread at a time; distinct datasets (even of the same
 * client data) may run on different threads.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_dataset fedc_dataset;

typedef struct fedc_dataset_vtable {
    const char *name; /* for messages: "sqlite", "batch", ... */
    /* Fills `out` with the next example and sets *got = true, or sets *got = false at the end. */
    fedc_status (*next)(fedc_ctx *ctx, void *self, fedc_example *out, bool *got);
    /* Starts the stream over (the next epoch). NULL: the dataset cannot restart (UNSUPPORTED). */
    fedc_status (*reset)(fedc_ctx *ctx, void *self);
    /* The number of examples, or -1 when unknown without reading them. NULL: unknown. */
    int64_t (*cardinality)(void *self);
    void (*destroy)(void *self);
} fedc_dataset_vtable;

/* Wraps an implementation: `self` is owned by the dataset from now on (vtable->destroy is called
 * on it by fedc_dataset_destroy, and also here when this fails). vtable must outlive the dataset.
 * Errors: OUT_OF_MEMORY. */
fedc_status fedc_dataset_create(fedc_ctx *ctx, const fedc_dataset_vtable *vtable, void *self,
                                fedc_dataset **out);

/* Destroys the dataset (and the datasets it took ownership of). NULL is a no-op. */
void fedc_dataset_destroy(fedc_dataset *ds);

/* Reads the next example into out: *got = true, or *got = false when the stream has ended (out
 * is then unspecified). Errors: those of the source, with where they happened. */
fedc_status fedc_dataset_next(fedc_ctx *ctx, fedc_dataset *ds, fedc_example *out, bool *got);

/* Starts the stream over. Errors: UNSUPPORTED for a source that cannot, and the source's. */
fedc_status fedc_dataset_reset(fedc_ctx *ctx, fedc_dataset *ds);

/* The number of examples the stream yields, or -1 when unknown (or infinite). */
int64_t fedc_dataset_cardinality(const fedc_dataset *ds);

/* A dataset over copies of `n` examples (copied now). Restartable. Errors: OUT_OF_MEMORY. */
fedc_status fedc_dataset_from_examples(fedc_ctx *ctx, fedc_example *const *examples, int64_t n,
                                       fedc_dataset **out);

/* Reads the rest of the stream, counting the examples into *count. */
fedc_status fedc_dataset_count(fedc_ctx *ctx, fedc_dataset *ds, int64_t *count);

/* ---- pipeline steps: each consumes `in` (destroyed on error too) ---- */

/* A user transformation: fills `out` (already cleared) from `in`. */
typedef fedc_status (*fedc_map_fn)(fedc_ctx *ctx, void *user, const fedc_example *in,
                                   fedc_example *out);

/* Applies fn to every example. `user` is borrowed and must outlive the dataset. */
fedc_status fedc_dataset_map(fedc_ctx *ctx, fedc_dataset *in, fedc_map_fn fn, void *user,
                             fedc_dataset **out);

/* Built-in maps on one feature (others pass through). Errors at next(): NOT_FOUND when the
 * feature is missing, SHAPE for a reshape of another size, OUT_OF_RANGE for a one-hot index
 * outside [0, depth) (naming it). */
/* Converts feature `name` to dtype (C conversions, as fedc_tensor_cast). */
fedc_status fedc_dataset_cast(fedc_ctx *ctx, fedc_dataset *in, const char *name, fedc_dtype dtype,
                              fedc_dataset **out);
/* Feature `name` becomes float32 x * scale + offset (e.g. 1/255 for pixels). */
fedc_status fedc_dataset_scale(fedc_ctx *ctx, fedc_dataset *in, const char *name, double scale,
                               double offset, fedc_dataset **out);
/* Feature `name` takes `shape` (one dimension may be -1). */
fedc_status fedc_dataset_reshape(fedc_ctx *ctx, fedc_dataset *in, const char *name,
                                 const fedc_shape *shape, fedc_dataset **out);
/* Integer feature `name` of shape S becomes float32 [S..., depth] one-hot. */
fedc_status fedc_dataset_one_hot(fedc_ctx *ctx, fedc_dataset *in, const char *name, int64_t depth,
                                 fedc_dataset **out);

/* Shuffles through a buffer of `buffer_size` examples (tf.data's shuffle: fill the buffer, then
 * yield a uniformly drawn slot and refill it from the input). The draws come from the stream
 * FEDC_RNG(seed, key, epoch, FEDC_RNG_PURPOSE_SHUFFLE): key names the dataset (e.g. the client
 * index, or round * clients + client) and epoch counts resets, so every epoch is reshuffled and
 * the order depends only on (seed, key, epoch). buffer_size >= 1 (1: no shuffling). */
fedc_status fedc_dataset_shuffle(fedc_ctx *ctx, fedc_dataset *in, int64_t buffer_size,
                                 uint64_t seed, uint64_t key, fedc_dataset **out);

/* Repeats the input `count` times (-1: forever), resetting it between passes. An empty input
 * ends the stream rather than looping. Errors at next(): UNSUPPORTED when the input cannot
 * restart. */
fedc_status fedc_dataset_repeat(fedc_ctx *ctx, fedc_dataset *in, int64_t count, fedc_dataset **out);

/* Stacks `batch_size` consecutive examples: each feature of shape S becomes [n, S...]. The last
 * batch has the remainder (fewer examples) unless drop_remainder. Errors at next(): SHAPE or TYPE
 * when examples in a batch differ in a feature's shape or dtype or in their feature names
 * (naming the feature and the position in the batch); UNSUPPORTED for a list of byte strings
 * (remove or convert it first). */
fedc_status fedc_dataset_batch(fedc_ctx *ctx, fedc_dataset *in, int64_t batch_size,
                               bool drop_remainder, fedc_dataset **out);

/* The first `count` examples (-1: all) / all but the first `count`. */
fedc_status fedc_dataset_take(fedc_ctx *ctx, fedc_dataset *in, int64_t count, fedc_dataset **out);
fedc_status fedc_dataset_skip(fedc_ctx *ctx, fedc_dataset *in, int64_t count, fedc_dataset **out);

/* ---- TFF's task preprocessing ---- */

/* EMNIST (tff.simulation.baselines.emnist): an example with "pixels" (784 floats, any shape)
 * and "label" (any integer or float dtype, one value) becomes {"x": float32[784] when flat, else
 * float32[28,28,1]; "y": int32[]}. */
fedc_status fedc_dataset_emnist_preprocess(fedc_ctx *ctx, fedc_dataset *in, bool flat,
                                           fedc_dataset **out);

/* TFF's Shakespeare character vocabulary (CHAR_VOCAB of tff.simulation.baselines.shakespeare,
 * 86 characters) and special ids: pad 0, the character CHAR_VOCAB[i] is i + 1, out-of-vocabulary
 * 87, begin of snippet 88, end of snippet 89; 90 ids in all. */
#define FEDC_SHAKESPEARE_VOCAB_SIZE 86
#define FEDC_SHAKESPEARE_PAD 0
#define FEDC_SHAKESPEARE_OOV 87
#define FEDC_SHAKESPEARE_BOS 88
#define FEDC_SHAKESPEARE_EOS 89
#define FEDC_SHAKESPEARE_NUM_IDS 90
#define FEDC_SHAKESPEARE_SEQUENCE_LENGTH 80

/* The 86 vocabulary characters in TFF's order (static storage, NUL-terminated). */
const char *fedc_shakespeare_vocab(void);

/* The id of one byte of a snippet (OOV for bytes outside the vocabulary). */
int32_t fedc_shakespeare_char_id(unsigned char c);

/* Character tokenization, a built-in map: the uint8 bytes of feature `name` become int32 ids of
 * the same shape: vocab[i] -> i + 1, any other byte -> strlen(vocab) + 1, 0 left for padding
 * (TFF's convention). vocab NULL: TFF's Shakespeare vocabulary and ids. Errors at next():
 * NOT_FOUND, TYPE for a feature that is not uint8. */
fedc_status fedc_dataset_tokenize_chars(fedc_ctx *ctx, fedc_dataset *in, const char *name,
                                        const char *vocab, fedc_dataset **out);

/* TFF's character-prediction preprocessing of a dataset of {"snippets": uint8[len]}: each
 * snippet becomes [BOS, ids..., EOS], zero-padded to a multiple of seq_len + 1 and cut into
 * pieces of seq_len + 1; each piece is one example {"x": int32[seq_len] = piece[:-1],
 * "y": int32[seq_len] = piece[1:]} (TFF's to_tokens, unbatch and split_target; TFF's ids are
 * int64, the values are the same). Batch after it as TFF does. seq_len >= 1. */
fedc_status fedc_dataset_shakespeare_preprocess(fedc_ctx *ctx, fedc_dataset *in, int64_t seq_len,
                                                fedc_dataset **out);

/* ---------------------------------------------------------------------------------------------
 * Client data (tff.simulation.datasets.ClientData)
 *
 * A set of clients, each with an id and a dataset. Client ids are sorted as TFF sorts them
 * (Python's string order: byte order of UTF-8) and addressed by their index in that order.
 * Backends implement a vtable; the ids they give in any order are sorted here.
 * Thread safety: after creation a client data is read-only: its queries and open() may be called
 * from many threads at once (backends must allow that).
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_client_data fedc_client_data;

typedef struct fedc_client_data_vtable {
    const char *name; /* "sqlite", "memory", ... */
    /* The number of clients, and client i's id and example count (-1: unknown), in the backend's
     * own order. */
    int64_t (*num_clients)(void *self);
    const char *(*client_id)(void *self, int64_t i);
    int64_t (*num_examples)(void *self, int64_t i);
    /* A new dataset of the backend's client i. */
    fedc_status (*open)(fedc_ctx *ctx, void *self, int64_t i, fedc_dataset **out);
    void (*destroy)(void *self);
} fedc_client_data_vtable;

/* Wraps a backend (self is owned from now on, and destroyed here on error). Errors:
 * OUT_OF_MEMORY; INVALID_ARGUMENT for a duplicate client id (naming it). */
fedc_status fedc_client_data_create(fedc_ctx *ctx, const fedc_client_data_vtable *vtable,
                                    void *self, fedc_client_data **out);

/* Destroys the client data. Datasets opened from the SQLite, memory, LEAF and synthetic backends
 * stay valid (views borrow their parent: see below). NULL is a no-op. */
void fedc_client_data_destroy(fedc_client_data *cd);

/* The number of clients, the id of client i (0 <= i < n, sorted; owned by cd) and its example
 * count (-1 when the backend does not know it). */
int64_t fedc_client_data_num_clients(const fedc_client_data *cd);
const char *fedc_client_data_client_id(const fedc_client_data *cd, int64_t i);
int64_t fedc_client_data_num_examples(const fedc_client_data *cd, int64_t i);

/* The index of client `id` into *index (binary search). Errors: NOT_FOUND naming the id. */
fedc_status fedc_client_data_find(fedc_ctx *ctx, const fedc_client_data *cd, const char *id,
                                  int64_t *index);

/* A new dataset of client i / of client `id` (the caller destroys it). Errors: OUT_OF_RANGE for
 * a bad index, NOT_FOUND for an unknown id, and the backend's (with the client's id). */
fedc_status fedc_client_data_open(fedc_ctx *ctx, const fedc_client_data *cd, int64_t i,
                                  fedc_dataset **out);
fedc_status fedc_client_data_open_id(fedc_ctx *ctx, const fedc_client_data *cd, const char *id,
                                     fedc_dataset **out);

/* ---- views: subsets, splits, preprocessing, pooling ----
 * Views borrow `cd`: it must outlive the view and every dataset opened from the view. */

/* The clients at sorted indices[0..n) (strictly increasing). Errors: INVALID_ARGUMENT naming
 * the first bad index, OUT_OF_MEMORY. */
fedc_status fedc_client_data_subset(fedc_ctx *ctx, const fedc_client_data *cd,
                                    const int64_t *indices, int64_t n, fedc_client_data **out);

/* A train/test split by clients: round(test_fraction * n) clients drawn from the stream
 * FEDC_RNG(seed, 0, FEDC_RNG_PURPOSE_PARTITION) go to *test, the rest to *train (both keep the
 * sorted order). Errors: INVALID_ARGUMENT for a fraction outside [0, 1], OUT_OF_MEMORY. */
fedc_status fedc_client_data_split_clients(fedc_ctx *ctx, const fedc_client_data *cd,
                                           double test_fraction, uint64_t seed,
                                           fedc_client_data **train, fedc_client_data **test);

/* A split by examples inside every client: the first floor(count * (1 - test_fraction))
 * examples of each client are *train, the rest *test (clients keep their ids). Opening a client
 * whose count the backend does not know fails with UNSUPPORTED. */
fedc_status fedc_client_data_split_examples(fedc_ctx *ctx, const fedc_client_data *cd,
                                            double test_fraction, fedc_client_data **train,
                                            fedc_client_data **test);

/* TFF's ClientData.preprocess: every dataset opened from *out is fn's pipeline over the parent's
 * dataset. fn consumes `in` (also on error) and makes *out; user is borrowed. Example counts of
 * the view are unknown (-1). */
typedef fedc_status (*fedc_preprocess_fn)(fedc_ctx *ctx, void *user, fedc_dataset *in,
                                          fedc_dataset **out);
fedc_status fedc_client_data_preprocess(fedc_ctx *ctx, const fedc_client_data *cd,
                                        fedc_preprocess_fn fn, void *user, fedc_client_data **out);

/* All clients' examples, client after client in sorted order (TFF's
 * create_tf_dataset_from_all_clients without its shuffle; add fedc_dataset_shuffle), with one
 * client open at a time. Restartable. */
fedc_status fedc_client_data_pooled(fedc_ctx *ctx, const fedc_client_data *cd, fedc_dataset **out);

/* ---- in memory ---- */

/* Builds client data from examples a program makes: add examples per client, then finish. */
typedef struct fedc_memory_data fedc_memory_data;

/* Creates an empty builder. Errors: OUT_OF_MEMORY. */
fedc_status fedc_memory_data_create(fedc_ctx *ctx, fedc_memory_data **out);
/* Appends a copy of ex to client `client_id` (created at its first example). Errors:
 * INVALID_ARGUMENT for an empty id, OUT_OF_MEMORY. */
fedc_status fedc_memory_data_add(fedc_ctx *ctx, fedc_memory_data *b, const char *client_id,
                                 const fedc_example *ex);
/* Turns the builder's contents into client data (*out); the builder is emptied and may be
 * destroyed or reused. The examples are shared, read-only, by the client data and the datasets
 * opened from it (reference-counted, so either may be destroyed first). Errors: OUT_OF_MEMORY. */
fedc_status fedc_memory_data_finish(fedc_ctx *ctx, fedc_memory_data *b, fedc_client_data **out);
/* Frees the builder and what it holds. NULL is a no-op. */
void fedc_memory_data_destroy(fedc_memory_data *b);

/* ---------------------------------------------------------------------------------------------
 * Client sampling
 *
 * The cohort of round r depends only on (seed, r): the draws come from the stream
 * FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_SAMPLING), so any process samples the same cohort.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_sampling {
    FEDC_SAMPLING_UNIFORM = 0,     /* cohort_size distinct clients, uniformly (draw order) */
    FEDC_SAMPLING_REPLACEMENT = 1, /* cohort_size independent uniform draws (repeats allowed) */
    FEDC_SAMPLING_POISSON = 2      /* each client independently with probability rate
                                      (ascending; the cohort size varies) */
} fedc_sampling;

typedef struct fedc_sampling_opts {
    fedc_sampling mode;
    int64_t cohort_size; /* UNIFORM, REPLACEMENT */
    double rate;         /* POISSON, in [0, 1] */
    uint64_t seed;
} fedc_sampling_opts;

fedc_sampling_opts fedc_sampling_opts_default(void); /* UNIFORM, cohort 10, rate 0.1, seed 0 */

/* Writes round `round`'s cohort of client indices in [0, num_clients) into out[0..*count)
 * (out_cap entries available: cohort_size, or num_clients for POISSON). Errors:
 * INVALID_ARGUMENT for a cohort larger than num_clients without replacement, a rate outside
 * [0, 1], or out_cap too small (naming the sizes); OUT_OF_MEMORY. Thread-safe. */
fedc_status fedc_sample_clients(fedc_ctx *ctx, const fedc_sampling_opts *opts, int64_t num_clients,
                                uint64_t round, int64_t *out, int64_t out_cap, int64_t *count);

/* ---- LEAF JSON ---- */

/* Opens a LEAF JSON file ({"users", "num_samples", "user_data": {user: {"x": [...], "y":
 * [...]}}}) as in-memory client data (the file is read whole, as LEAF does). Each sample is an
 * example {"x", "y"}: a string becomes uint8 bytes (Shakespeare), an array of numbers float32[n]
 * (FEMNIST, synthetic), a number a scalar (y: int32 when integral, else float32; x: float32).
 * Any other array, and an object, is a record: each part becomes its own feature by the same
 * rules, named after its position (x_0, x_1, ...) or its member name (x_NAME), and records nest
 * (x_2_0). Sent140's x is such a record of six strings — tweet id, date, query, user, text and
 * the Sentiment140 file it came from ("training" or "test") — so its examples are {"x_0", ...,
 * "x_5", "y"} with the text in "x_4" (the part LEAF's model reads) and y 0 or 1.
 * Counts come from user_data: num_samples must have one entry per user but its values are not
 * checked (LEAF's own test splits overstate them by the samples dropped at the split boundary).
 * Errors: IO; PARSE naming the byte offset, line and column of invalid JSON; CORRUPT naming the
 * file and user for a missing key or an x/y length mismatch; UNSUPPORTED naming the user, sample
 * and feature for a boolean or null value, or for parts whose names collide or run past 255
 * bytes; OUT_OF_MEMORY. */
fedc_status fedc_client_data_open_leaf(fedc_ctx *ctx, const char *path, fedc_client_data **out);

/* ---- synthetic(alpha, beta) ---- */

/* The synthetic federated dataset of FedProx (Li et al. 2020) that LEAF ships: client k has a
 * softmax-linear model W, b ~ N(u_k, 1), u_k ~ N(0, alpha), inputs x ~ N(v_k, diag(j^-1.2)) with
 * v_k ~ N(B_k, 1) (iid: v_k = B_k), B_k ~ N(0, beta), label argmax(W^T x + b), and
 * lognormal(4, 2) + 50 examples. Examples {"x": float32[dim], "y": int32[]}, clients "f_00000",
 * ... Drawn from fedc's keyed streams (FEDC_RNG_PURPOSE_PARTITION): the same options give the
 * same data on one platform, not numpy's numbers. */
typedef struct fedc_synthetic_opts {
    int64_t num_clients; /* 30 */
    double alpha, beta;  /* 1, 1 */
    bool iid;            /* false */
    int64_t dim;         /* 60 */
    int64_t num_classes; /* 10 */
    uint64_t seed;
} fedc_synthetic_opts;

fedc_synthetic_opts fedc_synthetic_opts_default(void);

/* Generates the dataset in memory. Errors: INVALID_ARGUMENT naming the options, OUT_OF_MEMORY. */
fedc_status fedc_client_data_synthetic(fedc_ctx *ctx, const fedc_synthetic_opts *opts,
                                       fedc_client_data **out);

/* ---- TFF's SQLite files ---- */

typedef struct fedc_sqlite_opts {
    const char *split_name;         /* NULL: every split, as TFF's split_name=None */
    const fedc_feature_spec *specs; /* decode with these specs (NULL: every feature as is) */
    int nspecs;
} fedc_sqlite_opts;

fedc_sqlite_opts fedc_sqlite_opts_default(void);

/* Opens a file in TFF's ClientData schema (tables examples(split_name, client_id,
 * serialized_example_proto) and client_metadata(client_id, split_name, num_examples)) read-only,
 * reading the client list and counts now and, unless an index of examples starts with
 * client_id, each client's rowid range (one scan of the table, so that opening a client reads
 * only its own rows instead of the whole table). Each opened client dataset streams that
 * client's rows (in rowid order) through its own connection, decoding one tf.train.Example per
 * next(); it is restartable.
 * TFF's downloads (NAME.sqlite.lzma) open directly: a file in xz or the legacy lzma format
 * (recognized by its first bytes, whatever its name) is decompressed once into a cached copy,
 * which later opens reuse while the source keeps its size and modification time. The copy goes
 * to $FEDC_CACHE_DIR when set, else beside the source as PATH.fedc.sqlite when that directory
 * is writable, else to $XDG_CACHE_HOME/fedc or ~/.cache/fedc (as NAME-HASH.sqlite, with a
 * NAME-HASH.sqlite.meta record); it is written to a temporary file and renamed into place, so
 * an interrupted open never leaves a copy that a later one trusts (and a later rebuild removes
 * the temporary files an interrupted one left, once they are an hour old).
 * Errors: IO when the file cannot be opened or the copy cannot be written (a full disk: naming
 * the copy's path; the partial file is removed), CORRUPT for a file that is not an SQLite
 * database or lacks the tables or columns (naming the file and what is missing) and for a
 * damaged or truncated compressed stream (naming the file and the byte offset reached),
 * NOT_FOUND for a split with no clients (naming the splits there are), OUT_OF_MEMORY. Decoding
 * errors at next() name the file, split, client and rowid. Thread-safe (opens of the same
 * compressed file may race; each writes its own temporary copy). */
fedc_status fedc_client_data_open_sqlite(fedc_ctx *ctx, const char *path,
                                         const fedc_sqlite_opts *opts, fedc_client_data **out);

/* The split names in a TFF SQLite file (plain or compressed, as above), sorted, into a
 * fedc_malloc'ed array of fedc_malloc'ed strings (*names, *count; free with
 * fedc_string_list_free). Errors: as above. */
fedc_status fedc_sqlite_splits(fedc_ctx *ctx, const char *path, char ***names, int64_t *count);
void fedc_string_list_free(char **names, int64_t count);

/* Writes a TFF-schema SQLite file (TFF's exact table definitions; rows are tf.train.Examples as
 * fedc_tf_example_encode writes them): create, add examples, finish (which writes
 * client_metadata and commits; a writer destroyed before finish removes the file). Writing each
 * client's examples together keeps its rows contiguous, which is what makes reading a client
 * fast. A writer is used by one thread at a time. */
typedef struct fedc_sqlite_writer fedc_sqlite_writer;

/* Creates `path` (Errors: EXISTS when it exists, IO, OUT_OF_MEMORY). */
fedc_status fedc_sqlite_writer_create(fedc_ctx *ctx, const char *path, fedc_sqlite_writer **out);
/* Appends one example of client `client_id` in split `split_name`. Errors: IO, OUT_OF_MEMORY. */
fedc_status fedc_sqlite_writer_add(fedc_ctx *ctx, fedc_sqlite_writer *w, const char *split_name,
                                   const char *client_id, const fedc_example *ex);
/* Writes client_metadata (one row per client and split) and commits. Errors: IO. */
fedc_status fedc_sqlite_writer_finish(fedc_ctx *ctx, fedc_sqlite_writer *w);
/* Closes the file (rolling back if not finished). NULL is a no-op. */
void fedc_sqlite_writer_destroy(fedc_sqlite_writer *w);

/* ---------------------------------------------------------------------------------------------
 * IDX files, importers and partitioners
 * ------------------------------------------------------------------------------------------- */

/* Reads an IDX file (MNIST's format; gzip-compressed files, as distributed, are recognized by
 * their magic and decompressed by fedc's own inflate) into an owned tensor *out of the file's
 * shape: ubyte -> uint8, sbyte/short/int -> int32, float -> float32, double -> float64.
 * Errors: IO (cannot open/read), CORRUPT naming the file and byte offset (bad magic, unknown
 * type, truncated header or data, damaged gzip stream or CRC), UNSUPPORTED (rank > 6),
 * OUT_OF_MEMORY; *out is then empty (fedc_tensor_free accepts it). Thread-safe. */
fedc_status fedc_idx_read(fedc_ctx *ctx, const char *path, fedc_tensor *out);

/* Partitioners: assign each of n centralized examples to one of num_clients clients, seeded
 * (streams FEDC_RNG(seed, purpose key, FEDC_RNG_PURPOSE_PARTITION)), so the same options give the
 * same clients (IID and shards: on every machine; Dirichlet and quantity skew draw through the
 * C library's log and exp, so they are identical on one platform and may differ in rare last
 * bits between C libraries). */
typedef enum fedc_partition {
    FEDC_PARTITION_IID = 0,           /* a random permutation cut into near-equal parts */
    FEDC_PARTITION_DIRICHLET = 1,     /* per label, client shares ~ Dirichlet(alpha) */
    FEDC_PARTITION_SHARDS = 2,        /* sort by label, cut into num_clients * shards_per_client
                                         equal shards, deal shards_per_client to each client at
                                         random (McMahan et al. 2017) */
    FEDC_PARTITION_QUANTITY_SKEW = 3, /* IID labels, sizes ~ log-normal(0, sigma), each >= 1 */
    FEDC_PARTITION_NATURAL = 4        /* the given group id of each example is its client */
} fedc_partition;

typedef struct fedc_partition_opts {
    fedc_partition kind;
    int64_t num_clients;
    double alpha;              /* DIRICHLET, > 0 (0.5 by default) */
    int64_t shards_per_client; /* SHARDS (2) */
    double sigma;              /* QUANTITY_SKEW (1.0) */
    uint64_t seed;
} fedc_partition_opts;

fedc_partition_opts fedc_partition_opts_default(void); /* IID, 10 clients */

/* Writes client_of[i] in [0, num_clients) for each example i, from labels[i] in
 * [0, num_classes) (for NATURAL: the example's group id in [0, num_clients)). Errors:
 * INVALID_ARGUMENT naming the bad option or the first label out of range (its index); a
 * partition that cannot give every client an example (num_clients > n, or shards smaller than 1)
 * is INVALID_ARGUMENT too; OUT_OF_MEMORY. Thread-safe. */
fedc_status fedc_partition_assign(fedc_ctx *ctx, const fedc_partition_opts *opts,
                                  const int64_t *labels, int64_t n, int64_t num_classes,
                                  int64_t *client_of);

/* Label and size statistics of a partition. */
typedef struct fedc_partition_stats {
    int64_t num_clients, num_classes;
    int64_t *sizes;        /* [num_clients] */
    int64_t *label_counts; /* [num_clients * num_classes], row per client */
    int64_t min_size, max_size;
    double mean_size;
    int64_t min_labels, max_labels; /* distinct labels per client */
} fedc_partition_stats;

/* Computes *out (arrays from fedc_malloc; free with fedc_partition_stats_free). Errors:
 * INVALID_ARGUMENT for an index out of range, OUT_OF_MEMORY. */
fedc_status fedc_partition_stats_compute(fedc_ctx *ctx, const int64_t *client_of,
                                         const int64_t *labels, int64_t n, int64_t num_clients,
                                         int64_t num_classes, fedc_partition_stats *out);
void fedc_partition_stats_free(fedc_partition_stats *stats);

/* One line: "100 clients, sizes min 3 mean 600.0 max 2140, labels per client min 1 max 10",
 * snprintf-style. */
int fedc_partition_stats_format(const fedc_partition_stats *stats, char *buf, size_t size);

/* Imports an IDX images file and its labels file (MNIST, Fashion-MNIST, EMNIST's IDX) into a new
 * TFF-schema SQLite file, partitioned into clients: examples {"pixels": float32 [H,W] = byte /
 * 255, "label": int64[1]}, clients "client_00000" ... (zero-padded, so TFF's order is numeric
 * order), in split `split_name`. stats may be NULL. Errors: those of fedc_idx_read,
 * fedc_partition_assign and the writer; CORRUPT when the files disagree on the example count or
 * a label is outside [0, 256). */
fedc_status fedc_import_idx(fedc_ctx *ctx, const char *images_path, const char *labels_path,
                            const char *sqlite_path, const char *split_name,
                            const fedc_partition_opts *opts, fedc_partition_stats *stats);

/* The same files as in-memory client data, nothing written: examples {"x": float32 [H,W,1] =
 * byte / 255, "y": int32}, clients "client_00000"... as `opts` partitions the examples (a client
 * the partition leaves empty does not exist). stats may be NULL; when not, it is filled (free it
 * with fedc_partition_stats_free). Memory: 4 bytes per pixel (188 MB for 60,000 28x28 images).
 * Errors: those of fedc_idx_read and fedc_partition_assign; CORRUPT when the files are not uint8
 * images [n,h,w] with n labels in [0, 256); OUT_OF_MEMORY. The caller destroys *out. */
fedc_status fedc_client_data_from_idx(fedc_ctx *ctx, const char *images_path,
                                      const char *labels_path, const fedc_partition_opts *opts,
                                      fedc_partition_stats *stats, fedc_client_data **out);

/* Plays with speaker headers (tinyshakespeare: a `NAME:` line, the speech's lines, a blank
 * line) into TFF's Shakespeare schema: each speech is an example {"snippets": bytes, lines joined
 * by '\n'}, each speaking role a client (id: prefix + the name in upper case, spaces as '_',
 * e.g. "FIRST_CITIZEN"), the last floor(count * test_fraction) speeches of each role in the test
 * split and the rest in the train split. */
typedef struct fedc_speakers_opts {
    const char *id_prefix;   /* "" (TFF's files use "THE_TRAGEDY_OF_") */
    const char *train_split; /* "train" */
    const char *test_split;  /* "test" */
    double test_fraction;    /* 0.2 */
} fedc_speakers_opts;

fedc_speakers_opts fedc_speakers_opts_default(void);

/* Writes a new TFF-schema SQLite file from a play; *num_clients (may be NULL) gets the number of
 * roles. Errors: IO, EXISTS (from the writer), CORRUPT for a text with no speaker header,
 * INVALID_ARGUMENT for a fraction outside [0, 1], OUT_OF_MEMORY; each names the text file. */
fedc_status fedc_import_speakers(fedc_ctx *ctx, const char *text_path, const char *sqlite_path,
                                 const fedc_speakers_opts *opts, int64_t *num_clients);

/* As fedc_idx_read, from `size` bytes in memory (plain or gzip) named `name` in messages.
 * Errors: as fedc_idx_read but IO. Thread-safe. */
fedc_status fedc_idx_decode(fedc_ctx *ctx, const char *name, const void *data, size_t size,
                            fedc_tensor *out);

/* ---- CSV ---- */

/* A parsed CSV file: a header row of column names, then rows of numbers (C locale, as strtod
 * reads them), except the id column, whose cells are kept as strings. Fields are separated by
 * `,`; a field may be quoted with `"` ("" inside quotes is one quote); a line may end in \r\n;
 * blank lines are skipped. */
typedef struct fedc_csv_table {
    int64_t rows, cols;
    char **names;   /* [cols] header names */
    double *values; /* [rows * cols], row-major; the id column's entries are 0 */
    char **ids;     /* [rows] the id column's strings, or NULL without an id column */
    int64_t id_col; /* the id column's index, or -1 */
} fedc_csv_table;

/* Parses `size` bytes of CSV text (named `name` in messages) into *out (free with
 * fedc_csv_table_free; it is zeroed first and on error). id_column: the name of a column of
 * strings (NULL: every column is numeric). Errors: PARSE naming the file, line and column for a
 * field that is not a number or an unterminated quote; CORRUPT naming the line for a row whose
 * field count differs from the header's (ragged) or an empty file; NOT_FOUND for an id column
 * the header lacks; OUT_OF_MEMORY. Thread-safe. */
fedc_status fedc_csv_parse(fedc_ctx *ctx, const char *name, const void *text, size_t size,
                           const char *id_column, fedc_csv_table *out);
void fedc_csv_table_free(fedc_csv_table *t);

/* CSV import options. */
typedef struct fedc_csv_import_opts {
    const char *label_column; /* "label": a non-negative integer column */
    const char *id_column;    /* NULL; when set, its values are the clients (natural ids) and the
                                 partition options are ignored */
    const char *split_name;   /* "train" */
} fedc_csv_import_opts;

fedc_csv_import_opts fedc_csv_import_opts_default(void);

/* Imports a CSV file into a new TFF-schema SQLite file: each row is an example {"x": float32[F]
 * (the other columns, in file order), "label": int64[1]}; clients are the id column's values
 * (sorted) or, without one, "client_00000"... as `popts` partitions the rows. stats may be NULL.
 * Errors: those of fedc_csv_parse (naming the file and line), NOT_FOUND for a missing label
 * column, CORRUPT naming the line for a label that is not an integer in [0, 2^31), and those of
 * fedc_partition_assign and the writer. */
fedc_status fedc_import_csv(fedc_ctx *ctx, const char *csv_path, const char *sqlite_path,
                            const fedc_csv_import_opts *opts, const fedc_partition_opts *popts,
                            fedc_partition_stats *stats);

/* ---- CIFAR-10/100 binary batches ---- */

/* Imports CIFAR binary batch files (CIFAR-10: records of 1 label byte + 3072 pixel bytes;
 * CIFAR-100: coarse label byte, fine label byte, 3072 pixel bytes; pixels as three 32x32 planes
 * R, G, B) into a new TFF-schema SQLite file in TFF's cifar100 layout: {"image": uint8[32,32,3]
 * (height, width, channel), "label": int64[1]} plus, for CIFAR-100, "coarse_label": int64[1];
 * partitioned by `popts` over the fine label into clients "client_00000"... stats may be NULL.
 * Errors: IO; CORRUPT naming the file and byte offset when its size is not a whole number of
 * records; those of fedc_partition_assign and the writer. */
fedc_status fedc_import_cifar(fedc_ctx *ctx, const char *const *batch_paths, int npaths,
                              bool cifar100, const char *sqlite_path, const char *split_name,
                              const fedc_partition_opts *popts, fedc_partition_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_DATA_H */
