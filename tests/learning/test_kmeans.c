/* test_kmeans.c — federated k-means as a process: rounds recover well-separated centers held
 * non-IID by the clients; a round equals the same arithmetic written as a plain loop, bit for
 * bit; the reference and the threaded executor agree on any number of threads; the printed
 * module parses back; bad options and data that does not fit are refused with clear messages.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fedc/core_data.h"
#include "fedc/learning.h"
#include "fedc/learning_kmeans.h"
#include "harness/harness.h"

#define K 4
#define D 2

static const float kCenters[K][D] = {{-6, -6}, {-6, 6}, {6, -6}, {6, 6}};

/* `nclients` clients; client c holds 20 + 5 c points, four in five from cluster c % K and the
 * rest from the next cluster (non-IID), each its center plus N(0, 0.5^2) noise per value. The
 * feature is `x` float32[dim] (dim > D pads with zeros), with the cluster as label `y`. */
static fedc_client_data *clustered_clients(fedc_ctx *ctx, int nclients, int64_t dim,
                                           uint64_t seed) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int c = 0; c < nclients; c++) {
        char id[16];
        snprintf(id, sizeof id, "client%d", c);
        fedc_rng rng = FEDC_RNG(seed, (uint64_t)c, FEDC_RNG_PURPOSE_TEST);
        for (int i = 0; i < 20 + 5 * c; i++) {
            int cluster = (c + (i % 5 == 4)) % K;
            fedc_example_clear(ex);
            fedc_shape xs = FEDC_SHAPE(dim), s0 = FEDC_SHAPE0;
            fedc_tensor *t;
            ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
            float *x = t->data;
            for (int64_t j = 0; j < dim; j++)
                x[j] = j < D ? kCenters[cluster][j] + 0.5f * (float)fedc_rng_normal(&rng) : 0;
            ASSERT_OK(fedc_example_set(ctx, ex, "y", FEDC_DTYPE_INT32, &s0, &t));
            *(int32_t *)t->data = cluster;
            ASSERT_OK(fedc_memory_data_add(ctx, b, id, ex));
        }
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    return cd;
}

static fedc_kmeans_opts opts_kd(int64_t k, int64_t d) {
    fedc_kmeans_opts o = fedc_kmeans_opts_default();
    o.k = k;
    o.d = d;
    return o;
}

/* Runs `rounds` rounds from initialize; the final state and the last metrics. */
static void run_rounds(fedc_ctx *ctx, fedc_kmeans_process *p, fedc_value *data, int rounds,
                       fedc_pool *pool, fedc_value **state, fedc_value **metrics) {
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, state));
    *metrics = NULL;
    for (int r = 0; r < rounds; r++) {
        fedc_exec_opts e = fedc_exec_opts_default();
        e.pool = pool;
        e.window = 2;
        fedc_value *s2, *m2;
        ASSERT_OK(fedc_kmeans_process_next(ctx, p, *state, data, &e, &s2, &m2));
        fedc_value_release(*state);
        fedc_value_release(*metrics);
        *state = s2;
        *metrics = m2;
    }
}

TEST(kmeans_rounds_recover_well_separated_centers_from_non_iid_clients) {
    fedc_client_data *cd = clustered_clients(ctx, 8, D, 11);
    fedc_value *data;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    /* starts 3 away from each center, in its quadrant, so assignment is right from round 1 */
    float start[K * D];
    for (int c = 0; c < K; c++)
        for (int j = 0; j < D; j++)
            start[c * D + j] = kCenters[c][j] * 0.5f;
    fedc_kmeans_opts o = opts_kd(K, D);
    o.initial_centroids = start;
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value *state, *metrics;
    run_rounds(ctx, p, data, 3, NULL, &state, &metrics);
    float c[K * D];
    int32_t w[K];
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, state, c, w));
    int64_t points = 0;
    for (int i = 0; i < 8; i++)
        points += 20 + 5 * i;
    int64_t absorbed = 0;
    for (int k = 0; k < K; k++) {
        for (int j = 0; j < D; j++)
            ASSERT_NEAR(c[k * D + j], kCenters[k][j], 0.2);
        absorbed += w[k];
    }
    ASSERT_EQ(absorbed, 3 * points); /* every point of every round, once */
    double n, mse;
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/num_examples", &n));
    ASSERT_OK(fedc_metrics_get(ctx, metrics, "client_work/mean_squared_distance", &mse));
    ASSERT_EQ(n, (double)points);
    ASSERT_NEAR(mse, 2 * 0.25, 0.1); /* D values of variance 0.25 each */
    fedc_value_release(state);
    fedc_value_release(metrics);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

/* Two rounds by hand: per client, each point to the nearest centroid (float64 distances in
 * coordinate order, ties to the lower index), float32 sums in example order; clients summed in
 * client order; TFF's update in float32. The same operations in the same order as the process,
 * so the same bits. */
static void plain_rounds(fedc_ctx *ctx, fedc_client_data *cd, int rounds, float *c, int32_t *w,
                         int32_t *n_out, double *mse_out) {
    for (int r = 0; r < rounds; r++) {
        float sums[K * D] = {0};
        int32_t counts[K] = {0}, n = 0;
        double sq = 0;
        for (int64_t cl = 0; cl < fedc_client_data_num_clients(cd); cl++) {
            float s_c[K * D] = {0};
            int32_t k_c[K] = {0}, n_c = 0;
            double sq_c = 0;
            fedc_dataset *ds;
            fedc_example *ex;
            ASSERT_OK(fedc_client_data_open(ctx, cd, cl, &ds));
            ASSERT_OK(fedc_example_create(ctx, &ex));
            for (;;) {
                bool got;
                ASSERT_OK(fedc_dataset_next(ctx, ds, ex, &got));
                if (!got) break;
                const float *x = fedc_example_get(ex, "x")->data;
                int best = 0;
                double best_d = INFINITY;
                for (int k = 0; k < K; k++) {
                    double s = 0;
                    for (int j = 0; j < D; j++) {
                        double t = (double)x[j] - (double)c[k * D + j];
                        s += t * t;
                    }
                    if (s < best_d) {
                        best = k;
                        best_d = s;
                    }
                }
                for (int j = 0; j < D; j++)
                    s_c[best * D + j] += x[j];
                k_c[best]++;
                n_c++;
                sq_c += best_d;
            }
            fedc_example_destroy(ex);
            fedc_dataset_destroy(ds);
            for (int i = 0; i < K * D; i++)
                sums[i] = cl ? sums[i] + s_c[i] : s_c[i];
            for (int k = 0; k < K; k++)
                counts[k] += k_c[k];
            n += n_c;
            sq = cl ? sq + sq_c : sq_c;
        }
        for (int k = 0; k < K; k++) {
            int32_t total = w[k] + counts[k];
            float denominator = (float)total > 1.0f ? (float)total : 1.0f;
            float old_scale = (float)w[k] / denominator, new_scale = 1.0f / denominator;
            for (int j = 0; j < D && counts[k] > 0; j++)
                c[k * D + j] = old_scale * c[k * D + j] + new_scale * sums[k * D + j];
            w[k] = total;
        }
        *n_out = n;
        *mse_out = sq / (n > 1 ? (double)n : 1.0);
    }
}

TEST(kmeans_rounds_equal_a_plain_loop_bit_for_bit) {
    /* random initial centroids (N(0,1) near the origin): assignments are uneven, some clusters
     * may receive nothing, and the second round mixes old and new weights */
    fedc_client_data *cd = clustered_clients(ctx, 5, D, 23);
    fedc_value *data;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    fedc_kmeans_opts o = opts_kd(K, D);
    o.seed = 5;
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value *s0, *s, *m;
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &s0));
    float want[K * D], got[K * D];
    int32_t want_w[K], got_w[K];
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, s0, want, want_w));
    for (int k = 0; k < K; k++)
        ASSERT_EQ(want_w[k], 0);
    for (int r = 1; r <= 2; r++) {
        ASSERT_OK(fedc_kmeans_process_next(ctx, p, s0, data, NULL, &s, &m));
        int32_t n;
        double mse, got_n, got_mse;
        plain_rounds(ctx, cd, 1, want, want_w, &n, &mse);
        ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, s, got, got_w));
        ASSERT_EQ(memcmp(got, want, sizeof got), 0);
        ASSERT_EQ(memcmp(got_w, want_w, sizeof got_w), 0);
        ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/num_examples", &got_n));
        ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/mean_squared_distance", &got_mse));
        ASSERT_EQ(got_n, (double)n);
        ASSERT_EQ(memcmp(&got_mse, &mse, sizeof mse), 0);
        fedc_value_release(s0);
        fedc_value_release(m);
        s0 = s;
    }
    fedc_value_release(s0);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

TEST(kmeans_initial_centroids_come_from_the_seed) {
    fedc_kmeans_process *a, *b, *c;
    fedc_kmeans_opts o = opts_kd(50, 4);
    o.seed = 7;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &a));
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &b));
    o.seed = 8;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &c));
    static float ca[200], cb[200], cc[200];
    fedc_value *sa, *sb, *sc;
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, a, &sa));
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, b, &sb));
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, c, &sc));
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, a, sa, ca, NULL));
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, b, sb, cb, NULL));
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, c, sc, cc, NULL));
    ASSERT_EQ(memcmp(ca, cb, sizeof ca), 0);
    ASSERT_NE(memcmp(ca, cc, sizeof ca), 0);
    /* standard normal: mean near 0, variance near 1 over 200 draws */
    double mean = 0, var = 0;
    for (int i = 0; i < 200; i++)
        mean += ca[i] / 200.0;
    for (int i = 0; i < 200; i++)
        var += (ca[i] - mean) * (ca[i] - mean) / 199.0;
    ASSERT_NEAR(mean, 0, 0.3);
    ASSERT_NEAR(var, 1, 0.35);
    fedc_value_release(sa);
    fedc_value_release(sb);
    fedc_value_release(sc);
    fedc_kmeans_process_destroy(a);
    fedc_kmeans_process_destroy(b);
    fedc_kmeans_process_destroy(c);
}

/* Every client's sequence read into memory: the generic path of the client step. */
static fedc_value *collected(fedc_ctx *ctx, fedc_value *clients) {
    size_t n = fedc_value_size(clients);
    fedc_value *items[16];
    ASSERT_LE(n, 16);
    for (size_t i = 0; i < n; i++)
        ASSERT_OK(fedc_value_sequence_collect(ctx, fedc_value_item(clients, i), &items[i]));
    fedc_value *v;
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, &v));
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return v;
}

TEST(kmeans_is_bit_identical_across_executors_threads_and_data_paths) {
    fedc_client_data *cd = clustered_clients(ctx, 7, D, 31);
    fedc_value *data;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    fedc_kmeans_opts o = opts_kd(K, D);
    o.seed = 2;
    o.element_type = "<x=float32[2],y=int32>"; /* the labels ride along, unread */
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value *ref_s, *ref_m;
    run_rounds(ctx, p, data, 3, NULL, &ref_s, &ref_m);
    int threads[] = {1, 2};
    for (int t = 0; t < 2; t++) {
        fedc_pool *pool;
        ASSERT_OK(fedc_pool_create(ctx, threads[t], &pool));
        fedc_value *s, *m;
        run_rounds(ctx, p, data, 3, pool, &s, &m);
        ASSERT_TRUE(fedc_value_equal(s, ref_s));
        ASSERT_TRUE(fedc_value_equal(m, ref_m));
        fedc_value_release(s);
        fedc_value_release(m);
        fedc_pool_destroy(pool);
    }
    /* sequences in memory are checked against the element type and read element by element */
    fedc_value *mem = collected(ctx, data), *s, *m;
    run_rounds(ctx, p, mem, 3, NULL, &s, &m);
    ASSERT_TRUE(fedc_value_equal(s, ref_s));
    ASSERT_TRUE(fedc_value_equal(m, ref_m));
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(mem);
    fedc_value_release(ref_s);
    fedc_value_release(ref_m);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

/* Prints the module and writes its binary form; each read back equals the module. */
static void round_trips(fedc_ctx *ctx, fedc_kmeans_process *p, const char *must_contain) {
    char *text;
    ASSERT_OK(fedc_comp_print(ctx, fedc_kmeans_process_module(p), &text));
    ASSERT_CONTAINS(text, "next = (state: <global_model_weights=float32[");
    ASSERT_CONTAINS(text, "native(\"fedc.learning.kmeans_step\"");
    ASSERT_CONTAINS(text, must_contain);
    fedc_comp *back;
    ASSERT_OK(fedc_comp_parse(ctx, "printed", text, &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_kmeans_process_module(p)));
    ASSERT_OK(fedc_comp_check(ctx, back));
    fedc_comp_destroy(back);
    fedc_free(text);
    /* and the binary form, which ships it to another process */
    void *bin;
    size_t len;
    ASSERT_OK(fedc_comp_to_binary(ctx, fedc_kmeans_process_module(p), &bin, &len));
    ASSERT_OK(fedc_comp_from_binary(ctx, bin, len, "kmeans.pb", &back));
    ASSERT_TRUE(fedc_comp_equal(back, fedc_kmeans_process_module(p)));
    fedc_comp_destroy(back);
    fedc_free(bin);
}

TEST(kmeans_module_prints_and_parses_back) {
    fedc_kmeans_process *p;
    fedc_kmeans_opts o = opts_kd(3, 5);
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    round_trips(ctx, p, "native(\"fedc.learning.kmeans_init\"");
    fedc_kmeans_process_destroy(p);
    /* given centroids become a literal that keeps their bits: integers, tiny and negative
     * values, the largest float */
    float start[2 * 2] = {1.0f, -2.5f, 1e-8f, 3.4028235e38f};
    o = opts_kd(2, 2);
    o.initial_centroids = start;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    round_trips(ctx, p, "initial_centroids = ( -> [[1.0, -2.5]");
    fedc_value *s;
    float got[4];
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &s));
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, s, got, NULL));
    ASSERT_EQ(memcmp(got, start, sizeof got), 0);
    fedc_value_release(s);
    fedc_kmeans_process_destroy(p);
}

TEST(kmeans_refuses_bad_options) {
    fedc_kmeans_process *p = (fedc_kmeans_process *)1;
    fedc_kmeans_opts o = opts_kd(0, 2);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "k (clusters) must be >= 1, got 0");
    ASSERT_NULL(p);
    o = opts_kd(3, -1);
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "d (values per point) must be >= 1, got -1");
    o = opts_kd(3, 2);
    o.feature = "x; y";
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "feature name 'x; y'");
    float bad[6] = {0, 0, 0, NAN, 0, 0};
    o = opts_kd(3, 2);
    o.initial_centroids = bad;
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "initial centroid 1 has a non-finite value at 1");
    o = opts_kd(3, 2);
    o.element_type = "<x=float32[3],y=int32>";
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "feature 'x' of the element type is float32[3] (3 values), the centroids "
                    "have d=2");
    o.element_type = "<pixels=float32[2]>";
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "has no numeric tensor feature 'x'");
    o.element_type = "<x=float32[2";
    ASSERT_STATUS(FEDC_STATUS_PARSE, fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "element type '<x=float32[2'");
    ASSERT_NULL(p);
}

TEST(kmeans_refuses_data_that_does_not_fit) {
    fedc_client_data *cd = clustered_clients(ctx, 2, 3, 41); /* points of 3 values */
    fedc_value *data, *state, *s2 = NULL, *m2 = NULL;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    fedc_kmeans_opts o = opts_kd(K, D);
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &state));
    ASSERT_STATUS(FEDC_STATUS_SHAPE, fedc_kmeans_process_next(ctx, p, state, data, NULL, &s2, &m2));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "client 0");
    ASSERT_CONTAINS(fedc_ctx_message(ctx),
                    "example 0: feature 'x' has shape [3] (3 values), the centroids have d=2");
    ASSERT_NULL(s2);
    fedc_kmeans_process_destroy(p);
    /* a feature the examples lack */
    o.feature = "pixels";
    o.d = 3;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value_release(state);
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &state));
    ASSERT_STATUS(FEDC_STATUS_NOT_FOUND,
                  fedc_kmeans_process_next(ctx, p, state, data, NULL, &s2, &m2));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no feature 'pixels'");
    /* no state, or a value that is not a state of this process */
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT,
                  fedc_kmeans_process_next(ctx, p, NULL, data, NULL, &s2, &m2));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "no state given");
    fedc_value *other;
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &other));
    fedc_kmeans_process *q;
    o = opts_kd(K + 1, D);
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &q));
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_kmeans_process_next(ctx, q, other, data, NULL, &s2, &m2));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "global_model_weights");
    fedc_kmeans_process_destroy(q);
    fedc_value_release(other);
    float c[K * D];
    ASSERT_STATUS(FEDC_STATUS_TYPE, fedc_kmeans_process_centroids(ctx, p, data, c, NULL));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "k-means state: expected");
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

TEST(kmeans_clusters_emnist_pixels_on_any_number_of_threads) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite", fedc_test_data_dir());
    FILE *f = fopen(path, "rb");
    if (!f) SKIP("no %s", path);
    fclose(f);
    fedc_sqlite_opts so = fedc_sqlite_opts_default();
    so.split_name = "digits_only_train";
    fedc_client_data *cd;
    ASSERT_OK(fedc_client_data_open_sqlite(ctx, path, &so, &cd));
    fedc_value *data;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    fedc_kmeans_opts o = opts_kd(10, 784);
    o.feature = "pixels";
    o.element_type = "<label=int64[1],pixels=float32[784]>"; /* as tf.train.Example stores them */
    o.seed = 3;
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value *ref_s, *ref_m, *s, *m;
    run_rounds(ctx, p, data, 2, NULL, &ref_s, &ref_m);
    double n, mse;
    ASSERT_OK(fedc_metrics_get(ctx, ref_m, "client_work/num_examples", &n));
    ASSERT_OK(fedc_metrics_get(ctx, ref_m, "client_work/mean_squared_distance", &mse));
    ASSERT_EQ(n, 415);
    ASSERT_GT(mse, 0);
    static float c[10 * 784];
    int32_t w[10], total = 0;
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, ref_s, c, w));
    for (int k = 0; k < 10; k++)
        total += w[k];
    ASSERT_EQ(total, 2 * 415);
    fedc_pool *pool;
    ASSERT_OK(fedc_pool_create(ctx, 2, &pool));
    run_rounds(ctx, p, data, 2, pool, &s, &m);
    ASSERT_TRUE(fedc_value_equal(s, ref_s));
    ASSERT_TRUE(fedc_value_equal(m, ref_m));
    fedc_value_release(s);
    fedc_value_release(m);
    /* the element type is the file's: sequences read into memory pass the executor's check */
    fedc_value *mem = collected(ctx, data);
    run_rounds(ctx, p, mem, 2, pool, &s, &m);
    ASSERT_TRUE(fedc_value_equal(s, ref_s));
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(mem);
    fedc_pool_destroy(pool);
    fedc_value_release(ref_s);
    fedc_value_release(ref_m);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

TEST(kmeans_round_without_points_keeps_the_centroids) {
    float start[K * D] = {1, 2, 3, 4, 5, 6, 7, 8};
    fedc_kmeans_opts o = opts_kd(K, D);
    o.initial_centroids = start;
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    fedc_value *empty[2], *data, *s0, *s, *m;
    for (int i = 0; i < 2; i++)
        ASSERT_OK(fedc_value_sequence(ctx, 0, NULL, &empty[i]));
    ASSERT_OK(fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, 2, empty, &data));
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &s0));
    ASSERT_OK(fedc_kmeans_process_next(ctx, p, s0, data, NULL, &s, &m));
    float c[K * D];
    int32_t w[K];
    ASSERT_OK(fedc_kmeans_process_centroids(ctx, p, s, c, w));
    ASSERT_EQ(memcmp(c, start, sizeof c), 0);
    for (int k = 0; k < K; k++)
        ASSERT_EQ(w[k], 0);
    double n, mse;
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/num_examples", &n));
    ASSERT_OK(fedc_metrics_get(ctx, m, "client_work/mean_squared_distance", &mse));
    ASSERT_EQ(n, 0);
    ASSERT_EQ(mse, 0);
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(s0);
    fedc_value_release(data);
    for (int i = 0; i < 2; i++)
        fedc_value_release(empty[i]);
    fedc_kmeans_process_destroy(p);
}

TEST(kmeans_refuses_points_that_are_not_finite) {
    fedc_memory_data *b;
    ASSERT_OK(fedc_memory_data_create(ctx, &b));
    fedc_example *ex;
    ASSERT_OK(fedc_example_create(ctx, &ex));
    for (int i = 0; i < 3; i++) {
        fedc_shape xs = FEDC_SHAPE(D);
        fedc_tensor *t;
        ASSERT_OK(fedc_example_set(ctx, ex, "x", FEDC_DTYPE_FLOAT32, &xs, &t));
        float *x = t->data;
        x[0] = 1;
        x[1] = i == 2 ? INFINITY : 2;
        ASSERT_OK(fedc_memory_data_add(ctx, b, "only", ex));
    }
    fedc_client_data *cd;
    ASSERT_OK(fedc_memory_data_finish(ctx, b, &cd));
    fedc_memory_data_destroy(b);
    fedc_example_destroy(ex);
    fedc_value *data, *state, *s2 = NULL, *m2 = NULL;
    ASSERT_OK(fedc_value_clients_sequences(ctx, cd, &data));
    fedc_kmeans_opts o = opts_kd(K, D);
    fedc_kmeans_process *p;
    ASSERT_OK(fedc_kmeans_process_create(ctx, &o, &p));
    ASSERT_OK(fedc_kmeans_process_initialize(ctx, p, &state));
    ASSERT_STATUS(FEDC_STATUS_INVALID_ARGUMENT,
                  fedc_kmeans_process_next(ctx, p, state, data, NULL, &s2, &m2));
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "example 2: feature 'x' has a non-finite value at 1");
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    fedc_client_data_destroy(cd);
}

/* Builds a process, runs initialize and a round on the clients, frees everything. */
static fedc_status create_and_run(fedc_ctx *ctx, void *arg) {
    fedc_client_data *cd = arg;
    fedc_kmeans_opts o = opts_kd(K, D);
    fedc_kmeans_process *p = NULL;
    fedc_value *data = NULL, *state = NULL, *s = NULL, *m = NULL;
    fedc_status st = fedc_kmeans_process_create(ctx, &o, &p);
    if (st >= 0) st = fedc_value_clients_sequences(ctx, cd, &data);
    if (st >= 0) st = fedc_kmeans_process_initialize(ctx, p, &state);
    if (st >= 0) st = fedc_kmeans_process_next(ctx, p, state, data, NULL, &s, &m);
    fedc_value_release(s);
    fedc_value_release(m);
    fedc_value_release(state);
    fedc_value_release(data);
    fedc_kmeans_process_destroy(p);
    return st;
}

TEST(kmeans_survives_allocation_failures) {
    fedc_client_data *cd = clustered_clients(ctx, 2, D, 51);
    ASSERT_GT(fedc_test_alloc_sweep(ctx, create_and_run, NULL, cd), 10);
    fedc_client_data_destroy(cd);
}
