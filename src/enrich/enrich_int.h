/*
 * Private parts of src/enrich/ shared by the framework and the providers:
 * the rate limiter and clock, the HTTP client glue, the MaxMind database
 * glue. Not for other modules; tests include it to reach the pieces.
 */
#ifndef IOCM_ENRICH_ENRICH_INT_H
#define IOCM_ENRICH_ENRICH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>
#include <maxminddb.h>

#include "enrich/enrich.h"
#include "util/strbuf.h"

struct db;
struct iocm_err;

/*
 * Starts a session running providers (NULL-terminated) instead of the
 * built-in ones: unit tests run the framework with fake providers.
 */
int enrich_session_new_with(struct db *db, const struct enrich_settings *s,
                            const struct enrich_provider *const *providers,
                            struct enrich_session **out, struct iocm_err *err);

/*
 * A token bucket of burst tokens refilled at per_min tokens a minute, kept
 * as the time its next token is due ("theoretical arrival time", the
 * GCRA form of a token bucket): integer milliseconds, no refill loop.
 */
struct enrich_ratelimit {
    int64_t interval_ms; /* one token's refill time; 0: unlimited */
    int64_t burst;       /* tokens the bucket holds when full, >= 1 */
    int64_t tat_ms;      /* when the bucket is next full; 0: full */
};

void enrich_ratelimit_init(struct enrich_ratelimit *rl, long per_min,
                           long burst);
/* Takes a token at now_ms and returns 0, or returns the milliseconds to
 * wait before one is there, taking nothing. */
int64_t enrich_ratelimit_take(struct enrich_ratelimit *rl, int64_t now_ms);
/* Hands out no token before until_ms (an API's Retry-After). */
void enrich_ratelimit_pause(struct enrich_ratelimit *rl, int64_t until_ms);

/* The settings' clock, or the monotonic clock; and its sleep. */
int64_t enrich_clock_ms(const struct enrich_settings *s);
void enrich_sleep_ms(const struct enrich_settings *s, int64_t ms);

/*
 * The process-wide bucket of each slot: the quota belongs to the API key,
 * not to one session, so every session of the process (CLI run, web
 * requests, scheduled jobs) draws from the same bucket. Waits (through the
 * settings' sleep) until slot may send a request at s->rate_per_min[slot].
 */
void enrich_throttle(const struct enrich_settings *s, enum enrich_slot slot);
/* Sends nothing for slot before until_ms (same clock as s). */
void enrich_throttle_pause(enum enrich_slot slot, int64_t until_ms);
/* Forgets every bucket (tests switching clocks). */
void enrich_throttle_reset(void);

/* HTTP client of the API providers: one curl handle per session. */
struct enrich_http {
    CURL *curl;
    const char *service; /* "VirusTotal": names the API in messages */
    long timeout_ms;
};

/*
 * Prepares h for base_url. Refuses (IOCM_ECONFIG) a URL that is not http
 * or https, and an http URL to a host other than loopback, since the API
 * key would cross the network in clear.
 */
int enrich_http_init(struct enrich_http *h, const char *service,
                     const char *base_url, long timeout_ms,
                     struct iocm_err *err);
void enrich_http_release(struct enrich_http *h);

/* Fails with IOCM_ECONFIG unless base_url may carry an API key. */
int enrich_http_check_url(const char *service, const char *base_url,
                          struct iocm_err *err);
/* True for localhost, 127.0.0.0/8 and ::1. */
bool enrich_host_is_loopback(const char *host);

struct enrich_http_reply {
    long status;      /* HTTP status */
    long retry_after; /* seconds from Retry-After; -1 when absent */
    struct strbuf body;
};

#define ENRICH_HTTP_REPLY_INIT                                                 \
    {                                                                          \
        0, -1, STRBUF_INIT                                                     \
    }

void enrich_http_reply_release(struct enrich_http_reply *r);

/*
 * GETs url with headers (not taken over) into r; redirects are not
 * followed, so a key never goes to a host that was not configured.
 * Fails with IOCM_ENET on a transport error or time-out; any HTTP status
 * is a success of this call.
 */
int enrich_http_get(struct enrich_http *h, const char *url,
                    const struct curl_slist *headers,
                    struct enrich_http_reply *r, struct iocm_err *err);

/*
 * Parses the body of r as a JSON object (new reference), failing with
 * IOCM_EINVAL "malformed response from <service>: ..." otherwise.
 */
int enrich_http_json(const struct enrich_http *h,
                     const struct enrich_http_reply *r, json_t **out,
                     struct iocm_err *err);

/*
 * The outcome of an HTTP status that is not the provider's success:
 * 429 is rate limited (ans->retry_after set), anything else a failure with
 * "<service> answered HTTP <status>[: <detail>]".
 */
enum enrich_outcome enrich_http_status_outcome(
    const struct enrich_http *h, const struct enrich_http_reply *r,
    const char *detail, struct enrich_answer *ans, struct iocm_err *err);

/* Replaces every occurrence of secret in err's message with "***": a
 * last guard so no API key ever reaches a message or the store. */
void enrich_err_redact(struct iocm_err *err, const char *secret);

/* Appends the base64url encoding of data without padding (RFC 4648 §5). */
void enrich_base64url(const void *data, size_t len, struct strbuf *out);

/* Appends base without trailing slashes, then path. */
void enrich_url_join(struct strbuf *out, const char *base, const char *path);

/*
 * The host of a URL value, lower-cased, without brackets; IOCM_EINVAL when
 * it has none.
 */
int enrich_url_host(const char *url, struct strbuf *host, bool *is_address,
                    struct iocm_err *err);

/*
 * Opens the MaxMind database at path for provider (named in the note and
 * messages, with the config key key). A path unset or not there is a skip
 * (0 and a note); a file that is not a database is IOCM_ECONFIG. *out is
 * the caller's (enrich_mmdb_close).
 */
int enrich_mmdb_open(const char *path, const char *key, MMDB_s **out,
                     struct strbuf *note, struct iocm_err *err);
void enrich_mmdb_close(MMDB_s *mmdb);

/*
 * Looks up the address of an ipv4, ipv6 or cidr value (a network's first
 * address). *found says whether the database has a network for it; when it
 * does, network receives that network ("81.2.69.142/31").
 */
int enrich_mmdb_lookup(MMDB_s *mmdb, enum ioc_type type, const char *value,
                       MMDB_lookup_result_s *res, struct strbuf *network,
                       struct iocm_err *err);

/*
 * The store side of the framework (enrich_store.c). Times are Unix
 * seconds; results are JSON objects stored as compact text.
 */

/* True in *is_fresh when provider has a success for ioc_id fetched after
 * since. */
int enrich_store_is_fresh(struct db *db, int64_t ioc_id, const char *provider,
                          int64_t since, bool *is_fresh, struct iocm_err *err);
/* Records an attempt with outcome ("success", "failure",
 * "not_applicable") and error (may be NULL). */
int enrich_store_attempt(struct db *db, int64_t ioc_id, const char *provider,
                         int64_t at, const char *outcome, const char *error,
                         struct iocm_err *err);
/* Upserts the result, records the success and marks the indicator
 * enriched, in one transaction. */
int enrich_store_success(struct db *db, int64_t ioc_id, const char *provider,
                         int64_t at, const json_t *result,
                         struct iocm_err *err);

/* What makes an indicator pending for one provider. */
struct enrich_pending_rule {
    const char *provider;
    unsigned types;     /* ENRICH_TYPE_BIT()s it applies to */
    int64_t fresh_from; /* a success fetched after this is fresh */
};

/* One pending indicator, read in a batch. */
struct enrich_pending_row {
    int64_t id;
    enum ioc_type type;
    char *value;
};

/*
 * Counts the pending indicators under rules (an indicator is pending when
 * some rule matches it) and the largest id among them.
 */
int enrich_store_pending_count(struct db *db,
                               const struct enrich_pending_rule *rules,
                               size_t nrules, int64_t *count, int64_t *max_id,
                               struct iocm_err *err);
/*
 * Reads up to max pending indicators with after < id <= upto, in id
 * order, into rows (grown with ALLOC_GROW; values are the caller's), and
 * sets *last_id to the last id read (upto when the batch was not full):
 * the next batch starts after it.
 */
int enrich_store_pending_batch(struct db *db,
                               const struct enrich_pending_rule *rules,
                               size_t nrules, int64_t after, int64_t upto,
                               size_t max, struct enrich_pending_row **rows,
                               size_t *nr, size_t *alloc, int64_t *last_id,
                               struct iocm_err *err);

#endif
