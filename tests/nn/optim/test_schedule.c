/* test_schedule.c — learning-rate schedules: Keras's formulas checked at hand-computed steps
 * (staircase, clamping, boundaries), argument errors with their messages, and an
 * allocation-failure sweep of create.
 */
#include <math.h>

#include "fedc/nn_optim.h"
#include "harness/harness.h"

static fedc_lr_schedule *make(fedc_ctx *ctx, const fedc_lr_schedule_opts *o) {
    fedc_lr_schedule *s = NULL;
    ASSERT_OK(fedc_lr_schedule_create(ctx, o, &s));
    ASSERT_NOT_NULL(s);
    return s;
}

static void expect_error(fedc_ctx *ctx, const fedc_lr_schedule_opts *o, const char *needle) {
    fedc_lr_schedule *s = (fedc_lr_schedule *)&s;
    fedc_ctx_clear(ctx);
    ASSERT_STATUS(fedc_lr_schedule_create(ctx, o, &s), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_NULL(s);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), needle);
}

TEST(constant) {
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    ASSERT_EQ(o.kind, FEDC_LR_SCHEDULE_CONSTANT);
    fedc_lr_schedule *s = make(ctx, &o);
    ASSERT_EQ(fedc_lr_schedule_value(s, 0), 0.01);
    ASSERT_EQ(fedc_lr_schedule_value(s, 123456), 0.01);
    fedc_lr_schedule_destroy(s);
    fedc_lr_schedule_destroy(NULL);
}

TEST(exponential_decay) {
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY;
    o.initial_learning_rate = 0.1;
    o.decay_rate = 0.5;
    o.decay_steps = 10;
    fedc_lr_schedule *s = make(ctx, &o);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 0), 0.1, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 5), 0.1 * sqrt(0.5), 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 20), 0.025, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, -4), 0.1, 1e-15); /* negative steps count as 0 */
    fedc_lr_schedule_destroy(s);
    o.staircase = true;
    s = make(ctx, &o);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 9), 0.1, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 15), 0.05, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 30), 0.0125, 1e-15);
    fedc_lr_schedule_destroy(s);
}

TEST(inverse_time_decay) {
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_INVERSE_TIME_DECAY;
    o.initial_learning_rate = 1.0;
    o.decay_rate = 0.5;
    o.decay_steps = 10;
    fedc_lr_schedule *s = make(ctx, &o);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 20), 0.5, 1e-15); /* 1 / (1 + 0.5 * 2) */
    ASSERT_NEAR(fedc_lr_schedule_value(s, 15), 1 / 1.75, 1e-15);
    fedc_lr_schedule_destroy(s);
    o.staircase = true;
    s = make(ctx, &o);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 15), 1 / 1.5, 1e-15);
    fedc_lr_schedule_destroy(s);
}

TEST(cosine_decay) {
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_COSINE_DECAY;
    o.initial_learning_rate = 1.0;
    o.decay_steps = 100;
    o.alpha = 0.1;
    fedc_lr_schedule *s = make(ctx, &o);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 0), 1.0, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 50), 0.55, 1e-15); /* 0.9 * 0.5 + 0.1 */
    ASSERT_NEAR(fedc_lr_schedule_value(s, 25), 0.9 * 0.5 * (1 + sqrt(0.5)) + 0.1, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 100), 0.1, 1e-15);
    ASSERT_NEAR(fedc_lr_schedule_value(s, 1000), 0.1, 1e-15); /* clamped after decay_steps */
    fedc_lr_schedule_destroy(s);
}

TEST(piecewise_constant) {
    int64_t bounds[2] = {10, 20};
    double values[3] = {1.0, 0.5, 0.1};
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT;
    o.boundaries = bounds;
    o.values = values;
    o.nboundaries = 2;
    fedc_lr_schedule *s = make(ctx, &o);
    bounds[0] = 999; /* the schedule keeps its own copy */
    values[0] = 7;
    ASSERT_EQ(fedc_lr_schedule_value(s, -5), 1.0);
    ASSERT_EQ(fedc_lr_schedule_value(s, 10), 1.0);
    ASSERT_EQ(fedc_lr_schedule_value(s, 11), 0.5);
    ASSERT_EQ(fedc_lr_schedule_value(s, 20), 0.5);
    ASSERT_EQ(fedc_lr_schedule_value(s, 21), 0.1);
    fedc_lr_schedule_destroy(s);

    /* No boundaries: one constant piece. */
    o.nboundaries = 0;
    o.boundaries = NULL;
    values[0] = 0.3;
    s = make(ctx, &o);
    ASSERT_EQ(fedc_lr_schedule_value(s, 1000), 0.3);
    fedc_lr_schedule_destroy(s);
}

TEST(bad_arguments_are_named) {
    fedc_lr_schedule_opts o = fedc_lr_schedule_opts_default();
    o.initial_learning_rate = -1;
    expect_error(ctx, &o, "initial_learning_rate must be a finite number >= 0, got -1");
    o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_EXPONENTIAL_DECAY;
    o.decay_steps = 0;
    expect_error(ctx, &o, "decay_steps must be > 0, got 0");
    o.decay_steps = 10;
    o.decay_rate = 0;
    expect_error(ctx, &o, "decay_rate must be a finite number > 0, got 0");
    o.kind = FEDC_LR_SCHEDULE_INVERSE_TIME_DECAY;
    o.decay_rate = -0.5;
    expect_error(ctx, &o, "decay_rate must be a finite number >= 0, got -0.5");
    o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_COSINE_DECAY;
    o.alpha = 1.5;
    expect_error(ctx, &o, "alpha must be in [0, 1], got 1.5");
    o = fedc_lr_schedule_opts_default();
    o.kind = (fedc_lr_schedule_kind)9;
    expect_error(ctx, &o, "kind must be 0..4, got 9");

    int64_t bounds[2] = {20, 20};
    double values[3] = {1, 2, 3};
    o = fedc_lr_schedule_opts_default();
    o.kind = FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT;
    o.boundaries = bounds;
    o.values = values;
    o.nboundaries = 2;
    expect_error(ctx, &o, "boundaries must increase, got boundaries[1] = 20 after 20");
    bounds[1] = 30;
    values[2] = -1;
    expect_error(ctx, &o, "values[2] must be a finite number >= 0, got -1");
    o.values = NULL;
    expect_error(ctx, &o, "piecewise constant needs 2 boundaries and 3 values, got NULL");
    expect_error(ctx, NULL, "opts is NULL");
}

typedef struct create_arg {
    fedc_lr_schedule_opts opts;
    fedc_lr_schedule *s;
} create_arg;

static fedc_status create_op(fedc_ctx *ctx, void *p) {
    create_arg *a = p;
    return fedc_lr_schedule_create(ctx, &a->opts, &a->s);
}

static void create_cleanup(void *p) {
    create_arg *a = p;
    fedc_lr_schedule_destroy(a->s);
    a->s = NULL;
}

TEST(create_survives_allocation_failures) {
    int64_t bounds[1] = {5};
    double values[2] = {1, 0.5};
    create_arg a = {.opts = fedc_lr_schedule_opts_default()};
    a.opts.kind = FEDC_LR_SCHEDULE_PIECEWISE_CONSTANT;
    a.opts.boundaries = bounds;
    a.opts.values = values;
    a.opts.nboundaries = 1;
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, create_op, create_cleanup, &a), 3L);
    a.opts = fedc_lr_schedule_opts_default();
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, create_op, create_cleanup, &a), 1L);
}
