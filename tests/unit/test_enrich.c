/*
 * Unit tests for the enrichment framework (src/enrich/): the registry, the
 * rate limiter's arithmetic on a fake clock, the HTTP and URL helpers, and
 * the session run with fake providers against a real store (SQLite, or
 * PostgreSQL when IOCM_TEST_PG_URL is set): results, attempts, cache TTL,
 * skips, back-off and the pending walk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/db.h"
#include "enrich/enrich.h"
#include "enrich/enrich_int.h"
#include "enrich_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* ---- registry and settings ---- */

static const struct {
    const char *name;
    enum enrich_slot slot;
    enum ioc_type type;
    bool applies;
} registry_cases[] = {
    { "geoip", ENRICH_GEOIP, IOC_TYPE_IPV4, true },
    { "geoip", ENRICH_GEOIP, IOC_TYPE_CIDR, true },
    { "geoip", ENRICH_GEOIP, IOC_TYPE_DOMAIN, false },
    { "asn", ENRICH_ASN, IOC_TYPE_IPV6, true },
    { "asn", ENRICH_ASN, IOC_TYPE_URL, false },
    { "dns", ENRICH_DNS, IOC_TYPE_DOMAIN, true },
    { "dns", ENRICH_DNS, IOC_TYPE_URL, true },
    { "dns", ENRICH_DNS, IOC_TYPE_IPV4, false },
    { "virustotal", ENRICH_VIRUSTOTAL, IOC_TYPE_SHA256, true },
    { "virustotal", ENRICH_VIRUSTOTAL, IOC_TYPE_URL, true },
    { "virustotal", ENRICH_VIRUSTOTAL, IOC_TYPE_IPV6, true },
    { "virustotal", ENRICH_VIRUSTOTAL, IOC_TYPE_SHA512, false },
    { "virustotal", ENRICH_VIRUSTOTAL, IOC_TYPE_CVE, false },
    { "abuseipdb", ENRICH_ABUSEIPDB, IOC_TYPE_IPV4, true },
    { "abuseipdb", ENRICH_ABUSEIPDB, IOC_TYPE_DOMAIN, false },
};

static void test_registry_finds_providers_by_name(void **state)
{
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(registry_cases); i++) {
        const struct enrich_provider *p =
            enrich_provider_find(registry_cases[i].name);

        assert_non_null(p);
        assert_string_equal(p->name, registry_cases[i].name);
        assert_int_equal(p->slot, registry_cases[i].slot);
        assert_string_equal(enrich_slot_name(p->slot), p->name);
        assert_int_equal(
            !!(p->applies_to & ENRICH_TYPE_BIT(registry_cases[i].type)),
            registry_cases[i].applies);
    }
    assert_null(enrich_provider_find("shodan"));
    assert_null(enrich_provider_find(""));
    while (enrich_providers[n])
        n++;
    assert_int_equal(n, ENRICH_MAX);
}

static void test_settings_defaults(void **state)
{
    struct enrich_settings s;

    (void)state;
    enrich_settings_init(&s);
    assert_string_equal(s.virustotal_api_url,
                        "https://www.virustotal.com/api/v3");
    assert_string_equal(s.abuseipdb_api_url, "https://api.abuseipdb.com");
    assert_null(s.geoip_db_path);
    assert_null(s.virustotal_api_key);
    assert_null(s.dns_server);
    assert_int_equal(s.rate_per_min[ENRICH_VIRUSTOTAL], 4);
    assert_int_equal(s.rate_per_min[ENRICH_GEOIP], 0);
    assert_int_equal(s.cache_days[ENRICH_VIRUSTOTAL], 7);
    assert_true(s.http_timeout_ms > 0 && s.dns_timeout_ms > 0);
    assert_string_equal(enrich_outcome_name(ENRICH_NOT_APPLICABLE),
                        "not_applicable");
    assert_string_equal(enrich_outcome_name(ENRICH_SUCCESS), "success");
    assert_string_equal(enrich_outcome_name(ENRICH_FAILURE), "failure");
}

/* ---- rate limiter ---- */

#define MAX_STEPS 8
static const struct {
    const char *name;
    long per_min, burst;
    struct {
        int64_t now_ms, want_wait_ms;
    } steps[MAX_STEPS];
    int nsteps;
} ratelimit_cases[] = {
    { "one a second, no burst",
      60,
      1,
      { { 0, 0 }, { 0, 1000 }, { 400, 600 }, { 1000, 0 }, { 1500, 500 } },
      5 },
    { "burst of three then spaced",
      60,
      3,
      { { 0, 0 },
        { 0, 0 },
        { 0, 0 },
        { 0, 1000 },
        { 1000, 0 },
        { 1000, 1000 } },
      6 },
    { "quota of 4 a minute spaces by 15 s",
      4,
      1,
      { { 5000, 0 }, { 6000, 14000 }, { 20000, 0 }, { 34999, 1 } },
      4 },
    { "idle time refills, up to the burst",
      60,
      2,
      { { 0, 0 }, { 0, 0 }, { 60000, 0 }, { 60000, 0 }, { 60000, 1000 } },
      5 },
    { "7 a minute rounds the interval up",
      7,
      1,
      { { 0, 0 }, { 8571, 1 }, { 8572, 0 } },
      3 },
    { "unlimited never waits", 0, 1, { { 0, 0 }, { 0, 0 }, { 0, 0 } }, 3 },
};

static void test_ratelimit_arithmetic(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(ratelimit_cases); i++) {
        struct enrich_ratelimit rl;

        enrich_ratelimit_init(&rl, ratelimit_cases[i].per_min,
                              ratelimit_cases[i].burst);
        for (int k = 0; k < ratelimit_cases[i].nsteps; k++) {
            int64_t got =
                enrich_ratelimit_take(&rl, ratelimit_cases[i].steps[k].now_ms);

            if (got != ratelimit_cases[i].steps[k].want_wait_ms)
                fail_msg("%s, step %d: waited %lld, want %lld",
                         ratelimit_cases[i].name, k, (long long)got,
                         (long long)ratelimit_cases[i].steps[k].want_wait_ms);
        }
    }
}

static void test_ratelimit_pause_delays_next_token(void **state)
{
    struct enrich_ratelimit rl;

    (void)state;
    enrich_ratelimit_init(&rl, 0, 1);
    enrich_ratelimit_pause(&rl, 5000);
    assert_int_equal(enrich_ratelimit_take(&rl, 1000), 4000);
    assert_int_equal(enrich_ratelimit_take(&rl, 5000), 0);
    assert_int_equal(enrich_ratelimit_take(&rl, 5000), 0);
}

/* Two sessions' settings with one clock draw from the same bucket. */
static void test_throttle_is_shared_by_the_process(void **state)
{
    struct tl_clock clock = { 1000000, 0, 0 };
    struct enrich_settings a, b;

    (void)state;
    enrich_throttle_reset();
    enrich_settings_init(&a);
    a.clock_ms = tl_clock_ms;
    a.sleep_ms = tl_sleep_ms;
    a.clock_data = &clock;
    a.rate_per_min[ENRICH_VIRUSTOTAL] = 6; /* one each 10 s */
    b = a;
    enrich_throttle(&a, ENRICH_VIRUSTOTAL);
    assert_int_equal(clock.slept_ms, 0);
    enrich_throttle(&b, ENRICH_VIRUSTOTAL);
    assert_int_equal(clock.slept_ms, 10000);
    enrich_throttle(&a, ENRICH_VIRUSTOTAL);
    assert_int_equal(clock.slept_ms, 20000);
    /* Another provider's bucket is its own. */
    enrich_throttle(&a, ENRICH_DNS);
    assert_int_equal(clock.slept_ms, 20000);
    /* A pause an API asked for holds back everyone. */
    enrich_throttle_pause(ENRICH_VIRUSTOTAL, clock.now_ms + 30000);
    enrich_throttle(&b, ENRICH_VIRUSTOTAL);
    assert_int_equal(clock.slept_ms, 50000);
    enrich_throttle_reset();
}

/* ---- HTTP and URL helpers ---- */

static const struct {
    const char *host;
    bool is_loopback;
} loopback_cases[] = {
    { "localhost", true },
    { "LocalHost", true },
    { "127.0.0.1", true },
    { "127.255.3.4", true },
    { "::1", true },
    { "[::1]", true },
    { "::ffff:127.0.0.1", true },
    { "128.0.0.1", false },
    { "10.0.0.1", false },
    { "::2", false },
    { "localhost.evil.example", false },
    { "www.virustotal.com", false },
};

static void test_loopback_hosts(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(loopback_cases); i++)
        if (enrich_host_is_loopback(loopback_cases[i].host) !=
            loopback_cases[i].is_loopback)
            fail_msg("%s: want %d", loopback_cases[i].host,
                     loopback_cases[i].is_loopback);
}

static const struct {
    const char *url;
    int want; /* 0 or IOCM_ECONFIG */
    const char *msg_part;
} check_url_cases[] = {
    { "https://www.virustotal.com/api/v3", 0, NULL },
    { "https://10.1.2.3:8443", 0, NULL },
    { "http://127.0.0.1:8080/api/v3", 0, NULL },
    { "http://localhost/api", 0, NULL },
    { "http://[::1]:9000", 0, NULL },
    { "http://www.virustotal.com/api/v3", IOCM_ECONFIG,
      "refusing to send the VirusTotal API key in clear text to "
      "'www.virustotal.com'" },
    { "http://192.168.1.10/", IOCM_ECONFIG, "in clear text" },
    { "ftp://files.example/", IOCM_ECONFIG, "not http or https" },
    { "not a url", IOCM_ECONFIG, "invalid VirusTotal API URL" },
    { "", IOCM_ECONFIG, "no VirusTotal API URL" },
};

static void test_api_key_only_over_tls_or_loopback(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(check_url_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        int rc =
            enrich_http_check_url("VirusTotal", check_url_cases[i].url, &err);

        if (rc != check_url_cases[i].want)
            fail_msg("%s: rc %d (%s)", check_url_cases[i].url, rc, err.msg);
        if (check_url_cases[i].msg_part &&
            !strstr(err.msg, check_url_cases[i].msg_part))
            fail_msg("%s: message '%s'", check_url_cases[i].url, err.msg);
    }
}

static const struct {
    const char *in, *out;
} base64url_cases[] = {
    /* RFC 4648 §10 vectors, unpadded, and the URL alphabet's two. */
    { "", "" },
    { "f", "Zg" },
    { "fo", "Zm8" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg" },
    { "fooba", "Zm9vYmE" },
    { "foobar", "Zm9vYmFy" },
    { "\xfb\xff", "-_8" },
    { "http://ok.example/path", "aHR0cDovL29rLmV4YW1wbGUvcGF0aA" },
};

static void test_base64url_without_padding(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(base64url_cases); i++) {
        struct strbuf sb = STRBUF_INIT;

        enrich_base64url(base64url_cases[i].in, strlen(base64url_cases[i].in),
                         &sb);
        assert_string_equal(sb.buf, base64url_cases[i].out);
        strbuf_release(&sb);
    }
}

static const struct {
    const char *url, *host;
    bool is_address;
} url_host_cases[] = {
    { "https://Evil.Example/path?q=1", "evil.example", false },
    { "http://user:pw@a.b.example:8080/", "a.b.example", false },
    { "ftp://files.example/x", "files.example", false },
    { "http://198.51.100.7/x", "198.51.100.7", true },
    { "http://[2001:db8::1]:81/", "2001:db8::1", true },
    { "not a url", NULL, false },
};

static void test_url_host(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(url_host_cases); i++) {
        struct strbuf host = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        bool is_address = false;
        int rc =
            enrich_url_host(url_host_cases[i].url, &host, &is_address, &err);

        if (!url_host_cases[i].host) {
            assert_int_equal(rc, IOCM_EINVAL);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(host.buf, url_host_cases[i].host);
            assert_int_equal(is_address, url_host_cases[i].is_address);
        }
        strbuf_release(&host);
    }
}

static void test_url_join_trims_slashes(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    enrich_url_join(&sb, "http://127.0.0.1:1/api/v3//", "/files/x");
    assert_string_equal(sb.buf, "http://127.0.0.1:1/api/v3/files/x");
    strbuf_release(&sb);
}

static void test_redact_removes_every_copy_of_a_secret(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    iocm_fail(&err, IOCM_ENET, "bad key s3cr3t (s3cr3t) end");
    enrich_err_redact(&err, "s3cr3t");
    assert_string_equal(err.msg, "bad key *** (***) end");
    enrich_err_redact(&err, "");
    enrich_err_redact(&err, NULL);
    enrich_err_redact(NULL, "x");
    assert_string_equal(err.msg, "bad key *** (***) end");
}

/* ---- the framework, with fake providers ---- */

#define FAKE_SCRIPT_MAX 8

/* What a fake provider does: its init, then outcomes call by call (the
 * last one repeats). */
struct fake {
    int init_mode; /* 0 ready, 1 not configured, 2 configuration error */
    enum enrich_outcome script[FAKE_SCRIPT_MAX];
    long retry_after[FAKE_SCRIPT_MAX];
    int nscript;
    int calls;
    int inits, cleanups;
};

static struct fake alpha, beta;

static int fake_init(struct fake *f, void **state, struct strbuf *note,
                     struct iocm_err *err)
{
    f->inits++;
    *state = f;
    if (f->init_mode == 1)
        strbuf_addstr(note, "no API key (FAKE_API_KEY is not set)");
    if (f->init_mode == 2)
        return iocm_fail(err, IOCM_ECONFIG, "FAKE_URL is broken");
    return 0;
}

static int alpha_init(const struct enrich_settings *s, void **state,
                      struct strbuf *note, struct iocm_err *err)
{
    (void)s;
    return fake_init(&alpha, state, note, err);
}

static int beta_init(const struct enrich_settings *s, void **state,
                     struct strbuf *note, struct iocm_err *err)
{
    (void)s;
    return fake_init(&beta, state, note, err);
}

static enum enrich_outcome fake_lookup(void *state, enum ioc_type type,
                                       const char *value,
                                       struct enrich_answer *ans,
                                       struct iocm_err *err)
{
    struct fake *f = state;
    int k = f->calls < f->nscript ? f->calls : f->nscript - 1;

    (void)type;
    f->calls++;
    switch (f->script[k]) {
    case ENRICH_SUCCESS:
        ans->result = json_pack("{s:s, s:i}", "value", value, "call", f->calls);
        break;
    case ENRICH_FAILURE:
        iocm_fail(err, IOCM_ENET, "fake failure for '%s'", value);
        break;
    case ENRICH_RATE_LIMITED:
        ans->retry_after = f->retry_after[k];
        break;
    default:
        break;
    }
    return f->script[k];
}

static void fake_cleanup(void *state)
{
    struct fake *f = state;

    if (f)
        f->cleanups++;
}

static const struct enrich_provider alpha_provider = {
    .name = "alpha",
    .slot = ENRICH_GEOIP,
    .applies_to =
        ENRICH_TYPE_BIT(IOC_TYPE_IPV4) | ENRICH_TYPE_BIT(IOC_TYPE_DOMAIN),
    .init = alpha_init,
    .lookup = fake_lookup,
    .cleanup = fake_cleanup,
};

static const struct enrich_provider beta_provider = {
    .name = "beta",
    .slot = ENRICH_ASN,
    .applies_to = ENRICH_TYPE_BIT(IOC_TYPE_MD5),
    .init = beta_init,
    .lookup = fake_lookup,
    .cleanup = fake_cleanup,
};

static const struct enrich_provider *const fake_providers[] = {
    &alpha_provider,
    &beta_provider,
    NULL,
};

#define MAX_EVENTS 32

struct fixture {
    struct test_store store;
    struct enrich_settings settings;
    struct tl_clock clock;
    struct enrich_session *es;
    struct enrich_summary sum;
    struct {
        int64_t ioc_id;
        char provider[16];
        enum enrich_outcome outcome;
    } events[MAX_EVENTS];
    int nevents;
    int64_t progress[MAX_EVENTS][2];
    int nprogress;
};

#define NOW 1796371200 /* 2026-12-04T08:00:00Z */
#define DAY 86400

static void on_event(void *data, const struct enrich_event *ev)
{
    struct fixture *fx = data;

    if (fx->nevents == MAX_EVENTS)
        return;
    fx->events[fx->nevents].ioc_id = ev->ioc_id;
    snprintf(fx->events[fx->nevents].provider,
             sizeof(fx->events[fx->nevents].provider), "%s", ev->provider);
    fx->events[fx->nevents].outcome = ev->outcome;
    fx->nevents++;
}

static void on_progress(void *data, int64_t done, int64_t total)
{
    struct fixture *fx = data;

    if (fx->nprogress == MAX_EVENTS)
        return;
    fx->progress[fx->nprogress][0] = done;
    fx->progress[fx->nprogress][1] = total;
    fx->nprogress++;
}

static void set_script(struct fake *f, int n, const enum enrich_outcome *s,
                       const long *retry_after)
{
    f->nscript = n;
    for (int i = 0; i < n; i++) {
        f->script[i] = s[i];
        f->retry_after[i] = retry_after ? retry_after[i] : -1;
    }
}

static int setup(void **state)
{
    static const enum enrich_outcome ok[] = { ENRICH_SUCCESS };
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct iocm_err err = IOCM_ERR_INIT;

    memset(&alpha, 0, sizeof(alpha));
    memset(&beta, 0, sizeof(beta));
    set_script(&alpha, 1, ok, NULL);
    set_script(&beta, 1, ok, NULL);
    tl_store_open(&fx->store);
    enrich_throttle_reset();
    enrich_settings_init(&fx->settings);
    fx->clock.now_ms = 1000;
    fx->settings.clock_ms = tl_clock_ms;
    fx->settings.sleep_ms = tl_sleep_ms;
    fx->settings.clock_data = &fx->clock;
    fx->settings.cache_days[ENRICH_GEOIP] = 7; /* alpha */
    fx->settings.cache_days[ENRICH_ASN] = 0;   /* beta: no cache */
    fx->settings.rate_per_min[ENRICH_GEOIP] = 0;
    fx->settings.rate_per_min[ENRICH_ASN] = 0;
    if (enrich_session_new_with(fx->store.db, &fx->settings, fake_providers,
                                &fx->es, &err) < 0)
        fail_msg("session: %s", err.msg);
    enrich_session_set_observer(fx->es, on_event, fx);
    enrich_summary_init(&fx->sum);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    enrich_session_free(fx->es);
    enrich_summary_release(&fx->sum);
    test_store_close(&fx->store);
    enrich_throttle_reset();
    free(fx);
    return 0;
}

/* Runs enrich_ioc and expects it to succeed. */
static void run_ok(struct fixture *fx, int64_t id, enum ioc_type type,
                   const char *value, const char *only, bool force, int64_t now)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (enrich_ioc(fx->es, id, type, value, only, force, now, &fx->sum, &err) !=
        0)
        fail_msg("enrich %s: %s", value, err.msg);
}

static void test_success_stores_result_and_attempt(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t id = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
    json_t *r;

    assert_int_equal(tl_is_enriched(db, id), 0);
    run_ok(fx, id, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
    assert_int_equal(fx->sum.iocs, 1);
    assert_int_equal(fx->sum.succeeded, 1);
    assert_int_equal(fx->sum.failed, 0);
    assert_int_equal(tl_attempts(db, id, "alpha", "success"), 1);
    assert_int_equal(tl_attempts_total(db), 1); /* beta: md5 only */
    assert_int_equal(tl_fetched_at(db, id, "alpha"), NOW);
    r = tl_result(db, id, "alpha");
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "value")),
                        "198.51.100.7");
    json_decref(r);
    assert_int_equal(tl_is_enriched(db, id), 1);
    assert_int_equal(fx->nevents, 1);
    assert_string_equal(fx->events[0].provider, "alpha");
    assert_int_equal(fx->events[0].outcome, ENRICH_SUCCESS);
}

static void test_failure_records_error_and_keeps_old_result(void **state)
{
    static const enum enrich_outcome fail_next[] = { ENRICH_SUCCESS,
                                                     ENRICH_FAILURE };
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t id = tl_add_ioc(db, "md5", "44d88612fea8a8f36de82e1278abb02f", 2);
    char *error;

    set_script(&beta, 2, fail_next, NULL);
    run_ok(fx, id, IOC_TYPE_MD5, "44d88612fea8a8f36de82e1278abb02f", NULL,
           false, NOW);
    /* beta caches nothing, so the next run fetches again, and fails. */
    run_ok(fx, id, IOC_TYPE_MD5, "44d88612fea8a8f36de82e1278abb02f", NULL,
           false, NOW + 60);
    assert_int_equal(fx->sum.succeeded, 1);
    assert_int_equal(fx->sum.failed, 1);
    assert_int_equal(tl_attempts(db, id, "beta", "success"), 1);
    assert_int_equal(tl_attempts(db, id, "beta", "failure"), 1);
    error = tl_attempt_error(db, id, "beta");
    assert_string_equal(error,
                        "fake failure for '44d88612fea8a8f36de82e1278abb02f'");
    free(error);
    /* The earlier success stays, with its own time. */
    assert_int_equal(tl_fetched_at(db, id, "beta"), NOW);
}

static void test_cache_ttl_skips_fresh_results_unless_forced(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t id = tl_add_ioc(db, "domain", "evil.example", 2);

    run_ok(fx, id, IOC_TYPE_DOMAIN, "evil.example", NULL, false, NOW);
    /* Within alpha's 7 days: nothing fetched, nothing recorded. */
    run_ok(fx, id, IOC_TYPE_DOMAIN, "evil.example", NULL, false,
           NOW + 7 * DAY - 1);
    assert_int_equal(alpha.calls, 1);
    assert_int_equal(fx->sum.cached, 1);
    assert_int_equal(tl_attempts(db, id, "alpha", NULL), 1);
    /* force fetches within the TTL. */
    run_ok(fx, id, IOC_TYPE_DOMAIN, "evil.example", "alpha", true, NOW + DAY);
    assert_int_equal(alpha.calls, 2);
    assert_int_equal(tl_fetched_at(db, id, "alpha"), NOW + DAY);
    /* Past the TTL of the newest result: fetched again. */
    run_ok(fx, id, IOC_TYPE_DOMAIN, "evil.example", NULL, false,
           NOW + 8 * DAY + 1);
    assert_int_equal(alpha.calls, 3);
    assert_int_equal(tl_attempts(db, id, "alpha", "success"), 3);
    assert_int_equal(fx->sum.succeeded, 3);
}

static void test_named_provider_records_not_applicable(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t id = tl_add_ioc(db, "cve", "cve-2024-3094", 2);

    /* All providers: the inapplicable ones are simply not run. */
    run_ok(fx, id, IOC_TYPE_CVE, "cve-2024-3094", NULL, false, NOW);
    assert_int_equal(tl_attempts_total(db), 0);
    assert_int_equal(fx->sum.not_applicable, 0);
    /* Named: it owes an answer, and says it cannot give one. */
    run_ok(fx, id, IOC_TYPE_CVE, "cve-2024-3094", "beta", false, NOW);
    assert_int_equal(tl_attempts(db, id, "beta", "not_applicable"), 1);
    assert_int_equal(tl_attempts_total(db), 1);
    assert_int_equal(fx->sum.not_applicable, 1);
    assert_int_equal(alpha.calls + beta.calls, 0);
    /* Never prepared for nothing. */
    assert_int_equal(beta.inits, 0);
}

static void test_unconfigured_provider_is_skipped_with_a_note(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t a = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
    int64_t b = tl_add_ioc(db, "ipv4", "198.51.100.8", 2);

    alpha.init_mode = 1;
    run_ok(fx, a, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
    run_ok(fx, b, IOC_TYPE_IPV4, "198.51.100.8", "alpha", false, NOW);
    assert_int_equal(tl_attempts_total(db), 0);
    assert_int_equal(alpha.calls, 0);
    assert_int_equal(alpha.inits, 1);
    assert_int_equal(fx->sum.failed + fx->sum.succeeded, 0);
    assert_int_equal(fx->sum.notes.nr, 1);
    assert_string_equal(fx->sum.notes.v[0],
                        "alpha: skipped: no API key (FAKE_API_KEY is not "
                        "set)");
    assert_int_equal(fx->events[0].outcome, ENRICH_SKIPPED);
}

static void test_configuration_error_fails_the_run(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id =
        tl_add_ioc(fx->store.db, "md5", "44d88612fea8a8f36de82e1278abb02f", 2);

    beta.init_mode = 2;
    assert_int_equal(enrich_ioc(fx->es, id, IOC_TYPE_MD5,
                                "44d88612fea8a8f36de82e1278abb02f", NULL, false,
                                NOW, &fx->sum, &err),
                     IOCM_ECONFIG);
    assert_string_equal(err.msg, "beta: FAKE_URL is broken");
    assert_int_equal(tl_attempts_total(fx->store.db), 0);
}

static void test_unknown_provider_name_is_invalid(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    assert_int_equal(enrich_ioc(fx->es, 1, IOC_TYPE_IPV4, "198.51.100.7",
                                "shodan", false, NOW, &fx->sum, &err),
                     IOCM_EINVAL);
    assert_string_equal(err.msg, "unknown enrichment provider 'shodan' "
                                 "(known: alpha, beta)");
    assert_int_equal(
        enrich_pending(fx->es, "shodan", NOW, NULL, NULL, &fx->sum, &err),
        IOCM_EINVAL);
    assert_int_equal(fx->sum.iocs, 0);
}

static void test_short_back_off_is_waited_out(void **state)
{
    static const enum enrich_outcome script[] = { ENRICH_RATE_LIMITED,
                                                  ENRICH_RATE_LIMITED,
                                                  ENRICH_SUCCESS };
    static const long waits[] = { 2, 3, -1 };
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    int64_t id = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);

    set_script(&alpha, 3, script, waits);
    run_ok(fx, id, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
    assert_int_equal(alpha.calls, 3);
    assert_int_equal(fx->clock.slept_ms, 5000);
    assert_int_equal(fx->sum.succeeded, 1);
    assert_int_equal(fx->sum.deferred, 0);
    /* The 429s were not the indicator's failures. */
    assert_int_equal(tl_attempts(db, id, "alpha", NULL), 1);
    assert_int_equal(tl_attempts(db, id, "alpha", "success"), 1);
}

static const struct {
    const char *name;
    long retry_after;
    int calls; /* lookups before the provider is parked */
    const char *note;
} park_cases[] = {
    { "Retry-After beyond patience", 3600, 1,
      "alpha: rate limited by the API (retry after 3600 s); the remaining "
      "indicators are left for a later run" },
    { "no Retry-After", -1, 1,
      "alpha: rate limited by the API; the remaining indicators are left "
      "for a later run" },
    { "429 after every retry", 0, 3,
      "alpha: rate limited by the API (retry after 0 s); the remaining "
      "indicators are left for a later run" },
};

static void test_long_back_off_defers_and_parks(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < ARRAY_SIZE(park_cases); i++) {
        static const enum enrich_outcome limited[] = { ENRICH_RATE_LIMITED };
        struct db *db;
        int64_t a, b;

        if (i) {
            teardown(state);
            setup(state);
            fx = *state;
        }
        db = fx->store.db;
        a = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
        b = tl_add_ioc(db, "domain", "evil.example", 2);
        set_script(&alpha, 1, limited, &park_cases[i].retry_after);
        run_ok(fx, a, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
        run_ok(fx, b, IOC_TYPE_DOMAIN, "evil.example", NULL, false, NOW);
        if (alpha.calls != park_cases[i].calls)
            fail_msg("%s: %d calls", park_cases[i].name, alpha.calls);
        assert_int_equal(fx->sum.deferred, 2);
        assert_int_equal(tl_attempts_total(db), 0);
        assert_null(tl_result(db, a, "alpha"));
        assert_int_equal(fx->sum.notes.nr, 1);
        assert_string_equal(fx->sum.notes.v[0], park_cases[i].note);
        assert_int_equal(fx->events[1].outcome, ENRICH_RATE_LIMITED);
    }
}

static void test_pending_walks_active_unenriched_in_id_order(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t ip = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
    int64_t draft = tl_add_ioc(db, "domain", "draft.example", 0);
    int64_t hash = tl_add_ioc(db, "md5", "44d88612fea8a8f36de82e1278abb02f", 2);
    int64_t name = tl_add_ioc(db, "filename", "evil.exe", 2);
    int64_t fresh = tl_add_ioc(db, "domain", "fresh.example", 2);
    int64_t expired = tl_add_ioc(db, "ipv4", "198.51.100.9", 4);

    (void)draft;
    (void)name;
    (void)expired;
    run_ok(fx, fresh, IOC_TYPE_DOMAIN, "fresh.example", NULL, false, NOW - DAY);
    fx->nevents = 0;
    assert_int_equal(
        enrich_pending(fx->es, NULL, NOW, on_progress, fx, &fx->sum, &err), 0);
    assert_int_equal(fx->nevents, 2);
    assert_int_equal(fx->events[0].ioc_id, ip);
    assert_string_equal(fx->events[0].provider, "alpha");
    assert_int_equal(fx->events[1].ioc_id, hash);
    assert_string_equal(fx->events[1].provider, "beta");
    assert_int_equal(fx->nprogress, 2);
    assert_int_equal(fx->progress[0][0], 1);
    assert_int_equal(fx->progress[0][1], 2);
    assert_int_equal(fx->progress[1][0], 2);
    assert_int_equal(fx->progress[1][1], 2);
    /* Within alpha's TTL nothing of alpha's is pending again; beta
     * caches nothing, so its indicator always is. */
    fx->nevents = 0;
    fx->nprogress = 0;
    assert_int_equal(enrich_pending(fx->es, "alpha", NOW + 60, on_progress, fx,
                                    &fx->sum, &err),
                     0);
    assert_int_equal(fx->nevents, 0);
    assert_int_equal(fx->nprogress, 0);
    assert_int_equal(
        enrich_pending(fx->es, NULL, NOW + 60, NULL, NULL, &fx->sum, &err), 0);
    assert_int_equal(fx->nevents, 1);
    assert_int_equal(fx->events[0].ioc_id, hash);
    /* Past alpha's TTL, its indicators are pending again. */
    fx->nevents = 0;
    assert_int_equal(enrich_pending(fx->es, "alpha", NOW + 8 * DAY, NULL, NULL,
                                    &fx->sum, &err),
                     0);
    assert_int_equal(fx->nevents, 2);
    assert_int_equal(fx->events[0].ioc_id, ip);
    assert_int_equal(fx->events[1].ioc_id, fresh);
}

static void test_pending_ignores_unconfigured_providers(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t hash;

    tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
    hash = tl_add_ioc(db, "md5", "44d88612fea8a8f36de82e1278abb02f", 2);
    alpha.init_mode = 1;
    assert_int_equal(
        enrich_pending(fx->es, NULL, NOW, on_progress, fx, &fx->sum, &err), 0);
    assert_int_equal(fx->sum.iocs, 1);
    assert_int_equal(fx->nprogress, 1);
    assert_int_equal(fx->progress[0][1], 1);
    assert_int_equal(fx->events[0].ioc_id, hash);
    assert_int_equal(fx->sum.notes.nr, 1);
    assert_int_equal(alpha.calls, 0);
}

/* More pending indicators than one batch reads. */
static void test_pending_reads_in_batches(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    struct iocm_err err = IOCM_ERR_INIT;
    char value[32];
    int n = 450;

    assert_int_equal(db_begin(db, &err), 0);
    for (int i = 0; i < n; i++) {
        snprintf(value, sizeof(value), "10.0.%d.%d", i / 250, i % 250);
        tl_add_ioc(db, "ipv4", value, 2);
    }
    assert_int_equal(db_commit(db, &err), 0);
    enrich_session_set_observer(fx->es, NULL, NULL);
    assert_int_equal(
        enrich_pending(fx->es, "alpha", NOW, on_progress, fx, &fx->sum, &err),
        0);
    assert_int_equal(fx->sum.iocs, n);
    assert_int_equal(fx->sum.succeeded, n);
    assert_int_equal(alpha.calls, n);
    assert_int_equal(tl_attempts_total(db), n);
}

static void test_results_for_lists_each_provider(void **state)
{
    struct fixture *fx = *state;
    struct db *db = fx->store.db;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = tl_add_ioc(db, "ipv4", "198.51.100.7", 2);
    json_t *all = NULL, *entry;

    assert_int_equal(enrich_results_for(db, id, &all, &err), 0);
    assert_true(json_is_object(all));
    assert_int_equal(json_object_size(all), 0);
    json_decref(all);
    run_ok(fx, id, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
    assert_int_equal(enrich_results_for(db, id, &all, &err), 0);
    assert_int_equal(json_object_size(all), 1);
    entry = json_object_get(all, "alpha");
    assert_string_equal(json_string_value(json_object_get(entry, "fetched_at")),
                        "2026-12-04T08:00:00Z");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(entry, "result"), "value")),
                        "198.51.100.7");
    json_decref(all);
}

static void test_session_cleans_up_prepared_providers(void **state)
{
    struct fixture *fx = *state;
    int64_t id = tl_add_ioc(fx->store.db, "ipv4", "198.51.100.7", 2);

    run_ok(fx, id, IOC_TYPE_IPV4, "198.51.100.7", NULL, false, NOW);
    run_ok(fx, id, IOC_TYPE_IPV4, "198.51.100.7", NULL, true, NOW);
    enrich_session_free(fx->es);
    fx->es = NULL;
    assert_int_equal(alpha.inits, 1);
    assert_int_equal(alpha.cleanups, 1);
    assert_int_equal(beta.inits, 0);
    assert_int_equal(beta.cleanups, 0);
}

int main(void)
{
    static const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_registry_finds_providers_by_name),
        cmocka_unit_test(test_settings_defaults),
        cmocka_unit_test(test_ratelimit_arithmetic),
        cmocka_unit_test(test_ratelimit_pause_delays_next_token),
        cmocka_unit_test(test_throttle_is_shared_by_the_process),
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_api_key_only_over_tls_or_loopback),
        cmocka_unit_test(test_base64url_without_padding),
        cmocka_unit_test(test_url_host),
        cmocka_unit_test(test_url_join_trims_slashes),
        cmocka_unit_test(test_redact_removes_every_copy_of_a_secret),
    };
    static const struct CMUnitTest store[] = {
        cmocka_unit_test_setup_teardown(test_success_stores_result_and_attempt,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_failure_records_error_and_keeps_old_result, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cache_ttl_skips_fresh_results_unless_forced, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_named_provider_records_not_applicable, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_unconfigured_provider_is_skipped_with_a_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configuration_error_fails_the_run,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_provider_name_is_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_back_off_is_waited_out,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_back_off_defers_and_parks,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pending_walks_active_unenriched_in_id_order, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pending_ignores_unconfigured_providers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_reads_in_batches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_results_for_lists_each_provider,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_session_cleans_up_prepared_providers, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("enrich", pure, NULL, NULL);

    failed += _cmocka_run_group_tests(tl_store_kind(), store, ARRAY_SIZE(store),
                                      NULL, NULL);
    return failed;
}
