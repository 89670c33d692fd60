/*
 * Unit tests for the indicator lifecycle (ioc/ioc_lifecycle.h): every
 * workflow action from every status for every kind of user, the effects
 * and audit events of each transition, and the expiry and retention run
 * of `iocm expire`, with ioc_counts checked against a scan after each
 * change. Every case runs on SQLite and, when IOCM_TEST_PG_URL names a
 * database, on PostgreSQL (its public schema emptied per case).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "db/db.h"
#include "ioc/ioc.h"
#include "ioc/ioc_lifecycle.h"
#include "ioc/ioc_repo.h"
#include "store_testlib.h"
#include "user/user.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* A fixed "now" (2023-11-14T22:13:20Z); cases move from it in seconds. */
#define NOW INT64_C(1700000000)
#define DAY INT64_C(86400)

struct fixture {
    struct test_store st;
    struct ioc_defaults defaults;
};

/* ---- the actors -------------------------------------------------------- */

/* Indicators in these tests are created by "ann" unless a case says not. */
#define OWNER "ann"

enum actor_kind {
    ACTOR_SYSTEM,
    ACTOR_VIEWER,
    ACTOR_VIEWER_REVIEWER,
    ACTOR_ANALYST_OWNER,
    ACTOR_ANALYST_OTHER,
    ACTOR_ANALYST_REVIEWER,
    ACTOR_ADMIN,
    ACTOR_ADMIN_DISABLED,
    ACTOR_COUNT,
};

static const struct user actors[ACTOR_COUNT] = {
    [ACTOR_VIEWER] = { .username = "vic", .role = USER_ROLE_VIEWER },
    [ACTOR_VIEWER_REVIEWER] = { .username = "val",
                                .role = USER_ROLE_VIEWER,
                                .is_reviewer = true },
    [ACTOR_ANALYST_OWNER] = { .username = OWNER, .role = USER_ROLE_ANALYST },
    [ACTOR_ANALYST_OTHER] = { .username = "bob", .role = USER_ROLE_ANALYST },
    [ACTOR_ANALYST_REVIEWER] = { .username = "rita",
                                 .role = USER_ROLE_ANALYST,
                                 .is_reviewer = true },
    [ACTOR_ADMIN] = { .username = "root", .role = USER_ROLE_ADMIN },
    [ACTOR_ADMIN_DISABLED] = { .username = "gone",
                               .role = USER_ROLE_ADMIN,
                               .is_disabled = true },
};

static const struct user *actor(enum actor_kind k)
{
    return k == ACTOR_SYSTEM ? NULL : &actors[k];
}

/* As user_role_name() spells them; the test links no user module. */
static const char *const role_names[] = {
    [USER_ROLE_VIEWER] = "viewer",
    [USER_ROLE_ANALYST] = "analyst",
    [USER_ROLE_ADMIN] = "admin",
};

static const char *actor_name(enum actor_kind k)
{
    return k == ACTOR_SYSTEM ? "system" : actors[k].username;
}

/* ---- store helpers ---------------------------------------------------- */

/* Everything a refused change or a dry run must leave as it was. */
static void dump_store(struct db *db, struct strbuf *out)
{
    static const char *const sql[] = {
        "SELECT * FROM iocs ORDER BY id",
        "SELECT * FROM ioc_counts ORDER BY type, status, is_enriched",
        "SELECT * FROM audit_events ORDER BY id",
    };

    for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
        strbuf_addf(out, "-- %s\n", sql[i]);
        dump_query(db, sql[i], out);
    }
}

static int64_t audit_rows(struct db *db)
{
    return query_ok(db, "SELECT COUNT(*) FROM audit_events", NULL);
}

static const char sql_kept_counts[] =
    "SELECT type, status, is_enriched, n FROM ioc_counts WHERE n <> 0 "
    "ORDER BY type, status, is_enriched";
static const char sql_real_counts[] =
    "SELECT type, status, is_enriched, COUNT(*) FROM iocs "
    "GROUP BY type, status, is_enriched ORDER BY type, status, is_enriched";

/* Called after every change: ioc_counts holds what a scan of iocs counts,
 * and each hourly rollup what a recount of its table does. */
static void check_counts(struct db *db, const char *after)
{
    struct strbuf kept = STRBUF_INIT, real = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t mismatches = -1;

    if (ioc_rollups_verify(db, &mismatches, &err) != 0)
        fail_msg("ioc_rollups_verify: %s", err.msg);
    if (mismatches != 0)
        fail_msg("%lld rollup counts differ from a recount after %s",
                 (long long)mismatches, after);

    dump_query(db, sql_kept_counts, &kept);
    dump_query(db, sql_real_counts, &real);
    if (strcmp(kept.buf, real.buf) != 0)
        fail_msg("counts wrong after %s\nioc_counts:\n%sscan of iocs:\n%s",
                 after, kept.buf, real.buf);
    strbuf_release(&kept);
    strbuf_release(&real);
}

static int fixture_setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *fx = xcalloc(1, sizeof(*fx));

    test_store_open(&fx->st, be, "life");
    ioc_defaults_init(&fx->defaults);
    fx->defaults.ttl_days[IOC_TYPE_DOMAIN] = 90;
    fx->defaults.ttl_days[IOC_TYPE_IPV4] = 30;
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *fx = *state;

    test_store_close(&fx->st);
    free(fx);
    return 0;
}

/* ---- indicators ------------------------------------------------------- */

/* How a case wants an indicator stored. */
struct seed {
    enum ioc_type type;
    const char *value;
    enum ioc_status status;
    bool is_false_positive;
    int64_t expires_at; /* 0: never */
    int64_t at;         /* created_at = updated_at; 0: NOW */
    const char *created_by;
};

/* Stores s with the repository (counts kept, one audit event each). When
 * pending is set the caller holds the transaction (bulk seeding). */
static int64_t seed_one(struct fixture *fx, const struct seed *s,
                        struct ioc_count_delta *pending)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc in;
    int64_t id = 0;
    int64_t at = s->at ? s->at : NOW;
    struct ioc_upsert_opts o = {
        .defaults = &fx->defaults,
        .actor = s->created_by ? s->created_by : OWNER,
        .now = at,
        .audit = !pending,
        .pending = pending,
    };

    ioc_init(&in);
    in.type = s->type;
    in.value = xstrdup(s->value);
    in.status = s->status;
    in.is_false_positive = s->is_false_positive;
    in.expires_at = s->expires_at;
    in.no_expiry = s->expires_at == 0;
    in.created_at = at;
    in.created_by = xstrdup(o.actor);
    if (ioc_repo_upsert(fx->st.db, &in, &o, &id, NULL, &err) != 0)
        fail_msg("seed '%s': %s", s->value, err.msg);
    ioc_release(&in);
    if (!pending)
        check_counts(fx->st.db, s->value);
    return id;
}

static int64_t seed_domain(struct fixture *fx, const char *value,
                           enum ioc_status status, int64_t expires_at)
{
    struct seed s = {
        IOC_TYPE_DOMAIN, value, status, false, expires_at, 0, NULL
    };

    return seed_one(fx, &s, NULL);
}

static void get_ok(struct db *db, int64_t id, struct ioc *out)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (ioc_repo_get(db, id, out, &err) != 0)
        fail_msg("get %lld: %s", (long long)id, err.msg);
}

static enum ioc_status status_of(struct db *db, int64_t id)
{
    return (enum ioc_status)query_ok(db, "SELECT status FROM iocs WHERE id = ?",
                                     &id);
}

/* The newest audit event about indicator id. */
struct event {
    char actor[64];
    char action[64];
    json_t *details;
};

static void last_event(struct db *db, int64_t id, struct event *ev)
{
    static const char sql[] =
        "SELECT actor, action, details FROM audit_events WHERE "
        "object_type = 'ioc' AND object_id = ? ORDER BY id DESC LIMIT 1";
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;
    char idbuf[24];

    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    if (db_prepare(db, sql, &st, &err) != 0)
        fail_msg("%s", err.msg);
    db_bind_text(st, 1, idbuf);
    if (db_step(st, &err) != DB_ROW)
        fail_msg("no audit event for indicator %s %s", idbuf, err.msg);
    snprintf(ev->actor, sizeof(ev->actor), "%s", db_column_text(st, 0));
    snprintf(ev->action, sizeof(ev->action), "%s", db_column_text(st, 1));
    ev->details = json_loads(db_column_text(st, 2), 0, NULL);
    assert_non_null(ev->details);
    db_finalize(st);
}

static const char *detail_str(const struct event *ev, const char *key)
{
    return json_string_value(json_object_get(ev->details, key));
}

/* "[\"review\",\"active\"]": a changed field's [old, new] pair. */
static void assert_pair(const struct event *ev, const char *key,
                        const char *old, const char *new_value)
{
    json_t *pair = json_object_get(ev->details, key);

    assert_non_null(pair);
    assert_string_equal(json_string_value(json_array_get(pair, 0)), old);
    assert_string_equal(json_string_value(json_array_get(pair, 1)), new_value);
}

static int apply(struct fixture *fx, enum actor_kind who, int64_t id,
                 enum ioc_action a, const char *reason, int64_t now,
                 struct iocm_err *err)
{
    struct ioc_transition t = { a, reason, &fx->defaults, now };

    return ioc_lifecycle_apply(fx->st.db, actor(who), id, &t, NULL, err);
}

/* ---- the specification, written out independently of the code ------- */

/* Legal transitions: (action, from) -> to. */
struct legal {
    enum ioc_action action;
    enum ioc_status from;
    enum ioc_status to;
};

static const struct legal legal_moves[] = {
    { IOC_ACTION_SUBMIT, IOC_STATUS_DRAFT, IOC_STATUS_REVIEW },
    { IOC_ACTION_APPROVE, IOC_STATUS_REVIEW, IOC_STATUS_ACTIVE },
    { IOC_ACTION_REJECT, IOC_STATUS_REVIEW, IOC_STATUS_DRAFT },
    { IOC_ACTION_ARCHIVE, IOC_STATUS_ACTIVE, IOC_STATUS_ARCHIVED },
    { IOC_ACTION_RESTORE, IOC_STATUS_ARCHIVED, IOC_STATUS_ACTIVE },
    { IOC_ACTION_FLAG, IOC_STATUS_ACTIVE, IOC_STATUS_REVIEW },
    { IOC_ACTION_FALSE_POSITIVE, IOC_STATUS_DRAFT, IOC_STATUS_ARCHIVED },
    { IOC_ACTION_FALSE_POSITIVE, IOC_STATUS_REVIEW, IOC_STATUS_ARCHIVED },
    { IOC_ACTION_FALSE_POSITIVE, IOC_STATUS_ACTIVE, IOC_STATUS_ARCHIVED },
    { IOC_ACTION_FALSE_POSITIVE, IOC_STATUS_ARCHIVED, IOC_STATUS_ARCHIVED },
    { IOC_ACTION_FALSE_POSITIVE, IOC_STATUS_EXPIRED, IOC_STATUS_ARCHIVED },
};

/* The target of a legal move, or IOC_STATUS_UNSET: a false positive cannot
 * be marked again. */
static enum ioc_status legal_target(enum ioc_action a, enum ioc_status from,
                                    bool is_false_positive)
{
    if (a == IOC_ACTION_FALSE_POSITIVE && is_false_positive)
        return IOC_STATUS_UNSET;
    for (size_t i = 0; i < ARRAY_SIZE(legal_moves); i++)
        if (legal_moves[i].action == a && legal_moves[i].from == from)
            return legal_moves[i].to;
    return IOC_STATUS_UNSET;
}

/* Who may make a transition: 1 yes, 0 no, 2 only on an indicator the
 * analyst created. */
static const int may_table[ACTOR_COUNT][IOC_ACTION_COUNT] = {
    [ACTOR_SYSTEM] = { [IOC_ACTION_SUBMIT] = 1,
                       [IOC_ACTION_APPROVE] = 1,
                       [IOC_ACTION_REJECT] = 1,
                       [IOC_ACTION_ARCHIVE] = 1,
                       [IOC_ACTION_RESTORE] = 1,
                       [IOC_ACTION_FLAG] = 1,
                       [IOC_ACTION_FALSE_POSITIVE] = 1 },
    [ACTOR_VIEWER] = { 0 },
    [ACTOR_VIEWER_REVIEWER] = { 0 },
    [ACTOR_ANALYST_OWNER] = { [IOC_ACTION_SUBMIT] = 2 },
    [ACTOR_ANALYST_OTHER] = { 0 },
    [ACTOR_ANALYST_REVIEWER] = { [IOC_ACTION_SUBMIT] = 1,
                                 [IOC_ACTION_APPROVE] = 1,
                                 [IOC_ACTION_REJECT] = 1,
                                 [IOC_ACTION_ARCHIVE] = 1,
                                 [IOC_ACTION_RESTORE] = 1,
                                 [IOC_ACTION_FLAG] = 1,
                                 [IOC_ACTION_FALSE_POSITIVE] = 1 },
    [ACTOR_ADMIN] = { [IOC_ACTION_SUBMIT] = 1,
                      [IOC_ACTION_APPROVE] = 1,
                      [IOC_ACTION_REJECT] = 1,
                      [IOC_ACTION_ARCHIVE] = 1,
                      [IOC_ACTION_RESTORE] = 1,
                      [IOC_ACTION_FLAG] = 1,
                      [IOC_ACTION_FALSE_POSITIVE] = 1 },
    [ACTOR_ADMIN_DISABLED] = { 0 },
};

/* The states an indicator is put in before each action. */
struct start {
    enum ioc_status status;
    bool is_false_positive;
};

static const struct start starts[] = {
    { IOC_STATUS_DRAFT, false },   { IOC_STATUS_REVIEW, false },
    { IOC_STATUS_ACTIVE, false },  { IOC_STATUS_ARCHIVED, false },
    { IOC_STATUS_ARCHIVED, true }, { IOC_STATUS_EXPIRED, false },
};

static const enum ioc_action transitions[] = {
    IOC_ACTION_SUBMIT,         IOC_ACTION_APPROVE, IOC_ACTION_REJECT,
    IOC_ACTION_ARCHIVE,        IOC_ACTION_RESTORE, IOC_ACTION_FLAG,
    IOC_ACTION_FALSE_POSITIVE,
};

#define MATRIX_SIZE (ACTOR_COUNT * ARRAY_SIZE(transitions) * ARRAY_SIZE(starts))

/* ---- the workflow ------------------------------------------------------ */

/*
 * Every (user kind, transition, starting state): the outcome is EPERM when
 * the user may not, else ESTATE when the workflow does not allow it, else
 * the status the specification names, with one audit event by the user;
 * a refused one changes nothing at all.
 */
static void test_every_transition_for_every_user_and_state(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_count_delta pending;
    int64_t ids[MATRIX_SIZE];
    size_t n = 0, allowed = 0, eperm = 0, estate = 0;

    /* One indicator per combination, seeded in one transaction. */
    ioc_count_delta_init(&pending);
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    for (size_t i = 0; i < MATRIX_SIZE; i++) {
        const struct start *st = &starts[i % ARRAY_SIZE(starts)];
        char value[64];
        struct seed s = {
            IOC_TYPE_DOMAIN, value,     st->status, st->is_false_positive,
            NOW + 30 * DAY,  NOW - DAY, OWNER
        };

        snprintf(value, sizeof(value), "m%zu.example", i);
        ids[i] = seed_one(fx, &s, &pending);
    }
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);
    check_counts(fx->st.db, "seeding");

    for (int who = 0; who < ACTOR_COUNT; who++) {
        for (size_t a = 0; a < ARRAY_SIZE(transitions); a++) {
            for (size_t s = 0; s < ARRAY_SIZE(starts); s++, n++) {
                enum ioc_action act = transitions[a];
                const struct start *st = &starts[s];
                int may = may_table[who][act];
                enum ioc_status to =
                    legal_target(act, st->status, st->is_false_positive);
                int64_t audits = audit_rows(fx->st.db);
                int want = !may                     ? IOCM_EPERM
                           : to == IOC_STATUS_UNSET ? IOCM_ESTATE
                                                    : 0;
                int rc;

                iocm_err_clear(&err);
                rc = apply(fx, who, ids[n], act, "because", NOW, &err);
                if (rc != want)
                    fail_msg("%s %s from %s%s: got %d (%s), want %d",
                             actor_name(who), ioc_action_name(act),
                             ioc_status_name(st->status),
                             st->is_false_positive ? " (false positive)" : "",
                             rc, err.msg, want);
                check_counts(fx->st.db, ioc_action_name(act));
                if (rc < 0) {
                    assert_int_equal(status_of(fx->st.db, ids[n]), st->status);
                    assert_int_equal(audit_rows(fx->st.db), audits);
                    if (rc == IOCM_EPERM) {
                        eperm++;
                        assert_non_null(strstr(err.msg, actor_name(who)));
                        assert_non_null(
                            strstr(err.msg, role_names[actors[who].role]));
                    } else {
                        estate++;
                        assert_non_null(strstr(err.msg, "cannot "));
                    }
                    continue;
                }
                allowed++;
                assert_int_equal(status_of(fx->st.db, ids[n]), to);
                assert_int_equal(audit_rows(fx->st.db), audits + 1);
                {
                    struct event ev;
                    char action[64];

                    last_event(fx->st.db, ids[n], &ev);
                    snprintf(action, sizeof(action), "ioc.%s",
                             act == IOC_ACTION_FALSE_POSITIVE
                                 ? "false_positive"
                                 : ioc_action_name(act));
                    assert_string_equal(ev.action, action);
                    assert_string_equal(ev.actor, actor_name(who));
                    assert_string_equal(detail_str(&ev, "reason"), "because");
                    if (to != st->status)
                        assert_pair(&ev, "status", ioc_status_name(st->status),
                                    ioc_status_name(to));
                    json_decref(ev.details);
                }
            }
        }
    }
    /* The matrix exercised every outcome. */
    assert_true(allowed > 0 && eperm > 0 && estate > 0);
}

/* The pure rules for the plain edits, which the CLI's add, update and
 * delete ask before writing. */
struct may_case {
    enum actor_kind who;
    enum ioc_action action;
    enum ioc_status status; /* of the indicator, or of the new one */
    const char *created_by;
    int want;
};

static const struct may_case may_cases[] = {
    /* create: viewers never; analysts drafts and review only */
    { ACTOR_SYSTEM, IOC_ACTION_CREATE, IOC_STATUS_ACTIVE, NULL, 0 },
    { ACTOR_VIEWER, IOC_ACTION_CREATE, IOC_STATUS_DRAFT, NULL, IOCM_EPERM },
    { ACTOR_VIEWER_REVIEWER, IOC_ACTION_CREATE, IOC_STATUS_DRAFT, NULL,
      IOCM_EPERM },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_CREATE, IOC_STATUS_DRAFT, NULL, 0 },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_CREATE, IOC_STATUS_REVIEW, NULL, 0 },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_CREATE, IOC_STATUS_ACTIVE, NULL,
      IOCM_EPERM },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_CREATE, IOC_STATUS_UNSET, NULL,
      IOCM_EPERM },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_CREATE, IOC_STATUS_ARCHIVED, NULL,
      IOCM_EPERM },
    { ACTOR_ANALYST_REVIEWER, IOC_ACTION_CREATE, IOC_STATUS_ACTIVE, NULL, 0 },
    { ACTOR_ADMIN, IOC_ACTION_CREATE, IOC_STATUS_EXPIRED, NULL, 0 },
    { ACTOR_ADMIN_DISABLED, IOC_ACTION_CREATE, IOC_STATUS_DRAFT, NULL,
      IOCM_EPERM },
    /* edit and delete: analysts their own drafts only */
    { ACTOR_ANALYST_OWNER, IOC_ACTION_EDIT, IOC_STATUS_DRAFT, OWNER, 0 },
    { ACTOR_ANALYST_OWNER, IOC_ACTION_EDIT, IOC_STATUS_REVIEW, OWNER,
      IOCM_EPERM },
    { ACTOR_ANALYST_OWNER, IOC_ACTION_EDIT, IOC_STATUS_ACTIVE, OWNER,
      IOCM_EPERM },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_EDIT, IOC_STATUS_DRAFT, OWNER,
      IOCM_EPERM },
    { ACTOR_ANALYST_OWNER, IOC_ACTION_DELETE, IOC_STATUS_DRAFT, OWNER, 0 },
    { ACTOR_ANALYST_OWNER, IOC_ACTION_DELETE, IOC_STATUS_ACTIVE, OWNER,
      IOCM_EPERM },
    { ACTOR_ANALYST_OTHER, IOC_ACTION_DELETE, IOC_STATUS_DRAFT, OWNER,
      IOCM_EPERM },
    { ACTOR_VIEWER, IOC_ACTION_EDIT, IOC_STATUS_DRAFT, "vic", IOCM_EPERM },
    { ACTOR_VIEWER, IOC_ACTION_DELETE, IOC_STATUS_DRAFT, "vic", IOCM_EPERM },
    { ACTOR_ANALYST_REVIEWER, IOC_ACTION_EDIT, IOC_STATUS_ACTIVE, OWNER, 0 },
    { ACTOR_ANALYST_REVIEWER, IOC_ACTION_DELETE, IOC_STATUS_ACTIVE, OWNER, 0 },
    { ACTOR_ADMIN, IOC_ACTION_EDIT, IOC_STATUS_ARCHIVED, OWNER, 0 },
    { ACTOR_ADMIN, IOC_ACTION_DELETE, IOC_STATUS_EXPIRED, OWNER, 0 },
    { ACTOR_SYSTEM, IOC_ACTION_DELETE, IOC_STATUS_ACTIVE, OWNER, 0 },
    { ACTOR_ADMIN_DISABLED, IOC_ACTION_EDIT, IOC_STATUS_DRAFT, "gone",
      IOCM_EPERM },
    /* setting a status directly is a reviewer's repair */
    { ACTOR_ANALYST_OWNER, IOC_ACTION_SET_STATUS, IOC_STATUS_DRAFT, OWNER,
      IOCM_EPERM },
    { ACTOR_ANALYST_REVIEWER, IOC_ACTION_SET_STATUS, IOC_STATUS_DRAFT, OWNER,
      0 },
    { ACTOR_ADMIN, IOC_ACTION_SET_STATUS, IOC_STATUS_ACTIVE, OWNER, 0 },
    { ACTOR_SYSTEM, IOC_ACTION_SET_STATUS, IOC_STATUS_ACTIVE, OWNER, 0 },
};

static void test_edits_follow_role_and_ownership(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(may_cases); i++) {
        const struct may_case *c = &may_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        struct ioc ioc;
        int rc;

        ioc_init(&ioc);
        ioc.id = 7;
        ioc.type = IOC_TYPE_DOMAIN;
        ioc.value = xstrdup("evil.example");
        ioc.status = c->status;
        ioc.created_by = c->created_by ? xstrdup(c->created_by) : NULL;
        rc = ioc_lifecycle_may(actor(c->who), c->action, &ioc, &err);
        if (rc != c->want)
            fail_msg("case %zu: %s may %s: got %d (%s), want %d", i,
                     actor_name(c->who), ioc_action_name(c->action), rc,
                     err.msg, c->want);
        ioc_release(&ioc);
    }
}

/* The messages name who, with which role, tried what, and the rule. */
static void test_refusals_name_user_role_action_and_states(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t active = seed_domain(fx, "active.example", IOC_STATUS_ACTIVE, 0);
    int64_t draft = seed_domain(fx, "draft.example", IOC_STATUS_DRAFT, 0);
    struct strbuf want = STRBUF_INIT;

    assert_int_equal(apply(fx, ACTOR_ANALYST_OTHER, active, IOC_ACTION_APPROVE,
                           NULL, NOW, &err),
                     IOCM_EPERM);
    strbuf_addf(&want,
                "user 'bob' (analyst) may not approve indicator %lld: only "
                "reviewers and admins approve indicators",
                (long long)active);
    assert_string_equal(err.msg, want.buf);

    strbuf_reset(&want);
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, active, IOC_ACTION_APPROVE, NULL, NOW, &err),
        IOCM_ESTATE);
    strbuf_addf(&want,
                "cannot approve indicator %lld: it is active, not in "
                "review",
                (long long)active);
    assert_string_equal(err.msg, want.buf);

    strbuf_reset(&want);
    assert_int_equal(apply(fx, ACTOR_ANALYST_OWNER, active, IOC_ACTION_SUBMIT,
                           NULL, NOW, &err),
                     IOCM_ESTATE);
    strbuf_addf(&want,
                "cannot submit indicator %lld: it is active, not a "
                "draft",
                (long long)active);
    assert_string_equal(err.msg, want.buf);

    strbuf_reset(&want);
    assert_int_equal(
        apply(fx, ACTOR_VIEWER, draft, IOC_ACTION_SUBMIT, NULL, NOW, &err),
        IOCM_EPERM);
    strbuf_addf(&want,
                "user 'vic' (viewer) may not submit indicator %lld: viewers "
                "only read",
                (long long)draft);
    assert_string_equal(err.msg, want.buf);

    strbuf_reset(&want);
    assert_int_equal(apply(fx, ACTOR_ANALYST_REVIEWER, draft,
                           IOC_ACTION_FALSE_POSITIVE, NULL, NOW, &err),
                     0);
    assert_int_equal(apply(fx, ACTOR_ANALYST_REVIEWER, draft,
                           IOC_ACTION_FALSE_POSITIVE, NULL, NOW, &err),
                     IOCM_ESTATE);
    strbuf_addf(&want,
                "cannot mark indicator %lld as a false positive: it is one "
                "already",
                (long long)draft);
    assert_string_equal(err.msg, want.buf);
    strbuf_release(&want);
}

static void test_reject_needs_a_reason_and_records_it(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = seed_domain(fx, "r.example", IOC_STATUS_REVIEW, 0);
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
    struct event ev;

    dump_store(fx->st.db, &before);
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, id, IOC_ACTION_REJECT, NULL, NOW, &err),
        IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "reason"));
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, id, IOC_ACTION_REJECT, "", NOW, &err),
        IOCM_EINVAL);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);

    assert_int_equal(apply(fx, ACTOR_ADMIN, id, IOC_ACTION_REJECT,
                           "source is a sinkhole", NOW + 60, &err),
                     0);
    assert_int_equal(status_of(fx->st.db, id), IOC_STATUS_DRAFT);
    last_event(fx->st.db, id, &ev);
    assert_string_equal(ev.action, "ioc.reject");
    assert_string_equal(ev.actor, "root");
    assert_string_equal(detail_str(&ev, "reason"), "source is a sinkhole");
    assert_string_equal(detail_str(&ev, "value"), "r.example");
    assert_pair(&ev, "status", "review", "draft");
    json_decref(ev.details);
    strbuf_release(&before);
    strbuf_release(&after);
}

/* Archive and false-positive record why; restore and approve clear it,
 * and renew an expiry that has passed from the TTL policy. */
static void test_transition_effects_on_reason_flag_and_expiry(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t a = seed_domain(fx, "a.example", IOC_STATUS_ACTIVE, NOW + DAY);
    int64_t r = seed_domain(fx, "r.example", IOC_STATUS_REVIEW, NOW - DAY);
    int64_t keep = seed_domain(fx, "k.example", IOC_STATUS_REVIEW, NOW + DAY);
    struct ioc got;

    assert_int_equal(
        apply(fx, ACTOR_ADMIN, a, IOC_ACTION_ARCHIVE, NULL, NOW, &err), 0);
    get_ok(fx->st.db, a, &got);
    assert_string_equal(got.expiry_reason, "archived");
    assert_string_equal(got.updated_by, "root");
    assert_int_equal(got.updated_at, NOW);
    ioc_release(&got);

    assert_int_equal(apply(fx, ACTOR_ADMIN, a, IOC_ACTION_FALSE_POSITIVE,
                           "benign CDN", NOW, &err),
                     0);
    get_ok(fx->st.db, a, &got);
    assert_int_equal(got.status, IOC_STATUS_ARCHIVED);
    assert_true(got.is_false_positive);
    assert_string_equal(got.expiry_reason, "false_positive");
    ioc_release(&got);

    /* Restoring a false positive takes the verdict back. */
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, a, IOC_ACTION_RESTORE, NULL, NOW, &err), 0);
    get_ok(fx->st.db, a, &got);
    assert_int_equal(got.status, IOC_STATUS_ACTIVE);
    assert_false(got.is_false_positive);
    assert_null(got.expiry_reason);
    assert_int_equal(got.expires_at, NOW + DAY); /* still ahead: kept */
    ioc_release(&got);

    /* Approved after its expiry: a fresh one (domains: 90 days). */
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, r, IOC_ACTION_APPROVE, NULL, NOW, &err), 0);
    get_ok(fx->st.db, r, &got);
    assert_int_equal(got.expires_at, NOW + 90 * DAY);
    ioc_release(&got);
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, keep, IOC_ACTION_APPROVE, NULL, NOW, &err), 0);
    get_ok(fx->st.db, keep, &got);
    assert_int_equal(got.expires_at, NOW + DAY);
    ioc_release(&got);
    check_counts(fx->st.db, "effects");
}

static void test_transition_hands_back_the_stored_record(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = seed_domain(fx, "d.example", IOC_STATUS_DRAFT, 0);
    struct ioc_transition t = { IOC_ACTION_SUBMIT, NULL, NULL, NOW + 5 };
    struct ioc out, stored;

    ioc_init(&out);
    assert_int_equal(ioc_lifecycle_apply(fx->st.db,
                                         &actors[ACTOR_ANALYST_OWNER], id, &t,
                                         &out, &err),
                     0);
    get_ok(fx->st.db, id, &stored);
    assert_int_equal(out.id, id);
    assert_int_equal(out.status, IOC_STATUS_REVIEW);
    assert_int_equal(out.updated_at, stored.updated_at);
    assert_string_equal(out.updated_by, stored.updated_by);
    assert_string_equal(out.updated_by, OWNER);
    ioc_release(&out);
    ioc_release(&stored);
}

static void test_transition_of_a_missing_indicator_fails(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;

    assert_int_equal(
        apply(fx, ACTOR_SYSTEM, 4242, IOC_ACTION_ARCHIVE, NULL, NOW, &err),
        IOCM_ENOENT);
    assert_int_equal(audit_rows(fx->st.db), 0);
    assert_int_equal(
        apply(fx, ACTOR_SYSTEM, 1, IOC_ACTION_EDIT, NULL, NOW, &err),
        IOCM_EINVAL);
}

/* When the audit write fails, the status change goes with it. */
static void test_failed_transition_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = seed_domain(fx, "f.example", IOC_STATUS_ACTIVE, 0);
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

    dump_store(fx->st.db, &before);
    set_table_failing(fx->st.db, "audit_events", true);
    assert_int_equal(
        apply(fx, ACTOR_ADMIN, id, IOC_ACTION_ARCHIVE, NULL, NOW, &err),
        IOCM_EDB);
    set_table_failing(fx->st.db, "audit_events", false);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);
    strbuf_release(&before);
    strbuf_release(&after);
}

struct initial_case {
    enum actor_kind who;
    enum ioc_status want;
};

static void test_initial_status_is_draft_for_plain_analysts(void **state)
{
    static const struct initial_case cases[] = {
        { ACTOR_SYSTEM, IOC_STATUS_ACTIVE },
        { ACTOR_ANALYST_OTHER, IOC_STATUS_DRAFT },
        { ACTOR_ANALYST_REVIEWER, IOC_STATUS_ACTIVE },
        { ACTOR_ADMIN, IOC_STATUS_ACTIVE },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(ioc_lifecycle_initial_status(actor(cases[i].who)),
                         cases[i].want);
}

struct name_case {
    const char *name;
    enum ioc_action action;
};

static void test_action_names_round_trip(void **state)
{
    static const struct name_case cases[] = {
        { "submit", IOC_ACTION_SUBMIT },
        { "approve", IOC_ACTION_APPROVE },
        { "reject", IOC_ACTION_REJECT },
        { "archive", IOC_ACTION_ARCHIVE },
        { "restore", IOC_ACTION_RESTORE },
        { "flag", IOC_ACTION_FLAG },
        { "false-positive", IOC_ACTION_FALSE_POSITIVE },
    };
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_action a;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(ioc_action_parse(cases[i].name, &a, &err), 0);
        assert_int_equal(a, cases[i].action);
        assert_string_equal(ioc_action_name(a), cases[i].name);
        assert_true(ioc_action_is_transition(a));
    }
    assert_false(ioc_action_is_transition(IOC_ACTION_EDIT));
    assert_int_equal(ioc_action_parse("bless", &a, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "'bless'"));
}

/* ---- iocm expire ------------------------------------------------------ */

static int expire(struct fixture *fx, const struct ioc_expire_opts *o,
                  struct ioc_expire_result *res)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int rc = ioc_lifecycle_expire(fx->st.db, o, res, &err);

    if (rc != 0)
        fail_msg("expire: %s", err.msg);
    check_counts(fx->st.db, "expire");
    return rc;
}

/* Exactly at now is expired; one second later is not; no expiry never. */
static void test_expire_takes_active_at_or_before_now(void **state)
{
    static const struct seed seeds[] = {
        { IOC_TYPE_IPV4, "198.51.100.1", IOC_STATUS_ACTIVE, false, NOW - 1, 0,
          NULL },
        { IOC_TYPE_IPV4, "198.51.100.2", IOC_STATUS_ACTIVE, false, NOW, 0,
          NULL },
        { IOC_TYPE_URL, "https://e.example/", IOC_STATUS_ACTIVE, false,
          NOW - 10 * DAY, 0, NULL },
        { IOC_TYPE_IPV4, "198.51.100.3", IOC_STATUS_ACTIVE, false, NOW + 1, 0,
          NULL },
        { IOC_TYPE_IPV4, "198.51.100.4", IOC_STATUS_ACTIVE, false, 0, 0, NULL },
        /* Not active: never touched by expiry. */
        { IOC_TYPE_IPV4, "198.51.100.5", IOC_STATUS_DRAFT, false, NOW - 1, 0,
          NULL },
        { IOC_TYPE_IPV4, "198.51.100.6", IOC_STATUS_ARCHIVED, false, NOW - 1, 0,
          NULL },
        { IOC_TYPE_IPV4, "198.51.100.7", IOC_STATUS_REVIEW, false, NOW - 1, 0,
          NULL },
    };
    static const enum ioc_status want[] = {
        IOC_STATUS_EXPIRED,  IOC_STATUS_EXPIRED, IOC_STATUS_EXPIRED,
        IOC_STATUS_ACTIVE,   IOC_STATUS_ACTIVE,  IOC_STATUS_DRAFT,
        IOC_STATUS_ARCHIVED, IOC_STATUS_REVIEW,
    };
    struct fixture *fx = *state;
    struct ioc_expire_opts o = { .now = NOW, .expire = true };
    struct ioc_expire_result res;
    int64_t ids[ARRAY_SIZE(seeds)];
    int64_t audits;

    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++)
        ids[i] = seed_one(fx, &seeds[i], NULL);
    audits = audit_rows(fx->st.db);
    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, 3);
    assert_int_equal(res.expired[IOC_TYPE_IPV4], 2);
    assert_int_equal(res.expired[IOC_TYPE_URL], 1);
    assert_int_equal(res.drafts_archived_total, 0);
    assert_int_equal(res.audit_purged, 0);
    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        struct ioc got;

        get_ok(fx->st.db, ids[i], &got);
        if (got.status != want[i])
            fail_msg("%s: status %s, want %s", got.value,
                     ioc_status_name(got.status), ioc_status_name(want[i]));
        if (want[i] == IOC_STATUS_EXPIRED) {
            struct event ev;

            assert_string_equal(got.expiry_reason, "auto_expired");
            assert_string_equal(got.updated_by, "system");
            assert_int_equal(got.updated_at, NOW);
            last_event(fx->st.db, ids[i], &ev);
            assert_string_equal(ev.actor, "system");
            assert_string_equal(ev.action, "ioc.expire");
            assert_string_equal(detail_str(&ev, "reason"), "auto_expired");
            assert_string_equal(detail_str(&ev, "value"), got.value);
            assert_pair(&ev, "status", "active", "expired");
            json_decref(ev.details);
        }
        ioc_release(&got);
    }
    /* One event per expired indicator, nothing else. */
    assert_int_equal(audit_rows(fx->st.db), audits + 3);
}

static void test_expire_twice_changes_nothing_the_second_time(void **state)
{
    struct fixture *fx = *state;
    struct ioc_expire_opts o = { .now = NOW, .expire = true };
    struct ioc_expire_result res;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

    seed_domain(fx, "a.example", IOC_STATUS_ACTIVE, NOW - DAY);
    seed_domain(fx, "b.example", IOC_STATUS_ACTIVE, NOW + DAY);
    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, 1);
    dump_store(fx->st.db, &before);
    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, 0);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);
    /* Later, the second one's time comes. */
    o.now = NOW + DAY;
    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, 1);
    strbuf_release(&before);
    strbuf_release(&after);
}

static void test_dry_run_counts_and_writes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct ioc_expire_opts o = { .now = NOW,
                                 .is_dry_run = true,
                                 .expire = true,
                                 .draft_retention_days = 30,
                                 .audit_retention_days = 1 };
    struct ioc_expire_result dry, real;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
    struct seed old_draft = {
        IOC_TYPE_DOMAIN, "old.example", IOC_STATUS_DRAFT, false, 0,
        NOW - 40 * DAY,  NULL
    };

    seed_domain(fx, "a.example", IOC_STATUS_ACTIVE, NOW - DAY);
    seed_domain(fx, "b.example", IOC_STATUS_ACTIVE, NOW);
    seed_one(fx, &old_draft, NULL);
    dump_store(fx->st.db, &before);
    expire(fx, &o, &dry);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);
    assert_int_equal(dry.expired_total, 2);
    assert_int_equal(dry.expired[IOC_TYPE_DOMAIN], 2);
    assert_int_equal(dry.drafts_archived_total, 1);
    assert_int_equal(dry.audit_purged, 1); /* old.example's ioc.create */

    o.is_dry_run = false;
    expire(fx, &o, &real);
    assert_memory_equal(&dry, &real, sizeof(dry));
    strbuf_release(&before);
    strbuf_release(&after);
}

static void test_disabled_expiry_writes_nothing(void **state)
{
    struct fixture *fx = *state;
    struct ioc_expire_opts o = { .now = NOW, .expire = false };
    struct ioc_expire_result res;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

    seed_domain(fx, "a.example", IOC_STATUS_ACTIVE, NOW - DAY);
    dump_store(fx->st.db, &before);
    expire(fx, &o, &res);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);
    assert_int_equal(res.expired_total, 0);
    strbuf_release(&before);
    strbuf_release(&after);
}

/* Drafts untouched for exactly the retention period are archived; one
 * second younger stay; other statuses are not drafts. */
static void test_draft_retention_archives_stale_drafts(void **state)
{
    static const struct seed seeds[] = {
        { IOC_TYPE_DOMAIN, "stale.example", IOC_STATUS_DRAFT, false, 0,
          NOW - 30 * DAY, NULL },
        { IOC_TYPE_IPV4, "203.0.113.1", IOC_STATUS_DRAFT, false, 0,
          NOW - 400 * DAY, NULL },
        { IOC_TYPE_DOMAIN, "fresh.example", IOC_STATUS_DRAFT, false, 0,
          NOW - 30 * DAY + 1, NULL },
        { IOC_TYPE_DOMAIN, "review.example", IOC_STATUS_REVIEW, false, 0,
          NOW - 400 * DAY, NULL },
    };
    static const enum ioc_status want[] = {
        IOC_STATUS_ARCHIVED,
        IOC_STATUS_ARCHIVED,
        IOC_STATUS_DRAFT,
        IOC_STATUS_REVIEW,
    };
    struct fixture *fx = *state;
    struct ioc_expire_opts o = { .now = NOW, .draft_retention_days = 0 };
    struct ioc_expire_result res;
    int64_t ids[ARRAY_SIZE(seeds)];

    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++)
        ids[i] = seed_one(fx, &seeds[i], NULL);
    /* Off by default: nothing happens. */
    expire(fx, &o, &res);
    assert_int_equal(res.drafts_archived_total, 0);
    assert_int_equal(status_of(fx->st.db, ids[0]), IOC_STATUS_DRAFT);

    o.draft_retention_days = 30;
    expire(fx, &o, &res);
    assert_int_equal(res.drafts_archived_total, 2);
    assert_int_equal(res.drafts_archived[IOC_TYPE_DOMAIN], 1);
    assert_int_equal(res.drafts_archived[IOC_TYPE_IPV4], 1);
    assert_int_equal(res.expired_total, 0);
    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++)
        assert_int_equal(status_of(fx->st.db, ids[i]), want[i]);
    /* Archived, the drafts are new indicators of their creation hour. */
    check_counts(fx->st.db, "draft retention");
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT SUM(n) FROM ioc_new_hourly WHERE dim = 1",
                              NULL),
                     3);
    {
        struct event ev;
        struct ioc got;

        get_ok(fx->st.db, ids[0], &got);
        assert_string_equal(got.expiry_reason, "draft_retention");
        ioc_release(&got);
        last_event(fx->st.db, ids[0], &ev);
        assert_string_equal(ev.actor, "system");
        assert_string_equal(ev.action, "ioc.archive");
        assert_string_equal(detail_str(&ev, "reason"), "draft_retention");
        assert_int_equal(
            json_integer_value(json_object_get(ev.details, "retention_days")),
            30);
        json_decref(ev.details);
    }
}

static void test_audit_retention_purges_old_events_and_says_so(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_expire_opts o = { .now = NOW, .audit_retention_days = 10 };
    struct ioc_expire_result res;
    static const int64_t ages[] = { 11 * DAY, 10 * DAY + 1, 10 * DAY, 9 * DAY };

    for (size_t i = 0; i < ARRAY_SIZE(ages); i++)
        assert_int_equal(audit_log(fx->st.db, NOW - ages[i], "system", "test",
                                   "test", NULL, NULL, &err),
                         0);
    expire(fx, &o, &res);
    /* Older than ten days: the first two; exactly ten days is kept. */
    assert_int_equal(res.audit_purged, 2);
    assert_int_equal(
        query_ok(fx->st.db,
                 "SELECT COUNT(*) FROM audit_events WHERE action = 'test'",
                 NULL),
        2);
    assert_int_equal(
        query_ok(fx->st.db,
                 "SELECT COUNT(*) FROM audit_events WHERE action = "
                 "'audit.purge' AND actor = 'system'",
                 NULL),
        1);
    check_counts(fx->st.db, "audit purge");
    /* Nothing left to purge: no event either. */
    expire(fx, &o, &res);
    assert_int_equal(res.audit_purged, 0);
    assert_int_equal(audit_rows(fx->st.db), 3);
}

/* More rows than one batch: all of them, in one transaction, exactly
 * counted. */
static void test_expire_runs_through_many_batches(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_expire_opts o = { .now = NOW, .expire = true };
    struct ioc_expire_result res;
    struct ioc_count_delta pending;
    enum { N = 1234 };

    ioc_count_delta_init(&pending);
    assert_int_equal(db_begin(fx->st.db, &err), 0);
    for (int i = 0; i < N; i++) {
        char value[32];
        struct seed s = { IOC_TYPE_IPV4, value,   IOC_STATUS_ACTIVE,
                          false,         NOW - i, 0,
                          NULL };

        snprintf(value, sizeof(value), "10.%d.%d.%d", i / 65536,
                 (i / 256) % 256, i % 256);
        seed_one(fx, &s, &pending);
    }
    /* One to keep. */
    {
        struct seed s = { IOC_TYPE_IPV4, "192.0.2.1", IOC_STATUS_ACTIVE,
                          false,         NOW + 1,     0,
                          NULL };

        seed_one(fx, &s, &pending);
    }
    assert_int_equal(ioc_counts_apply(fx->st.db, &pending, &err), 0);
    assert_int_equal(db_commit(fx->st.db, &err), 0);

    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, N);
    assert_int_equal(res.expired[IOC_TYPE_IPV4], N);
    assert_int_equal(query_ok(fx->st.db,
                              "SELECT COUNT(*) FROM audit_events WHERE "
                              "action = 'ioc.expire'",
                              NULL),
                     N);
    assert_int_equal(
        query_ok(fx->st.db, "SELECT COUNT(*) FROM iocs WHERE status = 2", NULL),
        1);
}

/* A failure half-way leaves the store as it was: one transaction. */
static void test_failed_expire_rolls_back_whole(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_expire_opts o = { .now = NOW, .expire = true };
    struct ioc_expire_result res;
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

    seed_domain(fx, "a.example", IOC_STATUS_ACTIVE, NOW - DAY);
    seed_domain(fx, "b.example", IOC_STATUS_ACTIVE, NOW - DAY);
    dump_store(fx->st.db, &before);
    set_table_failing(fx->st.db, "audit_events", true);
    assert_int_equal(ioc_lifecycle_expire(fx->st.db, &o, &res, &err), IOCM_EDB);
    set_table_failing(fx->st.db, "audit_events", false);
    dump_store(fx->st.db, &after);
    assert_string_equal(before.buf, after.buf);
    assert_int_equal(res.expired_total, 0);
    strbuf_release(&before);
    strbuf_release(&after);
}

/* Seen again after expiry: active, a fresh expiry, and the log says so. */
static void test_expired_indicator_seen_again_is_reactivated(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct ioc_expire_opts o = { .now = NOW, .expire = true };
    struct ioc_expire_result res;
    struct seed s = { IOC_TYPE_IPV4, "198.51.100.9", IOC_STATUS_ACTIVE,
                      false,         NOW - 1,        NOW - 40 * DAY,
                      NULL };
    int64_t id = seed_one(fx, &s, NULL), again = 0;
    enum ioc_upsert_outcome outcome;
    struct ioc in, got;
    struct event ev;
    struct ioc_upsert_opts uo = { .defaults = &fx->defaults,
                                  .actor = "bob",
                                  .now = NOW + DAY,
                                  .audit = true };

    expire(fx, &o, &res);
    assert_int_equal(status_of(fx->st.db, id), IOC_STATUS_EXPIRED);
    ioc_init(&in);
    in.type = IOC_TYPE_IPV4;
    in.value = xstrdup("198.51.100.9");
    assert_int_equal(
        ioc_repo_upsert(fx->st.db, &in, &uo, &again, &outcome, &err), 0);
    ioc_release(&in);
    check_counts(fx->st.db, "reactivation");
    assert_int_equal(again, id);
    assert_int_equal(outcome, IOC_UPSERT_REACTIVATED);
    get_ok(fx->st.db, id, &got);
    assert_int_equal(got.status, IOC_STATUS_ACTIVE);
    assert_int_equal(got.expires_at, NOW + DAY + 30 * DAY);
    assert_int_equal(got.last_seen, NOW + DAY);
    assert_null(got.expiry_reason);
    ioc_release(&got);
    last_event(fx->st.db, id, &ev);
    assert_string_equal(ev.action, "ioc.reactivate");
    assert_string_equal(ev.actor, "bob");
    json_decref(ev.details);
    /* And it is not expired again by the next run. */
    o.now = NOW + DAY;
    expire(fx, &o, &res);
    assert_int_equal(res.expired_total, 0);
}

/* ---- running ---------------------------------------------------------- */

#define CASE(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

static const struct CMUnitTest backend_cases[] = {
    CASE(test_every_transition_for_every_user_and_state),
    CASE(test_refusals_name_user_role_action_and_states),
    CASE(test_reject_needs_a_reason_and_records_it),
    CASE(test_transition_effects_on_reason_flag_and_expiry),
    CASE(test_transition_hands_back_the_stored_record),
    CASE(test_transition_of_a_missing_indicator_fails),
    CASE(test_failed_transition_leaves_nothing),
    CASE(test_expire_takes_active_at_or_before_now),
    CASE(test_expire_twice_changes_nothing_the_second_time),
    CASE(test_dry_run_counts_and_writes_nothing),
    CASE(test_disabled_expiry_writes_nothing),
    CASE(test_draft_retention_archives_stale_drafts),
    CASE(test_audit_retention_purges_old_events_and_says_so),
    CASE(test_expire_runs_through_many_batches),
    CASE(test_failed_expire_rolls_back_whole),
    CASE(test_expired_indicator_seen_again_is_reactivated),
};

static const struct CMUnitTest pure_cases[] = {
    cmocka_unit_test(test_edits_follow_role_and_ownership),
    cmocka_unit_test(test_initial_status_is_draft_for_plain_analysts),
    cmocka_unit_test(test_action_names_round_trip),
};

int main(void)
{
    int failed;

    jsonx_init();
    failed =
        cmocka_run_group_tests_name("lifecycle rules", pure_cases, NULL, NULL);
    failed +=
        run_on_backends("lifecycle", backend_cases, ARRAY_SIZE(backend_cases));
    return failed;
}
