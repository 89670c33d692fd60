/*
 * What `iocm mail test` and `iocm doctor` share: the SMTP transport taken
 * from the configuration, a one-line description of it, and the connection
 * check run step by step (connect, TLS, AUTH), each step's outcome handed
 * to a callback so that each command prints it its own way.
 */
#ifndef IOCM_CLI_CLI_MAIL_H
#define IOCM_CLI_CLI_MAIL_H

#include <stdbool.h>

struct config_mail;
struct iocm_err;
struct mail_transport;
struct strbuf;

/* Fills t from the configuration; strings stay borrowed from m. */
void cli_mail_transport(const struct config_mail *m, struct mail_transport *t);

/* Appends "HOST:PORT (STARTTLS, AUTH as USER)"; never the password. */
void cli_mail_describe(const struct mail_transport *t, struct strbuf *out);

/* One step of a connection check: "connect", "tls", "auth", "ready". */
enum cli_mail_step_status {
    CLI_MAIL_STEP_OK,
    CLI_MAIL_STEP_FAILED,
    CLI_MAIL_STEP_NOT_TRIED, /* an earlier step failed */
};

/*
 * Runs mail_check() on t and reports each step the check goes through to
 * on_step, in order ("connect", then "tls" unless t is plain text, "auth"
 * when a user name is set, "ready" once the server answers NOOP): the steps
 * before the one that failed as passed, the failed one with the server's reply
 * (or libcurl's reason), the rest as not tried. Returns what mail_check()
 * returned, err filled as it fills it; a server name mail/ refuses becomes
 * IOCM_ECONFIG.
 */
int cli_mail_check_steps(const struct mail_transport *t,
                         void (*on_step)(void *arg, const char *step,
                                         enum cli_mail_step_status status,
                                         const char *detail),
                         void *arg, struct iocm_err *err);

/*
 * What to try when a step failed with detail (the reason passed to
 * on_step), for people reading `mail test` or `doctor`; NULL when there is
 * no advice beyond the server's reply. Static text.
 */
const char *cli_mail_hint(const struct mail_transport *t, const char *step,
                          const char *detail);

#endif
