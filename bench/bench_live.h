/* bench_live.h — fedc's live bytes, counted through its allocator hook (fedc_allocator_set):
 * what the library holds at a moment and its peak, for the benchmarks that measure memory.
 *
 * Header-only (static functions), as bench_util.h. Install it before fedc allocates anything
 * (the hook must see every allocation it later sees freed). */
#ifndef FEDC_BENCH_LIVE_H
#define FEDC_BENCH_LIVE_H

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fedc/base.h"

static atomic_llong bench_live_bytes, bench_live_peak_bytes;

static void bench_live_track(long long delta) {
    long long now = atomic_fetch_add(&bench_live_bytes, delta) + delta;
    long long peak = atomic_load(&bench_live_peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&bench_live_peak_bytes, &peak, now)) {
    }
}

static void *bench_live_malloc(void *user, size_t size) {
    (void)user;
    void *p = malloc(size);
    if (p) bench_live_track((long long)malloc_usable_size(p));
    return p;
}

static void *bench_live_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    long long before = ptr ? (long long)malloc_usable_size(ptr) : 0;
    void *p = realloc(ptr, size);
    if (p) bench_live_track((long long)malloc_usable_size(p) - before);
    return p;
}

static void bench_live_free(void *user, void *ptr) {
    (void)user;
    if (ptr) bench_live_track(-(long long)malloc_usable_size(ptr));
    free(ptr);
}

/* Routes fedc's allocations through the counters. */
static inline void bench_live_install(void) {
    static const fedc_allocator hook = {bench_live_malloc, bench_live_realloc, bench_live_free,
                                        NULL};
    fedc_allocator_set(&hook);
}

/* The bytes fedc holds now. */
static inline long long bench_live_now(void) { return atomic_load(&bench_live_bytes); }

/* The peak since the last reset; the reset makes the peak the current count. */
static inline long long bench_live_peak(void) { return atomic_load(&bench_live_peak_bytes); }
static inline void bench_live_reset_peak(void) {
    atomic_store(&bench_live_peak_bytes, atomic_load(&bench_live_bytes));
}

#endif /* FEDC_BENCH_LIVE_H */
