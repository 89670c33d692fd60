/*
 * The table of every configuration key iocm reads: its kind, built-in
 * default, range and whether it is a secret. Defaults live here only;
 * config_settings.c and config_ioc_ttl_days() read them from this table.
 */
#include "config/config.h"

#include <string.h>

#include "util/xalloc.h"

/* A lifetime in days: up to a century, 0 meaning "never". */
#define DAYS_MAX 36500L

#define TTL_KEY(upper, lower, days)                                            \
    {                                                                          \
        "IOC_TTL_" upper "_DAYS", CONFIG_INT, days, 0, DAYS_MAX, false,        \
            "days a new " lower " indicator stays active (0 = never expires)"  \
    }

#define ENRICH_KEYS(upper, lower, cache_days, rate)                            \
    { "ENRICH_" upper "_CACHE_DAYS",                                           \
      CONFIG_INT,                                                              \
      cache_days,                                                              \
      0,                                                                       \
      3650,                                                                    \
      false,                                                                   \
      "days a " lower " result is reused before asking again" },               \
    {                                                                          \
        "ENRICH_" upper "_RATE_PER_MIN", CONFIG_INT, rate, 0, 100000, false,   \
            "most " lower " look-ups per minute (0 = no limit)"                \
    }

const struct config_key config_keys[] = {
    { "DATABASE_URL", CONFIG_DB_URL, "sqlite:data/iocm.db", 0, 0, false,
      "sqlite:PATH or postgresql://USER:PASSWORD@HOST/DB" },
    { "TEMPLATE_DIR", CONFIG_PATH, NULL, 0, 0, false,
      "folder whose email/ and web/ templates override the installed ones" },
    { "LOG_LEVEL", CONFIG_LOG_LEVEL, "warn", 0, 0, false,
      "error, warn, info or debug" },

    { "SERVER_LISTEN", CONFIG_LISTEN, "127.0.0.1:8080", 0, 0, false,
      "address and port `iocm serve` listens on" },
    { "PUBLIC_URL", CONFIG_URL, NULL, 0, 0, false,
      "the URL people reach the web UI at, for links in emails" },
    { "SECRET_KEY", CONFIG_SECRET, NULL, 0, 0, true,
      "random secret that signs web sessions" },

    { "MAIL_SERVER", CONFIG_STRING, NULL, 0, 0, false, "SMTP server host" },
    { "MAIL_PORT", CONFIG_PORT, "587", 0, 0, false,
      "SMTP port; 587 for STARTTLS, 465 when MAIL_USE_SSL is true" },
    { "MAIL_USE_TLS", CONFIG_BOOL, "true", 0, 0, false,
      "upgrade the connection with STARTTLS (false when MAIL_USE_SSL)" },
    { "MAIL_USE_SSL", CONFIG_BOOL, "false", 0, 0, false,
      "implicit TLS from the first byte (port 465)" },
    { "MAIL_USERNAME", CONFIG_STRING, NULL, 0, 0, false,
      "SMTP AUTH user; no AUTH when unset" },
    { "MAIL_PASSWORD", CONFIG_SECRET, NULL, 0, 0, true, "SMTP AUTH password" },
    { "MAIL_DEFAULT_SENDER", CONFIG_EMAIL, NULL, 0, 0, false,
      "From address, optionally as Name <address>" },
    { "MAIL_CA_FILE", CONFIG_PATH, NULL, 0, 0, false,
      "PEM file of CA certificates; the system store when unset" },
    { "MAIL_TIMEOUT", CONFIG_INT, "30", 1, 3600, false,
      "seconds before an SMTP connection or command gives up" },
    { "MAIL_RETRIES", CONFIG_INT, "3", 0, 10, false,
      "retries after a transient SMTP failure, with backoff" },

    { "REPORT_ENABLED", CONFIG_BOOL, "true", 0, 0, false,
      "false turns the daily and weekly reports off" },
    { "DAILY_REPORT_RECIPIENTS", CONFIG_EMAILS, NULL, 0, 0, false,
      "comma-separated addresses of the daily report" },
    { "WEEKLY_REPORT_RECIPIENTS", CONFIG_EMAILS, NULL, 0, 0, false,
      "comma-separated addresses of the weekly report" },
    { "REPORT_MAX_TLP", CONFIG_TLP, "AMBER", 0, 0, false,
      "indicators above this TLP are withheld from reports" },
    { "REPORT_TIMEZONE", CONFIG_TIMEZONE, "UTC", 0, 0, false,
      "IANA time zone of report times and dates" },
    { "REPORT_DEFANG", CONFIG_BOOL, "true", 0, 0, false,
      "defang values in emails (hxxps://evil[.]example)" },
    { "REPORT_DAILY_TIME", CONFIG_TIME, "08:00", 0, 0, false,
      "HH:MM the daily report is sent at, in REPORT_TIMEZONE" },
    { "REPORT_WEEKLY_DAY", CONFIG_WEEKDAY, "mon", 0, 0, false,
      "day the weekly report is sent on, at REPORT_DAILY_TIME" },

    { "IOC_DEFAULT_TTL_DAYS", CONFIG_INT, "90", 0, DAYS_MAX, false,
      "when set, the lifetime in days of types without their own "
      "IOC_TTL_<TYPE>_DAYS (0 = never expires)" },
    TTL_KEY("IPV4", "ipv4", "30"),
    TTL_KEY("IPV6", "ipv6", "30"),
    TTL_KEY("CIDR", "cidr", "90"),
    TTL_KEY("DOMAIN", "domain", "90"),
    TTL_KEY("URL", "url", "30"),
    TTL_KEY("EMAIL", "email", "180"),
    TTL_KEY("MD5", "md5", "0"),
    TTL_KEY("SHA1", "sha1", "0"),
    TTL_KEY("SHA256", "sha256", "0"),
    TTL_KEY("SHA512", "sha512", "0"),
    TTL_KEY("SSDEEP", "ssdeep", "0"),
    TTL_KEY("CVE", "cve", "0"),
    TTL_KEY("ASN", "asn", "365"),
    TTL_KEY("FILENAME", "filename", "365"),
    { "IOC_AUTO_EXPIRE_ENABLED", CONFIG_BOOL, "true", 0, 0, false,
      "let `iocm serve` and `iocm expire` expire indicators past their "
      "lifetime" },
    { "DRAFT_RETENTION_DAYS", CONFIG_INT, "0", 0, DAYS_MAX, false,
      "days before untouched drafts are archived (0 = keep)" },
    { "AUDIT_RETENTION_DAYS", CONFIG_INT, "0", 0, DAYS_MAX, false,
      "days audit events are kept (0 = forever)" },

    { "GEOIP_DB_PATH", CONFIG_PATH, NULL, 0, 0, false,
      "MaxMind City or Country database (.mmdb)" },
    { "ASN_DB_PATH", CONFIG_PATH, NULL, 0, 0, false,
      "MaxMind ASN database (.mmdb)" },
    { "VIRUSTOTAL_API_KEY", CONFIG_SECRET, NULL, 0, 0, true,
      "VirusTotal API key; the provider is off when unset" },
    { "VIRUSTOTAL_API_URL", CONFIG_URL, "https://www.virustotal.com/api/v3", 0,
      0, false, "VirusTotal API base URL" },
    { "ABUSEIPDB_API_KEY", CONFIG_SECRET, NULL, 0, 0, true,
      "AbuseIPDB API key; the provider is off when unset" },
    { "ABUSEIPDB_API_URL", CONFIG_URL, "https://api.abuseipdb.com/api/v2", 0, 0,
      false, "AbuseIPDB API base URL" },
    ENRICH_KEYS("GEOIP", "GeoIP", "30", "0"),
    ENRICH_KEYS("ASN", "ASN", "30", "0"),
    ENRICH_KEYS("DNS", "DNS", "1", "60"),
    ENRICH_KEYS("VIRUSTOTAL", "VirusTotal", "7", "4"),
    ENRICH_KEYS("ABUSEIPDB", "AbuseIPDB", "1", "10"),
};

const size_t config_keys_count = ARRAY_SIZE(config_keys);

const struct config_key *config_known_key(const char *name)
{
    for (size_t i = 0; i < config_keys_count; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool config_key_is_secret(const char *name)
{
    static const char *const suffixes[] = { "_API_KEY", "_PASSWORD", "_SECRET",
                                            "_TOKEN" };
    const struct config_key *k = config_known_key(name);

    if (k)
        return k->is_secret;
    /* An unknown key (a typo, a key of a newer version) that looks like a
     * secret is treated as one. */
    for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
        if (ends_with(name, suffixes[i]))
            return true;
    return false;
}
