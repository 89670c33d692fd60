/*
 * The command table, global options and the helpers shared by commands:
 * configuration and database set-up, option parsing, and the one place an
 * error becomes a line on stderr and an exit status.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "iocm_build.h"
#include "user/user.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const struct cli_cmd *const commands[] = {
    &cmd_init_entry,   &cmd_ioc_entry,    &cmd_import_entry, &cmd_export_entry,
    &cmd_expire_entry, &cmd_report_entry, &cmd_enrich_entry, &cmd_mail_entry,
    &cmd_user_entry,   &cmd_audit_entry,  &cmd_doctor_entry, NULL,
};

static void print_main_help(FILE *fp)
{
    fprintf(fp,
            "usage: iocm [--env FILE] [--log-level LEVEL] COMMAND [ARGS]\n"
            "\n"
            "iocm manages indicators of compromise: it validates and "
            "normalises them,\n"
            "tracks severity, TLP and expiry, imports and exports them, and "
            "mails daily\n"
            "and weekly reports.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; commands[i]; i++)
        fprintf(fp, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(fp, "\n"
                "Global options:\n"
                "  --env FILE         read configuration from FILE instead of "
                "./.env\n"
                "                     (also IOCM_ENV_FILE); environment "
                "variables win\n"
                "  --log-level LEVEL  error, warn (default), info or debug\n"
                "  --version          print the version\n"
                "  -h, --help         this help; 'iocm COMMAND --help' for a "
                "command\n"
                "\n"
                "Exit status: 0 success, 1 failure, 2 usage or configuration "
                "error.\n"
                "IOCM_NOW=2026-12-04T08:00:00Z fixes the clock (tests, "
                "backfills).\n");
}

static const struct cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int cli_usage_error(struct iocm_err *err, const char *command, const char *fmt,
                    ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return iocm_fail(err, IOCM_EUSAGE, "%s: %s (try 'iocm %s --help')", command,
                     what, command);
}

void cli_getopt_reset(void)
{
    optind = 0; /* GNU getopt: 0 re-initialises */
    opterr = 0;
}

int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts, const char *usage,
               struct iocm_err *err)
{
    int c;

    opterr = 0;
    c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c == 'h') {
        fputs(usage, stdout);
        return 'h';
    }
    if (c == '?') {
        const char *bad = argv[optind - 1];

        if (optopt && bad[0] == '-' && bad[1] != '-')
            return iocm_fail(err, IOCM_EUSAGE,
                             "%s: unknown option '-%c' or missing value "
                             "(try '%s --help')",
                             argv[0], optopt, argv[0]);
        return iocm_fail(err, IOCM_EUSAGE,
                         "%s: unknown option '%s' or missing value (try "
                         "'%s --help')",
                         argv[0], bad, argv[0]);
    }
    if (c == ':')
        return iocm_fail(err, IOCM_EUSAGE, "%s: option '%s' needs a value",
                         argv[0], argv[optind - 1]);
    return c;
}

int cli_parse_long(const char *option, const char *s, long min, long max,
                   long *out, struct iocm_err *err)
{
    char *end;
    long v;

    if (!*s || (*s == '-' && min >= 0))
        goto bad;
    v = strtol(s, &end, 10);
    if (*end || v < min || v > max)
        goto bad;
    *out = v;
    return 0;
bad:
    return iocm_fail(err, IOCM_EUSAGE,
                     "invalid %s '%s': expected a whole number from %ld to %ld",
                     option, s, min, max);
}

int cli_print_json(json_t *j, struct iocm_err *err)
{
    int rc = jsonx_dump_file(j, stdout, JSONX_PRETTY);

    json_decref(j);
    if (rc < 0)
        return iocm_fail(err, IOCM_EIO, "cannot write to standard output");
    return 0;
}

int cli_db(struct cli_ctx *ctx, struct db **out, struct iocm_err *err)
{
    int rc;

    if (!ctx->db) {
        rc = db_connect(ctx->settings.database_url, &ctx->db, err);
        if (rc < 0)
            return rc;
    }
    *out = ctx->db;
    return 0;
}

int cli_actor(struct cli_ctx *ctx, const char *user, const char **actor,
              struct iocm_err *err)
{
    struct user u;
    struct db *db;
    int rc;

    if (!user) {
        *actor = "system";
        return 0;
    }
    rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    rc = user_resolve_actor(db, user, &u, err);
    if (rc < 0)
        return rc;
    user_release(&u);
    *actor = user;
    return 0;
}

void cli_ioc_defaults(const struct cli_ctx *ctx, struct ioc_defaults *d)
{
    ioc_defaults_init(d);
    for (int t = 0; t < IOC_TYPE_COUNT; t++)
        d->ttl_days[t] =
            config_ioc_ttl_days(ctx->cfg, ioc_type_name((enum ioc_type)t),
                                ctx->settings.ioc_default_ttl_days);
}

void cli_log_step(struct cli_ctx *ctx, const char *fmt, ...)
{
    char stamp[ISOTIME_LEN];
    va_list ap;

    isotime_format((int64_t)time(NULL), stamp);
    (void)ctx;
    printf("[%s] ", stamp);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

int cli_run_sub(struct cli_ctx *ctx, const char *command,
                const struct cli_sub *subs, int argc, char **argv,
                struct iocm_err *err)
{
    const char *name = argc > 1 ? argv[1] : NULL;

    if (!name || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        strcmp(name, "help") == 0) {
        FILE *fp = name ? stdout : stderr;

        fprintf(fp, "usage: iocm %s SUBCOMMAND [OPTIONS]\n\nSubcommands:\n",
                command);
        for (size_t i = 0; subs[i].name; i++)
            fprintf(fp, "  %-16s %s\n", subs[i].name, subs[i].summary);
        fprintf(fp, "\n'iocm %s SUBCOMMAND --help' tells more.\n", command);
        return name ? 0
                    : iocm_fail(err, IOCM_EUSAGE, "%s: missing subcommand",
                                command);
    }
    for (size_t i = 0; subs[i].name; i++) {
        if (strcmp(subs[i].name, name) == 0) {
            char label[64];

            /* argv[0] becomes "ioc add" so messages name the command. */
            snprintf(label, sizeof(label), "%s %s", command, name);
            argv[1] = label;
            cli_getopt_reset();
            return subs[i].run(ctx, argc - 1, argv + 1, err);
        }
    }
    return cli_usage_error(err, command, "unknown subcommand '%s'", name);
}

/* Takes --env and --log-level out of argv wherever they stand before the
 * command's own "--", so `iocm ioc list --env x` works too. */
static int take_global_options(int *argc, char **argv, const char **env_path,
                               struct iocm_err *err)
{
    int out = 1;

    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *value = NULL;
        int is_env = 0, is_level = 0;

        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strcmp(a, "--env") == 0 || strcmp(a, "--log-level") == 0) {
            is_env = a[2] == 'e';
            is_level = !is_env;
            if (i + 1 >= *argc)
                return iocm_fail(err, IOCM_EUSAGE, "option '%s' needs a value",
                                 a);
            value = argv[++i];
        } else if (strncmp(a, "--env=", 6) == 0) {
            is_env = 1;
            value = a + 6;
        } else if (strncmp(a, "--log-level=", 12) == 0) {
            is_level = 1;
            value = a + 12;
        }
        if (is_env) {
            *env_path = value;
        } else if (is_level) {
            enum log_level level;

            if (log_level_parse(value, &level) < 0)
                return iocm_fail(err, IOCM_EUSAGE,
                                 "invalid --log-level '%s': expected error, "
                                 "warn, info or debug",
                                 value);
            log_set_level(level);
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

static int setup_context(struct cli_ctx *ctx, struct iocm_err *err)
{
    const char *level;
    int rc;

    rc = clock_init(err);
    if (rc < 0)
        return rc;
    ctx->now = clock_now();
    rc = config_load(ctx->env_path, &ctx->cfg, err);
    if (rc < 0)
        return rc;
    /* The level applies before the other values are checked; a bad one is
     * named with its line, as any bad value is. */
    rc = config_check_key(ctx->cfg, "LOG_LEVEL", err);
    if (rc < 0)
        return rc;
    level = config_get(ctx->cfg, "LOG_LEVEL");
    if (level && *level) {
        enum log_level l;

        if (log_level_parse(level, &l) == 0)
            log_set_level(l);
    }
    return config_settings_load(ctx->cfg, &ctx->settings, err);
}

int cli_main(int argc, char **argv)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct cli_ctx ctx = { 0 };
    const struct cli_cmd *cmd;
    int rc;

    jsonx_init();
    rc = take_global_options(&argc, argv, &ctx.env_path, &err);
    if (rc < 0)
        goto out;
    if (argc < 2) {
        print_main_help(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_main_help(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("iocm %s\n", IOCM_VERSION);
        return 0;
    }
    cmd = find_command(argv[1]);
    if (!cmd) {
        rc = iocm_fail(&err, IOCM_EUSAGE,
                       "unknown command '%s' (try 'iocm --help')", argv[1]);
        goto out;
    }
    /* Help never needs a valid configuration or database. */
    if (!wants_help(argc, argv)) {
        rc = setup_context(&ctx, &err);
        if (rc < 0 && !(cmd->runs_with_bad_config && ctx.cfg))
            goto out;
        if (rc < 0) {
            /* The command finds that value again, with every other. */
            config_settings_release(&ctx.settings);
            memset(&ctx.settings, 0, sizeof(ctx.settings));
            err = (struct iocm_err)IOCM_ERR_INIT;
        }
    }
    cli_getopt_reset();
    rc = cmd->run(&ctx, argc - 1, argv + 1, &err);
out:
    if (rc < 0)
        fprintf(stderr, "iocm: %s\n", err.msg);
    db_close(ctx.db);
    config_settings_release(&ctx.settings);
    config_free(ctx.cfg);
    return rc < 0 ? iocm_err_exit_code(rc) : 0;
}
