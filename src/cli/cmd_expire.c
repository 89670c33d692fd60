/*
 * `iocm expire [--dry-run] [--json]`: the unattended run for cron or a
 * timer. Expires indicators whose time has come and applies the retention
 * settings (ioc_lifecycle_expire), then says what it did, per type.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioc/ioc.h"
#include "ioc/ioc_lifecycle.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: iocm expire [--dry-run] [--json]\n"
    "\n"
    "Expires every active indicator whose expiry time has come (at or "
    "before\n"
    "now): its status becomes expired with the reason auto_expired, and "
    "each\n"
    "one is audited as ioc.expire by the system user. Everything happens in "
    "one\n"
    "transaction; a second run finds nothing to do. Run it from cron or a\n"
    "systemd timer. Set IOC_AUTO_EXPIRE_ENABLED=false and nothing expires.\n"
    "\n"
    "It also applies the retention settings, both off (0) by default:\n"
    "  DRAFT_RETENTION_DAYS  archives drafts untouched for that many days\n"
    "  AUDIT_RETENTION_DAYS  deletes audit events older than that many days\n"
    "\n"
    "Options:\n"
    "  --dry-run   say what would change and write nothing\n"
    "  --json      print the counts as JSON\n";

enum {
    OPT_DRY_RUN = 256,
    OPT_JSON,
};

/* Types with a count, largest first, then by name. */
struct type_count {
    enum ioc_type type;
    int64_t n;
};

static int by_count(const void *a, const void *b)
{
    const struct type_count *x = a, *y = b;

    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(ioc_type_name(x->type), ioc_type_name(y->type));
}

static size_t sorted_counts(const int64_t *per_type, struct type_count *out)
{
    size_t n = 0;

    for (int t = 0; t < IOC_TYPE_COUNT; t++)
        if (per_type[t])
            out[n++] = (struct type_count){ (enum ioc_type)t, per_type[t] };
    if (n > 1)
        qsort(out, n, sizeof(*out), by_count);
    return n;
}

/* "3 indicators: ipv4 2, url 1", "2 stale drafts (untouched for 30 days):
 * domain 2"; note may be empty. */
static void describe_counts(int64_t total, const int64_t *per_type,
                            const char *noun, const char *note,
                            struct strbuf *out)
{
    struct type_count counts[IOC_TYPE_COUNT];
    size_t n = sorted_counts(per_type, counts);

    strbuf_addf(out, "%lld %s%s%s", (long long)total, noun,
                total == 1 ? "" : "s", note);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(out, "%s%s %lld", i ? ", " : ": ",
                    ioc_type_name(counts[i].type), (long long)counts[i].n);
}

static json_t *by_type_json(const int64_t *per_type)
{
    struct type_count counts[IOC_TYPE_COUNT];
    size_t n = sorted_counts(per_type, counts);
    json_t *j = json_object();

    for (size_t i = 0; i < n; i++)
        json_object_set_new(j, ioc_type_name(counts[i].type),
                            json_integer(counts[i].n));
    return j;
}

static int print_json(const struct ioc_expire_opts *o,
                      const struct ioc_expire_result *r, struct iocm_err *err)
{
    char at[ISOTIME_LEN];

    isotime_format(o->now, at);
    return cli_print_json(
        json_pack("{s:b, s:s, s:b, s:{s:I, s:o}, s:{s:b, s:I, s:I, s:o}, "
                  "s:{s:b, s:I, s:I}}",
                  "dry_run", o->is_dry_run, "at", at, "auto_expire", o->expire,
                  "expired", "total", (json_int_t)r->expired_total, "by_type",
                  by_type_json(r->expired), "drafts_archived", "enabled",
                  o->draft_retention_days > 0, "retention_days",
                  (json_int_t)o->draft_retention_days, "total",
                  (json_int_t)r->drafts_archived_total, "by_type",
                  by_type_json(r->drafts_archived), "audit_purged", "enabled",
                  o->audit_retention_days > 0, "retention_days",
                  (json_int_t)o->audit_retention_days, "total",
                  (json_int_t)r->audit_purged),
        err);
}

static void print_text(const struct ioc_expire_opts *o,
                       const struct ioc_expire_result *r)
{
    struct strbuf line = STRBUF_INIT;
    const char *would = o->is_dry_run ? "would " : "";

    if (o->expire) {
        describe_counts(r->expired_total, r->expired, "indicator", "", &line);
        printf("%s%s %s\n", would, o->is_dry_run ? "expire" : "expired",
               line.buf);
    } else {
        printf("auto-expiry is disabled (IOC_AUTO_EXPIRE_ENABLED=false): no "
               "indicator expired\n");
    }
    if (o->draft_retention_days > 0) {
        char note[64];

        snprintf(note, sizeof(note), " (untouched for %ld days)",
                 o->draft_retention_days);
        strbuf_reset(&line);
        describe_counts(r->drafts_archived_total, r->drafts_archived,
                        "stale draft", note, &line);
        printf("%s%s %s\n", would, o->is_dry_run ? "archive" : "archived",
               line.buf);
    }
    if (o->audit_retention_days > 0)
        printf("%s%s %lld audit event%s (older than %ld days)\n", would,
               o->is_dry_run ? "purge" : "purged", (long long)r->audit_purged,
               r->audit_purged == 1 ? "" : "s", o->audit_retention_days);
    if (o->is_dry_run)
        printf("dry run: nothing was written\n");
    strbuf_release(&line);
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct ioc_expire_opts o = {
        .now = ctx->now,
        .expire = ctx->settings.auto_expire_enabled,
        .draft_retention_days = ctx->settings.draft_retention_days,
        .audit_retention_days = ctx->settings.audit_retention_days,
    };
    struct ioc_expire_result r;
    bool json = false;
    struct db *db;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_DRY_RUN)
            o.is_dry_run = true;
        else if (c == OPT_JSON)
            json = true;
    }
    if (optind < argc)
        return cli_usage_error(err, "expire", "unexpected argument '%s'",
                               argv[optind]);
    rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = ioc_lifecycle_expire(db, &o, &r, err);
    if (rc < 0)
        return rc;
    if (json)
        return print_json(&o, &r, err);
    print_text(&o, &r);
    return 0;
}

const struct cli_cmd cmd_expire_entry = {
    .name = "expire",
    .summary = "expire indicators whose time has come; apply retention",
    .usage = usage,
    .run = run,
};
