/*
 * The store's one interface: open by URL, prepare, bind, step, read
 * columns, transactions. Callers write portable SQL once, with '?'
 * placeholders and integer Unix-second timestamps; each driver (SQLite,
 * PostgreSQL) translates what differs, so nothing above db/ knows which one
 * it talks to.
 *
 * Ownership: db_open hands out a struct db that db_close frees; statements
 * from db_prepare are the caller's (db_finalize); statements from
 * db_prepare_cached belong to the db and must not be finalized. Text read
 * with db_column_text is borrowed until the next step, reset or finalize.
 */
#ifndef IOCM_DB_DB_H
#define IOCM_DB_DB_H

#include <stdbool.h>
#include <stdint.h>

struct iocm_err;
struct db;
struct db_stmt;

enum db_kind {
    DB_SQLITE,
    DB_POSTGRES,
};

enum db_step_result {
    DB_DONE = 0,
    DB_ROW = 1,
};

/*
 * Opens "sqlite:PATH" (creating PATH's folder and file), "sqlite::memory:",
 * or "postgresql://..." / "postgres://...". SQLite runs with WAL, foreign
 * keys on and a busy timeout. Does not migrate; see db_connect.
 */
int db_open(const char *url, struct db **out, struct iocm_err *err);
/* Opens and brings the schema up to date (db_migrate). */
int db_connect(const char *url, struct db **out, struct iocm_err *err);
/* Finalizes cached statements and closes; db_close(NULL) does nothing. */
void db_close(struct db *db);
enum db_kind db_get_kind(const struct db *db);

/* Runs one or more statements without parameters or results. */
int db_exec(struct db *db, const char *sql, struct iocm_err *err);

int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
               struct iocm_err *err);
/*
 * Like db_prepare, but the statement is kept by db, keyed by the sql
 * pointer (pass a static string), and handed out reset with its bindings
 * cleared. Do not finalize it.
 */
int db_prepare_cached(struct db *db, const char *sql, struct db_stmt **out,
                      struct iocm_err *err);
/* Finalizes a statement from db_prepare; NULL does nothing. */
void db_finalize(struct db_stmt *stmt);
/* Makes the statement ready to run again; bindings are kept. */
void db_reset(struct db_stmt *stmt);
void db_clear_bindings(struct db_stmt *stmt);

/* Bind parameters are numbered from 1; text is copied. */
void db_bind_int64(struct db_stmt *stmt, int idx, int64_t v);
/* Binds SQL NULL when s is NULL. */
void db_bind_text(struct db_stmt *stmt, int idx, const char *s);
/* Binds s without copying it where the driver can: s must stay unchanged
 * until the statement has been stepped and reset. For bulk writes. */
void db_bind_text_ref(struct db_stmt *stmt, int idx, const char *s);
void db_bind_null(struct db_stmt *stmt, int idx);

/* Returns DB_ROW, DB_DONE, or a negative IOCM_EDB (IOCM_EEXIST for a
 * unique constraint violation) with the driver's own message. */
int db_step(struct db_stmt *stmt, struct iocm_err *err);

int db_column_count(struct db_stmt *stmt);
bool db_column_is_null(struct db_stmt *stmt, int col);
/* Columns are numbered from 0. NULL reads as 0. */
int64_t db_column_int64(struct db_stmt *stmt, int col);
double db_column_double(struct db_stmt *stmt, int col);
/* NULL for SQL NULL; borrowed, see above. */
const char *db_column_text(struct db_stmt *stmt, int col);

/* Rows changed by the last INSERT, UPDATE or DELETE run on db. */
int64_t db_changes(struct db *db);

/*
 * Transactions nest: the outermost db_begin starts a transaction, inner
 * ones a savepoint. Each db_begin is matched by one db_commit or
 * db_rollback.
 */
int db_begin(struct db *db, struct iocm_err *err);
int db_commit(struct db *db, struct iocm_err *err);
int db_rollback(struct db *db, struct iocm_err *err);

/* Runs the pending migrations, each in its own transaction. Fails with
 * IOCM_EDB when the database was made by a newer iocm. */
int db_migrate(struct db *db, struct iocm_err *err);
/* The schema version the database is at, and the one this binary wants. */
int db_schema_version(struct db *db, int *out, struct iocm_err *err);
int db_schema_latest(void);

/* Convenience: runs sql (one int64 parameter or none when param is NULL)
 * and reads the first column of the first row into *out (0 when no row). */
int db_query_int64(struct db *db, const char *sql, const int64_t *param,
                   int64_t *out, struct iocm_err *err);

/* Convenience for writes: runs the cached statement sql with the n int64
 * parameters params, ignoring any rows. */
int db_run_int64s(struct db *db, const char *sql, const int64_t *params, int n,
                  struct iocm_err *err);

#endif
