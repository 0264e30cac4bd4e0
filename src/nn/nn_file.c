/* nn_file.c — whole-file reads and writes for the nn layer's model files (Keras JSON,
 * safetensors), with errors that name the path and the system's reason.
 *
 * Files are read whole into fedc_malloc memory: model files are small next to the model.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn_int.h"

fedc_status fedc__nn_read_file(fedc_ctx *ctx, const char *path, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s", path, strerror(errno));
    fedc_status st = FEDC_STATUS_OK;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: cannot determine its size: %s", path,
                             strerror(errno));
        goto out;
    }
    buf = fedc_malloc((size_t)size + 1);
    if (!buf) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %ld bytes", path, size);
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: short read", path);
        fedc_free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    *out = buf;
    *len = (size_t)size;
out:
    fclose(f);
    return st;
}

fedc_status fedc__nn_write_file(fedc_ctx *ctx, const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int err = w == len ? 0 : (errno ? errno : EIO);
    if (fclose(f) != 0 && err == 0) err = errno ? errno : EIO;
    if (err) return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s", path, strerror(err));
    return FEDC_STATUS_OK;
}
