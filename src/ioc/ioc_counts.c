/*
 * The maintained indicator counts (table ioc_counts): reports read active
 * totals and the type distribution from here instead of counting millions
 * of rows. Every write path of the repository keeps them in step inside
 * its transaction. So too the hourly rollups of new indicators
 * (ioc_new_hourly), from which the weekly report sums whole hours.
 */
#include "ioc/ioc_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "util/err.h"
#include "util/xalloc.h"

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

/* Adds n to one rollup count, or creates it. */
static const char sql_rollup_add[] =
    "INSERT INTO ioc_new_hourly (dim, hour, name, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (dim, hour, name) DO UPDATE SET n = ioc_new_hourly.n + "
    "excluded.n";

static const char sql_expiry_add[] =
    "INSERT INTO ioc_expiry_hourly (hour, tlp, n) VALUES (?, ?, ?) "
    "ON CONFLICT (hour, tlp) DO UPDATE SET n = ioc_expiry_hourly.n + "
    "excluded.n";

static int rollup_write(struct db *db, int dim, int64_t hour, const char *name,
                        int64_t n, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    if (dim == IOC_ROLLUP_EXPIRY) {
        rc = db_prepare_cached(db, sql_expiry_add, &st, err);
        if (rc < 0)
            return rc;
        db_bind_int64(st, 1, hour);
        db_bind_int64(st, 2, strtol(name, NULL, 10));
        db_bind_int64(st, 3, n);
        rc = db_step(st, err);
        db_reset(st);
        return rc < 0 ? rc : 0;
    }
    rc = db_prepare_cached(db, sql_rollup_add, &st, err);
    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, dim);
    db_bind_int64(st, 2, hour);
    db_bind_text(st, 3, name);
    db_bind_int64(st, 4, n);
    rc = db_step(st, err);
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/* Writes out and clears the rollup table of d. */
static int rollups_apply(struct db *db, struct ioc_count_delta *d,
                         struct iocm_err *err)
{
    int rc = 0;

    if (!d->rollup_nr)
        return 0;
    for (size_t i = 0; i < IOC_ROLLUP_SLOTS && rc == 0; i++) {
        const struct ioc_rollup_slot *s = &d->rollup[i];

        if (s->dim && s->n)
            rc = rollup_write(db, s->dim, s->hour, s->name, s->n, err);
    }
    if (rc == 0) {
        memset(d->rollup, 0, sizeof(d->rollup));
        memset(d->rollup_last, 0, sizeof(d->rollup_last));
        d->rollup_nr = 0;
    }
    return rc;
}

/* FNV-1a over the slot's key. */
static size_t rollup_hash(int dim, int64_t hour, const char *name)
{
    uint64_t h = UINT64_C(14695981039346656037);

    h = (h ^ (uint64_t)dim) * UINT64_C(1099511628211);
    h = (h ^ (uint64_t)hour) * UINT64_C(1099511628211);
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * UINT64_C(1099511628211);
    return (size_t)(h ^ (h >> 29));
}

static bool slot_is(const struct ioc_rollup_slot *s, int dim, int64_t hour,
                    const char *name)
{
    return s->dim == dim && s->hour == hour && strcmp(s->name, name) == 0;
}

/* Adds by to (dim, hour, name) in d, which has a free slot; name is
 * shorter than a slot's. */
static void rollup_add(struct ioc_count_delta *d, int dim, int64_t hour,
                       const char *name, size_t len, int64_t by)
{
    unsigned short *last = &d->rollup_last[dim];
    size_t i;

    if (*last && slot_is(&d->rollup[*last - 1], dim, hour, name)) {
        d->rollup[*last - 1].n += by;
        return;
    }
    i = rollup_hash(dim, hour, name) % IOC_ROLLUP_SLOTS;
    for (;; i = (i + 1) % IOC_ROLLUP_SLOTS) {
        struct ioc_rollup_slot *s = &d->rollup[i];

        if (!s->dim) {
            s->dim = dim;
            s->hour = hour;
            memcpy(s->name, name, len + 1);
            s->n = by;
            d->rollup_nr++;
            break;
        }
        if (slot_is(s, dim, hour, name)) {
            s->n += by;
            break;
        }
    }
    *last = (unsigned short)(i + 1);
}

/* Fill limit of the inline table: probes stay short. */
#define ROLLUP_FILL (IOC_ROLLUP_SLOTS * 3 / 4)

int ioc_rollup_note_dim(struct db *db, struct ioc_count_delta *d,
                        enum ioc_rollup_dim dim, int64_t created_at,
                        const char *name, int64_t by, struct iocm_err *err)
{
    int64_t hour = created_at / IOC_ROLLUP_HOUR;
    size_t len = strlen(name);
    int rc;

    /* Names too long for a slot (rare) are written at once. */
    if (len >= IOC_ROLLUP_NAME_SIZE)
        return rollup_write(db, dim, hour, name, by, err);
    if (d->rollup_nr + 1 > ROLLUP_FILL) {
        rc = rollups_apply(db, d, err);
        if (rc < 0)
            return rc;
    }
    d->is_dirty = true;
    rollup_add(d, dim, hour, name, len, by);
    return 0;
}

/* Severities and TLPs as the rollups name them. */
static const char *const digit_names[] = { "0", "1", "2", "3", "4",
                                           "5", "6", "7", "8", "9" };

static const char *digit_name(int v, char *buf, size_t size)
{
    if (v >= 0 && v < (int)ARRAY_SIZE(digit_names))
        return digit_names[v];
    snprintf(buf, size, "%d", v);
    return buf;
}

int ioc_rollup_note_expiry(struct db *db, struct ioc_count_delta *d,
                           int64_t expires_at, enum tlp tlp, int64_t by,
                           struct iocm_err *err)
{
    char buf[16];

    return ioc_rollup_note_dim(db, d, IOC_ROLLUP_EXPIRY, expires_at,
                               digit_name((int)tlp, buf, sizeof(buf)), by, err);
}

int ioc_rollup_note(struct db *db, struct ioc_count_delta *d,
                    int64_t created_at, enum ioc_type type,
                    enum ioc_severity severity, enum tlp tlp,
                    const char *source, const char *creator, int64_t by,
                    struct iocm_err *err)
{
    static const enum ioc_rollup_dim dims[] = {
        IOC_ROLLUP_TYPE,    IOC_ROLLUP_SEVERITY, IOC_ROLLUP_SOURCE,
        IOC_ROLLUP_CREATOR, IOC_ROLLUP_TLP,
    };
    char buf[16], tlp_buf[16];
    const char *names[ARRAY_SIZE(dims)];
    int rc = 0;

    names[0] = ioc_type_name(type);
    names[1] = digit_name((int)severity, buf, sizeof(buf));
    names[2] = source ? source : "";
    names[3] = creator ? creator : "";
    names[4] = digit_name((int)tlp, tlp_buf, sizeof(tlp_buf));
    for (size_t i = 0; i < ARRAY_SIZE(dims) && rc == 0; i++)
        rc = ioc_rollup_note_dim(db, d, dims[i], created_at, names[i], by, err);
    return rc;
}

int ioc_counts_apply(struct db *db, struct ioc_count_delta *d,
                     struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    if (!d->is_dirty)
        return 0;
    rc = rollups_apply(db, d, err);
    if (rc < 0)
        return rc;
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

/* The five rollups of one row, when it is not a draft. The sign is cast
 * so that PostgreSQL types the union's column as the table's. */
#define ROLLUP_ROW(dim, col)                                                   \
    "SELECT " dim ", created_at / 3600, " col ", CAST(? AS BIGINT) "           \
    "FROM iocs WHERE id = ? AND status <> 0"
#define ROLLUP_ROWS                                                                    \
    ROLLUP_ROW("1", "type")                                                            \
    " UNION ALL " ROLLUP_ROW("2", "CAST(severity AS TEXT)") " UNION ALL " ROLLUP_ROW(  \
        "3",                                                                           \
        "source") " UNION ALL " ROLLUP_ROW("4",                                        \
                                           "created_by") " UNION ALL " ROLLUP_ROW("6", \
                                                                                  "CAST(tlp AS TEXT)")
#define ROLLUP_ROWS_N 5
static const char sql_rollup_track_row[] =
    "INSERT INTO ioc_new_hourly (dim, hour, name, n) " ROLLUP_ROWS
    " ON CONFLICT (dim, hour, name) DO UPDATE SET n = ioc_new_hourly.n + "
    "excluded.n";

/* The expiry rollup of one row, when it is active with an expiry. */
static const char sql_expiry_track_row[] =
    "INSERT INTO ioc_expiry_hourly (hour, tlp, n) "
    "SELECT expires_at / 3600, tlp, ? FROM iocs "
    "WHERE id = ? AND status = 2 AND expires_at IS NOT NULL "
    "ON CONFLICT (hour, tlp) DO UPDATE SET n = ioc_expiry_hourly.n + "
    "excluded.n";

int ioc_rollups_track_row(struct db *db, int64_t id, int sign,
                          struct iocm_err *err)
{
    int64_t params[2 * ROLLUP_ROWS_N];
    int rc;

    for (int i = 0; i < ROLLUP_ROWS_N; i++) {
        params[2 * i] = sign;
        params[2 * i + 1] = id;
    }
    rc =
        db_run_int64s(db, sql_rollup_track_row, params, 2 * ROLLUP_ROWS_N, err);
    if (rc == 0)
        rc = db_run_int64s(db, sql_expiry_track_row, params, 2, err);
    return rc;
}

int ioc_counts_track_row(struct db *db, int64_t id, int sign,
                         struct iocm_err *err)
{
    const int64_t params[] = { sign, id };
    int rc = db_run_int64s(db, sql_track_row, params, 2, err);

    return rc < 0 ? rc : ioc_rollups_track_row(db, id, sign, err);
}

/* The rollups from their tables, as migration 2 first filled them. */
#define ROLLUP_FILL_SQL(dim, col)                                              \
    "INSERT INTO ioc_new_hourly (dim, hour, name, n) "                         \
    "SELECT " dim ", created_at / 3600, " col ", COUNT(*) FROM iocs "          \
    "WHERE status <> 0 GROUP BY created_at / 3600, " col ";"
#define ROLLUP_FILL_ALL                                                        \
    ROLLUP_FILL_SQL("1", "type")                                               \
    ROLLUP_FILL_SQL("2", "CAST(severity AS TEXT)")                             \
    ROLLUP_FILL_SQL("3", "source")                                             \
    ROLLUP_FILL_SQL("4", "created_by")                                         \
    ROLLUP_FILL_SQL("6", "CAST(tlp AS TEXT)")
static const char sql_rollups_rebuild[] =
    "DELETE FROM ioc_new_hourly;"
    "DELETE FROM audit_hourly;"
    "DELETE FROM enrich_hourly;"
    "DELETE FROM ioc_expiry_hourly;"
    "INSERT INTO ioc_expiry_hourly (hour, tlp, n) "
    "SELECT expires_at / 3600, tlp, COUNT(*) FROM iocs "
    "WHERE status = 2 AND expires_at IS NOT NULL "
    "GROUP BY expires_at / 3600, tlp;" ROLLUP_FILL_ALL
    "INSERT INTO audit_hourly (hour, actor, action, n) "
    "SELECT at / 3600, actor, action, COUNT(*) FROM audit_events "
    "WHERE 1 = 1 GROUP BY at / 3600, actor, action;"
    "INSERT INTO enrich_hourly (hour, outcome, n) "
    "SELECT at / 3600, outcome, COUNT(*) FROM enrich_attempts "
    "WHERE 1 = 1 GROUP BY at / 3600, outcome";

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
    if (rc == 0)
        rc = db_exec(db, sql_rollups_rebuild, err);
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

/* Each rollup minus its recount, summed per key: what is left non-zero
 * differs. The other tables' rows take dims of their own (100 up). */
#define RECOUNT_NEW(dim, col)                                                  \
    " UNION ALL SELECT " dim ", created_at / 3600, " col ", -1 FROM iocs "     \
    "WHERE status <> 0"
#define RECOUNT_ALL_NEW                                                        \
    RECOUNT_NEW("1", "type")                                                   \
    RECOUNT_NEW("2", "CAST(severity AS TEXT)")                                 \
    RECOUNT_NEW("3", "source")                                                 \
    RECOUNT_NEW("4", "created_by") RECOUNT_NEW("6", "CAST(tlp AS TEXT)")
static const char sql_verify[] =
    "SELECT COUNT(*) FROM (SELECT dim, hour, name FROM ("
    "SELECT 100 AS dim, hour, actor || '|' || action AS name, n "
    "FROM audit_hourly"
    " UNION ALL SELECT 100, at / 3600, actor || '|' || action, -1 "
    "FROM audit_events"
    " UNION ALL SELECT 101, hour, outcome, n FROM enrich_hourly"
    " UNION ALL SELECT 101, at / 3600, outcome, -1 FROM enrich_attempts"
    " UNION ALL SELECT 102, hour, CAST(tlp AS TEXT), n FROM ioc_expiry_hourly"
    " UNION ALL SELECT 102, expires_at / 3600, CAST(tlp AS TEXT), -1 FROM iocs "
    "WHERE status = 2 AND expires_at IS NOT NULL"
    " UNION ALL SELECT dim, hour, name, n FROM ioc_new_hourly" RECOUNT_ALL_NEW
    ") AS u GROUP BY dim, hour, name HAVING SUM(n) <> 0) AS d";

int ioc_rollups_verify(struct db *db, int64_t *mismatches, struct iocm_err *err)
{
    return db_query_int64(db, sql_verify, NULL, mismatches, err);
}
