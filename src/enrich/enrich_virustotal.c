/*
 * The virustotal provider: VirusTotal API v3 reports of files (by hash),
 * URLs, domains and IP addresses: detection stats, reputation and names.
 * VirusTotal's 404 means "never seen": a success with {"found": false}.
 */
#include "enrich/enrich.h"

#include <stdlib.h>
#include <string.h>

#include "enrich/enrich_int.h"
#include "util/err.h"
#include "util/xalloc.h"

/* Names kept from a file report: enough to recognise it. */
#define VT_MAX_NAMES 10

struct vt_state {
    struct enrich_http http;
    const char *base_url;
    const char *key; /* borrowed from the settings; only in headers */
    struct curl_slist *headers;
};

static void vt_cleanup(void *state)
{
    struct vt_state *vt = state;

    if (!vt)
        return;
    curl_slist_free_all(vt->headers);
    enrich_http_release(&vt->http);
    free(vt);
}

static int vt_init(const struct enrich_settings *s, void **state,
                   struct strbuf *note, struct iocm_err *err)
{
    struct strbuf header = STRBUF_INIT;
    struct vt_state *vt = NULL;
    int rc = 0;

    *state = NULL;
    if (!s->virustotal_api_key || !*s->virustotal_api_key) {
        strbuf_addstr(note, "no API key (VIRUSTOTAL_API_KEY is not set)");
        return 0;
    }
    /* A line break would let the key's text write other headers. */
    if (strpbrk(s->virustotal_api_key, "\r\n"))
        return iocm_fail(err, IOCM_ECONFIG,
                         "VIRUSTOTAL_API_KEY holds a line break");
    vt = xcalloc(1, sizeof(*vt));
    vt->base_url = s->virustotal_api_url && *s->virustotal_api_url
                       ? s->virustotal_api_url
                       : ENRICH_VIRUSTOTAL_URL;
    vt->key = s->virustotal_api_key;
    rc = enrich_http_init(&vt->http, "VirusTotal", vt->base_url,
                          s->http_timeout_ms, err);
    if (rc < 0)
        goto out;
    strbuf_addf(&header, "x-apikey: %s", vt->key);
    vt->headers = curl_slist_append(vt->headers, header.buf);
    vt->headers = curl_slist_append(vt->headers, "Accept: application/json");
    *state = vt;
    vt = NULL;
out:
    strbuf_release(&header);
    vt_cleanup(vt);
    return rc;
}

/* Appends the API path of the report on (type, value). */
static void add_path(struct vt_state *vt, enum ioc_type type, const char *value,
                     struct strbuf *url)
{
    struct strbuf path = STRBUF_INIT;
    char *esc;

    switch (type) {
    case IOC_TYPE_URL:
        /* VirusTotal's URL identifier: unpadded base64url of the URL. */
        strbuf_addstr(&path, "/urls/");
        enrich_base64url(value, strlen(value), &path);
        break;
    case IOC_TYPE_DOMAIN:
    case IOC_TYPE_IPV4:
    case IOC_TYPE_IPV6:
        esc = curl_easy_escape(vt->http.curl, value, 0);
        strbuf_addf(&path, "/%s/%s",
                    type == IOC_TYPE_DOMAIN ? "domains" : "ip_addresses",
                    esc ? esc : "");
        curl_free(esc);
        break;
    default:
        strbuf_addf(&path, "/files/%s", value);
        break;
    }
    enrich_url_join(url, vt->base_url, path.buf);
    strbuf_release(&path);
}

/* The "error.message" of a VirusTotal error body, or NULL. */
static const char *error_message(json_t *body, const char **code)
{
    json_t *e = json_object_get(body, "error");

    *code = json_string_value(json_object_get(e, "code"));
    return json_string_value(json_object_get(e, "message"));
}

/* Copies member key of from to to when it has type is (json_is_*). */
static void copy_if(json_t *to, json_t *from, const char *key,
                    int (*is)(const json_t *))
{
    json_t *v = json_object_get(from, key);

    if (v && is(v))
        json_object_set(to, key, v);
}

static int is_integer(const json_t *j)
{
    return json_is_integer(j);
}

static int is_string(const json_t *j)
{
    return json_is_string(j);
}

/* The result kept from a report's data.attributes. */
static json_t *summarise(json_t *attrs)
{
    json_t *result = json_object();
    json_t *stats = json_object_get(attrs, "last_analysis_stats");
    json_t *names = json_object_get(attrs, "names");

    json_object_set_new(result, "found", json_true());
    if (json_is_object(stats)) {
        json_object_set(result, "last_analysis_stats", stats);
        copy_if(result, stats, "malicious", is_integer);
        copy_if(result, stats, "suspicious", is_integer);
    }
    copy_if(result, attrs, "reputation", is_integer);
    copy_if(result, attrs, "last_analysis_date", is_integer);
    copy_if(result, attrs, "meaningful_name", is_string);
    if (json_is_array(names) && json_array_size(names)) {
        json_t *kept = json_array();
        size_t i;
        json_t *n;

        json_array_foreach(names, i, n)
        {
            if (i >= VT_MAX_NAMES)
                break;
            if (json_is_string(n))
                json_array_append(kept, n);
        }
        json_object_set_new(result, "names", kept);
    }
    return result;
}

static enum enrich_outcome vt_lookup(void *state, enum ioc_type type,
                                     const char *value,
                                     struct enrich_answer *ans,
                                     struct iocm_err *err)
{
    struct vt_state *vt = state;
    struct enrich_http_reply reply = ENRICH_HTTP_REPLY_INIT;
    struct strbuf url = STRBUF_INIT;
    enum enrich_outcome outcome = ENRICH_FAILURE;
    json_t *body = NULL, *attrs;
    const char *code = NULL, *msg;

    add_path(vt, type, value, &url);
    if (enrich_http_get(&vt->http, url.buf, vt->headers, &reply, err) < 0)
        goto out;
    if (reply.status == 200) {
        if (enrich_http_json(&vt->http, &reply, &body, err) < 0)
            goto out;
        attrs = json_object_get(json_object_get(body, "data"), "attributes");
        if (!json_is_object(attrs)) {
            iocm_fail(err, IOCM_EINVAL,
                      "malformed response from VirusTotal: no "
                      "data.attributes");
            goto out;
        }
        ans->result = summarise(attrs);
        outcome = ENRICH_SUCCESS;
        goto out;
    }
    /* Error bodies are JSON when VirusTotal wrote them; any other body
     * (a proxy's page) only leaves the status to report. */
    body = json_loadb(reply.body.buf, reply.body.len, 0, NULL);
    msg = error_message(body, &code);
    /* Only VirusTotal's own "not found" means unknown: a 404 from a wrong
     * base URL must not pass for "clean". */
    if (reply.status == 404 && code && !strcmp(code, "NotFoundError")) {
        ans->result = json_pack("{s:b}", "found", 0);
        outcome = ENRICH_SUCCESS;
        goto out;
    }
    outcome = enrich_http_status_outcome(&vt->http, &reply, msg, ans, err);
out:
    if (outcome != ENRICH_SUCCESS)
        enrich_err_redact(err, vt->key);
    json_decref(body);
    strbuf_release(&url);
    enrich_http_reply_release(&reply);
    return outcome;
}

const struct enrich_provider enrich_virustotal_provider = {
    .name = "virustotal",
    .slot = ENRICH_VIRUSTOTAL,
    .applies_to =
        ENRICH_TYPE_BIT(IOC_TYPE_MD5) | ENRICH_TYPE_BIT(IOC_TYPE_SHA1) |
        ENRICH_TYPE_BIT(IOC_TYPE_SHA256) | ENRICH_TYPE_BIT(IOC_TYPE_URL) |
        ENRICH_TYPE_BIT(IOC_TYPE_DOMAIN) | ENRICH_TYPE_BIT(IOC_TYPE_IPV4) |
        ENRICH_TYPE_BIT(IOC_TYPE_IPV6),
    .init = vt_init,
    .lookup = vt_lookup,
    .cleanup = vt_cleanup,
};
