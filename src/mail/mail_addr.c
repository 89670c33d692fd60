/*
 * Mailboxes and recipient lists: the pragmatic address check that stops a
 * typo before anything is sent, and the comma-separated lists the
 * configuration and the command line carry.
 */
#include "mail/mail.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mail_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* RFC 5321 limits. */
#define LOCAL_MAX   64
#define ADDRESS_MAX 254

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* RFC 5322 atext: what a dot-atom local part is made of besides dots. */
static bool is_atext(char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool mail_hostname_is_valid(const char *host, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = host[i];

        if (c == '.') {
            if (label == 0 || host[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alnum(c) && c != '-')
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && host[len - 1] != '-';
}

/*
 * A mail domain: a host name with at least two labels whose last label is
 * not all digits (so "10.0.0.1" and "examplecom" are refused), or
 * "localhost" for local delivery.
 */
static const char *domain_problem(const char *d, size_t len)
{
    const char *dot = memrchr(d, '.', len);
    bool all_digits = true;

    if (len == 9 && !strncasecmp(d, "localhost", 9))
        return NULL;
    if (!mail_hostname_is_valid(d, len))
        return "invalid domain";
    if (!dot)
        return "domain needs a dot";
    for (const char *p = dot + 1; p < d + len; p++)
        all_digits = all_digits && *p >= '0' && *p <= '9';
    return all_digits ? "invalid domain" : NULL;
}

static const char *local_problem(const char *l, size_t len)
{
    if (len == 0)
        return "empty local part";
    if (len > LOCAL_MAX)
        return "local part longer than 64 characters";
    if (l[0] == '.' || l[len - 1] == '.')
        return "local part starts or ends with a dot";
    for (size_t i = 0; i < len; i++) {
        if (l[i] == '.' && l[i + 1] == '.')
            return "two dots in a row in the local part";
        if (l[i] != '.' && !is_atext(l[i]))
            return "invalid character in the local part";
    }
    return NULL;
}

/* Why addr (len bytes, a bare local@domain) is no address, or NULL. */
static const char *addr_problem(const char *addr, size_t len)
{
    const char *at = memrchr(addr, '@', len);
    const char *why;

    if (len > ADDRESS_MAX)
        return "longer than 254 characters";
    if (!at)
        return "missing '@'";
    why = local_problem(addr, at - addr);
    if (!why)
        why = domain_problem(at + 1, addr + len - at - 1);
    return why;
}

/* A copy of s fit to quote in a one-line message: controls become '?'. */
static void add_printable(struct strbuf *sb, const char *s)
{
    for (; *s; s++)
        strbuf_addch(sb, (unsigned char)*s < 0x20 ? '?' : *s);
}

static int bad_address(struct iocm_err *err, const char *s, const char *why)
{
    struct strbuf shown = STRBUF_INIT;
    int rc;

    add_printable(&shown, s);
    rc = iocm_fail(err, IOCM_EINVAL, "invalid email address '%s': %s",
                   shown.buf, why);
    strbuf_release(&shown);
    return rc;
}

/*
 * Reads a display name from [p, end): a quoted string with backslash
 * escapes, or plain text without quotes or angle brackets. Returns the
 * problem or NULL; *out gets the name or stays NULL when there is none.
 */
static const char *parse_name(const char *p, const char *end, char **out)
{
    struct strbuf name = STRBUF_INIT;

    while (p < end && is_wsp(*p))
        p++;
    while (end > p && is_wsp(end[-1]))
        end--;
    if (p < end && *p == '"') {
        if (end - p < 2 || end[-1] != '"')
            return "unterminated quoted name";
        for (p++, end--; p < end; p++) {
            if (*p == '\\' && p + 1 < end) {
                p++;
            } else if (*p == '"' || *p == '\\') {
                strbuf_release(&name);
                return "stray quote in the name";
            }
            strbuf_addch(&name, *p);
        }
    } else {
        for (; p < end; p++) {
            if (*p == '"' || *p == '<' || *p == '>') {
                strbuf_release(&name);
                return "unexpected quote or angle bracket in the name";
            }
            strbuf_addch(&name, *p);
        }
    }
    if (!utf8_is_valid(name.buf, name.len)) {
        strbuf_release(&name);
        return "the name is not valid UTF-8";
    }
    *out = name.len ? strbuf_detach(&name, NULL) : NULL;
    strbuf_release(&name);
    return NULL;
}

int mail_address_parse(const char *s, struct mail_address *out,
                       struct iocm_err *err)
{
    const char *p = s, *end = s + strlen(s);
    const char *addr, *addr_end, *why;
    char *name = NULL;

    out->name = out->addr = NULL;
    if (strpbrk(s, "\r\n"))
        return bad_address(err, s, "contains a line break");
    while (p < end && is_wsp(*p))
        p++;
    while (end > p && is_wsp(end[-1]))
        end--;
    if (p == end)
        return bad_address(err, s, "empty");

    if (end[-1] == '>') {
        const char *lt = memrchr(p, '<', end - p);

        if (!lt)
            return bad_address(err, s, "'>' without '<'");
        addr = lt + 1;
        addr_end = end - 1;
        why = parse_name(p, lt, &name);
        if (why)
            return bad_address(err, s, why);
    } else {
        addr = p;
        addr_end = end;
        if (memchr(p, '<', end - p))
            return bad_address(err, s, "'<' without '>'");
    }

    why = addr_problem(addr, addr_end - addr);
    if (why) {
        free(name);
        return bad_address(err, s, why);
    }
    out->name = name;
    out->addr = xstrndup(addr, addr_end - addr);
    return 0;
}

void mail_address_release(struct mail_address *a)
{
    free(a->name);
    free(a->addr);
    a->name = a->addr = NULL;
}

/* Returns the end of the item starting at p: the next comma outside a
 * quoted string, or the terminating NUL. */
static const char *item_end(const char *p)
{
    bool quoted = false;

    for (; *p; p++) {
        if (quoted && *p == '\\' && p[1])
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted)
            break;
    }
    return p;
}

int mail_address_list_parse(struct mail_address_list *list, const char *s,
                            struct iocm_err *err)
{
    struct mail_address_list found = MAIL_ADDRESS_LIST_INIT;
    struct strbuf item = STRBUF_INIT;
    const char *p = s ? s : "";
    int rc = 0;

    while (*p) {
        const char *end = item_end(p);

        strbuf_reset(&item);
        strbuf_add(&item, p, end - p);
        strbuf_trim(&item);
        p = *end ? end + 1 : end;
        if (!item.len)
            continue;
        ALLOC_GROW(found.v, found.nr + 1, found.alloc);
        rc = mail_address_parse(item.buf, &found.v[found.nr], err);
        if (rc < 0)
            goto out;
        found.nr++;
    }

    if (found.nr) {
        ALLOC_GROW(list->v, list->nr + found.nr, list->alloc);
        memcpy(list->v + list->nr, found.v, found.nr * sizeof(*found.v));
        list->nr += found.nr;
        found.nr = 0;
    }
out:
    mail_address_list_release(&found);
    strbuf_release(&item);
    return rc;
}

void mail_address_list_release(struct mail_address_list *list)
{
    for (size_t i = 0; i < list->nr; i++)
        mail_address_release(&list->v[i]);
    free(list->v);
    list->v = NULL;
    list->nr = list->alloc = 0;
}
