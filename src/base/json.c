/* json.c — fedc's one JSON parser (fedc/base_json.h): strict RFC 8259 text into a read-only tree
 * allocated from an arena the document owns.
 *
 * Containers are built on a scratch stack of values: a container's children are pushed as they
 * are parsed and copied into one arena array when it closes, so elements are O(1) by index and
 * each value costs one slot. Objects above a few members get a hash index for lookups and the
 * duplicate-key check. Must not keep pointers into the input text, and must not recurse deeper
 * than opts.max_depth.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base_json.h"

enum { HASH_MIN = 16 }; /* objects with at least this many members get a hash index */

struct fedc_json {
    uint8_t type;   /* fedc_json_type */
    bool exact_int; /* NUMBER: an integer literal that fits int64 (i holds it) */
    bool boolean;
    size_t offset;
    const char *key; /* member of an object: its key */
    size_t key_len;
    size_t key_offset; /* where the key's quote is (for the duplicate-key message) */
    union {
        struct {
            double num;
            int64_t i;
        } n;
        struct {
            const char *s;
            size_t len;
        } s;
        struct {
            fedc_json *items;
            size_t count;
            uint32_t *index; /* OBJECT with >= HASH_MIN members: slots hold member + 1 */
            size_t index_cap;
        } c;
    } u;
};

struct fedc_json_doc {
    fedc_arena *arena;
    fedc_json root;
};

typedef struct parser {
    fedc_ctx *ctx;
    const char *name;
    const uint8_t *s;
    size_t n, pos, base;
    int max_depth;
    fedc_json_dup dup;
    fedc_arena *arena;
    fedc_json *stack; /* children of the open containers */
    size_t sp, cap;
} parser;

fedc_json_opts fedc_json_opts_default(void) {
    return (fedc_json_opts){"json", 0, FEDC_JSON_DEFAULT_MAX_DEPTH, FEDC_JSON_DUP_REJECT};
}

/* ---- errors ---- */

static fedc_status perr_at(parser *p, size_t at, const char *what) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->n; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char found[24];
    if (at >= p->n)
        snprintf(found, sizeof found, "end of input");
    else if (p->s[at] >= 0x20 && p->s[at] < 0x7f)
        snprintf(found, sizeof found, "'%c'", p->s[at]);
    else
        snprintf(found, sizeof found, "byte 0x%02x", p->s[at]);
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE,
                           "%s: byte offset %zu (line %zu, column %zu): %s, found %s", p->name,
                           p->base + at, line, col, what, found);
}

static fedc_status perr(parser *p, const char *what) { return perr_at(p, p->pos, what); }

static fedc_status pnomem(parser *p) {
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_OUT_OF_MEMORY,
                           "%s: out of memory parsing JSON (at byte offset %zu)", p->name,
                           p->base + p->pos);
}

/* ---- lexical pieces ---- */

static void skip_ws(parser *p) {
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r'))
        p->pos++;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at p->pos; on failure p->pos is at the first bad one. */
static bool read_hex4(parser *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = p->pos < p->n ? hexval(p->s[p->pos]) : -1;
        if (h < 0) return false;
        v = v << 4 | (uint32_t)h;
        p->pos++;
    }
    *out = v;
    return true;
}

/* The length of the valid UTF-8 sequence at s[0..n) (lead byte >= 0x80), or 0 when invalid
 * (overlong, surrogate, above U+10FFFF, truncated). Ranges as in RFC 3629's table. */
static size_t utf8_len(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if ((s[k] & 0xc0) != 0x80) return 0;
    return len;
}

static size_t put_utf8(char *d, uint32_t cp) {
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | cp >> 12);
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | cp >> 18);
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parses the string whose opening quote is at p->pos into arena memory, NUL-terminated. */
static fedc_status parse_string(parser *p, const char **out, size_t *out_len) {
    p->pos++; /* the quote */
    /* The decoded form is never longer than the source (an escape of 6 or 12 bytes gives at most
     * 3 or 4), so the source span up to the closing quote bounds the buffer. */
    size_t end = p->pos;
    while (end < p->n && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end > p->n) end = p->n;
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
        if (c >= 0x80) {
            size_t k = utf8_len(p->s + p->pos, p->n - p->pos);
            if (!k) return perr(p, "invalid UTF-8 in string");
            memcpy(buf + len, p->s + p->pos, k);
            len += k;
            p->pos += k;
            continue;
        }
        if (c != '\\') {
            buf[len++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        if (p->pos >= p->n) return perr(p, "unterminated string");
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
            if (!read_hex4(p, &cp)) return perr(p, "bad \\u escape (4 hex digits)");
            if (cp >= 0xdc00 && cp < 0xe000) {
                p->pos -= 6;
                return perr(p, "unpaired low surrogate");
            }
            if (cp >= 0xd800 && cp < 0xdc00) {
                uint32_t lo;
                if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return perr(p, "unpaired surrogate (expected \\u and a low surrogate)");
                p->pos += 2;
                if (!read_hex4(p, &lo)) return perr(p, "bad \\u escape (4 hex digits)");
                if (lo < 0xdc00 || lo >= 0xe000) {
                    p->pos -= 6;
                    return perr(p, "bad low surrogate (expected \\udc00..\\udfff)");
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            len += put_utf8(buf + len, cp);
            break;
        }
        default: p->pos--; return perr(p, "bad escape");
        }
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return FEDC_STATUS_OK;
}

static bool is_digit(parser *p) {
    return p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static fedc_status parse_number(parser *p, fedc_json *v) {
    size_t start = p->pos;
    bool neg = false, integer = true, fits = true;
    uint64_t mag = 0;
    if (p->s[p->pos] == '-') {
        neg = true;
        p->pos++;
    }
    if (!is_digit(p)) return perr(p, "expected a digit");
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (is_digit(p)) {
            unsigned d = (unsigned)(p->s[p->pos++] - '0');
            if (mag > (UINT64_MAX - d) / 10)
                fits = false;
            else
                mag = mag * 10 + d;
        }
    }
    if (p->pos < p->n && p->s[p->pos] == '.') {
        integer = false;
        p->pos++;
        if (!is_digit(p)) return perr(p, "expected a digit after '.'");
        while (is_digit(p))
            p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integer = false;
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (!is_digit(p)) return perr(p, "expected a digit in the exponent");
        while (is_digit(p))
            p->pos++;
    }
    /* strtod needs a terminated copy; the C locale is in force (fedc never calls setlocale). */
    size_t len = p->pos - start;
    char small[64], *tmp = small;
    if (len >= sizeof small) {
        tmp = fedc_arena_alloc(p->arena, len + 1, 1);
        if (!tmp) return pnomem(p);
    }
    memcpy(tmp, p->s + start, len);
    tmp[len] = '\0';
    v->u.n.num = strtod(tmp, NULL);
    if (isinf(v->u.n.num)) return perr_at(p, start, "number out of the range of a double");
    if (integer && fits && mag <= (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        v->exact_int = true;
        v->u.n.i = neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    }
    return FEDC_STATUS_OK;
}

/* ---- containers ---- */

static fedc_status push(parser *p, const fedc_json *v) {
    if (p->sp == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        fedc_json *s = cap > SIZE_MAX / sizeof *s ? NULL : fedc_realloc(p->stack, cap * sizeof *s);
        if (!s) return pnomem(p);
        p->stack = s;
        p->cap = cap;
    }
    p->stack[p->sp++] = *v;
    return FEDC_STATUS_OK;
}

static uint64_t hash_key(const char *k, size_t len) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)k[i]) * 0x100000001b3u;
    return h;
}

static bool key_eq(const fedc_json *m, const char *key, size_t len) {
    return m->key_len == len && memcmp(m->key, key, len) == 0;
}

/* Finds `key` among obj's members; with a hash index, *slot gets the slot it is in or the empty
 * slot where it would go. */
static const fedc_json *find(const fedc_json *obj, const char *key, size_t len, size_t *slot) {
    if (!obj->u.c.index) {
        for (size_t i = 0; i < obj->u.c.count; i++)
            if (key_eq(&obj->u.c.items[i], key, len)) return &obj->u.c.items[i];
        return NULL;
    }
    size_t mask = obj->u.c.index_cap - 1;
    for (size_t s = (size_t)hash_key(key, len) & mask;; s = (s + 1) & mask) {
        uint32_t e = obj->u.c.index[s];
        if (slot) *slot = s;
        if (e == 0) return NULL;
        if (key_eq(&obj->u.c.items[e - 1], key, len)) return &obj->u.c.items[e - 1];
    }
}

/* Builds the hash index of an object (large ones) and checks for duplicate keys. */
static fedc_status index_object(parser *p, fedc_json *obj) {
    size_t n = obj->u.c.count;
    if (n < HASH_MIN) {
        if (p->dup == FEDC_JSON_DUP_FIRST) return FEDC_STATUS_OK;
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (key_eq(&obj->u.c.items[j], obj->u.c.items[i].key, obj->u.c.items[i].key_len))
                    return perr_at(p, obj->u.c.items[i].key_offset - p->base, "duplicate key");
        return FEDC_STATUS_OK;
    }
    if (n >= UINT32_MAX / 2) return perr_at(p, obj->offset - p->base, "object too large");
    size_t cap = 32;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *index = fedc_arena_calloc(p->arena, cap, sizeof *index, 0);
    if (!index) return pnomem(p);
    obj->u.c.index = index;
    obj->u.c.index_cap = cap;
    for (size_t i = 0; i < n; i++) {
        const fedc_json *m = &obj->u.c.items[i];
        size_t slot = 0;
        /* find() stops at the member's own empty slot: only earlier members are indexed yet. */
        if (find(obj, m->key, m->key_len, &slot)) {
            if (p->dup == FEDC_JSON_DUP_FIRST) continue;
            return perr_at(p, m->key_offset - p->base, "duplicate key");
        }
        index[slot] = (uint32_t)(i + 1);
    }
    return FEDC_STATUS_OK;
}

static fedc_status parse_value(parser *p, int depth, fedc_json *v);

static fedc_status parse_container(parser *p, int depth, bool is_object, fedc_json *node) {
    p->pos++; /* [ or { */
    size_t first = p->sp;
    uint8_t close = is_object ? '}' : ']';
    skip_ws(p);
    fedc_status st = FEDC_STATUS_OK;
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            fedc_json child;
            const char *key = NULL;
            size_t key_len = 0, key_offset = 0;
            if (is_object) {
                skip_ws(p);
                if (p->pos >= p->n || p->s[p->pos] != '"') return perr(p, "expected a string key");
                key_offset = p->base + p->pos;
                if ((st = parse_string(p, &key, &key_len))) return st;
                skip_ws(p);
                if (p->pos >= p->n || p->s[p->pos] != ':') return perr(p, "expected ':'");
                p->pos++;
            }
            if ((st = parse_value(p, depth + 1, &child))) return st;
            child.key = key;
            child.key_len = key_len;
            child.key_offset = key_offset;
            if ((st = push(p, &child))) return st;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->n && p->s[p->pos] == close) {
                p->pos++;
                break;
            }
            return perr(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    size_t count = p->sp - first;
    fedc_json *items = fedc_arena_alloc(p->arena, (count ? count : 1) * sizeof *items, 0);
    if (!items) return pnomem(p);
    if (count) memcpy(items, p->stack + first, count * sizeof *items);
    p->sp = first;
    node->u.c.items = items;
    node->u.c.count = count;
    return is_object ? index_object(p, node) : FEDC_STATUS_OK;
}

static bool match(parser *p, const char *word) {
    size_t len = strlen(word);
    if (p->n - p->pos < len || memcmp(p->s + p->pos, word, len) != 0) return false;
    p->pos += len;
    return true;
}

static fedc_status parse_value(parser *p, int depth, fedc_json *v) {
    memset(v, 0, sizeof *v);
    skip_ws(p);
    v->offset = p->base + p->pos;
    if (p->pos >= p->n) return perr(p, "expected a value");
    uint8_t c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if (depth >= p->max_depth) {
            char what[48];
            snprintf(what, sizeof what, "nesting deeper than %d", p->max_depth);
            return perr(p, what);
        }
        v->type = c == '{' ? FEDC_JSON_OBJECT : FEDC_JSON_ARRAY;
        return parse_container(p, depth, c == '{', v);
    }
    if (c == '"') {
        v->type = FEDC_JSON_STRING;
        return parse_string(p, &v->u.s.s, &v->u.s.len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = FEDC_JSON_NUMBER;
        return parse_number(p, v);
    }
    if (match(p, "true") || match(p, "false")) {
        v->type = FEDC_JSON_BOOL;
        v->boolean = c == 't';
        return FEDC_STATUS_OK;
    }
    if (match(p, "null")) {
        v->type = FEDC_JSON_NULL;
        return FEDC_STATUS_OK;
    }
    return perr(p, "expected a value");
}

fedc_status fedc_json_parse(fedc_ctx *ctx, const void *text, size_t size,
                            const fedc_json_opts *opts, fedc_json_doc **out) {
    *out = NULL;
    fedc_json_opts o = opts ? *opts : fedc_json_opts_default();
    if (!o.name) o.name = "json";
    if (o.max_depth == 0) o.max_depth = FEDC_JSON_DEFAULT_MAX_DEPTH;
    if (o.max_depth < 1 || o.max_depth > FEDC_JSON_MAX_DEPTH_LIMIT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: max_depth %d is outside 1..%d", o.name, o.max_depth,
                               FEDC_JSON_MAX_DEPTH_LIMIT);
    /* Blocks sized to the text: small headers take one small block, big files few mallocs. */
    size_t block = size < 2048 ? 4096 : size < ((size_t)1 << 20) ? 2 * size : (size_t)2 << 20;
    fedc_arena *arena;
    fedc_status st = fedc_arena_create(NULL, block, &arena);
    if (st) return fedc_ctx_errorf(ctx, st, "%s: out of memory parsing JSON", o.name);
    fedc_json_doc *doc = fedc_arena_calloc(arena, 1, sizeof *doc, 0);
    if (!doc) {
        fedc_arena_destroy(arena);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: out of memory parsing JSON",
                               o.name);
    }
    doc->arena = arena;
    parser p = {.ctx = ctx,
                .name = o.name,
                .s = text,
                .n = size,
                .base = o.base_offset,
                .max_depth = o.max_depth,
                .dup = o.dup_keys,
                .arena = arena};
    st = parse_value(&p, 0, &doc->root);
    if (!st) {
        skip_ws(&p);
        if (p.pos != p.n) st = perr(&p, "expected the end of input");
    }
    fedc_free(p.stack);
    if (st) {
        fedc_arena_destroy(arena);
        return st;
    }
    *out = doc;
    return FEDC_STATUS_OK;
}

void fedc_json_doc_destroy(fedc_json_doc *doc) {
    if (doc) fedc_arena_destroy(doc->arena);
}

/* ---- accessors ---- */

const fedc_json *fedc_json_doc_root(const fedc_json_doc *doc) { return doc ? &doc->root : NULL; }

fedc_json_type fedc_json_type_of(const fedc_json *v) {
    return v ? (fedc_json_type)v->type : FEDC_JSON_NONE;
}

size_t fedc_json_offset(const fedc_json *v) { return v ? v->offset : 0; }

bool fedc_json_bool(const fedc_json *v) { return v && v->type == FEDC_JSON_BOOL && v->boolean; }

double fedc_json_number(const fedc_json *v) {
    return v && v->type == FEDC_JSON_NUMBER ? v->u.n.num : 0.0;
}

bool fedc_json_int64(const fedc_json *v, int64_t *out) {
    if (!v || v->type != FEDC_JSON_NUMBER) return false;
    if (v->exact_int) {
        *out = v->u.n.i;
        return true;
    }
    double d = v->u.n.num;
    /* [-2^63, 2^63): both bounds are exact doubles. */
    if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    *out = (int64_t)d;
    return true;
}

const char *fedc_json_string(const fedc_json *v, size_t *len) {
    if (!v || v->type != FEDC_JSON_STRING) return NULL;
    if (len) *len = v->u.s.len;
    return v->u.s.s;
}

size_t fedc_json_count(const fedc_json *v) {
    return v && (v->type == FEDC_JSON_ARRAY || v->type == FEDC_JSON_OBJECT) ? v->u.c.count : 0;
}

const fedc_json *fedc_json_at(const fedc_json *v, size_t i) {
    return i < fedc_json_count(v) ? &v->u.c.items[i] : NULL;
}

const char *fedc_json_key_at(const fedc_json *obj, size_t i, size_t *len) {
    if (!obj || obj->type != FEDC_JSON_OBJECT || i >= obj->u.c.count) return NULL;
    if (len) *len = obj->u.c.items[i].key_len;
    return obj->u.c.items[i].key;
}

const fedc_json *fedc_json_getn(const fedc_json *obj, const char *key, size_t len) {
    if (!obj || obj->type != FEDC_JSON_OBJECT || !key) return NULL;
    return find(obj, key, len, NULL);
}

const fedc_json *fedc_json_get(const fedc_json *obj, const char *key) {
    return key ? fedc_json_getn(obj, key, strlen(key)) : NULL;
}
