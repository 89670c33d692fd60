/*
 * Allocation wrappers that abort on out-of-memory, so no call site checks
 * for NULL. Everything in iocm allocates through these.
 */
#ifndef IOCM_UTIL_XALLOC_H
#define IOCM_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Returns a copy the caller frees; xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Grows *ptr (an array of elements of elem_size) so that it holds at least
 * need elements; *alloc is the current capacity, updated in place. */
#define ALLOC_GROW(ptr, need, alloc)                                           \
    do {                                                                       \
        if ((need) > (alloc)) {                                                \
            size_t grow_to_ = (alloc) ? (alloc)*2 : 8;                         \
            if (grow_to_ < (need))                                             \
                grow_to_ = (need);                                             \
            (ptr) = xrealloc((ptr), grow_to_ * sizeof(*(ptr)));                \
            (alloc) = grow_to_;                                                \
        }                                                                      \
    } while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
