/*
 * `iocm audit list`: reads the audit log.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli_table.h"
#include "db/db.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"

enum {
    OPT_SINCE = 256,
    OPT_UNTIL,
    OPT_USER,
    OPT_ACTION,
    OPT_LIMIT,
    OPT_JSON,
};

static const char list_usage[] =
    "usage: iocm audit list [--since TIME] [--until TIME] [--user NAME]\n"
    "                       [--action ACTION] [--limit N] [--json]\n"
    "\n"
    "Lists audit events, newest first (100 unless --limit). TIME is ISO "
    "8601\n"
    "or a duration back from now such as 24h or 7d. Actions look like\n"
    "ioc.create, ioc.update, ioc.delete, import, user.create, "
    "report.send.\n";

struct list_state {
    bool json;
    json_t *items;
    struct cli_table table;
};

static int list_one(const struct audit_event *ev, void *data)
{
    struct list_state *st = data;
    char at[ISOTIME_LEN];
    const char *row[5];

    if (st->json) {
        json_t *details = json_loads(ev->details, 0, NULL);

        json_array_append_new(
            st->items,
            json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:o}", "id",
                      (json_int_t)ev->id, "at", jsonx_time_or_null(ev->at),
                      "actor", ev->actor, "action", ev->action, "object_type",
                      ev->object_type, "object_id",
                      jsonx_string_or_null(ev->object_id), "details",
                      details ? details : json_object()));
        return 0;
    }
    isotime_format(ev->at, at);
    row[0] = at;
    row[1] = ev->actor;
    row[2] = ev->action;
    row[3] = ev->object_id ? ev->object_id : "-";
    row[4] = ev->details;
    cli_table_add(&st->table, row);
    return 0;
}

static int list(struct cli_ctx *ctx, int argc, char **argv,
                struct iocm_err *err)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, OPT_SINCE },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "user", required_argument, NULL, OPT_USER },
        { "action", required_argument, NULL, OPT_ACTION },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    static const char *const header[] = { "AT", "ACTOR", "ACTION", "OBJECT",
                                          "DETAILS" };
    struct audit_query q = { 0 };
    struct list_state st = { 0 };
    long limit = 100;
    struct db *db;
    int rc = 0, c;

    while ((c = cli_getopt(argc, argv, "h", opts, list_usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c < 0 ? c : 0;
        if (c == OPT_SINCE)
            rc = isotime_parse_since(optarg, ctx->now, &q.since, err);
        else if (c == OPT_UNTIL)
            rc = isotime_parse_since(optarg, ctx->now, &q.until, err);
        else if (c == OPT_USER)
            q.actor = optarg;
        else if (c == OPT_ACTION)
            q.action = optarg;
        else if (c == OPT_LIMIT)
            rc = cli_parse_long("--limit", optarg, 1, 1000000000, &limit, err);
        else if (c == OPT_JSON)
            st.json = true;
        if (rc < 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(err, "audit list", "unexpected argument '%s'",
                               argv[optind]);
    q.limit = limit;
    rc = cli_db(ctx, &db, err);
    if (rc < 0)
        return rc;
    st.items = json_array();
    cli_table_init(&st.table, 5, 80);
    cli_table_add(&st.table, header);
    rc = audit_each(db, &q, list_one, &st, err);
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

static const struct cli_sub subs[] = {
    { "list", "list audit events", list_usage, list },
    { 0 },
};

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    return cli_run_sub(ctx, "audit", subs, argc, argv, err);
}

const struct cli_cmd cmd_audit_entry = {
    .name = "audit",
    .summary = "read the audit log",
    .usage = "usage: iocm audit list ...\n",
    .run = run,
};
