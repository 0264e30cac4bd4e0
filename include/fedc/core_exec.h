/* fedc/core_exec.h — values of the Federated Core (tensors, structs, sequences, federated values,
 * functions) and the reference executor: a sequential, simple evaluator of checked computations,
 * the oracle that faster executors are compared with.
 *
 * Part of layer core (includes fedc/core.h only). Client data plugs into sequences through
 * fedc_sequence_source (open/next/close); fedc/core_data.h makes such sources from the data
 * layer's client data.
 * Thread safety: values are immutable and reference counted atomically, so they may be shared
 * and retained/released from several threads. The executor runs on the calling thread, and on
 * the threads of fedc_exec_opts.pool when one is given (the threaded executor).
 */
#ifndef FEDC_CORE_EXEC_H
#define FEDC_CORE_EXEC_H

#include "fedc/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fedc_value_kind {
    FEDC_VALUE_TENSOR = 0,
    FEDC_VALUE_STRUCT = 1,
    FEDC_VALUE_SEQUENCE = 2,
    FEDC_VALUE_FEDERATED = 3,
    FEDC_VALUE_FUNCTION = 4, /* a closure over a lambda of a module: callable while it lives */
    FEDC_VALUE_PLACEMENT = 5
} fedc_value_kind;

typedef struct fedc_value fedc_value;

/* A lazy sequence: open() starts an iteration (each iteration is independent), next() yields
 * the next element (a new reference the caller releases) or NULL at the end, close() ends it.
 * release(user) is called when the sequence value is freed (may be NULL). A data-backed client
 * dataset implements these four. Errors from the callbacks propagate with their messages. */
typedef struct fedc_sequence_source {
    fedc_status (*open)(fedc_ctx *ctx, void *user, void **iter);
    fedc_status (*next)(fedc_ctx *ctx, void *iter, fedc_value **out);
    void (*close)(void *iter);
    void (*release)(void *user);
    void *user;
} fedc_sequence_source;

/* Constructors: each returns a new value with one reference into *out (release it), or
 * OUT_OF_MEMORY (*out NULL). Items and members are retained, not copied; tensors are copied. */
fedc_status fedc_value_tensor(fedc_ctx *ctx, const fedc_tensor *t, fedc_value **out);
/* A tensor value that takes over `t`'s memory instead of copying it (a native function builds
 * its result in a fedc_tensor_alloc'd tensor and hands it over): t must own its data
 * (fedc_tensor_alloc / fedc_tensor_clone) and be contiguous; on success *t is left empty (as
 * after fedc_tensor_free), on error it is untouched and still the caller's. Errors:
 * INVALID_ARGUMENT for a view or a non-contiguous tensor, OUT_OF_MEMORY. Thread-safe on distinct
 * tensors (native functions call it from the executor's workers). */
fedc_status fedc_value_tensor_take(fedc_ctx *ctx, fedc_tensor *t, fedc_value **out);
/* names may be NULL or have NULL entries (unnamed). */
fedc_status fedc_value_struct(fedc_ctx *ctx, size_t n, fedc_value *const *items,
                              const char *const *names, fedc_value **out);
/* A sequence held in memory. */
fedc_status fedc_value_sequence(fedc_ctx *ctx, size_t n, fedc_value *const *items,
                                fedc_value **out);
/* A lazy sequence (the source is copied; release(user) is called when the value is freed, and
 * also when this call fails). */
fedc_status fedc_value_sequence_from(fedc_ctx *ctx, const fedc_sequence_source *src,
                                     fedc_value **out);
/* Federated: at SERVER one member; at CLIENTS all_equal takes one member, otherwise one per
 * client (n may be 0). Errors: INVALID_ARGUMENT for a SERVER value with n != 1 or an all-equal
 * one with n != 1. */
fedc_status fedc_value_federated(fedc_ctx *ctx, fedc_placement placement, bool all_equal, size_t n,
                                 fedc_value *const *members, fedc_value **out);

/* References: retain returns v; release frees at the last reference. NULL is a no-op. */
fedc_value *fedc_value_retain(fedc_value *v);
void fedc_value_release(fedc_value *v);

/* Accessors (borrowed results, valid while the value lives). */
fedc_value_kind fedc_value_get_kind(const fedc_value *v);
const fedc_tensor *fedc_value_get_tensor(const fedc_value *v); /* NULL unless a tensor */
/* STRUCT: items; SEQUENCE in memory: elements; FEDERATED: members. 0 for other kinds. */
size_t fedc_value_size(const fedc_value *v);
fedc_value *fedc_value_item(const fedc_value *v, size_t i);
const char *fedc_value_name(const fedc_value *v, size_t i); /* struct field name or NULL */
fedc_placement fedc_value_placement(const fedc_value *v);
bool fedc_value_all_equal(const fedc_value *v);

/* Reads every element of a sequence (lazy or not) into a new in-memory sequence value. Errors:
 * those of the source, OUT_OF_MEMORY, TYPE when v is not a sequence. */
fedc_status fedc_value_sequence_collect(fedc_ctx *ctx, fedc_value *v, fedc_value **out);

/* Reads a sequence value (lazy or in memory) one element at a time, as the executor's
 * reductions do, without holding the whole of it: open, next until *out is NULL (each element a
 * new reference the caller releases), then close (always, after a successful open). The
 * iterator's fields are private. Errors: TYPE when seq is not a sequence, and the source's.
 * Thread safety: several iterations of one value may run at once on different threads (each
 * opens its own source iteration). */
typedef struct fedc_value_iter {
    fedc_value *seq;
    void *it;
    size_t i;
} fedc_value_iter;

fedc_status fedc_value_iter_open(fedc_ctx *ctx, fedc_value *seq, fedc_value_iter *it);
fedc_status fedc_value_iter_next(fedc_ctx *ctx, fedc_value_iter *it, fedc_value **out);
void fedc_value_iter_close(fedc_value_iter *it);

/* Bitwise equality of values: same kinds and structure, field names, placements and all-equal
 * flags, tensors of the same dtype and shape with the same bytes (so NaNs with the same bits are
 * equal and 0.0 differs from -0.0). Functions are equal when they are the same closure; lazy
 * sequences only when they are the same value (reading them needs a ctx: collect them first).
 * The test executors are compared with. */
bool fedc_value_equal(const fedc_value *a, const fedc_value *b);

/* A readable text of the value: tensors as literals (`[1.0, 2.0]`), structs `<a=1, b=2.0>`,
 * sequences `[* 1, 2 *]`, federated `{1, 2}@CLIENTS` or `3.0@SERVER`, functions `<function>`.
 * Lazy sequences are read. The caller fedc_frees the string. Errors: OUT_OF_MEMORY, the
 * sequence source's. */
fedc_status fedc_value_print(fedc_ctx *ctx, fedc_value *v, char **out);

/* ---------------------------------------------------------------------------------------------
 * Reference executor
 * ------------------------------------------------------------------------------------------- */

/* Resolves a Data node's URI into a value of the declared type (e.g. a client dataset). */
typedef fedc_status (*fedc_data_resolver)(fedc_ctx *ctx, void *user, const char *uri,
                                          const fedc_type *type, fedc_value **out);

/* A native function: computes *out (a new reference) from arg (borrowed, NULL when called with
 * no argument) and the node's parameter blob. It must be deterministic and may be called from
 * any thread by later executors. */
typedef fedc_status (*fedc_native_fn)(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                      size_t blob_size, fedc_value *arg, fedc_value **out);

/* Binds the name used by native("name": T) nodes to C code. */
typedef struct fedc_native {
    const char *name;
    fedc_native_fn fn;
    void *user;
} fedc_native;

typedef struct fedc_exec_opts {
    /* The number of clients; 0: taken from the first per-client value in the argument. Needed
     * to make per-client values from all-equal or SERVER ones. */
    int64_t num_clients;
    fedc_data_resolver resolve_data; /* NULL: Data nodes are an error (NOT_FOUND) */
    void *user;
    /* Client ids by index (num_clients entries, or NULL): runtime errors name them, as in
     * "federated_map: client 3 (f0042_13): ...". */
    const char *const *client_ids;
    /* The native functions native("name": T) nodes may name; an unknown name is NOT_FOUND. */
    const fedc_native *natives;
    size_t nnatives;
    /* NULL: the reference executor (sequential). A pool: the threaded executor. federated_map
     * deals clients to the pool's threads in chunks, holding at most `window` results that
     * wait for an earlier client (0: 32 per thread); many light clients (under about 2 us each,
     * found by timing the first chunk) run on the calling thread instead, which is faster when
     * the fold is as costly as the work. A federated_sum / mean / min / max of a federated_map,
     * or a federated_aggregate whose first argument is a federated_map, folds results in
     * client-index order as they become ready, so only the window is held and the results are
     * bit-identical to the reference executor's for any number of threads.
     * Streamed the same way: federated_weighted_mean(<federated_map(<f, X>),
     * federated_map(<g, X>)>) over one X (X itself a federated_map included: the weighted mean
     * of one map's fields), and a let-bound federated_map whose every use is a sum / mean /
     * min / max / weighted mean / federated_aggregate of it or of a federated_map over it (one
     * pass over the clients feeds all of them).
     * Closures, natives and lazy sequences are then shared between threads (reference counts
     * are atomic; native functions must be thread-safe). */
    fedc_pool *pool;
    size_t window;
} fedc_exec_opts;

fedc_exec_opts fedc_exec_opts_default(void);

/* Evaluates definition `name` of a checked module: a function is called with `arg` (NULL for
 * no argument), anything else is evaluated (arg must be NULL). Reductions over clients run in
 * client-index order. Sequences stream: sequence_map maps elements as they are read and the
 * sequence reductions fold as they read, so a client's dataset is never held whole (sequences
 * left in the result are read into memory before returning). The result is a new reference into
 * *out. opts may be NULL (defaults). The argument must have the parameter's type (TYPE otherwise:
 * `the argument of 'main': at .x@2: expected float32[3], found float32[2]`; a lazy sequence's
 * elements are checked by the operations that read them). Errors: INVALID_ARGUMENT (unchecked
 * module, an unknown number of clients), NOT_FOUND (no such definition, an unresolved Data URI),
 * and the errors of the operations, each prefixed with the intrinsic and the client index
 * ("federated_map: client 3: ..."). */
fedc_status fedc_exec_run(fedc_ctx *ctx, const fedc_comp *comp, const char *name, fedc_value *arg,
                          const fedc_exec_opts *opts, fedc_value **out);

/* Runs a module made by fedc_comp_split_daf on `arg` (the argument of the computation that was
 * split; NULL when it takes none) with the executor and `opts`: daf_inputs, server_prepare,
 * server_to_client_broadcast, client_work, client_to_server_aggregation and server_result in
 * turn, each part's result handed to the next, as a deployment would across server and
 * clients. The result equals fedc_exec_run of the original on the same argument, bit for bit
 * (the same operations in the same client order), on the reference and the threaded executor;
 * client results are held between client_work and the aggregation (this runner does not stream
 * them). opts->num_clients 0 takes the count from arg. Errors: those of fedc_exec_run, prefixed
 * with the part that failed ("client_work: federated_map: client 3: ..."), INVALID_ARGUMENT when
 * a part is missing. Thread safety: as fedc_exec_run. */
fedc_status fedc_daf_run(fedc_ctx *ctx, const fedc_comp *daf, fedc_value *arg,
                         const fedc_exec_opts *opts, fedc_value **out);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_CORE_EXEC_H */
