/*
 * Refanging: undoes the ways reports, tickets and chat defang indicators
 * (hxxp://, [.], (at), [:] ...) so that a value compares equal however it
 * was written. One pass, never longer than its input, no allocation.
 */
#include "ioc/ioc.h"

#include <string.h>

#include "ioc/ioc_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Defanged scheme names and what they stand for. */
static const struct {
    const char *defanged;
    const char *scheme;
} schemes[] = {
    { "hxxp", "http" },
    { "hxxps", "https" },
    { "fxp", "ftp" },
    { "fxps", "ftps" },
};

/* What may stand between a scheme and its authority instead of "://". */
static const char *const scheme_seps[] = {
    "://", "[:]//", "(:)//", "[://]", "(://)", ":\\/\\/",
};

/*
 * The words and marks a bracket may hold, and what the bracketed group
 * means. Longer entries first: "://" must win over ":". A bare " dot " is
 * left alone, as it is too common in prose and file names.
 */
static const struct {
    const char *inner;
    const char *means;
} bracketed[] = {
    { "://", "://" }, { ".", "." },  { "dot", "." },
    { "@", "@" },     { "at", "@" }, { ":", ":" },
};

/* Length of the white space (ASCII or U+00A0) at s[0..n), else 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (n && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
        return 2;
    return 0;
}

/* Length of the white space ending at s[n - 1], else 0. */
static size_t space_before(const unsigned char *s, size_t n)
{
    if (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
        return 1;
    if (n >= 2 && s[n - 2] == 0xc2 && s[n - 1] == 0xa0)
        return 2;
    return 0;
}

/* Narrows [*b, *e) past surrounding white space and wrapping <> or
 * quotes, however deeply nested: "<hxxp://x>" and '"1.2.3.4"'. */
static void unwrap(const unsigned char *s, size_t *b, size_t *e)
{
    for (;;) {
        size_t w = space_at(s + *b, *e - *b);
        unsigned char first, last;

        while (w) {
            *b += w;
            w = space_at(s + *b, *e - *b);
        }
        w = space_before(s + *b, *e - *b);
        while (w) {
            *e -= w;
            w = space_before(s + *b, *e - *b);
        }
        if (*e - *b < 2)
            return;
        first = s[*b];
        last = s[*e - 1];
        if (!((first == '<' && last == '>') ||
              (first == last &&
               (first == '"' || first == '\'' || first == '`'))))
            return;
        (*b)++;
        (*e)--;
    }
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t len = strlen(prefix);

    return len <= n && !memcmp(s, prefix, len);
}

/*
 * Handles a leading "scheme://" in its defanged forms. Returns how many
 * bytes of s it consumed (0: no scheme) and appends to dst at *o.
 */
static size_t refang_scheme(const char *s, size_t n, char *dst, size_t *o)
{
    const char *scheme = s;
    size_t k = 0;

    if (!n || !ioc_is_alpha((unsigned char)s[0]))
        return 0;
    while (k < n && (ioc_is_alnum((unsigned char)s[k]) || s[k] == '+' ||
                     s[k] == '-' || s[k] == '.'))
        k++;
    for (size_t i = 0; i < ARRAY_SIZE(scheme_seps); i++) {
        size_t sep = strlen(scheme_seps[i]);
        size_t len = k;

        if (!starts_with(s + k, n - k, scheme_seps[i]))
            continue;
        for (size_t j = 0; j < ARRAY_SIZE(schemes); j++) {
            if (ioc_eq_nocase(s, k, schemes[j].defanged)) {
                scheme = schemes[j].scheme;
                len = strlen(scheme);
                break;
            }
        }
        /* A replacement scheme is never longer than its defanged form. */
        memcpy(dst + *o, scheme, len);
        memcpy(dst + *o + len, "://", 3);
        *o += len + 3;
        return k + sep;
    }
    return 0;
}

/*
 * Matches a bracketed group such as "[.]", "( dot )" or "{at}" at s[0..n).
 * Returns its length and sets *means, or returns 0.
 */
static size_t match_bracket(const char *s, size_t n, const char **means)
{
    char close;
    size_t i = 1;

    switch (s[0]) {
    case '[':
        close = ']';
        break;
    case '(':
        close = ')';
        break;
    case '{':
        close = '}';
        break;
    default:
        return 0;
    }
    while (i < n && s[i] == ' ')
        i++;
    for (size_t t = 0; t < ARRAY_SIZE(bracketed); t++) {
        size_t len = strlen(bracketed[t].inner);
        size_t j = i + len;

        if (j > n || !ioc_eq_nocase(s + i, len, bracketed[t].inner))
            continue;
        while (j < n && s[j] == ' ')
            j++;
        if (j < n && s[j] == close) {
            *means = bracketed[t].means;
            return j + 1;
        }
    }
    return 0;
}

size_t ioc_refang_buf(const char *raw, size_t n, char *dst)
{
    size_t b = 0, e = n, o = 0, i;

    unwrap((const unsigned char *)raw, &b, &e);
    i = b + refang_scheme(raw + b, e - b, dst, &o);
    while (i < e) {
        char c = raw[i];
        const char *means = NULL;
        size_t m = 0;

        if (c == '[' || c == '(' || c == '{')
            m = match_bracket(raw + i, e - i, &means);
        if (m) {
            size_t len = strlen(means);

            /* "user [at] example [dot] com": the spaces go with the
             * brackets. */
            if (o && dst[o - 1] == ' ' && i + m < e && raw[i + m] == ' ') {
                o--;
                m++;
            }
            memcpy(dst + o, means, len);
            o += len;
            i += m;
            continue;
        }
        /* "\." and "\/" are escaping leftovers from regexes and JSON. */
        if (c == '\\' && i + 1 < e && (raw[i + 1] == '.' || raw[i + 1] == '/'))
            i++;
        dst[o++] = raw[i++];
    }
    dst[o] = '\0';
    return o;
}

void ioc_refang(const char *raw, struct strbuf *out)
{
    size_t n = strlen(raw);

    strbuf_grow(out, n);
    strbuf_setlen(out, out->len + ioc_refang_buf(raw, n, out->buf + out->len));
}
