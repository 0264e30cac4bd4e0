/* fuzz_comp_text.c — fuzz target for the Federated Core's text parser: any bytes must either
 * fail to parse with a message or give a module whose printed form parses back to an equal
 * module; parsed modules are also type-checked and, when they check, lowered and each of their
 * first definitions split into the distribute-aggregate form (a refusal must say why). It must
 * not leak or crash on any input (abort() marks a broken round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) {
        free(text);
        return 0;
    }
    fedc_comp *comp = NULL, *again = NULL, *lowered = NULL;
    char *printed = NULL;
    if (fedc_comp_parse(ctx, "fuzz", text, &comp) < 0) {
        if (!fedc_ctx_message(ctx)[0]) abort(); /* a failure always says why */
    } else {
        if (fedc_comp_print(ctx, comp, &printed) >= 0) {
            if (fedc_comp_parse(ctx, "printed", printed, &again) < 0) abort();
            if (!fedc_comp_equal(comp, again)) abort();
        }
        if (fedc_comp_check(ctx, comp) >= 0) {
            fedc_comp_lower_aggregates(ctx, comp, &lowered);
            for (size_t i = 0; i < fedc_comp_ndefs(comp) && i < 8; i++) {
                fedc_comp *split = NULL;
                if (fedc_comp_split_daf(ctx, comp, fedc_comp_def(comp, i)->name, &split) < 0 &&
                    !fedc_ctx_message(ctx)[0])
                    abort();
                fedc_comp_destroy(split);
            }
        }
    }
    /* the same bytes as one type */
    fedc_arena *arena;
    if (fedc_arena_create(ctx, 0, &arena) >= 0) {
        const fedc_type *t;
        if (fedc_type_parse(ctx, arena, text, &t) >= 0) {
            char buf[512];
            fedc_type_format(t, buf, sizeof buf);
        }
        fedc_arena_destroy(arena);
    }
    fedc_comp_destroy(lowered);
    fedc_comp_destroy(again);
    fedc_free(printed);
    fedc_comp_destroy(comp);
    fedc_ctx_destroy(ctx);
    free(text);
    return 0;
}
