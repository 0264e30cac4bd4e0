/* fuzz_csv.c — fuzz target for the CSV reader: the first byte picks whether column "id" holds
 * client ids, the rest is the text. Any input must parse into a consistent table or fail with a
 * message, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "fedc/base.h"
#include "fedc/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx)) return 0;
    fedc_csv_table t;
    const char *id = data[0] & 1 ? "id" : NULL;
    fedc_status st = fedc_csv_parse(ctx, "fuzz.csv", data + 1, size - 1, id, &t);
    if (st == FEDC_STATUS_OK) {
        if (t.cols < 1 || (id && (t.id_col < 0 || (t.rows && !t.ids)))) abort();
        for (int64_t r = 0; id && r < t.rows; r++)
            if (!t.ids[r]) abort();
        double sum = 0;
        for (int64_t i = 0; i < t.rows * t.cols; i++)
            sum += t.values[i];
        (void)sum;
    } else if (!fedc_ctx_message(ctx)[0]) {
        abort();
    }
    fedc_csv_table_free(&t);
    fedc_ctx_destroy(ctx);
    return 0;
}
