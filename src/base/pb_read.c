/* pb_read.c — the bounds-checked protobuf wire reader (fedc/base_pb.h). Every byte read is
 * inside the reader's window; every error is CORRUPT and names the byte offset of the varint or
 * field that could not be read. Knows no schema, and must not allocate.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fedc/base_pb.h"

fedc_pb_reader fedc_pb_reader_init(const void *data, size_t size, const char *what) {
    fedc_pb_reader r;
    r.base = data;
    r.p = data;
    r.end = data ? (const uint8_t *)data + size : data;
    r.what = what ? what : "data";
    return r;
}

bool fedc_pb_reader_more(const fedc_pb_reader *r) { return r->p < r->end; }

size_t fedc_pb_reader_left(const fedc_pb_reader *r) { return (size_t)(r->end - r->p); }

size_t fedc_pb_offset(const fedc_pb_reader *r, const uint8_t *at) { return (size_t)(at - r->base); }

fedc_status fedc_pb_corrupt(fedc_ctx *ctx, const fedc_pb_reader *r, const uint8_t *at,
                            const char *fmt, ...) {
    char problem[FEDC_CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: byte offset %zu: %s", r->what,
                           fedc_pb_offset(r, at), problem);
}

fedc_status fedc_pb_read_varint(fedc_ctx *ctx, fedc_pb_reader *r, uint64_t *v) {
    uint64_t x = 0;
    const uint8_t *start = r->p;
    /* ten groups of 7 bits: the tenth holds bit 63 only; higher bits drop, as in protobuf */
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return fedc_pb_corrupt(ctx, r, start, "truncated varint");
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80) {
            *v = x;
            return FEDC_STATUS_OK;
        }
    }
    return fedc_pb_corrupt(ctx, r, start, "varint longer than 10 bytes");
}

fedc_status fedc_pb_read_field(fedc_ctx *ctx, fedc_pb_reader *r, fedc_pb_field *f) {
    memset(f, 0, sizeof *f);
    f->at = r->p;
    f->sub.base = r->base;
    f->sub.what = r->what;
    f->sub.p = f->sub.end = r->p;
    uint64_t key;
    fedc_status st = fedc_pb_read_varint(ctx, r, &key);
    if (st) return st;
    uint64_t num = key >> 3;
    f->wire = (fedc_pb_wire)(key & 7);
    if (num == 0) return fedc_pb_corrupt(ctx, r, f->at, "field number 0");
    if (num > FEDC_PB_MAX_FIELD)
        return fedc_pb_corrupt(ctx, r, f->at, "field number %llu is out of range",
                               (unsigned long long)num);
    f->num = (uint32_t)num;
    switch (f->wire) {
    case FEDC_PB_VARINT: return fedc_pb_read_varint(ctx, r, &f->value);
    case FEDC_PB_I64:
    case FEDC_PB_I32: {
        size_t n = f->wire == FEDC_PB_I64 ? 8 : 4;
        if (fedc_pb_reader_left(r) < n)
            return fedc_pb_corrupt(ctx, r, f->at, "truncated fixed field");
        f->value = n == 8 ? fedc_pb_load_fixed64(r->p) : fedc_pb_load_fixed32(r->p);
        f->sub.p = r->p;
        f->sub.end = r->p + n;
        r->p += n;
        return FEDC_STATUS_OK;
    }
    case FEDC_PB_LEN: {
        uint64_t len;
        st = fedc_pb_read_varint(ctx, r, &len);
        if (st) return st;
        if (len > (uint64_t)fedc_pb_reader_left(r))
            return fedc_pb_corrupt(
                ctx, r, f->at,
                "field %u of length %llu runs past the end of its message (%zu bytes left)", f->num,
                (unsigned long long)len, fedc_pb_reader_left(r));
        f->sub.p = r->p;
        f->sub.end = r->p + len;
        r->p += len;
        return FEDC_STATUS_OK;
    }
    default:
        return fedc_pb_corrupt(ctx, r, f->at, "field %u has unsupported wire type %d", f->num,
                               (int)f->wire);
    }
}

fedc_status fedc_pb_expect_wire(fedc_ctx *ctx, const fedc_pb_reader *r, const fedc_pb_field *f,
                                fedc_pb_wire want, const char *message) {
    if (f->wire == want) return FEDC_STATUS_OK;
    return fedc_pb_corrupt(ctx, r, f->at, "field %u of %s has wire type %d, expected %d", f->num,
                           message, (int)f->wire, (int)want);
}

int64_t fedc_pb_zigzag_decode(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

uint64_t fedc_pb_zigzag_encode(int64_t v) {
    /* shift the magnitude as unsigned: a left shift of a negative value is undefined in C */
    return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);
}

uint32_t fedc_pb_load_fixed32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t fedc_pb_load_fixed64(const uint8_t *p) {
    return (uint64_t)fedc_pb_load_fixed32(p) | (uint64_t)fedc_pb_load_fixed32(p + 4) << 32;
}
