/*
 * The daily report's metrics over D = [at - 24h, at): new indicators, the
 * high and critical ones among them, active totals by type, enrichment.
 * "New" is created in D and not a draft; "active" is status active and
 * not past its expiry at `at`.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/xalloc.h"

/* Severity 3 is high and 4 critical, status 0 draft (ioc/ioc.h). */

/*
 * Totals over the whole window, whatever the TLP ceiling: new, of which
 * high or critical, of which above the ceiling (withheld from the lists,
 * and the high list is a subset of the new one, so these are all the
 * indicators the daily report withholds). The whole hours from the
 * rollups (by type for the total, severity, TLP), the partial hours at
 * the window's edges from iocs_created_at.
 */
static const char sql_new_hours[] =
    "SELECT dim, name, SUM(n) FROM ioc_new_hourly "
    "WHERE dim IN (1, 2, 6) AND hour >= ? AND hour < ? GROUP BY dim, name";

static const char sql_new_counts[] =
    "SELECT COUNT(*), SUM(CASE WHEN severity >= 3 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN tlp > ? THEN 1 ELSE 0 END) FROM iocs "
    "WHERE created_at >= ? AND created_at < ? AND status <> 0";

/* Newest first; served by iocs_created_at walked backwards. */
static const char sql_new_items[] =
    "SELECT " REPORT_ITEM_COLUMNS " FROM iocs "
    "WHERE created_at >= ? AND created_at < ? AND status <> 0 AND tlp <= ? "
    "ORDER BY created_at DESC, id DESC LIMIT ?";

/* Critical before high, then newest: run for critical, then for high
 * with what is left of the limit. Each walks iocs_created_at backwards,
 * reading from the index alone until it has found enough (rather than
 * sorting all the window's high and critical rows). */
static const char sql_high_items[] =
    "SELECT " REPORT_ITEM_COLUMNS " FROM iocs "
    "WHERE created_at >= ? AND created_at < ? AND status <> 0 AND tlp <= ? "
    "AND severity = ? ORDER BY created_at DESC, id DESC LIMIT ?";

/* n[0] new, n[1] of them high or critical, n[2] above the ceiling, over
 * [start, run->at). */
static int new_counts(struct report_run *run, int64_t start, int64_t *n,
                      struct iocm_err *err)
{
    int64_t p[REPORT_HOURS_PARAMS];
    struct db_stmt *st;
    int rc;

    memset(n, 0, 3 * sizeof(*n));
    report_hours(start, run->at, p);
    rc = db_prepare_cached(run->db, sql_new_hours, &st, err);
    if (rc < 0)
        return rc;
    report_bind_ints(st, p, 2);
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        int64_t dim = db_column_int64(st, 0);
        const char *name = db_column_text(st, 1);
        long v = name ? strtol(name, NULL, 10) : 0;
        int64_t count = db_column_int64(st, 2);

        if (dim == IOC_ROLLUP_TYPE)
            n[0] += count;
        else if (dim == IOC_ROLLUP_SEVERITY && v >= IOC_SEV_HIGH)
            n[1] += count;
        else if (dim == IOC_ROLLUP_TLP && v > run->s->max_tlp)
            n[2] += count;
    }
    db_reset(st);
    if (rc < 0)
        return rc;
    /* The two edges. */
    for (int e = 0; e < 2; e++) {
        int64_t params[] = { run->s->max_tlp, p[2 + 2 * e], p[3 + 2 * e] };
        int64_t edge[3];

        if (params[1] >= params[2])
            continue;
        rc = report_query_ints(run->db, sql_new_counts, params,
                               ARRAY_SIZE(params), edge, ARRAY_SIZE(edge), err);
        if (rc < 0)
            return rc;
        for (int i = 0; i < 3; i++)
            n[i] += edge[i];
    }
    return 0;
}

static json_t *type_distribution(const struct report_active *active)
{
    json_t *arr = json_array();

    for (int t = 0; t < IOC_TYPE_COUNT; t++) {
        if (active->by_type[t] <= 0)
            continue;
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:o}", "type",
                           ioc_type_name((enum ioc_type)t), "count",
                           (json_int_t)active->by_type[t], "percent",
                           report_percent(active->by_type[t], active->total)));
    }
    report_sort_counts(arr, "type", IOC_TYPE_COUNT);
    return arr;
}

int report_daily_build(struct report_run *run, json_t *model,
                       struct iocm_err *err)
{
    int64_t start = run->at - REPORT_DAY;
    int64_t new_params[] = { start, run->at, run->s->max_tlp,
                             REPORT_NEW_ITEMS_MAX };
    int64_t high_params[] = { start, run->at, run->s->max_tlp, IOC_SEV_CRITICAL,
                              REPORT_HIGH_ITEMS_MAX };
    struct report_active active;
    json_t *new_items = json_array(), *high_items = json_array();
    json_t *enrichment = NULL;
    int64_t n[3];
    int rc;

    rc = new_counts(run, start, n, err);
    if (rc == 0)
        rc = report_list_items(run, sql_new_items, new_params,
                               ARRAY_SIZE(new_params), new_items, err);
    if (rc == 0)
        rc = report_list_items(run, sql_high_items, high_params,
                               ARRAY_SIZE(high_params), high_items, err);
    if (rc == 0 && json_array_size(high_items) < REPORT_HIGH_ITEMS_MAX) {
        high_params[3] = IOC_SEV_HIGH;
        high_params[4] =
            REPORT_HIGH_ITEMS_MAX - (int64_t)json_array_size(high_items);
        rc = report_list_items(run, sql_high_items, high_params,
                               ARRAY_SIZE(high_params), high_items, err);
    }
    if (rc == 0)
        rc = report_active_read(run->db, run->at, &active, err);
    if (rc == 0)
        rc = report_enrichment(run->db, start, run->at, &active, &enrichment,
                               err);
    if (rc < 0)
        goto out;

    json_object_set_new(
        model, "new_iocs",
        json_pack("{s:I, s:O}", "total", (json_int_t)n[0], "items", new_items));
    json_object_set_new(model, "high_severity",
                        json_pack("{s:I, s:O}", "total", (json_int_t)n[1],
                                  "items", high_items));
    json_object_set_new(model, "active_total", json_integer(active.total));
    json_object_set(model, "enrichment", enrichment);
    json_object_set_new(model, "type_distribution", type_distribution(&active));
    json_object_set_new(json_object_get(model, "tlp"), "withheld",
                        json_integer(n[2]));
out:
    json_decref(new_items);
    json_decref(high_items);
    json_decref(enrichment);
    return rc;
}

const char *const report_daily_sql[] = {
    sql_new_hours, sql_new_counts, sql_new_items, sql_high_items, NULL,
};
