/* test_status.c — status codes, error contexts and the version. */
#include <string.h>

#include "harness/harness.h"

TEST(names_and_messages_come_from_one_table) {
    ASSERT_STREQ(fedc_status_name(FEDC_STATUS_OK), "OK");
    ASSERT_STREQ(fedc_status_name(FEDC_STATUS_OUT_OF_MEMORY), "OUT_OF_MEMORY");
    ASSERT_STREQ(fedc_status_message(FEDC_STATUS_SHAPE), "shape mismatch");
    ASSERT_STREQ(fedc_status_name((fedc_status)-999), "UNKNOWN_STATUS");
    ASSERT_STREQ(fedc_status_message((fedc_status)42), "unknown status");
    ASSERT_EQ(FEDC_STATUS_OK, 0);
#define CHECK_NEGATIVE_(name, value, message) ASSERT_LE(FEDC_STATUS_##name, 0);
    FEDC_STATUS_TABLE(CHECK_NEGATIVE_)
#undef CHECK_NEGATIVE_
}

TEST(ctx_records_and_clears_errors) {
    ASSERT_EQ(fedc_ctx_status(ctx), FEDC_STATUS_OK);
    ASSERT_STREQ(fedc_ctx_message(ctx), "");
    fedc_status st =
        fedc_ctx_errorf(ctx, FEDC_STATUS_PARSE, "%s:%d:%d: expected '%c'", "a.fc", 3, 14, ')');
    ASSERT_EQ(st, FEDC_STATUS_PARSE);
    ASSERT_EQ(fedc_ctx_status(ctx), FEDC_STATUS_PARSE);
    ASSERT_STREQ(fedc_ctx_message(ctx), "a.fc:3:14: expected ')'");
    ASSERT_EQ(fedc_ctx_prefixf(ctx, "client %d", 17), FEDC_STATUS_PARSE);
    ASSERT_STREQ(fedc_ctx_message(ctx), "client 17: a.fc:3:14: expected ')'");
    fedc_ctx_clear(ctx);
    ASSERT_EQ(fedc_ctx_status(ctx), FEDC_STATUS_OK);
    ASSERT_STREQ(fedc_ctx_message(ctx), "");
}

TEST(ctx_truncates_long_messages_and_accepts_null) {
    char big[3 * FEDC_CTX_MESSAGE_MAX];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s", big);
    ASSERT_EQ(strlen(fedc_ctx_message(ctx)), (size_t)FEDC_CTX_MESSAGE_MAX - 1);
    ASSERT_EQ(fedc_ctx_errorf(NULL, FEDC_STATUS_IO, "ignored"), FEDC_STATUS_IO);
    ASSERT_EQ(fedc_ctx_status(NULL), FEDC_STATUS_OK);
    ASSERT_STREQ(fedc_ctx_message(NULL), "");
    fedc_ctx_destroy(NULL);
}

TEST(version_matches_header) { ASSERT_STREQ(fedc_version(), FEDC_VERSION_STRING); }
