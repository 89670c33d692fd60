/*
 * Users, roles, passwords (argon2id via libsodium) and API tokens. Every
 * change is audited in the same transaction.
 */
#ifndef IOCM_USER_USER_H
#define IOCM_USER_USER_H

#include <stdbool.h>
#include <stdint.h>

struct db;
struct iocm_err;
struct strbuf;

enum user_role {
    USER_ROLE_VIEWER,
    USER_ROLE_ANALYST,
    USER_ROLE_ADMIN,
};

struct user {
    int64_t id;
    char *username;
    enum user_role role;
    bool is_reviewer; /* may approve, reject, archive and restore */
    bool is_disabled;
    int64_t created_at;
    int64_t updated_at;
};

void user_release(struct user *u);

const char *user_role_name(enum user_role role);
int user_role_parse(const char *s, enum user_role *out, struct iocm_err *err);

/* User names: 1-64 of [a-z0-9._-], starting with a letter or digit;
 * "system" is reserved for the actor of unattended commands. */
int user_name_check(const char *name, struct iocm_err *err);
/* Passwords: at least 8 bytes, at most 1024. */
int user_password_check(const char *password, struct iocm_err *err);

/* Appends an argon2id hash string of password to out. */
int user_password_hash(const char *password, struct strbuf *out,
                       struct iocm_err *err);
/* Returns true when password matches the stored hash. */
bool user_password_verify(const char *hash, const char *password);

int user_create(struct db *db, const char *username, const char *password,
                enum user_role role, bool is_reviewer, const char *actor,
                int64_t now, int64_t *id_out, struct iocm_err *err);
/* Loads a user, or fails with IOCM_ENOENT. */
int user_find(struct db *db, const char *username, struct user *out,
              struct iocm_err *err);
int user_set_password(struct db *db, const char *username, const char *password,
                      const char *actor, int64_t now, struct iocm_err *err);
int user_set_disabled(struct db *db, const char *username, bool disabled,
                      const char *actor, int64_t now, struct iocm_err *err);
int user_set_role(struct db *db, const char *username, enum user_role role,
                  bool is_reviewer, const char *actor, int64_t now,
                  struct iocm_err *err);
/* Checks a password; IOCM_EPERM ("invalid user name or password") for a
 * wrong password, unknown or disabled user alike. */
int user_authenticate(struct db *db, const char *username, const char *password,
                      struct user *out, struct iocm_err *err);
/* Resolves the acting user of a command: must exist and be enabled. */
int user_resolve_actor(struct db *db, const char *username, struct user *out,
                       struct iocm_err *err);

typedef int (*user_each_fn)(const struct user *u, void *data);
int user_each(struct db *db, user_each_fn fn, void *data, struct iocm_err *err);
int user_count(struct db *db, int64_t *out, struct iocm_err *err);

/*
 * API tokens: "iocm_" followed by 43 url-safe characters, shown once; only
 * a SHA-256 hash is stored. token_out receives the token.
 */
int user_token_create(struct db *db, const char *username, const char *name,
                      const char *actor, int64_t now, struct strbuf *token_out,
                      int64_t *id_out, struct iocm_err *err);
/* Finds the enabled user a token belongs to; IOCM_EPERM when the token is
 * unknown, revoked or its user disabled. */
int user_token_verify(struct db *db, const char *token, int64_t now,
                      struct user *out, struct iocm_err *err);
int user_token_revoke(struct db *db, int64_t token_id, const char *actor,
                      int64_t now, struct iocm_err *err);

struct user_token {
    int64_t id;
    const char *username;
    const char *name;
    int64_t created_at;
    int64_t last_used_at;
    int64_t revoked_at;
};
typedef int (*user_token_each_fn)(const struct user_token *t, void *data);
int user_token_each(struct db *db, const char *username, user_token_each_fn fn,
                    void *data, struct iocm_err *err);

#endif
