/*
 * The weekly report's metrics over W = [at - 7d, at), compared with the
 * week before, P = [at - 14d, at - 7d): new indicators and their severity
 * trends, top types and sources, who did what (the audit log), and what
 * expires in the next seven days.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/err.h"
#include "util/xalloc.h"

/* Severity is 1 low to 4 critical and status 0 draft (ioc/ioc.h); the
 * trends list them most severe first. */
static const enum ioc_severity trend_order[] = {
    IOC_SEV_CRITICAL,
    IOC_SEV_HIGH,
    IOC_SEV_MEDIUM,
    IOC_SEV_LOW,
};

/*
 * New indicators of a window grouped by one of their columns: the whole
 * hours from the rollups (ioc_new_hourly, dim), the partial hours at the
 * window's edges from iocs_created_at. Parameters: report_hours().
 */
#define SQL_NEW_BY(dim, col)                                                   \
    "SELECT name, SUM(n) AS cnt FROM ("                                        \
    "SELECT name, n FROM ioc_new_hourly "                                      \
    "WHERE dim = " dim " AND hour >= ? AND hour < ? "                          \
    "UNION ALL SELECT " col ", 1 FROM iocs "                                   \
    "WHERE created_at >= ? AND created_at < ? AND status <> 0 "                \
    "UNION ALL SELECT " col ", 1 FROM iocs "                                   \
    "WHERE created_at >= ? AND created_at < ? AND status <> 0"                 \
    ") AS u GROUP BY name HAVING SUM(n) > 0"

/* New indicators per severity (its number as text), run for W and P. */
static const char sql_new_by_severity[] =
    SQL_NEW_BY("2", "CAST(severity AS TEXT)");

/* The groups are few (types, distinct sources of one week), so they are
 * ranked in C: the order then does not depend on a database collation. */
static const char sql_new_by_type[] = SQL_NEW_BY("1", "type");

static const char sql_new_by_source[] =
    "SELECT CASE WHEN name = '' THEN 'unknown' ELSE name END AS src, "
    "SUM(cnt) FROM (" SQL_NEW_BY("3", "source") ") AS s GROUP BY src";

/* The week's audit events per actor and action: whole hours from
 * audit_hourly, the edges from audit_events_at; sorted by actor so each
 * actor's rows arrive together. */
static const char sql_audit_by_actor[] =
    "SELECT actor, action, SUM(n) FROM ("
    "SELECT actor, action, n FROM audit_hourly WHERE hour >= ? AND hour < ? "
    "UNION ALL SELECT actor, action, 1 FROM audit_events "
    "WHERE at >= ? AND at < ? "
    "UNION ALL SELECT actor, action, 1 FROM audit_events "
    "WHERE at >= ? AND at < ?"
    ") AS u GROUP BY actor, action HAVING SUM(n) > 0 ORDER BY actor, action";

static const char sql_created_by[] = SQL_NEW_BY("4", "created_by");

/*
 * Active at `at` and expiring within seven days after it, (at, at + 7d]:
 * the whole hours from ioc_expiry_hourly, the partial hours at the edges
 * from iocs_status_expires, less those created at or after `at` (which
 * did not exist then: a report about the past; none for a report about
 * now), found through iocs_created_at. The totals ignore the TLP ceiling;
 * the list does not. Parameters: the ceiling, report_hours() of
 * [at + 1, at + 7d + 1), then at, at, at + 7d.
 */
static const char sql_expiring_counts[] =
    "SELECT SUM(n), SUM(CASE WHEN tlp > ? THEN n ELSE 0 END) FROM ("
    "SELECT tlp, n FROM ioc_expiry_hourly WHERE hour >= ? AND hour < ? "
    "UNION ALL SELECT tlp, 1 FROM iocs "
    "WHERE status = 2 AND expires_at >= ? AND expires_at < ? "
    "UNION ALL SELECT tlp, 1 FROM iocs "
    "WHERE status = 2 AND expires_at >= ? AND expires_at < ? "
    "UNION ALL SELECT tlp, -1 FROM iocs WHERE created_at >= ? AND "
    "+status = 2 AND expires_at > ? AND expires_at <= ?"
    ") AS u";

/* The list: a range of iocs_status_expires; the unary plus keeps the
 * planner on it rather than on iocs_created_at, whose range would cover
 * nearly the whole table. */
static const char sql_expiring_items[] =
    "SELECT " REPORT_ITEM_COLUMNS " FROM iocs "
    "WHERE status = 2 AND expires_at > ? AND expires_at <= ? "
    "AND +created_at < ? AND tlp <= ? ORDER BY expires_at, id LIMIT ?";

static int new_and_trends(struct report_run *run, json_t **new_out,
                          json_t **trends_out, int64_t *this_week_out,
                          struct iocm_err *err)
{
    int64_t week = run->at - REPORT_WEEK;
    int64_t by_sev[IOC_SEV_CRITICAL + 1][2] = { { 0 } };
    int64_t total[2] = { 0, 0 };
    struct db_stmt *st;
    json_t *trends;
    int rc = 0;

    rc = db_prepare_cached(run->db, sql_new_by_severity, &st, err);
    if (rc < 0)
        return rc;
    /* w = 0: this week, W; 1: the week before, P. */
    for (int w = 0; w < 2 && rc >= 0; w++) {
        int64_t p[REPORT_HOURS_PARAMS];

        report_hours(week - w * REPORT_WEEK, run->at - w * REPORT_WEEK, p);
        report_bind_ints(st, p, ARRAY_SIZE(p));
        for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
            const char *name = db_column_text(st, 0);
            long sev = name ? strtol(name, NULL, 10) : 0;
            int64_t n = db_column_int64(st, 1);

            total[w] += n;
            if (sev >= IOC_SEV_LOW && sev <= IOC_SEV_CRITICAL)
                by_sev[sev][w] += n;
        }
        db_reset(st);
    }
    if (rc < 0)
        return rc;

    *new_out = json_pack("{s:I, s:I, s:o}", "this_week", (json_int_t)total[0],
                         "last_week", (json_int_t)total[1], "change_percent",
                         report_change(total[0], total[1]));
    trends = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(trend_order); i++) {
        const int64_t *n = by_sev[trend_order[i]];

        json_array_append_new(
            trends, json_pack("{s:s, s:I, s:I, s:o}", "severity",
                              ioc_severity_name(trend_order[i]), "this_week",
                              (json_int_t)n[0], "last_week", (json_int_t)n[1],
                              "change", report_change(n[0], n[1])));
    }
    *trends_out = trends;
    *this_week_out = total[0];
    return 0;
}

/* Binds W's report_hours() parameters to st. */
static void bind_week(struct report_run *run, struct db_stmt *st)
{
    int64_t p[REPORT_HOURS_PARAMS];

    report_hours(run->at - REPORT_WEEK, run->at, p);
    report_bind_ints(st, p, ARRAY_SIZE(p));
}

/* [{key: name, count, percent}] of new indicators in W grouped by sql. */
static int top_counts(struct report_run *run, const char *sql, const char *key,
                      int64_t total, json_t **out, struct iocm_err *err)
{
    struct db_stmt *st;
    json_t *arr;
    int rc;

    rc = db_prepare_cached(run->db, sql, &st, err);
    if (rc < 0)
        return rc;
    bind_week(run, st);
    arr = json_array();
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        const char *name = db_column_text(st, 0);
        int64_t n = db_column_int64(st, 1);

        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:o}", key, name ? name : "", "count",
                           (json_int_t)n, "percent", report_percent(n, total)));
    }
    db_reset(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    report_sort_counts(arr, key, REPORT_TOP_MAX);
    *out = arr;
    return 0;
}

/* One actor's week, gathered from the audit log. */
struct actor_week {
    char *name;
    int64_t actions;
    int64_t iocs_created;
    json_t *by_action; /* [{"action", "count"}], sorted before output */
};

static int cmp_actor_week(const void *a, const void *b)
{
    const struct actor_week *x = a, *y = b;

    if (x->actions != y->actions)
        return x->actions > y->actions ? -1 : 1;
    return strcmp(x->name, y->name);
}

static json_t *by_action_object(json_t *pairs)
{
    json_t *obj = json_object();

    report_sort_counts(pairs, "action", json_array_size(pairs));
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        json_t *e = json_array_get(pairs, i);

        json_object_set(obj, json_string_value(json_object_get(e, "action")),
                        json_object_get(e, "count"));
    }
    return obj;
}

static int read_actors(struct report_run *run, struct actor_week **out,
                       size_t *nr_out, int64_t *total_out, struct iocm_err *err)
{
    struct actor_week *v = NULL;
    size_t nr = 0, alloc = 0;
    struct db_stmt *st;
    int rc;

    *total_out = 0;
    rc = db_prepare_cached(run->db, sql_audit_by_actor, &st, err);
    if (rc < 0)
        return rc;
    bind_week(run, st);
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        const char *actor = db_column_text(st, 0);
        const char *action = db_column_text(st, 1);
        int64_t n = db_column_int64(st, 2);

        if (!actor)
            actor = "";
        if (!nr || strcmp(v[nr - 1].name, actor) != 0) {
            ALLOC_GROW(v, nr + 1, alloc);
            v[nr].name = xstrdup(actor);
            v[nr].actions = 0;
            v[nr].iocs_created = 0;
            v[nr].by_action = json_array();
            nr++;
        }
        v[nr - 1].actions += n;
        *total_out += n;
        json_array_append_new(v[nr - 1].by_action,
                              json_pack("{s:s, s:I}", "action",
                                        action ? action : "", "count",
                                        (json_int_t)n));
    }
    db_reset(st);
    *out = v;
    *nr_out = nr;
    return rc < 0 ? rc : 0;
}

static int read_created_by(struct report_run *run, struct actor_week *v,
                           size_t nr, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(run->db, sql_created_by, &st, err);
    if (rc < 0)
        return rc;
    bind_week(run, st);
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        const char *who = db_column_text(st, 0);

        for (size_t i = 0; who && i < nr; i++)
            if (strcmp(v[i].name, who) == 0)
                v[i].iocs_created = db_column_int64(st, 1);
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/*
 * Users are the actors of the audit events in W, the system actor
 * included (imports and expiry runs are work done too). iocs_created
 * counts the new (non-draft) indicators of W whose created_by is the user,
 * so it agrees with new_iocs.
 */
static int user_activity(struct report_run *run, json_t **out,
                         struct iocm_err *err)
{
    struct actor_week *v = NULL;
    size_t nr = 0;
    int64_t total;
    json_t *users;
    int rc;

    rc = read_actors(run, &v, &nr, &total, err);
    if (rc == 0)
        rc = read_created_by(run, v, nr, err);
    if (rc == 0 && nr > 1)
        qsort(v, nr, sizeof(*v), cmp_actor_week);
    if (rc == 0) {
        users = json_array();
        for (size_t i = 0; i < nr && i < REPORT_TOP_MAX; i++)
            json_array_append_new(
                users,
                json_pack("{s:s, s:I, s:I, s:o}", "username", v[i].name,
                          "actions", (json_int_t)v[i].actions, "iocs_created",
                          (json_int_t)v[i].iocs_created, "by_action",
                          by_action_object(v[i].by_action)));
        *out = json_pack("{s:I, s:I, s:o}", "active_users", (json_int_t)nr,
                         "total_actions", (json_int_t)total, "users", users);
    }
    for (size_t i = 0; i < nr; i++) {
        free(v[i].name);
        json_decref(v[i].by_action);
    }
    free(v);
    return rc;
}

static int expiring(struct report_run *run, json_t **out, int64_t *withheld,
                    struct iocm_err *err)
{
    int64_t count_params[1 + REPORT_HOURS_PARAMS + 3] = { run->s->max_tlp };
    int64_t list_params[] = { run->at, run->at + REPORT_WEEK, run->at,
                              run->s->max_tlp, REPORT_EXPIRING_ITEMS_MAX };
    json_t *items = json_array();
    int64_t n[2];
    int rc;

    report_hours(run->at + 1, run->at + REPORT_WEEK + 1, count_params + 1);
    count_params[1 + REPORT_HOURS_PARAMS] = run->at;
    count_params[2 + REPORT_HOURS_PARAMS] = run->at;
    count_params[3 + REPORT_HOURS_PARAMS] = run->at + REPORT_WEEK;
    rc = report_query_ints(run->db, sql_expiring_counts, count_params,
                           ARRAY_SIZE(count_params), n, ARRAY_SIZE(n), err);
    if (rc == 0)
        rc = report_list_items(run, sql_expiring_items, list_params,
                               ARRAY_SIZE(list_params), items, err);
    if (rc < 0) {
        json_decref(items);
        return rc;
    }
    *out = json_pack("{s:I, s:o}", "total", (json_int_t)n[0], "items", items);
    *withheld = n[1];
    return 0;
}

int report_weekly_build(struct report_run *run, json_t *model,
                        struct iocm_err *err)
{
    struct report_active active;
    json_t *new_iocs = NULL, *trends = NULL, *types = NULL, *sources = NULL;
    json_t *users = NULL, *soon = NULL, *enrichment = NULL;
    int64_t this_week = 0, withheld = 0;
    int rc;

    rc = new_and_trends(run, &new_iocs, &trends, &this_week, err);
    if (rc == 0)
        rc = report_active_read(run->db, run->at, &active, err);
    if (rc == 0)
        rc = top_counts(run, sql_new_by_type, "type", this_week, &types, err);
    if (rc == 0)
        rc = top_counts(run, sql_new_by_source, "source", this_week, &sources,
                        err);
    if (rc == 0)
        rc = user_activity(run, &users, err);
    if (rc == 0)
        rc = expiring(run, &soon, &withheld, err);
    if (rc == 0)
        rc = report_enrichment(run->db, run->at - REPORT_WEEK, run->at, &active,
                               &enrichment, err);
    if (rc < 0)
        goto out;

    json_object_set(model, "new_iocs", new_iocs);
    json_object_set_new(model, "active_total", json_integer(active.total));
    json_object_set(model, "severity_trends", trends);
    json_object_set(model, "top_types", types);
    json_object_set(model, "top_sources", sources);
    json_object_set(model, "user_activity", users);
    json_object_set(model, "expiring", soon);
    json_object_set(model, "enrichment", enrichment);
    json_object_set_new(json_object_get(model, "tlp"), "withheld",
                        json_integer(withheld));
out:
    json_decref(new_iocs);
    json_decref(trends);
    json_decref(types);
    json_decref(sources);
    json_decref(users);
    json_decref(soon);
    json_decref(enrichment);
    return rc;
}

const char *const report_weekly_sql[] = {
    sql_new_by_severity, sql_new_by_type,
    sql_new_by_source,   sql_audit_by_actor,
    sql_created_by,      sql_expiring_counts,
    sql_expiring_items,  NULL,
};
