/* comp_clone.c — deep copies of computation trees into another module's arena, the base of the
 * tree rewrites (lowering). Copies only; it never checks or rewrites.
 */
#include <string.h>

#include "core/core_int.h"

fedc_node *fedc_node_clone(fedc_comp *comp, const fedc_node *n) {
    if (!n) return NULL;
    fedc_arena *arena = comp->arena;
    fedc_node *c = fedc_arena_alloc(arena, sizeof *c, 0);
    if (!c) return NULL;
    *c = *n;
    if (n->type && !(c->type = fedc_type_clone(arena, n->type))) return NULL;
    if (n->declared && !(c->declared = fedc_type_clone(arena, n->declared))) return NULL;
    if (n->name && !(c->name = fedc__arena_strdup(arena, n->name))) return NULL;
    for (int i = 0; i < 2; i++)
        if (n->a[i] && !(c->a[i] = fedc_node_clone(comp, n->a[i]))) return NULL;
    if (n->kind == FEDC_NODE_STRUCT || n->kind == FEDC_NODE_BLOCK) {
        fedc_node **items = fedc_arena_calloc(arena, n->n ? n->n : 1, sizeof *items, 0);
        if (!items) return NULL;
        for (size_t i = 0; i < n->n; i++)
            if (!(items[i] = fedc_node_clone(comp, n->items[i]))) return NULL;
        c->items = items;
        if (n->names) {
            const char **names = fedc_arena_calloc(arena, n->n ? n->n : 1, sizeof *names, 0);
            if (!names) return NULL;
            for (size_t i = 0; i < n->n; i++)
                if (n->names[i] && !(names[i] = fedc__arena_strdup(arena, n->names[i])))
                    return NULL;
            c->names = names;
        }
    }
    if (n->kind == FEDC_NODE_LAMBDA) {
        fedc_param *p = fedc_arena_calloc(arena, n->n ? n->n : 1, sizeof *p, 0);
        if (!p) return NULL;
        for (size_t i = 0; i < n->n; i++) {
            p[i].name = fedc__arena_strdup(arena, n->params[i].name);
            p[i].type = fedc_type_clone(arena, n->params[i].type);
            if (!p[i].name || !p[i].type) return NULL;
        }
        c->params = p;
    }
    if (n->kind == FEDC_NODE_LITERAL) {
        size_t bytes = fedc_tensor_nbytes(&n->literal);
        void *data = fedc_arena_alloc(arena, bytes, 16);
        if (!data) return NULL;
        if (bytes) memcpy(data, n->literal.data, bytes);
        c->literal = fedc_tensor_view(n->literal.dtype, &n->literal.shape, data);
    }
    if (n->kind == FEDC_NODE_NATIVE) {
        uint8_t *b = fedc_arena_alloc(arena, n->blob_size, 1);
        if (!b) return NULL;
        if (n->blob_size) memcpy(b, n->blob, n->blob_size);
        c->blob = b;
    }
    return c;
}
