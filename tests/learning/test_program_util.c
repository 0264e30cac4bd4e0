/* test_program_util.c — helpers for the training-program tests (see test_program_util.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learning/test_program_util.h"

void ptest_tmpdir(char *buf, size_t size) {
    snprintf(buf, size, "/tmp/fedc_program_XXXXXX");
    if (!mkdtemp(buf)) FAIL("mkdtemp failed");
}

static void remove_entries(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) && depth > 0) {
            remove_entries(path, depth - 1);
            rmdir(path);
        } else {
            unlink(path);
        }
    }
    closedir(d);
}

void ptest_rmtree(const char *dir) {
    remove_entries(dir, 2);
    rmdir(dir);
}

char *ptest_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) FAIL("cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    if (size) *size = (size_t)n;
    return buf;
}

void ptest_write(const char *path, const void *data, size_t n, int append) {
    FILE *f = fopen(path, append ? "ab" : "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) FAIL("cannot write %s", path);
}

int ptest_count(const char *haystack, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

fedc_metrics_record *ptest_record(fedc_ctx *ctx, long long round, int n, const char *const *names,
                                  const double *values) {
    fedc_metrics_record *r;
    ASSERT_OK(fedc_metrics_record_create(ctx, round, 1000.0 + (double)round, &r));
    for (int i = 0; i < n; i++)
        ASSERT_OK(fedc_metrics_record_add(ctx, r, names[i], values[i]));
    return r;
}
