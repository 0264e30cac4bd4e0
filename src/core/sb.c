/* sb.c — the core's text builder: writes into a fixed buffer (truncating, as snprintf) or a
 * growing fedc_malloc'd one. Used by the printers; it must not record errors (callers do).
 */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

void fedc__sb_fixed(fedc__sb *sb, char *buf, size_t size) {
    sb->buf = buf;
    sb->cap = size;
    sb->len = 0;
    sb->grow = false;
    sb->oom = false;
    if (size > 0) buf[0] = '\0';
}

void fedc__sb_growing(fedc__sb *sb) {
    sb->buf = NULL;
    sb->cap = 0;
    sb->len = 0;
    sb->grow = true;
    sb->oom = false;
}

static void sb_append(fedc__sb *sb, const char *s, size_t n) {
    if (sb->grow && !sb->oom && sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *nb = fedc_realloc(sb->buf, cap);
        if (!nb) {
            sb->oom = true;
        } else {
            sb->buf = nb;
            sb->cap = cap;
        }
    }
    if (sb->cap > 0 && !sb->oom && sb->len < sb->cap - 1) {
        size_t room = sb->cap - 1 - sb->len;
        size_t k = n < room ? n : room;
        memcpy(sb->buf + sb->len, s, k);
        sb->buf[sb->len + k] = '\0';
    }
    sb->len += n;
}

void fedc__sb_puts(fedc__sb *sb, const char *s) { sb_append(sb, s, strlen(s)); }

void fedc__sb_printf(fedc__sb *sb, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* every caller formats numbers and short names, well under the buffer */
    if (n < 0) return;
    sb_append(sb, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
