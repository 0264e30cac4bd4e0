/* tensor_testutil.h — helpers shared by the tensor layer's tests (tests/tensor/test_*.c): tensors
 * from value lists, random shapes over the sizes that break kernels, random strided views of
 * randomly filled memory, and element checks.
 *
 * For the test binary only, never the library. Helpers fail the calling test through the
 * harness (so those that allocate take the test's ctx) and draw from the caller's RNG in a fixed
 * order, so a test's inputs depend only on its seed. A helper only one test file needs stays in
 * that file, as does each file's own choice of random element values. */
#ifndef FEDC_TESTS_TENSOR_TESTUTIL_H
#define FEDC_TESTS_TENSOR_TESTUTIL_H

#include "harness/harness.h"

/* A list of element values, e.g. V(1, 2, 3). */
#define V(...) ((const double[]){__VA_ARGS__})

/* Sizes that break kernels: empty, one, small odd, just past powers of two. */
#define TT_NSIZES 6
extern const int64_t tt_sizes[TT_NSIZES];

/* A contiguous tensor of `shape` holding `values` (as doubles, converted to the dtype). */
fedc_tensor tt_make(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape, const double *values);

/* A contiguous tensor of `shape` holding zeros. */
fedc_tensor tt_zeros(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape);

/* A contiguous tensor of `shape` holding 0, 1, 2, ... in row-major order. */
fedc_tensor tt_iota(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape);

/* Every element of t equals want[i] (NaN matches NaN); t has exactly n elements. */
void tt_expect_values(const fedc_tensor *t, const double *want, int64_t n);

/* A shape of `rank` with every size drawn from tt_sizes, redrawn until it has at most
 * max_numel elements. */
fedc_shape tt_random_shape(fedc_rng *rng, int rank, int64_t max_numel);

/* Writes random values into every element of a contiguous t. */
typedef void (*tt_fill_fn)(fedc_tensor *t, fedc_rng *rng);

/* A view of `shape` into a fresh *owner filled by `fill`: layout bit 0 pads every axis by 2 and
 * slices the middle (gaps between rows), bit 1 stores the axes in a random order (permuted
 * strides). The caller frees *owner. */
fedc_tensor tt_random_view(fedc_ctx *ctx, fedc_rng *rng, fedc_dtype dtype, const fedc_shape *shape,
                           int layout, tt_fill_fn fill, fedc_tensor *owner);

/* The same view moved from one owner to another of the same shape (e.g. to a clone of it). */
fedc_tensor tt_rebase(const fedc_tensor *view, const fedc_tensor *from, const fedc_tensor *to);

#endif /* FEDC_TESTS_TENSOR_TESTUTIL_H */
