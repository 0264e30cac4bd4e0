/* fuzz_leaf.c — fuzz target for LEAF JSON client data (fedc_client_data_open_leaf), which reads
 * through the base layer's JSON parser.
 *
 * The input is written to a private temporary file (the loader takes a path) and opened; any
 * status is fine, but an error must carry a message and a success must give a client data
 * whose clients and examples can all be read. Must not leave files behind.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fedc/base.h"
#include "fedc/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[] = "/tmp/fedc_fuzz_leaf_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(path);
        return 0;
    }
    bool written = fwrite(data, 1, size, f) == size;
    fclose(f);
    fedc_ctx *ctx;
    if (!written || fedc_ctx_create(&ctx) != FEDC_STATUS_OK) {
        unlink(path);
        return 0;
    }
    fedc_client_data *cd;
    if (fedc_client_data_open_leaf(ctx, path, &cd) == FEDC_STATUS_OK) {
        fedc_example *ex;
        if (fedc_example_create(ctx, &ex) == FEDC_STATUS_OK) {
            for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
                fedc_dataset *ds;
                if (fedc_client_data_open(ctx, cd, c, &ds) != FEDC_STATUS_OK) abort();
                bool got = true;
                int64_t n = 0;
                while (got && fedc_dataset_next(ctx, ds, ex, &got) == FEDC_STATUS_OK)
                    n += got;
                if (n != fedc_client_data_num_examples(cd, c)) abort();
                fedc_dataset_destroy(ds);
            }
            fedc_example_destroy(ex);
        }
        fedc_client_data_destroy(cd);
    } else if (fedc_ctx_message(ctx)[0] == '\0') {
        abort();
    }
    fedc_ctx_destroy(ctx);
    unlink(path);
    return 0;
}
