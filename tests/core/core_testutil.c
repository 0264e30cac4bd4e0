/* core_testutil.c — helpers shared by the core layer's tests (core_testutil.h). Registers no
 * tests.
 */
#include <string.h>

#include "core/core_testutil.h"

void ct_expect_type(fedc_ctx *ctx, const char *text, const char *want) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    ASSERT_OK(fedc_comp_check(ctx, c));
    size_t n = fedc_comp_ndefs(c);
    ASSERT_GT(n, 0u);
    char got[1024];
    fedc_type_format(fedc_comp_def(c, n - 1)->node->type, got, sizeof got);
    if (strcmp(got, want) != 0) FAIL("%s\n  has type %s, expected %s", text, got, want);
    fedc_comp_destroy(c);
}

void ct_expect_error(fedc_ctx *ctx, const char *text, fedc_status status, const char *message) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, NULL, text, &c));
    fedc_ctx_clear(ctx);
    fedc_status st = fedc_comp_check(ctx, c);
    if (st != status)
        FAIL("%s\n  checked with %s (%s), expected %s", text, fedc_status_name(st),
             fedc_ctx_message(ctx), fedc_status_name(status));
    ASSERT_STREQ(fedc_ctx_message(ctx), message);
    fedc_comp_destroy(c);
}
