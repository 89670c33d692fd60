/*
 * Unit tests for users and API tokens (user/user.h): name and password
 * rules, argon2id hashing, authentication that never tells which part was
 * wrong, roles, tokens stored only as hashes, and audit events that share
 * the transaction of each change. The store cases run on SQLite and, when
 * IOCM_TEST_PG_URL names a database, on PostgreSQL. Hashing costs about
 * 0.1 s, so fixtures insert users with one hash computed once.
 */
#include <ctype.h>
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
#include <sodium.h>

#include "audit/audit.h"
#include "db/db.h"
#include "store_testlib.h"
#include "user/user.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define NOW INT64_C(1700000000)

/* The password of every fixture user. */
#define PASSWORD "correct horse battery"

/* What each case starts with: a migrated, empty store. */
struct fixture {
    struct test_store st;
};

/* The hash of PASSWORD, made once for the whole run. */
static struct strbuf password_hash = STRBUF_INIT;

static const char *fixture_hash(void)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (!password_hash.len &&
        user_password_hash(PASSWORD, &password_hash, &err) != 0)
        fail_msg("hash: %s", err.msg);
    return password_hash.buf;
}

/* ---- store helpers ---------------------------------------------------- */

static int64_t audit_rows(struct db *db)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t n = -1;

    if (db_query_int64(db, "SELECT COUNT(*) FROM audit_events", NULL, &n,
                       &err) != 0)
        fail_msg("count: %s", err.msg);
    return n;
}

/* Everything a failed change must leave as it was. */
static void dump_store(struct db *db, struct strbuf *out)
{
    static const char *const sql[] = {
        "SELECT * FROM users ORDER BY id",
        "SELECT * FROM api_tokens ORDER BY id",
        "SELECT * FROM audit_events ORDER BY id",
    };

    for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
        strbuf_addf(out, "-- %s\n", sql[i]);
        dump_query(db, sql[i], out);
    }
}

/* The newest audit event as "actor action object_type object_id details". */
static int keep_first_event(const struct audit_event *ev, void *data)
{
    struct strbuf *out = data;

    if (!out->len)
        strbuf_addf(out, "%s %s %s %s %s", ev->actor, ev->action,
                    ev->object_type, ev->object_id ? ev->object_id : "NULL",
                    ev->details);
    return 0;
}

static void last_event(struct db *db, struct strbuf *out)
{
    struct audit_query q = { 0 };
    struct iocm_err err = IOCM_ERR_INIT;

    strbuf_reset(out);
    if (audit_each(db, &q, keep_first_event, out, &err) != 0)
        fail_msg("audit_each: %s", err.msg);
}

static int fixture_setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *fx = xcalloc(1, sizeof(*fx));

    test_store_open(&fx->st, be, "user");
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

static const char sql_add_user[] =
    "INSERT INTO users (username, password_hash, role, is_reviewer, "
    "is_disabled, created_at, updated_at) VALUES (?, ?, 'analyst', 0, ?, ?, ?)";

/* Stores a user whose password is PASSWORD, without hashing again. */
static void add_user(struct db *db, const char *name, bool is_disabled)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;

    if (db_prepare(db, sql_add_user, &st, &err) != 0)
        fail_msg("%s", err.msg);
    db_bind_text(st, 1, name);
    db_bind_text(st, 2, fixture_hash());
    db_bind_int64(st, 3, is_disabled);
    db_bind_int64(st, 4, NOW);
    db_bind_int64(st, 5, NOW);
    if (db_step(st, &err) != DB_DONE)
        fail_msg("add user %s: %s", name, err.msg);
    db_finalize(st);
}

static void stored_hash(struct db *db, const char *name, struct strbuf *out)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st = NULL;

    if (db_prepare(db, "SELECT password_hash FROM users WHERE username = ?",
                   &st, &err) != 0)
        fail_msg("%s", err.msg);
    db_bind_text(st, 1, name);
    assert_int_equal(db_step(st, &err), DB_ROW);
    strbuf_reset(out);
    strbuf_addstr(out, db_column_text(st, 0));
    db_finalize(st);
}

static void find_ok(struct db *db, const char *name, struct user *out)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (user_find(db, name, out, &err) != 0)
        fail_msg("find %s: %s", name, err.msg);
}

static int64_t token_ok(struct db *db, const char *user, const char *name,
                        struct strbuf *token)
{
    struct iocm_err err = IOCM_ERR_INIT;
    int64_t id = 0;

    strbuf_reset(token);
    if (user_token_create(db, user, name, "admin", NOW, token, &id, &err) != 0)
        fail_msg("token for %s: %s", user, err.msg);
    return id;
}

/* ---- rules that need no store ----------------------------------------- */

struct name_case {
    const char *name;
    bool is_valid;
};

static const struct name_case name_cases[] = {
    { "alice", true },
    { "a", true },
    { "0day", true },
    { "bob.smith", true },
    { "x_y-z", true },
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      true }, /* 64 */
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      false }, /* 65 */
    { "", false },
    { ".alice", false },
    { "-alice", false },
    { "_alice", false },
    { "Alice", false },
    { "alicE", false },
    { "al ice", false },
    { "alice!", false },
    { "a/b", false },
    { "al\xc3\xaf"
      "ce",
      false },
    { "system", false },
    { "systems", true },
};

static void test_user_names_follow_the_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(name_cases); i++) {
        const struct name_case *c = &name_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        int rc = user_name_check(c->name, &err);

        if (c->is_valid && rc != 0)
            fail_msg("'%s' refused: %s", c->name, err.msg);
        if (!c->is_valid &&
            (rc != IOCM_EINVAL || !strstr(err.msg, "invalid user name")))
            fail_msg("'%s' accepted (rc %d, '%s')", c->name, rc, err.msg);
    }
}

struct password_case {
    size_t len;
    int want;
};

static const struct password_case password_cases[] = {
    { 0, IOCM_EINVAL }, { 7, IOCM_EINVAL },    { 8, 0 },
    { 1024, 0 },        { 1025, IOCM_EINVAL },
};

static void test_password_length_is_8_to_1024_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(password_cases); i++) {
        const struct password_case *c = &password_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        char *pw = xmalloc(c->len + 1);

        memset(pw, 'p', c->len);
        pw[c->len] = '\0';
        if (user_password_check(pw, &err) != c->want)
            fail_msg("password of %zu bytes: '%s'", c->len, err.msg);
        free(pw);
    }
}

struct role_case {
    const char *text;
    int want; /* enum user_role, or -1 when refused */
};

static const struct role_case role_cases[] = {
    { "viewer", USER_ROLE_VIEWER },
    { "analyst", USER_ROLE_ANALYST },
    { "admin", USER_ROLE_ADMIN },
    { "ADMIN", USER_ROLE_ADMIN },
    { "Analyst", USER_ROLE_ANALYST },
    { "root", -1 },
    { "", -1 },
    { "admins", -1 },
};

static void test_roles_parse_case_insensitively(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(role_cases); i++) {
        const struct role_case *c = &role_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        enum user_role role = USER_ROLE_VIEWER;
        int rc = user_role_parse(c->text, &role, &err);

        if (c->want < 0) {
            assert_int_equal(rc, IOCM_EINVAL);
            assert_non_null(strstr(err.msg, "invalid role"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(role, c->want);
        }
    }
    assert_string_equal(user_role_name(USER_ROLE_VIEWER), "viewer");
    assert_string_equal(user_role_name(USER_ROLE_ANALYST), "analyst");
    assert_string_equal(user_role_name(USER_ROLE_ADMIN), "admin");
}

static void test_password_hash_is_salted_argon2id(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf again = STRBUF_INIT;
    const char *hash = fixture_hash();

    (void)state;
    assert_int_equal(strncmp(hash, "$argon2id$", 10), 0);
    assert_null(strstr(hash, PASSWORD));
    assert_int_equal(user_password_hash(PASSWORD, &again, &err), 0);
    assert_int_equal(strncmp(again.buf, "$argon2id$", 10), 0);
    /* A fresh salt each time. */
    assert_string_not_equal(again.buf, hash);
    assert_true(user_password_verify(hash, PASSWORD));
    assert_true(user_password_verify(again.buf, PASSWORD));
    assert_false(user_password_verify(hash, "correct horse battery!"));
    assert_false(user_password_verify(NULL, PASSWORD));
    assert_false(user_password_verify("", PASSWORD));
    assert_false(user_password_verify("$argon2id$garbage", PASSWORD));
    strbuf_release(&again);
}

/* ---- users in the store ----------------------------------------------- */

static void test_create_stores_a_hash_and_audits(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf hash = STRBUF_INIT, ev = STRBUF_INIT;
    struct user u;
    int64_t id = 0, n = 0;

    assert_int_equal(user_create(fx->st.db, "alice", "s3cret pass",
                                 USER_ROLE_ANALYST, true, "admin", NOW, &id,
                                 &err),
                     0);
    assert_true(id > 0);
    find_ok(fx->st.db, "alice", &u);
    assert_int_equal(u.id, id);
    assert_string_equal(u.username, "alice");
    assert_int_equal(u.role, USER_ROLE_ANALYST);
    assert_true(u.is_reviewer);
    assert_false(u.is_disabled);
    assert_int_equal(u.created_at, NOW);
    assert_int_equal(u.updated_at, NOW);
    user_release(&u);
    stored_hash(fx->st.db, "alice", &hash);
    assert_int_equal(strncmp(hash.buf, "$argon2id$", 10), 0);
    assert_null(strstr(hash.buf, "s3cret"));
    last_event(fx->st.db, &ev);
    assert_string_equal(ev.buf, "admin user.create user alice "
                                "{\"reviewer\":true,\"role\":\"analyst\"}");
    assert_int_equal(user_count(fx->st.db, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(user_find(fx->st.db, "bob", &u, &err), IOCM_ENOENT);
    assert_string_equal(err.msg, "no user 'bob'");
    strbuf_release(&hash);
    strbuf_release(&ev);
}

struct create_refusal {
    const char *username;
    const char *password;
    int want;
    const char *want_msg; /* a part of the message */
};

static const struct create_refusal create_refusals[] = {
    { "alice", "another pass", IOCM_EEXIST, "user 'alice' exists already" },
    { "Alice", "another pass", IOCM_EINVAL, "invalid user name 'Alice'" },
    { "system", "another pass", IOCM_EINVAL, "reserved" },
    { "bob", "short", IOCM_EINVAL, "password too short" },
};

static void test_create_refuses_duplicates_and_bad_input(void **state)
{
    struct fixture *fx = *state;

    add_user(fx->st.db, "alice", false);
    for (size_t i = 0; i < ARRAY_SIZE(create_refusals); i++) {
        const struct create_refusal *c = &create_refusals[i];
        struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t id = -1;
        int rc;

        dump_store(fx->st.db, &before);
        rc = user_create(fx->st.db, c->username, c->password, USER_ROLE_ADMIN,
                         false, "admin", NOW, &id, &err);
        if (rc != c->want || !strstr(err.msg, c->want_msg))
            fail_msg("create '%s': rc %d, '%s'", c->username, rc, err.msg);
        assert_int_equal(id, -1);
        dump_store(fx->st.db, &after);
        assert_string_equal(after.buf, before.buf);
        strbuf_release(&before);
        strbuf_release(&after);
    }
}

struct auth_case {
    const char *name;
    const char *username;
    const char *password;
    int want;
};

static const struct auth_case auth_cases[] = {
    { "the right password", "alice", PASSWORD, 0 },
    { "a wrong password", "alice", "wrong horse battery", IOCM_EPERM },
    { "an unknown user", "nobody", PASSWORD, IOCM_EPERM },
    { "a disabled user", "dave", PASSWORD, IOCM_EPERM },
};

static void test_authenticate_gives_one_answer_for_every_failure(void **state)
{
    struct fixture *fx = *state;

    add_user(fx->st.db, "alice", false);
    add_user(fx->st.db, "dave", true);
    for (size_t i = 0; i < ARRAY_SIZE(auth_cases); i++) {
        const struct auth_case *c = &auth_cases[i];
        struct iocm_err err = IOCM_ERR_INIT;
        struct user u = { 0 };
        int rc =
            user_authenticate(fx->st.db, c->username, c->password, &u, &err);

        if (rc != c->want)
            fail_msg("%s: rc %d, '%s'", c->name, rc, err.msg);
        if (rc == 0) {
            assert_string_equal(u.username, c->username);
            user_release(&u);
        } else {
            assert_string_equal(err.msg, "invalid user name or password");
            assert_null(u.username);
        }
    }
}

static void test_set_password_replaces_the_hash(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf hash = STRBUF_INIT, ev = STRBUF_INIT;
    struct user u;
    int64_t events;

    add_user(fx->st.db, "alice", false);
    assert_int_equal(user_set_password(fx->st.db, "alice", "new pass phrase",
                                       "admin", NOW + 5, &err),
                     0);
    stored_hash(fx->st.db, "alice", &hash);
    assert_int_equal(strncmp(hash.buf, "$argon2id$", 10), 0);
    assert_true(user_password_verify(hash.buf, "new pass phrase"));
    assert_false(user_password_verify(hash.buf, PASSWORD));
    find_ok(fx->st.db, "alice", &u);
    assert_int_equal(u.updated_at, NOW + 5);
    user_release(&u);
    last_event(fx->st.db, &ev);
    assert_string_equal(ev.buf, "admin user.passwd user alice {}");

    events = audit_rows(fx->st.db);
    assert_int_equal(
        user_set_password(fx->st.db, "alice", "short", "admin", NOW, &err),
        IOCM_EINVAL);
    assert_int_equal(user_set_password(fx->st.db, "nobody", "long enough pass",
                                       "admin", NOW, &err),
                     IOCM_ENOENT);
    assert_string_equal(err.msg, "no user 'nobody'");
    assert_int_equal(audit_rows(fx->st.db), events);
    strbuf_release(&hash);
    strbuf_release(&ev);
}

static void test_disabled_users_cannot_act(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf ev = STRBUF_INIT;
    struct user u;
    int64_t events;

    add_user(fx->st.db, "alice", false);
    assert_int_equal(user_resolve_actor(fx->st.db, "alice", &u, &err), 0);
    user_release(&u);

    assert_int_equal(
        user_set_disabled(fx->st.db, "alice", true, "admin", NOW + 1, &err), 0);
    last_event(fx->st.db, &ev);
    assert_string_equal(ev.buf, "admin user.disable user alice {}");
    find_ok(fx->st.db, "alice", &u);
    assert_true(u.is_disabled);
    assert_int_equal(u.updated_at, NOW + 1);
    user_release(&u);
    assert_int_equal(user_resolve_actor(fx->st.db, "alice", &u, &err),
                     IOCM_EPERM);
    assert_string_equal(err.msg, "user 'alice' is disabled");
    assert_null(u.username);

    assert_int_equal(
        user_set_disabled(fx->st.db, "alice", false, "admin", NOW + 2, &err),
        0);
    last_event(fx->st.db, &ev);
    assert_string_equal(ev.buf, "admin user.enable user alice {}");
    assert_int_equal(user_resolve_actor(fx->st.db, "alice", &u, &err), 0);
    user_release(&u);

    events = audit_rows(fx->st.db);
    assert_int_equal(
        user_set_disabled(fx->st.db, "nobody", true, "admin", NOW, &err),
        IOCM_ENOENT);
    assert_int_equal(user_resolve_actor(fx->st.db, "nobody", &u, &err),
                     IOCM_ENOENT);
    assert_int_equal(audit_rows(fx->st.db), events);
    strbuf_release(&ev);
}

struct role_change {
    enum user_role role;
    bool is_reviewer;
    const char *want_details;
};

static const struct role_change role_changes[] = {
    { USER_ROLE_ADMIN, true, "{\"reviewer\":true,\"role\":\"admin\"}" },
    { USER_ROLE_VIEWER, false, "{\"reviewer\":false,\"role\":\"viewer\"}" },
    { USER_ROLE_ANALYST, true, "{\"reviewer\":true,\"role\":\"analyst\"}" },
};

static void test_role_changes_are_stored_and_audited(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf ev = STRBUF_INIT, want = STRBUF_INIT;
    int64_t events;

    add_user(fx->st.db, "alice", false);
    for (size_t i = 0; i < ARRAY_SIZE(role_changes); i++) {
        const struct role_change *c = &role_changes[i];
        struct user u;

        assert_int_equal(user_set_role(fx->st.db, "alice", c->role,
                                       c->is_reviewer, "admin",
                                       NOW + (int64_t)i, &err),
                         0);
        find_ok(fx->st.db, "alice", &u);
        assert_int_equal(u.role, c->role);
        assert_int_equal(u.is_reviewer, c->is_reviewer);
        assert_int_equal(u.updated_at, NOW + (int64_t)i);
        user_release(&u);
        last_event(fx->st.db, &ev);
        strbuf_reset(&want);
        strbuf_addf(&want, "admin user.role user alice %s", c->want_details);
        assert_string_equal(ev.buf, want.buf);
    }
    events = audit_rows(fx->st.db);
    assert_int_equal(user_set_role(fx->st.db, "nobody", USER_ROLE_ADMIN, false,
                                   "admin", NOW, &err),
                     IOCM_ENOENT);
    assert_int_equal(audit_rows(fx->st.db), events);
    strbuf_release(&ev);
    strbuf_release(&want);
}

static int collect_names(const struct user *u, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%s%s", out->len ? "," : "", u->username);
    return 0;
}

static void test_each_lists_users_by_name(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf names = STRBUF_INIT;
    int64_t n = 0;

    add_user(fx->st.db, "carol", false);
    add_user(fx->st.db, "alice", true);
    add_user(fx->st.db, "bob", false);
    assert_int_equal(user_each(fx->st.db, collect_names, &names, &err), 0);
    assert_string_equal(names.buf, "alice,bob,carol");
    assert_int_equal(user_count(fx->st.db, &n, &err), 0);
    assert_int_equal(n, 3);
    strbuf_release(&names);
}

/* ---- API tokens ------------------------------------------------------- */

static void test_token_is_shown_once_and_stored_hashed(void **state)
{
    struct fixture *fx = *state;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    struct strbuf token = STRBUF_INIT, other = STRBUF_INIT;
    struct strbuf store = STRBUF_INIT, ev = STRBUF_INIT, want = STRBUF_INIT;
    int64_t id, other_id;

    add_user(fx->st.db, "alice", false);
    id = token_ok(fx->st.db, "alice", "ci", &token);
    assert_true(id > 0);
    assert_int_equal(token.len, 5 + 43);
    assert_int_equal(strncmp(token.buf, "iocm_", 5), 0);
    for (size_t i = 5; i < token.len; i++) {
        unsigned char ch = (unsigned char)token.buf[i];

        if (!isalnum(ch) && ch != '-' && ch != '_')
            fail_msg("token character '%c' is not url-safe", ch);
    }
    other_id = token_ok(fx->st.db, "alice", "ci", &other);
    assert_int_not_equal(other_id, id);
    assert_string_not_equal(other.buf, token.buf);

    /* Neither the token nor its random part is anywhere in the store. */
    dump_store(fx->st.db, &store);
    assert_null(strstr(store.buf, token.buf));
    assert_null(strstr(store.buf, token.buf + 5));
    assert_null(strstr(store.buf, other.buf + 5));
    /* Its SHA-256 is. */
    crypto_hash_sha256(digest, (const unsigned char *)token.buf, token.len);
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    strbuf_reset(&store);
    dump_query(fx->st.db, "SELECT token_hash FROM api_tokens ORDER BY id",
               &store);
    strbuf_addf(&want, "%s\n", hex);
    assert_int_equal(strncmp(store.buf, want.buf, want.len), 0);

    last_event(fx->st.db, &ev);
    strbuf_reset(&want);
    strbuf_addf(&want,
                "admin token.create user alice "
                "{\"name\":\"ci\",\"token_id\":%lld}",
                (long long)other_id);
    assert_string_equal(ev.buf, want.buf);
    strbuf_release(&token);
    strbuf_release(&other);
    strbuf_release(&store);
    strbuf_release(&ev);
    strbuf_release(&want);
}

struct token_seen {
    int64_t id;
    int64_t last_used_at;
    int64_t revoked_at;
};

static int find_token(const struct user_token *t, void *data)
{
    struct token_seen *seen = data;

    if (t->id == seen->id) {
        seen->last_used_at = t->last_used_at;
        seen->revoked_at = t->revoked_at;
    }
    return 0;
}

static struct token_seen token_state(struct db *db, int64_t id)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct token_seen seen = { id, -1, -1 };

    if (user_token_each(db, NULL, find_token, &seen, &err) != 0)
        fail_msg("token_each: %s", err.msg);
    return seen;
}

static void test_token_verify_names_the_user_and_notes_the_use(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf token = STRBUF_INIT;
    struct user u;
    int64_t id;

    add_user(fx->st.db, "alice", false);
    id = token_ok(fx->st.db, "alice", "ci", &token);
    assert_int_equal(token_state(fx->st.db, id).last_used_at, 0);
    assert_int_equal(
        user_token_verify(fx->st.db, token.buf, NOW + 50, &u, &err), 0);
    assert_string_equal(u.username, "alice");
    assert_int_equal(u.role, USER_ROLE_ANALYST);
    user_release(&u);
    assert_int_equal(token_state(fx->st.db, id).last_used_at, NOW + 50);
    assert_int_equal(
        user_token_verify(fx->st.db, token.buf, NOW + 60, &u, &err), 0);
    user_release(&u);
    assert_int_equal(token_state(fx->st.db, id).last_used_at, NOW + 60);
    strbuf_release(&token);
}

static void test_token_refused_when_unknown_revoked_or_disabled(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf token = STRBUF_INIT, kept = STRBUF_INIT, ev = STRBUF_INIT;
    struct strbuf want = STRBUF_INIT;
    struct user u = { 0 };
    int64_t id, events;

    add_user(fx->st.db, "alice", false);
    add_user(fx->st.db, "bob", false);
    id = token_ok(fx->st.db, "alice", "ci", &token);
    token_ok(fx->st.db, "bob", "ci", &kept);

    assert_int_equal(
        user_token_verify(fx->st.db, "iocm_notatoken", NOW, &u, &err),
        IOCM_EPERM);
    assert_string_equal(err.msg, "invalid API token");
    assert_int_equal(user_token_verify(fx->st.db, token.buf + 5, NOW, &u, &err),
                     IOCM_EPERM);

    /* Disabling the user stops the token; enabling brings it back. */
    assert_int_equal(
        user_set_disabled(fx->st.db, "alice", true, "admin", NOW, &err), 0);
    assert_int_equal(user_token_verify(fx->st.db, token.buf, NOW, &u, &err),
                     IOCM_EPERM);
    assert_int_equal(
        user_set_disabled(fx->st.db, "alice", false, "admin", NOW, &err), 0);
    assert_int_equal(user_token_verify(fx->st.db, token.buf, NOW, &u, &err), 0);
    user_release(&u);

    assert_int_equal(user_token_revoke(fx->st.db, id, "admin", NOW + 9, &err),
                     0);
    last_event(fx->st.db, &ev);
    strbuf_addf(&want, "admin token.revoke token %lld {}", (long long)id);
    assert_string_equal(ev.buf, want.buf);
    assert_int_equal(token_state(fx->st.db, id).revoked_at, NOW + 9);
    assert_int_equal(user_token_verify(fx->st.db, token.buf, NOW, &u, &err),
                     IOCM_EPERM);
    assert_string_equal(err.msg, "invalid API token");
    /* Revoking one token leaves the others working. */
    assert_int_equal(user_token_verify(fx->st.db, kept.buf, NOW, &u, &err), 0);
    assert_string_equal(u.username, "bob");
    user_release(&u);

    events = audit_rows(fx->st.db);
    assert_int_equal(user_token_revoke(fx->st.db, id, "admin", NOW, &err),
                     IOCM_ENOENT);
    strbuf_reset(&want);
    strbuf_addf(&want, "no active token with id %lld", (long long)id);
    assert_string_equal(err.msg, want.buf);
    assert_int_equal(user_token_revoke(fx->st.db, id + 100, "admin", NOW, &err),
                     IOCM_ENOENT);
    assert_int_equal(audit_rows(fx->st.db), events);
    strbuf_release(&token);
    strbuf_release(&kept);
    strbuf_release(&ev);
    strbuf_release(&want);
}

struct token_refusal {
    const char *username;
    const char *name;
    int want;
};

static const struct token_refusal token_refusals[] = {
    { "nobody", "ci", IOCM_ENOENT },
    { "dave", "ci", IOCM_EPERM },
    { "alice", "", IOCM_EINVAL },
};

static void test_token_create_refuses_bad_owners_and_names(void **state)
{
    struct fixture *fx = *state;

    add_user(fx->st.db, "alice", false);
    add_user(fx->st.db, "dave", true);
    for (size_t i = 0; i < ARRAY_SIZE(token_refusals); i++) {
        const struct token_refusal *c = &token_refusals[i];
        struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
        struct strbuf token = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t id = -1;
        int rc;

        dump_store(fx->st.db, &before);
        rc = user_token_create(fx->st.db, c->username, c->name, "admin", NOW,
                               &token, &id, &err);
        if (rc != c->want)
            fail_msg("token for '%s' named '%s': rc %d, '%s'", c->username,
                     c->name, rc, err.msg);
        assert_int_equal(token.len, 0);
        assert_int_equal(id, -1);
        dump_store(fx->st.db, &after);
        assert_string_equal(after.buf, before.buf);
        strbuf_release(&before);
        strbuf_release(&after);
        strbuf_release(&token);
    }
}

static int collect_tokens(const struct user_token *t, void *data)
{
    struct strbuf *out = data;

    strbuf_addf(out, "%s/%s/%s;", t->username, t->name,
                t->revoked_at ? "revoked" : "live");
    return 0;
}

static void test_token_list_shows_all_or_one_users_tokens(void **state)
{
    struct fixture *fx = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf token = STRBUF_INIT, list = STRBUF_INIT;
    int64_t first;

    add_user(fx->st.db, "alice", false);
    add_user(fx->st.db, "bob", false);
    first = token_ok(fx->st.db, "alice", "ci", &token);
    token_ok(fx->st.db, "bob", "laptop", &token);
    token_ok(fx->st.db, "alice", "siem", &token);
    assert_int_equal(user_token_revoke(fx->st.db, first, "admin", NOW, &err),
                     0);

    assert_int_equal(
        user_token_each(fx->st.db, NULL, collect_tokens, &list, &err), 0);
    assert_string_equal(list.buf,
                        "alice/ci/revoked;bob/laptop/live;alice/siem/live;");
    strbuf_reset(&list);
    assert_int_equal(
        user_token_each(fx->st.db, "alice", collect_tokens, &list, &err), 0);
    assert_string_equal(list.buf, "alice/ci/revoked;alice/siem/live;");
    strbuf_reset(&list);
    assert_int_equal(
        user_token_each(fx->st.db, "nobody", collect_tokens, &list, &err), 0);
    assert_string_equal(list.buf, "");
    strbuf_release(&token);
    strbuf_release(&list);
}

/* ---- the audit event shares the change's transaction ----------------- */

/* The token every case may revoke: alice's first. */
static int64_t tx_token;

static int run_create(struct db *db, struct strbuf *token, struct iocm_err *err)
{
    (void)token;
    return user_create(db, "erin", "erin's password", USER_ROLE_VIEWER, false,
                       "admin", NOW + 10, NULL, err);
}

static int run_set_password(struct db *db, struct strbuf *token,
                            struct iocm_err *err)
{
    (void)token;
    return user_set_password(db, "alice", "another password", "admin", NOW + 10,
                             err);
}

static int run_set_role(struct db *db, struct strbuf *token,
                        struct iocm_err *err)
{
    (void)token;
    return user_set_role(db, "alice", USER_ROLE_ADMIN, true, "admin", NOW + 10,
                         err);
}

static int run_token_create(struct db *db, struct strbuf *token,
                            struct iocm_err *err)
{
    return user_token_create(db, "alice", "siem", "admin", NOW + 10, token,
                             NULL, err);
}

static int run_token_revoke(struct db *db, struct strbuf *token,
                            struct iocm_err *err)
{
    (void)token;
    return user_token_revoke(db, tx_token, "admin", NOW + 10, err);
}

static int run_set_disabled(struct db *db, struct strbuf *token,
                            struct iocm_err *err)
{
    (void)token;
    return user_set_disabled(db, "alice", true, "admin", NOW + 10, err);
}

struct tx_case {
    const char *name;
    const char *table; /* the change's own table */
    int (*run)(struct db *db, struct strbuf *token, struct iocm_err *err);
};

/* In this order the successful runs each find what they need. */
static const struct tx_case tx_cases[] = {
    { "user_create", "users", run_create },
    { "user_set_password", "users", run_set_password },
    { "user_set_role", "users", run_set_role },
    { "user_token_create", "api_tokens", run_token_create },
    { "user_token_revoke", "api_tokens", run_token_revoke },
    { "user_set_disabled", "users", run_set_disabled },
};

static void test_a_failed_write_leaves_neither_change_nor_audit(void **state)
{
    struct fixture *fx = *state;
    struct strbuf token = STRBUF_INIT;

    add_user(fx->st.db, "alice", false);
    tx_token = token_ok(fx->st.db, "alice", "ci", &token);
    for (size_t i = 0; i < ARRAY_SIZE(tx_cases); i++) {
        const struct tx_case *c = &tx_cases[i];
        const char *failing[] = { "audit_events", c->table };
        struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        int64_t events;
        int rc;

        for (size_t t = 0; t < ARRAY_SIZE(failing); t++) {
            strbuf_reset(&before);
            strbuf_reset(&after);
            strbuf_reset(&token);
            dump_store(fx->st.db, &before);
            set_table_failing(fx->st.db, failing[t], true);
            rc = c->run(fx->st.db, &token, &err);
            set_table_failing(fx->st.db, failing[t], false);
            if (rc >= 0 || !strstr(err.msg, "boom"))
                fail_msg("%s with %s failing: rc %d, '%s'", c->name, failing[t],
                         rc, err.msg);
            /* A token whose row was never stored is not handed out. */
            assert_int_equal(token.len, 0);
            dump_store(fx->st.db, &after);
            if (strcmp(before.buf, after.buf) != 0)
                fail_msg("%s with %s failing changed the store:\n%s\n"
                         "became\n%s",
                         c->name, failing[t], before.buf, after.buf);
        }
        /* The same change succeeds once nothing fails, and is audited:
         * the failures above were the injected ones. */
        events = audit_rows(fx->st.db);
        strbuf_reset(&before);
        strbuf_reset(&after);
        dump_query(fx->st.db, "SELECT * FROM users ORDER BY id", &before);
        dump_query(fx->st.db, "SELECT * FROM api_tokens ORDER BY id", &before);
        if (c->run(fx->st.db, &token, &err) != 0)
            fail_msg("%s: %s", c->name, err.msg);
        dump_query(fx->st.db, "SELECT * FROM users ORDER BY id", &after);
        dump_query(fx->st.db, "SELECT * FROM api_tokens ORDER BY id", &after);
        assert_string_not_equal(after.buf, before.buf);
        assert_int_equal(audit_rows(fx->st.db), events + 1);
        strbuf_release(&before);
        strbuf_release(&after);
    }
    strbuf_release(&token);
}

/* ---- running ---------------------------------------------------------- */

#define CASE(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

static const struct CMUnitTest common_cases[] = {
    cmocka_unit_test(test_user_names_follow_the_rules),
    cmocka_unit_test(test_password_length_is_8_to_1024_bytes),
    cmocka_unit_test(test_roles_parse_case_insensitively),
    cmocka_unit_test(test_password_hash_is_salted_argon2id),
};

static const struct CMUnitTest backend_cases[] = {
    CASE(test_create_stores_a_hash_and_audits),
    CASE(test_create_refuses_duplicates_and_bad_input),
    CASE(test_authenticate_gives_one_answer_for_every_failure),
    CASE(test_set_password_replaces_the_hash),
    CASE(test_disabled_users_cannot_act),
    CASE(test_role_changes_are_stored_and_audited),
    CASE(test_each_lists_users_by_name),
    CASE(test_token_is_shown_once_and_stored_hashed),
    CASE(test_token_verify_names_the_user_and_notes_the_use),
    CASE(test_token_refused_when_unknown_revoked_or_disabled),
    CASE(test_token_create_refuses_bad_owners_and_names),
    CASE(test_token_list_shows_all_or_one_users_tokens),
    CASE(test_a_failed_write_leaves_neither_change_nor_audit),
};

int main(void)
{
    int failed;

    jsonx_init();
    failed = _cmocka_run_group_tests("user without a store", common_cases,
                                     ARRAY_SIZE(common_cases), NULL, NULL);
    failed += run_on_backends("user", backend_cases, ARRAY_SIZE(backend_cases));
    strbuf_release(&password_hash);
    return failed;
}
