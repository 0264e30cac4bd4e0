/* fuzz_client_store.c — fuzz target for a checkpoint's client store blob (SCAFFOLD's per-client
 * control variates, read back on resume): the input is the blob. Loading must fill the store or
 * fail with a message naming the byte; never crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "fedc/base.h"
#include "fedc/learning.h"
#include "learning/learning_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fedc_status count(fedc_ctx *ctx, void *user, const char *id, const float *v, int64_t n) {
    (void)ctx, (void)id, (void)v;
    *(int64_t *)user += n + 1;
    return FEDC_STATUS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 0;
    fedc_client_store *s;
    if (fedc_client_store_memory(ctx, &s) == FEDC_STATUS_OK) {
        int64_t n = 0;
        if (fedc__store_load(ctx, s, data, size) == FEDC_STATUS_OK) {
            /* what loaded saves again to the same number of entries and floats */
            if (fedc_client_store_each(ctx, s, count, &n) != FEDC_STATUS_OK) abort();
            uint8_t *again;
            size_t len;
            if (fedc__store_save(ctx, s, &again, &len) == FEDC_STATUS_OK) {
                if (len > size) abort();
                fedc_free(again);
            }
        } else if (!fedc_ctx_message(ctx)[0]) {
            abort();
        }
        fedc_client_store_destroy(s);
    }
    fedc_ctx_destroy(ctx);
    return 0;
}
