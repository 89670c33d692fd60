/*
 * The store's front: picks a driver by URL scheme, dispatches every call
 * through its struct db_ops, and keeps what both drivers share: nested
 * transactions as savepoints, the statement cache and URL masking.
 */
#include "db/db.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The drivers, looked up by the start of the URL. */
static const struct {
    const char *prefix;
    const struct db_ops *ops;
} drivers[] = {
    { "sqlite:", &db_sqlite_ops },
    { "postgresql://", &db_pg_ops },
    { "postgres://", &db_pg_ops },
};

int db_open(const char *url, struct db **out, struct iocm_err *err)
{
    struct strbuf shown = STRBUF_INIT;
    int rc;

    *out = NULL;
    for (size_t i = 0; url && i < ARRAY_SIZE(drivers); i++) {
        if (strncmp(url, drivers[i].prefix, strlen(drivers[i].prefix)) == 0)
            return drivers[i].ops->open(url, out, err);
    }
    db_url_mask(url ? url : "", &shown);
    rc = iocm_fail(err, IOCM_ECONFIG,
                   "unsupported database URL '%s': expected sqlite:PATH or "
                   "postgresql://...",
                   shown.buf);
    strbuf_release(&shown);
    return rc;
}

int db_connect(const char *url, struct db **out, struct iocm_err *err)
{
    int rc = db_open(url, out, err);

    if (rc < 0)
        return rc;
    rc = db_migrate(*out, err);
    if (rc < 0) {
        db_close(*out);
        *out = NULL;
    }
    return rc;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    db->is_closing = true;
    /* Reset first: SQLite will not roll back under a running statement. */
    for (size_t i = 0; i < db->cache_alloc; i++) {
        if (db->cache[i].sql)
            db->ops->reset(db->cache[i].stmt);
    }
    if (db->tx_depth > 0 || db->ops->tx_state(db) != DB_TX_IDLE)
        db->ops->exec(db, "ROLLBACK", NULL);
    for (size_t i = 0; i < db->cache_alloc; i++) {
        if (db->cache[i].sql)
            db->ops->finalize(db->cache[i].stmt);
    }
    free(db->cache);
    db->ops->close(db);
}

enum db_kind db_get_kind(const struct db *db)
{
    return db->ops->kind;
}

int db_exec(struct db *db, const char *sql, struct iocm_err *err)
{
    return db->ops->exec(db, sql, err);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
               struct iocm_err *err)
{
    *out = NULL;
    return db->ops->prepare(db, sql, false, out, err);
}

/*
 * The cache is an open-addressing hash table keyed by the address of the
 * SQL text: callers pass static strings, so the address names the
 * statement and no string is hashed or compared.
 */
static size_t cache_index(const char *sql, size_t alloc)
{
    uint64_t h = (uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15);

    return (size_t)(h >> 32) & (alloc - 1);
}

static struct db_cache_slot *cache_slot(struct db_cache_slot *slots,
                                        size_t alloc, const char *sql)
{
    size_t i = cache_index(sql, alloc);

    while (slots[i].sql && slots[i].sql != sql)
        i = (i + 1) & (alloc - 1);
    return &slots[i];
}

static void cache_add(struct db *db, const char *sql, struct db_stmt *stmt)
{
    struct db_cache_slot *slot;

    /* Keep the table at most half full so probes stay short. */
    if ((db->cache_nr + 1) * 2 > db->cache_alloc) {
        size_t alloc = db->cache_alloc ? db->cache_alloc * 2 : 32;
        struct db_cache_slot *slots = xcalloc(alloc, sizeof(*slots));

        for (size_t i = 0; i < db->cache_alloc; i++) {
            if (db->cache[i].sql)
                *cache_slot(slots, alloc, db->cache[i].sql) = db->cache[i];
        }
        free(db->cache);
        db->cache = slots;
        db->cache_alloc = alloc;
    }
    slot = cache_slot(db->cache, db->cache_alloc, sql);
    slot->sql = sql;
    slot->stmt = stmt;
    db->cache_nr++;
}

int db_prepare_cached(struct db *db, const char *sql, struct db_stmt **out,
                      struct iocm_err *err)
{
    struct db_stmt *stmt;
    int rc;

    if (db->cache_alloc) {
        struct db_cache_slot *slot =
            cache_slot(db->cache, db->cache_alloc, sql);

        if (slot->sql) {
            stmt = slot->stmt;
            db->ops->reset(stmt);
            db->ops->clear_bindings(stmt);
            *out = stmt;
            return 0;
        }
    }
    *out = NULL;
    rc = db->ops->prepare(db, sql, true, &stmt, err);
    if (rc < 0)
        return rc;
    stmt->is_cached = true;
    cache_add(db, sql, stmt);
    *out = stmt;
    return 0;
}

void db_finalize(struct db_stmt *stmt)
{
    if (!stmt)
        return;
    assert(!stmt->is_cached);
    stmt->ops->finalize(stmt);
}

void db_reset(struct db_stmt *stmt)
{
    stmt->ops->reset(stmt);
}

void db_clear_bindings(struct db_stmt *stmt)
{
    stmt->ops->clear_bindings(stmt);
}

void db_bind_int64(struct db_stmt *stmt, int idx, int64_t v)
{
    stmt->ops->bind_int64(stmt, idx, v);
}

void db_bind_text(struct db_stmt *stmt, int idx, const char *s)
{
    stmt->ops->bind_text(stmt, idx, s);
}

void db_bind_text_ref(struct db_stmt *stmt, int idx, const char *s)
{
    if (stmt->ops->bind_text_ref)
        stmt->ops->bind_text_ref(stmt, idx, s);
    else
        stmt->ops->bind_text(stmt, idx, s);
}

void db_bind_null(struct db_stmt *stmt, int idx)
{
    stmt->ops->bind_null(stmt, idx);
}

int db_step(struct db_stmt *stmt, struct iocm_err *err)
{
    return stmt->ops->step(stmt, err);
}

int db_column_count(struct db_stmt *stmt)
{
    return stmt->ops->column_count(stmt);
}

bool db_column_is_null(struct db_stmt *stmt, int col)
{
    return stmt->ops->column_is_null(stmt, col);
}

int64_t db_column_int64(struct db_stmt *stmt, int col)
{
    return stmt->ops->column_int64(stmt, col);
}

double db_column_double(struct db_stmt *stmt, int col)
{
    return stmt->ops->column_double(stmt, col);
}

const char *db_column_text(struct db_stmt *stmt, int col)
{
    return stmt->ops->column_text(stmt, col);
}

int64_t db_changes(struct db *db)
{
    return db->ops->changes(db);
}

/*
 * Transactions. Level 1 is the real transaction; level n > 1 is savepoint
 * s<n-1>. A failed COMMIT or RELEASE still ends its level (the work is
 * rolled back) so that every db_begin stays matched by one call.
 */
int db_begin(struct db *db, struct iocm_err *err)
{
    char sql[64];
    int rc;

    if (db->tx_depth == 0) {
        rc = db->ops->exec(db, db->ops->begin_sql, err);
    } else {
        snprintf(sql, sizeof(sql), "SAVEPOINT s%d", db->tx_depth);
        rc = db->ops->exec(db, sql, err);
    }
    if (rc == 0)
        db->tx_depth++;
    return rc;
}

static int rollback_savepoint(struct db *db, int level, struct iocm_err *err)
{
    char sql[96];

    snprintf(sql, sizeof(sql),
             "ROLLBACK TO SAVEPOINT s%d; RELEASE SAVEPOINT s%d", level, level);
    return db->ops->exec(db, sql, err);
}

int db_commit(struct db *db, struct iocm_err *err)
{
    char sql[64];
    int rc;

    if (db->tx_depth == 0)
        return iocm_fail(err, IOCM_EINTERNAL, "commit without a transaction");
    db->tx_depth--;
    if (db->tx_depth > 0) {
        snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT s%d", db->tx_depth);
        rc = db->ops->exec(db, sql, err);
        if (rc < 0)
            rollback_savepoint(db, db->tx_depth, NULL);
        return rc;
    }
    /* PostgreSQL answers COMMIT of a failed transaction with a silent
     * rollback: say so rather than report success. */
    if (db->ops->tx_state(db) == DB_TX_FAILED) {
        db->ops->exec(db, "ROLLBACK", NULL);
        return iocm_fail(err, IOCM_EDB,
                         "transaction rolled back: a statement in it failed");
    }
    rc = db->ops->exec(db, "COMMIT", err);
    if (rc < 0 && db->ops->tx_state(db) != DB_TX_IDLE)
        db->ops->exec(db, "ROLLBACK", NULL);
    return rc;
}

int db_rollback(struct db *db, struct iocm_err *err)
{
    if (db->tx_depth == 0)
        return iocm_fail(err, IOCM_EINTERNAL, "rollback without a transaction");
    db->tx_depth--;
    if (db->tx_depth > 0)
        return rollback_savepoint(db, db->tx_depth, err);
    /* SQLite ends a transaction by itself on some errors (a full disk);
     * there is nothing left to roll back then. */
    if (db->ops->tx_state(db) == DB_TX_IDLE)
        return 0;
    return db->ops->exec(db, "ROLLBACK", err);
}

int db_run_int64s(struct db *db, const char *sql, const int64_t *params, int n,
                  struct iocm_err *err)
{
    struct db_stmt *stmt;
    int rc = db_prepare_cached(db, sql, &stmt, err);

    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        db_bind_int64(stmt, i + 1, params[i]);
    rc = db_step(stmt, err);
    db_reset(stmt);
    return rc < 0 ? rc : 0;
}

int db_query_int64(struct db *db, const char *sql, const int64_t *param,
                   int64_t *out, struct iocm_err *err)
{
    struct db_stmt *stmt = NULL;
    int rc;

    *out = 0;
    rc = db_prepare(db, sql, &stmt, err);
    if (rc < 0)
        goto out;
    if (param)
        db_bind_int64(stmt, 1, *param);
    rc = db_step(stmt, err);
    if (rc == DB_ROW)
        *out = db_column_int64(stmt, 0);
    if (rc > 0)
        rc = 0;
out:
    db_finalize(stmt);
    return rc;
}

int db_pg_translate(const char *sql, struct strbuf *out)
{
    const char *p = sql;
    int n = 0;

    while (*p) {
        /* Copy up to the next character that may start something. */
        size_t plain = strcspn(p, "?'\"-/");
        const char *end;

        strbuf_add(out, p, plain);
        p += plain;
        if (*p == '\0')
            break;
        if (*p == '?') {
            /* ?NNN names its parameter; a bare ? is the one after the
             * largest so far, as SQLite numbers them. */
            if (p[1] >= '1' && p[1] <= '9') {
                char *digits_end;
                long k = strtol(p + 1, &digits_end, 10);

                strbuf_addf(out, "$%ld", k);
                if (k > n)
                    n = (int)k;
                p = digits_end;
            } else {
                strbuf_addf(out, "$%d", ++n);
                p++;
            }
            continue;
        }
        if (*p == '\'' || *p == '"') {
            /* A doubled quote inside reads as a close and a reopen. */
            end = strchr(p + 1, *p);
            end = end ? end + 1 : p + strlen(p);
        } else if (p[0] == '-' && p[1] == '-') {
            end = p + strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            end = strstr(p + 2, "*/");
            end = end ? end + 2 : p + strlen(p);
        } else {
            end = p + 1;
        }
        strbuf_add(out, p, (size_t)(end - p));
        p = end;
    }
    return n;
}

/* Where a URL's passwords are: offsets and lengths into the URL. */
struct url_secret {
    size_t off;
    size_t len;
};

enum { URL_SECRETS_MAX = 8 };

/*
 * Finds "user:PASSWORD@" in the authority (up to the last '@' before the
 * first '/', so an unescaped '@' in a password is still covered) and every
 * "password=" parameter of the query. Returns the count, in URL order.
 */
static size_t url_secrets(const char *url, struct url_secret *out)
{
    const char *scheme_end = strstr(url, "://");
    const char *rest = url;
    size_t n = 0;

    if (scheme_end) {
        const char *auth = scheme_end + 3;
        size_t auth_len = strcspn(auth, "/");
        const char *at = NULL;

        for (const char *c = auth; c < auth + auth_len; c++) {
            if (*c == '@')
                at = c;
        }
        if (at) {
            const char *colon = memchr(auth, ':', (size_t)(at - auth));

            if (colon) {
                out[n].off = (size_t)(colon + 1 - url);
                out[n].len = (size_t)(at - colon - 1);
                n++;
            }
            rest = at + 1;
        } else {
            rest = auth;
        }
    }
    rest = strchr(rest, '?');
    while (rest && n < URL_SECRETS_MAX) {
        const char *param = rest + 1;
        size_t len = strcspn(param, "&#");

        if (strncmp(param, "password=", 9) == 0 && len >= 9) {
            out[n].off = (size_t)(param + 9 - url);
            out[n].len = len - 9;
            n++;
        }
        rest = param[len] == '&' ? param + len : NULL;
    }
    return n;
}

void db_url_mask(const char *url, struct strbuf *out)
{
    struct url_secret secrets[URL_SECRETS_MAX];
    size_t n = url_secrets(url, secrets);
    size_t pos = 0;

    for (size_t i = 0; i < n; i++) {
        strbuf_add(out, url + pos, secrets[i].off - pos);
        strbuf_addstr(out, "***");
        pos = secrets[i].off + secrets[i].len;
    }
    strbuf_addstr(out, url + pos);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void percent_decode(const char *s, size_t len, struct strbuf *out)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            strbuf_addch(out, hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            strbuf_addch(out, s[i]);
        }
    }
}

static void scrub(struct strbuf *msg, const char *secret, size_t len)
{
    struct strbuf done = STRBUF_INIT;
    const char *p = msg->buf;
    const char *hit;

    if (len == 0)
        return;
    for (hit = strstr(p, secret); hit; hit = strstr(p, secret)) {
        strbuf_add(&done, p, (size_t)(hit - p));
        strbuf_addstr(&done, "***");
        p = hit + len;
    }
    strbuf_addstr(&done, p);
    strbuf_reset(msg);
    strbuf_addbuf(msg, &done);
    strbuf_release(&done);
}

void db_url_scrub(const char *url, struct strbuf *msg)
{
    struct url_secret secrets[URL_SECRETS_MAX];
    size_t n = url_secrets(url, secrets);
    struct strbuf secret = STRBUF_INIT;

    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&secret);
        strbuf_add(&secret, url + secrets[i].off, secrets[i].len);
        scrub(msg, secret.buf, secret.len);
        strbuf_reset(&secret);
        percent_decode(url + secrets[i].off, secrets[i].len, &secret);
        scrub(msg, secret.buf, secret.len);
    }
    strbuf_release(&secret);
}
