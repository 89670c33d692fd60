/*
 * Unit tests for the audit log (audit/audit.h): details stored as compact
 * JSON, the filters and order of audit_each, purging by age, and events
 * that live and die with their transaction. Runs on SQLite and, when
 * IOCM_TEST_PG_URL names a database, on PostgreSQL.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "db/db.h"
#include "store_testlib.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#define NOW INT64_C(1700000000)

/* What each case starts with: a migrated, empty store. */
struct fixture {
    struct test_store st;
};

static int64_t audit_rows(struct db *db)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t n = -1;

    if (db_query_int64(db, "SELECT COUNT(*) FROM audit_events", NULL, &n,
                       &err) != 0)
        fail_msg("count: %s", err.msg);
    return n;
}

static int fixture_setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *fx = xcalloc(1, sizeof(*fx));

    test_store_open(&fx->st, be, "audit");
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *fx = *state;

    test_store_close(&fx->st);
    free(fx);
    return 0;
}

static void log_ok(struct db *db, int64_t at, const char *actor,
                   const char *action, const char *object_id, json_t *details)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (audit_log(db, at, actor, action, "test", object_id, details, &err) != 0)
        fail_msg("audit_log %s: %s", action, err.msg);
}

/* Collects "actor action object_type object_id details" lines. */
static int collect_event(const struct audit_event *ev, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%lld %s %s %s %s %s\n", (long long)ev->at, ev->actor,
                ev->action, ev->object_type,
                ev->object_id ? ev->object_id : "NULL", ev->details);
    return 0;
}

/* ---- audit_log -------------------------------------------------------- */

/* Details as given (JSON text, NULL for none) and as stored. */
struct details_case {
    const char *name;
    const char *given;
    const char *want;
};

static const struct details_case details_cases[] = {
    { "no details are stored as an empty object", NULL, "{}" },
    { "an empty object stays one", "{}", "{}" },
    { "keys are sorted and spaces dropped", "{ \"b\": 1, \"a\": [1, 2] }",
      "{\"a\":[1,2],\"b\":1}" },
    { "nested objects are sorted too",
      "{\"z\": {\"y\": null, \"x\": true}, \"m\": \"v\"}",
      "{\"m\":\"v\",\"z\":{\"x\":true,\"y\":null}}" },
    { "strings keep UTF-8 and escape quotes",
      "{\"note\": \"caf\\u00e9 \\\"q\\\"\"}",
      "{\"note\":\"caf\xc3\xa9 \\\"q\\\"\"}" },
};

static void test_log_stores_details_as_compact_json(void **state)
{
    struct fixture *fx = *state;
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;

    for (size_t i = 0; i < ARRAY_SIZE(details_cases); i++) {
        const struct details_case *c = &details_cases[i];
        json_t *details = NULL;

        if (c->given) {
            json_error_t jerr;

            details = json_loads(c->given, 0, &jerr);
            if (!details)
                fail_msg("%s: %s", c->name, jerr.text);
        }
        exec_ok(fx->st.db, "DELETE FROM audit_events");
        log_ok(fx->st.db, NOW, "alice", "test.details", "7", details);
        /* The caller still owns details. */
        if (details)
            assert_int_equal(details->refcount, 1);
        json_decref(details);
        strbuf_reset(&got);
        strbuf_reset(&want);
        assert_int_equal(audit_each(fx->st.db, &q, collect_event, &got, &err),
                         0);
        strbuf_addf(&want, "%lld alice test.details test 7 %s\n",
                    (long long)NOW, c->want);
        if (strcmp(got.buf, want.buf) != 0)
            fail_msg("%s: stored '%s', want '%s'", c->name, got.buf, want.buf);
    }
    strbuf_release(&got);
    strbuf_release(&want);
}

static void test_log_without_object_id_stores_null(void **state)
{
    struct fixture *fx = *state;
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf got = STRBUF_INIT;
    int64_t nulls = -1;

    log_ok(fx->st.db, NOW, AUDIT_ACTOR_SYSTEM, "expire.run", NULL, NULL);
    assert_int_equal(audit_each(fx->st.db, &q, collect_event, &got, &err), 0);
    assert_string_equal(got.buf, "1700000000 system expire.run test NULL {}\n");
    assert_int_equal(db_query_int64(fx->st.db,
                                    "SELECT COUNT(*) FROM audit_events "
                                    "WHERE object_id IS NULL",
                                    NULL, &nulls, &err),
                     0);
    assert_int_equal(nulls, 1);
    strbuf_release(&got);
}

/* ---- audit_each ------------------------------------------------------- */

/* The events the filter cases look at; object_id is the seed's number. */
struct seed {
    int64_t at; /* offset from NOW */
    const char *actor;
    const char *action;
};

static const struct seed seeds[] = {
    /* 1 */ { 10, "alice", "ioc.create" },
    /* 2 */ { 20, "bob", "ioc.delete" },
    /* 3 */ { 20, "alice", "user.create" },
    /* 4 */ { 30, "system", "ioc.expire" },
    /* 5 */ { 40, "alice", "ioc.create" },
};

static void seed_events(struct db *db)
{
    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        char id[8];

        snprintf(id, sizeof(id), "%zu", i + 1);
        log_ok(db, NOW + seeds[i].at, seeds[i].actor, seeds[i].action, id,
               NULL);
    }
}

/* "key=value;..." into a query; times are offsets from NOW. */
static void parse_query(const char *spec, struct strvec *parts,
                        struct audit_query *q)
{
    memset(q, 0, sizeof(*q));
    strvec_split(parts, spec, ';');
    for (size_t i = 0; i < parts->nr; i++) {
        char *key = parts->v[i], *val = strchr(key, '=');

        assert_non_null(val);
        *val++ = '\0';
        if (!strcmp(key, "since"))
            q->since = NOW + atoll(val);
        else if (!strcmp(key, "until"))
            q->until = NOW + atoll(val);
        else if (!strcmp(key, "actor"))
            q->actor = val;
        else if (!strcmp(key, "action"))
            q->action = val;
        else if (!strcmp(key, "limit"))
            q->limit = atoll(val);
        else
            fail_msg("unknown query key '%s'", key);
    }
}

/* A query and the seeds it lists, newest first (ties: newest id first). */
struct query_case {
    const char *spec;
    const char *want;
};

static const struct query_case query_cases[] = {
    { "", "5,4,3,2,1" },
    { "since=20", "5,4,3,2" },
    { "since=41", "" },
    { "until=20", "1" },
    { "since=20;until=30", "3,2" },
    { "actor=alice", "5,3,1" },
    { "actor=ALICE", "" },
    { "actor=nobody", "" },
    { "action=ioc.create", "5,1" },
    { "action=ioc", "" },
    { "actor=alice;action=ioc.create", "5,1" },
    { "limit=2", "5,4" },
    { "actor=alice;limit=1", "5" },
    { "since=10;until=40;actor=alice;action=user.create;limit=5", "3" },
};

static int collect_object_ids(const struct audit_event *ev, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%s%s", out->len ? "," : "", ev->object_id);
    return 0;
}

static void test_each_filters_newest_first(void **state)
{
    struct fixture *fx = *state;

    seed_events(fx->st.db);
    for (size_t i = 0; i < ARRAY_SIZE(query_cases); i++) {
        const struct query_case *c = &query_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        struct strvec parts = STRVEC_INIT;
        struct strbuf got = STRBUF_INIT;
        struct audit_query q;

        parse_query(c->spec, &parts, &q);
        if (audit_each(fx->st.db, &q, collect_object_ids, &got, &err) != 0)
            fail_msg("'%s': %s", c->spec, err.msg);
        if (strcmp(got.buf, c->want) != 0)
            fail_msg("query '%s': listed '%s', want '%s'", c->spec, got.buf,
                     c->want);
        strvec_clear(&parts);
        strbuf_release(&got);
    }
}

static int stop_after_first(const struct audit_event *ev, void *data)
{
    int *calls = data;

    (void)ev;
    (*calls)++;
    return IOCM_EINTERNAL;
}

static void test_each_stops_when_the_callback_fails(void **state)
{
    struct fixture *fx = *state;
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;
    int calls = 0;

    seed_events(fx->st.db);
    assert_int_equal(audit_each(fx->st.db, &q, stop_after_first, &calls, &err),
                     IOCM_EINTERNAL);
    assert_int_equal(calls, 1);
}

/* ---- audit_purge ------------------------------------------------------ */

/* Purges run in order on the seeds. */
struct purge_case {
    int64_t before; /* offset from NOW */
    int64_t want_deleted;
    const char *want_left;
};

static const struct purge_case purge_cases[] = {
    { 0, 0, "5,4,3,2,1" },  /* nothing is that old */
    { 10, 0, "5,4,3,2,1" }, /* strictly older than before */
    { 20, 1, "5,4,3,2" },
    { 20, 0, "5,4,3,2" }, /* purging again finds nothing */
    { 31, 3, "5" },
    { 1000, 1, "" },
};

static void test_purge_deletes_older_events_and_counts_them(void **state)
{
    struct fixture *fx = *state;
    struct audit_query q = { 0 };

    seed_events(fx->st.db);
    for (size_t i = 0; i < ARRAY_SIZE(purge_cases); i++) {
        const struct purge_case *c = &purge_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf left = STRBUF_INIT;
        int64_t deleted = -1;

        assert_int_equal(
            audit_purge(fx->st.db, NOW + c->before, &deleted, &err), 0);
        if (deleted != c->want_deleted)
            fail_msg("purge before +%lld: deleted %lld, want %lld",
                     (long long)c->before, (long long)deleted,
                     (long long)c->want_deleted);
        assert_int_equal(
            audit_each(fx->st.db, &q, collect_object_ids, &left, &err), 0);
        assert_string_equal(left.buf, c->want_left);
        strbuf_release(&left);
    }
}

static void test_purge_without_a_count_still_purges(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    seed_events(fx->st.db);
    assert_int_equal(audit_purge(fx->st.db, NOW + 25, NULL, &err), 0);
    assert_int_equal(audit_rows(fx->st.db), 2);
}

/* ---- transactions ----------------------------------------------------- */

static void test_events_live_and_die_with_their_transaction(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    assert_int_equal(db_begin(fx->st.db, &err), 0);
    log_ok(fx->st.db, NOW, "alice", "ioc.create", "1", NULL);
    assert_int_equal(audit_rows(fx->st.db), 1);
    assert_int_equal(db_rollback(fx->st.db, &err), 0);
    assert_int_equal(audit_rows(fx->st.db), 0);

    assert_int_equal(db_begin(fx->st.db, &err), 0);
    log_ok(fx->st.db, NOW, "alice", "ioc.create", "1", NULL);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    assert_int_equal(audit_rows(fx->st.db), 1);
}

/* Makes inserts into audit_events fail with "boom" on this connection. */
static void make_audit_fail(struct db *db)
{
    if (db_get_kind(db) == DB_SQLITE)
        exec_ok(db, "CREATE TEMP TRIGGER boom BEFORE INSERT ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'boom'); END");
    else
        exec_ok(db, "CREATE FUNCTION iocm_test_boom() RETURNS trigger "
                    "LANGUAGE plpgsql AS "
                    "$$BEGIN RAISE EXCEPTION 'boom'; END$$;"
                    "CREATE TRIGGER boom BEFORE INSERT ON audit_events "
                    "FOR EACH ROW EXECUTE FUNCTION iocm_test_boom()");
}

static void test_a_failed_write_says_it_was_the_audit_event(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    static const char prefix[] = "cannot write audit event: ";

    make_audit_fail(fx->st.db);
    assert_int_equal(audit_log(fx->st.db, NOW, "alice", "ioc.create", "ioc",
                               "1", NULL, &err),
                     IOCM_EDB);
    assert_int_equal(err.code, IOCM_EDB);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
        !strstr(err.msg, "boom"))
        fail_msg("message '%s'", err.msg);
    assert_int_equal(audit_rows(fx->st.db), 0);
}

/* ---- running ---------------------------------------------------------- */

#define CASE(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

static const struct CMUnitTest backend_cases[] = {
    CASE(test_log_stores_details_as_compact_json),
    CASE(test_log_without_object_id_stores_null),
    CASE(test_each_filters_newest_first),
    CASE(test_each_stops_when_the_callback_fails),
    CASE(test_purge_deletes_older_events_and_counts_them),
    CASE(test_purge_without_a_count_still_purges),
    CASE(test_events_live_and_die_with_their_transaction),
    CASE(test_a_failed_write_says_it_was_the_audit_event),
};

int main(void)
{
    int failed;

    jsonx_init();
    failed = run_on_backends("audit", backend_cases, ARRAY_SIZE(backend_cases));
    return failed;
}
