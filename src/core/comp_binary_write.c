/* comp_binary_write.c — fedc_comp_to_binary: a module into the protobuf wire format of
 * proto/computation.proto, with the base layer's writer (fedc/base_pb.h). Fields go out in
 * increasing number and nothing depends on addresses or time, so a module always gives the same
 * bytes. Must not write checked types (the reader checks again), and must not fail for any
 * reason but memory.
 */
#include <string.h>

#include "core/comp_binary.h"
#include "core/core_int.h"
#include "fedc/base_pb.h"

const uint8_t fedc__bin_magic[FEDC__BIN_MAGIC_LEN] = {0x0a, 0x08, 0x89, 'F',  'D',
                                                      'C',  0x0d, 0x0a, 0x1a, 0x0a};

/* TensorFlow's DataType numbers (tensorflow/core/framework/types.proto), indexed by fedc_dtype:
 * FLOAT32 FLOAT64 INT32 INT64 UINT8 BOOL. */
static const uint64_t k_dtype_wire[FEDC_DTYPE_COUNT] = {1, 2, 3, 9, 4, 10};

uint64_t fedc__bin_dtype_to_wire(fedc_dtype dtype) { return k_dtype_wire[dtype]; }

bool fedc__bin_dtype_from_wire(uint64_t wire, fedc_dtype *out) {
    for (int d = 0; d < FEDC_DTYPE_COUNT; d++)
        if (k_dtype_wire[d] == wire) {
            *out = (fedc_dtype)d;
            return true;
        }
    return false;
}

/* dims as a packed repeated int64 (nothing for a scalar). */
static void write_dims(fedc_pb_writer *w, uint32_t num, int rank, const int64_t *dims) {
    if (rank == 0) return;
    size_t m = fedc_pb_writer_begin(w, num);
    for (int i = 0; i < rank; i++)
        fedc_pb_write_varint(w, (uint64_t)dims[i]); /* int64: -1 is ten bytes, as protobuf */
    fedc_pb_writer_end(w, m);
}

static void write_type(fedc_pb_writer *w, uint32_t num, const fedc_type *t) {
    size_t m = fedc_pb_writer_begin(w, num);
    size_t k = fedc_pb_writer_begin(w, FEDC__BIN_TYPE_FIRST_KIND + (uint32_t)t->kind);
    switch (t->kind) {
    case FEDC_TYPE_TENSOR:
        fedc_pb_write_uint(w, FEDC__BIN_TENSOR_DTYPE, fedc__bin_dtype_to_wire(t->dtype));
        write_dims(w, FEDC__BIN_TENSOR_DIMS, t->rank, t->dims);
        break;
    case FEDC_TYPE_STRUCT:
        for (size_t i = 0; i < t->nfields; i++) {
            size_t e = fedc_pb_writer_begin(w, FEDC__BIN_STRUCT_TYPE_ELEMENTS);
            if (t->fields[i].name)
                fedc_pb_write_string(w, FEDC__BIN_ELEMENT_NAME, t->fields[i].name);
            write_type(w, FEDC__BIN_ELEMENT_VALUE, t->fields[i].type);
            fedc_pb_writer_end(w, e);
        }
        break;
    case FEDC_TYPE_SEQUENCE: write_type(w, FEDC__BIN_SEQUENCE_ELEMENT, t->element); break;
    case FEDC_TYPE_FUNCTION:
        if (t->param) write_type(w, FEDC__BIN_FUNCTION_PARAMETER, t->param);
        write_type(w, FEDC__BIN_FUNCTION_RESULT, t->result);
        break;
    case FEDC_TYPE_FEDERATED:
        fedc_pb_write_uint(w, FEDC__BIN_FEDERATED_PLACEMENT,
                           fedc__bin_placement_to_wire(t->placement));
        if (t->all_equal) fedc_pb_write_uint(w, FEDC__BIN_FEDERATED_ALL_EQUAL, 1);
        write_type(w, FEDC__BIN_FEDERATED_MEMBER, t->element);
        break;
    case FEDC_TYPE_PLACEMENT: break;
    }
    fedc_pb_writer_end(w, k);
    fedc_pb_writer_end(w, m);
}

static void write_position(fedc_pb_writer *w, uint32_t num, int line, int col) {
    if (line <= 0 && col <= 0) return;
    size_t m = fedc_pb_writer_begin(w, num);
    if (line > 0) fedc_pb_write_uint(w, FEDC__BIN_POS_LINE, (uint64_t)line);
    if (col > 0) fedc_pb_write_uint(w, FEDC__BIN_POS_COLUMN, (uint64_t)col);
    fedc_pb_writer_end(w, m);
}

/* The literal's elements in little-endian byte order. */
static void write_content(fedc_pb_writer *w, const fedc_tensor *t) {
    size_t bytes = fedc_tensor_nbytes(t);
    fedc_pb_write_key(w, FEDC__BIN_LITERAL_CONTENT, FEDC_PB_LEN);
    fedc_pb_write_varint(w, bytes);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    size_t size = fedc_dtype_size(t->dtype);
    const uint8_t *p = t->data;
    for (size_t i = 0; i < bytes; i += size)
        for (size_t b = size; b-- > 0;)
            fedc_pb_write_raw(w, p + i + b, 1);
#else
    fedc_pb_write_raw(w, t->data, bytes);
#endif
}

static void write_node(fedc_pb_writer *w, uint32_t num, const fedc_node *n);

/* A message with a name (absent when NULL) and a node: Struct.Element, Block.Local. */
static void write_named_node(fedc_pb_writer *w, uint32_t num, const char *name,
                             const fedc_node *value) {
    size_t m = fedc_pb_writer_begin(w, num);
    if (name) fedc_pb_write_string(w, 1, name);
    write_node(w, 2, value);
    fedc_pb_writer_end(w, m);
}

static void write_node(fedc_pb_writer *w, uint32_t num, const fedc_node *n) {
    size_t m = fedc_pb_writer_begin(w, num);
    size_t k = fedc_pb_writer_begin(w, FEDC__BIN_NODE_FIRST_KIND + (uint32_t)n->kind);
    switch (n->kind) {
    case FEDC_NODE_REFERENCE: fedc_pb_write_string(w, FEDC__BIN_REFERENCE_NAME, n->name); break;
    case FEDC_NODE_SELECTION:
        write_node(w, FEDC__BIN_SELECTION_SOURCE, n->a[0]);
        if (n->name)
            fedc_pb_write_string(w, FEDC__BIN_SELECTION_NAME, n->name);
        else
            fedc_pb_write_uint(w, FEDC__BIN_SELECTION_INDEX, (uint64_t)n->index);
        break;
    case FEDC_NODE_STRUCT:
        for (size_t i = 0; i < n->n; i++)
            write_named_node(w, FEDC__BIN_STRUCT_ELEMENTS, n->names ? n->names[i] : NULL,
                             n->items[i]);
        break;
    case FEDC_NODE_CALL:
        write_node(w, FEDC__BIN_CALL_FUNCTION, n->a[0]);
        if (n->a[1]) write_node(w, FEDC__BIN_CALL_ARGUMENT, n->a[1]);
        break;
    case FEDC_NODE_LAMBDA:
        for (size_t i = 0; i < n->n; i++) {
            size_t p = fedc_pb_writer_begin(w, FEDC__BIN_LAMBDA_PARAMETERS);
            fedc_pb_write_string(w, FEDC__BIN_PARAMETER_NAME, n->params[i].name);
            write_type(w, FEDC__BIN_PARAMETER_TYPE, n->params[i].type);
            fedc_pb_writer_end(w, p);
        }
        write_node(w, FEDC__BIN_LAMBDA_RESULT, n->a[0]);
        break;
    case FEDC_NODE_BLOCK:
        for (size_t i = 0; i < n->n; i++)
            write_named_node(w, FEDC__BIN_BLOCK_LOCALS, n->names[i], n->items[i]);
        write_node(w, FEDC__BIN_BLOCK_RESULT, n->a[0]);
        break;
    case FEDC_NODE_INTRINSIC:
        fedc_pb_write_string(w, FEDC__BIN_INTRINSIC_NAME, fedc_intrinsic_name(n->intrinsic));
        break;
    case FEDC_NODE_LITERAL:
        fedc_pb_write_uint(w, FEDC__BIN_LITERAL_DTYPE, fedc__bin_dtype_to_wire(n->literal.dtype));
        write_dims(w, FEDC__BIN_LITERAL_DIMS, n->literal.shape.rank, n->literal.shape.dims);
        if (fedc_tensor_nbytes(&n->literal) > 0) write_content(w, &n->literal);
        break;
    case FEDC_NODE_DATA:
        fedc_pb_write_string(w, FEDC__BIN_DATA_URI, n->name);
        write_type(w, FEDC__BIN_DATA_TYPE, n->declared);
        break;
    case FEDC_NODE_PLACEMENT:
        fedc_pb_write_uint(w, FEDC__BIN_PLACEMENT_VALUE, fedc__bin_placement_to_wire(n->placement));
        break;
    case FEDC_NODE_BUILTIN: fedc_pb_write_string(w, FEDC__BIN_BUILTIN_NAME, n->name); break;
    case FEDC_NODE_NATIVE:
        fedc_pb_write_string(w, FEDC__BIN_NATIVE_NAME, n->name);
        write_type(w, FEDC__BIN_NATIVE_TYPE, n->declared);
        if (n->blob_size > 0) fedc_pb_write_bytes(w, FEDC__BIN_NATIVE_BLOB, n->blob, n->blob_size);
        break;
    }
    fedc_pb_writer_end(w, k);
    write_position(w, FEDC__BIN_NODE_POSITION, n->line, n->col);
    fedc_pb_writer_end(w, m);
}

fedc_status fedc_comp_to_binary(fedc_ctx *ctx, const fedc_comp *comp, void **out, size_t *len) {
    fedc_pb_writer w;
    fedc_pb_writer_init(&w);
    /* the magic first, byte for byte, so readers can recognize the image by its first bytes */
    fedc_pb_write_raw(&w, fedc__bin_magic, sizeof fedc__bin_magic);
    fedc_pb_write_uint(&w, FEDC__BIN_MODULE_VERSION_MAJOR, FEDC__BIN_VERSION_MAJOR);
    if (FEDC__BIN_VERSION_MINOR > 0)
        fedc_pb_write_uint(&w, FEDC__BIN_MODULE_VERSION_MINOR, FEDC__BIN_VERSION_MINOR);
    for (size_t i = 0; i < comp->ndefs; i++) {
        const fedc_def *d = &comp->defs[i];
        size_t m = fedc_pb_writer_begin(&w, FEDC__BIN_MODULE_DEFINITIONS);
        fedc_pb_write_string(&w, FEDC__BIN_DEF_NAME, d->name);
        write_node(&w, FEDC__BIN_DEF_VALUE, d->node);
        write_position(&w, FEDC__BIN_DEF_POSITION, d->line, d->col);
        fedc_pb_writer_end(&w, m);
    }
    return fedc_pb_writer_finish(ctx, &w, "the binary form of a module", out, len);
}

bool fedc_comp_is_binary(const void *data, size_t len) {
    return data && len >= FEDC__BIN_MAGIC_LEN &&
           memcmp(data, fedc__bin_magic, FEDC__BIN_MAGIC_LEN) == 0;
}
