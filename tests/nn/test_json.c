/* test_json.c — the nn layer's private JSON reader and text buffer (used by model files):
 * values, escapes (UTF-8 from \u and surrogate pairs), byte offsets, and malformed input
 * (each error names the byte and what was found), nesting limits, allocation failures.
 */
#include <string.h>

#include "harness/harness.h"
#include "nn/nn_int.h"

static fedc__json *parse(fedc_ctx *ctx, fedc_arena *a, const char *text, fedc_status want) {
    fedc__json *root = NULL;
    fedc_status st = fedc__nn_json_parse(ctx, "t.json", text, strlen(text), 0, a, &root);
    ASSERT_STREQ(fedc_status_name(st), fedc_status_name(want));
    return root;
}

TEST(values_and_offsets) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    fedc__json *r = parse(ctx, a,
                          " {\"n\": -1.5e2, \"t\": true, \"f\": false, \"z\": null, "
                          "\"s\": \"a\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\", \"l\": [1, [], {}]} ",
                          FEDC_STATUS_OK);
    ASSERT_EQ(r->kind, FEDC__JSON_OBJECT);
    ASSERT_EQ(r->count, 6);
    ASSERT_EQ(r->offset, 1);
    ASSERT_EQ(fedc__nn_json_get(r, "n")->num, -150.0);
    ASSERT_EQ(fedc__nn_json_get(r, "n")->offset, 7);
    ASSERT_TRUE(fedc__nn_json_get(r, "t")->boolean);
    ASSERT_EQ(fedc__nn_json_get(r, "f")->kind, FEDC__JSON_BOOL);
    ASSERT_EQ(fedc__nn_json_get(r, "z")->kind, FEDC__JSON_NULL);
    const fedc__json *s = fedc__nn_json_get(r, "s");
    ASSERT_STREQ(s->str, "a\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_EQ(s->len, 11);
    const fedc__json *l = fedc__nn_json_get(r, "l");
    ASSERT_EQ(l->count, 3);
    ASSERT_EQ(l->child->next->kind, FEDC__JSON_ARRAY);
    ASSERT_EQ(l->child->next->count, 0);
    ASSERT_NULL(fedc__nn_json_get(r, "missing"));
    ASSERT_NULL(fedc__nn_json_get(l, "n"));
    fedc_arena_destroy(a);
}

TEST(malformed_input) {
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    const struct {
        const char *text, *message;
    } cases[] = {
        {"", "t.json: byte 0: expected a value, found end of input"},
        {"[1,]", "t.json: byte 3: expected a value, found ']'"},
        {"{\"a\" 1}", "t.json: byte 5: expected ':', found '1'"},
        {"[1 2]", "t.json: byte 3: expected ',' or ']', found '2'"},
        {"\"abc", "unterminated string"},
        {"\"a\\qb\"", "t.json: byte 3: bad escape, found 'q'"},
        {"\"\\ud800x\"", "unpaired surrogate"},
        {"01", "t.json: byte 1: expected the end of the document, found '1'"},
        {"-", "bad number"},
        {"1.", "no digit after '.'"},
        {"tru", "expected a value, found 't'"},
        {"\"a\tb\"", "control character in string"},
        {"{} x", "byte 3: expected the end of the document, found 'x'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse(ctx, a, cases[i].text, FEDC_STATUS_PARSE);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), cases[i].message);
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    fedc__json *root;
    ASSERT_STATUS(fedc__nn_json_parse(ctx, "t.json", deep, 200, 0, a, &root), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "nesting too deep");
    fedc_arena_destroy(a);
}

TEST(buffer_writes_escaped_strings) {
    fedc__buf b = {0};
    fedc__nn_buf_printf(&b, "[%d,", 7);
    fedc__nn_buf_json_string(&b, "q\"b\\s\n");
    for (int i = 0; i < 100; i++)
        fedc__nn_buf_printf(&b, "%s", i ? "" : "]");
    ASSERT_FALSE(b.failed);
    ASSERT_STREQ(b.data, "[7,\"q\\\"b\\\\s\\u000a\"]");
    fedc_arena *a;
    ASSERT_OK(fedc_arena_create(ctx, 0, &a));
    fedc__json *r = parse(ctx, a, b.data, FEDC_STATUS_OK);
    ASSERT_STREQ(r->child->next->str, "q\"b\\s\n");
    fedc_arena_destroy(a);
    fedc_free(b.data);
}
