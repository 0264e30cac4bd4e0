/* inflate.c — a small DEFLATE (RFC 1951) and gzip (RFC 1952) decoder for the compressed IDX
 * files MNIST ships, so the library needs no zlib. Canonical-Huffman decoding bit by bit in the
 * manner of zlib's puff.c: simple and strictly checked rather than fast (MNIST's 47 MB in ~1 s).
 * Every error names the byte offset in the compressed input. Nothing here compresses or reads
 * files.
 */
#include <string.h>

#include "data/data_int.h"

enum { MAXBITS = 15, MAXLCODES = 286, MAXDCODES = 30, FIXLCODES = 288 };

typedef struct inflater {
    const uint8_t *in;
    size_t in_len, pos;
    uint32_t bitbuf;
    int bitcnt;
    uint8_t *out;
    size_t out_len, out_cap;
    const char *err; /* first error, with err_at its byte offset */
    size_t err_at;
    bool oom;
} inflater;

typedef struct huffman {
    short count[MAXBITS + 1];
    short symbol[FIXLCODES];
} huffman;

static void fail(inflater *s, const char *why) {
    if (!s->err) {
        s->err = why;
        s->err_at = s->pos;
    }
}

static int bits(inflater *s, int need) {
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->pos >= s->in_len) {
            fail(s, "compressed data ends early");
            return 0;
        }
        val |= (uint32_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return (int)(val & ((1u << need) - 1));
}

static bool put(inflater *s, size_t n) {
    if (s->out_len + n <= s->out_cap) return true;
    size_t ncap = s->out_cap ? s->out_cap : 1 << 16;
    while (ncap < s->out_len + n)
        ncap *= 2;
    uint8_t *no = fedc_realloc(s->out, ncap);
    if (!no) {
        s->oom = true;
        fail(s, "out of memory");
        return false;
    }
    s->out = no;
    s->out_cap = ncap;
    return true;
}

static int decode(inflater *s, const huffman *h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        code |= bits(s, 1);
        int count = h->count[len];
        if (code - count < first) return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    fail(s, "invalid Huffman code");
    return -1;
}

/* Builds the decoding tables; returns 0 for a complete code, > 0 incomplete, < 0 over-full. */
static int construct(huffman *h, const short *length, int n) {
    short offs[MAXBITS + 1];
    for (int len = 0; len <= MAXBITS; len++)
        h->count[len] = 0;
    for (int sym = 0; sym < n; sym++)
        h->count[length[sym]]++;
    if (h->count[0] == n) return 0;
    int left = 1;
    for (int len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++)
        offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int sym = 0; sym < n; sym++)
        if (length[sym] != 0) h->symbol[offs[length[sym]]++] = (short)sym;
    return left;
}

static void codes(inflater *s, const huffman *lencode, const huffman *distcode) {
    static const short lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = decode(s, lencode);
        if (s->err) return;
        if (sym < 256) {
            if (!put(s, 1)) return;
            s->out[s->out_len++] = (uint8_t)sym;
        } else if (sym == 256) {
            return;
        } else {
            sym -= 257;
            if (sym >= 29) {
                fail(s, "invalid length symbol");
                return;
            }
            size_t len = (size_t)(lbase[sym] + bits(s, lext[sym]));
            int dsym = decode(s, distcode);
            if (s->err) return;
            if (dsym >= 30) {
                fail(s, "invalid distance symbol");
                return;
            }
            size_t dist = (size_t)(dbase[dsym] + bits(s, dext[dsym]));
            if (s->err) return;
            if (dist > s->out_len) {
                fail(s, "distance too far back");
                return;
            }
            if (!put(s, len)) return;
            uint8_t *o = s->out + s->out_len;
            const uint8_t *from = o - dist;
            for (size_t k = 0; k < len; k++) /* may overlap: byte by byte */
                o[k] = from[k];
            s->out_len += len;
        }
    }
}

static void stored(inflater *s) {
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->pos + 4 > s->in_len) {
        fail(s, "compressed data ends early");
        return;
    }
    unsigned len = s->in[s->pos] | (unsigned)s->in[s->pos + 1] << 8;
    unsigned nlen = s->in[s->pos + 2] | (unsigned)s->in[s->pos + 3] << 8;
    if (len != (~nlen & 0xffff)) {
        fail(s, "stored block length check failed");
        return;
    }
    s->pos += 4;
    if (s->pos + len > s->in_len) {
        fail(s, "compressed data ends early");
        return;
    }
    if (!put(s, len)) return;
    if (len) memcpy(s->out + s->out_len, s->in + s->pos, len);
    s->out_len += len;
    s->pos += len;
}

static void fixed(inflater *s) {
    /* Built on every fixed block: cheap, and no shared mutable state between threads. */
    huffman lc, dc;
    short lengths[FIXLCODES];
    int sym = 0;
    for (; sym < 144; sym++)
        lengths[sym] = 8;
    for (; sym < 256; sym++)
        lengths[sym] = 9;
    for (; sym < 280; sym++)
        lengths[sym] = 7;
    for (; sym < FIXLCODES; sym++)
        lengths[sym] = 8;
    construct(&lc, lengths, FIXLCODES);
    for (sym = 0; sym < MAXDCODES; sym++)
        lengths[sym] = 5;
    construct(&dc, lengths, MAXDCODES);
    codes(s, &lc, &dc);
}

static void dynamic(inflater *s) {
    static const short order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
    short lengths[MAXLCODES + MAXDCODES];
    huffman lencode, distcode;
    int nlen = bits(s, 5) + 257, ndist = bits(s, 5) + 1, ncode = bits(s, 4) + 4;
    if (s->err) return;
    if (nlen > MAXLCODES || ndist > MAXDCODES) {
        fail(s, "bad code counts");
        return;
    }
    int index;
    for (index = 0; index < ncode; index++)
        lengths[order[index]] = (short)bits(s, 3);
    for (; index < 19; index++)
        lengths[order[index]] = 0;
    if (s->err) return;
    if (construct(&lencode, lengths, 19) != 0) {
        fail(s, "incomplete code-length code");
        return;
    }
    index = 0;
    while (index < nlen + ndist) {
        int sym = decode(s, &lencode);
        if (s->err) return;
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        short len = 0;
        int rep;
        if (sym == 16) {
            if (index == 0) {
                fail(s, "repeat with no first length");
                return;
            }
            len = lengths[index - 1];
            rep = 3 + bits(s, 2);
        } else if (sym == 17) {
            rep = 3 + bits(s, 3);
        } else {
            rep = 11 + bits(s, 7);
        }
        if (s->err) return;
        if (index + rep > nlen + ndist) {
            fail(s, "too many lengths");
            return;
        }
        while (rep--)
            lengths[index++] = len;
    }
    if (lengths[256] == 0) {
        fail(s, "no end-of-block code");
        return;
    }
    int err = construct(&lencode, lengths, nlen);
    if (err && (err < 0 || nlen != lencode.count[0] + lencode.count[1])) {
        fail(s, "incomplete literal/length code");
        return;
    }
    err = construct(&distcode, lengths + nlen, ndist);
    if (err && (err < 0 || ndist != distcode.count[0] + distcode.count[1])) {
        fail(s, "incomplete distance code");
        return;
    }
    codes(s, &lencode, &distcode);
}

static void inflate_stream(inflater *s) {
    int last;
    do {
        last = bits(s, 1);
        int type = bits(s, 2);
        if (s->err) return;
        if (type == 0)
            stored(s);
        else if (type == 1)
            fixed(s);
        else if (type == 2)
            dynamic(s);
        else {
            fail(s, "invalid block type 3");
            return;
        }
    } while (!last && !s->err);
}

/* The CRC-32 table is built per call (2,048 steps, nothing next to inflating a file), so there
 * is no shared state to initialize across threads. */
static void crc32_table(uint32_t *table) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32_of(const uint32_t *table, const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

fedc_status fedc__gunzip(fedc_ctx *ctx, const char *name, const void *data, size_t size,
                         uint8_t **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    inflater s;
    memset(&s, 0, sizeof s);
    s.in = data;
    s.in_len = size;
    if (size >= 18) { /* the last member's ISIZE: the usual total size, so one allocation */
        uint32_t isize = le32(s.in + size - 4);
        if (isize && isize < (1u << 30) && isize / 1032 <= size) put(&s, isize);
    }
    uint32_t table[256];
    crc32_table(table);
    size_t member = 0;
    while (!s.err && s.pos < size) {
        size_t start = s.pos;
        const uint8_t *h = s.in + s.pos;
        if (size - s.pos < 18 || h[0] != 0x1f || h[1] != 0x8b) {
            if (member > 0) break; /* trailing garbage after a member: ignored, as gzip -d */
            fedc_free(s.out);      /* the ISIZE guess above may have allocated */
            return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                   "%s: byte offset 0: not a gzip file (magic %02x %02x)", name,
                                   size > 0 ? h[0] : 0, size > 1 ? h[1] : 0);
        }
        if (h[2] != 8) {
            fedc_free(s.out);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                   "%s: byte offset %zu: gzip method %d is not deflate", name,
                                   start + 2, h[2]);
        }
        int flags = h[3];
        s.pos += 10;
        if (flags & 4) {
            if (s.pos + 2 > size) {
                s.pos = size;
                fail(&s, "gzip header runs past the end");
                break;
            }
            s.pos += 2 + (size_t)(s.in[s.pos] | s.in[s.pos + 1] << 8);
        }
        for (int f = 8; f <= 16; f += 8)
            if (flags & f) {
                while (s.pos < size && s.in[s.pos])
                    s.pos++;
                s.pos++;
            }
        if (flags & 2) s.pos += 2;
        if (s.pos >= size) {
            s.pos = size;
            fail(&s, "gzip header runs past the end");
            break;
        }
        size_t out_start = s.out_len;
        s.bitbuf = 0;
        s.bitcnt = 0;
        inflate_stream(&s);
        if (s.err) break;
        if (s.pos + 8 > size) {
            fail(&s, "gzip trailer missing");
            break;
        }
        uint32_t crc = le32(s.in + s.pos), isize = le32(s.in + s.pos + 4);
        /* an empty member may leave s.out NULL: no pointer arithmetic on it */
        const uint8_t *member_out = s.out_len > out_start ? s.out + out_start : NULL;
        if (crc != crc32_of(table, member_out, s.out_len - out_start)) {
            fail(&s, "CRC-32 mismatch");
            break;
        }
        if (isize != (uint32_t)(s.out_len - out_start)) {
            fail(&s, "size mismatch");
            break;
        }
        s.pos += 8;
        member++;
    }
    if (s.err) {
        fedc_free(s.out);
        return fedc_ctx_errorf(ctx, s.oom ? FEDC_STATUS_OUT_OF_MEMORY : FEDC_STATUS_CORRUPT,
                               "%s: gzip byte offset %zu: %s", name, s.err_at, s.err);
    }
    *out = s.out ? s.out : fedc_malloc(1);
    if (!*out) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: out of memory", name);
    *out_size = s.out_len;
    return FEDC_STATUS_OK;
}
