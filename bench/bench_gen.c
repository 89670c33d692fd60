/*
 * The benchmark's data, deterministic for a seed: a whole store (indicators
 * over 90 days, users, audit events, enrichment attempts) written straight
 * into the database through db.h, and the text and CSV files the import
 * benchmark reads. The same seed and size always give the same bytes.
 *
 * usage: bench_gen db URL N [--seed S] [--now TIME]
 *        bench_gen text|csv|rows FILE N [--seed S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define DAY          INT64_C(86400)
#define WINDOW_DAYS  90
#define CHUNK        1000000 /* indicators per transaction */
#define PROGRESS     20000   /* indicators between progress lines */
#define DEFAULT_NOW  "2026-12-01T08:00:00Z"
#define DEFAULT_SEED 1
/* Serials of one type must stay below 2^24 to keep values unique. */
#define MAX_IOCS INT64_C(50000000)

/* splitmix64: small, fast and the same on every machine. */
struct rng {
    uint64_t state;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
    r->state += UINT64_C(0x9e3779b97f4a7c15);
    return mix64(r->state);
}

/* Uniform in [0, n). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

/* Percent chance. */
static int rng_pct(struct rng *r, unsigned pct)
{
    return rng_below(r, 100) < pct;
}

/* A weighted choice among n entries whose weights add up to 1000. */
static size_t pick(struct rng *r, const unsigned *weights, size_t n)
{
    unsigned x = (unsigned)rng_below(r, 1000);

    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/*
 * The mixes, per mille, as seen in SOC feeds: network indicators first,
 * then file hashes; severities mostly medium; TLP mostly GREEN and AMBER.
 */
static const enum ioc_type type_of[] = {
    IOC_TYPE_IPV4,   IOC_TYPE_DOMAIN, IOC_TYPE_URL,      IOC_TYPE_SHA256,
    IOC_TYPE_MD5,    IOC_TYPE_SHA1,   IOC_TYPE_EMAIL,    IOC_TYPE_IPV6,
    IOC_TYPE_CIDR,   IOC_TYPE_CVE,    IOC_TYPE_FILENAME, IOC_TYPE_ASN,
    IOC_TYPE_SHA512, IOC_TYPE_SSDEEP,
};
static const unsigned type_weights[] = {
    300, 250, 200, 100, 50, 40, 25, 10, 8, 7, 5, 2, 2, 1,
};

static const unsigned severity_weights[] = { 300, 400, 220, 80 };
static const unsigned tlp_weights[] = { 150, 350, 400, 50, 50 };

static const char *const sources[] = {
    "abuse.ch",        "alienvault-otx", "misp-community", "internal-soc",
    "phishtank",       "spamhaus",       "cert-eu",        "vendor-intel",
    "honeypot",        "urlhaus",        "feodo-tracker",  "isac-finance",
    "customer-report", "sandbox",        "threatfox",      "",
};
static const unsigned source_weights[] = {
    180, 140, 120, 100, 80, 70, 50, 50, 40, 40, 30, 25, 20, 20, 15, 20,
};

static const char *const words[] = { "update", "secure", "login",   "cdn",
                                     "mail",   "portal", "invoice", "account",
                                     "verify", "cloud",  "static",  "api",
                                     "office", "docs",   "payment", "support" };
static const char *const tlds[] = {
    "com", "net", "org", "ru", "cn", "info", "xyz", "top", "io", "biz",
};
static const char *const exts[] = { "exe", "dll", "ps1", "docm", "zip" };
static const char *const tag_names[] = {
    "botnet", "c2",     "phishing", "ransomware",    "scanner", "malware",
    "apt",    "emotet", "qakbot",   "cobalt-strike", "tor",     "spam",
};

/* Users: a few dozen, with a skewed share of the work. */
#define USERS 36
static const char *const user_roles[] = { "admin", "analyst", "viewer" };

static void user_name(int i, char *buf, size_t len)
{
    if (i == 0)
        snprintf(buf, len, "admin");
    else
        snprintf(buf, len, "analyst%02d", i);
}

/* Zipf-like: user i works in proportion to 1/(i+1). */
static int pick_user(struct rng *r)
{
    static const double total = 4.1799; /* sum of 1/k, k = 1..36 */
    double x = (double)rng_below(r, 1000000) / 1000000.0 * total;

    for (int i = 0; i < USERS; i++) {
        x -= 1.0 / (i + 1);
        if (x <= 0)
            return i;
    }
    return USERS - 1;
}

/* A bijection of 24-bit numbers, so that serials look random yet never
 * repeat. */
static uint32_t scramble24(uint32_t x)
{
    x &= 0xffffff;
    x = (x * 0x9e3779u + 0x7f4a7cu) & 0xffffff;
    x ^= x >> 12;
    x = (x * 0x5bd1e9u) & 0xffffff; /* odd: invertible modulo 2^24 */
    return x ^ (x >> 11);
}

static void add_base36(struct strbuf *sb, uint64_t v)
{
    char tmp[16];
    int n = 0;

    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    while (n)
        strbuf_addch(sb, tmp[--n]);
}

static void add_hex(struct strbuf *sb, uint64_t seed, uint64_t serial,
                    size_t digits)
{
    /* The first 16 digits are a bijection of the serial: unique. */
    uint64_t block = mix64((serial ^ seed) + UINT64_C(0x9e3779b97f4a7c15));

    for (size_t i = 0; i < digits; i += 16) {
        strbuf_addf(sb, "%016llx", (unsigned long long)block);
        block = mix64(block + serial);
    }
}

/* Letters only, so that what follows a '-' is the serial alone. */
static void add_letters(struct strbuf *sb, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v /= 26)
        strbuf_addch(sb, (char)('a' + v % 26));
}

/* word + letters + '-' + serial: unique by the part after the '-'. */
static void add_host(struct strbuf *sb, struct rng *r, uint64_t serial)
{
    strbuf_addstr(sb, words[rng_below(r, ARRAY_SIZE(words))]);
    add_letters(sb, mix64(serial + 1), 3);
    strbuf_addch(sb, '-');
    add_base36(sb, serial);
    strbuf_addch(sb, '.');
    strbuf_addstr(sb, tlds[rng_below(r, ARRAY_SIZE(tlds))]);
}

/*
 * Appends the raw value of the serial-th indicator of its type. Serials
 * make values unique per type; the rng only picks the decoration.
 */
static void raw_value(enum ioc_type t, uint64_t serial, struct rng *r,
                      uint64_t seed, struct strbuf *sb)
{
    uint32_t s = scramble24((uint32_t)serial);

    switch (t) {
    case IOC_TYPE_IPV4:
        /* The low 24 bits are unique; the first octet is decoration. */
        strbuf_addf(sb, "%u.%u.%u.%u", 1 + (unsigned)rng_below(r, 222), s >> 16,
                    s >> 8 & 0xff, s & 0xff);
        break;
    case IOC_TYPE_IPV6:
        strbuf_addf(sb, "2001:db8:%x:%x:%x:%x:%x:%x", 0x1000 | (s & 0xfff),
                    0x1000 | (unsigned)(rng_next(r) & 0xfff),
                    0x1000 | (unsigned)(rng_next(r) & 0xfff),
                    0x1000 | (unsigned)(rng_next(r) & 0xfff),
                    0x1000 | (unsigned)(serial >> 12 & 0xfff),
                    0x1000 | (unsigned)(serial & 0xfff));
        break;
    case IOC_TYPE_CIDR:
        strbuf_addf(sb, "%u.%u.%u.0/24", 20 + (unsigned)(serial >> 16),
                    (unsigned)(serial >> 8 & 0xff), (unsigned)(serial & 0xff));
        break;
    case IOC_TYPE_DOMAIN:
        add_host(sb, r, serial);
        break;
    case IOC_TYPE_URL:
        strbuf_addstr(sb, rng_pct(r, 60) ? "https://" : "http://");
        add_host(sb, r, serial);
        strbuf_addf(sb, "/%s/%s.php?id=%llu", words[rng_below(r, 16)],
                    words[rng_below(r, 16)],
                    (unsigned long long)rng_below(r, 100000));
        break;
    case IOC_TYPE_EMAIL:
        strbuf_addf(sb, "%s.", words[rng_below(r, 16)]);
        add_base36(sb, serial);
        strbuf_addch(sb, '@');
        add_host(sb, r, serial);
        break;
    case IOC_TYPE_MD5:
        add_hex(sb, seed ^ 5, serial, 32);
        break;
    case IOC_TYPE_SHA1:
        add_hex(sb, seed ^ 1, serial, 48);
        strbuf_setlen(sb, sb->len - 8);
        break;
    case IOC_TYPE_SHA256:
        add_hex(sb, seed ^ 256, serial, 64);
        break;
    case IOC_TYPE_SHA512:
        add_hex(sb, seed ^ 512, serial, 128);
        break;
    case IOC_TYPE_SSDEEP:
        strbuf_addf(sb, "%u:", 3u << (rng_below(r, 8) + 3));
        for (int i = 0; i < 40; i++) {
            if (i == 30)
                strbuf_addch(sb, ':');
            strbuf_addch(sb, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                             "wxyz0123456789+/"[rng_below(r, 64)]);
        }
        add_base36(sb, serial); /* unique */
        break;
    case IOC_TYPE_CVE:
        strbuf_addf(sb, "CVE-%llu-%llu",
                    (unsigned long long)(1999 + serial % 28),
                    (unsigned long long)(10000 + serial / 28));
        break;
    case IOC_TYPE_ASN:
        strbuf_addf(sb, "AS%llu", (unsigned long long)(1000 + serial));
        break;
    case IOC_TYPE_FILENAME:
        strbuf_addf(sb, "%s_", words[rng_below(r, 16)]);
        add_base36(sb, serial);
        strbuf_addf(sb, ".%s", exts[rng_below(r, ARRAY_SIZE(exts))]);
        break;
    case IOC_TYPE_COUNT:
        break;
    }
}

/* The next indicator of the mix: its type and its normalised value. */
struct gen {
    struct rng rng;
    uint64_t seed;
    uint64_t serial[IOC_TYPE_COUNT];
    struct strbuf raw;
};

static void gen_init(struct gen *g, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->seed = seed;
    g->rng.state = seed;
    strbuf_init(&g->raw, 256);
}

static int gen_value(struct gen *g, enum ioc_type *type, struct strbuf *out,
                     struct iocm_err *err)
{
    enum ioc_type t =
        type_of[pick(&g->rng, type_weights, ARRAY_SIZE(type_weights))];

    strbuf_reset(&g->raw);
    strbuf_reset(out);
    raw_value(t, g->serial[t]++, &g->rng, g->seed, &g->raw);
    *type = t;
    return ioc_normalize(t, g->raw.buf, out, err);
}

static void add_tags(struct rng *r, struct strbuf *sb, char sep)
{
    unsigned n = (unsigned)pick(r, (const unsigned[]){ 500, 300, 150, 50 }, 4);
    size_t first = rng_below(r, ARRAY_SIZE(tag_names));

    /* Every fifth name from a random start: distinct for up to three;
     * sorted below, as the store keeps tags. */
    const char *chosen[3];

    for (unsigned i = 0; i < n; i++)
        chosen[i] = tag_names[(first + i * 5) % ARRAY_SIZE(tag_names)];
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = i + 1; j < n; j++) {
            if (strcmp(chosen[j], chosen[i]) < 0) {
                const char *tmp = chosen[i];

                chosen[i] = chosen[j];
                chosen[j] = tmp;
            }
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (i)
            strbuf_addch(sb, sep);
        strbuf_addstr(sb, chosen[i]);
    }
}

/* ---- the store ---- */

static const char sql_user[] =
    "INSERT INTO users (username, password_hash, role, is_reviewer, "
    "is_disabled, created_at, updated_at) VALUES (?, NULL, ?, ?, 0, ?, ?) "
    "ON CONFLICT (username) DO NOTHING";

static const char sql_ioc[] =
    "INSERT INTO iocs (type, value, severity, confidence, tlp, source, "
    "description, tags, status, is_false_positive, first_seen, last_seen, "
    "created_at, created_by, updated_at, updated_by, expires_at, "
    "expiry_reason, is_enriched) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "RETURNING id";

static const char sql_audit[] =
    "INSERT INTO audit_events (at, actor, action, object_type, object_id, "
    "details) VALUES (?, ?, ?, ?, ?, ?)";

static const char sql_attempt[] =
    "INSERT INTO enrich_attempts (ioc_id, provider, at, outcome, error) "
    "VALUES (?, ?, ?, ?, ?)";

static const char sql_result[] =
    "INSERT INTO enrich_results (ioc_id, provider, fetched_at, result) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (ioc_id, provider) DO NOTHING";

struct store_gen {
    struct db *db;
    struct gen gen;
    int64_t now;
    struct strbuf value, text;
    int64_t iocs, audits, attempts;
};

static int add_users(struct store_gen *sg, struct iocm_err *err)
{
    struct db_stmt *st;
    char name[32];
    int rc = db_prepare_cached(sg->db, sql_user, &st, err);

    for (int i = 0; rc == 0 && i < USERS; i++) {
        int role = i == 0 ? 0 : i <= 29 ? 1 : 2;

        user_name(i, name, sizeof(name));
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, user_roles[role]);
        db_bind_int64(st, 3, i < 6);
        db_bind_int64(st, 4, sg->now - 400 * DAY);
        db_bind_int64(st, 5, sg->now - 400 * DAY);
        rc = db_step(st, err);
        db_reset(st);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

static int audit(struct store_gen *sg, int64_t at, const char *actor,
                 const char *action, int64_t id, const char *details,
                 struct iocm_err *err)
{
    struct db_stmt *st;
    char idbuf[24];
    int rc = db_prepare_cached(sg->db, sql_audit, &st, err);

    if (rc < 0)
        return rc;
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    db_bind_int64(st, 1, at < sg->now ? at : sg->now - 1);
    db_bind_text(st, 2, actor);
    db_bind_text(st, 3, action);
    db_bind_text(st, 4, "ioc");
    db_bind_text(st, 5, idbuf);
    db_bind_text(st, 6, details);
    rc = db_step(st, err);
    db_reset(st);
    sg->audits++;
    return rc < 0 ? rc : 0;
}

/*
 * Enrichment of a new indicator: about one attempt per indicator over
 * the store, by the providers that apply to its type. Returns through
 * *is_enriched whether one succeeded.
 */
static int enrich(struct store_gen *sg, int64_t id, enum ioc_type t, int64_t at,
                  bool *is_enriched, struct iocm_err *err)
{
    static const char *const net[] = { "geoip", "asn", "abuseipdb" };
    static const char *const host[] = { "dns", "virustotal" };
    static const char *const file[] = { "virustotal" };
    const char *const *providers = file;
    size_t n = 1;
    struct rng *r = &sg->gen.rng;
    struct db_stmt *att, *res;
    int rc;

    *is_enriched = false;
    if (t == IOC_TYPE_IPV4 || t == IOC_TYPE_IPV6) {
        providers = net;
        n = 3;
    } else if (t == IOC_TYPE_DOMAIN || t == IOC_TYPE_URL) {
        providers = host;
        n = 2;
    }
    if (!rng_pct(r, 55))
        return 0;
    rc = db_prepare_cached(sg->db, sql_attempt, &att, err);
    if (rc == 0)
        rc = db_prepare_cached(sg->db, sql_result, &res, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned x = (unsigned)rng_below(r, 100);
        const char *outcome = x < 78   ? "success"
                              : x < 93 ? "failure"
                                       : "not_applicable";
        int64_t when = at + 60 + (int64_t)rng_below(r, 3600);

        if (when >= sg->now)
            when = sg->now - 1;
        db_bind_int64(att, 1, id);
        db_bind_text(att, 2, providers[i]);
        db_bind_int64(att, 3, when);
        db_bind_text(att, 4, outcome);
        db_bind_text(att, 5, x >= 78 && x < 93 ? "timeout" : NULL);
        rc = db_step(att, err);
        db_reset(att);
        sg->attempts++;
        if (rc < 0 || outcome[0] != 's')
            continue;
        *is_enriched = true;
        db_bind_int64(res, 1, id);
        db_bind_text(res, 2, providers[i]);
        db_bind_int64(res, 3, when);
        db_bind_text(res, 4, "{\"country\":\"NL\",\"asn\":64500}");
        rc = db_step(res, err);
        db_reset(res);
    }
    return rc < 0 ? rc : 0;
}

static const char sql_mark[] = "UPDATE iocs SET is_enriched = 1 WHERE id = ?";

/* Expiry per type, in days; 0 never. */
static int64_t ttl_days(struct rng *r, enum ioc_type t)
{
    static const int64_t net[] = { 14, 30, 30, 60, 90 };

    switch (t) {
    case IOC_TYPE_IPV4:
    case IOC_TYPE_IPV6:
    case IOC_TYPE_CIDR:
    case IOC_TYPE_URL:
        return net[rng_below(r, ARRAY_SIZE(net))];
    case IOC_TYPE_DOMAIN:
    case IOC_TYPE_EMAIL:
        return rng_pct(r, 50) ? 90 : 180;
    default:
        return rng_pct(r, 80) ? 0 : 365;
    }
}

/* One indicator created at `at`, with its audit events and enrichment. */
static int add_ioc(struct store_gen *sg, int64_t at, struct iocm_err *err)
{
    static const char *const actions[] = {
        "ioc.update",  "ioc.submit",         "ioc.approve", "ioc.seen",
        "ioc.archive", "ioc.false_positive", "ioc.flag",
    };
    static const unsigned action_weights[] = { 450, 150, 150, 150, 50, 25, 25 };
    struct rng *r = &sg->gen.rng;
    enum ioc_type t;
    enum ioc_status status = IOC_STATUS_ACTIVE;
    int64_t age = sg->now - at, ttl, expires = 0, id = 0;
    int user = pick_user(r);
    bool is_system = rng_pct(r, 30), is_enriched = false;
    char actor[32];
    struct db_stmt *st;
    int rc;

    rc = gen_value(&sg->gen, &t, &sg->value, err);
    if (rc < 0)
        return rc;
    user_name(user, actor, sizeof(actor));
    ttl = ttl_days(r, t);
    if (ttl)
        expires = at + ttl * DAY;
    if (age < DAY && rng_pct(r, 15))
        status = rng_pct(r, 50) ? IOC_STATUS_DRAFT : IOC_STATUS_REVIEW;
    else if (age >= DAY && rng_pct(r, 4))
        status = rng_pct(r, 50) ? IOC_STATUS_DRAFT : IOC_STATUS_REVIEW;
    else if (rng_pct(r, 5))
        status = IOC_STATUS_ARCHIVED;
    else if (expires && expires <= sg->now)
        status = IOC_STATUS_EXPIRED; /* the expiry job has run */

    rc = db_prepare_cached(sg->db, sql_ioc, &st, err);
    if (rc < 0)
        return rc;
    strbuf_reset(&sg->text);
    add_tags(r, &sg->text, ',');
    db_bind_text(st, 1, ioc_type_name(t));
    db_bind_text(st, 2, sg->value.buf);
    db_bind_int64(
        st, 3,
        1 + (int64_t)pick(r, severity_weights, ARRAY_SIZE(severity_weights)));
    db_bind_int64(st, 4, 30 + (int64_t)rng_below(r, 71));
    db_bind_int64(st, 5,
                  (int64_t)pick(r, tlp_weights, ARRAY_SIZE(tlp_weights)));
    db_bind_text(st, 6,
                 sources[pick(r, source_weights, ARRAY_SIZE(source_weights))]);
    db_bind_text(st, 7, rng_pct(r, 30) ? "seen in phishing campaign" : "");
    db_bind_text(st, 8, sg->text.buf);
    db_bind_int64(st, 9, status);
    db_bind_int64(st, 10, rng_pct(r, 1));
    db_bind_int64(st, 11, at - (int64_t)rng_below(r, 7 * DAY));
    db_bind_int64(st, 12, at + (int64_t)rng_below(r, (uint64_t)age + 1));
    db_bind_int64(st, 13, at);
    db_bind_text(st, 14, is_system ? "system" : actor);
    db_bind_int64(st, 15, at);
    db_bind_text(st, 16, is_system ? "system" : actor);
    if (expires)
        db_bind_int64(st, 17, expires);
    else
        db_bind_null(st, 17);
    db_bind_text(st, 18, status == IOC_STATUS_EXPIRED ? "ttl" : NULL);
    db_bind_int64(st, 19, 0);
    rc = db_step(st, err);
    if (rc == DB_ROW)
        id = db_column_int64(st, 0);
    db_reset(st);
    if (rc < 0)
        return rc;
    sg->iocs++;

    /* As many audit events as indicators: the creation, or later work on
     * it by a user (updates, reviews, sightings). */
    strbuf_reset(&sg->text);
    strbuf_addf(&sg->text, "{\"type\":\"%s\",\"value\":\"%s\"}",
                ioc_type_name(t), sg->value.buf);
    if (!is_system || rng_pct(r, 40)) {
        rc = audit(sg, at, is_system ? "system" : actor, "ioc.create", id,
                   sg->text.buf, err);
    } else {
        int64_t later = at + (int64_t)rng_below(r, 3 * DAY);

        user_name(pick_user(r), actor, sizeof(actor));
        rc = audit(sg, later, actor,
                   actions[pick(r, action_weights, ARRAY_SIZE(actions))], id,
                   sg->text.buf, err);
    }
    if (rc == 0)
        rc = enrich(sg, id, t, at, &is_enriched, err);
    if (rc == 0 && is_enriched) {
        rc = db_prepare_cached(sg->db, sql_mark, &st, err);
        if (rc == 0) {
            db_bind_int64(st, 1, id);
            rc = db_step(st, err);
            db_reset(st);
        }
    }
    return rc < 0 ? rc : 0;
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A store being generated needs no crash safety (run.sh writes it under a
 * temporary name and renames it when done), so SQLite writes it without a
 * journal, in transactions of CHUNK indicators, with a cache that holds the
 * (type, value) index, whose inserts come in random order. With WAL and
 * transactions of 20,000, 1M indicators took 23 s; so, 18 s, and 10M 220 s.
 * iocm's own open sets WAL again, as the end of gen_store does.
 */
static const char sql_bulk[] = "PRAGMA journal_mode = OFF;"
                               "PRAGMA synchronous = OFF;"
                               "PRAGMA cache_size = -2097152;";

/*
 * N indicators in creation order: 1% of N on each of the last 90 days,
 * the other 10% over the 275 days before. Ids then grow with created_at,
 * as in a store filled day by day.
 */
static int gen_store(const char *url, int64_t n, uint64_t seed, int64_t now,
                     struct iocm_err *err)
{
    struct store_gen sg;
    int64_t per_day = n / 100, older = n - per_day * WINDOW_DAYS;
    int64_t done = 0;
    double t0 = seconds_now();
    int rc;

    memset(&sg, 0, sizeof(sg));
    gen_init(&sg.gen, seed);
    strbuf_init(&sg.value, 256);
    strbuf_init(&sg.text, 256);
    sg.now = now;
    rc = db_connect(url, &sg.db, err);
    if (rc == 0 && db_get_kind(sg.db) == DB_SQLITE)
        rc = db_exec(sg.db, sql_bulk, err);
    if (rc < 0)
        goto out;
    rc = db_begin(sg.db, err);
    if (rc == 0)
        rc = add_users(&sg, err);
    for (int64_t day = -1; rc == 0 && day < WINDOW_DAYS; day++) {
        /* day -1 is the backlog before the window. */
        int64_t count = day < 0 ? older : per_day;
        int64_t start =
            day < 0 ? now - 365 * DAY : now - (WINDOW_DAYS - day) * DAY;
        int64_t span = day < 0 ? (365 - WINDOW_DAYS) * DAY : DAY;

        for (int64_t i = 0; rc == 0 && i < count; i++) {
            int64_t at = start + span * i / count;

            rc = add_ioc(&sg, at, err);
            if (rc == 0 && ++done % CHUNK == 0) {
                rc = db_commit(sg.db, err);
                if (rc == 0)
                    rc = db_begin(sg.db, err);
            }
            if (rc == 0 && done % PROGRESS == 0)
                fprintf(stderr, "\rbench_gen: %lld of %lld indicators",
                        (long long)done, (long long)n);
        }
    }
    if (rc == 0)
        rc = db_commit(sg.db, err);
    if (rc == 0)
        rc = ioc_counts_rebuild(sg.db, err);
    if (rc == 0 && db_get_kind(sg.db) == DB_SQLITE)
        rc = db_exec(sg.db, "PRAGMA journal_mode = WAL", err);
    if (rc == 0)
        fprintf(stderr,
                "\rbench_gen: %lld indicators, %lld audit events, %lld "
                "enrichment attempts, %d users in %.1f s\n",
                (long long)sg.iocs, (long long)sg.audits,
                (long long)sg.attempts, USERS, seconds_now() - t0);
out:
    db_close(sg.db);
    strbuf_release(&sg.value);
    strbuf_release(&sg.text);
    strbuf_release(&sg.gen.raw);
    return rc;
}

/* ---- import files ---- */

enum file_kind {
    FILE_TEXT, /* free text: feed lines, prose, defanged values */
    FILE_CSV,  /* our CSV columns */
    FILE_ROWS, /* type,value: what sqlite3's .import reads */
};

static const char *const prose_before[] = {
    "C2 server",           "beacon to",       "payload hosted at",
    "phishing sent from",  "sample hash",     "observed contacting",
    "blocked outbound to", "dropper fetched", "IOC:",
};

/* One line holding exactly one indicator. */
static void text_line(struct gen *g, enum ioc_type t, const char *value,
                      struct strbuf *line)
{
    unsigned style = (unsigned)rng_below(&g->rng, 100);
    bool can_defang = t == IOC_TYPE_IPV4 || t == IOC_TYPE_DOMAIN ||
                      t == IOC_TYPE_URL || t == IOC_TYPE_EMAIL;

    if (style < 50) {
        strbuf_addstr(line, value); /* a feed, one value a line */
    } else {
        strbuf_addstr(
            line, prose_before[rng_below(&g->rng, ARRAY_SIZE(prose_before))]);
        strbuf_addch(line, ' ');
        if (style >= 85 && can_defang)
            ioc_defang(t, value, line);
        else
            strbuf_addstr(line, value);
        strbuf_addstr(line, rng_pct(&g->rng, 50) ? " (see ticket)" : ".");
    }
    strbuf_addch(line, '\n');
}

static void csv_line(struct gen *g, enum ioc_type t, const char *value,
                     struct strbuf *line)
{
    static const char *const sev[] = { "low", "medium", "high", "critical" };
    static const char *const tlp[] = { "CLEAR", "GREEN", "AMBER",
                                       "AMBER+STRICT", "RED" };
    struct rng *r = &g->rng;

    strbuf_addf(line, "%s,%s,%s,%u,%s,%s,", value, ioc_type_name(t),
                sev[pick(r, severity_weights, 4)],
                30 + (unsigned)rng_below(r, 71), tlp[pick(r, tlp_weights, 5)],
                sources[pick(r, source_weights, ARRAY_SIZE(source_weights))]);
    add_tags(r, line, ';');
    strbuf_addf(line, ",%s\n",
                rng_pct(r, 30) ? "\"seen in phishing, then C2\"" : "");
}

static int gen_file(enum file_kind kind, const char *path, int64_t n,
                    uint64_t seed, struct iocm_err *err)
{
    struct strbuf value = STRBUF_INIT, line = STRBUF_INIT;
    struct gen g;
    FILE *fp = fopen(path, "w");
    int rc = 0;

    gen_init(&g, seed);
    if (!fp) {
        rc = iocm_fail(err, IOCM_EIO, "cannot create '%s'", path);
        goto out;
    }
    if (kind == FILE_CSV)
        fputs("value,type,severity,confidence,tlp,source,tags,description\n",
              fp);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        enum ioc_type t;

        rc = gen_value(&g, &t, &value, err);
        if (rc < 0)
            break;
        strbuf_reset(&line);
        if (kind == FILE_TEXT)
            text_line(&g, t, value.buf, &line);
        else if (kind == FILE_CSV)
            csv_line(&g, t, value.buf, &line);
        else
            strbuf_addf(&line, "%s,\"%s\"\n", ioc_type_name(t), value.buf);
        fwrite(line.buf, 1, line.len, fp);
    }
    if (fclose(fp) != 0 && rc == 0)
        rc = iocm_fail(err, IOCM_EIO, "cannot write '%s'", path);
out:
    strbuf_release(&value);
    strbuf_release(&line);
    strbuf_release(&g.raw);
    return rc;
}

static int usage(void)
{
    fputs("usage: bench_gen db URL N [--seed S] [--now TIME]\n"
          "       bench_gen text|csv|rows FILE N [--seed S]\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct iocm_err err = IOCM_ERR_INIT;
    uint64_t seed = DEFAULT_SEED;
    int64_t now = 0, n;
    char *end;
    int rc;

    if (argc < 4)
        return usage();
    n = strtoll(argv[3], &end, 10);
    if (*end || n <= 0 || n > MAX_IOCS)
        return usage();
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
            if (isotime_parse(argv[++i], &now, &err) < 0) {
                fprintf(stderr, "bench_gen: %s\n", err.msg);
                return 2;
            }
        } else {
            return usage();
        }
    }
    if (!now && isotime_parse(DEFAULT_NOW, &now, &err) < 0)
        return 1;
    if (strcmp(argv[1], "db") == 0)
        rc = gen_store(argv[2], n, seed, now, &err);
    else if (strcmp(argv[1], "text") == 0)
        rc = gen_file(FILE_TEXT, argv[2], n, seed, &err);
    else if (strcmp(argv[1], "csv") == 0)
        rc = gen_file(FILE_CSV, argv[2], n, seed, &err);
    else if (strcmp(argv[1], "rows") == 0)
        rc = gen_file(FILE_ROWS, argv[2], n, seed, &err);
    else
        return usage();
    if (rc < 0) {
        fprintf(stderr, "bench_gen: %s\n", err.msg);
        return 1;
    }
    return 0;
}
