/*
 * The abuseipdb provider: AbuseIPDB's v2 check of an IP address (abuse
 * confidence score, reports, country, ISP) over the last 90 days.
 */
#include "enrich/enrich.h"

#include <stdlib.h>
#include <string.h>

#include "enrich/enrich_int.h"
#include "util/err.h"
#include "util/xalloc.h"

/* The report window asked for, in days (the API's default is 30). */
#define ABUSEIPDB_MAX_AGE_DAYS 90

struct abuseipdb_state {
    struct enrich_http http;
    const char *base_url;
    const char *key; /* borrowed from the settings; only in headers */
    struct curl_slist *headers;
};

static void abuseipdb_cleanup(void *state)
{
    struct abuseipdb_state *st = state;

    if (!st)
        return;
    curl_slist_free_all(st->headers);
    enrich_http_release(&st->http);
    free(st);
}

static int abuseipdb_init(const struct enrich_settings *s, void **state,
                          struct strbuf *note, struct iocm_err *err)
{
    struct strbuf header = STRBUF_INIT;
    struct abuseipdb_state *st = NULL;
    int rc = 0;

    *state = NULL;
    if (!s->abuseipdb_api_key || !*s->abuseipdb_api_key) {
        strbuf_addstr(note, "no API key (ABUSEIPDB_API_KEY is not set)");
        return 0;
    }
    /* A line break would let the key's text write other headers. */
    if (strpbrk(s->abuseipdb_api_key, "\r\n"))
        return iocm_fail(err, IOCM_ECONFIG,
                         "ABUSEIPDB_API_KEY holds a line break");
    st = xcalloc(1, sizeof(*st));
    st->base_url = s->abuseipdb_api_url && *s->abuseipdb_api_url
                       ? s->abuseipdb_api_url
                       : ENRICH_ABUSEIPDB_URL;
    st->key = s->abuseipdb_api_key;
    rc = enrich_http_init(&st->http, "AbuseIPDB", st->base_url,
                          s->http_timeout_ms, err);
    if (rc < 0)
        goto out;
    strbuf_addf(&header, "Key: %s", st->key);
    st->headers = curl_slist_append(st->headers, header.buf);
    st->headers = curl_slist_append(st->headers, "Accept: application/json");
    *state = st;
    st = NULL;
out:
    strbuf_release(&header);
    abuseipdb_cleanup(st);
    return rc;
}

/* The first "errors[].detail" of an AbuseIPDB error body, or NULL. */
static const char *error_detail(json_t *body)
{
    json_t *first = json_array_get(json_object_get(body, "errors"), 0);

    return json_string_value(json_object_get(first, "detail"));
}

/* The API's camelCase members and the names iocm stores them under. */
static const struct {
    const char *from, *to;
} fields[] = {
    { "abuseConfidenceScore", "abuse_confidence_score" },
    { "totalReports", "total_reports" },
    { "numDistinctUsers", "num_distinct_users" },
    { "countryCode", "country_code" },
    { "isp", "isp" },
    { "domain", "domain" },
    { "usageType", "usage_type" },
    { "isWhitelisted", "is_whitelisted" },
    { "isTor", "is_tor" },
    { "lastReportedAt", "last_reported_at" },
};

static enum enrich_outcome abuseipdb_lookup(void *state, enum ioc_type type,
                                            const char *value,
                                            struct enrich_answer *ans,
                                            struct iocm_err *err)
{
    struct abuseipdb_state *st = state;
    struct enrich_http_reply reply = ENRICH_HTTP_REPLY_INIT;
    struct strbuf url = STRBUF_INIT, path = STRBUF_INIT;
    enum enrich_outcome outcome = ENRICH_FAILURE;
    json_t *body = NULL, *data, *result;
    char *esc;

    (void)type;
    esc = curl_easy_escape(st->http.curl, value, 0);
    strbuf_addf(&path, "/api/v2/check?ipAddress=%s&maxAgeInDays=%d",
                esc ? esc : "", ABUSEIPDB_MAX_AGE_DAYS);
    curl_free(esc);
    enrich_url_join(&url, st->base_url, path.buf);
    if (enrich_http_get(&st->http, url.buf, st->headers, &reply, err) < 0)
        goto out;
    if (reply.status != 200) {
        body = json_loadb(reply.body.buf, reply.body.len, 0, NULL);
        outcome = enrich_http_status_outcome(&st->http, &reply,
                                             error_detail(body), ans, err);
        goto out;
    }
    if (enrich_http_json(&st->http, &reply, &body, err) < 0)
        goto out;
    data = json_object_get(body, "data");
    if (!json_is_integer(json_object_get(data, "abuseConfidenceScore"))) {
        iocm_fail(err, IOCM_EINVAL,
                  "malformed response from AbuseIPDB: no "
                  "data.abuseConfidenceScore");
        goto out;
    }
    result = json_object();
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(data, fields[i].from);

        if (v)
            json_object_set(result, fields[i].to, v);
    }
    ans->result = result;
    outcome = ENRICH_SUCCESS;
out:
    if (outcome != ENRICH_SUCCESS)
        enrich_err_redact(err, st->key);
    json_decref(body);
    strbuf_release(&path);
    strbuf_release(&url);
    enrich_http_reply_release(&reply);
    return outcome;
}

const struct enrich_provider enrich_abuseipdb_provider = {
    .name = "abuseipdb",
    .slot = ENRICH_ABUSEIPDB,
    .applies_to =
        ENRICH_TYPE_BIT(IOC_TYPE_IPV4) | ENRICH_TYPE_BIT(IOC_TYPE_IPV6),
    .init = abuseipdb_init,
    .lookup = abuseipdb_lookup,
    .cleanup = abuseipdb_cleanup,
};
