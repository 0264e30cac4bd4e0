/* data_testutil.c — data paths and scratch files for the data tests (see data_testutil.h).
 * Test code only: never linked into the library. */
#include "data/data_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/harness.h"

const char *data_path(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", fedc_test_data_dir(), name);
    if (access(buf, R_OK) != 0) SKIP("%s is missing", buf);
    return buf;
}

const char *scratch_path(char *buf, size_t size, const char *tag) {
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, size, "%s/fedc-test-%ld-%s", tmp && tmp[0] ? tmp : "/tmp", (long)getpid(), tag);
    unlink(buf);
    return buf;
}

void write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) FAIL("cannot create %s", path);
    if (size && fwrite(data, 1, size, f) != size) FAIL("cannot write %s", path);
    fclose(f);
}
