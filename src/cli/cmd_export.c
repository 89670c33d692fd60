/*
 * `iocm export`: streams indicators into a file format in constant memory.
 * With -o the file is written beside its destination and renamed into
 * place at the end, so a failed export never leaves half a file.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_filter.h"
#include "db/db.h"
#include "io/io.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/strbuf.h"

static const char usage[] =
    "usage: iocm export [--format FORMAT] [filters] [-o FILE]\n"
    "\n"
    "Writes indicators as text (one value a line, for blocklists), csv, "
    "json,\n"
    "stix (a STIX 2.1 bundle) or misp (a MISP event); csv is the default.\n"
    "Only active indicators that are not false positives are exported "
    "unless\n"
    "--status, --any-status or --include-false-positives say otherwise; "
    "an\n"
    "indicator past its expiry is no longer active. STIX ids are\n"
    "derived from type and value, so exporting the same data twice gives "
    "the\n"
    "same bytes.\n"
    "\n"
    "Options:\n"
    "  --format FORMAT   text, csv, json, stix or misp\n"
    "  -o, --output FILE write to FILE (replaced only when the export "
    "succeeds)\n"
    "  --defang          text only: defang values (hxxp://, [.])\n"
    "  --any-status      every status, not only active\n"
    "\n"
    "Filters:\n" CLI_FILTER_HELP;

enum {
    OPT_FORMAT = 256,
    OPT_OUTPUT,
    OPT_DEFANG,
    OPT_ANY_STATUS,
};

struct export_state {
    struct io_writer *writer;
    struct iocm_err *err;
    int64_t written;
    int64_t active_at; /* leave out what expired by then; 0: keep all */
};

static int write_one(const struct ioc *ioc, void *data)
{
    struct export_state *st = data;
    int rc;

    /* Past its expiry is no longer active, even before `iocm expire`
     * changes its status: a blocklist must not keep it. */
    if (st->active_at && ioc->expires_at && ioc->expires_at <= st->active_at)
        return 0;
    rc = io_writer_write(st->writer, ioc, st->err);
    if (rc == 0)
        st->written++;
    return rc;
}

/*
 * The SQLite connection is tuned for bulk imports: a page cache of up to
 * 256 MiB, reads through a 1 GiB mmap and sorts in memory, all of which
 * grow with the database when an export reads every row (a 200k export
 * took four times the memory of a 20k one). A streaming read needs none
 * of it: the SQLite defaults bound the cache, pages are read, and the
 * newest-first sort spills to a temporary file.
 */
static int stream_reads(struct db *db, struct iocm_err *err)
{
    if (db_get_kind(db) != DB_SQLITE)
        return 0;
    return db_exec(db,
                   "PRAGMA mmap_size = 0; PRAGMA cache_size = -2000;"
                   " PRAGMA temp_store = FILE",
                   err);
}

/* Opens the temporary file that becomes path when the export succeeds. */
static int open_output(const char *path, struct strbuf *tmp, FILE **out,
                       struct iocm_err *err)
{
    mode_t mask = umask(0);
    struct stat sb;
    int fd;

    umask(mask);
    strbuf_addf(tmp, "%s.tmp-XXXXXX", path);
    fd = mkstemp(tmp->buf);
    if (fd < 0)
        return iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", path,
                         strerror(errno));
    /* The mode a file written in place would have: the one it has, or
     * what the umask allows; exports of TLP:RED data under umask 077
     * stay private. */
    if (stat(path, &sb) == 0)
        fchmod(fd, sb.st_mode & 07777);
    else
        fchmod(fd, 0666 & ~mask);
    *out = fdopen(fd, "w");
    if (!*out) {
        close(fd);
        unlink(tmp->buf);
        return iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", path,
                         strerror(errno));
    }
    return 0;
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    static const struct option opts[] = {
        CLI_FILTER_OPTIONS,
        { "format", required_argument, NULL, OPT_FORMAT },
        { "output", required_argument, NULL, OPT_OUTPUT },
        { "defang", no_argument, NULL, OPT_DEFANG },
        { "any-status", no_argument, NULL, OPT_ANY_STATUS },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct io_export_options eo = { 0 };
    struct export_state st = { 0 };
    struct strbuf tag = STRBUF_INIT, tmp = STRBUF_INIT;
    enum io_format fmt = IO_FORMAT_CSV;
    const char *output = NULL;
    bool any_status = false;
    struct ioc_filter f;
    FILE *out = stdout;
    struct db *db;
    int rc = 0, c;

    ioc_filter_init(&f);
    st.err = err;
    while ((c = cli_getopt(argc, argv, "ho:", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h') {
            rc = c < 0 ? c : 0;
            goto out;
        }
        if (c == OPT_FORMAT)
            rc = io_format_parse(optarg, &fmt, err);
        else if (c == OPT_OUTPUT || c == 'o')
            output = optarg;
        else if (c == OPT_DEFANG)
            eo.defang = true;
        else if (c == OPT_ANY_STATUS)
            any_status = true;
        else
            rc = cli_filter_option(ctx, c, &f, &tag, err);
        if (rc < 0)
            goto out;
    }
    if (optind < argc) {
        rc = cli_usage_error(err, "export", "unexpected argument '%s'",
                             argv[optind]);
        goto out;
    }
    if (fmt == IO_FORMAT_AUTO) {
        rc = cli_usage_error(err, "export", "choose a --format to write");
        goto out;
    }
    if (f.status < 0 && !any_status) {
        f.status = IOC_STATUS_ACTIVE;
        st.active_at = ctx->now;
    }
    eo.now = ctx->now;
    rc = cli_db(ctx, &db, err);
    if (rc == 0)
        rc = stream_reads(db, err);
    if (rc == 0 && output)
        rc = open_output(output, &tmp, &out, err);
    if (rc == 0)
        rc = io_writer_new(fmt, out, &eo, &st.writer, err);
    if (rc == 0)
        rc = ioc_repo_each(db, &f, write_one, &st, err);
    if (rc == 0)
        rc = io_writer_finish(st.writer, err);
    if (output) {
        if (fclose(out) != 0 && rc == 0)
            rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", output,
                           strerror(errno));
        if (rc == 0 && rename(tmp.buf, output) != 0)
            rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", output,
                           strerror(errno));
        if (rc < 0)
            unlink(tmp.buf);
        else
            fprintf(stderr, "exported %lld indicators to %s (%s)\n",
                    (long long)st.written, output, io_format_name(fmt));
    }
out:
    io_writer_free(st.writer);
    strbuf_release(&tag);
    strbuf_release(&tmp);
    return rc;
}

const struct cli_cmd cmd_export_entry = {
    .name = "export",
    .summary = "export indicators as text, CSV, JSON, STIX 2.1 or MISP",
    .usage = usage,
    .run = run,
};
