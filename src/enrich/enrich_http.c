/*
 * The HTTP client glue of the API providers (libcurl): the rule that an
 * API key only travels over TLS or stays on this machine, GET with a size
 * cap and a deadline, Retry-After, JSON bodies, and URL helpers.
 */
#include "enrich/enrich_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "iocm_build.h"
#include "util/err.h"

/* No API answer we read comes near this; a bigger one is not an answer. */
#define ENRICH_HTTP_MAX_BODY (4 * 1024 * 1024)
/* Enough of an API's error text to say what went wrong. */
#define ENRICH_DETAIL_MAX 200

bool enrich_host_is_loopback(const char *host)
{
    char buf[64];
    size_t len = strlen(host);
    struct in_addr a4;
    struct in6_addr a6;

    if (!strcasecmp(host, "localhost"))
        return true;
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        if (len - 2 >= sizeof(buf))
            return false;
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        host = buf;
    }
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

int enrich_http_check_url(const char *service, const char *base_url,
                          struct iocm_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = 0;

    if (!base_url || !*base_url) {
        rc = iocm_fail(err, IOCM_ECONFIG, "no %s API URL", service);
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, base_url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = iocm_fail(err, IOCM_ECONFIG, "invalid %s API URL '%s'", service,
                       base_url);
        goto out;
    }
    if (!strcasecmp(scheme, "https"))
        goto out;
    if (strcasecmp(scheme, "http")) {
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "invalid %s API URL '%s': not http or https", service,
                       base_url);
        goto out;
    }
    if (!enrich_host_is_loopback(host))
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "refusing to send the %s API key in clear text to "
                       "'%s': use an https:// URL",
                       service, host);
out:
    curl_free(host);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

int enrich_http_init(struct enrich_http *h, const char *service,
                     const char *base_url, long timeout_ms,
                     struct iocm_err *err)
{
    int rc;

    h->curl = NULL;
    h->service = service;
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : 15000;
    rc = enrich_http_check_url(service, base_url, err);
    if (rc < 0)
        return rc;
    /* Paired with curl_global_cleanup() in enrich_http_release(). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libcurl");
    h->curl = curl_easy_init();
    if (!h->curl) {
        curl_global_cleanup();
        return iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libcurl");
    }
    return 0;
}

void enrich_http_release(struct enrich_http *h)
{
    if (!h->curl)
        return;
    curl_easy_cleanup(h->curl);
    h->curl = NULL;
    curl_global_cleanup();
}

void enrich_http_reply_release(struct enrich_http_reply *r)
{
    strbuf_release(&r->body);
    r->status = 0;
    r->retry_after = -1;
}

struct reply_sink {
    struct enrich_http_reply *reply;
    bool is_too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
    struct reply_sink *sink = p;
    size_t n = size * nmemb;

    if (sink->reply->body.len + n > ENRICH_HTTP_MAX_BODY) {
        sink->is_too_big = true;
        return 0;
    }
    strbuf_add(&sink->reply->body, data, n);
    return n;
}

/* Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
static long parse_retry_after(const char *v, size_t len)
{
    char buf[64];
    char *end;
    long secs;
    time_t when;

    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
                   v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (!len || len >= sizeof(buf))
        return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    secs = strtol(buf, &end, 10);
    if (end != buf && !*end)
        return secs < 0 ? 0 : secs;
    when = curl_getdate(buf, NULL);
    if (when < 0)
        return -1;
    secs = (long)(when - time(NULL));
    return secs < 0 ? 0 : secs;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
    struct enrich_http_reply *r = p;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";

    if (n > sizeof(name) - 1 && !strncasecmp(data, name, sizeof(name) - 1))
        r->retry_after =
            parse_retry_after(data + sizeof(name) - 1, n - (sizeof(name) - 1));
    return n;
}

int enrich_http_get(struct enrich_http *h, const char *url,
                    const struct curl_slist *headers,
                    struct enrich_http_reply *r, struct iocm_err *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct reply_sink sink = { r, false };
    CURL *c = h->curl;
    CURLcode res;

    strbuf_reset(&r->body);
    r->status = 0;
    r->retry_after = -1;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "iocm/" IOCM_VERSION);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    res = curl_easy_perform(c);
    if (res == CURLE_OPERATION_TIMEDOUT)
        return iocm_fail(err, IOCM_ENET, "%s did not answer within %ld ms",
                         h->service, h->timeout_ms);
    if (sink.is_too_big)
        return iocm_fail(err, IOCM_ENET,
                         "response from %s is larger than %d bytes", h->service,
                         ENRICH_HTTP_MAX_BODY);
    if (res != CURLE_OK)
        return iocm_fail(err, IOCM_ENET, "cannot reach %s: %s", h->service,
                         *errbuf ? errbuf : curl_easy_strerror(res));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    return 0;
}

int enrich_http_json(const struct enrich_http *h,
                     const struct enrich_http_reply *r, json_t **out,
                     struct iocm_err *err)
{
    json_error_t jerr;
    json_t *j;

    *out = NULL;
    j = json_loadb(r->body.buf, r->body.len, 0, &jerr);
    if (!j)
        return iocm_fail(err, IOCM_EINVAL,
                         "malformed response from %s: %s at line %d",
                         h->service, jerr.text, jerr.line);
    if (!json_is_object(j)) {
        json_decref(j);
        return iocm_fail(err, IOCM_EINVAL,
                         "malformed response from %s: not a JSON object",
                         h->service);
    }
    *out = j;
    return 0;
}

enum enrich_outcome enrich_http_status_outcome(
    const struct enrich_http *h, const struct enrich_http_reply *r,
    const char *detail, struct enrich_answer *ans, struct iocm_err *err)
{
    int dlen = detail ? (int)strnlen(detail, ENRICH_DETAIL_MAX) : 0;

    if (r->status == 429) {
        ans->retry_after = r->retry_after;
        iocm_fail(err, IOCM_ETEMPFAIL, "%s is rate limiting requests",
                  h->service);
        return ENRICH_RATE_LIMITED;
    }
    if (r->status == 401 || r->status == 403)
        iocm_fail(err, IOCM_EPERM, "%s rejected the API key (HTTP %ld)%s%.*s",
                  h->service, r->status, dlen ? ": " : "", dlen, detail);
    else
        iocm_fail(err, IOCM_ENET, "%s answered HTTP %ld%s%.*s", h->service,
                  r->status, dlen ? ": " : "", dlen, detail);
    return ENRICH_FAILURE;
}

void enrich_err_redact(struct iocm_err *err, const char *secret)
{
    struct strbuf msg = STRBUF_INIT;
    size_t n = secret ? strlen(secret) : 0;
    const char *p, *hit;

    if (!err || !n || !strstr(err->msg, secret))
        return;
    p = err->msg;
    hit = strstr(p, secret);
    while (hit) {
        strbuf_add(&msg, p, (size_t)(hit - p));
        strbuf_addstr(&msg, "***");
        p = hit + n;
        hit = strstr(p, secret);
    }
    strbuf_addstr(&msg, p);
    snprintf(err->msg, sizeof(err->msg), "%s", msg.buf);
    strbuf_release(&msg);
}

void enrich_base64url(const void *data, size_t len, struct strbuf *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

        strbuf_addch(out, alphabet[v >> 18 & 63]);
        strbuf_addch(out, alphabet[v >> 12 & 63]);
        strbuf_addch(out, alphabet[v >> 6 & 63]);
        strbuf_addch(out, alphabet[v & 63]);
    }
    if (len - i == 1) {
        unsigned v = (unsigned)p[i] << 16;

        strbuf_addch(out, alphabet[v >> 18 & 63]);
        strbuf_addch(out, alphabet[v >> 12 & 63]);
    } else if (len - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

        strbuf_addch(out, alphabet[v >> 18 & 63]);
        strbuf_addch(out, alphabet[v >> 12 & 63]);
        strbuf_addch(out, alphabet[v >> 6 & 63]);
    }
}

void enrich_url_join(struct strbuf *out, const char *base, const char *path)
{
    size_t len = strlen(base);

    while (len && base[len - 1] == '/')
        len--;
    strbuf_add(out, base, len);
    strbuf_addstr(out, path);
}

int enrich_url_host(const char *url, struct strbuf *host, bool *is_address,
                    struct iocm_err *err)
{
    CURLU *u = curl_url();
    char *h = NULL;
    struct in_addr a4;
    int rc = 0;

    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !*h) {
        rc = iocm_fail(err, IOCM_EINVAL, "no host in URL '%s'", url);
        goto out;
    }
    strbuf_reset(host);
    if (h[0] == '[') {
        size_t len = strlen(h);

        strbuf_add(host, h + 1, len > 2 ? len - 2 : 0);
        *is_address = true;
    } else {
        strbuf_addstr(host, h);
        *is_address = inet_pton(AF_INET, h, &a4) == 1;
    }
    strbuf_tolower(host);
out:
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}
