/*
 * Indicators from free text, and the text writer (one value a line). The
 * extractor is a single pass over the buffer driven by a byte class table:
 * candidate tokens are spans of the input, copied only into small reused
 * buffers when they are refanged or validated, and validated only when
 * their shape makes them promising. It is the hot path of bulk imports.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/xalloc.h"

/* Byte classes of the scanner. */
enum {
    SP, /* separates tokens */
    WD, /* letters, digits, '-', '_', and UTF-8 (IDN host names) */
    DT, /* . */
    CL, /* : */
    SL, /* / */
    AT, /* @ */
    PL, /* + (ssdeep) */
    OP, /* [ ( {: a separator unless a defanged character starts there */
    BS, /* \: a separator unless "\." */
    NL, /* \n */
    HI, /* a UTF-8 lead byte of punctuation we separate on (NBSP, quotes) */
};

static const unsigned char byte_class[256] = {
    SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, NL, SP, SP, SP, SP, SP, SP, SP, SP,
    SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    SP, SP, OP, SP, SP, PL, SP, WD, DT, SL, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, CL, SP, SP, SP, SP, SP, AT, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, OP, BS, SP, SP,
    WD, SP, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, OP, SP, SP, SP, SP, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, HI, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, HI, HI,
    WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD, WD,
    WD, WD, WD, WD, WD, WD, WD, WD, WD,
};

/*
 * Longest token worth a look (bytes): the longest indicators (a SHA-512,
 * a 253-byte host name, an email address) even when defanged all over.
 */
#define TOKEN_MAX 1024
/* Longest URL worth refanging and validating: IOC_VALUE_MAX, defanged. */
#define URL_MAX (4 * IOC_VALUE_MAX)

/*
 * The set of (type, value) pairs delivered so far: open addressing over
 * one growing key buffer, so remembering a value costs no allocation of
 * its own.
 */
struct seen_slot {
    uint64_t hash;
    size_t off; /* of the key in keys: a type byte, then the value */
    size_t len; /* of the key; 0: the slot is empty */
};

struct seen_set {
    uint64_t seed; /* differs from run to run: no chosen collisions */
    struct seen_slot *slots;
    size_t mask; /* slots - 1, a power of 2 minus 1 */
    size_t nr;
    struct strbuf keys;
};

#define SEEN_INITIAL 1024
/*
 * Distinct values remembered before the set starts afresh: a document
 * repeats its indicators within a few pages, and a set this small (about
 * 6 MB) stays in the CPU's caches, where 2^20 values made extraction
 * 1.65 times slower (bench_io: 0.37 s instead of 0.62 s for 1M lines). A
 * value repeated after that many others is delivered again and the store
 * counts it seen again.
 */
#define SEEN_MAX (1 << 16)

static void seen_init(struct seen_set *set)
{
    set->slots = xcalloc(SEEN_INITIAL, sizeof(*set->slots));
    /* Where the heap lies changes with every run (ASLR). */
    set->seed = (uint64_t)(uintptr_t)set->slots;
    set->mask = SEEN_INITIAL - 1;
    set->nr = 0;
    strbuf_init(&set->keys, 0);
}

static void seen_release(struct seen_set *set)
{
    free(set->slots);
    strbuf_release(&set->keys);
}

/* A fast 64-bit hash, a word at a time, seeded per set. */
static uint64_t hash_value(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed * 0x9e3779b97f4a7c15ULL ^ n;
    uint64_t w = 0;

    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

static void seen_grow(struct seen_set *set)
{
    size_t size = (set->mask + 1) * 2;
    struct seen_slot *slots = xcalloc(size, sizeof(*slots));

    for (size_t i = 0; i <= set->mask; i++) {
        struct seen_slot *old = &set->slots[i];
        size_t j;

        if (!old->len)
            continue;
        j = old->hash & (size - 1);
        while (slots[j].len)
            j = (j + 1) & (size - 1);
        slots[j] = *old;
    }
    free(set->slots);
    set->slots = slots;
    set->mask = size - 1;
}

/* Adds (type, value); returns false when it was there already. */
static bool seen_add(struct seen_set *set, enum ioc_type type,
                     const char *value, size_t len)
{
    uint64_t h = hash_value(value, len, set->seed + (uint64_t)type);
    size_t i;

    if (set->nr >= SEEN_MAX) {
        memset(set->slots, 0, (set->mask + 1) * sizeof(*set->slots));
        strbuf_reset(&set->keys);
        set->nr = 0;
    }
    /* Half full at most, so probes stay short. */
    if ((set->nr + 1) * 2 > set->mask + 1)
        seen_grow(set);
    for (i = h & set->mask; set->slots[i].len; i = (i + 1) & set->mask) {
        const struct seen_slot *s = &set->slots[i];
        const char *key = set->keys.buf + s->off;

        if (s->hash == h && s->len == len + 1 &&
            (unsigned char)key[0] == (unsigned char)type &&
            !memcmp(key + 1, value, len))
            return false;
    }
    set->slots[i].hash = h;
    set->slots[i].off = set->keys.len;
    set->slots[i].len = len + 1;
    strbuf_addch(&set->keys, (char)type);
    strbuf_add(&set->keys, value, len);
    set->nr++;
    return true;
}

/* One extraction in progress. */
struct text_scan {
    struct io_reader *r;
    const unsigned char *p; /* the input */
    size_t n;
    size_t line;            /* of the bytes being scanned */
    struct strbuf raw;      /* a candidate, NUL-terminated */
    struct strbuf refanged; /* a defanged token, refanged */
    struct strbuf norm;     /* the normalised value */
    struct seen_set seen;
    struct ioc rec; /* what on_ioc gets: only type and value change */
    int rc;         /* the handler's code when it stopped the scan */
};

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static bool eq_nocase(const unsigned char *s, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != (unsigned char)w[i])
            return false;
    return true;
}

/*
 * Length of the punctuation or space at s[0..n) that is written in UTF-8
 * (no-break space, guillemets, U+2000-U+206F: typographic quotes, dashes,
 * ellipsis; U+3000-U+303F: CJK punctuation), or 0.
 */
static size_t utf8_separator(const unsigned char *s, size_t n)
{
    if (s[0] == 0xc2)
        return n >= 2 && (s[1] == 0xa0 || s[1] == 0xab || s[1] == 0xbb) ? 2 : 0;
    if (n < 3 || (s[2] & 0xc0) != 0x80)
        return 0;
    if (s[0] == 0xe2 && (s[1] == 0x80 || (s[1] == 0x81 && s[2] <= 0xaf)))
        return 3;
    if (s[0] == 0xe3 && s[1] == 0x80)
        return 3;
    return 0;
}

/*
 * Length of an invisible character at s[0..n) (soft hyphen, zero-width
 * space, non-joiner and joiner, word joiner), or 0. Writers slip them into
 * values to keep chat and mail clients from making links: they defang.
 */
static size_t zero_width(const unsigned char *s, size_t n)
{
    if (s[0] == 0xc2)
        return n >= 2 && s[1] == 0xad ? 2 : 0;
    if (s[0] == 0xe2 && n >= 3 &&
        ((s[1] == 0x80 && s[2] >= 0x8b && s[2] <= 0x8d) ||
         (s[1] == 0x81 && s[2] == 0xa0)))
        return 3;
    return 0;
}

/* Appends s[0..n) to sb without its invisible characters. */
static void add_visible(struct strbuf *sb, const unsigned char *s, size_t n)
{
    size_t b = 0;

    for (size_t i = 0; i < n; i++) {
        size_t m = s[i] == 0xc2 || s[i] == 0xe2 ? zero_width(s + i, n - i) : 0;

        if (!m)
            continue;
        strbuf_add(sb, s + b, i - b);
        i += m - 1;
        b = i + 1;
    }
    strbuf_add(sb, s + b, n - b);
}

/*
 * Matches a defanged character at s[0..n), s[0] being '[', '(' or '{':
 * "[.]", "(dot)", "{.}", "[@]", "(at)", "[:]", "[://]", one space allowed
 * on each side inside. Returns its length and sets *means to '.', '@',
 * ':' or '/' (for "://"), or returns 0.
 */
static size_t defang_group(const unsigned char *s, size_t n, char *means)
{
    unsigned char close = s[0] == '[' ? ']' : s[0] == '(' ? ')' : '}';
    size_t i = 1, w;
    char m;

    if (i < n && s[i] == ' ')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '.' || s[i] == '@') {
        w = 1;
        m = (char)s[i];
    } else if (s[i] == ':') {
        bool is_sep = n - i >= 3 && s[i + 1] == '/' && s[i + 2] == '/';

        w = is_sep ? 3 : 1;
        m = is_sep ? '/' : ':';
    } else if (n - i >= 3 && eq_nocase(s + i, "dot", 3)) {
        w = 3;
        m = '.';
    } else if (n - i >= 2 && eq_nocase(s + i, "at", 2)) {
        w = 2;
        m = '@';
    } else {
        return 0;
    }
    i += w;
    if (i < n && s[i] == ' ')
        i++;
    if (i >= n || s[i] != close)
        return 0;
    *means = m;
    return i + 1;
}

static void where_line(const struct text_scan *ts, char *buf, size_t size)
{
    snprintf(buf, size, "line %zu", ts->line);
}

/*
 * Validates and delivers a candidate s[0..n) of type: normalised, then
 * delivered unless it was before. A candidate that fails is reported only
 * when it was defanged: then someone meant it as an indicator.
 */
static void candidate(struct text_scan *ts, enum ioc_type type,
                      const unsigned char *s, size_t n, bool is_defanged)
{
    int rc;

    strbuf_reset(&ts->raw);
    if (is_defanged)
        add_visible(&ts->raw, s, n);
    else
        strbuf_add(&ts->raw, s, n);
    strbuf_reset(&ts->norm);
    if (ioc_normalize(type, ts->raw.buf, &ts->norm, NULL) < 0) {
        if (is_defanged) {
            struct iocm_err err = IOCM_ERR_INIT;
            char where[32];

            ioc_normalize(type, ts->raw.buf, &ts->norm, &err);
            where_line(ts, where, sizeof(where));
            io_invalid(ts->r, where, "%s", err.msg);
        }
        return;
    }
    if (!seen_add(&ts->seen, type, ts->norm.buf, ts->norm.len))
        return;
    ts->rec.type = type;
    ts->rec.value = ts->norm.buf;
    rc = ts->r->h->on_ioc(ts->r->h->ctx, &ts->rec);
    if (rc < 0)
        ts->rc = rc;
}

/* Bytes a token may not start or end with: "evil.com." is evil.com. */
static bool is_edge_junk(unsigned char c)
{
    return c == '.' || c == '-' || c == '_' || c == ':' || c == '/' ||
           c == '@' || c == '+';
}

/*
 * "digits:base64:base64" whose block size is 3 times a power of 2 (the
 * only ones ssdeep makes), so a time of day or a verse is none.
 */
static bool looks_ssdeep(const unsigned char *s, size_t n)
{
    uint64_t block = 0;
    size_t i = 0, colons = 0;

    while (i < n && is_digit(s[i]) && i < 10)
        block = block * 10 + (s[i++] - '0');
    if (i == 0 || i == n || s[i] != ':' || s[0] == '0' || block % 3 ||
        (block / 3 & (block / 3 - 1)))
        return false;
    for (i++; i < n; i++) {
        if (s[i] == ':')
            colons++;
        else if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' ||
                   s[i] == '/'))
            return false;
    }
    return colons == 1 && n >= 10;
}

/*
 * Hex groups and colons, "::" or eight groups, an optional dotted tail
 * and "/prefix"; at least one decimal digit, so that words made of the
 * letters a-f do not pass.
 */
static bool looks_ipv6(const unsigned char *s, size_t n, bool *is_cidr)
{
    size_t colons = 0, end = n;
    bool has_digit = false, has_double = false, has_dot = false;
    const unsigned char *slash = memchr(s, '/', n);

    *is_cidr = false;
    if (slash) {
        end = (size_t)(slash - s);
        if (end + 1 == n || n - end > 4)
            return false;
        for (size_t i = end + 1; i < n; i++)
            if (!is_digit(s[i]))
                return false;
        *is_cidr = true;
    }
    for (size_t i = 0; i < end; i++) {
        if (s[i] == ':') {
            colons++;
            if (i + 1 < end && s[i + 1] == ':')
                has_double = true;
        } else if (s[i] == '.') {
            has_dot = true;
        } else if (!is_hex(s[i])) {
            return false;
        }
        if (is_digit(s[i]))
            has_digit = true;
    }
    return end >= 6 && has_digit &&
           (has_double || colons == 7 || (colons == 6 && has_dot));
}

/* "a.b.c.d/nn": digits and three dots, then a prefix length. */
static bool looks_cidr4(const unsigned char *s, size_t n, size_t slash)
{
    size_t dots = 0;

    if (slash == 0 || slash + 1 == n || n - slash > 3)
        return false;
    for (size_t i = 0; i < slash; i++) {
        if (s[i] == '.')
            dots++;
        else if (!is_digit(s[i]))
            return false;
    }
    for (size_t i = slash + 1; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return dots == 3;
}

static bool is_all_digits(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* The label after the last dot of s[0..n). */
static const unsigned char *last_label(const unsigned char *s, size_t n,
                                       size_t *len)
{
    size_t i = n;

    while (i && s[i - 1] != '.')
        i--;
    *len = n - i;
    return s + i;
}

/*
 * Classifies a token and hands its promising parts to candidate(). Tokens
 * with ':' or '/' are split (evil.example:443, IP:1.2.3.4,
 * evil.example/login.php) unless they are IPv6 addresses, CIDRs or ssdeep
 * hashes, down to depth 2.
 */
static void consider(struct text_scan *ts, const unsigned char *s, size_t n,
                     bool is_defanged, int depth)
{
    size_t dots = 0, colons = 0, slashes = 0, ats = 0, first_at = 0;
    size_t first_slash = 0, tld_len;
    bool is_all_hex = true, is_digits_dots = true, has_plus = false;
    bool has_underscore = false, has_high = false;
    const unsigned char *tld;

    /* Junk at the edges, but "::" opening or closing an IPv6 address. */
    while (n && is_edge_junk(s[0]) && !(n >= 2 && s[0] == ':' && s[1] == ':')) {
        s++;
        n--;
    }
    while (n && is_edge_junk(s[n - 1]) &&
           !(n >= 2 && s[n - 1] == ':' && s[n - 2] == ':'))
        n--;
    if (n < 3)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];

        switch (c) {
        case '.':
            dots++;
            is_all_hex = false;
            continue;
        case ':':
            colons++;
            break;
        case '/':
            if (!slashes++)
                first_slash = i;
            break;
        case '@':
            if (!ats++)
                first_at = i;
            break;
        case '+':
            has_plus = true;
            break;
        case '_':
            has_underscore = true;
            break;
        default:
            if (c >= 0x80)
                has_high = true;
            if (!is_digit(c))
                is_digits_dots = false;
            if (!is_hex(c))
                is_all_hex = false;
            continue;
        }
        is_all_hex = false;
        is_digits_dots = false;
    }

    if (colons) {
        bool is_cidr;

        if (looks_ssdeep(s, n)) {
            candidate(ts, IOC_TYPE_SSDEEP, s, n, is_defanged);
            return;
        }
        if (looks_ipv6(s, n, &is_cidr)) {
            candidate(ts, is_cidr ? IOC_TYPE_CIDR : IOC_TYPE_IPV6, s, n,
                      is_defanged);
            return;
        }
        if (depth >= 2)
            return;
        for (size_t b = 0, i = 0; i <= n; i++) {
            if (i < n && s[i] != ':')
                continue;
            if (i > b)
                consider(ts, s + b, i - b, is_defanged, depth + 1);
            b = i + 1;
        }
        return;
    }
    if (slashes) {
        if (slashes == 1 && looks_cidr4(s, n, first_slash))
            candidate(ts, IOC_TYPE_CIDR, s, n, is_defanged);
        else if (first_slash > 0 && depth < 2)
            /* A URL without its scheme: its host is the indicator. */
            consider(ts, s, first_slash, is_defanged, depth + 1);
        return;
    }
    if (ats) {
        if (ats > 1 || first_at == 0)
            return;
        tld = last_label(s + first_at + 1, n - first_at - 1, &tld_len);
        if (tld == s + first_at + 1)
            return; /* no dot in the domain */
        if (is_defanged || io_text_is_tld((const char *)tld, tld_len))
            candidate(ts, IOC_TYPE_EMAIL, s, n, is_defanged);
        return;
    }
    if (has_plus)
        return;
    if (!dots) {
        if (is_all_hex && (n == 32 || n == 40 || n == 64 || n == 128)) {
            enum ioc_type t = n == 32   ? IOC_TYPE_MD5
                              : n == 40 ? IOC_TYPE_SHA1
                              : n == 64 ? IOC_TYPE_SHA256
                                        : IOC_TYPE_SHA512;

            candidate(ts, t, s, n, is_defanged);
        } else if (n >= 13 && eq_nocase(s, "cve-", 4) && is_digit(s[4])) {
            candidate(ts, IOC_TYPE_CVE, s, n, is_defanged);
        } else if (n <= 12 && s[0] == 'A' && s[1] == 'S' &&
                   is_all_digits(s + 2, n - 2)) {
            candidate(ts, IOC_TYPE_ASN, s, n, is_defanged);
        }
        return;
    }
    if (is_digits_dots) {
        /* 1.2.3 and 10.0.19041.1 are versions; the validator refuses
         * octets above 255; "version 2.4.1.7" is one by its words (an
         * undefanged token is a span of ts->p, so they can be read). */
        if (dots == 3 &&
            (is_defanged || !io_text_follows_version_word(ts->p, s)))
            candidate(ts, IOC_TYPE_IPV4, s, n, is_defanged);
        return;
    }
    tld = last_label(s, n, &tld_len);
    if (is_all_digits(tld, tld_len))
        return; /* v10.0.19041.1 */
    if (is_defanged) {
        /* Nobody defangs a file name. */
        if (!has_underscore)
            candidate(ts, IOC_TYPE_DOMAIN, s, n, true);
        return;
    }
    if (io_text_is_file_ext((const char *)tld, tld_len)) {
        if (!has_high)
            candidate(ts, IOC_TYPE_FILENAME, s, n, false);
        return;
    }
    if (!has_underscore && io_text_is_tld((const char *)tld, tld_len))
        candidate(ts, IOC_TYPE_DOMAIN, s, n, false);
}

/* Looks at the token p[b..e) once it has ended. */
static void end_token(struct text_scan *ts, size_t b, size_t e,
                      bool is_defanged)
{
    if (e - b < 3 || e - b > TOKEN_MAX || ts->rc)
        return;
    if (!is_defanged) {
        consider(ts, ts->p + b, e - b, false, 0);
        return;
    }
    strbuf_reset(&ts->raw);
    add_visible(&ts->raw, ts->p + b, e - b);
    strbuf_reset(&ts->refanged);
    ioc_refang(ts->raw.buf, &ts->refanged);
    consider(ts, (const unsigned char *)ts->refanged.buf, ts->refanged.len,
             true, 0);
}

static bool is_scheme_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* True when a URL ends before p[i] (white space, quotes, angle brackets,
 * UTF-8 punctuation). */
static bool url_stops_at(const unsigned char *p, size_t i, size_t n)
{
    unsigned char c = p[i];

    if (c <= ' ' || c == 0x7f)
        return true;
    switch (c) {
    case '"':
    case '<':
    case '>':
    case '`':
    case '^':
    case '|':
        return true;
    case '\\':
        return !(i + 1 < n && p[i + 1] == '.');
    case 0xc2:
    case 0xe2:
    case 0xe3:
        return utf8_separator(p + i, n - i) > 0 && !zero_width(p + i, n - i);
    default:
        return false;
    }
}

/* Brackets of a URL: a closing one at its end with no opening one left
 * belongs to the text around it, "(see http://x.example/a)". */
struct brackets {
    long open[3], close[3]; /* (), [], {} */
};

static int bracket_kind(unsigned char c)
{
    switch (c) {
    case '(':
    case ')':
        return 0;
    case '[':
    case ']':
        return 1;
    case '{':
    case '}':
        return 2;
    default:
        return -1;
    }
}

static void count_brackets(const unsigned char *s, size_t n, struct brackets *b)
{
    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        int k = bracket_kind(s[i]);

        if (k < 0)
            continue;
        if (s[i] == '(' || s[i] == '[' || s[i] == '{')
            b->open[k]++;
        else
            b->close[k]++;
    }
}

/* Bytes that end a sentence or a list rather than a URL. */
static bool is_trailing_punct(unsigned char c)
{
    return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' ||
           c == '?' || c == '\'' || c == '*';
}

/* True when a bracket group, "\." or an invisible character in s[0..n)
 * defangs it. */
static bool has_defang(const unsigned char *s, size_t n)
{
    char means;

    for (size_t i = 0; i < n; i++) {
        if ((s[i] == 0xc2 || s[i] == 0xe2) && zero_width(s + i, n - i))
            return true;
        if ((s[i] == '[' || s[i] == '(' || s[i] == '{') &&
            defang_group(s + i, n - i, &means))
            return true;
        if (s[i] == '\\')
            return true;
    }
    return false;
}

/*
 * A scheme separator ("://", "[://]", "[:]//") of marker_len bytes at
 * sep, inside the token starting at tok. When a scheme precedes it, reads
 * the URL to its end, delivers it, sets *next past it and returns true.
 */
static bool url_at(struct text_scan *ts, size_t tok, size_t sep,
                   size_t marker_len, bool is_defanged, size_t *next)
{
    const unsigned char *p = ts->p;
    size_t n = ts->n, s = sep, rest = sep + marker_len, e, end;
    struct brackets br;
    bool is_url_defanged;

    while (s > tok && is_scheme_char(p[s - 1]))
        s--;
    while (s < sep && !is_alpha(p[s]))
        s++;
    if (s == sep || rest >= n || url_stops_at(p, rest, n))
        return false;
    for (e = rest; e < n && !url_stops_at(p, e, n); e++) {
        size_t k = e;

        /* "http://a.example,http://b.example": a list, not one URL. */
        if (p[e] != ':' || n - e < 3 || p[e + 1] != '/' || p[e + 2] != '/')
            continue;
        while (k > rest && is_scheme_char(p[k - 1]))
            k--;
        if (k < e && k > rest && strchr(",;'\"()[]", p[k - 1])) {
            e = k - 1;
            break;
        }
    }
    end = e;
    /* Counted once: trimming stays linear however many brackets trail. */
    count_brackets(p + s, e - s, &br);
    while (e > rest) {
        unsigned char c = p[e - 1];
        int k = bracket_kind(c);
        bool is_close = c == ')' || c == ']' || c == '}';

        if (is_trailing_punct(c)) {
            e--;
        } else if (is_close && br.close[k] > br.open[k]) {
            br.close[k]--;
            e--;
        } else {
            break;
        }
    }
    /* What came before the scheme in the token: "jndi:" in jndi:ldap://. */
    end_token(ts, tok, s, is_defanged);
    *next = end;
    if (e == rest || ts->rc)
        return true;
    is_url_defanged = marker_len != 3 || eq_nocase(p + s, "hxxp", 4) ||
                      eq_nocase(p + s, "fxp", 3) || has_defang(p + s, e - s);
    if (e - s > URL_MAX) {
        if (is_url_defanged) {
            char where[32];

            where_line(ts, where, sizeof(where));
            io_invalid(ts->r, where, "invalid url: longer than %d bytes",
                       IOC_VALUE_MAX);
        }
        return true;
    }
    candidate(ts, IOC_TYPE_URL, p + s, e - s, is_url_defanged);
    return true;
}

/*
 * Whether the token starting at tok is an ssdeep hash, whose base64 may
 * hold "://" ("96:s75Jj...R://RzwXY"): then it is no URL.
 */
static bool is_ssdeep_token(const unsigned char *p, size_t n, size_t tok)
{
    size_t e = tok;

    if (tok >= n || !is_digit(p[tok]))
        return false;
    while (e < n && (is_alpha(p[e]) || is_digit(p[e]) || p[e] == ':' ||
                     p[e] == '+' || p[e] == '/'))
        e++;
    /* Followed by a word character or '@', it is part of something else. */
    if (e < n && (byte_class[p[e]] == WD || byte_class[p[e]] == AT))
        return false;
    /* A dot ends a sentence, not a host name: "3:http://x.example". */
    if (e + 1 < n && p[e] == '.' && byte_class[p[e + 1]] != SP &&
        byte_class[p[e + 1]] != NL)
        return false;
    return looks_ssdeep(p + tok, e - tok);
}

static void scan(struct text_scan *ts)
{
    const unsigned char *p = ts->p;
    size_t n = ts->n, i = 0, tok = 0;
    bool is_defanged = false;

    while (i < n && !ts->rc) {
        size_t m;
        char means;

        switch (byte_class[p[i]]) {
        case WD:
        case DT:
        case SL:
        case AT:
        case PL:
            i++;
            continue;
        case CL:
            if (n - i >= 3 && p[i + 1] == '/' && p[i + 2] == '/' &&
                !is_ssdeep_token(p, n, tok) &&
                url_at(ts, tok, i, 3, is_defanged, &i)) {
                tok = i;
                is_defanged = false;
                continue;
            }
            i++;
            continue;
        case OP:
            m = defang_group(p + i, n - i, &means);
            if (!m)
                break;
            is_defanged = true;
            if (means == '/' || (means == ':' && n - i - m >= 2 &&
                                 p[i + m] == '/' && p[i + m + 1] == '/')) {
                size_t marker = means == '/' ? m : m + 2;

                if (url_at(ts, tok, i, marker, true, &i)) {
                    tok = i;
                    is_defanged = false;
                    continue;
                }
            }
            i += m;
            continue;
        case BS:
            if (i + 1 < n && p[i + 1] == '.') {
                is_defanged = true;
                i += 2;
                continue;
            }
            break;
        case HI:
            m = zero_width(p + i, n - i);
            if (m) {
                is_defanged = true;
                i += m;
                continue;
            }
            m = utf8_separator(p + i, n - i);
            if (!m) {
                i++;
                continue;
            }
            end_token(ts, tok, i, is_defanged);
            i += m;
            tok = i;
            is_defanged = false;
            continue;
        case NL:
            end_token(ts, tok, i, is_defanged);
            ts->line++;
            tok = ++i;
            is_defanged = false;
            continue;
        default:
            break;
        }
        /* A separator. */
        if (i - tok >= 3)
            end_token(ts, tok, i, is_defanged);
        tok = ++i;
        is_defanged = false;
    }
    end_token(ts, tok, i, is_defanged);
}

static int text_read(struct io_reader *r, const char *data, size_t len,
                     struct iocm_err *err)
{
    struct text_scan ts = { 0 };

    (void)err; /* text as a whole is never unusable */
    ts.r = r;
    ts.p = (const unsigned char *)data;
    ts.n = len;
    ts.line = 1;
    strbuf_init(&ts.raw, 256);
    strbuf_init(&ts.refanged, 256);
    strbuf_init(&ts.norm, 256);
    seen_init(&ts.seen);
    ioc_init(&ts.rec);
    scan(&ts);
    seen_release(&ts.seen);
    strbuf_release(&ts.norm);
    strbuf_release(&ts.refanged);
    strbuf_release(&ts.raw);
    return ts.rc;
}

static int text_begin(struct io_writer *w, struct iocm_err *err)
{
    (void)w;
    (void)err;
    return 0;
}

static int text_write(struct io_writer *w, const struct ioc *ioc,
                      struct iocm_err *err)
{
    (void)err;
    if (w->opts.defang)
        ioc_defang(ioc->type, ioc->value, &w->buf);
    else
        strbuf_addstr(&w->buf, ioc->value);
    strbuf_addch(&w->buf, '\n');
    return 0;
}

static int text_finish(struct io_writer *w, struct iocm_err *err)
{
    (void)w;
    (void)err;
    return 0;
}

const struct io_backend io_text_backend = {
    .format = IO_FORMAT_TEXT,
    .read = text_read,
    .begin = text_begin,
    .write = text_write,
    .finish = text_finish,
};
