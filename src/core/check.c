/* check.c — type inference and checking of computations: walks each definition, gives every
 * node its type (allocated in the module's arena) and reports `LINE:COL: X expects ..., got ...`.
 * The intrinsics' and builtins' signatures live in check_intrinsics.c and check_builtins.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

fedc_status fedc__node_errorf(fedc_ctx *ctx, const fedc_node *node, fedc_status status,
                              const char *fmt, ...) {
    char msg[FEDC_CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node && node->line > 0)
        return fedc_ctx_errorf(ctx, status, "%d:%d: %s", node->line, node->col, msg);
    return fedc_ctx_errorf(ctx, status, "%s", msg);
}

fedc_status fedc__type_mismatch(fedc_ctx *ctx, const fedc_node *node, const char *what,
                                const char *want, const fedc_type *got) {
    char g[512];
    fedc_type_format(got, g, sizeof g);
    if (!got) snprintf(g, sizeof g, "no argument");
    return fedc__node_errorf(ctx, node, FEDC_STATUS_TYPE, "%s expects %s, got %s", what, want, g);
}

static fedc_status oom(fedc__checker *ck, const fedc_node *n) {
    return fedc__node_errorf(ck->ctx, n, FEDC_STATUS_OUT_OF_MEMORY,
                             "out of memory while type checking");
}

static fedc_status check_node(fedc__checker *ck, const fedc__scope *sc, fedc_node *n);

static const fedc_type *lookup(fedc__checker *ck, const fedc__scope *sc, const char *name) {
    for (; sc; sc = sc->up)
        if (strcmp(sc->name, name) == 0) return sc->type;
    for (size_t i = 0; i < ck->ndefs_visible; i++)
        if (strcmp(ck->comp->defs[i].name, name) == 0) return ck->comp->defs[i].node->type;
    return NULL;
}

static fedc_status check_call(fedc__checker *ck, const fedc__scope *sc, fedc_node *n) {
    fedc_arena *arena = ck->comp->arena;
    fedc_node *fn = n->a[0], *arg = n->a[1];
    fedc_status st;
    if (arg && (st = check_node(ck, sc, arg)) < 0) return st;
    const fedc_type *at = arg ? arg->type : NULL;
    if (fn->kind == FEDC_NODE_INTRINSIC || fn->kind == FEDC_NODE_BUILTIN) {
        const fedc_type *res;
        st = fn->kind == FEDC_NODE_INTRINSIC ? fedc__check_intrinsic(ck, n, fn->intrinsic, at, &res)
                                             : fedc__check_builtin(ck, n, fn->name, at, &res);
        if (st < 0) return st;
        fn->type = fedc_type_function(arena, at, res);
        n->type = res;
        return fn->type ? FEDC_STATUS_OK : oom(ck, n);
    }
    if ((st = check_node(ck, sc, fn)) < 0) return st;
    const fedc_type *ft = fn->type;
    if (ft->kind != FEDC_TYPE_FUNCTION)
        return fedc__type_mismatch(ck->ctx, n, "a call", "a function", ft);
    if (!ft->param != !at || (ft->param && !fedc__type_accepts_positional(ft->param, at))) {
        char fs[512], want[512];
        fedc_type_format(ft, fs, sizeof fs);
        char what[600];
        snprintf(what, sizeof what, "calling %s", fs);
        if (ft->param)
            fedc_type_format(ft->param, want, sizeof want);
        else
            snprintf(want, sizeof want, "no argument");
        return fedc__type_mismatch(ck->ctx, n, what, want, at);
    }
    n->type = ft->result;
    return FEDC_STATUS_OK;
}

/* A name used twice among n names (NULL entries skipped), or NULL. */
static const char *duplicate(size_t n, const char *(*name_at)(const fedc_node *, size_t),
                             const fedc_node *node) {
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; name_at(node, i) && j < i; j++)
            if (name_at(node, j) && strcmp(name_at(node, i), name_at(node, j)) == 0)
                return name_at(node, i);
    return NULL;
}

static const char *struct_name(const fedc_node *n, size_t i) {
    return n->names ? n->names[i] : NULL;
}

static const char *param_name(const fedc_node *n, size_t i) { return n->params[i].name; }

static fedc_status check_node(fedc__checker *ck, const fedc__scope *sc, fedc_node *n) {
    fedc_arena *arena = ck->comp->arena;
    fedc_status st;
    switch (n->kind) {
    case FEDC_NODE_REFERENCE:
        n->type = lookup(ck, sc, n->name);
        if (!n->type)
            return fedc__node_errorf(ck->ctx, n, FEDC_STATUS_NOT_FOUND,
                                     "expected a name in scope or an earlier definition, found "
                                     "'%s'",
                                     n->name);
        return FEDC_STATUS_OK;
    case FEDC_NODE_SELECTION: {
        if ((st = check_node(ck, sc, n->a[0])) < 0) return st;
        const fedc_type *t = n->a[0]->type;
        char want[200];
        if (n->name)
            snprintf(want, sizeof want, "a struct with a field '%s'", n->name);
        else
            snprintf(want, sizeof want, "a struct with an element %lld", (long long)n->index);
        char what[200];
        if (n->name)
            snprintf(what, sizeof what, "selection .%s", n->name);
        else
            snprintf(what, sizeof what, "selection [%lld]", (long long)n->index);
        if (t->kind == FEDC_TYPE_STRUCT) {
            for (size_t i = 0; i < t->nfields; i++)
                if (n->name ? (t->fields[i].name && strcmp(t->fields[i].name, n->name) == 0)
                            : (int64_t)i == n->index) {
                    n->type = t->fields[i].type;
                    return FEDC_STATUS_OK;
                }
        }
        return fedc__type_mismatch(ck->ctx, n, what, want, t);
    }
    case FEDC_NODE_STRUCT: {
        const char *dup = duplicate(n->n, struct_name, n);
        if (dup)
            return fedc__node_errorf(ck->ctx, n, FEDC_STATUS_TYPE,
                                     "a struct expects distinct field names, got '%s' twice", dup);
        fedc_type_field *f = fedc_arena_calloc(arena, n->n ? n->n : 1, sizeof *f, 0);
        if (!f) return oom(ck, n);
        for (size_t i = 0; i < n->n; i++) {
            if ((st = check_node(ck, sc, n->items[i])) < 0) return st;
            f[i].name = n->names ? n->names[i] : NULL;
            f[i].type = n->items[i]->type;
        }
        n->type = fedc_type_struct(arena, n->n, f);
        return n->type ? FEDC_STATUS_OK : oom(ck, n);
    }
    case FEDC_NODE_CALL: return check_call(ck, sc, n);
    case FEDC_NODE_LAMBDA: {
        const char *dup = duplicate(n->n, param_name, n);
        if (dup)
            return fedc__node_errorf(ck->ctx, n, FEDC_STATUS_TYPE,
                                     "a lambda expects distinct parameter names, got '%s' twice",
                                     dup);
        const fedc_type *param = NULL;
        fedc__scope *inner = NULL;
        if (n->n > 0) {
            inner = fedc_arena_calloc(arena, n->n, sizeof *inner, 0);
            if (!inner) return oom(ck, n);
        }
        for (size_t i = 0; i < n->n; i++) {
            inner[i].name = n->params[i].name;
            inner[i].type = n->params[i].type;
            inner[i].up = i ? &inner[i - 1] : sc;
        }
        if (n->n == 1) {
            param = n->params[0].type;
        } else if (n->n > 1) {
            /* (a: T, b: U) takes the struct <a=T,b=U> */
            fedc_type_field *f = fedc_arena_calloc(arena, n->n, sizeof *f, 0);
            if (!f) return oom(ck, n);
            for (size_t i = 0; i < n->n; i++) {
                f[i].name = n->params[i].name;
                f[i].type = n->params[i].type;
            }
            if (!(param = fedc_type_struct(arena, n->n, f))) return oom(ck, n);
        }
        if ((st = check_node(ck, n->n ? &inner[n->n - 1] : sc, n->a[0])) < 0) return st;
        n->type = fedc_type_function(arena, param, n->a[0]->type);
        return n->type ? FEDC_STATUS_OK : oom(ck, n);
    }
    case FEDC_NODE_BLOCK: {
        fedc__scope *inner = fedc_arena_calloc(arena, n->n ? n->n : 1, sizeof *inner, 0);
        if (!inner) return oom(ck, n);
        const fedc__scope *cur = sc;
        for (size_t i = 0; i < n->n; i++) {
            if ((st = check_node(ck, cur, n->items[i])) < 0) return st;
            inner[i].name = n->names[i];
            inner[i].type = n->items[i]->type;
            inner[i].up = cur;
            cur = &inner[i];
        }
        if ((st = check_node(ck, cur, n->a[0])) < 0) return st;
        n->type = n->a[0]->type;
        return FEDC_STATUS_OK;
    }
    case FEDC_NODE_INTRINSIC:
    case FEDC_NODE_BUILTIN:
        return fedc__node_errorf(
            ck->ctx, n, FEDC_STATUS_TYPE, "%s expects to be called, got it used as a value",
            n->kind == FEDC_NODE_BUILTIN ? n->name : fedc_intrinsic_name(n->intrinsic));
    case FEDC_NODE_LITERAL:
        n->type =
            fedc_type_tensor(arena, n->literal.dtype, n->literal.shape.rank, n->literal.shape.dims);
        return n->type ? FEDC_STATUS_OK : oom(ck, n);
    case FEDC_NODE_DATA: n->type = n->declared; return FEDC_STATUS_OK;
    case FEDC_NODE_NATIVE:
        if (n->declared->kind != FEDC_TYPE_FUNCTION)
            return fedc__type_mismatch(ck->ctx, n, "native", "a function type", n->declared);
        n->type = n->declared;
        return FEDC_STATUS_OK;
    case FEDC_NODE_PLACEMENT:
        n->type = fedc_type_placement(arena);
        return n->type ? FEDC_STATUS_OK : oom(ck, n);
    }
    return fedc__node_errorf(ck->ctx, n, FEDC_STATUS_INTERNAL, "unknown node kind %d", n->kind);
}

fedc_status fedc_comp_check(fedc_ctx *ctx, fedc_comp *comp) {
    fedc__checker ck = {ctx, comp, 0};
    for (size_t i = 0; i < comp->ndefs; i++) {
        ck.ndefs_visible = i;
        fedc_status st = check_node(&ck, NULL, comp->defs[i].node);
        /* text positions say where already; a tree built in C says which definition */
        if (st < 0 && comp->defs[i].node->line == 0)
            return fedc_ctx_prefixf(ctx, "in '%s'", comp->defs[i].name);
        if (st < 0) return st;
    }
    return FEDC_STATUS_OK;
}
