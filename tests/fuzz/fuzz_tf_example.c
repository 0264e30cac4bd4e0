/* fuzz_tf_example.c — fuzz target for the tf.train.Example decoder: any bytes must decode or
 * fail with a message, never crash or leak; what decodes must re-encode and decode to the same
 * features, whose encoding is then the same bytes again (lists of byte strings included).
 * Decoded three times: without specs, with EMNIST-like specs and with a bytes spec. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base.h"
#include "fedc/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 0;
    fedc_example *ex = NULL, *back = NULL;
    if (fedc_example_create(ctx, &ex) || fedc_example_create(ctx, &back)) goto done;
    if (fedc_tf_example_decode(ctx, data, size, NULL, 0, ex) == FEDC_STATUS_OK) {
        void *enc;
        size_t n;
        if (fedc_tf_example_encode(ctx, ex, &enc, &n) == FEDC_STATUS_OK) {
            if (fedc_tf_example_decode(ctx, enc, n, NULL, 0, back) != FEDC_STATUS_OK ||
                fedc_example_count(back) != fedc_example_count(ex))
                abort(); /* what fedc writes, fedc must read back */
            void *again;
            size_t m;
            if (fedc_tf_example_encode(ctx, back, &again, &m) == FEDC_STATUS_OK) {
                if (m != n || memcmp(again, enc, n) != 0) abort(); /* and write it unchanged */
                fedc_free(again);
            }
            fedc_free(enc);
        }
    } else if (!fedc_ctx_message(ctx)[0]) {
        abort(); /* every failure explains itself */
    }
    fedc_feature_spec specs[2] = {{"pixels", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(-1)},
                                  {"label", FEDC_DTYPE_INT32, FEDC_SHAPE(1)}};
    (void)fedc_tf_example_decode(ctx, data, size, specs, 2, ex);
    fedc_feature_spec tags = {"tags", FEDC_DTYPE_UINT8, FEDC_SHAPE(-1)};
    (void)fedc_tf_example_decode(ctx, data, size, &tags, 1, ex);
done:
    fedc_example_destroy(ex);
    fedc_example_destroy(back);
    fedc_ctx_destroy(ctx);
    return 0;
}
