/*
 * The batch sort against a plain comparison sort of the same entries: by
 * type, value (strcmp) and then input position, on values built to hit
 * every path (short runs, long shared prefixes, values ending inside and
 * exactly at a key, copies, runs deeper than the radix passes go).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ioc/ioc_batch_sort.h"

/* The order promised, written plainly: type, then the values' bytes as
 * unsigned numbers (a shorter value first when it is a prefix), then
 * input position. */
static int cmp_reference(const void *a, const void *b)
{
    const struct batch_entry *x = a, *y = b;
    const unsigned char *p = (const unsigned char *)x->in->value;
    const unsigned char *q = (const unsigned char *)y->in->value;

    if (x->in->type != y->in->type)
        return (int)x->in->type - (int)y->in->type;
    while (*p && *p == *q) {
        p++;
        q++;
    }
    if (*p != *q)
        return (int)*p - (int)*q;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* One value: a shared stem (none, a URL's, or a long one) and a tail
 * from a tiny alphabet, so that prefixes and copies are common. */
static char *make_value(uint32_t *rnd)
{
    static const char *const stems[] = {
        "",
        "http://",
        "http://updatexdi-0.org/cdn/",
        "a",
        "abcdefg",
        "abcdefgh",
        "abcdefghabcdefg",
    };
    char buf[700];
    size_t stem = next_random(rnd) % (sizeof(stems) / sizeof(stems[0]));
    size_t len = strlen(stems[stem]), tail = next_random(rnd) % 12;

    memcpy(buf, stems[stem], len);
    /* Now and then a value far longer than the radix passes go. */
    if (next_random(rnd) % 50 == 0) {
        memset(buf + len, 'z', 400);
        len += 400;
    }
    for (size_t i = 0; i < tail; i++)
        buf[len++] = "ab\xc3\xa9"[next_random(rnd) % 4];
    buf[len] = '\0';
    return strdup(buf);
}

static void check_sorts_like_reference(size_t n, uint32_t seed)
{
    struct ioc *iocs = calloc(n ? n : 1, sizeof(*iocs));
    struct batch_entry *got = calloc(n ? n : 1, sizeof(*got));
    struct batch_entry *want = calloc(n ? n : 1, sizeof(*want));
    uint32_t rnd = seed;

    assert_non_null(iocs);
    assert_non_null(got);
    assert_non_null(want);
    for (size_t i = 0; i < n; i++) {
        iocs[i].type = (enum ioc_type)(next_random(&rnd) % 3 * 4);
        iocs[i].value = make_value(&rnd);
        got[i] = (struct batch_entry){ .in = &iocs[i], .pos = i };
    }
    memcpy(want, got, n * sizeof(*got));
    qsort(want, n, sizeof(*want), cmp_reference);
    ioc_batch_sort(got, n);
    for (size_t i = 0; i < n; i++) {
        if (got[i].pos != want[i].pos)
            fail_msg("n=%zu seed=%u: entry %zu is input %zu ('%s'), "
                     "expected input %zu ('%s')",
                     n, seed, i, got[i].pos, got[i].in->value, want[i].pos,
                     want[i].in->value);
        if (i > 0)
            assert_int_equal(
                ioc_batch_same_key(&got[i - 1], &got[i]),
                got[i - 1].in->type == got[i].in->type &&
                    strcmp(got[i - 1].in->value, got[i].in->value) == 0);
    }
    for (size_t i = 0; i < n; i++)
        free(iocs[i].value);
    free(iocs);
    free(got);
    free(want);
}

static void test_small_batches_sort_like_reference(void **state)
{
    (void)state;
    for (uint32_t seed = 1; seed <= 200; seed++)
        check_sorts_like_reference(seed % 60, seed);
}

static void test_large_batches_sort_like_reference(void **state)
{
    (void)state;
    check_sorts_like_reference(5000, 7);
    check_sorts_like_reference(40000, 11);
}

/* Copies of one value stay in input order however many there are. */
static void test_copies_keep_input_order(void **state)
{
    enum { N = 3000 };
    static struct ioc iocs[N];
    static struct batch_entry e[N];

    (void)state;
    for (size_t i = 0; i < N; i++) {
        iocs[i].type = IOC_TYPE_DOMAIN;
        iocs[i].value = i % 3 ? "evil.example.com" : "evil.example.co";
        e[i] = (struct batch_entry){ .in = &iocs[i], .pos = i };
    }
    ioc_batch_sort(e, N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(e[i].in->value,
                            i < N / 3 ? "evil.example.co" : "evil.example.com");
        if (i > 0 && i != N / 3)
            assert_true(e[i - 1].pos < e[i].pos);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_batches_sort_like_reference),
        cmocka_unit_test(test_large_batches_sort_like_reference),
        cmocka_unit_test(test_copies_keep_input_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
