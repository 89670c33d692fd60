/*
 * Rendering a report model through the email templates. The override
 * folder (TEMPLATE_DIR) is searched before the shipped one, file by file,
 * so a team can replace one partial and keep the rest.
 */
#include "report/report.h"

#include "report/report_int.h"
#include "tmpl/tmpl.h"
#include "util/err.h"
#include "util/strbuf.h"

static const char *const template_names[2][2] = {
    [REPORT_DAILY] = { [REPORT_FORMAT_HTML] = "email/daily_report.html",
                       [REPORT_FORMAT_TEXT] = "email/daily_report.txt" },
    [REPORT_WEEKLY] = { [REPORT_FORMAT_HTML] = "email/weekly_report.html",
                        [REPORT_FORMAT_TEXT] = "email/weekly_report.txt" },
};

int report_render(const json_t *model, enum report_format fmt,
                  const struct report_settings *s, struct strbuf *out,
                  struct iocm_err *err)
{
    const char *dirs[] = { s->template_dir ? s->template_dir : "",
                           s->default_template_dir ? s->default_template_dir
                                                   : "",
                           NULL };
    struct tmpl_loader *loader = NULL;
    enum report_kind kind;
    int64_t start, end;
    const char *name;
    json_t *ctx = NULL;
    int rc;

    rc = report_model_window(model, &kind, &start, &end, err);
    if (rc < 0)
        return rc;
    name = template_names[kind][fmt];
    rc = report_view(model, s, &ctx, err);
    if (rc < 0)
        goto out;
    loader = tmpl_loader_new(dirs);
    /* A partial the templates name but nobody ships is a mistake to
     * report, not a section to drop silently from a mail. */
    tmpl_loader_set_strict(loader, true);
    rc = tmpl_render_file(loader, name, ctx, out, err);
    if (rc < 0)
        iocm_err_prefix(err, "cannot render the %s report",
                        report_kind_name(kind));
out:
    tmpl_loader_free(loader);
    json_decref(ctx);
    return rc;
}
