/*
 * `iocm doctor [--json] [--repair]`: checks what an installation needs to
 * run unattended (.env keys, values and permissions, the database and its
 * maintained counts, the report templates, recipients, SMTP reachability)
 * and prints one ok/warn/fail line per check with what to do about it.
 */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_mail.h"
#include "cli/cli_report.h"
#include "db/db.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "mail/mail.h"
#include "report/report.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: iocm doctor [--json] [--repair]\n"
    "\n"
    "Checks the installation and prints one line per check, ok, warn, "
    "fail or\n"
    "skip, with what was found:\n"
    "  config      the .env file: unknown keys and every bad value, each "
    "with\n"
    "              its line; every key that is set is listed, secrets "
    "masked\n"
    "  secrets     that a .env holding MAIL_PASSWORD or another secret is "
    "not\n"
    "              readable by group or others\n"
    "  database    it opens and its schema is current\n"
    "  counts      the maintained indicator counts match the iocs table\n"
    "  rollups     the reports' hourly counts match the tables they count\n"
    "  sends       the last daily and weekly report sends\n"
    "  templates   both reports render as HTML and text\n"
    "  recipients  sender and report recipients are valid addresses\n"
    "  smtp        the server is reachable: connect, TLS, AUTH (skipped "
    "when\n"
    "              MAIL_SERVER is unset)\n"
    "\n"
    "Options:\n"
    "  --json      print the checks and settings as JSON\n"
    "  --repair    rebuild the indicator counts and hourly rollups when\n"
    "              they are off\n"
    "\n"
    "Each bad value is a failed config check; the checks after secrets "
    "need\n"
    "the settings, so they are skipped until it is fixed.\n"
    "\n"
    "Exit status: 0 when no check failed (warnings allowed), 1 otherwise,\n"
    "bad configuration values included.\n";

enum {
    OPT_JSON = 256,
    OPT_REPAIR,
};

/* A database is claimed by a send that started this long ago and never
 * finished (the same limit report send uses to take it over). */
#define STUCK_SEND_SECONDS 3600

struct doctor {
    struct cli_ctx *ctx;
    const char *file; /* the .env read, for messages */
    json_t *checks;   /* NULL: print lines */
    int failed, warned;
    bool is_repair;
};

__attribute__((format(printf, 4, 5))) static void put(struct doctor *d,
                                                      const char *status,
                                                      const char *check,
                                                      const char *fmt, ...)
{
    struct strbuf detail = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&detail, fmt, ap);
    va_end(ap);
    if (!strcmp(status, "fail"))
        d->failed++;
    else if (!strcmp(status, "warn"))
        d->warned++;
    if (d->checks)
        json_array_append_new(d->checks, json_pack("{s:s, s:s, s:s}", "check",
                                                   check, "status", status,
                                                   "detail", detail.buf));
    else
        printf("%-5s %-11s %s\n", status, check, detail.buf);
    fflush(stdout);
    strbuf_release(&detail);
}

/* Edit distance, for "did you mean"; names longer than this are not
 * compared. */
#define NAME_MAX_LEN 64

static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[NAME_MAX_LEN + 1];

    if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known key closest to name, when close enough to be a typo. */
static const char *suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = 3; /* at most two edits */

    for (size_t i = 0; i < config_keys_count; i++) {
        size_t dist = distance(name, config_keys[i].name);

        if (dist < best_d) {
            best_d = dist;
            best = config_keys[i].name;
        }
    }
    return best;
}

static bool file_has_key(const struct config *cfg, const char *key)
{
    for (size_t i = 0; i < config_count(cfg); i++)
        if (!strcmp(config_key_at(cfg, i), key))
            return true;
    return false;
}

/*
 * Whether a key's value must not be shown: a secret, or an unknown key
 * that looks like one (MAIL_PASWORD holds the password all the same).
 */
static bool may_be_secret(const char *key)
{
    static const char *const words[] = { "PASS", "SECRET", "TOKEN", "KEY",
                                         "CREDENTIAL" };
    const struct config_key *near;

    if (config_key_is_secret(key))
        return true;
    if (config_known_key(key))
        return false;
    near = config_known_key(suggest(key) ? suggest(key) : "");
    if (near && near->is_secret)
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(key, words[i]))
            return true;
    return false;
}

/* Prints (or collects) one set key, masked as people may see it. */
static void show_setting(struct doctor *d, json_t *settings, const char *key)
{
    const struct config *cfg = d->ctx->cfg;
    struct strbuf value = STRBUF_INIT, origin = STRBUF_INIT;

    if (may_be_secret(key))
        strbuf_addstr(&value, "********");
    else
        config_display_value(cfg, key, &value);
    config_origin(cfg, key, &origin);
    if (settings)
        json_array_append_new(
            settings, json_pack("{s:s, s:s, s:s, s:b}", "key", key, "value",
                                value.buf, "origin", origin.buf, "known",
                                config_known_key(key) != NULL));
    else
        printf("        %s=%s (%s)\n", key, value.buf, origin.buf);
    strbuf_release(&value);
    strbuf_release(&origin);
}

static void check_config(struct doctor *d, json_t *settings)
{
    const struct config *cfg = d->ctx->cfg;
    struct iocm_err err = IOCM_ERR_INIT;
    struct config_settings s = { 0 };
    size_t unknown = 0, bad = 0;
    int rc;

    if (config_path(cfg))
        put(d, "ok", "config", "read %s: %zu key%s", d->file, config_count(cfg),
            config_count(cfg) == 1 ? "" : "s");
    else
        put(d, "warn", "config",
            "no .env file: built-in defaults and the environment only");
    /* Every key that is set, the file's in its order, then the known keys
     * only the environment sets. */
    for (size_t i = 0; i < config_count(cfg); i++)
        show_setting(d, settings, config_key_at(cfg, i));
    for (size_t i = 0; i < config_keys_count; i++)
        if (config_get(cfg, config_keys[i].name) &&
            !file_has_key(cfg, config_keys[i].name))
            show_setting(d, settings, config_keys[i].name);

    for (size_t i = 0; i < config_count(cfg); i++) {
        const char *key = config_key_at(cfg, i);
        struct strbuf where = STRBUF_INIT;
        const char *near;

        if (config_known_key(key))
            continue;
        unknown++;
        config_origin(cfg, key, &where);
        near = suggest(key);
        if (near)
            put(d, "warn", "config",
                "unknown key %s at %s is ignored: did you mean %s?", key,
                where.buf, near);
        else
            put(d, "warn", "config", "unknown key %s at %s is ignored", key,
                where.buf);
        strbuf_release(&where);
    }
    /* Each key against its kind, every bad one a line of its own (the
     * message masks secrets); then the rules that span keys. */
    for (size_t i = 0; i < config_keys_count; i++) {
        if (config_check_key(cfg, config_keys[i].name, &err) < 0) {
            put(d, "fail", "config", "%s", err.msg);
            bad++;
        }
    }
    if (bad)
        return;
    rc = config_settings_load(cfg, &s, &err);
    config_settings_release(&s);
    if (rc < 0)
        put(d, "fail", "config", "%s", err.msg);
    else
        put(d, "ok", "config", "every value is valid%s",
            unknown ? " (unknown keys aside)" : "");
}

/* Whether the .env that holds secrets can be read by anyone but its owner. */
static void check_secrets(struct doctor *d)
{
    const struct config *cfg = d->ctx->cfg;
    struct strbuf keys = STRBUF_INIT;
    struct stat st;

    if (!config_path(cfg)) {
        put(d, "ok", "secrets", "no .env file holds secrets");
        return;
    }
    for (size_t i = 0; i < config_count(cfg); i++) {
        const char *key = config_key_at(cfg, i);

        if (may_be_secret(key))
            strbuf_addf(&keys, "%s%s", keys.len ? ", " : "", key);
    }
    if (!keys.len) {
        put(d, "ok", "secrets", "%s holds no secret", d->file);
    } else if (stat(d->file, &st) < 0) {
        put(d, "warn", "secrets", "cannot check the mode of %s: %s", d->file,
            strerror(errno));
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        put(d, "warn", "secrets",
            "%s holds %s and is %s by %s (mode %04o): chmod 600 %s", d->file,
            keys.buf,
            st.st_mode & (S_IRGRP | S_IROTH) ? "readable" : "accessible",
            (st.st_mode & S_IRWXG) && (st.st_mode & S_IRWXO)
                ? "group and others"
            : st.st_mode & S_IRWXG ? "its group"
                                   : "others",
            (unsigned)(st.st_mode & 07777), d->file);
    } else {
        put(d, "ok", "secrets",
            "%s holds %s and only its owner can read it "
            "(mode %04o)",
            d->file, keys.buf, (unsigned)(st.st_mode & 07777));
    }
    strbuf_release(&keys);
}

/*
 * Opens the database without migrating or creating it (doctor only looks)
 * and checks its schema version. Returns the open database when the other
 * checks can read it, else NULL.
 */
static struct db *check_database(struct doctor *d)
{
    const char *url = d->ctx->settings.database_url;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf shown = STRBUF_INIT;
    int version = 0, latest = db_schema_latest();
    struct db *db = NULL;
    int rc;

    if (!strncmp(url, "sqlite:", 7) && strcmp(url, "sqlite::memory:") &&
        access(url + 7, F_OK) < 0) {
        put(d, "fail", "database", "%s: %s does not exist: run iocm init", url,
            url + 7);
        return NULL;
    }
    rc = db_open(url, &db, &err);
    if (rc == 0)
        rc = db_schema_version(db, &version, &err);
    if (rc < 0) {
        put(d, "fail", "database", "%s", err.msg);
        db_close(db);
        return NULL;
    }
    /* The URL is shown as doctor shows the setting: password masked. */
    config_display_value(d->ctx->cfg, "DATABASE_URL", &shown);
    if (!shown.len)
        strbuf_addstr(&shown, url);
    if (version == 0)
        put(d, "fail", "database", "%s: no iocm schema in it: run iocm init",
            shown.buf);
    else if (version > latest)
        put(d, "fail", "database",
            "%s: schema version %d is newer than this iocm (%d): upgrade iocm",
            shown.buf, version, latest);
    else if (version < latest)
        put(d, "warn", "database",
            "%s: schema version %d, this iocm migrates it to %d on the next "
            "command (or run iocm init now)",
            shown.buf, version, latest);
    else
        put(d, "ok", "database", "%s: schema version %d (current)", shown.buf,
            version);
    strbuf_release(&shown);
    if (version == 0 || version > latest) {
        db_close(db);
        return NULL;
    }
    return db;
}

/* Counts straight from the table, as ioc_counts_rebuild would store them. */
static const char sql_table_counts[] =
    "SELECT type, status, is_enriched, COUNT(*) FROM iocs GROUP BY type, "
    "status, is_enriched";

static int table_counts(struct db *db, struct ioc_count_delta *out,
                        struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare(db, sql_table_counts, &st, err);

    ioc_count_delta_init(out);
    if (rc < 0)
        return rc;
    for (rc = db_step(st, err); rc == DB_ROW; rc = db_step(st, err)) {
        enum ioc_type t;
        int64_t s = db_column_int64(st, 1);

        if (ioc_type_parse(db_column_text(st, 0), &t, NULL) < 0 || s < 0 ||
            s >= IOC_STATUS_COUNT)
            continue;
        ioc_count_delta_add(out, t, (enum ioc_status)s,
                            db_column_int64(st, 2) != 0,
                            db_column_int64(st, 3));
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Compares the two; appends the first few differences to what. */
static size_t count_differences(const struct ioc_count_delta *table,
                                const struct ioc_count_delta *stored,
                                int64_t *total, struct strbuf *what)
{
    size_t n = 0;

    *total = 0;
    for (int t = 0; t < IOC_TYPE_COUNT; t++)
        for (int s = 0; s < IOC_STATUS_COUNT; s++)
            for (int e = 0; e < 2; e++) {
                int64_t want = table->n[t][s][e], have = stored->n[t][s][e];

                *total += want;
                if (want == have)
                    continue;
                if (n++ < 3)
                    strbuf_addf(
                        what, "%s%s %s%s: %lld in iocs, %lld counted",
                        n > 1 ? "; " : "", ioc_type_name((enum ioc_type)t),
                        ioc_status_name((enum ioc_status)s),
                        e ? " enriched" : "", (long long)want, (long long)have);
            }
    return n;
}

static void check_counts(struct doctor *d, struct db *db)
{
    struct ioc_count_delta table, stored;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf what = STRBUF_INIT;
    int64_t total;
    size_t diff;
    int rc;

    rc = table_counts(db, &table, &err);
    if (rc == 0)
        rc = ioc_counts_read(db, &stored, &err);
    if (rc < 0) {
        put(d, "fail", "counts", "%s", err.msg);
        goto out;
    }
    diff = count_differences(&table, &stored, &total, &what);
    if (!diff) {
        put(d, "ok", "counts",
            "the maintained counts match the iocs table (%lld indicator%s)",
            (long long)total, total == 1 ? "" : "s");
    } else if (!d->is_repair) {
        put(d, "fail", "counts",
            "the maintained counts differ from the iocs table in %zu "
            "group%s (%s%s): reports would show wrong totals; run iocm "
            "doctor --repair",
            diff, diff == 1 ? "" : "s", what.buf, diff > 3 ? "; ..." : "");
    } else if (ioc_counts_rebuild(db, &err) < 0) {
        put(d, "fail", "counts", "cannot rebuild the counts: %s", err.msg);
    } else {
        put(d, "ok", "counts",
            "rebuilt the maintained counts from the iocs table (they were "
            "off in %zu group%s: %s%s)",
            diff, diff == 1 ? "" : "s", what.buf, diff > 3 ? "; ..." : "");
    }
out:
    strbuf_release(&what);
}

/* Rows written behind iocm's back (SQL, a restore of one table) leave
 * the reports' hourly rollups wrong without touching ioc_counts. */
static void check_rollups(struct doctor *d, struct db *db)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t diff = 0;

    if (ioc_rollups_verify(db, &diff, &err) < 0)
        put(d, "fail", "rollups", "%s", err.msg);
    else if (!diff)
        put(d, "ok", "rollups",
            "the reports' hourly counts match their tables");
    else if (!d->is_repair)
        put(d, "fail", "rollups",
            "%lld hourly count%s from the tables: reports would show "
            "wrong figures; run iocm doctor --repair",
            (long long)diff, diff == 1 ? " differs" : "s differ");
    else if (ioc_counts_rebuild(db, &err) < 0)
        put(d, "fail", "rollups", "cannot rebuild the rollups: %s", err.msg);
    else
        put(d, "ok", "rollups",
            "rebuilt the reports' hourly counts (%lld %s off)", (long long)diff,
            diff == 1 ? "was" : "were");
}

static const char sql_last_send[] =
    "SELECT period, status, attempts, last_error, updated_at FROM "
    "report_sends WHERE kind = ? ORDER BY id DESC LIMIT 1";

static void check_sends(struct doctor *d, struct db *db)
{
    static const char *const kinds[] = { "daily", "weekly" };
    struct iocm_err err = IOCM_ERR_INIT;

    for (size_t i = 0; i < 2; i++) {
        struct db_stmt *st;
        char when[ISOTIME_LEN];
        int rc = db_prepare(db, sql_last_send, &st, &err);

        if (rc < 0) {
            put(d, "fail", "sends", "%s", err.msg);
            return;
        }
        db_bind_text(st, 1, kinds[i]);
        rc = db_step(st, &err);
        if (rc < 0) {
            put(d, "fail", "sends", "%s", err.msg);
        } else if (rc == DB_DONE) {
            put(d, "ok", "sends", "no %s report sent yet", kinds[i]);
        } else {
            const char *period = db_column_text(st, 0);
            const char *status = db_column_text(st, 1);
            int64_t attempts = db_column_int64(st, 2);
            const char *error = db_column_text(st, 3);
            int64_t at = db_column_int64(st, 4);

            isotime_format(at, when);
            if (!strcmp(status, "failed"))
                put(d, "warn", "sends",
                    "the last %s report (%s) failed at %s after %lld "
                    "attempt%s: %s",
                    kinds[i], period, when, (long long)attempts,
                    attempts == 1 ? "" : "s", error ? error : "no reason kept");
            else if (!strcmp(status, "sending") &&
                     at < d->ctx->now - STUCK_SEND_SECONDS)
                put(d, "warn", "sends",
                    "the %s report for %s has been sending since %s: the run "
                    "stopped; the next report send takes it over",
                    kinds[i], period, when);
            else
                put(d, "ok", "sends", "last %s report: %s %s at %s", kinds[i],
                    period, status, when);
        }
        db_finalize(st);
    }
}

/* The email templates TEMPLATE_DIR holds, each overriding the shipped file
 * of its name (partials included). */
static void overridden(const char *dir, struct strbuf *out)
{
    struct strvec names = STRVEC_INIT;
    struct strbuf path = STRBUF_INIT;
    struct dirent *e;
    DIR *d;

    strbuf_addf(&path, "%s/email", dir);
    d = opendir(path.buf);
    for (e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (e->d_name[0] != '.')
            strvec_push(&names, e->d_name);
    if (d)
        closedir(d);
    strvec_sort_unique(&names);
    for (size_t i = 0; i < names.nr; i++)
        strbuf_addf(out, "%s%s", i ? ", " : "", names.v[i]);
    strvec_clear(&names);
    strbuf_release(&path);
}

/*
 * Builds both reports and renders each as HTML and text with its subject.
 * With no usable database the reports of an empty in-memory one are
 * rendered, so a template error still shows.
 */
static void check_templates(struct doctor *d, struct db *db)
{
    static const enum report_kind kinds[] = { REPORT_DAILY, REPORT_WEEKLY };
    struct strbuf out = STRBUF_INIT, over = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    struct report_settings rs;
    struct db *scratch = NULL;
    const char *dir = d->ctx->settings.template_dir;
    int rc = 0;

    cli_report_settings(d->ctx, &rs);
    if (dir) {
        struct stat st;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            put(d, "fail", "templates",
                "TEMPLATE_DIR %s is not a folder: fix or unset it", dir);
            goto out;
        }
        overridden(dir, &over);
    }
    if (!db) {
        rc = db_connect("sqlite::memory:", &scratch, &err);
        db = scratch;
    }
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        json_t *model = NULL;

        rc = report_build(db, kinds[i], d->ctx->now, d->ctx->now, &rs, &model,
                          &err);
        if (rc == 0)
            rc = report_subject(model, &rs, &out, &err);
        if (rc == 0)
            rc = report_render(model, REPORT_FORMAT_HTML, &rs, &out, &err);
        if (rc == 0)
            rc = report_render(model, REPORT_FORMAT_TEXT, &rs, &out, &err);
        if (rc < 0)
            iocm_err_prefix(&err, "%s report", report_kind_name(kinds[i]));
        json_decref(model);
    }
    if (rc < 0) {
        put(d, "fail", "templates", "%s", err.msg);
        goto out;
    }
    if (dir && !over.len)
        strbuf_addstr(&over, "none");
    put(d, "ok", "templates",
        "daily and weekly reports render as HTML and text%s (templates "
        "from %s%s%s)",
        scratch ? " from an empty database" : "", rs.default_template_dir,
        dir ? "; TEMPLATE_DIR overrides " : "", over.buf);
out:
    db_close(scratch);
    strbuf_release(&out);
    strbuf_release(&over);
}

static void check_recipient_list(struct doctor *d, const char *kind,
                                 const char *key)
{
    struct mail_address_list list = MAIL_ADDRESS_LIST_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    const char *value = config_get(d->ctx->cfg, key);
    struct strbuf where = STRBUF_INIT;

    config_origin(d->ctx->cfg, key, &where);
    if (!value || !*value)
        put(d, "warn", "recipients",
            "%s is empty: report send %s stops with exit 2 until it is set "
            "(or --to is given)",
            key, kind);
    else if (mail_address_list_parse(&list, value, &err) < 0)
        put(d, "fail", "recipients", "%s at %s: %s", key, where.buf, err.msg);
    else if (!list.nr)
        put(d, "warn", "recipients", "%s at %s names no address", key,
            where.buf);
    else
        put(d, "ok", "recipients", "%s report: %zu recipient%s (%s)", kind,
            list.nr, list.nr == 1 ? "" : "s", value);
    mail_address_list_release(&list);
    strbuf_release(&where);
}

static void check_recipients(struct doctor *d)
{
    const struct config_settings *s = &d->ctx->settings;
    struct mail_address sender = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;

    if (!s->report.enabled) {
        put(d, "ok", "recipients",
            "reports are disabled (REPORT_ENABLED=false): nothing is sent");
        return;
    }
    if (!s->mail.sender)
        put(d, "fail", "recipients",
            "MAIL_DEFAULT_SENDER is not set: no report can be sent; set it "
            "in %s",
            d->file);
    else if (mail_address_parse(s->mail.sender, &sender, &err) < 0)
        put(d, "fail", "recipients", "MAIL_DEFAULT_SENDER: %s", err.msg);
    else
        put(d, "ok", "recipients", "sender %s", s->mail.sender);
    mail_address_release(&sender);
    check_recipient_list(d, "daily", "DAILY_REPORT_RECIPIENTS");
    check_recipient_list(d, "weekly", "WEEKLY_REPORT_RECIPIENTS");
}

struct smtp_steps {
    const struct mail_transport *t;
    struct strbuf passed; /* "connect, tls, auth" */
    struct strbuf failure;
};

static void on_smtp_step(void *arg, const char *step,
                         enum cli_mail_step_status status, const char *detail)
{
    struct smtp_steps *s = arg;

    if (status == CLI_MAIL_STEP_OK)
        strbuf_addf(&s->passed, "%s%s", s->passed.len ? ", " : "", step);
    else if (status == CLI_MAIL_STEP_FAILED && !s->failure.len) {
        const char *hint = cli_mail_hint(s->t, step, detail);

        strbuf_addf(&s->failure, "%s failed: %s", step, detail);
        if (hint)
            strbuf_addf(&s->failure, " (hint: %s)", hint);
    }
}

static void check_smtp(struct doctor *d)
{
    const struct config_mail *m = &d->ctx->settings.mail;
    struct smtp_steps steps = { NULL, STRBUF_INIT, STRBUF_INIT };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf where = STRBUF_INIT;
    struct mail_transport t;

    if (!m->server) {
        put(d, d->ctx->settings.report.enabled ? "warn" : "ok", "smtp",
            "skipped: MAIL_SERVER is not set, so no report can be mailed");
        return;
    }
    cli_mail_transport(m, &t);
    steps.t = &t;
    cli_mail_describe(&t, &where);
    if (m->ca_file && access(m->ca_file, R_OK) < 0) {
        put(d, "fail", "smtp", "MAIL_CA_FILE %s cannot be read: %s", m->ca_file,
            strerror(errno));
        goto out;
    }
    if (!t.use_tls && !t.use_ssl && !mail_host_is_loopback(t.server))
        put(d, "warn", "smtp",
            "%s: plain text to a host that is not this machine: set "
            "MAIL_USE_TLS or MAIL_USE_SSL",
            where.buf);
    if (cli_mail_check_steps(&t, on_smtp_step, &steps, &err) < 0)
        put(d, "fail", "smtp", "%s: %s; iocm mail test shows each step",
            where.buf, steps.failure.len ? steps.failure.buf : err.msg);
    else
        put(d, "ok", "smtp", "%s: %s passed", where.buf, steps.passed.buf);
out:
    strbuf_release(&where);
    strbuf_release(&steps.passed);
    strbuf_release(&steps.failure);
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "repair", no_argument, NULL, OPT_REPAIR },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct doctor d = { ctx, NULL, NULL, 0, 0, false };
    json_t *settings = NULL;
    struct db *db = NULL;
    int c, rc = 0;

    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_JSON)
            d.checks = json_array();
        else if (c == OPT_REPAIR)
            d.is_repair = true;
    }
    if (optind < argc) {
        rc = cli_usage_error(err, "doctor", "unexpected argument '%s'",
                             argv[optind]);
        goto out;
    }
    d.file = config_path(ctx->cfg) ? config_path(ctx->cfg) : ".env";
    if (d.checks)
        settings = json_array();

    check_config(&d, settings);
    check_secrets(&d);
    if (d.failed) {
        /* The rest reads the settings a bad value leaves unset. */
        put(&d, "skip", "doctor",
            "database, counts, rollups, sends, templates, recipients and "
            "smtp are not checked: fix the configuration, then run iocm "
            "doctor again");
    } else {
        db = check_database(&d);
        if (db) {
            check_counts(&d, db);
            check_rollups(&d, db);
            check_sends(&d, db);
        }
        check_templates(&d, db);
        check_recipients(&d);
        check_smtp(&d);
    }

    if (d.checks) {
        rc = cli_print_json(json_pack("{s:b, s:i, s:i, s:O, s:O}", "ok",
                                      d.failed == 0, "failed", d.failed,
                                      "warnings", d.warned, "checks", d.checks,
                                      "settings", settings),
                            err);
        if (rc < 0)
            goto out;
    } else {
        printf("%d failed, %d warning%s\n", d.failed, d.warned,
               d.warned == 1 ? "" : "s");
    }
    if (d.failed)
        rc = iocm_fail(err, IOCM_EINVAL, "doctor: %d check%s failed", d.failed,
                       d.failed == 1 ? "" : "s");
out:
    db_close(db);
    json_decref(d.checks);
    json_decref(settings);
    return rc;
}

const struct cli_cmd cmd_doctor_entry = {
    .name = "doctor",
    .summary = "check configuration, database, templates, recipients, SMTP",
    .usage = usage,
    .run = run,
    .runs_with_bad_config = true,
};
