/* ref/copy.c — reference copy (same dtype, any strides) and float32 transpose.
 *
 * The oracle for opt/copy.c: one element at a time in row-major order, no layout special
 * cases. Elements are moved as bytes, so no value (NaN payloads included) is changed. */
#include <string.h>

#include "tensor/kernels/kernels.h"
#include "tensor/kernels/walk.h"

void fedc__ref_copy(fedc_tensor *dst, const fedc_tensor *src) {
    if (fedc_tensor_numel(dst) == 0) return;
    int rank = dst->shape.rank;
    size_t es = fedc_dtype_size(dst->dtype);
    int64_t idx[FEDC_MAX_RANK] = {0};
    do {
        int64_t od = 0, os = 0;
        for (int i = 0; i < rank; i++) {
            od += idx[i] * dst->strides[i];
            os += idx[i] * src->strides[i];
        }
        /* memmove: copying a tensor onto itself is allowed and moves each byte onto itself */
        memmove((char *)dst->data + od * (int64_t)es, (const char *)src->data + os * (int64_t)es,
                es);
    } while (fedc__next_index(rank, dst->shape.dims, idx));
}

void fedc__ref_transpose_f32(int64_t rows, int64_t cols, const float *x, float *y) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            y[j * rows + i] = x[i * cols + j];
}
