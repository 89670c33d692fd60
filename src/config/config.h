/*
 * Configuration: the .env file (re-read on every run) overlaid by the
 * process environment, typed getters that name the key and the file line of
 * a bad value, the table of known keys, the validated settings view the rest
 * of iocm reads, and the atomic rewrite used by the admin UI.
 */
#ifndef IOCM_CONFIG_CONFIG_H
#define IOCM_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strvec.h"

struct iocm_err;
struct strbuf;

/*
 * The .env format, line by line:
 *
 *   # a comment (only at the start of a line, after optional blanks)
 *   export KEY=value          "export " is allowed and ignored
 *   KEY = value # comment     unquoted: trimmed; " #" starts a comment,
 *                             "a#b" keeps its '#'
 *   KEY='literal $ \ "'       single quotes: literal, no escapes
 *   KEY="a\tb\n\"\\\$"        double quotes: \n \t \" \\ \$ are escapes,
 *                             any other backslash is kept as written
 *
 * Keys match [A-Za-z_][A-Za-z0-9_]*, a later duplicate wins, blank lines are
 * skipped, CRLF line ends and a UTF-8 byte order mark are accepted. Values
 * are taken literally: "$X" is not expanded. Quoted values end on their
 * line; after the closing quote only blanks and a comment may follow. A
 * malformed line fails with IOCM_ECONFIG and ".env:7: invalid line: ...";
 * the message never repeats the line's value, which may be a secret.
 *
 * The process environment overrides the file for every key. It is read
 * once, by config_load*(): a struct config is an immutable snapshot, safe to
 * read from several threads, and unaffected by later setenv() (the time
 * zone code sets TZ, for one).
 */
struct config;

/*
 * Loads the configuration. The file is explicit_path (from --env) when not
 * NULL, else $IOCM_ENV_FILE when set and non-empty, else ".env" in the
 * current directory. A missing ".env" is an empty file; a missing file named
 * by --env or IOCM_ENV_FILE is an IOCM_ECONFIG error. *out is the caller's
 * (config_free) on success and NULL on failure.
 */
int config_load(const char *explicit_path, struct config **out,
                struct iocm_err *err);
/* Loads text as if it were the file called name (tests, the admin UI). */
int config_load_string(const char *name, const char *text, struct config **out,
                       struct iocm_err *err);
void config_free(struct config *cfg);

/* The file that was read, or NULL when none was (default .env missing). */
const char *config_path(const struct config *cfg);

/*
 * The raw value of key, the environment's when it has one; NULL when unset.
 * An empty value is returned as "", which the typed getters below read as
 * unset (so KEY= in the file means "use the default"). Borrowed from cfg.
 */
const char *config_get(const struct config *cfg, const char *key);
/*
 * Appends where key's value comes from, ".env:12" or "environment", and
 * returns 0; returns IOCM_ENOENT (appending nothing) when key is unset.
 */
int config_origin(const struct config *cfg, const char *key,
                  struct strbuf *out);

/* The keys of the file (not the environment), in first-seen order, each
 * once: for `doctor` to report unknown keys. */
size_t config_count(const struct config *cfg);
const char *config_key_at(const struct config *cfg, size_t i);

/*
 * Typed getters. Each writes def to *out when key is unset or empty and
 * fails with IOCM_ECONFIG on a bad value, with one line naming the key, the
 * value (masked for secrets) and where it was set:
 *   invalid MAIL_PORT 'abc' at .env:12: expected a port number 1-65535
 *   invalid MAIL_PORT 'abc' in the environment: expected a port number ...
 * *out is left alone on failure. Strings are borrowed from cfg.
 */
int config_get_string(const struct config *cfg, const char *key,
                      const char *def, const char **out, struct iocm_err *err);
/* true/false, 1/0, yes/no, on/off, in any case. */
int config_get_bool(const struct config *cfg, const char *key, bool def,
                    bool *out, struct iocm_err *err);
/* A decimal whole number in [min, max]. */
int config_get_int(const struct config *cfg, const char *key, long def,
                   long min, long max, long *out, struct iocm_err *err);
/* A TCP port, 1-65535. */
int config_get_port(const struct config *cfg, const char *key, long def,
                    long *out, struct iocm_err *err);
/* Appends the comma-separated parts of key to out, trimmed, empty parts
 * skipped ("a@x.org, b@y.org,"); appends nothing when key is unset. */
int config_get_list(const struct config *cfg, const char *key,
                    struct strvec *out, struct iocm_err *err);

/* What a known key holds, which decides how it is checked and shown. */
enum config_kind {
    CONFIG_STRING,    /* free text */
    CONFIG_SECRET,    /* free text, never shown */
    CONFIG_PATH,      /* a file or folder */
    CONFIG_BOOL,      /* see config_get_bool */
    CONFIG_INT,       /* a whole number in [min, max] */
    CONFIG_PORT,      /* 1-65535 */
    CONFIG_EMAIL,     /* one address, "Name <a@example.org>" allowed */
    CONFIG_EMAILS,    /* comma-separated addresses */
    CONFIG_DB_URL,    /* sqlite:PATH or postgresql://...; password masked */
    CONFIG_URL,       /* http:// or https:// */
    CONFIG_LISTEN,    /* HOST:PORT, [IPV6]:PORT */
    CONFIG_TLP,       /* CLEAR GREEN AMBER AMBER+STRICT RED, "TLP:" ok */
    CONFIG_TIMEZONE,  /* an IANA name the system knows */
    CONFIG_TIME,      /* HH:MM, 24-hour */
    CONFIG_WEEKDAY,   /* mon..sun or monday..sunday */
    CONFIG_LOG_LEVEL, /* error warn info debug */
};

struct config_key {
    const char *name;
    enum config_kind kind;
    const char *def; /* the built-in default as written in .env; NULL none */
    long min, max;   /* CONFIG_INT only */
    bool is_secret;
    const char *description; /* one line, for doctor and .env.example */
};

/* Every key iocm reads, in the order .env.example documents them. */
extern const struct config_key config_keys[];
extern const size_t config_keys_count;
/* The entry for name, or NULL when iocm does not know the key. */
const struct config_key *config_known_key(const char *name);
/* Whether name holds a secret: a known secret, or any *_API_KEY,
 * *_PASSWORD, *_SECRET or *_TOKEN key. */
bool config_key_is_secret(const char *name);

/*
 * Appends key's value for people to read: "********" for a secret (never
 * its value, nor its length), DATABASE_URL with its password masked
 * ("postgresql://user:********@host/db"), other values as they are.
 * Appends nothing when key is unset.
 */
void config_display_value(const struct config *cfg, const char *key,
                          struct strbuf *out);

/*
 * Checks the value of every known key that is set against its kind, in
 * table order, and returns the first bad one as config_get_* would. Unknown
 * keys are not an error (doctor lists them).
 */
int config_validate(const struct config *cfg, struct iocm_err *err);
/*
 * Checks the value of one key as config_validate() does, with the same
 * message; 0 when key is unset, empty or not one iocm knows. Lets doctor
 * report every bad value, not only the first.
 */
int config_check_key(const struct config *cfg, const char *key,
                     struct iocm_err *err);

/*
 * Sets keys[i] to values[i] in the .env file at path, atomically: a
 * replaced line keeps its place, its "export " and its trailing comment;
 * later duplicates of a replaced key are dropped (they would win on read);
 * new keys are appended in the order given; comments, blank lines and line
 * ends are kept. Values are written bare when that reads back unchanged,
 * else double-quoted with escapes. The new file is written to a temporary
 * file in the same folder, fsynced, given mode 0600 and renamed over path
 * (through a symbolic link to its target); a missing path is created.
 * Fails with IOCM_EINVAL for a bad key or a value holding a control
 * character other than tab and newline, IOCM_ECONFIG when the current file
 * does not parse, IOCM_EIO on I/O errors (path is then unchanged). Callers
 * serialise concurrent writers.
 */
int config_write_updates(const char *path, const char *const *keys,
                         const char *const *values, size_t n,
                         struct iocm_err *err);

/*
 * Per-type indicator lifetime in days (0 = never expires), for type as
 * ioc_type_name() spells it. The value is, in order of precedence:
 * IOC_TTL_<TYPE>_DAYS when set; IOC_DEFAULT_TTL_DAYS when set (one number
 * for every type without its own key); the built-in default below; def for
 * a type this table does not know. Values are checked by
 * config_settings_load(), so a bad one here (never reached after it) also
 * falls back as if unset.
 *
 *   type      days    why
 *   ipv4        30    addresses are reassigned, block lists go stale fast
 *   ipv6        30
 *   url         30    phishing and payload URLs are short-lived
 *   cidr        90
 *   domain      90
 *   email      180
 *   asn        365
 *   filename   365
 *   md5 sha1 sha256 sha512 ssdeep cve   0   a hash or a CVE never changes
 */
long config_ioc_ttl_days(const struct config *cfg, const char *type, long def);

struct config_mail {
    const char *server;   /* MAIL_SERVER; NULL: mail not configured */
    long port;            /* 587, or 465 with use_ssl */
    bool use_tls;         /* STARTTLS; default true unless use_ssl */
    bool use_ssl;         /* implicit TLS; default false */
    const char *username; /* NULL: no AUTH */
    const char *password; /* secret: never print or log it */
    const char *sender;   /* MAIL_DEFAULT_SENDER; NULL when unset */
    const char *ca_file;  /* NULL: the system's CA store */
    long timeout;         /* seconds, 1-3600, default 30 */
    long retries;         /* 0-10, default 3 */
};

struct config_report {
    bool enabled;
    struct strvec daily_recipients, weekly_recipients;
    int max_tlp; /* the value of enum tlp (ioc/ioc.h): CLEAR 0 .. RED 4 */
    const char *timezone; /* IANA name, checked with tz_is_valid */
    bool defang;
    int daily_hour, daily_minute; /* REPORT_DAILY_TIME, local to timezone */
    int weekly_day;               /* 0 = Sunday .. 6 = Saturday */
};

/*
 * The validated view of the configuration the rest of iocm reads. Strings
 * are borrowed from the struct config (or static defaults), so a settings
 * struct must not outlive the config it was loaded from; the recipient
 * lists are owned.
 */
struct config_settings {
    const char *database_url; /* default sqlite:data/iocm.db */
    const char *template_dir; /* NULL: the installed templates */
    struct config_mail mail;
    struct config_report report;
    long ioc_default_ttl_days; /* IOC_DEFAULT_TTL_DAYS, default 90; 0 never */
    bool auto_expire_enabled;  /* default true */
    const char *server_listen; /* default 127.0.0.1:8080 */
    const char *secret_key;    /* NULL when unset; secret */
    const char *public_url;    /* NULL when unset */
    long draft_retention_days; /* 0 = keep forever */
    long audit_retention_days; /* 0 = keep forever */
};

/*
 * Checks every known key (config_validate) and the rules that span keys
 * (MAIL_USE_TLS and MAIL_USE_SSL both true), then fills out, so that every
 * bad value is reported before any work is done. out is always safe to
 * release, also after a failure and when it is all zero bytes.
 */
int config_settings_load(const struct config *cfg, struct config_settings *out,
                         struct iocm_err *err);
void config_settings_release(struct config_settings *s);

#endif
