/* comp_binary.h — the field numbers and constants of proto/computation.proto, shared by the
 * binary writer (comp_binary_write.c) and reader (comp_binary_read.c) so that the two cannot
 * disagree. Private to src/core; the schema file is the documentation of what they mean, and a
 * change here is a change to that file.
 */
#ifndef FEDC_CORE_COMP_BINARY_H
#define FEDC_CORE_COMP_BINARY_H

#include "fedc/core.h"

/* Module.magic as it appears at the start of every image: the key of field 1 (LEN), the length
 * 8, then the eight magic bytes. */
#define FEDC__BIN_MAGIC_LEN 10
extern const uint8_t fedc__bin_magic[FEDC__BIN_MAGIC_LEN];

/* The schema version this code writes and the newest major version it reads. */
enum { FEDC__BIN_VERSION_MAJOR = 1, FEDC__BIN_VERSION_MINOR = 0 };

/* The deepest nesting of nodes, and separately of types, that the reader accepts: the text
 * parser's limit, so that every module read can be printed and parsed back. */
enum { FEDC__BIN_MAX_DEPTH = 400 };

/* The most empty arrays an empty literal may hold (the product of its dims before the first 0):
 * its text has a pair of brackets for each, and the image has no bytes for any. */
enum { FEDC__BIN_MAX_EMPTY_ARRAYS = 1 << 20 };

enum { /* Module */
       FEDC__BIN_MODULE_MAGIC = 1,
       FEDC__BIN_MODULE_VERSION_MAJOR = 2,
       FEDC__BIN_MODULE_VERSION_MINOR = 3,
       FEDC__BIN_MODULE_DEFINITIONS = 4
};
enum { /* Definition */
       FEDC__BIN_DEF_NAME = 1,
       FEDC__BIN_DEF_VALUE = 2,
       FEDC__BIN_DEF_POSITION = 3
};
enum { /* SourcePosition */
       FEDC__BIN_POS_LINE = 1,
       FEDC__BIN_POS_COLUMN = 2
};
/* Node: the oneof member of node kind k is field k + 1 (REFERENCE = 1 ... NATIVE = 12). */
enum { FEDC__BIN_NODE_FIRST_KIND = 1, FEDC__BIN_NODE_LAST_KIND = 12, FEDC__BIN_NODE_POSITION = 15 };
/* Fields of the block messages, by the kind they belong to. */
enum { FEDC__BIN_REFERENCE_NAME = 1 };
enum {
    FEDC__BIN_SELECTION_SOURCE = 1,
    FEDC__BIN_SELECTION_NAME = 2,
    FEDC__BIN_SELECTION_INDEX = 3
};
enum { FEDC__BIN_STRUCT_ELEMENTS = 1, FEDC__BIN_ELEMENT_NAME = 1, FEDC__BIN_ELEMENT_VALUE = 2 };
enum { FEDC__BIN_CALL_FUNCTION = 1, FEDC__BIN_CALL_ARGUMENT = 2 };
enum { FEDC__BIN_LAMBDA_PARAMETERS = 1, FEDC__BIN_LAMBDA_RESULT = 2 };
enum { FEDC__BIN_PARAMETER_NAME = 1, FEDC__BIN_PARAMETER_TYPE = 2 };
enum { FEDC__BIN_BLOCK_LOCALS = 1, FEDC__BIN_BLOCK_RESULT = 2 };
enum { FEDC__BIN_LOCAL_NAME = 1, FEDC__BIN_LOCAL_VALUE = 2 };
enum { FEDC__BIN_INTRINSIC_NAME = 1 };
enum { FEDC__BIN_LITERAL_DTYPE = 1, FEDC__BIN_LITERAL_DIMS = 2, FEDC__BIN_LITERAL_CONTENT = 3 };
enum { FEDC__BIN_DATA_URI = 1, FEDC__BIN_DATA_TYPE = 2 };
enum { FEDC__BIN_PLACEMENT_VALUE = 1 };
enum { FEDC__BIN_BUILTIN_NAME = 1 };
enum { FEDC__BIN_NATIVE_NAME = 1, FEDC__BIN_NATIVE_TYPE = 2, FEDC__BIN_NATIVE_BLOB = 3 };
/* Type: the oneof member of type kind k is field k + 1 (TENSOR = 1 ... PLACEMENT = 6). */
enum { FEDC__BIN_TYPE_FIRST_KIND = 1, FEDC__BIN_TYPE_LAST_KIND = 6 };
enum { FEDC__BIN_TENSOR_DTYPE = 1, FEDC__BIN_TENSOR_DIMS = 2 };
enum { FEDC__BIN_STRUCT_TYPE_ELEMENTS = 1 }; /* Element: name 1, value 2 as in Struct */
enum { FEDC__BIN_SEQUENCE_ELEMENT = 1 };
enum { FEDC__BIN_FUNCTION_PARAMETER = 1, FEDC__BIN_FUNCTION_RESULT = 2 };
enum {
    FEDC__BIN_FEDERATED_PLACEMENT = 1,
    FEDC__BIN_FEDERATED_ALL_EQUAL = 2,
    FEDC__BIN_FEDERATED_MEMBER = 3
};

/* The DType enum's numbers (TensorFlow's) for a fedc dtype, and back: false when the number
 * names no dtype fedc has. */
uint64_t fedc__bin_dtype_to_wire(fedc_dtype dtype);
bool fedc__bin_dtype_from_wire(uint64_t wire, fedc_dtype *out);

/* The Placement enum: SERVER = 1, CLIENTS = 2 (0 is unspecified). */
static inline uint64_t fedc__bin_placement_to_wire(fedc_placement p) { return (uint64_t)p + 1; }

#endif /* FEDC_CORE_COMP_BINARY_H */
