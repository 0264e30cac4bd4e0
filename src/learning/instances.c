/* instances.c — copies of the process's model for the clients running at once. Each slot has an
 * atomic busy flag, so taking and giving back needs no lock, and a steady simulation reuses the
 * same few clones round after round.
 */
#include "learning/learning_int.h"

fedc_status fedc__instance_take(fedc_ctx *ctx, fedc__instances *in, fedc_learning_model **m,
                                int *slot) {
    for (int i = 0; i < FEDC__MAX_INSTANCES; i++) {
        if (atomic_exchange(&in->busy[i], true)) continue;
        if (!in->slot[i]) {
            fedc_status st = fedc_learning_model_clone(ctx, in->proto, &in->slot[i]);
            if (st < 0) {
                atomic_store(&in->busy[i], false);
                return st;
            }
        }
        *m = in->slot[i];
        *slot = i;
        return FEDC_STATUS_OK;
    }
    *slot = -1;
    return fedc_learning_model_clone(ctx, in->proto, m);
}

void fedc__instance_give(fedc__instances *in, fedc_learning_model *m, int slot) {
    if (slot < 0) {
        fedc_learning_model_destroy(m);
        return;
    }
    atomic_store(&in->busy[slot], false);
}

void fedc__instances_free(fedc__instances *in) {
    for (int i = 0; i < FEDC__MAX_INSTANCES; i++) {
        fedc_learning_model_destroy(in->slot[i]);
        in->slot[i] = NULL;
    }
}
