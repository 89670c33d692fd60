/*
 * The batch writer of imports: a batch sorted in index order and written
 * many rows a statement, with the outcome of each entry told apart from
 * the ids the statement gave (SQLite) or the rows it returned
 * (PostgreSQL).
 */
#include "ioc/ioc_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "ioc/ioc_batch_sort.h"
#include "ioc/ioc_repo_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/*
 * On SQLite, OR IGNORE rather than ON CONFLICT (type, value) DO NOTHING:
 * with ON CONFLICT the NOT NULL constraints could still abort a statement
 * of many rows half-way, so SQLite first copied every page a statement
 * changed into a statement journal, a temporary file: 850 MB of writes in
 * a 1M import whose database is 178 MB, and 0.2 s of its 2.95 s. The rows
 * bound here never hold a NULL where one is refused; if one did, the row
 * would be skipped, found missing and the batch failed
 * (ioc_repo_update_existing). PostgreSQL has no OR IGNORE, and says which
 * rows it added by returning them.
 */
#define SQL_SQLITE_HEAD                                                        \
    "INSERT OR IGNORE INTO iocs (" SQL_INSERT_COLUMNS_LIST ") VALUES "
#define SQL_SQLITE_TAIL ""
#define SQL_PG_HEAD     SQL_INSERT_HEAD
#define SQL_PG_TAIL     SQL_INSERT_CONFLICT " RETURNING type, value"

/*
 * Several rows a statement: one statement start, cursor opening and
 * reset serves them all, which halves SQLite's cost per row. 256 rows
 * bind 4,352 parameters, well under both drivers' limits (32,766 and
 * 65,535); a 1M import took 2.96 s so, 3.08 s with at most 64 and 3.03 s
 * with 1,024, whose parameters no longer fit the CPU's caches.
 */
#define SQL_ROWS4                                                              \
    SQL_INSERT_ROW ", " SQL_INSERT_ROW ", " SQL_INSERT_ROW ", " SQL_INSERT_ROW
#define SQL_ROWS16  SQL_ROWS4 ", " SQL_ROWS4 ", " SQL_ROWS4 ", " SQL_ROWS4
#define SQL_ROWS64  SQL_ROWS16 ", " SQL_ROWS16 ", " SQL_ROWS16 ", " SQL_ROWS16
#define SQL_ROWS256 SQL_ROWS64 ", " SQL_ROWS64 ", " SQL_ROWS64 ", " SQL_ROWS64
#define FULL_SQL(rows)                                                         \
    {                                                                          \
        SQL_SQLITE_HEAD rows SQL_SQLITE_TAIL, SQL_PG_HEAD rows SQL_PG_TAIL     \
    }

/*
 * The same statements for rows that agree on every column but type,
 * value and expiry (all of a text import's do): those 14 columns are
 * bound once, as ?1 .. ?14, and each row has its own three, from ?15 on.
 * Binding and copying 14 parameters a row took SQLite about 0.3 s of a
 * 1M import. Written out on first use into the buffer of its size (256
 * rows take some 20 KB).
 */
#define SHARED_COLUMNS  14
#define SHARED_SQL_SIZE 32768

/* The statements of one size, [0] for SQLite and [1] for PostgreSQL. */
struct batch_sql {
    size_t rows;
    const char *full[2];
    char shared[2][SHARED_SQL_SIZE];
};

/* Largest first; the first is BATCH_ROWS_MAX. */
static struct batch_sql statements[] = {
    { 256, FULL_SQL(SQL_ROWS256), { "", "" } },
    { 64, FULL_SQL(SQL_ROWS64), { "", "" } },
    { 16, FULL_SQL(SQL_ROWS16), { "", "" } },
    { 4, FULL_SQL(SQL_ROWS4), { "", "" } },
};

static int driver_index(struct db *db)
{
    return db_get_kind(db) == DB_SQLITE ? 0 : 1;
}

static const char *shared_sql(struct batch_sql *b, int driver)
{
    char *buf = b->shared[driver];
    size_t len;

    if (buf[0])
        return buf;
    len = (size_t)snprintf(buf, SHARED_SQL_SIZE, "%s",
                           driver ? SQL_PG_HEAD : SQL_SQLITE_HEAD);
    for (size_t i = 0; i < b->rows; i++) {
        int own = SHARED_COLUMNS + 1 + (int)i * 3;

        len += (size_t)snprintf(
            buf + len, SHARED_SQL_SIZE - len,
            "%s(?%d, ?%d, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
            "?13, ?14, ?%d)",
            i ? ", " : "", own, own + 1, own + 2);
    }
    snprintf(buf + len, SHARED_SQL_SIZE - len, "%s",
             driver ? SQL_PG_TAIL : SQL_SQLITE_TAIL);
    return buf;
}

/* The most rows one statement of a batch writes. */
#define BATCH_ROWS_MAX 256

/* The largest id of the rows that were there before the last statement
 * added `added` rows: see insert_group. 0 when there is none. */
static const char sql_id_before[] =
    "SELECT id FROM iocs ORDER BY id DESC LIMIT 1 OFFSET ?";
static const char sql_find_id[] =
    "SELECT id FROM iocs WHERE type = ? AND value = ?";

static int find_id(struct db *db, const struct ioc *in, int64_t *id,
                   struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_find_id, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, ioc_type_name(in->type));
    db_bind_text(st, 2, in->value);
    rc = db_step(st, err);
    *id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
    db_reset(st);
    return rc < 0 ? rc : 0;
}

/*
 * Counts a new row r in the counters and rollups. Rows that agree on all
 * shared columns (is_shared) and on type and expiry count alike: they
 * are counted together, as a run (*run, *run_n), when the run ends.
 */
static int count_created(struct db *db, const struct ioc_new_row *r,
                         bool is_shared, const struct ioc_upsert_opts *o,
                         const struct ioc_new_row **run, int64_t *run_n,
                         struct iocm_err *err)
{
    int rc = 0;

    if (!is_shared)
        return ioc_new_row_count(db, r, o, 1, err);
    if (*run && (*run)->in->type == r->in->type &&
        (*run)->expires_at == r->expires_at) {
        (*run_n)++;
        return 0;
    }
    if (*run)
        rc = ioc_new_row_count(db, *run, o, *run_n, err);
    *run = r;
    *run_n = 1;
    return rc;
}

/*
 * Which of the group's entries the statement just run on SQLite added.
 * SQLite gives a new row the largest id plus one, and the batch's
 * transaction holds the write lock, so the rows the statement added have
 * the largest ids of the table.
 */
static int mark_added_sqlite(struct db *db, const struct batch_entry *e,
                             size_t n, bool *added, struct iocm_err *err)
{
    int64_t nr = db_changes(db), before = 0;
    int rc = 0;

    if (nr == 0 || nr == (int64_t)n) {
        for (size_t i = 0; i < n; i++)
            added[i] = nr > 0;
        return 0;
    }
    rc = db_query_int64(db, sql_id_before, &nr, &before, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t id = 0;

        rc = find_id(db, e[i].in, &id, err);
        added[i] = id > before;
    }
    return rc;
}

/* The entry of e[0..n) (in ioc_batch_sort's order) with type and value,
 * or -1. */
static long find_entry(const struct batch_entry *e, size_t n,
                       enum ioc_type type, const char *value)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ioc *in = e[mid].in;
        int c = in->type != type ? (in->type < type ? -1 : 1)
                                 : strcmp(in->value, value);

        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The same on PostgreSQL, from the (type, value) rows st returns. */
static int mark_added_pg(struct db_stmt *st, const struct batch_entry *e,
                         size_t n, bool *added, struct iocm_err *err)
{
    int rc;

    for (size_t i = 0; i < n; i++)
        added[i] = false;
    while ((rc = db_step(st, err)) == DB_ROW) {
        const char *name = db_column_text(st, 0);
        const char *value = db_column_text(st, 1);
        enum ioc_type type;
        long i;

        if (!name || !value || ioc_type_parse(name, &type, NULL) < 0 ||
            (i = find_entry(e, n, type, value)) < 0)
            return iocm_fail(err, IOCM_EDB,
                             "batch insert returned a row it was not given");
        added[i] = true;
    }
    return rc < 0 ? rc : 0;
}

/*
 * Inserts the n entries (distinct keys; n is the size of b) with one
 * statement, and tells which of them existed: those are then seen again.
 */
static int insert_group(struct db *db, const struct batch_entry *e, size_t n,
                        struct batch_sql *b, const struct ioc_upsert_opts *o,
                        enum ioc_upsert_outcome *outcomes, struct strbuf *tags,
                        struct iocm_err *err)
{
    struct ioc_new_row rows[BATCH_ROWS_MAX];
    bool added[BATCH_ROWS_MAX];
    const struct ioc_new_row *run = NULL;
    int64_t run_n = 0;
    bool is_shared = true;
    int driver = driver_index(db);
    struct db_stmt *st;
    int rc;

    for (size_t i = 0; i < n; i++) {
        ioc_new_row_resolve(e[i].in, o, &tags[i], &rows[i]);
        if (i && is_shared)
            is_shared = ioc_new_row_shares(&rows[0], &rows[i]);
    }
    rc = db_prepare_cached(
        db, is_shared ? shared_sql(b, driver) : b->full[driver], &st, err);
    if (rc < 0)
        return rc;
    if (is_shared)
        ioc_new_row_bind_shared(st, 1, &rows[0]);
    for (size_t i = 0; i < n; i++) {
        int own = SHARED_COLUMNS + 1 + (int)i * 3;

        if (!is_shared) {
            ioc_new_row_bind(st, (int)i * SQL_INSERT_COLUMNS, &rows[i]);
            continue;
        }
        db_bind_text_ref(st, own, rows[i].type);
        db_bind_text_ref(st, own + 1, rows[i].value);
        if (rows[i].expires_at)
            db_bind_int64(st, own + 2, rows[i].expires_at);
        else
            db_bind_null(st, own + 2);
    }
    if (driver == 0) {
        rc = db_step(st, err);
        db_reset(st);
        if (rc >= 0)
            rc = mark_added_sqlite(db, e, n, added, err);
    } else {
        rc = mark_added_pg(st, e, n, added, err);
        db_reset(st);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        enum ioc_upsert_outcome *outcome = &outcomes[e[i].pos];
        int64_t id = 0;

        if (added[i]) {
            *outcome = IOC_UPSERT_CREATED;
            rc = count_created(db, &rows[i], is_shared, o, &run, &run_n, err);
        } else {
            rc = ioc_repo_update_existing(db, e[i].in, o, &id, outcome, err);
        }
    }
    if (rc == 0 && run)
        rc = ioc_new_row_count(db, run, o, run_n, err);
    return rc;
}

/* Writes a run of entries with distinct keys: in groups as large as the
 * statements allow, the last few rows alone. tags: a buffer per row of a
 * group. */
static int insert_run(struct db *db, const struct batch_entry *e, size_t n,
                      const struct ioc_upsert_opts *o,
                      enum ioc_upsert_outcome *outcomes, struct strbuf *tags,
                      struct iocm_err *err)
{
    int rc = 0;

    for (size_t s = 0; rc == 0 && s < ARRAY_SIZE(statements); s++) {
        while (rc == 0 && n >= statements[s].rows) {
            rc = insert_group(db, e, statements[s].rows, &statements[s], o,
                              outcomes, tags, err);
            e += statements[s].rows;
            n -= statements[s].rows;
        }
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = ioc_repo_upsert(db, e[i].in, o, NULL, &outcomes[e[i].pos], err);
    return rc;
}

int ioc_repo_upsert_batch(struct db *db, const struct ioc *in, size_t n,
                          const struct ioc_upsert_opts *opts,
                          enum ioc_upsert_outcome *outcomes,
                          struct iocm_err *err)
{
    struct strbuf tags[BATCH_ROWS_MAX];
    struct batch_entry *e;
    size_t i = 0;
    int rc = 0;

    /* Audited or self-committing upserts go one by one. */
    if (!opts->pending || opts->audit) {
        for (i = 0; rc == 0 && i < n; i++)
            rc = ioc_repo_upsert(db, &in[i], opts, NULL, &outcomes[i], err);
        return rc;
    }
    e = xmalloc((n ? n : 1) * sizeof(*e));
    for (i = 0; i < n; i++)
        e[i] = (struct batch_entry){ .in = &in[i], .pos = i };
    for (i = 0; i < BATCH_ROWS_MAX; i++)
        strbuf_init(&tags[i], 0);
    /* In index order, neighbouring rows share index pages: each page is
     * fetched, changed and journaled once per statement, not per row. */
    ioc_batch_sort(e, n);
    for (i = 0; rc == 0 && i < n;) {
        size_t j = i + 1;

        while (j < n && j - i < BATCH_ROWS_MAX &&
               !ioc_batch_same_key(&e[j - 1], &e[j]))
            j++;
        rc = insert_run(db, e + i, j - i, opts, outcomes, tags, err);
        /* Further copies of the run's last value, in the caller's order:
         * seen again. */
        for (; rc == 0 && j < n && ioc_batch_same_key(&e[j - 1], &e[j]); j++)
            rc = ioc_repo_upsert(db, e[j].in, opts, NULL, &outcomes[e[j].pos],
                                 err);
        i = j;
    }
    free(e);
    for (i = 0; i < BATCH_ROWS_MAX; i++)
        strbuf_release(&tags[i]);
    return rc;
}
