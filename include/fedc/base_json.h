/* fedc/base_json.h — the one JSON reader and writer of fedc (part of the base layer): a strict
 * RFC 8259 parser into a small read-only tree whose memory has one owner, and a writer that
 * emits valid JSON text into a growable buffer. Used for LEAF files, Keras configs,
 * safetensors headers and anything else fedc reads or writes as JSON.
 *
 * Includes only fedc/base.h; must not grow streaming, comments, trailing commas or any other
 * non-standard leniency: every file fedc accepts is one any other JSON parser accepts.
 */
#ifndef FEDC_BASE_JSON_H
#define FEDC_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fedc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Reading
 *
 * fedc_json_parse turns text into a fedc_json_doc: a tree of fedc_json values allocated from
 * one arena that the document owns, so fedc_json_doc_destroy frees everything at once. Values
 * are read through the accessors below; every accessor accepts NULL (a lookup that found
 * nothing) and then answers "absent" (type FEDC_JSON_NONE, count 0, NULL), so chains such as
 * fedc_json_get(fedc_json_get(root, "a"), "b") need no checks in between.
 *
 * What is accepted (RFC 8259, nothing more): one value with optional whitespace (space, tab,
 * CR, LF) around it; no byte order mark, comments, trailing commas, single quotes, NaN or
 * Infinity. Strings must be valid UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF) without raw control characters; \u escapes are decoded to UTF-8 and a high
 * surrogate must be followed by a low one. A number whose magnitude overflows a double is an
 * error (JSON cannot write it back). Nesting deeper than opts.max_depth is an error, so hostile
 * input cannot exhaust the stack.
 *
 * Duplicate keys: by default an object with the same key twice is a PARSE error at the second
 * key (a file with duplicates means different things to different readers). With
 * FEDC_JSON_DUP_FIRST both members are kept, in order, and lookups return the first.
 *
 * Errors are PARSE with a message "NAME: byte offset B (line L, column C): WHAT, found X", where
 * B counts bytes from the start of the text plus opts.base_offset, L and C count lines and bytes
 * within the text (both from 1), WHAT says what was expected ("expected ',' or ']'") and X is
 * the byte found ("'x'", "byte 0xff", "end of input"); or OUT_OF_MEMORY.
 *
 * Thread safety: a document is immutable after parsing; any number of threads may read it.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_json_type {
    FEDC_JSON_NONE = 0, /* the "type" of a NULL value pointer: nothing was found */
    FEDC_JSON_NULL,
    FEDC_JSON_BOOL,
    FEDC_JSON_NUMBER,
    FEDC_JSON_STRING,
    FEDC_JSON_ARRAY,
    FEDC_JSON_OBJECT
} fedc_json_type;

typedef enum fedc_json_dup {
    FEDC_JSON_DUP_REJECT = 0, /* a repeated key in one object is a PARSE error (the default) */
    FEDC_JSON_DUP_FIRST = 1   /* keep every member; lookups find the first */
} fedc_json_dup;

#define FEDC_JSON_DEFAULT_MAX_DEPTH 64
#define FEDC_JSON_MAX_DEPTH_LIMIT 4096

typedef struct fedc_json_opts {
    const char *name;   /* names the text in messages (a path); NULL means "json" */
    size_t base_offset; /* added to every byte offset (a header inside a larger file) */
    int max_depth;      /* nesting allowed: 1..FEDC_JSON_MAX_DEPTH_LIMIT; 0 means 64 */
    fedc_json_dup dup_keys;
} fedc_json_opts;

typedef struct fedc_json_doc fedc_json_doc;
typedef struct fedc_json fedc_json;

/* The defaults: name "json", base_offset 0, max_depth 64, duplicate keys rejected. */
fedc_json_opts fedc_json_opts_default(void);

/* Parses `size` bytes of JSON text (not necessarily NUL-terminated; the text is not kept) into
 * a new document in *out (NULL on failure). opts may be NULL (the defaults). Errors: PARSE as
 * described above; INVALID_ARGUMENT for a max_depth outside its range; OUT_OF_MEMORY. The
 * caller owns the document (fedc_json_doc_destroy). All allocation goes through fedc_malloc. */
fedc_status fedc_json_parse(fedc_ctx *ctx, const void *text, size_t size,
                            const fedc_json_opts *opts, fedc_json_doc **out);

/* Frees the document and every value, string and key in it (one call). NULL is a no-op. */
void fedc_json_doc_destroy(fedc_json_doc *doc);

/* The top-level value (never NULL for a parsed document), valid until the document is freed. */
const fedc_json *fedc_json_doc_root(const fedc_json_doc *doc);

/* The value's type; FEDC_JSON_NONE for NULL. */
fedc_json_type fedc_json_type_of(const fedc_json *v);

/* Byte offset of the value's first character (plus opts.base_offset), for messages; 0 for
 * NULL. */
size_t fedc_json_offset(const fedc_json *v);

/* true for the literal true; false for false and anything else. */
bool fedc_json_bool(const fedc_json *v);

/* A number's value as the nearest double (strtod's rounding); 0.0 for a non-number. */
double fedc_json_number(const fedc_json *v);

/* true and *out = the exact value when v is a number with an integral value that fits int64:
 * an integer literal is converted from its digits (so 9007199254740993 stays exact), any other
 * literal ("2.0", "1e3") from its double. false (and *out untouched) otherwise. */
bool fedc_json_int64(const fedc_json *v, int64_t *out);

/* A string's decoded UTF-8 bytes, NUL-terminated (it may contain NULs from \u0000: use *len),
 * owned by the document; NULL for a non-string. len may be NULL. */
const char *fedc_json_string(const fedc_json *v, size_t *len);

/* The number of elements of an array or members of an object; 0 for anything else. */
size_t fedc_json_count(const fedc_json *v);

/* Element i of an array, or the value of member i of an object (in text order); NULL when out
 * of range or not a container. O(1). */
const fedc_json *fedc_json_at(const fedc_json *v, size_t i);

/* The key of member i of an object (decoded, NUL-terminated, owned by the document; *len gets
 * its length when len is non-NULL); NULL when out of range or not an object. */
const char *fedc_json_key_at(const fedc_json *obj, size_t i, size_t *len);

/* The member of obj named `key` (a NUL-terminated string; keys that contain NULs match only
 * through fedc_json_getn), the first one under FEDC_JSON_DUP_FIRST; NULL when absent or when
 * obj is not an object. Large objects are hashed, so lookups are O(1) on average. */
const fedc_json *fedc_json_get(const fedc_json *obj, const char *key);
const fedc_json *fedc_json_getn(const fedc_json *obj, const char *key, size_t len);

/* ---------------------------------------------------------------------------------------------
 * Writing
 *
 * A fedc_json_writer builds JSON text in a growable buffer (fedc_realloc). Calls append one
 * token each and put the commas, colons and (in the pretty style) newlines in by themselves.
 * They never fail on the spot: the first problem (out of memory, a non-finite number, a value
 * in an object without a key, unbalanced ends, nesting deeper than FEDC_JSON_WRITER_MAX_DEPTH)
 * is remembered, later calls do nothing, and fedc_json_writer_finish reports it. So a writer
 * can emit a whole document and check once. Strings are written as given (bytes >= 0x80 are
 * copied, so valid UTF-8 in gives valid UTF-8 out); '"', '\\' and control characters are
 * escaped. Numbers: integers exactly; doubles with the fewest digits that read back to the same
 * double, and a ".0" when that looks like an integer (as Python's json.dumps does).
 *
 * The struct is public so that it can live on the stack; its fields are private.
 * Thread safety: a writer is a plain value; use one per thread.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_json_style {
    FEDC_JSON_STYLE_COMPACT = 0, /* {"a":[1,2]} */
    FEDC_JSON_STYLE_SPACED = 1,  /* {"a": [1, 2]}  (Python's json.dumps default, Keras's files) */
    FEDC_JSON_STYLE_PRETTY = 2   /* one member or element per line, indented by two spaces */
} fedc_json_style;

#define FEDC_JSON_WRITER_MAX_DEPTH 64

typedef struct fedc_json_writer {
    char *data;
    size_t len, cap;
    fedc_json_style style;
    fedc_status error;     /* the first problem, or OK */
    const char *error_why; /* static text describing it */
    int depth;
    bool after_key;
    char open[FEDC_JSON_WRITER_MAX_DEPTH];      /* '{' or '[' per level */
    bool has_items[FEDC_JSON_WRITER_MAX_DEPTH]; /* a level already holds an element */
    bool done;                                  /* the top-level value is complete */
} fedc_json_writer;

/* Starts an empty writer (allocates nothing yet). */
void fedc_json_writer_init(fedc_json_writer *w, fedc_json_style style);

/* Frees the buffer of a writer that will not be finished (error paths). Idempotent. */
void fedc_json_writer_free(fedc_json_writer *w);

void fedc_json_write_begin_object(fedc_json_writer *w);
void fedc_json_write_end_object(fedc_json_writer *w);
void fedc_json_write_begin_array(fedc_json_writer *w);
void fedc_json_write_end_array(fedc_json_writer *w);

/* The key of the next member (only inside an object, before each value); keyn takes a length,
 * so keys with NULs can be written. */
void fedc_json_write_key(fedc_json_writer *w, const char *key);
void fedc_json_write_keyn(fedc_json_writer *w, const char *key, size_t len);

void fedc_json_write_string(fedc_json_writer *w, const char *s);
void fedc_json_write_stringn(fedc_json_writer *w, const char *s, size_t len);
void fedc_json_write_int(fedc_json_writer *w, int64_t v);
void fedc_json_write_uint(fedc_json_writer *w, uint64_t v);
void fedc_json_write_double(fedc_json_writer *w, double v); /* non-finite: INVALID_ARGUMENT */
void fedc_json_write_bool(fedc_json_writer *w, bool v);
void fedc_json_write_null(fedc_json_writer *w);

/* Writes a parsed value (and everything inside it, object members in their order) as the next
 * value. Numbers that are integral and fit int64 are written as integers (exactly, so
 * 9007199254740993 survives), others as doubles; strings byte for byte. Writing a document's
 * root and parsing the text again gives an equal tree. v must not be NULL. */
void fedc_json_write_value(fedc_json_writer *w, const fedc_json *v);

/* Ends writing: on success *out gets the NUL-terminated text (fedc_malloc'd, the caller frees it
 * with fedc_free) and *len its length (len may be NULL), and the writer is left empty. Errors
 * (the buffer is freed, *out = NULL): OUT_OF_MEMORY; INVALID_ARGUMENT for a non-finite number,
 * misplaced keys or values, unbalanced or too deep nesting, or no complete value. Messages
 * start with `what`. */
fedc_status fedc_json_writer_finish(fedc_ctx *ctx, fedc_json_writer *w, const char *what,
                                    char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_BASE_JSON_H */
