/* agg_check.c — the argument checks the robust aggregation kernels share. Must not allocate.
 */
#include <math.h>

#include "learning/agg_int.h"

fedc_status fedc__agg_check_updates(fedc_ctx *ctx, const char *what, const float *const *updates,
                                    int64_t K, int64_t P, const float *out) {
    if (K < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: need at least one client update, got K = %lld", what,
                               (long long)K);
    if (P < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "%s: update length P must be >= 0, got %lld", what, (long long)P);
    if (!updates || (!out && P > 0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: %s is NULL", what,
                               updates ? "out" : "updates");
    for (int64_t k = 0; k < K; k++) {
        if (!updates[k] && P > 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "%s: update of client %lld "
                                   "is NULL",
                                   what, (long long)k);
        for (int64_t i = 0; i < P; i++)
            if (!isfinite(updates[k][i]))
                return fedc_ctx_errorf(ctx, FEDC_STATUS_NON_FINITE,
                                       "%s: client %lld, coordinate %lld is %g", what, (long long)k,
                                       (long long)i, (double)updates[k][i]);
    }
    return FEDC_STATUS_OK;
}
