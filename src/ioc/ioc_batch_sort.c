/*
 * A radix sort of a batch, most significant bytes first: entries are
 * ordered by an 8-byte key read from their value at some depth, and the
 * runs of entries whose keys are equal and go on past the key are then
 * ordered by the next 8 bytes. Values with long common prefixes (every
 * URL begins "http") cost one more pass over their run per 8 bytes,
 * instead of a strcmp from the first byte in each of the n log n
 * comparisons of a comparison sort, and the sort never calls through a
 * function pointer. Each pass is a stable LSD radix sort of the keys.
 */
#include "ioc/ioc_batch_sort.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Runs shorter than this are sorted by insertion, by their strings. */
#define SMALL_RUN 48
/* Past this depth (bytes), a run of many values sharing all of it is
 * sorted by comparison, which keeps the recursion shallow. */
#define RADIX_DEPTH_MAX 256

/* n bytes of s (n <= 8) as a big-endian number, zeros after its end. */
static uint64_t read_be(const char *s, int n)
{
    uint64_t k = 0;
    int i = 0;

    for (; i < n && s[i]; i++)
        k = k << 8 | (unsigned char)s[i];
    /* Shifting a 64-bit value by 64 is undefined: an empty s is 0. */
    return i ? k << (8 * (n - i)) : 0;
}

/* At depth 0 the key is the type, then the first 7 bytes of the value;
 * then 8 bytes from depth. */
static uint64_t key_at(const struct batch_entry *e, size_t depth)
{
    if (depth == 0)
        return (uint64_t)(uint8_t)e->in->type << 56 | read_be(e->in->value, 7);
    return read_be(e->in->value + depth, 8);
}

static size_t next_depth(size_t depth)
{
    return depth == 0 ? 7 : depth + 8;
}

/* A key whose last byte is 0 holds the end of its value. */
static bool goes_on(uint64_t key)
{
    return (key & 0xff) != 0;
}

/* Stable LSD radix sort of e by key, through tmp; skips the bytes that
 * all keys share. */
static void radix_sort_keys(struct batch_entry *e, size_t n,
                            struct batch_entry *tmp)
{
    size_t count[8][256];
    struct batch_entry *src = e, *dst = tmp;

    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            count[b][e[i].key >> (8 * b) & 0xff]++;
    for (int b = 0; b < 8; b++) {
        size_t offset = 0, *c = count[b];
        struct batch_entry *swap;

        if (c[src[0].key >> (8 * b) & 0xff] == n)
            continue;
        for (int v = 0; v < 256; v++) {
            size_t here = c[v];

            c[v] = offset;
            offset += here;
        }
        for (size_t i = 0; i < n; i++)
            dst[c[src[i].key >> (8 * b) & 0xff]++] = src[i];
        swap = src;
        src = dst;
        dst = swap;
    }
    if (src != e)
        memcpy(e, src, n * sizeof(*e));
}

/* Stable insertion sort of a short run whose values agree before depth. */
static void insertion_sort(struct batch_entry *e, size_t n, size_t depth)
{
    for (size_t i = 1; i < n; i++) {
        struct batch_entry x = e[i];
        size_t j = i;

        while (j > 0 && (e[j - 1].in->type > x.in->type ||
                         (e[j - 1].in->type == x.in->type &&
                          strcmp(e[j - 1].in->value + depth,
                                 x.in->value + depth) > 0))) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

/* Whole values, then pos: the order ioc_batch_sort promises. */
static int cmp_whole(const void *a, const void *b)
{
    const struct batch_entry *x = a, *y = b;
    int c;

    if (x->in->type != y->in->type)
        return x->in->type < y->in->type ? -1 : 1;
    c = strcmp(x->in->value, y->in->value);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts a run whose values agree on their first depth bytes. */
static void sort_run(struct batch_entry *e, size_t n, size_t depth,
                     struct batch_entry *tmp)
{
    if (n < SMALL_RUN) {
        insertion_sort(e, n, depth);
        return;
    }
    if (depth > RADIX_DEPTH_MAX) {
        qsort(e, n, sizeof(*e), cmp_whole);
        return;
    }
    for (size_t i = 0; i < n; i++)
        e[i].key = key_at(&e[i], depth);
    radix_sort_keys(e, n, tmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && e[j].key == e[i].key; j++)
            ;
        if (j - i > 1 && goes_on(e[i].key))
            sort_run(e + i, j - i, next_depth(depth), tmp);
    }
}

void ioc_batch_sort(struct batch_entry *e, size_t n)
{
    struct batch_entry *tmp;

    if (n < 2)
        return;
    tmp = xmalloc(n * sizeof(*tmp));
    sort_run(e, n, 0, tmp);
    free(tmp);
}

bool ioc_batch_same_key(const struct batch_entry *x,
                        const struct batch_entry *y)
{
    return x->in->type == y->in->type &&
           strcmp(x->in->value, y->in->value) == 0;
}
