/*
 * What a valid value looks like for each kind of key (enum config_kind),
 * and config_validate(), which checks every known key that is set so that
 * a bad value stops a command before it does any work.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

int config_parse_bool(const char *s, bool *out)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        { "true", true }, { "false", false }, { "1", true },  { "0", false },
        { "yes", true },  { "no", false },    { "on", true }, { "off", false },
    };

    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].value;
            return 0;
        }
    }
    return -1;
}

int config_parse_long(const char *s, long min, long max, long *out)
{
    const char *digits = *s == '-' ? s + 1 : s;
    char *end;
    long n;

    /* strtol alone would take " 5", "+5" and "0x5". */
    if (!isdigit((unsigned char)*digits))
        return -1;
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

/* The names of TLP 2.0 and their enum tlp values (ioc/ioc.h), which config
 * cannot include: it comes before ioc in the module order. */
static const struct {
    const char *name;
    int value;
} tlp_names[] = {
    { "CLEAR", 0 }, { "WHITE", 0 },        { "GREEN", 1 },
    { "AMBER", 2 }, { "AMBER+STRICT", 3 }, { "RED", 4 },
};

int config_parse_tlp(const char *s, int *out)
{
    if (strncasecmp(s, "TLP:", 4) == 0)
        s += 4;
    for (size_t i = 0; i < ARRAY_SIZE(tlp_names); i++) {
        if (strcasecmp(s, tlp_names[i].name) == 0) {
            *out = tlp_names[i].value;
            return 0;
        }
    }
    return -1;
}

int config_parse_time(const char *s, int *hour, int *minute)
{
    size_t hlen = strspn(s, "0123456789");
    int h, m;

    if (hlen < 1 || hlen > 2 || s[hlen] != ':' ||
        strspn(s + hlen + 1, "0123456789") != 2 || s[hlen + 3])
        return -1;
    h = atoi(s);
    m = atoi(s + hlen + 1);
    if (h > 23 || m > 59)
        return -1;
    *hour = h;
    *minute = m;
    return 0;
}

int config_parse_weekday(const char *s, int *out)
{
    static const char *const days[] = { "sunday",    "monday",   "tuesday",
                                        "wednesday", "thursday", "friday",
                                        "saturday" };

    for (int i = 0; i < 7; i++) {
        if (strcasecmp(s, days[i]) == 0 ||
            (strlen(s) == 3 && strncasecmp(s, days[i], 3) == 0)) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static bool has_control_or_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

/*
 * A plausible address, local@domain: enough to catch a typo or a missing
 * comma at start-up. The mail module checks addresses fully before sending.
 */
static bool is_address(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    const char *domain;
    size_t dlen;
    size_t label = 0;

    if (!at || at == s || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
        return false;
    if (has_control_or_blank(s, len))
        return false;
    for (const char *p = s; p < at; p++)
        if (strchr("<>()[],;:\\\"", *p))
            return false;
    domain = at + 1;
    dlen = len - (size_t)(domain - s);
    if (!dlen)
        return false;
    for (size_t i = 0; i < dlen; i++) {
        unsigned char c = (unsigned char)domain[i];

        if (c == '.') {
            if (!label)
                return false;
            label = 0;
        } else if (isalnum(c) || c == '-' || c >= 0x80) {
            label++;
        } else {
            return false;
        }
    }
    return label > 0;
}

/* "soc@example.org" or "IOC Manager <soc@example.org>". */
static bool is_sender(const char *s)
{
    size_t len = strlen(s);
    const char *lt;

    if (!len || s[len - 1] != '>')
        return is_address(s, len);
    lt = strrchr(s, '<');
    if (!lt)
        return false;
    for (const char *p = s; p < lt; p++)
        if ((unsigned char)*p < 0x20 || *p == '>' || *p == 0x7f)
            return false;
    return is_address(lt + 1, (size_t)(s + len - 1 - (lt + 1)));
}

static bool is_db_url(const char *s)
{
    if (strncmp(s, "sqlite:", 7) == 0)
        return s[7] != '\0';
    return strncmp(s, "postgresql://", 13) == 0 ||
           strncmp(s, "postgres://", 11) == 0;
}

static bool is_http_url(const char *s)
{
    size_t skip;

    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    if (!s[skip] || strchr("/?#", s[skip]))
        return false;
    return !has_control_or_blank(s, strlen(s));
}

/* HOST:PORT with IPv6 in brackets; port 0 asks for any free port. */
static bool is_listen(const char *s)
{
    const char *colon;
    long port;

    if (has_control_or_blank(s, strlen(s)))
        return false;
    if (*s == '[') {
        const char *close = strchr(s, ']');

        if (!close || close == s + 1 || close[1] != ':')
            return false;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s || memchr(s, ':', (size_t)(colon - s)))
            return false;
    }
    return config_parse_long(colon + 1, 0, 65535, &port) == 0;
}

static int check_emails(const struct config *cfg, const struct config_entry *e,
                        struct iocm_err *err)
{
    struct strvec parts = STRVEC_INIT;
    int rc = 0;

    strvec_split(&parts, e->value, ',');
    for (size_t i = 0; i < parts.nr; i++) {
        struct strbuf why = STRBUF_INIT;

        if (is_address(parts.v[i], strlen(parts.v[i])))
            continue;
        strbuf_addch(&why, '\'');
        config_add_printable(&why, parts.v[i], strlen(parts.v[i]), 80);
        strbuf_addstr(&why, "' is not an email address (expected "
                            "addresses separated by commas)");
        rc = config_bad_value(cfg, e, why.buf, err);
        strbuf_release(&why);
        break;
    }
    strvec_clear(&parts);
    return rc;
}

int config_check_value(const struct config *cfg, const struct config_key *k,
                       const struct config_entry *e, struct iocm_err *err)
{
    const char *v = e->value;
    enum log_level level;
    char range[96];
    bool b;
    long n;
    int i, j;

    switch (k->kind) {
    case CONFIG_STRING:
    case CONFIG_SECRET:
    case CONFIG_PATH:
        return 0;
    case CONFIG_BOOL:
        if (config_parse_bool(v, &b) == 0)
            return 0;
        return config_bad_value(cfg, e, "expected true or false", err);
    case CONFIG_INT:
        if (config_parse_long(v, k->min, k->max, &n) == 0)
            return 0;
        config_range_words(k->min, k->max, range, sizeof(range));
        return config_bad_value(cfg, e, range, err);
    case CONFIG_PORT:
        if (config_parse_long(v, 1, 65535, &n) == 0)
            return 0;
        return config_bad_value(cfg, e, "expected a port number 1-65535", err);
    case CONFIG_EMAIL:
        if (is_sender(v))
            return 0;
        return config_bad_value(
            cfg, e, "expected an email address, optionally as Name <address>",
            err);
    case CONFIG_EMAILS:
        return check_emails(cfg, e, err);
    case CONFIG_DB_URL:
        if (is_db_url(v))
            return 0;
        return config_bad_value(
            cfg, e, "expected sqlite:PATH or postgresql://USER@HOST/DB", err);
    case CONFIG_URL:
        if (is_http_url(v))
            return 0;
        return config_bad_value(cfg, e, "expected an http:// or https:// URL",
                                err);
    case CONFIG_LISTEN:
        if (is_listen(v))
            return 0;
        return config_bad_value(
            cfg, e, "expected HOST:PORT such as 127.0.0.1:8080 or [::1]:8080",
            err);
    case CONFIG_TLP:
        if (config_parse_tlp(v, &i) == 0)
            return 0;
        return config_bad_value(
            cfg, e, "expected CLEAR, GREEN, AMBER, AMBER+STRICT or RED", err);
    case CONFIG_TIMEZONE:
        if (tz_is_valid(v))
            return 0;
        return config_bad_value(
            cfg, e, "expected an IANA time zone such as UTC or Europe/Paris",
            err);
    case CONFIG_TIME:
        if (config_parse_time(v, &i, &j) == 0)
            return 0;
        return config_bad_value(
            cfg, e, "expected a time HH:MM from 00:00 to 23:59", err);
    case CONFIG_WEEKDAY:
        if (config_parse_weekday(v, &i) == 0)
            return 0;
        return config_bad_value(
            cfg, e,
            "expected a day of the week: mon, tue, wed, thu, fri, "
            "sat or sun",
            err);
    case CONFIG_LOG_LEVEL:
        if (log_level_parse(v, &level) == 0)
            return 0;
        return config_bad_value(cfg, e, "expected error, warn, info or debug",
                                err);
    }
    return iocm_fail(err, IOCM_EINTERNAL, "key '%s' has no kind", k->name);
}

int config_check_key(const struct config *cfg, const char *key,
                     struct iocm_err *err)
{
    const struct config_key *k = config_known_key(key);
    const struct config_entry *e = k ? config_find(cfg, k->name) : NULL;

    if (!e || !*e->value)
        return 0;
    return config_check_value(cfg, k, e, err);
}

int config_validate(const struct config *cfg, struct iocm_err *err)
{
    for (size_t i = 0; i < config_keys_count; i++) {
        int rc = config_check_key(cfg, config_keys[i].name, err);

        if (rc < 0)
            return rc;
    }
    return 0;
}
