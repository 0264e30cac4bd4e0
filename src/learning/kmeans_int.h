/* kmeans_int.h — private to the learning layer: the k-means process shared by kmeans.c (the
 * process), kmeans_text.c (its module text) and kmeans_step.c (its natives).
 */
#ifndef FEDC_KMEANS_INT_H
#define FEDC_KMEANS_INT_H

#include "fedc/learning_kmeans.h"

#define FEDC__KMEANS_NATIVES 2

struct fedc_kmeans_process {
    int64_t k, d;
    char feature[64];
    char *element_type; /* the element type's text (fedc_malloc'd) */
    fedc_comp *module;
    fedc_native natives[FEDC__KMEANS_NATIVES];
};

/* Writes the module text into a fedc_malloc'd string: initial_centroids (the native over the
 * seed, or `initial` as a literal when not NULL), initialize, client_step, server_update,
 * report and next. Errors: OUT_OF_MEMORY. */
fedc_status fedc__kmeans_text(fedc_ctx *ctx, const fedc_kmeans_process *p, uint64_t seed,
                              const float *initial, char **out);

/* The natives, arguments and results as the module types them:
 *   kmeans_init  ( -> float32[k,d]), blob `seed=S;k=K;d=D`
 *   kmeans_step  (<centroids=float32[k,d],dataset=D*> -> <sums=float32[k,d],counts=int32[k],
 *                 num_examples=int32,squared_distance=float64>), blob `feature=F;k=K;d=D` */
fedc_status fedc__native_kmeans_init(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out);
fedc_status fedc__native_kmeans_step(fedc_ctx *ctx, void *user, const uint8_t *blob,
                                     size_t blob_size, fedc_value *arg, fedc_value **out);

#endif /* FEDC_KMEANS_INT_H */
