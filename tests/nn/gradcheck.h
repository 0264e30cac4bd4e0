/* gradcheck.h — finite-difference gradient checks for the nn tests: a layer's backward (input
 * and parameter gradients) and a loss's dpred against central differences of the forward, with
 * the scalar objective summed in double.
 *
 * For the test binary only. Helpers fail the calling test through the harness.
 */
#ifndef FEDC_TESTS_NN_GRADCHECK_H
#define FEDC_TESTS_NN_GRADCHECK_H

#include "fedc/nn.h"
#include "harness/harness.h"

/* n zeroed floats (calloc; at least one), failing the test when out of memory; free() them. */
float *gc_floats(int64_t n);

/* Fills n floats uniformly in [lo, hi) from FEDC_RNG(fedc_test_seed(), key, TEST). */
void gc_fill(float *x, int64_t n, float lo, float hi, uint64_t key);

/* Builds a one-layer model of `spec` on per-example `in_shape` (seed from the harness), and
 * checks layer 0's backward, in `training` mode, against central differences of
 * L = sum(r * y) for random r, over every input and parameter (or an evenly spaced sample of
 * at most 300 of each). Fails the test on |analytic - numeric| > atol + rtol |numeric|. */
void gc_check_layer(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in_shape, int64_t batch,
                    bool training, double atol, double rtol);

/* As gc_check_layer for a layer whose inputs are token ids in [0, vocab): parameter gradients
 * only. */
void gc_check_layer_ids(fedc_ctx *ctx, fedc_layer_spec spec, fedc_shape in_shape, int64_t batch,
                        int64_t vocab, double atol, double rtol);

/* Checks fedc_loss_eval's dpred against central differences of its loss value. */
void gc_check_loss(fedc_ctx *ctx, const fedc_loss *loss, const fedc_tensor *pred,
                   const fedc_tensor *target, const fedc_tensor *sample_weight, double atol,
                   double rtol);

#endif /* FEDC_TESTS_NN_GRADCHECK_H */
