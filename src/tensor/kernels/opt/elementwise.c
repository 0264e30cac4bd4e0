/* opt/elementwise.c — optimized binary (with broadcasting) and unary kernels.
 *
 * Bit-identical to ref/elementwise.c: the per-element expressions come from elem.h, as the
 * reference's do; only the loops differ. Axes that all operands walk as one are merged
 * (fedc__walk_collapse), so contiguous same-shape operands become one long row, a scalar
 * operand a row with stride 0 and a row-vector operand ([m,n] + [n]) m rows; the row loop then
 * has unit-stride variants the compiler vectorizes. Loops carry no `restrict`: out may legally
 * be an input (same shape and strides), and the compiler's own overlap check handles the rest. */
#include "tensor/kernels/elem.h"

/* ---- binary ------------------------------------------------------------------------------ */

/* out[i * so] = EXPR(x = a[i * sa], y = b[i * sb]) for i < n, with the unit-stride and
 * broadcast-operand cases written out so each becomes a simple vectorizable loop. */
#define BINARY_LOOP(TI, TO, EXPR)                                                                  \
    do {                                                                                           \
        const TI *pa = a;                                                                          \
        const TI *pb = b;                                                                          \
        TO *po = out;                                                                              \
        if (sa == 1 && sb == 1 && so == 1) {                                                       \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TI x = pa[i], y = pb[i];                                                           \
                po[i] = (TO)(EXPR);                                                                \
            }                                                                                      \
        } else if (sa == 1 && sb == 0 && so == 1) {                                                \
            const TI y = pb[0];                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TI x = pa[i];                                                                      \
                po[i] = (TO)(EXPR);                                                                \
            }                                                                                      \
        } else if (sa == 0 && sb == 1 && so == 1) {                                                \
            const TI x = pa[0];                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TI y = pb[i];                                                                      \
                po[i] = (TO)(EXPR);                                                                \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TI x = pa[i * sa], y = pb[i * sb];                                                 \
                po[i * so] = (TO)(EXPR);                                                           \
            }                                                                                      \
        }                                                                                          \
    } while (0)

ELEM_DEFINE_BINARY_ROWS(BINARY_LOOP)

void fedc__opt_binary(fedc_binary_op op, const fedc_tensor *a, const fedc_tensor *b,
                      fedc_tensor *out) {
    elem_binary(g_binary_rows[a->dtype], op, a, b, out, true);
}

/* ---- unary ------------------------------------------------------------------------------- */

/* out[i * so] = EXPR(x = a[i * sa]) for i < n, with a unit-stride variant to vectorize. */
#define UNARY_LOOP(T, EXPR)                                                                        \
    do {                                                                                           \
        const T *pa = a;                                                                           \
        T *po = out;                                                                               \
        if (sa == 1 && so == 1) {                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T x = pa[i];                                                                       \
                po[i] = (T)(EXPR);                                                                 \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                T x = pa[i * sa];                                                                  \
                po[i * so] = (T)(EXPR);                                                            \
            }                                                                                      \
        }                                                                                          \
    } while (0)

ELEM_DEFINE_UNARY_ROWS(UNARY_LOOP)

void fedc__opt_unary(fedc_unary_op op, const fedc_tensor *a, fedc_tensor *out) {
    elem_unary(g_unary_rows[a->dtype], op, a, out, true);
}
