/*
 * The validated settings view: every known key is checked first, then the
 * rules spanning keys, then the struct is filled, defaults taken from the
 * key table. Also the per-type indicator lifetimes.
 */
#include "config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"
#include "util/err.h"
#include "util/strbuf.h"

/* The known key name; a typo in this file is a programmer error that the
 * unit tests catch, so it reports IOCM_EINTERNAL rather than crashing. */
static const struct config_key *known(const char *name, enum config_kind kind,
                                      struct iocm_err *err)
{
    const struct config_key *k = config_known_key(name);

    if (!k || k->kind != kind) {
        iocm_fail(err, IOCM_EINTERNAL, "no config key '%s' of that kind", name);
        return NULL;
    }
    return k;
}

static int known_bool(const struct config *cfg, const char *name, bool *out,
                      struct iocm_err *err)
{
    const struct config_key *k = known(name, CONFIG_BOOL, err);
    bool def = false;

    if (!k)
        return IOCM_EINTERNAL;
    if (k->def)
        config_parse_bool(k->def, &def);
    return config_get_bool(cfg, name, def, out, err);
}

static int known_long(const struct config *cfg, const char *name, long *out,
                      struct iocm_err *err)
{
    const struct config_key *k = known(name, CONFIG_INT, err);
    long def = 0;

    if (!k)
        return IOCM_EINTERNAL;
    if (k->def)
        config_parse_long(k->def, k->min, k->max, &def);
    return config_get_int(cfg, name, def, k->min, k->max, out, err);
}

/* The value of name, else its built-in default (NULL when it has none). */
static const char *known_string(const struct config *cfg, const char *name)
{
    const struct config_key *k = config_known_key(name);
    const char *v = config_get(cfg, name);

    if (v && *v)
        return v;
    return k ? k->def : NULL;
}

/*
 * STARTTLS and implicit TLS exclude each other. MAIL_USE_TLS defaults to
 * true, but not when MAIL_USE_SSL is true; the port follows the choice.
 */
static int load_mail(const struct config *cfg, struct config_mail *m,
                     struct iocm_err *err)
{
    const struct config_entry *tls = config_find(cfg, "MAIL_USE_TLS");
    int rc;

    rc = known_bool(cfg, "MAIL_USE_SSL", &m->use_ssl, err);
    if (rc < 0)
        return rc;
    if (tls && *tls->value) {
        rc = known_bool(cfg, "MAIL_USE_TLS", &m->use_tls, err);
        if (rc < 0)
            return rc;
    } else {
        m->use_tls = !m->use_ssl;
    }
    if (m->use_tls && m->use_ssl) {
        const struct config_entry *ssl = config_find(cfg, "MAIL_USE_SSL");
        struct strbuf where = STRBUF_INIT;

        config_where(cfg, tls, &where);
        strbuf_addstr(&where, ", ");
        config_where(cfg, ssl, &where);
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "invalid mail settings: MAIL_USE_TLS and MAIL_USE_SSL "
                       "are both true (%s): set MAIL_USE_SSL for implicit "
                       "TLS (port 465) or MAIL_USE_TLS for STARTTLS (port "
                       "587), not both",
                       where.buf);
        strbuf_release(&where);
        return rc;
    }
    rc = config_get_port(cfg, "MAIL_PORT", m->use_ssl ? 465 : 587, &m->port,
                         err);
    if (rc == 0)
        rc = known_long(cfg, "MAIL_TIMEOUT", &m->timeout, err);
    if (rc == 0)
        rc = known_long(cfg, "MAIL_RETRIES", &m->retries, err);
    if (rc < 0)
        return rc;
    m->server = known_string(cfg, "MAIL_SERVER");
    m->username = known_string(cfg, "MAIL_USERNAME");
    m->password = known_string(cfg, "MAIL_PASSWORD");
    m->sender = known_string(cfg, "MAIL_DEFAULT_SENDER");
    m->ca_file = known_string(cfg, "MAIL_CA_FILE");
    return 0;
}

/* Values were checked by config_validate(); these parses cannot fail. */
static int load_report(const struct config *cfg, struct config_report *r,
                       struct iocm_err *err)
{
    int rc;

    rc = known_bool(cfg, "REPORT_ENABLED", &r->enabled, err);
    if (rc == 0)
        rc = known_bool(cfg, "REPORT_DEFANG", &r->defang, err);
    if (rc == 0)
        rc = config_get_list(cfg, "DAILY_REPORT_RECIPIENTS",
                             &r->daily_recipients, err);
    if (rc == 0)
        rc = config_get_list(cfg, "WEEKLY_REPORT_RECIPIENTS",
                             &r->weekly_recipients, err);
    if (rc < 0)
        return rc;
    r->timezone = known_string(cfg, "REPORT_TIMEZONE");
    if (config_parse_tlp(known_string(cfg, "REPORT_MAX_TLP"), &r->max_tlp) <
            0 ||
        config_parse_time(known_string(cfg, "REPORT_DAILY_TIME"),
                          &r->daily_hour, &r->daily_minute) < 0 ||
        config_parse_weekday(known_string(cfg, "REPORT_WEEKLY_DAY"),
                             &r->weekly_day) < 0)
        return iocm_fail(err, IOCM_EINTERNAL,
                         "report settings passed validation but do not parse");
    return 0;
}

int config_settings_load(const struct config *cfg, struct config_settings *out,
                         struct iocm_err *err)
{
    struct config_settings s;
    int rc;

    memset(&s, 0, sizeof(s));
    strvec_init(&s.report.daily_recipients);
    strvec_init(&s.report.weekly_recipients);
    memset(out, 0, sizeof(*out));

    rc = config_validate(cfg, err);
    if (rc < 0)
        goto out;
    rc = load_mail(cfg, &s.mail, err);
    if (rc < 0)
        goto out;
    rc = load_report(cfg, &s.report, err);
    if (rc < 0)
        goto out;
    rc = known_long(cfg, "IOC_DEFAULT_TTL_DAYS", &s.ioc_default_ttl_days, err);
    if (rc == 0)
        rc = known_bool(cfg, "IOC_AUTO_EXPIRE_ENABLED", &s.auto_expire_enabled,
                        err);
    if (rc == 0)
        rc = known_long(cfg, "DRAFT_RETENTION_DAYS", &s.draft_retention_days,
                        err);
    if (rc == 0)
        rc = known_long(cfg, "AUDIT_RETENTION_DAYS", &s.audit_retention_days,
                        err);
    if (rc < 0)
        goto out;
    s.database_url = known_string(cfg, "DATABASE_URL");
    s.template_dir = known_string(cfg, "TEMPLATE_DIR");
    s.server_listen = known_string(cfg, "SERVER_LISTEN");
    s.secret_key = known_string(cfg, "SECRET_KEY");
    s.public_url = known_string(cfg, "PUBLIC_URL");
out:
    if (rc < 0) {
        config_settings_release(&s);
        return rc;
    }
    *out = s;
    return 0;
}

void config_settings_release(struct config_settings *s)
{
    strvec_clear(&s->report.daily_recipients);
    strvec_clear(&s->report.weekly_recipients);
}

/* A set, valid lifetime from key; 0 when there is one. */
static int ttl_from(const struct config *cfg, const char *key, long *out)
{
    const char *v = config_get(cfg, key);
    const struct config_key *k = config_known_key(key);
    long max = k ? k->max : 36500;

    if (!v || !*v)
        return -1;
    return config_parse_long(v, 0, max, out);
}

long config_ioc_ttl_days(const struct config *cfg, const char *type, long def)
{
    struct strbuf key = STRBUF_INIT;
    const struct config_key *k;
    long days = def;

    strbuf_addstr(&key, "IOC_TTL_");
    for (const char *p = type; *p; p++)
        strbuf_addch(&key, (char)toupper((unsigned char)*p));
    strbuf_addstr(&key, "_DAYS");
    k = config_known_key(key.buf);
    if (ttl_from(cfg, key.buf, &days) == 0 ||
        ttl_from(cfg, "IOC_DEFAULT_TTL_DAYS", &days) == 0)
        goto out;
    if (k && k->def)
        config_parse_long(k->def, k->min, k->max, &days);
out:
    strbuf_release(&key);
    return days;
}
