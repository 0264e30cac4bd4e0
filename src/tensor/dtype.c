/* dtype.c — element types: sizes and TFF's names. */
#include <string.h>

#include "fedc/tensor.h"

static const struct {
    const char *name;
    size_t size;
} g_dtypes[FEDC_DTYPE_COUNT] = {
    [FEDC_DTYPE_FLOAT32] = {"float32", 4}, [FEDC_DTYPE_FLOAT64] = {"float64", 8},
    [FEDC_DTYPE_INT32] = {"int32", 4},     [FEDC_DTYPE_INT64] = {"int64", 8},
    [FEDC_DTYPE_UINT8] = {"uint8", 1},     [FEDC_DTYPE_BOOL] = {"bool", 1},
};

static bool valid(fedc_dtype dtype) { return (unsigned)dtype < FEDC_DTYPE_COUNT; }

size_t fedc_dtype_size(fedc_dtype dtype) { return valid(dtype) ? g_dtypes[dtype].size : 0; }

const char *fedc_dtype_name(fedc_dtype dtype) {
    return valid(dtype) ? g_dtypes[dtype].name : "invalid";
}

bool fedc_dtype_parse(const char *name, fedc_dtype *out) {
    for (int i = 0; i < FEDC_DTYPE_COUNT; i++) {
        if (strcmp(name, g_dtypes[i].name) == 0) {
            *out = (fedc_dtype)i;
            return true;
        }
    }
    return false;
}

bool fedc_dtype_is_float(fedc_dtype dtype) {
    return dtype == FEDC_DTYPE_FLOAT32 || dtype == FEDC_DTYPE_FLOAT64;
}
