/*
 * Inside the store: the table of function pointers each driver fills, and
 * the heads every driver's connection and statement start with. db.c
 * dispatches through these; nothing outside src/db/ includes this file
 * (the unit test does, to reach the pure helpers at the bottom).
 */
#ifndef IOCM_DB_DB_INT_H
#define IOCM_DB_DB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct iocm_err;
struct strbuf;

/* What a driver reports about the transaction its connection is in. */
enum db_tx_state {
    DB_TX_IDLE,   /* no transaction open */
    DB_TX_ACTIVE, /* open and usable */
    DB_TX_FAILED, /* open, but a statement failed: only a rollback works */
};

/*
 * One driver. Bind, step and column calls carry bulk imports, so they go
 * straight to the library with no allocation; everything else may be slow.
 */
struct db_ops {
    const char *name; /* "sqlite", "postgresql": for messages */
    enum db_kind kind;
    const char *id_type;   /* what the migrations' @ID@ stands for */
    const char *begin_sql; /* starts the outermost transaction */
    /* One text parameter, the table name; the first column of the one
     * row is non-zero when the table exists. */
    const char *table_exists_sql;
    /* Run first in each migration's transaction so that two processes
     * never migrate at once; NULL when begin_sql already serializes. */
    const char *migrate_lock_sql;

    /* Takes the whole URL; the driver allocates its own struct db. */
    int (*open)(const char *url, struct db **out, struct iocm_err *err);
    /* Frees db; statements are finalized and transactions closed by then. */
    void (*close)(struct db *db);
    enum db_tx_state (*tx_state)(struct db *db);
    int (*exec)(struct db *db, const char *sql, struct iocm_err *err);
    int64_t (*changes)(struct db *db);

    /* is_cached hints that the statement lives as long as db. */
    int (*prepare)(struct db *db, const char *sql, bool is_cached,
                   struct db_stmt **out, struct iocm_err *err);
    void (*finalize)(struct db_stmt *stmt);
    void (*reset)(struct db_stmt *stmt);
    void (*clear_bindings)(struct db_stmt *stmt);
    void (*bind_int64)(struct db_stmt *stmt, int idx, int64_t v);
    void (*bind_text)(struct db_stmt *stmt, int idx, const char *s);
    /* Optional: bind_text serves when a driver copies anyway. */
    void (*bind_text_ref)(struct db_stmt *stmt, int idx, const char *s);
    void (*bind_null)(struct db_stmt *stmt, int idx);
    int (*step)(struct db_stmt *stmt, struct iocm_err *err);
    int (*column_count)(struct db_stmt *stmt);
    bool (*column_is_null)(struct db_stmt *stmt, int col);
    int64_t (*column_int64)(struct db_stmt *stmt, int col);
    double (*column_double)(struct db_stmt *stmt, int col);
    const char *(*column_text)(struct db_stmt *stmt, int col);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* A cached statement, found by the address of its SQL text. */
struct db_cache_slot {
    const char *sql; /* NULL: the slot is free */
    struct db_stmt *stmt;
};

/*
 * The head of every driver's connection: a driver's struct starts with a
 * struct db and is allocated zeroed (xcalloc), which db.c relies on.
 */
struct db {
    const struct db_ops *ops;
    int tx_depth;    /* db_begin calls not yet matched */
    bool is_closing; /* db_close is running: skip per-statement cleanup */
    struct db_cache_slot *cache; /* open addressing; alloc a power of 2 */
    size_t cache_nr;
    size_t cache_alloc;
};

/* The head of every driver's statement, zeroed like struct db. */
struct db_stmt {
    const struct db_ops *ops;
    struct db *db;
    bool is_cached; /* owned by db's cache: never finalized by callers */
};

/*
 * Copies sql into out with each '?' placeholder replaced by $1, $2, ...
 * and each '?NNN' by $NNN for PostgreSQL, leaving alone any '?' inside a
 * single-quoted string, a double-quoted identifier or a comment. Returns
 * the number of parameters (the largest number used).
 */
int db_pg_translate(const char *sql, struct strbuf *out);

/*
 * Appends url to out with any password ("user:PASSWORD@host" and a
 * "password=" query parameter) replaced by "***", so that a URL can go
 * into a message.
 */
void db_url_mask(const char *url, struct strbuf *out);

/*
 * Removes every password of url (as written and percent-decoded) from msg,
 * replacing it with "***": for messages a library built from the URL.
 */
void db_url_scrub(const char *url, struct strbuf *msg);

#endif
