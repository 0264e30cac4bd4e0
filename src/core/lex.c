/* lex.c — the lexer shared by the type and computation parsers: identifiers, numbers, strings,
 * `->` and one-character punctuation, with `#` comments, tracking 1-based line and column.
 * It only splits text; what a token means is the parsers' business.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

void fedc__lex_init(fedc__lexer *lx, const char *text) {
    lx->text = text;
    lx->p = text;
    lx->line = 1;
    lx->col = 1;
    fedc__lex_next(lx);
}

static void advance(fedc__lexer *lx) {
    if (*lx->p == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->p++;
}

static bool ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

void fedc__lex_next(fedc__lexer *lx) {
    for (;;) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            advance(lx);
        } else if (c == '#') {
            while (*lx->p && *lx->p != '\n')
                advance(lx);
        } else {
            break;
        }
    }
    fedc__tok *t = &lx->tok;
    t->start = lx->p;
    t->line = lx->line;
    t->col = lx->col;
    char c = *lx->p;
    if (c == '\0') {
        t->kind = FEDC__TOK_END;
    } else if (ident_start(c)) {
        t->kind = FEDC__TOK_IDENT;
        while (ident_char(*lx->p))
            advance(lx);
    } else if (isdigit((unsigned char)c)) {
        t->kind = FEDC__TOK_INT;
        while (isdigit((unsigned char)*lx->p))
            advance(lx);
        if (*lx->p == '.' && isdigit((unsigned char)lx->p[1])) {
            t->kind = FEDC__TOK_FLOAT;
            advance(lx);
            while (isdigit((unsigned char)*lx->p))
                advance(lx);
        }
        if ((*lx->p == 'e' || *lx->p == 'E') &&
            (isdigit((unsigned char)lx->p[1]) ||
             ((lx->p[1] == '-' || lx->p[1] == '+') && isdigit((unsigned char)lx->p[2])))) {
            t->kind = FEDC__TOK_FLOAT;
            advance(lx);
            advance(lx);
            while (isdigit((unsigned char)*lx->p))
                advance(lx);
        }
    } else if (c == '"') {
        advance(lx);
        t->start = lx->p;
        while (*lx->p && *lx->p != '"' && *lx->p != '\n') {
            if (*lx->p == '\\' && lx->p[1]) advance(lx);
            advance(lx);
        }
        if (*lx->p != '"') {
            t->kind = FEDC__TOK_BAD;
            t->len = 1;
            t->start = lx->p;
            return;
        }
        t->kind = FEDC__TOK_STRING;
        t->len = (size_t)(lx->p - t->start);
        advance(lx);
        return;
    } else if (c == '-' && lx->p[1] == '>') {
        t->kind = FEDC__TOK_ARROW;
        advance(lx);
        advance(lx);
    } else if (strchr("<>{}()[],=.*@:?-", c)) {
        t->kind = FEDC__TOK_PUNCT;
        advance(lx);
    } else {
        t->kind = FEDC__TOK_BAD;
        advance(lx);
    }
    t->len = (size_t)(lx->p - t->start);
}

bool fedc__lex_is(const fedc__lexer *lx, char c) {
    return lx->tok.kind == FEDC__TOK_PUNCT && lx->tok.start[0] == c;
}

bool fedc__lex_is_word(const fedc__lexer *lx, const char *word) {
    return lx->tok.kind == FEDC__TOK_IDENT && strlen(word) == lx->tok.len &&
           memcmp(lx->tok.start, word, lx->tok.len) == 0;
}

void fedc__tok_describe(const fedc__tok *tok, char *buf, size_t size) {
    int n = tok->len > 40 ? 40 : (int)tok->len;
    switch (tok->kind) {
    case FEDC__TOK_END: snprintf(buf, size, "end of input"); break;
    case FEDC__TOK_STRING: snprintf(buf, size, "\"%.*s\"", n, tok->start); break;
    case FEDC__TOK_BAD:
        if (tok->start[0] == '\0' || tok->start[0] == '\n')
            snprintf(buf, size, "an unterminated string");
        else
            snprintf(buf, size, "'%c'", tok->start[0]);
        break;
    default: snprintf(buf, size, "'%.*s'", n, tok->start); break;
    }
}

fedc_status fedc__lex_expected(fedc_ctx *ctx, const fedc__lexer *lx, const char *file,
                               const char *what) {
    char found[64];
    fedc__tok_describe(&lx->tok, found, sizeof found);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_PARSE, "%s%s%d:%d: expected %s, found %s",
                           file ? file : "", file ? ":" : "", lx->tok.line, lx->tok.col, what,
                           found);
}

char *fedc__tok_strdup(fedc_arena *arena, const fedc__tok *tok) {
    char *s = fedc_arena_alloc(arena, tok->len + 1, 1);
    if (!s) return NULL;
    if (tok->kind != FEDC__TOK_STRING) {
        memcpy(s, tok->start, tok->len);
        s[tok->len] = '\0';
        return s;
    }
    /* strings: \" and \\ stand for themselves (the lexer kept them escaped) */
    size_t k = 0;
    for (size_t i = 0; i < tok->len; i++) {
        if (tok->start[i] == '\\' && i + 1 < tok->len) i++;
        s[k++] = tok->start[i];
    }
    s[k] = '\0';
    return s;
}

char *fedc__arena_strdup(fedc_arena *arena, const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = fedc_arena_alloc(arena, n + 1, 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}
