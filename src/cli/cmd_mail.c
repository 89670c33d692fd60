/*
 * `iocm mail test [--to ADDR] [--json]`: the "Test SMTP Connection" of the
 * seed. It walks the session a report would open (connect, TLS, AUTH) and
 * says which step failed and why, then with --to sends a short message.
 * Also home of the helpers doctor shares (cli_mail.h).
 */
#include "cli/cli_mail.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mail/mail.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"

static long effective_port(const struct mail_transport *t)
{
    if (t->port > 0)
        return t->port;
    return t->use_ssl ? 465 : t->use_tls ? 587 : 25;
}

void cli_mail_transport(const struct config_mail *m, struct mail_transport *t)
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

static bool has_auth(const struct mail_transport *t)
{
    return t->username && *t->username;
}

static const char *tls_mode(const struct mail_transport *t)
{
    return t->use_ssl ? "implicit TLS" : t->use_tls ? "STARTTLS" : "plain text";
}

void cli_mail_describe(const struct mail_transport *t, struct strbuf *out)
{
    bool v6 = t->server && strchr(t->server, ':');

    strbuf_addf(out, v6 ? "[%s]:%ld (%s" : "%s:%ld (%s",
                t->server ? t->server : "", effective_port(t), tls_mode(t));
    if (has_auth(t))
        strbuf_addf(out, ", AUTH as %s", t->username);
    strbuf_addch(out, ')');
}

/* The phases a check reports, and the words mail/ names its steps with
 * in "smtp HOST:PORT: STEP failed: REPLY". */
static const struct {
    const char *word;
    const char *phase;
} step_words[] = {
    { "connect", "connect" }, { "ehlo", "connect" }, { "tls", "tls" },
    { "starttls", "tls" },    { "auth", "auth" },    { "noop", "ready" },
};

/* The phase of a mail/ error message and where its reason starts; NULL
 * phase when the message names no step. */
static const char *failed_phase(const char *msg, const char **reason)
{
    for (size_t i = 0; i < sizeof(step_words) / sizeof(step_words[0]); i++) {
        struct strbuf pat = STRBUF_INIT;
        const char *hit;

        strbuf_addf(&pat, ": %s failed: ", step_words[i].word);
        hit = strstr(msg, pat.buf);
        if (hit)
            *reason = hit + pat.len;
        strbuf_release(&pat);
        if (hit)
            return step_words[i].phase;
    }
    *reason = msg;
    return NULL;
}

static void ok_detail(const struct mail_transport *t, const char *phase,
                      struct strbuf *out)
{
    strbuf_reset(out);
    if (!strcmp(phase, "connect")) {
        strbuf_addf(out, "connected to %s:%ld", t->server, effective_port(t));
    } else if (!strcmp(phase, "tls")) {
        strbuf_addf(out, "%s negotiated, certificate verified against %s",
                    t->use_ssl ? "implicit TLS" : "STARTTLS",
                    t->ca_file && *t->ca_file ? t->ca_file
                                              : "the system CA store");
    } else if (!strcmp(phase, "auth")) {
        strbuf_addf(out, "logged in as %s", t->username);
    } else {
        strbuf_addstr(out, "the server accepts commands (NOOP answered)");
    }
}

int cli_mail_check_steps(const struct mail_transport *t,
                         void (*on_step)(void *arg, const char *step,
                                         enum cli_mail_step_status status,
                                         const char *detail),
                         void *arg, struct iocm_err *err)
{
    struct iocm_err check_err = IOCM_ERR_INIT;
    const char *phases[4];
    const char *failed = NULL, *reason = "";
    struct strbuf detail = STRBUF_INIT;
    size_t n = 0;
    bool seen_failure = false;
    int rc;

    phases[n++] = "connect";
    if (t->use_ssl || t->use_tls)
        phases[n++] = "tls";
    if (has_auth(t))
        phases[n++] = "auth";
    phases[n++] = "ready";

    rc = mail_check(t, &check_err);
    if (rc == IOCM_EINVAL) {
        /* Nothing was tried: mail/ refused the server name or port. */
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "%s (check MAIL_SERVER and MAIL_PORT)", check_err.msg);
        goto out;
    }
    if (rc < 0) {
        failed = failed_phase(check_err.msg, &reason);
        /* A step of another mode (or none named): blame the connection. */
        if (!failed)
            failed = "connect";
    }
    for (size_t i = 0; i < n; i++) {
        if (seen_failure) {
            on_step(arg, phases[i], CLI_MAIL_STEP_NOT_TRIED, "not tried");
        } else if (failed && !strcmp(failed, phases[i])) {
            seen_failure = true;
            on_step(arg, phases[i], CLI_MAIL_STEP_FAILED, reason);
        } else {
            ok_detail(t, phases[i], &detail);
            on_step(arg, phases[i], CLI_MAIL_STEP_OK, detail.buf);
        }
    }
    /* The failed phase may not be among this mode's (a plain server asked
     * for STARTTLS, say): say so rather than print only passes. */
    if (failed && !seen_failure)
        on_step(arg, failed, CLI_MAIL_STEP_FAILED, reason);
    if (rc < 0)
        iocm_fail(err, rc, "%s", check_err.msg);
out:
    strbuf_release(&detail);
    return rc;
}

/* Advice by step and a piece of the reason; the first match wins. */
static const struct {
    const char *step; /* NULL: any step */
    const char *needle;
    int tls_mode; /* 0 any, 1 only with MAIL_USE_SSL, 2 only without */
    const char *hint;
} hints[] = {
    { "tls", "wrong version number", 1,
      "the server does not speak TLS from the first byte on this port: for "
      "port 587 (or 25) set MAIL_USE_TLS=true and MAIL_USE_SSL=false" },
    { "tls", "does not offer STARTTLS", 0,
      "this port offers no STARTTLS: use the submission port 587, or port "
      "465 with MAIL_USE_SSL=true; iocm never falls back to plain text" },
    { "tls", "certificate", 0,
      "the server's certificate is not trusted: set MAIL_SERVER to the name "
      "on its certificate, or MAIL_CA_FILE to the PEM file of a private CA" },
    { "tls", "SSL: no alternative", 0,
      "the certificate does not name MAIL_SERVER: use the host name the "
      "certificate was issued for" },
    { "auth", "does not offer AUTH", 0,
      "the server offers no AUTH here: unset MAIL_USERNAME if it needs no "
      "login, or enable MAIL_USE_TLS (many servers offer AUTH only after "
      "STARTTLS)" },
    { "auth", "535", 0,
      "the server refused MAIL_USERNAME and MAIL_PASSWORD: Gmail and Office "
      "365 accounts with two-step sign-in need an app password; SendGrid "
      "takes the user name apikey and an API key as the password" },
    { "auth", "534", 0,
      "the server wants another way to sign in (Gmail: an app password)" },
    { "connect", "resolve", 0,
      "MAIL_SERVER does not resolve: check its spelling and this machine's "
      "DNS" },
    { NULL, "timed out", 2,
      "no answer within MAIL_TIMEOUT: a firewall dropping the connection, or "
      "a port that expects TLS first (465: set MAIL_USE_SSL=true)" },
    { NULL, "timed out", 0,
      "no answer within MAIL_TIMEOUT: a firewall dropping the connection" },
    { "connect", "connect", 0,
      "nothing accepts connections there: check MAIL_SERVER, MAIL_PORT and "
      "firewalls" },
};

const char *cli_mail_hint(const struct mail_transport *t, const char *step,
                          const char *detail)
{
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (hints[i].step && strcmp(hints[i].step, step))
            continue;
        if (hints[i].tls_mode == 1 && !t->use_ssl)
            continue;
        if (hints[i].tls_mode == 2 && t->use_ssl)
            continue;
        if (strcasestr(detail, hints[i].needle))
            return hints[i].hint;
    }
    return NULL;
}

static const char usage[] =
    "usage: iocm mail test [--to ADDR] [--json]\n"
    "\n"
    "Tests the SMTP settings of .env the way a report is sent: connects to\n"
    "MAIL_SERVER:MAIL_PORT, sets up TLS (STARTTLS with MAIL_USE_TLS, "
    "implicit\n"
    "TLS with MAIL_USE_SSL) with the certificate verified, logs in when\n"
    "MAIL_USERNAME is set, and prints one line per step: which step failed\n"
    "and the server's reply. The password is never printed.\n"
    "\n"
    "Options:\n"
    "  --to ADDR  also send a short test message (subject \"iocm test\n"
    "             message\", text and HTML parts) to ADDR and print its\n"
    "             message id\n"
    "  --json     print the steps as JSON\n"
    "\n"
    "Exit status: 0 all steps passed; 1 a step failed; 2 MAIL_SERVER or\n"
    "MAIL_DEFAULT_SENDER missing, or another configuration error.\n";

enum {
    OPT_TO = 256,
    OPT_JSON,
};

/* Where the steps go: lines on stdout, or a JSON array printed at the end. */
struct step_out {
    json_t *steps; /* NULL: print lines */
};

__attribute__((format(printf, 4, 5))) static void put_step(struct step_out *o,
                                                           const char *status,
                                                           const char *step,
                                                           const char *fmt, ...)
{
    struct strbuf detail = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&detail, fmt, ap);
    va_end(ap);
    if (o->steps)
        json_array_append_new(o->steps, json_pack("{s:s, s:s, s:s}", "step",
                                                  step, "status", status,
                                                  "detail", detail.buf));
    else
        printf("%-5s %-8s %s\n", status, step, detail.buf);
    fflush(stdout);
    strbuf_release(&detail);
}

/* The steps of a check, and a hint after a failed one. */
struct check_out {
    struct step_out *o;
    const struct mail_transport *t;
};

static void on_check_step(void *arg, const char *step,
                          enum cli_mail_step_status status, const char *detail)
{
    static const char *const words[] = { "ok", "fail", "skip" };
    struct check_out *c = arg;
    const char *hint;

    put_step(c->o, words[status], step, "%s", detail);
    hint = status == CLI_MAIL_STEP_FAILED ? cli_mail_hint(c->t, step, detail)
                                          : NULL;
    if (hint)
        put_step(c->o, "hint", step, "%s", hint);
}

static void config_detail(const struct cli_ctx *ctx,
                          const struct mail_transport *t, struct strbuf *out)
{
    const char *file = config_path(ctx->cfg) ? config_path(ctx->cfg) : ".env";

    strbuf_addf(out, "%s: server %s, port %ld, %s", file, t->server,
                effective_port(t),
                t->use_ssl   ? "implicit TLS"
                : t->use_tls ? "STARTTLS required"
                             : "plain text");
    if (has_auth(t))
        strbuf_addf(out, ", AUTH as %s (password %s)", t->username,
                    t->password && *t->password ? "set, not shown" : "empty");
    else
        strbuf_addstr(out, ", no AUTH");
    strbuf_addf(out, ", sender %s, timeout %lds", ctx->settings.mail.sender,
                t->timeout_s > 0 ? t->timeout_s : 30L);
}

/* Escapes the few characters HTML gives a meaning to. */
static void add_html(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            strbuf_addstr(out, "&lt;");
        else if (*s == '>')
            strbuf_addstr(out, "&gt;");
        else if (*s == '&')
            strbuf_addstr(out, "&amp;");
        else if (*s == '"')
            strbuf_addstr(out, "&quot;");
        else
            strbuf_addch(out, *s);
    }
}

/* The test message: short, both parts, saying where it came from. */
static int send_test(struct cli_ctx *ctx, const struct mail_transport *t,
                     const char *to, struct step_out *o, json_t *summary,
                     struct iocm_err *err)
{
    struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
    struct strbuf where = STRBUF_INIT, host = STRBUF_INIT;
    struct mail_result res = MAIL_RESULT_INIT;
    struct mail_eml eml = MAIL_EML_INIT;
    struct mail_message msg = { 0 };
    char name[256] = "", when[ISOTIME_LEN];
    int rc;

    if (gethostname(name, sizeof(name) - 1) == 0)
        strbuf_addstr(&host, name);
    else
        strbuf_addstr(&host, "this machine");
    isotime_format(ctx->now, when);
    cli_mail_describe(t, &where);
    strbuf_addf(&text,
                "This is a test message from iocm on %s, sent at %s\n"
                "through %s.\n"
                "\n"
                "If you can read it, iocm can deliver its daily and weekly\n"
                "reports to this address. Nothing needs to be done.\n",
                host.buf, when, where.buf);
    strbuf_addstr(&html,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta "
                  "charset=\"utf-8\"><title>iocm test message</title>"
                  "</head>\n<body style=\"margin:0;padding:24px;"
                  "font-family:Helvetica,Arial,sans-serif;color:#101828;"
                  "\">\n<p style=\"font-size:18px;font-weight:bold;\">iocm "
                  "test message</p>\n<p>This is a test message from iocm on "
                  "<strong>");
    add_html(&html, host.buf);
    strbuf_addf(&html, "</strong>, sent at %s through ", when);
    add_html(&html, where.buf);
    strbuf_addstr(&html, ".</p>\n<p>If you can read it, iocm can deliver its "
                         "daily and weekly reports to this address. Nothing "
                         "needs to be done.</p>\n</body>\n</html>\n");
    msg.from = ctx->settings.mail.sender;
    msg.to = to;
    msg.subject = "iocm test message";
    msg.text = text.buf;
    msg.html = html.buf;
    msg.date = ctx->now;
    rc = mail_eml_build(&msg, &eml, err);
    if (rc < 0) {
        put_step(o, "fail", "send", "%s", err->msg);
        goto out;
    }
    /* One attempt: a test reports the first failure, it does not hide it. */
    rc = mail_send(t, &eml, &res, err);
    for (size_t i = 0; i < res.refused_nr; i++)
        put_step(o, "fail", "send", "recipient refused: %s: %s",
                 res.refused[i].addr, res.refused[i].reply);
    if (rc < 0) {
        put_step(o, "fail", "send", "%s", err->msg);
        goto out;
    }
    json_object_set_new(summary, "message_id", json_string(eml.message_id));
    if (res.refused_nr) {
        rc = iocm_fail(err, IOCM_ENET,
                       "smtp %s: the server refused %zu of "
                       "%zu recipients",
                       where.buf, res.refused_nr, eml.rcpt.nr);
        goto out;
    }
    put_step(o, "ok", "send", "message id %s accepted for %s%s%s",
             eml.message_id, to, res.reply ? ": " : "",
             res.reply ? res.reply : "");
out:
    mail_result_release(&res);
    mail_eml_release(&eml);
    strbuf_release(&text);
    strbuf_release(&html);
    strbuf_release(&where);
    strbuf_release(&host);
    return rc;
}

static int test(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "to", required_argument, NULL, OPT_TO },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct mail_address_list to_list = MAIL_ADDRESS_LIST_INIT;
    struct step_out o = { NULL };
    struct check_out check = { &o, NULL };
    struct strbuf detail = STRBUF_INIT;
    struct mail_transport t;
    const char *to = NULL, *file;
    json_t *summary = NULL;
    int rc = 0, c;

    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_TO)
            to = optarg;
        else if (c == OPT_JSON)
            o.steps = json_array();
    }
    if (optind < argc) {
        rc = cli_usage_error(err, "mail test", "unexpected argument '%s'",
                             argv[optind]);
        goto out;
    }
    /* A bad --to is a usage error, found before anything connects. */
    if (to) {
        rc = mail_address_list_parse(&to_list, to, err);
        if (rc == 0 && !to_list.nr)
            rc = iocm_fail(err, IOCM_EUSAGE, "--to names no address");
        if (rc < 0) {
            err->code = rc = IOCM_EUSAGE;
            goto out;
        }
    }
    /* Only now: --help runs without a configuration. */
    file = config_path(ctx->cfg) ? config_path(ctx->cfg) : ".env";
    cli_mail_transport(&ctx->settings.mail, &t);
    check.t = &t;
    if (!t.server || !ctx->settings.mail.sender) {
        const char *key = !t.server ? "MAIL_SERVER" : "MAIL_DEFAULT_SENDER";

        put_step(&o, "fail", "config", "%s is not set in %s", key, file);
        rc = iocm_fail(err, IOCM_ECONFIG, "%s is not set: add it to %s", key,
                       file);
        goto done;
    }
    config_detail(ctx, &t, &detail);
    put_step(&o, "ok", "config", "%s", detail.buf);
    if (!t.use_ssl && !t.use_tls && !mail_host_is_loopback(t.server))
        put_step(&o, "warn", "config",
                 "plain text to %s: credentials and reports cross the "
                 "network unencrypted; set MAIL_USE_TLS or MAIL_USE_SSL",
                 t.server);
    summary = json_object();
    rc = cli_mail_check_steps(&t, on_check_step, &check, err);
    if (rc == IOCM_ECONFIG)
        put_step(&o, "fail", "config", "%s", err->msg);
    if (rc == 0 && to)
        rc = send_test(ctx, &t, to, &o, summary, err);
done:
    if (o.steps) {
        struct strbuf where = STRBUF_INIT;

        if (!summary)
            summary = json_object();
        if (t.server)
            cli_mail_describe(&t, &where);
        json_object_set_new(summary, "server",
                            t.server ? json_string(where.buf) : json_null());
        json_object_set_new(summary, "ok", json_boolean(rc == 0));
        json_object_set_new(summary, "steps", json_incref(o.steps));
        strbuf_release(&where);
        /* The error line still goes to stderr; the JSON is the output. */
        cli_print_json(json_incref(summary), NULL);
    }
out:
    json_decref(summary);
    json_decref(o.steps);
    mail_address_list_release(&to_list);
    strbuf_release(&detail);
    return rc;
}

static const struct cli_sub subs[] = {
    { "test", "check the SMTP settings; with --to send a test message", usage,
      test },
    { 0 },
};

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    return cli_run_sub(ctx, "mail", subs, argc, argv, err);
}

const struct cli_cmd cmd_mail_entry = {
    .name = "mail",
    .summary = "test the SMTP settings (connect, TLS, AUTH, test message)",
    .usage = "usage: iocm mail test [--to ADDR] [--json]\n",
    .run = run,
};
