/*
 * The enrichment framework: the provider registry, settings defaults, and
 * the session that runs providers over indicators, applying the cache TTL,
 * the rate limit and HTTP 429 back-off, and recording every outcome as the
 * top of enrich.h describes.
 */
#include "enrich/enrich.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/enrich_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* 429s in a row for one lookup before the provider is parked. */
#define ENRICH_MAX_RETRIES 2
/* Pending indicators read at a time: the walk holds no cursor open while
 * it writes. */
#define ENRICH_PENDING_BATCH 200

const struct enrich_provider *const enrich_providers[] = {
    &enrich_geoip_provider,     &enrich_asn_provider,
    &enrich_dns_provider,       &enrich_virustotal_provider,
    &enrich_abuseipdb_provider, NULL,
};

const struct enrich_provider *enrich_provider_find(const char *name)
{
    for (size_t i = 0; enrich_providers[i]; i++)
        if (!strcmp(enrich_providers[i]->name, name))
            return enrich_providers[i];
    return NULL;
}

const char *enrich_slot_name(enum enrich_slot slot)
{
    static const char *const names[ENRICH_MAX] = {
        [ENRICH_GEOIP] = "geoip",
        [ENRICH_ASN] = "asn",
        [ENRICH_DNS] = "dns",
        [ENRICH_VIRUSTOTAL] = "virustotal",
        [ENRICH_ABUSEIPDB] = "abuseipdb",
    };

    return (unsigned)slot < ENRICH_MAX ? names[slot] : "unknown";
}

const char *enrich_outcome_name(enum enrich_outcome outcome)
{
    switch (outcome) {
    case ENRICH_SUCCESS:
        return "success";
    case ENRICH_FAILURE:
        return "failure";
    case ENRICH_NOT_APPLICABLE:
        return "not_applicable";
    case ENRICH_SKIPPED:
        return "skipped";
    case ENRICH_RATE_LIMITED:
        return "rate_limited";
    case ENRICH_CACHED:
        return "cached";
    }
    return "unknown";
}

void enrich_settings_init(struct enrich_settings *s)
{
    static const long cache_days[ENRICH_MAX] = {
        [ENRICH_GEOIP] = 30,     [ENRICH_ASN] = 30,      [ENRICH_DNS] = 1,
        [ENRICH_VIRUSTOTAL] = 7, [ENRICH_ABUSEIPDB] = 1,
    };
    static const long rate_per_min[ENRICH_MAX] = {
        [ENRICH_VIRUSTOTAL] = 4,
        [ENRICH_ABUSEIPDB] = 30,
    };

    memset(s, 0, sizeof(*s));
    s->virustotal_api_url = ENRICH_VIRUSTOTAL_URL;
    s->abuseipdb_api_url = ENRICH_ABUSEIPDB_URL;
    memcpy(s->cache_days, cache_days, sizeof(cache_days));
    memcpy(s->rate_per_min, rate_per_min, sizeof(rate_per_min));
    s->http_timeout_ms = 15000;
    s->dns_timeout_ms = 5000;
    s->max_retry_after = 60;
}

void enrich_summary_init(struct enrich_summary *sum)
{
    memset(sum, 0, sizeof(*sum));
    strvec_init(&sum->notes);
}

void enrich_summary_release(struct enrich_summary *sum)
{
    strvec_clear(&sum->notes);
    enrich_summary_init(sum);
}

/* A provider as a session runs it. */
struct session_provider {
    const struct enrich_provider *p;
    bool is_ready;   /* init ran and succeeded */
    bool is_skipped; /* not configured: never run */
    bool is_parked;  /* rate limited past patience: not run again */
    char *note;      /* why skipped or parked */
    void *state;
};

struct enrich_session {
    struct db *db;
    const struct enrich_settings *s;
    struct session_provider *provs;
    size_t nprovs;
    void (*observer)(void *data, const struct enrich_event *ev);
    void *observer_data;
};

int enrich_session_new_with(struct db *db, const struct enrich_settings *s,
                            const struct enrich_provider *const *providers,
                            struct enrich_session **out, struct iocm_err *err)
{
    struct enrich_session *es = xcalloc(1, sizeof(*es));

    (void)err;
    es->db = db;
    es->s = s;
    while (providers[es->nprovs])
        es->nprovs++;
    es->provs = xcalloc(es->nprovs ? es->nprovs : 1, sizeof(*es->provs));
    for (size_t i = 0; i < es->nprovs; i++)
        es->provs[i].p = providers[i];
    *out = es;
    return 0;
}

int enrich_session_new(struct db *db, const struct enrich_settings *s,
                       struct enrich_session **out, struct iocm_err *err)
{
    return enrich_session_new_with(db, s, enrich_providers, out, err);
}

void enrich_session_free(struct enrich_session *es)
{
    if (!es)
        return;
    for (size_t i = 0; i < es->nprovs; i++) {
        if (es->provs[i].is_ready)
            es->provs[i].p->cleanup(es->provs[i].state);
        free(es->provs[i].note);
    }
    free(es->provs);
    free(es);
}

void enrich_session_set_observer(struct enrich_session *es,
                                 void (*fn)(void *data,
                                            const struct enrich_event *ev),
                                 void *data)
{
    es->observer = fn;
    es->observer_data = data;
}

/* Adds "<provider>: <text>" to the summary's notes, once. */
static void add_note(struct enrich_summary *sum, const char *provider,
                     const char *text)
{
    struct strbuf line = STRBUF_INIT;

    strbuf_addf(&line, "%s: %s", provider, text);
    if (!strvec_contains(&sum->notes, line.buf))
        strvec_push_nodup(&sum->notes, strbuf_detach(&line, NULL));
    strbuf_release(&line);
}

/*
 * Prepares sp on first use. Returns 0 (ready, or skipped with a note) or
 * the provider's configuration error, prefixed with its name.
 */
static int ensure_ready(struct enrich_session *es, struct session_provider *sp,
                        struct iocm_err *err)
{
    struct strbuf note = STRBUF_INIT;
    int rc;

    if (sp->is_ready || sp->is_skipped)
        return 0;
    rc = sp->p->init(es->s, &sp->state, &note, err);
    if (rc < 0) {
        iocm_err_prefix(err, "%s", sp->p->name);
    } else if (note.len) {
        struct strbuf line = STRBUF_INIT;

        strbuf_addf(&line, "skipped: %s", note.buf);
        sp->is_skipped = true;
        sp->note = strbuf_detach(&line, NULL);
    } else {
        sp->is_ready = true;
    }
    strbuf_release(&note);
    return rc;
}

static void emit(struct enrich_session *es, int64_t ioc_id, enum ioc_type type,
                 const char *value, const char *provider,
                 enum enrich_outcome outcome, const char *error)
{
    struct enrich_event ev = { ioc_id, type, value, provider, outcome, error };

    if (es->observer)
        es->observer(es->observer_data, &ev);
}

/*
 * Runs one lookup through the rate limiter, waiting out short HTTP 429
 * back-offs. A long or unspecified back-off, or too many in a row, parks
 * the provider for the rest of the session.
 */
static enum enrich_outcome run_lookup(struct enrich_session *es,
                                      struct session_provider *sp,
                                      enum ioc_type type, const char *value,
                                      struct enrich_answer *ans,
                                      struct iocm_err *err)
{
    const struct enrich_settings *s = es->s;
    enum enrich_slot slot = sp->p->slot;

    for (int tries = 0;; tries++) {
        enum enrich_outcome outcome;
        long wait;

        enrich_throttle(s, slot);
        ans->result = NULL;
        ans->retry_after = -1;
        iocm_err_clear(err);
        outcome = sp->p->lookup(sp->state, type, value, ans, err);
        if (outcome != ENRICH_RATE_LIMITED)
            return outcome;
        wait = ans->retry_after;
        if (tries >= ENRICH_MAX_RETRIES || wait < 0 ||
            wait > s->max_retry_after) {
            struct strbuf note = STRBUF_INIT;

            strbuf_addstr(&note, "rate limited by the API");
            if (wait >= 0)
                strbuf_addf(&note, " (retry after %ld s)", wait);
            strbuf_addstr(&note,
                          "; the remaining indicators are left for a later "
                          "run");
            sp->is_parked = true;
            free(sp->note);
            sp->note = strbuf_detach(&note, NULL);
            return ENRICH_RATE_LIMITED;
        }
        /* Every session of the process holds back, not only this one. */
        enrich_throttle_pause(slot, enrich_clock_ms(s) + wait * 1000);
    }
}

/* Records that provider cannot enrich the indicator, when it was named:
 * only a provider the caller asked for by name owes an answer. */
static int not_applicable(struct enrich_session *es, const char *provider,
                          bool is_named, int64_t ioc_id, enum ioc_type type,
                          const char *value, int64_t now,
                          struct enrich_summary *sum, struct iocm_err *err)
{
    int rc;

    if (!is_named)
        return 0;
    rc = enrich_store_attempt(es->db, ioc_id, provider, now, "not_applicable",
                              NULL, err);
    if (rc < 0)
        return rc;
    sum->not_applicable++;
    emit(es, ioc_id, type, value, provider, ENRICH_NOT_APPLICABLE, NULL);
    return 0;
}

/* Runs provider sp on one indicator and records what happened. */
static int run_provider(struct enrich_session *es, struct session_provider *sp,
                        bool is_named, int64_t ioc_id, enum ioc_type type,
                        const char *value, bool force, int64_t now,
                        struct enrich_summary *sum, struct iocm_err *err)
{
    const struct enrich_provider *p = sp->p;
    struct iocm_err lerr = IOCM_ERR_INIT;
    struct enrich_answer ans = { NULL, -1 };
    enum enrich_outcome outcome;
    long days = es->s->cache_days[p->slot];
    int rc = 0;

    if (!(p->applies_to & ENRICH_TYPE_BIT(type)))
        return not_applicable(es, p->name, is_named, ioc_id, type, value, now,
                              sum, err);
    rc = ensure_ready(es, sp, err);
    if (rc < 0)
        return rc;
    if (sp->is_skipped || sp->is_parked) {
        add_note(sum, p->name, sp->note);
        if (sp->is_parked)
            sum->deferred++;
        emit(es, ioc_id, type, value, p->name,
             sp->is_parked ? ENRICH_RATE_LIMITED : ENRICH_SKIPPED, NULL);
        return 0;
    }
    if (!force && days > 0) {
        bool is_fresh;

        rc = enrich_store_is_fresh(es->db, ioc_id, p->name,
                                   now - (int64_t)days * 86400, &is_fresh, err);
        if (rc < 0)
            return rc;
        if (is_fresh) {
            sum->cached++;
            emit(es, ioc_id, type, value, p->name, ENRICH_CACHED, NULL);
            return 0;
        }
    }
    outcome = run_lookup(es, sp, type, value, &ans, &lerr);
    if (outcome != ENRICH_SUCCESS) {
        json_decref(ans.result);
        ans.result = NULL;
    }
    switch (outcome) {
    case ENRICH_SUCCESS:
        assert(ans.result); /* a provider's success always has one */
        rc =
            enrich_store_success(es->db, ioc_id, p->name, now, ans.result, err);
        json_decref(ans.result);
        if (rc < 0)
            return rc;
        sum->succeeded++;
        break;
    case ENRICH_FAILURE:
        if (!lerr.msg[0])
            iocm_fail(&lerr, IOCM_EINTERNAL, "lookup failed");
        rc = enrich_store_attempt(es->db, ioc_id, p->name, now, "failure",
                                  lerr.msg, err);
        if (rc < 0)
            return rc;
        sum->failed++;
        break;
    case ENRICH_RATE_LIMITED:
        add_note(sum, p->name, sp->note);
        sum->deferred++;
        break;
    case ENRICH_NOT_APPLICABLE:
        return not_applicable(es, p->name, is_named, ioc_id, type, value, now,
                              sum, err);
    default:
        break;
    }
    emit(es, ioc_id, type, value, p->name, outcome,
         outcome == ENRICH_FAILURE ? lerr.msg : NULL);
    return 0;
}

/* The session's provider called name, or IOCM_EINVAL naming the known. */
static int find_provider(struct enrich_session *es, const char *name,
                         struct session_provider **out, struct iocm_err *err)
{
    struct strbuf known = STRBUF_INIT;
    int rc;

    for (size_t i = 0; i < es->nprovs; i++)
        if (!strcmp(es->provs[i].p->name, name)) {
            *out = &es->provs[i];
            return 0;
        }
    for (size_t i = 0; i < es->nprovs; i++)
        strbuf_addf(&known, "%s%s", i ? ", " : "", es->provs[i].p->name);
    rc = iocm_fail(err, IOCM_EINVAL,
                   "unknown enrichment provider '%s' (known: %s)", name,
                   known.buf);
    strbuf_release(&known);
    return rc;
}

int enrich_ioc(struct enrich_session *es, int64_t ioc_id, enum ioc_type type,
               const char *value, const char *only_provider, bool force,
               int64_t now, struct enrich_summary *sum, struct iocm_err *err)
{
    struct session_provider *named = NULL;
    int rc;

    if (only_provider) {
        rc = find_provider(es, only_provider, &named, err);
        if (rc < 0)
            return rc;
    }
    sum->iocs++;
    for (size_t i = 0; i < es->nprovs; i++) {
        struct session_provider *sp = &es->provs[i];

        if (named && sp != named)
            continue;
        rc = run_provider(es, sp, named != NULL, ioc_id, type, value, force,
                          now, sum, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int enrich_pending(struct enrich_session *es, const char *only_provider,
                   int64_t now,
                   void (*progress)(void *data, int64_t done, int64_t total),
                   void *pdata, struct enrich_summary *sum,
                   struct iocm_err *err)
{
    struct enrich_pending_rule *rules = xcalloc(es->nprovs + 1, sizeof(*rules));
    struct enrich_pending_row *rows = NULL;
    size_t nrules = 0, nr = 0, alloc = 0;
    struct session_provider *named = NULL;
    int64_t total = 0, max_id = 0, after = 0, done = 0;
    int rc = 0;

    if (only_provider) {
        rc = find_provider(es, only_provider, &named, err);
        if (rc < 0)
            goto out;
    }
    /*
     * Only providers that can run count: an indicator is not pending for
     * a provider that is not configured.
     */
    for (size_t i = 0; i < es->nprovs; i++) {
        struct session_provider *sp = &es->provs[i];
        long days = es->s->cache_days[sp->p->slot];

        if (named && sp != named)
            continue;
        rc = ensure_ready(es, sp, err);
        if (rc < 0)
            goto out;
        if (sp->is_skipped || sp->is_parked) {
            add_note(sum, sp->p->name, sp->note);
            continue;
        }
        rules[nrules].provider = sp->p->name;
        rules[nrules].types = sp->p->applies_to;
        /* No cache: no result is ever fresh. */
        rules[nrules].fresh_from =
            days > 0 ? now - (int64_t)days * 86400 : INT64_MAX;
        nrules++;
    }
    rc =
        enrich_store_pending_count(es->db, rules, nrules, &total, &max_id, err);
    if (rc < 0)
        goto out;
    while (after < max_id) {
        rc = enrich_store_pending_batch(es->db, rules, nrules, after, max_id,
                                        ENRICH_PENDING_BATCH, &rows, &nr,
                                        &alloc, &after, err);
        if (rc < 0)
            goto out;
        for (size_t i = 0; i < nr; i++) {
            if (rc == 0)
                rc = enrich_ioc(es, rows[i].id, rows[i].type, rows[i].value,
                                only_provider, false, now, sum, err);
            free(rows[i].value);
            if (rc == 0 && progress)
                progress(pdata, ++done, total);
        }
        if (rc < 0)
            goto out;
    }
out:
    free(rows);
    free(rules);
    return rc;
}
