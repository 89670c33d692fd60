/*
 * Defanging for display: values in report emails must not turn into links
 * a reader clicks by accident, yet stay readable and refang back to
 * themselves (ioc_refang undoes every form written here).
 */
#include "ioc/ioc.h"

#include <string.h>

#include "ioc/ioc_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const struct {
    const char *scheme;
    const char *defanged;
} schemes[] = {
    { "http", "hxxp" },
    { "https", "hxxps" },
    { "ftp", "fxp" },
    { "ftps", "fxps" },
};

/* Appends s[0..n) with every c written as "[c]". */
static void add_bracketed(struct strbuf *out, const char *s, size_t n, char c)
{
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] != c)
            continue;
        strbuf_add(out, s + start, i - start);
        strbuf_addch(out, '[');
        strbuf_addch(out, c);
        strbuf_addch(out, ']');
        start = i + 1;
    }
    strbuf_add(out, s + start, n - start);
}

/* An IPv6 address has colons, an IPv4 address or host name dots. */
static void add_host(struct strbuf *out, const char *s, size_t n)
{
    add_bracketed(out, s, n, memchr(s, ':', n) ? ':' : '.');
}

/* hxxps://user@evil[.]example:8443/path?q: only scheme and host change,
 * since a path's dots do not make a link. */
static void defang_url(const char *value, struct strbuf *out)
{
    size_t n = strlen(value);
    const char *sep = strstr(value, "://");
    const char *scheme = value;
    size_t k, a, aend, hstart, hend;
    const char *at, *close = NULL;

    if (!sep) {
        strbuf_add(out, value, n);
        return;
    }
    k = (size_t)(sep - value);
    for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
        if (ioc_eq_nocase(value, k, schemes[i].scheme)) {
            scheme = schemes[i].defanged;
            k = strlen(scheme);
            break;
        }
    }
    strbuf_add(out, scheme, k);
    k = (size_t)(sep - value);
    strbuf_addstr(out, "://");
    a = k + 3;
    aend = a + strcspn(value + a, "/?#");
    at = memrchr(value + a, '@', aend - a);
    hstart = at ? (size_t)(at - value) + 1 : a;
    strbuf_add(out, value + a, hstart - a);
    if (hstart < aend && value[hstart] == '[')
        close = memchr(value + hstart, ']', aend - hstart);
    if (close) {
        hend = (size_t)(close - value) + 1;
        strbuf_addch(out, '[');
        add_bracketed(out, value + hstart + 1, hend - hstart - 2, ':');
        strbuf_addch(out, ']');
    } else {
        const char *colon = memchr(value + hstart, ':', aend - hstart);

        hend = colon ? (size_t)(colon - value) : aend;
        add_bracketed(out, value + hstart, hend - hstart, '.');
    }
    strbuf_add(out, value + hend, n - hend);
}

void ioc_defang(enum ioc_type type, const char *value, struct strbuf *out)
{
    size_t n = strlen(value);
    const char *at;

    switch (type) {
    case IOC_TYPE_IPV4:
    case IOC_TYPE_DOMAIN:
        add_bracketed(out, value, n, '.');
        break;
    case IOC_TYPE_IPV6:
        add_bracketed(out, value, n, ':');
        break;
    case IOC_TYPE_CIDR:
        add_host(out, value, n);
        break;
    case IOC_TYPE_EMAIL:
        at = strrchr(value, '@');
        if (!at) {
            strbuf_add(out, value, n);
            break;
        }
        strbuf_add(out, value, (size_t)(at - value));
        strbuf_addstr(out, "[@]");
        add_bracketed(out, at + 1, strlen(at + 1), '.');
        break;
    case IOC_TYPE_URL:
        defang_url(value, out);
        break;
    default:
        /* Hashes, CVEs, ASNs and file names make no links. */
        strbuf_add(out, value, n);
        break;
    }
}
