/* test_optimizer.c — optimizer objects: names and TFF's defaults, validation messages, the
 * state layout (hyperparameters, step counter, slots), hyperparameters by name, hand-computed
 * known answers, bit-identical reruns and allocation-failure sweeps of create.
 * Fixture comparisons against PyTorch live in test_optim_fixtures.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn_optim.h"
#include "harness/harness.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static fedc_optimizer *make(fedc_ctx *ctx, const fedc_optimizer_opts *o, int64_t n) {
    fedc_optimizer *opt = NULL;
    ASSERT_OK(fedc_optimizer_create(ctx, o, n, &opt));
    ASSERT_NOT_NULL(opt);
    return opt;
}

static float *new_state(const fedc_optimizer *opt) {
    float *s = malloc((size_t)fedc_optimizer_state_size(opt) * sizeof *s);
    ASSERT_NOT_NULL(s);
    fedc_optimizer_init(opt, s);
    return s;
}

/* Creation with `o` fails with `want` and a message containing `needle`; *out stays NULL. */
static void expect_create_error(fedc_ctx *ctx, const fedc_optimizer_opts *o, int64_t n,
                                fedc_status want, const char *needle) {
    fedc_optimizer *opt = (fedc_optimizer *)&opt; /* non-NULL: create must reset it */
    fedc_ctx_clear(ctx);
    ASSERT_STATUS(fedc_optimizer_create(ctx, o, n, &opt), want);
    ASSERT_NULL(opt);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), needle);
}

/* ---- names and defaults -------------------------------------------------------------------- */

TEST(kind_names_and_parse) {
    static const char *names[] = {"sgd",  "adam",    "adamw",    "adagrad",
                                  "yogi", "rmsprop", "adafactor"};
    for (int k = 0; k < FEDC_OPTIMIZER_COUNT; k++) {
        ASSERT_STREQ(fedc_optimizer_kind_name((fedc_optimizer_kind)k), names[k]);
        fedc_optimizer_kind parsed = FEDC_OPTIMIZER_COUNT;
        ASSERT_TRUE(fedc_optimizer_kind_parse(names[k], &parsed));
        ASSERT_EQ(parsed, (fedc_optimizer_kind)k);
    }
    fedc_optimizer_kind parsed = FEDC_OPTIMIZER_ADAM;
    ASSERT_TRUE(fedc_optimizer_kind_parse("sgdm", &parsed));
    ASSERT_EQ(parsed, FEDC_OPTIMIZER_SGD);
    ASSERT_FALSE(fedc_optimizer_kind_parse("lamb", &parsed));
    ASSERT_FALSE(fedc_optimizer_kind_parse(NULL, &parsed));
    ASSERT_STREQ(fedc_optimizer_kind_name(FEDC_OPTIMIZER_COUNT), "invalid");
}

TEST(defaults_are_tffs) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    ASSERT_EQ(o.learning_rate, 0.01); /* build_sgdm */
    ASSERT_EQ(o.momentum, 0.0);
    ASSERT_FALSE(o.nesterov);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    ASSERT_EQ(o.beta_1, 0.9);
    ASSERT_EQ(o.beta_2, 0.999);
    ASSERT_EQ(o.epsilon, 1e-7);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAMW);
    ASSERT_EQ(o.weight_decay, 0.004);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAGRAD);
    ASSERT_EQ(o.initial_preconditioner_value, 0.1);
    ASSERT_EQ(o.epsilon, 1e-7);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_YOGI);
    ASSERT_EQ(o.beta_1, 0.9);
    ASSERT_EQ(o.beta_2, 0.999);
    ASSERT_EQ(o.epsilon, 1e-3);
    ASSERT_EQ(o.initial_preconditioner_value, 1e-6);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_RMSPROP);
    ASSERT_EQ(o.decay, 0.9);
    ASSERT_EQ(o.epsilon, 1e-7);
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    ASSERT_EQ(o.beta_2_decay, -0.8);
    ASSERT_EQ(o.epsilon_1, 1e-30);
    ASSERT_EQ(o.epsilon_2, 1e-3);
    ASSERT_EQ(o.clip_threshold, 1.0);
    ASSERT_TRUE(o.relative_step);
    ASSERT_EQ(fedc_optimizer_opts_default(FEDC_OPTIMIZER_COUNT).kind, FEDC_OPTIMIZER_SGD);
}

/* ---- validation ----------------------------------------------------------------------------- */

TEST(create_rejects_bad_hyperparameters) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.learning_rate = -0.1;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT,
                        "adam: learning_rate must be a finite number >= 0, got -0.1");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.beta_1 = 1.0;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT,
                        "adam: beta_1 must be in [0, 1), got 1");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_YOGI);
    o.beta_2 = -0.5;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "yogi: beta_2 must be in [0, 1)");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAMW);
    o.weight_decay = -1;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "adamw: weight_decay");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_RMSPROP);
    o.epsilon = NAN;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "rmsprop: epsilon");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_RMSPROP);
    o.decay = 1.0;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "rmsprop: decay");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.momentum = 1.5;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT,
                        "sgd: momentum must be in [0, 1], got 1.5");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.momentum = -0.5;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "sgd: momentum");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.nesterov = true;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "nesterov needs momentum > 0");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_YOGI);
    o.initial_preconditioner_value = 0;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "initial_preconditioner_value");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAGRAD);
    o.initial_preconditioner_value = -1;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "initial_preconditioner_value");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    o.clip_threshold = 0;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "adafactor: clip_threshold");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    o.beta_2_decay = 0.5;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "adafactor: beta_2_decay");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.kind = (fedc_optimizer_kind)42;
    expect_create_error(ctx, &o, 4, FEDC_STATUS_INVALID_ARGUMENT, "unknown kind 42");
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    expect_create_error(ctx, &o, -3, FEDC_STATUS_INVALID_ARGUMENT, "parameter count -3");
    expect_create_error(ctx, NULL, 4, FEDC_STATUS_INVALID_ARGUMENT, "opts is NULL");
}

TEST(create_checks_segments) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    fedc_shape segs[2] = {FEDC_SHAPE(3, 4), FEDC_SHAPE(5)};
    o.segments = segs;
    o.nsegments = 2;
    expect_create_error(ctx, &o, 16, FEDC_STATUS_SHAPE,
                        "the 2 segments hold 17 parameters, expected 16");
    segs[1].dims[0] = 0;
    expect_create_error(ctx, &o, 12, FEDC_STATUS_INVALID_ARGUMENT,
                        "segment 1 has dimension 0 of size 0");
    o.segments = NULL;
    expect_create_error(ctx, &o, 12, FEDC_STATUS_INVALID_ARGUMENT, "segments is NULL");
}

/* ---- state layout, hyperparameters and slots --------------------------------------------------
 */

TEST(state_layout_and_slots) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.learning_rate = 0.25;
    fedc_optimizer *opt = make(ctx, &o, 10);
    ASSERT_EQ(fedc_optimizer_get_kind(opt), FEDC_OPTIMIZER_ADAM);
    ASSERT_EQ(fedc_optimizer_nparams(opt), (int64_t)10);
    ASSERT_EQ(fedc_optimizer_hparam_count(opt), (size_t)4);
    ASSERT_STREQ(fedc_optimizer_hparam_name(opt, 0), "learning_rate");
    ASSERT_STREQ(fedc_optimizer_hparam_name(opt, 3), "epsilon");
    ASSERT_NULL(fedc_optimizer_hparam_name(opt, 4));
    ASSERT_EQ(fedc_optimizer_state_size(opt), (int64_t)(4 + 2 + 20));
    float *s = new_state(opt);
    ASSERT_EQ(s[0], 0.25f);
    ASSERT_EQ(s[1], 0.9f);
    ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)0);
    int64_t off = -1, len = -1;
    ASSERT_OK(fedc_optimizer_slot(ctx, opt, "accumulator", &off, &len));
    ASSERT_EQ(off, (int64_t)6);
    ASSERT_EQ(len, (int64_t)10);
    ASSERT_OK(fedc_optimizer_slot(ctx, opt, "preconditioner", &off, &len));
    ASSERT_EQ(off, (int64_t)16);
    ASSERT_STATUS(fedc_optimizer_slot(ctx, opt, "velocity", &off, &len), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "unknown slot 'velocity' (it has: accumulator, "
                                           "preconditioner)");
    free(s);
    fedc_optimizer_destroy(opt);

    /* Yogi's and Adagrad's preconditioners start at initial_preconditioner_value. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_YOGI);
    opt = make(ctx, &o, 3);
    s = new_state(opt);
    ASSERT_OK(fedc_optimizer_slot(ctx, opt, "preconditioner", &off, &len));
    for (int64_t i = 0; i < len; i++)
        ASSERT_EQ(s[off + i], 1e-6f);
    free(s);
    fedc_optimizer_destroy(opt);

    /* Plain SGD has one hyperparameter and no slot. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    opt = make(ctx, &o, 3);
    ASSERT_EQ(fedc_optimizer_state_size(opt), (int64_t)3);
    ASSERT_STATUS(fedc_optimizer_slot(ctx, opt, "accumulator", &off, &len), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no slots");
    fedc_optimizer_destroy(opt);

    /* Adafactor: factored [3,4] keeps 3 + 4 floats, [2,2,3] keeps 2 * (2 + 3), [5] keeps 5. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    fedc_shape segs[3] = {FEDC_SHAPE(3, 4), FEDC_SHAPE(2, 2, 3), FEDC_SHAPE(5)};
    o.segments = segs;
    o.nsegments = 3;
    opt = make(ctx, &o, 29);
    ASSERT_OK(fedc_optimizer_slot(ctx, opt, "moments", &off, &len));
    ASSERT_EQ(len, (int64_t)(7 + 10 + 5));
    ASSERT_EQ(fedc_optimizer_state_size(opt), (int64_t)(5 + 2 + 22));
    fedc_optimizer_destroy(opt);
}

TEST(hparams_get_set_by_name) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.momentum = 0.5;
    o.learning_rate = 0.1;
    fedc_optimizer *opt = make(ctx, &o, 2);
    float *s = new_state(opt);
    double v = 0;
    ASSERT_OK(fedc_optimizer_get_hparam(ctx, opt, s, "momentum", &v));
    ASSERT_EQ(v, 0.5);
    ASSERT_OK(fedc_optimizer_set_hparam(ctx, opt, s, "learning_rate", 0.5));
    ASSERT_OK(fedc_optimizer_get_hparam(ctx, opt, s, "learning_rate", &v));
    ASSERT_EQ(v, 0.5);
    ASSERT_STATUS(fedc_optimizer_get_hparam(ctx, opt, s, "beta_1", &v), FEDC_STATUS_NOT_FOUND);
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "sgd: unknown hyperparameter 'beta_1' (it has: learning_rate, momentum)");
    ASSERT_STATUS(fedc_optimizer_set_hparam(ctx, opt, s, "learning_rate", -1.0),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "learning_rate must be a finite number >= 0, got -1");
    ASSERT_OK(fedc_optimizer_get_hparam(ctx, opt, s, "learning_rate", &v));
    ASSERT_EQ(v, 0.5); /* unchanged by the rejected set */
    ASSERT_STATUS(fedc_optimizer_set_hparam(ctx, opt, s, NULL, 1.0), FEDC_STATUS_NOT_FOUND);

    /* The new rate is the one the step uses: w = 1 - 0.5 * 2. */
    float w[2] = {1.0f, 2.0f}, g[2] = {2.0f, 0.0f};
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_EQ(w[0], 0.0f);
    ASSERT_EQ(w[1], 2.0f);
    free(s);
    fedc_optimizer_destroy(opt);

    /* Without momentum at creation, sgd has no "momentum" hyperparameter (as TFF). */
    o.momentum = 0;
    opt = make(ctx, &o, 2);
    ASSERT_EQ(fedc_optimizer_hparam_count(opt), (size_t)1);
    s = new_state(opt);
    ASSERT_STATUS(fedc_optimizer_set_hparam(ctx, opt, s, "momentum", 0.9), FEDC_STATUS_NOT_FOUND);
    free(s);
    fedc_optimizer_destroy(opt);
}

/* ---- known answers, computed by hand --------------------------------------------------------- */

TEST(sgd_known_answers) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_SGD);
    o.learning_rate = 0.5;
    o.momentum = 0.5;
    fedc_optimizer *opt = make(ctx, &o, 1);
    float *s = new_state(opt);
    float w = 1.0f, g = 1.0f;
    /* v = 1, w = 1 - 0.5 = 0.5; then v = 0.5 + 1 = 1.5, w = 0.5 - 0.75 = -0.25 */
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(w, 0.5f);
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(w, -0.25f);
    free(s);
    fedc_optimizer_destroy(opt);

    o.nesterov = true;
    opt = make(ctx, &o, 1);
    s = new_state(opt);
    w = 1.0f;
    /* v = 1, w = 1 - 0.5 (1 + 0.5) = 0.25; v = 1.5, w = 0.25 - 0.5 (1 + 0.75) = -0.625 */
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(w, 0.25f);
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(w, -0.625f);
    free(s);
    fedc_optimizer_destroy(opt);
}

TEST(adaptive_known_answers) {
    /* Adam's first step with epsilon 0 moves each weight by exactly lr * sign(g). */
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.learning_rate = 0.1;
    o.epsilon = 0;
    fedc_optimizer *opt = make(ctx, &o, 2);
    float *s = new_state(opt);
    float w[2] = {1.0f, 1.0f}, g[2] = {3.0f, -0.25f};
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_NEAR(w[0], 0.9, 1e-6);
    ASSERT_NEAR(w[1], 1.1, 1e-6);
    free(s);
    fedc_optimizer_destroy(opt);

    /* AdamW adds lr * wd * w: 1 - 0.1 - 0.1 * 0.5 * 1 = 0.85. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAMW);
    o.learning_rate = 0.1;
    o.epsilon = 0;
    o.weight_decay = 0.5;
    opt = make(ctx, &o, 1);
    s = new_state(opt);
    w[0] = 1.0f;
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_NEAR(w[0], 0.85, 1e-6);
    free(s);
    fedc_optimizer_destroy(opt);

    /* Adagrad, g = 0.3: s = 0.1 + 0.09 = 0.19, sqrt(s + eps 0.06) = 0.5 (epsilon inside the
     * root, as TFF), w = 1 - 0.5 * 0.3 / 0.5 = 0.7. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAGRAD);
    o.learning_rate = 0.5;
    o.epsilon = 0.06;
    opt = make(ctx, &o, 1);
    s = new_state(opt);
    w[0] = 1.0f;
    g[0] = 0.3f;
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_NEAR(w[0], 0.7, 1e-6);
    free(s);
    fedc_optimizer_destroy(opt);

    /* RMSprop, decay 0.75, g = 2: s = 0.25 * 4 = 1, w = 1 - 0.1 * 2 / (sqrt(1) + eps 1) = 0.9
     * (epsilon outside the root). */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_RMSPROP);
    o.learning_rate = 0.1;
    o.decay = 0.75;
    o.epsilon = 1.0;
    opt = make(ctx, &o, 1);
    s = new_state(opt);
    w[0] = 1.0f;
    g[0] = 2.0f;
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_NEAR(w[0], 0.9, 1e-6);
    free(s);
    fedc_optimizer_destroy(opt);

    /* Adafactor, one unfactored weight, step 1: b2 = 0, v = g^2, u = sign(g), rms(u) = 1,
     * alpha = max(eps2, |w|) * min(lr, 1) = 2 * 0.1: w = 2 - 0.2. */
    o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR);
    o.learning_rate = 0.1;
    o.epsilon_1 = 0;
    opt = make(ctx, &o, 1);
    s = new_state(opt);
    w[0] = 2.0f;
    g[0] = -5.0f;
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    ASSERT_NEAR(w[0], 2.2, 1e-6);
    free(s);
    fedc_optimizer_destroy(opt);
}

TEST(empty_parameter_vector) {
    for (int k = 0; k < FEDC_OPTIMIZER_COUNT; k++) {
        fedc_optimizer_opts o = fedc_optimizer_opts_default((fedc_optimizer_kind)k);
        fedc_optimizer *opt = make(ctx, &o, 0);
        float *s = new_state(opt);
        ASSERT_OK(fedc_optimizer_next(ctx, opt, s, NULL, NULL));
        ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)1);
        free(s);
        fedc_optimizer_destroy(opt);
    }
}

/* ---- the step counter and corrupt states ---------------------------------------------------- */

TEST(step_counter_is_exact_past_2_to_24) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_optimizer *opt = make(ctx, &o, 1);
    float *s = new_state(opt);
    size_t h = fedc_optimizer_hparam_count(opt);
    s[h] = 16777215.0f; /* 2^24 - 1 steps taken */
    float w = 0, g = 1;
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)16777216);
    ASSERT_EQ(s[h], 0.0f);
    ASSERT_EQ(s[h + 1], 1.0f);
    ASSERT_OK(fedc_optimizer_next(ctx, opt, s, &w, &g));
    ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)16777217);

    s[h] = 16777215.0f;
    s[h + 1] = 16777215.0f;
    ASSERT_STATUS(fedc_optimizer_next(ctx, opt, s, &w, &g), FEDC_STATUS_OUT_OF_RANGE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "adam: the step counter is at its maximum");

    s[h] = 2.5f; /* an averaged state */
    float before = w;
    ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)-1);
    ASSERT_STATUS(fedc_optimizer_next(ctx, opt, s, &w, &g), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "step counter (2.5, 1.67772e+07) is not a count");
    ASSERT_EQ(w, before);
    free(s);
    fedc_optimizer_destroy(opt);
}

TEST(next_rejects_bad_hyperparameters_in_state) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_optimizer *opt = make(ctx, &o, 1);
    float *s = new_state(opt);
    s[1] = 1.5f; /* beta_1 */
    float w = 1, g = 1;
    ASSERT_STATUS(fedc_optimizer_next(ctx, opt, s, &w, &g), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "state: adam: beta_1 must be in [0, 1), got 1.5");
    ASSERT_EQ(w, 1.0f);
    ASSERT_EQ(fedc_optimizer_step_count(opt, s), (int64_t)0);
    s[1] = 0.9f;
    s[0] = -0.01f;
    ASSERT_STATUS(fedc_optimizer_next(ctx, opt, s, &w, &g), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "learning_rate");
    ASSERT_STATUS(fedc_optimizer_next(NULL, opt, s, &w, &g), FEDC_STATUS_INVALID_ARGUMENT);
    free(s);
    fedc_optimizer_destroy(opt);
}

/* ---- determinism ------------------------------------------------------------------------------
 */

/* N steps of `kind` on keyed random weights and gradients into w. */
static void run_steps(fedc_ctx *ctx, fedc_optimizer_kind kind, int64_t n, int steps, float *w) {
    fedc_optimizer_opts o = fedc_optimizer_opts_default(kind);
    fedc_shape segs[2] = {FEDC_SHAPE(8, 12), FEDC_SHAPE(n - 96)};
    if (kind == FEDC_OPTIMIZER_ADAFACTOR) {
        o.segments = segs;
        o.nsegments = 2;
    }
    if (kind == FEDC_OPTIMIZER_SGD) {
        o.momentum = 0.9;
        o.nesterov = true;
    }
    fedc_optimizer *opt = make(ctx, &o, n);
    float *s = new_state(opt);
    float *g = malloc((size_t)n * sizeof *g);
    ASSERT_NOT_NULL(g);
    fedc_rng rng = FEDC_RNG(fedc_test_seed(), (uint64_t)kind, FEDC_RNG_PURPOSE_TEST);
    for (int64_t i = 0; i < n; i++)
        w[i] = (float)fedc_rng_normal(&rng);
    for (int t = 0; t < steps; t++) {
        for (int64_t i = 0; i < n; i++)
            g[i] = (float)fedc_rng_normal(&rng);
        ASSERT_OK(fedc_optimizer_next(ctx, opt, s, w, g));
    }
    free(g);
    free(s);
    fedc_optimizer_destroy(opt);
}

TEST(same_inputs_give_bit_identical_weights) {
    enum { N = 128, STEPS = 50 };
    for (int k = 0; k < FEDC_OPTIMIZER_COUNT; k++) {
        float a[N], b[N], w0[N];
        run_steps(ctx, (fedc_optimizer_kind)k, N, STEPS, a);
        run_steps(ctx, (fedc_optimizer_kind)k, N, STEPS, b);
        run_steps(ctx, (fedc_optimizer_kind)k, N, 0, w0);
        if (memcmp(a, b, sizeof a) != 0)
            FAIL("%s: two runs differ", fedc_optimizer_kind_name((fedc_optimizer_kind)k));
        ASSERT_TRUE(memcmp(a, w0, sizeof a) != 0); /* the steps did move the weights */
        for (int i = 0; i < N; i++)
            ASSERT_TRUE(isfinite(a[i]));
    }
}

/* ---- allocation failures ----------------------------------------------------------------------
 */

typedef struct create_arg {
    fedc_optimizer_opts opts;
    int64_t n;
    fedc_optimizer *opt;
} create_arg;

static fedc_status create_op(fedc_ctx *ctx, void *p) {
    create_arg *a = p;
    return fedc_optimizer_create(ctx, &a->opts, a->n, &a->opt);
}

static void create_cleanup(void *p) {
    create_arg *a = p;
    fedc_optimizer_destroy(a->opt);
    a->opt = NULL;
}

TEST(create_survives_allocation_failures) {
    fedc_shape segs[2] = {FEDC_SHAPE(3, 4), FEDC_SHAPE(5)};
    create_arg a = {.opts = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAFACTOR), .n = 17};
    a.opts.segments = segs;
    a.opts.nsegments = 2;
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, create_op, create_cleanup, &a), 2L);
    a.opts = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    ASSERT_EQ(fedc_test_alloc_sweep(ctx, create_op, create_cleanup, &a), 1L);
}

/* ---- one optimizer, many threads ------------------------------------------------------------- */

typedef struct par_arg {
    const fedc_optimizer *opt;
    float *states, *weights;
    int64_t state_size, n;
    int failures[8];
} par_arg;

/* Client `index` runs 20 steps on its own state and weights, gradients keyed by its index. */
static void par_body(void *p, int64_t index, int worker) {
    (void)worker;
    par_arg *a = p;
    float *s = a->states + index * a->state_size, *w = a->weights + index * a->n;
    float g[16];
    fedc_rng rng = FEDC_RNG(7, (uint64_t)index, FEDC_RNG_PURPOSE_TEST);
    for (int t = 0; t < 20; t++) {
        for (int64_t i = 0; i < a->n; i++)
            g[i] = (float)fedc_rng_normal(&rng);
        if (fedc_optimizer_next(NULL, a->opt, s, w, g) != FEDC_STATUS_OK) a->failures[index]++;
    }
}

TEST(one_optimizer_serves_many_threads) {
    enum { CLIENTS = 8, N = 16 };
    fedc_optimizer_opts o = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_optimizer *opt = make(ctx, &o, N);
    int64_t ss = fedc_optimizer_state_size(opt);
    float *states = malloc((size_t)(2 * CLIENTS * ss) * sizeof *states);
    float weights[2][CLIENTS * N];
    ASSERT_NOT_NULL(states);
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < CLIENTS; c++)
            fedc_optimizer_init(opt, states + (r * CLIENTS + c) * ss);
        for (int i = 0; i < CLIENTS * N; i++)
            weights[r][i] = (float)(i % 5);
    }
    fedc_pool *pool = NULL;
    ASSERT_OK(fedc_pool_create(ctx, 4, &pool));
    par_arg threaded = {opt, states, weights[0], ss, N, {0}};
    par_arg inline_ = {opt, states + CLIENTS * ss, weights[1], ss, N, {0}};
    fedc_pool_parallel_for(pool, CLIENTS, par_body, &threaded);
    fedc_pool_parallel_for(NULL, CLIENTS, par_body, &inline_);
    fedc_pool_destroy(pool);
    for (int c = 0; c < CLIENTS; c++)
        ASSERT_EQ(threaded.failures[c] + inline_.failures[c], 0);
    ASSERT_EQ(memcmp(weights[0], weights[1], sizeof weights[0]), 0);
    ASSERT_EQ(memcmp(states, states + CLIENTS * ss, (size_t)(CLIENTS * ss) * sizeof *states), 0);
    free(states);
    fedc_optimizer_destroy(opt);
}
