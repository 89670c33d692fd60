/*
 * The dns provider: A, AAAA, MX, NS and TXT records of a domain, or of the
 * host of a URL, through glibc's resolver (res_nquery) with a per-session
 * state, so the server and time-out can be set without touching the
 * process's resolver. A name that does not exist (NXDOMAIN) is a failure;
 * a name with no records of a type has an empty list for it.
 */
#include "enrich/enrich.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich_int.h"
#include "util/err.h"
#include "util/xalloc.h"

struct dns_state {
    struct __res_state res;
    int timeout_s; /* per query: the resolver counts whole seconds */
    unsigned char answer[65536];
};

/* Parses "A.B.C.D" or "A.B.C.D:PORT" into sa. */
static int parse_server(const char *spec, struct sockaddr_in *sa,
                        struct iocm_err *err)
{
    char host[INET_ADDRSTRLEN];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    long port = 53;

    memset(sa, 0, sizeof(*sa));
    if (colon) {
        char *end;

        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
            return iocm_fail(err, IOCM_ECONFIG,
                             "invalid DNS server '%s': bad port", spec);
    }
    if (len >= sizeof(host))
        return iocm_fail(err, IOCM_ECONFIG,
                         "invalid DNS server '%s': not an IPv4 address", spec);
    memcpy(host, spec, len);
    host[len] = '\0';
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return iocm_fail(err, IOCM_ECONFIG,
                         "invalid DNS server '%s': not an IPv4 address", spec);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

static int dns_init(const struct enrich_settings *s, void **state,
                    struct strbuf *note, struct iocm_err *err)
{
    struct dns_state *ds = xcalloc(1, sizeof(*ds));
    struct sockaddr_in server;
    int rc = 0;

    (void)note;
    *state = NULL;
    if (s->dns_server && *s->dns_server) {
        rc = parse_server(s->dns_server, &server, err);
        if (rc < 0)
            goto out;
    }
    if (res_ninit(&ds->res) < 0) {
        rc = iocm_fail(err, IOCM_ECONFIG, "cannot initialise the resolver");
        goto out;
    }
    /*
     * glibc's res_send prefers nsaddr_list[n] once the caller has set it,
     * so one IPv4 entry replaces whatever resolv.conf listed.
     */
    if (s->dns_server && *s->dns_server) {
        ds->res.nsaddr_list[0] = server;
        ds->res.nscount = 1;
    }
    ds->timeout_s = (int)((s->dns_timeout_ms + 999) / 1000);
    if (ds->timeout_s < 1)
        ds->timeout_s = 1;
    ds->res.retrans = ds->timeout_s;
    ds->res.retry = 1;
    ds->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
    *state = ds;
    ds = NULL;
out:
    free(ds);
    return rc;
}

static void dns_cleanup(void *state)
{
    struct dns_state *ds = state;

    if (!ds)
        return;
    res_nclose(&ds->res);
    free(ds);
}

/* A string of TXT data; bytes that are not UTF-8 become \xNN. */
static json_t *txt_string(const struct strbuf *raw)
{
    struct strbuf esc = STRBUF_INIT;
    json_t *j = json_stringn(raw->buf, raw->len);

    if (j)
        return j;
    for (size_t i = 0; i < raw->len; i++) {
        unsigned char c = (unsigned char)raw->buf[i];

        if (c < 0x20 || c >= 0x7f)
            strbuf_addf(&esc, "\\x%02x", c);
        else
            strbuf_addch(&esc, c);
    }
    j = json_stringn(esc.buf, esc.len);
    strbuf_release(&esc);
    return j;
}

/* Appends the record rr of type to list; remembers the first CNAME. */
static void add_record(const ns_msg *msg, const ns_rr *rr, int type,
                       json_t *list, json_t *result)
{
    const unsigned char *rd = ns_rr_rdata(*rr);
    size_t rdlen = ns_rr_rdlen(*rr);
    char text[NS_MAXDNAME];
    struct strbuf txt = STRBUF_INIT;

    if (ns_rr_type(*rr) == ns_t_cname) {
        if (!json_object_get(result, "cname") &&
            ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd, text,
                               sizeof(text)) >= 0)
            json_object_set_new(result, "cname", json_string(text));
        return;
    }
    if ((int)ns_rr_type(*rr) != type)
        return;
    switch (type) {
    case ns_t_a:
    case ns_t_aaaa:
        if (rdlen == (type == ns_t_a ? 4u : 16u) &&
            inet_ntop(type == ns_t_a ? AF_INET : AF_INET6, rd, text,
                      sizeof(text)))
            json_array_append_new(list, json_string(text));
        break;
    case ns_t_mx:
        if (rdlen >= 3 &&
            ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd + 2,
                               text, sizeof(text)) >= 0)
            json_array_append_new(list, json_pack("{s:i, s:s}", "preference",
                                                  (int)ns_get16(rd), "exchange",
                                                  text));
        break;
    case ns_t_ns:
        if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd, text,
                               sizeof(text)) >= 0)
            json_array_append_new(list, json_string(text));
        break;
    case ns_t_txt:
        /* One or more <length><bytes> strings, read as one value. */
        for (size_t i = 0; i < rdlen;) {
            size_t n = rd[i++];

            if (n > rdlen - i)
                break;
            strbuf_add(&txt, rd + i, n);
            i += n;
        }
        json_array_append_new(list, txt_string(&txt));
        strbuf_release(&txt);
        break;
    }
}

/*
 * Asks for name's records of type into list. Returns 0 (also when there
 * are none) or fails with the reason the name could not be resolved.
 */
static int query(struct dns_state *ds, const char *name, int type, json_t *list,
                 json_t *result, struct iocm_err *err)
{
    ns_msg msg;
    ns_rr rr;
    int n;

    errno = 0;
    n = res_nquery(&ds->res, name, ns_c_in, type, ds->answer,
                   (int)sizeof(ds->answer));
    if (n < 0) {
        switch (ds->res.res_h_errno) {
        case NO_DATA:
            return 0;
        case HOST_NOT_FOUND:
            return iocm_fail(err, IOCM_ENOENT,
                             "'%s' does not resolve (NXDOMAIN)", name);
        case TRY_AGAIN:
            if (errno == ETIMEDOUT)
                return iocm_fail(err, IOCM_ENET,
                                 "no answer from the DNS server for '%s' "
                                 "within %d s",
                                 name, ds->timeout_s);
            /* res_send tells a server that is not there by errno only. */
            if (errno == ECONNREFUSED)
                return iocm_fail(err, IOCM_ENET,
                                 "cannot reach the DNS server for '%s': "
                                 "connection refused",
                                 name);
            return iocm_fail(err, IOCM_ENET,
                             "DNS server failure resolving '%s' (SERVFAIL)",
                             name);
        default:
            return iocm_fail(err, IOCM_ENET,
                             "DNS server refused or could not answer the "
                             "query for '%s'",
                             name);
        }
    }
    if (ns_initparse(ds->answer, n, &msg) < 0)
        return iocm_fail(err, IOCM_EINVAL, "malformed DNS answer for '%s'",
                         name);
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            return iocm_fail(err, IOCM_EINVAL, "malformed DNS answer for '%s'",
                             name);
        add_record(&msg, &rr, type, list, result);
    }
    return 0;
}

static enum enrich_outcome dns_lookup(void *state, enum ioc_type type,
                                      const char *value,
                                      struct enrich_answer *ans,
                                      struct iocm_err *err)
{
    static const struct {
        const char *key;
        int type;
    } kinds[] = {
        { "a", ns_t_a },   { "aaaa", ns_t_aaaa }, { "mx", ns_t_mx },
        { "ns", ns_t_ns }, { "txt", ns_t_txt },
    };
    struct strbuf host = STRBUF_INIT;
    enum enrich_outcome outcome = ENRICH_SUCCESS;
    json_t *result = json_object();

    if (type == IOC_TYPE_URL) {
        bool is_address = false;

        if (enrich_url_host(value, &host, &is_address, err) < 0) {
            outcome = ENRICH_FAILURE;
            goto out;
        }
        /* An address has no records of these types to ask for. */
        if (is_address) {
            outcome = ENRICH_NOT_APPLICABLE;
            goto out;
        }
    } else {
        strbuf_addstr(&host, value);
    }
    json_object_set_new(result, "name", json_string(host.buf));
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        json_t *list = json_array();

        json_object_set_new(result, kinds[i].key, list);
        /* The first failure (NXDOMAIN, time-out) ends the lookup: the
         * other types would only fail, or wait, the same way. */
        if (query(state, host.buf, kinds[i].type, list, result, err) < 0) {
            outcome = ENRICH_FAILURE;
            goto out;
        }
    }
    ans->result = result;
    result = NULL;
out:
    json_decref(result);
    strbuf_release(&host);
    return outcome;
}

const struct enrich_provider enrich_dns_provider = {
    .name = "dns",
    .slot = ENRICH_DNS,
    .applies_to =
        ENRICH_TYPE_BIT(IOC_TYPE_DOMAIN) | ENRICH_TYPE_BIT(IOC_TYPE_URL),
    .init = dns_init,
    .lookup = dns_lookup,
    .cleanup = dns_cleanup,
};
