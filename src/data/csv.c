/* csv.c — a CSV reader for importers: a header row, then rows of numbers (one column may hold
 * string ids). Ragged rows, non-numbers and unterminated quotes are errors that name the line
 * and column. Nothing here partitions or writes data (import_csv.c does).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"

typedef struct csv_state {
    fedc_ctx *ctx;
    const char *name;
    const char *p, *end;
    int64_t line;
    const char *line_start;
    char *field; /* the current field, unquoted, NUL-terminated */
    size_t cap, len;
} csv_state;

static fedc_status push(csv_state *s, char c) {
    if (s->len + 1 >= s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char *f = fedc_realloc(s->field, cap);
        if (!f) return fedc_ctx_errorf(s->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: a field", s->name);
        s->field = f;
        s->cap = cap;
    }
    s->field[s->len++] = c;
    s->field[s->len] = '\0';
    return FEDC_STATUS_OK;
}

/* Reads one field into s->field; *eol is set when it ended its line (or the text). */
static fedc_status read_field(csv_state *s, bool *eol, int64_t *col) {
    fedc_status st;
    s->len = 0;
    if (!s->field && (st = push(s, '\0'))) return st;
    s->len = 0;
    s->field[0] = '\0';
    *col = (int64_t)(s->p - s->line_start) + 1;
    bool quoted = s->p < s->end && *s->p == '"';
    if (quoted) {
        s->p++;
        for (;;) {
            if (s->p >= s->end)
                return fedc_ctx_errorf(s->ctx, FEDC_STATUS_PARSE,
                                       "%s:%lld:%lld: unterminated quoted field", s->name,
                                       (long long)s->line, (long long)*col);
            char c = *s->p++;
            if (c == '"') {
                if (s->p < s->end && *s->p == '"') {
                    s->p++;
                } else {
                    break;
                }
            } else if (c == '\n') {
                s->line++;
                s->line_start = s->p;
            }
            if ((st = push(s, c))) return st;
        }
    }
    while (s->p < s->end && *s->p != ',' && *s->p != '\n') {
        char c = *s->p++;
        if (c == '\r' && (s->p == s->end || *s->p == '\n')) continue;
        if (quoted)
            return fedc_ctx_errorf(s->ctx, FEDC_STATUS_PARSE,
                                   "%s:%lld:%lld: text after a closing quote", s->name,
                                   (long long)s->line, (long long)(s->p - s->line_start));
        if ((st = push(s, c))) return st;
    }
    *eol = s->p >= s->end || *s->p == '\n';
    if (s->p < s->end) s->p++;
    if (*eol && s->p <= s->end && s->p[-1] == '\n') {
        s->line++;
        s->line_start = s->p;
    }
    return FEDC_STATUS_OK;
}

/* Skips empty lines (blank or only \r) before a row. */
static void skip_blank(csv_state *s) {
    while (s->p < s->end) {
        const char *q = s->p;
        while (q < s->end && *q == '\r')
            q++;
        if (q < s->end && *q != '\n') return;
        s->p = q < s->end ? q + 1 : q;
        s->line++;
        s->line_start = s->p;
    }
}

static fedc_status grow(fedc_ctx *ctx, const char *name, void **buf, int64_t *cap, int64_t need,
                        size_t esize) {
    if (need <= *cap) return FEDC_STATUS_OK;
    int64_t nc = *cap ? *cap * 2 : 256;
    while (nc < need)
        nc *= 2;
    void *b = fedc_realloc(*buf, (size_t)nc * esize);
    if (!b)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %lld rows", name,
                               (long long)need);
    *buf = b;
    *cap = nc;
    return FEDC_STATUS_OK;
}

static fedc_status read_header(csv_state *s, const char *id_column, fedc_csv_table *t) {
    skip_blank(s);
    if (s->p >= s->end)
        return fedc_ctx_errorf(s->ctx, FEDC_STATUS_CORRUPT, "%s: empty file (no header row)",
                               s->name);
    int64_t cap = 0;
    bool eol = false;
    while (!eol) {
        int64_t col;
        fedc_status st = read_field(s, &eol, &col);
        if (!st) st = grow(s->ctx, s->name, (void **)&t->names, &cap, t->cols + 1, sizeof(char *));
        if (st) return st;
        t->names[t->cols] = fedc_strdup(s->len ? s->field : "");
        if (!t->names[t->cols])
            return fedc_ctx_errorf(s->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: header", s->name);
        if (id_column && !strcmp(t->names[t->cols], id_column)) t->id_col = t->cols;
        t->cols++;
    }
    if (id_column && t->id_col < 0)
        return fedc_ctx_errorf(s->ctx, FEDC_STATUS_NOT_FOUND,
                               "%s:1: no id column '%s' in the header", s->name, id_column);
    return FEDC_STATUS_OK;
}

static fedc_status read_rows(csv_state *s, fedc_csv_table *t) {
    int64_t vcap = 0, icap = 0;
    for (;;) {
        skip_blank(s);
        if (s->p >= s->end) return FEDC_STATUS_OK;
        int64_t line = s->line, c = 0;
        bool eol = false;
        fedc_status st = grow(s->ctx, s->name, (void **)&t->values, &vcap, (t->rows + 1) * t->cols,
                              sizeof(double));
        if (!st && t->id_col >= 0)
            st = grow(s->ctx, s->name, (void **)&t->ids, &icap, t->rows + 1, sizeof(char *));
        if (st) return st;
        if (t->ids) t->ids[t->rows] = NULL;
        while (!eol) {
            int64_t col;
            if ((st = read_field(s, &eol, &col))) break;
            if (c >= t->cols) {
                c++;
                continue; /* counted, reported as ragged below */
            }
            double *v = &t->values[t->rows * t->cols + c];
            if (c == t->id_col) {
                *v = 0;
                if (!t->ids[t->rows] && !(t->ids[t->rows] = fedc_strdup(s->field))) {
                    st = fedc_ctx_errorf(s->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: ids", s->name);
                    break;
                }
            } else {
                char *endp;
                errno = 0;
                *v = strtod(s->field, &endp);
                while (*endp == ' ' || *endp == '\t')
                    endp++;
                if (s->len == 0 || *endp || endp == s->field) {
                    st = fedc_ctx_errorf(s->ctx, FEDC_STATUS_PARSE,
                                         "%s:%lld:%lld: column '%s': expected a number, found "
                                         "'%.40s'",
                                         s->name, (long long)line, (long long)col, t->names[c],
                                         s->field);
                    break;
                }
            }
            c++;
        }
        t->rows++; /* counted before any error so that free() sees the row's id */
        if (st) return st;
        if (c != t->cols)
            return fedc_ctx_errorf(s->ctx, FEDC_STATUS_CORRUPT,
                                   "%s:%lld: ragged row: %lld fields, the header has %lld", s->name,
                                   (long long)line, (long long)c, (long long)t->cols);
    }
}

fedc_status fedc_csv_parse(fedc_ctx *ctx, const char *name, const void *text, size_t size,
                           const char *id_column, fedc_csv_table *out) {
    memset(out, 0, sizeof *out);
    out->id_col = -1;
    csv_state s = {ctx, name, text, (const char *)text + size, 1, text, NULL, 0, 0};
    fedc_status st = read_header(&s, id_column, out);
    if (!st) st = read_rows(&s, out);
    fedc_free(s.field);
    if (st) fedc_csv_table_free(out);
    return st;
}

void fedc_csv_table_free(fedc_csv_table *t) {
    if (!t) return;
    for (int64_t i = 0; t->names && i < t->cols; i++)
        fedc_free(t->names[i]);
    for (int64_t i = 0; t->ids && i < t->rows; i++)
        fedc_free(t->ids[i]);
    fedc_free(t->names);
    fedc_free(t->ids);
    fedc_free(t->values);
    memset(t, 0, sizeof *t);
    t->id_col = -1;
}
