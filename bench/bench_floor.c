/*
 * How fast any import could store indicators in SQLite, whatever reads
 * them: the (type, value) rows of a bench_gen rows file, read into memory
 * and sorted first (not timed), written into a fresh database through
 * iocm's db layer as the import's batch writer writes a text import (256
 * rows a statement, the columns the rows share bound once, 500,000 rows a
 * transaction), with nothing else of the import: no extraction, no
 * checks, no counters or rollups, no audit event. Three tables:
 *
 *   iocs            iocm's own, its unique (type, value) index and the two
 *                   secondary indexes (creation time; status and expiry)
 *   iocs, 1 index   the same without the two secondary indexes
 *   pairs           two columns and a unique index, as sqlite3's .import
 *                   of bench/run.sh loads them (but sorted, and in
 *                   statements of 256 rows)
 *
 * Each time is the whole write, from the first insert to the database
 * closed (the WAL checkpointed), best of RUNS.
 *
 * usage: bench_floor ROWS_FILE [DIR [RUNS]]   (DIR default /tmp, RUNS 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ROWS_PER_STATEMENT 256
#define ROWS_PER_TX        500000
#define NOW                INT64_C(1796112000) /* 2026-12-01T08:00:00Z */

/* One (type, value) row of the file; both point into one buffer. */
struct pair {
    const char *type;
    const char *value;
};

struct pairs {
    struct pair *v;
    size_t nr, alloc;
    char *text; /* the file, its separators and quotes made NULs */
};

/* How a table is filled: its statement's SQL and how a row binds. */
struct target {
    const char *name;
    const char *setup;  /* run once on the migrated store */
    const char *insert; /* the INSERT head, without VALUES rows */
    bool is_iocs;       /* the 17 columns of iocs, else (type, value) */
};

static const struct target targets[] = {
    { "iocs (3 indexes)", NULL, NULL, true },
    { "iocs (unique index only)",
      "DROP INDEX iocs_created_at; DROP INDEX iocs_status_expires", NULL,
      true },
    { "pairs (2 columns, unique index)",
      "CREATE TABLE pairs (type TEXT NOT NULL, value TEXT NOT NULL);"
      "CREATE UNIQUE INDEX pairs_type_value ON pairs (type, value)",
      "INSERT OR IGNORE INTO pairs (type, value) VALUES ", false },
};

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads `type,"value"` lines; a doubled quote inside is one. */
static int read_pairs(const char *path, struct pairs *out, struct iocm_err *err)
{
    struct strbuf sb = STRBUF_INIT;
    FILE *fp = fopen(path, "rb");
    char *line, *end;
    int rc = 0;

    if (!fp)
        return iocm_fail(err, IOCM_EIO, "cannot open '%s'", path);
    if (strbuf_read_file(&sb, fp) < 0)
        rc = iocm_fail(err, IOCM_EIO, "cannot read '%s'", path);
    fclose(fp);
    if (rc < 0)
        goto out;
    out->text = strbuf_detach(&sb, NULL);
    for (line = out->text; *line; line = end + 1) {
        char *comma = strchr(line, ','), *v, *w;

        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line) - 1;
        if (!comma || comma > end || comma[1] != '"') {
            rc =
                iocm_fail(err, IOCM_EINVAL, "'%s' line %zu: not type,\"value\"",
                          path, out->nr + 1);
            goto out;
        }
        *comma = '\0';
        /* Unquote in place: the value ends at the last quote. */
        for (v = w = comma + 2; v < end; v++) {
            if (*v == '"' && v[1] == '"')
                v++;
            else if (*v == '"')
                break;
            *w++ = *v;
        }
        *w = '\0';
        ALLOC_GROW(out->v, out->nr + 1, out->alloc);
        out->v[out->nr++] = (struct pair){ line, comma + 2 };
        if (!*end)
            break;
    }
out:
    strbuf_release(&sb);
    return rc;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->type, y->type);

    return c ? c : strcmp(x->value, y->value);
}

/* The INSERT of rows rows: for iocs, the 14 shared columns are ?1..?14
 * and each row's type, value and expiry follow. */
static char *insert_sql(const struct target *t, size_t rows)
{
    struct strbuf sql = STRBUF_INIT;

    if (!t->is_iocs) {
        strbuf_addstr(&sql, t->insert);
        for (size_t i = 0; i < rows; i++)
            strbuf_addstr(&sql, i ? ", (?, ?)" : "(?, ?)");
        return strbuf_detach(&sql, NULL);
    }
    strbuf_addstr(&sql,
                  "INSERT OR IGNORE INTO iocs (severity, confidence, tlp, "
                  "source, "
                  "description, tags, status, is_false_positive, first_seen, "
                  "last_seen, created_at, created_by, updated_at, "
                  "updated_by, type, value, expires_at) VALUES ");
    for (size_t i = 0; i < rows; i++)
        strbuf_addf(&sql,
                    "%s(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                    "?13, ?14, ?%zu, ?%zu, ?%zu)",
                    i ? ", " : "", 15 + 3 * i, 16 + 3 * i, 17 + 3 * i);
    return strbuf_detach(&sql, NULL);
}

/* The columns a text import's rows share: medium, 50, AMBER, active,
 * now, by "bench". */
static void bind_shared(struct db_stmt *st)
{
    static const int64_t ints[] = { 2, 50, 2 };

    for (int i = 0; i < 3; i++)
        db_bind_int64(st, i + 1, ints[i]);
    for (int i = 4; i <= 6; i++)
        db_bind_text_ref(st, i, "");
    db_bind_int64(st, 7, 2);
    db_bind_int64(st, 8, 0);
    for (int i = 9; i <= 11; i++)
        db_bind_int64(st, i, NOW);
    db_bind_text_ref(st, 12, "bench");
    db_bind_int64(st, 13, NOW);
    db_bind_text_ref(st, 14, "bench");
}

/* Writes rows [from, from + rows) with the statement of that size. */
static int write_rows(struct db *db, const struct target *t, const char *sql,
                      const struct pairs *p, size_t from, size_t rows,
                      struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql, &st, err);

    if (rc < 0)
        return rc;
    if (t->is_iocs)
        bind_shared(st);
    for (size_t i = 0; i < rows; i++) {
        const struct pair *r = &p->v[from + i];

        if (!t->is_iocs) {
            db_bind_text_ref(st, (int)(2 * i + 1), r->type);
            db_bind_text_ref(st, (int)(2 * i + 2), r->value);
            continue;
        }
        db_bind_text_ref(st, (int)(15 + 3 * i), r->type);
        db_bind_text_ref(st, (int)(16 + 3 * i), r->value);
        db_bind_int64(st, (int)(17 + 3 * i), NOW + 30 * 86400);
    }
    rc = db_step(st, err);
    db_reset(st);
    return rc < 0 ? rc : 0;
}

static void remove_db(const char *path)
{
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    char name[4096];

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

/* One fresh database filled; *seconds gets the time of the writes and
 * the close, *bytes the file's size. */
static int run_once(const struct target *t, const struct pairs *p,
                    const char *path, double *seconds, long long *bytes,
                    struct iocm_err *err)
{
    char *sql_full = insert_sql(t, ROWS_PER_STATEMENT);
    char *sql_one = insert_sql(t, 1);
    struct strbuf url = STRBUF_INIT;
    struct db *db = NULL;
    struct stat sb;
    double t0 = 0;
    int rc;

    remove_db(path);
    strbuf_addf(&url, "sqlite:%s", path);
    rc = db_connect(url.buf, &db, err);
    if (rc == 0 && t->setup)
        rc = db_exec(db, t->setup, err);
    t0 = seconds_now();
    for (size_t i = 0; rc == 0 && i < p->nr;) {
        size_t end = i + ROWS_PER_TX < p->nr ? i + ROWS_PER_TX : p->nr;

        rc = db_begin(db, err);
        while (rc == 0 && i < end) {
            size_t rows =
                end - i >= ROWS_PER_STATEMENT ? ROWS_PER_STATEMENT : 1;

            rc = write_rows(db, t, rows > 1 ? sql_full : sql_one, p, i, rows,
                            err);
            i += rows;
        }
        if (rc == 0)
            rc = db_commit(db, err);
    }
    db_close(db);
    *seconds = seconds_now() - t0;
    *bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
    remove_db(path);
    strbuf_release(&url);
    free(sql_full);
    free(sql_one);
    return rc;
}

int main(int argc, char **argv)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct pairs p = { 0 };
    struct strbuf path = STRBUF_INIT;
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    int rc;

    if (argc < 2 || runs < 1) {
        fprintf(stderr, "usage: bench_floor ROWS_FILE [DIR [RUNS]]\n");
        return 2;
    }
    rc = read_pairs(argv[1], &p, &err);
    if (rc < 0) {
        fprintf(stderr, "bench_floor: %s\n", err.msg);
        return 1;
    }
    /* BENCH_FLOOR_CHUNKED=1: each transaction's rows sorted on their own,
     * as the import sorts each batch, instead of the whole file. */
    if (getenv("BENCH_FLOOR_CHUNKED"))
        for (size_t i = 0; i < p.nr; i += ROWS_PER_TX)
            qsort(p.v + i, p.nr - i < ROWS_PER_TX ? p.nr - i : ROWS_PER_TX,
                  sizeof(*p.v), cmp_pair);
    else
        qsort(p.v, p.nr, sizeof(*p.v), cmp_pair);
    strbuf_addf(&path, "%s/bench_floor.%ld.db", argc > 2 ? argv[2] : "/tmp",
                (long)getpid());
    printf("%zu (type, value) rows, sorted, %d rows a statement, %d a "
           "transaction; best of %d\n",
           p.nr, ROWS_PER_STATEMENT, ROWS_PER_TX, runs);
    for (size_t i = 0; rc == 0 && i < sizeof(targets) / sizeof(targets[0]);
         i++) {
        double best = 0;
        long long bytes = 0;

        for (int r = 0; rc == 0 && r < runs; r++) {
            double s;

            rc = run_once(&targets[i], &p, path.buf, &s, &bytes, &err);
            if (rc == 0 && (r == 0 || s < best))
                best = s;
        }
        if (rc == 0)
            printf("  %-32s %7.2f s %10.0f rows/s %8.1f MB\n", targets[i].name,
                   best, (double)p.nr / best, (double)bytes / 1048576.0);
    }
    if (rc < 0)
        fprintf(stderr, "bench_floor: %s\n", err.msg);
    free(p.v);
    free(p.text);
    strbuf_release(&path);
    return rc < 0 ? 1 : 0;
}
