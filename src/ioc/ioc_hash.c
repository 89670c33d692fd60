/*
 * Validators of the indicator types that are not network locations:
 * cryptographic hashes, ssdeep fuzzy hashes, CVE identifiers, autonomous
 * system numbers and file names.
 */
#include "ioc/ioc.h"

#include <stdint.h>
#include <string.h>

#include "ioc/ioc_int.h"
#include "util/err.h"
#include "util/strbuf.h"

#define SSDEEP_MIN_BLOCK 3u
#define SSDEEP_HASH_MAX  64 /* characters of each hash part */
#define CVE_SEQ_MAX      19 /* digits; CVE sets no bound, we set a sane one */
#define FILENAME_MAX_LEN 255

size_t ioc_hash_hex_len(enum ioc_type type)
{
    switch (type) {
    case IOC_TYPE_MD5:
        return 32;
    case IOC_TYPE_SHA1:
        return 40;
    case IOC_TYPE_SHA256:
        return 64;
    case IOC_TYPE_SHA512:
        return 128;
    default:
        return 0;
    }
}

int ioc_norm_hash(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out)
{
    size_t want = ioc_hash_hex_len(c->type);
    char ch[8];

    if (len != want)
        return ioc_check_fail(c, "expected %zu hex digits, got %zu", want, len);
    for (size_t i = 0; i < len; i++)
        if (!ioc_is_hex((unsigned char)s[i]))
            return ioc_check_fail(c, "expected %zu hex digits, found '%s'",
                                  want, ioc_char_repr((unsigned char)s[i], ch));
    strbuf_grow(out, len);
    for (size_t i = 0; i < len; i++)
        out->buf[out->len + i] = (char)ioc_lower((unsigned char)s[i]);
    strbuf_setlen(out, out->len + len);
    return 0;
}

static bool is_base64(unsigned char b)
{
    return ioc_is_alnum(b) || b == '+' || b == '/';
}

/*
 * Checks one base64 hash part of an ssdeep hash starting at s[*i] and
 * ending at the next ':' or the end; leaves *i on that byte.
 */
static int check_ssdeep_part(const struct ioc_check *c, const char *s,
                             size_t len, size_t *i)
{
    size_t start = *i;
    char ch[8];

    for (; *i < len && s[*i] != ':'; (*i)++)
        if (!is_base64((unsigned char)s[*i]))
            return ioc_check_fail(c, "invalid character '%s' in hash",
                                  ioc_char_repr((unsigned char)s[*i], ch));
    if (*i - start > SSDEEP_HASH_MAX)
        return ioc_check_fail(c, "hash part longer than %d characters",
                              SSDEEP_HASH_MAX);
    return 0;
}

/*
 * "blocksize:hash:hash". ssdeep's block sizes are 3 doubled n times, so
 * anything else was never produced by it. Either hash part may be empty
 * (the hash of very short input).
 */
int ioc_norm_ssdeep(const struct ioc_check *c, const char *s, size_t len,
                    struct strbuf *out)
{
    uint64_t block = 0;
    size_t i = 0;

    while (i < len && ioc_is_digit((unsigned char)s[i])) {
        if (block <= UINT32_MAX)
            block = block * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == 0 || i == len || s[i] != ':')
        return ioc_check_fail(c, "expected blocksize:hash:hash");
    if (s[0] == '0')
        return ioc_check_fail(c, "leading zero in block size");
    if (block > UINT32_MAX || block % SSDEEP_MIN_BLOCK ||
        (block / SSDEEP_MIN_BLOCK & (block / SSDEEP_MIN_BLOCK - 1)))
        return ioc_check_fail(c, "block size must be 3 times a power of 2");
    i++;
    if (check_ssdeep_part(c, s, len, &i) < 0)
        return IOCM_EINVAL;
    if (i == len)
        return ioc_check_fail(c, "expected blocksize:hash:hash");
    i++;
    if (check_ssdeep_part(c, s, len, &i) < 0)
        return IOCM_EINVAL;
    if (i < len)
        return ioc_check_fail(c, "expected blocksize:hash:hash");
    strbuf_add(out, s, len);
    return 0;
}

/*
 * CVE-YYYY-NNNN: the sequence has four digits, or more without a leading
 * zero (the syntax MITRE adopted in 2014). Case-insensitive in, upper-case
 * out.
 */
int ioc_norm_cve(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out)
{
    const char *seq;
    size_t seq_len;
    unsigned year = 0;

    if (len < 4 || !ioc_eq_nocase(s, 4, "cve-"))
        return ioc_check_fail(c, "expected CVE-YYYY-NNNN");
    for (size_t i = 4; i < 8; i++) {
        if (i >= len || !ioc_is_digit((unsigned char)s[i]))
            return ioc_check_fail(c, "expected a four-digit year");
        year = year * 10 + (unsigned)(s[i] - '0');
    }
    if (len == 8 || s[8] != '-')
        return ioc_check_fail(c, "expected CVE-YYYY-NNNN");
    if (year < 1999)
        return ioc_check_fail(c, "year before 1999");
    seq = s + 9;
    seq_len = len - 9;
    if (seq_len < 4)
        return ioc_check_fail(c, "expected at least four sequence digits");
    for (size_t i = 0; i < seq_len; i++)
        if (!ioc_is_digit((unsigned char)seq[i]))
            return ioc_check_fail(c, "sequence number is not a number");
    if (seq_len > 4 && seq[0] == '0')
        return ioc_check_fail(c, "leading zero in a sequence number longer "
                                 "than four digits");
    if (seq_len > CVE_SEQ_MAX)
        return ioc_check_fail(c, "sequence number longer than %d digits",
                              CVE_SEQ_MAX);
    strbuf_addstr(out, "CVE-");
    strbuf_add(out, s + 4, len - 4);
    return 0;
}

/* "AS15169" or a bare 15169 (when the type is given); 32-bit, asplain. */
int ioc_norm_asn(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out)
{
    size_t i = 0;
    uint64_t v = 0;

    if (len >= 2 && ioc_eq_nocase(s, 2, "as"))
        i = 2;
    if (i == len)
        return ioc_check_fail(c, "expected AS followed by a number");
    for (size_t k = i; k < len; k++) {
        if (!ioc_is_digit((unsigned char)s[k]))
            return ioc_check_fail(c, "expected AS followed by a number");
        if (v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(s[k] - '0');
    }
    if (s[i] == '0' && len - i > 1)
        return ioc_check_fail(c, "leading zero in number");
    if (v == 0 || v > UINT32_MAX)
        return ioc_check_fail(c, "out of range (1-4294967295)");
    strbuf_addf(out, "AS%lu", (unsigned long)v);
    return 0;
}

/*
 * A bare file name as it appears in an alert: any UTF-8 text but path
 * separators and control characters, case kept (Windows and Linux
 * disagree on folding it).
 */
int ioc_norm_filename(const struct ioc_check *c, const char *s, size_t len,
                      struct strbuf *out)
{
    char ch[8];

    if (len > FILENAME_MAX_LEN)
        return ioc_check_fail(c, "longer than %d bytes", FILENAME_MAX_LEN);
    if ((len == 1 && s[0] == '.') || (len == 2 && !memcmp(s, "..", 2)))
        return ioc_check_fail(c, "not a file name");
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];

        if (b == '/' || b == '\\')
            return ioc_check_fail(c, "contains a path separator");
        if (ioc_is_ctl(b))
            return ioc_check_fail(c, "invalid character '%s'",
                                  ioc_char_repr(b, ch));
    }
    strbuf_add(out, s, len);
    return 0;
}
