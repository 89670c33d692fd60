/*
 * `iocm ioc submit|approve|reject|archive|restore|false-positive|flag`:
 * one indicator through the review workflow (ioc/ioc_lifecycle.h), and
 * the --user permission checks of `ioc add`, `update` and `delete`.
 */
#include "cli/cmd_ioc_workflow.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "db/db.h"
#include "ioc/ioc.h"
#include "ioc/ioc_json.h"
#include "ioc/ioc_lifecycle.h"
#include "ioc/ioc_repo.h"
#include "user/user.h"
#include "util/err.h"

const char cli_ioc_workflow_usage[] =
    "usage: iocm ioc submit|approve|reject|archive|restore|false-positive|"
    "flag\n"
    "                ID|VALUE [--type T] [--reason R] [--user NAME] "
    "[--json]\n"
    "\n"
    "Moves one indicator through the review workflow:\n"
    "  submit          draft -> review      its creator, reviewers, admins\n"
    "  approve         review -> active     reviewers and admins\n"
    "  reject          review -> draft      reviewers and admins; --reason "
    "needed\n"
    "  archive         active -> archived   reviewers and admins\n"
    "  restore         archived -> active   reviewers and admins\n"
    "  flag            active -> review     reviewers and admins\n"
    "  false-positive  any -> archived      reviewers and admins; the "
    "indicator\n"
    "                  stays searchable (ioc list "
    "--include-false-positives)\n"
    "                  and is left out of exports\n"
    "Viewers only read. Without --user the system actor acts, which may do\n"
    "everything. A status the action does not start from is refused with "
    "both\n"
    "states named. Each change is audited as ioc.<action>, with the "
    "reason.\n"
    "\n"
    "Options:\n"
    "  --type T      the type of VALUE when it is ambiguous\n"
    "  --reason R    why (stored in the audit log; required by reject)\n"
    "  --user NAME   act as this user (default: system)\n"
    "  --json        print the indicator afterwards as JSON\n";

enum {
    OPT_TYPE = 256,
    OPT_REASON,
    OPT_USER,
    OPT_JSON,
};

/* What the output says happened. */
static const char *done_verb(enum ioc_action a)
{
    switch (a) {
    case IOC_ACTION_SUBMIT:
        return "submitted";
    case IOC_ACTION_APPROVE:
        return "approved";
    case IOC_ACTION_REJECT:
        return "rejected";
    case IOC_ACTION_ARCHIVE:
        return "archived";
    case IOC_ACTION_RESTORE:
        return "restored";
    case IOC_ACTION_FLAG:
        return "flagged for review";
    case IOC_ACTION_FALSE_POSITIVE:
        return "marked as false positive";
    default:
        break;
    }
    return "changed";
}

/* Loads the acting user of --user; *u_out stays NULL for the system. */
static int load_user(struct cli_ctx *ctx, const char *name, struct user *u,
                     const struct user **u_out, struct iocm_err *err)
{
    struct db *db;
    int rc;

    *u_out = NULL;
    if (!name)
        return 0;
    rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = user_resolve_actor(db, name, u, err);
    if (rc == 0)
        *u_out = u;
    return rc;
}

static int transition(struct cli_ctx *ctx, enum ioc_action action, int argc,
                      char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "type", required_argument, NULL, OPT_TYPE },
        { "reason", required_argument, NULL, OPT_REASON },
        { "user", required_argument, NULL, OPT_USER },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    enum ioc_type type = IOC_TYPE_COUNT;
    const char *user = NULL, *reason = NULL;
    bool has_type = false, json = false;
    struct ioc_defaults defaults;
    struct ioc_transition t;
    const struct user *actor = NULL;
    struct user u = { 0 };
    struct ioc ioc, after;
    struct db *db;
    int rc = 0, c;

    ioc_init(&ioc);
    ioc_init(&after);
    while ((c = cli_getopt(argc, argv, "h", opts, cli_ioc_workflow_usage,
                           err)) != -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        if (c == OPT_TYPE) {
            has_type = true;
            rc = ioc_type_parse(optarg, &type, err);
            if (rc < 0)
                goto out;
        } else if (c == OPT_REASON) {
            reason = optarg;
        } else if (c == OPT_USER) {
            user = optarg;
        } else if (c == OPT_JSON) {
            json = true;
        }
    }
    if (optind + 1 != argc) {
        rc = cli_usage_error(err, argv[0], "give exactly one ID or VALUE");
        goto out;
    }
    if (action == IOC_ACTION_REJECT && (!reason || !*reason)) {
        rc = cli_usage_error(err, argv[0],
                             "say why with --reason: the analyst reads it");
        goto out;
    }
    rc = load_user(ctx, user, &u, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = cli_ioc_resolve(db, argv[optind], has_type, type, &ioc, err);
    if (rc < 0)
        goto out;
    cli_ioc_defaults(ctx, &defaults);
    t = (struct ioc_transition){ .action = action,
                                 .reason = reason,
                                 .defaults = &defaults,
                                 .now = ctx->now };
    rc = ioc_lifecycle_apply(db, actor, ioc.id, &t, &after, err);
    if (rc < 0)
        goto out;
    if (json) {
        json_t *j = ioc_to_json(&after);

        json_object_set_new(j, "action", json_string(ioc_action_name(action)));
        json_object_set_new(j, "previous_status",
                            json_string(ioc_status_name(ioc.status)));
        rc = cli_print_json(j, err);
    } else {
        printf("%s %lld: %s %s (%s -> %s)\n", done_verb(action),
               (long long)after.id, ioc_type_name(after.type), after.value,
               ioc_status_name(ioc.status), ioc_status_name(after.status));
    }
out:
    if (actor)
        user_release(&u);
    ioc_release(&ioc);
    ioc_release(&after);
    return rc;
}

int cli_ioc_submit(struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_SUBMIT, argc, argv, err);
}

int cli_ioc_approve(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_APPROVE, argc, argv, err);
}

int cli_ioc_reject(struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_REJECT, argc, argv, err);
}

int cli_ioc_archive(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_ARCHIVE, argc, argv, err);
}

int cli_ioc_restore(struct cli_ctx *ctx, int argc, char **argv,
                    struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_RESTORE, argc, argv, err);
}

int cli_ioc_false_positive(struct cli_ctx *ctx, int argc, char **argv,
                           struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_FALSE_POSITIVE, argc, argv, err);
}

int cli_ioc_flag(struct cli_ctx *ctx, int argc, char **argv,
                 struct iocm_err *err)
{
    return transition(ctx, IOC_ACTION_FLAG, argc, argv, err);
}

/* ---- permission checks of the plain commands -------------------------- */

/* Runs ioc_lifecycle_may for --user (NULL: system, always allowed). */
static int authorize(struct cli_ctx *ctx, const char *user, enum ioc_action a,
                     const struct ioc *ioc, struct iocm_err *err)
{
    const struct user *actor = NULL;
    struct user u = { 0 };
    int rc;

    rc = load_user(ctx, user, &u, &actor, err);
    if (rc == 0)
        rc = ioc_lifecycle_may(actor, a, ioc, err);
    if (actor)
        user_release(&u);
    return rc;
}

int cli_ioc_authorize_add(struct cli_ctx *ctx, const char *user,
                          const struct ioc *in, struct ioc_defaults *d,
                          struct iocm_err *err)
{
    const struct user *actor = NULL;
    struct user u = { 0 };
    struct ioc probe;
    int rc;

    rc = load_user(ctx, user, &u, &actor, err);
    if (rc < 0)
        return rc;
    d->status = ioc_lifecycle_initial_status(actor);
    /* The rules read the status the indicator will be created with. */
    probe = *in;
    if (probe.status == IOC_STATUS_UNSET)
        probe.status = d->status;
    rc = ioc_lifecycle_may(actor, IOC_ACTION_CREATE, &probe, err);
    if (actor)
        user_release(&u);
    return rc;
}

int cli_ioc_authorize_update(struct cli_ctx *ctx, const char *user,
                             const struct ioc *old, const struct ioc *new,
                             struct iocm_err *err)
{
    int rc = authorize(ctx, user, IOC_ACTION_EDIT, old, err);

    if (rc == 0 && new->status != old->status)
        rc = authorize(ctx, user, IOC_ACTION_SET_STATUS, old, err);
    return rc;
}

int cli_ioc_authorize_delete(struct cli_ctx *ctx, const char *user,
                             const struct ioc *ioc, struct iocm_err *err)
{
    return authorize(ctx, user, IOC_ACTION_DELETE, ioc, err);
}
