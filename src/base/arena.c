/* arena.c — bump allocators for per-round and per-task temporaries.
 *
 * Blocks come from fedc_malloc and are kept after a reset or rewind so a steady-state loop never
 * calls malloc again. An allocation that fails must leave the arena exactly as it was, and
 * nothing here may record into a ctx except fedc_arena_create.
 *
 * The block list is ordered: the blocks up to `cur` hold live allocations, the ones after it are
 * free for reuse. A mark is (block, offset), so rewinding is O(1) plus a debug check.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "fedc/base.h"

#define ARENA_DEFAULT_BLOCK ((size_t)64 * 1024)
#define ARENA_DEFAULT_ALIGN ((size_t)16)
#define ARENA_MAX_ALIGN ((size_t)4096)

typedef struct arena_block {
    struct arena_block *next;
    size_t cap;  /* usable bytes after the header */
    size_t base; /* arena->used when this block became current: used = base + offset */
    size_t pad_; /* keeps the data after the header 16-byte aligned on 64-bit targets */
} arena_block;

struct fedc_arena {
    arena_block *head; /* every block, in order of use */
    arena_block *cur;  /* block allocations come from; NULL before the first one */
    size_t offset;     /* bytes of cur in use, alignment padding included */
    size_t block_size;
    size_t high_water;
};

static unsigned char *block_data(arena_block *b) { return (unsigned char *)(b + 1); }

fedc_status fedc_arena_create(fedc_ctx *ctx, size_t block_size, fedc_arena **out) {
    *out = NULL;
    fedc_arena *a = fedc_calloc(1, sizeof *a);
    if (!a) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "arena: out of memory");
    a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
    *out = a;
    return FEDC_STATUS_OK;
}

void fedc_arena_destroy(fedc_arena *arena) {
    if (!arena) return;
    for (arena_block *b = arena->head, *next; b; b = next) {
        next = b->next;
        fedc_free(b);
    }
    fedc_free(arena);
}

static size_t arena_used(const fedc_arena *a) { return a->cur ? a->cur->base + a->offset : 0; }

/* Where an allocation of `size` aligned to `align` would start in block b at `offset`, or NULL
 * when it does not fit. Works on addresses, since the hook gives no alignment promise. */
static unsigned char *fit(arena_block *b, size_t offset, size_t size, size_t align) {
    uintptr_t start = (uintptr_t)block_data(b);
    uintptr_t p = (start + offset + (align - 1)) & ~(uintptr_t)(align - 1);
    if (p - start > b->cap || b->cap - (p - start) < size) return NULL;
    return (unsigned char *)p;
}

void *fedc_arena_alloc(fedc_arena *arena, size_t size, size_t align) {
    if (align == 0) align = ARENA_DEFAULT_ALIGN;
    assert((align & (align - 1)) == 0 && align <= ARENA_MAX_ALIGN);
    /* Zero-size requests still take a byte so that each gets its own address. */
    if (size == 0) size = 1;

    arena_block *b = arena->cur;
    unsigned char *p = b ? fit(b, arena->offset, size, align) : NULL;
    if (!p) {
        /* Reuse the first free block that is large enough, moving it right after cur so the list
         * stays ordered; otherwise allocate one. */
        arena_block **link = arena->cur ? &arena->cur->next : &arena->head;
        arena_block *found = NULL;
        for (arena_block **l = link; *l; l = &(*l)->next) {
            if (fit(*l, 0, size, align)) {
                found = *l;
                *l = found->next;
                break;
            }
        }
        if (!found) {
            if (size > SIZE_MAX - sizeof(arena_block) - align) return NULL;
            size_t need = size + align - 1;
            size_t cap = need > arena->block_size ? need : arena->block_size;
            if (cap > SIZE_MAX - sizeof(arena_block)) return NULL;
            found = fedc_malloc(sizeof(arena_block) + cap);
            if (!found) return NULL;
            found->cap = cap;
        }
        found->next = *link;
        *link = found;
        found->base = arena_used(arena);
        arena->cur = found;
        arena->offset = 0;
        b = found;
        p = fit(b, 0, size, align);
        assert(p);
    }
    arena->offset = (size_t)(p - block_data(b)) + size;
    size_t used = arena_used(arena);
    if (used > arena->high_water) arena->high_water = used;
    return p;
}

void *fedc_arena_calloc(fedc_arena *arena, size_t n, size_t size, size_t align) {
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    void *p = fedc_arena_alloc(arena, n * size, align);
    if (p) memset(p, 0, n * size);
    return p;
}

fedc_arena_mark fedc_arena_mark_get(const fedc_arena *arena) {
    return (fedc_arena_mark){arena->cur, arena->offset};
}

void fedc_arena_rewind(fedc_arena *arena, fedc_arena_mark mark) {
#ifndef NDEBUG
    /* The mark's block must be live: cur or before it, and not ahead of the current offset. */
    if (mark.block) {
        arena_block *b = arena->head;
        while (b && b != mark.block && b != arena->cur)
            b = b->next;
        assert(b == mark.block);
        assert(b != arena->cur || mark.used <= arena->offset);
    } else {
        assert(mark.used == 0);
    }
#endif
    arena->cur = mark.block;
    arena->offset = mark.used;
}

void fedc_arena_reset(fedc_arena *arena) {
    arena->cur = NULL;
    arena->offset = 0;
}

size_t fedc_arena_used(const fedc_arena *arena) { return arena_used(arena); }

size_t fedc_arena_high_water(const fedc_arena *arena) { return arena->high_water; }
