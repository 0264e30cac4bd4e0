/* test_idx.c — IDX files and fedc's own gzip decoder: the real MNIST and Fashion-MNIST files
 * (labels and pixel sums checked against Python's gzip), hand-made stored and fixed-Huffman
 * streams, and truncated or damaged files reported with the file and byte offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

static int64_t sum_first_image(const fedc_tensor *t) {
    int64_t s = 0;
    for (int i = 0; i < 784; i++)
        s += ((const uint8_t *)t->data)[i];
    return s;
}

TEST(mnist_test_set) {
    char path[512];
    fedc_tensor t;
    ASSERT_OK(
        fedc_idx_read(ctx, data_path(path, sizeof path, "mnist/t10k-labels-idx1-ubyte.gz"), &t));
    ASSERT_EQ(t.dtype, FEDC_DTYPE_UINT8);
    ASSERT_EQ(t.shape.rank, 1);
    ASSERT_EQ(t.shape.dims[0], 10000);
    static const uint8_t want[10] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
    ASSERT_EQ(memcmp(t.data, want, 10), 0);
    fedc_tensor_free(&t);
    ASSERT_OK(
        fedc_idx_read(ctx, data_path(path, sizeof path, "mnist/t10k-images-idx3-ubyte.gz"), &t));
    ASSERT_EQ(t.shape.rank, 3);
    ASSERT_EQ(t.shape.dims[0], 10000);
    ASSERT_EQ(t.shape.dims[1], 28);
    ASSERT_EQ(t.shape.dims[2], 28);
    ASSERT_EQ(sum_first_image(&t), 18454);
    static const uint8_t row7[5] = {0xb9, 0x9f, 0x97, 0x3c, 0x24}; /* image 0, row 7, cols 7-11 */
    ASSERT_EQ(memcmp((uint8_t *)t.data + 7 * 28 + 7, row7, 5), 0);
    int64_t total = 0;
    for (int64_t i = 0; i < 7840000; i++)
        total += ((uint8_t *)t.data)[i];
    ASSERT_EQ(total % 1000003, 922408);
    fedc_tensor_free(&t);
}

TEST(mnist_train_labels) {
    char path[512];
    fedc_tensor t;
    ASSERT_OK(
        fedc_idx_read(ctx, data_path(path, sizeof path, "mnist/train-labels-idx1-ubyte.gz"), &t));
    ASSERT_EQ(t.shape.dims[0], 60000);
    static const int64_t want[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    int64_t counts[10] = {0};
    for (int64_t i = 0; i < 60000; i++)
        counts[((uint8_t *)t.data)[i]]++;
    for (int d = 0; d < 10; d++)
        ASSERT_EQ(counts[d], want[d]);
    fedc_tensor_free(&t);
    /* The 47 MB training images (images 0-9999 are the official bytes). */
    ASSERT_OK(
        fedc_idx_read(ctx, data_path(path, sizeof path, "mnist/train-images-idx3-ubyte.gz"), &t));
    ASSERT_EQ(t.shape.dims[0], 60000);
    ASSERT_EQ(sum_first_image(&t), 27525);
    fedc_tensor_free(&t);
}

TEST(fashion_mnist) {
    const char *dir = "/usr/share/datasets/fashion-mnist";
    char path[512];
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    FILE *f = fopen(path, "rb");
    if (!f) SKIP("%s is missing (Debian package dataset-fashion-mnist)", path);
    fclose(f);
    fedc_tensor t;
    ASSERT_OK(fedc_idx_read(ctx, path, &t));
    ASSERT_EQ(t.shape.dims[0], 60000);
    static const uint8_t want[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    ASSERT_EQ(memcmp(t.data, want, 10), 0);
    fedc_tensor_free(&t);
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", dir);
    ASSERT_OK(fedc_idx_read(ctx, path, &t));
    ASSERT_EQ(t.shape.dims[0], 10000);
    ASSERT_EQ(sum_first_image(&t), 33456);
    fedc_tensor_free(&t);
}

/* An IDX of 40 ubytes (i * 7) % 256, gzip'ed with a stored block. */
static const uint8_t kStored[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x03, 0x01, 0x30, 0x00, 0xcf, 0xff,
    0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x00, 0x28, 0x00, 0x07, 0x0e, 0x15, 0x1c, 0x23, 0x2a,
    0x31, 0x38, 0x3f, 0x46, 0x4d, 0x54, 0x5b, 0x62, 0x69, 0x70, 0x77, 0x7e, 0x85, 0x8c, 0x93,
    0x9a, 0xa1, 0xa8, 0xaf, 0xb6, 0xbd, 0xc4, 0xcb, 0xd2, 0xd9, 0xe0, 0xe7, 0xee, 0xf5, 0xfc,
    0x03, 0x0a, 0x11, 0xa1, 0xf3, 0x31, 0xbe, 0x30, 0x00, 0x00, 0x00};
/* An IDX of 40 ubytes i % 4, gzip'ed with a fixed-Huffman block and back-references. */
static const uint8_t kFixed[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                 0x03, 0x63, 0x60, 0xe0, 0x60, 0x64, 0x60, 0x60, 0xd0,
                                 0x60, 0x60, 0x64, 0x62, 0x26, 0x06, 0x03, 0x00, 0xe9,
                                 0x11, 0xf0, 0x45, 0x30, 0x00, 0x00, 0x00};
/* A plain float IDX, 2x2: 1.5, -2, 0.25, 3e-38. */
static const uint8_t kFloats[] = {0x00, 0x00, 0x0d, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
                                  0x00, 0x02, 0x3f, 0xc0, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
                                  0x3e, 0x80, 0x00, 0x00, 0x01, 0x23, 0x55, 0xe6};

TEST(small_streams_and_types) {
    char path[512];
    fedc_tensor t;
    scratch_path(path, sizeof path, "stored.idx.gz");
    write_file(path, kStored, sizeof kStored);
    ASSERT_OK(fedc_idx_read(ctx, path, &t));
    ASSERT_EQ(t.shape.dims[0], 40);
    for (int i = 0; i < 40; i++)
        ASSERT_EQ(((uint8_t *)t.data)[i], (uint8_t)(i * 7));
    fedc_tensor_free(&t);
    write_file(path, kFixed, sizeof kFixed);
    ASSERT_OK(fedc_idx_read(ctx, path, &t));
    for (int i = 0; i < 40; i++)
        ASSERT_EQ(((uint8_t *)t.data)[i], (uint8_t)(i % 4));
    fedc_tensor_free(&t);
    write_file(path, kFloats, sizeof kFloats);
    ASSERT_OK(fedc_idx_read(ctx, path, &t));
    ASSERT_EQ(t.dtype, FEDC_DTYPE_FLOAT32);
    ASSERT_EQ(t.shape.rank, 2);
    ASSERT_EQ(((float *)t.data)[1], -2.0f);
    ASSERT_EQ(((float *)t.data)[3], 3e-38f);
    fedc_tensor_free(&t);
    remove(path);
}

TEST(bad_files_name_the_offset) {
    char path[512];
    fedc_tensor t;
    scratch_path(path, sizeof path, "bad.idx");
    write_file(path, kFloats, sizeof kFloats - 3);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 25: IDX data truncated: 16 bytes expected "
                                           "after the 12-byte header, 13 found");
    write_file(path, kFloats, 6);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 6: IDX header truncated (needs 12 bytes)");
    write_file(path, "PK\3\4 not idx", 12);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 0: not an IDX file");

    /* gzip: truncated stream, flipped data byte (CRC), damaged block type. */
    write_file(path, kFixed, 20);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "gzip byte offset 20: compressed data ends early");
    uint8_t buf[sizeof kStored];
    memcpy(buf, kStored, sizeof buf);
    buf[30] ^= 1;
    write_file(path, buf, sizeof buf);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "CRC-32 mismatch");
    memcpy(buf, kStored, sizeof buf);
    buf[10] = 0x07; /* final block of type 3 */
    write_file(path, buf, sizeof buf);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "gzip byte offset 11: invalid block type 3");
    remove(path);
    ASSERT_STATUS(fedc_idx_read(ctx, path, &t), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cannot open: No such file or directory");
}

TEST(truncated_real_gzip_never_crashes) {
    char path[512], out[512];
    data_path(path, sizeof path, "mnist/t10k-labels-idx1-ubyte.gz");
    FILE *f = fopen(path, "rb");
    uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    scratch_path(out, sizeof out, "cut.gz");
    fedc_tensor t;
    for (size_t cut = 1; cut < n; cut += 97) {
        write_file(out, buf, cut);
        fedc_status st = fedc_idx_read(ctx, out, &t);
        if (st != FEDC_STATUS_CORRUPT) FAIL("cut at %zu: %s", cut, fedc_status_name(st));
    }
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 2);
    for (int k = 0; k < 50; k++) {
        uint8_t copy[8192];
        memcpy(copy, buf, n);
        copy[10 + fedc_rng_below(&rng, n - 18)] ^= (uint8_t)(1 + fedc_rng_below(&rng, 255));
        write_file(out, copy, n);
        if (fedc_idx_read(ctx, out, &t) == FEDC_STATUS_OK) fedc_tensor_free(&t);
    }
    remove(out);
}
