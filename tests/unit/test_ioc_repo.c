/*
 * Unit tests for the IOC repository (ioc/ioc_repo.h): upsert outcomes and
 * defaults, reads and filters, edits and deletes, the maintained counts in
 * ioc_counts, and audit events that share the transaction of the change.
 * Every case runs on SQLite and, when IOCM_TEST_PG_URL names a database,
 * on PostgreSQL (its public schema emptied per case).
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
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "store_testlib.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* A fixed "now" (2023-11-14T22:13:20Z); cases move from it in seconds. */
#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)

/* What each case starts with: a migrated, empty store. */
struct fixture {
    struct test_store st;
    struct ioc_defaults defaults;
};

/* ---- store helpers ---------------------------------------------------- */

/* Everything a failed change must leave as it was. */
static void dump_store(struct db *db, struct strbuf *out)
{
    static const char *const sql[] = {
        "SELECT * FROM iocs ORDER BY id",
        "SELECT * FROM ioc_counts ORDER BY type, status, is_enriched",
        "SELECT * FROM audit_events ORDER BY id",
    };

    for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
        strbuf_addf(out, "-- %s\n", sql[i]);
        dump_query(db, sql[i], out);
    }
}

static int64_t audit_rows(struct db *db)
{
    return query_ok(db, "SELECT COUNT(*) FROM audit_events", NULL);
}

static int fixture_setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *fx = xcalloc(1, sizeof(*fx));

    test_store_open(&fx->st, be, "repo");
    ioc_defaults_init(&fx->defaults);
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

/* ---- the maintained counts ------------------------------------------ */

static const char sql_kept_counts[] =
    "SELECT type, status, is_enriched, n FROM ioc_counts WHERE n <> 0 "
    "ORDER BY type, status, is_enriched";
static const char sql_real_counts[] =
    "SELECT type, status, is_enriched, COUNT(*) FROM iocs "
    "GROUP BY type, status, is_enriched ORDER BY type, status, is_enriched";

/* True when ioc_counts holds exactly what a scan of iocs counts. */
static bool counts_match(struct db *db, struct strbuf *why)
{
    struct strbuf kept = STRBUF_INIT, real = STRBUF_INIT;
    bool ok;

    dump_query(db, sql_kept_counts, &kept);
    dump_query(db, sql_real_counts, &real);
    ok = strcmp(kept.buf, real.buf) == 0;
    if (!ok)
        strbuf_addf(why, "ioc_counts:\n%sscan of iocs:\n%s", kept.buf,
                    real.buf);
    strbuf_release(&kept);
    strbuf_release(&real);
    return ok;
}

/* The scan of iocs, as ioc_counts_read hands out the kept counts. */
static void scan_counts(struct db *db, struct ioc_count_delta *out)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;
    enum ioc_type t;
    int rc;

    ioc_count_delta_init(out);
    if (db_prepare(db, sql_real_counts, &st, &err) != 0)
        fail_msg("%s", err.msg);
    while ((rc = db_step(st, &err)) == DB_ROW) {
        assert_int_equal(ioc_type_parse(db_column_text(st, 0), &t, NULL), 0);
        ioc_count_delta_add(out, t, (enum ioc_status)db_column_int64(st, 1),
                            db_column_int64(st, 2) != 0,
                            db_column_int64(st, 3));
    }
    db_finalize(st);
    assert_int_equal(rc, DB_DONE);
}

/* The hourly rollups equal a recount from their tables. */
static void check_rollups(struct db *db, const char *after)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t mismatches = -1;

    if (ioc_rollups_verify(db, &mismatches, &err) != 0)
        fail_msg("ioc_rollups_verify: %s", err.msg);
    if (mismatches != 0) {
        struct strbuf dump = STRBUF_INIT;

        dump_query(db,
                   "SELECT dim, hour, name, n FROM ioc_new_hourly "
                   "WHERE n <> 0 ORDER BY dim, hour, name",
                   &dump);
        fail_msg("%lld rollup counts differ from a recount after %s\n%s",
                 (long long)mismatches, after, dump.buf);
    }
}

/* Called after every change a case makes: the counters are in step. */
static void check_counts(struct db *db, const char *after)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_count_delta read, scan;
    struct strbuf why = STRBUF_INIT;

    if (!counts_match(db, &why))
        fail_msg("counts wrong after %s\n%s", after, why.buf);
    strbuf_release(&why);
    if (ioc_counts_read(db, &read, &err) != 0)
        fail_msg("ioc_counts_read: %s", err.msg);
    scan_counts(db, &scan);
    if (memcmp(read.n, scan.n, sizeof(read.n)) != 0)
        fail_msg("ioc_counts_read differs from a scan after %s", after);
    check_rollups(db, after);
}

/* ---- indicators ------------------------------------------------------- */

static void input_init(struct ioc *in, enum ioc_type type, const char *value)
{
    ioc_init(in);
    in->type = type;
    in->value = xstrdup(value);
}

static void set_str(char **field, const char *s)
{
    free(*field);
    *field = s ? xstrdup(s) : NULL;
}

static void set_tags(struct ioc *in, const char *tags)
{
    strvec_clear(&in->tags);
    if (tags)
        strvec_split(&in->tags, tags, ',');
}

static void upsert_opts(struct fixture *fx, struct ioc_upsert_opts *o,
                        const char *actor, int64_t now)
{
    memset(o, 0, sizeof(*o));
    o->defaults = &fx->defaults;
    o->actor = actor;
    o->now = now;
    o->audit = true;
}

static enum ioc_upsert_outcome upsert_ok(struct fixture *fx,
                                         const struct ioc *in,
                                         const char *actor, int64_t now,
                                         int64_t *id)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_upsert_opts o;
    enum ioc_upsert_outcome outcome = (enum ioc_upsert_outcome) - 1;

    upsert_opts(fx, &o, actor, now);
    if (ioc_repo_upsert(fx->st.db, in, &o, id, &outcome, &err) != 0)
        fail_msg("upsert '%s': %s", in->value, err.msg);
    check_counts(fx->st.db, in->value);
    return outcome;
}

/* Stores a plain domain indicator at now and returns its id. */
static int64_t add_domain(struct fixture *fx, const char *value, int64_t now)
{
    struct ioc in;
    int64_t id = 0;

    input_init(&in, IOC_TYPE_DOMAIN, value);
    assert_int_equal(upsert_ok(fx, &in, "alice", now, &id), IOC_UPSERT_CREATED);
    ioc_release(&in);
    return id;
}

static void get_ok(struct db *db, int64_t id, struct ioc *out)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (ioc_repo_get(db, id, out, &err) != 0)
        fail_msg("get %lld: %s", (long long)id, err.msg);
}

static void save_ok(struct db *db, const struct ioc *old, const struct ioc *new,
                    const char *action, json_t *extra, int64_t now)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (ioc_repo_save(db, old, new, action, extra, "bob", now, &err) != 0)
        fail_msg("save %lld: %s", (long long)new->id, err.msg);
    check_counts(db, action);
}

/* Sets the stored status of id through the repository, as expiry does. */
static void set_status(struct db *db, int64_t id, enum ioc_status status,
                       const char *reason, int64_t now)
{
    struct ioc old, new;

    get_ok(db, id, &old);
    get_ok(db, id, &new);
    new.status = status;
    set_str(&new.expiry_reason, reason);
    save_ok(db, &old, &new, "ioc.status", NULL, now);
    ioc_release(&old);
    ioc_release(&new);
}

/* The newest audit event, by id. */
struct last_event {
    bool is_found;
    struct strbuf action, object_type, object_id, actor, details;
};

static int keep_first_event(const struct audit_event *ev, void *data)
{
    struct last_event *le = data;

    if (le->is_found)
        return 0;
    le->is_found = true;
    strbuf_addstr(&le->action, ev->action);
    strbuf_addstr(&le->object_type, ev->object_type);
    strbuf_addstr(&le->object_id, ev->object_id ? ev->object_id : "NULL");
    strbuf_addstr(&le->actor, ev->actor);
    strbuf_addstr(&le->details, ev->details);
    return 0;
}

static void last_event_read(struct db *db, struct last_event *le)
{
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;

    memset(le, 0, sizeof(*le));
    strbuf_init(&le->action, 0);
    strbuf_init(&le->object_type, 0);
    strbuf_init(&le->object_id, 0);
    strbuf_init(&le->actor, 0);
    strbuf_init(&le->details, 0);
    if (audit_each(db, &q, keep_first_event, le, &err) != 0)
        fail_msg("audit_each: %s", err.msg);
    assert_true(le->is_found);
}

static void last_event_release(struct last_event *le)
{
    strbuf_release(&le->action);
    strbuf_release(&le->object_type);
    strbuf_release(&le->object_id);
    strbuf_release(&le->actor);
    strbuf_release(&le->details);
}

/* ---- upsert ----------------------------------------------------------- */

/* An upsert of a new value and what it stores. */
struct create_case {
    const char *name;
    int severity; /* input; IOC_SEV_UNSET and friends leave it unset */
    int confidence;
    int tlp;
    int status;
    int64_t expires_in; /* input expires_at = NOW + this; 0 = unset */
    bool no_expiry;
    long ttl_days; /* defaults.ttl_days[domain] */
    enum ioc_severity want_severity;
    int want_confidence;
    enum tlp want_tlp;
    enum ioc_status want_status;
    int64_t want_expires_in; /* 0 = never expires */
};

static const struct create_case create_cases[] = {
    { "unset fields take the defaults", IOC_SEV_UNSET, -1, TLP_UNSET,
      IOC_STATUS_UNSET, 0, false, 0, IOC_SEV_MEDIUM, 50, TLP_AMBER,
      IOC_STATUS_ACTIVE, 0 },
    { "the type's ttl sets the expiry", IOC_SEV_UNSET, -1, TLP_UNSET,
      IOC_STATUS_UNSET, 0, false, 30, IOC_SEV_MEDIUM, 50, TLP_AMBER,
      IOC_STATUS_ACTIVE, 30 * DAY },
    { "an explicit expiry wins over the ttl", IOC_SEV_UNSET, -1, TLP_UNSET,
      IOC_STATUS_UNSET, 3600, false, 30, IOC_SEV_MEDIUM, 50, TLP_AMBER,
      IOC_STATUS_ACTIVE, 3600 },
    { "no_expiry wins over the ttl", IOC_SEV_UNSET, -1, TLP_UNSET,
      IOC_STATUS_UNSET, 0, true, 30, IOC_SEV_MEDIUM, 50, TLP_AMBER,
      IOC_STATUS_ACTIVE, 0 },
    { "explicit fields are kept", IOC_SEV_HIGH, 90, TLP_RED, IOC_STATUS_REVIEW,
      0, false, 0, IOC_SEV_HIGH, 90, TLP_RED, IOC_STATUS_REVIEW, 0 },
    { "zero values are values, not unset", IOC_SEV_LOW, 0, TLP_CLEAR,
      IOC_STATUS_DRAFT, 0, false, 0, IOC_SEV_LOW, 0, TLP_CLEAR,
      IOC_STATUS_DRAFT, 0 },
};

static void test_upsert_creates_with_defaults_and_expiry(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < ARRAY_SIZE(create_cases); i++) {
        const struct create_case *c = &create_cases[i];
        struct strbuf value = STRBUF_INIT;
        struct ioc in, got;
        int64_t id = 0;

        strbuf_addf(&value, "case%zu.example", i);
        input_init(&in, IOC_TYPE_DOMAIN, value.buf);
        in.severity = (enum ioc_severity)c->severity;
        in.confidence = c->confidence;
        in.tlp = (enum tlp)c->tlp;
        in.status = (enum ioc_status)c->status;
        in.expires_at = c->expires_in ? NOW + c->expires_in : 0;
        in.no_expiry = c->no_expiry;
        fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = c->ttl_days;
        if (upsert_ok(fx, &in, "alice", NOW, &id) != IOC_UPSERT_CREATED)
            fail_msg("%s: not created", c->name);
        get_ok(fx->st.db, id, &got);
        print_message("case: %s\n", c->name);
        assert_int_equal(got.id, id);
        assert_int_equal(got.type, IOC_TYPE_DOMAIN);
        assert_string_equal(got.value, value.buf);
        assert_int_equal(got.severity, c->want_severity);
        assert_int_equal(got.confidence, c->want_confidence);
        assert_int_equal(got.tlp, c->want_tlp);
        assert_int_equal(got.status, c->want_status);
        assert_int_equal(got.expires_at,
                         c->want_expires_in ? NOW + c->want_expires_in : 0);
        assert_null(got.expiry_reason);
        assert_false(got.is_false_positive);
        assert_string_equal(got.source, "");
        assert_string_equal(got.description, "");
        assert_int_equal(got.tags.nr, 0);
        assert_int_equal(got.first_seen, NOW);
        assert_int_equal(got.last_seen, NOW);
        assert_int_equal(got.created_at, NOW);
        assert_int_equal(got.updated_at, NOW);
        assert_string_equal(got.created_by, "alice");
        assert_string_equal(got.updated_by, "alice");
        ioc_release(&got);
        ioc_release(&in);
        strbuf_release(&value);
    }
}

static void test_upsert_keeps_given_times_and_tags(void **state)
{
    struct fixture *fx = *state;
    struct ioc in, got;
    int64_t id = 0;

    input_init(&in, IOC_TYPE_IPV4, "198.51.100.7");
    in.first_seen = NOW - 10 * DAY;
    in.last_seen = NOW - 2 * DAY;
    in.created_at = NOW - DAY;
    set_str(&in.source, "feed-a");
    set_str(&in.description, "C2 server");
    set_tags(&in, "c2,botnet");
    strvec_sort_unique(&in.tags);
    fx->defaults.ttl_days[IOC_TYPE_IPV4] = 7;
    upsert_ok(fx, &in, "alice", NOW, &id);
    get_ok(fx->st.db, id, &got);
    assert_int_equal(got.first_seen, NOW - 10 * DAY);
    assert_int_equal(got.last_seen, NOW - 2 * DAY);
    assert_int_equal(got.created_at, NOW - DAY);
    /* The ttl counts from when the indicator was created. */
    assert_int_equal(got.expires_at, NOW - DAY + 7 * DAY);
    assert_string_equal(got.source, "feed-a");
    assert_string_equal(got.description, "C2 server");
    assert_int_equal(got.tags.nr, 2);
    assert_string_equal(got.tags.v[0], "botnet");
    assert_string_equal(got.tags.v[1], "c2");
    ioc_release(&got);
    ioc_release(&in);
}

/* A second upsert of a stored value and what the row holds after it. */
struct seen_case {
    const char *name;
    const char *first_source, *first_description, *first_tags;
    const char *again_source, *again_description, *again_tags;
    int64_t again_now;       /* offset from NOW */
    int64_t again_last_seen; /* offset from NOW; 0 = unset */
    const char *want_source, *want_description, *want_tags;
    int64_t want_last_seen; /* offset from NOW */
};

static const struct seen_case seen_cases[] = {
    { "a later sighting moves last_seen to now", NULL, NULL, NULL, NULL, NULL,
      NULL, 100, 0, "", "", "", 100 },
    { "an earlier clock never moves last_seen back", NULL, NULL, NULL, NULL,
      NULL, NULL, -100, 0, "", "", "", 0 },
    { "a later explicit last_seen wins", NULL, NULL, NULL, NULL, NULL, NULL,
      100, 500, "", "", "", 500 },
    { "an earlier explicit last_seen is ignored", NULL, NULL, NULL, NULL, NULL,
      NULL, 100, -500, "", "", "", 0 },
    { "empty source and description are filled", NULL, NULL, NULL, "feed-b",
      "seen in mail", NULL, 1, 0, "feed-b", "seen in mail", "", 1 },
    { "stored source and description are kept", "feed-a", "first", NULL,
      "feed-b", "second", NULL, 1, 0, "feed-a", "first", "", 1 },
    { "unset source and description keep the stored ones", "feed-a", "first",
      NULL, NULL, NULL, NULL, 1, 0, "feed-a", "first", "", 1 },
    { "tags merge sorted and unique", NULL, NULL, "b,c", NULL, NULL, "c,a", 1,
      0, "", "", "a,b,c", 1 },
    { "no new tags keep the stored ones", NULL, NULL, "x", NULL, NULL, NULL, 1,
      0, "", "", "x", 1 },
};

static void join(const struct strvec *sv, struct strbuf *out)
{
    for (size_t i = 0; i < sv->nr; i++)
        strbuf_addf(out, "%s%s", i ? "," : "", sv->v[i]);
}

static void test_upsert_again_is_seen_again(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < ARRAY_SIZE(seen_cases); i++) {
        const struct seen_case *c = &seen_cases[i];
        struct strbuf value = STRBUF_INIT, tags = STRBUF_INIT;
        struct ioc in, got;
        int64_t id = 0, again_id = 0;
        int64_t param;

        print_message("case: %s\n", c->name);
        strbuf_addf(&value, "seen%zu.example", i);
        input_init(&in, IOC_TYPE_DOMAIN, value.buf);
        set_str(&in.source, c->first_source);
        set_str(&in.description, c->first_description);
        set_tags(&in, c->first_tags);
        assert_int_equal(upsert_ok(fx, &in, "alice", NOW, &id),
                         IOC_UPSERT_CREATED);
        ioc_release(&in);

        input_init(&in, IOC_TYPE_DOMAIN, value.buf);
        set_str(&in.source, c->again_source);
        set_str(&in.description, c->again_description);
        set_tags(&in, c->again_tags);
        in.last_seen = c->again_last_seen ? NOW + c->again_last_seen : 0;
        /* Fields a sighting must not touch. */
        in.severity = IOC_SEV_CRITICAL;
        in.status = IOC_STATUS_DRAFT;
        assert_int_equal(
            upsert_ok(fx, &in, "bob", NOW + c->again_now, &again_id),
            IOC_UPSERT_SEEN_AGAIN);
        assert_int_equal(again_id, id);

        get_ok(fx->st.db, id, &got);
        join(&got.tags, &tags);
        assert_string_equal(got.source, c->want_source);
        assert_string_equal(got.description, c->want_description);
        assert_string_equal(tags.buf, c->want_tags);
        assert_int_equal(got.last_seen, NOW + c->want_last_seen);
        assert_int_equal(got.first_seen, NOW);
        assert_int_equal(got.created_at, NOW);
        assert_string_equal(got.created_by, "alice");
        assert_string_equal(got.updated_by, "bob");
        assert_int_equal(got.severity, IOC_SEV_MEDIUM);
        assert_int_equal(got.status, IOC_STATUS_ACTIVE);
        param = id;
        assert_int_equal(query_ok(fx->st.db,
                                  "SELECT COUNT(*) FROM iocs WHERE value = "
                                  "(SELECT value FROM iocs WHERE id = ?)",
                                  &param),
                         1);
        ioc_release(&got);
        ioc_release(&in);
        strbuf_release(&tags);
        strbuf_release(&value);
    }
}

static void test_upsert_same_value_of_another_type_is_another_row(void **state)
{
    struct fixture *fx = *state;
    struct ioc in;
    int64_t domain = 0, file = 0, again = 0;

    domain = add_domain(fx, "evil.example", NOW);
    input_init(&in, IOC_TYPE_FILENAME, "evil.example");
    assert_int_equal(upsert_ok(fx, &in, "alice", NOW, &file),
                     IOC_UPSERT_CREATED);
    assert_int_not_equal(file, domain);
    assert_int_equal(upsert_ok(fx, &in, "alice", NOW + 1, &again),
                     IOC_UPSERT_SEEN_AGAIN);
    assert_int_equal(again, file);
    assert_int_equal(query_ok(fx->st.db, "SELECT COUNT(*) FROM iocs", NULL), 2);
    ioc_release(&in);
}

static void test_upsert_reactivates_expired_with_fresh_expiry(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    const int64_t later = NOW + 40 * DAY;
    struct ioc in, got;
    int64_t id, again = 0;

    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 30;
    id = add_domain(fx, "old.example", NOW);
    /* Enriched, so the move between counts keeps its enrichment. */
    assert_int_equal(ioc_repo_mark_enriched(fx->st.db, id, &err), 0);
    check_counts(fx->st.db, "mark enriched");
    set_status(fx->st.db, id, IOC_STATUS_EXPIRED, "ttl", NOW + 30 * DAY);
    get_ok(fx->st.db, id, &got);
    assert_int_equal(got.status, IOC_STATUS_EXPIRED);
    assert_string_equal(got.expiry_reason, "ttl");
    ioc_release(&got);

    input_init(&in, IOC_TYPE_DOMAIN, "old.example");
    assert_int_equal(upsert_ok(fx, &in, "bob", later, &again),
                     IOC_UPSERT_REACTIVATED);
    assert_int_equal(again, id);
    get_ok(fx->st.db, id, &got);
    assert_int_equal(got.status, IOC_STATUS_ACTIVE);
    assert_int_equal(got.expires_at, later + 30 * DAY);
    assert_null(got.expiry_reason);
    assert_int_equal(got.last_seen, later);
    assert_int_equal(got.first_seen, NOW);
    ioc_release(&got);

    /* Active again, a further sighting is only that. */
    assert_int_equal(upsert_ok(fx, &in, "bob", later + 1, NULL),
                     IOC_UPSERT_SEEN_AGAIN);
    ioc_release(&in);
}

static void test_upsert_reactivated_with_no_expiry_never_expires(void **state)
{
    struct fixture *fx = *state;
    struct ioc in, got;
    int64_t id;

    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 30;
    id = add_domain(fx, "old.example", NOW);
    set_status(fx->st.db, id, IOC_STATUS_EXPIRED, "ttl", NOW + 30 * DAY);
    input_init(&in, IOC_TYPE_DOMAIN, "old.example");
    in.no_expiry = true;
    assert_int_equal(upsert_ok(fx, &in, "bob", NOW + 40 * DAY, NULL),
                     IOC_UPSERT_REACTIVATED);
    get_ok(fx->st.db, id, &got);
    assert_int_equal(got.status, IOC_STATUS_ACTIVE);
    assert_int_equal(got.expires_at, 0);
    ioc_release(&got);
    ioc_release(&in);
}

/* Collects "action object_id details" lines, newest first. */
static int collect_event(const struct audit_event *ev, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%s %s %s %s %s\n", ev->actor, ev->action, ev->object_type,
                ev->object_id ? ev->object_id : "NULL", ev->details);
    return 0;
}

static void events_of(struct db *db, struct strbuf *out)
{
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;

    if (audit_each(db, &q, collect_event, out, &err) != 0)
        fail_msg("audit_each: %s", err.msg);
}

static void test_upsert_audits_each_outcome_when_asked(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf events = STRBUF_INIT, want = STRBUF_INIT;
    struct ioc_upsert_opts o;
    struct ioc in;
    int64_t id = 0, quiet = 0;

    input_init(&in, IOC_TYPE_DOMAIN, "a.example");
    upsert_ok(fx, &in, "alice", NOW, &id);
    upsert_ok(fx, &in, "bob", NOW + 1, NULL);
    set_status(fx->st.db, id, IOC_STATUS_EXPIRED, "ttl", NOW + 2);
    upsert_ok(fx, &in, "carol", NOW + 3, NULL);
    events_of(fx->st.db, &events);
    strbuf_addf(&want,
                "carol ioc.reactivate ioc %lld "
                "{\"type\":\"domain\",\"value\":\"a.example\"}\n"
                "bob ioc.status ioc %lld "
                "{\"status\":[\"active\",\"expired\"],\"type\":\"domain\","
                "\"value\":\"a.example\"}\n"
                "bob ioc.seen ioc %lld "
                "{\"type\":\"domain\",\"value\":\"a.example\"}\n"
                "alice ioc.create ioc %lld "
                "{\"type\":\"domain\",\"value\":\"a.example\"}\n",
                (long long)id, (long long)id, (long long)id, (long long)id);
    assert_string_equal(events.buf, want.buf);
    ioc_release(&in);

    /* Quiet upserts (bulk imports audit once per import) write none. */
    input_init(&in, IOC_TYPE_DOMAIN, "b.example");
    upsert_opts(fx, &o, "alice", NOW + 10);
    o.audit = false;
    assert_int_equal(ioc_repo_upsert(fx->st.db, &in, &o, &quiet, NULL, &err),
                     0);
    assert_int_equal(ioc_repo_upsert(fx->st.db, &in, &o, NULL, NULL, &err), 0);
    set_status(fx->st.db, quiet, IOC_STATUS_EXPIRED, "ttl", NOW + 11);
    o.now = NOW + 12;
    assert_int_equal(ioc_repo_upsert(fx->st.db, &in, &o, NULL, NULL, &err), 0);
    check_counts(fx->st.db, "quiet upserts");
    strbuf_reset(&events);
    events_of(fx->st.db, &events);
    /* Only set_status's own event is new. */
    assert_int_equal(audit_rows(fx->st.db), 5);
    assert_non_null(strstr(events.buf, "bob ioc.status"));
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT COUNT(*) FROM audit_events WHERE action "
                              "IN ('ioc.create', 'ioc.seen', "
                              "'ioc.reactivate')",
                              NULL),
                     3);
    ioc_release(&in);
    strbuf_release(&events);
    strbuf_release(&want);
}

/* ---- reads ------------------------------------------------------------ */

static void test_get_and_find_report_missing_indicators(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc got;
    int64_t id = add_domain(fx, "evil.example", NOW);

    ioc_init(&got);
    assert_int_equal(
        ioc_repo_find(fx->st.db, IOC_TYPE_DOMAIN, "evil.example", &got, &err),
        0);
    assert_int_equal(got.id, id);
    assert_string_equal(got.value, "evil.example");
    ioc_release(&got);

    assert_int_equal(ioc_repo_get(fx->st.db, id + 1000, &got, &err),
                     IOCM_ENOENT);
    assert_int_equal(err.code, IOCM_ENOENT);
    {
        char want[64];

        snprintf(want, sizeof(want), "no indicator with id %lld",
                 (long long)(id + 1000));
        assert_string_equal(err.msg, want);
    }
    assert_int_equal(
        ioc_repo_find(fx->st.db, IOC_TYPE_FILENAME, "evil.example", &got, &err),
        IOCM_ENOENT);
    assert_string_equal(err.msg,
                        "no indicator 'evil.example' of type filename");
    assert_int_equal(
        ioc_repo_find(fx->st.db, IOC_TYPE_DOMAIN, "nope.example", &got, &err),
        IOCM_ENOENT);
    assert_string_equal(err.msg, "no indicator 'nope.example' of type domain");
}

/* The indicators every filter case looks at, created 10 s apart. */
struct seed {
    enum ioc_type type;
    const char *value;
    enum ioc_severity severity;
    enum tlp tlp;
    enum ioc_status status;
    bool is_false_positive;
    const char *source;
    const char *tags;
    const char *description;
};

static const struct seed seeds[] = {
    /* 1 */ { IOC_TYPE_IPV4, "198.51.100.7", IOC_SEV_HIGH, TLP_GREEN,
              IOC_STATUS_ACTIVE, false, "feed-a", "botnet,c2",
              "Botnet C2 server" },
    /* 2 */
    { IOC_TYPE_DOMAIN, "evil.example", IOC_SEV_CRITICAL, TLP_RED,
      IOC_STATUS_ACTIVE, false, "feed-b", "phishing",
      "Phishing kit, 100% free" },
    /* 3 */
    { IOC_TYPE_URL, "http://evil.example/a_b", IOC_SEV_MEDIUM, TLP_AMBER,
      IOC_STATUS_REVIEW, false, "feed-a", "c2,phishing", "" },
    /* 4 */
    { IOC_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e", IOC_SEV_LOW, TLP_CLEAR,
      IOC_STATUS_DRAFT, false, "manual", "", "Empty file in C:\\Temp" },
    /* 5 */
    { IOC_TYPE_DOMAIN, "axb.example", IOC_SEV_MEDIUM, TLP_AMBER_STRICT,
      IOC_STATUS_ACTIVE, false, "feed-b", "c2x", "1000 free samples" },
    /* 6 */
    { IOC_TYPE_DOMAIN, "fp.example", IOC_SEV_MEDIUM, TLP_AMBER,
      IOC_STATUS_ACTIVE, true, "feed-b", "", "False alarm" },
    /* 7 */
    { IOC_TYPE_FILENAME, "dropper.exe", IOC_SEV_HIGH, TLP_AMBER,
      IOC_STATUS_ARCHIVED, false, "manual", "", "Seen in UPPER Case mail" },
};

static void seed_store(struct fixture *fx)
{
    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        const struct seed *s = &seeds[i];
        struct ioc in;

        input_init(&in, s->type, s->value);
        in.severity = s->severity;
        in.tlp = s->tlp;
        in.status = s->status;
        in.is_false_positive = s->is_false_positive;
        in.created_at = NOW + 10 * (int64_t)(i + 1);
        set_str(&in.source, s->source);
        set_str(&in.description, s->description);
        set_tags(&in, s->tags);
        upsert_ok(fx, &in, "alice", NOW + 100, NULL);
        ioc_release(&in);
    }
}

/*
 * "key=value;..." into a filter. Times are offsets from NOW; strings point
 * into parts, which must outlive the filter.
 */
static void parse_filter(const char *spec, struct strvec *parts,
                         struct ioc_filter *f)
{
    ioc_filter_init(f);
    strvec_split(parts, spec, ';');
    for (size_t i = 0; i < parts->nr; i++) {
        char *key = parts->v[i], *val = strchr(key, '=');
        enum ioc_type type;
        enum ioc_severity sev;
        enum tlp tlp;
        enum ioc_status status;

        assert_non_null(val);
        *val++ = '\0';
        if (!strcmp(key, "type")) {
            assert_int_equal(ioc_type_parse(val, &type, NULL), 0);
            f->type = type;
        } else if (!strcmp(key, "severity")) {
            assert_int_equal(ioc_severity_parse(val, &sev, NULL), 0);
            f->severity = sev;
        } else if (!strcmp(key, "tlp")) {
            assert_int_equal(tlp_parse(val, &tlp, NULL), 0);
            f->tlp = tlp;
        } else if (!strcmp(key, "max_tlp")) {
            assert_int_equal(tlp_parse(val, &tlp, NULL), 0);
            f->max_tlp = tlp;
        } else if (!strcmp(key, "status")) {
            assert_int_equal(ioc_status_parse(val, &status, NULL), 0);
            f->status = status;
        } else if (!strcmp(key, "source")) {
            f->source = val;
        } else if (!strcmp(key, "tag")) {
            f->tag = val;
        } else if (!strcmp(key, "search")) {
            f->search = val;
        } else if (!strcmp(key, "since")) {
            f->since = NOW + atoll(val);
        } else if (!strcmp(key, "until")) {
            f->until = NOW + atoll(val);
        } else if (!strcmp(key, "fp")) {
            f->include_false_positives = atoi(val);
        } else if (!strcmp(key, "limit")) {
            f->limit = atoll(val);
        } else if (!strcmp(key, "offset")) {
            f->offset = atoll(val);
        } else {
            fail_msg("unknown filter key '%s'", key);
        }
    }
}

/* A filter and the seeds (numbered from 1) it lists, newest first. */
struct filter_case {
    const char *spec;
    const char *want;
};

static const struct filter_case filter_cases[] = {
    { "", "7,5,4,3,2,1" },
    { "fp=1", "7,6,5,4,3,2,1" },
    { "type=domain", "5,2" },
    { "type=domain;fp=1", "6,5,2" },
    { "severity=high", "7,1" },
    { "severity=low", "4" },
    { "tlp=amber", "7,3" },
    { "tlp=clear", "4" },
    { "max_tlp=green", "4,1" },
    { "max_tlp=amber", "7,4,3,1" },
    { "status=review", "3" },
    { "status=draft", "4" },
    { "status=archived", "7" },
    { "status=expired", "" },
    { "source=feed-a", "3,1" },
    { "source=feed", "" },
    { "tag=c2", "3,1" },
    { "tag=c2x", "5" },
    { "tag=c", "" },
    { "search=100%", "2" },
    { "search=a_b", "3" },
    { "search=%", "2" },
    { "search=_", "3" },
    { "search=\\temp", "4" },
    { "search=\\", "4" },
    { "search=EVIL.EXAMPLE", "3,2" },
    { "search=upper case", "7" },
    { "search=DROPPER", "7" },
    { "search=false alarm", "" },
    { "search=false alarm;fp=1", "6" },
    { "since=30", "7,5,4,3" },
    { "until=30", "2,1" },
    { "since=20;until=50", "4,3,2" },
    { "limit=2", "7,5" },
    { "limit=2;offset=2", "4,3" },
    { "limit=10;offset=5", "1" },
    { "limit=10;offset=6", "" },
    { "type=domain;severity=critical;tlp=red;status=active;source=feed-b;"
      "tag=phishing;search=kit;since=20;until=21",
      "2" },
};

static int collect_seed_numbers(const struct ioc *ioc, void *data)
{
    struct strbuf *out = data;

    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        if (seeds[i].type == ioc->type && !strcmp(seeds[i].value, ioc->value)) {
            strbuf_addf(out, "%s%zu", out->len ? "," : "", i + 1);
            return 0;
        }
    }
    fail_msg("listed an indicator that was not seeded: '%s'", ioc->value);
    return IOCM_EINTERNAL;
}

static void test_each_and_count_apply_every_filter(void **state)
{
    struct fixture *fx = *state;

    seed_store(fx);
    for (size_t i = 0; i < ARRAY_SIZE(filter_cases); i++) {
        const struct filter_case *c = &filter_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        struct strvec parts = STRVEC_INIT;
        struct strbuf got = STRBUF_INIT, all = STRBUF_INIT;
        struct ioc_filter f;
        int64_t count = -1;
        size_t all_n;

        parse_filter(c->spec, &parts, &f);
        if (ioc_repo_each(fx->st.db, &f, collect_seed_numbers, &got, &err) != 0)
            fail_msg("'%s': %s", c->spec, err.msg);
        if (strcmp(got.buf, c->want) != 0)
            fail_msg("filter '%s': listed '%s', want '%s'", c->spec, got.buf,
                     c->want);
        /* The count ignores limit and offset. */
        f.limit = 0;
        f.offset = 0;
        assert_int_equal(
            ioc_repo_each(fx->st.db, &f, collect_seed_numbers, &all, &err), 0);
        all_n = all.len ? 1 : 0;
        for (size_t k = 0; k < all.len; k++)
            all_n += all.buf[k] == ',';
        assert_int_equal(ioc_repo_count(fx->st.db, &f, &count, &err), 0);
        if (count != (int64_t)all_n)
            fail_msg("filter '%s': count %lld, listed %zu", c->spec,
                     (long long)count, all_n);
        strvec_clear(&parts);
        strbuf_release(&got);
        strbuf_release(&all);
    }
}

static int collect_ids(const struct ioc *ioc, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%lld,", (long long)ioc->id);
    return 0;
}

static void test_each_breaks_created_at_ties_by_newest_id(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
    struct ioc_filter f;
    int64_t ids[3], older;

    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        char value[32];

        snprintf(value, sizeof(value), "tie%zu.example", i);
        ids[i] = add_domain(fx, value, NOW);
    }
    /* Created earlier, though stored last. */
    older = add_domain(fx, "older.example", NOW - 1);
    ioc_filter_init(&f);
    assert_int_equal(ioc_repo_each(fx->st.db, &f, collect_ids, &got, &err), 0);
    strbuf_addf(&want, "%lld,%lld,%lld,%lld,", (long long)ids[2],
                (long long)ids[1], (long long)ids[0], (long long)older);
    assert_string_equal(got.buf, want.buf);
    strbuf_release(&got);
    strbuf_release(&want);
}

static int stop_after_first(const struct ioc *ioc, void *data)
{
    int *calls = data;

    (void)ioc;
    (*calls)++;
    return IOCM_EINTERNAL;
}

static void test_each_stops_when_the_callback_fails(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_filter f;
    int calls = 0;

    add_domain(fx, "a.example", NOW);
    add_domain(fx, "b.example", NOW + 1);
    ioc_filter_init(&f);
    assert_int_equal(
        ioc_repo_each(fx->st.db, &f, stop_after_first, &calls, &err),
        IOCM_EINTERNAL);
    assert_int_equal(calls, 1);
}

/* ---- edits and deletes ------------------------------------------------ */

static void test_save_audits_changed_fields_as_pairs(void **state)
{
    struct fixture *fx = *state;
    struct last_event le;
    struct ioc in, old, new;
    json_t *extra = json_pack("{s:s}", "reason", "triage");
    int64_t id = 0;

    input_init(&in, IOC_TYPE_DOMAIN, "evil.example");
    set_tags(&in, "a");
    upsert_ok(fx, &in, "alice", NOW, &id);
    get_ok(fx->st.db, id, &old);
    get_ok(fx->st.db, id, &new);
    new.severity = IOC_SEV_HIGH;
    set_str(&new.source, "feed");
    strvec_push(&new.tags, "b");
    new.is_false_positive = true;
    save_ok(fx->st.db, &old, &new, "ioc.update", extra, NOW + 10);
    /* extra stays the caller's. */
    assert_int_equal(extra->refcount, 1);
    json_decref(extra);

    last_event_read(fx->st.db, &le);
    assert_string_equal(le.action.buf, "ioc.update");
    assert_string_equal(le.actor.buf, "bob");
    assert_string_equal(le.object_type.buf, "ioc");
    assert_string_equal(le.details.buf,
                        "{\"false_positive\":[0,1],\"reason\":\"triage\","
                        "\"severity\":[\"medium\",\"high\"],"
                        "\"source\":[\"\",\"feed\"],\"tags\":[\"a\",\"a,b\"],"
                        "\"type\":\"domain\",\"value\":\"evil.example\"}");
    last_event_release(&le);
    ioc_release(&old);
    ioc_release(&new);

    get_ok(fx->st.db, id, &old);
    assert_int_equal(old.severity, IOC_SEV_HIGH);
    assert_string_equal(old.source, "feed");
    assert_int_equal(old.tags.nr, 2);
    assert_true(old.is_false_positive);
    assert_int_equal(old.updated_at, NOW + 10);
    assert_string_equal(old.updated_by, "bob");
    assert_string_equal(old.created_by, "alice");

    /* Status, expiry, confidence, TLP and description, and counts. */
    get_ok(fx->st.db, id, &new);
    new.status = IOC_STATUS_ARCHIVED;
    new.expires_at = NOW + DAY;
    new.confidence = 80;
    new.tlp = TLP_RED;
    set_str(&new.description, "kit");
    save_ok(fx->st.db, &old, &new, "ioc.update", NULL, NOW + 20);
    last_event_read(fx->st.db, &le);
    {
        struct strbuf want = STRBUF_INIT;

        strbuf_addf(&want,
                    "{\"confidence\":[50,80],\"description\":[\"\",\"kit\"],"
                    "\"expires_at\":[0,%lld],"
                    "\"status\":[\"active\",\"archived\"],"
                    "\"tlp\":[\"AMBER\",\"RED\"],\"type\":\"domain\","
                    "\"value\":\"evil.example\"}",
                    (long long)(NOW + DAY));
        assert_string_equal(le.details.buf, want.buf);
        strbuf_release(&want);
    }
    last_event_release(&le);
    ioc_release(&old);
    ioc_release(&new);
    get_ok(fx->st.db, id, &old);
    assert_int_equal(old.status, IOC_STATUS_ARCHIVED);
    assert_int_equal(old.expires_at, NOW + DAY);
    assert_int_equal(old.confidence, 80);
    assert_int_equal(old.tlp, TLP_RED);
    assert_string_equal(old.description, "kit");
    ioc_release(&old);
    ioc_release(&in);
}

static void test_save_without_changes_records_only_the_identity(void **state)
{
    struct fixture *fx = *state;
    struct last_event le;
    struct ioc old, new;
    int64_t id = add_domain(fx, "evil.example", NOW);

    get_ok(fx->st.db, id, &old);
    get_ok(fx->st.db, id, &new);
    save_ok(fx->st.db, &old, &new, "ioc.touch", NULL, NOW + 1);
    last_event_read(fx->st.db, &le);
    assert_string_equal(le.action.buf, "ioc.touch");
    assert_string_equal(le.details.buf,
                        "{\"type\":\"domain\",\"value\":\"evil.example\"}");
    last_event_release(&le);
    ioc_release(&old);
    ioc_release(&new);
}

static void test_save_of_a_missing_indicator_fails_unaudited(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
    struct ioc old, new;
    int64_t id = add_domain(fx, "evil.example", NOW);

    get_ok(fx->st.db, id, &old);
    get_ok(fx->st.db, id, &new);
    old.id = new.id = id + 1000;
    new.severity = IOC_SEV_HIGH;
    dump_store(fx->st.db, &before);
    assert_int_equal(ioc_repo_save(fx->st.db, &old, &new, "ioc.update", NULL,
                                   "bob", NOW, &err),
                     IOCM_ENOENT);
    dump_store(fx->st.db, &after);
    assert_string_equal(after.buf, before.buf);
    ioc_release(&old);
    ioc_release(&new);
    strbuf_release(&before);
    strbuf_release(&after);
}

static void test_delete_removes_the_row_and_audits_it(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct last_event le;
    struct ioc gone, kept;
    int64_t id = add_domain(fx, "gone.example", NOW);
    int64_t other = add_domain(fx, "kept.example", NOW);
    char idbuf[24];

    assert_int_equal(ioc_repo_mark_enriched(fx->st.db, id, &err), 0);
    get_ok(fx->st.db, id, &gone);
    assert_int_equal(ioc_repo_delete(fx->st.db, &gone, "bob", NOW + 5, &err),
                     0);
    check_counts(fx->st.db, "delete");
    assert_int_equal(ioc_repo_get(fx->st.db, id, &kept, &err), IOCM_ENOENT);
    get_ok(fx->st.db, other, &kept);
    last_event_read(fx->st.db, &le);
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    assert_string_equal(le.action.buf, "ioc.delete");
    assert_string_equal(le.actor.buf, "bob");
    assert_string_equal(le.object_type.buf, "ioc");
    assert_string_equal(le.object_id.buf, idbuf);
    assert_string_equal(le.details.buf,
                        "{\"type\":\"domain\",\"value\":\"gone.example\"}");
    last_event_release(&le);
    ioc_release(&kept);
    ioc_release(&gone);
}

static void test_delete_of_a_missing_indicator_fails_unaudited(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
    struct ioc ioc;
    int64_t id = add_domain(fx, "evil.example", NOW);

    get_ok(fx->st.db, id, &ioc);
    assert_int_equal(ioc_repo_delete(fx->st.db, &ioc, "bob", NOW, &err), 0);
    dump_store(fx->st.db, &before);
    /* A second delete (another user got there first) changes nothing. */
    assert_int_equal(ioc_repo_delete(fx->st.db, &ioc, "bob", NOW, &err),
                     IOCM_ENOENT);
    dump_store(fx->st.db, &after);
    assert_string_equal(after.buf, before.buf);
    ioc_release(&ioc);
    strbuf_release(&before);
    strbuf_release(&after);
}

/* ---- counts ----------------------------------------------------------- */

static void test_batch_applies_counts_once_before_commit(void **state)
{
    struct fixture *fx = *state;
    static const char *const values[] = { "n1.example", "n2.example",
                                          "n1.example", "old.example" };
    static const enum ioc_upsert_outcome want[] = {
        IOC_UPSERT_CREATED,
        IOC_UPSERT_CREATED,
        IOC_UPSERT_SEEN_AGAIN,
        IOC_UPSERT_REACTIVATED,
    };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf before = STRBUF_INIT, during = STRBUF_INIT;
    struct ioc_count_delta pending;
    struct ioc_upsert_opts o;
    int64_t old = add_domain(fx, "old.example", NOW);

    set_status(fx->st.db, old, IOC_STATUS_EXPIRED, "ttl", NOW + 1);
    dump_query(fx->st.db, sql_kept_counts, &before);

    ioc_count_delta_init(&pending);
    upsert_opts(fx, &o, "alice", NOW + 10);
    o.audit = false;
    o.pending = &pending;
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
        enum ioc_upsert_outcome outcome;
        struct ioc in;

        input_init(&in, IOC_TYPE_DOMAIN, values[i]);
        if (ioc_repo_upsert(fx->st.db, &in, &o, NULL, &outcome, &err) != 0)
            fail_msg("batch upsert '%s': %s", values[i], err.msg);
        assert_int_equal(outcome, want[i]);
        ioc_release(&in);
    }
    /* Nothing is counted until the batch applies its changes. */
    dump_query(fx->st.db, sql_kept_counts, &during);
    assert_string_equal(during.buf, before.buf);
    assert_true(pending.is_dirty);
    assert_int_equal(pending.n[IOC_TYPE_DOMAIN][IOC_STATUS_ACTIVE][0], 3);
    assert_int_equal(pending.n[IOC_TYPE_DOMAIN][IOC_STATUS_EXPIRED][0], -1);
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_false(pending.is_dirty);
    assert_int_equal(pending.n[IOC_TYPE_DOMAIN][IOC_STATUS_ACTIVE][0], 0);
    /* Applying a clean delta writes nothing. */
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    check_counts(fx->st.db, "batch");
    assert_int_equal(query_ok(fx->st.db, "SELECT COUNT(*) FROM iocs", NULL), 3);
    strbuf_release(&before);
    strbuf_release(&during);
}

/*
 * A batch of 150 entries (groups of 64, 16 and 4 rows and single rows)
 * mixing new values, values stored before, copies within the batch and
 * an expired value: each outcome is the one upserting them one by one
 * gives, and the store and its counts agree.
 */
#define BATCH_N 150
static void test_upsert_batch_matches_one_by_one(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc in[BATCH_N];
    enum ioc_upsert_outcome got[BATCH_N], want[BATCH_N];
    struct ioc_count_delta pending;
    struct ioc_upsert_opts o;
    char value[64];
    int64_t old, created = 0;

    /* Stored before: v0, v10, ..., v140; v70 has expired. */
    for (int i = 0; i < BATCH_N; i += 10) {
        snprintf(value, sizeof(value), "v%d.example", i);
        add_domain(fx, value, NOW);
    }
    old = query_ok(fx->st.db, "SELECT id FROM iocs WHERE value = 'v70.example'",
                   NULL);
    set_status(fx->st.db, old, IOC_STATUS_EXPIRED, "ttl", NOW + 1);
    /* In reverse order, every seventh entry a copy of the one before. */
    for (int i = 0; i < BATCH_N; i++) {
        int n = BATCH_N - 1 - i;
        bool is_copy = i % 7 == 6;

        snprintf(value, sizeof(value), "v%d.example", is_copy ? n + 1 : n);
        input_init(&in[i], IOC_TYPE_DOMAIN, value);
        if (is_copy)
            want[i] = IOC_UPSERT_SEEN_AGAIN;
        else if (n == 70)
            want[i] = IOC_UPSERT_REACTIVATED;
        else if (n % 10 == 0)
            want[i] = IOC_UPSERT_SEEN_AGAIN;
        else
            want[i] = IOC_UPSERT_CREATED;
    }
    ioc_count_delta_init(&pending);
    upsert_opts(fx, &o, "alice", NOW + 10);
    o.audit = false;
    o.pending = &pending;
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    if (ioc_repo_upsert_batch(fx->st.db, in, BATCH_N, &o, got, &err) != 0)
        fail_msg("batch: %s", err.msg);
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    for (int i = 0; i < BATCH_N; i++) {
        if (got[i] != want[i])
            fail_msg("entry %d (%s): outcome %d, want %d", i, in[i].value,
                     got[i], want[i]);
        created += want[i] == IOC_UPSERT_CREATED;
        ioc_release(&in[i]);
    }
    check_counts(fx->st.db, "batch upsert");
    assert_int_equal(query_ok(fx->st.db, "SELECT COUNT(*) FROM iocs", NULL),
                     BATCH_N / 10 + created);
    /* Every entry's row was seen at the batch's time and is active. */
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT COUNT(*) FROM iocs WHERE "
                              "last_seen = 1700000010 AND status <> 2",
                              NULL),
                     0);
}

#define EVERY_COLUMN_N 301

/*
 * Writes in[0..n) into an empty store as one batch (is_batch) or one by
 * one, checks the counts and rollups, and dumps the rows without their
 * ids, which differ: the batch gives them in index order.
 */
static void write_and_dump(struct fixture *fx, struct ioc *in, size_t n,
                           bool is_batch, struct strbuf *out)
{
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_upsert_outcome got[EVERY_COLUMN_N];
    struct ioc_count_delta pending;
    struct ioc_upsert_opts o;

    exec_ok(fx->st.db, "DELETE FROM iocs");
    exec_ok(fx->st.db, "DELETE FROM ioc_counts");
    exec_ok(fx->st.db, "DELETE FROM ioc_new_hourly");
    exec_ok(fx->st.db, "DELETE FROM ioc_expiry_hourly");
    ioc_count_delta_init(&pending);
    upsert_opts(fx, &o, "importer", NOW + 10);
    o.audit = false;
    o.pending = &pending;
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    for (size_t i = 0; i < n && !is_batch; i++)
        assert_int_equal(
            ioc_repo_upsert(fx->st.db, &in[i], &o, NULL, NULL, &err), 0);
    if (is_batch && ioc_repo_upsert_batch(fx->st.db, in, n, &o, got, &err) != 0)
        fail_msg("batch: %s", err.msg);
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    check_counts(fx->st.db, is_batch ? "a batch" : "upserts one by one");
    dump_query(fx->st.db,
               "SELECT type, value, severity, confidence, tlp, source, "
               "description, tags, status, is_false_positive, first_seen, "
               "last_seen, created_at, created_by, updated_at, updated_by, "
               "expires_at, expiry_reason, is_enriched FROM iocs "
               "ORDER BY type, value",
               out);
}

/*
 * A batch stores every column as one-by-one upserts do, both when its
 * rows agree on all but type, value and expiry (written with those
 * columns bound once) and when one column differs in one row. 301 rows:
 * statements of 256, 16 and 4 rows, and one alone.
 */
static void test_upsert_batch_stores_every_column(void **state)
{
    struct fixture *fx = *state;
    struct ioc in[EVERY_COLUMN_N];
    char value[64];

    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 30;
    fx->defaults.ttl_days[IOC_TYPE_IPV4] = 7;
    /* 15 shapes: 0 all alike, then each of the 14 columns differing in
     * one row of the first statement and one of the last. */
    for (int shape = 0; shape <= 14; shape++) {
        struct strbuf batch = STRBUF_INIT, single = STRBUF_INIT;

        for (int i = 0; i < EVERY_COLUMN_N; i++) {
            bool odd = shape && (i == 37 || i == 290);

            snprintf(value, sizeof(value), "10.%d.%d.%d", shape, i / 256,
                     i % 256);
            if (i % 2)
                snprintf(value, sizeof(value), "s%d-%d.example", shape, i);
            input_init(&in[i], i % 2 ? IOC_TYPE_DOMAIN : IOC_TYPE_IPV4, value);
            in[i].severity = odd && shape == 1 ? IOC_SEV_CRITICAL : IOC_SEV_LOW;
            in[i].confidence = odd && shape == 2 ? 99 : 40;
            in[i].tlp = odd && shape == 3 ? TLP_RED : TLP_GREEN;
            set_str(&in[i].source, odd && shape == 4 ? "other" : "feed");
            set_str(&in[i].description, odd && shape == 5 ? "why" : NULL);
            set_tags(&in[i], odd && shape == 6 ? "apt,c2" : "c2");
            in[i].status =
                odd && shape == 7 ? IOC_STATUS_DRAFT : IOC_STATUS_UNSET;
            in[i].is_false_positive = odd && shape == 8;
            in[i].first_seen = odd && shape == 9 ? NOW - 500 : 0;
            in[i].last_seen = odd && shape == 10 ? NOW + 5 : 0;
            in[i].created_at = odd && shape == 11 ? NOW - 900 : 0;
            set_str(&in[i].created_by, odd && shape == 12 ? "bob" : NULL);
            /* updated_at follows created_at when that is in the future;
             * updated_by is the actor, alike in every row. */
            if (odd && shape == 13)
                in[i].created_at = NOW + 3600;
            in[i].no_expiry = odd && shape == 14;
        }
        write_and_dump(fx, in, EVERY_COLUMN_N, true, &batch);
        write_and_dump(fx, in, EVERY_COLUMN_N, false, &single);
        if (strcmp(batch.buf, single.buf))
            fail_msg("shape %d: batch stored\n%s\none by one\n%s", shape,
                     batch.buf, single.buf);
        for (int i = 0; i < EVERY_COLUMN_N; i++)
            ioc_release(&in[i]);
        strbuf_release(&batch);
        strbuf_release(&single);
    }
}

static void test_batch_rolled_back_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
    struct ioc_count_delta pending;
    struct ioc_upsert_opts o;
    struct ioc in;

    add_domain(fx, "kept.example", NOW);
    dump_store(fx->st.db, &before);
    ioc_count_delta_init(&pending);
    upsert_opts(fx, &o, "alice", NOW + 10);
    o.pending = &pending;
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    input_init(&in, IOC_TYPE_DOMAIN, "dropped.example");
    assert_int_equal(ioc_repo_upsert(fx->st.db, &in, &o, NULL, NULL, &err), 0);
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_rollback(fx->st.db, &err), 0);
    dump_store(fx->st.db, &after);
    assert_string_equal(after.buf, before.buf);
    check_counts(fx->st.db, "rolled back batch");
    ioc_release(&in);
    strbuf_release(&before);
    strbuf_release(&after);
}

static void test_counts_rebuild_repairs_drift(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf why = STRBUF_INIT;
    int64_t a;

    seed_store(fx);
    a = add_domain(fx, "a.example", NOW);
    assert_int_equal(ioc_repo_mark_enriched(fx->st.db, a, &err), 0);
    check_counts(fx->st.db, "seeding");
    exec_ok(fx->st.db, "UPDATE ioc_counts SET n = n + 7");
    exec_ok(fx->st.db, "INSERT INTO ioc_counts (type, status, is_enriched, n) "
                       "VALUES ('cve', 3, 1, 5)");
    assert_false(counts_match(fx->st.db, &why));
    assert_int_equal(ioc_counts_rebuild(fx->st.db, &err), 0);
    check_counts(fx->st.db, "rebuild");
    /* Rebuilding kept counts leaves them as they are. */
    assert_int_equal(ioc_counts_rebuild(fx->st.db, &err), 0);
    check_counts(fx->st.db, "second rebuild");
    strbuf_release(&why);
}

/* ---- the hourly rollups ------------------------------------------------ */

/* A source longer than a slot of the batch's inline table. */
#define LONG_SOURCE                                                            \
    "a-feed-whose-name-is-much-longer-than-forty-eight-characters.example"

/*
 * A batch of 1,200 new indicators over 300 hours and 5 sources (1,500
 * hour and source keys: more than the batch's inline table holds, so it
 * is written out while the batch runs), one in ten a draft, some with a
 * long source or creator: the rollups equal a recount, and drafts are
 * not in them.
 */
#define ROLLUP_N 1200
static void test_rollups_follow_a_batch_larger_than_the_table(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    static struct ioc in[ROLLUP_N];
    static enum ioc_upsert_outcome got[ROLLUP_N];
    struct ioc_count_delta *pending = xmalloc(sizeof(*pending));
    struct ioc_upsert_opts o;
    char value[64], source[80];

    add_domain(fx, "before.example", NOW);
    for (int i = 0; i < ROLLUP_N; i++) {
        snprintf(value, sizeof(value), "r%d.example", i);
        input_init(&in[i], IOC_TYPE_DOMAIN, value);
        in[i].created_at = NOW - (i % 300) * 3600 - i % 7;
        in[i].severity = (enum ioc_severity)(1 + i % 4);
        if (i % 13 == 0)
            snprintf(source, sizeof(source), "%s", LONG_SOURCE);
        else
            snprintf(source, sizeof(source), "feed-%d", i % 5);
        if (i % 11 != 0)
            set_str(&in[i].source, source);
        if (i % 17 == 0)
            set_str(&in[i].created_by, LONG_SOURCE);
        if (i % 10 == 3)
            in[i].status = IOC_STATUS_DRAFT;
        if (i % 3 == 0)
            in[i].expires_at = NOW + (i % 50) * 3600 + i;
        in[i].tlp = (enum tlp)(i % 5);
    }
    /* And an expiry per type for the rest. */
    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 30;
    ioc_count_delta_init(pending);
    upsert_opts(fx, &o, "importer", NOW + 10);
    o.audit = false;
    o.pending = pending;
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    if (ioc_repo_upsert_batch(fx->st.db, in, ROLLUP_N, &o, got, &err) != 0)
        fail_msg("batch: %s", err.msg);
    assert_int_equal(ioc_counts_apply(fx->st.db, pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    check_counts(fx->st.db, "a large batch");
    /* 120 drafts are not new; the other 1,080 and the first one are. */
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT SUM(n) FROM ioc_new_hourly WHERE dim = 1",
                              NULL),
                     ROLLUP_N - ROLLUP_N / 10 + 1);
    for (int i = 0; i < ROLLUP_N; i++)
        ioc_release(&in[i]);
    free(pending);
}

/* Every other kind of write keeps the rollups equal to a recount. */
static void test_rollups_follow_each_kind_of_write(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc in, old, new;
    int64_t draft = 0, a, b, n;

    /* Domains expire after 30 days: the expiry rollup moves too. */
    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 30;
    /* A draft is not new: nothing in the rollups. */
    input_init(&in, IOC_TYPE_DOMAIN, "draft.example");
    in.status = IOC_STATUS_DRAFT;
    set_str(&in.source, "osint");
    upsert_ok(fx, &in, "alice", NOW - 5000, &draft);
    ioc_release(&in);
    assert_int_equal(
        query_ok(fx->st.db, "SELECT COUNT(*) FROM ioc_new_hourly WHERE n <> 0",
                 NULL),
        0);
    /* Out of draft, it is counted at its creation hour; back in, not. */
    set_status(fx->st.db, draft, IOC_STATUS_ACTIVE, NULL, NOW);
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT n FROM ioc_new_hourly WHERE dim = 3 "
                              "AND name = 'osint'",
                              NULL),
                     1);
    set_status(fx->st.db, draft, IOC_STATUS_DRAFT, NULL, NOW + 1);
    set_status(fx->st.db, draft, IOC_STATUS_REVIEW, NULL, NOW + 2);
    /* Seen again with a source: it leaves "unknown" for that source. */
    a = add_domain(fx, "a.example", NOW - 3 * 3600);
    input_init(&in, IOC_TYPE_DOMAIN, "a.example");
    set_str(&in.source, "misp");
    assert_int_equal(upsert_ok(fx, &in, "bob", NOW, NULL),
                     IOC_UPSERT_SEEN_AGAIN);
    ioc_release(&in);
    /* An edit of severity and source moves it between keys. */
    get_ok(fx->st.db, a, &old);
    get_ok(fx->st.db, a, &new);
    new.severity = IOC_SEV_CRITICAL;
    set_str(&new.source, "");
    save_ok(fx->st.db, &old, &new, "ioc.update", NULL, NOW + 3);
    ioc_release(&old);
    ioc_release(&new);
    /* Expired and reactivated: still new in its hour. */
    set_status(fx->st.db, a, IOC_STATUS_EXPIRED, "ttl", NOW + 4);
    input_init(&in, IOC_TYPE_DOMAIN, "a.example");
    assert_int_equal(upsert_ok(fx, &in, "bob", NOW + 5, NULL),
                     IOC_UPSERT_REACTIVATED);
    ioc_release(&in);
    /* A delete takes the row and its enrichment attempts (recorded as
     * the enrichment store records them) out of the counts. */
    b = add_domain(fx, "b.example", NOW - 7200);
    exec_ok(fx->st.db, "INSERT INTO enrich_attempts (ioc_id, provider, at, "
                       "outcome) SELECT id, 'dns', 1700000000, 'success' FROM "
                       "iocs WHERE value = 'b.example';"
                       "INSERT INTO enrich_hourly (hour, outcome, n) "
                       "VALUES (472222, 'success', 1)");
    check_rollups(fx->st.db, "an attempt");
    get_ok(fx->st.db, b, &old);
    assert_int_equal(ioc_repo_delete(fx->st.db, &old, "bob", NOW + 6, &err), 0);
    ioc_release(&old);
    check_counts(fx->st.db, "delete");
    assert_int_equal(
        query_ok(fx->st.db, "SELECT SUM(n) FROM enrich_hourly", NULL), 0);
    /* The check itself notices a row written behind the rollups' back. */
    exec_ok(fx->st.db,
            "INSERT INTO iocs (type, value, severity, confidence, tlp, "
            "status, first_seen, last_seen, created_at, created_by, "
            "updated_at, updated_by) VALUES ('domain', 'sneaky.example', 2, "
            "50, 2, 2, 1, 1, 1700000000, 'x', 1, 'x')");
    assert_int_equal(ioc_rollups_verify(fx->st.db, &n, &err), 0);
    /* Its type, severity, source, creator and TLP. */
    assert_int_equal(n, 5);
    assert_int_equal(ioc_counts_rebuild(fx->st.db, &err), 0);
    check_counts(fx->st.db, "rebuild");
}

static void test_mark_enriched_is_idempotent_and_counted(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t a = add_domain(fx, "a.example", NOW);
    int64_t b = add_domain(fx, "b.example", NOW);
    struct strbuf counts = STRBUF_INIT;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(ioc_repo_mark_enriched(fx->st.db, a, &err), 0);
        check_counts(fx->st.db, "mark enriched");
    }
    /* An unknown id changes nothing. */
    assert_int_equal(ioc_repo_mark_enriched(fx->st.db, b + 1000, &err), 0);
    check_counts(fx->st.db, "mark enriched of an unknown id");
    assert_int_equal(
        query_ok(fx->st.db, "SELECT is_enriched FROM iocs WHERE id = ?", &a),
        1);
    assert_int_equal(
        query_ok(fx->st.db, "SELECT is_enriched FROM iocs WHERE id = ?", &b),
        0);
    dump_query(fx->st.db, sql_kept_counts, &counts);
    assert_string_equal(counts.buf, "domain|2|0|1\ndomain|2|1|1\n");
    strbuf_release(&counts);
}

/* ---- the audit event shares the change's transaction ----------------- */

static void tx_prepare(struct fixture *fx)
{
    struct ioc in;

    input_init(&in, IOC_TYPE_DOMAIN, "stored.example");
    set_str(&in.source, "feed-a");
    upsert_ok(fx, &in, "alice", NOW, NULL);
    ioc_release(&in);
}

static int run_upsert_new(struct fixture *fx, struct iocm_err *err)
{
    struct ioc_upsert_opts o;
    struct ioc in;
    int rc;

    upsert_opts(fx, &o, "bob", NOW + 10);
    input_init(&in, IOC_TYPE_DOMAIN, "new.example");
    rc = ioc_repo_upsert(fx->st.db, &in, &o, NULL, NULL, err);
    ioc_release(&in);
    return rc;
}

static int run_upsert_stored(struct fixture *fx, struct iocm_err *err)
{
    struct ioc_upsert_opts o;
    struct ioc in;
    int rc;

    upsert_opts(fx, &o, "bob", NOW + 10);
    input_init(&in, IOC_TYPE_DOMAIN, "stored.example");
    set_tags(&in, "seen");
    rc = ioc_repo_upsert(fx->st.db, &in, &o, NULL, NULL, err);
    ioc_release(&in);
    return rc;
}

static int run_save(struct fixture *fx, struct iocm_err *err)
{
    struct ioc old, new;
    int rc =
        ioc_repo_find(fx->st.db, IOC_TYPE_DOMAIN, "stored.example", &old, err);

    if (rc < 0)
        return rc;
    get_ok(fx->st.db, old.id, &new);
    new.status = IOC_STATUS_ARCHIVED;
    rc = ioc_repo_save(fx->st.db, &old, &new, "ioc.archive", NULL, "bob",
                       NOW + 10, err);
    ioc_release(&old);
    ioc_release(&new);
    return rc;
}

static int run_delete(struct fixture *fx, struct iocm_err *err)
{
    struct ioc ioc;
    int rc =
        ioc_repo_find(fx->st.db, IOC_TYPE_DOMAIN, "stored.example", &ioc, err);

    if (rc < 0)
        return rc;
    rc = ioc_repo_delete(fx->st.db, &ioc, "bob", NOW + 10, err);
    ioc_release(&ioc);
    return rc;
}

struct tx_case {
    const char *name;
    int (*run)(struct fixture *fx, struct iocm_err *err);
};

/* In this order the successful runs each find what they need. */
static const struct tx_case tx_cases[] = {
    { "upsert of a new value", run_upsert_new },
    { "upsert of a stored value", run_upsert_stored },
    { "save", run_save },
    { "delete", run_delete },
};

/* Which write fails: the audit event's, or the indicator's own. */
static const char *const failing_tables[] = { "audit_events", "iocs" };

static void test_a_failed_write_leaves_neither_change_nor_audit(void **state)
{
    struct fixture *fx = *state;

    tx_prepare(fx);
    for (size_t i = 0; i < ARRAY_SIZE(tx_cases); i++) {
        const struct tx_case *c = &tx_cases[i];
        struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t events;
        int rc;

        for (size_t t = 0; t < ARRAY_SIZE(failing_tables); t++) {
            strbuf_reset(&before);
            strbuf_reset(&after);
            dump_store(fx->st.db, &before);
            set_table_failing(fx->st.db, failing_tables[t], true);
            rc = c->run(fx, &err);
            set_table_failing(fx->st.db, failing_tables[t], false);
            if (rc >= 0 || !strstr(err.msg, "boom"))
                fail_msg("%s with %s failing: rc %d, '%s'", c->name,
                         failing_tables[t], rc, err.msg);
            dump_store(fx->st.db, &after);
            if (strcmp(before.buf, after.buf) != 0)
                fail_msg("%s with %s failing changed the store:\n%s\n"
                         "became\n%s",
                         c->name, failing_tables[t], before.buf, after.buf);
        }
        /* The same change succeeds once nothing fails, and is audited:
         * the failures above were the injected ones. */
        events = audit_rows(fx->st.db);
        strbuf_reset(&before);
        strbuf_reset(&after);
        dump_query(fx->st.db, "SELECT * FROM iocs ORDER BY id", &before);
        if (c->run(fx, &err) != 0)
            fail_msg("%s: %s", c->name, err.msg);
        dump_query(fx->st.db, "SELECT * FROM iocs ORDER BY id", &after);
        assert_string_not_equal(after.buf, before.buf);
        assert_int_equal(audit_rows(fx->st.db), events + 1);
        check_counts(fx->st.db, c->name);
        strbuf_release(&before);
        strbuf_release(&after);
    }
}

/* ---- the schema ------------------------------------------------------- */

static void test_reconnect_migrates_nothing_and_keeps_rows(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc got;
    int version = -1;
    int64_t id = add_domain(fx, "kept.example", NOW);

    db_close(fx->st.db);
    fx->st.db = NULL;
    if (db_connect(fx->st.url.buf, &fx->st.db, &err) != 0)
        fail_msg("connect: %s", err.msg);
    assert_int_equal(db_schema_version(fx->st.db, &version, &err), 0);
    assert_int_equal(version, db_schema_latest());
    get_ok(fx->st.db, id, &got);
    assert_string_equal(got.value, "kept.example");
    check_counts(fx->st.db, "reconnect");
    ioc_release(&got);
    /* The reopened store takes writes through the repository. */
    add_domain(fx, "new.example", NOW + 1);
}

/* ---- running ---------------------------------------------------------- */

#define CASE(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

static const struct CMUnitTest backend_cases[] = {
    CASE(test_upsert_creates_with_defaults_and_expiry),
    CASE(test_upsert_keeps_given_times_and_tags),
    CASE(test_upsert_again_is_seen_again),
    CASE(test_upsert_same_value_of_another_type_is_another_row),
    CASE(test_upsert_reactivates_expired_with_fresh_expiry),
    CASE(test_upsert_reactivated_with_no_expiry_never_expires),
    CASE(test_upsert_audits_each_outcome_when_asked),
    CASE(test_get_and_find_report_missing_indicators),
    CASE(test_each_and_count_apply_every_filter),
    CASE(test_each_breaks_created_at_ties_by_newest_id),
    CASE(test_each_stops_when_the_callback_fails),
    CASE(test_save_audits_changed_fields_as_pairs),
    CASE(test_save_without_changes_records_only_the_identity),
    CASE(test_save_of_a_missing_indicator_fails_unaudited),
    CASE(test_delete_removes_the_row_and_audits_it),
    CASE(test_delete_of_a_missing_indicator_fails_unaudited),
    CASE(test_batch_applies_counts_once_before_commit),
    CASE(test_batch_rolled_back_leaves_nothing),
    CASE(test_upsert_batch_matches_one_by_one),
    CASE(test_upsert_batch_stores_every_column),
    CASE(test_counts_rebuild_repairs_drift),
    CASE(test_rollups_follow_a_batch_larger_than_the_table),
    CASE(test_rollups_follow_each_kind_of_write),
    CASE(test_mark_enriched_is_idempotent_and_counted),
    CASE(test_a_failed_write_leaves_neither_change_nor_audit),
    CASE(test_reconnect_migrates_nothing_and_keeps_rows),
};

int main(void)
{
    int failed;

    jsonx_init();
    failed =
        run_on_backends("ioc_repo", backend_cases, ARRAY_SIZE(backend_cases));
    return failed;
}
