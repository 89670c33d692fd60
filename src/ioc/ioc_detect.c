/*
 * Type detection: which indicator type a refanged value looks like. It
 * goes by shape only, so that a malformed value of a recognisable type
 * (1.2.3.256) reaches its validator and gets a precise error.
 */
#include "ioc/ioc.h"

#include <string.h>

#include "ioc/ioc_int.h"
#include "util/err.h"
#include "util/xalloc.h"

/*
 * File extensions no top-level domain shares, so "payload.dll" and
 * "invoice.pdf.exe" are file names. Keep TLDs out of this list: a name
 * ending in a real TLD is a domain unless --type says otherwise.
 */
static const char *const file_exts[] = {
    "7z",   "apk",  "asp",  "aspx", "bat", "bin",  "bz2",  "chm",  "cmd",
    "cpl",  "csv",  "dat",  "deb",  "dll", "dmg",  "doc",  "docm", "docx",
    "drv",  "elf",  "eml",  "exe",  "gif", "gz",   "hta",  "htm",  "html",
    "img",  "inf",  "ini",  "iqy",  "iso", "jar",  "jpeg", "jpg",  "js",
    "jse",  "jsp",  "lnk",  "log",  "msg", "msi",  "msp",  "ocx",  "odt",
    "pdf",  "php",  "pif",  "png",  "ppt", "pptm", "pptx", "ps1",  "psm1",
    "rar",  "reg",  "rpm",  "rtf",  "scr", "slk",  "sys",  "tar",  "tgz",
    "tmp",  "txt",  "vbe",  "vbs",  "vhd", "vhdx", "wsf",  "wsh",  "xls",
    "xlsb", "xlsm", "xlsx", "xz",
};

/*
 * File extensions that are also TLDs (.zip, .sh, .py ...): such a value
 * is a file name only when it cannot be a host name (my_tool.py).
 */
static const char *const tld_file_exts[] = {
    "app", "cab", "dot", "mov", "one", "pl",  "ps",
    "pub", "py",  "run", "sh",  "so",  "zip",
};

static bool in_list(const char *s, size_t n, const char *const *list,
                    size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (ioc_eq_nocase(s, n, list[i]))
            return true;
    return false;
}

static bool all_of(const char *s, size_t n, bool (*is)(unsigned char))
{
    for (size_t i = 0; i < n; i++)
        if (!is((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_digit_fn(unsigned char b)
{
    return ioc_is_digit(b);
}

static bool is_hex_fn(unsigned char b)
{
    return ioc_is_hex(b);
}

static bool is_digit_or_dot(unsigned char b)
{
    return ioc_is_digit(b) || b == '.';
}

static bool is_base64(unsigned char b)
{
    return ioc_is_alnum(b) || b == '+' || b == '/';
}

static size_t count(const char *s, size_t n, char c)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

static bool looks_ipv4(const char *s, size_t n)
{
    return n && all_of(s, n, is_digit_or_dot) && count(s, n, '.') == 3;
}

/*
 * Hex groups and colons (and a dotted tail), a zone id after "%": either
 * with "::" or with all eight groups, so that neither a time of day
 * (12:30:45) nor a MAC address passes for one.
 */
static bool looks_ipv6(const char *s, size_t n)
{
    const char *zone = memchr(s, '%', n);
    size_t end = zone ? (size_t)(zone - s) : n;
    size_t colons = count(s, end, ':');
    bool has_v4_tail = memchr(s, '.', end) != NULL;

    for (size_t i = 0; i < end; i++)
        if (!ioc_is_hex((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
            return false;
    if (colons < 2)
        return false;
    return memmem(s, end, "::", 2) || colons == 7 ||
           (colons == 6 && has_v4_tail);
}

/* blocksize:hash:hash with something in the hashes that is not a digit,
 * so that a time of day (12:30:45) is not taken for one. */
static bool looks_ssdeep(const char *s, size_t n)
{
    size_t i = 0, hash1;
    bool has_nondigit = false;

    while (i < n && ioc_is_digit((unsigned char)s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ':')
        return false;
    hash1 = ++i;
    for (int part = 0; part < 2; part++) {
        for (; i < n && is_base64((unsigned char)s[i]); i++)
            if (!ioc_is_digit((unsigned char)s[i]))
                has_nondigit = true;
        if (part == 0 && (i == hash1 || i == n || s[i] != ':'))
            return false;
        if (part == 0)
            i++;
    }
    return i == n && has_nondigit;
}

static bool looks_url(const char *s, size_t n)
{
    size_t k = 0;

    if (!n || !ioc_is_alpha((unsigned char)s[0]))
        return false;
    while (k < n && (ioc_is_alnum((unsigned char)s[k]) || s[k] == '+' ||
                     s[k] == '-' || s[k] == '.'))
        k++;
    return n - k >= 3 && !memcmp(s + k, "://", 3);
}

static bool looks_cidr(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t alen;

    if (!slash || count(s, n, '/') != 1)
        return false;
    alen = (size_t)(slash - s);
    if (alen + 1 == n || !all_of(slash + 1, n - alen - 1, is_digit_fn))
        return false;
    return looks_ipv4(s, alen) || looks_ipv6(s, alen);
}

/*
 * Host-name shape: labels of letters, digits, hyphens (underscores when
 * is_loose) or non-ASCII bytes, at least two, the last not numeric.
 * Sets *tld to the last label.
 */
static bool looks_hostname(const char *s, size_t n, bool is_loose,
                           const char **tld, size_t *tld_len)
{
    size_t last;

    if (n && s[n - 1] == '.')
        n--;
    if (!n || !memchr(s, '.', n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];

        if (!(ioc_is_alnum(b) || b == '-' || b == '.' || b >= 0x80 ||
              (is_loose && b == '_')))
            return false;
    }
    last = n;
    while (last && s[last - 1] != '.')
        last--;
    *tld = s + last;
    *tld_len = n - last;
    return *tld_len && !all_of(*tld, *tld_len, is_digit_fn);
}

/* A name with an extension from either list and nothing a file name
 * cannot hold. */
static bool looks_filename(const char *s, size_t n)
{
    const char *dot = memrchr(s, '.', n);
    size_t ext_len;

    if (!dot || dot == s || dot == s + n - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\\' || ioc_is_ctl((unsigned char)s[i]))
            return false;
    dot++;
    ext_len = n - (size_t)(dot - s);
    return in_list(dot, ext_len, file_exts, ARRAY_SIZE(file_exts)) ||
           in_list(dot, ext_len, tld_file_exts, ARRAY_SIZE(tld_file_exts));
}

/* "evil.example/login.php": a URL someone left the scheme off. */
static bool looks_schemeless_url(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    const char *tld;
    size_t tld_len, hlen;

    if (!slash)
        return false;
    hlen = (size_t)(slash - s);
    return looks_ipv4(s, hlen) ||
           looks_hostname(s, hlen, false, &tld, &tld_len);
}

int ioc_detect(const char *value, enum ioc_type *out, struct iocm_err *err)
{
    char quoted[IOC_QUOTE_SIZE];
    size_t n = strlen(value);
    const char *s = value;
    const char *tld;
    size_t tld_len;

    if (n == 0)
        return iocm_fail(err, IOCM_EINVAL, "invalid indicator '': empty value");
    /* Order matters: each test assumes the ones above it failed. */
    if (n >= 4 && ioc_eq_nocase(s, 4, "cve-")) {
        *out = IOC_TYPE_CVE;
        return 0;
    }
    if (n > 2 && ioc_eq_nocase(s, 2, "as") &&
        all_of(s + 2, n - 2, is_digit_fn)) {
        *out = IOC_TYPE_ASN;
        return 0;
    }
    if (all_of(s, n, is_hex_fn)) {
        for (enum ioc_type t = IOC_TYPE_MD5; t <= IOC_TYPE_SHA512; t++) {
            if (n == ioc_hash_hex_len(t)) {
                *out = t;
                return 0;
            }
        }
    }
    if (looks_ssdeep(s, n)) {
        *out = IOC_TYPE_SSDEEP;
        return 0;
    }
    if (looks_url(s, n)) {
        *out = IOC_TYPE_URL;
        return 0;
    }
    if (memchr(s, '@', n)) {
        *out = IOC_TYPE_EMAIL;
        return 0;
    }
    if (looks_cidr(s, n)) {
        *out = IOC_TYPE_CIDR;
        return 0;
    }
    if (looks_ipv4(s, n)) {
        *out = IOC_TYPE_IPV4;
        return 0;
    }
    if (looks_ipv6(s, n)) {
        *out = IOC_TYPE_IPV6;
        return 0;
    }
    if (looks_hostname(s, n, false, &tld, &tld_len) &&
        !in_list(tld, tld_len, file_exts, ARRAY_SIZE(file_exts))) {
        *out = IOC_TYPE_DOMAIN;
        return 0;
    }
    if (looks_filename(s, n)) {
        *out = IOC_TYPE_FILENAME;
        return 0;
    }
    /* Underscores: a domain the validator will explain is invalid. */
    if (looks_hostname(s, n, true, &tld, &tld_len)) {
        *out = IOC_TYPE_DOMAIN;
        return 0;
    }
    ioc_quote(s, n, quoted, sizeof(quoted));
    if (looks_schemeless_url(s, n))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid indicator '%s': looks like a url without a "
                         "scheme",
                         quoted);
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid indicator '%s': not a recognised indicator type",
                     quoted);
}
