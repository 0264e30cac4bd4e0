/* agg_presets.c — the aggregator constructors and the presets of tff.learning (robust, dp,
 * compression, secure), with TFF's constants: zeroing at twice the 0.98 quantile of the update
 * norms plus one (learning rate ln 10, from 10), clipping at their 0.8 quantile (learning rate 0.2,
 * from 1), DP clipping at their median (learning rate 0.2, from 0.1, count noise 0.05 per expected
 * client), and 8-bit quantization of tensors of at least 20,000 values; the secure preset's
 * precision (16-bit codes, up to 1024 clients a round) is fedc's own choice.
 */
#include <math.h>
#include <string.h>

#include "learning/learning_int.h"

fedc_aggregator fedc_aggregator_adaptive_clipping(double initial_norm, double target_quantile,
                                                  double learning_rate,
                                                  const fedc_aggregator *inner) {
    fedc_aggregator a = {.kind = FEDC_AGGREGATOR_CLIPPING, .norm = initial_norm, .inner = inner};
    a.estimate = (fedc_norm_estimate){.on = true,
                                      .target_quantile = target_quantile,
                                      .learning_rate = learning_rate,
                                      .multiplier = 1,
                                      .increment = 0};
    return a;
}

fedc_aggregator fedc_aggregator_adaptive_zeroing(const fedc_aggregator *inner) {
    fedc_aggregator a = {.kind = FEDC_AGGREGATOR_ZEROING, .norm = 10, .inner = inner};
    a.estimate = (fedc_norm_estimate){.on = true,
                                      .target_quantile = 0.98,
                                      .learning_rate = log(10.0),
                                      .multiplier = 2,
                                      .increment = 1};
    return a;
}

fedc_aggregator fedc_aggregator_dp_adaptive(double noise_multiplier, int64_t expected_clients,
                                            int64_t population, double delta) {
    fedc_aggregator a =
        fedc_aggregator_dp_gaussian(noise_multiplier, 0.1, expected_clients, population, delta);
    a.estimate = (fedc_norm_estimate){.on = true,
                                      .target_quantile = 0.5,
                                      .learning_rate = 0.2,
                                      .multiplier = 1,
                                      .increment = 0,
                                      .count_stddev = 0.05 * (double)expected_clients};
    return a;
}

/* room->stage[from..] filled from the innermost `last` outward: [zeroing ->] [clipping ->] last */
static const fedc_aggregator *robust_around(fedc_aggregator_stages *room, int from,
                                            fedc_aggregator last, bool zeroing, bool clipping) {
    int i = from;
    room->stage[i] = last;
    const fedc_aggregator *outer = &room->stage[i++];
    if (clipping) {
        room->stage[i] = fedc_aggregator_adaptive_clipping(1.0, 0.8, 0.2, outer);
        outer = &room->stage[i++];
    }
    if (zeroing) {
        room->stage[i] = fedc_aggregator_adaptive_zeroing(outer);
        outer = &room->stage[i++];
    }
    return outer;
}

const fedc_aggregator *fedc_aggregator_robust(fedc_aggregator_stages *room, bool zeroing,
                                              bool clipping, bool weighted) {
    if (!room) return NULL;
    memset(room, 0, sizeof *room);
    fedc_aggregator mean = fedc_aggregator_mean();
    mean.unweighted = !weighted;
    return robust_around(room, 0, mean, zeroing, clipping);
}

const fedc_aggregator *fedc_aggregator_dp(fedc_aggregator_stages *room, double noise_multiplier,
                                          int64_t clients_per_round, int64_t population,
                                          double delta, bool zeroing) {
    if (!room) return NULL;
    memset(room, 0, sizeof *room);
    return robust_around(
        room, 0,
        fedc_aggregator_dp_adaptive(noise_multiplier, clients_per_round, population, delta),
        zeroing, false);
}

const fedc_aggregator *fedc_aggregator_compression(fedc_aggregator_stages *room, bool zeroing,
                                                   bool clipping, bool weighted) {
    if (!room) return NULL;
    memset(room, 0, sizeof *room);
    fedc_aggregator mean = fedc_aggregator_mean();
    mean.unweighted = !weighted;
    room->stage[0] = mean;
    fedc_aggregator q = {
        .kind = FEDC_AGGREGATOR_QUANTIZE, .bits = 8, .threshold = 20000, .inner = &room->stage[0]};
    return robust_around(room, 1, q, zeroing, clipping);
}

const fedc_aggregator *fedc_aggregator_secure(fedc_aggregator_stages *room, bool zeroing) {
    if (!room) return NULL;
    memset(room, 0, sizeof *room);
    fedc_aggregator secure = {.kind = FEDC_AGGREGATOR_SECURE_MEAN, .bits = 16, .capacity = 1024};
    return robust_around(room, 0, secure, zeroing, true);
}
