/*
 * The daily and weekly reports: metrics computed from the store into a
 * report model (a JSON object whose keys are the contract of DESIGN.md
 * section 6), and that model rendered to HTML or plain text through the
 * email templates. Sending is not done here: jobs/ and cli/ combine the
 * subject and bodies with mail/'s message builder.
 *
 * Ownership, stated once: report_build() and report_view() hand a new JSON
 * reference to the caller (json_decref); every other function borrows its
 * JSON arguments and appends to a caller's strbuf. Settings are borrowed
 * for the duration of a call.
 */
#ifndef IOCM_REPORT_REPORT_H
#define IOCM_REPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct db;
struct iocm_err;
struct strbuf;

enum report_kind {
    REPORT_DAILY,
    REPORT_WEEKLY,
};

enum report_format {
    REPORT_FORMAT_HTML,
    REPORT_FORMAT_TEXT,
};

/*
 * What the reports need from the configuration, as plain values so that
 * report/ does not depend on config/. report_settings_init() sets the
 * defaults of DESIGN.md section 3.
 */
struct report_settings {
    int max_tlp;          /* enum tlp: items above it are never listed */
    const char *timezone; /* IANA name for dates people read; "UTC" */
    bool defang;          /* defang values in HTML and text; true */
    /* Template roots holding email/daily_report.html and the rest: the
     * override (TEMPLATE_DIR) wins file by file over the shipped one.
     * Either may be NULL. */
    const char *template_dir;
    const char *default_template_dir;
    const char *public_url;  /* linked from the footer; NULL: no link */
    const char *hostname;    /* "generated on <host>"; NULL: not said */
    const char *config_file; /* where recipients are set; ".env" */
};

void report_settings_init(struct report_settings *s);

/* "daily", "weekly". */
const char *report_kind_name(enum report_kind kind);
/* Accepts "daily" and "weekly"; IOCM_EUSAGE otherwise. */
int report_kind_parse(const char *s, enum report_kind *out,
                      struct iocm_err *err);

/*
 * Computes the report of kind whose reference time is at (the window ends
 * there) and stores it in *out, a new object with the keys of DESIGN.md
 * section 6; now is stored as generated_at. Fails with IOCM_ECONFIG for an
 * unknown time zone or TLP ceiling, IOCM_EDB when a query fails.
 */
int report_build(struct db *db, enum report_kind kind, int64_t at, int64_t now,
                 const struct report_settings *s, json_t **out,
                 struct iocm_err *err);

/*
 * Appends the subject of the report in model:
 * "[TLP:AMBER] IOC Manager daily report — 2026-12-04" (the date of the
 * window's end in s->timezone) or
 * "[TLP:AMBER] IOC Manager weekly report — week of 2026-11-27" (the date of
 * the window's start). IOCM_EINVAL when model is not a report.
 */
int report_subject(const json_t *model, const struct report_settings *s,
                   struct strbuf *out, struct iocm_err *err);

/*
 * The template context for model: the model's keys plus "view", the
 * display values the templates need (defanged and shortened values, local
 * times, colours, bar widths, change arrows, padded text cells). See
 * docs/reports.md for its keys.
 */
int report_view(const json_t *model, const struct report_settings *s,
                json_t **out, struct iocm_err *err);

/*
 * Renders model as fmt through the template email/<kind>_report.html or
 * .txt, looked up in s->template_dir then s->default_template_dir, and
 * appends it to out (nothing is appended on failure). IOCM_ENOENT when no
 * folder has the template, IOCM_EINVAL for a malformed one.
 */
int report_render(const json_t *model, enum report_format fmt,
                  const struct report_settings *s, struct strbuf *out,
                  struct iocm_err *err);

/*
 * Appends model as indented JSON (the --format json output), percentages
 * printed as their one-decimal value ("66.7", not 66.700000000000003).
 */
void report_dump_json(const json_t *model, struct strbuf *out);

/*
 * Appends the period a report is sent once for: for a daily report the
 * date of at in tz ("2026-12-04"), for a weekly one the ISO 8601 week of at
 * in tz ("2026-W49").
 */
void report_period_key(enum report_kind kind, int64_t at, const char *tz,
                       struct strbuf *out);

#endif
