/* test_client_data.c — how local training reads a client: the shuffled order it computes on
 * indices is the order fedc_dataset_shuffle yields, draw for draw; batches are the rows asked.
 */
#include <string.h>

#include "learning/learning_int.h"
#include "learning/learning_testutil.h"

TEST(index_shuffle_matches_the_dataset_shuffle) {
    const int64_t n = 23;
    fedc_example *ex, *items[23];
    for (int64_t i = 0; i < n; i++) {
        ASSERT_OK(fedc_example_create(ctx, &items[i]));
        fedc_tensor *t;
        fedc_shape s0 = FEDC_SHAPE0;
        ASSERT_OK(fedc_example_set(ctx, items[i], "i", FEDC_DTYPE_INT64, &s0, &t));
        *(int64_t *)t->data = i;
    }
    ASSERT_OK(fedc_example_create(ctx, &ex));
    int64_t buffers[] = {1, 2, 7, 23, 100};
    for (size_t k = 0; k < sizeof buffers / sizeof buffers[0]; k++) {
        fedc_dataset *ds, *sh;
        ASSERT_OK(fedc_dataset_from_examples(ctx, items, n, &ds));
        ASSERT_OK(fedc_dataset_shuffle(ctx, ds, buffers[k], 3, 9, &sh));
        int64_t order[23];
        ASSERT_OK(fedc__shuffle_order(ctx, 3, 9, buffers[k], n, order));
        for (int64_t i = 0; i < n; i++) {
            bool got;
            ASSERT_OK(fedc_dataset_next(ctx, sh, ex, &got));
            ASSERT_TRUE(got);
            ASSERT_EQ(*(const int64_t *)fedc_example_get(ex, "i")->data, order[i]);
        }
        fedc_dataset_destroy(sh);
    }
    fedc_example_destroy(ex);
    for (int64_t i = 0; i < n; i++)
        fedc_example_destroy(items[i]);
}

TEST(examples_load_into_rows_and_batches_gather_them) {
    fedc_client_data *cd = ltest_clients(ctx, 2, 3, 4, 5);
    fedc_value *seq;
    ASSERT_OK(fedc_value_client_sequence(ctx, cd, 1, &seq));
    fedc_input_spec spec = {"x", "y", FEDC_SHAPE(3), FEDC_SHAPE0, FEDC_DTYPE_INT32};
    fedc__examples e;
    ASSERT_OK(fedc__examples_load(ctx, &spec, seq, &e));
    ASSERT_EQ(e.n, 5); /* client 1 holds 3 + 2 examples */
    ASSERT_EQ(e.key, fedc__hash_string("c1"));
    int64_t order[5] = {4, 0, 2, 1, 3};
    fedc_tensor x, y;
    fedc_batch b;
    ASSERT_OK(fedc__examples_batch(ctx, &spec, &e, order, 1, 3, &x, &y, &b));
    ASSERT_EQ(b.n, 3);
    ASSERT_EQ(x.shape.dims[0], 3);
    ASSERT_EQ(x.shape.dims[1], 3);
    for (int r = 0; r < 3; r++)
        ASSERT_EQ(memcmp((float *)x.data + 3 * r, e.x + 3 * order[1 + r], 3 * sizeof(float)), 0);
    ASSERT_OK(fedc__examples_batch(ctx, &spec, &e, NULL, 2, 2, &x, &y, &b));
    ASSERT_TRUE(x.data == (void *)(e.x + 6)); /* in order: a view, no copy */
    /* a spec the examples do not fit names the feature */
    fedc_input_spec wrong = spec;
    wrong.x_shape = FEDC_SHAPE(4);
    fedc__examples bad;
    ASSERT_STATUS(FEDC_STATUS_SHAPE, fedc__examples_load(ctx, &wrong, seq, &bad));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "feature 'x'");
    wrong = spec;
    wrong.y_name = "label";
    ASSERT_STATUS(FEDC_STATUS_NOT_FOUND, fedc__examples_load(ctx, &wrong, seq, &bad));
    fedc__examples_free(&e);
    fedc_value_release(seq);
    fedc_client_data_destroy(cd);
}
