/* fuzz_idx.c — fuzz target for the IDX reader (and through it fedc's gzip inflater), from
 * memory: any bytes must give a tensor or an error with a message, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>

#include "fedc/base.h"
#include "fedc/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 0;
    fedc_tensor t;
    fedc_status st = fedc_idx_decode(ctx, "fuzz", data, size, &t);
    if (st == FEDC_STATUS_OK) {
        int64_t n = fedc_tensor_numel(&t);
        if (n > 0) (void)fedc_tensor_get_flat(&t, n - 1); /* the last element is readable */
    } else if (!fedc_ctx_message(ctx)[0]) {
        abort();
    }
    fedc_tensor_free(&t);
    fedc_ctx_destroy(ctx);
    return 0;
}
