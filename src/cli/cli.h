/*
 * The command line: one file per command exporting a struct cli_cmd, the
 * table in cli.c, and the helpers every command shares (the lazily opened
 * database, option parsing, output). Only cli/ and web/ print.
 */
#ifndef IOCM_CLI_CLI_H
#define IOCM_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "ioc/ioc.h"

struct db;
struct iocm_err;
struct ioc_defaults;

struct cli_ctx {
    const char *env_path; /* --env, or NULL */
    struct config *cfg;
    struct config_settings settings;
    struct db *db; /* opened on first use by cli_db */
    int64_t now;
};

struct cli_cmd {
    const char *name;
    const char *summary; /* one line for `iocm --help` */
    const char *usage;   /* the whole help text of the command */
    int (*run)(struct cli_ctx *ctx, int argc, char **argv,
               struct iocm_err *err);
    /*
     * Runs even when a configuration value is bad, as long as the .env
     * file was read (ctx->cfg set): doctor, which reports every bad value
     * itself. ctx->settings is then all zero. Other commands stop with the
     * bad value's one-line error and exit 2.
     */
    bool runs_with_bad_config;
};

/* A sub-command table inside a command's file ("ioc add", "user list"). */
struct cli_sub {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(struct cli_ctx *ctx, int argc, char **argv,
               struct iocm_err *err);
};

extern const struct cli_cmd cmd_init_entry;
extern const struct cli_cmd cmd_ioc_entry;
extern const struct cli_cmd cmd_user_entry;
extern const struct cli_cmd cmd_audit_entry;
extern const struct cli_cmd cmd_expire_entry;
extern const struct cli_cmd cmd_import_entry;
extern const struct cli_cmd cmd_export_entry;
extern const struct cli_cmd cmd_report_entry;
extern const struct cli_cmd cmd_enrich_entry;
extern const struct cli_cmd cmd_mail_entry;
extern const struct cli_cmd cmd_doctor_entry;

int cli_main(int argc, char **argv);

/* Opens (and migrates) the configured database once per process. */
int cli_db(struct cli_ctx *ctx, struct db **out, struct iocm_err *err);

/*
 * Runs the sub-command named by argv[1] of a command; prints the table on
 * --help or when no sub-command is given.
 */
int cli_run_sub(struct cli_ctx *ctx, const char *command,
                const struct cli_sub *subs, int argc, char **argv,
                struct iocm_err *err);

/*
 * getopt_long without getopt's own messages: returns the option, -1 at the
 * end, 'h' for --help (after printing usage to stdout), or IOCM_EUSAGE
 * with a message naming the bad option. Call with the same argv until it
 * returns -1; optind then indexes the first operand.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
               const struct option *longopts, const char *usage,
               struct iocm_err *err);
/* Resets getopt for a new argv. */
void cli_getopt_reset(void);

/* A usage error: "COMMAND: what", plus "try 'iocm COMMAND --help'". */
__attribute__((format(printf, 3, 4))) int cli_usage_error(struct iocm_err *err,
                                                          const char *command,
                                                          const char *fmt, ...);

/* Parses a whole non-negative decimal number for an option. */
int cli_parse_long(const char *option, const char *s, long min, long max,
                   long *out, struct iocm_err *err);

/* Prints j pretty to stdout and takes over the reference. */
int cli_print_json(json_t *j, struct iocm_err *err);

/* The acting user: --user NAME (checked: exists and enabled) or system. */
int cli_actor(struct cli_ctx *ctx, const char *user, const char **actor,
              struct iocm_err *err);

/* Fills defaults for new indicators from the configuration (TTLs). */
void cli_ioc_defaults(const struct cli_ctx *ctx, struct ioc_defaults *d);

/*
 * Finds the indicator a command argument names: a number is an id, any
 * other text a value (refanged, normalised, its type detected unless
 * has_type). IOCM_ENOENT when there is none.
 */
int cli_ioc_resolve(struct db *db, const char *arg, bool has_type,
                    enum ioc_type type, struct ioc *out, struct iocm_err *err);

/* Prints a line prefixed with the time, for logs appended by cron. */
__attribute__((format(printf, 2, 3))) void cli_log_step(struct cli_ctx *ctx,
                                                        const char *fmt, ...);

#endif
