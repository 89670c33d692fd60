/*
 * The PostgreSQL driver over libpq: "postgresql://..." or "postgres://...".
 * Statements are prepared once on the server under generated names and run
 * with text parameters; rows are read from the whole PGresult.
 */
#include "db/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct pg_db {
    struct db base;
    PGconn *conn;
    unsigned next_id; /* names the next prepared statement */
    int64_t changes;  /* rows written by the last INSERT, UPDATE, DELETE */
};

/* A parameter's value as text, in a buffer reused from bind to bind. */
struct pg_param {
    char *buf;
    size_t alloc;
};

enum pg_run {
    PG_READY, /* not run since prepare or reset */
    PG_ROWS,  /* res holds the rows; row is the current one */
    PG_DONE,  /* all rows read: the next step runs the statement again */
};

struct pg_stmt {
    struct db_stmt base;
    char name[32];
    int nparams;
    struct pg_param *params;
    const char **values; /* what PQexecPrepared sends; NULL is SQL NULL */
    PGresult *res;
    enum pg_run run;
    int row;
    int nrows;
    int ncols; /* -1 until known */
};

static PGconn *conn_of(struct db *db)
{
    return ((struct pg_db *)db)->conn;
}

/*
 * libpq's messages end in a newline, may span lines and start with the
 * severity; ours are one line. With PQERRORS_TERSE no DETAIL line comes,
 * which could quote a row's values (a token hash in a unique violation).
 */
static void clean_message(const char *text, struct strbuf *out)
{
    bool is_space = false;

    if (strncmp(text, "ERROR:", 6) == 0 || strncmp(text, "FATAL:", 6) == 0)
        text += 6;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            is_space = true;
            continue;
        }
        if (is_space && out->len)
            strbuf_addch(out, ' ');
        is_space = false;
        strbuf_addch(out, *p);
    }
}

/* Turns a failed result (or, without one, the connection's error) into
 * ours: IOCM_EEXIST for a unique violation, IOCM_EDB otherwise. */
static int pg_fail(PGconn *conn, const PGresult *res, struct iocm_err *err)
{
    struct strbuf msg = STRBUF_INIT;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res ? PQresultErrorMessage(res) : "";
    int code = IOCM_EDB;
    int rc;

    if (!*text)
        text = PQerrorMessage(conn);
    clean_message(text, &msg);
    if (state && strcmp(state, "23505") == 0)
        code = IOCM_EEXIST;
    rc = iocm_fail(err, code, "%s", msg.len ? msg.buf : "unknown error");
    strbuf_release(&msg);
    return rc;
}

static bool is_success(const PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);

    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
           status == PGRES_EMPTY_QUERY;
}

/* PQcmdTuples also counts the rows of a SELECT; db_changes must not. */
static void note_changes(struct pg_db *db, const PGresult *res)
{
    static const char *const writes[] = { "INSERT ", "UPDATE ", "DELETE ",
                                          "MERGE " };
    const char *tag = PQcmdStatus((PGresult *)res);

    for (size_t i = 0; i < ARRAY_SIZE(writes); i++) {
        if (strncmp(tag, writes[i], strlen(writes[i])) == 0) {
            db->changes = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
            return;
        }
    }
}

/* NOTICEs (such as "relation exists, skipping") are not for the user. */
static void drop_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int pg_open(const char *url, struct db **out, struct iocm_err *err)
{
    /* Later keywords win: the URL may change the timeout and name, but
     * text is always UTF-8. */
    static const char *const keywords[] = { "connect_timeout",
                                            "application_name", "dbname",
                                            "client_encoding", NULL };
    const char *values[] = { "10", "iocm", url, "UTF8", NULL };
    struct strbuf shown = STRBUF_INIT;
    struct strbuf msg = STRBUF_INIT;
    struct pg_db *db = NULL;
    PGresult *res = NULL;
    PGconn *conn;
    int rc = 0;

    conn = PQconnectdbParams(keywords, values, 1);
    if (!conn)
        return iocm_fail(err, IOCM_EINTERNAL, "out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        clean_message(PQerrorMessage(conn), &msg);
        db_url_scrub(url, &msg);
        db_url_mask(url, &shown);
        rc = iocm_fail(err, IOCM_EDB, "cannot connect to '%s': %s", shown.buf,
                       msg.buf);
        goto out;
    }
    PQsetNoticeProcessor(conn, drop_notice, NULL);
    PQsetErrorVerbosity(conn, PQERRORS_TERSE);
    res = PQexec(conn, "SET client_min_messages = warning");
    if (!is_success(res)) {
        rc = pg_fail(conn, res, err);
        goto out;
    }
    db = xcalloc(1, sizeof(*db));
    db->base.ops = &db_pg_ops;
    db->conn = conn;
    *out = &db->base;
out:
    PQclear(res);
    if (rc < 0)
        PQfinish(conn);
    strbuf_release(&shown);
    strbuf_release(&msg);
    return rc;
}

static void pg_close(struct db *db)
{
    PQfinish(conn_of(db));
    free(db);
}

static enum db_tx_state pg_tx_state(struct db *db)
{
    switch (PQtransactionStatus(conn_of(db))) {
    case PQTRANS_IDLE:
        return DB_TX_IDLE;
    case PQTRANS_INERROR:
        return DB_TX_FAILED;
    default:
        /* Also a lost connection: the next command reports it. */
        return DB_TX_ACTIVE;
    }
}

static int pg_exec(struct db *db, const char *sql, struct iocm_err *err)
{
    PGresult *res = PQexec(conn_of(db), sql);
    int rc = 0;

    if (is_success(res))
        note_changes((struct pg_db *)db, res);
    else
        rc = pg_fail(conn_of(db), res, err);
    PQclear(res);
    return rc;
}

static int64_t pg_changes(struct db *db)
{
    return ((struct pg_db *)db)->changes;
}

static int pg_prepare(struct db *db, const char *sql, bool is_cached,
                      struct db_stmt **out, struct iocm_err *err)
{
    struct pg_db *pg = (struct pg_db *)db;
    struct strbuf text = STRBUF_INIT;
    struct pg_stmt *st = NULL;
    PGresult *res = NULL;
    char name[32];
    int nparams;
    int rc = 0;

    (void)is_cached;
    nparams = db_pg_translate(sql, &text);
    snprintf(name, sizeof(name), "iocm_%u", ++pg->next_id);
    /* No types given: the server infers each from where it is used. */
    res = PQprepare(pg->conn, name, text.buf, 0, NULL);
    if (!is_success(res)) {
        rc = pg_fail(pg->conn, res, err);
        goto out;
    }
    st = xcalloc(1, sizeof(*st));
    st->base.ops = &db_pg_ops;
    st->base.db = db;
    memcpy(st->name, name, sizeof(name));
    st->nparams = nparams;
    st->params = xcalloc((size_t)nparams + 1, sizeof(*st->params));
    st->values = xcalloc((size_t)nparams + 1, sizeof(*st->values));
    st->ncols = -1;
    *out = &st->base;
out:
    PQclear(res);
    strbuf_release(&text);
    return rc;
}

static void pg_reset(struct db_stmt *stmt)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    PQclear(st->res);
    st->res = NULL;
    st->run = PG_READY;
}

static void pg_finalize(struct db_stmt *stmt)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    /* Closing the connection drops every prepared statement at once. */
    if (!stmt->db->is_closing) {
        char sql[64];

        snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
        PQclear(PQexec(conn_of(stmt->db), sql));
    }
    pg_reset(stmt);
    for (int i = 0; i < st->nparams; i++)
        free(st->params[i].buf);
    free(st->params);
    free(st->values);
    free(st);
}

static void pg_clear_bindings(struct db_stmt *stmt)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    for (int i = 0; i < st->nparams; i++)
        st->values[i] = NULL;
}

/* The buffer of parameter idx, able to hold size bytes; NULL when idx is
 * out of range (SQLite ignores such a bind too). */
static char *param_buf(struct pg_stmt *st, int idx, size_t size)
{
    struct pg_param *param;

    if (idx < 1 || idx > st->nparams)
        return NULL;
    param = &st->params[idx - 1];
    if (param->alloc < size) {
        param->alloc = size < 32 ? 32 : size;
        param->buf = xrealloc(param->buf, param->alloc);
    }
    st->values[idx - 1] = param->buf;
    return param->buf;
}

static void pg_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
    char *buf = param_buf((struct pg_stmt *)stmt, idx, 24);

    if (buf)
        snprintf(buf, 24, "%lld", (long long)v);
}

static void pg_bind_null(struct db_stmt *stmt, int idx)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    if (idx >= 1 && idx <= st->nparams)
        st->values[idx - 1] = NULL;
}

static void pg_bind_text(struct db_stmt *stmt, int idx, const char *s)
{
    size_t size;
    char *buf;

    if (!s) {
        pg_bind_null(stmt, idx);
        return;
    }
    size = strlen(s) + 1;
    buf = param_buf((struct pg_stmt *)stmt, idx, size);
    if (buf)
        memcpy(buf, s, size);
}

static int pg_run(struct pg_stmt *st, struct iocm_err *err)
{
    struct pg_db *db = (struct pg_db *)st->base.db;
    int rc;

    PQclear(st->res);
    st->res = PQexecPrepared(db->conn, st->name, st->nparams, st->values, NULL,
                             NULL, 0);
    if (!is_success(st->res)) {
        rc = pg_fail(db->conn, st->res, err);
        pg_reset(&st->base);
        return rc;
    }
    note_changes(db, st->res);
    st->run = PG_ROWS;
    st->row = -1;
    st->nrows = PQntuples(st->res);
    st->ncols = PQnfields(st->res);
    return 0;
}

static int pg_step(struct db_stmt *stmt, struct iocm_err *err)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    /* After the last row the statement runs again, as in SQLite. */
    if (st->run != PG_ROWS) {
        int rc = pg_run(st, err);

        if (rc < 0)
            return rc;
    }
    st->row++;
    if (st->row < st->nrows)
        return DB_ROW;
    st->run = PG_DONE;
    return DB_DONE;
}

static int pg_column_count(struct db_stmt *stmt)
{
    struct pg_stmt *st = (struct pg_stmt *)stmt;

    /* Before the first run only the server knows: ask it once. */
    if (st->ncols < 0) {
        PGresult *res = PQdescribePrepared(conn_of(stmt->db), st->name);

        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            st->ncols = PQnfields(res);
        PQclear(res);
    }
    return st->ncols < 0 ? 0 : st->ncols;
}

/* The current row's text for col, NULL for SQL NULL or no such value. */
static const char *value_of(struct pg_stmt *st, int col)
{
    if (st->run != PG_ROWS || st->row >= st->nrows || col < 0 ||
        col >= st->ncols || PQgetisnull(st->res, st->row, col))
        return NULL;
    return PQgetvalue(st->res, st->row, col);
}

static bool pg_column_is_null(struct db_stmt *stmt, int col)
{
    return value_of((struct pg_stmt *)stmt, col) == NULL;
}

static int64_t pg_column_int64(struct db_stmt *stmt, int col)
{
    const char *s = value_of((struct pg_stmt *)stmt, col);

    if (!s)
        return 0;
    /* A boolean comes as "t" or "f"; SQLite's would be 1 or 0. */
    if (s[0] == 't' && s[1] == '\0')
        return 1;
    return strtoll(s, NULL, 10);
}

static double pg_column_double(struct db_stmt *stmt, int col)
{
    const char *s = value_of((struct pg_stmt *)stmt, col);

    if (!s)
        return 0;
    if (s[0] == 't' && s[1] == '\0')
        return 1;
    return strtod(s, NULL);
}

static const char *pg_column_text(struct db_stmt *stmt, int col)
{
    return value_of((struct pg_stmt *)stmt, col);
}

const struct db_ops db_pg_ops = {
    .name = "postgresql",
    .kind = DB_POSTGRES,
    .id_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .begin_sql = "BEGIN",
    .table_exists_sql =
        "SELECT CASE WHEN to_regclass(?) IS NULL THEN 0 ELSE 1 END",
    /* 0x696f636d is "iocm": any constant the other users of the
     * database do not pick. */
    .migrate_lock_sql = "SELECT pg_advisory_xact_lock(1768842093)",
    .open = pg_open,
    .close = pg_close,
    .tx_state = pg_tx_state,
    .exec = pg_exec,
    .changes = pg_changes,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .column_text = pg_column_text,
};
