/* test_scaffold.c — SCAFFOLD (option II) as a learning process: two rounds on a tiny model
 * computed by hand from the paper's equations, bit for bit, with the clients' control variates
 * read back from the store; 1 and 2 threads bit-identical over 3 rounds where clients come back;
 * the SQLite store (a round trip, and the same rounds as in memory, listing and clearing); a
 * store entry of the wrong length is an error naming the client; bad options; a run resumed from
 * a checkpoint gets the clients' control variates back.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/learning_train.h"
#include "learning/learning_int.h"
#include "learning/learning_testutil.h"
#include "learning/test_program_util.h"

static fedc_value *field(fedc_value *v, const char *name) {
    for (size_t i = 0; i < fedc_value_size(v); i++)
        if (fedc_value_name(v, i) && !strcmp(fedc_value_name(v, i), name))
            return fedc_value_item(v, i);
    FAIL("no field '%s'", name);
}

static const float *vec(fedc_value *v) { return fedc_value_get_tensor(v)->data; }

static fedc_value *member(fedc_value *s) {
    return fedc_value_get_kind(s) == FEDC_VALUE_FEDERATED ? fedc_value_item(s, 0) : s;
}

/* The clients `idx` of cd as {D*}@CLIENTS. */
static fedc_value *cohort(fedc_ctx *ctx, const fedc_client_data *cd, const int *idx, int n) {
    fedc_value *items[8], *v;
    ASSERT_LE(n, 8);
    for (int i = 0; i < n; i++)
        ASSERT_OK(fedc_value_client_sequence(ctx, cd, idx[i], &items[i]));
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, (size_t)n, items, &v));
    for (int i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

static fedc_process_opts scaffold_opts(int64_t population) {
    fedc_process_opts o = fedc_process_opts_default(FEDC_ALGORITHM_SCAFFOLD);
    o.client.batch_size = 2;
    o.population = population;
    return o;
}

#define P_TINY 6 /* Dense 2 -> 2 */

TEST(scaffold_two_rounds_equal_the_papers_equations_by_hand) {
    fedc_client_data *cd = ltest_clients(ctx, 2, 2, 2, 7); /* 3 and 5 examples */
    fedc_learning_model *lm = ltest_dense_model(ctx, 2, 2, 5);
    ASSERT_EQ(fedc_learning_model_num_trainable(lm), P_TINY);
    fedc_process_opts o = scaffold_opts(4);
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_client_store *store = fedc_learning_process_client_store(p);
    ASSERT_STREQ(fedc_client_store_kind(store), "memory");
    fedc_value *state, *data = ltest_clients_value(ctx, cd);
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));

    const float lr = (float)o.client.optimizer.learning_rate;
    float x[P_TINY], c[P_TINY] = {0}, ci[2][P_TINY] = {{0}};
    memcpy(x, fedc_learning_model_trainable(lm), sizeof x);
    for (int round = 0; round < 2; round++) {
        fedc_value *s2, *metrics;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &metrics));
        float acc_u[P_TINY] = {0}, acc_dc[P_TINY] = {0}, weight = 0;
        for (int k = 0; k < 2; k++) {
            fedc_learning_model *m;
            ASSERT_OK(fedc_learning_model_clone(ctx, lm, &m));
            float *y = fedc_learning_model_trainable(m), *g = fedc_learning_model_gradients(m);
            memcpy(y, x, sizeof x);
            float raw[P_TINY] = {0};
            int K = 0;
            fedc_dataset *ds, *b;
            ASSERT_OK(fedc_client_data_open(ctx, cd, k, &ds));
            ASSERT_OK(fedc_dataset_batch(ctx, ds, 2, false, &b));
            fedc_example *ex;
            ASSERT_OK(fedc_example_create(ctx, &ex));
            for (bool got;;) {
                ASSERT_OK(fedc_dataset_next(ctx, b, ex, &got));
                if (!got) break;
                const fedc_tensor *bx = fedc_example_get(ex, "x"), *by = fedc_example_get(ex, "y");
                fedc_batch batch = {bx->shape.dims[0], bx, by};
                fedc_forward_opts fo = {true, true, 0};
                fedc_forward_output res;
                ASSERT_OK(fedc_learning_model_forward(ctx, m, &batch, &fo, NULL, &res));
                for (int i = 0; i < P_TINY; i++) { /* y -= lr (g(y) - c_i + c) */
                    raw[i] += g[i];
                    y[i] = y[i] - lr * (g[i] - ci[k][i] + c[i]);
                }
                K++;
            }
            ASSERT_EQ(K, k == 0 ? 2 : 3);
            float klr = (float)K * lr;
            for (int i = 0; i < P_TINY; i++) { /* c_i+ = c_i - c + (x - y) / (K lr) */
                float u = x[i] - y[i], next = ci[k][i] - c[i] + u / klr;
                /* first round, c = c_i = 0: c_i+ is the mean gradient along the path */
                if (round == 0) ASSERT_NEAR(next, raw[i] / (float)K, 1e-5);
                acc_u[i] = acc_u[i] + u * 1.0f;
                acc_dc[i] = acc_dc[i] + (next - ci[k][i]) * 1.0f;
                ci[k][i] = next;
            }
            weight = weight + 1.0f;
            fedc_example_destroy(ex);
            fedc_dataset_destroy(b);
            fedc_learning_model_destroy(m);
        }
        /* x += 1.0 mean(delta y); c += (|S| / N) mean(delta c) */
        float scale = (float)(2 / 4.0);
        for (int i = 0; i < P_TINY; i++) {
            x[i] = x[i] - 1.0f * (acc_u[i] / weight);
            c[i] = c[i] + scale * (acc_dc[i] / weight);
        }
        fedc_value *s = member(s2);
        const float *got_x = vec(field(field(s, "global_model_weights"), "trainable"));
        const float *got_c = vec(field(field(s, "client_work"), "control"));
        ASSERT_EQ(memcmp(got_x, x, sizeof x), 0);
        ASSERT_EQ(memcmp(got_c, c, sizeof c), 0);
        float stored[P_TINY];
        for (int k = 0; k < 2; k++) {
            ASSERT_OK(fedc_client_store_get(ctx, store, k ? "c1" : "c0", P_TINY, stored));
            ASSERT_EQ(memcmp(stored, ci[k], sizeof stored), 0);
        }
        fedc_value_release(metrics);
        fedc_value_release(state);
        state = s2;
    }
    float zeros[P_TINY] = {0};
    ASSERT_NE(memcmp(c, zeros, sizeof c), 0);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* Three rounds over cohorts {0,1,2}, {1,3,4}, {0,1,2} with `store` (NULL: the process's own) on
 * `threads` (0: reference executor); the final state and the control variates of all 5 clients
 * (5 x P floats into cis). */
static fedc_value *three_rounds(fedc_ctx *ctx, fedc_learning_model *lm, const fedc_client_data *cd,
                                fedc_client_store *store, int threads, float *cis, int64_t P) {
    fedc_process_opts o = scaffold_opts(5);
    o.client.epochs = 2;
    o.client.shuffle_buffer = 3;
    o.server_optimizer.momentum = 0.5;
    o.client_store = store;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_pool *pool = NULL;
    if (threads) ASSERT_OK(fedc_pool_create(ctx, threads, &pool));
    static const int cohorts[3][3] = {{0, 1, 2}, {1, 3, 4}, {0, 1, 2}};
    fedc_value *state;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    for (int r = 0; r < 3; r++) {
        fedc_value *data = cohort(ctx, cd, cohorts[r], 3), *s2, *m;
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        e.window = 2;
        ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, &e, &s2, &m));
        fedc_value_release(state);
        fedc_value_release(m);
        fedc_value_release(data);
        state = s2;
    }
    for (int k = 0; k < 5; k++)
        ASSERT_OK(fedc_client_store_get(ctx, fedc_learning_process_client_store(p),
                                        fedc_client_data_client_id(cd, k), P, cis + k * P));
    fedc_pool_destroy(pool);
    fedc_learning_process_destroy(p);
    return state;
}

TEST(scaffold_is_bit_identical_on_1_and_2_threads_with_clients_coming_back) {
    fedc_client_data *cd = ltest_clients(ctx, 5, 4, 3, 2);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 9);
    int64_t P = fedc_learning_model_num_trainable(lm);
    float *cis[3];
    fedc_value *states[3];
    for (int t = 0; t < 3; t++) {
        cis[t] = fedc_malloc((size_t)(5 * P) * sizeof(float));
        states[t] = three_rounds(ctx, lm, cd, NULL, t, cis[t], P);
    }
    ASSERT_EQ(fedc_value_size(field(member(states[0]), "client_work")), 3);
    ASSERT_TRUE(fedc_value_equal(states[0], states[1]));
    ASSERT_TRUE(fedc_value_equal(states[1], states[2]));
    ASSERT_EQ(memcmp(cis[0], cis[1], (size_t)(5 * P) * sizeof(float)), 0);
    ASSERT_EQ(memcmp(cis[1], cis[2], (size_t)(5 * P) * sizeof(float)), 0);
    /* every client trained at least once, so each has a variate of its own */
    float zeros[64] = {0};
    ASSERT_LE(P, 64);
    for (int k = 0; k < 5; k++)
        ASSERT_NE(memcmp(cis[0] + k * P, zeros, (size_t)P * sizeof(float)), 0);
    for (int t = 0; t < 3; t++) {
        fedc_value_release(states[t]);
        fedc_free(cis[t]);
    }
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(scaffold_sqlite_store_round_trips_and_trains_as_memory_does) {
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/variates.sqlite", dir);
    fedc_client_store *s;
    ASSERT_OK(fedc_client_store_sqlite_open(ctx, path, &s));
    ASSERT_STREQ(fedc_client_store_kind(s), "sqlite");
    float a[3] = {1.5f, -2.25f, 1e-30f}, b[3] = {7, 8, 9}, out[3] = {4, 4, 4};
    ASSERT_OK(fedc_client_store_put(ctx, s, "alice", a, 3));
    ASSERT_OK(fedc_client_store_put(ctx, s, "bob", b, 3));
    ASSERT_OK(fedc_client_store_put(ctx, s, "bob", a, 3)); /* replaces */
    fedc_client_store_destroy(s);
    ASSERT_OK(fedc_client_store_sqlite_open(ctx, path, &s));
    ASSERT_OK(fedc_client_store_get(ctx, s, "alice", 3, out));
    ASSERT_EQ(memcmp(out, a, sizeof a), 0);
    ASSERT_OK(fedc_client_store_get(ctx, s, "bob", 3, out));
    ASSERT_EQ(memcmp(out, a, sizeof a), 0);
    ASSERT_OK(fedc_client_store_get(ctx, s, "carol", 3, out)); /* never seen: zeros */
    ASSERT_EQ(out[0], 0);
    ASSERT_EQ(out[2], 0);
    fedc_client_store_destroy(s);

    /* the same three rounds through a fresh SQLite store give the in-memory bits */
    fedc_client_data *cd = ltest_clients(ctx, 5, 4, 3, 2);
    fedc_learning_model *lm = ltest_dense_model(ctx, 4, 3, 9);
    int64_t P = fedc_learning_model_num_trainable(lm);
    float *mem = fedc_malloc((size_t)(5 * P) * sizeof(float)),
          *disk = fedc_malloc((size_t)(5 * P) * sizeof(float));
    snprintf(path, sizeof path, "%s/train.sqlite", dir);
    ASSERT_OK(fedc_client_store_sqlite_open(ctx, path, &s));
    fedc_value *sm = three_rounds(ctx, lm, cd, NULL, 0, mem, P);
    fedc_value *sd = three_rounds(ctx, lm, cd, s, 2, disk, P);
    ASSERT_TRUE(fedc_value_equal(sm, sd));
    ASSERT_EQ(memcmp(mem, disk, (size_t)(5 * P) * sizeof(float)), 0);

    /* the client work's blob names the store: "store=sqlite" in hex */
    fedc_process_opts o = scaffold_opts(5);
    o.client_store = s;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_learning_process_module(p), &text));
    ASSERT_CONTAINS(text, "73746f72653d73716c697465"); /* store=sqlite */
    ASSERT_CONTAINS(text, "control=float32[15]");
    ASSERT_CONTAINS(text, "control_delta=div(a.control_delta, a.control_delta_weight)");
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, "printed", text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_learning_process_module(p)));
    ASSERT_OK(fedc_comp_check(ctx, back));
    fedc_comp_destroy(back);
    fedc_free(text);
    fedc_learning_process_destroy(p);
    fedc_client_store_destroy(s);
    fedc_value_release(sm);
    fedc_value_release(sd);
    fedc_free(mem);
    fedc_free(disk);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
    ptest_rmtree(dir);
}

TEST(scaffold_store_entry_of_the_wrong_length_names_the_client) {
    fedc_client_data *cd = ltest_clients(ctx, 3, 2, 2, 1);
    fedc_learning_model *lm = ltest_dense_model(ctx, 2, 2, 1);
    fedc_client_store *mem;
    ASSERT_OK(fedc_client_store_memory(ctx, &mem));
    float junk[4] = {1, 2, 3, 4};
    ASSERT_OK(fedc_client_store_put(ctx, mem, "c2", junk, 4)); /* P is 6 */
    fedc_process_opts o = scaffold_opts(3);
    o.client_store = mem;
    fedc_learning_process *p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_value *state, *data = ltest_clients_value(ctx, cd), *s2 = NULL, *m = NULL;
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_STATUS(FEDC_STATUS_CORRUPT,
                  fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 'c2' has a vector of 4 floats, expected 6");
    fedc_learning_process_destroy(p);
    fedc_client_store_destroy(mem);

    /* in SQLite, a blob that is not whole floats, written by something else */
    char dir[64], path[128];
    ptest_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.sqlite", dir);
    fedc_client_store *disk;
    ASSERT_OK(fedc_client_store_sqlite_open(ctx, path, &disk));
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "INSERT INTO client_variates VALUES ('c1', x'01020304050607')", NULL,
                           NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    o.client_store = disk;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_STATUS(FEDC_STATUS_CORRUPT,
                  fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 'c1' has a vector of 7 bytes");
    fedc_learning_process_destroy(p);
    fedc_client_store_destroy(disk);
    ptest_rmtree(dir);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(scaffold_options_and_data_are_checked) {
    fedc_learning_model *lm = ltest_dense_model(ctx, 2, 2, 1);
    fedc_learning_process *p;
    fedc_process_opts o = scaffold_opts(0);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "population must be >= 1");
    o = scaffold_opts(10);
    o.client.optimizer = fedc_optimizer_opts_default(FEDC_OPTIMIZER_ADAM);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "sgd without momentum");
    o = scaffold_opts(10);
    o.aggregator = fedc_aggregator_dp_gaussian(1.0, 1.0, 2, 10, 0);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_learning_process_create(ctx, lm, &o, &p));

    /* sequences without client ids cannot key a control variate */
    o = scaffold_opts(10);
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
    fedc_client_data *cd = ltest_clients(ctx, 1, 2, 2, 1);
    fedc_value *seq, *collected, *data, *state, *s2 = NULL, *m = NULL;
    ASSERT_OK(fedc_value_client_sequence(ctx, cd, 0, &seq));
    ASSERT_OK(fedc_value_sequence_collect(ctx, seq, &collected));
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 1, &collected, &data));
    ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT,
                  fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client-data sequence");
    fedc_value_release(seq);
    fedc_value_release(collected);
    fedc_value_release(data);
    fedc_value_release(state);
    fedc_client_data_destroy(cd);
    fedc_learning_process_destroy(p);
    fedc_learning_model_destroy(lm);
}

TEST(mime_lite_and_scaffold_run_beside_clipping_zeroing_and_robust_aggregators) {
    fedc_client_data *cd = ltest_clients(ctx, 4, 3, 2, 4);
    fedc_learning_model *lm = ltest_dense_model(ctx, 3, 2, 4);
    fedc_aggregator zero = {.kind = FEDC_AGGREGATOR_ZEROING, .norm = 100, .inner = NULL};
    fedc_aggregator chains[2] = {
        {.kind = FEDC_AGGREGATOR_CLIPPING, .norm = 0.01, .inner = &zero},
        {.kind = FEDC_AGGREGATOR_MEDIAN, .capacity = 8},
    };
    fedc_value *data = ltest_clients_value(ctx, cd);
    for (int alg = 0; alg < 2; alg++)
        for (int k = 0; k < 2; k++) {
            fedc_process_opts o =
                alg ? scaffold_opts(4) : fedc_process_opts_default(FEDC_ALGORITHM_MIME_LITE);
            o.aggregator = chains[k];
            fedc_learning_process *p;
            ASSERT_OK(fedc_learning_process_create(ctx, lm, &o, &p));
            fedc_value *state, *s2, *m;
            ASSERT_OK(fedc_learning_process_initialize(ctx, p, &state));
            ASSERT_OK(fedc_learning_process_next(ctx, p, state, data, NULL, &s2, &m));
            double v;
            if (k == 0) { /* updates clipped to 0.01 (the second vector is not) */
                ASSERT_OK(fedc_metrics_get(ctx, m, "aggregator/clipped_count", &v));
                ASSERT_GE(v, 1);
            }
            ASSERT_OK(fedc_metrics_get(ctx, m, "finalizer/update_non_finite", &v));
            ASSERT_EQ(v, 0);
            fedc_value *cw = field(member(s2), "client_work");
            ASSERT_EQ(fedc_value_size(cw), 3);
            ASSERT_FALSE(fedc_value_equal(cw, field(member(state), "client_work")));
            fedc_value_release(state);
            fedc_value_release(s2);
            fedc_value_release(m);
            fedc_learning_process_destroy(p);
        }
    fedc_value_release(data);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

/* Collects a store's entries: ids and the sum of each vector's bits, in the order visited. */
typedef struct listing {
    int n;
    char ids[16][16];
    double sums[16];
} listing;

static fedc_status list_entry(fedc_ctx *ctx, void *user, const char *id, const float *v,
                              int64_t n) {
    (void)ctx;
    listing *l = user;
    if (l->n < 16) {
        snprintf(l->ids[l->n], sizeof l->ids[0], "%s", id);
        double s = 0;
        for (int64_t i = 0; i < n; i++)
            s += v[i];
        l->sums[l->n++] = s;
    }
    return FEDC_STATUS_OK;
}

TEST(scaffold_resumes_from_a_checkpoint_with_the_clients_control_variates) {
    fedc_client_data *cd = ltest_clients(ctx, 6, 2, 2, 17);
    fedc_learning_model *lm = ltest_dense_model(ctx, 2, 2, 18);
    fedc_process_opts po = scaffold_opts(6);
    fedc_learning_process *whole_p, *first_p, *resumed_p;
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &po, &whole_p));
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &po, &first_p));
    ASSERT_OK(fedc_learning_process_create(ctx, lm, &po, &resumed_p));
    char a_dir[] = "/tmp/fedc_scaffold_a_XXXXXX", b_dir[] = "/tmp/fedc_scaffold_b_XXXXXX";
    ASSERT_TRUE(mkdtemp(a_dir) != NULL);
    ASSERT_TRUE(mkdtemp(b_dir) != NULL);
    fedc_train_opts o = fedc_train_opts_default();
    o.rounds = 5;
    o.sampling.cohort_size = 3;
    o.checkpoint_every = 1;
    o.out_dir = a_dir;
    fedc_value *whole, *first, *resumed;
    ASSERT_OK(fedc_learning_process_initialize(ctx, whole_p, &whole));
    ASSERT_OK(fedc_train_run(ctx, whole_p, &whole, cd, NULL, &o));
    /* 3 rounds by one process, then 2 more by another whose store starts empty */
    o.out_dir = b_dir;
    o.rounds = 3;
    ASSERT_OK(fedc_learning_process_initialize(ctx, first_p, &first));
    ASSERT_OK(fedc_train_run(ctx, first_p, &first, cd, NULL, &o));
    o.rounds = 5;
    o.resume = true;
    ASSERT_OK(fedc_learning_process_initialize(ctx, resumed_p, &resumed));
    ASSERT_OK(fedc_train_run(ctx, resumed_p, &resumed, cd, NULL, &o));
    ASSERT_TRUE(fedc_value_equal(resumed, whole));
    listing lw = {0}, lr = {0};
    ASSERT_OK(
        fedc_client_store_each(ctx, fedc_learning_process_client_store(whole_p), list_entry, &lw));
    ASSERT_OK(fedc_client_store_each(ctx, fedc_learning_process_client_store(resumed_p), list_entry,
                                     &lr));
    ASSERT_GT(lw.n, 0);
    ASSERT_EQ(lr.n, lw.n);
    for (int i = 0; i < lw.n; i++) {
        ASSERT_STREQ(lr.ids[i], lw.ids[i]);
        ASSERT_EQ(lr.sums[i], lw.sums[i]);
        if (i) ASSERT_LT(strcmp(lw.ids[i - 1], lw.ids[i]), 0); /* in id order */
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", a_dir, b_dir);
    ASSERT_EQ(system(cmd), 0);
    fedc_value_release(whole);
    fedc_value_release(first);
    fedc_value_release(resumed);
    fedc_learning_process_destroy(whole_p);
    fedc_learning_process_destroy(first_p);
    fedc_learning_process_destroy(resumed_p);
    fedc_learning_model_destroy(lm);
    fedc_client_data_destroy(cd);
}

TEST(the_sqlite_store_lists_and_clears_its_entries) {
    char path[] = "/tmp/fedc_store_list_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    fedc_client_store *s;
    ASSERT_OK(fedc_client_store_sqlite_open(ctx, path, &s));
    float a[3] = {1, 2, 3}, b[2] = {4, 5};
    ASSERT_OK(fedc_client_store_put(ctx, s, "zed", a, 3));
    ASSERT_OK(fedc_client_store_put(ctx, s, "amy", b, 2));
    listing l = {0};
    ASSERT_OK(fedc_client_store_each(ctx, s, list_entry, &l));
    ASSERT_EQ(l.n, 2);
    ASSERT_STREQ(l.ids[0], "amy");
    ASSERT_EQ(l.sums[0], 9);
    ASSERT_STREQ(l.ids[1], "zed");
    ASSERT_EQ(l.sums[1], 6);
    ASSERT_OK(fedc_client_store_clear(ctx, s));
    listing none = {0};
    ASSERT_OK(fedc_client_store_each(ctx, s, list_entry, &none));
    ASSERT_EQ(none.n, 0);
    fedc_client_store_destroy(s);
    unlink(path);
}

TEST(a_cut_client_store_blob_is_corrupt_and_names_the_byte) {
    fedc_client_store *s, *t;
    ASSERT_OK(fedc_client_store_memory(ctx, &s));
    ASSERT_OK(fedc_client_store_memory(ctx, &t));
    float a[4] = {1, 2, 3, 4};
    ASSERT_OK(fedc_client_store_put(ctx, s, "c1", a, 4));
    ASSERT_OK(fedc_client_store_put(ctx, s, "c0", a, 2));
    uint8_t *blob;
    size_t len;
    ASSERT_OK(fedc__store_save(ctx, s, &blob, &len));
    ASSERT_EQ(len, 2 * (4 + 2 + 4) + 6 * sizeof(float));
    ASSERT_OK(fedc__store_load(ctx, t, blob, len));
    float back[4];
    ASSERT_OK(fedc_client_store_get(ctx, t, "c1", 4, back));
    ASSERT_EQ(memcmp(back, a, sizeof a), 0);
    ASSERT_STATUS(FEDC_STATUS_CORRUPT, fedc__store_load(ctx, t, blob, len - 3));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 'c1' of the client store is cut at byte");
    ASSERT_STATUS(FEDC_STATUS_CORRUPT, fedc__store_load(ctx, t, blob, 3));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "cut or bad at byte 0");
    fedc_free(blob);
    fedc_client_store_destroy(s);
    fedc_client_store_destroy(t);
}
