/* nn_json.c — a small JSON reader (a tree in an arena, byte offsets kept for messages) and a
 * growable text buffer for writers, for the nn layer's model files (Keras configs, safetensors
 * headers).
 *
 * Strict RFC 8259 input; nesting is limited to FEDC__JSON_MAX_DEPTH so hostile files cannot
 * exhaust the stack. Must not be used for anything but small headers and configs.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_int.h"

#define FEDC__JSON_MAX_DEPTH 64

typedef struct parser {
    fedc_ctx *ctx;
    const char *what;
    const char *s;
    size_t n, i;
    size_t base; /* added to offsets in messages and nodes */
    fedc_arena *arena;
} parser;

static fedc_status perr(parser *p, const char *fmt, const char *found) {
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE, "%s: byte %zu: %s, found %s", p->what,
                           p->base + p->i, fmt, found);
}

static const char *found_at(parser *p, char *buf, size_t size) {
    if (p->i >= p->n) return "end of input";
    unsigned char c = (unsigned char)p->s[p->i];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
    return buf;
}

static void skip_ws(parser *p) {
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static fedc__json *node(parser *p, fedc__json_kind kind) {
    fedc__json *j = fedc_arena_calloc(p->arena, 1, sizeof *j, 0);
    if (j) {
        j->kind = kind;
        j->offset = p->base + p->i;
    }
    return j;
}

static fedc_status oom(parser *p) {
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: parsing JSON", p->what);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *p, unsigned *out) {
    if (p->n - p->i < 4) return false;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + (size_t)k]);
        if (h < 0) return false;
        v = v * 16 + (unsigned)h;
    }
    p->i += 4;
    *out = v;
    return true;
}

/* Decodes a string starting at the opening quote into arena memory. */
static fedc_status parse_string(parser *p, char **out, size_t *len) {
    char buf[32];
    p->i++; /* opening quote */
    size_t cap = 16, n = 0;
    /* Decoded text is never longer than the source, so size from the closing quote. */
    size_t j = p->i;
    while (j < p->n && p->s[j] != '"')
        j += p->s[j] == '\\' ? 2 : 1;
    cap = j - p->i + 1;
    char *d = fedc_arena_alloc(p->arena, cap, 1);
    if (!d) return oom(p);
    for (;;) {
        if (p->i >= p->n) return perr(p, "unterminated string", "end of input");
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) return perr(p, "control character in string", found_at(p, buf, sizeof buf));
        if (c != '\\') {
            d[n++] = (char)c;
            p->i++;
            continue;
        }
        p->i++;
        if (p->i >= p->n) return perr(p, "unterminated escape", "end of input");
        char e = p->s[p->i++];
        switch (e) {
        case '"': d[n++] = '"'; break;
        case '\\': d[n++] = '\\'; break;
        case '/': d[n++] = '/'; break;
        case 'b': d[n++] = '\b'; break;
        case 'f': d[n++] = '\f'; break;
        case 'n': d[n++] = '\n'; break;
        case 'r': d[n++] = '\r'; break;
        case 't': d[n++] = '\t'; break;
        case 'u': {
            unsigned u;
            if (!read_hex4(p, &u)) return perr(p, "bad \\u escape", found_at(p, buf, sizeof buf));
            if (u >= 0xd800 && u < 0xdc00) {
                unsigned lo;
                if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
                    return perr(p, "unpaired surrogate", found_at(p, buf, sizeof buf));
                p->i += 2;
                if (!read_hex4(p, &lo) || lo < 0xdc00 || lo >= 0xe000)
                    return perr(p, "bad low surrogate", found_at(p, buf, sizeof buf));
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* \uXXXX is 6 source bytes and at most 4 UTF-8 bytes (12 -> 4 for pairs). */
            if (u < 0x80) {
                d[n++] = (char)u;
            } else if (u < 0x800) {
                d[n++] = (char)(0xc0 | (u >> 6));
                d[n++] = (char)(0x80 | (u & 0x3f));
            } else if (u < 0x10000) {
                d[n++] = (char)(0xe0 | (u >> 12));
                d[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                d[n++] = (char)(0x80 | (u & 0x3f));
            } else {
                d[n++] = (char)(0xf0 | (u >> 18));
                d[n++] = (char)(0x80 | ((u >> 12) & 0x3f));
                d[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                d[n++] = (char)(0x80 | (u & 0x3f));
            }
            break;
        }
        default: p->i--; return perr(p, "bad escape", found_at(p, buf, sizeof buf));
        }
    }
    d[n] = '\0';
    *out = d;
    *len = n;
    return FEDC_STATUS_OK;
}

static fedc_status parse_value(parser *p, int depth, fedc__json **out);

static fedc_status parse_container(parser *p, int depth, bool object, fedc__json *j) {
    char buf[32];
    p->i++;
    skip_ws(p);
    char close = object ? '}' : ']';
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        return FEDC_STATUS_OK;
    }
    fedc__json **tail = &j->child;
    for (;;) {
        skip_ws(p);
        char *key = NULL;
        if (object) {
            size_t klen;
            if (p->i >= p->n || p->s[p->i] != '"')
                return perr(p, "expected a string key", found_at(p, buf, sizeof buf));
            fedc_status st = parse_string(p, &key, &klen);
            if (st != FEDC_STATUS_OK) return st;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return perr(p, "expected ':'", found_at(p, buf, sizeof buf));
            p->i++;
        }
        fedc__json *v;
        fedc_status st = parse_value(p, depth + 1, &v);
        if (st != FEDC_STATUS_OK) return st;
        v->key = key;
        *tail = v;
        tail = &v->next;
        j->count++;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            return FEDC_STATUS_OK;
        }
        return perr(p, object ? "expected ',' or '}'" : "expected ',' or ']'",
                    found_at(p, buf, sizeof buf));
    }
}

static fedc_status parse_value(parser *p, int depth, fedc__json **out) {
    char buf[32];
    if (depth > FEDC__JSON_MAX_DEPTH) return perr(p, "nesting too deep", "more");
    skip_ws(p);
    if (p->i >= p->n) return perr(p, "expected a value", "end of input");
    char c = p->s[p->i];
    fedc__json *j;
    if (c == '{' || c == '[') {
        j = node(p, c == '{' ? FEDC__JSON_OBJECT : FEDC__JSON_ARRAY);
        if (!j) return oom(p);
        fedc_status st = parse_container(p, depth, c == '{', j);
        if (st != FEDC_STATUS_OK) return st;
    } else if (c == '"') {
        j = node(p, FEDC__JSON_STRING);
        if (!j) return oom(p);
        fedc_status st = parse_string(p, &j->str, &j->len);
        if (st != FEDC_STATUS_OK) return st;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        j = node(p, FEDC__JSON_NUMBER);
        if (!j) return oom(p);
        size_t k = p->i;
        if (p->s[k] == '-') k++;
        if (k >= p->n || !(p->s[k] >= '0' && p->s[k] <= '9'))
            return perr(p, "bad number", found_at(p, buf, sizeof buf));
        if (p->s[k] == '0')
            k++;
        else
            while (k < p->n && p->s[k] >= '0' && p->s[k] <= '9')
                k++;
        if (k < p->n && p->s[k] == '.') {
            k++;
            if (k >= p->n || !(p->s[k] >= '0' && p->s[k] <= '9'))
                return perr(p, "bad number", "no digit after '.'");
            while (k < p->n && p->s[k] >= '0' && p->s[k] <= '9')
                k++;
        }
        if (k < p->n && (p->s[k] == 'e' || p->s[k] == 'E')) {
            k++;
            if (k < p->n && (p->s[k] == '+' || p->s[k] == '-')) k++;
            if (k >= p->n || !(p->s[k] >= '0' && p->s[k] <= '9'))
                return perr(p, "bad number", "no digit in the exponent");
            while (k < p->n && p->s[k] >= '0' && p->s[k] <= '9')
                k++;
        }
        char tmp[64];
        size_t len = k - p->i;
        if (len >= sizeof tmp) return perr(p, "number too long", "more than 63 characters");
        memcpy(tmp, p->s + p->i, len);
        tmp[len] = '\0';
        j->num = strtod(tmp, NULL);
        p->i = k;
    } else if (p->n - p->i >= 4 && memcmp(p->s + p->i, "true", 4) == 0) {
        j = node(p, FEDC__JSON_BOOL);
        if (!j) return oom(p);
        j->boolean = true;
        p->i += 4;
    } else if (p->n - p->i >= 5 && memcmp(p->s + p->i, "false", 5) == 0) {
        j = node(p, FEDC__JSON_BOOL);
        if (!j) return oom(p);
        p->i += 5;
    } else if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) {
        j = node(p, FEDC__JSON_NULL);
        if (!j) return oom(p);
        p->i += 4;
    } else {
        return perr(p, "expected a value", found_at(p, buf, sizeof buf));
    }
    *out = j;
    return FEDC_STATUS_OK;
}

fedc_status fedc__nn_json_parse(fedc_ctx *ctx, const char *what, const char *text, size_t len,
                                size_t base, fedc_arena *arena, fedc__json **out) {
    parser p = {ctx, what, text, len, 0, base, arena};
    fedc_status st = parse_value(&p, 0, out);
    if (st != FEDC_STATUS_OK) return st;
    skip_ws(&p);
    char buf[32];
    if (p.i != p.n)
        return perr(&p, "expected the end of the document", found_at(&p, buf, sizeof buf));
    return FEDC_STATUS_OK;
}

const fedc__json *fedc__nn_json_get(const fedc__json *obj, const char *key) {
    if (!obj || obj->kind != FEDC__JSON_OBJECT) return NULL;
    for (const fedc__json *c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    return NULL;
}

/* ---- text buffer ---- */

void fedc__nn_buf_printf(fedc__buf *b, const char *fmt, ...) {
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k =
            vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->failed = true;
            return;
        }
        if (b->data && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)k)
            cap *= 2;
        char *d = fedc_realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
}

void fedc__nn_buf_json_string(fedc__buf *b, const char *s) {
    fedc__nn_buf_printf(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fedc__nn_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            fedc__nn_buf_printf(b, "\\u%04x", c);
        else
            fedc__nn_buf_printf(b, "%c", c);
    }
    fedc__nn_buf_printf(b, "\"");
}
