/* fuzz_json.c — fuzz target for the base layer's JSON parser and writer (fedc/base_json.h).
 *
 * Every input must either be rejected with a message or parse; what parses is written back,
 * parsed again and written again, and the two texts must be equal (the writer emits only what
 * the parser accepts, and nothing is lost on the way). Must not touch files or global state
 * beyond the allocator's default.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base.h"
#include "fedc/base_json.h"

/* Every member of every object is found again by its key (the hash index agrees with the
 * order kept), and it is that very member since duplicates were rejected. */
static void check_lookups(const fedc_json *v) {
    for (size_t k = 0; k < fedc_json_count(v); k++) {
        size_t klen;
        const char *key = fedc_json_key_at(v, k, &klen);
        if (key && fedc_json_getn(v, key, klen) != fedc_json_at(v, k)) abort();
        check_lookups(fedc_json_at(v, k));
    }
}

/* Parses and rewrites; returns the text (fedc_free) or NULL when the input is rejected. */
static char *rewrite(fedc_ctx *ctx, const void *data, size_t size, const fedc_json_opts *o,
                     size_t *len) {
    fedc_json_doc *doc;
    if (fedc_json_parse(ctx, data, size, o, &doc) != FEDC_STATUS_OK) {
        if (fedc_ctx_message(ctx)[0] == '\0') abort();
        return NULL;
    }
    fedc_json_writer w;
    fedc_json_writer_init(&w, FEDC_JSON_STYLE_COMPACT);
    check_lookups(fedc_json_doc_root(doc));
    fedc_json_write_value(&w, fedc_json_doc_root(doc));
    fedc_json_doc_destroy(doc);
    char *out;
    /* Object keys written from a doc without duplicates, depth within 64: nothing can fail
     * except memory. */
    if (fedc_json_writer_finish(ctx, &w, "fuzz", &out, len) != FEDC_STATUS_OK) return NULL;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) return 0;
    fedc_json_opts o = fedc_json_opts_default();
    o.name = "fuzz";
    size_t len1 = 0, len2 = 0;
    char *once = rewrite(ctx, data, size, &o, &len1);
    bool accepted = once != NULL;
    if (once) {
        char *twice = rewrite(ctx, once, len1, &o, &len2);
        if (!twice || len1 != len2 || memcmp(once, twice, len1) != 0) abort();
        fedc_free(twice);
        fedc_free(once);
    }
    /* The lenient duplicate policy must accept whatever the strict one does. */
    o.dup_keys = FEDC_JSON_DUP_FIRST;
    fedc_json_doc *doc;
    if (fedc_json_parse(ctx, data, size, &o, &doc) == FEDC_STATUS_OK)
        fedc_json_doc_destroy(doc);
    else if (accepted)
        abort();
    fedc_ctx_destroy(ctx);
    return 0;
}
