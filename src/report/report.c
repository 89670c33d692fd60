/*
 * The report API: settings, the model's common keys (kind, times, window,
 * TLP), the subject line and the period key a report is sent once for.
 * The metrics themselves are in report_daily.c and report_weekly.c.
 */
#include "report/report.h"

#include <string.h>

#include "ioc/ioc.h"
#include "report/report_int.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void report_settings_init(struct report_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->max_tlp = TLP_AMBER;
    s->timezone = "UTC";
    s->defang = true;
    s->config_file = ".env";
}

static const char *const kind_names[] = {
    [REPORT_DAILY] = "daily",
    [REPORT_WEEKLY] = "weekly",
};

const char *report_kind_name(enum report_kind kind)
{
    return kind_names[kind];
}

int report_kind_parse(const char *s, enum report_kind *out,
                      struct iocm_err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
        if (s && strcmp(s, kind_names[i]) == 0) {
            *out = (enum report_kind)i;
            return 0;
        }
    return iocm_fail(err, IOCM_EUSAGE,
                     "unknown report '%s': expected daily or weekly",
                     s ? s : "");
}

static int check_settings(const struct report_settings *s, struct iocm_err *err)
{
    if (s->max_tlp < TLP_CLEAR || s->max_tlp > TLP_RED)
        return iocm_fail(err, IOCM_ECONFIG, "invalid report TLP ceiling %d",
                         s->max_tlp);
    if (!tz_is_valid(s->timezone))
        return iocm_fail(err, IOCM_ECONFIG, "unknown time zone '%s'",
                         s->timezone);
    return 0;
}

int report_build(struct db *db, enum report_kind kind, int64_t at, int64_t now,
                 const struct report_settings *s, json_t **out,
                 struct iocm_err *err)
{
    struct report_run run = { db, s, at, TLP_CLEAR };
    int64_t span = kind == REPORT_DAILY ? REPORT_DAY : REPORT_WEEK;
    json_t *model = NULL, *tlp;
    char start[ISOTIME_LEN], end[ISOTIME_LEN], gen[ISOTIME_LEN];
    int rc;

    *out = NULL;
    rc = check_settings(s, err);
    if (rc < 0)
        return rc;
    isotime_format(at - span, start);
    isotime_format(at, end);
    isotime_format(now, gen);
    /* tlp is filled in once the lists are known; its place in the object
     * is kept so the keys print in the order of DESIGN.md. */
    tlp = json_pack("{s:s, s:i, s:s}", "max", tlp_name((enum tlp)s->max_tlp),
                    "withheld", 0, "label", tlp_name(TLP_CLEAR));
    model = json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "kind",
                      report_kind_name(kind), "generated_at", gen, "window",
                      "start", start, "end", end, "tlp", tlp);
    if (kind == REPORT_DAILY)
        rc = report_daily_build(&run, model, err);
    else
        rc = report_weekly_build(&run, model, err);
    if (rc < 0) {
        iocm_err_prefix(err, "cannot compute the %s report",
                        report_kind_name(kind));
        json_decref(model);
        goto out;
    }
    json_object_set_new(tlp, "label", json_string(tlp_name(run.label)));
    *out = model;
out:
    json_decref(tlp);
    return rc;
}

int report_model_window(const json_t *model, enum report_kind *kind,
                        int64_t *start, int64_t *end, struct iocm_err *err)
{
    const char *k = json_string_value(json_object_get(model, "kind"));
    const json_t *window = json_object_get(model, "window");
    const char *s = json_string_value(json_object_get(window, "start"));
    const char *e = json_string_value(json_object_get(window, "end"));

    if (report_kind_parse(k, kind, NULL) < 0 || !s || !e ||
        isotime_parse(s, start, NULL) < 0 || isotime_parse(e, end, NULL) < 0)
        return iocm_fail(err, IOCM_EINVAL,
                         "not a report model: no kind or window");
    return 0;
}

int report_subject(const json_t *model, const struct report_settings *s,
                   struct strbuf *out, struct iocm_err *err)
{
    const char *label = json_string_value(
        json_object_get(json_object_get(model, "tlp"), "label"));
    enum report_kind kind;
    int64_t start, end;
    char date[16];
    int rc;

    rc = report_model_window(model, &kind, &start, &end, err);
    if (rc < 0)
        return rc;
    tz_date(kind == REPORT_WEEKLY ? start : end, s->timezone, date);
    strbuf_addf(out, "[TLP:%s] IOC Manager %s report \xe2\x80\x94 %s%s",
                label ? label : tlp_name(TLP_CLEAR), report_kind_name(kind),
                kind == REPORT_WEEKLY ? "week of " : "", date);
    return 0;
}

void report_dump_json(const json_t *model, struct strbuf *out)
{
    /* 15 significant digits print a one-decimal percentage as itself. */
    jsonx_dump_strbuf(model, out, JSONX_PRETTY | JSON_REAL_PRECISION(15));
}

void report_period_key(enum report_kind kind, int64_t at, const char *tz,
                       struct strbuf *out)
{
    char buf[16];

    if (kind == REPORT_DAILY)
        tz_date(at, tz, buf);
    else
        tz_iso_week(at, tz, buf);
    strbuf_addstr(out, buf);
}
