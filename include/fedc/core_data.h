/* fedc/core_data.h — client data (the data layer's fedc_client_data) as Federated Core values:
 * one client's dataset as a lazy sequence, and all clients of a split as a {T*}@CLIENTS value.
 *
 * Part of layer core; includes the data layer (below core). Nothing here reads data eagerly: a
 * client's dataset is opened when a sequence iteration starts (a worker runs that client) and
 * closed when it ends, so memory does not grow with the number of clients.
 * Thread safety: the values may be iterated from several threads at once (each iteration opens
 * its own dataset; client data allows concurrent opens).
 */
#ifndef FEDC_CORE_DATA_H
#define FEDC_CORE_DATA_H

#include "fedc/core_exec.h"
#include "fedc/data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A lazy sequence over client `index` of cd: each element is the struct of the example's named
 * features in the example's order (`<x=float32[784],y=int32>` after EMNIST preprocessing), the
 * tensors copied. cd is borrowed and must outlive the value. Errors: OUT_OF_RANGE for a bad
 * index, OUT_OF_MEMORY; reading it gives the dataset's errors (with the client's id). */
fedc_status fedc_value_client_sequence(fedc_ctx *ctx, const fedc_client_data *cd, int64_t index,
                                       fedc_value **out);

/* All clients of cd, in index order, as a {T*}@CLIENTS value whose members are the sequences
 * above (nothing is opened now). cd is borrowed and must outlive the value. Errors:
 * OUT_OF_MEMORY. */
fedc_status fedc_value_clients_sequences(fedc_ctx *ctx, const fedc_client_data *cd,
                                         fedc_value **out);

/* Whether v is a sequence made by fedc_value_client_sequence; if so sets *cd and *index, so a
 * consumer above the core (local training) may read the client's dataset directly, in batches,
 * instead of element by element. Thread-safe (reads v only). */
bool fedc_value_as_client_sequence(const fedc_value *v, const fedc_client_data **cd,
                                   int64_t *index);

/* The client ids of cd by index, for fedc_exec_opts.client_ids (so runtime errors name the
 * client): a fedc_malloc'd array of num_clients pointers borrowed from cd; the caller fedc_frees
 * the array (not the strings). Errors: OUT_OF_MEMORY. */
fedc_status fedc_client_data_id_array(fedc_ctx *ctx, const fedc_client_data *cd, const char ***out);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_CORE_DATA_H */
