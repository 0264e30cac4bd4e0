/* fedc/learning_agg.h — the numerical kernels of aggregation (the tff.aggregators analogs) and
 * differential-privacy accounting: the Gaussian mechanism and a Rényi-DP accountant, adaptive
 * clipping by quantile estimation, robust aggregation (coordinate-wise median, trimmed mean,
 * Krum), compression (stochastic quantization, randomized Hadamard rotation, discretization with
 * modular clipping) and reservoir sampling.
 *
 * Part of layer learning, but self-contained: these are functions over plain numbers in caller
 * memory, which the aggregator factories build on. They do not know about computations,
 * executors or models.
 *
 * Randomness. Every draw comes from a keyed Philox stream (fedc/base.h), so a result depends only
 * on its keys, never on threads or call order:
 *   - noise added to an aggregate:        FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_NOISE)
 *   - noise added to the clip count:      FEDC_RNG(seed, round, FEDC_AGG_STREAM_CLIP_COUNT,
 *                                                  FEDC_RNG_PURPOSE_NOISE)
 *   - a client's stochastic quantization: FEDC_RNG(seed, round, client, FEDC_RNG_PURPOSE_QUANTIZE)
 *   - a client's stochastic discretization: FEDC_RNG(seed, round, client,
 *                                                  FEDC_AGG_STREAM_DISCRETIZE,
 *                                                  FEDC_RNG_PURPOSE_QUANTIZE)
 *   - the rotation's signs (all clients): FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_QUANTIZE)
 *   - reservoir sampling:                 FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_SAMPLING)
 * Streams with different key lists (including lists of different length) never coincide.
 *
 * Errors: INVALID_ARGUMENT names the bad argument and its value; NON_FINITE names the client and
 * coordinate of a NaN or infinite input; OUT_OF_MEMORY where a function allocates workspace (each
 * says so). Nothing is written to the outputs when an argument check fails.
 *
 * Thread safety: every function here is pure over the memory it is given (no globals), so any
 * number of threads may call them at once on distinct outputs. A fedc_rdp_accountant is used by
 * one thread at a time.
 */
#ifndef FEDC_LEARNING_AGG_H
#define FEDC_LEARNING_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fedc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Keys that separate streams sharing a purpose: the clip-count noise from the aggregate's noise,
 * and a client's discretization from its quantization (a pipeline may do both in one round). */
#define FEDC_AGG_STREAM_CLIP_COUNT UINT64_C(0x636c6970) /* "clip" */
#define FEDC_AGG_STREAM_DISCRETIZE UINT64_C(0x64697363) /* "disc" */

/* ---------------------------------------------------------------------------------------------
 * The Gaussian mechanism
 * ------------------------------------------------------------------------------------------- */

/* Adds independent N(0, stddev^2) noise to v[0..n), drawn in order from the stream
 * FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_NOISE): the same (seed, round) gives the same bits.
 * stddev 0 leaves v unchanged. Errors: INVALID_ARGUMENT for n < 0, v NULL with n > 0, or a
 * stddev that is negative or not finite. */
fedc_status fedc_dp_add_gaussian_noise(fedc_ctx *ctx, float *v, int64_t n, double stddev,
                                       uint64_t seed, uint64_t round);

/* ---------------------------------------------------------------------------------------------
 * Rényi differential privacy of the sampled Gaussian mechanism
 *
 * The RDP of one step of the sampled Gaussian mechanism (each record included with probability q,
 * Gaussian noise of standard deviation sigma times the sensitivity) at order alpha, as Mironov,
 * Talwar and Zhang (2019), "Rényi Differential Privacy of the Sampled Gaussian Mechanism", give
 * it (arXiv:1908.10530, Section 3): for integer alpha a finite binomial sum, for fractional
 * alpha two convergent series with erfc terms, the same formulas TF Privacy's
 * rdp_accountant.compute_rdp evaluates. q = 1 is the plain Gaussian mechanism, alpha / (2 sigma^2)
 * (Mironov 2017, Proposition 7). RDP composes by addition over steps.
 * ------------------------------------------------------------------------------------------- */

/* How RDP becomes (epsilon, delta). */
typedef enum fedc_rdp_conversion {
    /* Balle et al. 2020 ("Hypothesis testing interpretations and Rényi differential privacy");
     * Canonne, Kamath, Steinke 2020 (arXiv:2004.00010, Proposition 12), as TF Privacy's
     * get_privacy_spent and dp_accounting use it:
     * eps = rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1), for alpha > 1.01; plus
     * eps = 0 when delta >= sqrt(1 - exp(-rdp)) (total variation bounded through KL <= RDP). */
    FEDC_RDP_CONVERSION_IMPROVED = 0,
    /* Mironov 2017, Proposition 3: eps = rdp + log(1 / delta) / (alpha - 1). */
    FEDC_RDP_CONVERSION_CLASSIC = 1
} fedc_rdp_conversion;

/* The standard orders, as TF Privacy's compute_dp_sgd_privacy lists them: 1.25, 1.5, 1.75, 2,
 * 2.25, 2.5, 3, 3.5, 4, 4.5, the integers 5..63, and 128, 256, 512 (72 orders). Sets *orders to a
 * static array (never freed) and returns its length. Thread-safe. */
size_t fedc_rdp_default_orders(const double **orders);

/* The RDP at order `alpha` of ONE step of the sampled Gaussian mechanism with sampling rate q and
 * noise multiplier sigma, into *rdp (+infinity when sigma = 0 and q > 0; 0 when q = 0).
 * Errors: INVALID_ARGUMENT for q outside [0, 1], sigma negative or not finite, alpha not a finite
 * number > 1. */
fedc_status fedc_rdp_sampled_gaussian(fedc_ctx *ctx, double q, double sigma, double alpha,
                                      double *rdp);

/* Converts RDP values rdp[i] at orders[i] (i < n) into the smallest epsilon at `delta` over the
 * orders, with the order that attains it (*best_order may be NULL). *epsilon is +infinity when no
 * order gives a finite bound. Errors: INVALID_ARGUMENT for delta outside (0, 1), n < 1, an order
 * <= 1 or a negative or NaN rdp (naming its index). */
fedc_status fedc_rdp_to_epsilon(fedc_ctx *ctx, const double *orders, const double *rdp, int64_t n,
                                double delta, fedc_rdp_conversion conversion, double *epsilon,
                                double *best_order);

/* The accountant: RDP per order, summed over every step added. */
typedef struct fedc_rdp_accountant fedc_rdp_accountant;

/* Creates an accountant over `n_orders` orders (copied), or over fedc_rdp_default_orders when
 * orders is NULL; the caller destroys it. Errors: INVALID_ARGUMENT for an order that is not a
 * finite number > 1 (naming its index) or n_orders < 1 with orders given; OUT_OF_MEMORY. */
fedc_status fedc_rdp_accountant_create(fedc_ctx *ctx, const double *orders, int64_t n_orders,
                                       fedc_rdp_accountant **out);

/* Frees an accountant. NULL is a no-op. */
void fedc_rdp_accountant_destroy(fedc_rdp_accountant *acc);

/* Adds `steps` steps of the sampled Gaussian mechanism (noise_multiplier, sampling_rate). On
 * error the accountant is unchanged. Errors: INVALID_ARGUMENT as fedc_rdp_sampled_gaussian, and
 * for steps < 0. */
fedc_status fedc_rdp_accountant_add_steps(fedc_ctx *ctx, fedc_rdp_accountant *acc,
                                          double noise_multiplier, double sampling_rate,
                                          int64_t steps);

/* The epsilon spent at `delta` with the improved conversion, and the best order (may be NULL).
 * Errors: as fedc_rdp_to_epsilon. */
fedc_status fedc_rdp_accountant_epsilon(fedc_ctx *ctx, const fedc_rdp_accountant *acc, double delta,
                                        double *epsilon, double *best_order);

/* The number of orders, and the orders and accumulated RDP values (owned by the accountant,
 * valid until it is destroyed; the RDP values change with each add_steps). */
int64_t fedc_rdp_accountant_num_orders(const fedc_rdp_accountant *acc);
const double *fedc_rdp_accountant_orders(const fedc_rdp_accountant *acc);
const double *fedc_rdp_accountant_rdp(const fedc_rdp_accountant *acc);

/* ---------------------------------------------------------------------------------------------
 * Adaptive clipping by quantile estimation (Andrew, Thakkar, McMahan, Ramaswamy 2021,
 * "Differentially Private Learning with Adaptive Clipping"; tff.aggregators'
 * PrivateQuantileEstimationProcess and its no_noise form)
 *
 * The state is the current clip norm C. Each round, each client reports whether its update's
 * norm was <= C; the fraction b of such clients (optionally noised) moves C toward the target
 * quantile gamma of the norms:
 *   geometric update:  C <- C * exp(-lr * (b - gamma))
 *   arithmetic update: C <- C - lr * (b - gamma)   (floored at 0)
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_quantile_opts {
    double target_quantile; /* gamma, in [0, 1]; default 0.5 */
    double learning_rate;   /* lr, >= 0; default 0.2 (Andrew et al.'s choice) */
    bool geometric;         /* geometric (default) or arithmetic update */
} fedc_quantile_opts;

/* Defaults: target_quantile 0.5, learning_rate 0.2, geometric. */
fedc_quantile_opts fedc_quantile_opts_default(void);

/* The number of norms[i] (i < n) with norms[i] <= clip, into *count. Errors: INVALID_ARGUMENT for
 * n < 0, norms NULL with n > 0, clip negative or NaN; NON_FINITE for a NaN norm (naming the
 * client). */
fedc_status fedc_quantile_count_below(fedc_ctx *ctx, const double *norms, int64_t n, double clip,
                                      int64_t *count);

/* The fraction used in the update: (count + noise) / expected_clients, where noise is one draw of
 * N(0, noise_stddev^2) from FEDC_RNG(seed, round, FEDC_AGG_STREAM_CLIP_COUNT,
 * FEDC_RNG_PURPOSE_NOISE), none when noise_stddev is 0. Dividing by the expected number of
 * clients rather than the actual one keeps the count's sensitivity 1 (Andrew et al.).
 * The result is not clamped to [0, 1]: with noise it may fall outside. Errors: INVALID_ARGUMENT
 * for count < 0, expected_clients not > 0, noise_stddev negative or not finite. */
fedc_status fedc_quantile_noisy_fraction(fedc_ctx *ctx, int64_t count, double expected_clients,
                                         double noise_stddev, uint64_t seed, uint64_t round,
                                         double *fraction);

/* One update of the estimate: *clip becomes the next clip norm from `fraction` (b above).
 * Errors: INVALID_ARGUMENT for *clip negative or not finite, fraction not finite, options out of
 * range (naming the field); OUT_OF_RANGE when the new clip overflows; *clip is unchanged then. */
fedc_status fedc_quantile_update(fedc_ctx *ctx, const fedc_quantile_opts *opts, double fraction,
                                 double *clip);

/* ---------------------------------------------------------------------------------------------
 * Robust aggregation over K client updates of P floats each (updates[k][0..P))
 *
 * Deterministic: the result depends only on the updates (in client-index order), never on
 * threads; ties are broken by client index. A NaN or infinite input is rejected with NON_FINITE
 * naming the client and coordinate.
 * ------------------------------------------------------------------------------------------- */

/* Coordinate-wise median into out[0..P): the middle value, or for even K the mean of the two
 * middle values. Allocates K floats of workspace. Errors: INVALID_ARGUMENT for K < 1, P < 0, a
 * NULL update; NON_FINITE; OUT_OF_MEMORY. */
fedc_status fedc_agg_median(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                            float *out);

/* Coordinate-wise trimmed mean into out[0..P): per coordinate, drops the floor(beta * K) smallest
 * and the floor(beta * K) largest values and averages the rest (in double). beta = 0 is the mean.
 * Allocates K floats. Errors: INVALID_ARGUMENT for beta outside [0, 0.5) and as fedc_agg_median;
 * NON_FINITE; OUT_OF_MEMORY. */
fedc_status fedc_agg_trimmed_mean(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                                  double beta, float *out);

/* Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer 2017, "Machine Learning with Adversaries:
 * Byzantine Tolerant Gradient Descent"): each update's score is the sum of its squared Euclidean
 * distances to its K - f - 2 nearest other updates; the m updates with the lowest scores (ties to
 * the lower client index) are averaged into out[0..P). m = 1 is Krum. selected (may be NULL)
 * receives the m chosen client indices in increasing order. Tolerates f Byzantine clients when
 * K >= 2f + 3. Allocates K*K doubles. Errors: INVALID_ARGUMENT for f < 0, K < 2f + 3, m outside
 * [1, K - f], and as fedc_agg_median; NON_FINITE; OUT_OF_MEMORY. */
fedc_status fedc_agg_multi_krum(fedc_ctx *ctx, const float *const *updates, int64_t K, int64_t P,
                                int64_t f, int64_t m, float *out, int64_t *selected);

/* ---------------------------------------------------------------------------------------------
 * Compression
 * ------------------------------------------------------------------------------------------- */

/* Uniform stochastic quantization of x[0..n) to `bits` bits (1..16): with lo = min x and
 * hi = max x (into *lo and *hi) and L = 2^bits - 1 levels above lo, each value becomes the code
 * floor(t) or floor(t) + 1, t = (x - lo) / (hi - lo) * L, the upper one with probability
 * t - floor(t), so the dequantized value is unbiased. lo and hi themselves are coded exactly (0
 * and L). Draws come from FEDC_RNG(seed, round, client, FEDC_RNG_PURPOSE_QUANTIZE), in order.
 * Errors: INVALID_ARGUMENT for bits outside [1, 16], n < 1, NULL arrays; NON_FINITE for a NaN or
 * infinite value (naming its index). */
fedc_status fedc_quantize_stochastic(fedc_ctx *ctx, const float *x, int64_t n, int bits,
                                     uint64_t seed, uint64_t round, uint64_t client,
                                     uint16_t *codes, float *lo, float *hi);

/* Decodes codes[0..n) made by fedc_quantize_stochastic: lo + code * (hi - lo) / L, with code 0
 * giving lo and code L giving hi exactly. Errors: INVALID_ARGUMENT for bits outside [1, 16], a
 * code above L (naming its index), lo > hi. */
fedc_status fedc_dequantize(fedc_ctx *ctx, const uint16_t *codes, int64_t n, int bits, float lo,
                            float hi, float *out);

/* The length a rotation works on: the smallest power of two >= n (1 for n <= 1; -1 for n above
 * 2^62, where it would not fit). */
int64_t fedc_hadamard_padded_size(int64_t n);

/* Randomized Hadamard rotation: out[0..d) = H D x / sqrt(d), where x is zero-padded to
 * d = fedc_hadamard_padded_size(n), D is a diagonal of random signs from
 * FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_QUANTIZE) (shared by every client of the round, so the
 * server can undo the rotation of a sum), and H is the d x d Walsh-Hadamard matrix, applied by the
 * fast transform (d log d additions). The rotation is orthogonal: it keeps the L2 norm and spreads
 * a vector's mass over all coordinates (the point before quantizing). The transform adds in float:
 * inputs near FLT_MAX / d may overflow to infinity, which the caller's later checks see. Errors:
 * INVALID_ARGUMENT for n < 1, d not equal to fedc_hadamard_padded_size(n), NULL arrays. out may
 * not overlap x unless out == x. */
fedc_status fedc_hadamard_rotate(fedc_ctx *ctx, const float *x, int64_t n, float *out, int64_t d,
                                 uint64_t seed, uint64_t round);

/* The inverse, in place: y[0..d) becomes D H y / sqrt(d); after rotating x of length n, the
 * first n entries of y hold x again within float rounding. Errors: INVALID_ARGUMENT for d not a
 * power of two >= 1, y NULL. */
fedc_status fedc_hadamard_unrotate(fedc_ctx *ctx, float *y, int64_t d, uint64_t seed,
                                   uint64_t round);

/* Discretization (tff.aggregators.DiscretizationFactory): out[i] = round(x[i] * scale) as int32.
 * With stochastic, the rounding goes up with probability equal to the fraction, from
 * FEDC_RNG(seed, round, client, FEDC_AGG_STREAM_DISCRETIZE, FEDC_RNG_PURPOSE_QUANTIZE), so it is
 * unbiased; otherwise to the
 * nearest (ties away from zero). Errors: INVALID_ARGUMENT for n < 0, NULL arrays, scale not a
 * finite number > 0; OUT_OF_RANGE when a scaled value does not fit int32 (naming its index);
 * NON_FINITE for a NaN or infinite value. */
fedc_status fedc_discretize(fedc_ctx *ctx, const float *x, int64_t n, double scale, bool stochastic,
                            uint64_t seed, uint64_t round, uint64_t client, int32_t *out);

/* The inverse scaling: out[i] = v[i] / scale. Errors: INVALID_ARGUMENT as fedc_discretize. */
fedc_status fedc_undiscretize(fedc_ctx *ctx, const int32_t *v, int64_t n, double scale, float *out);

/* Modular clipping (tff.aggregators.ModularClippingSumFactory): every v[i] becomes
 * lo + ((v[i] - lo) mod (hi - lo)), its representative in [lo, hi). Errors: INVALID_ARGUMENT for
 * lo >= hi, n < 0, v NULL with n > 0. */
fedc_status fedc_modular_clip(fedc_ctx *ctx, int32_t *v, int64_t n, int32_t lo, int32_t hi);

/* The modular sum secure aggregation computes: acc[i] = modular clip of acc[i] + v[i] into
 * [lo, hi) (in 64-bit arithmetic, so nothing overflows). With inputs already in [lo, hi), the sum
 * of K clients equals the true sum when it lies in [lo, hi) and wraps by multiples of hi - lo when
 * it does not. Errors: as fedc_modular_clip. */
fedc_status fedc_modular_add(fedc_ctx *ctx, int32_t *acc, const int32_t *v, int64_t n, int32_t lo,
                             int32_t hi);

/* ---------------------------------------------------------------------------------------------
 * Reservoir sampling (Vitter's Algorithm R) with the keyed stream
 * ------------------------------------------------------------------------------------------- */

/* A reservoir of `capacity` slots over a stream of values offered one at a time. A plain value:
 * the caller stores the values, the reservoir says where. */
typedef struct fedc_reservoir {
    int64_t capacity; /* k */
    int64_t seen;     /* values offered so far */
    fedc_rng rng;
} fedc_reservoir;

/* Starts an empty reservoir of k slots whose draws come from
 * FEDC_RNG(seed, round, FEDC_RNG_PURPOSE_SAMPLING). Errors: INVALID_ARGUMENT for k < 1 or r NULL.
 */
fedc_status fedc_reservoir_init(fedc_ctx *ctx, fedc_reservoir *r, int64_t k, uint64_t seed,
                                uint64_t round);

/* Offers the next value: returns the slot (0..k-1) it must be stored in, replacing what was
 * there, or -1 when it is not kept. The first k values fill slots 0..k-1 in order; after N values
 * each of them is in the reservoir with probability k / N. */
int64_t fedc_reservoir_offer(fedc_reservoir *r);

/* k of the values[0..n) (all of them, in order, when n <= k) into out; *kept receives min(n, k).
 * The kept values stay in slot order (the order Algorithm R leaves them). Errors:
 * INVALID_ARGUMENT for n < 0, k < 1, NULL arrays. */
fedc_status fedc_reservoir_sample(fedc_ctx *ctx, const float *values, int64_t n, int64_t k,
                                  uint64_t seed, uint64_t round, float *out, int64_t *kept);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_LEARNING_AGG_H */
