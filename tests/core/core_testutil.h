/* core_testutil.h — helpers shared by the core layer's tests: parse-and-check a module and
 * compare a definition's type, or expect a checking error with an exact message.
 */
#ifndef FEDC_CORE_TESTUTIL_H
#define FEDC_CORE_TESTUTIL_H

#include "fedc/core.h"
#include "harness/harness.h"

/* Parses and checks `text`; the type of its last definition prints as `want`. */
void ct_expect_type(fedc_ctx *ctx, const char *text, const char *want);

/* Parses `text` (which must parse) and checks it: fails with `status` and exactly `message`. */
void ct_expect_error(fedc_ctx *ctx, const char *text, fedc_status status, const char *message);

#endif /* FEDC_CORE_TESTUTIL_H */
