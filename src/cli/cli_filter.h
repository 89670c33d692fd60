/*
 * The indicator filters shared by `ioc list` and `export`, so both accept
 * exactly the same options with the same meaning.
 */
#ifndef IOCM_CLI_CLI_FILTER_H
#define IOCM_CLI_CLI_FILTER_H

#include <getopt.h>

struct cli_ctx;
struct ioc_filter;
struct iocm_err;
struct strbuf;

/* Option values above every command's own (which start at 256). */
enum {
    CLI_FILTER_TYPE = 1000,
    CLI_FILTER_SEVERITY,
    CLI_FILTER_TLP,
    CLI_FILTER_MAX_TLP,
    CLI_FILTER_STATUS,
    CLI_FILTER_SOURCE,
    CLI_FILTER_TAG,
    CLI_FILTER_SINCE,
    CLI_FILTER_UNTIL,
    CLI_FILTER_SEARCH,
    CLI_FILTER_FALSE_POSITIVES,
};

/* struct option rows for a command's option table. */
#define CLI_FILTER_OPTIONS                                                     \
    { "type", required_argument, NULL, CLI_FILTER_TYPE },                      \
        { "severity", required_argument, NULL, CLI_FILTER_SEVERITY },          \
        { "tlp", required_argument, NULL, CLI_FILTER_TLP },                    \
        { "max-tlp", required_argument, NULL, CLI_FILTER_MAX_TLP },            \
        { "status", required_argument, NULL, CLI_FILTER_STATUS },              \
        { "source", required_argument, NULL, CLI_FILTER_SOURCE },              \
        { "tag", required_argument, NULL, CLI_FILTER_TAG },                    \
        { "since", required_argument, NULL, CLI_FILTER_SINCE },                \
        { "until", required_argument, NULL, CLI_FILTER_UNTIL },                \
        { "search", required_argument, NULL, CLI_FILTER_SEARCH },              \
    {                                                                          \
        "include-false-positives", no_argument, NULL,                          \
            CLI_FILTER_FALSE_POSITIVES                                         \
    }

/* The help lines describing them. */
#define CLI_FILTER_HELP                                                        \
    "  --type T          one type\n"                                           \
    "  --severity S      one severity\n"                                       \
    "  --tlp L           one TLP label\n"                                      \
    "  --max-tlp L       TLP L and less restrictive\n"                         \
    "  --status S        one status\n"                                         \
    "  --source S        exact source\n"                                       \
    "  --tag T           carrying tag T\n"                                     \
    "  --since TIME      created at or after TIME (ISO 8601, or 24h, 7d)\n"    \
    "  --until TIME      created before TIME\n"                                \
    "  --search TEXT     TEXT in the value or description\n"                   \
    "  --include-false-positives\n"

/*
 * Applies option c (with optarg) to f. tag holds the lower-cased tag that
 * f->tag points into. Returns 0, a negative code for a bad value, or 1
 * when c is no filter option.
 */
int cli_filter_option(struct cli_ctx *ctx, int c, struct ioc_filter *f,
                      struct strbuf *tag, struct iocm_err *err);

#endif
