/* data_testutil.h — helpers for the data layer's tests: paths of the shared real data and of
 * scratch files. Test code only.
 */
#ifndef FEDC_TESTS_DATA_TESTUTIL_H
#define FEDC_TESTS_DATA_TESTUTIL_H

#include <stddef.h>

#include "fedc/data.h"

/* A pointer to a shape made inline: SHP(2, 3), SHP0 (block scope only). */
#define SHP(...) (&(fedc_shape[1]){FEDC_SHAPE(__VA_ARGS__)}[0])
#define SHP0 (&(fedc_shape[1]){FEDC_SHAPE0}[0])

/* dir/name under fedc_test_data_dir() into buf; skips the test when the file is missing. */
const char *data_path(char *buf, size_t size, const char *name);

/* A scratch file path unique to this process and tag (removed first if it exists). */
const char *scratch_path(char *buf, size_t size, const char *tag);

/* Writes `size` bytes to path (fails the test on error). */
void write_file(const char *path, const void *data, size_t size);

#endif /* FEDC_TESTS_DATA_TESTUTIL_H */
