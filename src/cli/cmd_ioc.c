/*
 * `iocm ioc add|list|show|update|delete`: indicators one at a time.
 */
#include "cli/cli.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_filter.h"
#include "cli/cli_table.h"
#include "cli/cmd_ioc_workflow.h"
#include "db/db.h"
#include "enrich/enrich.h"
#include "ioc/ioc.h"
#include "ioc/ioc_json.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define IOC_FIELD_OPTIONS                                                      \
    "  --severity S        low, medium, high or critical\n"                    \
    "  --confidence N      0 to 100\n"                                         \
    "  --tlp L             CLEAR, GREEN, AMBER, AMBER+STRICT or RED "          \
    "(WHITE = CLEAR)\n"                                                        \
    "  --source S          where the indicator comes from\n"                   \
    "  --tags a,b          comma-separated tags\n"                             \
    "  --description D     free text\n"                                        \
    "  --expires-in DAYS   expire DAYS days from now\n"                        \
    "  --expires-at TIME   expire at an ISO 8601 time\n"                       \
    "  --no-expiry         never expire\n"                                     \
    "  --status S          draft, review, active, archived or expired\n"       \
    "  --user NAME         act as this user (default: system)\n"               \
    "  --json              print the indicator as JSON\n"

static const char add_usage[] =
    "usage: iocm ioc add VALUE [--type T] [options]\n"
    "\n"
    "Adds an indicator. VALUE may be defanged (hxxp://evil[.]example); it "
    "is\n"
    "refanged, validated for its type and normalised before it is stored. "
    "The\n"
    "type is detected when --type is not given. Adding a known value "
    "updates\n"
    "its last-seen time and fills its empty fields; an expired one becomes\n"
    "active again.\n"
    "\n"
    "Options:\n"
    "  --type T            ipv4 ipv6 cidr domain url email md5 sha1 sha256 "
    "sha512\n"
    "                      ssdeep cve asn filename\n" IOC_FIELD_OPTIONS;

static const char update_usage[] =
    "usage: iocm ioc update ID|VALUE [options]\n"
    "\n"
    "Changes fields of an indicator. Tags given with --tags replace the "
    "stored\n"
    "ones; --add-tag and --remove-tag edit them.\n"
    "\n"
    "Options:\n"
    "  --type T            the type of VALUE when it is ambiguous\n"
    "  --extend DAYS       push the expiry DAYS days further\n"
    "  --add-tag T         add one tag (repeatable)\n"
    "  --remove-tag T      remove one tag (repeatable)\n" IOC_FIELD_OPTIONS;

/* The options add and update share; the field values land in an ioc. */
enum {
    OPT_TYPE = 256,
    OPT_SEVERITY,
    OPT_CONFIDENCE,
    OPT_TLP,
    OPT_SOURCE,
    OPT_TAGS,
    OPT_DESCRIPTION,
    OPT_EXPIRES_IN,
    OPT_EXPIRES_AT,
    OPT_NO_EXPIRY,
    OPT_STATUS,
    OPT_USER,
    OPT_JSON,
    OPT_EXTEND,
    OPT_ADD_TAG,
    OPT_REMOVE_TAG,
    OPT_LIMIT,
    OPT_ALL,
};

static const struct option field_opts[] = {
    { "type", required_argument, NULL, OPT_TYPE },
    { "severity", required_argument, NULL, OPT_SEVERITY },
    { "confidence", required_argument, NULL, OPT_CONFIDENCE },
    { "tlp", required_argument, NULL, OPT_TLP },
    { "source", required_argument, NULL, OPT_SOURCE },
    { "tags", required_argument, NULL, OPT_TAGS },
    { "description", required_argument, NULL, OPT_DESCRIPTION },
    { "expires-in", required_argument, NULL, OPT_EXPIRES_IN },
    { "expires-at", required_argument, NULL, OPT_EXPIRES_AT },
    { "no-expiry", no_argument, NULL, OPT_NO_EXPIRY },
    { "status", required_argument, NULL, OPT_STATUS },
    { "user", required_argument, NULL, OPT_USER },
    { "json", no_argument, NULL, OPT_JSON },
    { "extend", required_argument, NULL, OPT_EXTEND },
    { "add-tag", required_argument, NULL, OPT_ADD_TAG },
    { "remove-tag", required_argument, NULL, OPT_REMOVE_TAG },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

/* What the add/update options said, before it is applied to a record. */
struct field_args {
    struct ioc fields; /* unset where no option was given */
    enum ioc_type type;
    bool has_type;
    bool has_tags;
    const char *user;
    bool json;
    long extend_days;
    long expires_in_days;
    struct strvec add_tags;
    struct strvec remove_tags;
};

static void field_args_init(struct field_args *a)
{
    memset(a, 0, sizeof(*a));
    ioc_init(&a->fields);
    a->type = IOC_TYPE_COUNT;
    a->expires_in_days = -1;
    strvec_init(&a->add_tags);
    strvec_init(&a->remove_tags);
}

static void field_args_release(struct field_args *a)
{
    ioc_release(&a->fields);
    strvec_clear(&a->add_tags);
    strvec_clear(&a->remove_tags);
}

/* Tags are compared and stored lower-case. */
static void split_tags(const char *s, struct strvec *out)
{
    struct strvec raw = STRVEC_INIT;

    strvec_split(&raw, s, ',');
    for (size_t i = 0; i < raw.nr; i++) {
        for (char *p = raw.v[i]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        strvec_push(out, raw.v[i]);
    }
    strvec_clear(&raw);
    strvec_sort_unique(out);
}

static int parse_field_option(struct cli_ctx *ctx, int c, struct field_args *a,
                              struct iocm_err *err)
{
    struct ioc *f = &a->fields;
    long n;
    int rc = 0;

    switch (c) {
    case OPT_TYPE:
        a->has_type = true;
        return ioc_type_parse(optarg, &a->type, err);
    case OPT_SEVERITY:
        return ioc_severity_parse(optarg, &f->severity, err);
    case OPT_CONFIDENCE:
        return ioc_confidence_parse(optarg, &f->confidence, err);
    case OPT_TLP:
        return tlp_parse(optarg, &f->tlp, err);
    case OPT_SOURCE:
        free(f->source);
        f->source = xstrdup(optarg);
        return 0;
    case OPT_TAGS:
        strvec_clear(&f->tags);
        split_tags(optarg, &f->tags);
        a->has_tags = true;
        return 0;
    case OPT_DESCRIPTION:
        free(f->description);
        f->description = xstrdup(optarg);
        return 0;
    case OPT_EXPIRES_IN:
        rc = cli_parse_long("--expires-in", optarg, 0, 36500, &n, err);
        if (rc == 0) {
            a->expires_in_days = n;
            f->expires_at = ctx->now + (int64_t)n * 86400;
            f->no_expiry = n == 0;
        }
        return rc;
    case OPT_EXPIRES_AT:
        return isotime_parse(optarg, &f->expires_at, err);
    case OPT_NO_EXPIRY:
        f->no_expiry = true;
        f->expires_at = 0;
        return 0;
    case OPT_STATUS:
        return ioc_status_parse(optarg, &f->status, err);
    case OPT_USER:
        a->user = optarg;
        return 0;
    case OPT_JSON:
        a->json = true;
        return 0;
    case OPT_EXTEND:
        return cli_parse_long("--extend", optarg, 1, 36500, &a->extend_days,
                              err);
    case OPT_ADD_TAG:
        split_tags(optarg, &a->add_tags);
        return 0;
    case OPT_REMOVE_TAG:
        split_tags(optarg, &a->remove_tags);
        return 0;
    }
    return IOCM_EUSAGE;
}

static void print_ioc_line(const char *verb, const struct ioc *ioc)
{
    printf("%s %lld: %s %s\n", verb, (long long)ioc->id,
           ioc_type_name(ioc->type), ioc->value);
}

static int add(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const char *const verbs[] = {
        [IOC_UPSERT_CREATED] = "added",
        [IOC_UPSERT_SEEN_AGAIN] = "seen again",
        [IOC_UPSERT_REACTIVATED] = "reactivated",
    };
    struct strbuf value = STRBUF_INIT;
    struct ioc_defaults defaults;
    enum ioc_upsert_outcome outcome;
    struct field_args a;
    const char *actor;
    struct ioc stored;
    struct db *db;
    int64_t id;
    int rc = 0, c;

    field_args_init(&a);
    ioc_init(&stored);
    while ((c = cli_getopt(argc, argv, "h", field_opts, add_usage, err)) !=
           -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        if (c == OPT_EXTEND || c == OPT_ADD_TAG || c == OPT_REMOVE_TAG) {
            rc = cli_usage_error(err, "ioc add", "'%s' is for ioc update",
                                 argv[optind - 1]);
            goto out;
        }
        rc = parse_field_option(ctx, c, &a, err);
        if (rc < 0)
            goto out;
    }
    if (optind + 1 != argc) {
        rc = cli_usage_error(err, "ioc add",
                             optind >= argc ? "missing VALUE"
                                            : "give exactly one VALUE");
        goto out;
    }
    rc = ioc_parse_value(argv[optind], &a.type, &value, err);
    if (rc < 0)
        goto out;
    rc = cli_actor(ctx, a.user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc < 0)
        goto out;
    a.fields.type = a.type;
    a.fields.value = strbuf_detach(&value, NULL);
    cli_ioc_defaults(ctx, &defaults);
    rc = cli_ioc_authorize_add(ctx, a.user, &a.fields, &defaults, err);
    if (rc < 0)
        goto out;
    rc = ioc_repo_upsert(db, &a.fields,
                         &(struct ioc_upsert_opts){ .defaults = &defaults,
                                                    .actor = actor,
                                                    .now = ctx->now,
                                                    .audit = true },
                         &id, &outcome, err);
    if (rc == 0)
        rc = ioc_repo_get(db, id, &stored, err);
    if (rc < 0)
        goto out;
    if (a.json) {
        json_t *j = ioc_to_json(&stored);

        json_object_set_new(j, "outcome", json_string(verbs[outcome]));
        rc = cli_print_json(j, err);
    } else {
        print_ioc_line(verbs[outcome], &stored);
    }
out:
    ioc_release(&stored);
    field_args_release(&a);
    strbuf_release(&value);
    return rc;
}

/*
 * Finds the indicator an argument names: a number is an id, anything else
 * a value (refanged and normalised, its type detected unless given).
 */
int cli_ioc_resolve(struct db *db, const char *arg, bool has_type,
                    enum ioc_type type, struct ioc *out, struct iocm_err *err)
{
    struct strbuf value = STRBUF_INIT;
    const char *p = arg;
    int rc;

    while (isdigit((unsigned char)*p))
        p++;
    if (*arg && !*p && !has_type)
        return ioc_repo_get(db, strtoll(arg, NULL, 10), out, err);
    if (!has_type)
        type = IOC_TYPE_COUNT;
    rc = ioc_parse_value(arg, &type, &value, err);
    if (rc == 0)
        rc = ioc_repo_find(db, type, value.buf, out, err);
    strbuf_release(&value);
    return rc;
}

static void add_detail(struct cli_table *t, const char *key, const char *value)
{
    const char *row[2] = { key, value };

    cli_table_add(t, row);
}

static void add_time(struct cli_table *t, const char *key, int64_t when)
{
    char buf[ISOTIME_LEN];

    if (!when) {
        add_detail(t, key, "-");
        return;
    }
    isotime_format(when, buf);
    add_detail(t, key, buf);
}

static void print_details(const struct ioc *ioc)
{
    struct strbuf tags = STRBUF_INIT;
    struct cli_table t;
    char num[32];

    cli_table_init(&t, 2, 0);
    snprintf(num, sizeof(num), "%lld", (long long)ioc->id);
    add_detail(&t, "id", num);
    add_detail(&t, "type", ioc_type_name(ioc->type));
    add_detail(&t, "value", ioc->value);
    add_detail(&t, "severity", ioc_severity_name(ioc->severity));
    snprintf(num, sizeof(num), "%d", ioc->confidence);
    add_detail(&t, "confidence", num);
    add_detail(&t, "tlp", tlp_name(ioc->tlp));
    add_detail(&t, "status", ioc_status_name(ioc->status));
    add_detail(&t, "false positive", ioc->is_false_positive ? "yes" : "no");
    add_detail(&t, "source", ioc->source);
    for (size_t i = 0; i < ioc->tags.nr; i++)
        strbuf_addf(&tags, "%s%s", i ? ", " : "", ioc->tags.v[i]);
    add_detail(&t, "tags", tags.buf);
    add_detail(&t, "description", ioc->description);
    add_time(&t, "first seen", ioc->first_seen);
    add_time(&t, "last seen", ioc->last_seen);
    add_time(&t, "created", ioc->created_at);
    add_detail(&t, "created by", ioc->created_by);
    add_time(&t, "updated", ioc->updated_at);
    add_detail(&t, "updated by", ioc->updated_by);
    add_time(&t, "expires", ioc->expires_at);
    if (ioc->expiry_reason)
        add_detail(&t, "expiry reason", ioc->expiry_reason);
    cli_table_print(&t, stdout);
    cli_table_release(&t);
    strbuf_release(&tags);
}

/* One block per provider: when it was fetched and what it said. */
static void print_enrichment(json_t *enrichment)
{
    const char *provider;
    json_t *entry;

    json_object_foreach(enrichment, provider, entry)
    {
        json_t *result = json_object_get(entry, "result");
        char *text = json_dumps(result, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                            JSON_REAL_PRECISION(15));

        printf("\nenrichment %s (fetched %s):\n%s\n", provider,
               json_string_value(json_object_get(entry, "fetched_at")),
               text ? text : "{}");
        free(text);
    }
}

static const char show_usage[] =
    "usage: iocm ioc show ID|VALUE [--type T] [--json]\n"
    "\n"
    "Shows one indicator with every field and each enrichment provider's\n"
    "latest result. VALUE may be defanged.\n";

static int show(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "type", required_argument, NULL, OPT_TYPE },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    enum ioc_type type = IOC_TYPE_COUNT;
    bool has_type = false, json = false;
    json_t *enrichment = NULL;
    struct ioc ioc;
    struct db *db;
    int rc, c;

    ioc_init(&ioc);
    while ((c = cli_getopt(argc, argv, "h", opts, show_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_TYPE) {
            has_type = true;
            rc = ioc_type_parse(optarg, &type, err);
            if (rc < 0)
                return rc;
        } else if (c == OPT_JSON) {
            json = true;
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "ioc show", "give exactly one ID or VALUE");
    rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = cli_ioc_resolve(db, argv[optind], has_type, type, &ioc, err);
    if (rc == 0)
        rc = enrich_results_for(db, ioc.id, &enrichment, err);
    if (rc < 0)
        goto out;
    if (json) {
        json_t *j = ioc_to_json(&ioc);

        json_object_set(j, "enrichment", enrichment);
        rc = cli_print_json(j, err);
    } else {
        print_details(&ioc);
        print_enrichment(enrichment);
    }
out:
    json_decref(enrichment);
    ioc_release(&ioc);
    return rc;
}

static const char list_usage[] =
    "usage: iocm ioc list [filters] [--limit N | --all] [--json]\n"
    "\n"
    "Lists indicators of any status, newest first (50 unless --limit or "
    "--all).\n"
    "\n"
    "Filters:\n" CLI_FILTER_HELP;

static const struct option list_opts[] = {
    CLI_FILTER_OPTIONS,
    { "limit", required_argument, NULL, OPT_LIMIT },
    { "all", no_argument, NULL, OPT_ALL },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

struct list_state {
    bool json;
    json_t *items;
    struct cli_table table;
};

static int list_one(const struct ioc *ioc, void *data)
{
    struct list_state *st = data;
    char id[24], created[ISOTIME_LEN];
    const char *row[8];

    if (st->json) {
        json_array_append_new(st->items, ioc_to_json(ioc));
        return 0;
    }
    snprintf(id, sizeof(id), "%lld", (long long)ioc->id);
    isotime_format(ioc->created_at, created);
    row[0] = id;
    row[1] = ioc_type_name(ioc->type);
    row[2] = ioc->value;
    row[3] = ioc_severity_name(ioc->severity);
    row[4] = tlp_name(ioc->tlp);
    row[5] = ioc_status_name(ioc->status);
    row[6] = ioc->source;
    row[7] = created;
    cli_table_add(&st->table, row);
    return 0;
}

static int list(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const char *const header[] = {
        "ID", "TYPE", "VALUE", "SEVERITY", "TLP", "STATUS", "SOURCE", "CREATED"
    };
    struct list_state st = { 0 };
    struct strbuf tag = STRBUF_INIT;
    struct ioc_filter f;
    int64_t total = 0;
    long limit = 50;
    struct db *db;
    int rc = 0, c;

    ioc_filter_init(&f);
    while ((c = cli_getopt(argc, argv, "h", list_opts, list_usage, err)) !=
           -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        if (c == OPT_JSON) {
            st.json = true;
        } else if (c == OPT_LIMIT) {
            rc = cli_parse_long("--limit", optarg, 1, 1000000000, &limit, err);
        } else if (c == OPT_ALL) {
            limit = 0;
        } else {
            rc = cli_filter_option(ctx, c, &f, &tag, err);
        }
        if (rc < 0)
            goto out;
    }
    if (optind < argc) {
        rc = cli_usage_error(err, "ioc list", "unexpected argument '%s'",
                             argv[optind]);
        goto out;
    }
    f.limit = limit;
    rc = cli_db(ctx, &db, err);
    if (rc < 0)
        goto out;
    st.items = json_array();
    cli_table_init(&st.table, 8, 60);
    cli_table_add(&st.table, header);
    rc = ioc_repo_each(db, &f, list_one, &st, err);
    if (rc == 0)
        rc = ioc_repo_count(db, &f, &total, err);
    if (rc < 0)
        goto out;
    if (st.json) {
        rc = cli_print_json(json_pack("{s:I, s:O}", "total", (json_int_t)total,
                                      "items", st.items),
                            err);
    } else {
        cli_table_print(&st.table, stdout);
        printf("%zu of %lld indicators shown\n", st.table.nrows - 1,
               (long long)total);
    }
out:
    json_decref(st.items);
    cli_table_release(&st.table);
    strbuf_release(&tag);
    return rc;
}

/* Applies the update options to a copy of the stored record. */
static void apply_fields(const struct field_args *a, struct ioc *rec,
                         int64_t now)
{
    const struct ioc *f = &a->fields;

    if (f->severity != IOC_SEV_UNSET)
        rec->severity = f->severity;
    if (f->confidence >= 0)
        rec->confidence = f->confidence;
    if (f->tlp != TLP_UNSET)
        rec->tlp = f->tlp;
    if (f->status != IOC_STATUS_UNSET)
        rec->status = f->status;
    if (f->source) {
        free(rec->source);
        rec->source = xstrdup(f->source);
    }
    if (f->description) {
        free(rec->description);
        rec->description = xstrdup(f->description);
    }
    if (a->has_tags) {
        strvec_clear(&rec->tags);
        for (size_t i = 0; i < f->tags.nr; i++)
            strvec_push(&rec->tags, f->tags.v[i]);
    }
    for (size_t i = 0; i < a->add_tags.nr; i++)
        strvec_push(&rec->tags, a->add_tags.v[i]);
    if (a->remove_tags.nr) {
        struct strvec kept = STRVEC_INIT;

        for (size_t i = 0; i < rec->tags.nr; i++)
            if (!strvec_contains(&a->remove_tags, rec->tags.v[i]))
                strvec_push(&kept, rec->tags.v[i]);
        strvec_clear(&rec->tags);
        rec->tags = kept;
    }
    strvec_sort_unique(&rec->tags);
    if (f->no_expiry)
        rec->expires_at = 0;
    else if (f->expires_at)
        rec->expires_at = f->expires_at;
    if (a->extend_days) {
        int64_t base = rec->expires_at > now ? rec->expires_at : now;

        rec->expires_at = base + (int64_t)a->extend_days * 86400;
    }
}

/* A shallow-enough copy for editing: strings and tags duplicated. */
static void ioc_copy(const struct ioc *src, struct ioc *dst)
{
    *dst = *src;
    dst->value = xstrdup(src->value);
    dst->source = xstrdup(src->source);
    dst->description = xstrdup(src->description);
    dst->created_by = xstrdup(src->created_by);
    dst->updated_by = xstrdup(src->updated_by);
    dst->expiry_reason = xstrdup(src->expiry_reason);
    strvec_init(&dst->tags);
    for (size_t i = 0; i < src->tags.nr; i++)
        strvec_push(&dst->tags, src->tags.v[i]);
}

static int update(struct cli_ctx *ctx, int argc, char **argv,
                  struct iocm_err *err)
{
    struct ioc old, new;
    struct field_args a;
    const char *actor;
    struct db *db;
    int rc = 0, c;

    field_args_init(&a);
    ioc_init(&old);
    ioc_init(&new);
    while ((c = cli_getopt(argc, argv, "h", field_opts, update_usage, err)) !=
           -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        rc = parse_field_option(ctx, c, &a, err);
        if (rc < 0)
            goto out;
    }
    if (optind + 1 != argc) {
        rc = cli_usage_error(err, "ioc update", "give exactly one ID or VALUE");
        goto out;
    }
    rc = cli_actor(ctx, a.user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = cli_ioc_resolve(db, argv[optind], a.has_type, a.type, &old, err);
    if (rc < 0)
        goto out;
    ioc_copy(&old, &new);
    apply_fields(&a, &new, ctx->now);
    rc = cli_ioc_authorize_update(ctx, a.user, &old, &new, err);
    if (rc == 0)
        rc = ioc_repo_save(db, &old, &new, "ioc.update", NULL, actor, ctx->now,
                           err);
    if (rc < 0)
        goto out;
    ioc_release(&new);
    rc = ioc_repo_get(db, old.id, &new, err);
    if (rc < 0)
        goto out;
    if (a.json)
        rc = cli_print_json(ioc_to_json(&new), err);
    else
        print_ioc_line("updated", &new);
out:
    ioc_release(&old);
    ioc_release(&new);
    field_args_release(&a);
    return rc;
}

static const char delete_usage[] =
    "usage: iocm ioc delete ID|VALUE [--type T] [--user NAME] [--json]\n"
    "\n"
    "Deletes an indicator for good (the audit log keeps the record of it).\n"
    "To take an indicator out of use but keep it, archive it instead.\n";

static int delete (struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err)
{
    static const struct option opts[] = {
        { "type", required_argument, NULL, OPT_TYPE },
        { "user", required_argument, NULL, OPT_USER },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    enum ioc_type type = IOC_TYPE_COUNT;
    bool has_type = false, json = false;
    const char *user = NULL, *actor;
    struct ioc ioc;
    struct db *db;
    int rc, c;

    ioc_init(&ioc);
    while ((c = cli_getopt(argc, argv, "h", opts, delete_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_TYPE) {
            has_type = true;
            rc = ioc_type_parse(optarg, &type, err);
            if (rc < 0)
                return rc;
        } else if (c == OPT_USER) {
            user = optarg;
        } else if (c == OPT_JSON) {
            json = true;
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "ioc delete",
                               "give exactly one ID or VALUE");
    rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = cli_ioc_resolve(db, argv[optind], has_type, type, &ioc, err);
    if (rc == 0)
        rc = cli_ioc_authorize_delete(ctx, user, &ioc, err);
    if (rc == 0)
        rc = ioc_repo_delete(db, &ioc, actor, ctx->now, err);
    if (rc == 0) {
        if (json)
            rc = cli_print_json(json_pack("{s:I, s:s}", "deleted",
                                          (json_int_t)ioc.id, "value",
                                          ioc.value),
                                err);
        else
            print_ioc_line("deleted", &ioc);
    }
    ioc_release(&ioc);
    return rc;
}

static const struct cli_sub subs[] = {
    { "add", "add an indicator (or see a known one again)", add_usage, add },
    { "list", "list indicators with filters", list_usage, list },
    { "show", "show one indicator", show_usage, show },
    { "update", "change an indicator's fields", update_usage, update },
    { "delete", "delete an indicator", delete_usage, delete },
    CLI_IOC_WORKFLOW_SUBS,
    { 0 },
};

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    return cli_run_sub(ctx, "ioc", subs, argc, argv, err);
}

const struct cli_cmd cmd_ioc_entry = {
    .name = "ioc",
    .summary = "add, list, show, update, review and delete indicators",
    .usage = "usage: iocm ioc add|list|show|update|delete|submit|approve|"
             "reject|archive|restore|flag|false-positive ...\n",
    .run = run,
};
