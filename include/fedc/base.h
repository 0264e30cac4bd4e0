/* fedc/base.h — the base layer's public API: status codes, error contexts, the allocator
 * hook, arenas, keyed random streams, the thread pool and logging.
 *
 * Everything above builds on these services; this header includes nothing of fedc's own.
 */
#ifndef FEDC_BASE_H
#define FEDC_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define FEDC_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define FEDC_PRINTF(fmt_index, first_arg)
#endif

/* ---------------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------------- */

#define FEDC_VERSION_MAJOR 0
#define FEDC_VERSION_MINOR 1
#define FEDC_VERSION_PATCH 0
#define FEDC_VERSION_STRING "0.1.0"

/* The library's version string ("0.1.0"), static storage. Thread-safe. */
const char *fedc_version(void);

/* ---------------------------------------------------------------------------------------------
 * Status codes
 *
 * One table gives every status its name, value and message. 0 is success; every error is
 * negative, so `if (st < 0)` and `if (st != FEDC_STATUS_OK)` are equivalent.
 * ------------------------------------------------------------------------------------------- */

#define FEDC_STATUS_TABLE(X)                                                                       \
    X(OK, 0, "ok")                                                                                 \
    X(INVALID_ARGUMENT, -1, "invalid argument")                                                    \
    X(OUT_OF_MEMORY, -2, "out of memory")                                                          \
    X(IO, -3, "input/output error")                                                                \
    X(PARSE, -4, "parse error")                                                                    \
    X(TYPE, -5, "type error")                                                                      \
    X(SHAPE, -6, "shape mismatch")                                                                 \
    X(NOT_FOUND, -7, "not found")                                                                  \
    X(UNSUPPORTED, -8, "unsupported")                                                              \
    X(CORRUPT, -9, "corrupt data")                                                                 \
    X(OUT_OF_RANGE, -10, "out of range")                                                           \
    X(EXISTS, -11, "already exists")                                                               \
    X(NON_FINITE, -12, "non-finite value")                                                         \
    X(UNAVAILABLE, -13, "peer unavailable")                                                        \
    X(CANCELLED, -14, "cancelled")                                                                 \
    X(INTERNAL, -15, "internal error")

typedef enum fedc_status {
#define FEDC_STATUS_ENUM_(name, value, message) FEDC_STATUS_##name = value,
    FEDC_STATUS_TABLE(FEDC_STATUS_ENUM_)
#undef FEDC_STATUS_ENUM_
} fedc_status;

/* The status's name without prefix ("OUT_OF_MEMORY"), or "UNKNOWN_STATUS" for a value not in the
 * table. Static storage; thread-safe. */
const char *fedc_status_name(fedc_status status);

/* A short human description ("out of memory"), or "unknown status". Static storage;
 * thread-safe. */
const char *fedc_status_message(fedc_status status);

/* ---------------------------------------------------------------------------------------------
 * Error contexts
 *
 * A fedc_ctx carries the last error of the operations that were handed it: its status and a
 * precise message (file, line or offset, what was expected, what was found). Functions that can
 * fail take a ctx as their first argument; ctx may be NULL, in which case the status is still
 * returned but no message is kept.
 *
 * Thread safety: a ctx is not synchronized; use one per thread (or per task).
 * ------------------------------------------------------------------------------------------- */

#define FEDC_CTX_MESSAGE_MAX 1024

typedef struct fedc_ctx fedc_ctx;

/* Creates an empty context (status OK, empty message) into *out. Errors: OUT_OF_MEMORY
 * (*out is set to NULL). The caller owns the context and frees it with fedc_ctx_destroy. */
fedc_status fedc_ctx_create(fedc_ctx **out);

/* Frees a context. NULL is a no-op. */
void fedc_ctx_destroy(fedc_ctx *ctx);

/* Records `status` with a printf-style message in ctx (replacing what was there) and returns
 * `status`, so that `return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s", path, why);` both
 * reports and propagates. Messages longer than FEDC_CTX_MESSAGE_MAX - 1 bytes are truncated.
 * ctx may be NULL (nothing is recorded). Never allocates. */
fedc_status fedc_ctx_errorf(fedc_ctx *ctx, fedc_status status, const char *fmt, ...)
    FEDC_PRINTF(3, 4);

/* As fedc_ctx_errorf, with a va_list. */
fedc_status fedc_ctx_verrorf(fedc_ctx *ctx, fedc_status status, const char *fmt, va_list ap);

/* Puts "prefix: " in front of the recorded message, keeping the status, and returns it. Used by
 * a caller to add where an error happened ("client 17 (f0042_13)"). ctx may be NULL. */
fedc_status fedc_ctx_prefixf(fedc_ctx *ctx, const char *fmt, ...) FEDC_PRINTF(2, 3);

/* The last recorded status (OK when none). A NULL ctx reports OK. */
fedc_status fedc_ctx_status(const fedc_ctx *ctx);

/* The last recorded message ("" when none). Owned by ctx, valid until the next error recorded in
 * it or its destruction. A NULL ctx gives "". */
const char *fedc_ctx_message(const fedc_ctx *ctx);

/* Forgets the recorded error (status OK, empty message). NULL is a no-op. */
void fedc_ctx_clear(fedc_ctx *ctx);

/* ---------------------------------------------------------------------------------------------
 * Allocator hook
 *
 * Every allocation the library makes goes through these functions, so a program can route memory
 * to its own allocator and tests can fail the k-th allocation on purpose. Set the hooks before
 * any other fedc call and restore them after: changing them while other threads run fedc code is
 * undefined. The hooks themselves must be thread-safe if the library is used from many threads.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_allocator {
    void *(*malloc_fn)(void *user, size_t size);             /* NULL on failure */
    void *(*realloc_fn)(void *user, void *ptr, size_t size); /* NULL on failure, ptr kept */
    void (*free_fn)(void *user, void *ptr);                  /* ptr may be NULL */
    void *user;
} fedc_allocator;

/* Installs `allocator` (copied), or the C library's malloc/realloc/free when NULL. */
void fedc_allocator_set(const fedc_allocator *allocator);

/* The allocator in use (a copy). */
fedc_allocator fedc_allocator_get(void);

/* Allocate through the installed hook. fedc_malloc(0) returns a unique non-NULL pointer or
 * NULL as the hook does; fedc_calloc checks n * size for overflow and zeroes; fedc_realloc keeps
 * the old block on failure. All return NULL on failure and never record into a ctx: the caller
 * reports OUT_OF_MEMORY with what it was allocating. */
void *fedc_malloc(size_t size);
void *fedc_calloc(size_t n, size_t size);
void *fedc_realloc(void *ptr, size_t size);
void fedc_free(void *ptr);

/* A copy of a NUL-terminated string in memory from fedc_malloc, or NULL on failure. */
char *fedc_strdup(const char *s);

/* ---------------------------------------------------------------------------------------------
 * Arenas
 *
 * Bump allocators for temporaries per round and per client task: allocation is a pointer bump,
 * memory is given back all at once by rewinding to a mark or resetting. Blocks are obtained from
 * fedc_malloc and kept for reuse after a reset, so a steady-state loop does not call malloc.
 * Thread safety: an arena is not synchronized; use one per thread.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_arena fedc_arena;

/* A position in an arena; everything allocated after it is released by fedc_arena_rewind. */
typedef struct fedc_arena_mark {
    void *block;
    size_t used;
} fedc_arena_mark;

/* Creates an arena whose blocks are at least `block_size` bytes (0 picks 64 KiB). Errors:
 * OUT_OF_MEMORY. The caller owns the arena (fedc_arena_destroy). */
fedc_status fedc_arena_create(fedc_ctx *ctx, size_t block_size, fedc_arena **out);

/* Frees the arena and all its blocks. NULL is a no-op. */
void fedc_arena_destroy(fedc_arena *arena);

/* `size` bytes aligned to `align` (a power of two up to 4096; 0 means 16), valid until the arena
 * is rewound past them, reset or destroyed. Returns NULL when a new block cannot be allocated or
 * the size overflows (the arena is unchanged). Zero-size requests return a valid unique
 * pointer. */
void *fedc_arena_alloc(fedc_arena *arena, size_t size, size_t align);

/* As fedc_arena_alloc, and the memory is zeroed. */
void *fedc_arena_calloc(fedc_arena *arena, size_t n, size_t size, size_t align);

/* The current position. */
fedc_arena_mark fedc_arena_mark_get(const fedc_arena *arena);

/* Releases everything allocated since `mark` (which must come from this arena and not be older
 * than a reset). Blocks stay allocated for reuse. */
void fedc_arena_rewind(fedc_arena *arena, fedc_arena_mark mark);

/* Releases everything; blocks stay allocated for reuse. */
void fedc_arena_reset(fedc_arena *arena);

/* Bytes handed out since the last reset (alignment padding included), and the largest that
 * figure has been since the arena was created. */
size_t fedc_arena_used(const fedc_arena *arena);
size_t fedc_arena_high_water(const fedc_arena *arena);

/* ---------------------------------------------------------------------------------------------
 * Keyed random streams
 *
 * A counter-based generator (Philox-4x32-10): a stream is named by a seed and up to
 * FEDC_RNG_MAX_KEYS 64-bit keys (round, client index, purpose, ...), and the n-th number of a
 * stream depends only on those and n. So the draws of client 17 in round 3 are the same whichever
 * thread or machine makes them. Integers and uniform floats are identical on every platform
 * (integer arithmetic and exact conversions); normal draws go through the C library's log, sin
 * and cos, so they are identical on every thread count of one platform and may differ in the
 * last bit between C libraries.
 * Thread safety: a fedc_rng is a plain value; copy or create one per thread.
 * ------------------------------------------------------------------------------------------- */

#define FEDC_RNG_MAX_KEYS 6

typedef struct fedc_rng {
    uint32_t key[2]; /* Philox key, from the seed and keys */
    uint32_t ctr[4]; /* ctr[0..1]: block counter; ctr[2..3]: stream id from the keys */
    uint32_t out[4]; /* the current block's output */
    int used;        /* words of out[] consumed (4 = refill on next draw) */
    int has_spare_normal;
    double spare_normal;
} fedc_rng;

/* Purposes for the last key, so that streams for different jobs never coincide. */
typedef enum fedc_rng_purpose {
    FEDC_RNG_PURPOSE_INIT = 1,      /* parameter initializers */
    FEDC_RNG_PURPOSE_SAMPLING = 2,  /* client sampling */
    FEDC_RNG_PURPOSE_SHUFFLE = 3,   /* data shuffling */
    FEDC_RNG_PURPOSE_DROPOUT = 4,   /* dropout masks */
    FEDC_RNG_PURPOSE_NOISE = 5,     /* differential-privacy noise */
    FEDC_RNG_PURPOSE_PARTITION = 6, /* partitioning data into clients */
    FEDC_RNG_PURPOSE_QUANTIZE = 7,  /* stochastic quantization */
    FEDC_RNG_PURPOSE_TEST = 100,    /* tests and benchmarks */
    FEDC_RNG_PURPOSE_USER = 1000    /* first value free for user code */
} fedc_rng_purpose;

/* Starts the stream named by (seed, keys[0..nkeys-1]) at its first number. nkeys must be at most
 * FEDC_RNG_MAX_KEYS (asserted). Different key lists, including lists that differ only in
 * length, name different streams. */
void fedc_rng_init(fedc_rng *rng, uint64_t seed, size_t nkeys, const uint64_t *keys);

/* Convenience: fedc_rng_init with the keys given inline (at least one), e.g.
 * fedc_rng r = FEDC_RNG(seed, round, client, FEDC_RNG_PURPOSE_DROPOUT);
 * For a stream with no keys use fedc_rng_init(&r, seed, 0, NULL). */
#define FEDC_RNG(seed, ...)                                                                        \
    fedc_rng_make((seed), sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t),                    \
                  (const uint64_t[]){__VA_ARGS__})
fedc_rng fedc_rng_make(uint64_t seed, size_t nkeys, const uint64_t *keys);

/* Moves the stream to its `index`-th 32-bit word (as if that many words had been drawn). */
void fedc_rng_seek(fedc_rng *rng, uint64_t index);

/* Uniform 32- and 64-bit integers. */
uint32_t fedc_rng_u32(fedc_rng *rng);
uint64_t fedc_rng_u64(fedc_rng *rng);

/* A uniform integer in [0, n) without modulo bias (n >= 1; n == 0 returns 0). */
uint64_t fedc_rng_below(fedc_rng *rng, uint64_t n);

/* Uniform in [0, 1): float with 24 random bits, double with 53. */
float fedc_rng_uniform(fedc_rng *rng);
double fedc_rng_uniform_double(fedc_rng *rng);

/* Bulk draws: out[0..n-1] = the next n values of fedc_rng_u32 / fedc_rng_uniform, and the
 * stream left where those n calls would leave it (the same words, bit for bit, computed several
 * blocks at a time: faster for long runs such as dropout masks). out is the caller's; n == 0
 * draws nothing. Never fails. */
void fedc_rng_fill_u32(fedc_rng *rng, uint32_t *out, size_t n);
void fedc_rng_fill_uniform(fedc_rng *rng, float *out, size_t n);

/* Standard normal (mean 0, variance 1), by the Box-Muller transform. */
double fedc_rng_normal(fedc_rng *rng);

/* true with probability p (p <= 0: never; p >= 1: always). */
bool fedc_rng_bernoulli(fedc_rng *rng, double p);

/* An index i in [0, n) drawn with probability weights[i] / sum(weights). Weights must be
 * non-negative with a positive finite sum; otherwise returns n. */
size_t fedc_rng_categorical(fedc_rng *rng, const double *weights, size_t n);

/* Shuffles `n` elements of `size` bytes in place (Fisher-Yates), uniformly over permutations. */
void fedc_rng_shuffle(fedc_rng *rng, void *base, size_t n, size_t size);

/* Fills perm[0..n-1] with a uniform random permutation of 0..n-1. */
void fedc_rng_permutation(fedc_rng *rng, int64_t *perm, size_t n);

/* ---------------------------------------------------------------------------------------------
 * Thread pool
 *
 * A fixed set of worker threads that run parallel loops. Which worker runs which index is not
 * deterministic, so callers write results by index and reduce them in index order afterwards.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_pool fedc_pool;

/* The body of a parallel loop: called once for each index in [0, n), on worker `worker` in
 * [0, fedc_pool_size(pool)). */
typedef void (*fedc_pool_fn)(void *arg, int64_t index, int worker);

/* Creates a pool that runs loops on `nthreads` threads (the calling thread counts as one, so 1
 * starts no thread; 0 picks the number of online processors). Errors: INVALID_ARGUMENT for a
 * negative count, OUT_OF_MEMORY, UNAVAILABLE when a thread cannot be started. */
fedc_status fedc_pool_create(fedc_ctx *ctx, int nthreads, fedc_pool **out);

/* Stops and joins the workers and frees the pool. No loop may be running. NULL is a no-op. */
void fedc_pool_destroy(fedc_pool *pool);

/* The number of threads loops run on (>= 1). A NULL pool has size 1. */
int fedc_pool_size(const fedc_pool *pool);

/* Calls fn(arg, i, worker) for every i in [0, n) and returns when all calls have returned. The
 * calling thread takes part. A NULL pool runs the loop inline on the calling thread, in order.
 * Calls from several threads into one pool are serialized. A call from inside a loop body runs
 * inline on that thread (no deadlock): into the same pool it keeps the body's worker id, into
 * another pool it runs as worker 0, so a body must not share per-worker scratch across pools.
 * n <= 0 does nothing. */
void fedc_pool_parallel_for(fedc_pool *pool, int64_t n, fedc_pool_fn fn, void *arg);

/* The number of online processors (>= 1). */
int fedc_cpu_count(void);

/* ---------------------------------------------------------------------------------------------
 * Logging
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_log_level {
    FEDC_LOG_LEVEL_DEBUG = 0,
    FEDC_LOG_LEVEL_INFO = 1,
    FEDC_LOG_LEVEL_WARN = 2,
    FEDC_LOG_LEVEL_ERROR = 3,
    FEDC_LOG_LEVEL_OFF = 4
} fedc_log_level;

/* Receives each message at or above the level (without a trailing newline). */
typedef void (*fedc_log_sink)(void *user, fedc_log_level level, const char *message);

/* Sets the lowest level that is emitted. The default is WARN, or the value of the environment
 * variable FEDC_LOG_LEVEL (debug, info, warn, error, off) read at the first log call. */
void fedc_log_set_level(fedc_log_level level);
fedc_log_level fedc_log_get_level(void);

/* Sends messages to `sink` (NULL: standard error, as "fedc: warn: message"). */
void fedc_log_set_sink(fedc_log_sink sink, void *user);

/* Emits a printf-style message at `level` if it is enabled. Thread-safe: each message reaches
 * the sink whole. Messages longer than 4095 bytes are truncated. */
void fedc_log(fedc_log_level level, const char *fmt, ...) FEDC_PRINTF(2, 3);

/* Parses "debug", "info", "warn", "error" or "off" (any case) into *out; false otherwise. */
bool fedc_log_level_parse(const char *text, fedc_log_level *out);

/* The level's lower-case name. */
const char *fedc_log_level_name(fedc_log_level level);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_BASE_H */
