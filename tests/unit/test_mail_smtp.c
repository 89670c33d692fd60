/*
 * Integration tests for mail/ delivery against a real SMTP server: each
 * case starts tests/smtp/smtp_server.py (aiosmtpd, loopback, a port the
 * kernel picks) with the behaviour it needs, sends through mail_send() and
 * checks both what iocm reports and what the server received. A throwaway
 * CA made by tests/smtp/make_ca.sh signs the server's certificate.
 *
 * Environment (set by meson): IOCM_SMTP_DIR, the tests/smtp folder, and
 * IOCM_PYTHON, a Python with aiosmtpd (Debian's /usr/bin/python3).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fs_testlib.h"
#include "mail/mail.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* How long a server may take to print its port. */
#define SERVER_START_MS 10000
/* Retries in tests wait milliseconds, not seconds. */
#define TEST_BACKOFF_MS 10L

static const char *python;
static const char *smtp_dir;
static char root[PATH_MAX];
static char ca_pem[PATH_MAX + 16], cert[PATH_MAX + 16], key[PATH_MAX + 16];

/* The server of the running test; the teardown stops it, also after a
 * failed assertion. */
static struct {
    pid_t pid;
    long port;
    char maildir[PATH_MAX + 32];
} srv = { -1, 0, "" };

static void stop_server(void)
{
    int status;

    if (srv.pid <= 0)
        return;
    kill(srv.pid, SIGTERM);
    for (int i = 0; i < 150; i++) {
        struct timespec ts = { 0, 20 * 1000000L };

        if (waitpid(srv.pid, &status, WNOHANG) == srv.pid) {
            srv.pid = -1;
            return;
        }
        nanosleep(&ts, NULL);
    }
    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, &status, 0);
    srv.pid = -1;
}

static int teardown_server(void **state)
{
    (void)state;
    stop_server();
    return 0;
}

/*
 * Runs argv with stdout into a pipe and returns the child's pid and the
 * pipe's read end. The child dies with us (PR_SET_PDEATHSIG), so no server
 * outlives a crashed test.
 */
static pid_t spawn(char *const argv[], int *out_fd)
{
    pid_t parent = getpid();
    int fds[2];
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0)
        fail_msg("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(fds[1], STDOUT_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

/* Reads fd to its end (or until timeout_ms passes) into out. */
static void read_all(int fd, struct strbuf *out, int timeout_ms,
                     bool stop_at_newline)
{
    char buf[4096];

    for (;;) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        ssize_t n;

        if (poll(&pfd, 1, timeout_ms) <= 0)
            break;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        strbuf_add(out, buf, n);
        if (stop_at_newline && memchr(out->buf, '\n', out->len))
            break;
    }
}

/* Starts smtp_server.py with args ("@CERT@" and "@KEY@" stand for the
 * test certificate) and a fresh maildir, and waits for its port. */
static void start_server(const char *const *args)
{
    static int serial;
    struct strvec argv = STRVEC_INIT;
    struct strbuf line = STRBUF_INIT, script = STRBUF_INIT;
    int fd;

    snprintf(srv.maildir, sizeof(srv.maildir), "%s/mail-%d", root, ++serial);
    if (mkdir(srv.maildir, 0700) < 0)
        fail_msg("mkdir %s: %s", srv.maildir, strerror(errno));
    strbuf_addf(&script, "%s/smtp_server.py", smtp_dir);
    strvec_push(&argv, python);
    strvec_push(&argv, script.buf);
    strvec_push(&argv, "--maildir");
    strvec_push(&argv, srv.maildir);
    for (; args && *args; args++) {
        if (!strcmp(*args, "@CERT@"))
            strvec_push(&argv, cert);
        else if (!strcmp(*args, "@KEY@"))
            strvec_push(&argv, key);
        else
            strvec_push(&argv, *args);
    }
    srv.pid = spawn(argv.v, &fd);
    read_all(fd, &line, SERVER_START_MS, true);
    close(fd);
    srv.port = strtol(line.buf, NULL, 10);
    if (srv.port <= 0)
        fail_msg("smtp_server.py printed no port (got '%s')", line.buf);
    strvec_clear(&argv);
    strbuf_release(&line);
    strbuf_release(&script);
}

/* A port nothing listens on: one the kernel just handed out and took
 * back. */
static long closed_port(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static size_t count_delivered(void)
{
    DIR *d = opendir(srv.maildir);
    size_t n = 0;

    if (!d)
        return 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        size_t len = strlen(e->d_name);

        n += len > 4 && !strcmp(e->d_name + len - 4, ".eml");
    }
    closedir(d);
    return n;
}

#define SUBJECT "[TLP:AMBER] T\xc3\xa4glicher IOC-Bericht \xe2\x80\x94 3 neue"

static void build_message(const char *to, struct mail_eml *eml)
{
    struct mail_message m = {
        .from = "IOCM Reports <reports@iocm.example>",
        .to = to,
        .subject = SUBJECT,
        .text = "Daily report\n\n3 new indicators\nhxxps://evil[.]example\n"
                ".a line that SMTP dot-stuffs\n",
        .html = "<html><body><p style=\"font-weight:bold\">3 new "
                "indicators</p><p>hxxps://evil[.]example</p></body></html>",
        .date = 1796371200,
    };
    struct iocm_err err = IOCM_ERR_INIT;

    if (mail_eml_build(&m, eml, &err) != 0)
        fail_msg("build: %s", err.msg);
}

static const char *const starttls_auth[] = {
    "--starttls", "@CERT@", "@KEY@", "--auth", "alice:s3cret-P4ss", NULL
};

static struct mail_transport transport(bool tls, bool ssl, bool trust,
                                       const char *password)
{
    struct mail_transport t = {
        .server = "127.0.0.1",
        .port = srv.port,
        .use_tls = tls,
        .use_ssl = ssl,
        .username = password ? "alice" : NULL,
        .password = password,
        .ca_file = trust ? ca_pem : NULL,
        .timeout_s = 10,
    };

    return t;
}

/* Sends stderr, where debug lines go, to a file until stderr_end(). */
static int stderr_begin(char *path, size_t size)
{
    int fd, saved;

    snprintf(path, size, "%s/stderr-XXXXXX", root);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    log_set_level(LOG_LEVEL_DEBUG);
    return saved;
}

static void stderr_end(int saved, const char *path, struct strbuf *out)
{
    FILE *fp;

    log_set_level(LOG_LEVEL_WARN);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_int_equal(strbuf_read_file(out, fp), 0);
    fclose(fp);
}

struct scenario {
    const char *name;
    const char *server[8]; /* smtp_server.py options; none: nothing listens */
    bool use_tls, use_ssl, trust_ca;
    const char *password; /* NULL: no AUTH */
    const char *to;       /* NULL: alice@example.com */
    int retries;
    int rc, attempts;
    size_t delivered;
    const char *says[3]; /* in the error message */
};

static const struct scenario scenarios[] = {
    { "starttls_auth_delivers",
      { "--starttls", "@CERT@", "@KEY@", "--auth", "alice:s3cret-P4ss" },
      .use_tls = true,
      .trust_ca = true,
      .password = "s3cret-P4ss",
      .rc = 0,
      .attempts = 1,
      .delivered = 1 },
    { "implicit_tls_delivers",
      { "--implicit-tls", "@CERT@", "@KEY@", "--auth", "alice:s3cret-P4ss" },
      .use_ssl = true,
      .trust_ca = true,
      .password = "s3cret-P4ss",
      .rc = 0,
      .attempts = 1,
      .delivered = 1 },
    { "wrong_password_is_permanent_and_not_shown",
      { "--starttls", "@CERT@", "@KEY@", "--auth", "alice:s3cret-P4ss" },
      .use_tls = true,
      .trust_ca = true,
      .password = "Wr0ng-Pa55word",
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "auth failed", "535" } },
    { "server_down_is_transient",
      { NULL },
      .retries = 1,
      .rc = IOCM_ETEMPFAIL,
      .attempts = 2,
      .says = { "smtp 127.0.0.1:", "connect failed" } },
    { "password_echoed_by_server_is_masked",
      { "--starttls", "@CERT@", "@KEY@", "--auth", "alice:s3cret-P4ss",
        "--echo-credentials" },
      .use_tls = true,
      .trust_ca = true,
      .password = "Wr0ng-Pa55word",
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "auth failed: 535 5.7.8 wrong password ***" } },
    { "starttls_not_offered_sends_nothing",
      { "--no-starttls" },
      .use_tls = true,
      .trust_ca = true,
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "starttls failed", "does not offer STARTTLS" } },
    { "first_421_then_delivered_on_retry",
      { "--fail-first", "1", "421" },
      .retries = 3,
      .rc = 0,
      .attempts = 2,
      .delivered = 1 },
    { "451_until_retries_run_out",
      { "--fail-first", "9", "451" },
      .retries = 2,
      .rc = IOCM_ETEMPFAIL,
      .attempts = 3,
      .says = { "data failed", "451 4.3.0" } },
    { "554_is_not_retried",
      { "--reject-data", "554" },
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "data failed", "554 5.7.1 rejected: message refused" } },
    { "every_recipient_refused_fails",
      { "--reject-rcpt", "bob@example.com" },
      .to = "bob@example.com",
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "rcpt failed", "550", "bob@example.com" } },
    { "untrusted_cert_fails_starttls",
      { "--starttls", "@CERT@", "@KEY@" },
      .use_tls = true,
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "starttls failed", "certificate" } },
    { "untrusted_cert_fails_implicit_tls",
      { "--implicit-tls", "@CERT@", "@KEY@" },
      .use_ssl = true,
      .retries = 3,
      .rc = IOCM_ENET,
      .attempts = 1,
      .says = { "tls failed", "certificate" } },
};

static void run_scenario(void **state)
{
    const struct scenario *sc = *state;
    struct mail_eml eml = MAIL_EML_INIT;
    struct mail_result res = MAIL_RESULT_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf log = STRBUF_INIT;
    struct mail_transport t;
    char log_path[PATH_MAX + 32];
    int attempts = -1, rc, saved;

    if (sc->server[0])
        start_server(sc->server);
    else
        srv.port = closed_port();
    t = transport(sc->use_tls, sc->use_ssl, sc->trust_ca, sc->password);
    build_message(sc->to ? sc->to : "alice@example.com", &eml);

    /* With debug logging on, which prints every server reply. */
    saved = stderr_begin(log_path, sizeof(log_path));
    rc = mail_send_with_retries(&t, &eml, sc->retries, TEST_BACKOFF_MS,
                                &attempts, &res, &err);
    stderr_end(saved, log_path, &log);
    if (rc != sc->rc)
        fail_msg("rc %d, want %d: %s", rc, sc->rc, err.msg);
    if (rc < 0)
        print_message("%s\n", err.msg);
    assert_int_equal(attempts, sc->attempts);
    for (size_t i = 0; i < ARRAY_SIZE(sc->says) && sc->says[i]; i++)
        if (!strstr(err.msg, sc->says[i]))
            fail_msg("message '%s' lacks '%s'", err.msg, sc->says[i]);
    if (sc->password) {
        /* The debug lines were there, the password was not. */
        assert_non_null(strstr(log.buf, "smtp 127.0.0.1:"));
        assert_null(strstr(err.msg, sc->password));
        assert_null(strstr(log.buf, sc->password));
    }
    if (sc->server[0])
        assert_int_equal(count_delivered(), sc->delivered);
    if (rc == 0) {
        assert_non_null(res.reply);
        assert_non_null(strstr(res.reply, "250"));
    }
    strbuf_release(&log);
    mail_result_release(&res);
    mail_eml_release(&eml);
}

/* Runs check_message.py on the n-th received message. */
static json_t *check_message(int n)
{
    struct strbuf script = STRBUF_INIT, file = STRBUF_INIT, out = STRBUF_INIT;
    char *argv[4];
    json_error_t jerr;
    json_t *j;
    int fd, status;
    pid_t pid;

    strbuf_addf(&script, "%s/check_message.py", smtp_dir);
    strbuf_addf(&file, "%s/msg-%04d.eml", srv.maildir, n);
    argv[0] = (char *)python;
    argv[1] = script.buf;
    argv[2] = file.buf;
    argv[3] = NULL;
    pid = spawn(argv, &fd);
    read_all(fd, &out, SERVER_START_MS, false);
    close(fd);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    j = json_loads(out.buf, 0, &jerr);
    if (!j)
        fail_msg("check_message.py: %s in '%s'", jerr.text, out.buf);
    strbuf_release(&script);
    strbuf_release(&file);
    strbuf_release(&out);
    return j;
}

static const char *jstr(json_t *obj, const char *path1, const char *path2)
{
    json_t *v = json_object_get(obj, path1);

    if (path2)
        v = json_object_get(v, path2);
    if (!json_is_string(v))
        fail_msg("no string at %s%s%s", path1, path2 ? "." : "",
                 path2 ? path2 : "");
    return json_string_value(v);
}

static void read_file(const char *path, struct strbuf *out)
{
    FILE *fp = fopen(path, "rb");

    assert_non_null(fp);
    assert_int_equal(strbuf_read_file(out, fp), 0);
    fclose(fp);
}

static void test_received_message_is_what_we_built(void **state)
{
    struct mail_eml eml = MAIL_EML_INIT;
    struct mail_result res = MAIL_RESULT_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    struct mail_transport t;
    struct strbuf got = STRBUF_INIT, path = STRBUF_INIT;
    json_t *j, *parts, *rcpt;

    (void)state;
    start_server(starttls_auth);
    t = transport(true, false, true, "s3cret-P4ss");
    build_message("alice@example.com, \"Doe, Jane\" <jane@example.com>", &eml);
    if (mail_send(&t, &eml, &res, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(count_delivered(), 1);

    /* The eml bytes are the bytes the server stored. */
    strbuf_addf(&path, "%s/msg-0001.eml", srv.maildir);
    read_file(path.buf, &got);
    assert_int_equal(got.len, eml.len);
    assert_memory_equal(got.buf, eml.buf, eml.len);

    j = check_message(1);
    assert_string_equal(jstr(j, "content_type", NULL), "multipart/alternative");
    assert_int_equal(json_array_size(json_object_get(j, "defects")), 0);
    assert_string_equal(jstr(j, "headers", "Subject"), SUBJECT);
    assert_string_equal(jstr(j, "headers", "From"),
                        "IOCM Reports <reports@iocm.example>");
    assert_string_equal(jstr(j, "headers", "To"),
                        "alice@example.com, \"Doe, Jane\" <jane@example.com>");
    assert_string_equal(jstr(j, "headers", "Date"),
                        "Fri, 04 Dec 2026 08:00:00 +0000");
    assert_string_equal(jstr(j, "headers", "Message-ID"), eml.message_id);
    assert_string_equal(jstr(j, "headers", "MIME-Version"), "1.0");

    parts = json_object_get(j, "parts");
    assert_int_equal(json_array_size(parts), 2);
    assert_string_equal(jstr(json_array_get(parts, 0), "content_type", NULL),
                        "text/plain");
    assert_string_equal(jstr(json_array_get(parts, 1), "content_type", NULL),
                        "text/html");
    for (size_t i = 0; i < 2; i++) {
        json_t *p = json_array_get(parts, i);

        assert_string_equal(jstr(p, "charset", NULL), "utf-8");
        assert_non_null(strstr(jstr(p, "body", NULL), "3 new indicators"));
    }
    assert_non_null(strstr(jstr(json_array_get(parts, 0), "body", NULL),
                           "\n.a line that SMTP dot-stuffs\n"));
    assert_non_null(strstr(jstr(json_array_get(parts, 1), "body", NULL),
                           "style=\"font-weight:bold\""));

    /* The envelope: over TLS, logged in, both recipients. */
    assert_true(
        json_is_true(json_object_get(json_object_get(j, "envelope"), "tls")));
    assert_string_equal(jstr(j, "envelope", "auth_user"), "alice");
    assert_string_equal(jstr(j, "envelope", "mail_from"),
                        "reports@iocm.example");
    rcpt = json_object_get(json_object_get(j, "envelope"), "rcpt_tos");
    assert_int_equal(json_array_size(rcpt), 2);
    assert_string_equal(json_string_value(json_array_get(rcpt, 1)),
                        "jane@example.com");
    assert_non_null(res.reply);
    assert_non_null(strstr(res.reply, "250 2.0.0 OK queued as msg-0001"));

    json_decref(j);
    strbuf_release(&got);
    strbuf_release(&path);
    mail_result_release(&res);
    mail_eml_release(&eml);
}

static void test_one_refused_recipient_does_not_stop_others(void **state)
{
    static const char *const args[] = { "--reject-rcpt", "bob@example.com",
                                        NULL };
    struct mail_eml eml = MAIL_EML_INIT;
    struct mail_result res = MAIL_RESULT_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    struct mail_transport t;
    json_t *j, *rcpt;

    (void)state;
    start_server(args);
    t = transport(false, false, false, NULL);
    build_message("alice@example.com, bob@example.com, carol@example.com",
                  &eml);
    if (mail_send(&t, &eml, &res, &err) != 0)
        fail_msg("%s", err.msg);

    assert_int_equal(res.refused_nr, 1);
    assert_string_equal(res.refused[0].addr, "bob@example.com");
    assert_non_null(strstr(res.refused[0].reply, "550 5.1.1"));

    assert_int_equal(count_delivered(), 1);
    j = check_message(1);
    rcpt = json_object_get(json_object_get(j, "envelope"), "rcpt_tos");
    assert_int_equal(json_array_size(rcpt), 2);
    assert_string_equal(json_string_value(json_array_get(rcpt, 0)),
                        "alice@example.com");
    assert_string_equal(json_string_value(json_array_get(rcpt, 1)),
                        "carol@example.com");
    json_decref(j);
    mail_result_release(&res);
    mail_eml_release(&eml);
}

static void test_connection_check_names_failing_step(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct mail_transport t;

    (void)state;
    start_server(starttls_auth);
    t = transport(true, false, true, "s3cret-P4ss");
    if (mail_check(&t, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(count_delivered(), 0);

    t.password = "n0t-the-Passw0rd";
    assert_int_equal(mail_check(&t, &err), IOCM_ENET);
    assert_non_null(strstr(err.msg, "auth failed: 535"));
    assert_null(strstr(err.msg, t.password));

    t = transport(true, false, false, "s3cret-P4ss");
    assert_int_equal(mail_check(&t, &err), IOCM_ENET);
    assert_non_null(strstr(err.msg, "starttls failed"));
    stop_server();

    /* Credentials configured for a server that offers no AUTH. */
    start_server(NULL);
    t = transport(false, false, false, "s3cret-P4ss");
    assert_int_equal(mail_check(&t, &err), IOCM_ENET);
    assert_non_null(strstr(err.msg, "auth failed: the server does not offer"));
    t = transport(false, false, false, NULL);
    assert_int_equal(mail_check(&t, &err), 0);
    stop_server();

    t.port = closed_port();
    assert_int_equal(mail_check(&t, &err), IOCM_ETEMPFAIL);
    assert_non_null(strstr(err.msg, "connect failed"));
}

static int setup_ca(void **state)
{
    struct strbuf cmd = STRBUF_INIT;
    const char *tmp = getenv("TMPDIR");
    int rc;

    (void)state;
    python = getenv("IOCM_PYTHON");
    if (!python || !*python)
        python = "/usr/bin/python3";
    smtp_dir = getenv("IOCM_SMTP_DIR");
    if (!smtp_dir || !*smtp_dir) {
        fprintf(stderr, "IOCM_SMTP_DIR is not set\n");
        return -1;
    }
    snprintf(root, sizeof(root), "%s/iocm-mail-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        return -1;
    snprintf(ca_pem, sizeof(ca_pem), "%s/ca/ca.pem", root);
    snprintf(cert, sizeof(cert), "%s/ca/server.pem", root);
    snprintf(key, sizeof(key), "%s/ca/server.key", root);
    strbuf_addf(&cmd, "sh '%s/make_ca.sh' '%s/ca'", smtp_dir, root);
    rc = system(cmd.buf);
    strbuf_release(&cmd);
    return rc == 0 ? 0 : -1;
}

static int remove_root(void **state)
{
    (void)state;
    stop_server();
    if (root[0])
        remove_tree(root);
    return 0;
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test_teardown(test_received_message_is_what_we_built,
                                  teardown_server),
        cmocka_unit_test_teardown(
            test_one_refused_recipient_does_not_stop_others, teardown_server),
        cmocka_unit_test_teardown(test_connection_check_names_failing_step,
                                  teardown_server),
    };
    struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(scenarios)];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
        struct CMUnitTest t = { scenarios[i].name, run_scenario, NULL,
                                teardown_server, (void *)&scenarios[i] };

        tests[n++] = t;
    }
    return cmocka_run_group_tests(tests, setup_ca, remove_root);
}
