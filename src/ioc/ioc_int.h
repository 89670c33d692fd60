/*
 * Private helpers shared by the value functions of src/ioc/: ASCII
 * character classes, the error message builder and the per-type
 * validators that ioc_normalize() dispatches to. Not for other modules.
 */
#ifndef IOCM_IOC_IOC_INT_H
#define IOCM_IOC_IOC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ioc/ioc.h"

struct iocm_err;
struct strbuf;

/*
 * Locale-independent character classes: values are bytes from the wire,
 * and <ctype.h> would both depend on the locale and be slower.
 */
static inline bool ioc_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool ioc_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool ioc_is_alnum(unsigned char c)
{
    return ioc_is_alpha(c) || ioc_is_digit(c);
}

static inline bool ioc_is_hex(unsigned char c)
{
    return ioc_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline unsigned char ioc_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* C0 control characters and DEL: never part of any indicator. */
static inline bool ioc_is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* True when s[0..n) equals the lower-case ASCII word w, ignoring case. */
bool ioc_eq_nocase(const char *s, size_t n, const char *w);

/*
 * Writes s[0..len) into buf (size bytes, at least IOC_QUOTE_SIZE) for an
 * error message: control bytes and invalid UTF-8 as \xNN, cut after 80
 * bytes with "...", so a message stays one readable line.
 */
#define IOC_QUOTE_SIZE 400
void ioc_quote(const char *s, size_t len, char *buf, size_t size);

/* Writes byte c for a message ("_" or "\x01") into buf; returns buf. */
const char *ioc_char_repr(unsigned char c, char buf[8]);

/*
 * What is being validated, for error messages. Every validator fails
 * through ioc_check_fail(), which writes
 * "invalid <type> '<value>': [<part>: ]<reason>".
 */
struct ioc_check {
    enum ioc_type type; /* IOC_TYPE_COUNT: "indicator" */
    const char *value;  /* the whole refanged value */
    size_t len;
    const char *part; /* "host", "domain" while checking a part; or NULL */
    struct iocm_err *err;
};

/* Returns IOCM_EINVAL; formats nothing when c->err is NULL (bulk checks). */
__attribute__((format(printf, 2, 3))) int
ioc_check_fail(const struct ioc_check *c, const char *fmt, ...);

/*
 * Refangs raw[0..n) into dst, which holds at least n + 1 bytes: refanging
 * never lengthens a value. Returns the length written; dst ends in NUL.
 */
size_t ioc_refang_buf(const char *raw, size_t n, char *dst);

/*
 * The validators. Each checks s[0..len), refanged and not necessarily
 * NUL-terminated, and on success appends the normalised form to out and
 * returns 0; on failure it returns IOCM_EINVAL through ioc_check_fail()
 * and has not touched out.
 */
int ioc_norm_ipv4(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out);
int ioc_norm_ipv6(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out);
int ioc_norm_cidr(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out);
int ioc_norm_domain(const struct ioc_check *c, const char *s, size_t len,
                    struct strbuf *out);
/* s[len] must be NUL: libcurl parses C strings. */
int ioc_norm_url(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out);
int ioc_norm_email(const struct ioc_check *c, const char *s, size_t len,
                   struct strbuf *out);
/* md5, sha1, sha256, sha512 by c->type. */
int ioc_norm_hash(const struct ioc_check *c, const char *s, size_t len,
                  struct strbuf *out);
int ioc_norm_ssdeep(const struct ioc_check *c, const char *s, size_t len,
                    struct strbuf *out);
int ioc_norm_cve(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out);
int ioc_norm_asn(const struct ioc_check *c, const char *s, size_t len,
                 struct strbuf *out);
int ioc_norm_filename(const struct ioc_check *c, const char *s, size_t len,
                      struct strbuf *out);

/* Parses a strict dotted-quad IPv4 address (no leading zeros). */
int ioc_parse_ipv4(const struct ioc_check *c, const char *s, size_t len,
                   uint8_t addr[4]);
/* Parses an IPv6 address without zone id. */
int ioc_parse_ipv6(const struct ioc_check *c, const char *s, size_t len,
                   uint8_t addr[16]);

/* Hex digits of each hash type, 0 for the others. */
size_t ioc_hash_hex_len(enum ioc_type type);

#endif
