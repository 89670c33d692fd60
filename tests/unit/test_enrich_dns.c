/*
 * Integration tests of the dns provider against a real DNS server on
 * loopback: dnsmasq (path in argv[1]) serving a small made-up zone, so no
 * test depends on the internet. Also a server that never answers (a bound
 * socket nobody reads) for the time-out, and a port where nothing listens.
 * Exits 77 (skipped) when dnsmasq is not installed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "enrich/enrich.h"
#include "enrich_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define NOW 1796371200

static const char *dnsmasq_path;
static struct tl_proc dnsmasq = { -1, -1 };
static char server_addr[32]; /* "127.0.0.1:PORT" */

/* True once the server answers a query for www.example.test. */
static bool server_answers(int port)
{
    static const unsigned char query[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        3,    'w',  'w',  'w',  7,    'e',  'x',  'a',  'm',  'p',  'l',  'e',
        4,    't',  'e',  's',  't',  0,    0x00, 0x01, 0x00, 0x01,
    };
    struct sockaddr_in sa = { 0 };
    unsigned char reply[512];
    struct pollfd pfd;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    bool ok = false;

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pfd.fd = fd;
    pfd.events = POLLIN;
    if (sendto(fd, query, sizeof(query), 0, (struct sockaddr *)&sa,
               sizeof(sa)) == (ssize_t)sizeof(query) &&
        poll(&pfd, 1, 200) == 1 && recv(fd, reply, sizeof(reply), 0) > 12)
        ok = true;
    close(fd);
    return ok;
}

/* Starts dnsmasq on a free port: 0 when it answers, 1 when it lost the
 * port (try another), -1 when it does not start. */
static int start_dnsmasq_once(void **state)
{
    struct strbuf port_opt = STRBUF_INIT, user_opt = STRBUF_INIT;
    struct passwd *pw = getpwuid(geteuid());
    int port = tl_free_port(SOCK_DGRAM);
    int rc = -1;
    /* ns1.example.test in DNS wire format, for an NS record. */
    char *argv[] = {
        (char *)dnsmasq_path,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        NULL, /* --port */
        NULL, /* --user */
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--pid-file=",
        "--log-facility=/dev/null",
        /* Names under test/ and invalid/ are answered here or NXDOMAIN. */
        "--local=/test/",
        "--address=/invalid/",
        "--host-record=www.example.test,192.0.2.10,2001:db8::10",
        "--host-record=example.test,192.0.2.11",
        "--mx-host=example.test,mail.example.test,10",
        "--txt-record=example.test,v=spf1 -all",
        "--txt-record=multi.example.test,part one,part two",
        "--cname=alias.example.test,www.example.test",
        "--dns-rr=example.test,2,036e7331076578616d706c650474657374 00",
        NULL,
    };

    (void)state;
    /* dnsmasq listens on TCP too: a UDP port free right now may be a live
     * TCP connection's. */
    if (port < 0 || !tl_port_is_free(SOCK_STREAM, port))
        return 1;
    strbuf_addf(&port_opt, "--port=%d", port);
    strbuf_addf(&user_opt, "--user=%s", pw ? pw->pw_name : "root");
    argv[3] = port_opt.buf;
    argv[4] = user_opt.buf;
    snprintf(server_addr, sizeof(server_addr), "127.0.0.1:%d", port);
    if (tl_proc_start(&dnsmasq, argv, NULL, 0, 0) == 0) {
        for (int i = 0; i < 50 && rc < 0; i++) {
            if (server_answers(port))
                rc = 0;
            else if (tl_proc_has_exited(&dnsmasq))
                rc = 1;
        }
    }
    if (rc != 0) {
        fprintf(stderr, "dnsmasq did not start on %s%s\n", server_addr,
                rc > 0 ? "; trying another port" : "");
        tl_proc_stop(&dnsmasq);
    }
    strbuf_release(&port_opt);
    strbuf_release(&user_opt);
    return rc;
}

/* dnsmasq serving on a port free for UDP and TCP, tried anew when
 * another process takes the port first. */
static int start_dnsmasq(void **state)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int rc = start_dnsmasq_once(state);

        if (rc <= 0)
            return rc;
    }
    fprintf(stderr, "dnsmasq did not start on any of 5 ports\n");
    return -1;
}

static int stop_dnsmasq(void **state)
{
    (void)state;
    tl_proc_stop(&dnsmasq);
    return 0;
}

struct fixture {
    struct test_store store;
    struct enrich_settings s;
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

static void fixture_open(struct fixture *fx, const char *server)
{
    struct iocm_err err = IOCM_ERR_INIT;

    memset(fx, 0, sizeof(*fx));
    tl_store_open(&fx->store);
    enrich_settings_init(&fx->s);
    fx->s.dns_server = server;
    fx->s.dns_timeout_ms = 1000;
    if (enrich_session_new(fx->store.db, &fx->s, &fx->es, &err) < 0)
        fail_msg("session: %s", err.msg);
    enrich_session_set_observer(fx->es, on_event, fx);
    enrich_summary_init(&fx->sum);
}

static void fixture_close(struct fixture *fx)
{
    enrich_session_free(fx->es);
    enrich_summary_release(&fx->sum);
    test_store_close(&fx->store);
}

/* Enriches (type, value) with dns alone; returns the id. */
static int64_t run_dns(struct fixture *fx, const char *type_name,
                       enum ioc_type type, const char *value)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = tl_add_ioc(fx->store.db, type_name, value, 2);

    if (enrich_ioc(fx->es, id, type, value, "dns", false, NOW, &fx->sum, &err) <
        0)
        fail_msg("%s: %s", value, err.msg);
    return id;
}

static const struct {
    const char *type_name;
    enum ioc_type type;
    const char *value;
    const char *want; /* the stored result, as JSON */
} answer_cases[] = {
    { "domain", IOC_TYPE_DOMAIN, "www.example.test",
      "{\"name\": \"www.example.test\", \"a\": [\"192.0.2.10\"], "
      "\"aaaa\": [\"2001:db8::10\"], \"mx\": [], \"ns\": [], \"txt\": []}" },
    { "domain", IOC_TYPE_DOMAIN, "example.test",
      "{\"name\": \"example.test\", \"a\": [\"192.0.2.11\"], \"aaaa\": [], "
      "\"mx\": [{\"preference\": 10, \"exchange\": \"mail.example.test\"}], "
      "\"ns\": [\"ns1.example.test\"], \"txt\": [\"v=spf1 -all\"]}" },
    /* A TXT record of several strings reads as one value. */
    { "domain", IOC_TYPE_DOMAIN, "multi.example.test",
      "{\"name\": \"multi.example.test\", \"a\": [], \"aaaa\": [], "
      "\"mx\": [], \"ns\": [], \"txt\": [\"part onepart two\"]}" },
    { "domain", IOC_TYPE_DOMAIN, "alias.example.test",
      "{\"name\": \"alias.example.test\", \"cname\": \"www.example.test\", "
      "\"a\": [\"192.0.2.10\"], \"aaaa\": [\"2001:db8::10\"], \"mx\": [], "
      "\"ns\": [], \"txt\": []}" },
    /* A URL is looked up by its host. */
    { "url", IOC_TYPE_URL, "https://www.example.test/login?next=1",
      "{\"name\": \"www.example.test\", \"a\": [\"192.0.2.10\"], "
      "\"aaaa\": [\"2001:db8::10\"], \"mx\": [], \"ns\": [], \"txt\": []}" },
};

static void test_records_of_each_type_are_stored(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(answer_cases); i++) {
        struct fixture fx;
        json_t *want = json_loads(answer_cases[i].want, 0, NULL);
        json_t *got;
        int64_t id;

        assert_non_null(want);
        fixture_open(&fx, server_addr);
        id = run_dns(&fx, answer_cases[i].type_name, answer_cases[i].type,
                     answer_cases[i].value);
        if (fx.last != ENRICH_SUCCESS)
            fail_msg("%s: %s (%s)", answer_cases[i].value,
                     enrich_outcome_name(fx.last), fx.last_error);
        got = tl_result(fx.store.db, id, "dns");
        if (!json_equal(want, got)) {
            char *text = json_dumps(got, JSON_COMPACT);

            fail_msg("%s: got %s", answer_cases[i].value, text);
        }
        assert_int_equal(tl_attempts(fx.store.db, id, "dns", "success"), 1);
        assert_int_equal(tl_attempts_total(fx.store.db), 1);
        json_decref(got);
        json_decref(want);
        fixture_close(&fx);
    }
}

static const struct {
    const char *type_name;
    enum ioc_type type;
    const char *value;
    enum enrich_outcome want;
    const char *recorded;
    const char *error;
} failure_cases[] = {
    { "domain", IOC_TYPE_DOMAIN, "nope.example.test", ENRICH_FAILURE, "failure",
      "'nope.example.test' does not resolve (NXDOMAIN)" },
    { "domain", IOC_TYPE_DOMAIN, "x.invalid", ENRICH_FAILURE, "failure",
      "'x.invalid' does not resolve (NXDOMAIN)" },
    { "url", IOC_TYPE_URL, "http://nope.example.test/x", ENRICH_FAILURE,
      "failure", "'nope.example.test' does not resolve (NXDOMAIN)" },
    /* An address in a URL has none of these records: asked for by name,
     * the provider says it does not apply. */
    { "url", IOC_TYPE_URL, "http://192.0.2.1/x", ENRICH_NOT_APPLICABLE,
      "not_applicable", "" },
    { "ipv4", IOC_TYPE_IPV4, "192.0.2.1", ENRICH_NOT_APPLICABLE,
      "not_applicable", "" },
};

static void test_names_that_do_not_resolve_fail(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(failure_cases); i++) {
        struct fixture fx;
        char *error;
        int64_t id;

        fixture_open(&fx, server_addr);
        id = run_dns(&fx, failure_cases[i].type_name, failure_cases[i].type,
                     failure_cases[i].value);
        if (fx.last != failure_cases[i].want)
            fail_msg("%s: %s (%s)", failure_cases[i].value,
                     enrich_outcome_name(fx.last), fx.last_error);
        assert_int_equal(
            tl_attempts(fx.store.db, id, "dns", failure_cases[i].recorded), 1);
        assert_int_equal(tl_attempts_total(fx.store.db), 1);
        error = tl_attempt_error(fx.store.db, id, "dns");
        assert_string_equal(error, failure_cases[i].error);
        assert_null(tl_result(fx.store.db, id, "dns"));
        free(error);
        fixture_close(&fx);
    }
}

/* A server that takes the query and never answers. */
static void test_silent_server_times_out(void **state)
{
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    struct fixture fx;
    char addr[32], *error;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int64_t started, elapsed, id;

    (void)state;
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
    fixture_open(&fx, addr);
    started = tl_now_ms();
    id = run_dns(&fx, "domain", IOC_TYPE_DOMAIN, "example.test");
    elapsed = tl_now_ms() - started;
    close(fd);
    assert_int_equal(fx.last, ENRICH_FAILURE);
    error = tl_attempt_error(fx.store.db, id, "dns");
    assert_string_equal(error, "no answer from the DNS server for "
                               "'example.test' within 1 s");
    free(error);
    /* One query's time-out ends the lookup: no waiting per record type. */
    if (elapsed < 900 || elapsed > 2500)
        fail_msg("gave up after %lld ms", (long long)elapsed);
    fixture_close(&fx);
}

static void test_no_server_fails_fast(void **state)
{
    struct fixture fx;
    char addr[32], *error;
    int64_t started, id;

    (void)state;
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", tl_free_port(SOCK_DGRAM));
    fixture_open(&fx, addr);
    started = tl_now_ms();
    id = run_dns(&fx, "domain", IOC_TYPE_DOMAIN, "example.test");
    assert_true(tl_now_ms() - started < 2500);
    assert_int_equal(fx.last, ENRICH_FAILURE);
    error = tl_attempt_error(fx.store.db, id, "dns");
    assert_string_equal(error, "cannot reach the DNS server for "
                               "'example.test': connection refused");
    free(error);
    fixture_close(&fx);
}

static const struct {
    const char *server;
    const char *error;
} bad_server_cases[] = {
    { "dns.example", "dns: invalid DNS server 'dns.example': not an IPv4 "
                     "address" },
    { "127.0.0.1:0", "dns: invalid DNS server '127.0.0.1:0': bad port" },
    { "127.0.0.1:x", "dns: invalid DNS server '127.0.0.1:x': bad port" },
};

static void test_bad_server_setting_is_a_configuration_error(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_server_cases); i++) {
        struct fixture fx;
        struct iocm_err err = IOCM_ERR_INIT;

        fixture_open(&fx, bad_server_cases[i].server);
        assert_int_equal(enrich_ioc(fx.es, 1, IOC_TYPE_DOMAIN, "example.test",
                                    "dns", false, NOW, &fx.sum, &err),
                         IOCM_ECONFIG);
        assert_string_equal(err.msg, bad_server_cases[i].error);
        fixture_close(&fx);
    }
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_of_each_type_are_stored),
        cmocka_unit_test(test_names_that_do_not_resolve_fail),
        cmocka_unit_test(test_silent_server_times_out),
        cmocka_unit_test(test_no_server_fails_fast),
        cmocka_unit_test(test_bad_server_setting_is_a_configuration_error),
    };

    dnsmasq_path = argc > 1 ? argv[1] : "";
    if (!*dnsmasq_path || access(dnsmasq_path, X_OK) < 0) {
        printf("[ SKIPPED  ] enrich_dns: dnsmasq is not installed (Debian "
               "package dnsmasq-base)\n");
        return 77;
    }
    return cmocka_run_group_tests_name("enrich_dns", tests, start_dnsmasq,
                                       stop_dnsmasq);
}
