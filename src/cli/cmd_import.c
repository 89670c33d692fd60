/*
 * `iocm import`: reads indicators from a file in any supported format and
 * stores them in batches, one transaction each, with one audit event for
 * the whole import. Invalid entries are reported and never stop the valid
 * ones.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "db/db.h"
#include "io/io.h"
#include "ioc/ioc.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char usage[] =
    "usage: iocm import FILE|- [--format FORMAT] [--source S] [--tlp L]\n"
    "                   [--severity S] [--confidence N] [--tags a,b]\n"
    "                   [--status S] [--user NAME] [--batch-size N]\n"
    "                   [--dry-run] [--json]\n"
    "\n"
    "Imports indicators from FILE (- for standard input). FORMAT is text,\n"
    "csv, json, stix or misp; without --format it is detected from the\n"
    "content. text extracts every indicator from free text such as a "
    "threat\n"
    "report, including defanged ones (hxxp://, [.], [@]).\n"
    "\n"
    "--source, --tlp, --severity, --confidence and --status fill the "
    "fields an\n"
    "entry does not set itself; --tags adds tags to every entry. Known\n"
    "indicators are seen again (last seen moves, empty fields are "
    "filled),\n"
    "so importing the same file twice adds nothing the second time.\n"
    "\n"
    "Entries are stored in batches of 500,000 (--batch-size), each in one\n"
    "transaction, so an interrupted import keeps whole batches only; a\n"
    "smaller batch holds the database's write lock for less time, a larger\n"
    "one (up to 1,000,000 sorted at once) imports a little faster and\n"
    "takes more memory. A JSON array is stored in one. The import is\n"
    "audited as one event with its counts. --dry-run reads and checks\n"
    "everything and stores nothing.\n"
    "\n"
    "Exit status: 0 when the file was read (even with invalid entries, "
    "which\n"
    "are listed), 1 when it could not be read or stored.\n";

enum {
    OPT_FORMAT = 256,
    OPT_SOURCE,
    OPT_TLP,
    OPT_SEVERITY,
    OPT_CONFIDENCE,
    OPT_TAGS,
    OPT_STATUS,
    OPT_USER,
    OPT_DRY_RUN,
    OPT_JSON,
    OPT_BATCH,
};

#define BATCH_SIZE           500000
#define LISTED_PROBLEMS_MAX  1000 /* kept for --json; the rest only counted */
#define PRINTED_PROBLEMS_MAX 20
/*
 * Entries held before they are written, whatever the transaction size:
 * a batch of up to this many is sorted once and meets each index page
 * once. With runs of 100,000, a 10M import took 58.6 s instead of 47.9 s
 * (each sorted run dirtied most of the unique index again); a batch of
 * 1,000,000 (--batch-size) made a 1M import 4.5 % faster than two of
 * 500,000, for 462 MB at the peak instead of 356 MB.
 */
#define PENDING_MAX 1000000
#define ARENA_BLOCK (1 << 20) /* bytes */

/*
 * Memory for the strings of pending entries: the reader's are borrowed
 * for one call, and a copy each would cost a malloc and a free per
 * field. Blocks are kept and reused from one batch to the next; a string
 * larger than a quarter block gets memory of its own until the reset.
 */
struct arena {
    char **blocks;
    size_t nr, alloc; /* blocks */
    size_t cur;       /* the block being filled */
    size_t used;      /* bytes of blocks[cur] */
    char **big;
    size_t big_nr, big_alloc;
};

static void *arena_alloc(struct arena *a, size_t n)
{
    void *p;

    n = (n + 7) & ~(size_t)7; /* keeps pointer arrays aligned */
    if (n > ARENA_BLOCK / 4) {
        ALLOC_GROW(a->big, a->big_nr + 1, a->big_alloc);
        a->big[a->big_nr] = xmalloc(n);
        return a->big[a->big_nr++];
    }
    if (!a->nr || a->used + n > ARENA_BLOCK) {
        if (a->nr)
            a->cur++;
        if (a->cur == a->nr) {
            ALLOC_GROW(a->blocks, a->nr + 1, a->alloc);
            a->blocks[a->nr++] = xmalloc(ARENA_BLOCK);
        }
        a->used = 0;
    }
    p = a->blocks[a->cur] + a->used;
    a->used += n;
    return p;
}

static char *arena_strdup(struct arena *a, const char *s)
{
    size_t len;

    if (!s)
        return NULL;
    len = strlen(s) + 1;
    return memcpy(arena_alloc(a, len), s, len);
}

/* Forgets every string; the blocks stay for the next batch. */
static void arena_reset(struct arena *a)
{
    for (size_t i = 0; i < a->big_nr; i++)
        free(a->big[i]);
    a->big_nr = 0;
    a->cur = 0;
    a->used = 0;
}

static void arena_release(struct arena *a)
{
    arena_reset(a);
    for (size_t i = 0; i < a->nr; i++)
        free(a->blocks[i]);
    free(a->blocks);
    free(a->big);
    memset(a, 0, sizeof(*a));
}

/* Copies in, strings and tags into a; the copy is never ioc_release()d. */
static void copy_ioc(struct arena *a, const struct ioc *in, struct ioc *out)
{
    *out = *in;
    out->value = arena_strdup(a, in->value);
    out->source = arena_strdup(a, in->source);
    out->description = arena_strdup(a, in->description);
    out->created_by = arena_strdup(a, in->created_by);
    out->updated_by = arena_strdup(a, in->updated_by);
    out->expiry_reason = arena_strdup(a, in->expiry_reason);
    if (in->tags.nr) {
        out->tags.v = arena_alloc(a, (in->tags.nr + 1) * sizeof(char *));
        for (size_t i = 0; i < in->tags.nr; i++)
            out->tags.v[i] = arena_strdup(a, in->tags.v[i]);
        out->tags.v[in->tags.nr] = NULL;
        out->tags.alloc = 0;
    }
}

struct import_state {
    struct db *db;
    struct ioc_defaults defaults;
    struct ioc_upsert_opts upsert;
    struct ioc_count_delta pending;
    struct ioc overrides; /* fills unset fields of every entry */
    struct ioc work;      /* the entry as stored, reused */
    long batch_size;      /* 0: one transaction for everything */
    long in_batch;
    /* Entries read but not yet written, written together by
     * ioc_repo_upsert_batch when PENDING_MAX or the batch is reached. */
    struct ioc *pending_recs;
    enum ioc_upsert_outcome *outcomes;
    size_t pending_nr, pending_alloc, outcomes_alloc;
    struct arena arena;
    bool is_in_tx;
    bool show_progress;
    time_t last_progress;
    struct iocm_err *err;
    int64_t added, seen_again, reactivated, invalid, skipped;
    /* added, seen_again and reactivated as of the last commit: a batch
     * rolled back stored nothing and counts for nothing */
    int64_t committed[3];
    json_t *invalid_list;
    json_t *skipped_list;
    json_t *warnings;
};

static int begin_batch(struct import_state *st)
{
    int rc = db_begin(st->db, st->err);

    if (rc == 0) {
        st->is_in_tx = true;
        st->in_batch = 0;
    }
    return rc;
}

static int commit_batch(struct import_state *st)
{
    int rc = ioc_counts_apply(st->db, &st->pending, st->err);

    if (rc < 0)
        return rc;
    st->is_in_tx = false;
    st->in_batch = 0;
    rc = db_commit(st->db, st->err);
    if (rc == 0) {
        st->committed[0] = st->added;
        st->committed[1] = st->seen_again;
        st->committed[2] = st->reactivated;
    }
    return rc;
}

/* Rolls back the open batch, with its counts and counter changes. */
static void forget_batch(struct import_state *st)
{
    if (st->is_in_tx)
        db_rollback(st->db, NULL);
    st->is_in_tx = false;
    st->pending_nr = 0;
    arena_reset(&st->arena);
    ioc_count_delta_init(&st->pending);
    st->added = st->committed[0];
    st->seen_again = st->committed[1];
    st->reactivated = st->committed[2];
}

/* What the audit event of the import carries. */
static json_t *audit_details(const struct import_state *st, const char *file,
                             enum io_format fmt)
{
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "file", file, "format",
        io_format_name(fmt), "added", (json_int_t)st->added, "seen_again",
        (json_int_t)st->seen_again, "reactivated", (json_int_t)st->reactivated,
        "invalid", (json_int_t)st->invalid, "skipped", (json_int_t)st->skipped);
}

static void progress(struct import_state *st, bool final)
{
    time_t now;

    if (!st->show_progress)
        return;
    now = time(NULL);
    if (!final && now == st->last_progress)
        return;
    st->last_progress = now;
    fprintf(stderr, "\rimport: %lld added, %lld seen again, %lld invalid%s",
            (long long)st->added, (long long)(st->seen_again + st->reactivated),
            (long long)st->invalid, final ? "\n" : "");
}

/* Fills what the entry leaves unset from the command's options. */
static void apply_overrides(const struct ioc *o, const struct ioc *in,
                            struct ioc *out)
{
    *out = *in;
    if (!out->source && o->source)
        out->source = o->source;
    if (out->tlp == TLP_UNSET)
        out->tlp = o->tlp;
    if (out->severity == IOC_SEV_UNSET)
        out->severity = o->severity;
    if (out->confidence < 0)
        out->confidence = o->confidence;
    if (out->status == IOC_STATUS_UNSET)
        out->status = o->status;
}

/*
 * Writes the pending entries in the open batch (opening it), counts their
 * outcomes, and commits when the batch is full.
 */
static int write_pending(struct import_state *st)
{
    int rc;

    if (!st->pending_nr)
        return 0;
    if (!st->is_in_tx) {
        rc = begin_batch(st);
        if (rc < 0)
            return rc;
    }
    ALLOC_GROW(st->outcomes, st->pending_nr, st->outcomes_alloc);
    rc = ioc_repo_upsert_batch(st->db, st->pending_recs, st->pending_nr,
                               &st->upsert, st->outcomes, st->err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < st->pending_nr; i++) {
        if (st->outcomes[i] == IOC_UPSERT_CREATED)
            st->added++;
        else if (st->outcomes[i] == IOC_UPSERT_SEEN_AGAIN)
            st->seen_again++;
        else
            st->reactivated++;
    }
    st->in_batch += (long)st->pending_nr;
    st->pending_nr = 0;
    arena_reset(&st->arena);
    if (st->batch_size && st->in_batch >= st->batch_size) {
        rc = commit_batch(st);
        if (rc < 0)
            return rc;
    }
    progress(st, false);
    return 0;
}

static int on_ioc(void *ctx, const struct ioc *in)
{
    struct import_state *st = ctx;
    /* Written in time for the batch to end at its size. */
    size_t limit = st->batch_size && st->batch_size - st->in_batch < PENDING_MAX
                       ? (size_t)(st->batch_size - st->in_batch)
                       : PENDING_MAX;
    struct ioc rec;

    apply_overrides(&st->overrides, in, &rec);
    /* Extra tags: the entry's plus the command's, in a reused vector. */
    if (st->overrides.tags.nr) {
        strvec_clear(&st->work.tags);
        for (size_t i = 0; i < in->tags.nr; i++)
            strvec_push(&st->work.tags, in->tags.v[i]);
        for (size_t i = 0; i < st->overrides.tags.nr; i++)
            strvec_push(&st->work.tags, st->overrides.tags.v[i]);
        strvec_sort_unique(&st->work.tags);
        rec.tags = st->work.tags;
    }
    ALLOC_GROW(st->pending_recs, st->pending_nr + 1, st->pending_alloc);
    copy_ioc(&st->arena, &rec, &st->pending_recs[st->pending_nr++]);
    if (st->pending_nr >= limit)
        return write_pending(st);
    return 0;
}

static void note_problem(json_t *list, const char *where, const char *reason)
{
    if (json_array_size(list) < LISTED_PROBLEMS_MAX)
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "where", where, "reason", reason));
}

static void on_invalid(void *ctx, const char *where, const char *reason)
{
    struct import_state *st = ctx;

    st->invalid++;
    note_problem(st->invalid_list, where, reason);
}

static void on_skipped(void *ctx, const char *where, const char *reason)
{
    struct import_state *st = ctx;

    st->skipped++;
    note_problem(st->skipped_list, where, reason);
}

static void on_warning(void *ctx, const char *message)
{
    struct import_state *st = ctx;

    json_array_append_new(st->warnings, json_string(message));
}

/* The whole input: a file is mapped, standard input read. */
struct input {
    const char *data;
    size_t len;
    void *map;
    struct strbuf buf;
};

/* Reads fd to its end into in->buf, and closes it. */
static int input_read_stream(int fd, const char *path, struct input *in,
                             struct iocm_err *err)
{
    FILE *fp = fdopen(fd, "rb");
    int rc = 0;

    if (!fp) {
        close(fd);
        return iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", path,
                         strerror(errno));
    }
    if (strbuf_read_file(&in->buf, fp) < 0)
        rc = iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", path,
                       strerror(errno));
    fclose(fp);
    in->data = in->buf.buf;
    in->len = in->buf.len;
    return rc;
}

static int input_open(const char *path, struct input *in, struct iocm_err *err)
{
    struct stat sb;
    int fd;

    memset(in, 0, sizeof(*in));
    strbuf_init(&in->buf, 0);
    if (strcmp(path, "-") == 0) {
        if (strbuf_read_file(&in->buf, stdin) < 0)
            return iocm_fail(err, IOCM_EIO, "cannot read standard input: %s",
                             strerror(errno));
        in->data = in->buf.buf;
        in->len = in->buf.len;
        return 0;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return iocm_fail(err, IOCM_EIO, "cannot open '%s': %s", path,
                         strerror(errno));
    if (fstat(fd, &sb) < 0 || S_ISDIR(sb.st_mode)) {
        close(fd);
        return iocm_fail(err, IOCM_EIO, "cannot read '%s': not a regular file",
                         path);
    }
    /* A pipe such as <(curl ...) or /dev/stdin cannot be mapped. */
    if (!S_ISREG(sb.st_mode))
        return input_read_stream(fd, path, in, err);
    if (sb.st_size > 0) {
        in->map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (in->map == MAP_FAILED) {
            in->map = NULL;
            close(fd);
            return iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", path,
                             strerror(errno));
        }
        in->data = in->map;
        in->len = (size_t)sb.st_size;
    } else {
        in->data = "";
    }
    close(fd);
    return 0;
}

static void input_close(struct input *in)
{
    if (in->map)
        munmap(in->map, in->len);
    strbuf_release(&in->buf);
}

static json_t *summary_json(const struct import_state *st, const char *file,
                            enum io_format fmt, bool dry_run)
{
    return json_pack(
        "{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:O, s:O, "
        "s:O}",
        "file", file, "format", io_format_name(fmt), "dry_run", dry_run,
        "added", (json_int_t)st->added, "seen_again",
        (json_int_t)st->seen_again, "reactivated", (json_int_t)st->reactivated,
        "invalid", (json_int_t)st->invalid, "skipped", (json_int_t)st->skipped,
        "invalid_entries", st->invalid_list, "skipped_entries",
        st->skipped_list, "warnings", st->warnings);
}

static void print_problems(const char *what, json_t *list, int64_t total)
{
    size_t i;
    json_t *it;

    json_array_foreach(list, i, it)
    {
        if (i >= PRINTED_PROBLEMS_MAX) {
            printf("  ... and %lld more %s (--json lists them)\n",
                   (long long)(total - PRINTED_PROBLEMS_MAX), what);
            break;
        }
        printf("  %s %s: %s\n", what,
               json_string_value(json_object_get(it, "where")),
               json_string_value(json_object_get(it, "reason")));
    }
}

static void print_summary(const struct import_state *st, const char *file,
                          enum io_format fmt, bool dry_run)
{
    size_t i;
    json_t *w;

    printf("%s%s (%s): %lld added, %lld seen again, %lld reactivated, "
           "%lld invalid, %lld skipped\n",
           dry_run ? "dry run, nothing stored: " : "imported ", file,
           io_format_name(fmt), (long long)st->added, (long long)st->seen_again,
           (long long)st->reactivated, (long long)st->invalid,
           (long long)st->skipped);
    json_array_foreach(st->warnings, i, w)
        printf("  warning: %s\n", json_string_value(w));
    print_problems("invalid", st->invalid_list, st->invalid);
    print_problems("skipped", st->skipped_list, st->skipped);
}

static int parse_options(struct cli_ctx *ctx, int argc, char **argv,
                         struct import_state *st, enum io_format *fmt,
                         const char **user, bool *dry_run, bool *json,
                         struct iocm_err *err)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, OPT_FORMAT },
        { "source", required_argument, NULL, OPT_SOURCE },
        { "tlp", required_argument, NULL, OPT_TLP },
        { "severity", required_argument, NULL, OPT_SEVERITY },
        { "confidence", required_argument, NULL, OPT_CONFIDENCE },
        { "tags", required_argument, NULL, OPT_TAGS },
        { "status", required_argument, NULL, OPT_STATUS },
        { "user", required_argument, NULL, OPT_USER },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "json", no_argument, NULL, OPT_JSON },
        { "batch-size", required_argument, NULL, OPT_BATCH },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct ioc *o = &st->overrides;
    int rc = 0, c;

    (void)ctx;
    while ((c = cli_getopt(argc, argv, "h", opts, usage, err)) != -1) {
        if (c < 0 || c == 'h')
            return c;
        switch (c) {
        case OPT_FORMAT:
            rc = io_format_parse(optarg, fmt, err);
            break;
        case OPT_SOURCE:
            free(o->source);
            o->source = xstrdup(optarg);
            break;
        case OPT_TLP:
            rc = tlp_parse(optarg, &o->tlp, err);
            break;
        case OPT_SEVERITY:
            rc = ioc_severity_parse(optarg, &o->severity, err);
            break;
        case OPT_CONFIDENCE:
            rc = ioc_confidence_parse(optarg, &o->confidence, err);
            break;
        case OPT_TAGS:
            strvec_split(&o->tags, optarg, ',');
            for (size_t i = 0; i < o->tags.nr; i++)
                for (char *p = o->tags.v[i]; *p; p++)
                    if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
            break;
        case OPT_STATUS:
            rc = ioc_status_parse(optarg, &o->status, err);
            break;
        case OPT_USER:
            *user = optarg;
            break;
        case OPT_DRY_RUN:
            *dry_run = true;
            break;
        case OPT_JSON:
            *json = true;
            break;
        case OPT_BATCH:
            rc = cli_parse_long("--batch-size", optarg, 1, 10000000,
                                &st->batch_size, err);
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (optind + 1 != argc)
        return cli_usage_error(err, "import",
                               optind >= argc ? "missing FILE"
                                              : "give exactly one FILE");
    return 0;
}

/* Writes the one audit event of the import, in its own transaction when
 * none is open. */
static int audit_import(struct import_state *st, const char *actor, int64_t now,
                        json_t *details, struct iocm_err *err)
{
    int rc;

    if (!st->is_in_tx) {
        rc = begin_batch(st);
        if (rc < 0)
            return rc;
    }
    rc = audit_log(st->db, now, actor, "import", "import", NULL, details, err);
    if (rc < 0)
        return rc;
    return commit_batch(st);
}

static int run(struct cli_ctx *ctx, int argc, char **argv, struct iocm_err *err)
{
    struct import_state st;
    struct io_handler handler;
    enum io_format fmt = IO_FORMAT_AUTO;
    const char *user = NULL, *actor = NULL, *file;
    bool dry_run = false, json = false;
    struct input in = { 0 };
    json_t *summary = NULL;
    int rc;

    memset(&st, 0, sizeof(st));
    ioc_init(&st.overrides);
    ioc_init(&st.work);
    st.batch_size = BATCH_SIZE;
    st.err = err;
    st.invalid_list = json_array();
    st.skipped_list = json_array();
    st.warnings = json_array();
    strbuf_init(&in.buf, 0);
    rc = parse_options(ctx, argc, argv, &st, &fmt, &user, &dry_run, &json, err);
    if (rc < 0 || rc == 'h') {
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    file = argv[optind];
    rc = cli_actor(ctx, user, &actor, err);
    if (rc == 0)
        rc = input_open(file, &in, err);
    /* Opened: from here on the name is only shown, in the summary and the
     * audit event, whose JSON must be UTF-8 whatever the file system has. */
    io_utf8_repair(argv[optind]);
    if (rc == 0)
        rc = cli_db(ctx, &st.db, err);
    if (rc < 0)
        goto out;
    if (fmt == IO_FORMAT_AUTO)
        fmt = io_detect_format(in.data, in.len < 65536 ? in.len : 65536);
    /* A JSON array may fail late: all of it or nothing. A dry run is one
     * transaction rolled back, so its counts are exact. */
    if (fmt == IO_FORMAT_JSON || dry_run)
        st.batch_size = 0;
    cli_ioc_defaults(ctx, &st.defaults);
    st.upsert = (struct ioc_upsert_opts){ .defaults = &st.defaults,
                                          .actor = actor,
                                          .now = ctx->now,
                                          .audit = false,
                                          .pending = &st.pending };
    ioc_count_delta_init(&st.pending);
    st.show_progress = !json && isatty(STDERR_FILENO);
    handler =
        (struct io_handler){ on_ioc, on_invalid, on_skipped, on_warning, &st };
    rc = io_read(fmt, in.data, in.len, strcmp(file, "-") ? file : "stdin",
                 &handler, err);
    if (rc == 0)
        rc = write_pending(&st);
    progress(&st, true);
    if (rc < 0) {
        forget_batch(&st);
        /* What earlier batches stored stays, and the audit says so. */
        if (!dry_run && st.added + st.seen_again + st.reactivated > 0) {
            struct iocm_err ignored = IOCM_ERR_INIT;
            json_t *details = audit_details(&st, file, fmt);

            json_object_set_new(details, "error", json_string(err->msg));
            audit_import(&st, actor, ctx->now, details, &ignored);
            json_decref(details);
        }
        goto out;
    }
    summary = summary_json(&st, file, fmt, dry_run);
    if (dry_run) {
        if (st.is_in_tx)
            db_rollback(st.db, NULL);
        st.is_in_tx = false;
    } else {
        json_t *details = audit_details(&st, file, fmt);

        rc = audit_import(&st, actor, ctx->now, details, err);
        json_decref(details);
        if (rc < 0)
            goto out;
    }
    if (json)
        rc = cli_print_json(json_incref(summary), err);
    else
        print_summary(&st, file, fmt, dry_run);
out:
    if (st.is_in_tx)
        db_rollback(st.db, NULL);
    json_decref(summary);
    json_decref(st.invalid_list);
    json_decref(st.skipped_list);
    json_decref(st.warnings);
    st.work.value = NULL;
    ioc_release(&st.work);
    free(st.pending_recs);
    free(st.outcomes);
    arena_release(&st.arena);
    ioc_release(&st.overrides);
    input_close(&in);
    return rc;
}

const struct cli_cmd cmd_import_entry = {
    .name = "import",
    .summary = "import indicators from text, CSV, JSON, STIX 2.1 or MISP",
    .usage = usage,
    .run = run,
};
