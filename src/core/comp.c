/* comp.c — modules (fedc_comp) and the C builder API for computation nodes. Nodes, strings and
 * arrays live in the module's arena; builders return NULL on failure and pass NULL children on,
 * so nested builder calls need one check at fedc_comp_define. No checking of types here.
 */
#include <ctype.h>
#include <string.h>

#include "core/core_int.h"

fedc_status fedc_comp_create(fedc_ctx *ctx, fedc_comp **out) {
    *out = NULL;
    fedc_comp *c = fedc_calloc(1, sizeof *c);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a module");
    fedc_status st = fedc_arena_create(ctx, 16 * 1024, &c->arena);
    if (st < 0) {
        fedc_free(c);
        return st;
    }
    *out = c;
    return FEDC_STATUS_OK;
}

void fedc_comp_destroy(fedc_comp *comp) {
    if (!comp) return;
    fedc_arena_destroy(comp->arena);
    fedc_free(comp->defs);
    fedc_free(comp);
}

fedc_arena *fedc_comp_arena(fedc_comp *comp) { return comp->arena; }

static fedc_node *new_node(fedc_comp *comp, fedc_node_kind kind) {
    fedc_node *n = fedc_arena_calloc(comp->arena, 1, sizeof *n, 0);
    if (n) {
        n->kind = kind;
        n->index = -1;
    }
    return n;
}

fedc_node *fedc_node_reference(fedc_comp *comp, const char *name) {
    if (!name) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_REFERENCE);
    if (n && !(n->name = fedc__arena_strdup(comp->arena, name))) return NULL;
    return n;
}

fedc_node *fedc_node_select_name(fedc_comp *comp, fedc_node *source, const char *name) {
    if (!source || !name) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_SELECTION);
    if (!n || !(n->name = fedc__arena_strdup(comp->arena, name))) return NULL;
    n->a[0] = source;
    return n;
}

fedc_node *fedc_node_select_index(fedc_comp *comp, fedc_node *source, int64_t index) {
    if (!source || index < 0) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_SELECTION);
    if (!n) return NULL;
    n->a[0] = source;
    n->index = index;
    return n;
}

/* Copies n names (NULL entries kept) into the arena; *ok false when memory ran out. */
static const char **copy_names(fedc_arena *arena, size_t n, const char *const *names, bool *ok) {
    *ok = true;
    if (!names) return NULL;
    const char **d = fedc_arena_calloc(arena, n ? n : 1, sizeof *d, 0);
    if (!d) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (names[i] && !(d[i] = fedc__arena_strdup(arena, names[i]))) {
            *ok = false;
            return NULL;
        }
    return d;
}

static fedc_node **copy_items(fedc_arena *arena, size_t n, fedc_node *const *items) {
    if (n > 0 && !items) return NULL;
    fedc_node **d = fedc_arena_calloc(arena, n ? n : 1, sizeof *d, 0);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!items[i]) return NULL;
        d[i] = items[i];
    }
    return d;
}

fedc_node *fedc_node_struct(fedc_comp *comp, size_t n, fedc_node *const *items,
                            const char *const *names) {
    fedc_node *s = new_node(comp, FEDC_NODE_STRUCT);
    if (!s || !(s->items = copy_items(comp->arena, n, items))) return NULL;
    bool ok;
    s->names = copy_names(comp->arena, n, names, &ok);
    if (!ok) return NULL;
    s->n = n;
    return s;
}

fedc_node *fedc_node_call0(fedc_comp *comp, fedc_node *fn) {
    if (!fn) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_CALL);
    if (n) n->a[0] = fn;
    return n;
}

fedc_node *fedc_node_call(fedc_comp *comp, fedc_node *fn, fedc_node *arg) {
    if (!fn || !arg) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_CALL);
    if (!n) return NULL;
    n->a[0] = fn;
    n->a[1] = arg;
    return n;
}

fedc_node *fedc_node_lambda(fedc_comp *comp, size_t n, const fedc_param *params, fedc_node *body) {
    if (!body || (n > 0 && !params)) return NULL;
    fedc_node *l = new_node(comp, FEDC_NODE_LAMBDA);
    fedc_param *p = fedc_arena_calloc(comp->arena, n ? n : 1, sizeof *p, 0);
    if (!l || !p) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!params[i].type || !params[i].name) return NULL;
        p[i].type = params[i].type;
        if (!(p[i].name = fedc__arena_strdup(comp->arena, params[i].name))) return NULL;
    }
    l->n = n;
    l->params = p;
    l->a[0] = body;
    return l;
}

fedc_node *fedc_node_block(fedc_comp *comp, size_t n, const char *const *names,
                           fedc_node *const *values, fedc_node *result) {
    if (!result || (n > 0 && !names)) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!names[i]) return NULL;
    fedc_node *b = new_node(comp, FEDC_NODE_BLOCK);
    if (!b || !(b->items = copy_items(comp->arena, n, values))) return NULL;
    bool ok;
    b->names = copy_names(comp->arena, n, names, &ok);
    if (!ok || (n > 0 && !b->names)) return NULL;
    b->n = n;
    b->a[0] = result;
    return b;
}

fedc_node *fedc_node_intrinsic(fedc_comp *comp, fedc_intrinsic intrinsic) {
    if ((unsigned)intrinsic >= FEDC_INTRINSIC_COUNT) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_INTRINSIC);
    if (n) n->intrinsic = intrinsic;
    return n;
}

fedc_node *fedc_node_builtin(fedc_comp *comp, const char *name) {
    if (!name || !fedc_builtin_exists(name)) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_BUILTIN);
    if (n && !(n->name = fedc__arena_strdup(comp->arena, name))) return NULL;
    return n;
}

fedc_node *fedc_node_literal(fedc_comp *comp, const fedc_tensor *value) {
    if (!value || (unsigned)value->dtype >= FEDC_DTYPE_COUNT) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_LITERAL);
    if (!n) return NULL;
    size_t bytes = fedc_tensor_nbytes(value);
    void *data = fedc_arena_alloc(comp->arena, bytes, 16);
    if (!data) return NULL;
    n->literal = fedc_tensor_view(value->dtype, &value->shape, data);
    if (bytes > 0 && fedc_tensor_copy(NULL, &n->literal, value) < 0) return NULL;
    return n;
}

fedc_node *fedc_node_float(fedc_comp *comp, float value) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &s, &value);
    return fedc_node_literal(comp, &t);
}

fedc_node *fedc_node_int(fedc_comp *comp, int32_t value) {
    fedc_shape s = FEDC_SHAPE0;
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT32, &s, &value);
    return fedc_node_literal(comp, &t);
}

fedc_node *fedc_node_data(fedc_comp *comp, const char *uri, const fedc_type *type) {
    if (!uri || !type) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_DATA);
    if (!n || !(n->name = fedc__arena_strdup(comp->arena, uri))) return NULL;
    n->declared = type;
    return n;
}

fedc_node *fedc_node_placement(fedc_comp *comp, fedc_placement placement) {
    if (placement != FEDC_PLACEMENT_SERVER && placement != FEDC_PLACEMENT_CLIENTS) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_PLACEMENT);
    if (n) n->placement = placement;
    return n;
}

fedc_node *fedc_node_native(fedc_comp *comp, const char *name, const fedc_type *type,
                            const void *blob, size_t blob_size) {
    if (!name || !type || (blob_size > 0 && !blob)) return NULL;
    fedc_node *n = new_node(comp, FEDC_NODE_NATIVE);
    if (!n || !(n->name = fedc__arena_strdup(comp->arena, name))) return NULL;
    uint8_t *b = fedc_arena_alloc(comp->arena, blob_size, 1);
    if (!b) return NULL;
    if (blob_size) memcpy(b, blob, blob_size);
    n->declared = type;
    n->blob = b;
    n->blob_size = blob_size;
    return n;
}

bool fedc__is_identifier(const char *s) {
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

fedc_status fedc_comp_define(fedc_ctx *ctx, fedc_comp *comp, const char *name, fedc_node *node) {
    if (!node)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory building definition '%s'", name ? name : "");
    if (!fedc__is_identifier(name) || fedc__is_reserved(name, strlen(name)))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "definition name '%s' is not an identifier or is reserved",
                               name ? name : "");
    if (fedc_comp_lookup(comp, name))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_EXISTS, "'%s' is defined already", name);
    if (comp->ndefs == comp->cap) {
        size_t cap = comp->cap ? comp->cap * 2 : 8;
        fedc_def *d = fedc_realloc(comp->defs, cap * sizeof *d);
        if (!d)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "out of memory adding definition '%s'", name);
        comp->defs = d;
        comp->cap = cap;
    }
    const char *copy = fedc__arena_strdup(comp->arena, name);
    if (!copy)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory adding definition '%s'", name);
    fedc_def *d = &comp->defs[comp->ndefs++];
    d->name = copy;
    d->node = node;
    d->line = node->line;
    d->col = node->col;
    return FEDC_STATUS_OK;
}

size_t fedc_comp_ndefs(const fedc_comp *comp) { return comp->ndefs; }

const fedc_def *fedc_comp_def(const fedc_comp *comp, size_t i) {
    return i < comp->ndefs ? &comp->defs[i] : NULL;
}

const fedc_def *fedc_comp_lookup(const fedc_comp *comp, const char *name) {
    for (size_t i = 0; i < comp->ndefs; i++)
        if (strcmp(comp->defs[i].name, name) == 0) return &comp->defs[i];
    return NULL;
}

const fedc_type *fedc_comp_type_of(const fedc_comp *comp, const char *name) {
    const fedc_def *d = fedc_comp_lookup(comp, name);
    return d ? d->node->type : NULL;
}
