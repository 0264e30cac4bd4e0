/* comp_parse.c — the parser of the text syntax: modules of `name = expr` definitions, with
 * `LINE:COL: expected ..., found ...` messages. It resolves names (scope, earlier definitions,
 * intrinsics, builtins) but checks no types: that is check.c's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

/* deeper nesting is refused rather than risking the C stack */
#define MAX_DEPTH 400

typedef fedc__parser parser;
typedef fedc__pscope pscope;

/* short names for the shared parser helpers, within this file and literal_parse.c */
#define oom fedc__parse_oom
#define expected fedc__parse_expected
#define expect fedc__parse_expect
#define at fedc__parse_at

fedc_status fedc__parse_oom(fedc__parser *p) {
    return fedc_ctx_errorf(p->ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s%sout of memory parsing (%d:%d)",
                           p->file ? p->file : "", p->file ? ": " : "", p->lx.tok.line,
                           p->lx.tok.col);
}

fedc_status fedc__parse_expected(fedc__parser *p, const char *what) {
    return fedc__lex_expected(p->ctx, &p->lx, p->file, what);
}

fedc_status fedc__parse_expect(fedc__parser *p, char c) {
    if (!fedc__lex_is(&p->lx, c)) {
        char what[8] = {'\'', c, '\'', 0};
        return expected(p, what);
    }
    fedc__lex_next(&p->lx);
    return FEDC_STATUS_OK;
}

static bool tok_eq(const fedc__tok *t, const char *s) {
    return t->kind == FEDC__TOK_IDENT && strlen(s) == t->len && memcmp(t->start, s, t->len) == 0;
}

static bool is_keyword(const fedc__tok *t) {
    return t->kind == FEDC__TOK_IDENT && fedc__is_reserved(t->start, t->len);
}

/* The current token as a new binding name (not a keyword), copied into the arena. */
static fedc_status binding_name(parser *p, const char *what, const char **out) {
    if (p->lx.tok.kind != FEDC__TOK_IDENT || is_keyword(&p->lx.tok)) return expected(p, what);
    if (!(*out = fedc__tok_strdup(p->arena, &p->lx.tok))) return oom(p);
    fedc__lex_next(&p->lx);
    return FEDC_STATUS_OK;
}

fedc_node *fedc__parse_at(fedc_node *n, int line, int col) {
    if (n) {
        n->line = line;
        n->col = col;
    }
    return n;
}

static fedc_status parse_expr(parser *p, const pscope *sc, fedc_node **out);

/* ---- expressions ---- */

static fedc_status parse_lambda_rest(parser *p, const pscope *sc, int line, int col,
                                     fedc_node **out) {
    /* after '(' at a parameter name or '->' */
    fedc_status st;
    size_t n = 0, cap = 0;
    fedc_param *params = NULL;
    const pscope *inner = sc;
    while (p->lx.tok.kind != FEDC__TOK_ARROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            fedc_param *np = fedc_arena_alloc(p->arena, ncap * sizeof *np, 0);
            if (!np) return oom(p);
            if (n) memcpy(np, params, n * sizeof *np);
            params = np;
            cap = ncap;
        }
        for (size_t i = 0; i < n; i++)
            if (tok_eq(&p->lx.tok, params[i].name)) return expected(p, "a new parameter name");
        if ((st = binding_name(p, "a parameter name", &params[n].name)) < 0) return st;
        if ((st = expect(p, ':')) < 0) return st;
        if ((st = fedc__type_parse_lx(p->ctx, p->arena, &p->lx, p->file, &params[n].type)) < 0)
            return st;
        pscope *s = fedc_arena_alloc(p->arena, sizeof *s, 0);
        if (!s) return oom(p);
        s->name = params[n].name;
        s->up = inner;
        inner = s;
        n++;
        if (fedc__lex_is(&p->lx, ',')) {
            fedc__lex_next(&p->lx);
            continue;
        }
        if (fedc__lex_is(&p->lx, ')')) { /* (a: T, b: U) -> body */
            fedc__lex_next(&p->lx);
            if (p->lx.tok.kind != FEDC__TOK_ARROW) return expected(p, "'->'");
            fedc__lex_next(&p->lx);
            fedc_node *body;
            if ((st = parse_expr(p, inner, &body)) < 0) return st;
            fedc_node *l = fedc_node_lambda(p->comp, n, params, body);
            if (!l) return oom(p);
            *out = at(l, line, col);
            return FEDC_STATUS_OK;
        }
        if (p->lx.tok.kind != FEDC__TOK_ARROW) return expected(p, "',', ')' or '->'");
    }
    fedc__lex_next(&p->lx); /* -> */
    fedc_node *body;
    if ((st = parse_expr(p, inner, &body)) < 0) return st;
    if ((st = expect(p, ')')) < 0) return st;
    fedc_node *l = fedc_node_lambda(p->comp, n, params, body);
    if (!l) return oom(p);
    *out = at(l, line, col);
    return FEDC_STATUS_OK;
}

static fedc_status parse_block(parser *p, const pscope *sc, int line, int col, fedc_node **out) {
    fedc_status st;
    fedc__lex_next(&p->lx); /* let */
    size_t n = 0, cap = 0;
    const char **names = NULL;
    fedc_node **values = NULL;
    const pscope *inner = sc;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            const char **nn = fedc_arena_alloc(p->arena, ncap * sizeof *nn, 0);
            fedc_node **nv = fedc_arena_alloc(p->arena, ncap * sizeof *nv, 0);
            if (!nn || !nv) return oom(p);
            if (n) {
                memcpy(nn, names, n * sizeof *nn);
                memcpy(nv, values, n * sizeof *nv);
            }
            names = nn;
            values = nv;
            cap = ncap;
        }
        if ((st = binding_name(p, "a name to bind", &names[n])) < 0) return st;
        if ((st = expect(p, '=')) < 0) return st;
        /* each binding sees the ones before it, as in TFF's Block */
        if ((st = parse_expr(p, inner, &values[n])) < 0) return st;
        pscope *s = fedc_arena_alloc(p->arena, sizeof *s, 0);
        if (!s) return oom(p);
        s->name = names[n];
        s->up = inner;
        inner = s;
        n++;
        if (fedc__lex_is_word(&p->lx, "in")) break;
        if (!fedc__lex_is(&p->lx, ',')) return expected(p, "',' or 'in'");
        fedc__lex_next(&p->lx);
    }
    fedc__lex_next(&p->lx); /* in */
    fedc_node *body;
    if ((st = parse_expr(p, inner, &body)) < 0) return st;
    fedc_node *b = fedc_node_block(p->comp, n, names, values, body);
    if (!b) return oom(p);
    *out = at(b, line, col);
    return FEDC_STATUS_OK;
}

static fedc_status parse_struct(parser *p, const pscope *sc, int line, int col, fedc_node **out) {
    fedc_status st;
    fedc__lex_next(&p->lx); /* < */
    size_t n = 0, cap = 0;
    const char **names = NULL;
    fedc_node **items = NULL;
    bool any_name = false;
    if (!fedc__lex_is(&p->lx, '>')) {
        for (;;) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                const char **nn = fedc_arena_alloc(p->arena, ncap * sizeof *nn, 0);
                fedc_node **ni = fedc_arena_alloc(p->arena, ncap * sizeof *ni, 0);
                if (!nn || !ni) return oom(p);
                if (n) {
                    memcpy(nn, names, n * sizeof *nn);
                    memcpy(ni, items, n * sizeof *ni);
                }
                names = nn;
                items = ni;
                cap = ncap;
            }
            names[n] = NULL;
            if (p->lx.tok.kind == FEDC__TOK_IDENT) {
                fedc__lexer peek = p->lx;
                fedc__lex_next(&peek);
                if (fedc__lex_is(&peek, '=')) {
                    if (!(names[n] = fedc__tok_strdup(p->arena, &p->lx.tok))) return oom(p);
                    for (size_t i = 0; i < n; i++)
                        if (names[i] && strcmp(names[i], names[n]) == 0)
                            return expected(p, "a new field name");
                    any_name = true;
                    p->lx = peek;
                    fedc__lex_next(&p->lx);
                }
            }
            if ((st = parse_expr(p, sc, &items[n])) < 0) return st;
            n++;
            if (fedc__lex_is(&p->lx, '>')) break;
            if (!fedc__lex_is(&p->lx, ',')) return expected(p, "',' or '>'");
            fedc__lex_next(&p->lx);
        }
    }
    fedc__lex_next(&p->lx); /* > */
    fedc_node *s = fedc_node_struct(p->comp, n, items, any_name ? names : NULL);
    if (!s) return oom(p);
    *out = at(s, line, col);
    return FEDC_STATUS_OK;
}

static bool in_scope(const pscope *sc, const fedc__tok *t) {
    for (; sc; sc = sc->up)
        if (tok_eq(t, sc->name)) return true;
    return false;
}

static fedc_status parse_name(parser *p, const pscope *sc, int line, int col, fedc_node **out) {
    fedc__tok t = p->lx.tok;
    char name[128];
    if (t.len >= sizeof name) return expected(p, "a name of at most 127 characters");
    memcpy(name, t.start, t.len);
    name[t.len] = '\0';
    fedc_node *n;
    fedc_intrinsic in;
    if (in_scope(sc, &t) || fedc_comp_lookup(p->comp, name))
        n = fedc_node_reference(p->comp, name);
    else if (fedc_intrinsic_lookup(name, &in))
        n = fedc_node_intrinsic(p->comp, in);
    else if (fedc_builtin_exists(name))
        n = fedc_node_builtin(p->comp, name);
    else
        return expected(p, "a name in scope, a definition, an intrinsic or a builtin");
    if (!n) return oom(p);
    fedc__lex_next(&p->lx);
    *out = at(n, line, col);
    return FEDC_STATUS_OK;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* native("name": T) or native("name": T, "hex") */
static fedc_status parse_native(parser *p, int line, int col, fedc_node **out) {
    fedc__lexer *lx = &p->lx;
    fedc_status st;
    fedc__lex_next(lx);
    if ((st = expect(p, '(')) < 0) return st;
    if (lx->tok.kind != FEDC__TOK_STRING) return expected(p, "a quoted function name");
    char *name = fedc__tok_strdup(p->arena, &lx->tok);
    if (!name) return oom(p);
    fedc__lex_next(lx);
    if ((st = expect(p, ':')) < 0) return st;
    const fedc_type *t;
    if ((st = fedc__type_parse_lx(p->ctx, p->arena, lx, p->file, &t)) < 0) return st;
    uint8_t *blob = NULL;
    size_t size = 0;
    if (fedc__lex_is(lx, ',')) {
        fedc__lex_next(lx);
        const fedc__tok *h = &lx->tok;
        bool ok = h->kind == FEDC__TOK_STRING && h->len % 2 == 0;
        for (size_t i = 0; ok && i < h->len; i++)
            ok = hex_digit(h->start[i]) >= 0;
        if (!ok) return expected(p, "a quoted hex blob of whole bytes");
        size = h->len / 2;
        if (!(blob = fedc_arena_alloc(p->arena, size, 1))) return oom(p);
        for (size_t i = 0; i < size; i++)
            blob[i] = (uint8_t)(hex_digit(h->start[2 * i]) * 16 + hex_digit(h->start[2 * i + 1]));
        fedc__lex_next(lx);
    }
    if ((st = expect(p, ')')) < 0) return st;
    fedc_node *n = fedc_node_native(p->comp, name, t, blob, size);
    if (!n) return oom(p);
    *out = at(n, line, col);
    return FEDC_STATUS_OK;
}

static fedc_status parse_primary(parser *p, const pscope *sc, fedc_node **out) {
    fedc__lexer *lx = &p->lx;
    int line = lx->tok.line, col = lx->tok.col;
    fedc_status st;
    if (lx->tok.kind == FEDC__TOK_INT || lx->tok.kind == FEDC__TOK_FLOAT || fedc__lex_is(lx, '-') ||
        fedc__lex_is(lx, '[') || fedc__lex_is_word(lx, "true") || fedc__lex_is_word(lx, "false") ||
        fedc__lex_is_word(lx, "inf") || fedc__lex_is_word(lx, "nan"))
        return fedc__parse_literal(p, false, FEDC_DTYPE_FLOAT32, out);
    if (fedc__lex_is(lx, '<')) return parse_struct(p, sc, line, col, out);
    if (fedc__lex_is_word(lx, "let")) return parse_block(p, sc, line, col, out);
    if (fedc__lex_is_word(lx, "SERVER") || fedc__lex_is_word(lx, "CLIENTS")) {
        fedc_node *n =
            fedc_node_placement(p->comp, fedc__lex_is_word(lx, "SERVER") ? FEDC_PLACEMENT_SERVER
                                                                         : FEDC_PLACEMENT_CLIENTS);
        if (!n) return oom(p);
        fedc__lex_next(lx);
        *out = at(n, line, col);
        return FEDC_STATUS_OK;
    }
    if (fedc__lex_is_word(lx, "data")) {
        fedc__lex_next(lx);
        if ((st = expect(p, '(')) < 0) return st;
        if (lx->tok.kind != FEDC__TOK_STRING) return expected(p, "a quoted URI");
        char *uri = fedc__tok_strdup(p->arena, &lx->tok);
        if (!uri) return oom(p);
        fedc__lex_next(lx);
        if ((st = expect(p, ':')) < 0) return st;
        const fedc_type *t;
        if ((st = fedc__type_parse_lx(p->ctx, p->arena, lx, p->file, &t)) < 0) return st;
        if ((st = expect(p, ')')) < 0) return st;
        fedc_node *n = fedc_node_data(p->comp, uri, t);
        if (!n) return oom(p);
        *out = at(n, line, col);
        return FEDC_STATUS_OK;
    }
    if (fedc__lex_is_word(lx, "native")) return parse_native(p, line, col, out);
    if (lx->tok.kind == FEDC__TOK_IDENT) {
        char name[16] = "";
        fedc_dtype dt;
        if (lx->tok.len < sizeof name) memcpy(name, lx->tok.start, lx->tok.len);
        if (fedc_dtype_parse(name, &dt)) { /* a typed literal: int64(3) */
            fedc__lex_next(lx);
            if ((st = expect(p, '(')) < 0) return st;
            if ((st = fedc__parse_literal(p, true, dt, out)) < 0) return st;
            at(*out, line, col);
            return expect(p, ')');
        }
        return parse_name(p, sc, line, col, out);
    }
    if (fedc__lex_is(lx, '(')) {
        fedc__lex_next(lx);
        if (lx->tok.kind == FEDC__TOK_ARROW) return parse_lambda_rest(p, sc, line, col, out);
        if (lx->tok.kind == FEDC__TOK_IDENT) {
            fedc__lexer peek = *lx;
            fedc__lex_next(&peek);
            if (fedc__lex_is(&peek, ':')) return parse_lambda_rest(p, sc, line, col, out);
        }
        if ((st = parse_expr(p, sc, out)) < 0) return st;
        return expect(p, ')');
    }
    return expected(p, "an expression");
}

static fedc_status parse_postfix(parser *p, const pscope *sc, fedc_node **out) {
    int line = p->lx.tok.line, col = p->lx.tok.col;
    fedc_node *e;
    fedc_status st = parse_primary(p, sc, &e);
    if (st < 0) return st;
    for (;;) {
        fedc__lexer *lx = &p->lx;
        if (fedc__lex_is(lx, '(')) {
            fedc__lex_next(lx);
            fedc_node *arg = NULL;
            if (!fedc__lex_is(lx, ')')) {
                int aline = lx->tok.line, acol = lx->tok.col;
                size_t n = 0, cap = 0;
                fedc_node **args = NULL;
                for (;;) {
                    if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 4;
                        fedc_node **na = fedc_arena_alloc(p->arena, ncap * sizeof *na, 0);
                        if (!na) return oom(p);
                        if (n) memcpy(na, args, n * sizeof *na);
                        args = na;
                        cap = ncap;
                    }
                    if ((st = parse_expr(p, sc, &args[n])) < 0) return st;
                    n++;
                    if (fedc__lex_is(lx, ')')) break;
                    if (!fedc__lex_is(lx, ',')) return expected(p, "',' or ')'");
                    fedc__lex_next(lx);
                }
                /* f(x, y) is f applied to the struct <x, y> */
                arg = n == 1 ? args[0] : at(fedc_node_struct(p->comp, n, args, NULL), aline, acol);
                if (!arg) return oom(p);
            }
            fedc__lex_next(lx);
            e = arg ? fedc_node_call(p->comp, e, arg) : fedc_node_call0(p->comp, e);
            e = at(e, line, col);
        } else if (fedc__lex_is(lx, '.')) {
            fedc__lex_next(lx);
            if (lx->tok.kind != FEDC__TOK_IDENT) return expected(p, "a field name after '.'");
            char *name = fedc__tok_strdup(p->arena, &lx->tok);
            if (!name) return oom(p);
            fedc__lex_next(lx);
            e = at(fedc_node_select_name(p->comp, e, name), line, col);
        } else if (fedc__lex_is(lx, '[')) {
            fedc__lex_next(lx);
            if (lx->tok.kind != FEDC__TOK_INT) return expected(p, "an index");
            errno = 0;
            long long idx = strtoll(lx->tok.start, NULL, 10);
            if (errno) return expected(p, "an index below 2^63");
            fedc__lex_next(lx);
            if ((st = expect(p, ']')) < 0) return st;
            e = at(fedc_node_select_index(p->comp, e, idx), line, col);
        } else {
            break;
        }
        if (!e) return oom(p);
    }
    *out = e;
    return FEDC_STATUS_OK;
}

static fedc_status parse_expr(parser *p, const pscope *sc, fedc_node **out) {
    if (++p->depth > MAX_DEPTH) {
        p->depth--;
        return expected(p, "an expression nested at most 400 deep");
    }
    fedc_status st = parse_postfix(p, sc, out);
    p->depth--;
    return st;
}

static fedc_status parse_module(parser *p) {
    fedc_status st;
    while (p->lx.tok.kind != FEDC__TOK_END) {
        fedc__tok name_tok = p->lx.tok;
        if (name_tok.kind != FEDC__TOK_IDENT || is_keyword(&name_tok))
            return expected(p, "a definition name");
        char name[128];
        if (name_tok.len >= sizeof name) return expected(p, "a name of at most 127 characters");
        memcpy(name, name_tok.start, name_tok.len);
        name[name_tok.len] = '\0';
        const fedc_def *prev = fedc_comp_lookup(p->comp, name);
        if (prev) {
            char what[200];
            snprintf(what, sizeof what, "a new definition name ('%s' is defined at %d:%d)", name,
                     prev->line, prev->col);
            return expected(p, what);
        }
        fedc__lex_next(&p->lx);
        if ((st = expect(p, '=')) < 0) return st;
        fedc_node *e;
        if ((st = parse_expr(p, NULL, &e)) < 0) return st;
        if ((st = fedc_comp_define(p->ctx, p->comp, name, e)) < 0) {
            if (st == FEDC_STATUS_OUT_OF_MEMORY) return oom(p);
            return st;
        }
        fedc_def *d = &p->comp->defs[p->comp->ndefs - 1];
        d->line = name_tok.line;
        d->col = name_tok.col;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_comp_parse(fedc_ctx *ctx, const char *file, const char *text, fedc_comp **out) {
    *out = NULL;
    if (!text)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "fedc_comp_parse: NULL text");
    parser p;
    memset(&p, 0, sizeof p);
    fedc_status st = fedc_comp_create(ctx, &p.comp);
    if (st < 0) return st;
    p.ctx = ctx;
    p.arena = p.comp->arena;
    p.file = file;
    fedc__lex_init(&p.lx, text);
    if ((st = parse_module(&p)) < 0) {
        fedc_comp_destroy(p.comp);
        return st;
    }
    *out = p.comp;
    return FEDC_STATUS_OK;
}
