/*
 * The indicator record's life cycle and the names of the model's enums:
 * how types, severities, TLP levels and statuses are written in the CLI,
 * the API, CSV files and the database.
 */
#include "ioc/ioc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ioc/ioc_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void ioc_init(struct ioc *ioc)
{
    memset(ioc, 0, sizeof(*ioc));
    /* IOC_TYPE_COUNT is "not known yet": ioc_parse_value() detects it. */
    ioc->type = IOC_TYPE_COUNT;
    ioc->severity = IOC_SEV_UNSET;
    ioc->confidence = -1;
    ioc->tlp = TLP_UNSET;
    ioc->status = IOC_STATUS_UNSET;
    strvec_init(&ioc->tags);
}

void ioc_release(struct ioc *ioc)
{
    free(ioc->value);
    free(ioc->source);
    free(ioc->description);
    free(ioc->created_by);
    free(ioc->updated_by);
    free(ioc->expiry_reason);
    strvec_clear(&ioc->tags);
    ioc_init(ioc);
}

static const char *const type_names[IOC_TYPE_COUNT] = {
    [IOC_TYPE_IPV4] = "ipv4",     [IOC_TYPE_IPV6] = "ipv6",
    [IOC_TYPE_CIDR] = "cidr",     [IOC_TYPE_DOMAIN] = "domain",
    [IOC_TYPE_URL] = "url",       [IOC_TYPE_EMAIL] = "email",
    [IOC_TYPE_MD5] = "md5",       [IOC_TYPE_SHA1] = "sha1",
    [IOC_TYPE_SHA256] = "sha256", [IOC_TYPE_SHA512] = "sha512",
    [IOC_TYPE_SSDEEP] = "ssdeep", [IOC_TYPE_CVE] = "cve",
    [IOC_TYPE_ASN] = "asn",       [IOC_TYPE_FILENAME] = "filename",
};

/* Indexed by enum ioc_severity. */
static const char *const severity_names[] = {
    "unset", "low", "medium", "high", "critical",
};

/* Indexed by enum tlp + 1, so that TLP_UNSET has a name too. */
static const char *const tlp_names[] = {
    "UNSET", "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED",
};

/* Indexed by enum ioc_status + 1. */
static const char *const status_names[] = {
    "unset", "draft", "review", "active", "archived", "expired",
};

const char *ioc_type_name(enum ioc_type type)
{
    if ((unsigned)type >= IOC_TYPE_COUNT)
        return "unknown";
    return type_names[type];
}

const char *ioc_severity_name(enum ioc_severity sev)
{
    if ((unsigned)sev >= ARRAY_SIZE(severity_names))
        return "unknown";
    return severity_names[sev];
}

const char *tlp_name(enum tlp tlp)
{
    if ((unsigned)(tlp + 1) >= ARRAY_SIZE(tlp_names))
        return "UNKNOWN";
    return tlp_names[tlp + 1];
}

const char *ioc_status_name(enum ioc_status status)
{
    if ((unsigned)(status + 1) >= ARRAY_SIZE(status_names))
        return "unknown";
    return status_names[status + 1];
}

/*
 * Looks s up among names[first..n) ignoring case; returns the index or -1.
 * names[0] of the severity, TLP and status tables is the unset marker,
 * which is never accepted as input.
 */
static int lookup(const char *s, const char *const *names, size_t first,
                  size_t n)
{
    for (size_t i = first; i < n; i++)
        if (!strcasecmp(s, names[i]))
            return (int)i;
    return -1;
}

/* Fails with "invalid <what> '<s>': expected one of a, b, c". */
static int fail_names(struct iocm_err *err, const char *what, const char *s,
                      const char *const *names, size_t first, size_t n)
{
    struct strbuf list = STRBUF_INIT;
    char quoted[IOC_QUOTE_SIZE];

    for (size_t i = first; i < n; i++)
        strbuf_addf(&list, "%s%s", i > first ? ", " : "", names[i]);
    ioc_quote(s, strlen(s), quoted, sizeof(quoted));
    iocm_fail(err, IOCM_EINVAL, "invalid %s '%s': expected one of %s", what,
              quoted, list.buf);
    strbuf_release(&list);
    return IOCM_EINVAL;
}

int ioc_type_parse(const char *s, enum ioc_type *out, struct iocm_err *err)
{
    int i = lookup(s, type_names, 0, IOC_TYPE_COUNT);

    if (i < 0)
        return fail_names(err, "type", s, type_names, 0, IOC_TYPE_COUNT);
    *out = (enum ioc_type)i;
    return 0;
}

int ioc_severity_parse(const char *s, enum ioc_severity *out,
                       struct iocm_err *err)
{
    int i = lookup(s, severity_names, 1, ARRAY_SIZE(severity_names));

    if (i < 0)
        return fail_names(err, "severity", s, severity_names, 1,
                          ARRAY_SIZE(severity_names));
    *out = (enum ioc_severity)i;
    return 0;
}

int tlp_parse(const char *s, enum tlp *out, struct iocm_err *err)
{
    const char *name = s;
    int i;

    /* Analysts write the label as it appears on documents: "TLP:AMBER". */
    if (!strncasecmp(name, "tlp:", 4))
        name += 4;
    if (!strcasecmp(name, "white")) {
        /* TLP 1.0's WHITE became CLEAR in TLP 2.0. */
        *out = TLP_CLEAR;
        return 0;
    }
    i = lookup(name, tlp_names, 1, ARRAY_SIZE(tlp_names));
    if (i < 0)
        return fail_names(err, "tlp", s, tlp_names, 1, ARRAY_SIZE(tlp_names));
    *out = (enum tlp)(i - 1);
    return 0;
}

int ioc_status_parse(const char *s, enum ioc_status *out, struct iocm_err *err)
{
    int i = lookup(s, status_names, 1, ARRAY_SIZE(status_names));

    if (i < 0)
        return fail_names(err, "status", s, status_names, 1,
                          ARRAY_SIZE(status_names));
    *out = (enum ioc_status)(i - 1);
    return 0;
}

int ioc_confidence_parse(const char *s, int *out, struct iocm_err *err)
{
    char quoted[IOC_QUOTE_SIZE];
    size_t n = strlen(s);
    int v = 0;

    /* Digits only: "+50", " 50", "50.0" and "1e2" are all refused. */
    if (n == 0 || n > 3)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        if (!ioc_is_digit((unsigned char)s[i]))
            goto bad;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 100)
        goto bad;
    *out = v;
    return 0;
bad:
    ioc_quote(s, n, quoted, sizeof(quoted));
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid confidence '%s': expected an integer from 0 to "
                     "100",
                     quoted);
}
