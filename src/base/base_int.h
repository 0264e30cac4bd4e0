/* base_int.h — the base layer's private names, shared between its files and its unit tests.
 * Nothing outside src/base and tests/base may include this; nothing here is part of the API.
 */
#ifndef FEDC_BASE_INT_H
#define FEDC_BASE_INT_H

#include <stdint.h>

/* One Philox-4x32-10 block: the raw bijection behind fedc_rng, exposed so that tests can check
 * it against the Random123 known-answer vectors. */
void fedc__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Forgets the log level so that the next log call reads FEDC_LOG_LEVEL again. For tests only:
 * the environment is otherwise read once per process. */
void fedc__log_reset_level(void);

#endif /* FEDC_BASE_INT_H */
