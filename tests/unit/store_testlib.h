#ifndef IOCM_TESTS_STORE_TESTLIB_H
#define IOCM_TESTS_STORE_TESTLIB_H

/*
 * What the store-backed unit tests (ioc_repo, lifecycle, user, audit)
 * share: a migrated store per case, statements that must succeed, a dump
 * of query results to compare stores with, tables made to fail, and
 * running one list of cases on SQLite and, when IOCM_TEST_PG_URL names a
 * database, on PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db/db.h"
#include "fs_testlib.h"
#include "util/strbuf.h"

/* The store a case runs on; its initial_state when the case starts. */
struct backend {
    const char *name;
    enum db_kind kind;
    const char *url; /* PostgreSQL's; SQLite gets a file per case */
};

/* Fail the case with the statement and the store's message. */
void exec_ok(struct db *db, const char *sql);
int64_t query_ok(struct db *db, const char *sql, const int64_t *param);

/* Appends every row of sql as "a|b|c\n", SQL NULL as "NULL". */
void dump_query(struct db *db, const char *sql, struct strbuf *out);

/* A migrated store for one case: SQLite in a temporary folder of its
 * own, or the PostgreSQL database of the backend, emptied first. */
struct test_store {
    const struct backend *be;
    char dir[256]; /* SQLite's temporary folder, "" for PostgreSQL */
    struct strbuf url;
    struct db *db;
};

/* Opens and migrates ts on be; name tells the folders of tests apart. */
void test_store_open(struct test_store *ts, const struct backend *be,
                     const char *name);
/* Closes ts and removes its folder. */
void test_store_close(struct test_store *ts);

/*
 * Makes every INSERT, UPDATE and DELETE on table fail with "boom" (on)
 * or lifts that again, on this connection's store only: SQLite takes TEMP
 * triggers, PostgreSQL a trigger function.
 */
void set_table_failing(struct db *db, const char *table, bool on);

/*
 * Runs cases as group "MODULE on sqlite" and, when IOCM_TEST_PG_URL is
 * set, "MODULE on postgresql" (else says they were skipped and which test
 * runs them); returns the number of failures.
 */
int run_on_backends(const char *module, const struct CMUnitTest *cases,
                    size_t n);

#endif
