/* ref/elementwise.c — reference binary (with broadcasting) and unary kernels.
 *
 * The oracle for opt/elementwise.c: the output is walked row by row in row-major order (a row
 * is the last axis) and every operand is read through its own strides, with stride 0 where it
 * is broadcast. No layout special cases, no reordering. The per-element expressions, the
 * definition of each op, live in elem.h and are the ones opt/elementwise.c expands too, which
 * is what makes the twins bit-identical; only the plain strided row loops below are this
 * file's own. */
#include "tensor/kernels/elem.h"

/* ---- binary ------------------------------------------------------------------------------ */

/* out[i * so] = EXPR(x = a[i * sa], y = b[i * sb]) for i < n */
#define BINARY_LOOP(TI, TO, EXPR)                                                                  \
    do {                                                                                           \
        const TI *pa = a;                                                                          \
        const TI *pb = b;                                                                          \
        TO *po = out;                                                                              \
        for (int64_t i = 0; i < n; i++) {                                                          \
            TI x = pa[i * sa], y = pb[i * sb];                                                     \
            po[i * so] = (TO)(EXPR);                                                               \
        }                                                                                          \
    } while (0)

ELEM_DEFINE_BINARY_ROWS(BINARY_LOOP)

void fedc__ref_binary(fedc_binary_op op, const fedc_tensor *a, const fedc_tensor *b,
                      fedc_tensor *out) {
    elem_binary(g_binary_rows[a->dtype], op, a, b, out, false);
}

/* ---- unary ------------------------------------------------------------------------------- */

/* out[i * so] = EXPR(x = a[i * sa]) for i < n */
#define UNARY_LOOP(T, EXPR)                                                                        \
    do {                                                                                           \
        const T *pa = a;                                                                           \
        T *po = out;                                                                               \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T x = pa[i * sa];                                                                      \
            po[i * so] = (T)(EXPR);                                                                \
        }                                                                                          \
    } while (0)

ELEM_DEFINE_UNARY_ROWS(UNARY_LOOP)

void fedc__ref_unary(fedc_unary_op op, const fedc_tensor *a, fedc_tensor *out) {
    elem_unary(g_unary_rows[a->dtype], op, a, out, false);
}
