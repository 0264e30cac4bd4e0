/* fuzz_comp_binary.c — fuzz target for the binary form of computations (fedc_comp_from_binary):
 * any bytes must either fail with a message or give a module that writes back to bytes that
 * read to an equal module and write again to the same bytes (the writer's form is a fixed
 * point). Modules read are type-checked and printed as text too. It must not leak or crash on
 * any input (abort() marks a broken round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 20) return 0;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return 0;
    fedc_comp *comp = NULL, *again = NULL;
    void *bin = NULL, *bin2 = NULL;
    size_t len = 0, len2 = 0;
    char *text = NULL;
    if (fedc_comp_from_binary(ctx, data, size, "fuzz.pb", &comp) < 0) {
        if (!fedc_ctx_message(ctx)[0]) abort(); /* a failure always says why */
        if (comp) abort();
    } else if (fedc_comp_to_binary(ctx, comp, &bin, &len) >= 0) {
        if (fedc_comp_from_binary(ctx, bin, len, "written", &again) < 0) abort();
        if (!fedc_comp_equal(comp, again)) abort();
        if (fedc_comp_to_binary(ctx, again, &bin2, &len2) >= 0 &&
            (len2 != len || memcmp(bin, bin2, len) != 0))
            abort();
        fedc_comp_print(ctx, comp, &text);
        fedc_comp_check(ctx, comp);
    }
    fedc_free(text);
    fedc_free(bin2);
    fedc_free(bin);
    fedc_comp_destroy(again);
    fedc_comp_destroy(comp);
    fedc_ctx_destroy(ctx);
    return 0;
}
