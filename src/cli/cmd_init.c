/*
 * `iocm init`: creates or migrates the database and, on a database without
 * users, the first administrator.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "db/db.h"
#include "user/user.h"
#include "util/err.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: iocm init [--admin NAME] [--admin-password-stdin]\n"
    "\n"
    "Creates the database named by DATABASE_URL (default "
    "sqlite:data/iocm.db)\n"
    "or brings its schema up to date. On a database without users it also\n"
    "creates the first administrator: the password is read from standard "
    "input\n"
    "with --admin-password-stdin, otherwise one is generated and printed "
    "once.\n"
    "Running it again is safe.\n"
    "\n"
    "Options:\n"
    "  --admin NAME              the administrator's user name (default "
    "admin)\n"
    "  --admin-password-stdin    read the password from the first line of "
    "stdin\n";

static int read_password(struct strbuf *out, struct iocm_err *err)
{
    if (strbuf_getline(out, stdin) == EOF || out->len == 0)
        return iocm_fail(err, IOCM_EUSAGE,
                         "init: --admin-password-stdin given but standard "
                         "input holds no password");
    return 0;
}

static void generate_password(struct strbuf *out)
{
    unsigned char raw[18];
    char b64[sodium_base64_ENCODED_LEN(
        sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strbuf_addstr(out, b64);
    sodium_memzero(raw, sizeof(raw));
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "admin", required_argument, NULL, 'a' },
        { "admin-password-stdin", no_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct strbuf password = STRBUF_INIT;
    const char *admin = "admin";
    int from_stdin = 0, version = 0, rc, c;
    int64_t users = 0;
    struct db *db;

    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == 'a')
            admin = optarg;
        else if (c == 'p')
            from_stdin = 1;
    }
    if (optind < argc)
        return cli_usage_error(err, "init", "unexpected argument '%s'",
                               argv[optind]);
    rc = user_name_check(admin, err);
    if (rc < 0)
        return rc;
    rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    rc = db_schema_version(db, &version, err);
    if (rc == 0)
        rc = user_count(db, &users, err);
    if (rc < 0)
        return rc;
    {
        struct strbuf shown = STRBUF_INIT;

        config_display_value(ctx->cfg, "DATABASE_URL", &shown);
        printf("database ready: %s (schema version %d)\n",
               shown.len ? shown.buf : ctx->settings.database_url, version);
        strbuf_release(&shown);
    }
    if (users > 0) {
        printf("users exist already: no administrator created\n");
        return 0;
    }
    if (from_stdin)
        rc = read_password(&password, err);
    else
        generate_password(&password);
    if (rc == 0)
        rc = user_create(db, admin, password.buf, USER_ROLE_ADMIN, true,
                         AUDIT_ACTOR_SYSTEM, ctx->now, NULL, err);
    if (rc == 0) {
        printf("created administrator '%s'\n", admin);
        if (!from_stdin)
            printf("password (shown once, store it now): %s\n", password.buf);
    }
    sodium_memzero(password.buf, password.len);
    strbuf_release(&password);
    return rc;
}

const struct cli_cmd cmd_init_entry = {
    .name = "init",
    .summary = "create or migrate the database and the first administrator",
    .usage = usage,
    .run = run,
};
