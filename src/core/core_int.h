/* core_int.h — the core layer's private names shared between its files: a text builder, the
 * lexer used by the type and computation parsers, and the module's internals.
 * Nothing outside src/core and tests/core may include this; nothing here is part of the API.
 */
#ifndef FEDC_CORE_INT_H
#define FEDC_CORE_INT_H

#include <stdarg.h>
#include <stdatomic.h>

#include "fedc/core.h"

/* ---- text builder: either a fixed buffer (truncating, counting the full length) or a growing
 * fedc_malloc'd one (oom set when it cannot grow) ---- */
typedef struct fedc__sb {
    char *buf;
    size_t cap;
    size_t len; /* length of the full text, even when truncated */
    bool grow;
    bool oom;
} fedc__sb;

void fedc__sb_fixed(fedc__sb *sb, char *buf, size_t size);
void fedc__sb_growing(fedc__sb *sb);
void fedc__sb_puts(fedc__sb *sb, const char *s);
void fedc__sb_printf(fedc__sb *sb, const char *fmt, ...) FEDC_PRINTF(2, 3);
void fedc__type_write(fedc__sb *sb, const fedc_type *t);

/* ---- lexer ---- */
typedef enum fedc__tok_kind {
    FEDC__TOK_END,
    FEDC__TOK_IDENT,
    FEDC__TOK_INT,
    FEDC__TOK_FLOAT,
    FEDC__TOK_STRING, /* text excludes the quotes; no escapes except \" and \\ */
    FEDC__TOK_ARROW,  /* -> */
    FEDC__TOK_PUNCT,  /* one character: < > { } ( ) [ ] , = . * @ : ? - */
    FEDC__TOK_BAD     /* a character that starts no token, or an unterminated string */
} fedc__tok_kind;

typedef struct fedc__tok {
    fedc__tok_kind kind;
    const char *start;
    size_t len;
    int line, col;
} fedc__tok;

typedef struct fedc__lexer {
    const char *text;
    const char *p;
    int line, col;
    fedc__tok tok; /* the current token */
} fedc__lexer;

void fedc__lex_init(fedc__lexer *lx, const char *text);
void fedc__lex_next(fedc__lexer *lx);
/* Whether the current token is the punctuation character c / the identifier word. */
bool fedc__lex_is(const fedc__lexer *lx, char c);
bool fedc__lex_is_word(const fedc__lexer *lx, const char *word);
/* A description of the current token for messages: "'>'", "end of input", "'foo'". */
void fedc__tok_describe(const fedc__tok *tok, char *buf, size_t size);
/* Records `[file:]LINE:COL: expected WHAT, found TOKEN` for the current token; returns PARSE. */
fedc_status fedc__lex_expected(fedc_ctx *ctx, const fedc__lexer *lx, const char *file,
                               const char *what);
/* Copies the current token's text into the arena, NUL-terminated (NULL when out of memory). */
char *fedc__tok_strdup(fedc_arena *arena, const fedc__tok *tok);
char *fedc__arena_strdup(fedc_arena *arena, const char *s);

/* Whether s is [A-Za-z_][A-Za-z0-9_]* (NULL is not). */
bool fedc__is_identifier(const char *s);

/* Words of the text syntax that cannot name a binding or definition: let in true false inf nan
 * data native SERVER CLIENTS and the dtype names. */
bool fedc__is_reserved(const char *name, size_t len);

/* Parses a type starting at the current token (the lexer is left after it). */
fedc_status fedc__type_parse_lx(fedc_ctx *ctx, fedc_arena *arena, fedc__lexer *lx, const char *file,
                                const fedc_type **out);

/* ---- the computation parser, shared by comp_parse.c and literal_parse.c ---- */
typedef struct fedc__pscope {
    const char *name;
    const struct fedc__pscope *up;
} fedc__pscope;

typedef struct fedc__parser {
    fedc_ctx *ctx;
    fedc_comp *comp;
    fedc_arena *arena;
    fedc__lexer lx;
    const char *file;
    int depth;
} fedc__parser;

/* OUT_OF_MEMORY / PARSE (`[file:]L:C: expected WHAT, found TOKEN`) at the current token. */
fedc_status fedc__parse_oom(fedc__parser *p);
fedc_status fedc__parse_expected(fedc__parser *p, const char *what);
/* Consumes the punctuation c or reports it expected. */
fedc_status fedc__parse_expect(fedc__parser *p, char c);
/* Sets n's position (n may be NULL) and returns n. */
fedc_node *fedc__parse_at(fedc_node *n, int line, int col);
/* A literal at the current token: `1`, `-1.5`, `true`, `[[1, 2], [3, 4]]`; with has_dtype, of
 * that dtype (the inside of `int64(...)`). */
fedc_status fedc__parse_literal(fedc__parser *p, bool has_dtype, fedc_dtype dtype, fedc_node **out);

/* ---- modules ---- */
struct fedc_comp {
    fedc_arena *arena;
    fedc_def *defs; /* fedc_malloc'd, grows */
    size_t ndefs, cap;
};

/* Checking one node against a scope, for the checker's files. */
typedef struct fedc__scope {
    const char *name;
    const fedc_type *type;
    const struct fedc__scope *up;
} fedc__scope;

typedef struct fedc__checker {
    fedc_ctx *ctx;
    fedc_comp *comp;
    size_t ndefs_visible; /* definitions before the one being checked */
} fedc__checker;

/* Records `LINE:COL: ` + message for node (no prefix when it has no position) with status. */
fedc_status fedc__node_errorf(fedc_ctx *ctx, const fedc_node *node, fedc_status status,
                              const char *fmt, ...) FEDC_PRINTF(4, 5);
/* "expects WANT, got <type>" for a call at `node` to `what`. */
fedc_status fedc__type_mismatch(fedc_ctx *ctx, const fedc_node *node, const char *what,
                                const char *want, const fedc_type *got);

/* The result type of intrinsic / builtin `callee` applied to `arg` (type arg_type, may be NULL
 * for no argument); `call` is the call node (for positions and literal arguments). */
fedc_status fedc__check_intrinsic(fedc__checker *ck, const fedc_node *call, fedc_intrinsic in,
                                  const fedc_type *arg_type, const fedc_type **out);
fedc_status fedc__check_builtin(fedc__checker *ck, const fedc_node *call, const char *name,
                                const fedc_type *arg_type, const fedc_type **out);

/* Whether t may be a sequence element (tensors and structs of them). */
bool fedc__type_sequence_element_ok(const fedc_type *t);

/* Whether a function whose parameter has type `param` may be called with `arg`: assignable,
 * except that the top-level field names of a struct parameter are not required of the argument
 * (the parameters of `(a: T, b: U -> ...)` bind by position, as Python's positional arguments
 * do in TFF). Nested names are still required. */
bool fedc__type_accepts_positional(const fedc_type *param, const fedc_type *arg);

/* True for tensors and structs of tensors (nested) whose dtypes pass `ok`. */
bool fedc__type_all_tensors(const fedc_type *t, bool (*ok)(fedc_dtype));

/* Literal text of a tensor (used by the printer). */
void fedc__literal_write(fedc__sb *sb, const fedc_tensor *t);

/* ---- values and the reference executor ---- */
#include "fedc/core_exec.h"

/* An environment frame: one binding, reference counted so closures can keep it. */
typedef struct fedc__env {
    atomic_int refs;  /* atomic: closures are shared by the threaded executor's workers */
    const char *name; /* borrowed from the module's arena */
    fedc_value *value;
    struct fedc__env *up;
} fedc__env;

struct fedc_value {
    atomic_int refs; /* atomic: values are shared by the threaded executor's workers */
    fedc_value_kind kind;
    fedc_tensor tensor; /* TENSOR (owned) */
    size_t n;           /* STRUCT items, SEQUENCE list, FEDERATED members */
    fedc_value **items;
    char **names; /* STRUCT, may be NULL */
    bool lazy;    /* SEQUENCE backed by src */
    fedc_sequence_source src;
    fedc_placement placement; /* FEDERATED, PLACEMENT */
    bool all_equal;
    const fedc_node *lambda; /* FUNCTION: a lambda closing over env, or a NATIVE node */
    fedc__env *env;
    const fedc_native *native;
};

fedc__env *fedc__env_push(fedc__env *up, const char *name, fedc_value *value);
void fedc__env_release(fedc__env *env);

/* Streams a sequence value (lazy or in memory) one element at a time, so reductions never hold
 * a whole client dataset: open, next until *out is NULL (each element a new reference), close
 * (after a successful open, always). */
typedef fedc_value_iter fedc__seq_iter; /* seq, the source's iterator, elements read */

fedc_status fedc__seq_open(fedc_ctx *ctx, fedc_value *seq, fedc__seq_iter *it);
fedc_status fedc__seq_next(fedc_ctx *ctx, fedc__seq_iter *it, fedc_value **out);
void fedc__seq_close(fedc__seq_iter *it);

/* A new value of `kind` with room for n items (zeroed), or NULL. */
fedc_value *fedc__value_new(fedc_value_kind kind, size_t n);

/* Whole-value arithmetic used by the aggregations: a + b, a * scalar, elementwise min/max, over
 * tensors and structs of tensors (new references). */
fedc_status fedc__value_binary(fedc_ctx *ctx, fedc_binary_op op, const fedc_value *a,
                               const fedc_value *b, fedc_value **out);
/* *acc = op(*acc, b) (op not a comparison) with fedc__value_binary's arithmetic, in place when
 * *acc (or a part of it) is held by no one else, else into a new value that replaces *acc (the
 * old reference released). On error *acc stays a valid value the caller releases. */
fedc_status fedc__value_accumulate(fedc_ctx *ctx, fedc_binary_op op, fedc_value **acc,
                                   const fedc_value *b);
/* An owned, contiguous tensor of dtype and shape whose elements are NOT initialized: for results
 * an operation writes in full (elementwise kernels, casts). Errors: OUT_OF_MEMORY. */
fedc_status fedc__tensor_alloc_output(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                                      const fedc_shape *shape);
fedc_status fedc__value_scale(fedc_ctx *ctx, const fedc_value *a, double s, fedc_value **out);
fedc_status fedc__value_divide(fedc_ctx *ctx, const fedc_value *a, double d, fedc_value **out);

/* TYPE with `at PATH: expected T, found ...` unless v is a value of type t. positional: the
 * top-level field names of a struct t are not required (see fedc__type_accepts_positional). */
fedc_status fedc__value_conforms(fedc_ctx *ctx, const fedc_type *t, const fedc_value *v,
                                 bool positional);

typedef struct fedc__exec {
    fedc_ctx *ctx;
    const fedc_comp *comp;
    fedc_exec_opts opts;
    /* One slot per definition of comp (NULL: no cache): the value of a literal or lambda
     * definition once evaluated, so a client's work that names a constant vector shares it
     * instead of copying it per call. Values are immutable, so sharing is safe; slots are set
     * by compare-and-swap because the threaded executor's workers share them. */
    fedc_value *_Atomic *def_cache;
    /* The values of literal nodes met while running (NULL: no cache), so that `1.0` in a
     * client's work is made once per run, not once per client (exec.c). */
    struct fedc__literal_slot *literals;
    /* Results of aggregations already computed while a let-bound federated_map streamed
     * (exec_stream.c), found by their call node when evaluation reaches them; NULL: none. */
    struct fedc__fused *fused;
    /* Chains of elementwise arithmetic compiled by call node (exec_fuse.c; NULL: compiled at
     * each call), made at the run's start and freed at its end. */
    struct fedc__chain_slot *chains;
    /* Inside a threaded map, the worker's spare result: a float32 tensor value that the fold
     * is done with, whose memory the worker's next fused result takes instead of a new
     * allocation (exec_parallel.c, exec_fuse.c). NULL elsewhere. */
    fedc_value **spare;
    /* Inside a threaded map folded by a sum or mean, for a client whose result is next in the
     * fold: the running sum that the chain at the mapped function's body may add its result
     * into as it computes it (exec_fuse.c); NULL elsewhere. */
    struct fedc__fold_into *fold_into;
} fedc__exec;

/* A running float32 sum `acc` (held by no one else) and the node whose fused result may be
 * added into it; `done` is set when it was, and the node's value is then a placeholder. */
typedef struct fedc__fold_into {
    const fedc_node *node;
    fedc_value *acc;
    bool done;
} fedc__fold_into;

/* The compiled chains of a run (NULL when out of memory: then chains compile at each call), and
 * their release (exec_fuse.c). */
struct fedc__chain_slot *fedc__exec_chains_new(void);
void fedc__exec_chains_free(struct fedc__chain_slot *chains);

/* A slot of the literal cache, an open-addressed table keyed by node: `node` is claimed by
 * compare-and-swap, then `value` published; a reader that finds the node without its value yet
 * evaluates the literal itself. */
enum { FEDC__LITERAL_SLOTS = 64 };
typedef struct fedc__literal_slot {
    const fedc_node *_Atomic node;
    fedc_value *_Atomic value;
} fedc__literal_slot;

/* With a pool: a call of add/sub/mul/div over float32 tensors with another such call among its
 * arguments (`add(mul(x, a), b)`), computed in one pass over tiles with no tensor per
 * intermediate, the same float operations in the same order as node by node, so the same bits
 * (exec_fuse.c). *done false (nothing evaluated, or what was is released): evaluate as usual. */
fedc_status fedc__exec_fused_elementwise(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                         bool *done, fedc_value **out);

/* One precomputed aggregation: `call` evaluates to `value`. */
typedef struct fedc__fused {
    const fedc_node *call;
    fedc_value *value;
    struct fedc__fused *next;
} fedc__fused;

fedc_status fedc__exec_eval(fedc__exec *ex, fedc__env *env, const fedc_node *n, fedc_value **out);
/* n's value, borrowed, when it needs no evaluation: a name bound in env (which holds it), or a
 * definition or literal that the run's caches hold already; NULL otherwise (evaluate n). No
 * reference is taken: the value lives as long as env and the run do, and the threaded
 * executor's workers do not contend for the count of a constant that all of them read. */
fedc_value *fedc__exec_peek(fedc__exec *ex, fedc__env *env, const fedc_node *n);
/* Calls a function value on arg (arg may be NULL). */
fedc_status fedc__exec_apply(fedc__exec *ex, fedc_value *fn, fedc_value *arg, fedc_value **out);
/* sequence_map(fn, seq) as a lazy sequence that maps elements as they are read. */
fedc_status fedc__exec_sequence_map(fedc__exec *ex, fedc_value *fn, fedc_value *seq,
                                    fedc_value **out);
/* v with every mapped sequence in it read into memory (a new reference; v itself when none). */
fedc_status fedc__value_materialize(fedc_ctx *ctx, fedc_value *v, fedc_value **out);
fedc_status fedc__exec_intrinsic(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                                 fedc_value *arg, fedc_value **out);
/* Prefixes ctx's message with `INTRINSIC: client I (ID)` (the id when opts.client_ids has one)
 * and returns st. */
fedc_status fedc__exec_client_error(fedc__exec *ex, fedc_intrinsic in, size_t i, fedc_status st);

/* Receives the result of client i (a reference it takes) in client-index order. */
typedef fedc_status (*fedc__client_sink)(fedc__exec *ex, void *user, size_t i, fedc_value *r);

/* Applies fn to member i of the per-client value v (v NULL: calls fn with no argument, as
 * federated_eval) for i in [0, n), on ex->opts.pool in chunks of consecutive clients (at most
 * ex->opts.window results wait for an earlier client; many light clients run on the calling
 * thread), handing the results to sink in index order, one worker at a time. A client that
 * fails stops the run: the lowest failing index is reported, prefixed by
 * fedc__exec_client_error. */
fedc_status fedc__exec_map_clients(fedc__exec *ex, fedc_intrinsic in, fedc_value *fn, fedc_value *v,
                                   size_t n, fedc__client_sink sink, void *user);

/* One client's work on a worker thread: *out from the client's member x (NULL for
 * federated_eval), with ex the worker's executor (its own ctx). */
typedef fedc_status (*fedc__client_work)(fedc__exec *ex, void *user, fedc_value *x,
                                         fedc_value **out);

/* fedc__exec_map_clients with any per-client work in place of applying one function (the
 * streaming paths compute several values per client in one pass). */
fedc_status fedc__exec_work_clients(fedc__exec *ex, fedc_intrinsic in, fedc__client_work work,
                                    void *work_user, fedc_value *v, size_t n,
                                    fedc__client_sink sink, void *user);

/* With a pool: federated_sum / mean / min / max applied to a federated_map call node `n`, or
 * federated_aggregate(<federated_map(...), zero, accumulate, merge, report>), folded as the map
 * streams. Sets *done false (and does nothing) when the call has another
 * shape, so the caller evaluates it as usual. */
/* The sink that keeps every result: user is an array of n value pointers. */
fedc_status fedc__store_result(fedc__exec *ex, void *user, size_t i, fedc_value *r);

fedc_status fedc__exec_fused_aggregate(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                       bool *done, fedc_value **out);

/* The threaded executor's streaming of shapes beyond one aggregation of one map (exec_stream.c):
 * federated_weighted_mean(<federated_map(<f, X>), federated_map(<g, X>)>) over one X (X itself
 * a federated_map streams through too), as a call `n` (*done false when n has another shape);
 * and a let binding `names[i]` of block `b` bound to a federated_map whose every use is an
 * aggregation of it or of a map over it: the map streams once into all those aggregations,
 * whose results go on ex->fused (the caller binds the name to a placeholder, as nothing reads
 * it, and pops ex->fused back to what it was after the block). *done false: evaluate as usual. */
fedc_status fedc__exec_stream_weighted_mean(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                            bool *done, fedc_value **out);
fedc_status fedc__exec_stream_binding(fedc__exec *ex, fedc__env *env, const fedc_node *b, size_t i,
                                      bool *done);

fedc_status fedc__exec_builtin(fedc__exec *ex, const fedc_node *call, const char *name,
                               fedc_value *arg, fedc_value **out);

#endif /* FEDC_CORE_INT_H */
