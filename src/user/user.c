/*
 * Users and passwords: validation, argon2id hashing and the users table.
 */
#include "user/user.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "db/db.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *const role_names[] = {
    [USER_ROLE_VIEWER] = "viewer",
    [USER_ROLE_ANALYST] = "analyst",
    [USER_ROLE_ADMIN] = "admin",
};

void user_release(struct user *u)
{
    free(u->username);
    memset(u, 0, sizeof(*u));
}

const char *user_role_name(enum user_role role)
{
    return role_names[role];
}

int user_role_parse(const char *s, enum user_role *out, struct iocm_err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(role_names); i++) {
        if (strcasecmp(s, role_names[i]) == 0) {
            *out = (enum user_role)i;
            return 0;
        }
    }
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid role '%s': expected admin, analyst or viewer", s);
}

int user_name_check(const char *name, struct iocm_err *err)
{
    size_t len = strlen(name);

    if (len == 0 || len > 64)
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid user name '%s': expected 1 to 64 characters",
                         name);
    if (!isalnum((unsigned char)name[0]))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid user name '%s': must start with a letter or "
                         "digit",
                         name);
    for (const char *p = name; *p; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
            *p != '.' && *p != '_' && *p != '-')
            return iocm_fail(err, IOCM_EINVAL,
                             "invalid user name '%s': use lower-case letters, "
                             "digits, '.', '_' and '-'",
                             name);
    }
    if (strcmp(name, AUDIT_ACTOR_SYSTEM) == 0)
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid user name '%s': reserved for unattended "
                         "commands",
                         name);
    return 0;
}

int user_password_check(const char *password, struct iocm_err *err)
{
    size_t len = strlen(password);

    if (len < 8)
        return iocm_fail(err, IOCM_EINVAL,
                         "password too short: use at least 8 characters");
    if (len > 1024)
        return iocm_fail(err, IOCM_EINVAL,
                         "password too long: use at most 1024 characters");
    return 0;
}

int user_password_hash(const char *password, struct strbuf *out,
                       struct iocm_err *err)
{
    char hash[crypto_pwhash_STRBYTES];

    if (sodium_init() < 0)
        return iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libsodium");
    if (crypto_pwhash_str_alg(hash, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return iocm_fail(err, IOCM_EINTERNAL,
                         "cannot hash password: out of memory");
    strbuf_addstr(out, hash);
    sodium_memzero(hash, sizeof(hash));
    return 0;
}

bool user_password_verify(const char *hash, const char *password)
{
    if (!hash || !*hash || sodium_init() < 0)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static int audit_user(struct db *db, int64_t now, const char *actor,
                      const char *action, const char *username, json_t *details,
                      struct iocm_err *err)
{
    int rc = audit_log(db, now, actor, action, "user", username, details, err);

    json_decref(details);
    return rc;
}

/* Runs one prepared write and its audit event in one transaction. */
static int write_audited(struct db *db, struct db_stmt *st, int64_t now,
                         const char *actor, const char *action,
                         const char *username, json_t *details,
                         struct iocm_err *err)
{
    int rc;

    rc = db_begin(db, err);
    if (rc < 0) {
        json_decref(details);
        return rc;
    }
    rc = db_step(st, err);
    if (rc >= 0 && db_changes(db) == 0)
        rc = iocm_fail(err, IOCM_ENOENT, "no user '%s'", username);
    if (rc >= 0)
        rc = audit_user(db, now, actor, action, username, details, err);
    else
        json_decref(details);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

static const char sql_create[] =
    "INSERT INTO users (username, password_hash, role, is_reviewer, "
    "is_disabled, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?) "
    "RETURNING id";

int user_create(struct db *db, const char *username, const char *password,
                enum user_role role, bool is_reviewer, const char *actor,
                int64_t now, int64_t *id_out, struct iocm_err *err)
{
    struct strbuf hash = STRBUF_INIT;
    struct db_stmt *st = NULL;
    int rc;

    rc = user_name_check(username, err);
    if (rc == 0)
        rc = user_password_check(password, err);
    if (rc == 0)
        rc = user_password_hash(password, &hash, err);
    if (rc < 0)
        goto out;
    rc = db_begin(db, err);
    if (rc < 0)
        goto out;
    rc = db_prepare(db, sql_create, &st, err);
    if (rc == 0) {
        db_bind_text(st, 1, username);
        db_bind_text(st, 2, hash.buf);
        db_bind_text(st, 3, user_role_name(role));
        db_bind_int64(st, 4, is_reviewer);
        db_bind_int64(st, 5, now);
        db_bind_int64(st, 6, now);
        rc = db_step(st, err);
    }
    if (rc == IOCM_EEXIST)
        rc = iocm_fail(err, IOCM_EEXIST, "user '%s' exists already", username);
    if (rc == DB_ROW && id_out)
        *id_out = db_column_int64(st, 0);
    db_finalize(st);
    if (rc >= 0)
        rc = audit_user(db, now, actor, "user.create", username,
                        json_pack("{s:s, s:b}", "role", user_role_name(role),
                                  "reviewer", is_reviewer),
                        err);
    if (rc < 0) {
        db_rollback(db, NULL);
        goto out;
    }
    rc = db_commit(db, err);
out:
    sodium_memzero(hash.buf, hash.len);
    strbuf_release(&hash);
    return rc;
}

#define USER_COLUMNS                                                           \
    "id, username, role, is_reviewer, is_disabled, created_at, updated_at"

static void row_to_user(struct db_stmt *st, struct user *u)
{
    const char *role = db_column_text(st, 2);

    memset(u, 0, sizeof(*u));
    u->id = db_column_int64(st, 0);
    u->username = xstrdup(db_column_text(st, 1));
    u->role = USER_ROLE_VIEWER;
    if (role)
        user_role_parse(role, &u->role, NULL);
    u->is_reviewer = db_column_int64(st, 3) != 0;
    u->is_disabled = db_column_int64(st, 4) != 0;
    u->created_at = db_column_int64(st, 5);
    u->updated_at = db_column_int64(st, 6);
}

static const char sql_find[] =
    "SELECT " USER_COLUMNS ", password_hash FROM users WHERE username = ?";

/* Loads a user and, when hash is not NULL, the password hash. */
static int find_with_hash(struct db *db, const char *username, struct user *out,
                          struct strbuf *hash, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_find, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, username);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        row_to_user(st, out);
        if (hash && db_column_text(st, 7))
            strbuf_addstr(hash, db_column_text(st, 7));
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = iocm_fail(err, IOCM_ENOENT, "no user '%s'", username);
    }
    db_reset(st);
    return rc;
}

int user_find(struct db *db, const char *username, struct user *out,
              struct iocm_err *err)
{
    return find_with_hash(db, username, out, NULL, err);
}

int user_resolve_actor(struct db *db, const char *username, struct user *out,
                       struct iocm_err *err)
{
    int rc = user_find(db, username, out, err);

    if (rc < 0)
        return rc;
    if (out->is_disabled) {
        user_release(out);
        return iocm_fail(err, IOCM_EPERM, "user '%s' is disabled", username);
    }
    return 0;
}

int user_authenticate(struct db *db, const char *username, const char *password,
                      struct user *out, struct iocm_err *err)
{
    struct strbuf hash = STRBUF_INIT;
    bool ok;
    int rc = find_with_hash(db, username, out, &hash, NULL);

    if (rc == IOCM_ENOENT) {
        /* Spend the time of a real check so timing does not tell which
         * user names exist. */
        user_password_hash(password, &hash, NULL);
        sodium_memzero(hash.buf, hash.len);
        strbuf_release(&hash);
        return iocm_fail(err, IOCM_EPERM, "invalid user name or password");
    }
    if (rc < 0) {
        strbuf_release(&hash);
        return iocm_fail(err, rc, "cannot look up user '%s'", username);
    }
    ok = user_password_verify(hash.buf, password) && !out->is_disabled;
    sodium_memzero(hash.buf, hash.len);
    strbuf_release(&hash);
    if (!ok) {
        user_release(out);
        return iocm_fail(err, IOCM_EPERM, "invalid user name or password");
    }
    return 0;
}

static const char sql_set_password[] =
    "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?";

int user_set_password(struct db *db, const char *username, const char *password,
                      const char *actor, int64_t now, struct iocm_err *err)
{
    struct strbuf hash = STRBUF_INIT;
    struct db_stmt *st;
    int rc;

    rc = user_password_check(password, err);
    if (rc == 0)
        rc = user_password_hash(password, &hash, err);
    if (rc == 0)
        rc = db_prepare_cached(db, sql_set_password, &st, err);
    if (rc == 0) {
        db_bind_text(st, 1, hash.buf);
        db_bind_int64(st, 2, now);
        db_bind_text(st, 3, username);
        rc = write_audited(db, st, now, actor, "user.passwd", username, NULL,
                           err);
        db_reset(st);
    }
    sodium_memzero(hash.buf, hash.len);
    strbuf_release(&hash);
    return rc;
}

static const char sql_set_disabled[] =
    "UPDATE users SET is_disabled = ?, updated_at = ? WHERE username = ?";

int user_set_disabled(struct db *db, const char *username, bool disabled,
                      const char *actor, int64_t now, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_set_disabled, &st, err);

    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, disabled);
    db_bind_int64(st, 2, now);
    db_bind_text(st, 3, username);
    rc = write_audited(db, st, now, actor,
                       disabled ? "user.disable" : "user.enable", username,
                       NULL, err);
    db_reset(st);
    return rc;
}

static const char sql_set_role[] = "UPDATE users SET role = ?, is_reviewer = "
                                   "?, updated_at = ? WHERE username = ?";

int user_set_role(struct db *db, const char *username, enum user_role role,
                  bool is_reviewer, const char *actor, int64_t now,
                  struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_set_role, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, user_role_name(role));
    db_bind_int64(st, 2, is_reviewer);
    db_bind_int64(st, 3, now);
    db_bind_text(st, 4, username);
    rc = write_audited(db, st, now, actor, "user.role", username,
                       json_pack("{s:s, s:b}", "role", user_role_name(role),
                                 "reviewer", is_reviewer),
                       err);
    db_reset(st);
    return rc;
}

static const char sql_each[] =
    "SELECT " USER_COLUMNS " FROM users ORDER BY username";

int user_each(struct db *db, user_each_fn fn, void *data, struct iocm_err *err)
{
    struct db_stmt *st = NULL;
    struct user u;
    int rc = db_prepare(db, sql_each, &st, err);

    if (rc < 0)
        return rc;
    while ((rc = db_step(st, err)) == DB_ROW) {
        row_to_user(st, &u);
        rc = fn(&u, data);
        user_release(&u);
        if (rc < 0)
            break;
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}

int user_count(struct db *db, int64_t *out, struct iocm_err *err)
{
    return db_query_int64(db, "SELECT COUNT(*) FROM users", NULL, out, err);
}
