/*
 * Tests of the geoip and asn providers against MaxMind's test databases
 * (../shared/testdata/mmdb, given as argv[1]): named cases, then every
 * network of the JSON source data the databases were built from, looked up
 * by its first address and checked against what the data says; plus the
 * skips and errors of opening, and one run through a session and store.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enrich/enrich.h"
#include "enrich/enrich_int.h"
#include "enrich_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *mmdb_dir = "../shared/testdata/mmdb";

static char *data_path(const char *name)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addf(&sb, "%s/%s", mmdb_dir, name);
    return strbuf_detach(&sb, NULL);
}

/* A provider prepared on a database of the test data. */
struct opened {
    const struct enrich_provider *p;
    struct enrich_settings s;
    char *path;
    void *state;
};

static void open_provider(struct opened *o, const struct enrich_provider *p,
                          const char *db_name)
{
    struct strbuf note = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    o->p = p;
    o->path = data_path(db_name);
    enrich_settings_init(&o->s);
    o->s.geoip_db_path = o->path;
    o->s.asn_db_path = o->path;
    if (p->init(&o->s, &o->state, &note, &err) < 0)
        fail_msg("%s on %s: %s", p->name, o->path, err.msg);
    if (note.len || !o->state)
        fail_msg("%s on %s skipped: %s", p->name, o->path, note.buf);
    strbuf_release(&note);
}

static void close_provider(struct opened *o)
{
    o->p->cleanup(o->state);
    free(o->path);
}

/* Looks value up and returns the result (a new reference). */
static json_t *lookup_ok(struct opened *o, enum ioc_type type,
                         const char *value)
{
    struct enrich_answer ans = { NULL, -1 };
    struct iocm_err err = IOCM_ERR_INIT;
    enum enrich_outcome outcome =
        o->p->lookup(o->state, type, value, &ans, &err);

    if (outcome != ENRICH_SUCCESS)
        fail_msg("%s %s: %s (%s)", o->p->name, value,
                 enrich_outcome_name(outcome), err.msg);
    assert_true(json_is_object(ans.result));
    return ans.result;
}

static const char *str_at(json_t *j, const char *a, const char *b)
{
    json_t *v = json_object_get(j, a);

    return json_string_value(b ? json_object_get(v, b) : v);
}

static const struct {
    const char *db;
    enum ioc_type type;
    const char *value;
    const char *network; /* NULL: not found */
    const char *iso_code, *country, *city;
    double lat, lon;
} geoip_cases[] = {
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_IPV4, "81.2.69.142", "81.2.69.142/31",
      "GB", "United Kingdom", "London", 51.5142, -0.0931 },
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_IPV4, "89.160.20.129",
      "89.160.20.128/25", "SE", "Sweden", "Link\xc3\xb6ping", 58.4167,
      15.6167 },
    /* A network is answered for by its first address. */
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_CIDR, "216.160.83.56/29",
      "216.160.83.56/29", "US", "United States", "Milton", 47.2513, -122.3149 },
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_IPV6, "2001:218::1", "2001:218::/32",
      "JP", "Japan", NULL, 35.68536, 139.75309 },
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_IPV4, "10.1.2.3", NULL, NULL, NULL,
      NULL, 0, 0 },
    { "GeoLite2-City-Test.mmdb", IOC_TYPE_IPV6, "2001:db8::1", NULL, NULL, NULL,
      NULL, 0, 0 },
    /* A Country database answers without city or coordinates. */
    { "GeoLite2-Country-Test.mmdb", IOC_TYPE_IPV4, "81.2.69.142",
      "81.2.69.142/31", "GB", "United Kingdom", NULL, NAN, NAN },
};

static void test_geoip_named_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(geoip_cases); i++) {
        struct opened o;
        json_t *r, *loc;

        open_provider(&o, &enrich_geoip_provider, geoip_cases[i].db);
        r = lookup_ok(&o, geoip_cases[i].type, geoip_cases[i].value);
        if (!geoip_cases[i].network) {
            assert_true(json_is_false(json_object_get(r, "found")));
            assert_int_equal(json_object_size(r), 1);
            goto next;
        }
        assert_true(json_is_true(json_object_get(r, "found")));
        assert_string_equal(str_at(r, "network", NULL), geoip_cases[i].network);
        assert_string_equal(str_at(r, "country", "iso_code"),
                            geoip_cases[i].iso_code);
        assert_string_equal(str_at(r, "country", "name"),
                            geoip_cases[i].country);
        if (geoip_cases[i].city)
            assert_string_equal(str_at(r, "city", NULL), geoip_cases[i].city);
        else
            assert_null(json_object_get(r, "city"));
        loc = json_object_get(r, "location");
        if (isnan(geoip_cases[i].lat)) {
            assert_null(loc);
        } else {
            assert_true(fabs(json_real_value(json_object_get(loc, "latitude")) -
                             geoip_cases[i].lat) < 1e-9);
            assert_true(
                fabs(json_real_value(json_object_get(loc, "longitude")) -
                     geoip_cases[i].lon) < 1e-9);
        }
    next:
        json_decref(r);
        close_provider(&o);
    }
}

static const struct {
    enum ioc_type type;
    const char *value;
    const char *network; /* NULL: not found */
    json_int_t asn;
    const char *org; /* NULL: the data has none */
} asn_cases[] = {
    { IOC_TYPE_IPV4, "1.0.0.1", "1.0.0.0/24", 15169, "Google Inc." },
    { IOC_TYPE_IPV4, "12.81.96.5", "12.81.96.0/19", 7018, NULL },
    /* Neighbours with the same answer are merged into one network when
     * the database is built: the data's 89.160.0.0/20 ... 89.160.64.0/18
     * are one /17 in the file. */
    { IOC_TYPE_CIDR, "89.160.20.112/29", "89.160.0.0/17", 29518,
      "Bredband2 AB" },
    { IOC_TYPE_IPV6, "2001:1700::1", "2001:1700::/27", 6730,
      "Sunrise Communications AG" },
    { IOC_TYPE_IPV4, "10.1.2.3", NULL, 0, NULL },
};

static void test_asn_named_cases(void **state)
{
    struct opened o;

    (void)state;
    open_provider(&o, &enrich_asn_provider, "GeoLite2-ASN-Test.mmdb");
    for (size_t i = 0; i < ARRAY_SIZE(asn_cases); i++) {
        json_t *r = lookup_ok(&o, asn_cases[i].type, asn_cases[i].value);

        if (!asn_cases[i].network) {
            assert_true(json_is_false(json_object_get(r, "found")));
        } else {
            assert_string_equal(str_at(r, "network", NULL),
                                asn_cases[i].network);
            assert_int_equal(json_integer_value(json_object_get(r, "asn")),
                             asn_cases[i].asn);
            if (asn_cases[i].org)
                assert_string_equal(str_at(r, "organization", NULL),
                                    asn_cases[i].org);
            else
                assert_null(json_object_get(r, "organization"));
        }
        json_decref(r);
    }
    close_provider(&o);
}

/* The first address of network ("81.2.69.142/31" gives "81.2.69.142"). */
static void first_address(const char *network, char *buf, size_t size)
{
    const char *slash = strchr(network, '/');
    size_t len = slash ? (size_t)(slash - network) : strlen(network);

    assert_true(len < size);
    memcpy(buf, network, len);
    buf[len] = '\0';
}

/* The prefix length of a "address/len" network. */
static int prefix_of(const char *network)
{
    const char *slash = strchr(network, '/');

    return slash ? atoi(slash + 1) : -1;
}

/*
 * True when network outer holds network inner. The database builder
 * merges neighbouring networks with the same answer, so a lookup may
 * answer for a wider network than the source data lists.
 */
static bool network_holds(const char *outer, const char *inner)
{
    struct strbuf masked = STRBUF_INIT, norm = STRBUF_INIT;
    char addr[64];
    int plen = prefix_of(outer);
    bool holds = false;

    if (plen >= 0 && plen <= prefix_of(inner)) {
        first_address(inner, addr, sizeof(addr));
        strbuf_addf(&masked, "%s/%d", addr, plen);
        /* Normalising as a CIDR block clears the host bits. */
        holds = ioc_normalize(IOC_TYPE_CIDR, masked.buf, &norm, NULL) == 0 &&
                !strcmp(norm.buf, outer);
    }
    strbuf_release(&norm);
    strbuf_release(&masked);
    return holds;
}

/* Checks that want (from the source data) and got agree on key/sub. */
static void expect_same_name(json_t *want, json_t *got, const char *key,
                             const char *network)
{
    const char *iso = json_string_value(
        json_object_get(json_object_get(want, key), "iso_code"));
    const char *name = json_string_value(json_object_get(
        json_object_get(json_object_get(want, key), "names"), "en"));
    json_t *g = json_object_get(got, key);

    if (!iso && !name) {
        if (g)
            fail_msg("%s: %s in result but not in data", network, key);
        return;
    }
    if (iso && (!str_at(got, key, "iso_code") ||
                strcmp(iso, str_at(got, key, "iso_code"))))
        fail_msg("%s: %s iso_code %s, data says %s", network, key,
                 str_at(got, key, "iso_code"), iso);
    if (name &&
        (!str_at(got, key, "name") || strcmp(name, str_at(got, key, "name"))))
        fail_msg("%s: %s name %s, data says %s", network, key,
                 str_at(got, key, "name"), name);
}

static void expect_geoip_matches_data(const char *network, json_t *data,
                                      json_t *got)
{
    const char *city = json_string_value(json_object_get(
        json_object_get(json_object_get(data, "city"), "names"), "en"));
    json_t *loc = json_object_get(data, "location");
    static const char *const coords[] = { "latitude", "longitude" };

    expect_same_name(data, got, "country", network);
    expect_same_name(data, got, "registered_country", network);
    if (city ? !str_at(got, "city", NULL) ||
                   strcmp(city, str_at(got, "city", NULL))
             : json_object_get(got, "city") != NULL)
        fail_msg("%s: city %s, data says %s", network,
                 str_at(got, "city", NULL), city);
    for (size_t k = 0; k < ARRAY_SIZE(coords); k++) {
        json_t *w = json_object_get(loc, coords[k]);
        json_t *g =
            json_object_get(json_object_get(got, "location"), coords[k]);

        if (!w != !g ||
            (w && fabs(json_number_value(w) - json_number_value(g)) > 1e-9))
            fail_msg("%s: %s %f, data says %f", network, coords[k],
                     json_number_value(g), json_number_value(w));
    }
}

static void expect_asn_matches_data(const char *network, json_t *data,
                                    json_t *got)
{
    json_t *asn = json_object_get(data, "autonomous_system_number");
    const char *org = json_string_value(
        json_object_get(data, "autonomous_system_organization"));

    if (json_integer_value(json_object_get(got, "asn")) !=
        json_integer_value(asn))
        fail_msg("%s: asn %lld, data says %lld", network,
                 (long long)json_integer_value(json_object_get(got, "asn")),
                 (long long)json_integer_value(asn));
    if (org ? !str_at(got, "organization", NULL) ||
                  strcmp(org, str_at(got, "organization", NULL))
            : json_object_get(got, "organization") != NULL)
        fail_msg("%s: organization %s, data says %s", network,
                 str_at(got, "organization", NULL), org);
}

/* Every network of a source data file, through one provider. */
static void check_all_networks(const struct enrich_provider *p,
                               const char *db_name, const char *json_name,
                               void (*expect)(const char *, json_t *, json_t *))
{
    char *path = data_path(json_name);
    json_error_t jerr;
    json_t *source = json_load_file(path, 0, &jerr);
    struct opened o;
    size_t i, checked = 0;
    json_t *entry;

    if (!source)
        fail_msg("%s: %s", path, jerr.text);
    open_provider(&o, p, db_name);
    json_array_foreach(source, i, entry)
    {
        const char *network;
        json_t *data;

        json_object_foreach(entry, network, data)
        {
            char addr[64];
            bool is_v6 = strchr(network, ':') != NULL;
            json_t *got;

            first_address(network, addr, sizeof(addr));
            got = lookup_ok(&o, is_v6 ? IOC_TYPE_IPV6 : IOC_TYPE_IPV4, addr);
            if (!json_is_true(json_object_get(got, "found")))
                fail_msg("%s: not found", network);
            if (!network_holds(str_at(got, "network", NULL), network))
                fail_msg("%s: answered for %s", network,
                         str_at(got, "network", NULL));
            expect(network, data, got);
            json_decref(got);
            checked++;
        }
    }
    /* The data holds hundreds of networks: an empty walk proves nothing. */
    assert_true(checked > 200);
    close_provider(&o);
    json_decref(source);
    free(path);
}

static void test_geoip_agrees_with_every_city_network(void **state)
{
    (void)state;
    check_all_networks(&enrich_geoip_provider, "GeoLite2-City-Test.mmdb",
                       "GeoLite2-City-Test.json", expect_geoip_matches_data);
}

static void test_asn_agrees_with_every_asn_network(void **state)
{
    (void)state;
    check_all_networks(&enrich_asn_provider, "GeoLite2-ASN-Test.mmdb",
                       "GeoLite2-ASN-Test.json", expect_asn_matches_data);
}

static const struct {
    const char *path; /* relative to the data folder; NULL: unset */
    int want;         /* 0 skipped, or the error code */
    const char *text; /* in the note or the error */
} open_cases[] = {
    { NULL, 0, "no database (GEOIP_DB_PATH is not set)" },
    { "", 0, "no database (GEOIP_DB_PATH is not set)" },
    { "nowhere.mmdb", 0, "nowhere.mmdb' does not exist (GEOIP_DB_PATH)" },
    { "GeoLite2-City-Test.json", IOCM_ECONFIG,
      "GeoLite2-City-Test.json' (GEOIP_DB_PATH): " },
};

static void test_geoip_open_skips_or_fails(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(open_cases); i++) {
        struct enrich_settings s;
        struct strbuf note = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        char *path = NULL;
        void *st = (void *)&s;
        int rc;

        enrich_settings_init(&s);
        if (open_cases[i].path)
            path = *open_cases[i].path ? data_path(open_cases[i].path)
                                       : xstrdup("");
        s.geoip_db_path = path;
        rc = enrich_geoip_provider.init(&s, &st, &note, &err);
        assert_int_equal(rc, open_cases[i].want);
        assert_null(st);
        if (rc == 0) {
            if (!strstr(note.buf, open_cases[i].text))
                fail_msg("note '%s', want '%s'", note.buf, open_cases[i].text);
        } else if (!strstr(err.msg, open_cases[i].text)) {
            fail_msg("error '%s', want '%s'", err.msg, open_cases[i].text);
        }
        strbuf_release(&note);
        free(path);
    }
}

/* The built-in providers through a session: the databases answer, the
 * API providers without keys are skipped with notes. */
static void test_session_stores_geoip_and_asn(void **state)
{
    struct test_store ts;
    struct enrich_settings s;
    struct enrich_session *es = NULL;
    struct enrich_summary sum;
    struct iocm_err err = IOCM_ERR_INIT;
    char *geo = data_path("GeoLite2-City-Test.mmdb");
    char *asn = data_path("GeoLite2-ASN-Test.mmdb");
    json_t *r;
    int64_t id;

    (void)state;
    tl_store_open(&ts);
    enrich_settings_init(&s);
    s.geoip_db_path = geo;
    s.asn_db_path = asn;
    enrich_summary_init(&sum);
    id = tl_add_ioc(ts.db, "ipv4", "89.160.20.130", 2);
    assert_int_equal(enrich_session_new(ts.db, &s, &es, &err), 0);
    assert_int_equal(enrich_ioc(es, id, IOC_TYPE_IPV4, "89.160.20.130", NULL,
                                false, 1796371200, &sum, &err),
                     0);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(sum.failed, 0);
    assert_int_equal(tl_attempts(ts.db, id, "geoip", "success"), 1);
    assert_int_equal(tl_attempts(ts.db, id, "asn", "success"), 1);
    assert_int_equal(tl_attempts_total(ts.db), 2);
    r = tl_result(ts.db, id, "geoip");
    assert_string_equal(str_at(r, "country", "iso_code"), "SE");
    assert_string_equal(str_at(r, "city", NULL), "Link\xc3\xb6ping");
    json_decref(r);
    r = tl_result(ts.db, id, "asn");
    assert_int_equal(json_integer_value(json_object_get(r, "asn")), 29518);
    assert_string_equal(str_at(r, "organization", NULL), "Bredband2 AB");
    json_decref(r);
    assert_int_equal(sum.notes.nr, 2);
    assert_string_equal(sum.notes.v[0], "virustotal: skipped: no API key "
                                        "(VIRUSTOTAL_API_KEY is not set)");
    assert_string_equal(sum.notes.v[1], "abuseipdb: skipped: no API key "
                                        "(ABUSEIPDB_API_KEY is not set)");
    enrich_session_free(es);
    enrich_summary_release(&sum);
    test_store_close(&ts);
    free(geo);
    free(asn);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geoip_named_cases),
        cmocka_unit_test(test_asn_named_cases),
        cmocka_unit_test(test_geoip_agrees_with_every_city_network),
        cmocka_unit_test(test_asn_agrees_with_every_asn_network),
        cmocka_unit_test(test_geoip_open_skips_or_fails),
        cmocka_unit_test(test_session_stores_geoip_and_asn),
    };

    if (argc > 1)
        mmdb_dir = argv[1];
    return cmocka_run_group_tests_name("enrich_mmdb", tests, NULL, NULL);
}
