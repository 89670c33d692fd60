/*
 * The indicator filter options shared by `ioc list` and `export`.
 */
#include "cli/cli_filter.h"

#include "cli/cli.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "util/isotime.h"
#include "util/strbuf.h"

int cli_filter_option(struct cli_ctx *ctx, int c, struct ioc_filter *f,
                      struct strbuf *tag, struct iocm_err *err)
{
    enum ioc_type type;
    enum ioc_severity sev;
    enum ioc_status status;
    enum tlp tlp;
    int rc;

    switch (c) {
    case CLI_FILTER_TYPE:
        rc = ioc_type_parse(optarg, &type, err);
        f->type = (int)type;
        return rc;
    case CLI_FILTER_SEVERITY:
        rc = ioc_severity_parse(optarg, &sev, err);
        f->severity = (int)sev;
        return rc;
    case CLI_FILTER_TLP:
        rc = tlp_parse(optarg, &tlp, err);
        f->tlp = (int)tlp;
        return rc;
    case CLI_FILTER_MAX_TLP:
        rc = tlp_parse(optarg, &tlp, err);
        f->max_tlp = (int)tlp;
        return rc;
    case CLI_FILTER_STATUS:
        rc = ioc_status_parse(optarg, &status, err);
        f->status = (int)status;
        return rc;
    case CLI_FILTER_SOURCE:
        f->source = optarg;
        return 0;
    case CLI_FILTER_TAG:
        strbuf_reset(tag);
        strbuf_addstr(tag, optarg);
        strbuf_tolower(tag);
        f->tag = tag->buf;
        return 0;
    case CLI_FILTER_SINCE:
        return isotime_parse_since(optarg, ctx->now, &f->since, err);
    case CLI_FILTER_UNTIL:
        return isotime_parse_since(optarg, ctx->now, &f->until, err);
    case CLI_FILTER_SEARCH:
        f->search = optarg;
        return 0;
    case CLI_FILTER_FALSE_POSITIVES:
        f->include_false_positives = 1;
        return 0;
    }
    return 1;
}
