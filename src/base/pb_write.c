/* pb_write.c — the protobuf wire writer (fedc/base_pb.h): varints and fields appended to a
 * growable buffer, nested messages closed by inserting their length. Running out of memory is
 * sticky and reported once by fedc_pb_writer_finish; must not record into a ctx anywhere else.
 */
#include <assert.h>
#include <string.h>

#include "fedc/base_pb.h"

size_t fedc_pb_varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

uint8_t *fedc_pb_put_varint(uint8_t *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

void fedc_pb_writer_init(fedc_pb_writer *w) { memset(w, 0, sizeof *w); }

void fedc_pb_writer_reset(fedc_pb_writer *w) {
    fedc_free(w->buf);
    fedc_pb_writer_init(w);
}

/* Makes room for n more bytes; false (and oom set) when it cannot. */
static bool reserve(fedc_pb_writer *w, size_t n) {
    if (w->oom) return false;
    if (n <= w->cap - w->len) return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len < n) {
        if (cap > SIZE_MAX / 2) {
            w->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *grown = fedc_realloc(w->buf, cap);
    if (!grown) {
        w->oom = true;
        return false;
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

void fedc_pb_write_raw(fedc_pb_writer *w, const void *data, size_t n) {
    if (n == 0 || !reserve(w, n)) return;
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

void fedc_pb_write_varint(fedc_pb_writer *w, uint64_t v) {
    if (!reserve(w, 10)) return;
    w->len = (size_t)(fedc_pb_put_varint(w->buf + w->len, v) - w->buf);
}

void fedc_pb_write_key(fedc_pb_writer *w, uint32_t num, fedc_pb_wire wire) {
    assert(num >= 1 && num <= FEDC_PB_MAX_FIELD);
    fedc_pb_write_varint(w, (uint64_t)num << 3 | (uint64_t)wire);
}

void fedc_pb_write_uint(fedc_pb_writer *w, uint32_t num, uint64_t v) {
    fedc_pb_write_key(w, num, FEDC_PB_VARINT);
    fedc_pb_write_varint(w, v);
}

void fedc_pb_write_sint(fedc_pb_writer *w, uint32_t num, int64_t v) {
    fedc_pb_write_uint(w, num, fedc_pb_zigzag_encode(v));
}

void fedc_pb_write_bytes(fedc_pb_writer *w, uint32_t num, const void *data, size_t n) {
    fedc_pb_write_key(w, num, FEDC_PB_LEN);
    fedc_pb_write_varint(w, n);
    fedc_pb_write_raw(w, data, n);
}

void fedc_pb_write_string(fedc_pb_writer *w, uint32_t num, const char *s) {
    fedc_pb_write_bytes(w, num, s, strlen(s));
}

void fedc_pb_write_fixed32(fedc_pb_writer *w, uint32_t num, uint32_t v) {
    fedc_pb_write_key(w, num, FEDC_PB_I32);
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fedc_pb_write_raw(w, b, sizeof b);
}

void fedc_pb_write_fixed64(fedc_pb_writer *w, uint32_t num, uint64_t v) {
    fedc_pb_write_key(w, num, FEDC_PB_I64);
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fedc_pb_write_raw(w, b, sizeof b);
}

size_t fedc_pb_writer_begin(fedc_pb_writer *w, uint32_t num) {
    fedc_pb_write_key(w, num, FEDC_PB_LEN);
    /* one byte for the length: enough for payloads below 128 bytes, the common case */
    uint8_t placeholder = 0;
    fedc_pb_write_raw(w, &placeholder, 1);
    return w->len;
}

void fedc_pb_writer_end(fedc_pb_writer *w, size_t mark) {
    if (w->oom) return;
    assert(mark >= 1 && mark <= w->len);
    size_t payload = w->len - mark;
    size_t extra = fedc_pb_varint_size(payload) - 1;
    if (extra > 0) {
        if (!reserve(w, extra)) return;
        /* A longer length moves the payload up. Each enclosing message of 128 bytes or more
         * moves it again, O(bytes x depth): fine for the shallow messages fedc writes, and it
         * saves a separate pass to compute sizes. */
        memmove(w->buf + mark + extra, w->buf + mark, payload);
        w->len += extra;
    }
    fedc_pb_put_varint(w->buf + mark - 1, payload);
}

fedc_status fedc_pb_writer_finish(fedc_ctx *ctx, fedc_pb_writer *w, const char *what, void **out,
                                  size_t *len) {
    *out = NULL;
    *len = 0;
    if (!w->oom && !w->buf) reserve(w, 1); /* a buffer even for an empty message */
    if (w->oom) {
        size_t had = w->len;
        fedc_pb_writer_reset(w);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory writing %s (%zu bytes written)",
                               what ? what : "a protobuf message", had);
    }
    *out = w->buf;
    *len = w->len;
    fedc_pb_writer_init(w);
    return FEDC_STATUS_OK;
}
