/* affine.h — private to src/nn: the elementwise passes around the product of Dense and Conv2D
 * (bias add, relu forward and backward, bias gradient), header-only so that each caller keeps
 * its inlined, vectorized loops.
 *
 * Must not allocate, and must not change the order of operations: results stay bit-identical
 * to the plain loops.
 */
#ifndef FEDC_NN_AFFINE_H
#define FEDC_NN_AFFINE_H

#include <stdint.h>

/* The elementwise passes around the product, in blocks of FEDC__AFFINE_BLK so that gcc -O2
 * vectorizes them (its cheap cost model leaves loops of unknown length scalar, and a scalar relu
 * mispredicts a branch on every other element). Same operations in the same order as the plain
 * loops: z += b row by row, relu as z > 0 ? z : 0, db summed over rows in row order, so the bits
 * are equal. */
enum { FEDC__AFFINE_BLK = 8 };

/* z[r, :] += b for every row. */
static inline void fedc__bias_add_rows(int64_t rows, int64_t cols, const float *restrict b,
                                       float *restrict z) {
    for (int64_t r = 0; r < rows; r++) {
        float *zr = z + r * cols;
        int64_t j = 0;
        for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
            for (int k = 0; k < FEDC__AFFINE_BLK; k++)
                zr[j + k] += b[j + k];
        for (; j < cols; j++)
            zr[j] += b[j];
    }
}

/* z[r, :] += b (b may be NULL), then y = relu(z); z and y distinct. */
static inline void fedc__bias_relu_rows(int64_t rows, int64_t cols, const float *restrict b,
                                        float *restrict z, float *restrict y) {
    for (int64_t r = 0; r < rows; r++) {
        float *zr = z + r * cols, *yr = y + r * cols;
        int64_t j = 0;
        if (b) {
            for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
                for (int k = 0; k < FEDC__AFFINE_BLK; k++) {
                    float v = zr[j + k] + b[j + k];
                    zr[j + k] = v;
                    yr[j + k] = v > 0.0f ? v : 0.0f;
                }
            for (; j < cols; j++) {
                float v = zr[j] + b[j];
                zr[j] = v;
                yr[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
                for (int k = 0; k < FEDC__AFFINE_BLK; k++) {
                    float v = zr[j + k];
                    yr[j + k] = v > 0.0f ? v : 0.0f;
                }
            for (; j < cols; j++)
                yr[j] = zr[j] > 0.0f ? zr[j] : 0.0f;
        }
    }
}

/* dz = dy where y > 0, else 0 (relu's derivative at 0 is 0, as TensorFlow and PyTorch take
 * it); db (NULL: none) += the column sums of dz, in row order (so rows taken in consecutive
 * groups sum as all rows at once). */
static inline void fedc__relu_backward_rows_add(int64_t rows, int64_t cols, const float *restrict y,
                                                const float *restrict dy, float *restrict dz,
                                                float *restrict db) {
    for (int64_t r = 0; r < rows; r++) {
        const float *yr = y + r * cols, *dyr = dy + r * cols;
        float *dzr = dz + r * cols;
        int64_t j = 0;
        if (db) {
            for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
                for (int k = 0; k < FEDC__AFFINE_BLK; k++) {
                    float d = dyr[j + k], v = yr[j + k];
                    float o = v > 0.0f ? d : 0.0f;
                    dzr[j + k] = o;
                    db[j + k] += o;
                }
            for (; j < cols; j++) {
                float o = yr[j] > 0.0f ? dyr[j] : 0.0f;
                dzr[j] = o;
                db[j] += o;
            }
        } else {
            for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
                for (int k = 0; k < FEDC__AFFINE_BLK; k++) {
                    float d = dyr[j + k], v = yr[j + k];
                    dzr[j + k] = v > 0.0f ? d : 0.0f;
                }
            for (; j < cols; j++)
                dzr[j] = yr[j] > 0.0f ? dyr[j] : 0.0f;
        }
    }
}

/* As fedc__relu_backward_rows_add with db (NULL: none) zeroed first: db = the column sums. */
static inline void fedc__relu_backward_rows(int64_t rows, int64_t cols, const float *restrict y,
                                            const float *restrict dy, float *restrict dz,
                                            float *restrict db) {
    if (db)
        for (int64_t j = 0; j < cols; j++)
            db[j] = 0.0f;
    fedc__relu_backward_rows_add(rows, cols, y, dy, dz, db);
}

/* db = the column sums of dz, in row order. */
static inline void fedc__column_sums(int64_t rows, int64_t cols, const float *restrict dz,
                                     float *restrict db) {
    for (int64_t j = 0; j < cols; j++)
        db[j] = 0.0f;
    for (int64_t r = 0; r < rows; r++) {
        const float *dzr = dz + r * cols;
        int64_t j = 0;
        for (; j + FEDC__AFFINE_BLK <= cols; j += FEDC__AFFINE_BLK)
            for (int k = 0; k < FEDC__AFFINE_BLK; k++)
                db[j + k] += dzr[j + k];
        for (; j < cols; j++)
            db[j] += dzr[j];
    }
}

#endif
