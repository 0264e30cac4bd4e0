/* fixtures.h — reading committed reference files written by the tests' PyTorch scripts: lines of
 * `name count v0 v1 ...` (float values), `#` comments. One file is held per test process (tests
 * run in forked children, so each loads it at first use).
 */
#ifndef FEDC_TEST_FIXTURES_H
#define FEDC_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

/* Loads `path` (once; a different path replaces the loaded one). FAILs the test when the file
 * cannot be read or is malformed. */
void fedc_fixture_load(const char *path);

/* The values of array `name`; FAILs when it is missing or (want_n >= 0) has another length. */
const float *fedc_fixture_get(const char *name, int64_t want_n);

/* The number of values of array `name`; FAILs when it is missing. */
int64_t fedc_fixture_length(const char *name);

/* The path of `rel` next to the source file `file` (__FILE__), into buf. */
const char *fedc_fixture_path(const char *file, const char *rel, char *buf, size_t size);

#endif
