/* intrinsics.c — the names of the federated and sequence intrinsics (TFF's spelling) and of the
 * built-in local tensor operations. Only names live here; their typing is in check_*.c.
 */
#include <string.h>

#include "core/core_int.h"

static const char *const kIntrinsicNames[FEDC_INTRINSIC_COUNT] = {
    "federated_value",         "federated_eval",
    "federated_broadcast",     "federated_map",
    "federated_apply",         "federated_zip",
    "federated_sum",           "federated_mean",
    "federated_weighted_mean", "federated_min",
    "federated_max",           "federated_aggregate",
    "federated_secure_sum",    "federated_secure_sum_bitwidth",
    "federated_select",        "sequence_map",
    "sequence_reduce",         "sequence_sum",
};

const char *fedc_intrinsic_name(fedc_intrinsic i) {
    return (unsigned)i < FEDC_INTRINSIC_COUNT ? kIntrinsicNames[i] : NULL;
}

bool fedc_intrinsic_lookup(const char *name, fedc_intrinsic *out) {
    for (int i = 0; i < FEDC_INTRINSIC_COUNT; i++)
        if (strcmp(name, kIntrinsicNames[i]) == 0) {
            *out = (fedc_intrinsic)i;
            return true;
        }
    return false;
}

static const char *const kBuiltins[] = {
    "add",           "sub",        "mul",          "div",        "maximum",     "minimum",
    "pow",           "equal",      "not_equal",    "less",       "less_equal",  "greater",
    "greater_equal", "neg",        "abs",          "square",     "sqrt",        "exp",
    "log",           "relu",       "sigmoid",      "tanh",       "logical_not", "where",
    "cast",          "reduce_sum", "reduce_mean",  "reduce_max", "reduce_min",  "matmul",
    "reshape",       "norm",       "clip_by_norm", "zeros_like", "ones_like",   "size",
    "fill",
};

bool fedc_builtin_exists(const char *name) {
    for (size_t i = 0; i < sizeof kBuiltins / sizeof kBuiltins[0]; i++)
        if (strcmp(name, kBuiltins[i]) == 0) return true;
    return false;
}

bool fedc__is_reserved(const char *name, size_t len) {
    static const char *const kw[] = {"let", "in",   "true",   "false",  "inf",
                                     "nan", "data", "native", "SERVER", "CLIENTS"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i]) == len && memcmp(kw[i], name, len) == 0) return true;
    char dt[16] = "";
    fedc_dtype d;
    if (len < sizeof dt) memcpy(dt, name, len);
    return len < sizeof dt && fedc_dtype_parse(dt, &d);
}
