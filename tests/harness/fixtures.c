/* fixtures.c — see fixtures.h. Arrays live in static storage, so nothing is left for the leak
 * checker. */
#include "harness/fixtures.h"

#include <stdio.h>
#include <string.h>

#include "harness/harness.h"

typedef struct fx_array {
    char name[64];
    int64_t n;
    float *v;
} fx_array;

static struct {
    char path[512];
    fx_array a[128];
    int count;
    float pool[1 << 15];
    int64_t used;
} fx;

const char *fedc_fixture_path(const char *file, const char *rel, char *buf, size_t size) {
    const char *slash = strrchr(file, '/');
    snprintf(buf, size, "%.*s/%s", (int)(slash ? slash - file : 1), slash ? file : ".", rel);
    return buf;
}

void fedc_fixture_load(const char *path) {
    if (fx.count && !strcmp(fx.path, path)) return;
    fx.count = 0;
    fx.used = 0;
    snprintf(fx.path, sizeof fx.path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f) FAIL("cannot open %s", path);
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#') {
            while ((c = fgetc(f)) != EOF && c != '\n') {
            }
            continue;
        }
        ungetc(c, f);
        if (fx.count == 128) FAIL("%s: too many arrays", path);
        fx_array *a = &fx.a[fx.count];
        long long n;
        if (fscanf(f, "%63s %lld", a->name, &n) != 2) break;
        a->n = n;
        if (n < 0 || n > (int64_t)(sizeof fx.pool / sizeof fx.pool[0]) - fx.used)
            FAIL("%s: %s: %lld values do not fit", path, a->name, n);
        a->v = fx.pool + fx.used;
        fx.used += n;
        for (long long i = 0; i < n; i++)
            if (fscanf(f, "%f", &a->v[i]) != 1) FAIL("%s: %s: short array", path, a->name);
        fx.count++;
    }
    fclose(f);
}

const float *fedc_fixture_get(const char *name, int64_t want_n) {
    for (int i = 0; i < fx.count; i++)
        if (strcmp(fx.a[i].name, name) == 0) {
            if (want_n >= 0 && fx.a[i].n != want_n)
                FAIL("fixture %s has %lld values, expected %lld", name, (long long)fx.a[i].n,
                     (long long)want_n);
            return fx.a[i].v;
        }
    FAIL("fixture %s missing from %s", name, fx.path);
}

int64_t fedc_fixture_length(const char *name) {
    for (int i = 0; i < fx.count; i++)
        if (strcmp(fx.a[i].name, name) == 0) return fx.a[i].n;
    FAIL("fixture %s missing from %s", name, fx.path);
}
