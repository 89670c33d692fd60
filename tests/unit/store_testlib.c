#include "store_testlib.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/err.h"
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

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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
