/* fedc/learning_program.h — the building blocks of training programs (tff.learning.programs and
 * tff.simulation analogs) that do not depend on a learning algorithm: per-round metric records
 * and the writers that release them (CSV, JSON lines, TensorBoard event files), checkpoint
 * directories with atomic writes and fallback to the last valid file, a progress display, and
 * an HTML report of a run.
 *
 * Part of layer learning; uses only the base layer. Everything here is deterministic: the same
 * records give the same bytes (file names and wall times aside, which the caller can fix).
 *
 * Thread safety: every handle here (record, writer, progress, checkpoint directory) is used by
 * one thread at a time; distinct handles are independent. The free functions are thread-safe.
 */
#ifndef FEDC_LEARNING_PROGRAM_H
#define FEDC_LEARNING_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fedc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * CRC32C (Castagnoli), as TFRecord files and fedc checkpoints use it
 * ------------------------------------------------------------------------------------------- */

/* Extends `crc` (0 to start) over n bytes: the reflected CRC-32C with polynomial 0x1EDC6F41,
 * initial value and final xor 0xFFFFFFFF, so fedc_crc32c(0, "123456789", 9) == 0xE3069283 and
 * fedc_crc32c(fedc_crc32c(0, a, n), b, m) is the CRC of a followed by b. Thread-safe. */
uint32_t fedc_crc32c(uint32_t crc, const void *data, size_t n);

/* TFRecord's masked form of a CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8, and its inverse. */
uint32_t fedc_crc32c_mask(uint32_t crc);
uint32_t fedc_crc32c_unmask(uint32_t masked);

/* ---------------------------------------------------------------------------------------------
 * Metric records
 *
 * One round's metrics: a round number (>= 0), a wall time (seconds since the Unix epoch, as
 * TensorBoard wants it) and an ordered list of (name, value) pairs with names such as
 * "train/loss", "eval/sparse_categorical_accuracy" or "aggregator/clipped_count". Names are
 * non-empty UTF-8 without control characters and unique within a record; values are doubles
 * (NaN and infinities allowed: each writer says how it stores them).
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_metrics_record fedc_metrics_record;

/* Creates an empty record for `round` (>= 0) at `wall_time`. Errors: INVALID_ARGUMENT for a
 * negative round, OUT_OF_MEMORY. The caller owns *out (fedc_metrics_record_destroy). */
fedc_status fedc_metrics_record_create(fedc_ctx *ctx, int64_t round, double wall_time,
                                       fedc_metrics_record **out);

/* Frees the record and its names. NULL is a no-op. */
void fedc_metrics_record_destroy(fedc_metrics_record *r);

/* Empties the record for reuse (its memory is kept) with a new round (>= 0, asserted) and
 * wall time. */
void fedc_metrics_record_reset(fedc_metrics_record *r, int64_t round, double wall_time);

/* Appends (name, value); the name is copied. Errors: INVALID_ARGUMENT for an empty name, a name
 * with a control character or one already in the record (the message names it);
 * OUT_OF_MEMORY. The record is unchanged on error. */
fedc_status fedc_metrics_record_add(fedc_ctx *ctx, fedc_metrics_record *r, const char *name,
                                    double value);

/* The round, the wall time, the number of pairs, and pair i (i < count, asserted): the name is
 * owned by the record and valid until it is reset or destroyed. */
int64_t fedc_metrics_record_round(const fedc_metrics_record *r);
double fedc_metrics_record_wall_time(const fedc_metrics_record *r);
size_t fedc_metrics_record_count(const fedc_metrics_record *r);
const char *fedc_metrics_record_name(const fedc_metrics_record *r, size_t i);
double fedc_metrics_record_value(const fedc_metrics_record *r, size_t i);

/* true and *out = the value named `name`; false (and *out untouched) when absent. */
bool fedc_metrics_record_get(const fedc_metrics_record *r, const char *name, double *out);

/* ---------------------------------------------------------------------------------------------
 * Metric writers (tff.program.ReleaseManager analogs)
 *
 * A writer releases records, one per round, in increasing round order (writing round r after a
 * round >= r is INVALID_ARGUMENT: a resumed program never duplicates a round). Each record is
 * flushed to the operating system before write returns, so a killed program loses at most the
 * round in progress; a half-written last line or record is dropped when the file is resumed.
 *
 * Resuming: every file writer takes `keep_through_round`. FEDC_METRICS_FRESH (-1) starts an
 * empty output (an existing file is truncated). A value r >= 0 resumes: an existing file is
 * kept up to and including round r, anything after it (rounds the program is about to compute
 * again, a torn last record) is cut off, and new records are appended; a missing file is
 * created. A record of the kept part that cannot be read is CORRUPT (file and byte offset).
 *
 * Custom writers implement fedc_metrics_writer_ops. A group (fedc_metrics_writer_group) is
 * itself a writer that releases to several at once.
 * ------------------------------------------------------------------------------------------- */

#define FEDC_METRICS_FRESH (-1)

typedef struct fedc_metrics_writer fedc_metrics_writer;

/* A writer implementation. `self` is the implementation's state. */
typedef struct fedc_metrics_writer_ops {
    const char *kind; /* "csv", "jsonl", ...: prefixes error messages */
    /* Releases one record (its round is already checked to increase). Required. */
    fedc_status (*write)(fedc_ctx *ctx, void *self, const fedc_metrics_record *record);
    /* Frees self (also closes files). Required. */
    void (*destroy)(void *self);
} fedc_metrics_writer_ops;

/* Wraps an implementation: `self` is owned from now on (ops->destroy runs when the writer is
 * destroyed, and here on error). `last_round` is the last round already released (-1: none);
 * later writes must have larger rounds. Errors: INVALID_ARGUMENT for missing functions,
 * OUT_OF_MEMORY. The caller owns *out (NULL on error). */
fedc_status fedc_metrics_writer_create(fedc_ctx *ctx, const fedc_metrics_writer_ops *ops,
                                       void *self, int64_t last_round, fedc_metrics_writer **out);

/* Releases one record. Errors: INVALID_ARGUMENT when the round does not increase; the
 * implementation's (IO naming the path), prefixed with the writer's kind. */
fedc_status fedc_metrics_writer_write(fedc_ctx *ctx, fedc_metrics_writer *w,
                                      const fedc_metrics_record *record);

/* The last round released or kept from a resumed file (-1 when none). */
int64_t fedc_metrics_writer_last_round(const fedc_metrics_writer *w);

/* Closes and frees the writer. NULL is a no-op. */
void fedc_metrics_writer_destroy(fedc_metrics_writer *w);

/* A writer that releases each record to every writer of `writers[0..n-1]`, in that order; it
 * owns them from now on (also on error). A write goes to all of them even when one fails, and
 * reports the first failure. Errors: OUT_OF_MEMORY. */
fedc_status fedc_metrics_writer_group(fedc_ctx *ctx, fedc_metrics_writer *const *writers, size_t n,
                                      fedc_metrics_writer **out);

/* CSV (RFC 4180) at `path`: a header "round,wall_time,NAME..." and one row per record; values
 * as C's "%.17g" (exact when read back; "nan", "inf", "-inf" for non-finite values), a name not
 * in a record leaves its cell empty. Columns are the union of the names seen, in the order
 * first seen: when a record brings a new name, the file is rewritten (to a temporary file in the
 * same directory, then renamed) with the column appended and empty cells in earlier rows, so
 * metrics that start late (evaluation every k rounds) get their column. Names containing ',',
 * '"' or a newline are quoted. Errors: IO naming the path; CORRUPT for a resumed file whose
 * header or kept rows cannot be read. */
fedc_status fedc_metrics_csv_writer_create(fedc_ctx *ctx, const char *path,
                                           int64_t keep_through_round, fedc_metrics_writer **out);

/* JSON lines at `path`: one object per record, compact, in name order of the record:
 * {"round":3,"wall_time":1700000000.25,"metrics":{"train/loss":0.5,...}}; a non-finite value is
 * written as null (JSON has no NaN). Errors: IO naming the path; CORRUPT for a kept line that is
 * not such an object. */
fedc_status fedc_metrics_jsonl_writer_create(fedc_ctx *ctx, const char *path,
                                             int64_t keep_through_round, fedc_metrics_writer **out);

/* Calls fn for each record of a JSON lines file written by the writer above, in file order. A
 * null value is passed as NaN. The record passed is valid during the call only. A last line
 * without its newline (a torn write) is ignored. fn's failure stops the reading and is
 * returned. Errors: IO naming the path; CORRUPT with the line and byte offset of a line that is
 * not a record. */
typedef fedc_status (*fedc_metrics_record_fn)(fedc_ctx *ctx, void *user,
                                              const fedc_metrics_record *record);
fedc_status fedc_metrics_jsonl_read(fedc_ctx *ctx, const char *path, fedc_metrics_record_fn fn,
                                    void *user);

/* TensorBoard event files. */
typedef struct fedc_tfevents_opts {
    /* The seconds in the file name events.out.tfevents.<secs>.<hostname>; 0: now. */
    int64_t file_time;
    /* The host name in the file name; NULL: gethostname(). */
    const char *hostname;
} fedc_tfevents_opts;

/* file_time 0 (now), hostname NULL (this machine's). */
fedc_tfevents_opts fedc_tfevents_opts_default(void);

/* An event file in directory `dir` (created when missing; its parent must exist) in the
 * TFRecord framing TensorBoard reads: each record is a little-endian uint64 length, the masked
 * CRC32C of those 8 bytes, the data, and the masked CRC32C of the data. The first record is an
 * Event {wall_time, file_version "brain.Event:2"}; each round is one Event {wall_time,
 * step = round, summary {value {tag = name, simple_value = (float)value}...}}.
 * Fresh (keep_through_round -1): older events.out.tfevents.* files in dir are removed (the
 * directory belongs to this run) and a new file is started. Resuming: every events file in dir
 * is cut after its last event with step <= keep_through_round (and after a torn last record),
 * and events are appended to the newest one (by the seconds in its name); a new file is started
 * when there is none. opts may be NULL (the defaults). Errors: IO naming the path; CORRUPT for
 * a kept record that fails its CRC or does not decode. *path_out, when not NULL, receives the
 * file's path (fedc_malloc'd; the caller frees it). */
fedc_status fedc_metrics_tfevents_writer_create(fedc_ctx *ctx, const char *dir,
                                                int64_t keep_through_round,
                                                const fedc_tfevents_opts *opts,
                                                fedc_metrics_writer **out, char **path_out);

/* Reads an event file: calls fn for each event, in order, with the event as a record (round =
 * step, the simple values as doubles; the version event gives an empty record) and
 * `file_version` (the string of an Event's field 3, NUL-terminated, NULL for other events),
 * both valid during the call only. Fields and summary values it does not know are skipped, as
 * protobuf readers do. fn's failure stops the reading and is returned. Errors: IO naming the
 * path; CORRUPT naming the path and the byte offset of a record whose length or CRC is wrong,
 * that is cut short, or whose protobuf does not decode. */
typedef fedc_status (*fedc_tfevents_fn)(fedc_ctx *ctx, void *user, const char *file_version,
                                        const fedc_metrics_record *event);
fedc_status fedc_tfevents_read(fedc_ctx *ctx, const char *path, fedc_tfevents_fn fn, void *user);

/* ---------------------------------------------------------------------------------------------
 * Checkpoints
 *
 * A checkpoint directory holds files ckpt-<round>.fcc (round in decimal), each a set of named
 * byte blobs (a program stores its serialized process state, its sampler position, ...). A file
 * is written to a temporary name in the same directory (".ckpt-<round>.fcc.tmp"), synced,
 * renamed over the final name and the directory synced, so a crash leaves either the old set
 * of files or the new one, never a torn checkpoint under a final name.
 *
 * File format, little-endian: magic "FEDCCKPT" (8 bytes), uint32 version (1), uint32 number of
 * blobs, int64 round; per blob: uint32 name length, the name, uint64 data length, the data; then
 * uint32 CRC32C of every byte before it. The file must end right there.
 * ------------------------------------------------------------------------------------------- */

#define FEDC_CHECKPOINT_VERSION 1

/* One named blob to save. */
typedef struct fedc_checkpoint_blob {
    const char *name; /* non-empty, unique within a checkpoint */
    const void *data;
    size_t size;
} fedc_checkpoint_blob;

/* Test seams and policy of a checkpoint directory. */
typedef struct fedc_checkpoint_opts {
    /* How many checkpoints to keep: after a save, all but the `keep_last` highest rounds are
     * deleted. 0 keeps all. Default 3. */
    int keep_last;
    /* Replaces write(2) for the checkpoint's bytes (NULL: write(2)); returns as write does, with
     * errno set on failure. Lets tests fail a write as a full disk does. */
    ssize_t (*write_fn)(void *user, int fd, const void *buf, size_t n);
    /* Called when the temporary file is complete and synced, just before the rename (NULL:
     * nothing). Lets tests stop a process at that point. */
    void (*before_rename)(void *user, const char *tmp_path, const char *final_path);
    void *user;
} fedc_checkpoint_opts;

/* keep_last 3, no hooks. */
fedc_checkpoint_opts fedc_checkpoint_opts_default(void);

typedef struct fedc_checkpoint_dir fedc_checkpoint_dir;
typedef struct fedc_checkpoint fedc_checkpoint;

/* Opens checkpoint directory `dir`, creating it when missing (its parent must exist), and
 * removes temporary files left by an interrupted save. opts may be NULL (the defaults; copied).
 * Errors: INVALID_ARGUMENT for a negative keep_last; IO naming the path and the reason;
 * OUT_OF_MEMORY. The caller owns *out. */
fedc_status fedc_checkpoint_dir_open(fedc_ctx *ctx, const char *dir,
                                     const fedc_checkpoint_opts *opts, fedc_checkpoint_dir **out);

/* Frees the handle (the files stay). NULL is a no-op. */
void fedc_checkpoint_dir_close(fedc_checkpoint_dir *d);

/* Atomically writes ckpt-<round>.fcc (round >= 0) with blobs[0..n-1] (replacing a checkpoint of
 * the same round), then deletes the checkpoints beyond keep_last. On failure the temporary file
 * is removed and the existing checkpoints are as before. Errors: INVALID_ARGUMENT for a negative
 * round, an empty or repeated blob name (named); IO naming the path and the reason (e.g. "No
 * space left on device"); OUT_OF_MEMORY. */
fedc_status fedc_checkpoint_save(fedc_ctx *ctx, fedc_checkpoint_dir *d, int64_t round,
                                 const fedc_checkpoint_blob *blobs, size_t n);

/* The rounds of the checkpoint files present (valid or not), ascending, into a fedc_malloc'd
 * array *rounds (the caller frees it; NULL when *n is 0). Errors: IO, OUT_OF_MEMORY. */
fedc_status fedc_checkpoint_list(fedc_ctx *ctx, fedc_checkpoint_dir *d, int64_t **rounds,
                                 size_t *n);

/* Loads the valid checkpoint with the highest round. A file that does not load (truncated,
 * corrupt, unknown version) is skipped with a warning through fedc_log naming it and why,
 * never trusted. Errors: NOT_FOUND when no valid checkpoint exists (the message says how many
 * were skipped); IO; OUT_OF_MEMORY. The caller owns *out. */
fedc_status fedc_checkpoint_load_latest(fedc_ctx *ctx, fedc_checkpoint_dir *d,
                                        fedc_checkpoint **out);

/* Loads one checkpoint file. Errors: IO naming the path and the reason; CORRUPT naming the
 * path and the byte offset (bad magic, lengths past the end, CRC mismatch, trailing bytes, a
 * round that is not the one in the file name); UNSUPPORTED for another format version;
 * OUT_OF_MEMORY. The caller owns *out. */
fedc_status fedc_checkpoint_load(fedc_ctx *ctx, const char *path, fedc_checkpoint **out);

/* Frees a loaded checkpoint. NULL is a no-op. */
void fedc_checkpoint_destroy(fedc_checkpoint *c);

/* The round, the number of blobs, blob i's name and bytes (NULL, and *size 0, when i >= count),
 * and the blob named `name` (NULL when absent). Everything is owned by the checkpoint; size may
 * be NULL. */
int64_t fedc_checkpoint_round(const fedc_checkpoint *c);
size_t fedc_checkpoint_count(const fedc_checkpoint *c);
const char *fedc_checkpoint_name(const fedc_checkpoint *c, size_t i);
const void *fedc_checkpoint_data(const fedc_checkpoint *c, size_t i, size_t *size);
const void *fedc_checkpoint_find(const fedc_checkpoint *c, const char *name, size_t *size);

/* ---------------------------------------------------------------------------------------------
 * Progress display
 *
 * On a terminal: one line rewritten in place ("\r...\x1b[K") with a bar, round r/R, loss,
 * accuracy, rounds per second and the time left. Elsewhere (a file, a pipe, CI logs): plain
 * lines, one every `every` rounds and one for the last round.
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_progress_mode {
    FEDC_PROGRESS_AUTO = 0,  /* a terminal when isatty(fileno(out)) */
    FEDC_PROGRESS_PLAIN = 1, /* plain lines */
    FEDC_PROGRESS_TTY = 2    /* one updating line */
} fedc_progress_mode;

/* What one line shows. NaN loss or accuracy shows "-"; rate <= 0 shows "-" for the rate and the
 * time left. */
typedef struct fedc_progress_state {
    int64_t round, total_rounds; /* round r of R (R <= 0: unknown, no bar and no time left) */
    double loss, accuracy;
    double rounds_per_second;
} fedc_progress_state;

/* Writes the line for `st` into buf (NUL-terminated, truncated to cap - 1 bytes; no "\r" and no
 * newline): with `bar_width` > 0 a bar "[#####.....] " of that many cells first, then
 * "round 12/100  loss 0.4321  acc 0.8765  3.21 r/s  ETA 0:00:27". Returns the length it wanted,
 * as snprintf. Deterministic; thread-safe. */
int fedc_progress_format(char *buf, size_t cap, const fedc_progress_state *st, int bar_width);

typedef struct fedc_progress_opts {
    FILE *out;                   /* default stderr */
    fedc_progress_mode mode;     /* default AUTO */
    int64_t total_rounds;        /* R; <= 0 unknown */
    int every;                   /* plain mode: a line every k rounds (>= 1; default 1) */
    int bar_width;               /* terminal mode's bar (default 30; 0: none) */
    const char *loss_metric;     /* default "train/loss" */
    const char *accuracy_metric; /* default "train/sparse_categorical_accuracy" */
} fedc_progress_opts;

/* The defaults above. */
fedc_progress_opts fedc_progress_opts_default(void);

typedef struct fedc_progress fedc_progress;

/* Starts a display (its clock starts now). opts may be NULL (the defaults; copied, the metric
 * names too). Errors: INVALID_ARGUMENT for every < 1 or a negative bar width; OUT_OF_MEMORY. */
fedc_status fedc_progress_create(fedc_ctx *ctx, const fedc_progress_opts *opts,
                                 fedc_progress **out);

/* Whether the display writes the terminal form. */
bool fedc_progress_is_tty(const fedc_progress *p);

/* Shows round `record`'s round with its loss and accuracy metrics (absent: "-"); the rate is
 * the rounds shown since creation over the time since creation. Nothing is written for a plain
 * display between every-th rounds. Errors: IO when the stream reports a write error. */
fedc_status fedc_progress_update(fedc_ctx *ctx, fedc_progress *p,
                                 const fedc_metrics_record *record);

/* Ends the display: the terminal form gets its final newline. Then frees it. NULL is a no-op. */
void fedc_progress_destroy(fedc_progress *p);

/* ---------------------------------------------------------------------------------------------
 * HTML report
 * ------------------------------------------------------------------------------------------- */

/* Reads the JSON lines metrics at `metrics_path` (fedc_metrics_jsonl_writer's file) and writes a
 * self-contained HTML page to `html_path` (through a temporary file and a rename): no scripts,
 * fonts, images or links from elsewhere, so it opens offline. One SVG line plot per metric
 * over rounds, with axes, ticks, labels and a title; "train/X", "eval/X", "test/X" and
 * "validation/X" share the plot of X when more than one exists. Then a table of each metric's
 * last value and its round. Names are HTML-escaped. `title` (NULL: the metrics path) heads the
 * page. Deterministic: the same metrics give the same bytes. Errors: those of
 * fedc_metrics_jsonl_read; INVALID_ARGUMENT when the file holds no record; IO naming html_path;
 * OUT_OF_MEMORY. */
fedc_status fedc_report_write_html(fedc_ctx *ctx, const char *metrics_path, const char *html_path,
                                   const char *title);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_LEARNING_PROGRAM_H */
