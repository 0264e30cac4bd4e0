/* agg_int.h — private to the aggregation kernels (src/learning/agg_*.c): the argument checks
 * they share, so every kernel words its errors the same way.
 */
#ifndef FEDC_AGG_INT_H
#define FEDC_AGG_INT_H

#include "fedc/learning_agg.h"

/* Checks K client updates of P floats for a kernel named `what`: K >= 1, P >= 0, no NULL update
 * or output, every value finite. Errors: INVALID_ARGUMENT, NON_FINITE naming client and
 * coordinate. */
fedc_status fedc__agg_check_updates(fedc_ctx *ctx, const char *what, const float *const *updates,
                                    int64_t K, int64_t P, const float *out);

#endif /* FEDC_AGG_INT_H */
