/*
 * Unit tests for db/: one table of cases run against SQLite (a temporary
 * file per case) and, when IOCM_TEST_PG_URL names a database, against
 * PostgreSQL (its public schema emptied per case); plus the pieces that
 * need no server (URLs, placeholder translation, SQLite files).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"
#include "db/db_int.h"
#include "fs_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct backend {
    const char *name;
    enum db_kind kind;
    const char *url; /* PostgreSQL's; SQLite gets a file per case */
};

/* What each backend case starts with: an open, empty, unmigrated db. */
struct fixture {
    const struct backend *be;
    char dir[256]; /* SQLite's temporary folder */
    struct strbuf url;
    struct db *db;
};

static void make_temp_dir(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, size, "%s/iocm-test-db.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
}

static void exec_ok(struct db *db, const char *sql)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (db_exec(db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
}

static int64_t query_ok(struct db *db, const char *sql)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t v = -1;

    if (db_query_int64(db, sql, NULL, &v, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

static void migrate_ok(struct db *db)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (db_migrate(db, &err) != 0)
        fail_msg("migrate: %s", err.msg);
}

static void open_ok(const char *url, struct db **out)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (db_open(url, out, &err) != 0)
        fail_msg("open %s: %s", url, err.msg);
}

static int fixture_setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *fx = xcalloc(1, sizeof(*fx));

    fx->be = be;
    strbuf_init(&fx->url, 0);
    if (be->kind == DB_SQLITE) {
        make_temp_dir(fx->dir, sizeof(fx->dir));
        strbuf_addf(&fx->url, "sqlite:%s/iocm.db", fx->dir);
    } else {
        strbuf_addstr(&fx->url, be->url);
    }
    open_ok(fx->url.buf, &fx->db);
    if (be->kind == DB_POSTGRES)
        exec_ok(fx->db, "DROP SCHEMA IF EXISTS public CASCADE;"
                        "CREATE SCHEMA public");
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *fx = *state;

    db_close(fx->db);
    if (fx->dir[0])
        remove_tree(fx->dir);
    strbuf_release(&fx->url);
    free(fx);
    return 0;
}

/* A small table most cases write to. */
static void make_kv(struct db *db)
{
    exec_ok(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT, s TEXT)");
}

static const char sql_kv_insert[] = "INSERT INTO kv (k, n) VALUES (?, ?)";

static int insert_kv(struct db *db, const char *k, int64_t n,
                     struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_kv_insert, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, k);
    db_bind_int64(st, 2, n);
    rc = db_step(st, err);
    db_reset(st);
    return rc;
}

static void insert_kv_ok(struct db *db, const char *k, int64_t n)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (insert_kv(db, k, n, &err) != DB_DONE)
        fail_msg("insert %s: %s", k, err.msg);
}

static const char *const schema_tables[] = {
    "schema_meta",    "users",           "api_tokens",
    "iocs",           "ioc_counts",      "audit_events",
    "enrich_results", "enrich_attempts", "report_sends",
};

static const char sql_user_insert[] =
    "INSERT INTO users (username, role, created_at, updated_at) "
    "VALUES (?, 'analyst', 0, 0) RETURNING id";

static int insert_user(struct db *db, const char *name, int64_t *id,
                       struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_user_insert, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, name);
    rc = db_step(st, err);
    if (rc == DB_ROW && id)
        *id = db_column_int64(st, 0);
    db_reset(st);
    return rc;
}

static void test_migrate_from_empty_creates_all_tables(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf sql = STRBUF_INIT;
    int64_t first = 0, second = 0;
    int version = -1;

    assert_int_equal(db_schema_version(fx->db, &version, &err), 0);
    assert_int_equal(version, 0);
    migrate_ok(fx->db);
    assert_int_equal(db_schema_version(fx->db, &version, &err), 0);
    assert_int_equal(version, db_schema_latest());
    for (size_t i = 0; i < ARRAY_SIZE(schema_tables); i++) {
        strbuf_reset(&sql);
        strbuf_addf(&sql, "SELECT COUNT(*) FROM %s", schema_tables[i]);
        assert_int_equal(query_ok(fx->db, sql.buf),
                         i == 0 ? 1 : 0); /* schema_meta holds the version */
    }
    /* @ID@ became an auto-increment key on this backend. */
    assert_int_equal(insert_user(fx->db, "alice", &first, &err), DB_ROW);
    assert_int_equal(insert_user(fx->db, "bob", &second, &err), DB_ROW);
    assert_true(first > 0);
    assert_true(second > first);
    strbuf_release(&sql);
}

static void test_migrate_twice_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db *again = NULL;
    int version = -1;

    migrate_ok(fx->db);
    assert_int_equal(insert_user(fx->db, "alice", NULL, &err), DB_ROW);
    migrate_ok(fx->db);
    assert_int_equal(db_connect(fx->url.buf, &again, &err), 0);
    assert_int_equal(db_schema_version(again, &version, &err), 0);
    assert_int_equal(version, db_schema_latest());
    assert_int_equal(query_ok(again, "SELECT COUNT(*) FROM users"), 1);
    assert_int_equal(query_ok(again, "SELECT COUNT(*) FROM schema_meta"), 1);
    db_close(again);
}

static void test_migrate_refuses_newer_schema(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf sql = STRBUF_INIT;
    struct strbuf want = STRBUF_INIT;
    struct db *other = (struct db *)&err; /* must come back NULL */
    int newer = db_schema_latest() + 2;
    int version = -1;

    migrate_ok(fx->db);
    strbuf_addf(&sql,
                "UPDATE schema_meta SET value = '%d' WHERE key = 'version'",
                newer);
    exec_ok(fx->db, sql.buf);
    strbuf_addf(&want,
                "database schema version %d is newer than this iocm (%d); "
                "upgrade iocm",
                newer, db_schema_latest());
    assert_int_equal(db_migrate(fx->db, &err), IOCM_EDB);
    assert_string_equal(err.msg, want.buf);
    assert_int_equal(db_schema_version(fx->db, &version, &err), 0);
    assert_int_equal(version, newer);
    iocm_err_clear(&err);
    assert_int_equal(db_connect(fx->url.buf, &other, &err), IOCM_EDB);
    assert_null(other);
    assert_string_equal(err.msg, want.buf);
    strbuf_release(&sql);
    strbuf_release(&want);
}

static const int64_t int_values[] = {
    INT64_MIN, -1, 0, 1, 1796371200, INT64_MAX,
};

static void test_ints_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;
    char key[16];
    size_t i;

    make_kv(fx->db);
    for (i = 0; i < ARRAY_SIZE(int_values); i++) {
        snprintf(key, sizeof(key), "k%02zu", i);
        insert_kv_ok(fx->db, key, int_values[i]);
    }
    exec_ok(fx->db, "INSERT INTO kv (k, n) VALUES ('null', NULL)");
    assert_int_equal(
        db_prepare(fx->db, "SELECT k, n FROM kv ORDER BY k", &st, &err), 0);
    for (i = 0; i < ARRAY_SIZE(int_values); i++) {
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_false(db_column_is_null(st, 1));
        assert_true(db_column_int64(st, 1) == int_values[i]);
    }
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_string_equal(db_column_text(st, 0), "null");
    assert_true(db_column_is_null(st, 1));
    assert_int_equal(db_column_int64(st, 1), 0);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_finalize(st);
}

static const char *const text_values[] = {
    "plain",
    "",
    "Z\xc3\xbcrich \xe2\x80\x94 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x99\x82",
    "it's \"quoted\", with ? and $1 and \\",
    NULL,
};

static void test_text_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;
    char buf[128];
    char key[16];
    size_t i;

    make_kv(fx->db);
    assert_int_equal(
        db_prepare(fx->db, "INSERT INTO kv (k, s) VALUES (?, ?)", &st, &err),
        0);
    for (i = 0; i < ARRAY_SIZE(text_values); i++) {
        snprintf(key, sizeof(key), "k%02zu", i);
        db_reset(st);
        db_bind_text(st, 1, key);
        if (text_values[i]) {
            /* Text is copied at bind: spoiling the buffer changes nothing. */
            snprintf(buf, sizeof(buf), "%s", text_values[i]);
            db_bind_text(st, 2, buf);
            memset(buf, 'x', sizeof(buf) - 1);
        } else {
            db_bind_text(st, 2, NULL);
        }
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    db_finalize(st);
    assert_int_equal(
        db_prepare(fx->db, "SELECT s FROM kv ORDER BY k", &st, &err), 0);
    for (i = 0; i < ARRAY_SIZE(text_values); i++) {
        assert_int_equal(db_step(st, &err), DB_ROW);
        if (text_values[i]) {
            assert_false(db_column_is_null(st, 0));
            assert_string_equal(db_column_text(st, 0), text_values[i]);
        } else {
            assert_true(db_column_is_null(st, 0));
            assert_null(db_column_text(st, 0));
        }
    }
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_finalize(st);
}

static void test_unique_violation_is_eexist(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    migrate_ok(fx->db);
    assert_int_equal(insert_user(fx->db, "alice", NULL, &err), DB_ROW);
    assert_int_equal(insert_user(fx->db, "alice", NULL, &err), IOCM_EEXIST);
    assert_int_equal(err.code, IOCM_EEXIST);
    assert_non_null(strcasestr(err.msg, "unique"));
    make_kv(fx->db);
    insert_kv_ok(fx->db, "a", 1);
    assert_int_equal(insert_kv(fx->db, "a", 2, &err), IOCM_EEXIST);
    /* Other constraints are plain database errors. */
    assert_int_equal(
        db_exec(fx->db, "INSERT INTO users (username) VALUES ('x')", &err),
        IOCM_EDB);
    assert_non_null(strcasestr(err.msg, "null"));
}

static const char sql_count_add[] =
    "INSERT INTO ioc_counts (type, status, is_enriched, n) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (type, status, is_enriched) "
    "DO UPDATE SET n = ioc_counts.n + excluded.n RETURNING n";

static const struct {
    const char *type;
    int64_t add;
    int64_t total; /* what RETURNING gives */
} upserts[] = {
    { "ipv4", 5, 5 },
    { "ipv4", 3, 8 },
    { "domain", 2, 2 },
    { "ipv4", -8, 0 },
};

static void test_upsert_with_returning(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;

    migrate_ok(fx->db);
    for (size_t i = 0; i < ARRAY_SIZE(upserts); i++) {
        assert_int_equal(db_prepare_cached(fx->db, sql_count_add, &st, &err),
                         0);
        db_bind_text(st, 1, upserts[i].type);
        db_bind_int64(st, 2, 2);
        db_bind_int64(st, 3, 0);
        db_bind_int64(st, 4, upserts[i].add);
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_int_equal(db_column_int64(st, 0), upserts[i].total);
        assert_int_equal(db_step(st, &err), DB_DONE);
        assert_int_equal(db_changes(fx->db), 1);
    }
    assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM ioc_counts"), 2);

    /* DO NOTHING returns no row for a known key. */
    make_kv(fx->db);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(db_prepare(fx->db,
                                    "INSERT INTO kv (k, n) VALUES ('a', 1) "
                                    "ON CONFLICT (k) DO NOTHING RETURNING n",
                                    &st, &err),
                         0);
        assert_int_equal(db_step(st, &err), round == 0 ? DB_ROW : DB_DONE);
        db_finalize(st);
    }
    assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM kv"), 1);
}

static void test_inner_rollback_keeps_outer_work(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    make_kv(fx->db);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "outer", 1);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "dropped", 2);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "dropped too", 3);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(db_rollback(fx->db, &err), 0);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "kept", 4);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 5);
}

static void test_outer_rollback_drops_all(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "before", 1);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "outer", 2);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "inner", 3);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(db_rollback(fx->db, &err), 0);
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 1);
    /* The next transaction starts from scratch. */
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "after", 4);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 5);
}

static void test_failed_statement_in_savepoint_can_be_rolled_back(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    make_kv(fx->db);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "a", 1);
    assert_int_equal(db_begin(fx->db, &err), 0);
    assert_int_equal(insert_kv(fx->db, "a", 2, &err), IOCM_EEXIST);
    assert_int_equal(db_rollback(fx->db, &err), 0);
    insert_kv_ok(fx->db, "b", 4);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 5);
}

/*
 * After a failed statement SQLite keeps the transaction's other work, while
 * PostgreSQL can only roll it all back: its commit must then say so rather
 * than succeed.
 */
static void test_commit_after_failed_statement(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int rc;

    make_kv(fx->db);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "a", 1);
    assert_int_equal(insert_kv(fx->db, "a", 2, &err), IOCM_EEXIST);
    rc = db_commit(fx->db, &err);
    if (fx->be->kind == DB_SQLITE) {
        assert_int_equal(rc, 0);
        assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM kv"), 1);
    } else {
        assert_int_equal(rc, IOCM_EDB);
        assert_non_null(strstr(err.msg, "rolled back"));
        assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM kv"), 0);
    }
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "b", 2);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM kv WHERE k = 'b'"),
                     1);
}

static void test_close_rolls_back_open_transaction(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "committed", 1);
    assert_int_equal(db_begin(fx->db, &err), 0);
    assert_int_equal(db_begin(fx->db, &err), 0);
    insert_kv_ok(fx->db, "open", 2);
    /* A cached statement left in the middle of its rows. */
    assert_int_equal(db_prepare_cached(fx->db, "SELECT k FROM kv", &st, &err),
                     0);
    assert_int_equal(db_step(st, &err), DB_ROW);
    db_close(fx->db);
    fx->db = NULL;
    open_ok(fx->url.buf, &fx->db);
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 1);
}

static void test_unmatched_commit_and_rollback_fail(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    assert_int_equal(db_commit(fx->db, &err), IOCM_EINTERNAL);
    assert_int_equal(db_rollback(fx->db, &err), IOCM_EINTERNAL);
    assert_int_equal(db_begin(fx->db, &err), 0);
    assert_int_equal(db_commit(fx->db, &err), 0);
    assert_int_equal(db_commit(fx->db, &err), IOCM_EINTERNAL);
}

static const char sql_kv_from[] = "SELECT k FROM kv WHERE n >= ? ORDER BY n";

/* Distinct static texts, so that the cache has to grow. */
static char many_sql[100][64];

static void test_cached_statement_is_reused_reset_and_cleared(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *many[ARRAY_SIZE(many_sql)];
    struct db_stmt *st, *again, *other;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "a", 1);
    insert_kv_ok(fx->db, "b", 2);
    insert_kv_ok(fx->db, "c", 3);
    assert_int_equal(db_prepare_cached(fx->db, sql_kv_from, &st, &err), 0);
    db_bind_int64(st, 1, 2);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_string_equal(db_column_text(st, 0), "b");
    /* Handed out again mid-rows: reset, and n >= NULL matches nothing. */
    assert_int_equal(db_prepare_cached(fx->db, sql_kv_from, &again, &err), 0);
    assert_ptr_equal(again, st);
    assert_int_equal(db_step(again, &err), DB_DONE);
    db_reset(again);
    db_bind_int64(again, 1, 1);
    assert_int_equal(db_step(again, &err), DB_ROW);
    assert_string_equal(db_column_text(again, 0), "a");
    /* The same text at another address is another statement. */
    {
        char copy[sizeof(sql_kv_from)];

        memcpy(copy, sql_kv_from, sizeof(copy));
        assert_int_equal(db_prepare_cached(fx->db, copy, &other, &err), 0);
        assert_ptr_not_equal(other, st);
    }
    for (size_t i = 0; i < ARRAY_SIZE(many_sql); i++) {
        snprintf(many_sql[i], sizeof(many_sql[i]),
                 "SELECT COUNT(*) + %zu FROM kv", i);
        assert_int_equal(db_prepare_cached(fx->db, many_sql[i], &many[i], &err),
                         0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(many_sql); i++) {
        assert_int_equal(db_prepare_cached(fx->db, many_sql[i], &st, &err), 0);
        assert_ptr_equal(st, many[i]);
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_int_equal(db_column_int64(st, 0), 3 + (int64_t)i);
    }
}

static void test_changes_counts_rows_written(void **state)
{
    struct fixture *fx = *state;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "a", 1);
    assert_int_equal(db_changes(fx->db), 1);
    insert_kv_ok(fx->db, "b", 2);
    insert_kv_ok(fx->db, "c", 3);
    exec_ok(fx->db, "UPDATE kv SET n = n + 1 WHERE n >= 2");
    assert_int_equal(db_changes(fx->db), 2);
    /* Reading leaves the count alone. */
    assert_int_equal(query_ok(fx->db, "SELECT COUNT(*) FROM kv"), 3);
    assert_int_equal(db_changes(fx->db), 2);
    exec_ok(fx->db, "DELETE FROM kv WHERE n > 100");
    assert_int_equal(db_changes(fx->db), 0);
    /* Several statements: the last one counts. */
    exec_ok(fx->db, "UPDATE kv SET n = n WHERE k = 'a'; UPDATE kv SET n = n");
    assert_int_equal(db_changes(fx->db), 3);
    exec_ok(fx->db, "DELETE FROM kv WHERE k <> 'a'");
    assert_int_equal(db_changes(fx->db), 2);
}

static void test_query_int64(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    const int64_t two = 2;
    int64_t v = -1;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "a", 1);
    insert_kv_ok(fx->db, "b", 2);
    insert_kv_ok(fx->db, "c", 3);
    assert_int_equal(db_query_int64(fx->db,
                                    "SELECT COUNT(*) FROM kv WHERE n >= ?",
                                    &two, &v, &err),
                     0);
    assert_int_equal(v, 2);
    assert_int_equal(
        db_query_int64(fx->db, "SELECT MAX(n) FROM kv", NULL, &v, &err), 0);
    assert_int_equal(v, 3);
    /* No row reads as 0. */
    assert_int_equal(
        db_query_int64(fx->db, "SELECT n FROM kv WHERE n > ?", &two, &v, &err),
        0);
    assert_int_equal(v, 3);
    v = -1;
    assert_int_equal(
        db_query_int64(fx->db, "SELECT n FROM kv WHERE n > 10", NULL, &v, &err),
        0);
    assert_int_equal(v, 0);
    /* A boolean reads as 1 or 0 on both. */
    assert_int_equal(query_ok(fx->db, "SELECT 2 > 1"), 1);
    assert_int_equal(query_ok(fx->db, "SELECT 1 > 2"), 0);
    assert_int_equal(
        db_query_int64(fx->db, "SELECT n FROM nowhere", NULL, &v, &err),
        IOCM_EDB);
    assert_non_null(strstr(err.msg, "nowhere"));
}

static void test_placeholders_inside_literals_are_kept(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;

    exec_ok(fx->db, "CREATE TABLE \"odd?\" (\"why?\" TEXT, n BIGINT)");
    assert_int_equal(db_prepare(fx->db,
                                "INSERT INTO \"odd?\" (\"why?\", n) "
                                "VALUES ('it''s ? here' || ?, ?) -- a ? here\n",
                                &st, &err),
                     0);
    db_bind_text(st, 1, ", and ?");
    db_bind_int64(st, 2, 42);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_finalize(st);
    assert_int_equal(db_prepare(fx->db,
                                "SELECT \"why?\", n /* ? */ FROM \"odd?\" "
                                "WHERE n = ? AND \"why?\" LIKE '%?%'",
                                &st, &err),
                     0);
    db_bind_int64(st, 1, 42);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_string_equal(db_column_text(st, 0), "it's ? here, and ?");
    assert_int_equal(db_column_int64(st, 1), 42);
    assert_int_equal(db_step(st, &err), DB_DONE);
    db_finalize(st);
}

static void test_step_after_done_runs_again(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;

    make_kv(fx->db);
    insert_kv_ok(fx->db, "a", 1);
    insert_kv_ok(fx->db, "b", 2);
    assert_int_equal(
        db_prepare(fx->db, "SELECT n FROM kv ORDER BY n", &st, &err), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_int_equal(db_column_int64(st, 0), 1);
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_int_equal(db_column_int64(st, 0), 2);
        assert_int_equal(db_step(st, &err), DB_DONE);
    }
    db_finalize(st);
}

static void test_columns_count_and_convert(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;

    assert_int_equal(db_prepare(fx->db, "SELECT 7, 2.5, 'x', NULL", &st, &err),
                     0);
    assert_int_equal(db_column_count(st), 4);
    assert_int_equal(db_step(st, &err), DB_ROW);
    assert_int_equal(db_column_count(st), 4);
    assert_int_equal(db_column_int64(st, 0), 7);
    assert_string_equal(db_column_text(st, 0), "7");
    assert_true(db_column_double(st, 1) == 2.5);
    assert_string_equal(db_column_text(st, 2), "x");
    assert_true(db_column_is_null(st, 3));
    assert_true(db_column_double(st, 3) == 0);
    db_finalize(st);
}

static const struct {
    const char *sql;
    const char *in_message; /* both drivers' messages say this */
} bad_sql[] = {
    { "SELEC 1", "syntax error" },
    { "SELECT * FROM nowhere", "nowhere" },
    { "SELECT 1; SELECT 2", "" },
};

static void test_bad_sql_reports_driver_message(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < ARRAY_SIZE(bad_sql); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct db_stmt *st = (struct db_stmt *)&err;

        assert_int_equal(db_prepare(fx->db, bad_sql[i].sql, &st, &err),
                         IOCM_EDB);
        assert_null(st);
        assert_int_equal(err.code, IOCM_EDB);
        assert_non_null(strstr(err.msg, bad_sql[i].in_message));
        assert_true(strlen(err.msg) > 0);
        assert_null(strchr(err.msg, '\n'));
    }
}

static void test_exec_runs_several_statements(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    exec_ok(fx->db, "CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT, s TEXT);"
                    "INSERT INTO kv (k, n) VALUES ('a', 1);"
                    "INSERT INTO kv (k, n) VALUES ('b', 2);");
    assert_int_equal(query_ok(fx->db, "SELECT SUM(n) FROM kv"), 3);
    assert_int_equal(db_exec(fx->db,
                             "INSERT INTO kv (k, n) VALUES ('c', 3);"
                             "INSERT INTO kv (k, n) VALUES ('a', 4)",
                             &err),
                     IOCM_EEXIST);
    assert_int_equal(db_get_kind(fx->db), fx->be->kind);
}

/* The cases every backend runs; the state is the backend. */
static const struct CMUnitTest backend_cases[] = {
    cmocka_unit_test_setup_teardown(test_migrate_from_empty_creates_all_tables,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_migrate_twice_changes_nothing,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_migrate_refuses_newer_schema,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_ints_round_trip, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(test_text_round_trip, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(test_unique_violation_is_eexist,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_upsert_with_returning, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(test_inner_rollback_keeps_outer_work,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_outer_rollback_drops_all,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_failed_statement_in_savepoint_can_be_rolled_back, fixture_setup,
        fixture_teardown),
    cmocka_unit_test_setup_teardown(test_commit_after_failed_statement,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_close_rolls_back_open_transaction,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_unmatched_commit_and_rollback_fail,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_cached_statement_is_reused_reset_and_cleared, fixture_setup,
        fixture_teardown),
    cmocka_unit_test_setup_teardown(test_changes_counts_rows_written,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_query_int64, fixture_setup,
                                    fixture_teardown),
    cmocka_unit_test_setup_teardown(test_placeholders_inside_literals_are_kept,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_step_after_done_runs_again,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_columns_count_and_convert,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_bad_sql_reports_driver_message,
                                    fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_exec_runs_several_statements,
                                    fixture_setup, fixture_teardown),
};

/* Cases that need no server. */

static const struct {
    const char *url;
    int code;
    const char *secret; /* must not appear in the message */
} bad_urls[] = {
    { "mysql://iocm:hunter2@db/iocm", IOCM_ECONFIG, "hunter2" },
    { "", IOCM_ECONFIG, NULL },
    { "sqlite:", IOCM_ECONFIG, NULL },
    { "file:iocm.db", IOCM_ECONFIG, NULL },
    { "postgresql:/db", IOCM_ECONFIG, NULL },
};

static void test_open_rejects_unknown_scheme(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_urls); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct db *db = (struct db *)&err;

        assert_int_equal(db_open(bad_urls[i].url, &db, &err), bad_urls[i].code);
        assert_null(db);
        assert_true(strlen(err.msg) > 0);
        if (bad_urls[i].secret)
            assert_null(strstr(err.msg, bad_urls[i].secret));
    }
}

static void test_open_reports_unwritable_path(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf path = STRBUF_INIT;
    struct strbuf url = STRBUF_INIT;
    struct db *db = NULL;
    char dir[256];
    FILE *fp;

    (void)state;
    make_temp_dir(dir, sizeof(dir));
    /* A file where a folder should be: fails even for root. */
    strbuf_addf(&path, "%s/file", dir);
    fp = fopen(path.buf, "w");
    assert_non_null(fp);
    fputs("not a database, just text that is long enough to check\n", fp);
    fclose(fp);
    strbuf_addf(&url, "sqlite:%s/sub/iocm.db", path.buf);
    assert_int_equal(db_open(url.buf, &db, &err), IOCM_EDB);
    assert_non_null(strstr(err.msg, path.buf));
    /* A folder where the file should be. */
    strbuf_reset(&url);
    strbuf_addf(&url, "sqlite:%s", dir);
    assert_int_equal(db_open(url.buf, &db, &err), IOCM_EDB);
    assert_non_null(strstr(err.msg, dir));
    /* A file that is not a database: SQLite's own words and the path. */
    strbuf_reset(&url);
    strbuf_addf(&url, "sqlite:%s", path.buf);
    assert_int_equal(db_open(url.buf, &db, &err), IOCM_EDB);
    assert_non_null(strstr(err.msg, path.buf));
    assert_non_null(strstr(err.msg, "not a database"));
    assert_null(db);
    remove_tree(dir);
    strbuf_release(&path);
    strbuf_release(&url);
}

static const struct {
    const char *pragma;
    const char *want;
} sqlite_pragmas[] = {
    { "PRAGMA journal_mode", "wal" },
    { "PRAGMA foreign_keys", "1" },
    { "PRAGMA busy_timeout", "5000" },
    { "PRAGMA synchronous", "1" }, /* NORMAL */
};

static void test_sqlite_creates_private_folders_and_file(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf path = STRBUF_INIT;
    struct strbuf url = STRBUF_INIT;
    struct db_stmt *st = NULL;
    struct db *db = NULL;
    struct stat sb;
    char dir[256];

    (void)state;
    make_temp_dir(dir, sizeof(dir));
    strbuf_addf(&url, "sqlite:%s/a/b/iocm.db", dir);
    assert_int_equal(db_open(url.buf, &db, &err), 0);
    assert_int_equal(db_get_kind(db), DB_SQLITE);
    strbuf_addf(&path, "%s/a", dir);
    assert_int_equal(stat(path.buf, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    strbuf_addstr(&path, "/b");
    assert_int_equal(stat(path.buf, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    strbuf_addstr(&path, "/iocm.db");
    assert_int_equal(stat(path.buf, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    for (size_t i = 0; i < ARRAY_SIZE(sqlite_pragmas); i++) {
        assert_int_equal(db_prepare(db, sqlite_pragmas[i].pragma, &st, &err),
                         0);
        assert_int_equal(db_step(st, &err), DB_ROW);
        assert_string_equal(db_column_text(st, 0), sqlite_pragmas[i].want);
        db_finalize(st);
    }
    db_close(db);
    remove_tree(dir);
    strbuf_release(&path);
    strbuf_release(&url);
}

static void test_sqlite_memory_database_migrates(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db *db = NULL;
    int version = -1;

    (void)state;
    assert_int_equal(db_connect("sqlite::memory:", &db, &err), 0);
    assert_int_equal(db_schema_version(db, &version, &err), 0);
    assert_int_equal(version, db_schema_latest());
    db_close(db);
    db_close(NULL);
}

static const struct {
    const char *in;
    const char *out;
    int n;
} translations[] = {
    { "SELECT ?", "SELECT $1", 1 },
    { "VALUES (?, ?, ?)", "VALUES ($1, $2, $3)", 3 },
    { "SELECT 'a?b', ?", "SELECT 'a?b', $1", 1 },
    { "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1 },
    { "SELECT \"c?\" FROM t WHERE x = ?", "SELECT \"c?\" FROM t WHERE x = $1",
      1 },
    { "SELECT 1 -- why?\n, ?", "SELECT 1 -- why?\n, $1", 1 },
    { "SELECT /* ? */ ?", "SELECT /* ? */ $1", 1 },
    { "SELECT 10 - ? / 2", "SELECT 10 - $1 / 2", 1 },
    { "SELECT 'unterminated ?", "SELECT 'unterminated ?", 0 },
    { "SELECT 1 -- ?", "SELECT 1 -- ?", 0 },
    { "", "", 0 },
    { "?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11", 11 },
    { "VALUES (?3, ?1), (?4, ?1)", "VALUES ($3, $1), ($4, $1)", 4 },
    { "SELECT ?12, ?, '?2'", "SELECT $12, $13, '?2'", 13 },
    { "SELECT ?2, ?", "SELECT $2, $3", 3 },
};

static void test_pg_placeholders_are_numbered_outside_literals(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(translations); i++) {
        struct strbuf out = STRBUF_INIT;

        assert_int_equal(db_pg_translate(translations[i].in, &out),
                         translations[i].n);
        assert_string_equal(out.buf, translations[i].out);
        strbuf_release(&out);
    }
}

static const struct {
    const char *url;
    const char *masked;
} masks[] = {
    { "postgresql://iocm:s3cret@db.example:5432/iocm",
      "postgresql://iocm:***@db.example:5432/iocm" },
    { "postgres://iocm@db/iocm", "postgres://iocm@db/iocm" },
    { "postgresql://db/iocm?user=x&password=s3cret&sslmode=require",
      "postgresql://db/iocm?user=x&password=***&sslmode=require" },
    { "postgresql://u:p@ss@h/db", "postgresql://u:***@h/db" },
    { "postgresql://h:5432/db", "postgresql://h:5432/db" },
    { "postgresql://u:a%40b@h/db?password=x",
      "postgresql://u:***@h/db?password=***" },
    { "sqlite:data/iocm.db", "sqlite:data/iocm.db" },
};

static void test_url_passwords_are_masked(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(masks); i++) {
        struct strbuf out = STRBUF_INIT;

        db_url_mask(masks[i].url, &out);
        assert_string_equal(out.buf, masks[i].masked);
        strbuf_release(&out);
    }
}

static void test_url_scrub_removes_raw_and_decoded_password(void **state)
{
    struct strbuf msg = STRBUF_INIT;

    (void)state;
    strbuf_addstr(&msg, "token \"a%40b\" and a@b and ab");
    db_url_scrub("postgresql://u:a%40b@h/db", &msg);
    assert_string_equal(msg.buf, "token \"***\" and *** and ab");
    strbuf_release(&msg);
}

static const struct {
    const char *url;
    const char *secret;
} refused_urls[] = {
    { "postgresql://iocm:Sup3rSecret@127.0.0.1:1/iocm", "Sup3rSecret" },
    { "postgres://iocm@127.0.0.1:1/iocm?password=Sup3rSecret", "Sup3rSecret" },
    /* libpq quotes a token it cannot decode. */
    { "postgresql://iocm:bad%zzSecret@127.0.0.1:1/iocm", "zzSecret" },
};

static void test_pg_connect_error_masks_password(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(refused_urls); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct db *db = NULL;

        assert_int_equal(db_open(refused_urls[i].url, &db, &err), IOCM_EDB);
        assert_null(db);
        assert_null(strstr(err.msg, refused_urls[i].secret));
        assert_non_null(strstr(err.msg, "***"));
        assert_null(strchr(err.msg, '\n'));
    }
}

static const struct CMUnitTest common_cases[] = {
    cmocka_unit_test(test_open_rejects_unknown_scheme),
    cmocka_unit_test(test_open_reports_unwritable_path),
    cmocka_unit_test(test_sqlite_creates_private_folders_and_file),
    cmocka_unit_test(test_sqlite_memory_database_migrates),
    cmocka_unit_test(test_pg_placeholders_are_numbered_outside_literals),
    cmocka_unit_test(test_url_passwords_are_masked),
    cmocka_unit_test(test_url_scrub_removes_raw_and_decoded_password),
    cmocka_unit_test(test_pg_connect_error_masks_password),
};

static int run_backend(const struct backend *be)
{
    struct CMUnitTest tests[ARRAY_SIZE(backend_cases)];
    char group[64];

    for (size_t i = 0; i < ARRAY_SIZE(backend_cases); i++) {
        tests[i] = backend_cases[i];
        tests[i].initial_state = (void *)be;
    }
    snprintf(group, sizeof(group), "db on %s", be->name);
    return _cmocka_run_group_tests(group, tests, ARRAY_SIZE(tests), NULL, NULL);
}

int main(void)
{
    static const struct backend sqlite = { "sqlite", DB_SQLITE, NULL };
    struct backend pg = { "postgresql", DB_POSTGRES, NULL };
    const char *pg_url = getenv("IOCM_TEST_PG_URL");
    int failed;

    failed = _cmocka_run_group_tests("db without a server", common_cases,
                                     ARRAY_SIZE(common_cases), NULL, NULL);
    failed += run_backend(&sqlite);
    if (pg_url && *pg_url) {
        pg.url = pg_url;
        failed += run_backend(&pg);
    } else {
        printf("[ SKIPPED  ] db on postgresql: %zu cases skipped, "
               "IOCM_TEST_PG_URL is not set (run the db-postgres test)\n",
               ARRAY_SIZE(backend_cases));
        fflush(stdout);
    }
    return failed;
}
