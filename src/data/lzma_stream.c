/* lzma_stream.c — recognizes LZMA-compressed files (xz, the legacy .lzma "alone" format, lzip)
 * by their first bytes and decompresses one into a file descriptor with Debian's liblzma. TFF
 * ships its datasets as NAME.sqlite.lzma and its downloader decompresses them with Python's
 * lzma.LZMADecompressor(), whose default FORMAT_AUTO takes xz and alone streams alike; liblzma's
 * auto decoder is that same decoder, so fedc accepts what TFF accepts. Nothing here knows about
 * caches or SQLite.
 */
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data/data_int.h"

static const uint8_t kXzMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t kLzipMagic[4] = {'L', 'Z', 'I', 'P'};

/* The alone format has no magic: a properties byte ((pb * 5 + lp) * 9 + lc < 225), a 32-bit
 * dictionary size and a 64-bit uncompressed size (all ones: unknown, ended by a marker). The
 * checks are liblzma's own "picky" ones for files without a .lzma suffix: a dictionary size of
 * 2^n or 2^n + 2^(n-1), and a known size below 256 GiB. */
static bool looks_like_alone(const uint8_t *head, size_t n) {
    if (n < 13 || head[0] >= 225) return false;
    uint32_t dict = (uint32_t)head[1] | (uint32_t)head[2] << 8 | (uint32_t)head[3] << 16 |
                    (uint32_t)head[4] << 24;
    if (dict != UINT32_MAX) {
        /* Round up to 2^n or 2^n + 2^(n-1); a valid size is its own rounding. */
        uint32_t d = dict - 1;
        d |= d >> 2;
        d |= d >> 3;
        d |= d >> 4;
        d |= d >> 8;
        d |= d >> 16;
        if (++d != dict) return false;
    }
    uint64_t size = 0;
    for (int i = 0; i < 8; i++)
        size |= (uint64_t)head[5 + i] << (8 * i);
    return size == UINT64_MAX || size < ((uint64_t)1 << 38);
}

fedc__lzma_format fedc__lzma_sniff(const uint8_t *head, size_t n) {
    if (n >= sizeof kXzMagic && memcmp(head, kXzMagic, sizeof kXzMagic) == 0) return FEDC__LZMA_XZ;
#if LZMA_VERSION >= 50040000 /* the auto decoder reads lzip since liblzma 5.4.0 */
    if (n >= sizeof kLzipMagic && memcmp(head, kLzipMagic, sizeof kLzipMagic) == 0)
        return FEDC__LZMA_LZIP;
#else
    (void)kLzipMagic;
#endif
    if (n >= 16 && memcmp(head, "SQLite format 3", 16) == 0) return FEDC__LZMA_NONE;
    if (looks_like_alone(head, n)) return FEDC__LZMA_ALONE;
    return FEDC__LZMA_NONE;
}

const char *fedc__lzma_format_name(fedc__lzma_format f) {
    switch (f) {
    case FEDC__LZMA_XZ: return "xz";
    case FEDC__LZMA_ALONE: return "lzma";
    case FEDC__LZMA_LZIP: return "lzip";
    default: return "uncompressed";
    }
}

static const char *lzma_why(lzma_ret ret) {
    switch (ret) {
    case LZMA_FORMAT_ERROR: return "not an xz or lzma stream";
    case LZMA_OPTIONS_ERROR: return "unsupported compression options";
    case LZMA_DATA_ERROR: return "compressed data is corrupt";
    case LZMA_BUF_ERROR: return "the stream is truncated";
    case LZMA_MEMLIMIT_ERROR:
    case LZMA_MEM_ERROR: return "out of memory";
    default: return "decoder error";
    }
}

/* Writes all of buf to fd, retrying short writes and EINTR. */
static int write_all(int fd, const uint8_t *buf, size_t n) {
    while (n) {
        ssize_t k = write(fd, buf, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

fedc_status fedc__lzma_decompress(fedc_ctx *ctx, const char *src_name, FILE *in,
                                  const char *out_name, int out_fd, uint64_t *out_size) {
    enum { CHUNK = 1 << 16 };
    static const lzma_stream init = LZMA_STREAM_INIT;
    lzma_stream strm = init;
    *out_size = 0;
    /* CONCATENATED: like `xz -d`, read every stream of a multi-stream .xz file. */
    lzma_ret ret = lzma_auto_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED);
    if (ret != LZMA_OK)
        return fedc_ctx_errorf(
            ctx, ret == LZMA_MEM_ERROR ? FEDC_STATUS_OUT_OF_MEMORY : FEDC_STATUS_INTERNAL,
            "%s: cannot start the lzma decoder (%s)", src_name, lzma_why(ret));
    uint8_t *inbuf = fedc_malloc(CHUNK), *outbuf = fedc_malloc(CHUNK);
    fedc_status st = FEDC_STATUS_OK;
    if (!inbuf || !outbuf)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot allocate buffers",
                             src_name);
    lzma_action action = LZMA_RUN;
    while (!st) {
        if (strm.avail_in == 0 && action == LZMA_RUN) {
            size_t got = fread(inbuf, 1, CHUNK, in);
            if (ferror(in)) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: read error at byte offset %llu: %s",
                                     src_name, (unsigned long long)strm.total_in, strerror(errno));
                break;
            }
            strm.next_in = inbuf;
            strm.avail_in = got;
            if (got < CHUNK && feof(in)) action = LZMA_FINISH;
        }
        strm.next_out = outbuf;
        strm.avail_out = CHUNK;
        ret = lzma_code(&strm, action);
        size_t produced = CHUNK - strm.avail_out;
        if (produced && write_all(out_fd, outbuf, produced) != 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO,
                                 "%s: cannot write the decompressed copy of %s: %s", out_name,
                                 src_name, strerror(errno));
            break;
        }
        if (ret == LZMA_STREAM_END) break;
        if (ret != LZMA_OK) {
            fedc_status code = ret == LZMA_MEM_ERROR || ret == LZMA_MEMLIMIT_ERROR
                                   ? FEDC_STATUS_OUT_OF_MEMORY
                                   : FEDC_STATUS_CORRUPT;
            st = fedc_ctx_errorf(ctx, code, "%s: byte offset %llu of the compressed stream: %s",
                                 src_name, (unsigned long long)strm.total_in, lzma_why(ret));
            break;
        }
    }
    *out_size = strm.total_out;
    lzma_end(&strm);
    fedc_free(inbuf);
    fedc_free(outbuf);
    return st;
}
