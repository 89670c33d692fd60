/*
 * What the report files share privately: the state of one report run and
 * the query helpers the daily and weekly metrics are built from.
 */
#ifndef IOCM_REPORT_REPORT_INT_H
#define IOCM_REPORT_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ioc/ioc.h"
#include "report/report.h"

struct db;
struct iocm_err;
struct strbuf;

#define REPORT_DAY  86400
#define REPORT_WEEK (7 * REPORT_DAY)

/* List lengths of DESIGN.md section 6. */
#define REPORT_NEW_ITEMS_MAX      20
#define REPORT_HIGH_ITEMS_MAX     10
#define REPORT_EXPIRING_ITEMS_MAX 10
#define REPORT_TOP_MAX            10

/* One report being computed. */
struct report_run {
    struct db *db;
    const struct report_settings *s;
    int64_t at;
    /* The most restrictive TLP among the items listed so far (the label);
     * TLP_CLEAR while nothing is listed. */
    enum tlp label;
};

/* Indicators active at the run's time, from the maintained counts minus
 * those whose expiry has passed but which `iocm expire` has not yet
 * touched. */
struct report_active {
    int64_t by_type[IOC_TYPE_COUNT];
    int64_t total;
    int64_t enriched; /* with at least one successful enrichment */
};

int report_active_read(struct db *db, int64_t at, struct report_active *out,
                       struct iocm_err *err);

/*
 * Splits the window [start, end) for the hourly rollups into
 * p[0..REPORT_HOURS_PARAMS): the whole hours [p[0], p[1]) (hour = time /
 * 3600) that the rollups answer, and the two partial edges [p[2], p[3])
 * and [p[4], p[5]) to read from the tables (either may be empty). A
 * window within one hour is all edge.
 */
#define REPORT_HOURS_PARAMS 6
void report_hours(int64_t start, int64_t end, int64_t *p);

struct db_stmt;
/* Binds params[0..n) to st's parameters 1..n. */
void report_bind_ints(struct db_stmt *st, const int64_t *params, size_t n);

/*
 * Runs sql with the int64 params bound in order, and reads the first row's
 * first ncols columns into cols (zeros when there is no row or a column is
 * NULL).
 */
int report_query_ints(struct db *db, const char *sql, const int64_t *params,
                      size_t nparams, int64_t *cols, size_t ncols,
                      struct iocm_err *err);

/*
 * Runs sql (selecting REPORT_ITEM_COLUMNS) with params and appends one
 * item object per row to items, raising run->label to each item's TLP.
 */
#define REPORT_ITEM_COLUMNS                                                    \
    "id, type, value, severity, confidence, tlp, source, tags, status, "       \
    "created_at, created_by, expires_at"
int report_list_items(struct report_run *run, const char *sql,
                      const int64_t *params, size_t nparams, json_t *items,
                      struct iocm_err *err);

/* Enrichment attempts made in [start, end), and coverage over active. */
int report_enrichment(struct db *db, int64_t start, int64_t end,
                      const struct report_active *active, json_t **out,
                      struct iocm_err *err);

/* 100 * part / whole with one decimal, or null when whole is 0. */
json_t *report_percent(int64_t part, int64_t whole);
/* The change from before to now in percent, one decimal; null when before
 * is 0 (a change from nothing has no percentage). */
json_t *report_change(int64_t now, int64_t before);

/* Sorts a [{name_key: s, "count": n, ...}] array by count descending, then
 * name ascending, and cuts it to max entries. */
void report_sort_counts(json_t *arr, const char *name_key, size_t max);

/* Reads kind and window bounds back from a model; IOCM_EINVAL when it is
 * not one. */
int report_model_window(const json_t *model, enum report_kind *kind,
                        int64_t *start, int64_t *end, struct iocm_err *err);

/* Every statement the reports run, by file, NULL-terminated: the unit
 * test checks that each one's query plan follows an index. */
extern const char *const report_query_sql[];
extern const char *const report_daily_sql[];
extern const char *const report_weekly_sql[];

int report_daily_build(struct report_run *run, json_t *model,
                       struct iocm_err *err);
int report_weekly_build(struct report_run *run, json_t *model,
                        struct iocm_err *err);

/* Plain-text tables (report_text.c): a column shows the string member key
 * of each row object under header, padded left or right. */
#define REPORT_TEXT_MAX_COLS 8
struct report_text_col {
    const char *key;
    const char *header;
    bool is_right; /* numbers: aligned on the right */
};

/* Width of s in characters (UTF-8 code points). */
size_t report_text_width(const char *s);
/*
 * {"header": {<key>: padded header, "line": header line}, "rule": dashes,
 *  "rows": [{<key>: padded cell, ..., "line": the row}]}; rows is borrowed.
 */
json_t *report_text_table(const struct report_text_col *cols, size_t ncols,
                          json_t *rows);
/* Appends a bar of width characters, n/max of it filled with blocks. */
void report_text_bar(struct strbuf *out, int64_t n, int64_t max, size_t width);

#endif
