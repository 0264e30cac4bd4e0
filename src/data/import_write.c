/* import_write.c — the shared back half of the importers: partition (or take natural groups),
 * statistics, then one pass that writes each client's examples contiguously into a TFF-schema
 * SQLite file. Nothing here reads a source format (import_idx.c, import_csv.c, import_cifar.c).
 */
#include <stdio.h>
#include <string.h>

#include "data/import_int.h"

fedc_status fedc__import_write(fedc_ctx *ctx, const char *sqlite_path, const char *split_name,
                               const fedc_partition_opts *popts, const int64_t *labels, int64_t n,
                               int64_t num_classes, const int64_t *groups, char *const *group_names,
                               int64_t num_groups, fedc__import_fill_fn fill, void *user,
                               fedc_partition_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    int64_t k = groups ? num_groups : popts->num_clients;
    if (groups && k < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: import into %lld clients (at least 1)", sqlite_path,
                               (long long)k);
    size_t nn = (size_t)(n ? n : 1);
    int64_t *client_of = fedc_malloc(nn * sizeof *client_of);
    int64_t *order = fedc_malloc(nn * sizeof *order);
    int64_t *start = fedc_calloc((size_t)(k > 0 ? k : 0) + 1, sizeof *start);
    fedc_status st = FEDC_STATUS_OK;
    if (!client_of || !order || !start)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "import of %lld examples",
                             (long long)n);
    if (!st && groups)
        memcpy(client_of, groups, (size_t)n * sizeof *client_of);
    else if (!st)
        st = fedc_partition_assign(ctx, popts, labels, n, num_classes, client_of);
    if (!st && stats)
        st = fedc_partition_stats_compute(ctx, client_of, labels, n, k, num_classes, stats);
    /* Group by client with a counting sort, keeping the file's order inside each client. */
    if (!st) {
        for (int64_t i = 0; i < n; i++)
            start[client_of[i] + 1]++;
        for (int64_t c = 0; c < k; c++)
            start[c + 1] += start[c];
        for (int64_t i = 0; i < n; i++)
            order[start[client_of[i]]++] = i;
    }
    fedc_sqlite_writer *w = NULL;
    fedc_example *ex = NULL;
    if (!st) st = fedc_sqlite_writer_create(ctx, sqlite_path, &w);
    if (!st) st = fedc_example_create(ctx, &ex);
    if (!st) {
        int width = 5;
        for (int64_t m = k - 1; m >= 100000; m /= 10)
            width++;
        for (int64_t j = 0; j < n && !st; j++) {
            int64_t i = order[j];
            char id[32];
            const char *name = id;
            if (groups)
                name = group_names[client_of[i]];
            else
                snprintf(id, sizeof id, "client_%0*lld", width, (long long)client_of[i]);
            st = fill(ctx, user, i, ex);
            if (!st) st = fedc_sqlite_writer_add(ctx, w, split_name, name, ex);
        }
    }
    if (!st) st = fedc_sqlite_writer_finish(ctx, w);
    fedc_sqlite_writer_destroy(w);
    fedc_example_destroy(ex);
    fedc_free(client_of);
    fedc_free(order);
    fedc_free(start);
    if (st && stats) fedc_partition_stats_free(stats);
    return st;
}
