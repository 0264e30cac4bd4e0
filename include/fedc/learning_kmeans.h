/* fedc/learning_kmeans.h — federated k-means clustering (TFF's
 * tff.learning.algorithms.build_fed_kmeans): a process whose initialize and next are Federated
 * Core computations.
 *
 * Part of layer learning. It is mini-batch k-means (Sculley, "Web-Scale K-Means Clustering",
 * WWW 2010) with the union of a round's client datasets as the mini-batch: each client assigns
 * each of its points to the nearest centroid and reports, per cluster, the sum of its points
 * and their count; the sums are summed over clients; the server moves each centroid to the
 * running average of every point it has absorbed so far. The module is written in the text
 * language and checked (print it with fedc_comp_print): the client step is a native function
 * ("fedc.learning.kmeans_step"), the initial centroids a native ("fedc.learning.kmeans_init")
 * or a literal, and the server update is written with builtins.
 *
 * Thread safety: a process may be run by one thread at a time; its natives run on the
 * executor's worker threads (they keep no state between calls).
 */
#ifndef FEDC_LEARNING_KMEANS_H
#define FEDC_LEARNING_KMEANS_H

#include "fedc/core_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fedc_kmeans_process fedc_kmeans_process;

/* What to cluster and how to start. */
typedef struct fedc_kmeans_opts {
    int64_t k;           /* clusters, >= 1 (TFF's num_clusters) */
    int64_t d;           /* values per point, >= 1: the feature's shape flattened */
    const char *feature; /* the feature of each example holding its point (default "x"); any
                          * numeric dtype, converted to float32; a name of letters, digits and
                          * '_' that does not start with a digit, at most 63 characters */
    uint64_t seed;       /* keys the initial centroids when none are given */
    /* k x d initial centroids, row-major and finite (borrowed, read at creation; they become a
     * literal of the module). NULL: standard normal draws from the stream keyed by seed, as
     * TFF's stateless_normal(seed) starts. */
    const float *initial_centroids;
    /* The type of a client dataset's elements in the text language (borrowed, copied): a struct
     * that has `feature` as a float32, float64, int32, int64 or uint8 tensor of d values.
     * Sequences held in memory are checked against it; data read from client data (SQLite,
     * LEAF, memory) is read by feature name, other features ignored. NULL: `<FEATURE=float32[d]>`.
     */
    const char *element_type;
} fedc_kmeans_opts;

/* k 0 and d 0 (both must be set), feature "x", seed 0, random initial centroids, the default
 * element type. */
fedc_kmeans_opts fedc_kmeans_opts_default(void);

/* Builds the process. Its module defines
 *   initialize = ( -> S@SERVER)
 *   next = (state: S@SERVER, datasets: {D*}@CLIENTS) -> <state=S@SERVER, metrics=M@SERVER>
 * with S = <global_model_weights=float32[k,d], finalizer=int32[k]> (TFF's state: the centroids,
 * and how many points each has absorbed over all rounds, 0 at first), D the element type, and
 * M = <client_work=<num_examples=int32, mean_squared_distance=float64>> (the round's points, and
 * the mean over them of the squared Euclidean distance to the centroid each was assigned to,
 * before the update; 0 for a round without points).
 * A round: each point x goes to the cluster c minimizing sum_j (x_j - centroid_c,j)^2 (ties to
 * the lowest index); a cluster that received n > 0 points whose sum is s moves, as TFF's
 * finalizer does, to centroid * (w / (w + n)) + s * (1 / (w + n)) in float32, w its weight before
 * the round, and its weight becomes w + n; a cluster that received none keeps its centroid (TFF
 * resets a cluster that has never had a point to zero; fedc keeps its starting point).
 * Errors: INVALID_ARGUMENT naming a bad option (k < 1, d < 1, a bad feature name, a non-finite
 * initial centroid), TYPE / PARSE when the element type does not parse or lacks the feature or
 * holds it with another number of values (naming the feature and both sizes), OUT_OF_MEMORY.
 * The caller destroys *out. */
fedc_status fedc_kmeans_process_create(fedc_ctx *ctx, const fedc_kmeans_opts *opts,
                                       fedc_kmeans_process **out);

/* Frees the process. NULL is a no-op. */
void fedc_kmeans_process_destroy(fedc_kmeans_process *p);

/* The checked module (print it with fedc_comp_print; the text parses back to an equal module).
 * Owned by the process. */
const fedc_comp *fedc_kmeans_process_module(const fedc_kmeans_process *p);

/* The native functions the module names, for running it with fedc_exec_run directly (count into
 * *n). Owned by the process; they read their options from the nodes' blobs. */
const fedc_native *fedc_kmeans_process_natives(const fedc_kmeans_process *p, size_t *n);

/* Runs `initialize` into *state (a S@SERVER value; release it). Errors: OUT_OF_MEMORY. */
fedc_status fedc_kmeans_process_initialize(fedc_ctx *ctx, fedc_kmeans_process *p,
                                           fedc_value **state);

/* Runs one round: `next` on state and the clients' datasets (a {D*}@CLIENTS value, e.g. from
 * fedc_value_clients_sequences). exec (may be NULL) chooses the executor as for
 * fedc_learning_process_next: NULL or pool NULL the reference executor, a pool the threaded one,
 * with bit-identical results for any number of threads (sums are folded in client order). Its
 * natives are set here. *new_state and *metrics are new references (read metrics with
 * fedc_metrics_get: "client_work/num_examples", "client_work/mean_squared_distance"). Errors:
 * the executor's, naming the client: NOT_FOUND for an example without the feature, SHAPE for a
 * feature that does not hold d values (naming the feature, the example and both shapes),
 * INVALID_ARGUMENT for a non-finite value in a point or a NULL state or client data; TYPE for a
 * state or data of the wrong type. */
fedc_status fedc_kmeans_process_next(fedc_ctx *ctx, fedc_kmeans_process *p, fedc_value *state,
                                     fedc_value *clients, const fedc_exec_opts *exec,
                                     fedc_value **new_state, fedc_value **metrics);

/* Copies the centroids of a state (row-major k x d floats) into `centroids` and, when `weights`
 * is not NULL, the clusters' weights (k int32: points absorbed so far). state may be the
 * S@SERVER value or its member. Errors: TYPE when the value is not a state of this process. */
fedc_status fedc_kmeans_process_centroids(fedc_ctx *ctx, const fedc_kmeans_process *p,
                                          fedc_value *state, float *centroids, int32_t *weights);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_LEARNING_KMEANS_H */
