/*
 * ISO 8601 parsing and formatting, the fixable clock and time-zone helpers.
 * Time zones are applied by switching TZ around localtime_r/mktime: libc
 * has no other portable way, and iocm is single-threaded where it does so.
 */
#define _DEFAULT_SOURCE
#include "util/isotime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "util/xalloc.h"

static int64_t fixed_now;

int clock_init(struct iocm_err *err)
{
    const char *s = getenv("IOCM_NOW");

    fixed_now = 0;
    if (!s || !*s)
        return 0;
    if (isotime_parse(s, &fixed_now, err) < 0)
        return iocm_fail(err, IOCM_ECONFIG,
                         "invalid IOCM_NOW '%s': expected ISO 8601 time", s);
    return 0;
}

int64_t clock_now(void)
{
    return fixed_now ? fixed_now : (int64_t)time(NULL);
}

void clock_set(int64_t t)
{
    fixed_now = t;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int isotime_parse(const char *s, int64_t *out, struct iocm_err *err)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;

    if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
        *p++ != '-' || digits(&p, 2, &d) < 0)
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
            goto bad;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec) < 0)
                goto bad;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    goto bad;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            goto bad;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '-' ? -1 : 1;
            if (digits(&p, 2, &oh) < 0)
                goto bad;
            if (*p == ':')
                p++;
            if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
                goto bad;
        }
    }
    if (*p)
        goto bad;
    if (sec == 60)
        sec = 59; /* a leap second reads as the second before it */
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
           sign * (oh * 3600 + om * 60);
    return 0;
bad:
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid time '%s': expected ISO 8601 such as "
                     "2026-12-04T08:00:00Z",
                     s);
}

void isotime_format(int64_t t, char *buf)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    if (strftime(buf, ISOTIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = '\0'; /* years beyond 9999 do not fit */
}

int duration_parse(const char *s, int64_t *out, struct iocm_err *err)
{
    char *end;
    long long n;
    int64_t unit;

    if (!isdigit((unsigned char)*s))
        goto bad;
    n = strtoll(s, &end, 10);
    switch (*end) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        goto bad;
    }
    if (end[1] || n > 100LL * 365 * 86400 / unit)
        goto bad;
    *out = (int64_t)n * unit;
    return 0;
bad:
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid duration '%s': expected a number and a unit "
                     "s, m, h, d or w, such as 7d",
                     s);
}

int isotime_parse_since(const char *s, int64_t now, int64_t *out,
                        struct iocm_err *err)
{
    int64_t d;

    if (isotime_parse(s, out, NULL) == 0)
        return 0;
    if (duration_parse(s, &d, NULL) == 0) {
        *out = now - d;
        return 0;
    }
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid time '%s': expected ISO 8601 such as "
                     "2026-12-04T08:00:00Z or a duration such as 7d",
                     s);
}

int tz_is_valid(const char *name)
{
    struct stat st;
    char path[512];

    if (!name || !*name || strcmp(name, "UTC") == 0)
        return 1;
    if (name[0] == '/' || strstr(name, ".."))
        return 0;
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Runs with TZ set to tz, restoring the previous TZ afterwards. */
struct tz_saved {
    char *old;
    int had;
};

static void tz_enter(const char *tz, struct tz_saved *saved)
{
    const char *old = getenv("TZ");

    saved->had = old != NULL;
    saved->old = xstrdup(old);
    setenv("TZ", tz && *tz ? tz : "UTC", 1);
    tzset();
}

static void tz_leave(struct tz_saved *saved)
{
    if (saved->had)
        setenv("TZ", saved->old, 1);
    else
        unsetenv("TZ");
    free(saved->old);
    tzset();
}

void tz_localtime(int64_t t, const char *tz, struct tm *out)
{
    struct tz_saved saved;
    time_t tt = (time_t)t;

    if (!tz || !*tz || strcmp(tz, "UTC") == 0) {
        gmtime_r(&tt, out);
        return;
    }
    tz_enter(tz, &saved);
    localtime_r(&tt, out);
    tz_leave(&saved);
}

int64_t tz_mktime(const struct tm *local, const char *tz)
{
    struct tz_saved saved;
    struct tm tm = *local;
    time_t t;

    if (!tz || !*tz || strcmp(tz, "UTC") == 0)
        return (int64_t)timegm(&tm);
    tm.tm_isdst = -1;
    tz_enter(tz, &saved);
    t = mktime(&tm);
    tz_leave(&saved);
    return (int64_t)t;
}

void tz_date(int64_t t, const char *tz, char *buf)
{
    struct tm tm;

    tz_localtime(t, tz, &tm);
    if (strftime(buf, 11, "%Y-%m-%d", &tm) == 0)
        buf[0] = '\0';
}

void tz_iso_week(int64_t t, const char *tz, char *buf)
{
    struct tm tm;

    tz_localtime(t, tz, &tm);
    if (strftime(buf, 9, "%G-W%V", &tm) == 0)
        buf[0] = '\0';
}
