/*
 * Report cost on a given database: builds the daily and weekly report
 * models (the --format json work) and renders them to HTML, N times each,
 * and prints the fastest, median and slowest run. The figures should
 * follow the window's activity, not the table's size.
 *
 *   bench_report DATABASE_URL [RUNS] [AT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "iocm_build.h"
#include "report/report.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void print_times(const char *label, double *ms, int n, size_t bytes)
{
    qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
    printf("%-12s min %9.2f ms  median %9.2f ms  max %9.2f ms  (%zu bytes)\n",
           label, ms[0], ms[n / 2], ms[n - 1], bytes);
}

/* Builds (and renders, when html) the report n times. */
static int run(struct db *db, enum report_kind kind, bool is_html, int64_t at,
               const struct report_settings *s, int n, struct iocm_err *err)
{
    struct strbuf out = STRBUF_INIT;
    double *ms = xcalloc((size_t)n, sizeof(*ms));
    char label[32];
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++) {
        double start = now_seconds();
        json_t *model = NULL;

        strbuf_reset(&out);
        rc = report_build(db, kind, at, at, s, &model, err);
        if (rc == 0 && is_html)
            rc = report_render(model, REPORT_FORMAT_HTML, s, &out, err);
        else if (rc == 0)
            report_dump_json(model, &out);
        json_decref(model);
        ms[i] = (now_seconds() - start) * 1000.0;
    }
    if (rc == 0) {
        snprintf(label, sizeof(label), "%s %s", report_kind_name(kind),
                 is_html ? "html" : "json");
        print_times(label, ms, n, out.len);
    }
    free(ms);
    strbuf_release(&out);
    return rc;
}

/* The number of indicators, from the maintained counts (no table scan). */
static int64_t count_iocs(struct db *db)
{
    int64_t n = 0;

    if (db_query_int64(db, "SELECT SUM(n) FROM ioc_counts", NULL, &n, NULL) < 0)
        return -1;
    return n;
}

int main(int argc, char **argv)
{
    static const enum report_kind kinds[] = { REPORT_DAILY, REPORT_WEEKLY };
    struct iocm_err err = IOCM_ERR_INIT;
    struct report_settings s;
    struct db *db = NULL;
    int n = argc > 2 ? atoi(argv[2]) : 10;
    int64_t at = clock_now();
    char when[ISOTIME_LEN];
    int rc = 1;

    if (argc < 2 || argc > 4 || n <= 0) {
        fprintf(stderr, "usage: %s DATABASE_URL [RUNS] [AT]\n", argv[0]);
        return 2;
    }
    jsonx_init();
    if (argc > 3 && isotime_parse(argv[3], &at, &err) < 0)
        goto fail;
    if (db_connect(argv[1], &db, &err) < 0)
        goto fail;
    report_settings_init(&s);
    s.default_template_dir = IOCM_SOURCE_DIR "/templates";
    isotime_format(at, when);
    printf("database: %s, %lld indicators; reports at %s, %d runs each\n",
           db_get_kind(db) == DB_SQLITE ? "sqlite" : "postgresql",
           (long long)count_iocs(db), when, n);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (int html = 0; html < 2; html++)
            if (run(db, kinds[k], html, at, &s, n, &err) < 0)
                goto fail;
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "bench_report: %s\n", err.msg);
out:
    db_close(db);
    return rc;
}
