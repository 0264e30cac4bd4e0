/* test_cifar.c — the CIFAR-10/100 binary batch importer on small batch files the test writes
 * (planes transposed to height, width, channel; fine and coarse labels; several batches), a
 * truncated record named with its byte offset; and IDX decoding from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data_testutil.h"
#include "harness/harness.h"

/* Record i of a fake batch: pixel (channel c, row y, column x) = (i * 7 + c * 3 + y + x) mod 256.
 */
static void make_batch(uint8_t *buf, int n, int first, bool cifar100) {
    size_t rs = 3072 + (cifar100 ? 2 : 1);
    for (int k = 0; k < n; k++) {
        int i = first + k;
        uint8_t *r = buf + (size_t)k * rs;
        if (cifar100) *r++ = (uint8_t)(i % 20);
        *r++ = (uint8_t)(cifar100 ? i % 100 : i % 10);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    r[c * 1024 + y * 32 + x] = (uint8_t)((i * 7 + c * 3 + y + x) % 256);
    }
}

static void check_image(const fedc_example *ex, int i) {
    const fedc_tensor *t = fedc_example_get(ex, "image");
    ASSERT_NOT_NULL(t);
    ASSERT_EQ(t->dtype, FEDC_DTYPE_UINT8);
    ASSERT_EQ(fedc_tensor_numel(t), 3072);
    const uint8_t *p = t->data;
    for (int y = 0; y < 32; y += 5)
        for (int x = 0; x < 32; x += 3)
            for (int c = 0; c < 3; c++)
                ASSERT_EQ(p[(y * 32 + x) * 3 + c], (i * 7 + c * 3 + y + x) % 256);
}

TEST(cifar10_two_batches) {
    char b1[512], b2[512], db[512];
    size_t rs = 3073;
    uint8_t *buf = malloc(30 * rs);
    ASSERT_NOT_NULL(buf);
    make_batch(buf, 20, 0, false);
    write_file(scratch_path(b1, sizeof b1, "c10_1.bin"), buf, 20 * rs);
    make_batch(buf, 10, 20, false);
    write_file(scratch_path(b2, sizeof b2, "c10_2.bin"), buf, 10 * rs);
    free(buf);
    scratch_path(db, sizeof db, "c10.sqlite");
    const char *paths[2] = {b1, b2};
    fedc_partition_opts p = fedc_partition_opts_default();
    p.num_clients = 1;
    fedc_partition_stats stats;
    ASSERT_OK(fedc_import_cifar(ctx, paths, 2, false, db, "train", &p, &stats));
    ASSERT_EQ(stats.sizes[0], 30);
    ASSERT_EQ(stats.num_classes, 10);
    ASSERT_EQ(stats.label_counts[3], 3);
    fedc_partition_stats_free(&stats);
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, db, NULL, &cd));
    fedc_dataset *ds;
    fedc_example *ex;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    for (int i = 0; i < 30; i++) { /* one client: the files' order */
        ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
        ASSERT_TRUE(got);
        ASSERT_EQ(fedc_tensor_get_flat(fedc_example_get(ex, "label"), 0), i % 10);
        ASSERT_NULL(fedc_example_get(ex, "coarse_label"));
        check_image(ex, i);
    }
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_FALSE(got);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    remove(b1);
    remove(b2);
    remove(db);
}

TEST(cifar100_labels_and_truncation) {
    char b1[512], db[512];
    size_t rs = 3074;
    uint8_t *buf = malloc(8 * rs);
    ASSERT_NOT_NULL(buf);
    make_batch(buf, 8, 50, true);
    write_file(scratch_path(b1, sizeof b1, "c100.bin"), buf, 8 * rs);
    scratch_path(db, sizeof db, "c100.sqlite");
    const char *paths[1] = {b1};
    fedc_partition_opts p = fedc_partition_opts_default();
    p.num_clients = 2;
    ASSERT_OK(fedc_import_cifar(ctx, paths, 1, true, db, "train", &p, NULL));
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, db, NULL, &cd));
    ASSERT_EQ(fedc_client_data_num_clients(cd), 2);
    ASSERT_EQ(fedc_client_data_num_examples(cd, 0) + fedc_client_data_num_examples(cd, 1), 8);
    fedc_dataset *ds;
    fedc_example *ex;
    ASSERT_OK(fedc_client_data_open(ctx, cd, 0, &ds));
    ASSERT_OK(fedc_example_create(ctx, &ex));
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
    ASSERT_TRUE(got);
    int64_t fine = (int64_t)fedc_tensor_get_flat(fedc_example_get(ex, "label"), 0);
    ASSERT_TRUE(fine >= 50 && fine < 58);
    ASSERT_EQ(fedc_tensor_get_flat(fedc_example_get(ex, "coarse_label"), 0), fine % 20);
    check_image(ex, (int)fine);
    fedc_example_destroy(ex);
    fedc_dataset_destroy(ds);
    fedc_client_data_destroy(cd);
    remove(db);
    /* a batch cut inside its last record */
    write_file(b1, buf, 2 * rs + 100);
    free(buf);
    ASSERT_STATUS(fedc_import_cifar(ctx, paths, 1, true, db, "train", &p, NULL),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "byte offset 6148: truncated record");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), b1);
    ASSERT_EQ(access(db, 0) == 0, false); /* no half-written file */
    remove(b1);
}

TEST(idx_decode_from_memory) {
    static const uint8_t idx[] = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
    fedc_tensor t;
    ASSERT_OK(fedc_idx_decode(ctx, "mem", idx, sizeof idx, &t));
    ASSERT_EQ(t.shape.rank, 2);
    ASSERT_EQ(t.shape.dims[1], 3);
    ASSERT_EQ(((uint8_t *)t.data)[5], 6);
    fedc_tensor_free(&t);
    ASSERT_STATUS(fedc_idx_decode(ctx, "mem", idx, sizeof idx - 1, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "mem: byte offset 17: IDX data truncated");
    /* found by fuzzing: a zero dimension hid a product of the others too large for strides */
    static const uint8_t huge[] = {0,    0,    8,    3,    0,    0,    0,    0,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ASSERT_STATUS(fedc_idx_decode(ctx, "mem", huge, sizeof huge, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "mem: byte offset 12: IDX dimensions too large");
    /* found by fuzzing: a gzip header with an unknown method leaked the output buffer */
    static const uint8_t badgz[] = {0x1f, 0x8b, 7, 0, 0, 0, 0, 0,    0, 0, 1,
                                    2,    3,    4, 5, 6, 7, 8, 0x10, 0, 0, 0};
    ASSERT_STATUS(fedc_idx_decode(ctx, "g", badgz, sizeof badgz, &t), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "g: byte offset 2: gzip method 7 is not deflate");
}
