/* test_program_tfevents.c — TensorBoard event files: the exact bytes of the framing and the
 * version event (checked here by hand, independently of the library's reader), events read
 * back, damage found at its offset, resuming, and fields of other writers skipped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learning/test_program_util.h"

static uint64_t le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static fedc_metrics_writer *open_events(fedc_ctx *ctx, const char *dir, long long keep,
                                        char **path) {
    fedc_tfevents_opts o = fedc_tfevents_opts_default();
    o.file_time = 1700000000;
    o.hostname = "testhost";
    fedc_metrics_writer *w;
    ASSERT_OK(fedc_metrics_tfevents_writer_create(ctx, dir, keep, &o, &w, path));
    return w;
}

static void write_rounds(fedc_ctx *ctx, fedc_metrics_writer *w, int from, int to) {
    const char *names[2] = {"train/loss", "eval/sparse_categorical_accuracy"};
    for (int k = from; k <= to; k++) {
        double values[2] = {1.0 / (k + 1), 0.1 * k};
        fedc_metrics_record *r = ptest_record(ctx, k, 2, names, values);
        ASSERT_OK(fedc_metrics_writer_write(ctx, w, r));
        fedc_metrics_record_destroy(r);
    }
}

TEST(event_file_starts_with_a_framed_version_event) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    char *path;
    fedc_metrics_writer *w = open_events(ctx, dir, FEDC_METRICS_FRESH, &path);
    char want[128];
    snprintf(want, sizeof want, "%s/events.out.tfevents.1700000000.testhost", dir);
    ASSERT_STREQ(path, want);
    fedc_metrics_writer_destroy(w);
    size_t size;
    unsigned char *p = (unsigned char *)ptest_read(path, &size);
    /* Event{wall_time = 1700000000.0 (field 1, fixed64), file_version = "brain.Event:2"
     * (field 3, length-delimited)}: key 0x09, 8 bytes, key 0x1a, length 13, the string */
    static const unsigned char event[] = {0x09, 0,    0,   0,   0x40, 0xfc, 0x54, 0xd9,
                                          0x41, 0x1a, 13,  'b', 'r',  'a',  'i',  'n',
                                          '.',  'E',  'v', 'e', 'n',  't',  ':',  '2'};
    ASSERT_EQ(size, 8 + 4 + sizeof event + 4);
    ASSERT_EQ(le(p, 8), sizeof event);
    ASSERT_EQ(le(p + 8, 4), fedc_crc32c_mask(fedc_crc32c(0, p, 8)));
    ASSERT_EQ(memcmp(p + 12, event, sizeof event), 0);
    ASSERT_EQ(le(p + 12 + sizeof event, 4), fedc_crc32c_mask(fedc_crc32c(0, event, sizeof event)));
    free(p);
    fedc_free(path);
    ptest_rmtree(dir);
}

typedef struct events {
    int n, versions;
    long long steps[32];
    int nvalues[32];
    double loss[32], wall[32];
    char version[64];
} events;

static fedc_status collect(fedc_ctx *ctx, void *user, const char *version,
                           const fedc_metrics_record *r) {
    (void)ctx;
    events *e = user;
    if (version) {
        e->versions++;
        snprintf(e->version, sizeof e->version, "%s", version);
        return FEDC_STATUS_OK;
    }
    if (e->n == 32) return FEDC_STATUS_OK;
    e->steps[e->n] = fedc_metrics_record_round(r);
    e->nvalues[e->n] = (int)fedc_metrics_record_count(r);
    e->wall[e->n] = fedc_metrics_record_wall_time(r);
    e->loss[e->n] = NAN;
    fedc_metrics_record_get(r, "train/loss", &e->loss[e->n]);
    e->n++;
    return FEDC_STATUS_OK;
}

TEST(events_read_back_as_records) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    char *path;
    fedc_metrics_writer *w = open_events(ctx, dir, FEDC_METRICS_FRESH, &path);
    write_rounds(ctx, w, 0, 4);
    /* each round is on disk when write returns */
    events e = {0};
    ASSERT_OK(fedc_tfevents_read(ctx, path, collect, &e));
    ASSERT_EQ(e.versions, 1);
    ASSERT_STREQ(e.version, "brain.Event:2");
    ASSERT_EQ(e.n, 5);
    for (int k = 0; k < 5; k++) {
        ASSERT_EQ(e.steps[k], k);
        ASSERT_EQ(e.nvalues[k], 2);
        ASSERT_EQ(e.wall[k], 1000.0 + k);
        ASSERT_EQ(e.loss[k], (double)(float)(1.0 / (k + 1))); /* simple_value is a float */
    }
    fedc_metrics_writer_destroy(w);
    fedc_free(path);
    ptest_rmtree(dir);
}

TEST(damaged_events_are_corrupt_at_their_offset) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    char *path;
    fedc_metrics_writer *w = open_events(ctx, dir, FEDC_METRICS_FRESH, &path);
    write_rounds(ctx, w, 0, 1);
    fedc_metrics_writer_destroy(w);
    size_t size;
    char *good = ptest_read(path, &size);
    size_t first = 8 + 4 + 24 + 4; /* the version record */
    events e = {0};
    /* a flipped byte in the second record's data */
    good[first + 12 + 3] ^= 0x40;
    ptest_write(path, good, size, 0);
    ASSERT_STATUS(fedc_tfevents_read(ctx, path, collect, &e), FEDC_STATUS_CORRUPT);
    char want[64];
    snprintf(want, sizeof want, "byte offset %zu: record data fails its CRC", first + 12);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), want);
    good[first + 12 + 3] ^= 0x40;
    /* a damaged length */
    good[first] ^= 1;
    ptest_write(path, good, size, 0);
    ASSERT_STATUS(fedc_tfevents_read(ctx, path, collect, &e), FEDC_STATUS_CORRUPT);
    snprintf(want, sizeof want, "byte offset %zu: record length fails its CRC", first);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), want);
    good[first] ^= 1;
    /* cut short */
    ptest_write(path, good, size - 3, 0);
    ASSERT_STATUS(fedc_tfevents_read(ctx, path, collect, &e), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cut short");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    free(good);
    fedc_free(path);
    ptest_rmtree(dir);
}

/* Frames an Event by hand: the reader must skip fields it does not know. */
static void append_record(const char *path, const unsigned char *data, size_t n) {
    unsigned char head[12], tail[4];
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)((uint64_t)n >> (8 * i));
    uint32_t c = fedc_crc32c_mask(fedc_crc32c(0, head, 8));
    for (int i = 0; i < 4; i++)
        head[8 + i] = (unsigned char)(c >> (8 * i));
    c = fedc_crc32c_mask(fedc_crc32c(0, data, n));
    for (int i = 0; i < 4; i++)
        tail[i] = (unsigned char)(c >> (8 * i));
    ptest_write(path, head, 12, 1);
    ptest_write(path, data, n, 1);
    ptest_write(path, tail, 4, 1);
}

TEST(reader_skips_fields_of_other_writers) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/events.out.tfevents.1.other", dir);
    /* step 7 (field 2 varint), an unknown field 9 varint, summary with one value that has an
     * unknown field 7 (node_name) and an image-like value without simple_value */
    static const unsigned char event[] = {
        0x10, 7,  0x48, 0x96, 0x01, 0x2a, 22, /* summary, 22 bytes */
        0x0a, 12, 0x0a, 1,    'x',  0x3a, 2,  'n', 'n', 0x15, 0, 0, 0xc0, 0x3f, /* x = 1.5 */
        0x0a, 6,  0x0a, 1,    'y',  0x22, 1,  0}; /* y: image field 4 */
    append_record(path, event, sizeof event);
    events e = {0};
    ASSERT_OK(fedc_tfevents_read(ctx, path, collect, &e));
    ASSERT_EQ(e.n, 1);
    ASSERT_EQ(e.steps[0], 7);
    ASSERT_EQ(e.nvalues[0], 1);
    /* a group wire type is not something an Event holds */
    static const unsigned char bad[] = {0x10, 1, 0x1b};
    append_record(path, bad, sizeof bad);
    ASSERT_STATUS(fedc_tfevents_read(ctx, path, collect, &e), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "malformed Event protobuf");
    ptest_rmtree(dir);
}

TEST(resume_cuts_events_after_the_round_and_appends) {
    char dir[64];
    ptest_tmpdir(dir, sizeof dir);
    char *path, *again;
    fedc_metrics_writer *w = open_events(ctx, dir, FEDC_METRICS_FRESH, &path);
    write_rounds(ctx, w, 0, 5);
    fedc_metrics_writer_destroy(w);
    ptest_write(path, "\x20\0\0", 3, 1); /* a torn record */
    fedc_tfevents_opts o = fedc_tfevents_opts_default();
    o.file_time = 1800000000; /* a later start: still appends to the run's file */
    o.hostname = "testhost";
    ASSERT_OK(fedc_metrics_tfevents_writer_create(ctx, dir, 2, &o, &w, &again));
    ASSERT_STREQ(again, path);
    ASSERT_EQ(fedc_metrics_writer_last_round(w), 2);
    write_rounds(ctx, w, 3, 3);
    fedc_metrics_writer_destroy(w);
    events e = {0};
    ASSERT_OK(fedc_tfevents_read(ctx, path, collect, &e));
    ASSERT_EQ(e.versions, 1);
    ASSERT_EQ(e.n, 4);
    for (int k = 0; k < 4; k++)
        ASSERT_EQ(e.steps[k], k);
    /* a fresh start removes the old files of the directory */
    w = open_events(ctx, dir, FEDC_METRICS_FRESH, &again);
    fedc_metrics_writer_destroy(w);
    memset(&e, 0, sizeof e);
    ASSERT_OK(fedc_tfevents_read(ctx, again, collect, &e));
    ASSERT_EQ(e.n, 0);
    ASSERT_EQ(e.versions, 1);
    fedc_free(again);
    fedc_free(path);
    ptest_rmtree(dir);
}

TEST(writer_creates_its_directory_and_names_io_errors) {
    char dir[64], sub[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(sub, sizeof sub, "%s/tb", dir);
    char *path;
    fedc_metrics_writer *w = open_events(ctx, sub, FEDC_METRICS_FRESH, &path);
    ASSERT_EQ(access(path, F_OK), 0);
    fedc_metrics_writer_destroy(w);
    fedc_free(path);
    snprintf(sub, sizeof sub, "%s/missing/tb", dir);
    ASSERT_STATUS(fedc_metrics_tfevents_writer_create(ctx, sub, FEDC_METRICS_FRESH, NULL, &w, NULL),
                  FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "missing/tb");
    ptest_rmtree(dir);
}
