/* program_csv.c — the CSV metrics writer: a header "round,wall_time,NAME..." and one row per
 * round. Columns are the union of the names seen; a new name rewrites the file with the column
 * appended (earlier rows get an empty cell), so metrics that start late still get a column.
 * Resuming keeps the rows up to a round and cuts the rest. Must not buffer a row past write().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learning/program_int.h"

typedef struct csv_writer {
    char *path;
    int fd; /* O_APPEND; reopened after a rewrite replaced the file */
    char **names;
    size_t nnames, cap;
    bool has_header;
} csv_writer;

static void csv_destroy(void *self) {
    csv_writer *w = self;
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    for (size_t i = 0; i < w->nnames; i++)
        fedc_free(w->names[i]);
    fedc_free(w->names);
    fedc_free(w->path);
    fedc_free(w);
}

static bool add_name(csv_writer *w, const char *name, size_t len) {
    if (w->nnames == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        char **names = fedc_realloc(w->names, cap * sizeof *names);
        if (!names) return false;
        w->names = names;
        w->cap = cap;
    }
    char *copy = fedc_malloc(len + 1);
    if (!copy) return false;
    memcpy(copy, name, len);
    copy[len] = '\0';
    w->names[w->nnames++] = copy;
    return true;
}

static void put_field(fedc__prog_buf *b, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fedc__prog_buf_puts(b, s);
        return;
    }
    fedc__prog_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') fedc__prog_buf_append(b, "\"", 1);
        fedc__prog_buf_append(b, s, 1);
    }
    fedc__prog_buf_append(b, "\"", 1);
}

static void put_header(fedc__prog_buf *b, const csv_writer *w) {
    fedc__prog_buf_puts(b, "round,wall_time");
    for (size_t i = 0; i < w->nnames; i++) {
        fedc__prog_buf_append(b, ",", 1);
        put_field(b, w->names[i]);
    }
    fedc__prog_buf_append(b, "\n", 1);
}

/* Reads one field of an RFC 4180 line (which ends at `end`, before its newline) starting at
 * *pos, into out (unquoted). *more tells whether a comma followed (another field comes); *pos
 * is left after it. Returns false for a malformed quoted field. */
static bool read_field(const char *line, size_t *pos, size_t end, fedc__prog_buf *out, bool *more) {
    out->len = 0;
    fedc__prog_buf_append(out, "", 0);
    size_t i = *pos;
    if (i < end && line[i] == '"') {
        i++;
        for (;;) {
            if (i >= end) return false;
            if (line[i] == '"') {
                if (i + 1 < end && line[i + 1] == '"') {
                    fedc__prog_buf_append(out, "\"", 1);
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            fedc__prog_buf_append(out, line + i, 1);
            i++;
        }
        if (i < end && line[i] != ',') return false;
    } else {
        size_t start = i;
        while (i < end && line[i] != ',')
            i++;
        fedc__prog_buf_append(out, line + start, i - start);
    }
    *more = i < end;
    *pos = *more ? i + 1 : end;
    return true;
}

/* Counts the fields of a line. -1 when malformed. */
static long count_fields(const char *line, size_t end, fedc__prog_buf *scratch) {
    size_t pos = 0;
    long n = 0;
    bool more = true;
    while (more) {
        if (!read_field(line, &pos, end, scratch, &more)) return -1;
        n++;
    }
    return n;
}

/* Reads an existing file for a resume: columns from the header, the rows of rounds <= keep;
 * *cut receives the byte length to keep, *last the last round kept. */
static fedc_status csv_scan(fedc_ctx *ctx, csv_writer *w, const char *text, size_t size,
                            int64_t keep, size_t *cut, int64_t *last) {
    *cut = 0;
    *last = -1;
    const char *nl = memchr(text, '\n', size);
    if (!nl) return FEDC_STATUS_OK; /* empty or a torn header: start over */
    size_t hend = (size_t)(nl - text), hlen = hend;
    if (hlen && text[hlen - 1] == '\r') hlen--;
    fedc__prog_buf field = {0};
    fedc_status st = FEDC_STATUS_OK;
    size_t pos = 0;
    bool more = true;
    const char *want[2] = {"round", "wall_time"};
    for (int k = 0; k < 2; k++) {
        bool ok = more && read_field(text, &pos, hlen, &field, &more);
        if (field.oom) goto oom;
        if (!ok || strcmp(field.data, want[k]) != 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset 0: header does not start with round,wall_time",
                                 w->path);
            goto done;
        }
    }
    while (more) {
        size_t at = pos;
        if (!read_field(text, &pos, hlen, &field, &more)) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: byte offset %zu: malformed quoted column name", w->path, at);
            goto done;
        }
        if (field.oom || !add_name(w, field.data, field.len)) goto oom;
    }
    w->has_header = true;
    *cut = hend + 1;
    long want_fields = 2 + (long)w->nnames;
    size_t line_no = 1;
    for (size_t start = hend + 1; start < size;) {
        line_no++;
        const char *e = memchr(text + start, '\n', size - start);
        if (!e) break; /* a torn last row: cut */
        size_t end = (size_t)(e - text), len = end - start;
        if (len && text[end - 1] == '\r') len--;
        long nf = count_fields(text + start, len, &field);
        size_t p = 0;
        char *num_end = NULL;
        long long round = -1;
        if (nf >= 0 && read_field(text + start, &p, len, &field, &more) && field.len) {
            errno = 0;
            round = strtoll(field.data, &num_end, 10);
        }
        if (field.oom) goto oom;
        if (nf != want_fields || !num_end || *num_end || errno || round < 0) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "%s: line %zu (byte offset %zu): expected a row of %ld fields "
                                 "starting with a round number",
                                 w->path, line_no, start, want_fields);
            goto done;
        }
        if (round > keep) break;
        *last = round;
        start = end + 1;
        *cut = start;
    }
    goto done;
oom:
    st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading %s", w->path);
done:
    fedc__prog_buf_free(&field);
    if (field.oom && st == FEDC_STATUS_OK)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading %s", w->path);
    return st;
}

static fedc_status open_append(fedc_ctx *ctx, csv_writer *w, bool truncate) {
    if (w->fd >= 0) close(w->fd);
    w->fd =
        open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (w->fd < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot open %s: %s", w->path, strerror(errno));
    return FEDC_STATUS_OK;
}

/* Rewrites the file with the header of the current columns, `added` empty cells appended to
 * every row. */
static fedc_status rewrite_with_columns(fedc_ctx *ctx, csv_writer *w, size_t added) {
    char *text;
    size_t size;
    fedc_status st = fedc__prog_read_file(ctx, w->path, false, &text, &size);
    if (st < 0) return st;
    fedc__prog_buf b = {0};
    put_header(&b, w);
    const char *nl = memchr(text, '\n', size);
    for (size_t start = nl ? (size_t)(nl - text) + 1 : size; start < size;) {
        const char *e = memchr(text + start, '\n', size - start);
        size_t end = e ? (size_t)(e - text) : size;
        fedc__prog_buf_append(&b, text + start, end - start);
        for (size_t k = 0; k < added; k++)
            fedc__prog_buf_append(&b, ",", 1);
        fedc__prog_buf_append(&b, "\n", 1);
        start = end + 1;
    }
    fedc_free(text);
    st = fedc__prog_buf_check(ctx, &b, w->path);
    if (st == FEDC_STATUS_OK) st = fedc__prog_replace_file(ctx, w->path, b.data, b.len);
    fedc__prog_buf_free(&b);
    if (st == FEDC_STATUS_OK) st = open_append(ctx, w, false);
    return st;
}

static fedc_status csv_write(fedc_ctx *ctx, void *self, const fedc_metrics_record *r) {
    csv_writer *w = self;
    size_t before = w->nnames, count = fedc_metrics_record_count(r);
    for (size_t i = 0; i < count; i++) {
        const char *name = fedc_metrics_record_name(r, i);
        bool known = false;
        for (size_t k = 0; k < w->nnames && !known; k++)
            known = strcmp(w->names[k], name) == 0;
        if (!known && !add_name(w, name, strlen(name))) {
            while (w->nnames > before) /* the file still has the old columns */
                fedc_free(w->names[--w->nnames]);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for %s's columns",
                                   w->path);
        }
    }
    fedc_status st = FEDC_STATUS_OK;
    fedc__prog_buf line = {0};
    if (!w->has_header) {
        put_header(&line, w);
    } else if (w->nnames > before) {
        st = rewrite_with_columns(ctx, w, w->nnames - before);
        if (st < 0) {
            while (w->nnames > before)
                fedc_free(w->names[--w->nnames]);
            return st;
        }
    }
    char num[64];
    fedc__prog_buf_printf(&line, "%lld,", (long long)fedc_metrics_record_round(r));
    fedc__prog_format_double(num, sizeof num, fedc_metrics_record_wall_time(r));
    fedc__prog_buf_puts(&line, num);
    for (size_t k = 0; k < w->nnames; k++) {
        fedc__prog_buf_append(&line, ",", 1);
        double v;
        if (fedc_metrics_record_get(r, w->names[k], &v)) {
            fedc__prog_format_double(num, sizeof num, v);
            fedc__prog_buf_puts(&line, num);
        }
    }
    fedc__prog_buf_append(&line, "\n", 1);
    st = fedc__prog_buf_check(ctx, &line, w->path);
    /* One write(2) per row: a killed program leaves whole rows, or a torn last one that a
     * resume cuts. */
    if (st == FEDC_STATUS_OK) st = fedc__prog_write_all(ctx, w->fd, w->path, line.data, line.len);
    fedc__prog_buf_free(&line);
    if (st == FEDC_STATUS_OK) w->has_header = true;
    return st;
}

static const fedc_metrics_writer_ops k_csv_ops = {"csv", csv_write, csv_destroy};

fedc_status fedc_metrics_csv_writer_create(fedc_ctx *ctx, const char *path,
                                           int64_t keep_through_round, fedc_metrics_writer **out) {
    *out = NULL;
    csv_writer *w = fedc_calloc(1, sizeof *w);
    if (!w || !(w->path = fedc_strdup(path))) {
        fedc_free(w);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory opening %s", path);
    }
    w->fd = -1;
    int64_t last = -1;
    fedc_status st;
    if (keep_through_round < 0) {
        st = open_append(ctx, w, true);
    } else {
        char *text = NULL;
        size_t size = 0, cut = 0;
        st = fedc__prog_read_file(ctx, path, true, &text, &size);
        if (st == FEDC_STATUS_NOT_FOUND) {
            fedc_ctx_clear(ctx);
            st = FEDC_STATUS_OK;
        } else if (st == FEDC_STATUS_OK) {
            st = csv_scan(ctx, w, text, size, keep_through_round, &cut, &last);
        }
        fedc_free(text);
        if (st == FEDC_STATUS_OK) st = open_append(ctx, w, false);
        if (st == FEDC_STATUS_OK && cut < size && ftruncate(w->fd, (off_t)cut) < 0)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "cannot truncate %s: %s", path,
                                 strerror(errno));
    }
    if (st < 0) {
        csv_destroy(w);
        return st;
    }
    return fedc_metrics_writer_create(ctx, &k_csv_ops, w, last, out);
}
