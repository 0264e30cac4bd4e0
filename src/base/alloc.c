/* alloc.c — the allocator hook every library allocation goes through.
 * Tests swap it to fail the k-th allocation; nothing here may log or record errors. */
#include <stdlib.h>
#include <string.h>

#include "fedc/base.h"

static void *libc_malloc(void *user, size_t size) {
    (void)user;
    return malloc(size);
}

static void *libc_realloc(void *user, void *ptr, size_t size) {
    (void)user;
    return realloc(ptr, size);
}

static void libc_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

static fedc_allocator g_allocator = {libc_malloc, libc_realloc, libc_free, NULL};

void fedc_allocator_set(const fedc_allocator *allocator) {
    if (allocator)
        g_allocator = *allocator;
    else
        g_allocator = (fedc_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

fedc_allocator fedc_allocator_get(void) { return g_allocator; }

void *fedc_malloc(size_t size) { return g_allocator.malloc_fn(g_allocator.user, size); }

void *fedc_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = fedc_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *fedc_realloc(void *ptr, size_t size) {
    return g_allocator.realloc_fn(g_allocator.user, ptr, size);
}

void fedc_free(void *ptr) {
    if (ptr) g_allocator.free_fn(g_allocator.user, ptr);
}

char *fedc_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = fedc_malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}
