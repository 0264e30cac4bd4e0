/* walk.h — the N-d strided index walk shared by the tensor kernels and the tensor layer (private
 * to src/tensor and its tests).
 *
 * A walk visits the rows of an iteration space in row-major order: every index of the outer axes
 * in turn, the last axis being the row, which the caller's own loop runs along. Each operand is
 * seen through its own strides, with stride 0 along the axes it is broadcast over, so one walk
 * serves an output and all its inputs. Reference kernels walk the shape as it is; optimized
 * kernels first merge the axes every operand walks as one (fedc__walk_collapse), so contiguous
 * operands become a single long row. This file moves indices only: it must not read or write
 * elements, and must not pick an order other than row-major (the reference sums depend on it).
 * The functions are static inline because they run once per row (once per element in the
 * reference reduce), where an out-of-line call measured up to 2x slower on short rows. */
#ifndef FEDC_TENSOR_KERNELS_WALK_H
#define FEDC_TENSOR_KERNELS_WALK_H

#include <assert.h>
#include <string.h>

#include "fedc/tensor.h"

/* The most operands a walk carries: an output and two inputs. */
#define FEDC__WALK_MAX_OPERANDS 3

typedef struct fedc__walk {
    int rank; /* axes; the last is the row */
    int nt;   /* operands added so far */
    int64_t dims[FEDC_MAX_RANK];
    int64_t strides[FEDC__WALK_MAX_OPERANDS][FEDC_MAX_RANK]; /* in elements */
    int64_t idx[FEDC_MAX_RANK];           /* the current row's index on axes 0..rank-2 */
    int64_t off[FEDC__WALK_MAX_OPERANDS]; /* the current row's first element, per operand */
} fedc__walk;

/* Advances a row-major multi-index over dims[0..rank); false after the last one (and at once
 * for rank 0). */
static inline bool fedc__next_index(int rank, const int64_t *dims, int64_t *idx) {
    for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < dims[i]) return true;
        idx[i] = 0;
    }
    return false;
}

/* Starts a walk over `shape` with no operands, at the first row. */
static inline void fedc__walk_init(fedc__walk *w, const fedc_shape *shape) {
    assert(shape->rank >= 0 && shape->rank <= FEDC_MAX_RANK);
    memset(w, 0, sizeof *w);
    w->rank = shape->rank;
    for (int i = 0; i < shape->rank; i++)
        w->dims[i] = shape->dims[i];
}

/* Adds t as the next operand (numbered from 0 in the order added). t's shape must broadcast to
 * the walk's (NumPy alignment from the right); it is read with stride 0 along the axes it lacks
 * or has as size 1. */
static inline void fedc__walk_add(fedc__walk *w, const fedc_tensor *t) {
    assert(w->nt < FEDC__WALK_MAX_OPERANDS && t->shape.rank <= w->rank);
    int64_t *strides = w->strides[w->nt++];
    for (int i = 0; i < w->rank; i++) {
        int ti = i - (w->rank - t->shape.rank);
        strides[i] = (ti < 0 || t->shape.dims[ti] == 1) ? 0 : t->strides[ti];
    }
}

/* Drops size-1 axes and merges axis pairs that every operand walks as one (the outer stride is
 * the inner stride times the inner size; stride-0 pairs merge too). Call after the last
 * fedc__walk_add and before the first fedc__walk_next; a fully collapsed walk has rank 0. */
static inline void fedc__walk_collapse(fedc__walk *w) {
    int r = 0;
    for (int i = 0; i < w->rank; i++) {
        if (w->dims[i] == 1) continue;
        bool merge = r > 0;
        for (int t = 0; t < w->nt && merge; t++)
            merge = w->strides[t][r - 1] == w->strides[t][i] * w->dims[i];
        if (merge) {
            w->dims[r - 1] *= w->dims[i];
            for (int t = 0; t < w->nt; t++)
                w->strides[t][r - 1] = w->strides[t][i];
            continue;
        }
        w->dims[r] = w->dims[i];
        for (int t = 0; t < w->nt; t++)
            w->strides[t][r] = w->strides[t][i];
        r++;
    }
    w->rank = r;
}

/* The row length and each operand's stride along the row; a rank-0 walk is one row of one
 * element. */
static inline int64_t fedc__walk_row(const fedc__walk *w, int64_t *row_strides) {
    for (int t = 0; t < w->nt; t++)
        row_strides[t] = w->rank ? w->strides[t][w->rank - 1] : 0;
    return w->rank ? w->dims[w->rank - 1] : 1;
}

/* Moves to the next row and updates off[]; false after the last row. The offsets follow the
 * index step by step (off[t] stays the sum of idx[i] * strides[t][i]): one add per operand for
 * most rows. */
static inline bool fedc__walk_next(fedc__walk *w) {
    for (int i = w->rank - 2; i >= 0; i--) {
        if (++w->idx[i] < w->dims[i]) {
            for (int t = 0; t < w->nt; t++)
                w->off[t] += w->strides[t][i];
            return true;
        }
        w->idx[i] = 0;
        for (int t = 0; t < w->nt; t++)
            w->off[t] -= (w->dims[i] - 1) * w->strides[t][i];
    }
    return false;
}

#endif /* FEDC_TENSOR_KERNELS_WALK_H */
