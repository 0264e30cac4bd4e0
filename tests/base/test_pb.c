/* test_pb.c — the base layer's protobuf wire primitives (fedc/base_pb.h): varints at their
 * size boundaries, zigzag, fixed fields, keys and nested lengths written and read back, and
 * every reader error with its byte offset: truncated and over-long varints, lengths past the
 * end, field number 0 and out of range, unsupported and wrong wire types, truncated fixed
 * fields; the writer under allocation failures.
 */
#include <string.h>

#include "fedc/base_pb.h"
#include "harness/harness.h"

/* Reads one varint from n bytes: expects `status`, and the message `want` on error. */
static void expect_varint(fedc_ctx *ctx, const char *bytes, size_t n, fedc_status status,
                          uint64_t value, const char *want) {
    fedc_pb_reader r = fedc_pb_reader_init(bytes, n, "msg");
    uint64_t v = 0;
    fedc_ctx_clear(ctx);
    fedc_status st = fedc_pb_read_varint(ctx, &r, &v);
    ASSERT_EQ(st, status);
    if (status == FEDC_STATUS_OK) {
        ASSERT_EQ(v, value);
        ASSERT_FALSE(fedc_pb_reader_more(&r));
    } else
        ASSERT_STREQ(fedc_ctx_message(ctx), want);
}

TEST(varints_round_trip_at_every_size) {
    static const uint64_t values[] = {0,          1,          127,        128,
                                      300,        16383,      16384,      UINT32_MAX,
                                      1ull << 35, 1ull << 56, 1ull << 63, UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        uint8_t buf[10];
        size_t n = (size_t)(fedc_pb_put_varint(buf, values[i]) - buf);
        ASSERT_EQ(n, fedc_pb_varint_size(values[i]));
        expect_varint(ctx, (const char *)buf, n, FEDC_STATUS_OK, values[i], NULL);
    }
    ASSERT_EQ(fedc_pb_varint_size(0), 1u);
    ASSERT_EQ(fedc_pb_varint_size(127), 1u);
    ASSERT_EQ(fedc_pb_varint_size(128), 2u);
    ASSERT_EQ(fedc_pb_varint_size(UINT64_MAX), 10u);
    /* the known answer from the protobuf encoding guide: 150 is 96 01 */
    expect_varint(ctx, "\x96\x01", 2, FEDC_STATUS_OK, 150, NULL);
    /* a non-minimal encoding is still a valid varint */
    expect_varint(ctx, "\x81\x80\x00", 3, FEDC_STATUS_OK, 1, NULL);
}

TEST(truncated_and_over_long_varints) {
    expect_varint(ctx, "", 0, FEDC_STATUS_CORRUPT, 0, "msg: byte offset 0: truncated varint");
    expect_varint(ctx, "\x80", 1, FEDC_STATUS_CORRUPT, 0, "msg: byte offset 0: truncated varint");
    expect_varint(ctx, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9, FEDC_STATUS_CORRUPT, 0,
                  "msg: byte offset 0: truncated varint");
    expect_varint(ctx, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, FEDC_STATUS_CORRUPT, 0,
                  "msg: byte offset 0: varint longer than 10 bytes");
    /* the offset is the varint's start, counted from the whole buffer */
    fedc_pb_reader r = fedc_pb_reader_init("\x05\x06\x80", 3, NULL);
    uint64_t v;
    ASSERT_OK(fedc_pb_read_varint(ctx, &r, &v));
    ASSERT_OK(fedc_pb_read_varint(ctx, &r, &v));
    ASSERT_STATUS(fedc_pb_read_varint(ctx, &r, &v), FEDC_STATUS_CORRUPT);
    ASSERT_STREQ(fedc_ctx_message(ctx), "data: byte offset 2: truncated varint");
}

/* Reads one field from n bytes: expects `status` and on error the message `want`. */
static void expect_field_error(fedc_ctx *ctx, const char *bytes, size_t n, const char *want) {
    fedc_pb_reader r = fedc_pb_reader_init(bytes, n, "msg");
    fedc_pb_field f;
    fedc_ctx_clear(ctx);
    ASSERT_STATUS(fedc_pb_read_field(ctx, &r, &f), FEDC_STATUS_CORRUPT);
    ASSERT_STREQ(fedc_ctx_message(ctx), want);
}

TEST(field_errors_name_the_field_and_its_offset) {
    expect_field_error(ctx, "\x02\x00", 2, "msg: byte offset 0: field number 0");
    expect_field_error(ctx, "\xf8\xff\xff\xff\x7f", 5,
                       "msg: byte offset 0: field number 4294967295 is out of range");
    expect_field_error(ctx, "\x0a\x05\x01\x02", 4,
                       "msg: byte offset 0: field 1 of length 5 runs past the end of its message "
                       "(2 bytes left)");
    expect_field_error(ctx, "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10,
                       "msg: byte offset 0: field 1 of length 144115188075855871 runs past the "
                       "end of its message (0 bytes left)");
    expect_field_error(ctx, "\x0a", 1, "msg: byte offset 1: truncated varint");
    expect_field_error(ctx, "\x08", 1, "msg: byte offset 1: truncated varint");
    expect_field_error(ctx, "\x0b", 1, "msg: byte offset 0: field 1 has unsupported wire type 3");
    expect_field_error(ctx, "\x0c", 1, "msg: byte offset 0: field 1 has unsupported wire type 4");
    expect_field_error(ctx, "\x0e", 1, "msg: byte offset 0: field 1 has unsupported wire type 6");
    expect_field_error(ctx, "\x0f", 1, "msg: byte offset 0: field 1 has unsupported wire type 7");
    expect_field_error(ctx, "\x0d\x01\x02\x03", 4, "msg: byte offset 0: truncated fixed field");
    expect_field_error(ctx, "\x09\x01\x02\x03\x04\x05\x06\x07", 8,
                       "msg: byte offset 0: truncated fixed field");
    /* a length checked against the enclosing window, not the whole buffer */
    fedc_pb_reader r = fedc_pb_reader_init("\x0a\x02\x12\x03\x00\x00\x00", 7, "msg");
    fedc_pb_field outer, inner;
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &outer));
    ASSERT_EQ(fedc_pb_reader_left(&outer.sub), 2u);
    ASSERT_STATUS(fedc_pb_read_field(ctx, &outer.sub, &inner), FEDC_STATUS_CORRUPT);
    ASSERT_STREQ(fedc_ctx_message(ctx), "msg: byte offset 2: field 2 of length 3 runs past the "
                                        "end of its message (0 bytes left)");
}

TEST(wrong_wire_types_are_named) {
    fedc_pb_reader r = fedc_pb_reader_init("\x00\x00\x10\x05", 4, "msg");
    r.p += 2; /* offsets count from the buffer's start */
    fedc_pb_field f;
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.num, 2u);
    ASSERT_EQ(f.wire, FEDC_PB_VARINT);
    ASSERT_EQ(f.value, 5u);
    ASSERT_OK(fedc_pb_expect_wire(ctx, &r, &f, FEDC_PB_VARINT, "Thing"));
    ASSERT_STATUS(fedc_pb_expect_wire(ctx, &r, &f, FEDC_PB_LEN, "Thing"), FEDC_STATUS_CORRUPT);
    ASSERT_STREQ(fedc_ctx_message(ctx), "msg: byte offset 2: field 2 of Thing has wire type 0, "
                                        "expected 2");
}

TEST(zigzag_and_fixed_widths) {
    /* the zigzag table of the protobuf encoding guide */
    ASSERT_EQ(fedc_pb_zigzag_encode(0), 0u);
    ASSERT_EQ(fedc_pb_zigzag_encode(-1), 1u);
    ASSERT_EQ(fedc_pb_zigzag_encode(1), 2u);
    ASSERT_EQ(fedc_pb_zigzag_encode(-2), 3u);
    ASSERT_EQ(fedc_pb_zigzag_encode(INT64_MAX), UINT64_MAX - 1);
    ASSERT_EQ(fedc_pb_zigzag_encode(INT64_MIN), UINT64_MAX);
    static const int64_t vs[] = {0, 1, -1, 63, -64, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
        ASSERT_EQ(fedc_pb_zigzag_decode(fedc_pb_zigzag_encode(vs[i])), vs[i]);
    const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
    ASSERT_EQ(fedc_pb_load_fixed32(b), 0x04030201u);
    ASSERT_EQ(fedc_pb_load_fixed64(b), 0x8807060504030201ull);
}

TEST(writer_fields_read_back) {
    fedc_pb_writer w;
    fedc_pb_writer_init(&w);
    fedc_pb_write_uint(&w, 1, 150);
    fedc_pb_write_sint(&w, 2, -3);
    fedc_pb_write_string(&w, 3, "testing");
    fedc_pb_write_fixed32(&w, 4, 0xdeadbeef);
    fedc_pb_write_fixed64(&w, 5, 0x0102030405060708ull);
    size_t outer = fedc_pb_writer_begin(&w, 6);
    size_t inner = fedc_pb_writer_begin(&w, 7);
    uint8_t big[200];
    memset(big, 0xab, sizeof big);
    fedc_pb_write_bytes(&w, 8, big, sizeof big); /* lengths of two bytes, nested */
    fedc_pb_writer_end(&w, inner);
    fedc_pb_writer_end(&w, outer);
    fedc_pb_write_bytes(&w, FEDC_PB_MAX_FIELD, NULL, 0);
    void *out;
    size_t len;
    ASSERT_OK(fedc_pb_writer_finish(ctx, &w, "test", &out, &len));
    ASSERT_NULL(w.buf);
    /* the known bytes of the guide's examples: field 1 = 150, field 3 = "testing" */
    ASSERT_TRUE(memcmp(out, "\x08\x96\x01\x10\x05\x1a\x07testing", 12) == 0);
    fedc_pb_reader r = fedc_pb_reader_init(out, len, "test");
    fedc_pb_field f;
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.value, 150u);
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(fedc_pb_zigzag_decode(f.value), -3);
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(fedc_pb_reader_left(&f.sub), 7u);
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.wire, FEDC_PB_I32);
    ASSERT_EQ(f.value, 0xdeadbeefu);
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.wire, FEDC_PB_I64);
    ASSERT_EQ(f.value, 0x0102030405060708ull);
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.num, 6u);
    ASSERT_EQ(fedc_pb_reader_left(&f.sub), 1u + 2u + 1u + 2u + 200u);
    fedc_pb_field g, h;
    ASSERT_OK(fedc_pb_read_field(ctx, &f.sub, &g));
    ASSERT_EQ(g.num, 7u);
    ASSERT_OK(fedc_pb_read_field(ctx, &g.sub, &h));
    ASSERT_EQ(h.num, 8u);
    ASSERT_EQ(fedc_pb_reader_left(&h.sub), 200u);
    ASSERT_EQ(h.sub.p[199], 0xab);
    ASSERT_FALSE(fedc_pb_reader_more(&f.sub));
    ASSERT_OK(fedc_pb_read_field(ctx, &r, &f));
    ASSERT_EQ(f.num, FEDC_PB_MAX_FIELD);
    ASSERT_EQ(fedc_pb_reader_left(&f.sub), 0u);
    ASSERT_FALSE(fedc_pb_reader_more(&r));
    fedc_free(out);
    /* an empty writer still hands over a buffer */
    fedc_pb_writer_init(&w);
    ASSERT_OK(fedc_pb_writer_finish(ctx, &w, "test", &out, &len));
    ASSERT_NOT_NULL(out);
    ASSERT_EQ(len, 0u);
    fedc_free(out);
}

static fedc_status write_op(fedc_ctx *ctx, void *arg) {
    void **out = arg;
    fedc_pb_writer w;
    fedc_pb_writer_init(&w);
    uint8_t big[5000] = {0};
    size_t m = fedc_pb_writer_begin(&w, 1);
    for (int i = 0; i < 4; i++)
        fedc_pb_write_bytes(&w, 2, big, sizeof big);
    fedc_pb_writer_end(&w, m);
    size_t len;
    return fedc_pb_writer_finish(ctx, &w, "a big message", out, &len);
}

static void write_cleanup(void *arg) {
    void **out = arg;
    fedc_free(*out);
    *out = NULL;
}

TEST(writer_reports_running_out_of_memory_once) {
    void *out = NULL;
    ASSERT_GE(fedc_test_alloc_sweep(ctx, write_op, write_cleanup, &out), 2);
    fedc_test_alloc_begin(1, true);
    fedc_status st = write_op(ctx, &out);
    fedc_test_alloc_end();
    ASSERT_STATUS(st, FEDC_STATUS_OUT_OF_MEMORY);
    ASSERT_NULL(out);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "out of memory writing a big message");
}
