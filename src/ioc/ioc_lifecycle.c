/*
 * The indicator workflow and its unattended half: one table of actions
 * (where each may start, where it leads, who may make it), the transition
 * that writes status, counts and audit in one transaction, and the run of
 * `iocm expire` that expires, archives stale drafts and purges old audit.
 */
#include "ioc/ioc_lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"
#include "db/db.h"
#include "ioc/ioc_repo.h"
/* For struct user and its roles only: ioc/ links before user/, so nothing
 * here calls a user_* function. */
#include "user/user.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define STATUS_BIT(s) (1u << (s))
#define ALL_STATUSES                                                           \
    (STATUS_BIT(IOC_STATUS_DRAFT) | STATUS_BIT(IOC_STATUS_REVIEW) |            \
     STATUS_BIT(IOC_STATUS_ACTIVE) | STATUS_BIT(IOC_STATUS_ARCHIVED) |         \
     STATUS_BIT(IOC_STATUS_EXPIRED))

/* Who may make an action, besides the system actor and admins. */
enum who {
    WHO_REVIEWERS,   /* reviewers only */
    WHO_OWN_DRAFTS,  /* reviewers, and an analyst on its own draft */
    WHO_CREATOR,     /* reviewers, and the analyst who created it */
    WHO_ANALYSTS_NEW /* reviewers, and analysts creating drafts */
};

struct action_rule {
    const char *name;  /* the CLI's word */
    const char *audit; /* the audit event's action */
    /* "<verb> indicator 12<suffix>" in messages */
    const char *verb;
    const char *suffix;
    enum who who;
    const char *why; /* the rule an analyst broke, for IOCM_EPERM */
    /* Transitions only: the statuses it starts from, and where it leads;
     * from is 0 for plain edits. */
    unsigned from;
    enum ioc_status to;
};

static const struct action_rule rules[IOC_ACTION_COUNT] = {
    [IOC_ACTION_CREATE] = { "create", "ioc.create", "create", "",
                            WHO_ANALYSTS_NEW,
                            "analysts create drafts, or submit them for "
                            "review",
                            0, IOC_STATUS_UNSET },
    [IOC_ACTION_EDIT] = { "edit", "ioc.update", "edit", "", WHO_OWN_DRAFTS,
                          "analysts edit only their own drafts", 0,
                          IOC_STATUS_UNSET },
    [IOC_ACTION_DELETE] = { "delete", "ioc.delete", "delete", "",
                            WHO_OWN_DRAFTS,
                            "analysts delete only their own drafts", 0,
                            IOC_STATUS_UNSET },
    [IOC_ACTION_SET_STATUS] = { "set-status", "ioc.update", "set the status of",
                                "", WHO_REVIEWERS,
                                "only reviewers and admins set a status "
                                "directly; use ioc submit",
                                0, IOC_STATUS_UNSET },
    [IOC_ACTION_SUBMIT] = { "submit", "ioc.submit", "submit", "", WHO_CREATOR,
                            "analysts submit only their own drafts",
                            STATUS_BIT(IOC_STATUS_DRAFT), IOC_STATUS_REVIEW },
    [IOC_ACTION_APPROVE] = { "approve", "ioc.approve", "approve", "",
                             WHO_REVIEWERS,
                             "only reviewers and admins approve indicators",
                             STATUS_BIT(IOC_STATUS_REVIEW), IOC_STATUS_ACTIVE },
    [IOC_ACTION_REJECT] = { "reject", "ioc.reject", "reject", "", WHO_REVIEWERS,
                            "only reviewers and admins reject indicators",
                            STATUS_BIT(IOC_STATUS_REVIEW), IOC_STATUS_DRAFT },
    [IOC_ACTION_ARCHIVE] = { "archive", "ioc.archive", "archive", "",
                             WHO_REVIEWERS,
                             "only reviewers and admins archive indicators",
                             STATUS_BIT(IOC_STATUS_ACTIVE),
                             IOC_STATUS_ARCHIVED },
    [IOC_ACTION_RESTORE] = { "restore", "ioc.restore", "restore", "",
                             WHO_REVIEWERS,
                             "only reviewers and admins restore indicators",
                             STATUS_BIT(IOC_STATUS_ARCHIVED),
                             IOC_STATUS_ACTIVE },
    [IOC_ACTION_FLAG] = { "flag", "ioc.flag", "flag", " for review",
                          WHO_REVIEWERS,
                          "only reviewers and admins flag indicators for "
                          "review",
                          STATUS_BIT(IOC_STATUS_ACTIVE), IOC_STATUS_REVIEW },
    [IOC_ACTION_FALSE_POSITIVE] = { "false-positive", "ioc.false_positive",
                                    "mark", " as a false positive",
                                    WHO_REVIEWERS,
                                    "only reviewers and admins mark false "
                                    "positives",
                                    ALL_STATUSES, IOC_STATUS_ARCHIVED },
};

/* The codes stored in expiry_reason when an indicator leaves active. */
#define REASON_ARCHIVED        "archived"
#define REASON_FALSE_POSITIVE  "false_positive"
#define REASON_AUTO_EXPIRED    "auto_expired"
#define REASON_DRAFT_RETENTION "draft_retention"

/* How many rows an expiry run reads at a time: bounds its memory. The
 * SELECTs spell it through STR(). */
#define SWEEP_BATCH 500
#define STR_(x)     #x
#define STR(x)      STR_(x)

const char *ioc_action_name(enum ioc_action a)
{
    return (unsigned)a < IOC_ACTION_COUNT ? rules[a].name : "unknown";
}

int ioc_action_parse(const char *s, enum ioc_action *out, struct iocm_err *err)
{
    struct strbuf names = STRBUF_INIT;
    int rc;

    for (int a = 0; a < IOC_ACTION_COUNT; a++) {
        if (strcmp(s, rules[a].name) == 0) {
            *out = (enum ioc_action)a;
            strbuf_release(&names);
            return 0;
        }
        strbuf_addf(&names, "%s%s", a ? ", " : "", rules[a].name);
    }
    rc = iocm_fail(err, IOCM_EINVAL, "unknown action '%s': expected one of %s",
                   s, names.buf);
    strbuf_release(&names);
    return rc;
}

bool ioc_action_is_transition(enum ioc_action a)
{
    return (unsigned)a < IOC_ACTION_COUNT && rules[a].from != 0;
}

/* The role names as user_role_name() spells them (not callable here). */
static const char *role_name(enum user_role role)
{
    switch (role) {
    case USER_ROLE_VIEWER:
        return "viewer";
    case USER_ROLE_ANALYST:
        return "analyst";
    case USER_ROLE_ADMIN:
        return "admin";
    }
    return "unknown";
}

/* "approve indicator 12", "mark indicator 12 as a false positive",
 * "create indicator 'evil.example'", with " as active" when the status is
 * what is refused. */
static void describe(enum ioc_action a, const struct ioc *ioc, bool with_status,
                     struct strbuf *out)
{
    const struct action_rule *r = &rules[a];

    if (a == IOC_ACTION_CREATE) {
        strbuf_addf(out, "create indicator '%s'", ioc->value ? ioc->value : "");
        if (with_status)
            strbuf_addf(out, " as %s",
                        ioc_status_name(ioc->status == IOC_STATUS_UNSET
                                            ? IOC_STATUS_ACTIVE
                                            : ioc->status));
        return;
    }
    strbuf_addf(out, "%s indicator %lld%s", r->verb, (long long)ioc->id,
                r->suffix);
}

static int refuse(const struct user *u, enum ioc_action a,
                  const struct ioc *ioc, const char *why, bool with_status,
                  struct iocm_err *err)
{
    struct strbuf what = STRBUF_INIT;
    int rc;

    describe(a, ioc, with_status, &what);
    rc = iocm_fail(err, IOCM_EPERM, "user '%s' (%s%s) may not %s: %s",
                   u->username, role_name(u->role),
                   u->is_reviewer && u->role == USER_ROLE_ANALYST ? ", reviewer"
                                                                  : "",
                   what.buf, why);
    strbuf_release(&what);
    return rc;
}

static bool is_creator(const struct user *u, const struct ioc *ioc)
{
    return ioc->created_by && strcmp(ioc->created_by, u->username) == 0;
}

int ioc_lifecycle_may(const struct user *u, enum ioc_action a,
                      const struct ioc *ioc, struct iocm_err *err)
{
    const struct action_rule *r;

    if ((unsigned)a >= IOC_ACTION_COUNT)
        return iocm_fail(err, IOCM_EINVAL, "unknown indicator action %d",
                         (int)a);
    r = &rules[a];
    if (!u)
        return 0;
    if (u->is_disabled)
        return refuse(u, a, ioc, "the account is disabled", false, err);
    if (u->role == USER_ROLE_VIEWER)
        return refuse(u, a, ioc, "viewers only read", false, err);
    /* Reviewers hold every right of an admin over indicators. */
    if (u->role == USER_ROLE_ADMIN || u->is_reviewer)
        return 0;
    switch (r->who) {
    case WHO_ANALYSTS_NEW:
        if (ioc->status == IOC_STATUS_DRAFT || ioc->status == IOC_STATUS_REVIEW)
            return 0;
        break;
    case WHO_OWN_DRAFTS:
        if (ioc->status == IOC_STATUS_DRAFT && is_creator(u, ioc))
            return 0;
        break;
    case WHO_CREATOR:
        /* Whether it is still a draft is the workflow's question, so
         * the analyst hears "it is active, not a draft". */
        if (is_creator(u, ioc))
            return 0;
        break;
    case WHO_REVIEWERS:
        break;
    }
    return refuse(u, a, ioc, r->why, r->who == WHO_ANALYSTS_NEW, err);
}

enum ioc_status ioc_lifecycle_initial_status(const struct user *u)
{
    if (u && u->role == USER_ROLE_ANALYST && !u->is_reviewer)
        return IOC_STATUS_DRAFT;
    return IOC_STATUS_ACTIVE;
}

/* The status as the middle of "it is active, not in review" reads. */
static const char *status_phrase(enum ioc_status s)
{
    switch (s) {
    case IOC_STATUS_DRAFT:
        return "a draft";
    case IOC_STATUS_REVIEW:
        return "in review";
    case IOC_STATUS_ACTIVE:
        return "active";
    case IOC_STATUS_ARCHIVED:
        return "archived";
    case IOC_STATUS_EXPIRED:
        return "expired";
    case IOC_STATUS_UNSET:
        break;
    }
    return "in an unknown state";
}

/* The one status a transition starts from (every one but false-positive
 * has exactly one). */
static enum ioc_status single_from(unsigned from)
{
    for (int s = IOC_STATUS_DRAFT; s < IOC_STATUS_COUNT; s++)
        if (from == STATUS_BIT(s))
            return (enum ioc_status)s;
    return IOC_STATUS_UNSET;
}

int ioc_lifecycle_check(enum ioc_action a, const struct ioc *ioc,
                        struct iocm_err *err)
{
    const struct action_rule *r;
    struct strbuf what = STRBUF_INIT;
    int rc = 0;

    if (!ioc_action_is_transition(a))
        return iocm_fail(err, IOCM_EINVAL, "'%s' is no workflow transition",
                         ioc_action_name(a));
    r = &rules[a];
    if (ioc->status >= 0 && ioc->status < IOC_STATUS_COUNT &&
        (r->from & STATUS_BIT(ioc->status)) &&
        !(a == IOC_ACTION_FALSE_POSITIVE && ioc->is_false_positive))
        return 0;
    describe(a, ioc, false, &what);
    if (a == IOC_ACTION_FALSE_POSITIVE && ioc->is_false_positive)
        rc = iocm_fail(err, IOCM_ESTATE, "cannot %s: it is one already",
                       what.buf);
    else
        rc = iocm_fail(err, IOCM_ESTATE, "cannot %s: it is %s, not %s",
                       what.buf, status_phrase(ioc->status),
                       status_phrase(single_from(r->from)));
    strbuf_release(&what);
    return rc;
}

static void set_reason(struct ioc *rec, const char *reason)
{
    free(rec->expiry_reason);
    rec->expiry_reason = reason ? xstrdup(reason) : NULL;
}

/* What a legal transition changes besides the status. */
static void apply_effects(const struct ioc_transition *t, struct ioc *rec)
{
    rec->status = rules[t->action].to;
    if (rec->status == IOC_STATUS_ACTIVE) {
        set_reason(rec, NULL);
        rec->is_false_positive = false;
        /* An expiry already passed would be undone by the next run. */
        if (t->defaults && rec->expires_at && rec->expires_at <= t->now) {
            long days = t->defaults->ttl_days[rec->type];

            rec->expires_at = days > 0 ? t->now + (int64_t)days * 86400 : 0;
        }
    }
    if (t->action == IOC_ACTION_ARCHIVE)
        set_reason(rec, REASON_ARCHIVED);
    if (t->action == IOC_ACTION_FALSE_POSITIVE) {
        rec->is_false_positive = true;
        set_reason(rec, REASON_FALSE_POSITIVE);
    }
}

/*
 * Takes the row's write lock before it is read, so that two transitions
 * of one indicator cannot both pass the state check (PostgreSQL locks the
 * row; SQLite's BEGIN IMMEDIATE holds the whole store already). Portable,
 * unlike SELECT ... FOR UPDATE.
 */
static const char sql_lock_row[] =
    "UPDATE iocs SET status = status WHERE id = ?";

static int lock_row(struct db *db, int64_t id, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_lock_row, &st, err);

    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, id);
    rc = db_step(st, err);
    db_reset(st);
    return rc < 0 ? rc : 0;
}

int ioc_lifecycle_apply(struct db *db, const struct user *u, int64_t id,
                        const struct ioc_transition *t, struct ioc *out,
                        struct iocm_err *err)
{
    const char *actor = u ? u->username : AUDIT_ACTOR_SYSTEM;
    json_t *extra = NULL;
    struct ioc old, new;
    bool in_tx = false;
    int rc;

    ioc_init(&old);
    ioc_init(&new);
    if (!ioc_action_is_transition(t->action)) {
        rc = iocm_fail(err, IOCM_EINVAL, "'%s' is no workflow transition",
                       ioc_action_name(t->action));
        goto out;
    }
    if (t->action == IOC_ACTION_REJECT && (!t->reason || !*t->reason)) {
        rc = iocm_fail(err, IOCM_EINVAL,
                       "cannot reject indicator %lld without a reason",
                       (long long)id);
        goto out;
    }
    rc = db_begin(db, err);
    if (rc < 0)
        goto out;
    in_tx = true;
    rc = lock_row(db, id, err);
    /* Two reads: old stays as stored, new takes the changes. */
    if (rc == 0)
        rc = ioc_repo_get(db, id, &old, err);
    if (rc == 0)
        rc = ioc_repo_get(db, id, &new, err);
    if (rc == 0)
        rc = ioc_lifecycle_may(u, t->action, &old, err);
    if (rc == 0)
        rc = ioc_lifecycle_check(t->action, &old, err);
    if (rc < 0)
        goto out;
    apply_effects(t, &new);
    new.updated_at = t->now;
    free(new.updated_by);
    new.updated_by = xstrdup(actor);
    if (t->reason && *t->reason)
        extra = json_pack("{s:s}", "reason", t->reason);
    rc = ioc_repo_save(db, &old, &new, rules[t->action].audit, extra, actor,
                       t->now, err);
    if (rc < 0)
        goto out;
    in_tx = false;
    rc = db_commit(db, err);
    if (rc == 0 && out) {
        *out = new;
        ioc_init(&new);
    }
out:
    if (in_tx)
        db_rollback(db, NULL);
    json_decref(extra);
    ioc_release(&old);
    ioc_release(&new);
    return rc;
}

/* ---- iocm expire ------------------------------------------------------ */

/*
 * One sweep moves every indicator in status from whose time column is at
 * or before cutoff to status to, batch by batch. The SELECT and the UPDATE
 * share their condition, so each row leaves the SELECT's set as it is
 * changed and the next batch starts where the last one ended.
 */
struct sweep {
    const char *select_sql; /* id, type, value, time, is_enriched;
                               params: from, cutoff */
    const char *update_sql; /* params: to, reason, now, id, from, cutoff */
    enum ioc_status from, to;
    const char *reason;       /* expiry_reason and audit reason */
    const char *audit_action; /* one event per indicator */
    const char *time_field;   /* the audit detail holding the time column */
    int64_t cutoff;
    long retention_days; /* for the audit event; 0: none */
};

/* Served by iocs_status_expires (status, expires_at). */
static const char sql_select_expiring[] =
    "SELECT id, type, value, expires_at, is_enriched FROM iocs "
    "WHERE status = ? AND expires_at <= ? LIMIT " STR(SWEEP_BATCH);
static const char sql_expire_one[] =
    "UPDATE iocs SET status = ?, expiry_reason = ?, updated_at = ?, "
    "updated_by = 'system' WHERE id = ? AND status = ? AND expires_at <= ?";
static const char sql_count_expiring[] =
    "SELECT type, COUNT(*) FROM iocs WHERE status = ? AND expires_at <= ? "
    "GROUP BY type";

/* Served by the status prefix of iocs_status_expires. */
static const char sql_select_stale_drafts[] =
    "SELECT id, type, value, updated_at, is_enriched FROM iocs "
    "WHERE status = ? AND updated_at <= ? LIMIT " STR(SWEEP_BATCH);
static const char sql_archive_draft[] =
    "UPDATE iocs SET status = ?, expiry_reason = ?, updated_at = ?, "
    "updated_by = 'system' WHERE id = ? AND status = ? AND updated_at <= ?";
static const char sql_count_stale_drafts[] =
    "SELECT type, COUNT(*) FROM iocs WHERE status = ? AND updated_at <= ? "
    "GROUP BY type";

static const char sql_count_old_audit[] =
    "SELECT COUNT(*) FROM audit_events WHERE at < ?";

struct sweep_row {
    int64_t id;
    enum ioc_type type;
    char *value;
    int64_t at;
    bool is_enriched;
};

static void release_rows(struct sweep_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].value);
}

/* Only iocm writes the type column: an unknown one is a damaged store,
 * and skipping it would leave the counts wrong. */
static int column_type(struct db_stmt *st, int col, enum ioc_type *out,
                       struct iocm_err *err)
{
    const char *s = db_column_text(st, col);

    if (ioc_type_parse(s ? s : "", out, NULL) < 0)
        return iocm_fail(err, IOCM_EDB, "indicator of unknown type '%s'",
                         s ? s : "");
    return 0;
}

static int read_batch(struct db *db, const struct sweep *s,
                      struct sweep_row *rows, size_t *n, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, s->select_sql, &st, err);

    *n = 0;
    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, s->from);
    db_bind_int64(st, 2, s->cutoff);
    while (*n < SWEEP_BATCH && (rc = db_step(st, err)) == DB_ROW) {
        struct sweep_row *r = &rows[*n];
        enum ioc_type type;

        rc = column_type(st, 1, &type, err);
        if (rc < 0)
            break;
        r->id = db_column_int64(st, 0);
        r->type = type;
        r->value = xstrdup(db_column_text(st, 2));
        r->at = db_column_int64(st, 3);
        r->is_enriched = db_column_int64(st, 4) != 0;
        (*n)++;
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

static int audit_row(struct db *db, const struct sweep *s, int64_t now,
                     const struct sweep_row *r, struct iocm_err *err)
{
    json_t *details;
    char id[24];
    int rc;

    details = json_pack("{s:s, s:s, s:[s,s], s:s, s:I}", "type",
                        ioc_type_name(r->type), "value", r->value, "status",
                        ioc_status_name(s->from), ioc_status_name(s->to),
                        "reason", s->reason, s->time_field, (json_int_t)r->at);
    if (s->retention_days)
        json_object_set_new(details, "retention_days",
                            json_integer(s->retention_days));
    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    rc = audit_log(db, now, AUDIT_ACTOR_SYSTEM, s->audit_action, "ioc", id,
                   details, err);
    json_decref(details);
    return rc;
}

/* Changes one row if it still qualifies; *changed says whether it did. */
static int sweep_row(struct db *db, const struct sweep *s, int64_t now,
                     const struct sweep_row *r, bool *changed,
                     struct iocm_err *err)
{
    /* Drafts are not new and only active rows expire: a sweep into or
     * out of draft or active moves the row in the hourly rollups
     * (untracked before, tracked again after, so a row left as it was
     * ends where it started). */
    bool moves_rollups =
        (s->from == IOC_STATUS_DRAFT) != (s->to == IOC_STATUS_DRAFT) ||
        (s->from == IOC_STATUS_ACTIVE) != (s->to == IOC_STATUS_ACTIVE);
    struct db_stmt *st;
    int rc = 0;

    *changed = false;
    if (moves_rollups)
        rc = ioc_rollups_track_row(db, r->id, -1, err);
    if (rc == 0)
        rc = db_prepare_cached(db, s->update_sql, &st, err);
    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, s->to);
    db_bind_text(st, 2, s->reason);
    db_bind_int64(st, 3, now);
    db_bind_int64(st, 4, r->id);
    db_bind_int64(st, 5, s->from);
    db_bind_int64(st, 6, s->cutoff);
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return rc;
    *changed = db_changes(db) == 1;
    if (moves_rollups) {
        rc = ioc_rollups_track_row(db, r->id, 1, err);
        if (rc < 0)
            return rc;
    }
    return *changed ? audit_row(db, s, now, r, err) : 0;
}

static int run_sweep(struct db *db, const struct sweep *s, int64_t now,
                     struct ioc_count_delta *delta, int64_t *per_type,
                     int64_t *total, struct iocm_err *err)
{
    struct sweep_row *rows = xcalloc(SWEEP_BATCH, sizeof(*rows));
    size_t n = 0;
    int rc;

    for (;;) {
        size_t changed_in_batch = 0;

        rc = read_batch(db, s, rows, &n, err);
        if (rc < 0 || n == 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            bool changed;

            rc = sweep_row(db, s, now, &rows[i], &changed, err);
            if (rc < 0 || !changed)
                continue;
            changed_in_batch++;
            per_type[rows[i].type]++;
            (*total)++;
            ioc_count_delta_add(delta, rows[i].type, s->from,
                                rows[i].is_enriched, -1);
            ioc_count_delta_add(delta, rows[i].type, s->to, rows[i].is_enriched,
                                1);
        }
        release_rows(rows, n);
        n = 0;
        /* A batch nothing could change would be read again forever. */
        if (rc < 0 || changed_in_batch == 0)
            break;
    }
    release_rows(rows, n);
    free(rows);
    return rc;
}

/* Dry runs: the counts per type of what a sweep would change. */
static int count_sweep(struct db *db, const char *sql, const struct sweep *s,
                       int64_t *per_type, int64_t *total, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql, &st, err);

    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, s->from);
    db_bind_int64(st, 2, s->cutoff);
    while ((rc = db_step(st, err)) == DB_ROW) {
        enum ioc_type type;

        rc = column_type(st, 0, &type, err);
        if (rc < 0)
            break;
        per_type[type] += db_column_int64(st, 1);
        *total += db_column_int64(st, 1);
    }
    db_reset(st);
    return rc < 0 ? rc : 0;
}

static int purge_audit(struct db *db, const struct ioc_expire_opts *o,
                       int64_t *purged, struct iocm_err *err)
{
    int64_t before = o->now - (int64_t)o->audit_retention_days * 86400;
    json_t *details;
    int rc;

    if (o->is_dry_run)
        return db_query_int64(db, sql_count_old_audit, &before, purged, err);
    rc = audit_purge(db, before, purged, err);
    if (rc < 0 || *purged == 0)
        return rc;
    details = json_pack("{s:I, s:I, s:I}", "before", (json_int_t)before,
                        "deleted", (json_int_t)*purged, "retention_days",
                        (json_int_t)o->audit_retention_days);
    rc = audit_log(db, o->now, AUDIT_ACTOR_SYSTEM, "audit.purge", "audit", NULL,
                   details, err);
    json_decref(details);
    return rc;
}

int ioc_lifecycle_expire(struct db *db, const struct ioc_expire_opts *o,
                         struct ioc_expire_result *out, struct iocm_err *err)
{
    const struct sweep expire = {
        .select_sql = sql_select_expiring,
        .update_sql = sql_expire_one,
        .from = IOC_STATUS_ACTIVE,
        .to = IOC_STATUS_EXPIRED,
        .reason = REASON_AUTO_EXPIRED,
        .audit_action = "ioc.expire",
        .time_field = "expires_at",
        .cutoff = o->now,
    };
    const struct sweep drafts = {
        .select_sql = sql_select_stale_drafts,
        .update_sql = sql_archive_draft,
        .from = IOC_STATUS_DRAFT,
        .to = IOC_STATUS_ARCHIVED,
        .reason = REASON_DRAFT_RETENTION,
        .audit_action = "ioc.archive",
        .time_field = "updated_at",
        .cutoff = o->now - (int64_t)o->draft_retention_days * 86400,
        .retention_days = o->draft_retention_days,
    };
    struct ioc_count_delta delta;
    bool in_tx = false;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    ioc_count_delta_init(&delta);
    if (!o->expire && o->draft_retention_days <= 0 &&
        o->audit_retention_days <= 0)
        return 0;
    if (!o->is_dry_run) {
        rc = db_begin(db, err);
        if (rc < 0)
            return rc;
        in_tx = true;
    }
    if (o->expire)
        rc = o->is_dry_run ? count_sweep(db, sql_count_expiring, &expire,
                                         out->expired, &out->expired_total, err)
                           : run_sweep(db, &expire, o->now, &delta,
                                       out->expired, &out->expired_total, err);
    if (rc == 0 && o->draft_retention_days > 0)
        rc = o->is_dry_run
                 ? count_sweep(db, sql_count_stale_drafts, &drafts,
                               out->drafts_archived,
                               &out->drafts_archived_total, err)
                 : run_sweep(db, &drafts, o->now, &delta, out->drafts_archived,
                             &out->drafts_archived_total, err);
    if (rc == 0 && o->audit_retention_days > 0)
        rc = purge_audit(db, o, &out->audit_purged, err);
    if (rc == 0 && in_tx)
        rc = ioc_counts_apply(db, &delta, err);
    if (rc == 0 && in_tx) {
        in_tx = false;
        rc = db_commit(db, err);
    }
    if (in_tx)
        db_rollback(db, NULL);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}
