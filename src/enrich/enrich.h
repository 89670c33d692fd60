/*
 * Enrichment: providers that turn an indicator into facts (GeoIP, ASN, DNS,
 * VirusTotal, AbuseIPDB), the session that runs them against the store, the
 * per-provider cache and rate limit, and the attempt records the reports
 * compute success rate and coverage from.
 *
 * Outcomes, and what is written for each:
 *
 *   success         the result is upserted into enrich_results (one row per
 *                   indicator and provider, with fetched_at), an attempt
 *                   "success" is recorded and the indicator marked enriched.
 *                   "Unknown to the source" is a success with
 *                   {"found": false}: VirusTotal's 404, an address the GeoIP
 *                   or ASN database has no network for.
 *   failure         an attempt "failure" with the error text; any older
 *                   result is kept. HTTP 5xx, time-outs, malformed JSON,
 *                   a rejected key, a name that does not resolve (NXDOMAIN).
 *   not_applicable  recorded only when the caller named the provider and it
 *                   cannot handle the indicator's type (or value: DNS for a
 *                   URL whose host is an address); when all providers run,
 *                   the inapplicable ones are simply not run.
 *   skipped         the provider is not configured (no API key, no database
 *                   file): nothing is recorded, the summary gets a note.
 *   rate limited    HTTP 429: not the indicator's fault, so nothing is
 *                   recorded and the indicator stays pending. A Retry-After
 *                   up to max_retry_after seconds is waited out and the
 *                   request retried (twice at most); a longer one, none
 *                   at all (a daily quota), or a third 429 parks the
 *                   provider for the rest of the session with a note, and
 *                   later indicators are deferred.
 *   cached          a success younger than the provider's cache TTL exists:
 *                   nothing is fetched or recorded unless force is set.
 *
 * What each provider reads: geoip and asn take ipv4, ipv6 and cidr (a
 * network answers for its first address, and the result names the
 * database's network); dns takes domains and the host of URLs; virustotal
 * takes md5, sha1, sha256, url, domain, ipv4 and ipv6; abuseipdb takes
 * ipv4 and ipv6.
 *
 * Ownership: a session borrows db and the settings (their strings too) for
 * its whole life; results handed out are new JSON references.
 */
#ifndef IOCM_ENRICH_ENRICH_H
#define IOCM_ENRICH_ENRICH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ioc/ioc.h"
#include "util/strvec.h"

struct db;
struct iocm_err;
struct strbuf;

/* The built-in providers, also the index of their per-provider settings. */
enum enrich_slot {
    ENRICH_GEOIP,
    ENRICH_ASN,
    ENRICH_DNS,
    ENRICH_VIRUSTOTAL,
    ENRICH_ABUSEIPDB,
    ENRICH_MAX,
};

#define ENRICH_VIRUSTOTAL_URL "https://www.virustotal.com/api/v3"
#define ENRICH_ABUSEIPDB_URL  "https://api.abuseipdb.com"

/*
 * What the providers need, filled from the configuration by the caller
 * (config keys in comments). Strings are borrowed; NULL or "" means unset.
 */
struct enrich_settings {
    const char *geoip_db_path;      /* GEOIP_DB_PATH: City or Country DB */
    const char *asn_db_path;        /* ASN_DB_PATH */
    const char *virustotal_api_key; /* VIRUSTOTAL_API_KEY */
    const char *virustotal_api_url; /* VIRUSTOTAL_API_URL */
    const char *abuseipdb_api_key;  /* ABUSEIPDB_API_KEY */
    const char *abuseipdb_api_url;  /* ABUSEIPDB_API_URL */
    /* ENRICH_<PROVIDER>_CACHE_DAYS: a success younger than this is not
     * fetched again; <= 0 caches nothing (every run fetches). */
    long cache_days[ENRICH_MAX];
    /* ENRICH_<PROVIDER>_RATE_PER_MIN: requests per minute, for the whole
     * process; <= 0 is unlimited. */
    long rate_per_min[ENRICH_MAX];
    long http_timeout_ms; /* whole request, connection included */
    long dns_timeout_ms;  /* per query; the resolver counts whole seconds */
    /* "IP" or "IP:PORT" (IPv4) of the DNS server to ask; NULL: the
     * system's resolv.conf. Tests point it at a server on loopback. */
    const char *dns_server;
    long max_retry_after; /* seconds of HTTP 429 back-off waited out */
    /*
     * The clock of rate limiting and back-off, in milliseconds of a
     * monotonic clock, and the sleep that waits on it. NULL: the system's
     * monotonic clock and nanosleep(). Tests inject their own.
     */
    int64_t (*clock_ms)(void *data);
    void (*sleep_ms)(void *data, int64_t ms);
    void *clock_data;
};

/*
 * Defaults: no databases, no keys, the public API URLs, cache days geoip 30,
 * asn 30, dns 1, virustotal 7, abuseipdb 1; rates per minute virustotal 4
 * (the public API's quota), abuseipdb 30, others unlimited; HTTP 15 s, DNS
 * 5 s, max_retry_after 60 s, the system clock.
 */
void enrich_settings_init(struct enrich_settings *s);

/* "geoip", "asn", "dns", "virustotal", "abuseipdb" (config key stems). */
const char *enrich_slot_name(enum enrich_slot slot);

/* A bit per indicator type, for enrich_provider.applies_to. */
#define ENRICH_TYPE_BIT(t) (1u << (t))

/* How one lookup went (see the top of this file). */
enum enrich_outcome {
    ENRICH_SUCCESS,
    ENRICH_FAILURE,
    ENRICH_NOT_APPLICABLE,
    ENRICH_SKIPPED,
    ENRICH_RATE_LIMITED,
    ENRICH_CACHED,
};

/* "success", "failure", "not_applicable" (the stored outcomes), "skipped",
 * "rate_limited", "cached". */
const char *enrich_outcome_name(enum enrich_outcome outcome);

/* What a lookup hands back besides its outcome. */
struct enrich_answer {
    json_t *result;   /* success: the result object, owned by the answer */
    long retry_after; /* rate limited: seconds asked for; -1 not said */
};

/*
 * A provider: a table of functions, registered in enrich_providers[].
 *
 * init prepares the per-session state (open a database, a curl handle).
 * It returns 0 with *state set when the provider is ready, 0 with a note in
 * note (why, naming the config key) when it is not configured and must be
 * skipped, or a negative code when its configuration is wrong (a database
 * that is not one, an API key that would go over plain HTTP).
 *
 * lookup is only called for types in applies_to. It returns the outcome:
 * ENRICH_SUCCESS with ans->result set, ENRICH_FAILURE with err filled,
 * ENRICH_NOT_APPLICABLE for a value it cannot use, or ENRICH_RATE_LIMITED
 * with ans->retry_after. Error text never holds an API key.
 *
 * cleanup frees the state; it is called with NULL too.
 */
struct enrich_provider {
    const char *name;
    enum enrich_slot slot; /* which settings apply */
    unsigned applies_to;   /* ENRICH_TYPE_BIT()s */
    int (*init)(const struct enrich_settings *s, void **state,
                struct strbuf *note, struct iocm_err *err);
    enum enrich_outcome (*lookup)(void *state, enum ioc_type type,
                                  const char *value, struct enrich_answer *ans,
                                  struct iocm_err *err);
    void (*cleanup)(void *state);
};

extern const struct enrich_provider enrich_geoip_provider;
extern const struct enrich_provider enrich_asn_provider;
extern const struct enrich_provider enrich_dns_provider;
extern const struct enrich_provider enrich_virustotal_provider;
extern const struct enrich_provider enrich_abuseipdb_provider;

/* The built-in providers, in the order they run, NULL-terminated. */
extern const struct enrich_provider *const enrich_providers[];

/* The built-in provider called name, or NULL. */
const struct enrich_provider *enrich_provider_find(const char *name);

/* What a run did, added up over the indicators it saw. */
struct enrich_summary {
    int64_t iocs;           /* indicators looked at */
    int64_t succeeded;      /* recorded "success" */
    int64_t failed;         /* recorded "failure" */
    int64_t not_applicable; /* recorded "not_applicable" */
    int64_t cached;         /* fresh result kept, nothing fetched */
    int64_t deferred;       /* rate limited: left for a later run */
    /* One line per provider skipped or parked, said once per session:
     * "virustotal: skipped: no API key (VIRUSTOTAL_API_KEY)". */
    struct strvec notes;
};

void enrich_summary_init(struct enrich_summary *sum);
void enrich_summary_release(struct enrich_summary *sum);

/* One (indicator, provider) outcome, for callers that print as they go. */
struct enrich_event {
    int64_t ioc_id;
    enum ioc_type type;
    const char *value;
    const char *provider;
    enum enrich_outcome outcome;
    const char *error; /* failure: why; otherwise NULL */
};

struct enrich_session;

/*
 * Starts a session on db with settings s (both borrowed until
 * enrich_session_free). Providers are prepared when first needed, so a
 * provider that is not asked for never fails the run.
 */
int enrich_session_new(struct db *db, const struct enrich_settings *s,
                       struct enrich_session **out, struct iocm_err *err);
/* Frees the session and the providers' state; NULL does nothing. */
void enrich_session_free(struct enrich_session *es);

/* Calls fn for every outcome of the session's later runs. */
void enrich_session_set_observer(struct enrich_session *es,
                                 void (*fn)(void *data,
                                            const struct enrich_event *ev),
                                 void *data);

/*
 * Enriches one indicator (value normalised, as stored) with every provider
 * that applies, or with only_provider when not NULL (IOCM_EINVAL when no
 * provider has that name). force ignores the cache. now (Unix seconds) is
 * the time recorded. Adds to sum. Fails only on a store error or a
 * provider's configuration error; lookups that fail are outcomes.
 */
int enrich_ioc(struct enrich_session *es, int64_t ioc_id, enum ioc_type type,
               const char *value, const char *only_provider, bool force,
               int64_t now, struct enrich_summary *sum, struct iocm_err *err);

/*
 * Enriches the pending indicators: active ones lacking, for some provider
 * that applies to them (or for only_provider), a success younger than that
 * provider's cache TTL. Walks them in id order, calling progress (may be
 * NULL) after each with the count done and the total found at the start.
 */
int enrich_pending(struct enrich_session *es, const char *only_provider,
                   int64_t now,
                   void (*progress)(void *data, int64_t done, int64_t total),
                   void *pdata, struct enrich_summary *sum,
                   struct iocm_err *err);

/*
 * Every stored result of indicator ioc_id, for `ioc show`:
 * {"geoip": {"fetched_at": "2026-12-04T08:00:00Z", "result": {...}}, ...}
 * in provider name order. *out is a new reference, an empty object when
 * there is none.
 */
int enrich_results_for(struct db *db, int64_t ioc_id, json_t **out,
                       struct iocm_err *err);

#endif
