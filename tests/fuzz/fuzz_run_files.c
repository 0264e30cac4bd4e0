/* fuzz_run_files.c — fuzz target for the readers of a training run's files: the first byte picks
 * a checkpoint file (ckpt-3.fcc), a TensorBoard events file or a metrics.jsonl file, the rest is
 * its content. A reader must accept the file or fail with a message; never crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/base.h"
#include "fedc/learning_program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fedc_status count_record(fedc_ctx *ctx, void *user, const fedc_metrics_record *r) {
    (void)ctx;
    size_t *n = user;
    *n += fedc_metrics_record_count(r);
    return FEDC_STATUS_OK;
}

static fedc_status count_event(fedc_ctx *ctx, void *user, const char *file_version,
                               const fedc_metrics_record *r) {
    (void)file_version;
    return count_record(ctx, user, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char dir[] = "/tmp/fedc_fuzz_run_XXXXXX", path[128];
    if (!mkdtemp(dir)) return 0;
    int kind = data[0] % 3;
    snprintf(path, sizeof path, "%s/%s", dir,
             kind == 0   ? "ckpt-3.fcc"
             : kind == 1 ? "events.out.tfevents.1.h"
                         : "metrics.jsonl");
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size > 1) fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 0;
    fedc_status st;
    size_t n = 0;
    if (kind == 0) {
        fedc_checkpoint *c = NULL;
        st = fedc_checkpoint_load(ctx, path, &c);
        if (st == FEDC_STATUS_OK) {
            if (fedc_checkpoint_round(c) != 3) abort();
            for (size_t i = 0; i < fedc_checkpoint_count(c); i++) {
                size_t len;
                const uint8_t *b = fedc_checkpoint_data(c, i, &len);
                for (size_t k = 0; k < len; k++)
                    n += b[k];
            }
        }
        fedc_checkpoint_destroy(c);
    } else if (kind == 1) {
        st = fedc_tfevents_read(ctx, path, count_event, &n);
    } else {
        st = fedc_metrics_jsonl_read(ctx, path, count_record, &n);
    }
    if (st != FEDC_STATUS_OK && !fedc_ctx_message(ctx)[0]) abort();
    fedc_ctx_destroy(ctx);
    unlink(path);
    rmdir(dir);
    (void)n;
    return 0;
}
