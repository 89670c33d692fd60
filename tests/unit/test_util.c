/*
 * Unit tests for util/: the string buffer, string vector, ISO 8601 time and
 * time zones, and the error table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/strvec.h"

static void test_strbuf_grows_and_stays_terminated(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;
    size_t len;

    (void)state;
    assert_string_equal(sb.buf, "");
    for (int i = 0; i < 1000; i++)
        strbuf_addf(&sb, "%d,", i);
    assert_int_equal(sb.len, strlen(sb.buf));
    assert_memory_equal(sb.buf, "0,1,2,", 6);
    strbuf_setlen(&sb, 3);
    assert_string_equal(sb.buf, "0,1");
    s = strbuf_detach(&sb, &len);
    assert_int_equal(len, 3);
    assert_string_equal(sb.buf, "");
    free(s);
    strbuf_release(&sb);
}

static void test_strbuf_trim_and_lower(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    strbuf_addstr(&sb, " \t Evil.EXAMPLE \r\n");
    strbuf_trim(&sb);
    strbuf_tolower(&sb);
    assert_string_equal(sb.buf, "evil.example");
    strbuf_release(&sb);
}

static void test_strvec_split_trims_and_skips_empty(void **state)
{
    struct strvec sv = STRVEC_INIT;

    (void)state;
    strvec_split(&sv, " a@x.org, b@y.org,, c ", ',');
    assert_int_equal(sv.nr, 3);
    assert_string_equal(sv.v[0], "a@x.org");
    assert_string_equal(sv.v[1], "b@y.org");
    assert_string_equal(sv.v[2], "c");
    assert_null(sv.v[3]);
    strvec_push(&sv, "a@x.org");
    strvec_sort_unique(&sv);
    assert_int_equal(sv.nr, 3);
    strvec_clear(&sv);
    assert_int_equal(sv.nr, 0);
}

static const struct {
    const char *in;
    int64_t want; /* -1: invalid */
} time_cases[] = {
    { "1970-01-01", 0 },
    { "2026-12-04T08:00:00Z", 1796371200 },
    { "2026-12-04T08:00Z", 1796371200 },
    { "2026-12-04 08:00:00", 1796371200 },
    { "2026-12-04T09:00:00+01:00", 1796371200 },
    { "2026-12-04T03:00:00-0500", 1796371200 },
    { "2026-12-04T08:00:00.123Z", 1796371200 },
    { "2024-02-29T00:00:00Z", 1709164800 },
    { "2023-02-29T00:00:00Z", -1 },
    { "2026-13-01", -1 },
    { "2026-12-04T24:00:00Z", -1 },
    { "2026-12-04T08:00:00Q", -1 },
    { "yesterday", -1 },
    { "", -1 },
};

static void test_isotime_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t t = -1;
        int rc = isotime_parse(time_cases[i].in, &t, &err);

        if (time_cases[i].want < 0) {
            assert_int_equal(rc, IOCM_EINVAL);
            assert_non_null(strstr(err.msg, "invalid time"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(t, time_cases[i].want);
        }
    }
}

static void test_isotime_format_round_trips(void **state)
{
    char buf[ISOTIME_LEN];
    int64_t t;

    (void)state;
    isotime_format(1796371200, buf);
    assert_string_equal(buf, "2026-12-04T08:00:00Z");
    assert_int_equal(isotime_parse(buf, &t, NULL), 0);
    assert_int_equal(t, 1796371200);
}

static void test_since_accepts_durations(void **state)
{
    int64_t t;

    (void)state;
    assert_int_equal(isotime_parse_since("7d", 1000000, &t, NULL), 0);
    assert_int_equal(t, 1000000 - 7 * 86400);
    assert_int_equal(isotime_parse_since("2w", 2000000, &t, NULL), 0);
    assert_int_equal(t, 2000000 - 14 * 86400);
    assert_int_equal(isotime_parse_since("7x", 0, &t, NULL), IOCM_EINVAL);
}

static void test_tz_dates_and_weeks(void **state)
{
    char buf[16];
    struct tm local = { 0 };

    (void)state;
    /* 2026-12-04T23:30Z is already the 5th in Berlin. */
    tz_date(1796427000, "Europe/Berlin", buf);
    assert_string_equal(buf, "2026-12-05");
    tz_date(1796427000, "UTC", buf);
    assert_string_equal(buf, "2026-12-04");
    tz_iso_week(1796371200, "UTC", buf);
    assert_string_equal(buf, "2026-W49");
    assert_true(tz_is_valid("Europe/Paris"));
    assert_false(tz_is_valid("Mars/Olympus"));
    assert_false(tz_is_valid("../etc/passwd"));
    local.tm_year = 126;
    local.tm_mon = 11;
    local.tm_mday = 4;
    local.tm_hour = 9;
    assert_int_equal(tz_mktime(&local, "Europe/Paris"), 1796371200);
}

static void test_clock_honours_iocm_now(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    setenv("IOCM_NOW", "2026-12-04T08:00:00Z", 1);
    assert_int_equal(clock_init(&err), 0);
    assert_int_equal(clock_now(), 1796371200);
    setenv("IOCM_NOW", "soon", 1);
    assert_int_equal(clock_init(&err), IOCM_ECONFIG);
    assert_non_null(strstr(err.msg, "IOCM_NOW"));
    unsetenv("IOCM_NOW");
    assert_int_equal(clock_init(&err), 0);
}

static void test_error_codes_map_to_exit_status(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    assert_int_equal(iocm_err_exit_code(0), 0);
    assert_int_equal(iocm_err_exit_code(IOCM_EINVAL), 1);
    assert_int_equal(iocm_err_exit_code(IOCM_EUSAGE), 2);
    assert_int_equal(iocm_err_exit_code(IOCM_ECONFIG), 2);
    assert_int_equal(iocm_err_http_status(IOCM_ENOENT), 404);
    assert_int_equal(iocm_fail(&err, IOCM_EINVAL, "bad '%s'", "x"),
                     IOCM_EINVAL);
    iocm_err_prefix(&err, "line %d", 3);
    assert_string_equal(err.msg, "line 3: bad 'x'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_grows_and_stays_terminated),
        cmocka_unit_test(test_strbuf_trim_and_lower),
        cmocka_unit_test(test_strvec_split_trims_and_skips_empty),
        cmocka_unit_test(test_isotime_parse_table),
        cmocka_unit_test(test_isotime_format_round_trips),
        cmocka_unit_test(test_since_accepts_durations),
        cmocka_unit_test(test_tz_dates_and_weeks),
        cmocka_unit_test(test_clock_honours_iocm_now),
        cmocka_unit_test(test_error_codes_map_to_exit_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
