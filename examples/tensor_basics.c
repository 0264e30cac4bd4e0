/* tensor_basics.c — a first fedc program: a linear layer's forward pass on a tiny batch.
 *
 * logits = x @ W, probabilities = softmax(logits), with fedc's error contexts and tensors.
 * Build against an installed fedc:  cc tensor_basics.c $(pkg-config --cflags --libs fedc)
 */
#include <stdio.h>

#include <fedc/fedc.h>

int main(void) {
    fedc_ctx *ctx = NULL;
    if (fedc_ctx_create(&ctx) != FEDC_STATUS_OK) return 1;

    float x_data[2 * 3] = {1, 2, 3, 4, 5, 6};             /* 2 examples, 3 features */
    float w_data[3 * 2] = {0.5f, -1, 0.25f, 1, -0.5f, 0}; /* 3 features -> 2 classes */
    fedc_shape xs = FEDC_SHAPE(2, 3), ws = FEDC_SHAPE(3, 2), ls = FEDC_SHAPE(2, 2);
    fedc_tensor x = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &xs, x_data);
    fedc_tensor w = fedc_tensor_view(FEDC_DTYPE_FLOAT32, &ws, w_data);

    fedc_tensor logits, probs;
    fedc_status st = fedc_tensor_alloc(ctx, &logits, FEDC_DTYPE_FLOAT32, &ls);
    if (st == FEDC_STATUS_OK) st = fedc_tensor_alloc(ctx, &probs, FEDC_DTYPE_FLOAT32, &ls);
    if (st == FEDC_STATUS_OK) st = fedc_tensor_matmul(ctx, &x, false, &w, false, &logits);
    if (st == FEDC_STATUS_OK) st = fedc_tensor_softmax(ctx, &logits, &probs);

    /* A mistake is reported, not crashed on: W @ W has mismatched inner sizes. */
    fedc_tensor wrong;
    fedc_status bad = fedc_tensor_alloc(ctx, &wrong, FEDC_DTYPE_FLOAT32, &ls);
    if (bad == FEDC_STATUS_OK) bad = fedc_tensor_matmul(ctx, &w, false, &w, false, &wrong);
    if (bad != FEDC_STATUS_OK)
        printf("expected error: %s: %s\n", fedc_status_name(bad), fedc_ctx_message(ctx));
    fedc_tensor_free(&wrong);

    if (st == FEDC_STATUS_OK) {
        printf("fedc %s (%s kernels)\n", fedc_version(), fedc_kernels_name());
        for (int64_t i = 0; i < 2; i++)
            printf("example %lld: logits [% .3f % .3f]  probabilities [%.4f %.4f]\n", (long long)i,
                   fedc_tensor_get(&logits, (int64_t[]){i, 0}),
                   fedc_tensor_get(&logits, (int64_t[]){i, 1}),
                   fedc_tensor_get(&probs, (int64_t[]){i, 0}),
                   fedc_tensor_get(&probs, (int64_t[]){i, 1}));
    } else {
        fprintf(stderr, "error: %s: %s\n", fedc_status_name(st), fedc_ctx_message(ctx));
    }
    fedc_tensor_free(&logits);
    fedc_tensor_free(&probs);
    fedc_ctx_destroy(ctx);
    return st == FEDC_STATUS_OK ? 0 : 1;
}
