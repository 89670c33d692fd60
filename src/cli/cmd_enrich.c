/*
 * `iocm enrich`: runs the enrichment providers over named indicators or
 * over every pending one, and records each attempt for the reports.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "enrich/enrich.h"
#include "ioc/ioc.h"
#include "util/err.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: iocm enrich ID|VALUE... [--provider P] [--force] [--json]\n"
    "       iocm enrich --pending [--provider P] [--json]\n"
    "\n"
    "Looks indicators up with the enrichment providers and stores the "
    "results\n"
    "(iocm ioc show displays them). --pending takes every active indicator\n"
    "without a successful result younger than the provider's cache time.\n"
    "\n"
    "Providers: geoip (GEOIP_DB_PATH), asn (ASN_DB_PATH), dns, virustotal\n"
    "(VIRUSTOTAL_API_KEY), abuseipdb (ABUSEIPDB_API_KEY). A provider "
    "without\n"
    "its key or database is skipped with a note. Every attempt is recorded "
    "and\n"
    "feeds the daily report's enrichment success rate.\n"
    "\n"
    "Options:\n"
    "  --provider P   only this provider\n"
    "  --force        fetch even when a cached result is fresh\n"
    "  --pending      every indicator that needs enrichment\n"
    "  --json         print the summary as JSON\n";

enum {
    OPT_PROVIDER = 256,
    OPT_FORCE,
    OPT_PENDING,
    OPT_JSON,
};

/* Reads the enrichment keys of the configuration. */
static int load_settings(const struct cli_ctx *ctx, struct enrich_settings *s,
                         struct iocm_err *err)
{
    int rc = 0;

    enrich_settings_init(s);
    s->geoip_db_path = config_get(ctx->cfg, "GEOIP_DB_PATH");
    s->asn_db_path = config_get(ctx->cfg, "ASN_DB_PATH");
    s->virustotal_api_key = config_get(ctx->cfg, "VIRUSTOTAL_API_KEY");
    s->abuseipdb_api_key = config_get(ctx->cfg, "ABUSEIPDB_API_KEY");
    if (config_get(ctx->cfg, "VIRUSTOTAL_API_URL"))
        s->virustotal_api_url = config_get(ctx->cfg, "VIRUSTOTAL_API_URL");
    if (config_get(ctx->cfg, "ABUSEIPDB_API_URL"))
        s->abuseipdb_api_url = config_get(ctx->cfg, "ABUSEIPDB_API_URL");
    if (config_get(ctx->cfg, "ENRICH_DNS_SERVER"))
        s->dns_server = config_get(ctx->cfg, "ENRICH_DNS_SERVER");
    for (int i = 0; i < ENRICH_MAX && rc == 0; i++) {
        char key[64], upper[32];
        const char *name = enrich_slot_name((enum enrich_slot)i);
        size_t n;

        for (n = 0; name[n] && n < sizeof(upper) - 1; n++)
            upper[n] = (char)toupper((unsigned char)name[n]);
        upper[n] = '\0';
        snprintf(key, sizeof(key), "ENRICH_%s_CACHE_DAYS", upper);
        rc = config_get_int(ctx->cfg, key, s->cache_days[i], 0, 3650,
                            &s->cache_days[i], err);
        snprintf(key, sizeof(key), "ENRICH_%s_RATE_PER_MIN", upper);
        if (rc == 0)
            rc = config_get_int(ctx->cfg, key, s->rate_per_min[i], 0, 100000,
                                &s->rate_per_min[i], err);
    }
    return rc;
}

static void on_progress(void *data, int64_t done, int64_t total)
{
    (void)data;
    fprintf(stderr, "\renrich: %lld of %lld indicators", (long long)done,
            (long long)total);
    if (done == total)
        fputc('\n', stderr);
}

/* A line per lookup made; skipped providers are said once, in the notes. */
static void print_event(void *data, const struct enrich_event *ev)
{
    (void)data;
    if (ev->outcome == ENRICH_SKIPPED)
        return;
    printf("%s %s: %s%s%s\n", ev->provider, ev->value,
           enrich_outcome_name(ev->outcome), ev->error ? ": " : "",
           ev->error ? ev->error : "");
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "provider", required_argument, NULL, OPT_PROVIDER },
        { "force", no_argument, NULL, OPT_FORCE },
        { "pending", no_argument, NULL, OPT_PENDING },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct enrich_session *es = NULL;
    struct enrich_settings settings;
    struct enrich_summary sum;
    const char *provider = NULL;
    bool force = false, pending = false, json = false;
    struct db *db;
    int rc = 0, c;

    enrich_summary_init(&sum);
    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        if (c == OPT_PROVIDER)
            provider = optarg;
        else if (c == OPT_FORCE)
            force = true;
        else if (c == OPT_PENDING)
            pending = true;
        else if (c == OPT_JSON)
            json = true;
    }
    if (pending == (optind < argc)) {
        rc = cli_usage_error(err, "enrich",
                             "give indicators or --pending, not both");
        goto out;
    }
    if (provider && !enrich_provider_find(provider)) {
        rc = cli_usage_error(err, "enrich",
                             "unknown provider '%s': expected geoip, asn, "
                             "dns, virustotal or abuseipdb",
                             provider);
        goto out;
    }
    rc = load_settings(ctx, &settings, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = enrich_session_new(db, &settings, &es, err);
    if (rc < 0)
        goto out;
    if (!json)
        enrich_session_set_observer(es, print_event, NULL);
    if (pending) {
        rc = enrich_pending(es, provider, ctx->now,
                            !json && isatty(STDERR_FILENO) ? on_progress : NULL,
                            NULL, &sum, err);
    } else {
        for (int i = optind; i < argc && rc == 0; i++) {
            struct ioc ioc;

            ioc_init(&ioc);
            rc = cli_ioc_resolve(db, argv[i], false, IOC_TYPE_COUNT, &ioc, err);
            if (rc == 0)
                rc = enrich_ioc(es, ioc.id, ioc.type, ioc.value, provider,
                                force, ctx->now, &sum, err);
            ioc_release(&ioc);
        }
    }
    if (rc < 0)
        goto out;
    if (json) {
        json_t *notes = json_array();

        for (size_t i = 0; i < sum.notes.nr; i++)
            json_array_append_new(notes, json_string(sum.notes.v[i]));
        rc = cli_print_json(json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
                                      "indicators", (json_int_t)sum.iocs,
                                      "succeeded", (json_int_t)sum.succeeded,
                                      "failed", (json_int_t)sum.failed,
                                      "not_applicable",
                                      (json_int_t)sum.not_applicable, "cached",
                                      (json_int_t)sum.cached, "deferred",
                                      (json_int_t)sum.deferred, "notes", notes),
                            err);
    } else {
        for (size_t i = 0; i < sum.notes.nr; i++)
            printf("note: %s\n", sum.notes.v[i]);
        printf("enriched %lld indicators: %lld succeeded, %lld failed, %lld "
               "cached, %lld deferred\n",
               (long long)sum.iocs, (long long)sum.succeeded,
               (long long)sum.failed, (long long)sum.cached,
               (long long)sum.deferred);
    }
out:
    enrich_session_free(es);
    enrich_summary_release(&sum);
    return rc;
}

const struct cli_cmd cmd_enrich_entry = {
    .name = "enrich",
    .summary = "look indicators up with GeoIP, ASN, DNS, VirusTotal, AbuseIPDB",
    .usage = usage,
    .run = run,
};
