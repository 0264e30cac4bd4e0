/* test_json.c — the base layer's JSON parser and writer (fedc/base_json.h): known answers for
 * every kind of value and accessor, escapes (UTF-8 from \u and surrogate pairs), exact int64,
 * key order and hashed lookups, every error kind with its byte offset, line and column, the
 * duplicate-key policies, depth limits, UTF-8 validation, the writer's styles and misuse, a
 * parse -> write -> parse round trip, and allocation-failure sweeps of both.
 */
#include <stdio.h>
#include <string.h>

#include "fedc/base_json.h"
#include "harness/harness.h"

static fedc_json_doc *parse_ok(fedc_ctx *ctx, const char *text) {
    fedc_json_doc *doc = NULL;
    ASSERT_OK(fedc_json_parse(ctx, text, strlen(text), NULL, &doc));
    return doc;
}

TEST(values_and_accessors) {
    fedc_json_doc *doc =
        parse_ok(ctx, " {\"n\": -1.5e2, \"t\": true, \"f\": false, \"z\": null, "
                      "\"s\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\","
                      " \"l\": [1, [], {}], \"nul\": \"a\\u0000b\"}\n");
    const fedc_json *r = fedc_json_doc_root(doc);
    ASSERT_EQ(fedc_json_type_of(r), FEDC_JSON_OBJECT);
    ASSERT_EQ(fedc_json_count(r), 7);
    ASSERT_EQ(fedc_json_offset(r), 1);
    const fedc_json *n = fedc_json_get(r, "n");
    ASSERT_EQ(fedc_json_number(n), -150.0);
    ASSERT_EQ(fedc_json_offset(n), 7);
    int64_t i = 0;
    ASSERT_TRUE(fedc_json_int64(n, &i)); /* integral though written with an exponent */
    ASSERT_EQ(i, -150);
    ASSERT_TRUE(fedc_json_bool(fedc_json_get(r, "t")));
    ASSERT_EQ(fedc_json_type_of(fedc_json_get(r, "f")), FEDC_JSON_BOOL);
    ASSERT_FALSE(fedc_json_bool(fedc_json_get(r, "f")));
    ASSERT_EQ(fedc_json_type_of(fedc_json_get(r, "z")), FEDC_JSON_NULL);
    size_t len = 0;
    const char *s = fedc_json_string(fedc_json_get(r, "s"), &len);
    ASSERT_STREQ(s, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_EQ(len, 15);
    s = fedc_json_string(fedc_json_get(r, "nul"), &len);
    ASSERT_EQ(len, 3);
    ASSERT_TRUE(memcmp(s, "a\0b", 4) == 0);
    const fedc_json *l = fedc_json_get(r, "l");
    ASSERT_EQ(fedc_json_count(l), 3);
    ASSERT_EQ(fedc_json_type_of(fedc_json_at(l, 1)), FEDC_JSON_ARRAY);
    ASSERT_EQ(fedc_json_count(fedc_json_at(l, 1)), 0);
    ASSERT_EQ(fedc_json_type_of(fedc_json_at(l, 2)), FEDC_JSON_OBJECT);
    ASSERT_NULL(fedc_json_at(l, 3));
    /* Keys in text order. */
    const char *order[] = {"n", "t", "f", "z", "s", "l", "nul"};
    for (size_t k = 0; k < 7; k++) {
        ASSERT_STREQ(fedc_json_key_at(r, k, &len), order[k]);
        ASSERT_EQ(len, strlen(order[k]));
    }
    ASSERT_NULL(fedc_json_key_at(r, 7, NULL));
    ASSERT_NULL(fedc_json_key_at(l, 0, NULL));
    /* Absent values answer "absent" all the way down. */
    ASSERT_NULL(fedc_json_get(r, "missing"));
    ASSERT_NULL(fedc_json_get(l, "n"));
    ASSERT_NULL(fedc_json_get(fedc_json_get(r, "missing"), "x"));
    ASSERT_EQ(fedc_json_type_of(NULL), FEDC_JSON_NONE);
    ASSERT_EQ(fedc_json_count(NULL), 0);
    ASSERT_NULL(fedc_json_string(n, NULL));
    ASSERT_EQ(fedc_json_number(fedc_json_get(r, "s")), 0.0);
    ASSERT_FALSE(fedc_json_int64(fedc_json_get(r, "s"), &i));
    ASSERT_TRUE(fedc_json_getn(r, "nul", 3) != NULL);
    ASSERT_NULL(fedc_json_getn(r, "nulx", 3 + 1));
    fedc_json_doc_destroy(doc);
    fedc_json_doc_destroy(NULL);
}

TEST(numbers_exact_and_rounded) {
    fedc_json_doc *doc = parse_ok(ctx, "[9007199254740993, -9223372036854775808, "
                                       "9223372036854775807, 9223372036854775808, 2.5, 1e3, -0, "
                                       "0.1, 1e-400, 123456789012345678901234567890]");
    const fedc_json *a = fedc_json_doc_root(doc);
    int64_t v = 0;
    ASSERT_TRUE(fedc_json_int64(fedc_json_at(a, 0), &v));
    ASSERT_EQ(v, 9007199254740993LL); /* not representable as a double: kept from the digits */
    ASSERT_TRUE(fedc_json_int64(fedc_json_at(a, 1), &v));
    ASSERT_EQ(v, INT64_MIN);
    ASSERT_TRUE(fedc_json_int64(fedc_json_at(a, 2), &v));
    ASSERT_EQ(v, INT64_MAX);
    ASSERT_FALSE(fedc_json_int64(fedc_json_at(a, 3), &v)); /* 2^63 does not fit */
    ASSERT_EQ(fedc_json_number(fedc_json_at(a, 3)), 9223372036854775808.0);
    ASSERT_FALSE(fedc_json_int64(fedc_json_at(a, 4), &v));
    ASSERT_EQ(fedc_json_number(fedc_json_at(a, 4)), 2.5);
    ASSERT_TRUE(fedc_json_int64(fedc_json_at(a, 5), &v));
    ASSERT_EQ(v, 1000);
    ASSERT_TRUE(fedc_json_int64(fedc_json_at(a, 6), &v));
    ASSERT_EQ(v, 0);
    ASSERT_EQ(fedc_json_number(fedc_json_at(a, 7)), 0.1);
    ASSERT_EQ(fedc_json_number(fedc_json_at(a, 8)), 0.0); /* underflow rounds to zero */
    ASSERT_FALSE(fedc_json_int64(fedc_json_at(a, 9), &v));
    ASSERT_NEAR(fedc_json_number(fedc_json_at(a, 9)), 1.2345678901234568e29, 1e14);
    fedc_json_doc_destroy(doc);
    /* A number longer than any stack buffer. */
    char big[300];
    memset(big, '7', sizeof big - 3);
    memcpy(big + sizeof big - 3, ".5", 3);
    doc = parse_ok(ctx, big);
    ASSERT_NEAR(fedc_json_number(fedc_json_doc_root(doc)) / 7.7777777e296, 1.0, 1e-6);
    fedc_json_doc_destroy(doc);
}

TEST(large_objects_are_hashed_and_keep_order) {
    char text[64 * 1024];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "{");
    for (int k = 0; k < 2000; k++)
        n +=
            (size_t)snprintf(text + n, sizeof text - n, "%s\"key%d\": %d", k ? ", " : "", k, k * 3);
    snprintf(text + n, sizeof text - n, "}");
    fedc_json_doc *doc = parse_ok(ctx, text);
    const fedc_json *r = fedc_json_doc_root(doc);
    ASSERT_EQ(fedc_json_count(r), 2000);
    for (int k = 0; k < 2000; k += 7) {
        char key[16];
        snprintf(key, sizeof key, "key%d", k);
        int64_t v;
        ASSERT_TRUE(fedc_json_int64(fedc_json_get(r, key), &v));
        ASSERT_EQ(v, k * 3);
        ASSERT_STREQ(fedc_json_key_at(r, (size_t)k, NULL), key);
    }
    ASSERT_NULL(fedc_json_get(r, "key2000"));
    ASSERT_NULL(fedc_json_get(r, "key"));
    fedc_json_doc_destroy(doc);
}

TEST(duplicate_keys) {
    const char *small = "{\"a\": 1, \"b\": 2,\n \"a\": 3}";
    fedc_json_doc *doc;
    ASSERT_STATUS(fedc_json_parse(ctx, small, strlen(small), NULL, &doc), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "json: byte offset 18 (line 2, column 2): duplicate key, found '\"'");
    ASSERT_NULL(doc);
    fedc_json_opts o = fedc_json_opts_default();
    o.dup_keys = FEDC_JSON_DUP_FIRST;
    ASSERT_OK(fedc_json_parse(ctx, small, strlen(small), &o, &doc));
    const fedc_json *r = fedc_json_doc_root(doc);
    ASSERT_EQ(fedc_json_count(r), 3);
    ASSERT_EQ(fedc_json_number(fedc_json_get(r, "a")), 1.0);
    ASSERT_EQ(fedc_json_number(fedc_json_at(r, 2)), 3.0);
    fedc_json_doc_destroy(doc);
    /* The same in an object big enough to be hashed. */
    char big[2048];
    size_t n = (size_t)snprintf(big, sizeof big, "{");
    for (int k = 0; k < 40; k++)
        n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\": %d, ", k, k);
    snprintf(big + n, sizeof big - n, "\"k7\": 99}");
    ASSERT_STATUS(fedc_json_parse(ctx, big, strlen(big), NULL, &doc), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "duplicate key");
    char want[32];
    snprintf(want, sizeof want, "byte offset %zu ", n);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), want);
    ASSERT_OK(fedc_json_parse(ctx, big, strlen(big), &o, &doc));
    ASSERT_EQ(fedc_json_number(fedc_json_get(fedc_json_doc_root(doc), "k7")), 7.0);
    ASSERT_EQ(fedc_json_count(fedc_json_doc_root(doc)), 41);
    fedc_json_doc_destroy(doc);
}

/* Every error kind, with its position: each message is checked whole (after the name). */
TEST(errors_name_offset_line_and_column) {
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"", "byte offset 0 (line 1, column 1): expected a value, found end of input"},
        {"  \n ", "byte offset 4 (line 2, column 2): expected a value, found end of input"},
        {"[1,]", "byte offset 3 (line 1, column 4): expected a value, found ']'"},
        {"{\"a\" 1}", "byte offset 5 (line 1, column 6): expected ':', found '1'"},
        {"{1: 2}", "byte offset 1 (line 1, column 2): expected a string key, found '1'"},
        {"{\"a\": 1,}", "byte offset 8 (line 1, column 9): expected a string key, found '}'"},
        {"[1 2]", "byte offset 3 (line 1, column 4): expected ',' or ']', found '2'"},
        {"{\"a\": 1 \"b\"}", "byte offset 8 (line 1, column 9): expected ',' or '}', found '\"'"},
        {"\"abc", "byte offset 4 (line 1, column 5): unterminated string, found end of input"},
        {"\"ab\\", "byte offset 4 (line 1, column 5): unterminated string, found end of input"},
        {"\"a\\qb\"", "byte offset 3 (line 1, column 4): bad escape, found 'q'"},
        {"\"\\u12g4\"", "byte offset 5 (line 1, column 6): bad \\u escape (4 hex digits), "
                        "found 'g'"},
        {"\"\\ud800x\"", "byte offset 7 (line 1, column 8): unpaired surrogate (expected \\u and "
                         "a low surrogate), found 'x'"},
        {"\"\\ud800\\u0041\"", "byte offset 7 (line 1, column 8): bad low surrogate (expected "
                               "\\udc00..\\udfff), found '\\'"},
        {"\"\\udc00\"", "byte offset 1 (line 1, column 2): unpaired low surrogate, found '\\'"},
        {"\"a\tb\"", "byte offset 2 (line 1, column 3): control character in string, found byte "
                     "0x09"},
        {"\"\xc3\x28\"", "byte offset 1 (line 1, column 2): invalid UTF-8 in string, found byte "
                         "0xc3"},
        {"\"\xc0\xaf\"", "invalid UTF-8 in string, found byte 0xc0"},         /* overlong */
        {"\"\xed\xa0\x80\"", "invalid UTF-8 in string, found byte 0xed"},     /* surrogate */
        {"\"\xf4\x90\x80\x80\"", "invalid UTF-8 in string, found byte 0xf4"}, /* > U+10FFFF */
        {"\"\xe2\x82\"", "invalid UTF-8 in string, found byte 0xe2"},         /* truncated */
        {"\xef\xbb\xbf{}", "byte offset 0 (line 1, column 1): expected a value, found byte 0xef"},
        {"01", "byte offset 1 (line 1, column 2): expected the end of input, found '1'"},
        {"-", "byte offset 1 (line 1, column 2): expected a digit, found end of input"},
        {"-a", "byte offset 1 (line 1, column 2): expected a digit, found 'a'"},
        {"1.", "byte offset 2 (line 1, column 3): expected a digit after '.', found end of input"},
        {"1e+", "byte offset 3 (line 1, column 4): expected a digit in the exponent, found end "
                "of input"},
        {"[1,\n 1e999]", "byte offset 5 (line 2, column 2): number out of the range of a double, "
                         "found '1'"},
        {"tru", "byte offset 0 (line 1, column 1): expected a value, found 't'"},
        {"nul", "expected a value, found 'n'"},
        {"NaN", "expected a value, found 'N'"},
        {"{} x", "byte offset 3 (line 1, column 4): expected the end of input, found 'x'"},
        {"[1]\n\n  ]", "byte offset 7 (line 3, column 3): expected the end of input, found ']'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fedc_json_opts o = fedc_json_opts_default();
        o.name = "t.json";
        fedc_json_doc *doc = (fedc_json_doc *)&o; /* must be reset to NULL */
        fedc_status st = fedc_json_parse(ctx, cases[k].text, strlen(cases[k].text), &o, &doc);
        if (st != FEDC_STATUS_PARSE) FAIL("case %zu (%s): status %d", k, cases[k].text, st);
        ASSERT_NULL(doc);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "t.json: ");
        ASSERT_CONTAINS(fedc_ctx_message(ctx), cases[k].message);
    }
}

TEST(base_offset_shifts_offsets_not_lines) {
    fedc_json_opts o = fedc_json_opts_default();
    o.name = "w.safetensors";
    o.base_offset = 8;
    fedc_json_doc *doc;
    ASSERT_STATUS(fedc_json_parse(ctx, "{\"a\":\n x}", 9, &o, &doc), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "w.safetensors: byte offset 15 (line 2, column 2): expected a value");
    ASSERT_OK(fedc_json_parse(ctx, "{\"a\": [2]}", 10, &o, &doc));
    ASSERT_EQ(fedc_json_offset(fedc_json_get(fedc_json_doc_root(doc), "a")), 14);
    fedc_json_doc_destroy(doc);
}

TEST(depth_limit) {
    char deep[300];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    fedc_json_doc *doc;
    ASSERT_STATUS(fedc_json_parse(ctx, deep, sizeof deep, NULL, &doc), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "byte offset 64 (line 1, column 65): nesting deeper than 64, found '['");
    /* Exactly the limit is fine. */
    ASSERT_OK(fedc_json_parse(ctx, deep + 150 - 64, 128, NULL, &doc));
    fedc_json_doc_destroy(doc);
    fedc_json_opts o = fedc_json_opts_default();
    o.max_depth = 200;
    ASSERT_OK(fedc_json_parse(ctx, deep, sizeof deep, &o, &doc));
    fedc_json_doc_destroy(doc);
    o.max_depth = 3; /* three containers inside each other */
    ASSERT_OK(fedc_json_parse(ctx, "{\"a\": [[1]]}", 12, &o, &doc));
    fedc_json_doc_destroy(doc);
    o.max_depth = 2;
    ASSERT_STATUS(fedc_json_parse(ctx, "{\"a\": [[1]]}", 12, &o, &doc), FEDC_STATUS_PARSE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "byte offset 7 (line 1, column 8): nesting deeper than 2");
    o.max_depth = -1;
    ASSERT_STATUS(fedc_json_parse(ctx, "1", 1, &o, &doc), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "max_depth -1 is outside 1..4096");
}

TEST(writer_styles) {
    const fedc_json_style styles[] = {FEDC_JSON_STYLE_COMPACT, FEDC_JSON_STYLE_SPACED,
                                      FEDC_JSON_STYLE_PRETTY};
    const char *want[] = {
        "{\"a\":[1,-2,0.1,1.0,true,null],\"b\":{},\"c\":[],\"s\":"
        "\"q\\\"b\\\\s\\u000a\\u0000\xc3\xa9\"}",
        "{\"a\": [1, -2, 0.1, 1.0, true, null], \"b\": {}, \"c\": [], \"s\": "
        "\"q\\\"b\\\\s\\u000a\\u0000\xc3\xa9\"}",
        "{\n  \"a\": [\n    1,\n    -2,\n    0.1,\n    1.0,\n    true,\n    null\n  ],\n  "
        "\"b\": {},\n  \"c\": [],\n  \"s\": \"q\\\"b\\\\s\\u000a\\u0000\xc3\xa9\"\n}"};
    for (int k = 0; k < 3; k++) {
        fedc_json_writer w;
        fedc_json_writer_init(&w, styles[k]);
        fedc_json_write_begin_object(&w);
        fedc_json_write_key(&w, "a");
        fedc_json_write_begin_array(&w);
        fedc_json_write_int(&w, 1);
        fedc_json_write_int(&w, -2);
        fedc_json_write_double(&w, 0.1);
        fedc_json_write_double(&w, 1.0);
        fedc_json_write_bool(&w, true);
        fedc_json_write_null(&w);
        fedc_json_write_end_array(&w);
        fedc_json_write_key(&w, "b");
        fedc_json_write_begin_object(&w);
        fedc_json_write_end_object(&w);
        fedc_json_write_key(&w, "c");
        fedc_json_write_begin_array(&w);
        fedc_json_write_end_array(&w);
        fedc_json_write_key(&w, "s");
        fedc_json_write_stringn(&w, "q\"b\\s\n\0\xc3\xa9", 9);
        fedc_json_write_end_object(&w);
        char *text;
        size_t len;
        ASSERT_OK(fedc_json_writer_finish(ctx, &w, "t", &text, &len));
        ASSERT_STREQ(text, want[k]);
        ASSERT_EQ(len, strlen(want[k]));
        fedc_free(text);
    }
}

TEST(writer_numbers_are_shortest_and_exact) {
    const double values[] = {0.1, 1e-3, 1.0 / 3, 2.5e300, -0.0, 123456789.0, 5e-324, 1e21};
    const char *want = "[0.1,0.001,0.3333333333333333,2.5e+300,-0.0,123456789.0,5e-324,1e+21,"
                       "18446744073709551615,-9223372036854775808]";
    fedc_json_writer w;
    fedc_json_writer_init(&w, FEDC_JSON_STYLE_COMPACT);
    fedc_json_write_begin_array(&w);
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
        fedc_json_write_double(&w, values[k]);
    fedc_json_write_uint(&w, UINT64_MAX);
    fedc_json_write_int(&w, INT64_MIN);
    fedc_json_write_end_array(&w);
    char *text;
    ASSERT_OK(fedc_json_writer_finish(ctx, &w, "t", &text, NULL));
    ASSERT_STREQ(text, want);
    fedc_json_doc *doc = parse_ok(ctx, text);
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
        ASSERT_EQ(fedc_json_number(fedc_json_at(fedc_json_doc_root(doc), k)), values[k]);
    fedc_json_doc_destroy(doc);
    fedc_free(text);
}

TEST(writer_misuse_is_reported_once) {
    static const struct {
        int what;
        const char *message;
    } cases[] = {
        {0, "t: writing JSON: a value in an object without a key"},
        {1, "a key inside an array"},
        {2, "an end that matches no begin"},
        {3, "a non-finite number (JSON has no NaN or Inf)"},
        {4, "an unfinished value"},
        {5, "a second top-level value"},
        {6, "a key without a value"},
        {7, "nesting deeper than FEDC_JSON_WRITER_MAX_DEPTH"},
        {8, "an unfinished value"},
        {9, "no value (NULL) to write"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fedc_json_writer w;
        fedc_json_writer_init(&w, FEDC_JSON_STYLE_COMPACT);
        switch (cases[k].what) {
        case 0:
            fedc_json_write_begin_object(&w);
            fedc_json_write_int(&w, 1);
            break;
        case 1:
            fedc_json_write_begin_array(&w);
            fedc_json_write_key(&w, "a");
            break;
        case 2:
            fedc_json_write_begin_array(&w);
            fedc_json_write_end_object(&w);
            break;
        case 3:
            fedc_json_write_begin_array(&w);
            fedc_json_write_double(&w, 0.0 / 0.0);
            fedc_json_write_end_array(&w);
            break;
        case 4: fedc_json_write_begin_array(&w); break;
        case 5:
            fedc_json_write_int(&w, 1);
            fedc_json_write_int(&w, 2);
            break;
        case 6:
            fedc_json_write_begin_object(&w);
            fedc_json_write_key(&w, "a");
            fedc_json_write_end_object(&w);
            break;
        case 7:
            for (int d = 0; d < 100; d++)
                fedc_json_write_begin_array(&w);
            break;
        case 8: break;
        case 9: fedc_json_write_value(&w, NULL); break;
        }
        char *text = (char *)&w;
        ASSERT_STATUS(fedc_json_writer_finish(ctx, &w, "t", &text, NULL),
                      FEDC_STATUS_INVALID_ARGUMENT);
        ASSERT_NULL(text);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), cases[k].message);
        fedc_json_writer_free(&w); /* already freed by finish: idempotent */
    }
}

static char *rewrite(fedc_ctx *ctx, const char *text, fedc_json_style style) {
    fedc_json_doc *doc = parse_ok(ctx, text);
    fedc_json_writer w;
    fedc_json_writer_init(&w, style);
    fedc_json_write_value(&w, fedc_json_doc_root(doc));
    char *out;
    ASSERT_OK(fedc_json_writer_finish(ctx, &w, "t", &out, NULL));
    fedc_json_doc_destroy(doc);
    return out;
}

TEST(round_trip_parse_write_parse) {
    const char *text = "{\"users\": [\"f_1\", \"caf\\u00e9\\ud83d\\ude00\", \"tab\\there\"], "
                       "\"x\": [[0.5, -1e2, 3, 1.7976931348623157e308, 5e-324]], "
                       "\"nested\": {\"a\": {\"b\": [true, false, null, {}]}, \"\": \"\"}, "
                       "\"big\": 9007199254740993, \"neg0\": -0, \"k\\u0000\": 1e3}";
    for (int style = 0; style < 3; style++) {
        char *once = rewrite(ctx, text, (fedc_json_style)style);
        char *twice = rewrite(ctx, once, (fedc_json_style)style);
        ASSERT_STREQ(once, twice);
        if (style == FEDC_JSON_STYLE_COMPACT) {
            ASSERT_CONTAINS(once, "\"big\":9007199254740993");
            ASSERT_CONTAINS(once, "\"caf\xc3\xa9\xf0\x9f\x98\x80\"");
            ASSERT_CONTAINS(once, "[0.5,-100,3,1.7976931348623157e+308,5e-324]");
            ASSERT_CONTAINS(once, "\"neg0\":-0.0,\"k\\u0000\":1000}");
        }
        fedc_free(once);
        fedc_free(twice);
    }
}

static const char sweep_text[] =
    "{\"a\": [1, 2.5, \"s\\u00e9\", {\"k\": null}], \"b\": {\"c\": [true, false]}, "
    "\"k0\": 0, \"k1\": 1, \"k2\": 2, \"k3\": 3, \"k4\": 4, \"k5\": 5, \"k6\": 6, \"k7\": 7, "
    "\"k8\": 8, \"k9\": 9, \"k10\": 10, \"k11\": 11, \"k12\": 12, \"k13\": 13, \"k14\": 14}";

static fedc_status sweep_parse(fedc_ctx *ctx, void *arg) {
    return fedc_json_parse(ctx, sweep_text, strlen(sweep_text), NULL, arg);
}

static void sweep_parse_cleanup(void *arg) {
    fedc_json_doc_destroy(*(fedc_json_doc **)arg);
    *(fedc_json_doc **)arg = NULL;
}

static fedc_status sweep_write(fedc_ctx *ctx, void *arg) {
    fedc_json_writer w;
    fedc_json_writer_init(&w, FEDC_JSON_STYLE_PRETTY);
    fedc_json_write_begin_array(&w);
    for (int k = 0; k < 200; k++) {
        fedc_json_write_begin_object(&w);
        fedc_json_write_key(&w, "name");
        fedc_json_write_string(&w, "a fairly long string so that the buffer must grow");
        fedc_json_write_key(&w, "k");
        fedc_json_write_int(&w, k);
        fedc_json_write_end_object(&w);
    }
    fedc_json_write_end_array(&w);
    return fedc_json_writer_finish(ctx, &w, "sweep", arg, NULL);
}

static void sweep_write_cleanup(void *arg) {
    fedc_free(*(char **)arg);
    *(char **)arg = NULL;
}

TEST(allocation_failures) {
    fedc_json_doc *doc = NULL;
    long n = fedc_test_alloc_sweep(ctx, sweep_parse, sweep_parse_cleanup, &doc);
    ASSERT_GE(n, 2); /* the arena, its block and the scratch stack */
    char *text = NULL;
    n = fedc_test_alloc_sweep(ctx, sweep_write, sweep_write_cleanup, &text);
    ASSERT_GE(n, 2);
}
