/*
 * The order in which a batch of indicators is written: the order of the
 * store's unique index on (type, value), so that neighbouring rows share
 * index pages, with copies of one value next to each other in the order
 * they were read. Private to src/ioc/.
 */
#ifndef IOCM_IOC_IOC_BATCH_SORT_H
#define IOCM_IOC_IOC_BATCH_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"

/* An entry of a batch and where its outcome goes. */
struct batch_entry {
    const struct ioc *in;
    size_t pos;   /* index in the caller's arrays */
    uint64_t key; /* scratch of ioc_batch_sort */
};

/*
 * Sorts e[0..n) by type, then value as memcmp orders bytes (SQLite's
 * BINARY collation, and strcmp's), then pos. Stable: entries must come in
 * pos order.
 */
void ioc_batch_sort(struct batch_entry *e, size_t n);

/* True when x and y are the same indicator: same type and value. */
bool ioc_batch_same_key(const struct batch_entry *x,
                        const struct batch_entry *y);

#endif
