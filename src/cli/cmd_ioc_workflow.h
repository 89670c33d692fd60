/*
 * The review workflow on the command line: the handlers of `iocm ioc
 * submit|approve|reject|archive|restore|false-positive|flag`, and the
 * permission checks `ioc add`, `update` and `delete` make for --user.
 */
#ifndef IOCM_CLI_CMD_IOC_WORKFLOW_H
#define IOCM_CLI_CMD_IOC_WORKFLOW_H

struct cli_ctx;
struct ioc;
struct ioc_defaults;
struct iocm_err;

/* Handlers with the struct cli_sub run signature. */
int cli_ioc_submit(struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err);
int cli_ioc_approve(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err);
int cli_ioc_reject(struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err);
int cli_ioc_archive(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err);
int cli_ioc_restore(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err);
int cli_ioc_false_positive(struct cli_ctx *ctx, int argc, char **argv,
                           struct iocm_err *err);
int cli_ioc_flag(struct cli_ctx *ctx, int argc, char **argv,
                 struct iocm_err *err);

/* The help every workflow sub-command shares (the table's usage field). */
extern const char cli_ioc_workflow_usage[];

/* The rows of the workflow sub-commands for the `ioc` table. */
#define CLI_IOC_WORKFLOW_SUBS                                                  \
    { "submit", "send a draft for review", cli_ioc_workflow_usage,             \
      cli_ioc_submit },                                                        \
        { "approve", "make an indicator in review active",                     \
          cli_ioc_workflow_usage, cli_ioc_approve },                           \
        { "reject", "send an indicator in review back to draft",               \
          cli_ioc_workflow_usage, cli_ioc_reject },                            \
        { "archive", "take an active indicator out of use",                    \
          cli_ioc_workflow_usage, cli_ioc_archive },                           \
        { "restore", "make an archived indicator active again",                \
          cli_ioc_workflow_usage, cli_ioc_restore },                           \
        { "false-positive", "mark an indicator as a false positive",           \
          cli_ioc_workflow_usage, cli_ioc_false_positive },                    \
    {                                                                          \
        "flag", "send an active indicator back for review",                    \
            cli_ioc_workflow_usage, cli_ioc_flag                               \
    }

/*
 * Permission checks for the plain commands; user is the --user name or
 * NULL (the system actor, which may do everything). Each returns 0 or
 * IOCM_EPERM naming the user, role and action (see ioc_lifecycle_may).
 *
 * ioc add: the user may create in; when in names no status, d->status
 * becomes the status the user's new indicators start in (a draft for an
 * analyst without the reviewer flag).
 */
int cli_ioc_authorize_add(struct cli_ctx *ctx, const char *user,
                          const struct ioc *in, struct ioc_defaults *d,
                          struct iocm_err *err);
/* ioc update: the user may edit old and, when new has another status,
 * set a status directly. */
int cli_ioc_authorize_update(struct cli_ctx *ctx, const char *user,
                             const struct ioc *old, const struct ioc *new,
                             struct iocm_err *err);
/* ioc delete. */
int cli_ioc_authorize_delete(struct cli_ctx *ctx, const char *user,
                             const struct ioc *ioc, struct iocm_err *err);

#endif
