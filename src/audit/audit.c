/*
 * The audit log's SQL. Events are only ever appended (and purged by age
 * when AUDIT_RETENTION_DAYS asks for it), never edited.
 */
#include "audit/audit.h"

#include <stdlib.h>

#include "db/db.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char sql_insert[] =
    "INSERT INTO audit_events (at, actor, action, object_type, object_id, "
    "details) VALUES (?, ?, ?, ?, ?, ?)";

/* The hourly count of events per actor and action (audit_hourly), kept
 * with every event so the weekly report sums hours, not events. */
static const char sql_count[] =
    "INSERT INTO audit_hourly (hour, actor, action, n) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (hour, actor, action) DO UPDATE SET n = audit_hourly.n + 1";

int audit_log(struct db *db, int64_t at, const char *actor, const char *action,
              const char *object_type, const char *object_id, json_t *details,
              struct iocm_err *err)
{
    struct strbuf text = STRBUF_INIT;
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(db, sql_insert, &st, err);
    if (rc < 0)
        return rc;
    if (details)
        jsonx_dump_strbuf(details, &text, JSON_COMPACT | JSON_SORT_KEYS);
    else
        strbuf_addstr(&text, "{}");
    db_bind_int64(st, 1, at);
    db_bind_text(st, 2, actor);
    db_bind_text(st, 3, action);
    db_bind_text(st, 4, object_type);
    db_bind_text(st, 5, object_id);
    db_bind_text(st, 6, text.buf);
    rc = db_step(st, err);
    db_reset(st);
    strbuf_release(&text);
    if (rc >= 0)
        rc = db_prepare_cached(db, sql_count, &st, err);
    if (rc >= 0) {
        db_bind_int64(st, 1, at / 3600);
        db_bind_text(st, 2, actor);
        db_bind_text(st, 3, action);
        rc = db_step(st, err);
        db_reset(st);
    }
    return rc < 0 ? iocm_err_prefix(err, "cannot write audit event") : 0;
}

int audit_each(struct db *db, const struct audit_query *q, audit_each_fn fn,
               void *data, struct iocm_err *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    struct audit_event ev;
    int rc, i = 1;

    strbuf_addstr(&sql, "SELECT id, at, actor, action, object_type, "
                        "object_id, details FROM audit_events WHERE 1 = 1");
    if (q->since)
        strbuf_addstr(&sql, " AND at >= ?");
    if (q->until)
        strbuf_addstr(&sql, " AND at < ?");
    if (q->actor)
        strbuf_addstr(&sql, " AND actor = ?");
    if (q->action)
        strbuf_addstr(&sql, " AND action = ?");
    /* Served by audit_events_at. */
    strbuf_addstr(&sql, " ORDER BY at DESC, id DESC");
    if (q->limit > 0)
        strbuf_addstr(&sql, " LIMIT ?");
    rc = db_prepare(db, sql.buf, &st, err);
    if (rc < 0)
        goto out;
    if (q->since)
        db_bind_int64(st, i++, q->since);
    if (q->until)
        db_bind_int64(st, i++, q->until);
    if (q->actor)
        db_bind_text(st, i++, q->actor);
    if (q->action)
        db_bind_text(st, i++, q->action);
    if (q->limit > 0)
        db_bind_int64(st, i++, q->limit);
    while ((rc = db_step(st, err)) == DB_ROW) {
        ev.id = db_column_int64(st, 0);
        ev.at = db_column_int64(st, 1);
        ev.actor = db_column_text(st, 2);
        ev.action = db_column_text(st, 3);
        ev.object_type = db_column_text(st, 4);
        ev.object_id = db_column_text(st, 5);
        ev.details = db_column_text(st, 6);
        rc = fn(&ev, data);
        if (rc < 0)
            goto out;
    }
out:
    db_finalize(st);
    strbuf_release(&sql);
    return rc < 0 ? rc : 0;
}

static const char sql_purge[] = "DELETE FROM audit_events WHERE at < ?";
/* What the purge deletes leaves the hourly counts first. */
static const char sql_uncount[] =
    "INSERT INTO audit_hourly (hour, actor, action, n) "
    "SELECT at / 3600, actor, action, -COUNT(*) FROM audit_events "
    "WHERE at < ? GROUP BY at / 3600, actor, action "
    "ON CONFLICT (hour, actor, action) DO UPDATE SET n = audit_hourly.n + "
    "excluded.n";

int audit_purge(struct db *db, int64_t before, int64_t *deleted,
                struct iocm_err *err)
{
    int rc = db_run_int64s(db, sql_uncount, &before, 1, err);

    if (rc == 0)
        rc = db_run_int64s(db, sql_purge, &before, 1, err);
    if (rc < 0)
        return rc;
    if (deleted)
        *deleted = db_changes(db);
    return 0;
}
