/*
 * Time in iocm: integer Unix seconds UTC everywhere, ISO 8601 at the edges,
 * IANA time zones only where a person reads a date (report periods, the
 * scheduler). The clock honours IOCM_NOW so tests and backfills fix "now".
 */
#ifndef IOCM_UTIL_ISOTIME_H
#define IOCM_UTIL_ISOTIME_H

#include <stdint.h>
#include <time.h>

struct iocm_err;

/* "2026-12-04T08:00:00Z" plus NUL. */
#define ISOTIME_LEN 21

/*
 * Reads IOCM_NOW from the environment. Returns 0 (also when it is unset) or
 * IOCM_ECONFIG when it is not a valid ISO 8601 time.
 */
int clock_init(struct iocm_err *err);
/* Now, in Unix seconds: IOCM_NOW when set, else the system clock. */
int64_t clock_now(void);
/* Fixes the clock (tests); 0 returns to the system clock. */
void clock_set(int64_t t);

/*
 * Parses ISO 8601: "2026-12-04", "2026-12-04T08:00", "2026-12-04T08:00:00",
 * optional fraction, then "Z", "+01:00", "+0100" or nothing (UTC); a space
 * may stand for "T". Fails with IOCM_EINVAL and a message naming s.
 */
int isotime_parse(const char *s, int64_t *out, struct iocm_err *err);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into buf (ISOTIME_LEN bytes). */
void isotime_format(int64_t t, char *buf);

/*
 * Parses a point in time for filters: ISO 8601 as above, or a relative
 * duration before now, "90m", "24h", "7d", "2w".
 */
int isotime_parse_since(const char *s, int64_t now, int64_t *out,
                        struct iocm_err *err);

/* Parses a duration "30s", "15m", "24h", "7d", "2w" into seconds. */
int duration_parse(const char *s, int64_t *out, struct iocm_err *err);

/* Returns 1 when name is a time zone the system knows ("UTC", "Europe/Paris").
 */
int tz_is_valid(const char *name);
/* Breaks t down in time zone tz (an IANA name; NULL or "" means UTC). */
void tz_localtime(int64_t t, const char *tz, struct tm *out);
/* The Unix time of a broken-down local time in tz (tm_isdst ignored). */
int64_t tz_mktime(const struct tm *local, const char *tz);
/* "2026-12-04": t's date in tz. buf holds at least 11 bytes. */
void tz_date(int64_t t, const char *tz, char *buf);
/* "2026-W49": t's ISO 8601 week in tz. buf holds at least 9 bytes. */
void tz_iso_week(int64_t t, const char *tz, char *buf);

#endif
