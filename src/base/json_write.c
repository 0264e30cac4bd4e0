/* json_write.c — fedc's JSON writer (fedc/base_json.h): tokens into a growable buffer with the
 * separators put in by the writer, so callers cannot emit invalid JSON by a missed comma.
 *
 * Errors are sticky (the first is kept, later calls do nothing) and reported once by
 * fedc_json_writer_finish. Must not record into a ctx anywhere but finish, and must not write
 * anything that fedc_json_parse would reject.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base_json.h"

void fedc_json_writer_init(fedc_json_writer *w, fedc_json_style style) {
    memset(w, 0, sizeof *w);
    w->style = style;
}

void fedc_json_writer_free(fedc_json_writer *w) {
    fedc_free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

static void fail(fedc_json_writer *w, fedc_status st, const char *why) {
    if (w->error) return;
    w->error = st;
    w->error_why = why;
}

static void append(fedc_json_writer *w, const char *s, size_t n) {
    if (w->error) return;
    if (n >= w->cap - w->len || !w->data) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len <= n) {
            if (cap > SIZE_MAX / 2) {
                fail(w, FEDC_STATUS_OUT_OF_MEMORY, "the text is too long");
                return;
            }
            cap *= 2;
        }
        char *d = fedc_realloc(w->data, cap);
        if (!d) {
            fail(w, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
            return;
        }
        w->data = d;
        w->cap = cap;
    }
    memcpy(w->data + w->len, s, n);
    w->len += n;
    w->data[w->len] = '\0';
}

static void newline(fedc_json_writer *w) {
    append(w, "\n", 1);
    for (int i = 0; i < w->depth; i++)
        append(w, "  ", 2);
}

/* Puts what goes before a value or a key: a comma and the style's spacing. */
static void before(fedc_json_writer *w, bool is_key) {
    if (w->error) return;
    if (w->done) {
        fail(w, FEDC_STATUS_INVALID_ARGUMENT, "a second top-level value");
        return;
    }
    if (w->depth == 0) {
        if (is_key) fail(w, FEDC_STATUS_INVALID_ARGUMENT, "a key outside an object");
        return;
    }
    bool in_object = w->open[w->depth - 1] == '{';
    if (!is_key && w->after_key) {
        w->after_key = false;
        return; /* the key already put the separator */
    }
    if (in_object != is_key) {
        fail(w, FEDC_STATUS_INVALID_ARGUMENT,
             is_key ? "a key inside an array" : "a value in an object without a key");
        return;
    }
    if (w->has_items[w->depth - 1]) {
        bool spaced = w->style == FEDC_JSON_STYLE_SPACED;
        append(w, spaced ? ", " : ",", spaced ? 2 : 1);
    }
    if (w->style == FEDC_JSON_STYLE_PRETTY) newline(w);
    w->has_items[w->depth - 1] = true;
}

static void after_value(fedc_json_writer *w) {
    if (w->depth == 0 && !w->error) w->done = true;
}

static void begin(fedc_json_writer *w, char open) {
    before(w, false);
    if (w->error) return;
    if (w->depth == FEDC_JSON_WRITER_MAX_DEPTH) {
        fail(w, FEDC_STATUS_INVALID_ARGUMENT, "nesting deeper than FEDC_JSON_WRITER_MAX_DEPTH");
        return;
    }
    append(w, &open, 1);
    w->open[w->depth] = open;
    w->has_items[w->depth] = false;
    w->depth++;
}

static void end(fedc_json_writer *w, char open) {
    if (w->error) return;
    if (w->depth == 0 || w->open[w->depth - 1] != open || w->after_key) {
        fail(w, FEDC_STATUS_INVALID_ARGUMENT,
             w->after_key ? "a key without a value" : "an end that matches no begin");
        return;
    }
    w->depth--;
    if (w->style == FEDC_JSON_STYLE_PRETTY && w->has_items[w->depth]) newline(w);
    append(w, open == '{' ? "}" : "]", 1);
    after_value(w);
}

void fedc_json_write_begin_object(fedc_json_writer *w) { begin(w, '{'); }
void fedc_json_write_end_object(fedc_json_writer *w) { end(w, '{'); }
void fedc_json_write_begin_array(fedc_json_writer *w) { begin(w, '['); }
void fedc_json_write_end_array(fedc_json_writer *w) { end(w, '['); }

static void put_string(fedc_json_writer *w, const char *s, size_t len) {
    append(w, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one append */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run) append(w, s + i - run, run);
        run = 0;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            append(w, esc, 2);
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            append(w, esc, 6);
        }
    }
    if (run) append(w, s + len - run, run);
    append(w, "\"", 1);
}

void fedc_json_write_keyn(fedc_json_writer *w, const char *key, size_t len) {
    before(w, true);
    if (w->error) return;
    put_string(w, key, len);
    append(w, w->style == FEDC_JSON_STYLE_COMPACT ? ":" : ": ",
           w->style == FEDC_JSON_STYLE_COMPACT ? 1 : 2);
    w->after_key = true;
}

void fedc_json_write_key(fedc_json_writer *w, const char *key) {
    fedc_json_write_keyn(w, key, strlen(key));
}

void fedc_json_write_stringn(fedc_json_writer *w, const char *s, size_t len) {
    before(w, false);
    if (w->error) return;
    put_string(w, s, len);
    after_value(w);
}

void fedc_json_write_string(fedc_json_writer *w, const char *s) {
    fedc_json_write_stringn(w, s, strlen(s));
}

static void put_token(fedc_json_writer *w, const char *text) {
    before(w, false);
    if (w->error) return;
    append(w, text, strlen(text));
    after_value(w);
}

void fedc_json_write_int(fedc_json_writer *w, int64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    put_token(w, buf);
}

void fedc_json_write_uint(fedc_json_writer *w, uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    put_token(w, buf);
}

void fedc_json_write_double(fedc_json_writer *w, double v) {
    if (!isfinite(v)) {
        fail(w, FEDC_STATUS_INVALID_ARGUMENT, "a non-finite number (JSON has no NaN or Inf)");
        return;
    }
    /* The fewest significant digits that read back to v (17 always do). Not a hot path: a
     * writer of many numbers pays a few snprintf calls each. */
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    if (strspn(buf, "-0123456789") == strlen(buf)) strcat(buf, ".0");
    put_token(w, buf);
}

void fedc_json_write_bool(fedc_json_writer *w, bool v) { put_token(w, v ? "true" : "false"); }

void fedc_json_write_null(fedc_json_writer *w) { put_token(w, "null"); }

void fedc_json_write_value(fedc_json_writer *w, const fedc_json *v) {
    if (w->error) return; /* also bounds the recursion once the writer's depth limit is hit */
    size_t len;
    const char *s;
    int64_t i;
    switch (fedc_json_type_of(v)) {
    case FEDC_JSON_NULL: fedc_json_write_null(w); break;
    case FEDC_JSON_BOOL: fedc_json_write_bool(w, fedc_json_bool(v)); break;
    case FEDC_JSON_NUMBER:
        /* -0.0 is integral but not an integer: it keeps its sign as a double. */
        if (fedc_json_int64(v, &i) && !(i == 0 && signbit(fedc_json_number(v))))
            fedc_json_write_int(w, i);
        else
            fedc_json_write_double(w, fedc_json_number(v));
        break;
    case FEDC_JSON_STRING:
        s = fedc_json_string(v, &len);
        fedc_json_write_stringn(w, s, len);
        break;
    case FEDC_JSON_ARRAY:
        fedc_json_write_begin_array(w);
        for (size_t k = 0; k < fedc_json_count(v); k++)
            fedc_json_write_value(w, fedc_json_at(v, k));
        fedc_json_write_end_array(w);
        break;
    case FEDC_JSON_OBJECT:
        fedc_json_write_begin_object(w);
        for (size_t k = 0; k < fedc_json_count(v); k++) {
            s = fedc_json_key_at(v, k, &len);
            fedc_json_write_keyn(w, s, len);
            fedc_json_write_value(w, fedc_json_at(v, k));
        }
        fedc_json_write_end_object(w);
        break;
    default: fail(w, FEDC_STATUS_INVALID_ARGUMENT, "no value (NULL) to write"); break;
    }
}

fedc_status fedc_json_writer_finish(fedc_ctx *ctx, fedc_json_writer *w, const char *what,
                                    char **out, size_t *len) {
    *out = NULL;
    if (len) *len = 0;
    if (!w->error && !w->done) fail(w, FEDC_STATUS_INVALID_ARGUMENT, "an unfinished value");
    if (w->error) {
        fedc_status st = fedc_ctx_errorf(ctx, w->error, "%s: writing JSON: %s (after %zu bytes)",
                                         what ? what : "json", w->error_why, w->len);
        fedc_json_writer_free(w);
        return st;
    }
    *out = w->data;
    if (len) *len = w->len;
    fedc_json_writer_init(w, w->style);
    return FEDC_STATUS_OK;
}
