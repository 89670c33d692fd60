/*
 * What `report show` and `report send` share: settings from the
 * configuration, the reference time, the email message, output files.
 */
#ifndef IOCM_CLI_CLI_REPORT_H
#define IOCM_CLI_CLI_REPORT_H

#include <jansson.h>
#include <stdint.h>

struct cli_ctx;
struct iocm_err;
struct mail_eml;
struct report_settings;
struct strbuf;
struct strvec;

/* The shipped templates folder (installed, else the source tree). */
const char *cli_default_template_dir(void);
void cli_report_settings(const struct cli_ctx *ctx, struct report_settings *rs);
/* --at TIME, or now. */
int cli_report_at(struct cli_ctx *ctx, const char *at_arg, int64_t *at,
                  struct iocm_err *err);
/* Writes data to path (atomically) or to stdout when path is NULL or -. */
int cli_write_output(const char *path, const struct strbuf *data,
                     struct iocm_err *err);

/*
 * Builds the complete RFC 5322 message of a report into out (released by
 * the caller with mail_eml_release, also on failure): subject, text and
 * HTML parts. recipients NULL means the configured ones for the report's
 * kind.
 */
int cli_report_eml(struct cli_ctx *ctx, const json_t *model,
                   const struct report_settings *rs,
                   const struct strvec *recipients, struct mail_eml *out,
                   struct iocm_err *err);

extern const char cli_report_send_usage[];
int cli_report_send(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err);

#endif
