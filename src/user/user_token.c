/*
 * API tokens for the HTTP API: random, shown once, stored only as a
 * SHA-256 hash so a copy of the database does not hand out access.
 */
#include "user/user.h"

#include <sodium.h>
#include <string.h>

#include "audit/audit.h"
#include "db/db.h"
#include "util/err.h"
#include "util/strbuf.h"

#define TOKEN_PREFIX       "iocm_"
#define TOKEN_RANDOM_BYTES 32

static void token_hash(const char *token,
                       char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, digest,
                   sizeof(digest));
}

static const char sql_insert[] =
    "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
    "VALUES (?, ?, ?, ?) RETURNING id";

int user_token_create(struct db *db, const char *username, const char *name,
                      const char *actor, int64_t now, struct strbuf *token_out,
                      int64_t *id_out, struct iocm_err *err)
{
    unsigned char raw[TOKEN_RANDOM_BYTES];
    char b64[sodium_base64_ENCODED_LEN(
        TOKEN_RANDOM_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    struct strbuf token = STRBUF_INIT;
    struct db_stmt *st = NULL;
    struct user u = { 0 };
    int64_t id = 0;
    int rc;

    if (sodium_init() < 0)
        return iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libsodium");
    if (!*name)
        return iocm_fail(err, IOCM_EINVAL, "token name must not be empty");
    rc = user_resolve_actor(db, username, &u, err);
    if (rc < 0)
        return rc;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strbuf_addf(&token, TOKEN_PREFIX "%s", b64);
    token_hash(token.buf, hex);

    rc = db_begin(db, err);
    if (rc < 0)
        goto out;
    rc = db_prepare(db, sql_insert, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, u.id);
        db_bind_text(st, 2, name);
        db_bind_text(st, 3, hex);
        db_bind_int64(st, 4, now);
        rc = db_step(st, err);
        if (rc == DB_ROW)
            id = db_column_int64(st, 0);
    }
    db_finalize(st);
    if (rc >= 0) {
        json_t *details =
            json_pack("{s:s, s:I}", "name", name, "token_id", (json_int_t)id);

        rc = audit_log(db, now, actor, "token.create", "user", username,
                       details, err);
        json_decref(details);
    }
    if (rc < 0) {
        db_rollback(db, NULL);
        goto out;
    }
    rc = db_commit(db, err);
    if (rc == 0) {
        strbuf_addbuf(token_out, &token);
        if (id_out)
            *id_out = id;
    }
out:
    sodium_memzero(raw, sizeof(raw));
    sodium_memzero(token.buf, token.len);
    strbuf_release(&token);
    user_release(&u);
    return rc;
}

static const char sql_verify[] =
    "SELECT t.id, u.username FROM api_tokens t JOIN users u ON u.id = "
    "t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND "
    "u.is_disabled = 0";
static const char sql_touch[] =
    "UPDATE api_tokens SET last_used_at = ? WHERE id = ?";

int user_token_verify(struct db *db, const char *token, int64_t now,
                      struct user *out, struct iocm_err *err)
{
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    struct strbuf username = STRBUF_INIT;
    struct db_stmt *st;
    int64_t id = 0;
    int rc;

    if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
        return iocm_fail(err, IOCM_EPERM, "invalid API token");
    token_hash(token, hex);
    rc = db_prepare_cached(db, sql_verify, &st, err);
    if (rc < 0)
        return rc;
    db_bind_text(st, 1, hex);
    rc = db_step(st, err);
    if (rc == DB_ROW) {
        id = db_column_int64(st, 0);
        strbuf_addstr(&username, db_column_text(st, 1));
    }
    db_reset(st);
    if (rc < 0)
        goto out;
    if (rc == DB_DONE) {
        rc = iocm_fail(err, IOCM_EPERM, "invalid API token");
        goto out;
    }
    rc = db_prepare_cached(db, sql_touch, &st, err);
    if (rc < 0)
        goto out;
    db_bind_int64(st, 1, now);
    db_bind_int64(st, 2, id);
    rc = db_step(st, err);
    db_reset(st);
    if (rc >= 0)
        rc = user_find(db, username.buf, out, err);
out:
    strbuf_release(&username);
    return rc < 0 ? rc : 0;
}

static const char sql_revoke[] =
    "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";

int user_token_revoke(struct db *db, int64_t token_id, const char *actor,
                      int64_t now, struct iocm_err *err)
{
    struct db_stmt *st;
    char idbuf[24];
    int rc;

    rc = db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = db_prepare_cached(db, sql_revoke, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, now);
        db_bind_int64(st, 2, token_id);
        rc = db_step(st, err);
        db_reset(st);
    }
    if (rc >= 0 && db_changes(db) == 0)
        rc = iocm_fail(err, IOCM_ENOENT, "no active token with id %lld",
                       (long long)token_id);
    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)token_id);
    if (rc >= 0)
        rc = audit_log(db, now, actor, "token.revoke", "token", idbuf, NULL,
                       err);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

static const char sql_each[] =
    "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, "
    "t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE (CAST(? AS TEXT) IS NULL OR u.username = ?) ORDER BY t.id";

int user_token_each(struct db *db, const char *username, user_token_each_fn fn,
                    void *data, struct iocm_err *err)
{
    struct user_token t;
    struct db_stmt *st = NULL;
    int rc = db_prepare(db, sql_each, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, username);
    db_bind_text(st, 2, username);
    while ((rc = db_step(st, err)) == DB_ROW) {
        t.id = db_column_int64(st, 0);
        t.username = db_column_text(st, 1);
        t.name = db_column_text(st, 2);
        t.created_at = db_column_int64(st, 3);
        t.last_used_at = db_column_int64(st, 4);
        t.revoked_at = db_column_int64(st, 5);
        rc = fn(&t, data);
        if (rc < 0)
            break;
    }
    db_finalize(st);
    return rc < 0 ? rc : 0;
}
