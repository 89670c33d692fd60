/*
 * `iocm report send`: the send pipeline teams schedule with cron or
 * systemd. It reads .env afresh, claims the report's period in the store
 * (so a period is sent once, even by two runs at the same moment), builds
 * the message, delivers it with retries, and records the outcome. Each
 * step prints one timestamped line, so `>> logs/daily_report.log` reads
 * well. Secrets are never printed.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli_report.h"
#include "db/db.h"
#include "mail/mail.h"
#include "report/report.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define RETRY_BACKOFF_MS 1000
/* A claim older than this was left by a run that died mid-send. */
#define STALE_CLAIM_SECONDS 3600

const char cli_report_send_usage[] =
    "usage: iocm report send daily|weekly [--to ADDR,...] [--at TIME]\n"
    "                        [--force] [--dry-run]\n"
    "\n"
    "Builds the report and mails it to DAILY_REPORT_RECIPIENTS or\n"
    "WEEKLY_REPORT_RECIPIENTS (or --to) through MAIL_SERVER. .env is read\n"
    "on every run, so changes need no restart. A report already sent for "
    "its\n"
    "period (the date in REPORT_TIMEZONE, or the ISO week) is not sent "
    "again\n"
    "unless --force; two runs at once send once. Transient failures are\n"
    "retried MAIL_RETRIES times with backoff. REPORT_ENABLED=false makes "
    "this\n"
    "a no-op that says so.\n"
    "\n"
    "Options:\n"
    "  --to ADDR,...  send to these addresses instead of the configured "
    "ones\n"
    "  --at TIME      the report's reference time (ISO 8601), for "
    "backfills\n"
    "  --force        send even when this period was sent already\n"
    "  --dry-run      build and show what would be sent; send and record "
    "nothing\n"
    "\n"
    "Exit status: 0 sent, skipped (already sent) or disabled; 1 failed to\n"
    "build or deliver (the server's reply is printed); 2 bad configuration.\n";

enum {
    OPT_TO = 256,
    OPT_AT,
    OPT_FORCE,
    OPT_DRY_RUN,
};

static void transport_from_config(const struct config_mail *m,
                                  struct mail_transport *t)
{
    memset(t, 0, sizeof(*t));
    t->server = m->server;
    t->port = m->port;
    t->use_tls = m->use_tls;
    t->use_ssl = m->use_ssl;
    t->username = m->username;
    t->password = m->password;
    t->ca_file = m->ca_file;
    t->timeout_s = m->timeout;
}

static const char *recipients_key(enum report_kind kind)
{
    return kind == REPORT_DAILY ? "DAILY_REPORT_RECIPIENTS"
                                : "WEEKLY_REPORT_RECIPIENTS";
}

static void join(const struct strvec *v, struct strbuf *out)
{
    for (size_t i = 0; i < v->nr; i++)
        strbuf_addf(out, "%s%s", i ? ", " : "", v->v[i]);
}

int cli_report_eml(struct cli_ctx *ctx, const json_t *model,
                   const struct report_settings *rs,
                   const struct strvec *recipients, struct mail_eml *out,
                   struct iocm_err *err)
{
    struct strbuf subject = STRBUF_INIT, text = STRBUF_INIT;
    struct strbuf html = STRBUF_INIT, to = STRBUF_INIT;
    const struct strvec *rcpt = recipients;
    enum report_kind kind = REPORT_DAILY;
    struct mail_message msg = { 0 };
    int rc;

    if (!rcpt) {
        const char *k = json_string_value(json_object_get(model, "kind"));

        if (k)
            report_kind_parse(k, &kind, NULL);
        rcpt = kind == REPORT_DAILY ? &ctx->settings.report.daily_recipients
                                    : &ctx->settings.report.weekly_recipients;
        if (!rcpt->nr)
            return iocm_fail(err, IOCM_ECONFIG,
                             "no recipients: set %s in %s or pass --to",
                             recipients_key(kind), rs->config_file);
    }
    if (!ctx->settings.mail.sender)
        return iocm_fail(err, IOCM_ECONFIG,
                         "no sender: set MAIL_DEFAULT_SENDER in %s",
                         rs->config_file);
    join(rcpt, &to);
    rc = report_subject(model, rs, &subject, err);
    if (rc == 0)
        rc = report_render(model, REPORT_FORMAT_TEXT, rs, &text, err);
    if (rc == 0)
        rc = report_render(model, REPORT_FORMAT_HTML, rs, &html, err);
    if (rc < 0)
        goto out;
    msg.from = ctx->settings.mail.sender;
    msg.to = to.buf;
    msg.subject = subject.buf;
    msg.text = text.buf;
    msg.html = html.buf;
    msg.date = ctx->now;
    rc = mail_eml_build(&msg, out, err);
out:
    strbuf_release(&subject);
    strbuf_release(&text);
    strbuf_release(&html);
    strbuf_release(&to);
    return rc;
}

/* One send attempt's row in report_sends. */
struct send_record {
    int64_t id;
    const char *kind;
    const char *period;
};

static const char sql_release_stale[] =
    "UPDATE report_sends SET status = 'failed', last_error = 'abandoned: "
    "the sending run stopped before finishing', updated_at = ? WHERE kind = "
    "? AND period = ? AND status = 'sending' AND updated_at < ?";
static const char sql_find_sent[] =
    "SELECT status, message_id, updated_at FROM report_sends WHERE kind = ? "
    "AND period = ? AND status IN ('sent', 'sending') ORDER BY id DESC "
    "LIMIT 1";
static const char sql_claim[] =
    "INSERT INTO report_sends (kind, period, recipients, status, attempts, "
    "is_forced, created_at, updated_at) VALUES (?, ?, ?, 'sending', 0, ?, ?, "
    "?) RETURNING id";
static const char sql_finish[] =
    "UPDATE report_sends SET status = ?, message_id = ?, attempts = ?, "
    "last_error = ?, updated_at = ? WHERE id = ?";

/*
 * Claims the period. Returns 0 with rec->id set, 1 when the period was
 * sent already (or is being sent) and force is false, or an error.
 */
static int claim(struct cli_ctx *ctx, struct db *db, struct send_record *rec,
                 const char *recipients, bool force, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(db, sql_release_stale, &st, err);
    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, ctx->now);
    db_bind_text(st, 2, rec->kind);
    db_bind_text(st, 3, rec->period);
    db_bind_int64(st, 4, ctx->now - STALE_CLAIM_SECONDS);
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return rc;
    if (!force) {
        rc = db_prepare_cached(db, sql_find_sent, &st, err);
        if (rc < 0)
            return rc;
        db_bind_text(st, 1, rec->kind);
        db_bind_text(st, 2, rec->period);
        rc = db_step(st, err);
        if (rc == DB_ROW) {
            char when[ISOTIME_LEN];
            const char *status = db_column_text(st, 0);
            const char *mid = db_column_text(st, 1);

            isotime_format(db_column_int64(st, 2), when);
            if (strcmp(status, "sent") == 0)
                cli_log_step(ctx,
                             "%s report for %s already sent at %s (%s); "
                             "nothing to do (--force sends again)",
                             rec->kind, rec->period, when, mid ? mid : "-");
            else
                cli_log_step(ctx,
                             "%s report for %s is being sent by another run "
                             "since %s; nothing to do",
                             rec->kind, rec->period, when);
            db_reset(st);
            return 1;
        }
        db_reset(st);
        if (rc < 0)
            return rc;
    }
    rc = db_prepare_cached(db, sql_claim, &st, err);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, rec->kind);
    db_bind_text(st, 2, rec->period);
    db_bind_text(st, 3, recipients);
    db_bind_int64(st, 4, force);
    db_bind_int64(st, 5, ctx->now);
    db_bind_int64(st, 6, ctx->now);
    rc = db_step(st, err);
    if (rc == DB_ROW)
        rec->id = db_column_int64(st, 0);
    db_reset(st);
    if (rc == IOCM_EEXIST) {
        cli_log_step(ctx,
                     "%s report for %s was claimed by another run at the "
                     "same moment; nothing to do",
                     rec->kind, rec->period);
        return 1;
    }
    return rc < 0 ? rc : 0;
}

static int finish(struct cli_ctx *ctx, struct db *db,
                  const struct send_record *rec, const char *status,
                  const char *message_id, int attempts, const char *error,
                  const char *recipients, struct iocm_err *err)
{
    struct db_stmt *st;
    json_t *details;
    int rc;

    rc = db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = db_prepare_cached(db, sql_finish, &st, err);
    if (rc == 0) {
        db_bind_text(st, 1, status);
        db_bind_text(st, 2, message_id);
        db_bind_int64(st, 3, attempts);
        db_bind_text(st, 4, error);
        db_bind_int64(st, 5, ctx->now);
        db_bind_int64(st, 6, rec->id);
        rc = db_step(st, err);
        db_reset(st);
    }
    details = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s?, s:s?}", "kind",
                        rec->kind, "period", rec->period, "status", status,
                        "recipients", recipients, "attempts", attempts,
                        "message_id", message_id, "error", error);
    if (rc >= 0)
        rc = audit_log(db, ctx->now, AUDIT_ACTOR_SYSTEM, "report.send",
                       "report", rec->period, details, err);
    json_decref(details);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

/*
 * Parses and checks every recipient before anything is built or sent. A
 * malformed address is the operator's input, not a delivery failure: a
 * usage error for --to, a configuration error for the .env list (as
 * config validation makes it for the addresses it already refuses), so
 * both exit 2.
 */
static int check_recipients(const struct strvec *rcpt, const char *source,
                            bool is_option, struct iocm_err *err)
{
    struct mail_address_list list = MAIL_ADDRESS_LIST_INIT;
    struct iocm_err why = IOCM_ERR_INIT;
    int rc = 0;

    for (size_t i = 0; i < rcpt->nr && rc == 0; i++)
        rc = mail_address_list_parse(&list, rcpt->v[i], &why);
    mail_address_list_release(&list);
    if (rc < 0)
        rc = iocm_fail(err, is_option ? IOCM_EUSAGE : IOCM_ECONFIG,
                       "%s: %s; nothing sent", source, why.msg);
    return rc;
}

static void describe_transport(const struct mail_transport *t,
                               struct strbuf *out)
{
    long port = t->port ? t->port : t->use_ssl ? 465 : t->use_tls ? 587 : 25;

    strbuf_addf(out, "%s:%ld (%s%s)", t->server, port,
                t->use_ssl   ? "implicit TLS"
                : t->use_tls ? "STARTTLS"
                             : "plain text",
                t->username && *t->username ? ", AUTH" : "");
}

/* Sends the message built for the claimed period and records how it went;
 * nothing between the claim and the record can fail without recording. */
static int deliver(struct cli_ctx *ctx, struct db *db, struct send_record *rec,
                   const struct strbuf *recipients, const struct mail_eml *eml,
                   struct iocm_err *err)
{
    struct strbuf where = STRBUF_INIT, refused = STRBUF_INIT;
    struct mail_result res = MAIL_RESULT_INIT;
    struct mail_transport t;
    struct iocm_err send_err = IOCM_ERR_INIT;
    int attempts = 0, rc;

    transport_from_config(&ctx->settings.mail, &t);
    describe_transport(&t, &where);
    if (!t.use_ssl && !t.use_tls && !mail_host_is_loopback(t.server))
        cli_log_step(ctx,
                     "warning: sending in plain text to %s; set MAIL_USE_TLS "
                     "or MAIL_USE_SSL",
                     t.server);
    cli_log_step(ctx, "connecting to %s", where.buf);
    rc = mail_send_with_retries(&t, eml, (int)ctx->settings.mail.retries,
                                RETRY_BACKOFF_MS, &attempts, &res, &send_err);
    for (size_t i = 0; i < res.refused_nr; i++) {
        strbuf_addf(&refused, "%s%s (%s)", i ? ", " : "", res.refused[i].addr,
                    res.refused[i].reply);
        cli_log_step(ctx, "recipient refused: %s: %s", res.refused[i].addr,
                     res.refused[i].reply);
    }
    if (rc < 0) {
        cli_log_step(ctx, "failed after %d attempt%s: %s", attempts,
                     attempts == 1 ? "" : "s", send_err.msg);
        finish(ctx, db, rec, "failed", eml->message_id, attempts, send_err.msg,
               recipients->buf, NULL);
        rc = iocm_fail(err, rc, "%s", send_err.msg);
        goto out;
    }
    rc = finish(ctx, db, rec, "sent", eml->message_id, attempts,
                refused.len ? refused.buf : NULL, recipients->buf, err);
    if (rc == 0)
        cli_log_step(ctx,
                     "sent %s report for %s to %zu recipient%s, message "
                     "id %s (%d attempt%s)",
                     rec->kind, rec->period, eml->rcpt.nr - res.refused_nr,
                     eml->rcpt.nr - res.refused_nr == 1 ? "" : "s",
                     eml->message_id, attempts, attempts == 1 ? "" : "s");
out:
    mail_result_release(&res);
    strbuf_release(&where);
    strbuf_release(&refused);
    return rc;
}

int cli_report_send(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err)
{
    static const struct option opts[] = {
        { "to", required_argument, NULL, OPT_TO },
        { "at", required_argument, NULL, OPT_AT },
        { "force", no_argument, NULL, OPT_FORCE },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct strbuf period = STRBUF_INIT, subject = STRBUF_INIT;
    struct strbuf recipients = STRBUF_INIT;
    struct strvec to = STRVEC_INIT;
    const struct strvec *rcpt;
    const char *at_arg = NULL;
    bool force = false, dry_run = false, has_to = false;
    struct report_settings rs;
    struct send_record rec = { 0 };
    struct mail_eml eml = MAIL_EML_INIT;
    enum report_kind kind;
    json_t *model = NULL;
    struct db *db;
    int64_t at;
    int rc = 0, c;

    while ((c = cli_getopt(argc, argv, "h", opts, cli_report_send_usage,
                           err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_TO) {
            strvec_split(&to, optarg, ',');
            has_to = true;
        } else if (c == OPT_AT) {
            at_arg = optarg;
        } else if (c == OPT_FORCE) {
            force = true;
        } else if (c == OPT_DRY_RUN) {
            dry_run = true;
        }
    }
    if (optind + 1 != argc) {
        rc = cli_usage_error(err, "report send", "give daily or weekly");
        goto out;
    }
    /* An empty --to must not fall back to the configured recipients: the
     * report would go to people the operator did not name. */
    if (has_to && !to.nr) {
        rc = cli_usage_error(err, "report send", "--to names no address");
        goto out;
    }
    rc = report_kind_parse(argv[optind], &kind, err);
    if (rc < 0)
        goto out;
    cli_report_settings(ctx, &rs);
    cli_log_step(ctx, "configuration read from %s", rs.config_file);
    if (!ctx->settings.report.enabled) {
        cli_log_step(ctx, "reports are disabled (REPORT_ENABLED=false); "
                          "nothing sent");
        goto out;
    }
    rcpt = to.nr                  ? &to
           : kind == REPORT_DAILY ? &ctx->settings.report.daily_recipients
                                  : &ctx->settings.report.weekly_recipients;
    if (!rcpt->nr) {
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "no recipients: set %s in %s or pass --to",
                       recipients_key(kind), rs.config_file);
        goto out;
    }
    if (to.nr) {
        rc = check_recipients(rcpt, "--to", true, err);
    } else {
        /* Named as config validation names a bad value: key, where set. */
        strbuf_addf(&recipients, "%s (", recipients_key(kind));
        config_origin(ctx->cfg, recipients_key(kind), &recipients);
        strbuf_addch(&recipients, ')');
        rc = check_recipients(rcpt, recipients.buf, false, err);
        strbuf_reset(&recipients);
    }
    if (rc < 0)
        goto out;
    join(rcpt, &recipients);
    cli_log_step(ctx, "recipients: %s", recipients.buf);
    if (!ctx->settings.mail.server && !dry_run) {
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "no mail server: set MAIL_SERVER in %s", rs.config_file);
        goto out;
    }
    rc = cli_report_at(ctx, at_arg, &at, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc < 0)
        goto out;
    report_period_key(kind, at, rs.timezone, &period);
    rec.kind = report_kind_name(kind);
    rec.period = period.buf;
    rc = report_build(db, kind, at, ctx->now, &rs, &model, err);
    if (rc == 0)
        rc = report_subject(model, &rs, &subject, err);
    if (rc < 0)
        goto out;
    cli_log_step(ctx, "generated %s report for %s: %s", rec.kind, rec.period,
                 subject.buf);
    /* Built before the period is claimed: a message that cannot be built
     * (no sender, a broken template) must not leave a claim behind that
     * holds the period for an hour. */
    rc = cli_report_eml(ctx, model, &rs, rcpt, &eml, err);
    if (rc < 0)
        goto out;
    if (dry_run) {
        cli_log_step(ctx,
                     "dry run: message of %zu bytes built, not sent and not "
                     "recorded",
                     eml.len);
        goto out;
    }
    rc = claim(ctx, db, &rec, recipients.buf, force, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc;
        goto out;
    }
    rc = deliver(ctx, db, &rec, &recipients, &eml, err);
out:
    mail_eml_release(&eml);
    json_decref(model);
    strvec_clear(&to);
    strbuf_release(&period);
    strbuf_release(&subject);
    strbuf_release(&recipients);
    return rc;
}
