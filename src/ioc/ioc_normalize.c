/*
 * Validation and normalisation entry points: refang, pick the validator
 * of the type, and the helpers every validator shares (UTF-8 check, the
 * one-line error message with the value quoted).
 */
#include "ioc/ioc.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioc/ioc_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Values up to this long are refanged on the stack: no allocation on the
 * bulk-import path for the common types. */
#define STACK_VALUE 256

/* How much of a value an error message shows. */
#define QUOTE_BYTES 80

bool ioc_eq_nocase(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!w[i] || ioc_lower((unsigned char)s[i]) != (unsigned char)w[i])
            return false;
    return w[i] == '\0';
}

const char *ioc_char_repr(unsigned char c, char buf[8])
{
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, 8, "%c", c);
    else
        snprintf(buf, 8, "\\x%02x", c);
    return buf;
}

void ioc_quote(const char *s, size_t len, char *buf, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    bool is_cut = len > QUOTE_BYTES;
    size_t end = is_cut ? QUOTE_BYTES : len;
    size_t i = 0, o = 0;

    assert(size >= IOC_QUOTE_SIZE);
    while (i < end) {
        size_t n = utf8_char_len(s + i, len - i);

        if (n > 1 && i + n <= end) {
            /* Readable non-ASCII text stays as it is. */
            memcpy(buf + o, p + i, n);
            o += n;
            i += n;
            continue;
        }
        if (n > 1) {
            /* Cut before a sequence rather than through it. */
            break;
        }
        if (p[i] < 0x20 || p[i] >= 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", p[i]);
        else
            buf[o++] = (char)p[i];
        i++;
    }
    if (is_cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

int ioc_check_fail(const struct ioc_check *c, const char *fmt, ...)
{
    char quoted[IOC_QUOTE_SIZE];
    char reason[256];
    va_list ap;

    if (!c->err)
        return IOCM_EINVAL;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    ioc_quote(c->value, c->len, quoted, sizeof(quoted));
    return iocm_fail(
        c->err, IOCM_EINVAL, "invalid %s '%s': %s%s%s",
        c->type < IOC_TYPE_COUNT ? ioc_type_name(c->type) : "indicator", quoted,
        c->part ? c->part : "", c->part ? ": " : "", reason);
}

/* Validates the refanged value s[0..len) (NUL-terminated) as type. */
static int normalize_refanged(enum ioc_type type, const char *s, size_t len,
                              struct strbuf *out, struct iocm_err *err)
{
    struct ioc_check c = { type, s, len, NULL, err };

    if ((unsigned)type >= IOC_TYPE_COUNT)
        return iocm_fail(err, IOCM_EINVAL, "invalid indicator type %d",
                         (int)type);
    if (len == 0)
        return ioc_check_fail(&c, "empty value");
    if (len > IOC_VALUE_MAX)
        return ioc_check_fail(&c, "longer than %d bytes", IOC_VALUE_MAX);
    /* Stored values must be valid UTF-8 (PostgreSQL insists); checking
     * once here spares every validator. */
    if (!utf8_is_valid(s, len))
        return ioc_check_fail(&c, "invalid utf-8");

    switch (type) {
    case IOC_TYPE_IPV4:
        return ioc_norm_ipv4(&c, s, len, out);
    case IOC_TYPE_IPV6:
        return ioc_norm_ipv6(&c, s, len, out);
    case IOC_TYPE_CIDR:
        return ioc_norm_cidr(&c, s, len, out);
    case IOC_TYPE_DOMAIN:
        return ioc_norm_domain(&c, s, len, out);
    case IOC_TYPE_URL:
        return ioc_norm_url(&c, s, len, out);
    case IOC_TYPE_EMAIL:
        return ioc_norm_email(&c, s, len, out);
    case IOC_TYPE_MD5:
    case IOC_TYPE_SHA1:
    case IOC_TYPE_SHA256:
    case IOC_TYPE_SHA512:
        return ioc_norm_hash(&c, s, len, out);
    case IOC_TYPE_SSDEEP:
        return ioc_norm_ssdeep(&c, s, len, out);
    case IOC_TYPE_CVE:
        return ioc_norm_cve(&c, s, len, out);
    case IOC_TYPE_ASN:
        return ioc_norm_asn(&c, s, len, out);
    case IOC_TYPE_FILENAME:
        return ioc_norm_filename(&c, s, len, out);
    case IOC_TYPE_COUNT:
        break;
    }
    return iocm_fail(err, IOCM_EINTERNAL, "unhandled indicator type %d",
                     (int)type);
}

/*
 * Refangs raw into a buffer (the stack for short values, the heap for long
 * ones), detects the type when asked to, and normalises.
 */
static int refang_and_normalize(const char *raw, enum ioc_type *type,
                                bool is_detecting, struct strbuf *out,
                                struct iocm_err *err)
{
    char stack[STACK_VALUE];
    char *buf = stack;
    size_t n = strlen(raw);
    size_t len;
    int rc;

    if (n >= sizeof(stack))
        buf = xmalloc(n + 1);
    len = ioc_refang_buf(raw, n, buf);
    if (is_detecting) {
        rc = ioc_detect(buf, type, err);
        if (rc < 0)
            goto out;
    }
    rc = normalize_refanged(*type, buf, len, out, err);
out:
    if (buf != stack)
        free(buf);
    return rc;
}

int ioc_normalize(enum ioc_type type, const char *raw, struct strbuf *out,
                  struct iocm_err *err)
{
    return refang_and_normalize(raw, &type, false, out, err);
}

int ioc_parse_value(const char *raw, enum ioc_type *type, struct strbuf *out,
                    struct iocm_err *err)
{
    return refang_and_normalize(raw, type, *type == IOC_TYPE_COUNT, out, err);
}
