/* value_iter.c — the public face of sequence iteration (fedc/core_exec.h): the same streaming
 * reads the executor's reductions use, for layers above the core that consume client datasets.
 */
#include "core/core_int.h"

fedc_status fedc_value_iter_open(fedc_ctx *ctx, fedc_value *seq, fedc_value_iter *it) {
    return fedc__seq_open(ctx, seq, it);
}

fedc_status fedc_value_iter_next(fedc_ctx *ctx, fedc_value_iter *it, fedc_value **out) {
    return fedc__seq_next(ctx, it, out);
}

void fedc_value_iter_close(fedc_value_iter *it) { fedc__seq_close(it); }
