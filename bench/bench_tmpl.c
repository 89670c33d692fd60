/*
 * Render throughput of the template engine: a 1,000-row HTML table (six
 * fields a row, some needing HTML escaping) rendered N times from one
 * compiled template, inline and with the row as a partial.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "tmpl/tmpl.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"

#define NR_ROWS 1000

static const char table_src[] =
    "<table class=\"iocs\">\n"
    "  <tr><th>ID</th><th>Type</th><th>Value</th><th>Severity</th>"
    "<th>TLP</th><th>Source</th></tr>\n"
    "  {{#rows}}\n"
    "  <tr class=\"sev-{{severity}}\"><td>{{id}}</td><td>{{type}}</td>"
    "<td>{{value}}</td><td>{{severity}}</td><td>{{tlp}}</td>"
    "<td>{{source}}</td></tr>\n"
    "  {{/rows}}\n"
    "</table>\n";

static const char partial_src[] =
    "<table class=\"iocs\">\n"
    "  <tr><th>ID</th><th>Type</th><th>Value</th><th>Severity</th>"
    "<th>TLP</th><th>Source</th></tr>\n"
    "  {{#rows}}\n"
    "  {{>row}}\n"
    "  {{/rows}}\n"
    "</table>\n";

static const char row_src[] =
    "<tr class=\"sev-{{severity}}\"><td>{{id}}</td><td>{{type}}</td>"
    "<td>{{value}}</td><td>{{severity}}</td><td>{{tlp}}</td>"
    "<td>{{source}}</td></tr>\n";

static json_t *make_rows(void)
{
    static const char *const types[] = { "url", "domain", "ipv4", "sha256" };
    static const char *const severities[] = { "low", "medium", "high",
                                              "critical" };
    static const char *const tlps[] = { "CLEAR", "GREEN", "AMBER",
                                        "AMBER+STRICT" };
    json_t *rows = json_array();
    char value[128];

    for (int i = 0; i < NR_ROWS; i++) {
        /* Values like real ones: URLs with '&' and quotes to escape. */
        snprintf(value, sizeof(value),
                 "hxxps://evil%d[.]example/login?a=1&b=\"%d\"&c=<x>", i, i * 7);
        json_array_append_new(
            rows, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
                            (json_int_t)(100000 + i), "type", types[i % 4],
                            "value", value, "severity", severities[i % 4],
                            "tlp", tlps[i % 4], "source",
                            i % 3 ? "Partner feed & co" : "O'Brien's list"));
    }
    return json_pack("{s:o}", "rows", rows);
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_machine(void)
{
    struct utsname u;
    char line[512];
    const char *model = "unknown";
    FILE *fp = fopen("/proc/cpuinfo", "r");

    while (fp && fgets(line, sizeof(line), fp)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            model = strchr(line, ':') + 2;
            line[strcspn(line, "\n")] = '\0';
            break;
        }
    }
    if (fp)
        fclose(fp);
    if (uname(&u) < 0)
        snprintf(u.machine, sizeof(u.machine), "unknown");
    printf("machine: %s, %s, %ld online CPUs\n", u.machine, model,
           sysconf(_SC_NPROCESSORS_ONLN));
}

/* Both forms of the table must print the same bytes, or the comparison
 * between them means nothing. */
static int check_same_output(const struct tmpl *table, const struct tmpl *outer,
                             json_t *ctx, struct tmpl_loader *loader)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf a = STRBUF_INIT;
    struct strbuf b = STRBUF_INIT;
    int rc = 0;

    if (tmpl_render(table, ctx, NULL, &a, &err) < 0 ||
        tmpl_render(outer, ctx, loader, &b, &err) < 0) {
        fprintf(stderr, "bench_tmpl: %s\n", err.msg);
        rc = -1;
    } else if (a.len != b.len || memcmp(a.buf, b.buf, a.len)) {
        fprintf(stderr, "bench_tmpl: inline and partial output differ\n");
        rc = -1;
    }
    strbuf_release(&a);
    strbuf_release(&b);
    return rc;
}

/* Renders t n times into one reused buffer and prints the rates. */
static int run(const char *label, const struct tmpl *t, json_t *ctx,
               struct tmpl_loader *loader, int n)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    size_t bytes = 0;
    double start, secs;

    /* One warm-up render sizes the buffer and loads the partial. */
    if (tmpl_render(t, ctx, loader, &out, &err) < 0) {
        fprintf(stderr, "bench_tmpl: %s\n", err.msg);
        return -1;
    }
    start = now_seconds();
    for (int i = 0; i < n; i++) {
        strbuf_reset(&out);
        if (tmpl_render(t, ctx, loader, &out, &err) < 0) {
            fprintf(stderr, "bench_tmpl: %s\n", err.msg);
            return -1;
        }
        bytes += out.len;
    }
    secs = now_seconds() - start;
    printf("%-8s %d renders of %d rows (%zu bytes each) in %.3f s: "
           "%.0f renders/s, %.0f rows/s, %.1f MB/s\n",
           label, n, NR_ROWS, out.len, secs, n / secs, n * NR_ROWS / secs,
           (double)bytes / secs / 1e6);
    strbuf_release(&out);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    struct iocm_err err = IOCM_ERR_INIT;
    struct tmpl *table = NULL;
    struct tmpl *outer = NULL;
    struct tmpl_loader *loader = NULL;
    json_t *partials = NULL;
    json_t *ctx = NULL;
    int rc = 1;

    if (n <= 0) {
        fprintf(stderr, "usage: %s [RENDERS]\n", argv[0]);
        return 2;
    }
    jsonx_init();
    print_machine();
    ctx = make_rows();
    partials = json_pack("{s:s}", "row", row_src);
    loader = tmpl_loader_new_from_json(partials);
    if (tmpl_compile("table", table_src, strlen(table_src), &table, &err) < 0 ||
        tmpl_compile("outer", partial_src, strlen(partial_src), &outer, &err) <
            0) {
        fprintf(stderr, "bench_tmpl: %s\n", err.msg);
        goto out;
    }
    if (check_same_output(table, outer, ctx, loader) < 0 ||
        run("inline", table, ctx, NULL, n) < 0 ||
        run("partial", outer, ctx, loader, n) < 0)
        goto out;
    rc = 0;
out:
    tmpl_free(table);
    tmpl_free(outer);
    tmpl_loader_free(loader);
    json_decref(partials);
    json_decref(ctx);
    return rc;
}
