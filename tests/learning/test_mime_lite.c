/* test_mime_lite.c — MimeLite as a learning process: two rounds equal the same arithmetic as a
 * plain loop bit for bit (full gradient at the broadcast weights, local steps with the broadcast
 * base optimizer state frozen, weighted means, the server optimizer on the delta and the base
 * optimizer's state advanced by the mean gradient); the state's types; the module prints and
 * parses back; 1 and 2 threads give the same bits; a training run resumed from a checkpoint (which
 * holds the base optimizer's state) ends where an uninterrupted one does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/learning_train.h"
#include "learning/learning_testutil.h"

static fedc_value *field(fedc_value *v, const char *name) {
    for (size_t i = 0; i < fedc_value_size(v); i++)
        if (fedc_value_name(v, i) && !strcmp(fedc_value_name(v, i), name))
            return fedc_value_item(v, i);
    FAIL("no field '%s'", name);
}

static const float *vec(fedc_value *v) { return fedc_value_get_tensor(v)->data; }

/* The member of a S@SERVER state. */
static fedc_value *member(fedc_value *s) {
    return fedc_value_get_kind(s) == FEDC_VALUE_FEDERATED ? fedc_value_item(s, 0) : s;
}

/* A client's batches of `bs` examples in order, visited with the model's gradient at m. */
typedef struct batches {
    fedc_dataset *ds, *b;
    fedc_example *ex;
} batches;

static void batches_open(fedc_ctx *ctx, fedc_client_data *cd, int64_t c, int64_t bs, batches *it) {
    ASSERT_OK(fedc_client_data_open(ctx, cd, c, &it->ds));
    ASSERT_OK(fedc_dataset_batch(ctx, it->ds, bs, false, &it->b));
    ASSERT_OK(fedc_example_create(ctx, &it->ex));
}

/* The next batch's gradient at m's weights (false at the end); *n its size. */
static bool batches_grad(fedc_ctx *ctx, batches *it, fedc_learning_model *m, int64_t *n) {
    bool got;
    ASSERT_OK(fedc_dataset_next(ctx, it->b, it->ex, &got));
    if (!got) return false;
    const fedc_tensor *x = fedc_example_get(it->ex, "x"), *y = fedc_example_get(it->ex, "y");
    fedc_batch batch = {x->shape.dims[0], x, y};
    fedc_forward_opts fo = {true, true, 0};
    fedc_forward_output res;
    ASSERT_OK(fedc_learning_model_forward(ctx, m, &batch, &fo, NULL, &res));
    *n = batch.n;
    return true;
}

static void batches_close(batches *it) {
    fedc_example_destroy(it->ex);
    fedc_dataset_destroy(it->b); /* it owns it->ds */
}

#define MAXP 64
#define MAXS 256

/* One MimeLite round by hand from weights w and base optimizer state base (hparams first),
 * server optimizer state sstate; all three updated in place. */
static void plain_mime_round(fedc_ctx *ctx, fedc_learning_model *proto, fedc_client_data *cd,
                             const fedc_process_opts *o, const fedc_optimizer *copt,
                             const fedc_optimizer *sopt, float *w_srv, float *base, float *sstate) {
    int64_t P = fedc_learning_model_num_trainable(proto), C = fedc_optimizer_state_size(copt);
    float acc_u[MAXP] = {0}, acc_g[MAXP] = {0}, total = 0, total_g = 0;
    for (int64_t c = 0; c < fedc_client_data_num_clients(cd); c++) {
        fedc_learning_model *m;
        ASSERT_OK(fedc_learning_model_clone(ctx, proto, &m));
        float *w = fedc_learning_model_trainable(m), *g = fedc_learning_model_gradients(m);
        memcpy(w, w_srv, (size_t)P * sizeof(float));
        /* (a) the full gradient at the broadcast weights */
        float grad[MAXP] = {0}, examples = 0;
        batches it;
        int64_t n;
        batches_open(ctx, cd, c, o->client.batch_size, &it);
        while (batches_grad(ctx, &it, m, &n)) {
            for (int64_t i = 0; i < P; i++)
                grad[i] += g[i] * (float)n;
            examples += (float)n;
        }
        batches_close(&it);
        for (int64_t i = 0; i < P; i++)
            grad[i] = grad[i] / examples;
        /* (b) local steps, the base optimizer's state restored before each */
        batches_open(ctx, cd, c, o->client.batch_size, &it);
        while (batches_grad(ctx, &it, m, &n)) {
            float state[MAXS];
            memcpy(state, base, (size_t)C * sizeof(float));
            ASSERT_OK(fedc_optimizer_next(ctx, copt, state, w, g));
        }
        batches_close(&it);
        for (int64_t i = 0; i < P; i++) {
            acc_u[i] = acc_u[i] + (w_srv[i] - w[i]) * examples;
            acc_g[i] = acc_g[i] + grad[i] * examples;
        }
        total = total + examples;
        total_g = total_g + examples;
        fedc_learning_model_destroy(m);
    }
    float mean_u[MAXP], mean_g[MAXP], w_scratch[MAXP];
    for (int64_t i = 0; i < P; i++) {
        mean_u[i] = acc_u[i] / total;
        mean_g[i] = acc_g[i] / total_g;
    }
    memcpy(w_scratch, w_srv, (size_t)P * sizeof(float));
    ASSERT_OK(fedc_optimizer_next(ctx, sopt, sstate, w_srv, mean_u));
    ASSERT_OK(fedc_optimizer_next(ctx, copt, base, w_scratch, mean_g));
}

static fedc_process_opts mime_opts(void) {
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_MIME_LITE);
    o.client.batch_size = 2;
    o.client.optimizer.momentum = 0.9; /* a base optimizer with state to freeze */
    o.server_optimizer.learning_rate = 0.7;
    return o;
}

TEST(mime_lite_rounds_equal_a_plain_loop) {
    fedc_client_data *cd = ltest_clients(ctx, 4, 6, 3, 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 6, 3, 2);
    fedc_process_opts o = mime_opts();
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    int64_t P = fedc_learning_model_num_trainable(lm);
    fedc_optimizer *copt, *sopt;
    ASSERT_OK(fedc_optimizer_create(ctx, &o.client.optimizer, P, &copt));
    ASSERT_OK(fedc_optimizer_create(ctx, &o.server_optimizer, P, &sopt));
    int64_t C = fedc_optimizer_state_size(copt), H = (int64_t)fedc_optimizer_hparam_count(copt);
    ASSERT_LE(P, MAXP);
    ASSERT_LE(C, MAXS);
    float w[MAXP], base[MAXS], sstate[MAXS];
    memcpy(w, fedc_learning_model_trainable(lm), (size_t)P * sizeof(float));
    fedc_optimizer_init(copt, base);
    fedc_optimizer_init(sopt, sstate);

    fedc_value *state, *data = ltest_clients_value(ctx, cd);
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    for (int round = 0; round < 2; round++) {
        fedc_value *s2, *metrics;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &metrics));
        plain_mime_round(ctx, lm, cd, &o, copt, sopt, w, base, sstate);
        fedc_value *s = member(s2);
        const float *got_w = vec(field(field(s, "global_model_weights"), "trainable"));
        const float *got_base = vec(field(field(s, "client_work"), "optimizer_state"));
        ASSERT_EQ(memcmp(got_w, w, (size_t)P * sizeof(float)), 0);
        ASSERT_EQ(memcmp(got_base, base + H, (size_t)(C - H) * sizeof(float)), 0);
        double v;
        ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/train/num_examples", &v));
        ASSERT_EQ(v, 3 + 5 + 7 + 9);
        fedc_value_release(metrics);
        fedc_value_release(state);
        state = s2;
    }
    /* the base state moved away from its initial zeros: the momentum slot holds the gradient */
    float zeros[MAXS] = {0};
    ASSERT_NE(memcmp(base + H + 2, zeros, (size_t)(C - H - 2) * sizeof(float)), 0);
    fedc_optimizer_destroy(copt);
    fedc_optimizer_destroy(sopt);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(mime_lite_state_prints_parses_back_and_keeps_its_optimizer_state) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 2, 1);
    fedc_process_opts o = mime_opts();
    o.client.optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(p), &text));
    /* adam: 4 hparams, then the step counter (2) and two moments of P = 10 */
    ASSERT_CONTAINS(text,
                    "client_work=<hparams=float32[4],round=int32,optimizer_state=float32[22]>");
    ASSERT_CONTAINS(text, "gradient=float32[10]");
    ASSERT_CONTAINS(text, "gradient=div(a.gradient, a.gradient_weight)");
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, "printed", text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_learning_process_module(p)));
    ASSERT_OK(fedc_comp_check(ctx, back));
    fedc_comp_destroy(back);
    fedc_free(text);

    /* initialize gives the base optimizer's initial state; setters keep it */
    fedc_value *state, *weights, *s2, *s3;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    fedc_value *os = field(field(member(state), "client_work"), "optimizer_state");
    ASSERT_EQ(fedc_tensor_numel(fedc_value_get_tensor(os)), 22);
    ASSERT_OK(fedc_learning_process_get_model_weights(ctx, p, state, &weights));
    ASSERT_OK(fedc_learning_process_set_model_weights(ctx, p, state, weights, &s2));
    ASSERT_OK(fedc_learning_process_set_hparam(ctx, p, s2, "client/learning_rate", 0.5, &s3));
    double lr;
    ASSERT_OK(fedc_learning_process_get_hparam(ctx, p, s3, "client/learning_rate", &lr));
    ASSERT_EQ(lr, 0.5);
    ASSERT_TRUE(fedc_value_equal(os, field(field(member(s3), "client_work"), "optimizer_state")));
    ASSERT_EQ(fedc_learning_process_round(p, s3), 0);
    fedc_value_release(weights);
    fedc_value_release(s2);
    fedc_value_release(s3);
    fedc_value_release(state);
    fedc_learning_process_destroy(p);

    /* a DP aggregator would leave the full gradients unprotected */
    o.aggregator = fedc_aggregator_dp_gaussian(1.0, 1.0, 2, 10, 0);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "full gradients");
    fedc_learning_model_destroy(lm);
}

/* Runs `rounds` rounds on a pool of `threads` (0: the reference executor). */
static void run(fedc_ctx *ctx, fedc_learning_process *p, fedc_value *data, int rounds, int threads,
                fedc_value **state, fedc_value **metrics) {
    fedc_pool *pool = NULL;
    if (threads) ASSERT_OK(fedc_pool_create(ctx, threads, &pool));
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, state));
    *metrics = NULL;
    for (int r = 0; r < rounds; r++) {
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        e.window = 2;
        fedc_value *s2, *m2;
        ASSERT_OK(fedc_learning_process_next(ctx, p, *state, data, &e, &s2, &m2));
        fedc_value_release(*state);
        fedc_value_release(*metrics);
        *state = s2;
        *metrics = m2;
    }
    fedc_pool_destroy(pool);
}

TEST(mime_lite_is_bit_identical_on_1_and_2_threads) {
    fedc_client_data *cd = ltest_clients(ctx, 5, 5, 4, 3);
    fedc_learning_model *lm = ltest_dense_model(ctx, 5, 4, 4);
    fedc_process_opts o = mime_opts();
    o.client.optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    o.client.epochs = 2;
    o.client.shuffle_buffer = 4;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *data = ltest_clients_value(ctx, cd), *s0, *m0, *s1, *m1, *s2, *m2;
    run(ctx, p, data, 3, 0, &s0, &m0);
    run(ctx, p, data, 3, 1, &s1, &m1);
    run(ctx, p, data, 3, 2, &s2, &m2);
    ASSERT_EQ(fedc_learning_process_round(p, s0), 3);
    ASSERT_TRUE(fedc_value_equal(s0, s1));
    ASSERT_TRUE(fedc_value_equal(s1, s2));
    ASSERT_TRUE(fedc_value_equal(m0, m1));
    ASSERT_TRUE(fedc_value_equal(m1, m2));
    fedc_value *v[6] = {s0, m0, s1, m1, s2, m2};
    for (int i = 0; i < 6; i++)
        fedc_value_release(v[i]);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

static fedc_status stop_at_3(fedc_ctx *ctx, void *user, const fedc_round_report *r) {
    (void)user;
    if (r->round == 3) return fedc_ctx_errorf(ctx, FEDC_STATUS_CANCELLED, "stopped");
    return FEDC_STATUS_OK;
}

TEST(mime_lite_run_resumes_from_a_checkpoint_bit_identically) {
    fedc_client_data *cd = ltest_clients(ctx, 6, 4, 3, 21);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 22);
    fedc_process_opts po = mime_opts();
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &po, &p));
    char dir[] = "/tmp/fedc_mime_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    fedc_train_opts o = fedc_train_opts_default();
    o.rounds = 4;
    o.sampling.cohort_size = 3;
    fedc_value *whole, *part;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &whole));
    ASSERT_OK(fedc_train_run(ctx, p, &whole, cd, NULL, &o));
    o.checkpoint_every = 2;
    o.out_dir = dir;
    o.on_round = stop_at_3;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &part));
    ASSERT_STATUS(FEDC_STATUS_CANCELLED, fedc_train_run(ctx, p, &part, cd, NULL, &o));
    fedc_value_release(part);
    o.on_round = NULL;
    o.resume = true; /* from round 2's checkpoint */
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &part));
    ASSERT_OK(fedc_train_run(ctx, p, &part, cd, NULL, &o));
    ASSERT_EQ(fedc_learning_process_round(p, part), 4);
    ASSERT_TRUE(fedc_value_equal(part, whole));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
    fedc_value_release(part);
    fedc_value_release(whole);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}
