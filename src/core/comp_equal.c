/* comp_equal.c — structural equality of computation trees and modules, the round-trip test's
 * notion of "the same computation". Positions and checked types are deliberately ignored.
 */
#include <string.h>

#include "core/core_int.h"

static bool str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static bool names_eq(const char *const *a, const char *const *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!str_eq(a ? a[i] : NULL, b ? b[i] : NULL)) return false;
    return true;
}

static bool literal_eq(const fedc_tensor *a, const fedc_tensor *b) {
    if (a->dtype != b->dtype || !fedc_shape_equal(&a->shape, &b->shape)) return false;
    size_t bytes = fedc_tensor_nbytes(a);
    return bytes == 0 || memcmp(a->data, b->data, bytes) == 0;
}

bool fedc_node_equal(const fedc_node *a, const fedc_node *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case FEDC_NODE_REFERENCE:
    case FEDC_NODE_BUILTIN: return str_eq(a->name, b->name);
    case FEDC_NODE_SELECTION:
        return str_eq(a->name, b->name) && a->index == b->index &&
               fedc_node_equal(a->a[0], b->a[0]);
    case FEDC_NODE_STRUCT:
        if (a->n != b->n || !names_eq(a->names, b->names, a->n)) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!fedc_node_equal(a->items[i], b->items[i])) return false;
        return true;
    case FEDC_NODE_CALL:
        return fedc_node_equal(a->a[0], b->a[0]) && fedc_node_equal(a->a[1], b->a[1]);
    case FEDC_NODE_LAMBDA:
        if (a->n != b->n) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!str_eq(a->params[i].name, b->params[i].name) ||
                !fedc_type_equal(a->params[i].type, b->params[i].type))
                return false;
        return fedc_node_equal(a->a[0], b->a[0]);
    case FEDC_NODE_BLOCK:
        if (a->n != b->n || !names_eq(a->names, b->names, a->n)) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!fedc_node_equal(a->items[i], b->items[i])) return false;
        return fedc_node_equal(a->a[0], b->a[0]);
    case FEDC_NODE_INTRINSIC: return a->intrinsic == b->intrinsic;
    case FEDC_NODE_LITERAL: return literal_eq(&a->literal, &b->literal);
    case FEDC_NODE_DATA:
        return str_eq(a->name, b->name) && fedc_type_equal(a->declared, b->declared);
    case FEDC_NODE_PLACEMENT: return a->placement == b->placement;
    case FEDC_NODE_NATIVE:
        return str_eq(a->name, b->name) && fedc_type_equal(a->declared, b->declared) &&
               a->blob_size == b->blob_size &&
               (a->blob_size == 0 || memcmp(a->blob, b->blob, a->blob_size) == 0);
    }
    return false;
}

bool fedc_comp_equal(const fedc_comp *a, const fedc_comp *b) {
    if (!a || !b) return a == b;
    if (a->ndefs != b->ndefs) return false;
    for (size_t i = 0; i < a->ndefs; i++)
        if (!str_eq(a->defs[i].name, b->defs[i].name) ||
            !fedc_node_equal(a->defs[i].node, b->defs[i].node))
            return false;
    return true;
}
