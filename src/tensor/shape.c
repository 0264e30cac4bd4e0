/* shape.c — shapes: construction, element counts, broadcasting, printing. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "fedc/tensor.h"

fedc_shape fedc_shape_make(int rank, const int64_t *dims) {
    assert(rank >= 0 && rank <= FEDC_MAX_RANK);
    fedc_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank; i++)
        s.dims[i] = dims[i];
    return s;
}

int64_t fedc_shape_numel(const fedc_shape *shape) {
    int64_t n = 1;
    for (int i = 0; i < shape->rank; i++)
        n *= shape->dims[i];
    return n;
}

bool fedc_shape_equal(const fedc_shape *a, const fedc_shape *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

fedc_status fedc_shape_broadcast(fedc_ctx *ctx, const fedc_shape *a, const fedc_shape *b,
                                 fedc_shape *out) {
    int rank = a->rank > b->rank ? a->rank : b->rank;
    fedc_shape r;
    memset(&r, 0, sizeof r);
    r.rank = rank;
    for (int i = 0; i < rank; i++) {
        /* align from the right */
        int ia = a->rank - rank + i, ib = b->rank - rank + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            fedc_shape_format(a, sa, sizeof sa);
            fedc_shape_format(b, sb, sizeof sb);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                   "shapes %s and %s do not broadcast (axis %d: %lld vs %lld)", sa,
                                   sb, i, (long long)da, (long long)db);
        }
        r.dims[i] = da == 1 ? db : da;
    }
    *out = r;
    return FEDC_STATUS_OK;
}

int fedc_shape_format(const fedc_shape *shape, char *buf, size_t size) {
    int total = 0;
    int n = snprintf(buf, size, "[");
    total += n;
    for (int i = 0; i < shape->rank; i++) {
        size_t used = (size_t)total < size ? (size_t)total : size;
        n = snprintf(buf + used, size - used, "%s%lld", i ? "," : "", (long long)shape->dims[i]);
        total += n;
    }
    size_t used = (size_t)total < size ? (size_t)total : size;
    total += snprintf(buf + used, size - used, "]");
    return total;
}
