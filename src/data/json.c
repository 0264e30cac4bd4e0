/* json.c — a small strict JSON parser (RFC 8259) into a tree allocated from an arena, for the
 * LEAF backend. Errors name the byte offset, line and column. Depth is limited so hostile input
 * cannot overflow the stack. Nothing here knows what LEAF's keys mean.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"

enum { MAX_DEPTH = 64 };

typedef struct parser {
    const char *name;
    const uint8_t *s;
    size_t n, pos;
    fedc_arena *arena;
    fedc_ctx *ctx;
} parser;

static fedc_status perr(parser *p, const char *what) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char found[16];
    if (p->pos >= p->n)
        snprintf(found, sizeof found, "end of input");
    else if (p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f)
        snprintf(found, sizeof found, "'%c'", p->s[p->pos]);
    else
        snprintf(found, sizeof found, "byte 0x%02x", p->s[p->pos]);
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE,
                           "%s: byte offset %zu (line %zu, column %zu): %s, found %s", p->name,
                           p->pos, line, col, what, found);
}

static fedc_status pnomem(parser *p) {
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: out of memory parsing JSON",
                           p->name);
}

static void skip_ws(parser *p) {
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r'))
        p->pos++;
}

static fedc_json *new_node(parser *p, int type) {
    fedc_json *v = fedc_arena_calloc(p->arena, 1, sizeof *v, 0);
    if (v) v->type = type;
    return v;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *p, uint32_t *out) {
    if (p->pos + 4 > p->n) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0) return false;
        v = v << 4 | (uint32_t)h;
    }
    p->pos += 4;
    *out = v;
    return true;
}

/* Parses a string at p->pos (the opening quote) into arena memory, NUL-terminated. */
static fedc_status parse_string(parser *p, char **out, size_t *out_len) {
    p->pos++; /* the quote */
    /* The decoded form is never longer than the source. */
    size_t end = p->pos;
    while (end < p->n && p->s[end] != '"') {
        if (p->s[end] == '\\') end++;
        end++;
    }
    char *buf = fedc_arena_alloc(p->arena, end - p->pos + 1, 1);
    if (!buf) return pnomem(p);
    size_t len = 0;
    for (;;) {
        if (p->pos >= p->n) return perr(p, "unterminated string");
        uint8_t c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) return perr(p, "control character in string");
        if (c != '\\') {
            buf[len++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        if (p->pos >= p->n) return perr(p, "unterminated escape");
        c = p->s[p->pos++];
        switch (c) {
        case '"': buf[len++] = '"'; break;
        case '\\': buf[len++] = '\\'; break;
        case '/': buf[len++] = '/'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(p, &cp)) return perr(p, "bad \\u escape");
            if (cp >= 0xd800 && cp < 0xdc00) {
                uint32_t lo;
                if (p->pos + 2 > p->n || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return perr(p, "unpaired surrogate");
                p->pos += 2;
                if (!read_hex4(p, &lo) || lo < 0xdc00 || lo >= 0xe000)
                    return perr(p, "bad low surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp < 0xe000) {
                return perr(p, "unpaired surrogate");
            }
            /* UTF-8: at most 4 bytes, from at least 6 source bytes, so it fits. */
            if (cp < 0x80)
                buf[len++] = (char)cp;
            else if (cp < 0x800) {
                buf[len++] = (char)(0xc0 | cp >> 6);
                buf[len++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                buf[len++] = (char)(0xe0 | cp >> 12);
                buf[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                buf[len++] = (char)(0x80 | (cp & 0x3f));
            } else {
                buf[len++] = (char)(0xf0 | cp >> 18);
                buf[len++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                buf[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                buf[len++] = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default: p->pos--; return perr(p, "unknown escape");
        }
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return FEDC_STATUS_OK;
}

static fedc_status parse_number(parser *p, double *out) {
    size_t start = p->pos;
    if (p->pos < p->n && p->s[p->pos] == '-') p->pos++;
    if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return perr(p, "expected a digit");
    if (p->s[p->pos] == '0')
        p->pos++;
    else
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    if (p->pos < p->n && p->s[p->pos] == '.') {
        p->pos++;
        if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return perr(p, "expected a digit after '.'");
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
            return perr(p, "expected an exponent");
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
    }
    char tmp[64];
    size_t len = p->pos - start;
    if (len >= sizeof tmp) {
        char *big = fedc_malloc(len + 1);
        if (!big) return pnomem(p);
        memcpy(big, p->s + start, len);
        big[len] = '\0';
        *out = strtod(big, NULL);
        fedc_free(big);
    } else {
        memcpy(tmp, p->s + start, len);
        tmp[len] = '\0';
        *out = strtod(tmp, NULL); /* the C locale: fedc never calls setlocale */
    }
    return FEDC_STATUS_OK;
}

static fedc_status parse_value(parser *p, int depth, fedc_json **out);

static fedc_status parse_container(parser *p, int depth, bool is_object, fedc_json *node) {
    p->pos++; /* [ or { */
    fedc_json **tail = &node->child;
    skip_ws(p);
    char close = is_object ? '}' : ']';
    if (p->pos < p->n && p->s[p->pos] == (uint8_t)close) {
        p->pos++;
        return FEDC_STATUS_OK;
    }
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        if (is_object) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') return perr(p, "expected a key string");
            fedc_status st = parse_string(p, &key, &key_len);
            if (st) return st;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') return perr(p, "expected ':'");
            p->pos++;
        }
        fedc_json *v;
        fedc_status st = parse_value(p, depth + 1, &v);
        if (st) return st;
        v->key = key;
        *tail = v;
        tail = &v->next;
        node->count++;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == (uint8_t)close) {
            p->pos++;
            return FEDC_STATUS_OK;
        }
        return perr(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool match(parser *p, const char *word) {
    size_t len = strlen(word);
    if (p->pos + len > p->n || memcmp(p->s + p->pos, word, len) != 0) return false;
    p->pos += len;
    return true;
}

static fedc_status parse_value(parser *p, int depth, fedc_json **out) {
    if (depth > MAX_DEPTH) return perr(p, "nesting deeper than 64");
    skip_ws(p);
    if (p->pos >= p->n) return perr(p, "expected a value");
    uint8_t c = p->s[p->pos];
    fedc_json *v;
    fedc_status st = FEDC_STATUS_OK;
    if (c == '{' || c == '[') {
        v = new_node(p, c == '{' ? FEDC_JSON_OBJECT : FEDC_JSON_ARRAY);
        if (!v) return pnomem(p);
        st = parse_container(p, depth, c == '{', v);
    } else if (c == '"') {
        v = new_node(p, FEDC_JSON_STRING);
        if (!v) return pnomem(p);
        st = parse_string(p, &v->str, &v->len);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v = new_node(p, FEDC_JSON_NUMBER);
        if (!v) return pnomem(p);
        st = parse_number(p, &v->num);
    } else {
        int type = match(p, "true")    ? FEDC_JSON_TRUE
                   : match(p, "false") ? FEDC_JSON_FALSE
                   : match(p, "null")  ? FEDC_JSON_NULL
                                       : -1;
        if (type < 0) return perr(p, "expected a value");
        v = new_node(p, type);
        if (!v) return pnomem(p);
    }
    *out = v;
    return st;
}

fedc_status fedc__json_parse(fedc_ctx *ctx, const char *name, const void *text, size_t size,
                             fedc_arena *arena, fedc_json **out) {
    parser p = {name, text, size, 0, arena, ctx};
    *out = NULL;
    fedc_status st = parse_value(&p, 0, out);
    if (st) return st;
    skip_ws(&p);
    if (p.pos != p.n) return perr(&p, "expected the end of input");
    return FEDC_STATUS_OK;
}

const fedc_json *fedc__json_get(const fedc_json *obj, const char *key) {
    if (!obj || obj->type != FEDC_JSON_OBJECT) return NULL;
    for (const fedc_json *v = obj->child; v; v = v->next)
        if (strcmp(v->key, key) == 0) return v;
    return NULL;
}
