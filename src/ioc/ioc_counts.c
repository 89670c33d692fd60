/*
 * The maintained indicator counts (table ioc_counts): reports read active
 * totals and the type distribution from here instead of counting millions
 * of rows. Every write path of the repository keeps them in step inside
 * its transaction.
 */
#include "ioc/ioc_repo.h"

#include <string.h>

#include "db/db.h"
#include "util/err.h"

void ioc_count_delta_init(struct ioc_count_delta *d)
{
    memset(d, 0, sizeof(*d));
}

void ioc_count_delta_add(struct ioc_count_delta *d, enum ioc_type type,
                         enum ioc_status status, bool is_enriched, int64_t by)
{
    d->n[type][status][is_enriched ? 1 : 0] += by;
    d->is_dirty = true;
}

/* Adds excluded.n to an existing count, or creates it. */
static const char sql_add[] =
    "INSERT INTO ioc_counts (type, status, is_enriched, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (type, status, is_enriched) DO UPDATE SET n = ioc_counts.n + "
    "excluded.n";

int ioc_counts_apply(struct db *db, struct ioc_count_delta *d,
                     struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    if (!d->is_dirty)
        return 0;
    rc = db_prepare_cached(db, sql_add, &st, err);
    if (rc < 0)
        return rc;
    for (int t = 0; t < IOC_TYPE_COUNT; t++)
        for (int s = 0; s < IOC_STATUS_COUNT; s++)
            for (int e = 0; e < 2; e++) {
                if (!d->n[t][s][e])
                    continue;
                db_bind_text(st, 1, ioc_type_name((enum ioc_type)t));
                db_bind_int64(st, 2, s);
                db_bind_int64(st, 3, e);
                db_bind_int64(st, 4, d->n[t][s][e]);
                rc = db_step(st, err);
                db_reset(st);
                if (rc < 0)
                    return rc;
            }
    ioc_count_delta_init(d);
    return 0;
}

static const char sql_track_row[] =
    "INSERT INTO ioc_counts (type, status, is_enriched, n) "
    "SELECT type, status, is_enriched, ? FROM iocs WHERE id = ? "
    "ON CONFLICT (type, status, is_enriched) DO UPDATE SET n = ioc_counts.n + "
    "excluded.n";

int ioc_counts_track_row(struct db *db, int64_t id, int sign,
                         struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_track_row, &st, err);

    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, sign);
    db_bind_int64(st, 2, id);
    rc = db_step(st, err);
    db_reset(st);
    return rc < 0 ? rc : 0;
}

int ioc_counts_rebuild(struct db *db, struct iocm_err *err)
{
    int rc = db_begin(db, err);

    if (rc < 0)
        return rc;
    rc = db_exec(db,
                 "DELETE FROM ioc_counts;"
                 "INSERT INTO ioc_counts (type, status, is_enriched, n) "
                 "SELECT type, status, is_enriched, COUNT(*) FROM iocs "
                 "WHERE 1 = 1 GROUP BY type, status, is_enriched",
                 err);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

static const char sql_read[] =
    "SELECT type, status, is_enriched, n FROM ioc_counts";

int ioc_counts_read(struct db *db, struct ioc_count_delta *out,
                    struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_read, &st, err);

    ioc_count_delta_init(out);
    if (rc < 0)
        return rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        enum ioc_type t;
        int64_t s = db_column_int64(st, 1);

        if (ioc_type_parse(db_column_text(st, 0), &t, NULL) < 0 || s < 0 ||
            s >= IOC_STATUS_COUNT)
            continue;
        ioc_count_delta_add(out, t, (enum ioc_status)s,
                            db_column_int64(st, 2) != 0,
                            db_column_int64(st, 3));
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}
