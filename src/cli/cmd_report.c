/*
 * `iocm report show|send`: the daily and weekly reports. show prints a
 * report in any format; send mails it (see cmd_report_send.c).
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_report.h"
#include "db/db.h"
#include "iocm_build.h"
#include "mail/mail.h"
#include "report/report.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/strbuf.h"

const char *cli_default_template_dir(void)
{
    static const char *const candidates[] = {
        IOCM_DATADIR "/templates",
        IOCM_SOURCE_DIR "/templates",
    };

    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], R_OK | X_OK) == 0)
            return candidates[i];
    return "templates";
}

void cli_report_settings(const struct cli_ctx *ctx, struct report_settings *rs)
{
    static char hostname[256];

    report_settings_init(rs);
    rs->max_tlp = ctx->settings.report.max_tlp;
    rs->timezone = ctx->settings.report.timezone;
    rs->defang = ctx->settings.report.defang;
    rs->template_dir = ctx->settings.template_dir;
    rs->default_template_dir = cli_default_template_dir();
    rs->public_url = ctx->settings.public_url;
    if (gethostname(hostname, sizeof(hostname) - 1) == 0)
        rs->hostname = hostname;
    rs->config_file = config_path(ctx->cfg) ? config_path(ctx->cfg) : ".env";
}

int cli_report_at(struct cli_ctx *ctx, const char *at_arg, int64_t *at,
                  struct iocm_err *err)
{
    struct iocm_err why = IOCM_ERR_INIT;

    if (!at_arg) {
        *at = ctx->now;
        return 0;
    }
    /* A bad option value is a usage error (exit 2), not a failure. */
    if (isotime_parse(at_arg, at, &why) < 0)
        return iocm_fail(err, IOCM_EUSAGE, "--at: %s", why.msg);
    return 0;
}

int cli_write_output(const char *path, const struct strbuf *data,
                     struct iocm_err *err)
{
    struct strbuf tmp = STRBUF_INIT;
    FILE *fp;
    int fd, rc = 0;

    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(data->buf, 1, data->len, stdout) != data->len ||
            fflush(stdout) != 0)
            return iocm_fail(err, IOCM_EIO, "cannot write to standard output");
        return 0;
    }
    strbuf_addf(&tmp, "%s.tmp-XXXXXX", path);
    fd = mkstemp(tmp.buf);
    if (fd < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", path,
                       strerror(errno));
        goto out;
    }
    fchmod(fd, 0644);
    fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        rc = -1;
    } else {
        if (fwrite(data->buf, 1, data->len, fp) != data->len)
            rc = -1;
        if (fclose(fp) != 0)
            rc = -1;
    }
    if (rc == 0 && rename(tmp.buf, path) != 0)
        rc = -1;
    if (rc < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", path,
                       strerror(errno));
        unlink(tmp.buf);
    }
out:
    strbuf_release(&tmp);
    return rc;
}

static const char show_usage[] =
    "usage: iocm report show daily|weekly [--format html|text|json|eml]\n"
    "                        [--at TIME] [-o FILE]\n"
    "\n"
    "Prints a report without sending it. The daily report covers the 24 "
    "hours\n"
    "before TIME (default now), the weekly one the 7 days before TIME "
    "compared\n"
    "with the 7 days before those. json is the report model itself; html "
    "and\n"
    "text are the two parts of the email; eml is the whole message send\n"
    "would send. Indicators above REPORT_MAX_TLP are never listed.\n"
    "\n"
    "Options:\n"
    "  --format F    html, text (default), json or eml\n"
    "  --at TIME     the report's reference time (ISO 8601), for "
    "backfills\n"
    "  -o FILE       write to FILE instead of standard output\n";

enum {
    OPT_FORMAT = 256,
    OPT_AT,
    OPT_OUTPUT,
};

static int show(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, OPT_FORMAT },
        { "at", required_argument, NULL, OPT_AT },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *format = "text", *at_arg = NULL, *output = NULL;
    struct strbuf out = STRBUF_INIT;
    struct report_settings rs;
    enum report_kind kind;
    json_t *model = NULL;
    struct db *db;
    int64_t at;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "ho:", opts, show_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_FORMAT)
            format = optarg;
        else if (c == OPT_AT)
            at_arg = optarg;
        else if (c == OPT_OUTPUT || c == 'o')
            output = optarg;
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "report show", "give daily or weekly");
    rc = report_kind_parse(argv[optind], &kind, err);
    if (rc < 0)
        return rc;
    if (strcmp(format, "html") && strcmp(format, "text") &&
        strcmp(format, "json") && strcmp(format, "eml"))
        return cli_usage_error(err, "report show",
                               "invalid --format '%s': expected html, text, "
                               "json or eml",
                               format);
    rc = cli_report_at(ctx, at_arg, &at, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    cli_report_settings(ctx, &rs);
    rc = report_build(db, kind, at, ctx->now, &rs, &model, err);
    if (rc < 0)
        goto out;
    if (strcmp(format, "json") == 0)
        report_dump_json(model, &out);
    else if (strcmp(format, "html") == 0)
        rc = report_render(model, REPORT_FORMAT_HTML, &rs, &out, err);
    else if (strcmp(format, "text") == 0)
        rc = report_render(model, REPORT_FORMAT_TEXT, &rs, &out, err);
    else {
        struct mail_eml eml = MAIL_EML_INIT;

        rc = cli_report_eml(ctx, model, &rs, NULL, &eml, err);
        if (rc == 0)
            strbuf_add(&out, eml.buf, eml.len);
        mail_eml_release(&eml);
    }
    if (rc == 0)
        rc = cli_write_output(output, &out, err);
out:
    json_decref(model);
    strbuf_release(&out);
    return rc;
}

static const struct cli_sub subs[] = {
    { "show", "print a report (html, text, json or eml)", show_usage, show },
    { "send", "mail a report to its recipients", cli_report_send_usage,
      cli_report_send },
    { 0 },
};

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    return cli_run_sub(ctx, "report", subs, argc, argv, err);
}

const struct cli_cmd cmd_report_entry = {
    .name = "report",
    .summary = "show or send the daily and weekly reports",
    .usage = "usage: iocm report show|send daily|weekly ...\n",
    .run = run,
};
