/* comp_binary_read.c — fedc_comp_from_binary: the binary form of proto/computation.proto back
 * into a module, with the base layer's bounds-checked reader (fedc/base_pb.h). Every error
 * names the byte offset of what was wrong: broken framing is CORRUPT, a well-framed tree that
 * fedc cannot build is INVALID_ARGUMENT or TYPE. The image is untrusted: nothing is read outside
 * it, nesting is bounded, and every name and type is checked before a builder sees it (the
 * builders assert nothing, but answer NULL, which here must only ever mean out of memory).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/comp_binary.h"
#include "core/core_int.h"
#include "fedc/base_pb.h"

typedef fedc_pb_reader reader;
typedef fedc_pb_field field;

typedef struct decoder {
    fedc_ctx *ctx;
    fedc_comp *comp;
    int node_depth, type_depth;
} decoder;

/* `WHAT: byte offset N: PROBLEM` with a status other than CORRUPT. */
static fedc_status bad(decoder *d, const reader *r, const uint8_t *at, fedc_status status,
                       const char *fmt, ...) FEDC_PRINTF(5, 6);
static fedc_status bad(decoder *d, const reader *r, const uint8_t *at, fedc_status status,
                       const char *fmt, ...) {
    char problem[FEDC_CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return fedc_ctx_errorf(d->ctx, status, "%s: byte offset %zu: %s", r->what,
                           fedc_pb_offset(r, at), problem);
}

static fedc_status oom(decoder *d, const reader *r, const uint8_t *at) {
    return bad(d, r, at, FEDC_STATUS_OUT_OF_MEMORY, "out of memory building the module");
}

/* Reads the next field of message m into f. */
static fedc_status next(decoder *d, reader *m, field *f) {
    return fedc_pb_read_field(d->ctx, m, f);
}

static fedc_status expect(decoder *d, const reader *m, const field *f, fedc_pb_wire wire,
                          const char *message) {
    return fedc_pb_expect_wire(d->ctx, m, f, wire, message);
}

/* A string field's bytes as a NUL-terminated copy in the module's arena. `role` names it in
 * messages. No NUL bytes inside; no newline when `one_line` (the text form could not hold it). */
static fedc_status get_string(decoder *d, const reader *m, const field *f, const char *role,
                              bool one_line, const char **out) {
    size_t n = fedc_pb_reader_left(&f->sub);
    if (memchr(f->sub.p, '\0', n))
        return bad(d, m, f->at, FEDC_STATUS_INVALID_ARGUMENT, "%s contains a NUL byte", role);
    if (one_line && memchr(f->sub.p, '\n', n))
        return bad(d, m, f->at, FEDC_STATUS_INVALID_ARGUMENT, "%s contains a newline", role);
    char *s = fedc_arena_alloc(fedc_comp_arena(d->comp), n + 1, 1);
    if (!s) return oom(d, m, f->at);
    if (n) memcpy(s, f->sub.p, n);
    s[n] = '\0';
    *out = s;
    return FEDC_STATUS_OK;
}

/* A name that binds or refers to a value: an identifier and not a reserved word. */
static fedc_status check_binding(decoder *d, const reader *m, const uint8_t *at, const char *role,
                                 const char *name) {
    if (!name) return bad(d, m, at, FEDC_STATUS_INVALID_ARGUMENT, "%s has no name", role);
    if (!fedc__is_identifier(name) || fedc__is_reserved(name, strlen(name)))
        return bad(d, m, at, FEDC_STATUS_INVALID_ARGUMENT,
                   "%s name '%s' is not an identifier or is reserved", role, name);
    return FEDC_STATUS_OK;
}

/* A field or selection name: an identifier. */
static fedc_status check_field_name(decoder *d, const reader *m, const uint8_t *at,
                                    const char *role, const char *name) {
    if (!fedc__is_identifier(name))
        return bad(d, m, at, FEDC_STATUS_INVALID_ARGUMENT, "%s name '%s' is not an identifier",
                   role, name);
    return FEDC_STATUS_OK;
}

/* An int32-sized uint64, for positions. */
static fedc_status read_position(decoder *d, const reader *m, const field *f, int *line, int *col) {
    fedc_status st = expect(d, m, f, FEDC_PB_LEN, "a node or definition");
    if (st) return st;
    reader p = f->sub;
    while (fedc_pb_reader_more(&p)) {
        field g;
        if ((st = next(d, &p, &g))) return st;
        if (g.num != FEDC__BIN_POS_LINE && g.num != FEDC__BIN_POS_COLUMN) continue;
        if ((st = expect(d, &p, &g, FEDC_PB_VARINT, "SourcePosition"))) return st;
        if (g.value > INT_MAX)
            return bad(d, &p, g.at, FEDC_STATUS_INVALID_ARGUMENT,
                       "source position %llu is out of range", (unsigned long long)g.value);
        *(g.num == FEDC__BIN_POS_LINE ? line : col) = (int)g.value;
    }
    return FEDC_STATUS_OK;
}

/* The dims of a TensorType or Literal, packed or not; a field seen again appends, as protobuf
 * repeated fields do. */
static fedc_status add_dims(decoder *d, const reader *m, const field *f, bool allow_unknown,
                            int *rank, int64_t dims[FEDC_MAX_RANK]) {
    reader packed = f->sub;
    uint64_t one = f->value;
    bool is_packed = f->wire == FEDC_PB_LEN;
    if (!is_packed && f->wire != FEDC_PB_VARINT)
        return expect(d, m, f, FEDC_PB_VARINT, "a tensor's dims");
    while (is_packed ? fedc_pb_reader_more(&packed) : true) {
        const uint8_t *at = is_packed ? packed.p : f->at;
        uint64_t v = one;
        if (is_packed) {
            fedc_status st = fedc_pb_read_varint(d->ctx, &packed, &v);
            if (st) return st;
        }
        int64_t dim = (int64_t)v;
        if (*rank >= FEDC_MAX_RANK)
            return bad(d, m, at, FEDC_STATUS_TYPE, "rank above FEDC_MAX_RANK (%d)", FEDC_MAX_RANK);
        if (dim < 0 && !(allow_unknown && dim == FEDC_DIM_UNKNOWN))
            return bad(d, m, at, FEDC_STATUS_TYPE, "dimension %lld is not %s", (long long)dim,
                       allow_unknown ? ">= 0 or -1 (unknown)" : ">= 0");
        dims[(*rank)++] = dim;
        if (!is_packed) break;
    }
    return FEDC_STATUS_OK;
}

static fedc_status read_dtype(decoder *d, const reader *m, const field *f, fedc_dtype *out) {
    fedc_status st = expect(d, m, f, FEDC_PB_VARINT, "a tensor");
    if (st) return st;
    if (!fedc__bin_dtype_from_wire(f->value, out))
        return bad(d, m, f->at, FEDC_STATUS_TYPE, "bad dtype %llu", (unsigned long long)f->value);
    return FEDC_STATUS_OK;
}

static fedc_status read_placement(decoder *d, const reader *m, const field *f,
                                  fedc_placement *out) {
    fedc_status st = expect(d, m, f, FEDC_PB_VARINT, "a placement");
    if (st) return st;
    if (f->value != 1 && f->value != 2)
        return bad(d, m, f->at, FEDC_STATUS_TYPE, "bad placement %llu (1 SERVER, 2 CLIENTS)",
                   (unsigned long long)f->value);
    *out = f->value == 1 ? FEDC_PLACEMENT_SERVER : FEDC_PLACEMENT_CLIENTS;
    return FEDC_STATUS_OK;
}

/* ---- types ---- */

static fedc_status read_type(decoder *d, const reader *outer, const field *tf,
                             const fedc_type **out);

/* A singular message field (the last one wins): checks LEN and keeps it in *slot. */
static fedc_status keep(decoder *d, const reader *m, const field *f, const char *message,
                        field *slot, bool *have) {
    fedc_status st = expect(d, m, f, FEDC_PB_LEN, message);
    if (st) return st;
    *slot = *f;
    *have = true;
    return FEDC_STATUS_OK;
}

static fedc_status read_struct_type(decoder *d, const reader *m, const field *kf,
                                    const fedc_type **out) {
    fedc_status st = FEDC_STATUS_OK;
    size_t n = 0;
    reader r = kf->sub;
    while (fedc_pb_reader_more(&r)) {
        field f;
        if ((st = next(d, &r, &f))) return st;
        if (f.num != FEDC__BIN_STRUCT_TYPE_ELEMENTS) continue;
        if ((st = expect(d, &r, &f, FEDC_PB_LEN, "StructType"))) return st;
        n++;
    }
    fedc_type_field *fields = fedc_calloc(n ? n : 1, sizeof *fields);
    if (!fields) return oom(d, m, kf->at);
    size_t i = 0;
    r = kf->sub;
    while (!st && fedc_pb_reader_more(&r)) {
        field f;
        if ((st = next(d, &r, &f))) break;
        if (f.num != FEDC__BIN_STRUCT_TYPE_ELEMENTS) continue;
        reader e = f.sub;
        field value = {0};
        bool have_value = false;
        while (!st && fedc_pb_reader_more(&e)) {
            field g;
            if ((st = next(d, &e, &g))) break;
            if (g.num == FEDC__BIN_ELEMENT_NAME) {
                const char *name = NULL;
                if (!(st = expect(d, &e, &g, FEDC_PB_LEN, "StructType.Element")) &&
                    !(st = get_string(d, &e, &g, "a struct type's field name", false, &name)))
                    fields[i].name = name[0] ? name : NULL;
            } else if (g.num == FEDC__BIN_ELEMENT_VALUE)
                st = keep(d, &e, &g, "StructType.Element", &value, &have_value);
        }
        if (st) break;
        if (!have_value) {
            st = bad(d, &r, f.at, FEDC_STATUS_INVALID_ARGUMENT, "struct type field %zu has no type",
                     i);
            break;
        }
        if (fields[i].name &&
            (st = check_field_name(d, &r, f.at, "a struct type's field", fields[i].name)))
            break;
        for (size_t j = 0; j < i && !st; j++)
            if (fields[j].name && fields[i].name && strcmp(fields[j].name, fields[i].name) == 0)
                st = bad(d, &r, f.at, FEDC_STATUS_TYPE, "struct type has two fields named '%s'",
                         fields[i].name);
        if (st || (st = read_type(d, &e, &value, &fields[i].type))) break;
        i++;
    }
    if (!st && !(*out = fedc_type_struct(fedc_comp_arena(d->comp), n, fields)))
        st = oom(d, m, kf->at);
    fedc_free(fields);
    return st;
}

/* Reads the Type message in field tf of message `outer`. */
static fedc_status read_type(decoder *d, const reader *outer, const field *tf,
                             const fedc_type **out) {
    fedc_status st = expect(d, outer, tf, FEDC_PB_LEN, "a type's parent");
    if (st) return st;
    if (d->type_depth >= FEDC__BIN_MAX_DEPTH)
        return bad(d, outer, tf->at, FEDC_STATUS_INVALID_ARGUMENT, "types nested deeper than %d",
                   FEDC__BIN_MAX_DEPTH);
    reader m = tf->sub;
    field kind = {0};
    bool have = false;
    while (fedc_pb_reader_more(&m)) {
        field f;
        if ((st = next(d, &m, &f))) return st;
        if (f.num >= FEDC__BIN_TYPE_FIRST_KIND && f.num <= FEDC__BIN_TYPE_LAST_KIND &&
            (st = keep(d, &m, &f, "Type", &kind, &have)))
            return st;
    }
    if (!have)
        return bad(d, outer, tf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Type with no known kind");
    d->type_depth++;
    fedc_arena *arena = fedc_comp_arena(d->comp);
    reader k = kind.sub;
    const fedc_type *t = NULL;
    switch ((fedc_type_kind)(kind.num - FEDC__BIN_TYPE_FIRST_KIND)) {
    case FEDC_TYPE_TENSOR: {
        fedc_dtype dtype = FEDC_DTYPE_COUNT;
        int rank = 0;
        int64_t dims[FEDC_MAX_RANK] = {0};
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_TENSOR_DTYPE)
                st = read_dtype(d, &k, &f, &dtype);
            else if (f.num == FEDC__BIN_TENSOR_DIMS)
                st = add_dims(d, &k, &f, true, &rank, dims);
        }
        if (!st && dtype == FEDC_DTYPE_COUNT)
            st = bad(d, &m, kind.at, FEDC_STATUS_TYPE, "a tensor type without a dtype");
        if (!st && !(t = fedc_type_tensor(arena, dtype, rank, dims))) st = oom(d, &m, kind.at);
        break;
    }
    case FEDC_TYPE_STRUCT: st = read_struct_type(d, &m, &kind, &t); break;
    case FEDC_TYPE_SEQUENCE: {
        field el = {0};
        bool have_el = false;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_SEQUENCE_ELEMENT)
                st = keep(d, &k, &f, "SequenceType", &el, &have_el);
        }
        const fedc_type *e = NULL;
        if (!st && !have_el)
            st = bad(d, &m, kind.at, FEDC_STATUS_INVALID_ARGUMENT,
                     "a sequence type without an element");
        if (!st && !(st = read_type(d, &k, &el, &e)) && !fedc__type_sequence_element_ok(e)) {
            char s[256];
            fedc_type_format(e, s, sizeof s);
            st = bad(d, &k, el.at, FEDC_STATUS_TYPE,
                     "a sequence element holds only tensors and structs, not %s", s);
        }
        if (!st && !(t = fedc_type_sequence(arena, e))) st = oom(d, &m, kind.at);
        break;
    }
    case FEDC_TYPE_FUNCTION: {
        field pf = {0}, rf = {0};
        bool have_p = false, have_r = false;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_FUNCTION_PARAMETER)
                st = keep(d, &k, &f, "FunctionType", &pf, &have_p);
            else if (f.num == FEDC__BIN_FUNCTION_RESULT)
                st = keep(d, &k, &f, "FunctionType", &rf, &have_r);
        }
        const fedc_type *p = NULL, *r = NULL;
        if (!st && !have_r)
            st = bad(d, &m, kind.at, FEDC_STATUS_INVALID_ARGUMENT,
                     "a function type without a result");
        if (!st && have_p) st = read_type(d, &k, &pf, &p);
        if (!st) st = read_type(d, &k, &rf, &r);
        if (!st && !(t = fedc_type_function(arena, p, r))) st = oom(d, &m, kind.at);
        break;
    }
    case FEDC_TYPE_FEDERATED: {
        field mf = {0};
        bool have_m = false, all_equal = false, have_pl = false;
        fedc_placement pl = FEDC_PLACEMENT_SERVER;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_FEDERATED_PLACEMENT) {
                st = read_placement(d, &k, &f, &pl);
                have_pl = true;
            } else if (f.num == FEDC__BIN_FEDERATED_ALL_EQUAL) {
                if (!(st = expect(d, &k, &f, FEDC_PB_VARINT, "FederatedType")))
                    all_equal = f.value != 0;
            } else if (f.num == FEDC__BIN_FEDERATED_MEMBER)
                st = keep(d, &k, &f, "FederatedType", &mf, &have_m);
        }
        const fedc_type *member = NULL;
        if (!st && !have_pl)
            st = bad(d, &m, kind.at, FEDC_STATUS_TYPE, "a federated type without a placement");
        if (!st && !have_m)
            st = bad(d, &m, kind.at, FEDC_STATUS_INVALID_ARGUMENT,
                     "a federated type without a member");
        if (!st && !(st = read_type(d, &k, &mf, &member)) &&
            (member->kind == FEDC_TYPE_FEDERATED || member->kind == FEDC_TYPE_PLACEMENT))
            st = bad(d, &k, mf.at, FEDC_STATUS_TYPE, "a federated member that is %s",
                     member->kind == FEDC_TYPE_FEDERATED ? "federated" : "a placement");
        if (!st && !(t = fedc_type_federated(arena, member, pl, all_equal)))
            st = oom(d, &m, kind.at);
        break;
    }
    case FEDC_TYPE_PLACEMENT:
        if (!(t = fedc_type_placement(arena))) st = oom(d, &m, kind.at);
        break;
    }
    d->type_depth--;
    if (!st) *out = t;
    return st;
}

/* ---- nodes ---- */

static fedc_status read_node(decoder *d, const reader *outer, const field *nf, fedc_node **out);

/* Struct.Element, Block.Local and Lambda.Parameter: a name and a node or a type. */
typedef struct named {
    const char *name; /* NULL when absent or empty */
    field value;
    bool have_value;
    const uint8_t *at;
} named;

static fedc_status read_named(decoder *d, const reader *m, const field *f, const char *message,
                              named *out) {
    memset(out, 0, sizeof *out);
    out->at = f->at;
    fedc_status st = expect(d, m, f, FEDC_PB_LEN, message);
    reader e = f->sub;
    while (!st && fedc_pb_reader_more(&e)) {
        field g;
        if ((st = next(d, &e, &g))) break;
        if (g.num == 1) {
            const char *name = NULL;
            if (!(st = expect(d, &e, &g, FEDC_PB_LEN, message)) &&
                !(st = get_string(d, &e, &g, "a name", false, &name)))
                out->name = name[0] ? name : NULL;
        } else if (g.num == 2)
            st = keep(d, &e, &g, message, &out->value, &out->have_value);
    }
    return st;
}

/* Counts and reads the repeated named field `num` of message k into a new array *out. */
static fedc_status read_all_named(decoder *d, const reader *k, uint32_t num, const char *message,
                                  named **out, size_t *n) {
    *out = NULL;
    *n = 0;
    reader r = *k;
    size_t count = 0;
    fedc_status st;
    while (fedc_pb_reader_more(&r)) {
        field f;
        if ((st = next(d, &r, &f))) return st;
        if (f.num == num) count++;
    }
    named *all = fedc_calloc(count ? count : 1, sizeof *all);
    if (!all) return oom(d, k, k->p);
    r = *k;
    size_t i = 0;
    while (fedc_pb_reader_more(&r)) {
        field f;
        if ((st = next(d, &r, &f)) ||
            (f.num == num && (st = read_named(d, &r, &f, message, &all[i++])))) {
            fedc_free(all);
            return st;
        }
    }
    *out = all;
    *n = count;
    return FEDC_STATUS_OK;
}

/* The nodes (values) of named entries into a new array; names into another (may have NULLs). */
static fedc_status read_named_nodes(decoder *d, const reader *k, const named *all, size_t n,
                                    const char *role, bool binding, fedc_node ***items,
                                    const char ***names) {
    *items = fedc_calloc(n ? n : 1, sizeof **items);
    *names = fedc_calloc(n ? n : 1, sizeof **names);
    if (!*items || !*names) return oom(d, k, k->p);
    for (size_t i = 0; i < n; i++) {
        fedc_status st;
        if (!all[i].have_value)
            return bad(d, k, all[i].at, FEDC_STATUS_INVALID_ARGUMENT, "%s %zu has no value", role,
                       i);
        if (binding && (st = check_binding(d, k, all[i].at, role, all[i].name))) return st;
        if (!binding && all[i].name && (st = check_field_name(d, k, all[i].at, role, all[i].name)))
            return st;
        if ((st = read_node(d, k, &all[i].value, &(*items)[i]))) return st;
        (*names)[i] = all[i].name;
    }
    return FEDC_STATUS_OK;
}

static fedc_status read_literal(decoder *d, const reader *m, const field *kf, fedc_node **out) {
    reader k = kf->sub;
    fedc_dtype dtype = FEDC_DTYPE_COUNT;
    fedc_shape shape = FEDC_SHAPE0;
    field content = {0};
    bool have_content = false;
    fedc_status st = FEDC_STATUS_OK;
    while (!st && fedc_pb_reader_more(&k)) {
        field f;
        if ((st = next(d, &k, &f))) break;
        if (f.num == FEDC__BIN_LITERAL_DTYPE)
            st = read_dtype(d, &k, &f, &dtype);
        else if (f.num == FEDC__BIN_LITERAL_DIMS)
            st = add_dims(d, &k, &f, false, &shape.rank, shape.dims);
        else if (f.num == FEDC__BIN_LITERAL_CONTENT)
            st = keep(d, &k, &f, "Literal", &content, &have_content);
    }
    if (st) return st;
    if (dtype == FEDC_DTYPE_COUNT)
        return bad(d, m, kf->at, FEDC_STATUS_TYPE, "a literal without a dtype");
    /* Strides and element counts are int64 products of the dims (zeros aside, as a stride
     * skips them): a shape whose product overflows cannot be a tensor even with no elements. */
    uint64_t product = fedc_dtype_size(dtype);
    for (int i = 0; i < shape.rank; i++) {
        uint64_t dim = (uint64_t)shape.dims[i];
        if (dim != 0 && product > (uint64_t)INT64_MAX / dim) {
            char s[160];
            fedc_shape_format(&shape, s, sizeof s);
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                       "a literal of dtype %s and shape %s is too large", fedc_dtype_name(dtype),
                       s);
        }
        if (dim != 0) product *= dim;
    }
    size_t got = have_content ? fedc_pb_reader_left(&content.sub) : 0;
    /* An empty literal prints one pair of brackets per empty array: [[], []] for [2, 0]. Its
     * text grows with the dims before the first 0, which cost no bytes here; bound them so that
     * printing stays proportional to what a text form could hold. */
    uint64_t want = product, outer = 1;
    for (int i = 0; i < shape.rank && want; i++) {
        if (shape.dims[i] == 0)
            want = 0;
        else
            outer *= (uint64_t)shape.dims[i];
    }
    if (want == 0 && outer > FEDC__BIN_MAX_EMPTY_ARRAYS) {
        char s[160];
        fedc_shape_format(&shape, s, sizeof s);
        return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                   "an empty literal of shape %s holds more than %d empty arrays", s,
                   FEDC__BIN_MAX_EMPTY_ARRAYS);
    }
    if (want != got) {
        char s[160];
        fedc_shape_format(&shape, s, sizeof s);
        return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                   "a literal of dtype %s and shape %s holds %zu bytes, not %llu",
                   fedc_dtype_name(dtype), s, got, (unsigned long long)want);
    }
    if (dtype == FEDC_DTYPE_BOOL)
        for (size_t i = 0; i < got; i++)
            if (content.sub.p[i] > 1)
                return bad(d, m, content.sub.p + i, FEDC_STATUS_INVALID_ARGUMENT,
                           "bool literal element %zu is %u, not 0 or 1", i, content.sub.p[i]);
    fedc_arena *arena = fedc_comp_arena(d->comp);
    fedc_node *n = fedc_arena_calloc(arena, 1, sizeof *n, 0);
    uint8_t *data = fedc_arena_alloc(arena, got ? got : 1, 16);
    if (!n || !data) return oom(d, m, kf->at);
    if (got) memcpy(data, content.sub.p, got);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    size_t size = fedc_dtype_size(dtype);
    for (size_t i = 0; i < got; i += size)
        for (size_t a = i, b = i + size - 1; a < b; a++, b--) {
            uint8_t t = data[a];
            data[a] = data[b];
            data[b] = t;
        }
#endif
    /* as fedc_node_literal builds it, without a second copy of the bytes */
    n->kind = FEDC_NODE_LITERAL;
    n->index = -1;
    n->literal = fedc_tensor_view(dtype, &shape, data);
    *out = n;
    return FEDC_STATUS_OK;
}

/* A message whose fields are a string (field 1) and, up to field `last`, a type (2) and bytes
 * (3): Reference, Intrinsic, Builtin (last 1), Data (2), Native (3). Later fields are skipped. */
typedef struct simple {
    const char *name;
    field type;
    bool have_type;
    field blob;
    bool have_blob;
} simple;

static fedc_status read_simple(decoder *d, const reader *k0, const char *message, const char *role,
                               bool one_line, uint32_t last, simple *s) {
    memset(s, 0, sizeof *s);
    reader k = *k0;
    fedc_status st = FEDC_STATUS_OK;
    while (!st && fedc_pb_reader_more(&k)) {
        field f;
        if ((st = next(d, &k, &f))) break;
        if (f.num > last) continue;
        if (f.num == 1) {
            if (!(st = expect(d, &k, &f, FEDC_PB_LEN, message)))
                st = get_string(d, &k, &f, role, one_line, &s->name);
        } else if (f.num == 2)
            st = keep(d, &k, &f, message, &s->type, &s->have_type);
        else if (f.num == 3)
            st = keep(d, &k, &f, message, &s->blob, &s->have_blob);
    }
    return st;
}

static fedc_status read_kind(decoder *d, const reader *m, const field *kf, fedc_node **out) {
    fedc_comp *c = d->comp;
    reader k = kf->sub;
    fedc_status st = FEDC_STATUS_OK;
    fedc_node *n = NULL;
    switch ((fedc_node_kind)(kf->num - FEDC__BIN_NODE_FIRST_KIND)) {
    case FEDC_NODE_REFERENCE: {
        simple s;
        if ((st = read_simple(d, &k, "Reference", "a reference", false, 1, &s)) ||
            (st = check_binding(d, m, kf->at, "a reference", s.name)))
            return st;
        n = fedc_node_reference(c, s.name);
        break;
    }
    case FEDC_NODE_SELECTION: {
        field src = {0};
        bool have_src = false;
        const char *name = NULL;
        int key = 0; /* the oneof: 0 none, 2 name, 3 index */
        uint64_t index = 0;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_SELECTION_SOURCE)
                st = keep(d, &k, &f, "Selection", &src, &have_src);
            else if (f.num == FEDC__BIN_SELECTION_NAME) {
                if (!(st = expect(d, &k, &f, FEDC_PB_LEN, "Selection")) &&
                    !(st = get_string(d, &k, &f, "a selected name", false, &name)))
                    key = 2;
            } else if (f.num == FEDC__BIN_SELECTION_INDEX) {
                if (!(st = expect(d, &k, &f, FEDC_PB_VARINT, "Selection"))) {
                    key = 3;
                    index = f.value;
                }
            }
        }
        if (st) return st;
        if (!have_src)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Selection without a source");
        if (key == 0)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                       "a Selection without a name or an index");
        if (key == 3 && index > (uint64_t)INT64_MAX)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                       "selection index %llu is out of range", (unsigned long long)index);
        if (key == 2 && (st = check_field_name(d, m, kf->at, "a selected", name))) return st;
        fedc_node *source;
        if ((st = read_node(d, &k, &src, &source))) return st;
        n = key == 2 ? fedc_node_select_name(c, source, name)
                     : fedc_node_select_index(c, source, (int64_t)index);
        break;
    }
    case FEDC_NODE_STRUCT:
    case FEDC_NODE_BLOCK: {
        bool block = kf->num - FEDC__BIN_NODE_FIRST_KIND == FEDC_NODE_BLOCK;
        named *all;
        size_t count;
        if ((st = read_all_named(d, &k, 1, block ? "Block.Local" : "Struct.Element", &all, &count)))
            return st;
        field rf = {0};
        bool have_r = false;
        while (block && !st && fedc_pb_reader_more(&k)) {
            field f;
            if (!(st = next(d, &k, &f)) && f.num == FEDC__BIN_BLOCK_RESULT)
                st = keep(d, &k, &f, "Block", &rf, &have_r);
        }
        if (!st && block && !have_r)
            st = bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Block without a result");
        fedc_node **items = NULL;
        const char **names = NULL;
        if (!st)
            st = read_named_nodes(d, &kf->sub, all, count, block ? "a local" : "a struct element",
                                  block, &items, &names);
        fedc_node *result = NULL;
        if (!st && block) st = read_node(d, &kf->sub, &rf, &result);
        if (!st) {
            bool any_name = false;
            for (size_t i = 0; i < count; i++)
                any_name |= names[i] != NULL;
            n = block ? fedc_node_block(c, count, names, items, result)
                      : fedc_node_struct(c, count, items, any_name ? names : NULL);
        }
        fedc_free(items);
        fedc_free(names);
        fedc_free(all);
        if (st) return st;
        break;
    }
    case FEDC_NODE_CALL: {
        field ff = {0}, af = {0};
        bool have_f = false, have_a = false;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if ((st = next(d, &k, &f))) break;
            if (f.num == FEDC__BIN_CALL_FUNCTION)
                st = keep(d, &k, &f, "Call", &ff, &have_f);
            else if (f.num == FEDC__BIN_CALL_ARGUMENT)
                st = keep(d, &k, &f, "Call", &af, &have_a);
        }
        if (st) return st;
        if (!have_f)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Call without a function");
        fedc_node *fn, *arg = NULL;
        if ((st = read_node(d, &k, &ff, &fn)) || (have_a && (st = read_node(d, &k, &af, &arg))))
            return st;
        n = have_a ? fedc_node_call(c, fn, arg) : fedc_node_call0(c, fn);
        break;
    }
    case FEDC_NODE_LAMBDA: {
        named *all;
        size_t count;
        if ((st = read_all_named(d, &k, FEDC__BIN_LAMBDA_PARAMETERS, "Lambda.Parameter", &all,
                                 &count)))
            return st;
        field rf = {0};
        bool have_r = false;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if (!(st = next(d, &k, &f)) && f.num == FEDC__BIN_LAMBDA_RESULT)
                st = keep(d, &k, &f, "Lambda", &rf, &have_r);
        }
        if (!st && !have_r)
            st = bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Lambda without a result");
        fedc_param *params = fedc_calloc(count ? count : 1, sizeof *params);
        if (!st && !params) st = oom(d, m, kf->at);
        for (size_t i = 0; !st && i < count; i++) {
            if (!all[i].have_value)
                st = bad(d, &kf->sub, all[i].at, FEDC_STATUS_INVALID_ARGUMENT,
                         "lambda parameter %zu has no type", i);
            else if (!(st = check_binding(d, &kf->sub, all[i].at, "a lambda parameter",
                                          all[i].name)))
                st = read_type(d, &kf->sub, &all[i].value, &params[i].type);
            params[i].name = all[i].name;
        }
        fedc_node *body = NULL;
        if (!st) st = read_node(d, &kf->sub, &rf, &body);
        if (!st) n = fedc_node_lambda(c, count, params, body);
        fedc_free(params);
        fedc_free(all);
        if (st) return st;
        break;
    }
    case FEDC_NODE_INTRINSIC: {
        simple s;
        fedc_intrinsic in;
        if ((st = read_simple(d, &k, "Intrinsic", "an intrinsic's name", false, 1, &s))) return st;
        if (!s.name || !fedc_intrinsic_lookup(s.name, &in))
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "unknown intrinsic '%s'",
                       s.name ? s.name : "");
        n = fedc_node_intrinsic(c, in);
        break;
    }
    case FEDC_NODE_LITERAL: return read_literal(d, m, kf, out);
    case FEDC_NODE_DATA:
    case FEDC_NODE_NATIVE: {
        bool native = kf->num - FEDC__BIN_NODE_FIRST_KIND == FEDC_NODE_NATIVE;
        simple s;
        if ((st = read_simple(d, &k, native ? "Native" : "Data",
                              native ? "a native function's name" : "a data URI", true,
                              native ? 3 : 2, &s)))
            return st;
        if (!s.name)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "%s without a %s",
                       native ? "a Native" : "a Data", native ? "name" : "URI");
        if (!s.have_type)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "%s without a type",
                       native ? "a Native" : "a Data");
        const fedc_type *t;
        if ((st = read_type(d, &k, &s.type, &t))) return st;
        if (!native)
            n = fedc_node_data(c, s.name, t);
        else
            n = fedc_node_native(c, s.name, t, s.have_blob ? s.blob.sub.p : NULL,
                                 s.have_blob ? fedc_pb_reader_left(&s.blob.sub) : 0);
        break;
    }
    case FEDC_NODE_PLACEMENT: {
        fedc_placement p = FEDC_PLACEMENT_SERVER;
        bool have = false;
        while (!st && fedc_pb_reader_more(&k)) {
            field f;
            if (!(st = next(d, &k, &f)) && f.num == FEDC__BIN_PLACEMENT_VALUE) {
                st = read_placement(d, &k, &f, &p);
                have = true;
            }
        }
        if (st) return st;
        if (!have)
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT,
                       "a placement literal without a placement");
        n = fedc_node_placement(c, p);
        break;
    }
    case FEDC_NODE_BUILTIN: {
        simple s;
        if ((st = read_simple(d, &k, "Builtin", "a builtin's name", false, 1, &s))) return st;
        if (!s.name || !fedc_builtin_exists(s.name))
            return bad(d, m, kf->at, FEDC_STATUS_INVALID_ARGUMENT, "unknown builtin '%s'",
                       s.name ? s.name : "");
        n = fedc_node_builtin(c, s.name);
        break;
    }
    }
    if (!n) return oom(d, m, kf->at);
    *out = n;
    return FEDC_STATUS_OK;
}

/* Reads the Node message in field nf of message `outer`. */
static fedc_status read_node(decoder *d, const reader *outer, const field *nf, fedc_node **out) {
    fedc_status st = expect(d, outer, nf, FEDC_PB_LEN, "a node's parent");
    if (st) return st;
    if (d->node_depth >= FEDC__BIN_MAX_DEPTH)
        return bad(d, outer, nf->at, FEDC_STATUS_INVALID_ARGUMENT, "nodes nested deeper than %d",
                   FEDC__BIN_MAX_DEPTH);
    reader m = nf->sub;
    field kind = {0};
    bool have = false;
    int line = 0, col = 0;
    while (fedc_pb_reader_more(&m)) {
        field f;
        if ((st = next(d, &m, &f))) return st;
        if (f.num >= FEDC__BIN_NODE_FIRST_KIND && f.num <= FEDC__BIN_NODE_LAST_KIND)
            st = keep(d, &m, &f, "Node", &kind, &have);
        else if (f.num == FEDC__BIN_NODE_POSITION)
            st = read_position(d, &m, &f, &line, &col);
        if (st) return st;
    }
    if (!have)
        return bad(d, outer, nf->at, FEDC_STATUS_INVALID_ARGUMENT, "a Node with no known kind");
    d->node_depth++;
    st = read_kind(d, &m, &kind, out);
    d->node_depth--;
    if (st) return st;
    (*out)->line = line;
    (*out)->col = col;
    return FEDC_STATUS_OK;
}

/* ---- the module ---- */

static fedc_status read_definition(decoder *d, const reader *m, const field *df) {
    fedc_status st = expect(d, m, df, FEDC_PB_LEN, "Module");
    reader r = df->sub;
    const char *name = NULL;
    field value = {0};
    bool have_value = false;
    int line = 0, col = 0;
    while (!st && fedc_pb_reader_more(&r)) {
        field f;
        if ((st = next(d, &r, &f))) break;
        if (f.num == FEDC__BIN_DEF_NAME) {
            if (!(st = expect(d, &r, &f, FEDC_PB_LEN, "Definition")))
                st = get_string(d, &r, &f, "a definition's name", false, &name);
        } else if (f.num == FEDC__BIN_DEF_VALUE)
            st = keep(d, &r, &f, "Definition", &value, &have_value);
        else if (f.num == FEDC__BIN_DEF_POSITION) {
            st = read_position(d, &r, &f, &line, &col);
        }
    }
    if (st || (st = check_binding(d, m, df->at, "a definition", name))) return st;
    if (fedc_comp_lookup(d->comp, name))
        return bad(d, m, df->at, FEDC_STATUS_INVALID_ARGUMENT, "definition '%s' appears twice",
                   name);
    if (!have_value)
        return bad(d, m, df->at, FEDC_STATUS_INVALID_ARGUMENT, "definition '%s' has no value",
                   name);
    fedc_node *node;
    if ((st = read_node(d, &r, &value, &node))) return st;
    if ((st = fedc_comp_define(d->ctx, d->comp, name, node))) return st;
    /* the definition's own position, or none: not its node's, which fedc_comp_define copies,
     * so that what is written back is what was read */
    fedc_def *def = &d->comp->defs[d->comp->ndefs - 1];
    def->line = line;
    def->col = col;
    return FEDC_STATUS_OK;
}

fedc_status fedc_comp_from_binary(fedc_ctx *ctx, const void *data, size_t len, const char *what,
                                  fedc_comp **out) {
    *out = NULL;
    reader top = fedc_pb_reader_init(data, len, what ? what : "computation.pb");
    if (!fedc_comp_is_binary(data, len))
        return fedc_pb_corrupt(ctx, &top, top.p,
                               "not the binary form of a fedc module (it does not start with the "
                               "magic bytes 0a 08 89 46 44 43 0d 0a 1a 0a)");
    /* First the version, wherever it is, so that a newer file is refused as such and not for
     * what this reader would make of its definitions. */
    uint64_t major = 0, minor = 0;
    const uint8_t *version_at = top.p;
    reader r = top;
    fedc_status st;
    while (fedc_pb_reader_more(&r)) {
        field f;
        if ((st = fedc_pb_read_field(ctx, &r, &f))) return st;
        if (f.num != FEDC__BIN_MODULE_VERSION_MAJOR && f.num != FEDC__BIN_MODULE_VERSION_MINOR)
            continue;
        if ((st = fedc_pb_expect_wire(ctx, &r, &f, FEDC_PB_VARINT, "Module"))) return st;
        if (f.num == FEDC__BIN_MODULE_VERSION_MAJOR) {
            major = f.value;
            version_at = f.at;
        } else
            minor = f.value;
    }
    if (major == 0)
        return fedc_pb_corrupt(ctx, &top, top.p, "no format version (Module.version_major)");
    if (major > FEDC__BIN_VERSION_MAJOR)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                               "%s: byte offset %zu: format version %llu.%llu is newer than this "
                               "reader's %d.%d; read it with a newer fedc",
                               top.what, fedc_pb_offset(&top, version_at),
                               (unsigned long long)major, (unsigned long long)minor,
                               FEDC__BIN_VERSION_MAJOR, FEDC__BIN_VERSION_MINOR);
    decoder d = {ctx, NULL, 0, 0};
    if ((st = fedc_comp_create(ctx, &d.comp))) return st;
    r = top;
    while (fedc_pb_reader_more(&r)) {
        field f;
        if ((st = fedc_pb_read_field(ctx, &r, &f))) break;
        if (f.num == FEDC__BIN_MODULE_MAGIC)
            st = fedc_pb_expect_wire(ctx, &r, &f, FEDC_PB_LEN, "Module");
        else if (f.num == FEDC__BIN_MODULE_DEFINITIONS)
            st = read_definition(&d, &r, &f);
        if (st) break;
    }
    if (st) {
        fedc_comp_destroy(d.comp);
        return st;
    }
    *out = d.comp;
    return FEDC_STATUS_OK;
}
