/* tensor_testutil.c — helpers shared by the tensor layer's tests (tensor_testutil.h).
 *
 * Registers no tests; it only builds inputs and checks values. Random draws happen in a fixed
 * order (the permutation, then the fill), so the tests that call these see the same inputs for
 * the same seed. */
#include <math.h>

#include "tensor/tensor_testutil.h"

const int64_t tt_sizes[TT_NSIZES] = {0, 1, 3, 17, 33, 129};

fedc_tensor tt_make(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape, const double *values) {
    fedc_tensor t;
    ASSERT_OK(fedc_tensor_alloc(ctx, &t, dtype, &shape));
    for (int64_t i = 0; i < fedc_tensor_numel(&t); i++)
        fedc_tensor_set_flat(&t, i, values[i]);
    return t;
}

fedc_tensor tt_zeros(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape) {
    fedc_tensor t;
    ASSERT_OK(fedc_tensor_alloc(ctx, &t, dtype, &shape));
    return t;
}

fedc_tensor tt_iota(fedc_ctx *ctx, fedc_dtype dtype, fedc_shape shape) {
    fedc_tensor t = tt_zeros(ctx, dtype, shape);
    for (int64_t i = 0; i < fedc_tensor_numel(&t); i++)
        fedc_tensor_set_flat(&t, i, (double)i);
    return t;
}

void tt_expect_values(const fedc_tensor *t, const double *want, int64_t n) {
    ASSERT_EQ(fedc_tensor_numel(t), n);
    for (int64_t i = 0; i < n; i++) {
        double got = fedc_tensor_get_flat(t, i);
        if (!(got == want[i] || (isnan(got) && isnan(want[i]))))
            FAIL("element %lld is %.17g, expected %.17g", (long long)i, got, want[i]);
    }
}

fedc_shape tt_random_shape(fedc_rng *rng, int rank, int64_t max_numel) {
    fedc_shape s = FEDC_SHAPE0;
    s.rank = rank;
    do {
        for (int i = 0; i < rank; i++)
            s.dims[i] = tt_sizes[fedc_rng_below(rng, TT_NSIZES)];
    } while (fedc_shape_numel(&s) > max_numel);
    return s;
}

fedc_tensor tt_random_view(fedc_ctx *ctx, fedc_rng *rng, fedc_dtype dtype, const fedc_shape *shape,
                           int layout, tt_fill_fn fill, fedc_tensor *owner) {
    int rank = shape->rank;
    int64_t perm64[FEDC_MAX_RANK];
    int perm[FEDC_MAX_RANK], inv[FEDC_MAX_RANK];
    if (layout & 2) fedc_rng_permutation(rng, perm64, (size_t)rank);
    for (int i = 0; i < rank; i++)
        perm[i] = (layout & 2) ? (int)perm64[i] : i;
    for (int i = 0; i < rank; i++)
        inv[perm[i]] = i;
    int64_t pad = (layout & 1) ? 2 : 0;
    fedc_shape parent = *shape;
    for (int j = 0; j < rank; j++)
        parent.dims[j] = shape->dims[perm[j]] + pad;
    ASSERT_OK(fedc_tensor_alloc(ctx, owner, dtype, &parent));
    fill(owner, rng);
    fedc_tensor v;
    ASSERT_OK(fedc_tensor_permute(ctx, owner, inv, &v));
    for (int i = 0; i < rank; i++)
        ASSERT_OK(fedc_tensor_slice(ctx, &v, i, pad / 2, pad / 2 + shape->dims[i], &v));
    return v;
}

fedc_tensor tt_rebase(const fedc_tensor *view, const fedc_tensor *from, const fedc_tensor *to) {
    fedc_tensor v = *view;
    v.data = (char *)to->data + ((const char *)view->data - (const char *)from->data);
    return v;
}
