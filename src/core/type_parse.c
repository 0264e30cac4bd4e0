/* type_parse.c — parses types in TFF's notation with line:column messages. It builds types in
 * the caller's arena and never frees: on error the arena holds garbage the caller drops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

#define OOM(ctx) fedc_ctx_errorf((ctx), FEDC_STATUS_OUT_OF_MEMORY, "out of memory building a type")

static fedc_status parse_type(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                              const fedc_type **out);

static fedc_status expect(fedc_ctx *ctx, fedc__lexer *lx, const char *file, char c) {
    if (!fedc__lex_is(lx, c)) {
        char what[8] = {'\'', c, '\'', 0};
        return fedc__lex_expected(ctx, lx, file, what);
    }
    fedc__lex_next(lx);
    return FEDC_STATUS_OK;
}

static fedc_status parse_placement(fedc_ctx *ctx, fedc__lexer *lx, const char *file,
                                   fedc_placement *out) {
    if (fedc__lex_is_word(lx, "SERVER"))
        *out = FEDC_PLACEMENT_SERVER;
    else if (fedc__lex_is_word(lx, "CLIENTS"))
        *out = FEDC_PLACEMENT_CLIENTS;
    else
        return fedc__lex_expected(ctx, lx, file, "a placement (SERVER or CLIENTS)");
    fedc__lex_next(lx);
    return FEDC_STATUS_OK;
}

static fedc_status parse_tensor(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                                const fedc_type **out) {
    char name[16] = "";
    if (lx->tok.len < sizeof name) memcpy(name, lx->tok.start, lx->tok.len);
    fedc_dtype dt;
    if (!fedc_dtype_parse(name, &dt)) return fedc__lex_expected(ctx, lx, file, "a type");
    fedc__lex_next(lx);
    int rank = 0;
    int64_t dims[FEDC_MAX_RANK] = {0};
    if (fedc__lex_is(lx, '[')) {
        fedc__lex_next(lx);
        for (;;) {
            if (rank == FEDC_MAX_RANK)
                return fedc__lex_expected(ctx, lx, file, "']' (at most 6 dimensions)");
            if (fedc__lex_is(lx, '?')) {
                dims[rank++] = FEDC_DIM_UNKNOWN;
            } else if (lx->tok.kind == FEDC__TOK_INT) {
                errno = 0;
                long long v = strtoll(lx->tok.start, NULL, 10);
                if (errno) return fedc__lex_expected(ctx, lx, file, "a dimension below 2^63");
                dims[rank++] = v;
            } else {
                return fedc__lex_expected(ctx, lx, file, "a dimension (a number or ?)");
            }
            fedc__lex_next(lx);
            if (fedc__lex_is(lx, ']')) break;
            if (!fedc__lex_is(lx, ',')) return fedc__lex_expected(ctx, lx, file, "',' or ']'");
            fedc__lex_next(lx);
        }
        fedc__lex_next(lx);
    }
    *out = fedc_type_tensor(arena, dt, rank, dims);
    return *out ? FEDC_STATUS_OK : OOM(ctx);
}

static fedc_status parse_struct(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                                const fedc_type **out) {
    fedc__lex_next(lx); /* '<' */
    size_t n = 0, cap = 0;
    fedc_type_field *fields = NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (!fedc__lex_is(lx, '>')) {
        for (;;) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                fedc_type_field *nf = fedc_arena_alloc(arena, ncap * sizeof *nf, 0);
                if (!nf) return OOM(ctx);
                if (n) memcpy(nf, fields, n * sizeof *nf);
                fields = nf;
                cap = ncap;
            }
            const char *fname = NULL;
            if (lx->tok.kind == FEDC__TOK_IDENT) {
                fedc__lexer peek = *lx;
                fedc__lex_next(&peek);
                if (fedc__lex_is(&peek, '=')) {
                    for (size_t i = 0; i < n; i++)
                        if (fields[i].name && strlen(fields[i].name) == lx->tok.len &&
                            memcmp(fields[i].name, lx->tok.start, lx->tok.len) == 0)
                            return fedc__lex_expected(ctx, lx, file, "a new field name");
                    if (!(fname = fedc__tok_strdup(arena, &lx->tok))) return OOM(ctx);
                    *lx = peek;
                    fedc__lex_next(lx);
                }
            }
            fields[n].name = fname;
            if ((st = parse_type(ctx, arena, lx, file, &fields[n].type)) < 0) return st;
            n++;
            if (fedc__lex_is(lx, '>')) break;
            if (!fedc__lex_is(lx, ',')) return fedc__lex_expected(ctx, lx, file, "',' or '>'");
            fedc__lex_next(lx);
        }
    }
    fedc__lex_next(lx); /* '>' */
    *out = fedc_type_struct(arena, n, fields);
    return *out ? FEDC_STATUS_OK : OOM(ctx);
}

static fedc_status parse_primary(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx,
                                 const char *file, const fedc_type **out) {
    fedc_status st;
    if (fedc__lex_is(lx, '<')) return parse_struct(ctx, arena, lx, file, out);
    if (fedc__lex_is_word(lx, "placement")) {
        fedc__lex_next(lx);
        *out = fedc_type_placement(arena);
        return *out ? FEDC_STATUS_OK : OOM(ctx);
    }
    if (lx->tok.kind == FEDC__TOK_IDENT) return parse_tensor(ctx, arena, lx, file, out);
    if (fedc__lex_is(lx, '{')) {
        fedc__lex_next(lx);
        const fedc_type *member;
        int line = lx->tok.line, col = lx->tok.col;
        if ((st = parse_type(ctx, arena, lx, file, &member)) < 0) return st;
        if ((st = expect(ctx, lx, file, '}')) < 0) return st;
        if ((st = expect(ctx, lx, file, '@')) < 0) return st;
        if (!fedc__lex_is_word(lx, "CLIENTS"))
            return fedc__lex_expected(ctx, lx, file, "CLIENTS after {T}@ (a value per client)");
        fedc__lex_next(lx);
        if (member->kind == FEDC_TYPE_FEDERATED || member->kind == FEDC_TYPE_PLACEMENT) {
            char got[256];
            fedc_type_format(member, got, sizeof got);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_PARSE,
                                   "%s%s%d:%d: expected a non-federated member type, found %s",
                                   file ? file : "", file ? ":" : "", line, col, got);
        }
        *out = fedc_type_federated(arena, member, FEDC_PLACEMENT_CLIENTS, false);
        return *out ? FEDC_STATUS_OK : OOM(ctx);
    }
    if (fedc__lex_is(lx, '(')) {
        fedc__lex_next(lx);
        const fedc_type *param = NULL, *result;
        if (lx->tok.kind != FEDC__TOK_ARROW) {
            if ((st = parse_type(ctx, arena, lx, file, &param)) < 0) return st;
            if (fedc__lex_is(lx, ')')) { /* a parenthesized type */
                fedc__lex_next(lx);
                *out = param;
                return FEDC_STATUS_OK;
            }
            if (lx->tok.kind != FEDC__TOK_ARROW)
                return fedc__lex_expected(ctx, lx, file, "'->' or ')'");
        }
        fedc__lex_next(lx);
        if ((st = parse_type(ctx, arena, lx, file, &result)) < 0) return st;
        if ((st = expect(ctx, lx, file, ')')) < 0) return st;
        *out = fedc_type_function(arena, param, result);
        return *out ? FEDC_STATUS_OK : OOM(ctx);
    }
    return fedc__lex_expected(ctx, lx, file, "a type");
}

static fedc_status nesting_error(fedc_ctx *ctx, const char *file, int line, int col,
                                 const char *what, const fedc_type *t) {
    char got[256];
    fedc_type_format(t, got, sizeof got);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_PARSE, "%s%s%d:%d: expected %s, found %s",
                           file ? file : "", file ? ":" : "", line, col, what, got);
}

static fedc_status parse_type(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                              const fedc_type **out) {
    int line = lx->tok.line, col = lx->tok.col;
    const fedc_type *t;
    fedc_status st = parse_primary(ctx, arena, lx, file, &t);
    if (st < 0) return st;
    while (fedc__lex_is(lx, '*')) {
        if (!fedc__type_sequence_element_ok(t))
            return nesting_error(ctx, file, line, col, "a sequence element of tensors and structs",
                                 t);
        const fedc_type *seq = fedc_type_sequence(arena, t);
        if (!seq) return OOM(ctx);
        t = seq;
        fedc__lex_next(lx);
    }
    if (fedc__lex_is(lx, '@')) {
        fedc__lex_next(lx);
        fedc_placement p = FEDC_PLACEMENT_SERVER;
        if ((st = parse_placement(ctx, lx, file, &p)) < 0) return st;
        if (t->kind == FEDC_TYPE_FEDERATED || t->kind == FEDC_TYPE_PLACEMENT)
            return nesting_error(ctx, file, line, col, "a non-federated member type", t);
        t = fedc_type_federated(arena, t, p, true);
        if (!t) return OOM(ctx);
    }
    *out = t;
    return FEDC_STATUS_OK;
}

fedc_status fedc__type_parse_lx(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                                const fedc_type **out) {
    return parse_type(ctx, arena, lx, file, out);
}

fedc_status fedc_type_parse(fedc_ctx *ctx, fedc_arena *arena, const char *text,
                            const fedc_type **out) {
    *out = NULL;
    if (!arena || !text)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "fedc_type_parse: NULL %s",
                               arena ? "text" : "arena");
    fedc__lexer lx;
    fedc__lex_init(&lx, text);
    const fedc_type *t;
    fedc_status st = parse_type(ctx, arena, &lx, NULL, &t);
    if (st < 0) return st;
    if (lx.tok.kind != FEDC__TOK_END) return fedc__lex_expected(ctx, &lx, NULL, "end of input");
    *out = t;
    return FEDC_STATUS_OK;
}
