/* literal_parse.c — tensor literals of the text syntax: numbers, booleans, inf and nan, nested
 * rectangular lists, with the dtype inferred (int32, float32, bool) or given (`int64(...)`). It
 * reads tokens and builds a literal node; it resolves no names.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

typedef fedc__parser parser;

#define oom fedc__parse_oom
#define expected fedc__parse_expected
#define expect fedc__parse_expect
#define at fedc__parse_at

typedef struct litbuf {
    double *d;
    int64_t *i;
    size_t n, cap;
    int rank;
    int64_t dims[FEDC_MAX_RANK];
    bool seen[FEDC_MAX_RANK + 1]; /* a first list at this depth fixed dims[depth] */
    bool has_float, has_bool, has_number, scalar;
} litbuf;

static fedc_status lit_push(parser *p, litbuf *lb, double d, int64_t i) {
    if (lb->n == lb->cap) {
        size_t cap = lb->cap ? lb->cap * 2 : 16;
        double *nd = fedc_arena_alloc(p->arena, cap * sizeof *nd, 0);
        int64_t *ni = fedc_arena_alloc(p->arena, cap * sizeof *ni, 0);
        if (!nd || !ni) return oom(p);
        if (lb->n) {
            memcpy(nd, lb->d, lb->n * sizeof *nd);
            memcpy(ni, lb->i, lb->n * sizeof *ni);
        }
        lb->d = nd;
        lb->i = ni;
        lb->cap = cap;
    }
    lb->d[lb->n] = d;
    lb->i[lb->n] = i;
    lb->n++;
    return FEDC_STATUS_OK;
}

static fedc_status lit_scalar(parser *p, litbuf *lb) {
    fedc__lexer *lx = &p->lx;
    bool neg = false;
    if (fedc__lex_is(lx, '-')) {
        neg = true;
        fedc__lex_next(lx);
    }
    if (!neg && (fedc__lex_is_word(lx, "true") || fedc__lex_is_word(lx, "false"))) {
        lb->has_bool = true;
        bool v = fedc__lex_is_word(lx, "true");
        fedc__lex_next(lx);
        return lit_push(p, lb, v, v);
    }
    double d;
    int64_t iv = 0;
    if (fedc__lex_is_word(lx, "inf") || fedc__lex_is_word(lx, "nan")) {
        d = fedc__lex_is_word(lx, "inf") ? INFINITY : NAN;
        lb->has_float = true;
    } else if (lx->tok.kind == FEDC__TOK_INT || lx->tok.kind == FEDC__TOK_FLOAT) {
        char buf[64];
        if (lx->tok.len >= sizeof buf) return expected(p, "a number of at most 63 characters");
        memcpy(buf, lx->tok.start, lx->tok.len);
        buf[lx->tok.len] = '\0';
        d = strtod(buf, NULL);
        if (lx->tok.kind == FEDC__TOK_INT) {
            errno = 0;
            iv = (int64_t)strtoll(buf, NULL, 10);
            if (errno) return expected(p, "an integer below 2^63");
        } else {
            lb->has_float = true;
        }
    } else {
        return expected(p, neg ? "a number after '-'" : "a literal value");
    }
    lb->has_number = true;
    fedc__lex_next(lx);
    return lit_push(p, lb, neg ? -d : d, neg ? -iv : iv);
}

static fedc_status lit_array(parser *p, litbuf *lb, int depth) {
    fedc_status st;
    if (!fedc__lex_is(&p->lx, '[')) {
        if (lb->seen[depth] && depth < lb->rank)
            return expected(p, "'[' (rows of a literal must have the same shape)");
        if (!lb->seen[depth]) {
            lb->seen[depth] = true;
            lb->rank = depth;
        }
        return lit_scalar(p, lb);
    }
    if (depth == FEDC_MAX_RANK) return expected(p, "a literal of at most 6 dimensions");
    if (lb->seen[depth] && depth >= lb->rank)
        return expected(p, "a number (rows of a literal must have the same shape)");
    int line = p->lx.tok.line, col = p->lx.tok.col;
    fedc__lex_next(&p->lx);
    int64_t count = 0;
    if (!fedc__lex_is(&p->lx, ']')) {
        for (;;) {
            if ((st = lit_array(p, lb, depth + 1)) < 0) return st;
            count++;
            if (fedc__lex_is(&p->lx, ']')) break;
            if ((st = expect(p, ',')) < 0) return st;
        }
    }
    fedc__lex_next(&p->lx);
    if (!lb->seen[depth]) {
        lb->seen[depth] = true;
        lb->dims[depth] = count;
        if (count == 0) {
            lb->rank = depth + 1;
            lb->seen[depth + 1] = true;
        }
    } else if (lb->dims[depth] != count) {
        return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE,
                               "%s%s%d:%d: expected a row of %lld elements, found %lld",
                               p->file ? p->file : "", p->file ? ":" : "", line, col,
                               (long long)lb->dims[depth], (long long)count);
    }
    return FEDC_STATUS_OK;
}

/* A literal: `1`, `-1.5`, `true`, `[[1, 2], [3, 4]]`; with has_dtype, of that dtype. */
fedc_status fedc__parse_literal(parser *p, bool has_dtype, fedc_dtype dtype, fedc_node **out) {
    int line = p->lx.tok.line, col = p->lx.tok.col;
    litbuf lb;
    memset(&lb, 0, sizeof lb);
    fedc_status st = lit_array(p, &lb, 0);
    if (st < 0) return st;
    if (lb.has_bool && lb.has_number)
        return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE,
                               "%s%s%d:%d: expected a literal of one kind, found numbers and "
                               "booleans",
                               p->file ? p->file : "", p->file ? ":" : "", line, col);
    if (!has_dtype)
        dtype = lb.has_bool    ? FEDC_DTYPE_BOOL
                : lb.has_float ? FEDC_DTYPE_FLOAT32
                               : FEDC_DTYPE_INT32;
    const char *bad = NULL;
    if (!fedc_dtype_is_float(dtype) && lb.has_float) bad = "an integer literal";
    if (dtype == FEDC_DTYPE_BOOL && lb.has_number) bad = "true or false";
    if (dtype != FEDC_DTYPE_BOOL && lb.has_bool) bad = "a number";
    for (size_t k = 0; !bad && k < lb.n; k++) {
        if (dtype == FEDC_DTYPE_INT32 && (lb.i[k] < INT32_MIN || lb.i[k] > INT32_MAX))
            bad = "int32 values (write int64(...) for larger ones)";
        if (dtype == FEDC_DTYPE_UINT8 && (lb.i[k] < 0 || lb.i[k] > 255)) bad = "uint8 values";
    }
    if (bad)
        return fedc_ctx_errorf(p->ctx, FEDC_STATUS_PARSE, "%s%s%d:%d: expected %s, found %s",
                               p->file ? p->file : "", p->file ? ":" : "", line, col, bad,
                               lb.has_float ? "a float literal" : "another literal");
    fedc_shape shape = fedc_shape_make(lb.rank, lb.dims);
    size_t esize = fedc_dtype_size(dtype);
    void *data = fedc_arena_alloc(p->arena, (size_t)fedc_shape_numel(&shape) * esize, 16);
    fedc_node *n = fedc_arena_calloc(p->arena, 1, sizeof *n, 0);
    if (!data || !n) return oom(p);
    n->kind = FEDC_NODE_LITERAL;
    n->index = -1;
    n->literal = fedc_tensor_view(dtype, &shape, data);
    for (size_t k = 0; k < lb.n; k++) {
        if (dtype == FEDC_DTYPE_INT64)
            ((int64_t *)data)[k] = lb.i[k];
        else if (fedc_dtype_is_float(dtype))
            fedc_tensor_set_flat(&n->literal, (int64_t)k, lb.d[k]);
        else
            fedc_tensor_set_flat(&n->literal, (int64_t)k, (double)lb.i[k]);
    }
    *out = at(n, line, col);
    return FEDC_STATUS_OK;
}
