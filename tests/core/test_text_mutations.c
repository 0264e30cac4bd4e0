/* test_text_mutations.c — a small in-tree fuzzer for the text parsers: valid modules and types
 * with random byte edits must either parse (and then print, parse back equal and check without
 * crashing) or fail with a PARSE message that starts with LINE:COL. Run under the sanitizers
 * this catches reads past the end and leaks on error paths.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_testutil.h"

static const char *const kSeeds[] = {
    "above = (t: <readings=float32*, threshold=float32> ->\n"
    "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)), "
    "t.readings>)))\n"
    "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
    "  federated_mean(federated_map(<above,\n"
    "    federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)>))\n",
    "f = (let a = [[1, 2], [3, 4]], b = int64(-7) in <a=a, b=b, c=a[0], d=data(\"u\": int32)>)\n"
    "g = native(\"n\": (float32[?,3] -> <bool,float64>), \"0aff\")\n"
    "h = ( -> federated_eval(<( -> 1.5e-3), CLIENTS>))\n",
};

static const char kAlphabet[] = "<>{}()[],=.*@:?-# \n\"abcxyz019_eSERVERCLIENTS->";

static void mutate(fedc_rng *r, const char *src, char *dst, size_t cap) {
    size_t n = strlen(src);
    memcpy(dst, src, n + 1);
    int edits = 1 + (int)fedc_rng_below(r, 4);
    for (int e = 0; e < edits; e++) {
        n = strlen(dst);
        size_t at = n ? (size_t)fedc_rng_below(r, n) : 0;
        char c = kAlphabet[fedc_rng_below(r, sizeof kAlphabet - 1)];
        switch (fedc_rng_below(r, 3)) {
        case 0: /* delete */
            if (n) memmove(dst + at, dst + at + 1, n - at);
            break;
        case 1: /* insert */
            if (n + 2 < cap) {
                memmove(dst + at + 1, dst + at, n - at + 1);
                dst[at] = c;
            }
            break;
        default: /* replace */
            if (n) dst[at] = c;
            break;
        }
    }
}

static bool starts_with_position(const char *msg) {
    int line, col;
    char colon;
    return sscanf(msg, "%d:%d%c", &line, &col, &colon) == 3 && colon == ':' && line >= 1 &&
           col >= 1;
}

TEST(mutated_modules_parse_or_fail_cleanly) {
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 54);
    char buf[1024];
    int parsed = 0;
    for (int i = 0; i < 3000; i++) {
        mutate(&r, kSeeds[i % 2], buf, sizeof buf);
        fedc_comp *c;
        fedc_ctx_clear(ctx);
        fedc_status st = fedc_comp_parse(ctx, NULL, buf, &c);
        if (st < 0) {
            ASSERT_EQ(st, FEDC_STATUS_PARSE);
            if (!starts_with_position(fedc_ctx_message(ctx)))
                FAIL("message without a position for\n%s\n: %s", buf, fedc_ctx_message(ctx));
            continue;
        }
        parsed++;
        char *text;
        ASSERT_OK(fedc_comp_print(ctx, c, &text));
        fedc_comp *back;
        st = fedc_comp_parse(ctx, NULL, text, &back);
        if (st < 0) FAIL("printed text does not parse: %s\n%s", fedc_ctx_message(ctx), text);
        if (!fedc_comp_equal(c, back)) FAIL("round trip differs:\n%s\n%s", buf, text);
        fedc_ctx_clear(ctx);
        st = fedc_comp_check(ctx, c);
        if (st < 0 && st != FEDC_STATUS_TYPE && st != FEDC_STATUS_NOT_FOUND)
            FAIL("check returned %s: %s", fedc_status_name(st), fedc_ctx_message(ctx));
        fedc_free(text);
        fedc_comp_destroy(back);
        fedc_comp_destroy(c);
    }
    ASSERT_GT(parsed, 10);
}

TEST(mutated_types_parse_or_fail_cleanly) {
    static const char *const seeds[] = {"<a=int32,b=float32[?,784]>",
                                        "{<x=float32[2],y=int64>*}@CLIENTS",
                                        "(<int32,bool> -> (float32 -> float32@SERVER))"};
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 55);
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    char buf[256];
    for (int i = 0; i < 3000; i++) {
        mutate(&r, seeds[i % 3], buf, sizeof buf);
        const fedc_type *t;
        fedc_ctx_clear(ctx);
        fedc_status st = fedc_type_parse(ctx, a, buf, &t);
        if (st < 0) {
            ASSERT_EQ(st, FEDC_STATUS_PARSE);
            if (!starts_with_position(fedc_ctx_message(ctx)))
                FAIL("message without a position for %s: %s", buf, fedc_ctx_message(ctx));
            continue;
        }
        char text[512];
        fedc_type_format(t, text, sizeof text);
        const fedc_type *u;
        ASSERT_OK(fedc_type_parse(ctx, a, text, &u));
        if (!fedc_type_equal(t, u)) FAIL("%s printed as %s differs", buf, text);
        if (i % 100 == 99) fedc_arena_reset(a);
    }
    fedc_arena_destroy(a);
}
