/*
 * The SQLite driver: "sqlite:PATH" and "sqlite::memory:". Each call maps
 * to one sqlite3 call, because bulk imports run through bind/step/reset a
 * million times a second; only opening and errors do more.
 */
#include "db/db_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct sqlite_db {
    struct db base;
    sqlite3 *handle;
};

struct sqlite_stmt {
    struct db_stmt base;
    sqlite3_stmt *handle;
};

static sqlite3 *handle_of(struct db *db)
{
    return ((struct sqlite_db *)db)->handle;
}

static sqlite3_stmt *stmt_of(struct db_stmt *stmt)
{
    return ((struct sqlite_stmt *)stmt)->handle;
}

/* Turns the connection's last error into ours, keeping SQLite's words. */
static int sqlite_fail(sqlite3 *handle, struct iocm_err *err)
{
    int ext = sqlite3_extended_errcode(handle);
    int code = IOCM_EDB;

    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = IOCM_EEXIST;
    return iocm_fail(err, code, "%s", sqlite3_errmsg(handle));
}

/* Creates the folders above path that are missing, readable by us only. */
static int make_parents(const char *path, struct iocm_err *err)
{
    struct strbuf dir = STRBUF_INIT;
    const char *slash;
    int rc = 0;

    for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        strbuf_reset(&dir);
        strbuf_add(&dir, path, (size_t)(slash - path));
        if (mkdir(dir.buf, 0700) < 0 && errno != EEXIST) {
            rc = iocm_fail(err, IOCM_EDB,
                           "cannot create folder '%s' for database '%s': %s",
                           dir.buf, path, strerror(errno));
            break;
        }
    }
    strbuf_release(&dir);
    return rc;
}

/*
 * Creates a missing database file with mode 0600 before SQLite sees it: it
 * holds password hashes, and SQLite gives its -wal and -shm files the
 * database file's mode.
 */
static int create_file(const char *path, struct iocm_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0 && errno == ENOENT) {
        int rc = make_parents(path, err);

        if (rc < 0)
            return rc;
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0 && errno != EEXIST)
        return iocm_fail(err, IOCM_EDB, "cannot create database '%s': %s", path,
                         strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

/*
 * A page cache of up to 256 MiB (allocated only as it fills) and reads
 * through mmap keep bulk imports in memory instead of in pread/pwrite; a
 * larger checkpoint interval writes each page back once, not every 4 MiB.
 * 16 KiB pages (for new files; a file keeps the size it was made with)
 * make B-trees shallower and writes fewer and larger: a 1M-indicator
 * import took 3.85 s instead of 4.3 s, from fewer splits and half the
 * commit and checkpoint time.
 * temp_store stays at its default: with MEMORY the reports' GROUP BY
 * sorts ran about twice as slow (the weekly report over 10M indicators
 * took 5.7 s instead of 3.2 s, docs/performance.md), and imports were as
 * fast either way.
 */
static const char sql_pragmas[] = "PRAGMA page_size = 16384;"
                                  "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = NORMAL;"
                                  "PRAGMA foreign_keys = ON;"
                                  "PRAGMA cache_size = -262144;"
                                  "PRAGMA mmap_size = 1073741824;"
                                  "PRAGMA wal_autocheckpoint = 16384";

static int sqlite_open(const char *url, struct db **out, struct iocm_err *err)
{
    const char *path = url + strlen("sqlite:");
    struct sqlite_db *db = NULL;
    sqlite3 *handle = NULL;
    int rc;

    if (*path == '\0')
        return iocm_fail(err, IOCM_ECONFIG,
                         "invalid database URL '%s': no path after 'sqlite:'",
                         url);
    if (strcmp(path, ":memory:") != 0) {
        rc = create_file(path, err);
        if (rc < 0)
            return rc;
    }
    /* Memory statistics take a global mutex on every allocation; iocm
     * never reads them. Only effective before SQLite initialises, and
     * harmlessly refused after. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* NOMUTEX: a struct db is used by one thread at a time, so SQLite's
     * per-call mutex would only cost time. */
    rc = sqlite3_open_v2(
        path, &handle,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(handle, 1);
        sqlite3_busy_timeout(handle, 5000);
        rc = sqlite3_exec(handle, sql_pragmas, NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        rc = iocm_fail(err, IOCM_EDB, "cannot open database '%s': %s", path,
                       handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
        sqlite3_close_v2(handle);
        return rc;
    }
    db = xcalloc(1, sizeof(*db));
    db->base.ops = &db_sqlite_ops;
    db->handle = handle;
    *out = &db->base;
    return 0;
}

static void sqlite_close(struct db *db)
{
    /* _v2: statements the caller forgot keep the handle alive until they
     * are finalized, instead of failing the close. */
    sqlite3_close_v2(handle_of(db));
    free(db);
}

static enum db_tx_state sqlite_tx_state(struct db *db)
{
    return sqlite3_get_autocommit(handle_of(db)) ? DB_TX_IDLE : DB_TX_ACTIVE;
}

static int sqlite_exec(struct db *db, const char *sql, struct iocm_err *err)
{
    if (sqlite3_exec(handle_of(db), sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlite_fail(handle_of(db), err);
    return 0;
}

static int64_t sqlite_changes(struct db *db)
{
    return sqlite3_changes64(handle_of(db));
}

static int sqlite_prepare(struct db *db, const char *sql, bool is_cached,
                          struct db_stmt **out, struct iocm_err *err)
{
    sqlite3 *handle = handle_of(db);
    sqlite3_stmt *stmt = NULL;
    sqlite3_stmt *more = NULL;
    struct sqlite_stmt *st;
    const char *tail = NULL;

    if (sqlite3_prepare_v3(handle, sql, -1,
                           is_cached ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                           &tail) != SQLITE_OK)
        return sqlite_fail(handle, err);
    if (!stmt)
        return iocm_fail(err, IOCM_EDB, "empty SQL statement");
    /* SQLite would ignore a second statement; PostgreSQL refuses it, and
     * so do we, so that both behave alike. Comments may follow. */
    if (*tail &&
        sqlite3_prepare_v2(handle, tail, -1, &more, NULL) == SQLITE_OK && !more)
        tail = "";
    if (*tail) {
        sqlite3_finalize(more);
        sqlite3_finalize(stmt);
        return iocm_fail(err, IOCM_EDB,
                         "cannot prepare several statements at once");
    }
    st = xcalloc(1, sizeof(*st));
    st->base.ops = &db_sqlite_ops;
    st->base.db = db;
    st->handle = stmt;
    *out = &st->base;
    return 0;
}

static void sqlite_finalize(struct db_stmt *stmt)
{
    sqlite3_finalize(stmt_of(stmt));
    free(stmt);
}

static void sqlite_reset(struct db_stmt *stmt)
{
    sqlite3_reset(stmt_of(stmt));
}

static void sqlite_clear_bindings(struct db_stmt *stmt)
{
    sqlite3_clear_bindings(stmt_of(stmt));
}

static void sqlite_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
    sqlite3_bind_int64(stmt_of(stmt), idx, v);
}

static void sqlite_bind_text(struct db_stmt *stmt, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt_of(stmt), idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt_of(stmt), idx);
}

/* SQLITE_STATIC spares a malloc, a copy and a free per value. */
static void sqlite_bind_text_ref(struct db_stmt *stmt, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt_of(stmt), idx, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt_of(stmt), idx);
}

static void sqlite_bind_null(struct db_stmt *stmt, int idx)
{
    sqlite3_bind_null(stmt_of(stmt), idx);
}

static int sqlite_step(struct db_stmt *stmt, struct iocm_err *err)
{
    int rc = sqlite3_step(stmt_of(stmt));

    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    return sqlite_fail(sqlite3_db_handle(stmt_of(stmt)), err);
}

static int sqlite_column_count(struct db_stmt *stmt)
{
    return sqlite3_column_count(stmt_of(stmt));
}

static bool sqlite_column_is_null(struct db_stmt *stmt, int col)
{
    return sqlite3_column_type(stmt_of(stmt), col) == SQLITE_NULL;
}

static int64_t sqlite_column_int64(struct db_stmt *stmt, int col)
{
    return sqlite3_column_int64(stmt_of(stmt), col);
}

static double sqlite_column_double(struct db_stmt *stmt, int col)
{
    return sqlite3_column_double(stmt_of(stmt), col);
}

static const char *sqlite_column_text(struct db_stmt *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(stmt), col);
}

const struct db_ops db_sqlite_ops = {
    .name = "sqlite",
    .kind = DB_SQLITE,
    .id_type = "INTEGER PRIMARY KEY",
    /* IMMEDIATE takes the write lock up front, waiting out the busy
     * timeout, instead of failing at the first write when another
     * connection wrote in between. */
    .begin_sql = "BEGIN IMMEDIATE",
    .table_exists_sql =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    .migrate_lock_sql = NULL,
    .open = sqlite_open,
    .close = sqlite_close,
    .tx_state = sqlite_tx_state,
    .exec = sqlite_exec,
    .changes = sqlite_changes,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .reset = sqlite_reset,
    .clear_bindings = sqlite_clear_bindings,
    .bind_int64 = sqlite_bind_int64,
    .bind_text = sqlite_bind_text,
    .bind_text_ref = sqlite_bind_text_ref,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .column_count = sqlite_column_count,
    .column_is_null = sqlite_column_is_null,
    .column_int64 = sqlite_column_int64,
    .column_double = sqlite_column_double,
    .column_text = sqlite_column_text,
};
