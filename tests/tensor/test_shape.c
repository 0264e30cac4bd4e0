/* test_shape.c — shapes: construction, element counts, equality, NumPy broadcasting, printing.
 * Known answers only; nothing here allocates tensors. */
#include <string.h>

#include "harness/harness.h"

TEST(make_sets_rank_and_zeroes_the_tail) {
    fedc_shape s = FEDC_SHAPE(20, 784);
    ASSERT_EQ(s.rank, 2);
    ASSERT_EQ(s.dims[0], 20);
    ASSERT_EQ(s.dims[1], 784);
    for (int i = 2; i < FEDC_MAX_RANK; i++)
        ASSERT_EQ(s.dims[i], 0);
    fedc_shape scalar = FEDC_SHAPE0;
    ASSERT_EQ(scalar.rank, 0);
    for (int i = 0; i < FEDC_MAX_RANK; i++)
        ASSERT_EQ(scalar.dims[i], 0);
    fedc_shape six = FEDC_SHAPE(1, 2, 3, 4, 5, 6);
    ASSERT_EQ(six.rank, FEDC_MAX_RANK);
    ASSERT_EQ(six.dims[5], 6);
}

TEST(numel_multiplies_dims) {
    fedc_shape s = FEDC_SHAPE(2, 3, 4);
    ASSERT_EQ(fedc_shape_numel(&s), 24);
    fedc_shape scalar = FEDC_SHAPE0;
    ASSERT_EQ(fedc_shape_numel(&scalar), 1);
    fedc_shape empty = FEDC_SHAPE(5, 0, 7);
    ASSERT_EQ(fedc_shape_numel(&empty), 0);
}

TEST(equal_compares_rank_and_dims) {
    fedc_shape a = FEDC_SHAPE(2, 3), b = FEDC_SHAPE(2, 3), c = FEDC_SHAPE(3, 2);
    fedc_shape d = FEDC_SHAPE(2, 3, 1), s0 = FEDC_SHAPE0, s1 = FEDC_SHAPE0;
    ASSERT_TRUE(fedc_shape_equal(&a, &b));
    ASSERT_FALSE(fedc_shape_equal(&a, &c));
    ASSERT_FALSE(fedc_shape_equal(&a, &d));
    ASSERT_TRUE(fedc_shape_equal(&s0, &s1));
    ASSERT_FALSE(fedc_shape_equal(&s0, &a));
}

static void check_broadcast(fedc_ctx *ctx, fedc_shape a, fedc_shape b, fedc_shape want) {
    fedc_shape got;
    ASSERT_OK(fedc_shape_broadcast(ctx, &a, &b, &got));
    char g[64], w[64];
    fedc_shape_format(&got, g, sizeof g);
    fedc_shape_format(&want, w, sizeof w);
    ASSERT_STREQ(g, w);
    /* broadcasting is symmetric */
    ASSERT_OK(fedc_shape_broadcast(ctx, &b, &a, &got));
    fedc_shape_format(&got, g, sizeof g);
    ASSERT_STREQ(g, w);
}

TEST(broadcast_follows_numpy) {
    check_broadcast(ctx, FEDC_SHAPE(2, 3), FEDC_SHAPE(3), FEDC_SHAPE(2, 3));
    check_broadcast(ctx, FEDC_SHAPE(2, 1), FEDC_SHAPE(1, 3), FEDC_SHAPE(2, 3));
    check_broadcast(ctx, FEDC_SHAPE0, FEDC_SHAPE(4, 5), FEDC_SHAPE(4, 5));
    check_broadcast(ctx, FEDC_SHAPE0, FEDC_SHAPE0, FEDC_SHAPE0);
    check_broadcast(ctx, FEDC_SHAPE(8, 1, 6, 1), FEDC_SHAPE(7, 1, 5), FEDC_SHAPE(8, 7, 6, 5));
    check_broadcast(ctx, FEDC_SHAPE(0, 3), FEDC_SHAPE(1), FEDC_SHAPE(0, 3));
    check_broadcast(ctx, FEDC_SHAPE(1), FEDC_SHAPE(0), FEDC_SHAPE(0));
}

TEST(broadcast_error_names_both_shapes) {
    fedc_shape a = FEDC_SHAPE(2, 3), b = FEDC_SHAPE(4), out = FEDC_SHAPE(9);
    ASSERT_STATUS(fedc_shape_broadcast(ctx, &a, &b, &out), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[2,3]");
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "[4]");
    ASSERT_EQ(out.rank, 1); /* untouched on error */
    ASSERT_EQ(out.dims[0], 9);
    fedc_shape c = FEDC_SHAPE(3, 2), d = FEDC_SHAPE(2, 3, 3);
    ASSERT_STATUS(fedc_shape_broadcast(ctx, &c, &d, &out), FEDC_STATUS_SHAPE);
    ASSERT_EQ(fedc_shape_broadcast(NULL, &c, &d, &out), FEDC_STATUS_SHAPE);
}

TEST(format_prints_and_truncates_like_snprintf) {
    char buf[32];
    fedc_shape s = FEDC_SHAPE(2, 3);
    ASSERT_EQ(fedc_shape_format(&s, buf, sizeof buf), 5);
    ASSERT_STREQ(buf, "[2,3]");
    fedc_shape scalar = FEDC_SHAPE0;
    ASSERT_EQ(fedc_shape_format(&scalar, buf, sizeof buf), 2);
    ASSERT_STREQ(buf, "[]");
    fedc_shape big = FEDC_SHAPE(123456, 7, 89);
    char small[6];
    memset(small, 'x', sizeof small);
    ASSERT_EQ(fedc_shape_format(&big, small, sizeof small), 13);
    ASSERT_STREQ(small, "[1234");
    char untouched = 'u';
    ASSERT_EQ(fedc_shape_format(&big, &untouched, 0), 13);
    ASSERT_EQ(untouched, 'u');
}
