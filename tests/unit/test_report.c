/*
 * Unit tests for report/: a fixture dataset written through the IOC
 * repository and the audit log (users, indicators of every type, severity,
 * TLP and status across three weeks, audit events, enrichment attempts),
 * then every number and list of both reports checked against values worked
 * out by hand below; the TLP rules at each ceiling; the HTML and text
 * renderings; subjects, period keys, template overrides; and the query
 * plans, which must follow an index and never scan a whole table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "db/db.h"
#include "enrich/enrich_int.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "report/report.h"
#include "report/report_int.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include "store_testlib.h"

#ifndef REPORT_TEMPLATE_DIR
#define REPORT_TEMPLATE_DIR "templates"
#endif
#ifndef REPORT_TEST_DATA_DIR
#define REPORT_TEST_DATA_DIR "tests/data/report"
#endif

/* The reference time of every report below: Friday 2026-12-04 08:00 UTC.
 * D = [AT - 24h, AT), W = [AT - 7d, AT), P = [AT - 14d, AT - 7d). */
#define AT        INT64_C(1796371200)
#define MIN       INT64_C(60)
#define HOUR      INT64_C(3600)
#define DAY       INT64_C(86400)
#define NO_EXPIRY INT64_MIN

/*
 * The dataset. Ids are the row numbers (1-based) in this table, since the
 * rows are inserted in order into an empty database. Times are offsets
 * from AT. status is the status at creation; changes[] below moves two of
 * them later.
 */
static const struct ioc_spec {
    const char *type;
    const char *value;
    enum ioc_severity severity;
    enum tlp tlp;
    enum ioc_status status;
    const char *source;
    const char *by;
    int64_t created;
    int64_t expires;
    bool is_enriched;
} iocs[] = {
    /* Before P. */
    /* 1 */ { "ipv4", "203.0.113.10", IOC_SEV_MEDIUM, TLP_GREEN,
              IOC_STATUS_ACTIVE, "feedA", "alice", -20 * DAY, NO_EXPIRY, true },
    /* 2: expired, so neither active nor expiring. */
    /* 2 */
    { "domain", "old-expired.example", IOC_SEV_LOW, TLP_CLEAR,
      IOC_STATUS_EXPIRED, "feedA", "alice", -18 * DAY, -10 * DAY, true },
    /* 3 */
    { "sha256",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      IOC_SEV_HIGH, TLP_AMBER, IOC_STATUS_ACTIVE, "sandbox", "carol", -16 * DAY,
      3 * DAY, true },
    /* 4: status active but past its expiry: lapsed, not active. */
    /* 4 */
    { "url", "http://lapsed.example/x", IOC_SEV_HIGH, TLP_AMBER,
      IOC_STATUS_ACTIVE, "osint", "alice", -15 * DAY, -HOUR, true },
    /* 5 */
    { "md5", "d41d8cd98f00b204e9800998ecf8427e", IOC_SEV_CRITICAL, TLP_RED,
      IOC_STATUS_ACTIVE, "partner", "bob", -30 * DAY, 2 * DAY, false },
    /* P. */
    /* 6 */
    { "domain", "p1.example", IOC_SEV_HIGH, TLP_AMBER, IOC_STATUS_ACTIVE,
      "osint", "alice", -10 * DAY, NO_EXPIRY, false },
    /* 7 */
    { "domain", "p2.example", IOC_SEV_MEDIUM, TLP_GREEN, IOC_STATUS_ACTIVE,
      "osint", "bob", -9 * DAY, NO_EXPIRY, false },
    /* 8 */
    { "ipv4", "198.51.100.7", IOC_SEV_LOW, TLP_AMBER, IOC_STATUS_ACTIVE, "",
      "bob", -8 * DAY, 6 * DAY, false },
    /* 9: a draft is never new. */
    /* 9 */
    { "email", "phish@p.example", IOC_SEV_MEDIUM, TLP_AMBER, IOC_STATUS_DRAFT,
      "osint", "alice", -9 * DAY, NO_EXPIRY, false },
    /* 10: archived the day after (changes[]), still new in P. */
    /* 10 */
    { "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", IOC_SEV_LOW,
      TLP_CLEAR, IOC_STATUS_ACTIVE, "sandbox", "carol", -12 * DAY, NO_EXPIRY,
      false },
    /* W, before D. */
    /* 11 */
    { "domain", "w1.example", IOC_SEV_CRITICAL, TLP_AMBER, IOC_STATUS_ACTIVE,
      "osint", "alice", -6 * DAY, 5 * DAY, true },
    /* 12 */
    { "ipv6", "2001:db8::1", IOC_SEV_HIGH, TLP_GREEN, IOC_STATUS_ACTIVE,
      "feedA", "bob", -5 * DAY, NO_EXPIRY, false },
    /* 13: in review: new, not active. */
    /* 13 */
    { "url", "https://w3.example/login", IOC_SEV_MEDIUM, TLP_AMBER,
      IOC_STATUS_REVIEW, "", "alice", -4 * DAY, NO_EXPIRY, false },
    /* 14: approved by alice three days before AT (changes[]). */
    /* 14 */
    { "filename", "invoice.pdf.exe", IOC_SEV_LOW, TLP_CLEAR, IOC_STATUS_REVIEW,
      "sandbox", "carol", -6 * DAY - HOUR, NO_EXPIRY, false },
    /* 15 */
    { "domain", "draft-w.example", IOC_SEV_HIGH, TLP_AMBER, IOC_STATUS_DRAFT,
      "osint", "alice", -3 * DAY, NO_EXPIRY, false },
    /* 16: expires exactly AT + 7d, the last second of the window. */
    /* 16 */
    { "sha512",
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9"
      "ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927"
      "da3e",
      IOC_SEV_MEDIUM, TLP_AMBER_STRICT, IOC_STATUS_ACTIVE, "partner", "bob",
      -2 * DAY, 7 * DAY, false },
    /* D. */
    /* 17 */
    { "domain", "d1.example", IOC_SEV_CRITICAL, TLP_AMBER, IOC_STATUS_ACTIVE,
      "osint", "alice", -HOUR, NO_EXPIRY, true },
    /* 18: TLP:RED, withheld from the lists at AMBER. */
    /* 18 */
    { "ipv4", "192.0.2.44", IOC_SEV_HIGH, TLP_RED, IOC_STATUS_ACTIVE, "partner",
      "bob", -2 * HOUR, NO_EXPIRY, true },
    /* 19 */
    { "url", "https://d3.example/payload.bin?id=1", IOC_SEV_CRITICAL, TLP_GREEN,
      IOC_STATUS_ACTIVE, "", "alice", -3 * HOUR, NO_EXPIRY, false },
    /* 20 */
    { "email", "attacker@d4.example", IOC_SEV_MEDIUM, TLP_AMBER,
      IOC_STATUS_ACTIVE, "osint", "bob", -5 * HOUR, NO_EXPIRY, false },
    /* 21 */
    { "cidr", "198.51.100.0/24", IOC_SEV_LOW, TLP_CLEAR, IOC_STATUS_ACTIVE,
      "feedA", "carol", -10 * HOUR, NO_EXPIRY, false },
    /* 22 */
    { "domain", "d-draft.example", IOC_SEV_CRITICAL, TLP_AMBER,
      IOC_STATUS_DRAFT, "osint", "alice", -4 * HOUR, NO_EXPIRY, false },
    /* 23 */
    { "asn", "AS64500", IOC_SEV_HIGH, TLP_AMBER, IOC_STATUS_ACTIVE, "osint",
      "alice", -23 * HOUR, NO_EXPIRY, false },
    /* 24 */
    { "ssdeep", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", IOC_SEV_MEDIUM,
      TLP_GREEN, IOC_STATUS_ACTIVE, "sandbox", "carol", -12 * HOUR, NO_EXPIRY,
      false },
    /* 25: created exactly AT - 24h: D includes its start. */
    /* 25 */
    { "domain", "boundary-start.example", IOC_SEV_MEDIUM, TLP_AMBER,
      IOC_STATUS_ACTIVE, "osint", "carol", -DAY, NO_EXPIRY, false },
    /* 26: created exactly AT: in no window, and not active at AT. */
    /* 26 */
    { "domain", "after-at.example", IOC_SEV_HIGH, TLP_AMBER, IOC_STATUS_ACTIVE,
      "osint", "alice", 0, NO_EXPIRY, false },
    /* 27: created exactly AT - 7d (W's first second); expires after the
     * seven days looked at. */
    /* 27 */
    { "cve", "CVE-2026-1234", IOC_SEV_CRITICAL, TLP_CLEAR, IOC_STATUS_ACTIVE,
      "osint", "bob", -7 * DAY, 8 * DAY, false },
    /* 28: exactly AT - 14d, P's first second. */
    /* 28 */
    { "domain", "p-start.example", IOC_SEV_LOW, TLP_AMBER, IOC_STATUS_ACTIVE,
      "feedA", "bob", -14 * DAY, NO_EXPIRY, false },
    /* 29: one second before P. */
    /* 29 */
    { "domain", "before-p.example", IOC_SEV_CRITICAL, TLP_AMBER,
      IOC_STATUS_ACTIVE, "feedA", "bob", -14 * DAY - 1, NO_EXPIRY, false },
    /* 30: a long value, shortened in emails. */
    /* 30 */
    { "url",
      "https://very-long-subdomain-name-for-testing.d5.example/a/"
      "really/long/path/that/keeps/going/on/and/on.html",
      IOC_SEV_MEDIUM, TLP_AMBER, IOC_STATUS_ACTIVE, "", "alice", -6 * HOUR,
      NO_EXPIRY, false },
};

/* Status changes made after creation, through ioc_repo_save. */
static const struct {
    int64_t id;
    enum ioc_status status;
    const char *actor;
    int64_t at;
} changes[] = {
    { 10, IOC_STATUS_ARCHIVED, "carol", -11 * DAY },
    { 14, IOC_STATUS_ACTIVE, "alice", -3 * DAY },
};

/* Audit events besides those the repository writes. */
static const struct {
    const char *actor;
    const char *action;
    int64_t at;
} events[] = {
    { "dave", "ioc.update", -2 * DAY },
    { "dave", "ioc.update", -2 * DAY },
    { "dave", "export", -DAY },
    { "dave", "export", 0 }, /* at AT: outside W */
    { "system", "expire", -6 * DAY },
    { "system", "import", -7 * DAY },     /* W's first second */
    { "alice", "ioc.update", -10 * DAY }, /* in P */
};

static const struct {
    int64_t ioc_id;
    const char *provider;
    int64_t at;
    const char *outcome;
} attempts[] = {
    { 17, "whois", -50 * MIN, "success" },
    { 17, "vt", -49 * MIN, "failure" },
    { 18, "whois", -100 * MIN, "success" },
    { 19, "asn", -2 * HOUR, "not_applicable" },
    { 20, "vt", -4 * HOUR, "failure" },
    { 21, "whois", -DAY, "success" }, /* D's first second */
    { 1, "whois", 0, "success" },     /* at AT: outside D and W */
    { 11, "whois", -5 * DAY, "success" },
    { 12, "vt", -4 * DAY, "failure" },
    { 12, "asn", -4 * DAY, "not_applicable" },
    { 3, "vt", -15 * DAY, "success" },
};

/* The dataset's database: a SQLite file, or the PostgreSQL database of
 * IOCM_TEST_PG_URL (its public schema emptied first). */
struct fixture {
    const struct backend *be;
    struct test_store st;
};

static struct fixture fx;

static void check(int rc, const struct iocm_err *err, const char *what)
{
    if (rc < 0)
        fail_msg("%s: %s", what, err->msg);
}

static struct db *open_db(const char *url)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db *db = NULL;

    check(db_connect(url, &db, &err), &err, url);
    return db;
}

static int64_t add_ioc(struct db *db, const struct ioc_spec *spec)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_defaults defaults;
    struct strbuf value = STRBUF_INIT;
    struct ioc_upsert_opts opts = { 0 };
    enum ioc_upsert_outcome outcome;
    struct ioc in;
    int64_t id = 0;

    ioc_defaults_init(&defaults);
    ioc_init(&in);
    check(ioc_type_parse(spec->type, &in.type, &err), &err, spec->type);
    check(ioc_normalize(in.type, spec->value, &value, &err), &err, spec->value);
    in.value = strbuf_detach(&value, NULL);
    in.severity = spec->severity;
    in.tlp = spec->tlp;
    in.status = spec->status;
    in.source = xstrdup(spec->source);
    in.created_by = xstrdup(spec->by);
    in.created_at = AT + spec->created;
    in.first_seen = in.created_at;
    if (spec->expires == NO_EXPIRY)
        in.no_expiry = true;
    else
        in.expires_at = AT + spec->expires;
    opts.defaults = &defaults;
    opts.actor = spec->by;
    opts.now = in.created_at;
    opts.audit = true;
    check(ioc_repo_upsert(db, &in, &opts, &id, &outcome, &err), &err,
          spec->value);
    assert_int_equal(outcome, IOC_UPSERT_CREATED);
    ioc_release(&in);
    return id;
}

static void change_status(struct db *db, int64_t id, enum ioc_status status,
                          const char *actor, int64_t at)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc old, new;

    check(ioc_repo_get(db, id, &old, &err), &err, "get");
    check(ioc_repo_get(db, id, &new, &err), &err, "get");
    new.status = status;
    check(ioc_repo_save(db, &old, &new, "ioc.update", NULL, actor, at, &err),
          &err, "save");
    ioc_release(&old);
    ioc_release(&new);
}

/* Recorded as the enrichment framework records it (with its hourly
 * count). */
static void add_attempt(struct db *db, int64_t ioc_id, const char *provider,
                        int64_t at, const char *outcome)
{
    struct iocm_err err = IOCM_ERR_INIT;

    check(enrich_store_attempt(db, ioc_id, provider, at, outcome, NULL, &err),
          &err, "attempt");
}

/* A first successful lookup: the stored result and the enriched flag. */
static void mark_enriched(struct db *db, int64_t ioc_id, int64_t at)
{
    static const char sql[] = "INSERT INTO enrich_results (ioc_id, "
                              "provider, fetched_at, result) "
                              "VALUES (?, 'whois', ?, '{}')";
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;

    check(db_prepare_cached(db, sql, &st, &err), &err, sql);
    db_bind_int64(st, 1, ioc_id);
    db_bind_int64(st, 2, at);
    check(db_step(st, &err), &err, sql);
    db_reset(st);
    check(ioc_repo_mark_enriched(db, ioc_id, &err), &err, "mark enriched");
}

static void build_dataset(struct db *db)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc seen;
    struct ioc_defaults defaults;
    struct ioc_upsert_opts opts = { 0 };
    enum ioc_upsert_outcome outcome;

    for (size_t i = 0; i < ARRAY_SIZE(iocs); i++)
        assert_int_equal(add_ioc(db, &iocs[i]), (int64_t)i + 1);
    for (size_t i = 0; i < ARRAY_SIZE(changes); i++)
        change_status(db, changes[i].id, changes[i].status, changes[i].actor,
                      AT + changes[i].at);
    for (size_t i = 0; i < ARRAY_SIZE(iocs); i++)
        if (iocs[i].is_enriched)
            mark_enriched(db, (int64_t)i + 1, AT + iocs[i].created + HOUR);
    for (size_t i = 0; i < ARRAY_SIZE(attempts); i++)
        add_attempt(db, attempts[i].ioc_id, attempts[i].provider,
                    AT + attempts[i].at, attempts[i].outcome);
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        check(audit_log(db, AT + events[i].at, events[i].actor,
                        events[i].action, "ioc", "12", NULL, &err),
              &err, "audit");

    /* bob reports p1.example (id 6) again a day before AT: "ioc.seen" in
     * the audit log, but not a new indicator. */
    ioc_defaults_init(&defaults);
    ioc_init(&seen);
    seen.type = IOC_TYPE_DOMAIN;
    seen.value = xstrdup("p1.example");
    opts.defaults = &defaults;
    opts.actor = "bob";
    opts.now = AT - DAY;
    opts.audit = true;
    check(ioc_repo_upsert(db, &seen, &opts, NULL, &outcome, &err), &err,
          "seen again");
    assert_int_equal(outcome, IOC_UPSERT_SEEN_AGAIN);
    ioc_release(&seen);
}

static int setup_dataset(void **state)
{
    (void)state;
    test_store_open(&fx.st, fx.be, "report");
    build_dataset(fx.st.db);
    return 0;
}

static int teardown_dataset(void **state)
{
    (void)state;
    test_store_close(&fx.st);
    return 0;
}

static void settings_for(struct report_settings *s, enum tlp max)
{
    report_settings_init(s);
    s->max_tlp = max;
    s->default_template_dir = REPORT_TEMPLATE_DIR;
    s->hostname = "soc-report-01";
    s->public_url = "https://iocm.example.org";
}

static json_t *build(struct db *db, enum report_kind kind, int64_t at,
                     const struct report_settings *s)
{
    struct iocm_err err = IOCM_ERR_INIT;
    json_t *model = NULL;

    check(report_build(db, kind, at, at + 5 * MIN, s, &model, &err), &err,
          "report_build");
    assert_non_null(model);
    return model;
}

static json_t *build_at_amber(enum report_kind kind)
{
    struct report_settings s;

    settings_for(&s, TLP_AMBER);
    return build(fx.st.db, kind, AT, &s);
}

static json_t *build_at_any(enum report_kind kind, int64_t at)
{
    struct report_settings s;

    settings_for(&s, TLP_AMBER);
    return build(fx.st.db, kind, at, &s);
}

/* Looks up a dotted path ("tlp.withheld") in j. */
static json_t *at_path(json_t *j, const char *path)
{
    while (j && *path) {
        size_t n = strcspn(path, ".");
        char *key = xstrndup(path, n);

        j = json_object_get(j, key);
        free(key);
        path += n + (path[n] == '.');
    }
    return j;
}

/* Compares the member at path with the JSON text expected. */
static void assert_json(json_t *model, const char *path, const char *expected)
{
    json_error_t jerr;
    json_t *want = json_loads(expected, JSON_DECODE_ANY, &jerr);
    json_t *got = at_path(model, path);

    if (!want)
        fail_msg("bad expected JSON for %s: %s", path, jerr.text);
    if (!got || !json_equal(got, want)) {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        print_error("%s:\n  got  %s\n  want %s\n", path, g ? g : "(missing)",
                    expected);
        free(g);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

/* Compares the ids of the items listed at path with want. */
static void assert_ids(json_t *model, const char *path, const int64_t *want,
                       size_t n)
{
    json_t *items = at_path(model, path);
    struct strbuf got = STRBUF_INIT, exp = STRBUF_INIT;
    assert_true(json_is_array(items));
    for (size_t i = 0; i < json_array_size(items); i++)
        strbuf_addf(&got, "%lld ",
                    (long long)json_integer_value(
                        json_object_get(json_array_get(items, i), "id")));
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&exp, "%lld ", (long long)want[i]);
    if (strcmp(got.buf, exp.buf) != 0) {
        print_error("%s: got ids [%s], want [%s]\n", path, got.buf, exp.buf);
        fail();
    }
    strbuf_release(&got);
    strbuf_release(&exp);
}

static void test_daily_header_keys(void **state)
{
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "kind", "\"daily\"");
    assert_json(m, "generated_at", "\"2026-12-04T08:05:00Z\"");
    assert_json(m, "window",
                "{\"start\": \"2026-12-03T08:00:00Z\", "
                "\"end\": \"2026-12-04T08:00:00Z\"}");
    assert_json(m, "tlp",
                "{\"max\": \"AMBER\", \"withheld\": 1, \"label\": \"AMBER\"}");
    json_decref(m);
}

/*
 * New in D: 17 18 19 20 21 23 24 25 30 (9). Not: 22 (draft), 26 (created
 * at AT, D excludes its end), 6 (only seen again in D). Listed newest
 * first without 18 (TLP:RED).
 */
static void test_daily_new_excludes_drafts_and_lists_newest_first(void **state)
{
    static const int64_t want[] = { 17, 19, 20, 30, 21, 24, 23, 25 };
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "new_iocs.total", "9");
    assert_ids(m, "new_iocs.items", want, ARRAY_SIZE(want));
    json_decref(m);
}

/* High or critical new in D: 17 (critical), 18 (high, RED), 19 (critical),
 * 23 (high); 22 is a critical draft. Critical first, then newest. */
static void test_daily_high_severity_lists_critical_before_high(void **state)
{
    static const int64_t want[] = { 17, 19, 23 };
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "high_severity.total", "4");
    assert_ids(m, "high_severity.items", want, ARRAY_SIZE(want));
    json_decref(m);
}

/*
 * Active at AT: status active now and not past expiry, created before AT:
 * 1 3 5 6 7 8 11 12 14 16 17 18 19 20 21 23 24 25 27 28 29 30 (22). Not:
 * 4 (lapsed an hour before AT, not yet expired by a job), 26 (created at
 * AT), 2 (expired), 9 15 22 (drafts), 10 (archived), 13 (review).
 */
static void test_daily_active_total_excludes_lapsed(void **state)
{
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "active_total", "22");
    assert_json(m, "type_distribution",
                "[{\"type\": \"domain\", \"count\": 7, \"percent\": 31.8},"
                " {\"type\": \"ipv4\", \"count\": 3, \"percent\": 13.6},"
                " {\"type\": \"url\", \"count\": 2, \"percent\": 9.1},"
                " {\"type\": \"asn\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"cidr\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"cve\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"email\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"filename\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"ipv6\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"md5\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"sha256\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"sha512\", \"count\": 1, \"percent\": 4.5},"
                " {\"type\": \"ssdeep\", \"count\": 1, \"percent\": 4.5}]");
    json_decref(m);
}

/*
 * Attempts in D, success or failure: 17 success, 17 failure, 18 success,
 * 20 failure, 21 success at D's start = 5, 3 succeeded; 19's
 * not_applicable and 1's attempt at AT do not count. Coverage: enriched
 * and active 1 3 11 17 18 of 22 (2 is expired, 4 lapsed).
 */
static void test_daily_enrichment_ignores_not_applicable(void **state)
{
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "enrichment",
                "{\"attempted\": 5, \"succeeded\": 3, \"success_rate\": 60.0,"
                " \"coverage\": 22.7}");
    json_decref(m);
}

/* Items carry the stored value, not defanged, and the empty source as
 * stored. */
static void test_daily_items_carry_raw_values(void **state)
{
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    assert_json(m, "high_severity.items",
                "[{\"id\": 17, \"type\": \"domain\", \"value\": "
                "\"d1.example\", \"severity\": \"critical\", \"confidence\": "
                "50, \"tlp\": \"AMBER\", \"source\": \"osint\", \"tags\": [],"
                " \"status\": \"active\", \"created_at\": "
                "\"2026-12-04T07:00:00Z\", \"created_by\": \"alice\", "
                "\"expires_at\": null},"
                " {\"id\": 19, \"type\": \"url\", \"value\": "
                "\"https://d3.example/payload.bin?id=1\", \"severity\": "
                "\"critical\", \"confidence\": 50, \"tlp\": \"GREEN\", "
                "\"source\": \"\", \"tags\": [], \"status\": \"active\", "
                "\"created_at\": \"2026-12-04T05:00:00Z\", \"created_by\": "
                "\"alice\", \"expires_at\": null},"
                " {\"id\": 23, \"type\": \"asn\", \"value\": \"AS64500\", "
                "\"severity\": \"high\", \"confidence\": 50, \"tlp\": "
                "\"AMBER\", \"source\": \"osint\", \"tags\": [], \"status\": "
                "\"active\", \"created_at\": \"2026-12-03T09:00:00Z\", "
                "\"created_by\": \"alice\", \"expires_at\": null}]");
    json_decref(m);
}

static void test_weekly_header_keys(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "kind", "\"weekly\"");
    assert_json(m, "window",
                "{\"start\": \"2026-11-27T08:00:00Z\", "
                "\"end\": \"2026-12-04T08:00:00Z\"}");
    assert_json(m, "active_total", "22");
    json_decref(m);
}

/*
 * New in W: 11 12 13 14 16 27 and D's nine = 15 (15 and 22 are drafts, 26
 * is at AT). New in P: 6 7 8 10 28 = 5 (9 is a draft, 29 one second
 * early). Change +200%.
 */
static void test_weekly_new_compares_with_last_week(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "new_iocs",
                "{\"this_week\": 15, \"last_week\": 5, "
                "\"change_percent\": 200.0}");
    json_decref(m);
}

/*
 * W: critical 11 17 19 27, high 12 18 23, medium 13 16 20 24 25 30, low 14
 * 21. P: high 6, medium 7, low 8 10 28. Critical rose from nothing: null.
 */
static void test_weekly_severity_trends_null_from_zero(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "severity_trends",
                "[{\"severity\": \"critical\", \"this_week\": 4, "
                "\"last_week\": 0, \"change\": null},"
                " {\"severity\": \"high\", \"this_week\": 3, \"last_week\": 1,"
                " \"change\": 200.0},"
                " {\"severity\": \"medium\", \"this_week\": 6, "
                "\"last_week\": 1, \"change\": 500.0},"
                " {\"severity\": \"low\", \"this_week\": 2, \"last_week\": 3,"
                " \"change\": -33.3}]");
    json_decref(m);
}

/* Eleven types were new in W; the top ten keep the ties in name order, so
 * ssdeep drops out. */
static void test_weekly_top_types_cut_at_ten(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "top_types",
                "[{\"type\": \"domain\", \"count\": 3, \"percent\": 20.0},"
                " {\"type\": \"url\", \"count\": 3, \"percent\": 20.0},"
                " {\"type\": \"asn\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"cidr\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"cve\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"email\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"filename\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"ipv4\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"ipv6\", \"count\": 1, \"percent\": 6.7},"
                " {\"type\": \"sha512\", \"count\": 1, \"percent\": 6.7}]");
    json_decref(m);
}

/* 13, 19 and 30 have no source: counted as unknown. */
static void test_weekly_top_sources_count_empty_as_unknown(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "top_sources",
                "[{\"source\": \"osint\", \"count\": 6, \"percent\": 40.0},"
                " {\"source\": \"unknown\", \"count\": 3, \"percent\": 20.0},"
                " {\"source\": \"feedA\", \"count\": 2, \"percent\": 13.3},"
                " {\"source\": \"partner\", \"count\": 2, \"percent\": 13.3},"
                " {\"source\": \"sandbox\", \"count\": 2, \"percent\": 13.3}]");
    json_decref(m);
}

/*
 * Audit events in W: ioc.create for every indicator created in W, drafts
 * too (alice 11 13 15 17 19 22 23 30; bob 12 16 18 20 27; carol 14 21 24
 * 25), alice's approval of 14, bob's ioc.seen of 6, dave's two updates and
 * an export (his export at AT is outside), the system's expire and import
 * (at W's first second). alice's update in P does not count. dave created
 * nothing and still appears; iocs_created counts non-drafts.
 */
static void test_weekly_user_activity_includes_users_without_iocs(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(
        m, "user_activity",
        "{\"active_users\": 5, \"total_actions\": 24, \"users\": ["
        "{\"username\": \"alice\", \"actions\": 9, \"iocs_created\": 6,"
        " \"by_action\": {\"ioc.create\": 8, \"ioc.update\": 1}},"
        " {\"username\": \"bob\", \"actions\": 6, \"iocs_created\": 5,"
        " \"by_action\": {\"ioc.create\": 5, \"ioc.seen\": 1}},"
        " {\"username\": \"carol\", \"actions\": 4, \"iocs_created\": 4,"
        " \"by_action\": {\"ioc.create\": 4}},"
        " {\"username\": \"dave\", \"actions\": 3, \"iocs_created\": 0,"
        " \"by_action\": {\"ioc.update\": 2, \"export\": 1}},"
        " {\"username\": \"system\", \"actions\": 2, "
        "\"iocs_created\": 0, \"by_action\": {\"expire\": 1, "
        "\"import\": 1}}]}");
    json_decref(m);
}

/*
 * Active with expiry in (AT, AT + 7d]: 5 (+2d, RED), 3 (+3d), 11 (+5d), 8
 * (+6d), 16 (+7d, AMBER+STRICT). Not 27 (+8d), 4 (lapsed). At AMBER, 5
 * and 16 are withheld.
 */
static void test_weekly_expiring_soonest_first(void **state)
{
    static const int64_t want[] = { 3, 11, 8 };
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "expiring.total", "5");
    assert_ids(m, "expiring.items", want, ARRAY_SIZE(want));
    assert_json(m, "tlp",
                "{\"max\": \"AMBER\", \"withheld\": 2, \"label\": \"AMBER\"}");
    json_decref(m);
}

/* W adds 11's success and 12's failure to D's five attempts. */
static void test_weekly_enrichment_over_the_week(void **state)
{
    json_t *m = build_at_amber(REPORT_WEEKLY);

    (void)state;
    assert_json(m, "enrichment",
                "{\"attempted\": 7, \"succeeded\": 4, \"success_rate\": 57.1,"
                " \"coverage\": 22.7}");
    json_decref(m);
}

/*
 * The TLP rules at every ceiling. New in D by TLP: CLEAR 21; GREEN 19 24;
 * AMBER 17 20 23 25 30; RED 18. Expiring: AMBER 3 8 11; AMBER+STRICT 16;
 * RED 5.
 */
static const struct tlp_case {
    enum tlp max;
    const char *daily_tlp;
    int64_t daily_new[9];
    size_t n_daily_new;
    int64_t daily_high[4];
    size_t n_daily_high;
    const char *weekly_tlp;
    int64_t expiring[5];
    size_t n_expiring;
} tlp_cases[] = {
    { TLP_CLEAR,
      "{\"max\": \"CLEAR\", \"withheld\": 8, \"label\": \"CLEAR\"}",
      { 21 },
      1,
      { 0 },
      0,
      "{\"max\": \"CLEAR\", \"withheld\": 5, \"label\": \"CLEAR\"}",
      { 0 },
      0 },
    { TLP_GREEN,
      "{\"max\": \"GREEN\", \"withheld\": 6, \"label\": \"GREEN\"}",
      { 19, 21, 24 },
      3,
      { 19 },
      1,
      "{\"max\": \"GREEN\", \"withheld\": 5, \"label\": \"CLEAR\"}",
      { 0 },
      0 },
    { TLP_AMBER,
      "{\"max\": \"AMBER\", \"withheld\": 1, \"label\": \"AMBER\"}",
      { 17, 19, 20, 30, 21, 24, 23, 25 },
      8,
      { 17, 19, 23 },
      3,
      "{\"max\": \"AMBER\", \"withheld\": 2, \"label\": \"AMBER\"}",
      { 3, 11, 8 },
      3 },
    { TLP_AMBER_STRICT,
      "{\"max\": \"AMBER+STRICT\", \"withheld\": 1, \"label\": \"AMBER\"}",
      { 17, 19, 20, 30, 21, 24, 23, 25 },
      8,
      { 17, 19, 23 },
      3,
      "{\"max\": \"AMBER+STRICT\", \"withheld\": 1, \"label\": "
      "\"AMBER+STRICT\"}",
      { 3, 11, 8, 16 },
      4 },
    { TLP_RED,
      "{\"max\": \"RED\", \"withheld\": 0, \"label\": \"RED\"}",
      { 17, 18, 19, 20, 30, 21, 24, 23, 25 },
      9,
      { 17, 19, 18, 23 },
      4,
      "{\"max\": \"RED\", \"withheld\": 0, \"label\": \"RED\"}",
      { 5, 3, 11, 8, 16 },
      5 },
};

static void test_tlp_ceiling_withholds_and_labels(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(tlp_cases); i++) {
        const struct tlp_case *c = &tlp_cases[i];
        struct report_settings s;
        json_t *daily, *weekly;

        settings_for(&s, c->max);
        daily = build(fx.st.db, REPORT_DAILY, AT, &s);
        weekly = build(fx.st.db, REPORT_WEEKLY, AT, &s);
        assert_json(daily, "tlp", c->daily_tlp);
        assert_ids(daily, "new_iocs.items", c->daily_new, c->n_daily_new);
        assert_ids(daily, "high_severity.items", c->daily_high,
                   c->n_daily_high);
        /* Counts include what the lists withhold. */
        assert_json(daily, "new_iocs.total", "9");
        assert_json(daily, "high_severity.total", "4");
        assert_json(weekly, "tlp", c->weekly_tlp);
        assert_ids(weekly, "expiring.items", c->expiring, c->n_expiring);
        assert_json(weekly, "expiring.total", "5");
        json_decref(daily);
        json_decref(weekly);
    }
}

/* A report about a moment before the dataset's newest rows: what was
 * created since is neither new nor active. At AT - 1d, active: 1 3 4 5 6 7
 * 8 11 12 14 16 27 28 29 (4 lapses only at AT - 1h; 25, created at exactly
 * AT - 1d, belongs to the next window, like 26 at AT). New in
 * [AT - 2d, AT - 1d): 16 only. */
static void test_daily_report_about_the_past(void **state)
{
    struct report_settings s;
    json_t *m;

    (void)state;
    settings_for(&s, TLP_AMBER);
    m = build(fx.st.db, REPORT_DAILY, AT - DAY, &s);
    assert_json(m, "active_total", "14");
    assert_json(m, "new_iocs.total", "1");
    json_decref(m);
}

static void test_empty_database_reports_zero_and_null(void **state)
{
    struct db *db = open_db("sqlite::memory:");
    struct report_settings s;
    json_t *daily, *weekly;

    (void)state;
    settings_for(&s, TLP_AMBER);
    daily = build(db, REPORT_DAILY, AT, &s);
    weekly = build(db, REPORT_WEEKLY, AT, &s);
    assert_json(daily, "new_iocs", "{\"total\": 0, \"items\": []}");
    assert_json(daily, "high_severity", "{\"total\": 0, \"items\": []}");
    assert_json(daily, "active_total", "0");
    assert_json(daily, "enrichment",
                "{\"attempted\": 0, \"succeeded\": 0, \"success_rate\": null,"
                " \"coverage\": null}");
    assert_json(daily, "type_distribution", "[]");
    assert_json(daily, "tlp",
                "{\"max\": \"AMBER\", \"withheld\": 0, \"label\": \"CLEAR\"}");
    assert_json(weekly, "new_iocs",
                "{\"this_week\": 0, \"last_week\": 0, "
                "\"change_percent\": null}");
    assert_json(weekly, "user_activity",
                "{\"active_users\": 0, \"total_actions\": 0, \"users\": []}");
    assert_json(weekly, "expiring", "{\"total\": 0, \"items\": []}");
    assert_json(weekly, "top_types", "[]");
    assert_json(weekly, "top_sources", "[]");
    json_decref(daily);
    json_decref(weekly);
    db_close(db);
}

/* Twelve actors with 12, 11, ... 1 actions: the ten busiest are listed,
 * every one is counted. */
static void test_weekly_lists_ten_most_active_users(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db *db = open_db("sqlite::memory:");
    struct report_settings s;
    json_t *m, *users;
    char name[16];

    (void)state;
    for (int u = 0; u < 12; u++) {
        snprintf(name, sizeof(name), "user%02d", u);
        for (int k = 0; k < 12 - u; k++)
            check(audit_log(db, AT - HOUR - k, name, "ioc.update", "ioc", NULL,
                            NULL, &err),
                  &err, "audit");
    }
    settings_for(&s, TLP_AMBER);
    m = build(db, REPORT_WEEKLY, AT, &s);
    assert_json(m, "user_activity.active_users", "12");
    assert_json(m, "user_activity.total_actions", "78");
    users = at_path(m, "user_activity.users");
    assert_int_equal(json_array_size(users), 10);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(users, 0), "username")),
                        "user00");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(users, 9), "username")),
                        "user09");
    json_decref(m);
    db_close(db);
}

static const struct {
    enum report_kind kind;
    int64_t at;
    const char *tz;
    enum tlp max;
    const char *subject;
    const char *period;
} subject_cases[] = {
    { REPORT_DAILY, AT, "UTC", TLP_AMBER,
      "[TLP:CLEAR] IOC Manager daily report \xe2\x80\x94 2026-12-04",
      "2026-12-04" },
    { REPORT_WEEKLY, AT, "UTC", TLP_AMBER,
      "[TLP:CLEAR] IOC Manager weekly report \xe2\x80\x94 week of 2026-11-27",
      "2026-W49" },
    /* 02:00 UTC is still the evening before in New York. */
    { REPORT_DAILY, AT - 6 * HOUR, "America/New_York", TLP_AMBER,
      "[TLP:CLEAR] IOC Manager daily report \xe2\x80\x94 2026-12-03",
      "2026-12-03" },
    { REPORT_WEEKLY, AT - 6 * HOUR, "America/New_York", TLP_AMBER,
      "[TLP:CLEAR] IOC Manager weekly report \xe2\x80\x94 week of 2026-11-26",
      "2026-W49" },
    /* Sunday 2026-12-06 23:30 UTC is Monday 07:30 in Auckland: week 50. */
    { REPORT_WEEKLY, AT + 2 * DAY + 15 * HOUR + 30 * MIN, "Pacific/Auckland",
      TLP_AMBER,
      "[TLP:CLEAR] IOC Manager weekly report \xe2\x80\x94 week of 2026-11-30",
      "2026-W50" },
};

static void test_subject_and_period_key_use_the_time_zone(void **state)
{
    struct db *db = open_db("sqlite::memory:");

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(subject_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf subject = STRBUF_INIT, period = STRBUF_INIT;
        struct report_settings s;
        json_t *m;

        settings_for(&s, subject_cases[i].max);
        s.timezone = subject_cases[i].tz;
        m = build(db, subject_cases[i].kind, subject_cases[i].at, &s);
        check(report_subject(m, &s, &subject, &err), &err, "subject");
        assert_string_equal(subject.buf, subject_cases[i].subject);
        report_period_key(subject_cases[i].kind, subject_cases[i].at,
                          subject_cases[i].tz, &period);
        assert_string_equal(period.buf, subject_cases[i].period);
        strbuf_release(&subject);
        strbuf_release(&period);
        json_decref(m);
    }
    db_close(db);
}

static void test_subject_carries_the_label_of_listed_items(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf subject = STRBUF_INIT;
    struct report_settings s;
    json_t *m;

    (void)state;
    settings_for(&s, TLP_RED);
    m = build(fx.st.db, REPORT_DAILY, AT, &s);
    check(report_subject(m, &s, &subject, &err), &err, "subject");
    assert_string_equal(subject.buf,
                        "[TLP:RED] IOC Manager daily report \xe2\x80\x94 "
                        "2026-12-04");
    strbuf_release(&subject);
    json_decref(m);
}

static void test_bad_settings_are_config_errors(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct report_settings s;
    json_t *m = NULL;

    (void)state;
    settings_for(&s, TLP_AMBER);
    s.timezone = "Mars/Olympus_Mons";
    assert_int_equal(report_build(fx.st.db, REPORT_DAILY, AT, AT, &s, &m, &err),
                     IOCM_ECONFIG);
    assert_string_equal(err.msg, "unknown time zone 'Mars/Olympus_Mons'");
    assert_null(m);
    settings_for(&s, 7);
    assert_int_equal(report_build(fx.st.db, REPORT_DAILY, AT, AT, &s, &m, &err),
                     IOCM_ECONFIG);
    assert_null(m);
}

static char *render(enum report_kind kind, enum report_format fmt,
                    const struct report_settings *s)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    json_t *m = build(fx.st.db, kind, AT, s);

    check(report_render(m, fmt, s, &out, &err), &err, "report_render");
    json_decref(m);
    return strbuf_detach(&out, NULL);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        print_error("output lacks '%s'\n", needle);
        fail();
    }
}

static void assert_lacks(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);

    if (p) {
        print_error("output has '%s' at: %.80s\n", needle, p);
        fail();
    }
}

/* What each rendering must show, and what it must never show. */
static const struct render_case {
    enum report_kind kind;
    enum report_format fmt;
    const char *has[20];
    const char *lacks[12];
} render_cases[] = {
    { REPORT_DAILY,
      REPORT_FORMAT_HTML,
      { "TLP:AMBER", "#FFC000", "Daily report", "New IOCs", "High and critical",
        "Active IOCs by type", "Enrichment",
        "1 indicator above TLP:AMBER "
        "withheld",
        "d1[.]example", "hxxps://d3[.]example/payload.bin?id=1",
        "attacker[@]d4[.]example",
        ">hxxps://very-long-subdomain-name-for-"
        "testing[.]d5[.]example/a/r\xe2\x80\xa6</td>",
        "DAILY_REPORT_RECIPIENTS", "soc-report-01", "60.0%",
        /* ipv4's bar: 3 of domain's 7 */
        "<td width=\"43%\" height=\"14\"", NULL },
      { "<style", "<script", "<img", "192.0.2.44", "192[.]0[.]2[.]44",
        ">d1.example", "https://d3", "attacker@d4", "{{", NULL } },
    { REPORT_WEEKLY,
      REPORT_FORMAT_HTML,
      { "TLP:AMBER", "Weekly report", "Severity trends", "Top IOC types",
        "Top sources", "User activity", "Expiring in the next 7 days",
        "\xe2\x96\xb2 +200.0%",
        "\xe2\x96\xbc \xe2\x88\x92"
        "33.3%",
        ">new<", "2 indicators above TLP:AMBER withheld", "w1[.]example",
        "dave", "WEEKLY_REPORT_RECIPIENTS",
        /* critical's bar this week: 4 of medium's 6 */
        "<td width=\"67%\" height=\"14\" bgcolor=\"#912018\"", NULL },
      { "<style", "<script", "<img", "d41d8cd98f00b204e9800998ecf8427e",
        "cf83e1357eef", ">w1.example", "{{", NULL } },
    { REPORT_DAILY,
      REPORT_FORMAT_TEXT,
      { "TLP:AMBER", "NEW IOCS (9)", "HIGH AND CRITICAL (4)",
        "ACTIVE IOCS BY TYPE (22)", "ENRICHMENT",
        "1 indicator above TLP:AMBER withheld", "d1[.]example",
        "hxxps://d3[.]example/payload.bin?id=1", "attacker[@]d4[.]example",
        "  ID  Created      Severity  Type    TLP    Value",
        "  17  4 Dec 07:00  critical  domain  AMBER  d1[.]example  ",
        "  domain    \xe2\x96\x88", NULL },
      { "<td", "<style", "&amp;", "&#39;", "192.0.2.44", "192[.]0[.]2[.]44",
        "https://d3", "{{", NULL } },
    { REPORT_WEEKLY,
      REPORT_FORMAT_TEXT,
      { "SEVERITY TRENDS", "TOP IOC TYPES", "TOP SOURCES", "USER ACTIVITY",
        "EXPIRING IN THE NEXT 7 DAYS (5)", "critical", "new",
        "\xe2\x96\xb2 +200.0%",
        "  dave          3             0  ioc.update 2, "
        "export 1",
        "unknown", NULL },
      { "<td", "&amp;", "d41d8cd98f00b204e9800998ecf8427e", "{{", NULL } },
};

/* With REPORT_TEST_DUMP=DIR, the renderings are also written to DIR, to
 * look at them (daily.html, weekly.txt, ...). */
static void dump_rendering(const struct render_case *c, const char *out)
{
    const char *dir = getenv("REPORT_TEST_DUMP");
    struct strbuf path = STRBUF_INIT;
    FILE *fp;

    if (!dir || !*dir)
        return;
    strbuf_addf(&path, "%s/%s.%s", dir, report_kind_name(c->kind),
                c->fmt == REPORT_FORMAT_HTML ? "html" : "txt");
    fp = fopen(path.buf, "w");
    assert_non_null(fp);
    fputs(out, fp);
    fclose(fp);
    strbuf_release(&path);
}

static void
test_renderings_show_each_section_and_no_withheld_value(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(render_cases); i++) {
        const struct render_case *c = &render_cases[i];
        struct report_settings s;
        char *out;

        settings_for(&s, TLP_AMBER);
        out = render(c->kind, c->fmt, &s);
        dump_rendering(c, out);
        for (size_t k = 0; c->has[k]; k++)
            assert_contains(out, c->has[k]);
        for (size_t k = 0; c->lacks[k]; k++)
            assert_lacks(out, c->lacks[k]);
        free(out);
    }
}

/* Mail clients: no width over 700 px anywhere, and every opening tag that
 * paints (td) has an explicit background and text colour or holds only a
 * bar. */
static void test_html_is_mail_client_safe(void **state)
{
    static const enum report_kind kinds[] = { REPORT_DAILY, REPORT_WEEKLY };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        struct report_settings s;
        char *out, *p;

        settings_for(&s, TLP_AMBER);
        out = render(kinds[i], REPORT_FORMAT_HTML, &s);
        for (p = strstr(out, "width"); p; p = strstr(p + 1, "width")) {
            const char *v = p + 5;

            if (*v == '=' && v[1] == '"')
                v += 2;
            else if (*v == ':')
                v++;
            else
                continue;
            if (strtol(v, NULL, 10) > 700)
                fail_msg("width over 700px: %.40s", p);
        }
        for (p = strstr(out, "<td"); p; p = strstr(p + 1, "<td")) {
            const char *end = strchr(p, '>');
            char *tag = xstrndup(p, (size_t)(end - p));

            if (!strstr(tag, "background-color:"))
                fail_msg("cell without a background colour: %s", tag);
            free(tag);
        }
        assert_lacks(out, " class=");
        free(out);
    }
}

static void test_defang_off_shows_values_as_stored(void **state)
{
    struct report_settings s;
    char *out;

    (void)state;
    settings_for(&s, TLP_AMBER);
    s.defang = false;
    out = render(REPORT_DAILY, REPORT_FORMAT_TEXT, &s);
    assert_contains(out, "d1.example");
    assert_contains(out, "https://d3.example/payload.bin?id=1");
    assert_lacks(out, "[.]");
    free(out);
}

static void test_template_dir_overrides_file_by_file(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct report_settings s;
    char *out;
    struct strbuf sb = STRBUF_INIT;
    json_t *m;

    (void)state;
    settings_for(&s, TLP_AMBER);
    s.template_dir = REPORT_TEST_DATA_DIR "/override";
    out = render(REPORT_DAILY, REPORT_FORMAT_TEXT, &s);
    assert_string_equal(out, "Custom daily: [TLP:AMBER] IOC Manager daily "
                             "report \xe2\x80\x94 2026-12-04, 9 new\n");
    free(out);
    /* No override for the HTML part: the shipped template is used. */
    out = render(REPORT_DAILY, REPORT_FORMAT_HTML, &s);
    assert_contains(out, "High and critical");
    free(out);

    s.template_dir = NULL;
    s.default_template_dir = REPORT_TEST_DATA_DIR "/no-such-folder";
    m = build(fx.st.db, REPORT_DAILY, AT, &s);
    assert_int_equal(report_render(m, REPORT_FORMAT_HTML, &s, &sb, &err),
                     IOCM_ENOENT);
    assert_non_null(strstr(err.msg, "email/daily_report.html"));
    assert_int_equal(sb.len, 0);
    json_decref(m);
}

/* The JSON output prints one-decimal percentages as written. */
static void test_json_output_prints_one_decimal(void **state)
{
    struct strbuf out = STRBUF_INIT;
    json_t *m = build_at_amber(REPORT_DAILY);

    (void)state;
    report_dump_json(m, &out);
    assert_contains(out.buf, "\"coverage\": 22.7");
    assert_contains(out.buf, "\"percent\": 31.8");
    assert_contains(out.buf, "\"success_rate\": 60.0");
    assert_lacks(out.buf, "0000000");
    assert_lacks(out.buf, "\"view\"");
    strbuf_release(&out);
    json_decref(m);
}

/*
 * Cost follows the window: every statement the reports run reads iocs,
 * audit_events and enrich_attempts through an index range (a time window
 * or an expiry range: the plan shows "<" or ">"), never a scan, nor an
 * index walk on status alone, which would cover most of the table.
 */
static void check_plan_line(const char *sql, const char *detail)
{
    static const char *const big[] = { "iocs", "audit_events",
                                       "enrich_attempts" };

    for (size_t b = 0; b < ARRAY_SIZE(big); b++) {
        char scan[40], search[40];

        snprintf(scan, sizeof(scan), "SCAN %s", big[b]);
        snprintf(search, sizeof(search), "SEARCH %s ", big[b]);
        if (strncmp(detail, scan, strlen(scan)) == 0 &&
            (detail[strlen(scan)] == '\0' || detail[strlen(scan)] == ' '))
            fail_msg("%s\n  scans: %s", sql, detail);
        if (strncmp(detail, search, strlen(search)) == 0 &&
            !strpbrk(detail, "<>"))
            fail_msg("%s\n  no window range: %s", sql, detail);
    }
}

/* COUNT(*) of sql with [from, to) bound first and name (when not NULL)
 * third. */
static int64_t recount(const char *sql, int64_t from, int64_t to,
                       const char *name)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;
    int64_t n = -1;

    check(db_prepare_cached(fx.st.db, sql, &st, &err), &err, sql);
    db_bind_int64(st, 1, from);
    db_bind_int64(st, 2, to);
    if (name)
        db_bind_text(st, 3, name);
    if (db_step(st, &err) != DB_ROW)
        fail_msg("%s: %s", sql, err.msg);
    n = db_column_int64(st, 0);
    db_reset(st);
    return n;
}

/* Active at `at` and expiring in the seven days after it, created before
 * it, with a TLP above above_tlp (-1: any). */
static int64_t recount_expiring(int64_t at, int above_tlp)
{
    static const char sql[] =
        "SELECT COUNT(*) FROM iocs WHERE status = 2 AND expires_at > ? AND "
        "expires_at <= ? AND created_at < ? AND tlp > ?";
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;
    int64_t n = -1;

    check(db_prepare_cached(fx.st.db, sql, &st, &err), &err, sql);
    db_bind_int64(st, 1, at);
    db_bind_int64(st, 2, at + 7 * DAY);
    db_bind_int64(st, 3, at);
    db_bind_int64(st, 4, above_tlp);
    if (db_step(st, &err) != DB_ROW)
        fail_msg("%s: %s", sql, err.msg);
    n = db_column_int64(st, 0);
    db_reset(st);
    return n;
}

static int64_t json_int_at(json_t *j, const char *path)
{
    json_t *v = at_path(j, path);

    if (!json_is_integer(v))
        fail_msg("no integer at %s", path);
    return json_integer_value(v);
}

#define NEW_IN                                                                 \
    "FROM iocs WHERE created_at >= ? AND created_at < ? AND status <> 0"

/* Every count of a weekly report at `at` against a recount of the rows. */
static void check_weekly_against_rows(int64_t at)
{
    static const char *const sev[] = { "critical", "high", "medium", "low" };
    json_t *m = build_at_any(REPORT_WEEKLY, at);
    int64_t w = at - 7 * DAY, p = at - 14 * DAY;
    json_t *arr;
    size_t i;

    assert_int_equal(json_int_at(m, "new_iocs.this_week"),
                     recount("SELECT COUNT(*) " NEW_IN, w, at, NULL));
    assert_int_equal(json_int_at(m, "new_iocs.last_week"),
                     recount("SELECT COUNT(*) " NEW_IN, p, w, NULL));
    arr = json_object_get(m, "severity_trends");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        enum ioc_severity v;
        char name[4];

        assert_string_equal(json_string_value(json_object_get(e, "severity")),
                            sev[i]);
        assert_int_equal(ioc_severity_parse(sev[i], &v, NULL), 0);
        snprintf(name, sizeof(name), "%d", (int)v);
        assert_int_equal(json_integer_value(json_object_get(e, "this_week")),
                         recount("SELECT COUNT(*) " NEW_IN
                                 " AND CAST(severity AS TEXT) = ?",
                                 w, at, name));
        assert_int_equal(json_integer_value(json_object_get(e, "last_week")),
                         recount("SELECT COUNT(*) " NEW_IN
                                 " AND CAST(severity AS TEXT) = ?",
                                 p, w, name));
    }
    arr = json_object_get(m, "top_types");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);

        assert_int_equal(
            json_integer_value(json_object_get(e, "count")),
            recount("SELECT COUNT(*) " NEW_IN " AND type = ?", w, at,
                    json_string_value(json_object_get(e, "type"))));
    }
    arr = json_object_get(m, "top_sources");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);

        assert_int_equal(
            json_integer_value(json_object_get(e, "count")),
            recount("SELECT COUNT(*) " NEW_IN " AND CASE WHEN source = '' "
                    "THEN 'unknown' ELSE source END = ?",
                    w, at, json_string_value(json_object_get(e, "source"))));
    }
    assert_int_equal(json_int_at(m, "user_activity.total_actions"),
                     recount("SELECT COUNT(*) FROM audit_events "
                             "WHERE at >= ? AND at < ?",
                             w, at, NULL));
    assert_int_equal(json_int_at(m, "user_activity.active_users"),
                     recount("SELECT COUNT(DISTINCT actor) FROM audit_events "
                             "WHERE at >= ? AND at < ?",
                             w, at, NULL));
    arr = at_path(m, "user_activity.users");
    for (i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *who = json_string_value(json_object_get(e, "username"));

        assert_int_equal(json_integer_value(json_object_get(e, "actions")),
                         recount("SELECT COUNT(*) FROM audit_events "
                                 "WHERE at >= ? AND at < ? AND actor = ?",
                                 w, at, who));
        assert_int_equal(json_integer_value(json_object_get(e, "iocs_created")),
                         recount("SELECT COUNT(*) " NEW_IN
                                 " AND created_by = ?",
                                 w, at, who));
    }
    assert_int_equal(json_int_at(m, "enrichment.attempted"),
                     recount("SELECT COUNT(*) FROM enrich_attempts WHERE "
                             "at >= ? AND at < ? AND outcome <> ?",
                             w, at, "not_applicable"));
    assert_int_equal(json_int_at(m, "enrichment.succeeded"),
                     recount("SELECT COUNT(*) FROM enrich_attempts WHERE "
                             "at >= ? AND at < ? AND outcome = ?",
                             w, at, "success"));
    assert_int_equal(json_int_at(m, "expiring.total"),
                     recount_expiring(at, -1));
    assert_int_equal(json_int_at(m, "tlp.withheld"),
                     recount_expiring(at, TLP_AMBER));
    json_decref(m);
    m = build_at_any(REPORT_DAILY, at);
    assert_int_equal(json_int_at(m, "new_iocs.total"),
                     recount("SELECT COUNT(*) " NEW_IN, at - DAY, at, NULL));
    assert_int_equal(json_int_at(m, "high_severity.total"),
                     recount("SELECT COUNT(*) " NEW_IN " AND severity >= 3",
                             at - DAY, at, NULL));
    assert_int_equal(
        json_int_at(m, "tlp.withheld"),
        recount("SELECT COUNT(*) " NEW_IN " AND tlp > 2", at - DAY, at, NULL));
    assert_int_equal(json_int_at(m, "enrichment.attempted"),
                     recount("SELECT COUNT(*) FROM enrich_attempts WHERE "
                             "at >= ? AND at < ? AND outcome <> ?",
                             at - DAY, at, "not_applicable"));
    assert_int_equal(json_int_at(m, "enrichment.succeeded"),
                     recount("SELECT COUNT(*) FROM enrich_attempts WHERE "
                             "at >= ? AND at < ? AND outcome = ?",
                             at - DAY, at, "success"));
    json_decref(m);
}

/*
 * The reports sum whole hours from the rollups and read the partial hours
 * at their windows' edges from the tables: at report times on and off the
 * hour, every count equals a recount of the rows, and the rollups equal a
 * recount of their tables after the fixture's writes.
 */
static void test_rollups_and_edges_agree_with_the_rows(void **state)
{
    static const int64_t offsets[] = {
        0,
        1,
        -1,
        17 * MIN + 5,
        -3 * HOUR + 1,
        59 * MIN,
        -30 * MIN,
        2 * HOUR + 7,
        -DAY - 5 * MIN,
        3 * DAY + 11 * HOUR + 29 * MIN,
    };
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t mismatches = -1;

    (void)state;
    check(ioc_rollups_verify(fx.st.db, &mismatches, &err), &err, "verify");
    assert_int_equal(mismatches, 0);
    for (int64_t t = -14 * DAY; t <= 0; t += 97 * MIN)
        check_weekly_against_rows(AT + t);
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
        check_weekly_against_rows(AT + offsets[i]);
}

/*
 * A report about the past leaves out what did not exist yet: an active
 * indicator created after `at` and expiring within its week is in the
 * expiry rollup, and taken out again. Removed afterwards, so the other
 * cases keep their dataset.
 */
static void test_expiring_leaves_out_later_indicators(void **state)
{
    static const struct ioc_spec later = {
        "domain",          "later.example", IOC_SEV_HIGH, TLP_RED,
        IOC_STATUS_ACTIVE, "feedA",         "alice",      -3 * DAY,
        -DAY + 17 * MIN,   false,
    };
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = add_ioc(fx.st.db, &later), mismatches = -1;
    struct ioc ioc;

    (void)state;
    check(ioc_rollups_verify(fx.st.db, &mismatches, &err), &err, "verify");
    assert_int_equal(mismatches, 0);
    for (int64_t t = -5 * DAY; t <= -2 * DAY; t += 7 * HOUR + 13 * MIN)
        check_weekly_against_rows(AT + t);
    check(ioc_repo_get(fx.st.db, id, &ioc, &err), &err, "get");
    check(ioc_repo_delete(fx.st.db, &ioc, "alice", AT, &err), &err, "delete");
    ioc_release(&ioc);
    check(ioc_rollups_verify(fx.st.db, &mismatches, &err), &err, "verify");
    assert_int_equal(mismatches, 0);
}

static void test_query_plans_follow_the_window(void **state)
{
    static const char *const *const lists[] = {
        report_query_sql,
        report_daily_sql,
        report_weekly_sql,
    };

    (void)state;
    if (db_get_kind(fx.st.db) != DB_SQLITE)
        skip();
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        for (size_t q = 0; lists[l][q]; q++) {
            struct iocm_err err = IOCM_ERR_INIT;
            struct strbuf sql = STRBUF_INIT;
            struct db_stmt *st = NULL;
            int rc, searches = 0;

            strbuf_addf(&sql, "EXPLAIN QUERY PLAN %s", lists[l][q]);
            check(db_prepare(fx.st.db, sql.buf, &st, &err), &err, sql.buf);
            for (rc = db_step(st, &err); rc == DB_ROW; rc = db_step(st, &err)) {
                const char *detail = db_column_text(st, 3);

                if (!detail)
                    continue;
                check_plan_line(lists[l][q], detail);
                if (strncmp(detail, "SEARCH ", 7) == 0)
                    searches++;
            }
            check(rc, &err, sql.buf);
            if (!searches)
                fail_msg("no index range used by %s", lists[l][q]);
            db_finalize(st);
            strbuf_release(&sql);
        }
}

int main(void)
{
    /* On the dataset, against SQLite and, when a server is given, against
     * PostgreSQL: the SQL is the same and so must be every figure. */
    const struct CMUnitTest dataset_tests[] = {
        cmocka_unit_test(test_daily_header_keys),
        cmocka_unit_test(test_daily_new_excludes_drafts_and_lists_newest_first),
        cmocka_unit_test(test_daily_high_severity_lists_critical_before_high),
        cmocka_unit_test(test_daily_active_total_excludes_lapsed),
        cmocka_unit_test(test_daily_enrichment_ignores_not_applicable),
        cmocka_unit_test(test_daily_items_carry_raw_values),
        cmocka_unit_test(test_daily_report_about_the_past),
        cmocka_unit_test(test_weekly_header_keys),
        cmocka_unit_test(test_weekly_new_compares_with_last_week),
        cmocka_unit_test(test_weekly_severity_trends_null_from_zero),
        cmocka_unit_test(test_weekly_top_types_cut_at_ten),
        cmocka_unit_test(test_weekly_top_sources_count_empty_as_unknown),
        cmocka_unit_test(test_weekly_user_activity_includes_users_without_iocs),
        cmocka_unit_test(test_weekly_expiring_soonest_first),
        cmocka_unit_test(test_weekly_enrichment_over_the_week),
        cmocka_unit_test(test_tlp_ceiling_withholds_and_labels),
        cmocka_unit_test(test_subject_carries_the_label_of_listed_items),
        cmocka_unit_test(test_bad_settings_are_config_errors),
        cmocka_unit_test(
            test_renderings_show_each_section_and_no_withheld_value),
        cmocka_unit_test(test_html_is_mail_client_safe),
        cmocka_unit_test(test_defang_off_shows_values_as_stored),
        cmocka_unit_test(test_template_dir_overrides_file_by_file),
        cmocka_unit_test(test_json_output_prints_one_decimal),
        cmocka_unit_test(test_query_plans_follow_the_window),
        cmocka_unit_test(test_rollups_and_edges_agree_with_the_rows),
        cmocka_unit_test(test_expiring_leaves_out_later_indicators),
    };
    /* Each on its own in-memory SQLite database. */
    const struct CMUnitTest standalone_tests[] = {
        cmocka_unit_test(test_empty_database_reports_zero_and_null),
        cmocka_unit_test(test_weekly_lists_ten_most_active_users),
        cmocka_unit_test(test_subject_and_period_key_use_the_time_zone),
    };
    static const struct backend sqlite = { "sqlite", DB_SQLITE, NULL };
    static struct backend postgresql = { "postgresql", DB_POSTGRES, NULL };
    const char *pg_url = getenv("IOCM_TEST_PG_URL");
    int failed;

    jsonx_init();
    failed = _cmocka_run_group_tests("report", standalone_tests,
                                     ARRAY_SIZE(standalone_tests), NULL, NULL);
    fx.be = &sqlite;
    failed += _cmocka_run_group_tests("report on sqlite", dataset_tests,
                                      ARRAY_SIZE(dataset_tests), setup_dataset,
                                      teardown_dataset);
    if (pg_url && *pg_url) {
        postgresql.url = pg_url;
        fx.be = &postgresql;
        failed += _cmocka_run_group_tests("report on postgresql", dataset_tests,
                                          ARRAY_SIZE(dataset_tests),
                                          setup_dataset, teardown_dataset);
    } else {
        printf("[ SKIPPED  ] report on postgresql: IOCM_TEST_PG_URL is not "
               "set (run the report-postgres test)\n");
        fflush(stdout);
    }
    return failed;
}
