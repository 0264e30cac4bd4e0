/* test_program_util.h — helpers for the training-program tests: scratch directories, whole-file
 * reads and writes, and metric records built in one call.
 */
#ifndef FEDC_TEST_PROGRAM_UTIL_H
#define FEDC_TEST_PROGRAM_UTIL_H

#include <stddef.h>

#include "fedc/learning_program.h"
#include "harness/harness.h"

/* A new empty directory under /tmp; its path goes into buf (at least 64 bytes). */
void ptest_tmpdir(char *buf, size_t size);

/* Removes dir and everything in it (two levels deep at most, which is all the tests make). */
void ptest_rmtree(const char *dir);

/* The bytes of a file (malloc'd, NUL-terminated, caller frees); *size gets the length. Fails the
 * test when the file cannot be read. */
char *ptest_read(const char *path, size_t *size);

/* Writes (or appends) bytes to a file; fails the test on error. */
void ptest_write(const char *path, const void *data, size_t n, int append);

/* Occurrences of needle in haystack. */
int ptest_count(const char *haystack, const char *needle);

/* A record for `round` at wall time 1000 + round, with n (name, value) pairs. */
fedc_metrics_record *ptest_record(fedc_ctx *ctx, long long round, int n, const char *const *names,
                                  const double *values);

#endif
