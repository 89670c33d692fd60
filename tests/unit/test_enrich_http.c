/*
 * Integration tests of the virustotal and abuseipdb providers against a
 * real HTTP server on loopback (tests/enrich/fake_api_server.py, given as
 * argv[1]) that answers like the APIs do: each outcome (report, 404,
 * 429, 500, time-out, malformed JSON, wrong key) must land in
 * enrich_attempts exactly as the framework promises.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "enrich/enrich.h"
#include "enrich_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define PYTHON      "/usr/bin/python3"
#define VT_KEY      "vt-secret-key-123"
#define ABUSE_KEY   "abuse-secret-key-456"
#define TIMEOUT_MS  1000
#define NOW         1796371200
#define MISSING_KEY "wrong-key-789"

static const char *server_script = "tests/enrich/fake_api_server.py";
static struct tl_proc server = { -1, -1 };
static char base_url[64];

static int start_server(void **state)
{
    char *argv[] = { PYTHON, (char *)server_script, "--vt-key",
                     VT_KEY, "--abuseipdb-key",     ABUSE_KEY,
                     NULL };
    char port[16];

    (void)state;
    if (tl_proc_start(&server, argv, port, sizeof(port), 10000) < 0 ||
        atoi(port) <= 0) {
        fprintf(stderr, "cannot start %s %s\n", PYTHON, server_script);
        tl_proc_stop(&server);
        return -1;
    }
    snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%s", port);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    tl_proc_stop(&server);
    return 0;
}

static size_t collect(char *data, size_t size, size_t n, void *sb)
{
    strbuf_add(sb, data, size * n);
    return size * n;
}

/* The requests the server has seen about value. */
static int64_t requests_about(const char *value)
{
    struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
    CURL *c = curl_easy_init();
    char *esc = curl_easy_escape(c, value, 0);
    json_t *j;
    int64_t n;

    strbuf_addf(&url, "%s/_count?value=%s", base_url, esc);
    curl_easy_setopt(c, CURLOPT_URL, url.buf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(c) != CURLE_OK)
        fail_msg("cannot ask the fake server for its counts");
    j = json_loads(body.buf, 0, NULL);
    n = json_integer_value(json_object_get(j, "count"));
    json_decref(j);
    curl_free(esc);
    curl_easy_cleanup(c);
    strbuf_release(&url);
    strbuf_release(&body);
    return n;
}

struct fixture {
    struct test_store store;
    struct enrich_settings s;
    struct strbuf vt_url;
    struct enrich_session *es;
    struct enrich_summary sum;
    enum enrich_outcome last;
    char last_error[512];
};

static void on_event(void *data, const struct enrich_event *ev)
{
    struct fixture *fx = data;

    fx->last = ev->outcome;
    snprintf(fx->last_error, sizeof(fx->last_error), "%s",
             ev->error ? ev->error : "");
}

static void fixture_open(struct fixture *fx, const char *vt_key,
                         const char *abuse_key)
{
    struct iocm_err err = IOCM_ERR_INIT;

    memset(fx, 0, sizeof(*fx));
    tl_store_open(&fx->store);
    strbuf_init(&fx->vt_url, 0);
    strbuf_addf(&fx->vt_url, "%s/api/v3", base_url);
    enrich_settings_init(&fx->s);
    fx->s.virustotal_api_key = vt_key;
    fx->s.virustotal_api_url = fx->vt_url.buf;
    fx->s.abuseipdb_api_key = abuse_key;
    fx->s.abuseipdb_api_url = base_url;
    fx->s.http_timeout_ms = TIMEOUT_MS;
    /* Tests use loopback only, should a case ever reach the dns provider. */
    fx->s.dns_server = "127.0.0.1:1";
    fx->s.dns_timeout_ms = 1000;
    fx->s.rate_per_min[ENRICH_VIRUSTOTAL] = 0;
    fx->s.rate_per_min[ENRICH_ABUSEIPDB] = 0;
    if (enrich_session_new(fx->store.db, &fx->s, &fx->es, &err) < 0)
        fail_msg("session: %s", err.msg);
    enrich_session_set_observer(fx->es, on_event, fx);
    enrich_summary_init(&fx->sum);
}

static void fixture_close(struct fixture *fx)
{
    enrich_session_free(fx->es);
    enrich_summary_release(&fx->sum);
    strbuf_release(&fx->vt_url);
    test_store_close(&fx->store);
}

static const struct {
    const char *provider;
    const char *type;
    enum ioc_type t;
    const char *value;
    enum enrich_outcome want;
    const char *recorded; /* outcome in enrich_attempts; NULL: none */
    const char *error;    /* the recorded error starts with this */
    const char *key;      /* a result member to check... */
    const char *str;      /* ...as a string */
    json_int_t num;       /* ...or as an integer when str is NULL */
    int64_t requests;     /* requests the server saw about value */
} cases[] = {
    { "virustotal", "md5", IOC_TYPE_MD5, "44d88612fea8a8f36de82e1278abb02f",
      ENRICH_SUCCESS, "success", NULL, "meaningful_name", "eicar.com", 0, 1 },
    { "virustotal", "sha256", IOC_TYPE_SHA256,
      "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
      ENRICH_SUCCESS, "success", NULL, "malicious", NULL, 5, 1 },
    { "virustotal", "url", IOC_TYPE_URL, "http://ok.example/path",
      ENRICH_SUCCESS, "success", NULL, "reputation", NULL, -12, 1 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "ok.example", ENRICH_SUCCESS,
      "success", NULL, "suspicious", NULL, 1, 1 },
    { "virustotal", "ipv4", IOC_TYPE_IPV4, "192.0.2.1", ENRICH_SUCCESS,
      "success", NULL, "malicious", NULL, 5, 1 },
    { "virustotal", "ipv6", IOC_TYPE_IPV6, "2001:db8::1", ENRICH_SUCCESS,
      "success", NULL, "reputation", NULL, -12, 1 },
    /* Unknown to VirusTotal: a success that says so. */
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "missing.example",
      ENRICH_SUCCESS, "success", NULL, NULL, NULL, 0, 1 },
    /* One 429 with Retry-After: 0 is waited out. */
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "once.example", ENRICH_SUCCESS,
      "success", NULL, "malicious", NULL, 5, 2 },
    /* 429 on the first request and both retries: deferred, not failed. */
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "limited.example",
      ENRICH_RATE_LIMITED, NULL, NULL, NULL, NULL, 0, 3 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "longwait.example",
      ENRICH_RATE_LIMITED, NULL, NULL, NULL, NULL, 0, 1 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "noretry.example",
      ENRICH_RATE_LIMITED, NULL, NULL, NULL, NULL, 0, 1 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "broken.example", ENRICH_FAILURE,
      "failure", "VirusTotal answered HTTP 500: Something went wrong", NULL,
      NULL, 0, 1 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "slow.example", ENRICH_FAILURE,
      "failure", "VirusTotal did not answer within 1000 ms", NULL, NULL, 0, 1 },
    { "virustotal", "domain", IOC_TYPE_DOMAIN, "garbage.example",
      ENRICH_FAILURE, "failure", "malformed response from VirusTotal: ", NULL,
      NULL, 0, 1 },
    /* Named but inapplicable: recorded, and nothing is sent. */
    { "virustotal", "sha512", IOC_TYPE_SHA512,
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d1"
      "3c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
      ENRICH_NOT_APPLICABLE, "not_applicable", NULL, NULL, NULL, 0, 0 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.1", ENRICH_SUCCESS,
      "success", NULL, "abuse_confidence_score", NULL, 87, 1 },
    { "abuseipdb", "ipv6", IOC_TYPE_IPV6, "2001:db8::1", ENRICH_SUCCESS,
      "success", NULL, "isp", "Example Hosting B.V.", 0, 1 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.5", ENRICH_RATE_LIMITED,
      NULL, NULL, NULL, NULL, 0, 3 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.6", ENRICH_FAILURE,
      "failure", "AbuseIPDB answered HTTP 500: Internal server error", NULL,
      NULL, 0, 1 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.7", ENRICH_FAILURE,
      "failure", "AbuseIPDB did not answer within 1000 ms", NULL, NULL, 0, 1 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.8", ENRICH_FAILURE,
      "failure", "malformed response from AbuseIPDB: ", NULL, NULL, 0, 1 },
    { "abuseipdb", "ipv4", IOC_TYPE_IPV4, "192.0.2.9", ENRICH_FAILURE,
      "failure", "AbuseIPDB answered HTTP 422: The ip address must be a valid",
      NULL, NULL, 0, 1 },
    { "abuseipdb", "domain", IOC_TYPE_DOMAIN, "ok.example",
      ENRICH_NOT_APPLICABLE, "not_applicable", NULL, NULL, NULL, 0, 0 },
};

static void test_each_api_answer_is_recorded_as_promised(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct fixture fx;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t before = requests_about(cases[i].value);
        int64_t started, elapsed, id;
        char *error;
        json_t *r;

        fixture_open(&fx, VT_KEY, ABUSE_KEY);
        id = tl_add_ioc(fx.store.db, cases[i].type, cases[i].value, 2);
        started = tl_now_ms();
        if (enrich_ioc(fx.es, id, cases[i].t, cases[i].value, cases[i].provider,
                       false, NOW, &fx.sum, &err) < 0)
            fail_msg("%s %s: %s", cases[i].provider, cases[i].value, err.msg);
        elapsed = tl_now_ms() - started;
        if (fx.last != cases[i].want)
            fail_msg("%s %s: %s (%s), want %s", cases[i].provider,
                     cases[i].value, enrich_outcome_name(fx.last),
                     fx.last_error, enrich_outcome_name(cases[i].want));
        /* Exactly one row, or none at all. */
        assert_int_equal(tl_attempts_total(fx.store.db),
                         cases[i].recorded ? 1 : 0);
        if (cases[i].recorded)
            assert_int_equal(tl_attempts(fx.store.db, id, cases[i].provider,
                                         cases[i].recorded),
                             1);
        error = tl_attempt_error(fx.store.db, id, cases[i].provider);
        if (cases[i].error) {
            if (strncmp(error, cases[i].error, strlen(cases[i].error)))
                fail_msg("%s: error '%s', want '%s...'", cases[i].value, error,
                         cases[i].error);
        } else {
            assert_string_equal(error, "");
        }
        assert_null(strstr(error, VT_KEY));
        assert_null(strstr(error, ABUSE_KEY));
        free(error);
        r = tl_result(fx.store.db, id, cases[i].provider);
        if (cases[i].want == ENRICH_SUCCESS) {
            assert_non_null(r);
            /* VirusTotal says whether it knew the value. */
            if (!strcmp(cases[i].provider, "virustotal"))
                assert_int_equal(json_is_true(json_object_get(r, "found")),
                                 cases[i].key != NULL);
            if (cases[i].key && cases[i].str)
                assert_string_equal(
                    json_string_value(json_object_get(r, cases[i].key)),
                    cases[i].str);
            else if (cases[i].key)
                assert_int_equal(
                    json_integer_value(json_object_get(r, cases[i].key)),
                    cases[i].num);
            assert_int_equal(tl_is_enriched(fx.store.db, id), 1);
        } else {
            assert_null(r);
            assert_int_equal(tl_is_enriched(fx.store.db, id), 0);
        }
        json_decref(r);
        if (cases[i].want == ENRICH_RATE_LIMITED)
            assert_int_equal(fx.sum.deferred, 1);
        if (requests_about(cases[i].value) - before != cases[i].requests)
            fail_msg("%s: %lld requests, want %lld", cases[i].value,
                     (long long)(requests_about(cases[i].value) - before),
                     (long long)cases[i].requests);
        /* A time-out gives up on time. */
        if (elapsed > TIMEOUT_MS + 1500)
            fail_msg("%s took %lld ms", cases[i].value, (long long)elapsed);
        fixture_close(&fx);
    }
}

static void test_wrong_key_fails_without_showing_the_key(void **state)
{
    static const struct {
        const char *provider, *type, *value;
        enum ioc_type t;
        const char *error;
    } wrong[] = {
        { "virustotal", "domain", "ok.example", IOC_TYPE_DOMAIN,
          "VirusTotal rejected the API key (HTTP 401): Wrong API key" },
        { "abuseipdb", "ipv4", "192.0.2.1", IOC_TYPE_IPV4,
          "AbuseIPDB rejected the API key (HTTP 401): Authentication "
          "failed." },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(wrong); i++) {
        struct fixture fx;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t id;
        char *error;

        fixture_open(&fx, MISSING_KEY, MISSING_KEY);
        id = tl_add_ioc(fx.store.db, wrong[i].type, wrong[i].value, 2);
        assert_int_equal(enrich_ioc(fx.es, id, wrong[i].t, wrong[i].value,
                                    wrong[i].provider, false, NOW, &fx.sum,
                                    &err),
                         0);
        assert_int_equal(
            tl_attempts(fx.store.db, id, wrong[i].provider, "failure"), 1);
        error = tl_attempt_error(fx.store.db, id, wrong[i].provider);
        if (strncmp(error, wrong[i].error, strlen(wrong[i].error)))
            fail_msg("error '%s', want '%s...'", error, wrong[i].error);
        assert_null(strstr(error, MISSING_KEY));
        free(error);
        fixture_close(&fx);
    }
}

static void test_key_is_never_sent_in_clear_to_a_remote_host(void **state)
{
    struct fixture fx;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id;

    (void)state;
    fixture_open(&fx, VT_KEY, ABUSE_KEY);
    fx.s.virustotal_api_url = "http://vt.example.net/api/v3";
    id = tl_add_ioc(fx.store.db, "domain", "ok.example", 2);
    assert_int_equal(enrich_ioc(fx.es, id, IOC_TYPE_DOMAIN, "ok.example",
                                "virustotal", false, NOW, &fx.sum, &err),
                     IOCM_ECONFIG);
    assert_string_equal(err.msg,
                        "virustotal: refusing to send the VirusTotal API key "
                        "in clear text to 'vt.example.net': use an https:// "
                        "URL");
    assert_int_equal(tl_attempts_total(fx.store.db), 0);
    fixture_close(&fx);
}

static void test_cached_result_sends_nothing_until_forced(void **state)
{
    struct fixture fx;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t before = requests_about("ok.example");
    int64_t id;

    (void)state;
    fixture_open(&fx, VT_KEY, ABUSE_KEY);
    id = tl_add_ioc(fx.store.db, "domain", "ok.example", 2);
    for (int run = 0; run < 2; run++)
        assert_int_equal(enrich_ioc(fx.es, id, IOC_TYPE_DOMAIN, "ok.example",
                                    "virustotal", false, NOW + run * 3600,
                                    &fx.sum, &err),
                         0);
    assert_int_equal(requests_about("ok.example") - before, 1);
    assert_int_equal(fx.sum.cached, 1);
    assert_int_equal(enrich_ioc(fx.es, id, IOC_TYPE_DOMAIN, "ok.example",
                                "virustotal", true, NOW + 7200, &fx.sum, &err),
                     0);
    assert_int_equal(requests_about("ok.example") - before, 2);
    assert_int_equal(tl_attempts(fx.store.db, id, "virustotal", "success"), 2);
    fixture_close(&fx);
}

/* An address through every provider: both APIs answer, the databases
 * that are not configured are skipped with a note. */
static void test_all_providers_on_an_address(void **state)
{
    struct fixture fx;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id;

    (void)state;
    fixture_open(&fx, VT_KEY, ABUSE_KEY);
    id = tl_add_ioc(fx.store.db, "ipv4", "192.0.2.1", 2);
    assert_int_equal(enrich_ioc(fx.es, id, IOC_TYPE_IPV4, "192.0.2.1", NULL,
                                false, NOW, &fx.sum, &err),
                     0);
    assert_int_equal(fx.sum.succeeded, 2);
    assert_int_equal(tl_attempts(fx.store.db, id, "virustotal", "success"), 1);
    assert_int_equal(tl_attempts(fx.store.db, id, "abuseipdb", "success"), 1);
    assert_int_equal(tl_attempts_total(fx.store.db), 2);
    assert_int_equal(fx.sum.notes.nr, 2);
    assert_string_equal(fx.sum.notes.v[0],
                        "geoip: skipped: no database (GEOIP_DB_PATH is not "
                        "set)");
    fixture_close(&fx);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_api_answer_is_recorded_as_promised),
        cmocka_unit_test(test_wrong_key_fails_without_showing_the_key),
        cmocka_unit_test(test_key_is_never_sent_in_clear_to_a_remote_host),
        cmocka_unit_test(test_cached_result_sends_nothing_until_forced),
        cmocka_unit_test(test_all_providers_on_an_address),
    };

    if (argc > 1)
        server_script = argv[1];
    return cmocka_run_group_tests_name("enrich_http", tests, start_server,
                                       stop_server);
}
