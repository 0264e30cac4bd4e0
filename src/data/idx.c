/* idx.c — reads IDX files (the format of MNIST, Fashion-MNIST and EMNIST's IDX release), plain
 * or gzip-compressed, into one owned tensor. Header errors and truncation name the file and the
 * byte offset. Nothing here partitions or writes data (importers do).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

fedc_status fedc__read_file(fedc_ctx *ctx, const char *path, uint8_t **out, size_t *size) {
    *out = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = fedc_malloc(cap);
    fedc_status st = FEDC_STATUS_OK;
    while (buf) {
        if (len == cap) {
            uint8_t *nb = fedc_realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (!buf || len == cap) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot hold the file in memory",
                             path);
    } else if (ferror(f)) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: read error at byte offset %zu", path, len);
    }
    fclose(f);
    if (st) {
        fedc_free(buf);
        return st;
    }
    *out = buf;
    *size = len;
    return FEDC_STATUS_OK;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static fedc_status parse_idx(fedc_ctx *ctx, const char *path, const uint8_t *b, size_t size,
                             fedc_tensor *out) {
    if (size < 4)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte offset %zu: IDX header truncated (%zu bytes)", path, size,
                               size);
    if (b[0] != 0 || b[1] != 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte offset 0: not an IDX file (magic %02x %02x %02x %02x)",
                               path, b[0], b[1], b[2], b[3]);
    int type = b[2], rank = b[3];
    fedc_dtype dtype;
    size_t esize;
    switch (type) {
    case 0x08: dtype = FEDC_DTYPE_UINT8, esize = 1; break;
    case 0x09: dtype = FEDC_DTYPE_INT32, esize = 1; break;
    case 0x0b: dtype = FEDC_DTYPE_INT32, esize = 2; break;
    case 0x0c: dtype = FEDC_DTYPE_INT32, esize = 4; break;
    case 0x0d: dtype = FEDC_DTYPE_FLOAT32, esize = 4; break;
    case 0x0e: dtype = FEDC_DTYPE_FLOAT64, esize = 8; break;
    default:
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte offset 2: unknown IDX element type 0x%02x", path, type);
    }
    if (rank < 1 || rank > FEDC_MAX_RANK)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: byte offset 3: IDX rank %d (fedc reads 1..%d)", path, rank,
                               FEDC_MAX_RANK);
    size_t header = 4 + 4 * (size_t)rank;
    if (size < header)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte offset %zu: IDX header truncated (needs %zu bytes)", path,
                               size, header);
    fedc_shape shape;
    memset(&shape, 0, sizeof shape);
    shape.rank = rank;
    uint64_t numel = 1, span = 1; /* span ignores zero dimensions, which would hide a product
                                     too large for the tensor's strides */
    for (int d = 0; d < rank; d++) {
        shape.dims[d] = be32(b + 4 + 4 * d);
        numel *= (uint64_t)shape.dims[d];
        span *= shape.dims[d] ? (uint64_t)shape.dims[d] : 1;
        if (span > ((uint64_t)1 << 40))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                   "%s: byte offset %d: IDX dimensions too large", path, 4 + 4 * d);
    }
    uint64_t need = numel * esize;
    if (size - header < need)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: byte offset %zu: IDX data truncated: %llu bytes expected after "
                               "the %zu-byte header, %zu found",
                               path, size, (unsigned long long)need, header, size - header);
    fedc_status st = fedc_tensor_alloc(ctx, out, dtype, &shape);
    if (st) return fedc_ctx_prefixf(ctx, "%s", path);
    const uint8_t *p = b + header;
    size_t n = (size_t)numel;
    switch (type) {
    case 0x08: memcpy(out->data, p, n); break;
    case 0x09:
        for (size_t i = 0; i < n; i++)
            ((int32_t *)out->data)[i] = (int8_t)p[i];
        break;
    case 0x0b:
        for (size_t i = 0; i < n; i++)
            ((int32_t *)out->data)[i] = (int16_t)(uint16_t)(p[2 * i] << 8 | p[2 * i + 1]);
        break;
    case 0x0c:
        for (size_t i = 0; i < n; i++)
            ((int32_t *)out->data)[i] = (int32_t)be32(p + 4 * i);
        break;
    case 0x0d:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = be32(p + 4 * i);
            memcpy((float *)out->data + i, &u, 4);
        }
        break;
    default:
        for (size_t i = 0; i < n; i++) {
            uint64_t u = (uint64_t)be32(p + 8 * i) << 32 | be32(p + 8 * i + 4);
            memcpy((double *)out->data + i, &u, 8);
        }
        break;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_idx_decode(fedc_ctx *ctx, const char *name, const void *data, size_t size,
                            fedc_tensor *out) {
    memset(out, 0, sizeof *out);
    const uint8_t *raw = data;
    if (size >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        uint8_t *plain;
        size_t plain_size;
        fedc_status st = fedc__gunzip(ctx, name, raw, size, &plain, &plain_size);
        if (st) return st;
        st = parse_idx(ctx, name, plain, plain_size, out);
        fedc_free(plain);
        return st;
    }
    return parse_idx(ctx, name, raw, size, out);
}

fedc_status fedc_idx_read(fedc_ctx *ctx, const char *path, fedc_tensor *out) {
    memset(out, 0, sizeof *out);
    uint8_t *raw;
    size_t size;
    fedc_status st = fedc__read_file(ctx, path, &raw, &size);
    if (st) return st;
    st = fedc_idx_decode(ctx, path, raw, size, out);
    fedc_free(raw);
    return st;
}
