/* test_tf_example.c — the tf.train.Example decoder and encoder: byte-exact agreement with rows
 * the protobuf library wrote, round trips of every dtype, packed and unpacked lists, specs as
 * tf.io.parse_example reads them, and corrupt input (every truncation of a real row).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

/* Reads the blob of examples.rowid = rowid from a shared SQLite file into a malloc'ed buffer. */
static void *read_row(const char *file, int rowid, size_t *size) {
    char path[512];
    data_path(path, sizeof path, file);
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) FAIL("open %s", path);
    sqlite3_stmt *s;
    sqlite3_prepare_v2(db, "SELECT serialized_example_proto FROM examples WHERE rowid = ?1", -1, &s,
                       NULL);
    sqlite3_bind_int(s, 1, rowid);
    if (sqlite3_step(s) != SQLITE_ROW) FAIL("no row %d in %s", rowid, path);
    *size = (size_t)sqlite3_column_bytes(s, 0);
    void *buf = malloc(*size);
    memcpy(buf, sqlite3_column_blob(s, 0), *size);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return buf;
}

TEST(decode_real_emnist_row) {
    size_t size;
    void *row = read_row("tff-sqlite/emnist_sample.sqlite", 1, &size);
    ASSERT_EQ(size, 3175u);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_tf_example_decode(ctx, row, size, NULL, 0, ex));
    ASSERT_EQ(fedc_example_count(ex), 2);
    ASSERT_STREQ(fedc_example_name(ex, 0), "label"); /* name order, though "label" came first */
    ASSERT_STREQ(fedc_example_name(ex, 1), "pixels");
    const fedc_tensor *label = fedc_example_get(ex, "label");
    ASSERT_EQ(label->dtype, FEDC_DTYPE_INT64);
    ASSERT_EQ(label->shape.rank, 1);
    ASSERT_EQ(label->shape.dims[0], 1);
    ASSERT_EQ(((int64_t *)label->data)[0], 4);
    const fedc_tensor *px = fedc_example_get(ex, "pixels");
    ASSERT_EQ(px->dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(px->shape.dims[0], 784);
    ASSERT_EQ(((float *)px->data)[0], 1.0f);
    free(row);
    fedc_example_destroy(ex);
}

TEST(encode_matches_protobuf_library_bytes) {
    /* Row 1 of the EMNIST sample has its entries in the order label, pixels: re-encoding the
     * decoded features in that order must give the protobuf library's bytes exactly. */
    size_t size;
    void *row = read_row("tff-sqlite/emnist_sample.sqlite", 1, &size);
    fedc_example *ex, *ordered;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &ordered));
    ASSERT_OK(fedc_tf_example_decode(ctx, row, size, NULL, 0, ex));
    ASSERT_OK(fedc_example_set_tensor(ctx, ordered, "label", fedc_example_get(ex, "label")));
    ASSERT_OK(fedc_example_set_tensor(ctx, ordered, "pixels", fedc_example_get(ex, "pixels")));
    void *enc;
    size_t enc_size;
    ASSERT_OK(fedc_tf_example_encode(ctx, ordered, &enc, &enc_size));
    ASSERT_EQ(enc_size, size);
    ASSERT_EQ(memcmp(enc, row, size), 0);
    fedc_free(enc);
    free(row);

    /* And a Shakespeare row (a bytes_list). */
    row = read_row("tff-sqlite/shakespeare_sample.sqlite", 1, &size);
    ASSERT_OK(fedc_tf_example_decode(ctx, row, size, NULL, 0, ex));
    const fedc_tensor *sn = fedc_example_get(ex, "snippets");
    ASSERT_EQ(sn->dtype, FEDC_DTYPE_UINT8);
    ASSERT_EQ(sn->shape.dims[0], 22);
    ASSERT_EQ(memcmp(sn->data, "Where's Caius Marcius?", 22), 0);
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &enc_size));
    ASSERT_EQ(enc_size, size);
    ASSERT_EQ(memcmp(enc, row, size), 0);
    fedc_free(enc);
    free(row);
    fedc_example_destroy(ex);
    fedc_example_destroy(ordered);
}

TEST(round_trip_every_dtype) {
    fedc_example *ex, *back;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &back));
    fedc_tensor *t;
    ASSERT_OK(fedc_example_set(ctx, ex, "f32", FEDC_DTYPE_FLOAT32, SHP(2, 2), &t));
    float fv[] = {1.5f, -2.25f, 0.0f, 3e-38f};
    memcpy(t->data, fv, sizeof fv);
    ASSERT_OK(fedc_example_set(ctx, ex, "i64", FEDC_DTYPE_INT64, SHP(3), &t));
    int64_t iv[] = {-1, INT64_MAX, 300};
    memcpy(t->data, iv, sizeof iv);
    ASSERT_OK(fedc_example_set(ctx, ex, "i32", FEDC_DTYPE_INT32, SHP0, &t));
    ((int32_t *)t->data)[0] = -7;
    ASSERT_OK(fedc_example_set(ctx, ex, "bytes", FEDC_DTYPE_UINT8, SHP(3), &t));
    memcpy(t->data, "a\0b", 3);
    ASSERT_OK(fedc_example_set(ctx, ex, "empty", FEDC_DTYPE_FLOAT32, SHP(0), &t));
    void *enc;
    size_t n;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &n));

    fedc_feature_spec specs[] = {{"i32", FEDC_DTYPE_INT32, FEDC_SHAPE0},
                                 {"f32", FEDC_DTYPE_FLOAT64, FEDC_SHAPE(-1, 2)},
                                 {"i64", FEDC_DTYPE_INT64, FEDC_SHAPE(3)},
                                 {"bytes", FEDC_DTYPE_UINT8, FEDC_SHAPE(-1)},
                                 {"empty", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(0)}};
    ASSERT_OK(fedc_tf_example_decode(ctx, enc, n, specs, 5, back));
    ASSERT_STREQ(fedc_example_name(back, 0), "i32"); /* spec order */
    ASSERT_EQ(((int32_t *)fedc_example_get(back, "i32")->data)[0], -7);
    const fedc_tensor *f = fedc_example_get(back, "f32");
    ASSERT_EQ(f->dtype, FEDC_DTYPE_FLOAT64);
    ASSERT_EQ(f->shape.dims[0], 2);
    ASSERT_EQ(((double *)f->data)[1], -2.25);
    ASSERT_EQ(((double *)f->data)[3], (double)3e-38f);
    const int64_t *i64 = fedc_example_get(back, "i64")->data;
    ASSERT_EQ(i64[0], -1);
    ASSERT_EQ(i64[1], INT64_MAX);
    ASSERT_EQ(i64[2], 300);
    ASSERT_EQ(memcmp(fedc_example_get(back, "bytes")->data, "a\0b", 3), 0);
    ASSERT_EQ(fedc_example_get(back, "empty")->shape.dims[0], 0);

    /* Natural decode: name order, int32 widened to int64, shapes flattened. */
    ASSERT_OK(fedc_tf_example_decode(ctx, enc, n, NULL, 0, back));
    ASSERT_EQ(fedc_example_count(back), 5);
    ASSERT_STREQ(fedc_example_name(back, 0), "bytes");
    ASSERT_STREQ(fedc_example_name(back, 4), "i64");
    ASSERT_EQ(fedc_example_get(back, "i32")->dtype, FEDC_DTYPE_INT64);
    ASSERT_EQ(fedc_example_get(back, "f32")->shape.dims[0], 4);
    fedc_free(enc);
    fedc_example_destroy(ex);
    fedc_example_destroy(back);
}

TEST(unpacked_and_mixed_lists) {
    /* Example{features{feature{"v": int64_list{value: 1 (unpacked), packed [2, 300], 3}}},
     *         feature{"f": float_list{value: 1.0f (unpacked)}}}, written by hand. */
    static const uint8_t msg[] = {
        0x0a, 0x26,                                           /* Example.features */
        0x0a, 0x14,                                           /* map entry */
        0x0a, 0x01, 'v',  0x12, 0x0f,                         /* key, value */
        0x1a, 0x0d,                                           /* int64_list */
        0x08, 0x01, 0x0a, 0x03, 0x02, 0xac, 0x02, 0x08, 0x03, /* 1, [2, 300], 3 */
        0x38, 0x05, 0x08, 0x04,                               /* unknown field 7, then 4 */
        0x0a, 0x0e,                                           /* map entry */
        0x0a, 0x01, 'f',  0x12, 0x09, 0x12, 0x07,             /* float_list */
        0x0d, 0x00, 0x00, 0x80, 0x3f, 0x40, 0x01};            /* 1.0f unpacked, field 8 */
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_tf_example_decode(ctx, msg, sizeof msg, NULL, 0, ex));
    const fedc_tensor *v = fedc_example_get(ex, "v");
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(v->shape.dims[0], 5);
    const int64_t *iv = v->data;
    ASSERT_EQ(iv[0], 1);
    ASSERT_EQ(iv[1], 2);
    ASSERT_EQ(iv[2], 300);
    ASSERT_EQ(iv[3], 3);
    ASSERT_EQ(iv[4], 4);
    const fedc_tensor *f = fedc_example_get(ex, "f");
    ASSERT_EQ(f->shape.dims[0], 1);
    ASSERT_EQ(((float *)f->data)[0], 1.0f);
    fedc_example_destroy(ex);
}

TEST(spec_errors_name_the_feature) {
    size_t size;
    void *row = read_row("tff-sqlite/emnist_sample.sqlite", 1, &size);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    fedc_feature_spec missing[] = {{"image", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(784)}};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, row, size, missing, 1, ex), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no feature 'image'");
    fedc_feature_spec wrong_type[] = {{"label", FEDC_DTYPE_FLOAT32, FEDC_SHAPE0}};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, row, size, wrong_type, 1, ex), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "feature 'label': a int64_list cannot be read as float32");
    fedc_feature_spec wrong_shape[] = {{"pixels", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(28, 27)}};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, row, size, wrong_shape, 1, ex), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "feature 'pixels': 784 values do not fill shape [28,27]");
    free(row);
    fedc_example_destroy(ex);
}

TEST(corrupt_input_is_an_error_never_a_crash) {
    size_t size;
    uint8_t *row = read_row("tff-sqlite/emnist_sample.sqlite", 2, &size);
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    /* Every truncation fails cleanly: the outer field's length runs past the end. */
    for (size_t cut = 1; cut < size; cut++) {
        fedc_status st = fedc_tf_example_decode(ctx, row, cut, NULL, 0, ex);
        if (st != FEDC_STATUS_CORRUPT) FAIL("cut at %zu: %s", cut, fedc_status_name(st));
    }
    ASSERT_STATUS(fedc_tf_example_decode(ctx, row, 3, NULL, 0, ex), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "tf.train.Example: byte offset 0: field 1 of length 3172");
    /* Flipped bytes: any status, no crash (ASan checks the reads). */
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST);
    for (int k = 0; k < 2000; k++) {
        uint8_t save[4];
        size_t at[4];
        for (int j = 0; j < 4; j++) {
            at[j] = (size_t)fedc_rng_below(&rng, size);
            save[j] = row[at[j]];
            row[at[j]] = (uint8_t)fedc_rng_u32(&rng);
        }
        (void)fedc_tf_example_decode(ctx, row, size, NULL, 0, ex);
        fedc_feature_spec specs[] = {{"pixels", FEDC_DTYPE_FLOAT32, FEDC_SHAPE(28, -1)},
                                     {"label", FEDC_DTYPE_INT32, FEDC_SHAPE0}};
        (void)fedc_tf_example_decode(ctx, row, size, specs, 2, ex);
        for (int j = 3; j >= 0; j--)
            row[at[j]] = save[j];
    }
    static const uint8_t bad_wire[] = {0x0b, 0x00};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, bad_wire, 2, NULL, 0, ex), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 0: field 1 has unsupported wire type 3");
    static const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ASSERT_STATUS(fedc_tf_example_decode(ctx, long_varint, sizeof long_varint, NULL, 0, ex),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 1: varint longer than 10 bytes");
    free(row);
    fedc_example_destroy(ex);
}

TEST(many_features_come_back_in_name_order) {
    fedc_example *ex, *back;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    ASSERT_OK(fedc_example_create(ctx, &back));
    for (int i = 99; i >= 0; i--) { /* f99, f98, ..., f00: reverse name order */
        char name[8];
        snprintf(name, sizeof name, "f%02d", i);
        fedc_tensor *t;
        ASSERT_OK(fedc_example_set(ctx, ex, name, FEDC_DTYPE_INT32, SHP(1), &t));
        ((int32_t *)t->data)[0] = i;
    }
    void *enc;
    size_t n;
    ASSERT_OK(fedc_tf_example_encode(ctx, ex, &enc, &n));
    ASSERT_OK(fedc_tf_example_decode(ctx, enc, n, NULL, 0, back));
    ASSERT_EQ(fedc_example_count(back), 100);
    for (int i = 0; i < 100; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%02d", i);
        ASSERT_STREQ(fedc_example_name(back, i), name);
        ASSERT_EQ(((int64_t *)fedc_example_tensor(back, i)->data)[0], i);
    }
    fedc_free(enc);
    fedc_example_destroy(ex);
    fedc_example_destroy(back);
}
