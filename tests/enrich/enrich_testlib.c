/*
 * Helpers shared by the enrich test programs; see enrich_testlib.h.
 */
#include "enrich_testlib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"
#include "util/err.h"
#include "util/xalloc.h"

static const char *pg_url(void)
{
    const char *url = getenv("IOCM_TEST_PG_URL");

    return url && *url ? url : NULL;
}

const char *tl_store_kind(void)
{
    return pg_url() ? "postgresql" : "sqlite";
}

void tl_store_open(struct test_store *ts)
{
    static const struct backend sqlite = { "sqlite", DB_SQLITE, NULL };
    static struct backend postgresql = { "postgresql", DB_POSTGRES, NULL };

    postgresql.url = pg_url();
    test_store_open(ts, postgresql.url ? &postgresql : &sqlite, "enrich");
}

static const char sql_add_ioc[] =
    "INSERT INTO iocs (type, value, severity, confidence, tlp, status, "
    "first_seen, last_seen, created_at, created_by, updated_at, updated_by) "
    "VALUES (?, ?, 2, 50, 2, ?, 1, 1, 1, 'test', 1, 'test') RETURNING id";

int64_t tl_add_ioc(struct db *db, const char *type, const char *value,
                   int status)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;
    int64_t id;

    if (db_prepare(db, sql_add_ioc, &st, &err) < 0)
        fail_msg("prepare: %s", err.msg);
    db_bind_text(st, 1, type);
    db_bind_text(st, 2, value);
    db_bind_int64(st, 3, status);
    if (db_step(st, &err) != DB_ROW)
        fail_msg("add %s %s: %s", type, value, err.msg);
    id = db_column_int64(st, 0);
    db_finalize(st);
    return id;
}

/* Runs sql with text/int parameters described by fmt ('i' int64, 's'
 * text) and returns the first column of the first row as text (copied) or
 * NULL. */
static char *query(struct db *db, const char *sql, const char *fmt, ...)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct db_stmt *st;
    char *out = NULL;
    va_list ap;
    int rc;

    if (db_prepare(db, sql, &st, &err) < 0)
        fail_msg("prepare %s: %s", sql, err.msg);
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 'i')
            db_bind_int64(st, i + 1, va_arg(ap, int64_t));
        else
            db_bind_text(st, i + 1, va_arg(ap, const char *));
    }
    va_end(ap);
    rc = db_step(st, &err);
    if (rc < 0)
        fail_msg("%s: %s", sql, err.msg);
    if (rc == DB_ROW && !db_column_is_null(st, 0))
        out = xstrdup(db_column_text(st, 0));
    db_finalize(st);
    return out;
}

static int64_t query_int(struct db *db, const char *sql, const char *fmt,
                         int64_t a, const char *b, const char *c)
{
    char *s = c ? query(db, sql, fmt, a, b, c) : query(db, sql, fmt, a, b);
    int64_t n = s ? strtoll(s, NULL, 10) : -1;

    free(s);
    return n;
}

int64_t tl_attempts(struct db *db, int64_t ioc_id, const char *provider,
                    const char *outcome)
{
    if (!outcome)
        return query_int(db,
                         "SELECT COUNT(*) FROM enrich_attempts WHERE "
                         "ioc_id = ? AND provider = ?",
                         "is", ioc_id, provider, NULL);
    return query_int(db,
                     "SELECT COUNT(*) FROM enrich_attempts WHERE ioc_id = ? "
                     "AND provider = ? AND outcome = ?",
                     "iss", ioc_id, provider, outcome);
}

int64_t tl_attempts_total(struct db *db)
{
    char *s = query(db, "SELECT COUNT(*) FROM enrich_attempts", "");
    int64_t n = s ? strtoll(s, NULL, 10) : -1;

    free(s);
    return n;
}

char *tl_attempt_error(struct db *db, int64_t ioc_id, const char *provider)
{
    char *s = query(db,
                    "SELECT error FROM enrich_attempts WHERE ioc_id = ? AND "
                    "provider = ? ORDER BY id DESC LIMIT 1",
                    "is", ioc_id, provider);

    return s ? s : xstrdup("");
}

json_t *tl_result(struct db *db, int64_t ioc_id, const char *provider)
{
    char *s = query(db,
                    "SELECT result FROM enrich_results WHERE ioc_id = ? AND "
                    "provider = ?",
                    "is", ioc_id, provider);
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;

    if (s && !j)
        fail_msg("stored result is not JSON: %s", s);
    free(s);
    return j;
}

int64_t tl_fetched_at(struct db *db, int64_t ioc_id, const char *provider)
{
    return query_int(db,
                     "SELECT fetched_at FROM enrich_results WHERE ioc_id = ? "
                     "AND provider = ?",
                     "is", ioc_id, provider, NULL);
}

int64_t tl_is_enriched(struct db *db, int64_t ioc_id)
{
    return query_int(db, "SELECT is_enriched FROM iocs WHERE id = ?", "i",
                     ioc_id, NULL, NULL);
}

int64_t tl_clock_ms(void *data)
{
    return ((struct tl_clock *)data)->now_ms;
}

void tl_sleep_ms(void *data, int64_t ms)
{
    struct tl_clock *c = data;

    c->now_ms += ms;
    c->slept_ms += ms;
    c->sleeps++;
}

int tl_proc_start(struct tl_proc *p, char *const argv[], char *first_line,
                  size_t size, int timeout_ms)
{
    int fds[2];
    size_t len = 0;
    int64_t deadline = tl_now_ms() + timeout_ms;

    p->pid = -1;
    p->out_fd = -1;
    if (pipe(fds) < 0)
        return -1;
    p->pid = fork();
    if (p->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (p->pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    p->out_fd = fds[0];
    if (!first_line)
        return 0;
    while (len + 1 < size) {
        struct pollfd pfd = { p->out_fd, POLLIN, 0 };
        int left = (int)(deadline - tl_now_ms());
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return -1;
        n = read(p->out_fd, first_line + len, 1);
        if (n <= 0)
            return -1;
        if (first_line[len] == '\n')
            break;
        len++;
    }
    first_line[len] = '\0';
    return 0;
}

void tl_proc_stop(struct tl_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->pid = -1;
    p->out_fd = -1;
}

bool tl_proc_has_exited(struct tl_proc *p)
{
    if (p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == p->pid) {
        p->pid = -1;
        return true;
    }
    return false;
}

/* Binds a socktype socket to the loopback port (0: any) and releases
 * it; returns the port it got, or -1. */
static int bind_loopback(int socktype, int port)
{
    struct sockaddr_in sa = { 0 };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, socktype, 0);
    int got = -1;

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        got = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return got;
}

int tl_free_port(int socktype)
{
    return bind_loopback(socktype, 0);
}

bool tl_port_is_free(int socktype, int port)
{
    return bind_loopback(socktype, port) == port;
}

int64_t tl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
