/* learning_testutil.h — fixtures shared by the learning tests: small models and client data
 * built in memory with known contents.
 */
#ifndef FEDC_LEARNING_TESTUTIL_H
#define FEDC_LEARNING_TESTUTIL_H

#include "fedc/core_data.h"
#include "fedc/learning.h"
#include "harness/harness.h"

/* Client data of `nclients` clients "c0", "c1", ... where client i holds 3 + 2 i examples
 * <x=float32[d], y=int32> with x drawn from a keyed stream and y in [0, classes). */
fedc_client_data *ltest_clients(fedc_ctx *ctx, int nclients, int64_t d, int classes, uint64_t seed);

/* A Dense d -> classes softmax model (sparse cross-entropy on probabilities) with random weights
 * under seed, wrapped as a learning model. */
fedc_learning_model *ltest_dense_model(fedc_ctx *ctx, int64_t d, int classes, uint64_t seed);

/* All clients of cd as {<x,y>*}@CLIENTS. */
fedc_value *ltest_clients_value(fedc_ctx *ctx, const fedc_client_data *cd);

#endif
