/* sampling.c — client sampling per round: uniform without replacement, with replacement, and
 * Poisson, each drawn from the stream keyed by (seed, round) so a cohort never depends on which
 * process or thread asks. Nothing here knows what a client holds.
 */
#include <string.h>

#include "data/data_int.h"

fedc_sampling_opts fedc_sampling_opts_default(void) {
    fedc_sampling_opts o;
    memset(&o, 0, sizeof o);
    o.mode = FEDC_SAMPLING_UNIFORM;
    o.cohort_size = 10;
    o.rate = 0.1;
    return o;
}

fedc_status fedc_sample_clients(fedc_ctx *ctx, const fedc_sampling_opts *opts, int64_t num_clients,
                                uint64_t round, int64_t *out, int64_t out_cap, int64_t *count) {
    *count = 0;
    if (num_clients < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "sampling from %lld clients",
                               (long long)num_clients);
    fedc_rng rng = FEDC_RNG(opts->seed, round, FEDC_RNG_PURPOSE_SAMPLING);
    int64_t k = opts->cohort_size;
    switch (opts->mode) {
    case FEDC_SAMPLING_UNIFORM:
    case FEDC_SAMPLING_REPLACEMENT:
        if (k < 0 || out_cap < k)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "cohort of %lld clients with room for %lld", (long long)k,
                                   (long long)out_cap);
        if (k > 0 && num_clients == 0)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "cohort of %lld clients from none", (long long)k);
        if (opts->mode == FEDC_SAMPLING_REPLACEMENT) {
            for (int64_t i = 0; i < k; i++)
                out[i] = (int64_t)fedc_rng_below(&rng, (uint64_t)num_clients);
            *count = k;
            return FEDC_STATUS_OK;
        }
        if (k > num_clients)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "cohort of %lld clients without replacement from %lld",
                                   (long long)k, (long long)num_clients);
        {
            /* A partial Fisher-Yates shuffle: the first k of a uniform permutation. */
            int64_t *perm = fedc_malloc((size_t)(num_clients ? num_clients : 1) * sizeof *perm);
            if (!perm)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "cannot sample from %lld clients", (long long)num_clients);
            for (int64_t i = 0; i < num_clients; i++)
                perm[i] = i;
            for (int64_t i = 0; i < k; i++) {
                int64_t j = i + (int64_t)fedc_rng_below(&rng, (uint64_t)(num_clients - i));
                int64_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
                out[i] = perm[i];
            }
            fedc_free(perm);
            *count = k;
            return FEDC_STATUS_OK;
        }
    case FEDC_SAMPLING_POISSON:
        if (!(opts->rate >= 0.0 && opts->rate <= 1.0))
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "Poisson sampling rate %g is outside [0, 1]", opts->rate);
        if (out_cap < num_clients)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "Poisson sampling of %lld clients with room for %lld",
                                   (long long)num_clients, (long long)out_cap);
        for (int64_t i = 0; i < num_clients; i++)
            if (fedc_rng_bernoulli(&rng, opts->rate)) out[(*count)++] = i;
        return FEDC_STATUS_OK;
    }
    return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "unknown sampling mode %d",
                           (int)opts->mode);
}
