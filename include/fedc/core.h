/* fedc/core.h — the Federated Core's public API: federated types, computations (the building
 * blocks of TFF's computation.proto), their text form and the type checker.
 *
 * Depends on fedc/base.h and fedc/tensor.h only, never on nn. Client data plugs into sequence
 * values through fedc_sequence_source (fedc/core_exec.h); fedc/core_data.h adapts the data layer.
 *
 * Memory: types and computation nodes are immutable once built and live in arenas. A type made
 * on its own lives in an arena the caller owns (fedc_arena_create); a computation (fedc_comp)
 * owns one arena that holds all its nodes and their types. Nothing here is freed piece by piece.
 * Thread safety: building and checking mutate; use a fedc_comp from one thread at a time. Built
 * and checked types and nodes may be read from many threads.
 */
#ifndef FEDC_CORE_H
#define FEDC_CORE_H

#include "fedc/base.h"
#include "fedc/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Placements
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_placement {
    FEDC_PLACEMENT_SERVER = 0,
    FEDC_PLACEMENT_CLIENTS = 1
} fedc_placement;

/* "SERVER" or "CLIENTS" ("INVALID" otherwise). Static storage. */
const char *fedc_placement_name(fedc_placement p);

/* ---------------------------------------------------------------------------------------------
 * Types
 *
 * Written as TFF writes them: `float32`, `int32[10]`, `float32[?,784]` (? = unknown dimension),
 * `<a=int32,b=float32[2]>` and `<int32,float32>` (structs, named or not), `float32*`
 * (sequence), `(T -> U)` and `( -> U)` (functions; a no-argument function has no parameter),
 * `T@SERVER`, `{T}@CLIENTS` (one value per client), `T@CLIENTS` (all clients hold the same
 * value), and `placement`.
 * Rules the constructors and the parser enforce (as TFF): a federated member is not federated,
 * a sequence element holds no sequence, function or federated type, and the names of a struct's
 * fields are distinct.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_type_kind {
    FEDC_TYPE_TENSOR = 0,
    FEDC_TYPE_STRUCT = 1,
    FEDC_TYPE_SEQUENCE = 2,
    FEDC_TYPE_FUNCTION = 3,
    FEDC_TYPE_FEDERATED = 4,
    FEDC_TYPE_PLACEMENT = 5
} fedc_type_kind;

#define FEDC_DIM_UNKNOWN (-1)

typedef struct fedc_type fedc_type;

/* A struct field: name is NULL for an unnamed field. */
typedef struct fedc_type_field {
    const char *name;
    const fedc_type *type;
} fedc_type_field;

/* Read-only after construction; build with the constructors below. Which fields mean something
 * depends on kind; the others are zero. */
struct fedc_type {
    fedc_type_kind kind;
    /* TENSOR */
    fedc_dtype dtype;
    int rank;
    int64_t dims[FEDC_MAX_RANK]; /* FEDC_DIM_UNKNOWN for `?` */
    /* STRUCT */
    size_t nfields;
    const fedc_type_field *fields;
    /* SEQUENCE: the element; FEDERATED: the member */
    const fedc_type *element;
    /* FUNCTION: parameter (NULL: none) and result */
    const fedc_type *param;
    const fedc_type *result;
    /* FEDERATED; all_equal is always true at SERVER */
    fedc_placement placement;
    bool all_equal;
};

/* Constructors. Each allocates in `arena` and returns NULL when the arena cannot allocate, when
 * an argument is NULL (so calls nest: a NULL propagates), or when the type would break a rule
 * above (callers that build from unchecked input use fedc_type_parse for a message). Arguments
 * are copied (fields and names included), so they may live anywhere. `dims` may be NULL for a
 * scalar; rank must be <= FEDC_MAX_RANK and dims >= 0 or FEDC_DIM_UNKNOWN. */
const fedc_type *fedc_type_tensor(fedc_arena *arena, fedc_dtype dtype, int rank,
                                  const int64_t *dims);
const fedc_type *fedc_type_struct(fedc_arena *arena, size_t n, const fedc_type_field *fields);
const fedc_type *fedc_type_sequence(fedc_arena *arena, const fedc_type *element);
/* param NULL: a no-argument function ( -> result). */
const fedc_type *fedc_type_function(fedc_arena *arena, const fedc_type *param,
                                    const fedc_type *result);
const fedc_type *fedc_type_federated(fedc_arena *arena, const fedc_type *member,
                                     fedc_placement placement, bool all_equal);
const fedc_type *fedc_type_placement(fedc_arena *arena);

/* A deep copy of `t` in `arena` (NULL when it cannot allocate or t is NULL). */
const fedc_type *fedc_type_clone(fedc_arena *arena, const fedc_type *t);

/* Parses one type in TFF notation (whitespace allowed between tokens) into *out, allocated in
 * `arena`. Errors: PARSE with `LINE:COL: expected ..., found ...` (1-based, counting bytes),
 * OUT_OF_MEMORY (what the arena holds then is garbage the caller frees with the arena). */
fedc_status fedc_type_parse(fedc_ctx *ctx, fedc_arena *arena, const char *text,
                            const fedc_type **out);

/* Writes the canonical text of `t` (`<a=int32,b=float32[?,2]>`, `(int32 -> float32)`,
 * `{float32*}@CLIENTS`) into buf, NUL-terminated when size > 0, and returns the length the full
 * text needs, as snprintf does. A NULL type prints as "?". Thread-safe. */
size_t fedc_type_format(const fedc_type *t, char *buf, size_t size);

/* Structural equality: kinds, dtypes, dimensions (`?` equals only `?`), field names and types,
 * placements and the all-equal flag. NULL equals only NULL. */
bool fedc_type_equal(const fedc_type *a, const fedc_type *b);

/* Whether a value of type `from` may be used where `to` is expected (TFF's is_assignable_from):
 * tensors of the same dtype and rank where each dimension of `to` is `?` or equal; structs of
 * the same length, fieldwise, where a named field of `to` needs the same name in `from`;
 * sequences by element; functions with contravariant parameter and covariant result; federated
 * types of the same placement with an assignable member, where an all-equal value is assignable
 * to a non-all-equal type but not the other way. */
bool fedc_type_assignable(const fedc_type *to, const fedc_type *from);

/* ---------------------------------------------------------------------------------------------
 * Computations
 *
 * A fedc_comp is a module: named definitions, each a tree of nodes (TFF's building blocks),
 * all in the comp's arena. Build one with the fedc_node_* builders or parse one from text; check
 * it (fedc_comp_check) to give every node its type.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_node_kind {
    FEDC_NODE_REFERENCE = 0, /* name: a lambda parameter, a let binding or an earlier definition */
    FEDC_NODE_SELECTION = 1, /* a[0].source, name or index */
    FEDC_NODE_STRUCT = 2,    /* items with optional names */
    FEDC_NODE_CALL = 3,      /* a[0] applied to a[1] (NULL: no argument) */
    FEDC_NODE_LAMBDA = 4,    /* params (names + types) and body a[0] */
    FEDC_NODE_BLOCK = 5,     /* let names[i] = items[i] (in order) in a[0] */
    FEDC_NODE_INTRINSIC = 6, /* a federated or sequence intrinsic, by name */
    FEDC_NODE_LITERAL = 7,   /* a tensor constant */
    FEDC_NODE_DATA = 8,      /* an external value named by a URI, with a declared type */
    FEDC_NODE_PLACEMENT = 9, /* SERVER or CLIENTS */
    FEDC_NODE_BUILTIN = 10,  /* a local tensor operation of the built-in library, by name */
    FEDC_NODE_NATIVE = 11    /* a native C function, by name, with its declared function type and
                                an optional parameter blob; the executor is given the functions */
} fedc_node_kind;

typedef enum fedc_intrinsic {
    FEDC_INTRINSIC_FEDERATED_VALUE,
    FEDC_INTRINSIC_FEDERATED_EVAL,
    FEDC_INTRINSIC_FEDERATED_BROADCAST,
    FEDC_INTRINSIC_FEDERATED_MAP,
    FEDC_INTRINSIC_FEDERATED_APPLY,
    FEDC_INTRINSIC_FEDERATED_ZIP,
    FEDC_INTRINSIC_FEDERATED_SUM,
    FEDC_INTRINSIC_FEDERATED_MEAN,
    FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN,
    FEDC_INTRINSIC_FEDERATED_MIN,
    FEDC_INTRINSIC_FEDERATED_MAX,
    FEDC_INTRINSIC_FEDERATED_AGGREGATE,
    FEDC_INTRINSIC_FEDERATED_SECURE_SUM,
    FEDC_INTRINSIC_FEDERATED_SECURE_SUM_BITWIDTH,
    FEDC_INTRINSIC_FEDERATED_SELECT,
    FEDC_INTRINSIC_SEQUENCE_MAP,
    FEDC_INTRINSIC_SEQUENCE_REDUCE,
    FEDC_INTRINSIC_SEQUENCE_SUM,
    FEDC_INTRINSIC_COUNT
} fedc_intrinsic;

/* TFF's name ("federated_map"), or NULL outside the enum. Static storage. */
const char *fedc_intrinsic_name(fedc_intrinsic i);
/* The intrinsic named `name` into *out; false if none. */
bool fedc_intrinsic_lookup(const char *name, fedc_intrinsic *out);

/* The built-in local tensor operations, called with one argument or a struct of arguments
 * (`add(x, y)` is add applied to <x, y>):
 *   add sub mul div maximum minimum pow equal not_equal less less_equal greater greater_equal
 *       (two tensors of one dtype, NumPy broadcasting; comparisons give bool)
 *   neg abs square sqrt exp log relu sigmoid tanh (one tensor)    logical_not (bool)
 *   where(cond: bool, a, b)           cast(x, like): x converted to like's dtype
 *   reduce_sum reduce_mean reduce_max reduce_min (x) over all axes, or (x, axis literal)
 *   matmul(a, b) (rank 2)             reshape(x, shape literal int32[n], one entry may be -1)
 *   norm(x) (L2 norm, scalar)         clip_by_norm(x, clip scalar)
 *   zeros_like(x) ones_like(x)        size(x) (int32 number of elements)
 *   fill(shape literal int32[n], scalar) a tensor of that shape holding the scalar (tf.fill)
 * This returns whether `name` is one of them. */
bool fedc_builtin_exists(const char *name);

typedef struct fedc_node fedc_node;

/* A lambda parameter. One parameter x: T gives the lambda the parameter type T; several give
 * the struct <a=T,b=U>, and each name refers to its field (TFF's `(a, b) -> ...` sugar). */
typedef struct fedc_param {
    const char *name;
    const fedc_type *type;
} fedc_param;

/* Read-only to users (builders fill it in, the checker sets `type`). Fields unused by a kind are
 * zero/NULL. */
struct fedc_node {
    fedc_node_kind kind;
    int line, col;         /* source position (1-based), 0 when built in C */
    const fedc_type *type; /* set by fedc_comp_check; NULL before */
    /* REFERENCE, SELECTION (by name; NULL by index), BUILTIN, NATIVE: a name. DATA: the URI. */
    const char *name;
    int64_t index;             /* SELECTION by index; -1 by name */
    fedc_node *a[2];           /* see fedc_node_kind */
    size_t n;                  /* STRUCT: items; BLOCK: bindings; LAMBDA: params */
    fedc_node **items;         /* STRUCT items, BLOCK values */
    const char **names;        /* STRUCT item names (entries NULL when unnamed), BLOCK names */
    const fedc_param *params;  /* LAMBDA */
    fedc_intrinsic intrinsic;  /* INTRINSIC */
    fedc_tensor literal;       /* LITERAL: contiguous, data in the arena (a view) */
    fedc_placement placement;  /* PLACEMENT */
    const fedc_type *declared; /* DATA, NATIVE: the declared type */
    const uint8_t *blob;       /* NATIVE: parameters (in the arena), blob_size bytes */
    size_t blob_size;
};

typedef struct fedc_comp fedc_comp;

/* One named definition of a module. */
typedef struct fedc_def {
    const char *name;
    fedc_node *node;
    int line, col;
} fedc_def;

/* Creates an empty module. Errors: OUT_OF_MEMORY. The caller destroys it. */
fedc_status fedc_comp_create(fedc_ctx *ctx, fedc_comp **out);

/* Frees the module, its nodes and types. NULL is a no-op. */
void fedc_comp_destroy(fedc_comp *comp);

/* The arena where the module's nodes and types live, for building types that nodes use. */
fedc_arena *fedc_comp_arena(fedc_comp *comp);

/* Builders. Each allocates a node in comp's arena (strings and arrays are copied; types are
 * used as given, so build them in fedc_comp_arena(comp) or another arena that outlives comp)
 * and returns it, or NULL when memory runs out or a required child is NULL: NULLs propagate
 * through nested calls and fedc_comp_define reports them as OUT_OF_MEMORY. */
fedc_node *fedc_node_reference(fedc_comp *comp, const char *name);
fedc_node *fedc_node_select_name(fedc_comp *comp, fedc_node *source, const char *name);
fedc_node *fedc_node_select_index(fedc_comp *comp, fedc_node *source, int64_t index);
/* names may be NULL (all unnamed), or have NULL entries. */
fedc_node *fedc_node_struct(fedc_comp *comp, size_t n, fedc_node *const *items,
                            const char *const *names);
/* fn applied to arg; NULL when arg is NULL (so a failed nested builder propagates). */
fedc_node *fedc_node_call(fedc_comp *comp, fedc_node *fn, fedc_node *arg);
/* fn called with no argument: f(). */
fedc_node *fedc_node_call0(fedc_comp *comp, fedc_node *fn);
/* n == 0: a no-argument lambda ( -> body). */
fedc_node *fedc_node_lambda(fedc_comp *comp, size_t n, const fedc_param *params, fedc_node *body);
fedc_node *fedc_node_block(fedc_comp *comp, size_t n, const char *const *names,
                           fedc_node *const *values, fedc_node *result);
fedc_node *fedc_node_intrinsic(fedc_comp *comp, fedc_intrinsic intrinsic);
/* NULL unless fedc_builtin_exists(name). */
fedc_node *fedc_node_builtin(fedc_comp *comp, const char *name);
/* A copy of `value` (any layout) as a constant. */
fedc_node *fedc_node_literal(fedc_comp *comp, const fedc_tensor *value);
/* A float32 / int32 scalar constant. */
fedc_node *fedc_node_float(fedc_comp *comp, float value);
fedc_node *fedc_node_int(fedc_comp *comp, int32_t value);
fedc_node *fedc_node_data(fedc_comp *comp, const char *uri, const fedc_type *type);
fedc_node *fedc_node_placement(fedc_comp *comp, fedc_placement placement);
/* A native function `name` of function type `type`, with `blob_size` bytes of parameters
 * (copied; blob may be NULL when blob_size is 0). Text: native("name": T) or
 * native("name": T, "0a1b..."), the blob in hex. */
fedc_node *fedc_node_native(fedc_comp *comp, const char *name, const fedc_type *type,
                            const void *blob, size_t blob_size);

/* Appends the definition `name = node`. Errors: OUT_OF_MEMORY (node NULL included), EXISTS when
 * the name is defined already, INVALID_ARGUMENT for a name that is not an identifier or is a
 * reserved word of the text syntax (let in true false inf nan data native SERVER CLIENTS and the
 * dtype names). Names given to the other builders should follow the same rule, and strings
 * (URIs, native names) hold no newline, for the printed text to parse back. */
fedc_status fedc_comp_define(fedc_ctx *ctx, fedc_comp *comp, const char *name, fedc_node *node);

/* The definitions in order; fedc_comp_lookup gives the one named `name` or NULL. */
size_t fedc_comp_ndefs(const fedc_comp *comp);
const fedc_def *fedc_comp_def(const fedc_comp *comp, size_t i);
const fedc_def *fedc_comp_lookup(const fedc_comp *comp, const char *name);

/* Parses a module in the text syntax:
 *
 *   # comment to end of line
 *   above = (t: <readings=float32*, threshold=float32> ->
 *              sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)),
 *                                         t.readings>)))
 *   main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) -> ...
 *
 * Expressions: names, calls f(x) and f(x, y) (= f(<x, y>)), f() (no argument), structs
 * <a=x, b=y> and <x, y>, selections x.name and x[0], lambdas (x: T -> body), (a: T, b: U -> body),
 * (a: T, b: U) -> body and ( -> body), blocks (let a = x, b = y in body), literals (1 int32,
 * 1.5 float32, true, [[1, 2], [3, 4]], typed: int64(3), float64([1, 2])), SERVER and CLIENTS,
 * data("uri": T), native("name": T[, "hex blob"]). A name is, in order of precedence: a parameter
 * or let binding in scope, an earlier definition, an intrinsic, a builtin. `file` (may be NULL)
 * prefixes messages. Errors: PARSE with `FILE:LINE:COL: expected ..., found ...`; OUT_OF_MEMORY. On
 * error *out is NULL. The caller destroys the module. */
fedc_status fedc_comp_parse(fedc_ctx *ctx, const char *file, const char *text, fedc_comp **out);

/* The canonical text of the module: `name = expr` per definition, an expression that does not
 * fit in 100 columns broken after its opening brackets, one element per line, indented by 4;
 * parsing it gives an equal module (comments are not kept). The string is from fedc_malloc;
 * the caller fedc_frees it. Errors: OUT_OF_MEMORY. */
fedc_status fedc_comp_print(fedc_ctx *ctx, const fedc_comp *comp, char **out);

/* The canonical text of one expression on one line, into a fedc_malloc'd string (caller
 * frees). Errors: OUT_OF_MEMORY. */
fedc_status fedc_node_print(fedc_ctx *ctx, const fedc_node *node, char **out);

/* The binary form of a module (schema: proto/computation.proto, protobuf wire format): what
 * ships a computation to another process or machine. It holds the definitions, their trees,
 * declared types (parameters, data, native functions), literal bits, native blobs and source
 * positions, not checked types (check the module that is read). An image starts with fixed
 * magic bytes (fedc_comp_is_binary) followed by the format version, currently 1.0.
 *
 * fedc_comp_to_binary encodes `comp` into *out (fedc_malloc'd; the caller fedc_frees it) and
 * *len. The bytes depend only on the module (names, trees, positions), so the same module gives
 * the same bytes every time. Errors: OUT_OF_MEMORY (*out NULL, *len 0). Reads comp only: any
 * number of threads may encode one module that nobody mutates. */
fedc_status fedc_comp_to_binary(fedc_ctx *ctx, const fedc_comp *comp, void **out, size_t *len);

/* Decodes an image of `len` bytes at `data` (NULL allowed when len is 0) into a new module
 * *out, equal (fedc_comp_equal) to the one that was encoded, with its source positions; the
 * caller destroys it. `what` (NULL: "computation.pb") names the image in messages, which read
 * `WHAT: byte offset N: PROBLEM`, N the offset of the varint, field or message at fault.
 * Errors:
 *   CORRUPT: not a fedc image (no magic), a broken wire encoding (`truncated varint`, a length
 *     past the end of its message, a wrong wire type for a known field), no version;
 *   UNSUPPORTED: a format major version newer than this reader's;
 *   INVALID_ARGUMENT: a tree this library cannot build (a node or type with no kind, a Call
 *     without a function, a missing operand, a name that is not an identifier or is reserved,
 *     a definition given twice, an unknown intrinsic or builtin, a literal whose byte count
 *     does not match its shape or whose shape overflows, an empty literal of more than 2^20
 *     empty arrays, nesting deeper than 400);
 *   TYPE: a type that breaks the rules (an unknown dtype, rank above FEDC_MAX_RANK, a bad
 *     dimension, a federated member that is federated, a bad sequence element, duplicate field
 *     names, an unspecified placement);
 *   OUT_OF_MEMORY.
 * Unknown fields are skipped at any depth (newer minor versions add fields). On error *out is
 * NULL. Any input is safe: nothing is read outside [data, data + len). Thread-safe for distinct
 * ctx. */
fedc_status fedc_comp_from_binary(fedc_ctx *ctx, const void *data, size_t len, const char *what,
                                  fedc_comp **out);

/* Whether the `len` bytes at `data` start like a binary image (its 10 magic bytes); text never
 * does, as the magic is not valid UTF-8. A true answer does not mean the rest is valid. */
bool fedc_comp_is_binary(const void *data, size_t len);

/* Structural equality of trees (kinds, names, indices, parameter types, literal dtypes, shapes
 * and bits, data URIs and types); source positions and checked types are not compared. */
bool fedc_node_equal(const fedc_node *a, const fedc_node *b);
/* Same definitions (names and trees) in the same order. */
bool fedc_comp_equal(const fedc_comp *a, const fedc_comp *b);

/* Infers and checks the type of every node of every definition, in order (a definition sees the
 * earlier ones), setting node->type; the intrinsics have TFF's signatures, the builtins the
 * rules listed above. Errors: TYPE with `LINE:COL: what expects ..., got ...` naming the place
 * (`3:14: federated_sum expects {T}@CLIENTS, got float32@SERVER`), NOT_FOUND for an unknown
 * name, OUT_OF_MEMORY. A failed check may leave some types set; checking again is allowed. */
fedc_status fedc_comp_check(fedc_ctx *ctx, fedc_comp *comp);

/* The checked type of definition `name` (NULL when unknown or unchecked). */
const fedc_type *fedc_comp_type_of(const fedc_comp *comp, const char *name);

/* A deep copy of `node` (from any module) in comp: nodes, names, literals and types are copied
 * into comp's arena; checked types and positions are kept. NULL when memory runs out. */
fedc_node *fedc_node_clone(fedc_comp *comp, const fedc_node *node);

/* ---------------------------------------------------------------------------------------------
 * Compiler forms
 * ------------------------------------------------------------------------------------------- */

/* A new, checked module equal to the checked `comp` except that every federated_sum,
 * federated_mean and federated_weighted_mean is replaced by the federated_aggregate that
 * computes it (TFF's lowering): sum accumulates from zeros; mean accumulates <sum, count> and
 * reports sum / cast(count); weighted mean accumulates <sum of w * v, sum of w> and reports
 * their quotient. Values are added in client order in the members' own dtypes, so the reference
 * executor gives bit-identical results for both forms. Errors: INVALID_ARGUMENT for an
 * unchecked module; UNSUPPORTED for a member type with an unknown dimension (its zero cannot be
 * written), naming the place; OUT_OF_MEMORY. The caller destroys *out. */
fedc_status fedc_comp_lower_aggregates(fedc_ctx *ctx, const fedc_comp *comp, fedc_comp **out);

/* Splits one round of a federated computation into TFF's DistributeAggregateForm
 * (tff.backends.mapreduce.DistributeAggregateForm; part names and roles as TFF documents them).
 * Definition `name` of the checked module must be a lambda whose parameters are each placed at
 * SERVER (the server's state and inputs) or at CLIENTS (their data), and whose result is at the
 * SERVER (or a struct of such). The new, checked module *out holds the definitions before
 * `name` unchanged, then:
 *
 *   daf_inputs                   (the original's parameters -> <server_state=<the SERVER ones>,
 *                                  client_data=<the CLIENTS ones>>): how its argument is dealt
 *   server_prepare               (server_state: <...> -> <broadcast_input=<B...>,
 *                                  intermediate_state=<T...>>)            SERVER only
 *   server_to_client_broadcast   (broadcast_input: <B...> -> <federated_broadcast(each)>)
 *   client_work                  (client_data: <...>, broadcast: <C@CLIENTS...> ->
 *                                  <values to aggregate, each {A}@CLIENTS>)  CLIENTS only
 *   client_to_server_aggregation (intermediate_state: <T...>, client_results: <...> ->
 *                                  <one aggregation intrinsic each>)
 *   server_result                (intermediate_state: <T...>, aggregates: <...> -> the original's
 *                                  result)                                 SERVER only
 *
 * Run in this order (fedc_daf_run does), they compute what `name` computes, with the same
 * arithmetic in the same order. A placed value bound by a let is computed once, in the part
 * of its phase, and handed on; a local (unplaced) let is copied into each part that uses it.
 * Errors, each naming the place (`LINE:COL: ...`): UNSUPPORTED for what the form cannot express —
 * an aggregate sent back to the clients (a second round), a value placed at CLIENTS that reaches
 * the result without an aggregation, federated_select, a parameter that is not placed, a call of
 * another federated definition (write it in place), a function that uses a placed value of the
 * computation, a let name bound twice, a name that the form's parts use (server_state,
 * broadcast_input, client_data, broadcast, intermediate_state, client_results, aggregates, and the
 * part names); NOT_FOUND (no such definition), INVALID_ARGUMENT (unchecked), OUT_OF_MEMORY. The
 * caller destroys *out. Thread safety: only reads `checked`, so splits of one checked module may
 * run in parallel. */
fedc_status fedc_comp_split_daf(fedc_ctx *ctx, const fedc_comp *checked, const char *name,
                                fedc_comp **out);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_CORE_H */
