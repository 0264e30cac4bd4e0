/* type.c — federated types: constructors (which enforce TFF's nesting rules), deep copies,
 * equality and assignability. Types are immutable arena values; nothing here prints or parses.
 */
#include <string.h>

#include "core/core_int.h"

const char *fedc_placement_name(fedc_placement p) {
    switch (p) {
    case FEDC_PLACEMENT_SERVER: return "SERVER";
    case FEDC_PLACEMENT_CLIENTS: return "CLIENTS";
    }
    return "INVALID";
}

static fedc_type *new_type(fedc_arena *arena, fedc_type_kind kind) {
    fedc_type *t = fedc_arena_calloc(arena, 1, sizeof *t, 0);
    if (t) t->kind = kind;
    return t;
}

const fedc_type *fedc_type_tensor(fedc_arena *arena, fedc_dtype dtype, int rank,
                                  const int64_t *dims) {
    if ((unsigned)dtype >= FEDC_DTYPE_COUNT || rank < 0 || rank > FEDC_MAX_RANK) return NULL;
    if (rank > 0 && !dims) return NULL;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 && dims[i] != FEDC_DIM_UNKNOWN) return NULL;
    fedc_type *t = new_type(arena, FEDC_TYPE_TENSOR);
    if (!t) return NULL;
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    return t;
}

const fedc_type *fedc_type_struct(fedc_arena *arena, size_t n, const fedc_type_field *fields) {
    if (n > 0 && !fields) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].type) return NULL;
        for (size_t j = 0; fields[i].name && j < i; j++)
            if (fields[j].name && strcmp(fields[i].name, fields[j].name) == 0) return NULL;
    }
    fedc_type *t = new_type(arena, FEDC_TYPE_STRUCT);
    if (!t) return NULL;
    fedc_type_field *f = fedc_arena_calloc(arena, n, sizeof *f, 0);
    if (!f) return NULL;
    for (size_t i = 0; i < n; i++) {
        f[i].type = fields[i].type;
        if (fields[i].name) {
            char *s = fedc__arena_strdup(arena, fields[i].name);
            if (!s) return NULL;
            f[i].name = s;
        }
    }
    t->nfields = n;
    t->fields = f;
    return t;
}

/* TFF: sequence elements hold no sequences, functions or federated values. */
bool fedc__type_sequence_element_ok(const fedc_type *t) {
    switch (t->kind) {
    case FEDC_TYPE_TENSOR: return true;
    case FEDC_TYPE_STRUCT:
        for (size_t i = 0; i < t->nfields; i++)
            if (!fedc__type_sequence_element_ok(t->fields[i].type)) return false;
        return true;
    default: return false;
    }
}

const fedc_type *fedc_type_sequence(fedc_arena *arena, const fedc_type *element) {
    if (!element || !fedc__type_sequence_element_ok(element)) return NULL;
    fedc_type *t = new_type(arena, FEDC_TYPE_SEQUENCE);
    if (t) t->element = element;
    return t;
}

const fedc_type *fedc_type_function(fedc_arena *arena, const fedc_type *param,
                                    const fedc_type *result) {
    if (!result) return NULL;
    fedc_type *t = new_type(arena, FEDC_TYPE_FUNCTION);
    if (!t) return NULL;
    t->param = param;
    t->result = result;
    return t;
}

const fedc_type *fedc_type_federated(fedc_arena *arena, const fedc_type *member,
                                     fedc_placement placement, bool all_equal) {
    if (!member || member->kind == FEDC_TYPE_FEDERATED || member->kind == FEDC_TYPE_PLACEMENT)
        return NULL;
    if (placement != FEDC_PLACEMENT_SERVER && placement != FEDC_PLACEMENT_CLIENTS) return NULL;
    fedc_type *t = new_type(arena, FEDC_TYPE_FEDERATED);
    if (!t) return NULL;
    t->element = member;
    t->placement = placement;
    /* a value at the server is one value: TFF always treats it as all-equal */
    t->all_equal = placement == FEDC_PLACEMENT_SERVER ? true : all_equal;
    return t;
}

const fedc_type *fedc_type_placement(fedc_arena *arena) {
    return new_type(arena, FEDC_TYPE_PLACEMENT);
}

const fedc_type *fedc_type_clone(fedc_arena *arena, const fedc_type *t) {
    if (!t) return NULL;
    switch (t->kind) {
    case FEDC_TYPE_TENSOR: return fedc_type_tensor(arena, t->dtype, t->rank, t->dims);
    case FEDC_TYPE_STRUCT: {
        fedc_type_field *f = fedc_arena_calloc(arena, t->nfields, sizeof *f, 0);
        if (!f) return NULL;
        for (size_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i].name;
            f[i].type = fedc_type_clone(arena, t->fields[i].type);
            if (!f[i].type) return NULL;
        }
        return fedc_type_struct(arena, t->nfields, f);
    }
    case FEDC_TYPE_SEQUENCE: return fedc_type_sequence(arena, fedc_type_clone(arena, t->element));
    case FEDC_TYPE_FUNCTION: {
        const fedc_type *p = NULL;
        if (t->param && !(p = fedc_type_clone(arena, t->param))) return NULL;
        return fedc_type_function(arena, p, fedc_type_clone(arena, t->result));
    }
    case FEDC_TYPE_FEDERATED:
        return fedc_type_federated(arena, fedc_type_clone(arena, t->element), t->placement,
                                   t->all_equal);
    case FEDC_TYPE_PLACEMENT: return fedc_type_placement(arena);
    }
    return NULL;
}

static bool name_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

bool fedc_type_equal(const fedc_type *a, const fedc_type *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case FEDC_TYPE_TENSOR:
        if (a->dtype != b->dtype || a->rank != b->rank) return false;
        for (int i = 0; i < a->rank; i++)
            if (a->dims[i] != b->dims[i]) return false;
        return true;
    case FEDC_TYPE_STRUCT:
        if (a->nfields != b->nfields) return false;
        for (size_t i = 0; i < a->nfields; i++)
            if (!name_eq(a->fields[i].name, b->fields[i].name) ||
                !fedc_type_equal(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    case FEDC_TYPE_SEQUENCE: return fedc_type_equal(a->element, b->element);
    case FEDC_TYPE_FUNCTION:
        return fedc_type_equal(a->param, b->param) && fedc_type_equal(a->result, b->result);
    case FEDC_TYPE_FEDERATED:
        return a->placement == b->placement && a->all_equal == b->all_equal &&
               fedc_type_equal(a->element, b->element);
    case FEDC_TYPE_PLACEMENT: return true;
    }
    return false;
}

bool fedc_type_assignable(const fedc_type *to, const fedc_type *from) {
    if (!to || !from) return to == from;
    if (to->kind != from->kind) return false;
    switch (to->kind) {
    case FEDC_TYPE_TENSOR:
        if (to->dtype != from->dtype || to->rank != from->rank) return false;
        for (int i = 0; i < to->rank; i++)
            if (to->dims[i] != FEDC_DIM_UNKNOWN && to->dims[i] != from->dims[i]) return false;
        return true;
    case FEDC_TYPE_STRUCT:
        if (to->nfields != from->nfields) return false;
        for (size_t i = 0; i < to->nfields; i++) {
            if (to->fields[i].name && !name_eq(to->fields[i].name, from->fields[i].name))
                return false;
            if (!fedc_type_assignable(to->fields[i].type, from->fields[i].type)) return false;
        }
        return true;
    case FEDC_TYPE_SEQUENCE: return fedc_type_assignable(to->element, from->element);
    case FEDC_TYPE_FUNCTION:
        return fedc_type_assignable(from->param, to->param) &&
               fedc_type_assignable(to->result, from->result);
    case FEDC_TYPE_FEDERATED:
        if (to->placement != from->placement) return false;
        if (to->all_equal && !from->all_equal) return false;
        return fedc_type_assignable(to->element, from->element);
    case FEDC_TYPE_PLACEMENT: return true;
    }
    return false;
}

bool fedc__type_accepts_positional(const fedc_type *param, const fedc_type *arg) {
    if (!param || !arg || param->kind != FEDC_TYPE_STRUCT || arg->kind != FEDC_TYPE_STRUCT)
        return fedc_type_assignable(param, arg);
    if (param->nfields != arg->nfields) return false;
    for (size_t i = 0; i < param->nfields; i++)
        if (!fedc_type_assignable(param->fields[i].type, arg->fields[i].type)) return false;
    return true;
}

bool fedc__type_all_tensors(const fedc_type *t, bool (*ok)(fedc_dtype)) {
    if (!t) return false;
    if (t->kind == FEDC_TYPE_TENSOR) return ok(t->dtype);
    if (t->kind != FEDC_TYPE_STRUCT) return false;
    for (size_t i = 0; i < t->nfields; i++)
        if (!fedc__type_all_tensors(t->fields[i].type, ok)) return false;
    return true;
}
