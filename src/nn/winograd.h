/* winograd.h — private to src/nn: 3x3 convolutions at stride 1 by Winograd's minimal filtering
 * F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): the
 * output is cut into 2x2 tiles, each read from a 4x4 input tile; in the transformed domain a
 * tile is 16 elementwise products, which over all tiles and channels are 16 matrix products
 * [tiles x in channels] @ [in channels x out channels]. That is 2.25x fewer multiplications
 * than im2col's one product, for the forward pass, the input gradient (the same convolution of
 * dy with the flipped kernel) and the kernel gradient.
 *
 * Layouts: images NHWC; kernels Keras's [3, 3, in, out]; transformed kernels u[16][in][out];
 * transformed tiles v[16][tiles][channels], tile t of a batch counted example by example, row
 * by row. Results are deterministic (fixed operation order, products through fedc_sgemm) but
 * not bit-equal to im2col's: they differ by a few float32 roundings.
 *
 * Must not allocate: callers pass every buffer, sized by the functions below.
 */
#ifndef FEDC_NN_WINOGRAD_H
#define FEDC_NN_WINOGRAD_H

#include <stdbool.h>
#include <stdint.h>

#include "fedc/tensor.h"

/* One stride-1 3x3 convolution as the tiles see it: an in_h x in_w x in_c input read with
 * pad_top / pad_left zero cells before its first row / column (and zeros past its end), giving
 * out_h x out_w x out_c. */
typedef struct fedc__wino_geom {
    int64_t in_h, in_w, in_c;
    int64_t out_h, out_w, out_c;
    int64_t pad_top, pad_left;
    int64_t tiles_h, tiles_w; /* ceil(out / 2) */
} fedc__wino_geom;

/* Whether Winograd serves a layer of this geometry and filter count: 3x3 windows at stride 1
 * with at least 16 input channels and 16 filters (below that the 16 products are too thin for
 * the matrix kernels and im2col's one product is faster). */
bool fedc__wino_applies(const fedc_conv2d_geom *g, int64_t filters);

/* The forward convolution of a layer's geometry g, and its input gradient: dy
 * [out_h, out_w, filters] correlated with the flipped kernel, with 2 - pad cells of padding,
 * gives dx [in_h, in_w, channels]. */
fedc__wino_geom fedc__wino_forward_geom(const fedc_conv2d_geom *g, int64_t filters);
fedc__wino_geom fedc__wino_input_grad_geom(const fedc_conv2d_geom *g, int64_t filters);

/* Tiles of `batch` examples. */
int64_t fedc__wino_tiles(const fedc__wino_geom *w, int64_t batch);

/* Floats of the work buffers (v and m of fedc__wino_conv, v and q of fedc__wino_kernel_grad)
 * for `batch` examples: 16 * tiles * (in_c + out_c). */
int64_t fedc__wino_work_size(const fedc__wino_geom *w, int64_t batch);

/* u[16][in][out] = G k G^T for each (in, out) of kernel k [3, 3, in, out]. */
void fedc__wino_kernel(int64_t in_c, int64_t out_c, const float *kernel, float *u);

/* The transformed kernel of the input gradient: u[16][out][in] from k flipped in both spatial
 * axes with its channel axes swapped. */
void fedc__wino_kernel_flipped(int64_t in_c, int64_t out_c, const float *kernel, float *u);

/* What the forward pass does to each output of the convolution as it is stored: add the bias
 * of its channel (NULL: none), then relu when asked; the same operations in the same order as
 * separate passes, so the same bits, without reading the outputs back. */
typedef struct fedc__wino_epilogue {
    const float *bias; /* [out_c] or NULL */
    bool relu;
} fedc__wino_epilogue;

/* y [batch, out_h, out_w, out_c] = the convolution of x [batch, in_h, in_w, in_c] with the
 * transformed kernel u, through the epilogue ep (NULL: none), overwritten. work:
 * fedc__wino_work_size floats. */
void fedc__wino_conv(const fedc__wino_geom *w, int64_t batch, const float *x, const float *u,
                     const fedc__wino_epilogue *ep, float *work, float *y);

/* The transformed kernel gradient of x [batch, in_h, in_w, in_c] and dz [batch, out_h, out_w,
 * out_c]: ug[16][in][out] = its sum over the batch's tiles, added to ug when `accumulate`, else
 * overwriting it. work: fedc__wino_work_size floats. */
void fedc__wino_kernel_grad(const fedc__wino_geom *w, int64_t batch, const float *x,
                            const float *dz, bool accumulate, float *work, float *ug);

/* dkernel [3, 3, in, out] = G^T ug G (overwritten): the kernel gradient from the transformed
 * one. */
void fedc__wino_kernel_grad_finish(int64_t in_c, int64_t out_c, const float *ug, float *dkernel);

#endif
