/*
 * The queries both reports share: active counts without a table scan,
 * listed items under the TLP ceiling, enrichment rates, and the rounding
 * of percentages. Every query here is bounded by an index range on the
 * report's window (or the maintained counts), never by the table's size.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/xalloc.h"

void report_bind_ints(struct db_stmt *st, const int64_t *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        db_bind_int64(st, (int)i + 1, params[i]);
}

#define bind_ints report_bind_ints

#define HOUR 3600

void report_hours(int64_t start, int64_t end, int64_t *p)
{
    /* Hours are truncated quotients, as SQL divides: hour 0 would also
     * hold the second before 0, so whole hours start at 1. */
    int64_t first = start > 0 ? (start + HOUR - 1) / HOUR : 1;
    int64_t last = end > 0 ? end / HOUR : 0;

    if (first < 1)
        first = 1;
    if (first >= last) {
        int64_t all[] = { 0, 0, start, end, end, end };

        memcpy(p, all, sizeof(all));
        return;
    }
    p[0] = first;
    p[1] = last;
    p[2] = start;
    p[3] = first * HOUR;
    p[4] = last * HOUR;
    p[5] = end;
}

int report_query_ints(struct db *db, const char *sql, const int64_t *params,
                      size_t nparams, int64_t *cols, size_t ncols,
                      struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    memset(cols, 0, ncols * sizeof(*cols));
    rc = db_prepare_cached(db, sql, &st, err);
    if (rc < 0)
        return rc;
    bind_ints(st, params, nparams);
    rc = db_step(st, err);
    if (rc == DB_ROW)
        for (size_t i = 0; i < ncols; i++)
            cols[i] = db_column_int64(st, (int)i);
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/*
 * Active indicators whose expiry has passed: still counted as active in
 * ioc_counts until `iocm expire` runs, so they are subtracted. Served by
 * iocs_status_expires (a range on status = 2, expires_at <= at), so the
 * cost is the number of lapsed rows, which the expiry job keeps small.
 */
static const char sql_lapsed[] =
    "SELECT type, is_enriched, COUNT(*) FROM iocs "
    "WHERE status = 2 AND expires_at <= ? GROUP BY is_enriched, type";

/*
 * Active indicators created at or after `at`, which a report about a past
 * time must not count (those not already subtracted as lapsed). Served by
 * iocs_created_at; no rows at all for a report about now. The unary plus
 * keeps the planner off iocs_status_expires, whose status = 2 part alone
 * would walk every active row.
 */
static const char sql_later[] =
    "SELECT type, is_enriched, COUNT(*) FROM iocs "
    "WHERE created_at >= ? AND +status = 2 AND "
    "(expires_at IS NULL OR expires_at > ?) GROUP BY is_enriched, type";

/* Subtracts the (type, is_enriched, n) rows sql selects from out. */
static int subtract_rows(struct db *db, const char *sql, const int64_t *params,
                         size_t nparams, struct report_active *out,
                         struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(db, sql, &st, err);
    if (rc < 0)
        return rc;
    bind_ints(st, params, nparams);
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        enum ioc_type t;
        int64_t n = db_column_int64(st, 2);

        if (ioc_type_parse(db_column_text(st, 0), &t, NULL) < 0)
            continue;
        out->by_type[t] -= n;
        if (db_column_int64(st, 1))
            out->enriched -= n;
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

int report_active_read(struct db *db, int64_t at, struct report_active *out,
                       struct iocm_err *err)
{
    struct ioc_count_delta counts;
    int64_t params[] = { at, at };
    int rc;

    memset(out, 0, sizeof(*out));
    rc = ioc_counts_read(db, &counts, err);
    if (rc < 0)
        return rc;
    for (int t = 0; t < IOC_TYPE_COUNT; t++) {
        const int64_t *n = counts.n[t][IOC_STATUS_ACTIVE];

        out->by_type[t] = n[0] + n[1];
        out->enriched += n[1];
    }
    rc = subtract_rows(db, sql_lapsed, params, 1, out, err);
    if (rc == 0)
        rc = subtract_rows(db, sql_later, params, 2, out, err);
    if (rc < 0)
        return rc;
    for (int t = 0; t < IOC_TYPE_COUNT; t++)
        out->total += out->by_type[t];
    return 0;
}

static json_t *tags_array(const char *joined)
{
    struct strvec tags = STRVEC_INIT;
    json_t *arr = json_array();

    if (joined && *joined)
        strvec_split(&tags, joined, ',');
    for (size_t i = 0; i < tags.nr; i++)
        json_array_append_new(arr, json_string(tags.v[i]));
    strvec_clear(&tags);
    return arr;
}

static json_t *item_from_row(struct db_stmt *st, enum tlp *tlp)
{
    const char *type = db_column_text(st, 1);
    const char *value = db_column_text(st, 2);
    const char *source = db_column_text(st, 6);
    const char *created_by = db_column_text(st, 10);
    json_t *item;

    *tlp = (enum tlp)db_column_int64(st, 5);
    item = json_object();
    json_object_set_new(item, "id", json_integer(db_column_int64(st, 0)));
    json_object_set_new(item, "type", json_string(type ? type : ""));
    json_object_set_new(item, "value", json_string(value ? value : ""));
    json_object_set_new(item, "severity",
                        json_string(ioc_severity_name(
                            (enum ioc_severity)db_column_int64(st, 3))));
    json_object_set_new(item, "confidence",
                        json_integer(db_column_int64(st, 4)));
    json_object_set_new(item, "tlp", json_string(tlp_name(*tlp)));
    json_object_set_new(item, "source", json_string(source ? source : ""));
    json_object_set_new(item, "tags", tags_array(db_column_text(st, 7)));
    json_object_set_new(
        item, "status",
        json_string(ioc_status_name((enum ioc_status)db_column_int64(st, 8))));
    json_object_set_new(item, "created_at",
                        jsonx_time_or_null(db_column_int64(st, 9)));
    json_object_set_new(item, "created_by",
                        json_string(created_by ? created_by : ""));
    json_object_set_new(item, "expires_at",
                        jsonx_time_or_null(db_column_int64(st, 11)));
    return item;
}

int report_list_items(struct report_run *run, const char *sql,
                      const int64_t *params, size_t nparams, json_t *items,
                      struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(run->db, sql, &st, err);
    if (rc < 0)
        return rc;
    bind_ints(st, params, nparams);
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        enum tlp tlp;

        json_array_append_new(items, item_from_row(st, &tlp));
        if (tlp > run->label)
            run->label = tlp;
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/*
 * Attempts that a provider could not apply to an indicator's type are
 * recorded as 'not_applicable' and count neither way. Whole hours come
 * from enrich_hourly, the window's edges from enrich_attempts_at.
 */
static const char sql_enrich_attempts[] =
    "SELECT SUM(CASE WHEN outcome IN ('success', 'failure') THEN n ELSE 0 "
    "END), SUM(CASE WHEN outcome = 'success' THEN n ELSE 0 END) FROM ("
    "SELECT outcome, n FROM enrich_hourly WHERE hour >= ? AND hour < ? "
    "UNION ALL SELECT outcome, 1 FROM enrich_attempts "
    "WHERE at >= ? AND at < ? "
    "UNION ALL SELECT outcome, 1 FROM enrich_attempts "
    "WHERE at >= ? AND at < ?"
    ") AS u";

int report_enrichment(struct db *db, int64_t start, int64_t end,
                      const struct report_active *active, json_t **out,
                      struct iocm_err *err)
{
    int64_t params[REPORT_HOURS_PARAMS];
    int64_t n[2];
    int rc;

    report_hours(start, end, params);
    rc = report_query_ints(db, sql_enrich_attempts, params, ARRAY_SIZE(params),
                           n, ARRAY_SIZE(n), err);
    if (rc < 0)
        return rc;
    *out = json_object();
    json_object_set_new(*out, "attempted", json_integer(n[0]));
    json_object_set_new(*out, "succeeded", json_integer(n[1]));
    json_object_set_new(*out, "success_rate", report_percent(n[1], n[0]));
    json_object_set_new(*out, "coverage",
                        report_percent(active->enriched, active->total));
    return 0;
}

/* num / den rounded half away from zero; den > 0. Integer arithmetic, so
 * 2/3 gives 66.7 and 1/8 gives 12.5 on every machine. */
static int64_t div_round(int64_t num, int64_t den)
{
    if (num >= 0)
        return (2 * num + den) / (2 * den);
    return -((-2 * num + den) / (2 * den));
}

json_t *report_percent(int64_t part, int64_t whole)
{
    if (whole <= 0)
        return json_null();
    return json_real((double)div_round(part * 1000, whole) / 10.0);
}

json_t *report_change(int64_t now, int64_t before)
{
    if (before <= 0)
        return json_null();
    return json_real((double)div_round((now - before) * 1000, before) / 10.0);
}

struct named_count {
    const char *name;
    json_int_t count;
    json_t *entry;
};

static int cmp_named_count(const void *a, const void *b)
{
    const struct named_count *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

void report_sort_counts(json_t *arr, const char *name_key, size_t max)
{
    size_t n = json_array_size(arr);
    struct named_count *v = xcalloc(n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);

        v[i].entry = json_incref(e);
        v[i].name = json_string_value(json_object_get(e, name_key));
        if (!v[i].name)
            v[i].name = "";
        v[i].count = json_integer_value(json_object_get(e, "count"));
    }
    qsort(v, n, sizeof(*v), cmp_named_count);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++) {
        if (i < max)
            json_array_append(arr, v[i].entry);
        json_decref(v[i].entry);
    }
    free(v);
}

const char *const report_query_sql[] = {
    sql_lapsed,
    sql_later,
    sql_enrich_attempts,
    NULL,
};
