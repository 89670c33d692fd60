/*
 * Validators of the network indicator types: IPv4, IPv6, CIDR, domain,
 * URL and email. Host names follow RFC 1035/1123 with IDN labels turned
 * into punycode by libidn2; URLs are parsed by libcurl's URL API.
 */
#include "ioc/ioc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <idn2.h>

#include "ioc/ioc_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define LABEL_MAX    63
#define HOSTNAME_MAX 253 /* bytes, without the final dot */
#define LOCAL_MAX    64  /* bytes of an email address's local part */
#define EMAIL_MAX    254 /* bytes of a whole address (RFC 5321 path) */

static void append_lower(struct strbuf *out, const char *s, size_t len)
{
    strbuf_grow(out, len);
    for (size_t i = 0; i < len; i++)
        out->buf[out->len + i] = (char)ioc_lower((unsigned char)s[i]);
    strbuf_setlen(out, out->len + len);
}

int ioc_parse_ipv4(const struct ioc_check *c, const char *s, size_t len,
                   uint8_t addr[4])
{
    size_t i = 0;
    char ch[8];

    for (int octet = 0; octet < 4; octet++) {
        size_t start;
        unsigned v = 0;

        if (octet > 0) {
            if (i == len)
                return ioc_check_fail(c, "expected four decimal octets");
            if (s[i] != '.')
                return ioc_check_fail(c, "invalid character '%s'",
                                      ioc_char_repr((unsigned char)s[i], ch));
            i++;
        }
        start = i;
        while (i < len && ioc_is_digit((unsigned char)s[i])) {
            if (v <= 255)
                v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start) {
            if (i < len && s[i] != '.')
                return ioc_check_fail(c, "invalid character '%s'",
                                      ioc_char_repr((unsigned char)s[i], ch));
            return ioc_check_fail(c, "empty octet");
        }
        if (v > 255)
            return ioc_check_fail(c, "octet out of range");
        /* 010 is 8 to inet_aton() and 10 to a human: refuse to guess. */
        if (s[start] == '0' && i - start > 1)
            return ioc_check_fail(c, "leading zero in octet");
        addr[octet] = (uint8_t)v;
    }
    if (i < len) {
        if (s[i] == '.')
            return ioc_check_fail(c, "expected four decimal octets");
        return ioc_check_fail(c, "invalid character '%s'",
                              ioc_char_repr((unsigned char)s[i], ch));
    }
    return 0;
}

int ioc_norm_ipv4(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out)
{
    uint8_t addr[4];
    int rc = ioc_parse_ipv4(c, s, len, addr);

    if (rc < 0)
        return rc;
    /* Without leading zeros the input is already the canonical form. */
    strbuf_add(out, s, len);
    return 0;
}

int ioc_parse_ipv6(const struct ioc_check *c, const char *s, size_t len,
                   uint8_t addr[16])
{
    char tmp[INET6_ADDRSTRLEN];
    const char *dcolon = NULL;
    size_t group = 0; /* start of the current group */
    char ch[8];

    if (memchr(s, '%', len))
        return ioc_check_fail(c, "zone ids are not allowed");
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];

        if (!ioc_is_hex(b) && b != ':' && b != '.')
            return ioc_check_fail(c, "invalid character '%s'",
                                  ioc_char_repr(b, ch));
    }
    if (len >= sizeof(tmp))
        return ioc_check_fail(c, "too long for an ipv6 address");
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ':')
            continue;
        if (memchr(s + group, '.', i - group)) {
            uint8_t v4[4];

            /* A dotted IPv4 tail: strict, and only at the end. */
            if (i < len)
                return ioc_check_fail(c, "not a valid ipv6 address");
            if (ioc_parse_ipv4(c, s + group, i - group, v4) < 0)
                return IOCM_EINVAL;
        } else if (i - group > 4) {
            return ioc_check_fail(c, "group longer than 4 hex digits");
        }
        if (i + 1 < len && s[i] == ':' && s[i + 1] == ':') {
            if (dcolon && s + i > dcolon + 1)
                return ioc_check_fail(c, "more than one '::'");
            if (!dcolon)
                dcolon = s + i;
        }
        group = i + 1;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET6, tmp, addr) != 1)
        return ioc_check_fail(c, "not a valid ipv6 address");
    return 0;
}

static void append_ipv6(struct strbuf *out, const uint8_t addr[16])
{
    char buf[INET6_ADDRSTRLEN];

    /* inet_ntop() writes RFC 5952's form: lower case, longest run of
     * zero groups as "::". */
    inet_ntop(AF_INET6, addr, buf, sizeof(buf));
    strbuf_addstr(out, buf);
}

int ioc_norm_ipv6(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out)
{
    uint8_t addr[16];
    int rc = ioc_parse_ipv6(c, s, len, addr);

    if (rc < 0)
        return rc;
    append_ipv6(out, addr);
    return 0;
}

/*
 * A CIDR block is stored with its host bits cleared, so 10.1.2.3/8 and
 * 10.0.0.0/8 are one indicator: analysts often paste a member address
 * with the prefix, and the block is what they mean.
 */
int ioc_norm_cidr(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out)
{
    const char *slash = memrchr(s, '/', len);
    uint8_t addr[16];
    size_t alen, plen;
    unsigned prefix = 0, max;
    bool is_v6;
    const char *p;

    if (!slash)
        return ioc_check_fail(c, "missing '/' and prefix length");
    alen = (size_t)(slash - s);
    p = slash + 1;
    plen = len - alen - 1;
    is_v6 = memchr(s, ':', alen) != NULL;
    max = is_v6 ? 128 : 32;
    if (is_v6 ? ioc_parse_ipv6(c, s, alen, addr) < 0
              : ioc_parse_ipv4(c, s, alen, addr) < 0)
        return IOCM_EINVAL;
    if (plen == 0)
        return ioc_check_fail(c, "missing prefix length");
    for (size_t i = 0; i < plen; i++) {
        if (!ioc_is_digit((unsigned char)p[i]) || plen > 3)
            return ioc_check_fail(c, "invalid prefix length");
        prefix = prefix * 10 + (unsigned)(p[i] - '0');
    }
    if (plen > 1 && p[0] == '0')
        return ioc_check_fail(c, "leading zero in prefix length");
    if (prefix > max)
        return ioc_check_fail(c, "prefix length out of range (0-%u)", max);
    for (unsigned bit = prefix; bit < max; bit++)
        addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
    if (is_v6)
        append_ipv6(out, addr);
    else
        strbuf_addf(out, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
    strbuf_addf(out, "/%u", prefix);
    return 0;
}

/*
 * Checks each "xn--" label of an ASCII name by letting libidn2 convert
 * it: a label that is not valid punycode would never resolve.
 */
static int check_alabels(const struct ioc_check *c, const char *s, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        char label[LABEL_MAX + 1];
        char *ascii = NULL;
        size_t n = i - start;
        int rc;

        if (i < len && s[i] != '.')
            continue;
        if (n < 4 || !ioc_eq_nocase(s + start, 4, "xn--")) {
            start = i + 1;
            continue;
        }
        for (size_t k = 0; k < n; k++)
            label[k] = (char)ioc_lower((unsigned char)s[start + k]);
        label[n] = '\0';
        rc = idn2_to_ascii_8z(label, &ascii, IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK)
            rc = idn2_to_ascii_8z(label, &ascii, IDN2_TRANSITIONAL);
        idn2_free(ascii);
        if (rc != IDN2_OK)
            return ioc_check_fail(c, "invalid punycode label '%s': %s", label,
                                  idn2_strerror(rc));
        start = i + 1;
    }
    return 0;
}

/*
 * Checks the structure of a host name and drops one final dot from *lenp.
 * Labels with non-ASCII bytes set *is_idn; their lengths are checked
 * after conversion to punycode, as are the name's.
 */
static int check_hostname(const struct ioc_check *c, const char *s,
                          size_t *lenp, bool *is_idn)
{
    size_t len = *lenp, labels = 0, start = 0;
    bool is_label_idn = false, is_label_numeric = true;
    bool is_tld_numeric = false, has_alabel = false;
    char ch[8];

    *is_idn = false;
    if (len && s[len - 1] == '.')
        len--;
    if (len == 0)
        return ioc_check_fail(c, "empty name");
    for (size_t i = 0; i <= len; i++) {
        size_t n = i - start;

        if (i < len && s[i] != '.') {
            unsigned char b = (unsigned char)s[i];

            if (b >= 0x80)
                is_label_idn = true;
            else if (!ioc_is_alnum(b) && b != '-')
                return ioc_check_fail(c, "invalid character '%s'",
                                      ioc_char_repr(b, ch));
            if (!ioc_is_digit(b))
                is_label_numeric = false;
            continue;
        }
        if (n == 0)
            return ioc_check_fail(c, "empty label");
        if (s[start] == '-')
            return ioc_check_fail(c, "label starts with a hyphen");
        if (s[i - 1] == '-')
            return ioc_check_fail(c, "label ends with a hyphen");
        if (!is_label_idn && n > LABEL_MAX)
            return ioc_check_fail(c, "label longer than %d characters",
                                  LABEL_MAX);
        if (n >= 4 && ioc_eq_nocase(s + start, 4, "xn--"))
            has_alabel = true;
        labels++;
        is_tld_numeric = is_label_numeric;
        *is_idn = *is_idn || is_label_idn;
        is_label_idn = false;
        is_label_numeric = true;
        start = i + 1;
    }
    *lenp = len;
    if (*is_idn)
        return 0;
    if (len > HOSTNAME_MAX)
        return ioc_check_fail(c, "name longer than %d characters",
                              HOSTNAME_MAX);
    if (labels < 2)
        return ioc_check_fail(c, "needs at least two labels");
    /* An all-numeric last label would make 1.2.3.4 a domain. */
    if (is_tld_numeric)
        return ioc_check_fail(c, "top-level label is all-numeric");
    if (has_alabel)
        return check_alabels(c, s, len);
    return 0;
}

/*
 * Converts the labels of s[0..len) holding non-ASCII bytes to punycode
 * (UTS #46 non-transitional, as browsers do, falling back to
 * transitional), lower-casing the others, into buf. Label by label, so
 * that a neighbouring ASCII label libidn2 frowns on (r3---sn-abc) is no
 * obstacle.
 */
static int hostname_to_ascii(const struct ioc_check *c, const char *s,
                             size_t len, struct strbuf *buf)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        const char *label = s + start;
        size_t n = i - start;
        bool is_ascii = true;
        char *in, *ascii = NULL;
        int rc;

        if (i < len && s[i] != '.')
            continue;
        if (start)
            strbuf_addch(buf, '.');
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)label[k] >= 0x80)
                is_ascii = false;
        start = i + 1;
        if (is_ascii) {
            append_lower(buf, label, n);
            continue;
        }
        in = xstrndup(label, n);
        rc = idn2_to_ascii_8z(in, &ascii, IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK)
            rc = idn2_to_ascii_8z(in, &ascii, IDN2_TRANSITIONAL);
        free(in);
        if (rc != IDN2_OK)
            return ioc_check_fail(c, "idn: %s", idn2_strerror(rc));
        strbuf_addstr(buf, ascii);
        idn2_free(ascii);
    }
    return 0;
}

/*
 * Validates the host name s[0..len). On success *name and *name_len give
 * its ASCII form, still to be lower-cased: s itself when it is ASCII (no
 * allocation), else idn->buf.
 */
static int prepare_hostname(const struct ioc_check *c, const char *s,
                            size_t len, struct strbuf *idn, const char **name,
                            size_t *name_len)
{
    bool is_idn;
    int rc = check_hostname(c, s, &len, &is_idn);

    if (rc < 0 || !is_idn) {
        *name = s;
        *name_len = len;
        return rc;
    }
    rc = hostname_to_ascii(c, s, len, idn);
    if (rc < 0)
        return rc;
    len = idn->len;
    rc = check_hostname(c, idn->buf, &len, &is_idn);
    *name = idn->buf;
    *name_len = len;
    return rc;
}

int ioc_norm_domain(const struct ioc_check *c, const char *s, size_t len,
                    struct strbuf *out)
{
    struct strbuf idn = STRBUF_INIT;
    const char *name;
    size_t name_len;
    int rc = prepare_hostname(c, s, len, &idn, &name, &name_len);

    if (rc == 0)
        append_lower(out, name, name_len);
    strbuf_release(&idn);
    return rc;
}

/* RFC 5322 atext besides letters and digits. */
static bool is_atext(unsigned char b)
{
    return ioc_is_alnum(b) || (b && strchr("!#$%&'*+/=?^_`{|}~-", b));
}

/*
 * A pragmatic address: a dot-atom local part (case kept: only the
 * receiving host may fold it) at a host name. Quoted local parts and
 * address literals are not indicators anyone shares.
 */
int ioc_norm_email(const struct ioc_check *c, const char *s, size_t len,
                   struct strbuf *out)
{
    struct ioc_check dc = *c;
    struct strbuf idn = STRBUF_INIT;
    const char *at = memchr(s, '@', len);
    const char *domain, *name;
    size_t llen, dlen, name_len;
    char ch[8];
    int rc;

    if (!at)
        return ioc_check_fail(c, "missing '@'");
    llen = (size_t)(at - s);
    domain = at + 1;
    dlen = len - llen - 1;
    if (memchr(domain, '@', dlen))
        return ioc_check_fail(c, "more than one '@'");
    if (llen == 0)
        return ioc_check_fail(c, "empty local part");
    if (llen > LOCAL_MAX)
        return ioc_check_fail(c, "local part longer than %d characters",
                              LOCAL_MAX);
    for (size_t i = 0; i < llen; i++) {
        unsigned char b = (unsigned char)s[i];

        if (b == '.') {
            if (i == 0)
                return ioc_check_fail(c, "local part starts with a dot");
            if (i == llen - 1)
                return ioc_check_fail(c, "local part ends with a dot");
            if (s[i + 1] == '.')
                return ioc_check_fail(c, "consecutive dots in local part");
        } else if (!is_atext(b)) {
            return ioc_check_fail(c, "invalid character '%s' in local part",
                                  ioc_char_repr(b, ch));
        }
    }
    if (dlen == 0)
        return ioc_check_fail(c, "empty domain");
    dc.part = "domain";
    rc = prepare_hostname(&dc, domain, dlen, &idn, &name, &name_len);
    if (rc < 0)
        goto out;
    if (llen + 1 + name_len > EMAIL_MAX) {
        rc = ioc_check_fail(c, "longer than %d characters", EMAIL_MAX);
        goto out;
    }
    strbuf_add(out, s, llen);
    strbuf_addch(out, '@');
    append_lower(out, name, name_len);
out:
    strbuf_release(&idn);
    return rc;
}

/* Schemes that carry script or inline data rather than a location. */
static const char *const refused_schemes[] = {
    "javascript",
    "vbscript",
    "data",
};

/* Fails with libcurl's message for uc, lower-cased like ours. */
static int fail_curl(const struct ioc_check *c, CURLUcode uc)
{
    char msg[160];

    snprintf(msg, sizeof(msg), "%s", curl_url_strerror(uc));
    msg[0] = (char)ioc_lower((unsigned char)msg[0]);
    return ioc_check_fail(c, "%s", msg);
}

/* Appends the host s[0..len) of a URL, validated and normalised: a
 * bracketed IPv6 address, a dotted-quad IPv4 address or a host name. */
static int append_url_host(const struct ioc_check *c, const char *s, size_t len,
                           struct strbuf *out)
{
    struct ioc_check hc = *c;
    size_t n = len, last;
    uint8_t addr[16];
    bool is_numeric = true;

    hc.part = "host";
    if (s[0] == '[') {
        if (ioc_parse_ipv6(&hc, s + 1, len - 2, addr) < 0)
            return IOCM_EINVAL;
        strbuf_addch(out, '[');
        append_ipv6(out, addr);
        strbuf_addch(out, ']');
        return 0;
    }
    /*
     * A numeric last label cannot be a host name, so it is an IPv4
     * address and must be a strict one: libcurl would read 010.1.1.1 as
     * 8.1.1.1 and 2130706433 as 127.0.0.1.
     */
    if (n && s[n - 1] == '.')
        n--;
    last = n;
    while (last && s[last - 1] != '.')
        last--;
    for (size_t i = last; i < n; i++)
        if (!ioc_is_digit((unsigned char)s[i]))
            is_numeric = false;
    if (is_numeric && n > last) {
        if (ioc_parse_ipv4(&hc, s, n, addr) < 0)
            return IOCM_EINVAL;
        strbuf_add(out, s, n);
        return 0;
    }
    return ioc_norm_domain(&hc, s, len, out);
}

/* True when libcurl's host equals s[0..len) but for ASCII case. */
static bool is_same_host(const char *curl_host, const char *s, size_t len)
{
    if (strlen(curl_host) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (ioc_lower((unsigned char)curl_host[i]) !=
            ioc_lower((unsigned char)s[i]))
            return false;
    return true;
}

/*
 * libcurl checks the syntax and splits the URL. We read the authority
 * ourselves too and insist both readings name the same host, so the host
 * we store and defang is the one every client connects to; then the URL is
 * rebuilt with scheme and host normalised and the rest as given.
 */
int ioc_norm_url(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out)
{
    struct strbuf url = STRBUF_INIT;
    CURLU *u = NULL;
    CURLUcode uc;
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    char *fragment = NULL;
    size_t k = 0, a, aend, hstart, hend;
    const char *at;
    char ch[8];
    int rc = 0;

    while (k < len && (ioc_is_alnum((unsigned char)s[k]) || s[k] == '+' ||
                       s[k] == '-' || s[k] == '.'))
        k++;
    if (k == 0 || !ioc_is_alpha((unsigned char)s[0]) || k == len || s[k] != ':')
        return ioc_check_fail(c, "missing scheme");
    for (size_t i = 0; i < ARRAY_SIZE(refused_schemes); i++)
        if (ioc_eq_nocase(s, k, refused_schemes[i]))
            return ioc_check_fail(c, "scheme '%s' is not allowed",
                                  refused_schemes[i]);
    if (len - k < 3 || s[k + 1] != '/' || s[k + 2] != '/')
        return ioc_check_fail(c, "missing '//' after scheme");
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];

        if (b == ' ')
            return ioc_check_fail(c, "contains a space");
        if (ioc_is_ctl(b))
            return ioc_check_fail(c, "invalid character '%s'",
                                  ioc_char_repr(b, ch));
    }

    u = curl_url();
    if (!u) {
        rc = iocm_fail(c->err, IOCM_EINTERNAL, "out of memory");
        goto out;
    }
    uc = curl_url_set(u, CURLUPART_URL, s,
                      CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS);
    if (uc != CURLUE_OK) {
        rc = fail_curl(c, uc);
        goto out;
    }

    a = k + 3;
    aend = a;
    while (aend < len && s[aend] != '/' && s[aend] != '?' && s[aend] != '#')
        aend++;
    /* Browsers read "\" as "/" in an authority, libcurl does not. */
    if (memchr(s + a, '\\', aend - a)) {
        rc = ioc_check_fail(c, "backslash in authority");
        goto out;
    }
    at = memrchr(s + a, '@', aend - a);
    hstart = at ? (size_t)(at - s) + 1 : a;
    if (hstart < aend && s[hstart] == '[') {
        const char *close = memchr(s + hstart, ']', aend - hstart);

        if (!close) {
            rc = ioc_check_fail(c, "unterminated '[' in host");
            goto out;
        }
        hend = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s + hstart, ':', aend - hstart);

        hend = colon ? (size_t)(colon - s) : aend;
    }
    if (hend == hstart) {
        rc = ioc_check_fail(c, "missing host");
        goto out;
    }

    for (size_t i = 0; i < k; i++)
        strbuf_addch(&url, (char)ioc_lower((unsigned char)s[i]));
    strbuf_add(&url, s + k, hstart - k); /* "://" and any user info */
    rc = append_url_host(c, s + hstart, hend - hstart, &url);
    if (rc < 0)
        goto out;
    uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (uc != CURLUE_OK) {
        rc = fail_curl(c, uc);
        goto out;
    }
    /* libcurl also decodes %-escapes and numeric forms in the host. */
    if (!is_same_host(host, s + hstart, hend - hstart)) {
        rc = ioc_check_fail(c, "ambiguous host");
        goto out;
    }

    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
        strbuf_addf(&url, ":%s", port);
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
        strbuf_addstr(&url, path);
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK)
        strbuf_addf(&url, "?%s", query);
    if (curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK)
        strbuf_addf(&url, "#%s", fragment);
    if (url.len > IOC_VALUE_MAX) {
        rc = ioc_check_fail(c, "longer than %d bytes", IOC_VALUE_MAX);
        goto out;
    }
    strbuf_addbuf(out, &url);
out:
    curl_free(fragment);
    curl_free(query);
    curl_free(path);
    curl_free(port);
    curl_free(host);
    curl_url_cleanup(u);
    strbuf_release(&url);
    return rc;
}
