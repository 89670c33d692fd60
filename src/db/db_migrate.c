/*
 * Brings a database's schema up to db_schema_latest(): the version lives in
 * schema_meta, and each pending migration runs in its own transaction with
 * @ID@ replaced by the driver's auto-increment key.
 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "db/db_schema.h"
#include "util/err.h"
#include "util/strbuf.h"

static const char sql_meta_create[] = "CREATE TABLE IF NOT EXISTS schema_meta ("
                                      "  key TEXT PRIMARY KEY,"
                                      "  value TEXT NOT NULL"
                                      ")";
static const char sql_version_get[] =
    "SELECT value FROM schema_meta WHERE key = 'version'";
static const char sql_version_set[] =
    "INSERT INTO schema_meta (key, value) VALUES ('version', ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

int db_schema_latest(void)
{
    int latest = 0;

    for (size_t i = 0; i < db_migrations_count; i++) {
        if (db_migrations[i].version > latest)
            latest = db_migrations[i].version;
    }
    return latest;
}

static int table_exists(struct db *db, const char *table, bool *out,
                        struct iocm_err *err)
{
    struct db_stmt *st = NULL;
    int rc;

    *out = false;
    rc = db_prepare(db, db->ops->table_exists_sql, &st, err);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, table);
    rc = db_step(st, err);
    if (rc == DB_ROW)
        *out = db_column_int64(st, 0) != 0;
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Reads the version from an existing schema_meta; no row reads as 0. */
static int read_version(struct db *db, int *out, struct iocm_err *err)
{
    struct db_stmt *st = NULL;
    const char *text;
    char *end = NULL;
    long v = 0;
    int rc;

    *out = 0;
    rc = db_prepare(db, sql_version_get, &st, err);
    if (rc < 0)
        return rc;
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        text = db_column_text(st, 0);
        if (text)
            v = strtol(text, &end, 10);
        if (!text || end == text || *end || v < 0 || v > 1000000)
            rc = iocm_fail(err, IOCM_EDB,
                           "invalid schema version '%s' in schema_meta",
                           text ? text : "NULL");
    }
    db_finalize(st);
    if (rc < 0)
        return rc;
    *out = (int)v;
    return 0;
}

int db_schema_version(struct db *db, int *out, struct iocm_err *err)
{
    bool exists;
    int rc;

    *out = 0;
    rc = table_exists(db, "schema_meta", &exists, err);
    if (rc < 0 || !exists)
        return rc;
    return read_version(db, out, err);
}

static int refuse_newer(int version, struct iocm_err *err)
{
    return iocm_fail(err, IOCM_EDB,
                     "database schema version %d is newer than this iocm "
                     "(%d); upgrade iocm",
                     version, db_schema_latest());
}

/* The first migration above version, or NULL. */
static const struct db_migration *next_migration(int version)
{
    const struct db_migration *next = NULL;

    for (size_t i = 0; i < db_migrations_count; i++) {
        const struct db_migration *m = &db_migrations[i];

        if (m->version > version && (!next || m->version < next->version))
            next = m;
    }
    return next;
}

static void expand_ids(const char *sql, const char *id_type, struct strbuf *out)
{
    const char *hit;

    for (hit = strstr(sql, "@ID@"); hit; hit = strstr(sql, "@ID@")) {
        strbuf_add(out, sql, (size_t)(hit - sql));
        strbuf_addstr(out, id_type);
        sql = hit + 4;
    }
    strbuf_addstr(out, sql);
}

/*
 * Applies the one migration after the version the database is at, in one
 * transaction; the version is read again under the lock, so a process that
 * migrated meanwhile is noticed. Sets *version to the version reached.
 */
static int migrate_one(struct db *db, int *version, struct iocm_err *err)
{
    const struct db_migration *m;
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    int rc;

    rc = db_begin(db, err);
    if (rc < 0)
        return rc;
    if (db->ops->migrate_lock_sql)
        rc = db_exec(db, db->ops->migrate_lock_sql, err);
    if (rc == 0)
        rc = db_exec(db, sql_meta_create, err);
    if (rc == 0)
        rc = read_version(db, version, err);
    if (rc < 0)
        goto out;
    if (*version > db_schema_latest()) {
        rc = refuse_newer(*version, err);
        goto out;
    }
    m = next_migration(*version);
    if (!m)
        goto out;
    expand_ids(m->sql, db->ops->id_type, &sql);
    rc = db_exec(db, sql.buf, err);
    if (rc < 0) {
        iocm_err_prefix(err, "migration %d (%s)", m->version, m->description);
        goto out;
    }
    rc = db_prepare(db, sql_version_set, &st, err);
    if (rc < 0)
        goto out;
    db_bind_int64(st, 1, m->version);
    rc = db_step(st, err);
    if (rc < 0)
        goto out;
    *version = m->version;
out:
    db_finalize(st);
    strbuf_release(&sql);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

int db_migrate(struct db *db, struct iocm_err *err)
{
    int latest = db_schema_latest();
    int version;
    int rc;

    /* Read first, outside a transaction: an up-to-date database, the
     * common case, then costs no write lock. */
    rc = db_schema_version(db, &version, err);
    if (rc < 0)
        return rc;
    if (version > latest)
        return refuse_newer(version, err);
    while (version < latest) {
        rc = migrate_one(db, &version, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
