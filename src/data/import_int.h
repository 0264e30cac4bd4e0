/* import_int.h — the part every importer shares: partition centralized examples into clients
 * and write them, client after client, into a TFF-schema SQLite file. Private to src/data/.
 */
#ifndef FEDC_DATA_IMPORT_INT_H
#define FEDC_DATA_IMPORT_INT_H

#include "fedc/data.h"

/* Fills ex with centralized example i (ex keeps its features between calls, so a callback that
 * sets the same features every time does not allocate). */
typedef fedc_status (*fedc__import_fill_fn)(fedc_ctx *ctx, void *user, int64_t i, fedc_example *ex);

/* Assigns n examples (labels[i] in [0, num_classes)) to clients — by popts, or, when groups is
 * non-NULL, example i to client groups[i] in [0, num_groups) named group_names[groups[i]] —
 * computes stats (may be NULL; freed on error) and writes a new TFF-schema file at sqlite_path,
 * one client after another (file order inside a client), every example made by fill. Clients of
 * a partition are named "client_00000"... (zero-padded so that TFF's string order is numeric
 * order). Errors: those of fedc_partition_assign, fill and the writer; OUT_OF_MEMORY. */
fedc_status fedc__import_write(fedc_ctx *ctx, const char *sqlite_path, const char *split_name,
                               const fedc_partition_opts *popts, const int64_t *labels, int64_t n,
                               int64_t num_classes, const int64_t *groups, char *const *group_names,
                               int64_t num_groups, fedc__import_fill_fn fill, void *user,
                               fedc_partition_stats *stats);

#endif /* FEDC_DATA_IMPORT_INT_H */
