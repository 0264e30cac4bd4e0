/* type_print.c — the canonical text of a type in TFF's notation (`<a=int32,b=float32[?,2]>`,
 * `(int32 -> float32)`, `{float32*}@CLIENTS`). Printing never allocates except through a growing
 * builder, and never fails: a NULL type prints as "?".
 */
#include "core/core_int.h"

void fedc__type_write(fedc__sb *sb, const fedc_type *t) {
    if (!t) {
        fedc__sb_puts(sb, "?");
        return;
    }
    switch (t->kind) {
    case FEDC_TYPE_TENSOR:
        fedc__sb_puts(sb, fedc_dtype_name(t->dtype));
        if (t->rank > 0) {
            fedc__sb_puts(sb, "[");
            for (int i = 0; i < t->rank; i++) {
                if (i) fedc__sb_puts(sb, ",");
                if (t->dims[i] == FEDC_DIM_UNKNOWN)
                    fedc__sb_puts(sb, "?");
                else
                    fedc__sb_printf(sb, "%lld", (long long)t->dims[i]);
            }
            fedc__sb_puts(sb, "]");
        }
        break;
    case FEDC_TYPE_STRUCT:
        fedc__sb_puts(sb, "<");
        for (size_t i = 0; i < t->nfields; i++) {
            if (i) fedc__sb_puts(sb, ",");
            if (t->fields[i].name) {
                fedc__sb_puts(sb, t->fields[i].name);
                fedc__sb_puts(sb, "=");
            }
            fedc__type_write(sb, t->fields[i].type);
        }
        fedc__sb_puts(sb, ">");
        break;
    case FEDC_TYPE_SEQUENCE:
        fedc__type_write(sb, t->element);
        fedc__sb_puts(sb, "*");
        break;
    case FEDC_TYPE_FUNCTION:
        fedc__sb_puts(sb, "(");
        if (t->param) fedc__type_write(sb, t->param);
        fedc__sb_puts(sb, " -> ");
        fedc__type_write(sb, t->result);
        fedc__sb_puts(sb, ")");
        break;
    case FEDC_TYPE_FEDERATED:
        if (!t->all_equal) fedc__sb_puts(sb, "{");
        fedc__type_write(sb, t->element);
        if (!t->all_equal) fedc__sb_puts(sb, "}");
        fedc__sb_puts(sb, "@");
        fedc__sb_puts(sb, fedc_placement_name(t->placement));
        break;
    case FEDC_TYPE_PLACEMENT: fedc__sb_puts(sb, "placement"); break;
    }
}

size_t fedc_type_format(const fedc_type *t, char *buf, size_t size) {
    fedc__sb sb;
    fedc__sb_fixed(&sb, buf, size);
    fedc__type_write(&sb, t);
    return sb.len;
}
