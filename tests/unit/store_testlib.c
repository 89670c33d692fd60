#include "store_testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void exec_ok(struct db *db, const char *sql)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (db_exec(db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
}

int64_t query_ok(struct db *db, const char *sql, const int64_t *param)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t v = -1;

    if (db_query_int64(db, sql, param, &v, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

void dump_query(struct db *db, const char *sql, struct strbuf *out)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;
    int rc;

    if (db_prepare(db, sql, &st, &err) != 0)
        fail_msg("%s: %s", sql, err.msg);
    while ((rc = db_step(st, &err)) == DB_ROW) {
        for (int i = 0; i < db_column_count(st); i++) {
            const char *s = db_column_text(st, i);

            strbuf_addf(out, "%s%s", i ? "|" : "", s ? s : "NULL");
        }
        strbuf_addch(out, '\n');
    }
    db_finalize(st);
    if (rc < 0)
        fail_msg("%s: %s", sql, err.msg);
}

void test_store_open(struct test_store *ts, const struct backend *be,
                     const char *name)
{
    struct iocm_err err = IOCM_ERR_INIT;
    const char *tmp = getenv("TMPDIR");

    memset(ts, 0, sizeof(*ts));
    ts->be = be;
    strbuf_init(&ts->url, 0);
    if (be->kind == DB_SQLITE) {
        snprintf(ts->dir, sizeof(ts->dir), "%s/iocm-test-%s.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp", name);
        assert_non_null(mkdtemp(ts->dir));
        strbuf_addf(&ts->url, "sqlite:%s/iocm.db", ts->dir);
    } else {
        strbuf_addstr(&ts->url, be->url);
    }
    if (db_open(ts->url.buf, &ts->db, &err) != 0)
        fail_msg("open: %s", err.msg);
    if (be->kind == DB_POSTGRES)
        exec_ok(ts->db, "DROP SCHEMA IF EXISTS public CASCADE;"
                        "CREATE SCHEMA public");
    if (db_migrate(ts->db, &err) != 0)
        fail_msg("migrate: %s", err.msg);
}

void test_store_close(struct test_store *ts)
{
    db_close(ts->db);
    ts->db = NULL;
    if (ts->dir[0])
        remove_tree(ts->dir);
    strbuf_release(&ts->url);
}

void set_table_failing(struct db *db, const char *table, bool on)
{
    static const char *const events[] = { "INSERT", "UPDATE", "DELETE" };
    struct strbuf sql = STRBUF_INIT;

    if (db_get_kind(db) == DB_SQLITE) {
        for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
            if (on)
                strbuf_addf(&sql,
                            "CREATE TEMP TRIGGER boom_%s_%s BEFORE %s ON %s "
                            "BEGIN SELECT RAISE(ABORT, 'boom'); END;",
                            table, events[i], events[i], table);
            else
                strbuf_addf(&sql, "DROP TRIGGER temp.boom_%s_%s;", table,
                            events[i]);
        }
    } else if (on) {
        strbuf_addf(&sql,
                    "CREATE OR REPLACE FUNCTION iocm_test_boom() RETURNS "
                    "trigger LANGUAGE plpgsql AS "
                    "$$BEGIN RAISE EXCEPTION 'boom'; END$$;"
                    "CREATE TRIGGER boom BEFORE INSERT OR UPDATE OR DELETE "
                    "ON %s FOR EACH ROW EXECUTE FUNCTION iocm_test_boom()",
                    table);
    } else {
        strbuf_addf(&sql, "DROP TRIGGER boom ON %s", table);
    }
    exec_ok(db, sql.buf);
    strbuf_release(&sql);
}

static int run_backend(const char *module, const struct CMUnitTest *cases,
                       size_t n, const struct backend *be)
{
    struct CMUnitTest *tests = xmalloc(n * sizeof(*tests));
    char group[64];
    int failed;

    for (size_t i = 0; i < n; i++) {
        tests[i] = cases[i];
        tests[i].initial_state = (void *)be;
    }
    snprintf(group, sizeof(group), "%s on %s", module, be->name);
    failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return failed;
}

int run_on_backends(const char *module, const struct CMUnitTest *cases,
                    size_t n)
{
    static const struct backend sqlite = { "sqlite", DB_SQLITE, NULL };
    struct backend pg = { "postgresql", DB_POSTGRES, NULL };
    const char *pg_url = getenv("IOCM_TEST_PG_URL");
    int failed = run_backend(module, cases, n, &sqlite);

    if (pg_url && *pg_url) {
        pg.url = pg_url;
        failed += run_backend(module, cases, n, &pg);
    } else {
        printf("[ SKIPPED  ] %s on postgresql: %zu cases skipped, "
               "IOCM_TEST_PG_URL is not set (run %s-postgres)\n",
               module, n, module);
        fflush(stdout);
    }
    return failed;
}
