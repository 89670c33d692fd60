/*
 * The life of an indicator: the review workflow (which status change each
 * action makes and who may make it), and the unattended run of `iocm
 * expire` (expiry, retention of stale drafts and of old audit events).
 */
#ifndef IOCM_IOC_IOC_LIFECYCLE_H
#define IOCM_IOC_IOC_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "ioc/ioc.h"

struct db;
struct iocm_err;
struct ioc_defaults;
struct user;

/*
 * What a user does to an indicator. The first three are plain edits; the
 * others are the workflow's transitions:
 *
 *   action           from              to        who (besides system)
 *   submit           draft             review    its creator, reviewers,
 *                                                admins
 *   approve          review            active    reviewers, admins
 *   reject           review            draft     reviewers, admins; a
 *                                                reason is required
 *   archive          active            archived  reviewers, admins
 *   restore          archived          active    reviewers, admins
 *   flag             active            review    reviewers, admins
 *   false-positive   any status, not   archived  reviewers, admins
 *                    a false positive
 *
 * and, outside this table, made by iocm itself:
 *
 *   expire           active whose expires_at <= now  ->  expired
 *                    (iocm expire; expiry_reason "auto_expired")
 *   draft retention  draft untouched DRAFT_RETENTION_DAYS  ->  archived
 *                    (iocm expire; expiry_reason "draft_retention")
 *   seen again       expired  ->  active, with a fresh expiry, when the
 *                    value is added or imported again (ioc_repo_upsert)
 *
 * Effects beyond the status: archive sets expiry_reason "archived";
 * false-positive sets is_false_positive and expiry_reason
 * "false_positive" (the indicator stays searchable: `ioc list
 * --include-false-positives` shows it, exports leave it out by default);
 * becoming active (approve, restore) clears expiry_reason and the false
 * positive flag (a restored false positive was judged wrongly), and
 * replaces an expiry already in the past by a fresh one from the TTL
 * policy, so that the next `iocm expire` does not undo the change at once.
 * The reason given with any action is stored in its audit event.
 */
enum ioc_action {
    IOC_ACTION_CREATE, /* ioc add (and import) */
    IOC_ACTION_EDIT,   /* ioc update of descriptive fields */
    IOC_ACTION_DELETE,
    IOC_ACTION_SET_STATUS, /* ioc update --status: any status, a repair */
    IOC_ACTION_SUBMIT,
    IOC_ACTION_APPROVE,
    IOC_ACTION_REJECT,
    IOC_ACTION_ARCHIVE,
    IOC_ACTION_RESTORE,
    IOC_ACTION_FLAG,
    IOC_ACTION_FALSE_POSITIVE,
    IOC_ACTION_COUNT,
};

/* "create", "edit", ..., "submit", "false-positive": the CLI's words. */
const char *ioc_action_name(enum ioc_action a);
/* Parses the names above; IOCM_EINVAL listing them otherwise. */
int ioc_action_parse(const char *s, enum ioc_action *out, struct iocm_err *err);
/* True for the workflow transitions (submit .. false-positive). */
bool ioc_action_is_transition(enum ioc_action a);

/*
 * Who may do what. u is the acting user, NULL for the system actor (a
 * command run without --user), which may do everything. Roles:
 *
 *   viewer    reads only, whatever its reviewer flag;
 *   analyst   creates indicators as drafts or for review (never straight
 *             into another status), edits and deletes its own drafts
 *             (created_by is the analyst) and submits the indicators it
 *             created (the workflow then wants a draft, so submitting an
 *             own active one is IOCM_ESTATE, another's is IOCM_EPERM);
 *   reviewer  an analyst with the reviewer flag: everything an admin may
 *             do to indicators;
 *   admin     everything.
 *
 * A disabled user may do nothing. For IOC_ACTION_CREATE, ioc->status is
 * the status the indicator will be created with (IOC_STATUS_UNSET reads
 * as active) and ioc->id may be 0. Returns 0, or IOCM_EPERM with a
 * message naming the user, the role and the action:
 *   user 'ann' (analyst) may not approve indicator 12: only reviewers and
 *   admins approve indicators
 * Whether the indicator's status allows the action is not checked here
 * (see ioc_lifecycle_check).
 */
int ioc_lifecycle_may(const struct user *u, enum ioc_action a,
                      const struct ioc *ioc, struct iocm_err *err);

/*
 * The status a new indicator of u starts in when the input names none:
 * draft for an analyst without the reviewer flag (its work waits for
 * review), active for everybody else (reviewers, admins, the system).
 */
enum ioc_status ioc_lifecycle_initial_status(const struct user *u);

/*
 * Checks that the workflow allows transition a from ioc's current state.
 * Returns 0, or IOCM_ESTATE naming the current and the requested state:
 *   cannot approve indicator 12: it is active, not in review
 * IOCM_EINVAL when a is not a transition.
 */
int ioc_lifecycle_check(enum ioc_action a, const struct ioc *ioc,
                        struct iocm_err *err);

/* A transition to make, and what it needs. */
struct ioc_transition {
    enum ioc_action action; /* IOC_ACTION_SUBMIT .. FALSE_POSITIVE */
    const char *reason;     /* required (non-empty) for reject */
    /* TTLs for the fresh expiry of an indicator becoming active whose
     * expiry has passed; NULL keeps the old expiry. */
    const struct ioc_defaults *defaults;
    int64_t now;
};

/*
 * Makes transition t on the indicator with id, acting as u (NULL: system),
 * in one transaction: the stored record is locked and re-read, then
 * ioc_lifecycle_may and ioc_lifecycle_check decide, then the status and
 * its effects, the counts of ioc_counts and one audit event "ioc.<action>"
 * (ioc.submit, ..., ioc.false_positive) with the changed fields and the
 * reason are written. On failure nothing is written. When out is not NULL
 * it receives the record as stored afterwards (the caller releases it).
 * Errors: IOCM_ENOENT (no such id), IOCM_EPERM, IOCM_ESTATE, IOCM_EINVAL
 * (reject without a reason), IOCM_EDB.
 */
int ioc_lifecycle_apply(struct db *db, const struct user *u, int64_t id,
                        const struct ioc_transition *t, struct ioc *out,
                        struct iocm_err *err);

/* What `iocm expire` is asked to do. */
struct ioc_expire_opts {
    int64_t now;
    bool is_dry_run;           /* count only, write nothing */
    bool expire;               /* IOC_AUTO_EXPIRE_ENABLED */
    long draft_retention_days; /* 0: keep drafts */
    long audit_retention_days; /* 0: keep audit events */
};

/* What it did (or, in a dry run, would do). */
struct ioc_expire_result {
    int64_t expired[IOC_TYPE_COUNT]; /* active -> expired, per type */
    int64_t expired_total;
    int64_t drafts_archived[IOC_TYPE_COUNT]; /* stale draft -> archived */
    int64_t drafts_archived_total;
    int64_t audit_purged; /* audit events deleted */
};

/*
 * The run of `iocm expire` (and of the scheduler), all in one transaction,
 * as the system actor:
 *
 *  - when o->expire: every active indicator whose expires_at <= o->now
 *    (exactly now included; no expiry never) becomes expired with
 *    expiry_reason "auto_expired", one audit event "ioc.expire" per
 *    indicator;
 *  - when o->draft_retention_days > 0: every draft whose updated_at <=
 *    now - days becomes archived with expiry_reason "draft_retention", one
 *    audit event "ioc.archive" per indicator;
 *  - when o->audit_retention_days > 0: audit events older than now - days
 *    are deleted (audit_purge), and one event "audit.purge" records how
 *    many.
 *
 * The counts of ioc_counts change with the rows. Memory stays constant
 * however many indicators expire: rows are read in batches through the
 * index iocs_status_expires. A second run at the same time finds nothing
 * to do. A dry run only counts and writes nothing.
 */
int ioc_lifecycle_expire(struct db *db, const struct ioc_expire_opts *o,
                         struct ioc_expire_result *out, struct iocm_err *err);

#endif
