/* dispatch.c — the public raw float kernels, forwarding to the set chosen at build time
 * (kernels.h). Holds no arithmetic of its own. */
#include "tensor/kernels/kernels.h"

const char *fedc_kernels_name(void) {
#if defined(FEDC_KERNELS_REF)
    return "ref";
#elif defined(FEDC_HAVE_OPENBLAS)
    return "opt+openblas";
#else
    return "opt";
#endif
}
