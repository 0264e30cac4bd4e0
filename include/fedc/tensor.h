/* fedc/tensor.h — the tensor layer's public API: dtypes, shapes, tensors (owned and views) and
 * the numeric kernels the layers above are built from.
 *
 * Depends only on fedc/base.h. Every kernel exists twice inside the library, a plain-loop
 * reference and an optimized twin with the same signature; the build picks which one these
 * functions call (KERNELS=opt, the default, or KERNELS=ref), and the tests check the twins agree.
 */
#ifndef FEDC_TENSOR_H
#define FEDC_TENSOR_H

#include "fedc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * dtypes
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_dtype {
    FEDC_DTYPE_FLOAT32 = 0,
    FEDC_DTYPE_FLOAT64 = 1,
    FEDC_DTYPE_INT32 = 2,
    FEDC_DTYPE_INT64 = 3,
    FEDC_DTYPE_UINT8 = 4,
    FEDC_DTYPE_BOOL = 5, /* one byte, 0 or 1 */
    FEDC_DTYPE_COUNT = 6
} fedc_dtype;

/* Bytes per element (0 for a value outside the enum). Thread-safe. */
size_t fedc_dtype_size(fedc_dtype dtype);

/* TFF's spelling: "float32", "float64", "int32", "int64", "uint8", "bool"; "invalid" otherwise. */
const char *fedc_dtype_name(fedc_dtype dtype);

/* Parses a name as printed by fedc_dtype_name into *out; false if unknown. */
bool fedc_dtype_parse(const char *name, fedc_dtype *out);

/* true for FLOAT32 and FLOAT64. */
bool fedc_dtype_is_float(fedc_dtype dtype);

/* ---------------------------------------------------------------------------------------------
 * Shapes
 * ------------------------------------------------------------------------------------------- */

#define FEDC_MAX_RANK 6

typedef struct fedc_shape {
    int rank;                    /* 0 (a scalar) .. FEDC_MAX_RANK */
    int64_t dims[FEDC_MAX_RANK]; /* dims[rank..] are 0 */
} fedc_shape;

/* A shape from a list of dimensions, e.g. FEDC_SHAPE(20, 784). FEDC_SHAPE0 is the scalar. */
#define FEDC_SHAPE(...)                                                                            \
    fedc_shape_make((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),                     \
                    (const int64_t[]){__VA_ARGS__})
#define FEDC_SHAPE0 fedc_shape_make(0, NULL)

/* Builds a shape; rank must be in [0, FEDC_MAX_RANK] (asserted). */
fedc_shape fedc_shape_make(int rank, const int64_t *dims);

/* The product of the dimensions (1 for a scalar). */
int64_t fedc_shape_numel(const fedc_shape *shape);

/* Same rank and dimensions. */
bool fedc_shape_equal(const fedc_shape *a, const fedc_shape *b);

/* The NumPy broadcast of a and b into *out: dimensions aligned from the right, each pair equal
 * or one of them 1. Errors: SHAPE, naming both shapes. */
fedc_status fedc_shape_broadcast(fedc_ctx *ctx, const fedc_shape *a, const fedc_shape *b,
                                 fedc_shape *out);

/* Writes "[2,3]" ("[]" for a scalar) into buf (always NUL-terminated when size > 0); returns the
 * length the full text needs, as snprintf does. */
int fedc_shape_format(const fedc_shape *shape, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------------
 * Tensors
 *
 * A fedc_tensor is a small value that describes an array: dtype, shape, strides (in elements,
 * may be 0 for broadcast or negative never) and a data pointer. It owns its data when `owned`
 * is non-NULL (made by fedc_tensor_alloc or fedc_tensor_clone, released by fedc_tensor_free);
 * otherwise it is a view that borrows memory someone else keeps alive. Copying the struct
 * copies the description, not the data: exactly one copy of an owned tensor may be freed.
 * Thread safety: tensors are plain memory; concurrent reads are safe, writes need the caller's
 * synchronization.
 * ------------------------------------------------------------------------------------------- */

typedef struct fedc_tensor {
    fedc_dtype dtype;
    fedc_shape shape;
    int64_t strides[FEDC_MAX_RANK]; /* element strides; contiguous row-major when made here */
    void *data;                     /* the element at index (0, ..., 0) */
    void *owned;                    /* the allocation this tensor owns, or NULL for a view */
} fedc_tensor;

/* Allocates a zero-filled, contiguous tensor into *out (owned). Errors: INVALID_ARGUMENT for a
 * bad dtype, a negative dimension or rank; OUT_OF_MEMORY (the message gives the byte count).
 * On error *out is an empty tensor that fedc_tensor_free accepts. */
fedc_status fedc_tensor_alloc(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                              const fedc_shape *shape);

/* As fedc_tensor_alloc, but the contents are left unspecified (no zero fill): for a result the
 * caller writes whole, such as a native function's output, where the fill would be a wasted pass
 * over the memory. Errors and ownership as fedc_tensor_alloc. Thread-safe. */
fedc_status fedc_tensor_alloc_uninit(fedc_ctx *ctx, fedc_tensor *out, fedc_dtype dtype,
                                     const fedc_shape *shape);

/* Frees the data if the tensor owns it and resets *t to an empty view. NULL is a no-op. */
void fedc_tensor_free(fedc_tensor *t);

/* A contiguous view of `data`, which the caller keeps alive and which must hold numel elements. */
fedc_tensor fedc_tensor_view(fedc_dtype dtype, const fedc_shape *shape, void *data);

/* A contiguous owned copy of any tensor (views and strided tensors included). Errors:
 * OUT_OF_MEMORY. */
fedc_status fedc_tensor_clone(fedc_ctx *ctx, const fedc_tensor *src, fedc_tensor *out);

/* Number of elements and of bytes of the elements (numel * dtype size). */
int64_t fedc_tensor_numel(const fedc_tensor *t);
size_t fedc_tensor_nbytes(const fedc_tensor *t);

/* true when the elements are laid out row-major with no gaps (then data[0..numel) is the whole
 * tensor). */
bool fedc_tensor_is_contiguous(const fedc_tensor *t);

/* Views. Each writes a view of `t`'s memory into *out (never owned) and may be given out == t.
 * Errors: OUT_OF_RANGE or INVALID_ARGUMENT naming the axis and the bounds, SHAPE when a reshape's
 * sizes differ or it needs a copy (a non-contiguous tensor; clone it first). */
/* Elements start <= i < stop along `axis` (negative axis counts from the end). */
fedc_status fedc_tensor_slice(fedc_ctx *ctx, const fedc_tensor *t, int axis, int64_t start,
                              int64_t stop, fedc_tensor *out);
/* Element `index` along `axis`, which is removed (rank - 1). */
fedc_status fedc_tensor_select(fedc_ctx *ctx, const fedc_tensor *t, int axis, int64_t index,
                               fedc_tensor *out);
/* Same elements, another shape; one dimension may be -1 (inferred). */
fedc_status fedc_tensor_reshape(fedc_ctx *ctx, const fedc_tensor *t, const fedc_shape *shape,
                                fedc_tensor *out);
/* Axes reordered: out axis i is t's axis perm[i] (strided, no copy). */
fedc_status fedc_tensor_permute(fedc_ctx *ctx, const fedc_tensor *t, const int *perm,
                                fedc_tensor *out);
/* `t` broadcast to `shape` (stride 0 along repeated axes), read-only by convention. */
fedc_status fedc_tensor_expand(fedc_ctx *ctx, const fedc_tensor *t, const fedc_shape *shape,
                               fedc_tensor *out);

/* Copies src's elements into dst (same dtype and shape; any strides, e.g. to materialize a
 * transpose). Errors: TYPE (dtypes differ), SHAPE. */
fedc_status fedc_tensor_copy(fedc_ctx *ctx, fedc_tensor *dst, const fedc_tensor *src);

/* Copies with conversion between any two dtypes (C conversions; to bool: != 0; float to int
 * truncates toward zero and is undefined out of range, as in C). Errors: SHAPE. */
fedc_status fedc_tensor_cast(fedc_ctx *ctx, fedc_tensor *dst, const fedc_tensor *src);

/* Sets every element to `value` converted to the dtype. */
void fedc_tensor_fill(fedc_tensor *t, double value);

/* Element access by multi-index (rank entries, asserted in range), converted to/from double.
 * For tests and tools, not inner loops. */
double fedc_tensor_get(const fedc_tensor *t, const int64_t *index);
void fedc_tensor_set(fedc_tensor *t, const int64_t *index, double value);
/* The same by flat row-major position 0 <= i < numel. */
double fedc_tensor_get_flat(const fedc_tensor *t, int64_t i);
void fedc_tensor_set_flat(fedc_tensor *t, int64_t i, double value);

/* ---------------------------------------------------------------------------------------------
 * Elementwise and broadcast arithmetic, reductions, softmax (checked tensor operations)
 *
 * `out` is allocated by the caller with the result's shape and dtype (fedc_shape_broadcast gives
 * a binary op's shape) and may alias an input of the same shape and strides. Inputs may be
 * strided views. Errors: TYPE when dtypes do not fit (naming them), SHAPE naming both shapes,
 * UNSUPPORTED for an op a dtype lacks (e.g. exp of int32).
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_binary_op {
    FEDC_BINARY_OP_ADD,
    FEDC_BINARY_OP_SUB,
    FEDC_BINARY_OP_MUL,
    FEDC_BINARY_OP_DIV, /* integer division truncates; division by 0 gives 0 for integers */
    FEDC_BINARY_OP_MAXIMUM,
    FEDC_BINARY_OP_MINIMUM,
    FEDC_BINARY_OP_POW, /* floats only */
    /* comparisons: out is bool */
    FEDC_BINARY_OP_EQUAL,
    FEDC_BINARY_OP_NOT_EQUAL,
    FEDC_BINARY_OP_LESS,
    FEDC_BINARY_OP_LESS_EQUAL,
    FEDC_BINARY_OP_GREATER,
    FEDC_BINARY_OP_GREATER_EQUAL,
    FEDC_BINARY_OP_COUNT
} fedc_binary_op;

typedef enum fedc_unary_op {
    FEDC_UNARY_OP_NEG,
    FEDC_UNARY_OP_ABS,
    FEDC_UNARY_OP_SQUARE,
    FEDC_UNARY_OP_SQRT, /* floats only, as are the rest */
    FEDC_UNARY_OP_EXP,
    FEDC_UNARY_OP_LOG,
    FEDC_UNARY_OP_RELU,
    FEDC_UNARY_OP_SIGMOID,
    FEDC_UNARY_OP_TANH,
    FEDC_UNARY_OP_COUNT
} fedc_unary_op;

typedef enum fedc_reduce_op {
    FEDC_REDUCE_OP_SUM,
    FEDC_REDUCE_OP_MEAN, /* floats only */
    FEDC_REDUCE_OP_MAX,
    FEDC_REDUCE_OP_MIN,
    FEDC_REDUCE_OP_COUNT
} fedc_reduce_op;

/* Names for messages and the text language: "add", "less_equal", "sigmoid", "sum", ... */
const char *fedc_binary_op_name(fedc_binary_op op);
const char *fedc_unary_op_name(fedc_unary_op op);
const char *fedc_reduce_op_name(fedc_reduce_op op);

/* out = a OP b with broadcasting. a, b: same dtype (not bool for arithmetic). out: that dtype,
 * or bool for comparisons. */
fedc_status fedc_tensor_binary(fedc_ctx *ctx, fedc_binary_op op, const fedc_tensor *a,
                               const fedc_tensor *b, fedc_tensor *out);

/* out = OP(a); same dtype and shape. */
fedc_status fedc_tensor_unary(fedc_ctx *ctx, fedc_unary_op op, const fedc_tensor *a,
                              fedc_tensor *out);

/* out = OP over the axes in `axes_mask` (bit i = axis i; 0 = all axes). With keepdims the
 * reduced axes stay as size 1, otherwise they are removed. Float sums and means accumulate in
 * float64; the reference kernel adds in row-major order, the optimized one may group the terms
 * differently (each is deterministic for a given build and input). Reducing an empty axis:
 * SUM gives 0, MEAN NaN, MAX/MIN are an error (OUT_OF_RANGE). Dtypes: not bool. */
fedc_status fedc_tensor_reduce(fedc_ctx *ctx, fedc_reduce_op op, const fedc_tensor *a,
                               uint32_t axes_mask, bool keepdims, fedc_tensor *out);

/* Softmax and log-softmax along the last axis (float32 or float64), numerically stable
 * (the row maximum is subtracted first). out: same dtype and shape. */
fedc_status fedc_tensor_softmax(fedc_ctx *ctx, const fedc_tensor *a, fedc_tensor *out);
fedc_status fedc_tensor_log_softmax(fedc_ctx *ctx, const fedc_tensor *a, fedc_tensor *out);

/* out = op(a) @ op(b) for rank-2 float32 or float64 tensors, op = transpose when the flag is
 * set. out: [rows of op(a), cols of op(b)], contiguous. a and b may be contiguous, have a unit
 * inner stride (row slices) or be transposed views of such; other layouts give UNSUPPORTED
 * (clone them first), as does a non-contiguous out. out overlapping an input: INVALID_ARGUMENT.
 * Mismatched inner sizes: SHAPE, naming both shapes and the flags. */
fedc_status fedc_tensor_matmul(fedc_ctx *ctx, const fedc_tensor *a, bool transpose_a,
                               const fedc_tensor *b, bool transpose_b, fedc_tensor *out);

/* ---------------------------------------------------------------------------------------------
 * Raw float kernels (unchecked: for the inner loops of layers and aggregators)
 *
 * Row-major, as C arrays. Arguments are asserted, not reported: callers validate shapes once.
 * Each call runs on the calling thread only, so results do not depend on how many threads the
 * program uses: the OpenBLAS backend is set to one thread at the first gemm, which holds for the
 * whole process (a host program that uses OpenBLAS itself shares that setting).
 * ------------------------------------------------------------------------------------------- */

/* C = alpha * op(A) @ op(B) + beta * C, where op(A) is m x k and op(B) is k x n; op(X) = X^T when
 * the flag is set. lda/ldb/ldc are the row strides of A, B, C as stored (so A is m x k with
 * lda >= k when not transposed, k x m with lda >= m when transposed). beta == 0 ignores C's old
 * contents (NaN included); alpha == 0 reads neither A nor B (as BLAS). m, n or k may be 0. */
void fedc_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                int64_t ldc);
void fedc_dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
                const double *a, int64_t lda, const double *b, int64_t ldb, double beta, double *c,
                int64_t ldc);

/* y += alpha * x over n floats. */
void fedc_saxpy(int64_t n, float alpha, const float *x, float *y);

/* Row-wise softmax / log-softmax of a rows x cols matrix (x and y may be the same). */
void fedc_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y);
void fedc_log_softmax_rows(int64_t rows, int64_t cols, const float *x, float *y);

/* y = x^T for a rows x cols matrix x (y is cols x rows; no aliasing). */
void fedc_transpose_f32(int64_t rows, int64_t cols, const float *x, float *y);

/* ---------------------------------------------------------------------------------------------
 * 2-D convolution and pooling geometry and kernels (channels-last: NHWC, as Keras)
 * ------------------------------------------------------------------------------------------- */

typedef enum fedc_padding {
    FEDC_PADDING_VALID = 0, /* no padding; windows lie inside the input */
    FEDC_PADDING_SAME = 1   /* output = ceil(input / stride), padding split as TensorFlow does
                               (the extra cell goes to the bottom/right) */
} fedc_padding;

typedef struct fedc_conv2d_geom {
    int64_t batch, in_h, in_w, channels; /* input NHWC */
    int64_t kernel_h, kernel_w;
    int64_t stride_h, stride_w;
    int64_t pad_top, pad_left; /* cells of zero padding before the first row/col */
    int64_t out_h, out_w;
} fedc_conv2d_geom;

/* Computes the output size and padding for a window of kernel_h x kernel_w moved by the strides
 * over a batch x in_h x in_w x channels input. Errors: INVALID_ARGUMENT for non-positive sizes or
 * strides, a VALID window larger than the input, or sizes whose products overflow (naming the
 * sizes). */
fedc_status fedc_conv2d_geom_make(fedc_ctx *ctx, int64_t batch, int64_t in_h, int64_t in_w,
                                  int64_t channels, int64_t kernel_h, int64_t kernel_w,
                                  int64_t stride_h, int64_t stride_w, fedc_padding padding,
                                  fedc_conv2d_geom *out);

/* im2col: x [batch, in_h, in_w, channels] -> cols [batch * out_h * out_w, kernel_h * kernel_w *
 * channels], row (b, oy, ox) holding the window in (ky, kx, c) order with zeros for padding. A
 * convolution is then cols @ W with W [kh * kw * c, filters], Keras's kernel layout flattened. */
void fedc_im2col(const fedc_conv2d_geom *g, const float *x, float *cols);

/* col2im: the adjoint of im2col. dx [batch, in_h, in_w, channels] is overwritten with the sum
 * of every column entry that im2col read from each input cell (padding entries dropped). */
void fedc_col2im(const fedc_conv2d_geom *g, const float *cols, float *dx);

/* Max pooling over kernel windows: y [batch, out_h, out_w, channels]. Padded cells never win
 * (as TensorFlow); a NaN beats every number (the first NaN wins). The backward pass routes each
 * dy to the first maximum of its window (row-major order) and overwrites dx [batch, in_h, in_w,
 * channels]. */
void fedc_maxpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y);
void fedc_maxpool2d_backward(const fedc_conv2d_geom *g, const float *x, const float *dy, float *dx);

/* Average pooling: the mean over the window's cells inside the input (padding not counted, as
 * TensorFlow). The backward pass overwrites dx. */
void fedc_avgpool2d_forward(const fedc_conv2d_geom *g, const float *x, float *y);
void fedc_avgpool2d_backward(const fedc_conv2d_geom *g, const float *dy, float *dx);

/* Which kernels this build calls: "opt+openblas", "opt" (no BLAS) or "ref". */
const char *fedc_kernels_name(void);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_TENSOR_H */
