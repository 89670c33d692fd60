/*
 * `iocm user add|list|passwd|disable|enable|role|token`: accounts and API
 * tokens. Passwords are read from standard input, never from arguments,
 * so they stay out of shell history and process listings.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_table.h"
#include "db/db.h"
#include "user/user.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/strbuf.h"

enum {
    OPT_ROLE = 256,
    OPT_REVIEWER,
    OPT_NOT_REVIEWER,
    OPT_PASSWORD_STDIN,
    OPT_USER,
    OPT_JSON,
    OPT_NAME,
};

static int read_password(const char *command, struct strbuf *out,
                         struct iocm_err *err)
{
    if (strbuf_getline(out, stdin) == EOF || out->len == 0)
        return iocm_fail(err, IOCM_EUSAGE,
                         "%s: expected the password on standard input",
                         command);
    return 0;
}

static const char add_usage[] =
    "usage: iocm user add NAME [--role admin|analyst|viewer] [--reviewer]\n"
    "                     [--user ACTOR]\n"
    "\n"
    "Creates a user; the password is read from the first line of standard\n"
    "input: printf '%%s\\n' \"$PASSWORD\" | iocm user add alice --role "
    "analyst\n"
    "Roles: viewers read; analysts create and edit indicators; admins do\n"
    "everything. --reviewer lets a user approve, reject, archive and "
    "restore.\n";

static int add(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "role", required_argument, NULL, OPT_ROLE },
        { "reviewer", no_argument, NULL, OPT_REVIEWER },
        { "user", required_argument, NULL, OPT_USER },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct strbuf password = STRBUF_INIT;
    enum user_role role = USER_ROLE_ANALYST;
    const char *user = NULL, *actor;
    bool reviewer = false, json = false;
    struct db *db;
    int64_t id = 0;
    int rc = 0, c;

    while ((c = cli_getopt(argc, argv, "h", opts, add_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_ROLE)
            rc = user_role_parse(optarg, &role, err);
        else if (c == OPT_REVIEWER)
            reviewer = true;
        else if (c == OPT_USER)
            user = optarg;
        else if (c == OPT_JSON)
            json = true;
        if (rc < 0)
            return rc;
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "user add", "give exactly one NAME");
    rc = user_name_check(argv[optind], err);
    if (rc == 0)
        rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = read_password("user add", &password, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = user_create(db, argv[optind], password.buf, role, reviewer, actor,
                         ctx->now, &id, err);
    sodium_memzero(password.buf, password.len);
    strbuf_release(&password);
    if (rc < 0)
        return rc;
    if (json)
        return cli_print_json(
            json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)id, "username",
                      argv[optind], "role", user_role_name(role), "reviewer",
                      reviewer),
            err);
    printf("created user '%s' (%s%s)\n", argv[optind], user_role_name(role),
           reviewer ? ", reviewer" : "");
    return 0;
}

struct list_state {
    bool json;
    json_t *items;
    struct cli_table table;
};

static int list_one(const struct user *u, void *data)
{
    struct list_state *st = data;
    char created[ISOTIME_LEN];
    const char *row[5];

    if (st->json) {
        json_array_append_new(
            st->items,
            json_pack("{s:I, s:s, s:s, s:b, s:b, s:o}", "id", (json_int_t)u->id,
                      "username", u->username, "role", user_role_name(u->role),
                      "reviewer", u->is_reviewer, "disabled", u->is_disabled,
                      "created_at", jsonx_time_or_null(u->created_at)));
        return 0;
    }
    isotime_format(u->created_at, created);
    row[0] = u->username;
    row[1] = user_role_name(u->role);
    row[2] = u->is_reviewer ? "yes" : "no";
    row[3] = u->is_disabled ? "disabled" : "enabled";
    row[4] = created;
    cli_table_add(&st->table, row);
    return 0;
}

static const char list_usage[] = "usage: iocm user list [--json]\n"
                                 "\n"
                                 "Lists users with role and state.\n";

static int list(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    static const char *const header[] = { "USER", "ROLE", "REVIEWER", "STATE",
                                          "CREATED" };
    struct list_state st = { 0 };
    struct db *db;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "h", opts, list_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_JSON)
            st.json = true;
    }
    if (optind < argc)
        return cli_usage_error(err, "user list", "unexpected argument '%s'",
                               argv[optind]);
    rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    st.items = json_array();
    cli_table_init(&st.table, 5, 0);
    cli_table_add(&st.table, header);
    rc = user_each(db, list_one, &st, err);
    if (rc == 0) {
        if (st.json)
            rc = cli_print_json(json_incref(st.items), err);
        else
            cli_table_print(&st.table, stdout);
    }
    json_decref(st.items);
    cli_table_release(&st.table);
    return rc;
}

static const char passwd_usage[] =
    "usage: iocm user passwd NAME [--user ACTOR]\n"
    "\n"
    "Sets a new password, read from the first line of standard input.\n";

static int passwd(struct cli_ctx *ctx, int argc, char **argv,
                  struct iocm_err *err)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, OPT_USER },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct strbuf password = STRBUF_INIT;
    const char *user = NULL, *actor;
    struct db *db;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "h", opts, passwd_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_USER)
            user = optarg;
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "user passwd", "give exactly one NAME");
    rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = read_password("user passwd", &password, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = user_set_password(db, argv[optind], password.buf, actor, ctx->now,
                               err);
    sodium_memzero(password.buf, password.len);
    strbuf_release(&password);
    if (rc == 0)
        printf("password of '%s' changed\n", argv[optind]);
    return rc;
}

static int set_disabled(struct cli_ctx *ctx, int argc, char **argv,
                        bool disabled, const char *usage, struct iocm_err *err)
{
    static const struct option opts[] = {
        { "user", required_argument, NULL, OPT_USER },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *user = NULL, *actor;
    struct db *db;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_USER)
            user = optarg;
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, argv[0], "give exactly one NAME");
    rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc =
            user_set_disabled(db, argv[optind], disabled, actor, ctx->now, err);
    if (rc == 0)
        printf("user '%s' %s\n", argv[optind],
               disabled ? "disabled" : "enabled");
    return rc;
}

static const char disable_usage[] =
    "usage: iocm user disable NAME [--user ACTOR]\n"
    "\n"
    "Disables a user: they can no longer sign in, use API tokens or act\n"
    "with --user. Their history stays.\n";
static const char enable_usage[] =
    "usage: iocm user enable NAME [--user ACTOR]\n"
    "\n"
    "Enables a disabled user again.\n";

static int disable(struct cli_ctx *ctx, int argc, char **argv,
                   struct iocm_err *err)
{
    return set_disabled(ctx, argc, argv, true, disable_usage, err);
}

static int enable(struct cli_ctx *ctx, int argc, char **argv,
                  struct iocm_err *err)
{
    return set_disabled(ctx, argc, argv, false, enable_usage, err);
}

static const char role_usage[] =
    "usage: iocm user role NAME ROLE [--reviewer|--no-reviewer] [--user "
    "ACTOR]\n"
    "\n"
    "Changes a user's role (admin, analyst or viewer) and reviewer flag.\n";

static int role(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "reviewer", no_argument, NULL, OPT_REVIEWER },
        { "no-reviewer", no_argument, NULL, OPT_NOT_REVIEWER },
        { "user", required_argument, NULL, OPT_USER },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *user = NULL, *actor;
    int reviewer = -1, rc, c;
    enum user_role r;
    struct user u;
    struct db *db;

    while ((c = cli_getopt(argc, argv, "h", opts, role_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_REVIEWER)
            reviewer = 1;
        else if (c == OPT_NOT_REVIEWER)
            reviewer = 0;
        else if (c == OPT_USER)
            user = optarg;
    }
    if (optind + 2 != argc)
        return cli_usage_error(err, "user role", "give NAME and ROLE");
    rc = user_role_parse(argv[optind + 1], &r, err);
    if (rc == 0)
        rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = user_find(db, argv[optind], &u, err);
    if (rc < 0)
        return rc;
    if (reviewer < 0)
        reviewer = u.is_reviewer;
    user_release(&u);
    rc = user_set_role(db, argv[optind], r, reviewer, actor, ctx->now, err);
    if (rc == 0)
        printf("user '%s' is now %s%s\n", argv[optind], user_role_name(r),
               reviewer ? " and reviewer" : "");
    return rc;
}

static const char token_usage[] =
    "usage: iocm user token create NAME --name LABEL [--user ACTOR] "
    "[--json]\n"
    "       iocm user token list [NAME] [--json]\n"
    "       iocm user token revoke ID [--user ACTOR]\n"
    "\n"
    "API tokens authenticate scripts against the HTTP API. A new token is\n"
    "printed once; only its hash is stored.\n";

static int token_list_one(const struct user_token *t, void *data)
{
    json_t *items = data;

    json_array_append_new(
        items,
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)t->id,
                  "username", t->username, "name", t->name, "created_at",
                  jsonx_time_or_null(t->created_at), "last_used_at",
                  jsonx_time_or_null(t->last_used_at), "revoked_at",
                  jsonx_time_or_null(t->revoked_at)));
    return 0;
}

static void print_tokens(json_t *items)
{
    static const char *const header[] = { "ID",      "USER",      "NAME",
                                          "CREATED", "LAST USED", "REVOKED" };
    struct cli_table t;
    size_t i;
    json_t *it;

    cli_table_init(&t, 6, 0);
    cli_table_add(&t, header);
    json_array_foreach(items, i, it)
    {
        char id[24];
        const char *row[6];

        snprintf(id, sizeof(id), "%lld",
                 (long long)json_integer_value(json_object_get(it, "id")));
        row[0] = id;
        row[1] = json_string_value(json_object_get(it, "username"));
        row[2] = json_string_value(json_object_get(it, "name"));
        row[3] = json_string_value(json_object_get(it, "created_at"));
        row[4] = json_string_value(json_object_get(it, "last_used_at"));
        row[5] = json_string_value(json_object_get(it, "revoked_at"));
        for (int k = 4; k < 6; k++)
            if (!row[k])
                row[k] = "-";
        cli_table_add(&t, row);
    }
    cli_table_print(&t, stdout);
    cli_table_release(&t);
}

static int token(struct cli_ctx *ctx, int argc, char **argv,
                 struct iocm_err *err)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, OPT_NAME },
        { "user", required_argument, NULL, OPT_USER },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *name = NULL, *user = NULL, *actor, *verb;
    struct strbuf secret = STRBUF_INIT;
    bool json = false;
    struct db *db;
    int64_t id = 0;
    long tid;
    int rc, c;

    while ((c = cli_getopt(argc, argv, "h", opts, token_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_NAME)
            name = optarg;
        else if (c == OPT_USER)
            user = optarg;
        else if (c == OPT_JSON)
            json = true;
    }
    if (optind >= argc)
        return cli_usage_error(err, "user token",
                               "missing create, list or revoke");
    verb = argv[optind++];
    rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    if (strcmp(verb, "create") == 0) {
        if (optind + 1 != argc || !name)
            return cli_usage_error(err, "user token",
                                   "create needs NAME and --name LABEL");
        rc = user_token_create(db, argv[optind], name, actor, ctx->now, &secret,
                               &id, err);
        if (rc == 0 && json)
            rc = cli_print_json(json_pack("{s:I, s:s, s:s, s:s}", "id",
                                          (json_int_t)id, "username",
                                          argv[optind], "name", name, "token",
                                          secret.buf),
                                err);
        else if (rc == 0)
            printf("token %lld for '%s' (shown once, store it now):\n%s\n",
                   (long long)id, argv[optind], secret.buf);
        sodium_memzero(secret.buf, secret.len);
        strbuf_release(&secret);
        return rc;
    }
    if (strcmp(verb, "list") == 0) {
        json_t *items = json_array();

        if (optind + 1 < argc) {
            json_decref(items);
            return cli_usage_error(err, "user token", "list takes one NAME");
        }
        rc = user_token_each(db, optind < argc ? argv[optind] : NULL,
                             token_list_one, items, err);
        if (rc == 0 && json)
            rc = cli_print_json(json_incref(items), err);
        else if (rc == 0)
            print_tokens(items);
        json_decref(items);
        return rc;
    }
    if (strcmp(verb, "revoke") == 0) {
        if (optind + 1 != argc)
            return cli_usage_error(err, "user token", "revoke needs one ID");
        rc = cli_parse_long("token ID", argv[optind], 1, 1L << 62, &tid, err);
        if (rc == 0)
            rc = user_token_revoke(db, tid, actor, ctx->now, err);
        if (rc == 0)
            printf("token %ld revoked\n", tid);
        return rc;
    }
    return cli_usage_error(err, "user token", "unknown action '%s'", verb);
}

static const struct cli_sub subs[] = {
    { "add", "create a user (password on stdin)", add_usage, add },
    { "list", "list users", list_usage, list },
    { "passwd", "set a user's password (on stdin)", passwd_usage, passwd },
    { "disable", "disable a user", disable_usage, disable },
    { "enable", "enable a disabled user", enable_usage, enable },
    { "role", "change a user's role and reviewer flag", role_usage, role },
    { "token", "create, list and revoke API tokens", token_usage, token },
    { 0 },
};

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    return cli_run_sub(ctx, "user", subs, argc, argv, err);
}

const struct cli_cmd cmd_user_entry = {
    .name = "user",
    .summary = "manage users, roles and API tokens",
    .usage = "usage: iocm user add|list|passwd|disable|enable|role|token\n",
    .run = run,
};
