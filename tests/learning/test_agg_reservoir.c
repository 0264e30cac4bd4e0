/* test_agg_reservoir.c — reservoir sampling (Algorithm R) with the keyed stream: inclusion
 * probability k/N, determinism per keys, and the streaming form.
 */
#include <math.h>
#include <string.h>

#include "fedc/learning_agg.h"
#include "harness/harness.h"

TEST(reservoir_keeps_everything_when_n_at_most_k) {
    const float v[3] = {4, 5, 6};
    float out[5];
    int64_t kept;
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 3, 5, 1, 1, out, &kept));
    ASSERT_EQ(kept, 3);
    ASSERT_EQ(out[0], 4.0f);
    ASSERT_EQ(out[2], 6.0f);
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 0, 5, 1, 1, out, &kept));
    ASSERT_EQ(kept, 0);
}

TEST(reservoir_each_value_kept_with_probability_k_over_n) {
    enum { N = 20, K = 5, R = 20000 };
    float v[N], out[K];
    for (int i = 0; i < N; i++)
        v[i] = (float)i;
    int hits[N] = {0};
    for (int r = 0; r < R; r++) {
        int64_t kept;
        ASSERT_OK(fedc_reservoir_sample(ctx, v, N, K, fedc_test_seed(), (uint64_t)r, out, &kept));
        ASSERT_EQ(kept, K);
        int seen[N] = {0};
        for (int j = 0; j < K; j++) {
            int i = (int)out[j];
            ASSERT_EQ(seen[i], 0); /* no value twice */
            seen[i] = 1;
            hits[i]++;
        }
    }
    const double p = (double)K / N, sd = sqrt(R * p * (1 - p));
    for (int i = 0; i < N; i++)
        ASSERT_NEAR(hits[i], R * p, 6 * sd);
}

TEST(reservoir_is_deterministic_per_keys) {
    float v[100], a[10], b[10], c[10];
    for (int i = 0; i < 100; i++)
        v[i] = (float)i;
    int64_t kept;
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 100, 10, 3, 9, a, &kept));
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 100, 10, 3, 9, b, &kept));
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 100, 10, 3, 10, c, &kept));
    ASSERT_EQ(memcmp(a, b, sizeof a), 0);
    ASSERT_NE(memcmp(a, c, sizeof a), 0);
}

TEST(reservoir_streaming_offer_matches_batch) {
    float v[50], batch[7], stream[7];
    for (int i = 0; i < 50; i++)
        v[i] = (float)(i * i);
    int64_t kept;
    ASSERT_OK(fedc_reservoir_sample(ctx, v, 50, 7, 8, 1, batch, &kept));
    fedc_reservoir r;
    ASSERT_OK(fedc_reservoir_init(ctx, &r, 7, 8, 1));
    for (int i = 0; i < 50; i++) {
        int64_t slot = fedc_reservoir_offer(&r);
        if (i < 7) ASSERT_EQ(slot, i); /* the first k fill the slots in order */
        ASSERT_LT(slot, 7);
        if (slot >= 0) stream[slot] = v[i];
    }
    ASSERT_EQ(r.seen, 50);
    ASSERT_EQ(memcmp(batch, stream, sizeof batch), 0);
}

TEST(reservoir_rejects_bad_arguments) {
    float v[2] = {1, 2}, out[2];
    int64_t kept;
    ASSERT_STATUS(fedc_reservoir_sample(ctx, v, 2, 0, 1, 1, out, &kept),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "capacity k");
    ASSERT_STATUS(fedc_reservoir_sample(ctx, v, -1, 2, 1, 1, out, &kept),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_STATUS(fedc_reservoir_sample(ctx, NULL, 2, 2, 1, 1, out, &kept),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "values");
}
