/* program_tfevents.c — TensorBoard event files: the metrics writer and a reader. Records use
 * TFRecord framing (uint64 length, masked CRC32C of the length, data, masked CRC32C of the
 * data, all little-endian); each record is an Event protobuf. Field numbers are TensorFlow's
 * (tensorflow/core/util/event.proto: Event.wall_time = 1 double, step = 2 int64,
 * file_version = 3 string, summary = 5; tensorflow/core/framework/summary.proto:
 * Summary.value = 1 repeated, Value.tag = 1 string, Value.simple_value = 2 float). The first
 * record carries file_version "brain.Event:2", as TensorFlow's writers put there.
 *
 * Must not depend on a protobuf library: the few fields are encoded and decoded here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "learning/program_int.h"

#define EVENTS_PREFIX "events.out.tfevents."
#define FILE_VERSION "brain.Event:2"

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_BYTES = 2, WIRE_FIXED32 = 5 };

/* ---- encoding ---- */

static void put_varint(fedc__prog_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    fedc__prog_buf_append(b, tmp, n);
}

static void put_key(fedc__prog_buf *b, unsigned field, unsigned wire) {
    put_varint(b, (field << 3) | wire);
}

static void put_le(fedc__prog_buf *b, uint64_t v, size_t n) {
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    fedc__prog_buf_append(b, tmp, n);
}

static void put_double(fedc__prog_buf *b, unsigned field, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_key(b, field, WIRE_FIXED64);
    put_le(b, bits, 8);
}

static void put_bytes(fedc__prog_buf *b, unsigned field, const void *p, size_t n) {
    put_key(b, field, WIRE_BYTES);
    put_varint(b, n);
    fedc__prog_buf_append(b, p, n);
}

/* One Event for a round: wall_time, step, summary { value { tag, simple_value }... }. */
static void encode_round(fedc__prog_buf *event, fedc__prog_buf *scratch,
                         const fedc_metrics_record *r) {
    fedc__prog_buf summary = {0};
    put_double(event, 1, fedc_metrics_record_wall_time(r));
    put_key(event, 2, WIRE_VARINT);
    put_varint(event, (uint64_t)fedc_metrics_record_round(r));
    for (size_t i = 0; i < fedc_metrics_record_count(r); i++) {
        const char *tag = fedc_metrics_record_name(r, i);
        float v = (float)fedc_metrics_record_value(r, i);
        uint32_t bits;
        memcpy(&bits, &v, sizeof bits);
        scratch->len = 0;
        put_bytes(scratch, 1, tag, strlen(tag));
        put_key(scratch, 2, WIRE_FIXED32);
        put_le(scratch, bits, 4);
        put_bytes(&summary, 1, scratch->data, scratch->len);
    }
    put_bytes(event, 5, summary.data ? summary.data : "", summary.len);
    if (summary.oom) event->oom = true;
    fedc__prog_buf_free(&summary);
}

/* Frames `data` as one TFRecord into out. */
static void frame(fedc__prog_buf *out, const fedc__prog_buf *data) {
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)data->len >> (8 * i));
    fedc__prog_buf_append(out, len, 8);
    put_le(out, fedc_crc32c_mask(fedc_crc32c(0, len, 8)), 4);
    fedc__prog_buf_append(out, data->data ? data->data : "", data->len);
    put_le(out, fedc_crc32c_mask(fedc_crc32c(0, data->data ? data->data : "", data->len)), 4);
}

/* ---- decoding ---- */

static uint64_t get_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static bool get_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70 && *pos < n; shift += 7) {
        uint8_t byte = p[(*pos)++];
        if (shift == 63 && byte > 1) return false;
        v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* One protobuf field: its number, wire type, and its value (a varint or fixed value in *num;
 * a length-delimited value as [*sub, *sub + *sublen)). false when malformed. */
typedef struct pb_field {
    uint64_t field, wire, num;
    const uint8_t *sub;
    size_t sublen;
} pb_field;

static bool next_field(const uint8_t *p, size_t n, size_t *pos, pb_field *f) {
    uint64_t key;
    if (!get_varint(p, n, pos, &key)) return false;
    f->field = key >> 3;
    f->wire = key & 7;
    if (f->field == 0) return false;
    switch (f->wire) {
    case WIRE_VARINT: return get_varint(p, n, pos, &f->num);
    case WIRE_FIXED64:
        if (n - *pos < 8) return false;
        f->num = get_le(p + *pos, 8);
        *pos += 8;
        return true;
    case WIRE_FIXED32:
        if (n - *pos < 4) return false;
        f->num = get_le(p + *pos, 4);
        *pos += 4;
        return true;
    case WIRE_BYTES: {
        uint64_t len;
        if (!get_varint(p, n, pos, &len) || len > n - *pos) return false;
        f->sub = p + *pos;
        f->sublen = (size_t)len;
        *pos += (size_t)len;
        return true;
    }
    default: return false; /* groups are not in these messages */
    }
}

typedef struct decoded {
    fedc_metrics_record *record;
    fedc__prog_buf version, tag;
    bool has_version;
} decoded;

/* Decodes an Event into d. Returns a static reason on failure, NULL on success; *oom on an
 * allocation failure. */
static const char *decode_event(fedc_ctx *ctx, const uint8_t *p, size_t n, decoded *d, bool *oom) {
    double wall_time = 0;
    int64_t step = 0;
    const uint8_t *summary = NULL;
    size_t summary_len = 0;
    d->has_version = false;
    pb_field f;
    for (size_t pos = 0; pos < n;) {
        if (!next_field(p, n, &pos, &f)) return "malformed Event protobuf";
        if (f.field == 1 && f.wire == WIRE_FIXED64)
            memcpy(&wall_time, &f.num, sizeof wall_time);
        else if (f.field == 2 && f.wire == WIRE_VARINT)
            step = (int64_t)f.num;
        else if (f.field == 3 && f.wire == WIRE_BYTES) {
            d->version.len = 0;
            fedc__prog_buf_append(&d->version, f.sub, f.sublen);
            d->has_version = true;
        } else if (f.field == 5 && f.wire == WIRE_BYTES) {
            summary = f.sub;
            summary_len = f.sublen;
        }
    }
    if (step < 0) return "negative step";
    fedc_metrics_record_reset(d->record, step, wall_time);
    for (size_t pos = 0; pos < summary_len;) {
        if (!next_field(summary, summary_len, &pos, &f)) return "malformed Summary protobuf";
        if (f.field != 1 || f.wire != WIRE_BYTES) continue;
        bool has_tag = false, has_value = false;
        float value = 0;
        pb_field g;
        for (size_t vpos = 0; vpos < f.sublen;) {
            if (!next_field(f.sub, f.sublen, &vpos, &g)) return "malformed Summary.Value protobuf";
            if (g.field == 1 && g.wire == WIRE_BYTES) {
                d->tag.len = 0;
                fedc__prog_buf_append(&d->tag, g.sub, g.sublen);
                has_tag = true;
            } else if (g.field == 2 && g.wire == WIRE_FIXED32) {
                uint32_t bits = (uint32_t)g.num;
                memcpy(&value, &bits, sizeof value);
                has_value = true;
            }
        }
        if (d->tag.oom || d->version.oom) {
            *oom = true;
            return "out of memory";
        }
        if (!has_tag || !has_value) continue; /* images, histograms, tensors: not ours */
        if (memchr(d->tag.data, 0, d->tag.len)) return "a tag holds a NUL byte";
        fedc_status st = fedc_metrics_record_add(ctx, d->record, d->tag.data, value);
        if (st == FEDC_STATUS_OUT_OF_MEMORY) {
            *oom = true;
            return "out of memory";
        }
        if (st < 0) return "a tag is empty, repeated or holds a control character";
    }
    if (d->version.oom) {
        *oom = true;
        return "out of memory";
    }
    return NULL;
}

/* Walks the records of an event file. For each event calls fn (which may set *stop). A record
 * cut short at the end of the file is CORRUPT unless allow_torn, when the walk just ends there.
 * *kept gets the byte offset after the last event visited and not stopped at. */
typedef fedc_status (*event_fn)(fedc_ctx *ctx, void *user, const decoded *d, bool *stop);

static fedc_status walk(fedc_ctx *ctx, const char *path, const uint8_t *p, size_t size,
                        bool allow_torn, event_fn fn, void *user, size_t *kept) {
    decoded d = {0};
    fedc_status st = fedc_metrics_record_create(ctx, 0, 0, &d.record);
    if (st < 0) return st;
    size_t pos = 0;
    *kept = 0;
    while (pos < size) {
        size_t left = size - pos;
        if (left < 12) {
            if (allow_torn) break;
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset %zu: record header cut short (%zu of 12 bytes)",
                                 path, pos, left);
            break;
        }
        uint64_t len = get_le(p + pos, 8);
        if (fedc_crc32c_mask(fedc_crc32c(0, p + pos, 8)) != (uint32_t)get_le(p + pos + 8, 4)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset %zu: record length fails its CRC", path, pos);
            break;
        }
        if (len > left - 12 || left - 12 - len < 4) {
            if (allow_torn) break;
            st =
                fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                "%s: byte offset %zu: record of %llu bytes cut short by the end of "
                                "the file",
                                path, pos, (unsigned long long)len);
            break;
        }
        const uint8_t *data = p + pos + 12;
        if (fedc_crc32c_mask(fedc_crc32c(0, data, (size_t)len)) !=
            (uint32_t)get_le(data + len, 4)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset %zu: record data fails its CRC", path, pos + 12);
            break;
        }
        bool oom = false;
        const char *why = decode_event(ctx, data, (size_t)len, &d, &oom);
        if (why) {
            st = oom ? fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading %s",
                                       path)
                     : fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: byte offset %zu: %s", path,
                                       pos + 12, why);
            break;
        }
        bool stop = false;
        st = fn(ctx, user, &d, &stop);
        if (st < 0 || stop) break;
        pos += 12 + (size_t)len + 4;
        *kept = pos;
    }
    fedc_metrics_record_destroy(d.record);
    fedc__prog_buf_free(&d.version);
    fedc__prog_buf_free(&d.tag);
    return st;
}

typedef struct read_state {
    fedc_tfevents_fn fn;
    void *user;
} read_state;

static fedc_status read_one(fedc_ctx *ctx, void *user, const decoded *d, bool *stop) {
    (void)stop;
    read_state *rs = user;
    return rs->fn(ctx, rs->user, d->has_version ? d->version.data : NULL, d->record);
}

fedc_status fedc_tfevents_read(fedc_ctx *ctx, const char *path, fedc_tfevents_fn fn, void *user) {
    char *text;
    size_t size, kept;
    fedc_status st = fedc__prog_read_file(ctx, path, false, &text, &size);
    if (st < 0) return st;
    read_state rs = {fn, user};
    st = walk(ctx, path, (const uint8_t *)text, size, false, read_one, &rs, &kept);
    fedc_free(text);
    return st;
}

/* ---- the writer ---- */

typedef struct tfe_writer {
    char *path;
    int fd;
} tfe_writer;

static void tfe_destroy(void *self) {
    tfe_writer *w = self;
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    fedc_free(w->path);
    fedc_free(w);
}

static fedc_status write_event(fedc_ctx *ctx, tfe_writer *w, const fedc__prog_buf *event) {
    fedc__prog_buf rec = {0};
    frame(&rec, event);
    fedc_status st = fedc__prog_buf_check(ctx, &rec, w->path);
    if (st == FEDC_STATUS_OK) st = fedc__prog_write_all(ctx, w->fd, w->path, rec.data, rec.len);
    fedc__prog_buf_free(&rec);
    return st;
}

static fedc_status tfe_write(fedc_ctx *ctx, void *self, const fedc_metrics_record *r) {
    tfe_writer *w = self;
    fedc__prog_buf event = {0}, scratch = {0};
    encode_round(&event, &scratch, r);
    fedc_status st = fedc__prog_buf_check(ctx, &event, w->path);
    if (st == FEDC_STATUS_OK) st = fedc__prog_buf_check(ctx, &scratch, w->path);
    if (st == FEDC_STATUS_OK) st = write_event(ctx, w, &event);
    fedc__prog_buf_free(&event);
    fedc__prog_buf_free(&scratch);
    return st;
}

static const fedc_metrics_writer_ops k_tfe_ops = {"tfevents", tfe_write, tfe_destroy};

fedc_tfevents_opts fedc_tfevents_opts_default(void) {
    fedc_tfevents_opts o = {0, NULL};
    return o;
}

/* The seconds in an event file's name; false when the name is not one. */
static bool events_name_time(const char *name, long long *secs) {
    size_t plen = strlen(EVENTS_PREFIX);
    if (strncmp(name, EVENTS_PREFIX, plen) != 0) return false;
    char *end;
    errno = 0;
    *secs = strtoll(name + plen, &end, 10);
    return end != name + plen && *end == '.' && !errno;
}

typedef struct cut_state {
    int64_t keep, last;
} cut_state;

static fedc_status cut_fn(fedc_ctx *ctx, void *user, const decoded *d, bool *stop) {
    (void)ctx;
    cut_state *c = user;
    if (d->has_version) return FEDC_STATUS_OK;
    int64_t round = fedc_metrics_record_round(d->record);
    if (round > c->keep)
        *stop = true;
    else if (round > c->last)
        c->last = round;
    return FEDC_STATUS_OK;
}

/* Cuts one existing file after the kept rounds. */
static fedc_status cut_file(fedc_ctx *ctx, const char *path, cut_state *c) {
    char *text;
    size_t size, kept;
    fedc_status st = fedc__prog_read_file(ctx, path, false, &text, &size);
    if (st < 0) return st;
    st = walk(ctx, path, (const uint8_t *)text, size, true, cut_fn, c, &kept);
    fedc_free(text);
    if (st == FEDC_STATUS_OK && kept < size && truncate(path, (off_t)kept) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot truncate %s: %s", path, strerror(errno));
    return st;
}

/* Fresh: removes the existing event files. Resume: cuts them and picks the newest into
 * *newest (fedc_malloc'd; NULL when none). */
static fedc_status prepare_dir(fedc_ctx *ctx, const char *dir, bool fresh, cut_state *c,
                               char **newest) {
    *newest = NULL;
    DIR *dh = opendir(dir);
    if (!dh)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot read directory %s: %s", dir,
                               strerror(errno));
    fedc_status st = FEDC_STATUS_OK;
    long long best = 0;
    char *best_name = NULL;
    struct dirent *e;
    while (st == FEDC_STATUS_OK && (e = readdir(dh)) != NULL) {
        long long secs;
        if (!events_name_time(e->d_name, &secs)) continue;
        char *path = fedc__prog_path_join(dir, e->d_name);
        if (!path) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory listing %s", dir);
            break;
        }
        if (fresh) {
            if (unlink(path) < 0)
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot remove %s: %s", path,
                                     strerror(errno));
            fedc_free(path);
            continue;
        }
        st = cut_file(ctx, path, c);
        /* the newest by the seconds in the name; equal seconds: the greater name, so the
         * choice does not depend on the directory's order */
        if (st == FEDC_STATUS_OK &&
            (!best_name || secs > best || (secs == best && strcmp(path, best_name) > 0))) {
            fedc_free(best_name);
            best_name = path;
            best = secs;
        } else {
            fedc_free(path);
        }
    }
    closedir(dh);
    if (st < 0) {
        fedc_free(best_name);
        return st;
    }
    *newest = best_name;
    return FEDC_STATUS_OK;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

fedc_status fedc_metrics_tfevents_writer_create(fedc_ctx *ctx, const char *dir,
                                                int64_t keep_through_round,
                                                const fedc_tfevents_opts *opts,
                                                fedc_metrics_writer **out, char **path_out) {
    *out = NULL;
    if (path_out) *path_out = NULL;
    fedc_tfevents_opts o = opts ? *opts : fedc_tfevents_opts_default();
    fedc_status st = fedc__prog_ensure_dir(ctx, dir);
    if (st < 0) return st;
    tfe_writer *w = fedc_calloc(1, sizeof *w);
    if (!w) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", dir);
    w->fd = -1;
    cut_state c = {keep_through_round, -1};
    st = prepare_dir(ctx, dir, keep_through_round < 0, &c, &w->path);
    if (st < 0) goto fail;
    if (w->path) {
        w->fd = open(w->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (w->fd < 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot open %s: %s", w->path,
                                 strerror(errno));
            goto fail;
        }
    } else {
        char host[256];
        if (o.hostname)
            snprintf(host, sizeof host, "%s", o.hostname);
        else if (gethostname(host, sizeof host) < 0)
            snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = '\0';
        double t = o.file_time ? (double)o.file_time : now_seconds();
        char name[512];
        snprintf(name, sizeof name, EVENTS_PREFIX "%lld.%s", (long long)t, host);
        if (!(w->path = fedc__prog_path_join(dir, name))) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", dir);
            goto fail;
        }
        w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot create %s: %s", w->path,
                                 strerror(errno));
            goto fail;
        }
        fedc__prog_buf event = {0};
        put_double(&event, 1, t);
        put_bytes(&event, 3, FILE_VERSION, strlen(FILE_VERSION));
        st = fedc__prog_buf_check(ctx, &event, w->path);
        if (st == FEDC_STATUS_OK) st = write_event(ctx, w, &event);
        fedc__prog_buf_free(&event);
        if (st < 0) goto fail;
    }
    if (path_out && !(*path_out = fedc_strdup(w->path))) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", dir);
        goto fail;
    }
    st = fedc_metrics_writer_create(ctx, &k_tfe_ops, w, c.last, out);
    if (st < 0 && path_out) {
        fedc_free(*path_out);
        *path_out = NULL;
    }
    return st;
fail:
    tfe_destroy(w);
    return st;
}
