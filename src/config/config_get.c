/*
 * Typed getters over the loaded configuration, the one format of a bad
 * value's error message, and how values are shown to people: secrets
 * masked, a database URL's password hidden.
 */
#include "config/config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "util/err.h"
#include "util/strbuf.h"

#define MASK "********"

/* Enough of a bad value to recognise it, short enough for one line. */
#define SHOWN_VALUE_MAX 80

void config_add_printable(struct strbuf *out, const char *s, size_t len,
                          size_t max)
{
    size_t n = len < max ? len : max;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n')
            strbuf_addstr(out, "\\n");
        else if (c == '\t')
            strbuf_addstr(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            strbuf_addf(out, "\\x%02x", c);
        else
            strbuf_addch(out, (char)c);
    }
    if (len > max)
        strbuf_addstr(out, "...");
}

/* Masks the password of "scheme://user:password@host/db" and of a
 * "password=" query parameter (libpq reads both). */
void config_mask_db_url(const char *value, struct strbuf *out)
{
    const char *auth = strstr(value, "://");
    const char *p = value;
    size_t auth_len;
    const char *at = NULL;

    if (!auth) {
        strbuf_addstr(out, value);
        return;
    }
    auth += 3;
    auth_len = strcspn(auth, "/?#");
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            at = auth + i;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));

        if (colon && colon + 1 < at) {
            strbuf_add(out, p, (size_t)(colon + 1 - p));
            strbuf_addstr(out, MASK);
            p = at;
        }
    }
    /* Walks the query, if any, for password=...; p is what is not yet
     * copied. */
    for (const char *q = strchr(auth + auth_len, '?'); q && *q;) {
        const char *param = q + 1;
        size_t plen = strcspn(param, "&#");

        if (plen > 9 && strncasecmp(param, "password=", 9) == 0) {
            strbuf_add(out, p, (size_t)(param + 9 - p));
            strbuf_addstr(out, MASK);
            p = param + plen;
        }
        q = param[plen] == '&' ? param + plen : NULL;
    }
    strbuf_addstr(out, p);
}

/* How the value of key is shown anywhere a person reads it. */
static void add_display(const char *key, const char *value, struct strbuf *out)
{
    const struct config_key *k = config_known_key(key);

    if (config_key_is_secret(key))
        strbuf_addstr(out, MASK);
    else if (k && k->kind == CONFIG_DB_URL)
        config_mask_db_url(value, out);
    else
        strbuf_addstr(out, value);
}

void config_display_value(const struct config *cfg, const char *key,
                          struct strbuf *out)
{
    const char *v = config_get(cfg, key);

    if (v)
        add_display(key, v, out);
}

int config_bad_value(const struct config *cfg, const struct config_entry *e,
                     const char *why, struct iocm_err *err)
{
    struct strbuf shown = STRBUF_INIT;
    struct strbuf msg = STRBUF_INIT;
    int rc;

    add_display(e->key, e->value, &shown);
    strbuf_addf(&msg, "invalid %s '", e->key);
    config_add_printable(&msg, shown.buf, shown.len, SHOWN_VALUE_MAX);
    strbuf_addstr(&msg, "' ");
    config_where(cfg, e, &msg);
    strbuf_addf(&msg, ": %s", why);
    rc = iocm_fail(err, IOCM_ECONFIG, "%s", msg.buf);
    strbuf_release(&shown);
    strbuf_release(&msg);
    return rc;
}

/* The entry of key when it is set to something; "" counts as unset. */
static const struct config_entry *find_set(const struct config *cfg,
                                           const char *key)
{
    const struct config_entry *e = config_find(cfg, key);

    return e && *e->value ? e : NULL;
}

int config_get_string(const struct config *cfg, const char *key,
                      const char *def, const char **out, struct iocm_err *err)
{
    const struct config_entry *e = find_set(cfg, key);

    (void)err; /* any text is a valid string; kept for a uniform API */
    *out = e ? e->value : def;
    return 0;
}

int config_get_bool(const struct config *cfg, const char *key, bool def,
                    bool *out, struct iocm_err *err)
{
    const struct config_entry *e = find_set(cfg, key);
    bool b;

    if (!e) {
        *out = def;
        return 0;
    }
    if (config_parse_bool(e->value, &b) < 0)
        return config_bad_value(cfg, e, "expected true or false", err);
    *out = b;
    return 0;
}

void config_range_words(long min, long max, char *buf, size_t size)
{
    if (min == LONG_MIN && max == LONG_MAX)
        snprintf(buf, size, "expected a whole number");
    else if (max == LONG_MAX)
        snprintf(buf, size, "expected a whole number of at least %ld", min);
    else
        snprintf(buf, size, "expected a whole number from %ld to %ld", min,
                 max);
}

int config_get_int(const struct config *cfg, const char *key, long def,
                   long min, long max, long *out, struct iocm_err *err)
{
    const struct config_entry *e = find_set(cfg, key);
    char why[96];
    long n;

    if (!e) {
        *out = def;
        return 0;
    }
    if (config_parse_long(e->value, min, max, &n) < 0) {
        config_range_words(min, max, why, sizeof(why));
        return config_bad_value(cfg, e, why, err);
    }
    *out = n;
    return 0;
}

int config_get_port(const struct config *cfg, const char *key, long def,
                    long *out, struct iocm_err *err)
{
    const struct config_entry *e = find_set(cfg, key);
    long n;

    if (!e) {
        *out = def;
        return 0;
    }
    if (config_parse_long(e->value, 1, 65535, &n) < 0)
        return config_bad_value(cfg, e, "expected a port number 1-65535", err);
    *out = n;
    return 0;
}

int config_get_list(const struct config *cfg, const char *key,
                    struct strvec *out, struct iocm_err *err)
{
    const struct config_entry *e = find_set(cfg, key);

    (void)err; /* the parts are checked by their users (addresses) */
    if (e)
        strvec_split(out, e->value, ',');
    return 0;
}
