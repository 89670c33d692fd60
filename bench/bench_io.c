/*
 * Import throughput of the io readers on generated input held in memory:
 * text extraction (the target is 1,000,000 indicators a second on one
 * core) and CSV and JSON lines reading. Times the reading only.
 *
 * usage: bench_io [LINES]   (default 1000000)
 *        bench_io FILE      a text file, or a .csv, of bench_gen's
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/io.h"
#include "ioc/ioc.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"

/* One line of each kind, cycled; %u makes every value distinct. */
static void add_text_line(struct strbuf *sb, unsigned i)
{
    unsigned a = i >> 16 & 0xff, b = i >> 8 & 0xff, c = i & 0xff;

    switch (i % 8) {
    case 0:
        strbuf_addf(sb, "C2 server 10.%u.%u.%u contacted\n", a, b, c);
        break;
    case 1:
        strbuf_addf(sb, "beacon to host%u.evil-domain.com\n", i);
        break;
    case 2:
        strbuf_addf(sb, "payload at http://cdn%u.example.net/d/%u/a.exe\n", i,
                    i);
        break;
    case 3:
        strbuf_addf(sb, "md5 %08x%08x%08x%08x\n", i, ~i, i * 2654435761u,
                    i ^ 0x5bd1e995u);
        break;
    case 4:
        strbuf_addf(sb, "phish from user%u@mail.example.org\n", i);
        break;
    case 5:
        strbuf_addf(sb, "defanged evil%u[.]xyz seen\n", i);
        break;
    case 6:
        strbuf_addf(sb, "sha256 %08x%08x%08x%08x%08x%08x%08x%08x\n", i, ~i,
                    i * 3u, i * 5u, i * 7u, i * 11u, i * 13u, i * 17u);
        break;
    default:
        strbuf_addf(sb, "resolved to 192.%u.%u.%u, see report v1.2.%u\n", a, b,
                    c, i);
        break;
    }
}

static int count_ioc(void *ctx, const struct ioc *ioc)
{
    (void)ioc;
    ++*(size_t *)ctx;
    return 0;
}

static double seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads buf in fmt and prints the rate. */
static int run(const char *what, enum io_format fmt, const struct strbuf *buf)
{
    struct iocm_err err = IOCM_ERR_INIT;
    size_t n = 0;
    struct io_handler h = { count_ioc, NULL, NULL, NULL, &n };
    double t0 = seconds_now(), dt;

    if (io_read(fmt, buf->buf, buf->len, what, &h, &err) < 0) {
        fprintf(stderr, "bench_io: %s\n", err.msg);
        return 1;
    }
    dt = seconds_now() - t0;
    printf("%-5s %9zu indicators from %6.1f MB in %6.3f s: %10.0f "
           "indicators/s, %6.1f MB/s\n",
           what, n, (double)buf->len / 1e6, dt, (double)n / dt,
           (double)buf->len / 1e6 / dt);
    return 0;
}

/* Reads a file (bench_gen's text or csv, by its name) instead. */
static int run_file(const char *path)
{
    struct strbuf buf = STRBUF_INIT;
    FILE *fp = fopen(path, "rb");
    size_t len = strlen(path);
    bool is_csv = len > 4 && !strcmp(path + len - 4, ".csv");
    int rc = 1;

    if (!fp || strbuf_read_file(&buf, fp) < 0)
        fprintf(stderr, "bench_io: cannot read '%s'\n", path);
    else
        rc = run(is_csv ? "csv" : "text",
                 is_csv ? IO_FORMAT_CSV : IO_FORMAT_TEXT, &buf);
    if (fp)
        fclose(fp);
    strbuf_release(&buf);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned lines = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000000;
    struct strbuf text = STRBUF_INIT, csv = STRBUF_INIT, json = STRBUF_INIT;
    int rc = 0;

    jsonx_init();
    if (argc > 1 && !lines)
        return run_file(argv[1]);
    for (unsigned i = 0; i < lines; i++)
        add_text_line(&text, i);
    strbuf_addstr(&csv, "value,type,severity,confidence,tlp,tags\n");
    for (unsigned i = 0; i < lines; i++) {
        if (i % 2)
            strbuf_addf(&csv,
                        "host%u.evil-domain.com,domain,high,80,AMBER,"
                        "apt;c2\n",
                        i);
        else
            strbuf_addf(&csv, "10.%u.%u.%u,ipv4,medium,50,GREEN,scan\n",
                        i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
    }
    for (unsigned i = 0; i < lines / 4; i++)
        strbuf_addf(&json,
                    "{\"value\":\"host%u.evil-domain.com\",\"severity\":"
                    "\"high\",\"tags\":[\"apt\"]}\n",
                    i);
    rc |= run("text", IO_FORMAT_TEXT, &text);
    rc |= run("csv", IO_FORMAT_CSV, &csv);
    rc |= run("json", IO_FORMAT_JSON, &json);
    strbuf_release(&json);
    strbuf_release(&csv);
    strbuf_release(&text);
    return rc;
}
