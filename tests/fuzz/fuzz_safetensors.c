/* fuzz_safetensors.c — fuzz target for loading safetensors weights
 * (fedc_model_weights_from_safetensors), whose header goes through the base layer's JSON
 * parser.
 *
 * The input is loaded into a small fixed model (Dense 3 -> 2 then Dense 2 -> 1); any status is
 * fine but an error must carry a message and leave the weights untouched, and a success must
 * write back to an image that loads again. Must not touch files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base.h"
#include "fedc/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) return 0;
    fedc_layer_spec specs[] = {fedc_layer_dense(2, FEDC_ACTIVATION_RELU),
                               fedc_layer_dense(1, FEDC_ACTIVATION_LINEAR)};
    fedc_shape in = FEDC_SHAPE(3);
    fedc_model *m;
    if (fedc_model_create(ctx, &in, specs, 2, NULL, &m) != FEDC_STATUS_OK) {
        fedc_ctx_destroy(ctx);
        return 0;
    }
    size_t n = (size_t)fedc_model_num_params(m);
    float before[16];
    if (n > 16) abort();
    memcpy(before, fedc_model_params(m), n * sizeof(float));
    if (fedc_model_weights_from_safetensors(ctx, m, data, size, "fuzz") == FEDC_STATUS_OK) {
        void *img;
        size_t len;
        if (fedc_model_weights_to_safetensors(ctx, m, &img, &len) == FEDC_STATUS_OK) {
            if (fedc_model_weights_from_safetensors(ctx, m, img, len, "again") != FEDC_STATUS_OK)
                abort();
            fedc_free(img);
        }
    } else {
        if (fedc_ctx_message(ctx)[0] == '\0') abort();
        if (memcmp(before, fedc_model_params(m), n * sizeof(float)) != 0) abort();
    }
    fedc_model_destroy(m);
    fedc_ctx_destroy(ctx);
    return 0;
}
