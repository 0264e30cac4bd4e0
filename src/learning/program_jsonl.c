/* program_jsonl.c — the JSON lines metrics writer and its reader: one compact object per round,
 * {"round":R,"wall_time":T,"metrics":{NAME:VALUE,...}}, written with one write(2) each. The
 * reader is what resuming and `fedc report` use. Must not accept a line the writer would not
 * write (other than extra members, which are ignored).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "fedc/base_json.h"
#include "learning/program_int.h"

typedef struct jsonl_writer {
    char *path;
    int fd;
} jsonl_writer;

static void jsonl_destroy(void *self) {
    jsonl_writer *w = self;
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    fedc_free(w->path);
    fedc_free(w);
}

static fedc_status jsonl_write(fedc_ctx *ctx, void *self, const fedc_metrics_record *r) {
    jsonl_writer *w = self;
    fedc_json_writer jw;
    fedc_json_writer_init(&jw, FEDC_JSON_STYLE_COMPACT);
    fedc_json_write_begin_object(&jw);
    fedc_json_write_key(&jw, "round");
    fedc_json_write_int(&jw, fedc_metrics_record_round(r));
    fedc_json_write_key(&jw, "wall_time");
    double t = fedc_metrics_record_wall_time(r);
    if (isfinite(t))
        fedc_json_write_double(&jw, t);
    else
        fedc_json_write_null(&jw);
    fedc_json_write_key(&jw, "metrics");
    fedc_json_write_begin_object(&jw);
    for (size_t i = 0; i < fedc_metrics_record_count(r); i++) {
        fedc_json_write_key(&jw, fedc_metrics_record_name(r, i));
        double v = fedc_metrics_record_value(r, i);
        if (isfinite(v))
            fedc_json_write_double(&jw, v);
        else
            fedc_json_write_null(&jw); /* JSON has no NaN or infinity */
    }
    fedc_json_write_end_object(&jw);
    fedc_json_write_end_object(&jw);
    char *text;
    size_t len;
    fedc_status st = fedc_json_writer_finish(ctx, &jw, w->path, &text, &len);
    if (st < 0) return st;
    text[len] = '\n'; /* replaces the NUL: the line goes out in one write */
    st = fedc__prog_write_all(ctx, w->fd, w->path, text, len + 1);
    fedc_free(text);
    return st;
}

static const fedc_metrics_writer_ops k_jsonl_ops = {"jsonl", jsonl_write, jsonl_destroy};

/* Decodes one line into r. CORRUPT naming the path, line and offset when it is not a record. */
static fedc_status decode_line(fedc_ctx *ctx, const char *path, const char *line, size_t len,
                               size_t offset, size_t line_no, fedc_metrics_record **r) {
    fedc_json_opts opts = fedc_json_opts_default();
    opts.name = path;
    opts.base_offset = offset;
    fedc_json_doc *doc;
    fedc_status st = fedc_json_parse(ctx, line, len, &opts, &doc);
    if (st < 0) {
        if (st == FEDC_STATUS_PARSE) {
            char msg[FEDC_CTX_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", fedc_ctx_message(ctx));
            return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "line %zu: %s", line_no, msg);
        }
        return st;
    }
    const fedc_json *root = fedc_json_doc_root(doc);
    const fedc_json *metrics = fedc_json_get(root, "metrics");
    const fedc_json *wall = fedc_json_get(root, "wall_time");
    int64_t round;
    const char *why = NULL;
    if (fedc_json_type_of(root) != FEDC_JSON_OBJECT)
        why = "not an object";
    else if (!fedc_json_int64(fedc_json_get(root, "round"), &round) || round < 0)
        why = "no non-negative integer \"round\"";
    else if (fedc_json_type_of(wall) != FEDC_JSON_NUMBER &&
             fedc_json_type_of(wall) != FEDC_JSON_NULL)
        why = "no number \"wall_time\"";
    else if (fedc_json_type_of(metrics) != FEDC_JSON_OBJECT)
        why = "no object \"metrics\"";
    if (why) {
        fedc_json_doc_destroy(doc);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: line %zu (byte offset %zu): not a metrics record: %s", path,
                               line_no, offset, why);
    }
    double t = fedc_json_type_of(wall) == FEDC_JSON_NUMBER ? fedc_json_number(wall) : NAN;
    if (*r)
        fedc_metrics_record_reset(*r, round, t);
    else if ((st = fedc_metrics_record_create(ctx, round, t, r)) < 0)
        goto out;
    for (size_t i = 0; i < fedc_json_count(metrics); i++) {
        const fedc_json *v = fedc_json_at(metrics, i);
        const char *name = fedc_json_key_at(metrics, i, NULL);
        if (fedc_json_type_of(v) != FEDC_JSON_NUMBER && fedc_json_type_of(v) != FEDC_JSON_NULL) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: line %zu (byte offset %zu): metric '%s' is not a number",
                                 path, line_no, fedc_json_offset(v), name);
            goto out;
        }
        double value = fedc_json_type_of(v) == FEDC_JSON_NUMBER ? fedc_json_number(v) : NAN;
        if ((st = fedc_metrics_record_add(ctx, *r, name, value)) < 0) {
            if (st != FEDC_STATUS_OUT_OF_MEMORY)
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: line %zu (byte offset %zu): %s",
                                     path, line_no, fedc_json_offset(v), "bad metric name");
            goto out;
        }
    }
out:
    fedc_json_doc_destroy(doc);
    return st;
}

/* Walks the complete lines of text; calls fn for each record until fn asks to stop (returns
 * false through *stop). *end_of_kept gets the byte offset after the last line visited. */
typedef fedc_status (*line_fn)(fedc_ctx *ctx, void *user, const fedc_metrics_record *r, bool *stop);

static fedc_status walk(fedc_ctx *ctx, const char *path, const char *text, size_t size, line_fn fn,
                        void *user, size_t *end_of_kept) {
    fedc_metrics_record *r = NULL;
    fedc_status st = FEDC_STATUS_OK;
    size_t line_no = 0, start = 0;
    *end_of_kept = 0;
    while (start < size) {
        const char *nl = memchr(text + start, '\n', size - start);
        if (!nl) break; /* a torn last line: not a record */
        line_no++;
        size_t len = (size_t)(nl - (text + start));
        st = decode_line(ctx, path, text + start, len, start, line_no, &r);
        if (st < 0) break;
        bool stop = false;
        st = fn(ctx, user, r, &stop);
        if (st < 0 || stop) break;
        start += len + 1;
        *end_of_kept = start;
    }
    fedc_metrics_record_destroy(r);
    return st;
}

typedef struct keep_state {
    int64_t keep, last;
} keep_state;

static fedc_status keep_fn(fedc_ctx *ctx, void *user, const fedc_metrics_record *r, bool *stop) {
    (void)ctx;
    keep_state *k = user;
    int64_t round = fedc_metrics_record_round(r);
    if (round > k->keep)
        *stop = true;
    else
        k->last = round;
    return FEDC_STATUS_OK;
}

fedc_status fedc_metrics_jsonl_writer_create(fedc_ctx *ctx, const char *path,
                                             int64_t keep_through_round,
                                             fedc_metrics_writer **out) {
    *out = NULL;
    jsonl_writer *w = fedc_calloc(1, sizeof *w);
    if (!w || !(w->path = fedc_strdup(path))) {
        fedc_free(w);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", path);
    }
    w->fd = -1;
    keep_state k = {keep_through_round, -1};
    size_t cut = 0, size = 0;
    fedc_status st = FEDC_STATUS_OK;
    if (keep_through_round >= 0) {
        char *text = NULL;
        st = fedc__prog_read_file(ctx, path, true, &text, &size);
        if (st == FEDC_STATUS_NOT_FOUND) {
            fedc_ctx_clear(ctx);
            st = FEDC_STATUS_OK;
        } else if (st == FEDC_STATUS_OK) {
            st = walk(ctx, path, text, size, keep_fn, &k, &cut);
        }
        fedc_free(text);
    }
    if (st == FEDC_STATUS_OK) {
        int flags =
            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (keep_through_round < 0 ? O_TRUNC : 0);
        w->fd = open(path, flags, 0644);
        if (w->fd < 0)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot open %s: %s", path, strerror(errno));
    }
    if (st == FEDC_STATUS_OK && cut < size && ftruncate(w->fd, (off_t)cut) < 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot truncate %s: %s", path, strerror(errno));
    if (st < 0) {
        jsonl_destroy(w);
        return st;
    }
    return fedc_metrics_writer_create(ctx, &k_jsonl_ops, w, k.last, out);
}

typedef struct read_state {
    fedc_metrics_record_fn fn;
    void *user;
} read_state;

static fedc_status read_fn(fedc_ctx *ctx, void *user, const fedc_metrics_record *r, bool *stop) {
    (void)stop;
    read_state *rs = user;
    return rs->fn(ctx, rs->user, r);
}

fedc_status fedc_metrics_jsonl_read(fedc_ctx *ctx, const char *path, fedc_metrics_record_fn fn,
                                    void *user) {
    char *text;
    size_t size, end;
    fedc_status st = fedc__prog_read_file(ctx, path, false, &text, &size);
    if (st < 0) return st;
    read_state rs = {fn, user};
    st = walk(ctx, path, text, size, read_fn, &rs, &end);
    fedc_free(text);
    return st;
}
