/* test_model.c — the Sequential model: flat parameter layout and names, an end-to-end gradient
 * check through every layer kind and a loss, batch sizes that change between calls, same seed
 * => bit-identical parameters after SGD steps, argument errors, allocation-failure sweeps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn.h"
#include "harness/harness.h"
#include "nn/gradcheck.h"

/* A small CNN with one layer of every kind. */
static fedc_status small_cnn(fedc_ctx *ctx, uint64_t seed, fedc_model **out) {
    fedc_layer_spec l[] = {
        fedc_layer_conv2d(3, 3, 3, 1, 1, FEDC_PADDING_SAME, FEDC_ACTIVATION_TANH),
        fedc_layer_maxpool2d(2, 2, 0, 0, FEDC_PADDING_VALID),
        fedc_layer_conv2d(4, 2, 2, 1, 1, FEDC_PADDING_VALID, FEDC_ACTIVATION_SIGMOID),
        fedc_layer_avgpool2d(2, 2, 1, 1, FEDC_PADDING_SAME),
        fedc_layer_flatten(),
        fedc_layer_dropout(0.3),
        fedc_layer_dense(6, FEDC_ACTIVATION_GELU),
        fedc_layer_reshape(FEDC_SHAPE(2, 3)),
        fedc_layer_activation(FEDC_ACTIVATION_TANH),
        fedc_layer_flatten(),
        fedc_layer_dense(5, FEDC_ACTIVATION_SOFTMAX),
    };
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = seed;
    fedc_shape in = FEDC_SHAPE(6, 6, 2);
    return fedc_model_create(ctx, &in, l, sizeof l / sizeof l[0], &o, out);
}

TEST(layout_and_names) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 1, &m));
    ASSERT_EQ(fedc_model_num_layers(m), 11);
    /* [6,6,2] -conv-> [6,6,3] -pool-> [3,3,3] -conv-> [2,2,4] -pool-> [2,2,4] -> 16 */
    const fedc_layer *c0 = fedc_model_layer(m, 0), *c1 = fedc_model_layer(m, 2);
    ASSERT_EQ(c0->param_count, 57);
    ASSERT_EQ(c0->param_offset, 0);
    ASSERT_EQ(c1->param_offset, 57);
    ASSERT_EQ(c1->param_count, 52);
    ASSERT_EQ(fedc_model_layer(m, 4)->out_shape.dims[0], 2 * 2 * 4);
    ASSERT_EQ(fedc_model_layer(m, 6)->param_count, 16 * 6 + 6);
    ASSERT_EQ(fedc_model_num_params(m), 57 + 52 + 102 + 35);
    ASSERT_EQ(fedc_model_num_state(m), 0);
    ASSERT_PTR_EQ(c1->params, fedc_model_params(m) + 57);
    ASSERT_PTR_EQ(c1->grads, fedc_model_grads(m) + 57);
    ASSERT_STREQ(c0->name, "conv2d");
    ASSERT_STREQ(c1->name, "conv2d_1");
    ASSERT_STREQ(fedc_model_layer(m, 9)->name, "flatten_1");
    ASSERT_STREQ(fedc_model_layer(m, 10)->name, "dense_1");
    /* Biases start at zero (Keras's default), kernels do not. */
    const float *p = fedc_model_params(m);
    for (int i = 54; i < 57; i++)
        ASSERT_EQ(p[i], 0.0f);
    ASSERT_NE(p[0], 0.0f);
    fedc_shape out = fedc_model_output_shape(m);
    ASSERT_EQ(out.rank, 1);
    ASSERT_EQ(out.dims[0], 5);
    fedc_model_destroy(m);
}

TEST(custom_names_must_be_unique) {
    fedc_layer_spec l[] = {fedc_layer_dense(3, FEDC_ACTIVATION_RELU),
                           fedc_layer_dense(3, FEDC_ACTIVATION_RELU)};
    l[0].name = "hidden";
    l[1].name = "hidden";
    fedc_model *m;
    fedc_shape in = FEDC_SHAPE(4);
    ASSERT_STATUS(fedc_model_create(ctx, &in, l, 2, NULL, &m), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "layer 1: name 'hidden' already used by layer 0");
    l[1].name = "out";
    ASSERT_OK(fedc_model_create(ctx, &in, l, 2, NULL, &m));
    ASSERT_STREQ(fedc_model_layer(m, 0)->name, "hidden");
    ASSERT_STREQ(fedc_model_layer(m, 1)->spec.name, "out");
    fedc_model_destroy(m);
}

/* Loss of the model on (x, labels) with the dropout mask of step 0. */
static double model_loss(fedc_ctx *ctx, fedc_model *m, const fedc_tensor *x,
                         const fedc_tensor *labels, bool backward) {
    fedc_tensor y, dy;
    fedc_model_set_step(m, 0);
    ASSERT_OK(fedc_model_forward(ctx, m, x, true, &y));
    ASSERT_OK(fedc_tensor_alloc(ctx, &dy, FEDC_DTYPE_FLOAT32, &y.shape));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    double value;
    ASSERT_OK(fedc_loss_eval(ctx, &loss, &y, labels, NULL, &value, &dy));
    if (backward) ASSERT_OK(fedc_model_backward(ctx, m, &dy));
    fedc_tensor_free(&dy);
    return value;
}

TEST(end_to_end_gradient_check) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, fedc_test_seed(), &m));
    fedc_tensor x, labels;
    fedc_shape xs = FEDC_SHAPE(3, 6, 6, 2), ls = FEDC_SHAPE(3);
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &xs));
    ASSERT_OK(fedc_tensor_alloc(ctx, &labels, FEDC_DTYPE_INT64, &ls));
    gc_fill(x.data, fedc_tensor_numel(&x), -1.0f, 1.0f, 21);
    int64_t *lab = labels.data;
    lab[0] = 1, lab[1] = 4, lab[2] = 0;
    model_loss(ctx, m, &x, &labels, true);
    int64_t n = fedc_model_num_params(m);
    float *g = malloc((size_t)n * sizeof(float));
    memcpy(g, fedc_model_grads(m), (size_t)n * sizeof(float));
    float *p = fedc_model_params(m);
    int skipped = 0;
    double mid = model_loss(ctx, m, &x, &labels, false);
    for (int64_t i = 0; i < n; i++) {
        float keep = p[i], up = keep + 2e-3f, down = keep - 2e-3f;
        p[i] = up;
        double hi = model_loss(ctx, m, &x, &labels, false);
        p[i] = down;
        double lo = model_loss(ctx, m, &x, &labels, false);
        p[i] = keep;
        double num = (hi - lo) / ((double)up - (double)down);
        double fwd = (hi - mid) / ((double)up - keep), bwd = (mid - lo) / ((double)keep - down);
        if (fabs(fwd - bwd) > 1e-3 + 1e-2 * fabs(num)) {
            /* a max-pool near-tie flips within the step: the difference means nothing there */
            if (++skipped > n / 10)
                FAIL("%d of %lld points skipped as kinks", skipped, (long long)n);
            continue;
        }
        if (fabs(num - g[i]) > 1e-3 + 1e-2 * fabs(num))
            FAIL("param %lld: analytic %.7g, numeric %.7g", (long long)i, (double)g[i], num);
    }
    free(g);
    fedc_tensor_free(&x);
    fedc_tensor_free(&labels);
    fedc_model_destroy(m);
}

TEST(batch_size_varies_between_calls) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 3, &m));
    enum { B = 7, IN = 72 };
    float x[B * IN];
    gc_fill(x, B * IN, -1.0f, 1.0f, 31);
    fedc_shape xs = FEDC_SHAPE(B, 6, 6, 2), os = FEDC_SHAPE(B, 5);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), all, y;
    ASSERT_OK(fedc_tensor_alloc(ctx, &all, FEDC_DTYPE_FLOAT32, &os));
    ASSERT_OK(fedc_model_predict(ctx, m, &xt, &all));
    /* Each example alone, in batches of 1, 3 and 7 again, gives the same rows. */
    for (int64_t b = 0; b < B; b++) {
        fedc_shape one = FEDC_SHAPE(1, 6, 6, 2);
        fedc_tensor xb = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &one, x + b * IN);
        ASSERT_OK(fedc_model_forward(ctx, m, &xb, false, &y));
        ASSERT_FLOATS_NEAR((const float *)y.data, (const float *)all.data + b * 5, 5, 1e-6);
    }
    fedc_shape three = FEDC_SHAPE(3, 6, 6, 2);
    fedc_tensor x3 = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &three, x + 2 * IN);
    ASSERT_OK(fedc_model_forward(ctx, m, &x3, false, &y));
    ASSERT_FLOATS_NEAR((const float *)y.data, (const float *)all.data + 10, 15, 1e-6);
    ASSERT_OK(fedc_model_forward(ctx, m, &xt, false, &y));
    ASSERT_FLOATS_NEAR((const float *)y.data, (const float *)all.data, B * 5, 0);
    /* Softmax rows sum to one. */
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int j = 0; j < 5; j++)
            s += ((const float *)all.data)[b * 5 + j];
        ASSERT_NEAR(s, 1.0, 1e-6);
    }
    fedc_tensor_free(&all);
    fedc_model_destroy(m);
}

/* N SGD steps of batch 4 on fixed random data; returns a copy of the parameters. */
static float *train(fedc_ctx *ctx, uint64_t seed, int steps, int64_t *n) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, seed, &m));
    *n = fedc_model_num_params(m);
    float x[4 * 72];
    int32_t lab[4] = {0, 1, 2, 3};
    fedc_shape xs = FEDC_SHAPE(4, 6, 6, 2), ls = FEDC_SHAPE(4);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x);
    fedc_tensor lt = fedc_tensor_view(FEDC_DTYPE_INT32, &ls, lab), y, dy;
    fedc_shape ys = FEDC_SHAPE(4, 5);
    ASSERT_OK(fedc_tensor_alloc(ctx, &dy, FEDC_DTYPE_FLOAT32, &ys));
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    double first = 0, last = 0;
    for (int s = 0; s < steps; s++) {
        gc_fill(x, 4 * 72, -1.0f, 1.0f, 100 + (uint64_t)(s % 2));
        ASSERT_OK(fedc_model_forward(ctx, m, &xt, true, &y));
        ASSERT_OK(fedc_loss_eval(ctx, &loss, &y, &lt, NULL, &last, &dy));
        if (s == 0) first = last;
        ASSERT_OK(fedc_model_backward(ctx, m, &dy));
        float *p = fedc_model_params(m);
        const float *g = fedc_model_grads(m);
        for (int64_t i = 0; i < *n; i++)
            p[i] -= 0.5f * g[i];
    }
    ASSERT_LT(last, first); /* it learns */
    float *out = malloc((size_t)*n * sizeof(float));
    memcpy(out, fedc_model_params(m), (size_t)*n * sizeof(float));
    fedc_tensor_free(&dy);
    fedc_model_destroy(m);
    return out;
}

TEST(same_seed_bit_identical_after_sgd) {
    int64_t n1, n2, n3;
    float *a = train(ctx, 42, 30, &n1), *b = train(ctx, 42, 30, &n2), *c = train(ctx, 43, 30, &n3);
    ASSERT_EQ(n1, n2);
    ASSERT_TRUE(memcmp(a, b, (size_t)n1 * sizeof(float)) == 0);
    ASSERT_TRUE(memcmp(a, c, (size_t)n1 * sizeof(float)) != 0);
    free(a);
    free(b);
    free(c);
}

TEST(forward_backward_errors) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 1, &m));
    fedc_tensor x, y;
    fedc_shape bad = FEDC_SHAPE(2, 6, 5, 2);
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &bad));
    ASSERT_STATUS(fedc_model_backward(ctx, m, &x), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no forward pass");
    ASSERT_STATUS(fedc_model_forward(ctx, m, &x, false, &y), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "model input: expected shape [?,6,6,2], got [2,6,5,2]");
    fedc_tensor_free(&x);
    fedc_shape good = FEDC_SHAPE(2, 6, 6, 2);
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT64, &good));
    ASSERT_STATUS(fedc_model_forward(ctx, m, &x, false, &y), FEDC_STATUS_TYPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "expected float32, got float64");
    fedc_tensor_free(&x);
    ASSERT_OK(fedc_tensor_alloc(ctx, &x, FEDC_DTYPE_FLOAT32, &good));
    ASSERT_OK(fedc_model_forward(ctx, m, &x, true, &y));
    fedc_tensor dy;
    fedc_shape ds = FEDC_SHAPE(3, 5);
    ASSERT_OK(fedc_tensor_alloc(ctx, &dy, FEDC_DTYPE_FLOAT32, &ds));
    ASSERT_STATUS(fedc_model_backward(ctx, m, &dy), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "dy has batch 3, the last forward had 2");
    fedc_tensor small;
    fedc_shape ss = FEDC_SHAPE(2, 4);
    ASSERT_OK(fedc_tensor_alloc(ctx, &small, FEDC_DTYPE_FLOAT32, &ss));
    ASSERT_STATUS(fedc_model_predict(ctx, m, &x, &small), FEDC_STATUS_SHAPE);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "out must be float32 [2,5], got float32 [2,4]");
    fedc_tensor_free(&small);
    fedc_tensor_free(&dy);
    fedc_tensor_free(&x);
    fedc_shape in = FEDC_SHAPE(4);
    ASSERT_STATUS(fedc_model_create(ctx, &in, NULL, 0, NULL, &m), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no layers");
    fedc_model_destroy(NULL);
}

static fedc_status sweep_create(fedc_ctx *ctx, void *arg) {
    return small_cnn(ctx, 5, (fedc_model **)arg);
}

static fedc_status sweep_create_and_run(fedc_ctx *ctx, void *arg) {
    fedc_model **m = arg;
    fedc_status st = small_cnn(ctx, 5, m);
    if (st != FEDC_STATUS_OK) return st;
    static float x[2 * 72];
    fedc_shape xs = FEDC_SHAPE(2, 6, 6, 2);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), y;
    st = fedc_model_forward(ctx, *m, &xt, true, &y);
    if (st == FEDC_STATUS_OK) st = fedc_model_backward(ctx, *m, &y);
    if (st != FEDC_STATUS_OK) {
        fedc_model_destroy(*m);
        *m = NULL;
    }
    return st;
}

static void sweep_cleanup(void *arg) {
    fedc_model_destroy(*(fedc_model **)arg);
    *(fedc_model **)arg = NULL;
}

TEST(allocation_failures) {
    fedc_model *m = NULL;
    long n = fedc_test_alloc_sweep(ctx, sweep_create, sweep_cleanup, &m);
    ASSERT_GE(n, 6);
    fedc_test_alloc_sweep(ctx, sweep_create_and_run, sweep_cleanup, &m);
}

/* The model allocates nothing in steady state. The BLAS-less "opt" sgemm packs its panels in a
 * fedc_malloc per call (a tensor-layer choice), so there only the balance is checked. */
static void check_no_allocation(long count, long outstanding) {
    ASSERT_EQ(outstanding, 0);
    if (strcmp(fedc_kernels_name(), "opt") != 0) ASSERT_EQ(count, 0);
}

TEST(steady_state_has_no_allocation) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 1, &m));
    static float x[4 * 72];
    fedc_shape xs = FEDC_SHAPE(4, 6, 6, 2);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), y;
    ASSERT_OK(fedc_model_forward(ctx, m, &xt, true, &y));
    ASSERT_OK(fedc_model_backward(ctx, m, &y));
    fedc_test_alloc_begin(0, false);
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(fedc_model_forward(ctx, m, &xt, true, &y));
        ASSERT_OK(fedc_model_backward(ctx, m, &y));
    }
    long count = fedc_test_alloc_count(), outstanding = fedc_test_alloc_outstanding();
    fedc_test_alloc_end();
    check_no_allocation(count, outstanding);
    fedc_model_destroy(m);
}

TEST(gradients_in_one_call) {
    fedc_model *a, *b;
    ASSERT_OK(small_cnn(ctx, 9, &a));
    ASSERT_OK(small_cnn(ctx, 9, &b));
    static float x[3 * 72];
    gc_fill(x, 3 * 72, -1.0f, 1.0f, 51);
    int32_t lab[3] = {4, 0, 2};
    fedc_shape xs = FEDC_SHAPE(3, 6, 6, 2), ls = FEDC_SHAPE(3);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x);
    fedc_tensor lt = fedc_tensor_view(FEDC_DTYPE_INT32, &ls, lab);
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    double la, lb;
    ASSERT_OK(fedc_model_gradients(ctx, a, &loss, &xt, &lt, NULL, &la));
    /* The same by hand. */
    fedc_tensor y, dy;
    ASSERT_OK(fedc_model_forward(ctx, b, &xt, true, &y));
    ASSERT_OK(fedc_tensor_alloc(ctx, &dy, FEDC_DTYPE_FLOAT32, &y.shape));
    ASSERT_OK(fedc_loss_eval(ctx, &loss, &y, &lt, NULL, &lb, &dy));
    ASSERT_OK(fedc_model_backward(ctx, b, &dy));
    fedc_tensor_free(&dy);
    ASSERT_EQ(la, lb);
    ASSERT_TRUE(memcmp(fedc_model_grads(a), fedc_model_grads(b),
                       (size_t)fedc_model_num_params(a) * sizeof(float)) == 0);
    /* Steady state: no allocation. */
    fedc_test_alloc_begin(0, false);
    for (int i = 0; i < 3; i++)
        ASSERT_OK(fedc_model_gradients(ctx, a, &loss, &xt, &lt, NULL, &la));
    long count = fedc_test_alloc_count(), outstanding = fedc_test_alloc_outstanding();
    fedc_test_alloc_end();
    check_no_allocation(count, outstanding);
    /* A bad label is reported by the loss. */
    lab[1] = 9;
    ASSERT_STATUS(fedc_model_gradients(ctx, a, &loss, &xt, &lt, NULL, &la),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "row 1 has class 9, expected an integer in [0, 5)");
    fedc_model_destroy(a);
    fedc_model_destroy(b);
}

/* gradients reads x in place and drops its forward: a later backward has nothing to go back
 * through (and so cannot reach x after the caller has let it go). */
TEST(gradients_keeps_no_forward) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 9, &m));
    static float x[2 * 72];
    gc_fill(x, 2 * 72, -1.0f, 1.0f, 52);
    int32_t lab[2] = {1, 3};
    fedc_shape xs = FEDC_SHAPE(2, 6, 6, 2), ls = FEDC_SHAPE(2), ys = FEDC_SHAPE(2, 5);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x);
    fedc_tensor lt = fedc_tensor_view(FEDC_DTYPE_INT32, &ls, lab);
    fedc_loss loss = {FEDC_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false};
    double value;
    ASSERT_OK(fedc_model_gradients(ctx, m, &loss, &xt, &lt, NULL, &value));
    float g[2 * 5] = {0};
    fedc_tensor dy = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ys, g);
    ASSERT_STATUS(fedc_model_backward(ctx, m, &dy), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no forward pass");
    /* also after a failed loss */
    lab[0] = 7;
    ASSERT_STATUS(fedc_model_gradients(ctx, m, &loss, &xt, &lt, NULL, &value),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_model_backward(ctx, m, &dy), FEDC_STATUS_INVALID_ARGUMENT);
    fedc_model_destroy(m);
}

TEST(predict_in_chunks_matches_forward) {
    fedc_model *m;
    ASSERT_OK(small_cnn(ctx, 4, &m));
    enum { B = 300 };
    static float x[B * 72], want[B * 5];
    gc_fill(x, B * 72, -1.0f, 1.0f, 61);
    fedc_shape xs = FEDC_SHAPE(B, 6, 6, 2), os = FEDC_SHAPE(B, 5);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), y, out;
    ASSERT_OK(fedc_model_forward(ctx, m, &xt, false, &y));
    memcpy(want, y.data, sizeof want);
    ASSERT_OK(fedc_tensor_alloc(ctx, &out, FEDC_DTYPE_FLOAT32, &os));
    ASSERT_OK(fedc_model_predict(ctx, m, &xt, &out));
    ASSERT_FLOATS_NEAR((const float *)out.data, want, B * 5, 1e-6);
    fedc_tensor_free(&out);
    fedc_model_destroy(m);
}

TEST(clone_is_an_independent_copy) {
    fedc_model *a, *b;
    fedc_layer_spec l[] = {fedc_layer_dense(4, FEDC_ACTIVATION_RELU), fedc_layer_batch_norm(),
                           fedc_layer_dropout(0.5), fedc_layer_dense(3, FEDC_ACTIVATION_LINEAR)};
    l[3].name = "out";
    fedc_shape in = FEDC_SHAPE(5);
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = 77;
    ASSERT_OK(fedc_model_create(ctx, &in, l, 4, &o, &a));
    fedc_model_set_step(a, 5);
    fedc_model_state(a)[0] = 0.25f;
    ASSERT_OK(fedc_model_clone(ctx, a, &b));
    ASSERT_STREQ(fedc_model_layer(b, 3)->name, "out");
    ASSERT_STREQ(fedc_model_layer(b, 1)->name, "batch_normalization");
    ASSERT_EQ(fedc_model_step(b), 5);
    ASSERT_TRUE(memcmp(fedc_model_params(a), fedc_model_params(b),
                       (size_t)fedc_model_num_params(a) * sizeof(float)) == 0);
    ASSERT_EQ(fedc_model_state(b)[0], 0.25f);
    /* Same dropout stream and weights: the same training output. */
    static float x[2 * 5] = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5};
    fedc_shape xs = FEDC_SHAPE(2, 5);
    fedc_tensor xt = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x), ya, yb;
    ASSERT_OK(fedc_model_forward(ctx, a, &xt, true, &ya));
    ASSERT_OK(fedc_model_forward(ctx, b, &xt, true, &yb));
    ASSERT_FLOATS_NEAR((const float *)ya.data, (const float *)yb.data, 6, 0);
    fedc_model_params(b)[0] += 1.0f;
    ASSERT_NE(fedc_model_params(a)[0], fedc_model_params(b)[0]);
    fedc_model_destroy(b);
    fedc_model_destroy(a);
}

typedef struct clone_arg {
    fedc_model *src, *out;
} clone_arg;

static fedc_status sweep_clone(fedc_ctx *ctx, void *arg) {
    clone_arg *c = arg;
    return fedc_model_clone(ctx, c->src, &c->out);
}

static void sweep_clone_cleanup(void *arg) {
    clone_arg *c = arg;
    fedc_model_destroy(c->out);
    c->out = NULL;
}

TEST(clone_allocation_failures) {
    clone_arg c = {0};
    ASSERT_OK(small_cnn(ctx, 2, &c.src));
    fedc_test_alloc_sweep(ctx, sweep_clone, sweep_clone_cleanup, &c);
    fedc_model_destroy(c.src);
}
