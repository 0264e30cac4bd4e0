/* fedc/base_pb.h — the one protobuf wire-format reader and writer of fedc (part of the base
 * layer): varints, zigzag, field keys, length-delimited and fixed-width fields, a bounds-checked
 * reader whose errors name the byte offset, and a growable writer. tf.train.Example (data) and
 * the binary form of computations (core) are decoded and encoded with these; no protobuf
 * library is linked.
 *
 * Includes only fedc/base.h. Knows nothing of any schema: callers walk the fields of a message
 * and decide what each field number means. Must not grow reflection or descriptors.
 *
 * Wire format facts used here are those of the protobuf encoding documentation
 * (protobuf.dev/programming-guides/encoding): a key is the varint (field_number << 3 | wire_type);
 * varints are little-endian groups of 7 bits, at most 10 bytes for 64 bits; wire types 3 and 4
 * (groups) are deprecated and refused here.
 */
#ifndef FEDC_BASE_PB_H
#define FEDC_BASE_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fedc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wire types (the low three bits of a key). */
typedef enum fedc_pb_wire {
    FEDC_PB_VARINT = 0,
    FEDC_PB_I64 = 1, /* fixed64, sfixed64, double */
    FEDC_PB_LEN = 2, /* bytes, string, messages, packed repeated scalars */
    FEDC_PB_I32 = 5  /* fixed32, sfixed32, float */
} fedc_pb_wire;

/* The largest field number protobuf allows (2^29 - 1). */
#define FEDC_PB_MAX_FIELD 536870911u

/* ---------------------------------------------------------------------------------------------
 * Reading
 *
 * A fedc_pb_reader is a window [p, end) over a serialized message; `base` is the start of the
 * whole buffer, so offsets in messages count from there however deep the window is, and `what`
 * names the buffer in messages ("tf.train.Example", a file name). Readers are plain values:
 * copy them freely; they never own memory. Every read checks bounds; a failing read records
 * CORRUPT with `WHAT: byte offset N: PROBLEM` in ctx, where N is the offset of the item that was
 * being read (the start of the varint or of the field's key), and returns it.
 * Thread safety: readers touch only their own struct and the bytes they read.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_pb_reader {
    const uint8_t *base; /* start of the whole buffer, for offsets */
    const uint8_t *p;    /* next byte to read */
    const uint8_t *end;  /* one past the last byte of this window */
    const char *what;    /* names the buffer in messages; never NULL */
} fedc_pb_reader;

/* One field as read by fedc_pb_read_field. */
typedef struct fedc_pb_field {
    uint32_t num;       /* field number, 1 .. FEDC_PB_MAX_FIELD */
    fedc_pb_wire wire;  /* wire type */
    uint64_t value;     /* VARINT: the value; I32/I64: the little-endian bits */
    fedc_pb_reader sub; /* LEN: the payload as a window (same base); empty otherwise */
    const uint8_t *at;  /* where the field's key starts */
} fedc_pb_field;

/* A reader over `size` bytes at `data` (data may be NULL when size is 0). `what` (NULL: "data")
 * is borrowed and must outlive the reader. */
fedc_pb_reader fedc_pb_reader_init(const void *data, size_t size, const char *what);

/* Whether bytes are left in the window. */
bool fedc_pb_reader_more(const fedc_pb_reader *r);

/* Bytes left in the window. */
size_t fedc_pb_reader_left(const fedc_pb_reader *r);

/* The offset of `at` (a pointer into the buffer) from the start of the whole buffer. */
size_t fedc_pb_offset(const fedc_pb_reader *r, const uint8_t *at);

/* Records CORRUPT with `WHAT: byte offset N: ` followed by the formatted problem, where N is
 * the offset of `at`, and returns CORRUPT. For callers that find a well-framed field whose
 * content is wrong. */
fedc_status fedc_pb_corrupt(fedc_ctx *ctx, const fedc_pb_reader *r, const uint8_t *at,
                            const char *fmt, ...) FEDC_PRINTF(4, 5);

/* Reads one varint (at most 10 bytes) into *v. Errors: CORRUPT `truncated varint` when the
 * window ends inside it, `varint longer than 10 bytes` when the tenth byte still continues. On
 * error the reader's position is unspecified. */
fedc_status fedc_pb_read_varint(fedc_ctx *ctx, fedc_pb_reader *r, uint64_t *v);

/* Reads one field (key and payload) into *f and moves past it. LEN payloads are checked
 * against the window and returned as f->sub; I32/I64 bits go into f->value. Errors: CORRUPT
 * naming the field's offset for `field number 0`, a field number above 2^29 - 1, `field N has
 * unsupported wire type W` (groups and 6, 7), `truncated fixed field`, `field N of length L
 * runs past the end of its message (K bytes left)`, or the varint errors above. */
fedc_status fedc_pb_read_field(fedc_ctx *ctx, fedc_pb_reader *r, fedc_pb_field *f);

/* Checks that field f has wire type `want`; else records CORRUPT
 * `field N of MESSAGE has wire type W, expected X` at the field's key and returns it. */
fedc_status fedc_pb_expect_wire(fedc_ctx *ctx, const fedc_pb_reader *r, const fedc_pb_field *f,
                                fedc_pb_wire want, const char *message);

/* Zigzag (sint32/sint64) decoding and encoding. */
int64_t fedc_pb_zigzag_decode(uint64_t v);
uint64_t fedc_pb_zigzag_encode(int64_t v);

/* The 4 / 8 little-endian bytes at p as an integer (no alignment needed). */
uint32_t fedc_pb_load_fixed32(const uint8_t *p);
uint64_t fedc_pb_load_fixed64(const uint8_t *p);

/* ---------------------------------------------------------------------------------------------
 * Writing
 *
 * Two ways. Callers that compute sizes first (tf.train.Example) use fedc_pb_varint_size and
 * fedc_pb_put_varint on a buffer they allocated. Everyone else appends to a fedc_pb_writer: a
 * growable buffer from fedc_malloc. Nested messages are written in place between
 * fedc_pb_writer_begin and fedc_pb_writer_end, which then inserts the payload's length, so no
 * size pass is needed. Writer functions never fail on their own: running out of memory sets
 * `oom` and later writes do nothing, so one check at fedc_pb_writer_finish suffices. Output is
 * deterministic: the same calls give the same bytes.
 * Thread safety: one writer per thread.
 * ------------------------------------------------------------------------------------------- */

/* Bytes the varint encoding of v takes (1..10). */
size_t fedc_pb_varint_size(uint64_t v);

/* Writes the varint encoding of v at p (room for fedc_pb_varint_size(v) bytes) and returns the
 * position after it. */
uint8_t *fedc_pb_put_varint(uint8_t *p, uint64_t v);

typedef struct fedc_pb_writer {
    uint8_t *buf; /* fedc_malloc'd; NULL until the first write */
    size_t len, cap;
    bool oom; /* a write could not grow the buffer; everything after it was dropped */
} fedc_pb_writer;

/* An empty writer (no allocation yet). */
void fedc_pb_writer_init(fedc_pb_writer *w);

/* Frees what the writer holds and empties it. */
void fedc_pb_writer_reset(fedc_pb_writer *w);

/* Appends raw bytes / a varint / a key. num must be 1 .. FEDC_PB_MAX_FIELD (asserted). */
void fedc_pb_write_raw(fedc_pb_writer *w, const void *data, size_t n);
void fedc_pb_write_varint(fedc_pb_writer *w, uint64_t v);
void fedc_pb_write_key(fedc_pb_writer *w, uint32_t num, fedc_pb_wire wire);

/* Whole fields: key and value. uint: a VARINT field (uint32/uint64/int64/bool/enum); sint:
 * zigzag VARINT; bytes: LEN with n bytes (data may be NULL when n is 0); string: LEN with
 * strlen(s) bytes; fixed32/fixed64: I32/I64 in little-endian order. */
void fedc_pb_write_uint(fedc_pb_writer *w, uint32_t num, uint64_t v);
void fedc_pb_write_sint(fedc_pb_writer *w, uint32_t num, int64_t v);
void fedc_pb_write_bytes(fedc_pb_writer *w, uint32_t num, const void *data, size_t n);
void fedc_pb_write_string(fedc_pb_writer *w, uint32_t num, const char *s);
void fedc_pb_write_fixed32(fedc_pb_writer *w, uint32_t num, uint32_t v);
void fedc_pb_write_fixed64(fedc_pb_writer *w, uint32_t num, uint64_t v);

/* Starts a LEN field `num` (a nested message or a packed list): writes the key and returns a
 * mark to pass to fedc_pb_writer_end once the payload is written. Marks nest like brackets. */
size_t fedc_pb_writer_begin(fedc_pb_writer *w, uint32_t num);

/* Ends the LEN field opened by the matching begin: inserts the payload's length (varint)
 * before the payload. */
void fedc_pb_writer_end(fedc_pb_writer *w, size_t mark);

/* Hands the bytes over: *out (fedc_malloc'd, the caller fedc_frees it; never NULL on success,
 * even for zero bytes) and *len, and empties the writer. Errors: OUT_OF_MEMORY naming `what`
 * when any write ran out of memory (the writer is emptied, *out NULL, *len 0). */
fedc_status fedc_pb_writer_finish(fedc_ctx *ctx, fedc_pb_writer *w, const char *what, void **out,
                                  size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_BASE_PB_H */
