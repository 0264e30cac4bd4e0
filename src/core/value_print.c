/* value_print.c — a readable text of values for tests, tools and messages (not a serialization:
 * federated and sequence values have no parser).
 */
#include "core/core_int.h"

static fedc_status write_value(fedc_ctx *ctx, fedc__sb *sb, fedc_value *v) {
    fedc_status st;
    switch (v->kind) {
    case FEDC_VALUE_TENSOR: fedc__literal_write(sb, &v->tensor); return FEDC_STATUS_OK;
    case FEDC_VALUE_STRUCT:
        fedc__sb_puts(sb, "<");
        for (size_t i = 0; i < v->n; i++) {
            if (i) fedc__sb_puts(sb, ", ");
            if (v->names && v->names[i]) {
                fedc__sb_puts(sb, v->names[i]);
                fedc__sb_puts(sb, "=");
            }
            if ((st = write_value(ctx, sb, v->items[i])) < 0) return st;
        }
        fedc__sb_puts(sb, ">");
        return FEDC_STATUS_OK;
    case FEDC_VALUE_SEQUENCE: {
        fedc_value *list;
        if ((st = fedc_value_sequence_collect(ctx, v, &list)) < 0) return st;
        fedc__sb_puts(sb, "[*");
        for (size_t i = 0; i < list->n && st >= 0; i++) {
            fedc__sb_puts(sb, i ? ", " : " ");
            st = write_value(ctx, sb, list->items[i]);
        }
        fedc__sb_puts(sb, " *]");
        fedc_value_release(list);
        return st;
    }
    case FEDC_VALUE_FEDERATED:
        if (!v->all_equal) fedc__sb_puts(sb, "{");
        for (size_t i = 0; i < v->n; i++) {
            if (i) fedc__sb_puts(sb, ", ");
            if ((st = write_value(ctx, sb, v->items[i])) < 0) return st;
        }
        if (!v->all_equal) fedc__sb_puts(sb, "}");
        fedc__sb_puts(sb, "@");
        fedc__sb_puts(sb, fedc_placement_name(v->placement));
        return FEDC_STATUS_OK;
    case FEDC_VALUE_FUNCTION: fedc__sb_puts(sb, "<function>"); return FEDC_STATUS_OK;
    case FEDC_VALUE_PLACEMENT:
        fedc__sb_puts(sb, fedc_placement_name(v->placement));
        return FEDC_STATUS_OK;
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_value_print(fedc_ctx *ctx, fedc_value *v, char **out) {
    *out = NULL;
    fedc__sb sb;
    fedc__sb_growing(&sb);
    fedc_status st = write_value(ctx, &sb, v);
    if (st >= 0 && !sb.oom && !sb.buf) {
        sb.buf = fedc_malloc(1);
        if (sb.buf)
            sb.buf[0] = '\0';
        else
            sb.oom = true;
    }
    if (st < 0 || sb.oom) {
        fedc_free(sb.buf);
        return st < 0 ? st
                      : fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                        "out of memory printing a value");
    }
    *out = sb.buf;
    return FEDC_STATUS_OK;
}
