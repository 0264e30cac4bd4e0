/* kmeans.c — federated k-means on EMNIST: the pixels of every client's handwritten digits
 * clustered into 10 clusters by fedc's k-means process (TFF's build_fed_kmeans), 5 rounds over
 * all clients, printing each round's mean squared distance and the size of each cluster in the
 * last round.
 *
 *   make examples && build/examples/kmeans [FILE.sqlite [SPLIT]]
 *
 * FILE defaults to ../shared/data/tff-sqlite/emnist_sample.sqlite ($FEDC_DATA_DIR/... when set),
 * SPLIT to digits_only_train; any TFF EMNIST file works (examples <label=int64[1],
 * pixels=float32[784]> as tf.train.Example stores them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/fedc.h"

#define CLUSTERS 10
#define PIXELS (28 * 28)
#define ROUNDS 5

static void check(fedc_ctx *ctx, fedc_status st) {
    if (st < 0) {
        fprintf(stderr, "kmeans: %s\n", fedc_ctx_message(ctx));
        exit(1);
    }
}

/* Seeds centroid c with the first image of client c (clients wrap when there are fewer than
 * CLUSTERS of them, taking their next images): starting from images, not from random noise,
 * every cluster begins near some digit. */
static void first_images(fedc_ctx *ctx, const fedc_client_data *cd, float *centroids) {
    int64_t n = fedc_client_data_num_clients(cd);
    fedc_example *ex;
    check(ctx, fedc_example_create(ctx, &ex));
    for (int64_t c = 0; c < CLUSTERS; c++) {
        fedc_dataset *ds;
        check(ctx, fedc_client_data_open(ctx, cd, c % n, &ds));
        bool got = false;
        for (int64_t skip = 0; skip <= c / n; skip++)
            check(ctx, fedc_dataset_next(ctx, ds, ex, &got));
        const fedc_tensor *pixels = got ? fedc_example_get(ex, "pixels") : NULL;
        if (!pixels || pixels->dtype != FEDC_DTYPE_FLOAT32 || fedc_tensor_numel(pixels) != PIXELS) {
            fprintf(stderr, "kmeans: client %lld has no image to start cluster %lld from\n",
                    (long long)(c % n), (long long)c);
            exit(1);
        }
        memcpy(centroids + c * PIXELS, pixels->data, PIXELS * sizeof(float));
        fedc_dataset_destroy(ds);
    }
    fedc_example_destroy(ex);
}

int main(int argc, char **argv) {
    char path[4096];
    const char *dir = getenv("FEDC_DATA_DIR");
    snprintf(path, sizeof path, "%s/tff-sqlite/emnist_sample.sqlite",
             dir && *dir ? dir : "../shared/data");
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return 1;

    fedc_sqlite_opts so = fedc_sqlite_opts_default();
    so.split_name = argc > 2 ? argv[2] : "digits_only_train";
    fedc_client_data *emnist;
    check(ctx, fedc_client_data_open_sqlite(ctx, argc > 1 ? argv[1] : path, &so, &emnist));
    fedc_value *clients;
    check(ctx, fedc_value_clients_sequences(ctx, emnist, &clients));

    static float start[CLUSTERS * PIXELS];
    first_images(ctx, emnist, start);
    fedc_kmeans_opts opts = fedc_kmeans_opts_default();
    opts.k = CLUSTERS;
    opts.d = PIXELS;
    opts.feature = "pixels";
    opts.element_type = "<label=int64[1],pixels=float32[784]>";
    opts.initial_centroids = start;
    fedc_kmeans_process *kmeans;
    check(ctx, fedc_kmeans_process_create(ctx, &opts, &kmeans));

    /* a pool of 2 threads: the same bits as one thread, sooner */
    fedc_pool *pool;
    check(ctx, fedc_pool_create(ctx, 2, &pool));
    fedc_exec_opts exec = fedc_exec_opts_default();
    exec.pool = pool;

    fedc_value *state;
    check(ctx, fedc_kmeans_process_initialize(ctx, kmeans, &state));
    static float centroids[CLUSTERS * PIXELS];
    int32_t before[CLUSTERS], after[CLUSTERS];
    printf("%lld clients; %d clusters of %d pixels\n",
           (long long)fedc_client_data_num_clients(emnist), CLUSTERS, PIXELS);
    for (int round = 1; round <= ROUNDS; round++) {
        check(ctx, fedc_kmeans_process_centroids(ctx, kmeans, state, centroids, before));
        fedc_value *next_state, *metrics;
        check(ctx,
              fedc_kmeans_process_next(ctx, kmeans, state, clients, &exec, &next_state, &metrics));
        double examples, mse;
        check(ctx, fedc_metrics_get(ctx, metrics, "client_work/num_examples", &examples));
        check(ctx, fedc_metrics_get(ctx, metrics, "client_work/mean_squared_distance", &mse));
        printf("round %d: %.0f images, mean squared distance %.4f\n", round, examples, mse);
        fedc_value_release(state);
        fedc_value_release(metrics);
        state = next_state;
    }
    /* a cluster's weight grows by the images it received: the last round's sizes */
    check(ctx, fedc_kmeans_process_centroids(ctx, kmeans, state, centroids, after));
    printf("cluster sizes in round %d:", ROUNDS);
    for (int c = 0; c < CLUSTERS; c++)
        printf(" %d", after[c] - before[c]);
    printf("\n");

    fedc_value_release(state);
    fedc_pool_destroy(pool);
    fedc_kmeans_process_destroy(kmeans);
    fedc_value_release(clients);
    fedc_client_data_destroy(emnist);
    fedc_ctx_destroy(ctx);
    return 0;
}
