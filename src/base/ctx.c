/* ctx.c — error contexts: the last status and its message.
 * Recording an error never allocates, so an out-of-memory error can always be reported. */
#include <stdio.h>
#include <string.h>

#include "fedc/base.h"

struct fedc_ctx {
    fedc_status status;
    char message[FEDC_CTX_MESSAGE_MAX];
};

fedc_status fedc_ctx_create(fedc_ctx **out) {
    *out = fedc_calloc(1, sizeof **out);
    return *out ? FEDC_STATUS_OK : FEDC_STATUS_OUT_OF_MEMORY;
}

void fedc_ctx_destroy(fedc_ctx *ctx) { fedc_free(ctx); }

fedc_status fedc_ctx_verrorf(fedc_ctx *ctx, fedc_status status, const char *fmt, va_list ap) {
    if (!ctx) return status;
    ctx->status = status;
    vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    return status;
}

fedc_status fedc_ctx_errorf(fedc_ctx *ctx, fedc_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fedc_ctx_verrorf(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

fedc_status fedc_ctx_prefixf(fedc_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return FEDC_STATUS_OK;
    char joined[FEDC_CTX_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : ((size_t)n < sizeof joined ? (size_t)n : sizeof joined - 1);
    /* append ": " and the old message, truncating to the buffer */
    const char *parts[2] = {": ", ctx->message};
    for (int p = 0; p < 2; p++)
        for (const char *c = parts[p]; *c && used < sizeof joined - 1; c++)
            joined[used++] = *c;
    joined[used] = '\0';
    memcpy(ctx->message, joined, used + 1);
    return ctx->status;
}

fedc_status fedc_ctx_status(const fedc_ctx *ctx) { return ctx ? ctx->status : FEDC_STATUS_OK; }

const char *fedc_ctx_message(const fedc_ctx *ctx) { return ctx ? ctx->message : ""; }

void fedc_ctx_clear(fedc_ctx *ctx) {
    if (!ctx) return;
    ctx->status = FEDC_STATUS_OK;
    ctx->message[0] = '\0';
}
