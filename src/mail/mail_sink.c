/*
 * The SMTP sink that turns a libcurl MIME tree into bytes (see mail.h for
 * why): a thread serving one SMTP session on an abstract Unix socket. It
 * needs no file, no port and no network, and it talks only to a peer that
 * is this very process (SO_PEERCRED), so nobody else can slip a message in.
 * Linux-only, as iocm is.
 */
#include "mail/mail_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* How long the sink waits for its one client before giving up; the
 * transfer itself is limited to less than this. */
#define SINK_TIMEOUT_MS 15000

struct mail_sink {
    int listen_fd;
    int wake[2]; /* a pipe: written when the transfer is over */
    pthread_t thread;
    bool thread_started;
    char name[64];
    struct strbuf msg;
    bool got_message; /* set before the final 250, read after join */
    const char *why;  /* what went wrong in the thread, or NULL */
};

/* Waits until fd is readable; false when woken, timed out or failed. */
static bool wait_readable(struct mail_sink *s, int fd)
{
    struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { s->wake[0], POLLIN, 0 } };
    int n;

    do {
        n = poll(pfd, 2, SINK_TIMEOUT_MS);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        s->why = n == 0 ? "timed out" : "poll failed";
        return false;
    }
    if (pfd[1].revents) {
        s->why = "the transfer ended early";
        return false;
    }
    return true;
}

/* Accepts connections until one comes from this process. */
static int accept_own(struct mail_sink *s)
{
    for (;;) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int fd;

        if (!wait_readable(s, s->listen_fd))
            return -1;
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
            cred.pid == getpid())
            return fd;
        close(fd);
    }
}

static void reply(int fd, const char *line)
{
    /* A short reply fits the socket buffer; a failure shows up as the
     * client's error, so it needs no handling here. */
    ssize_t n = send(fd, line, strlen(line), MSG_NOSIGNAL);

    (void)n;
}

/* Answers one command line; returns false after QUIT. */
static bool command(int fd, const char *line, bool *in_data)
{
    if (!strncasecmp(line, "EHLO", 4) || !strncasecmp(line, "HELO", 4)) {
        reply(fd, "250 iocm-sink\r\n");
    } else if (!strncasecmp(line, "DATA", 4)) {
        *in_data = true;
        reply(fd, "354 go ahead\r\n");
    } else if (!strncasecmp(line, "QUIT", 4)) {
        reply(fd, "221 bye\r\n");
        return false;
    } else {
        reply(fd, "250 ok\r\n");
    }
    return true;
}

static void serve(struct mail_sink *s, int fd)
{
    struct strbuf in = STRBUF_INIT;
    bool in_data = false, open = true;
    char buf[16384];

    reply(fd, "220 iocm-sink\r\n");
    while (open) {
        char *nl;
        ssize_t n;

        if (!wait_readable(s, fd))
            break;
        n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        strbuf_add(&in, buf, n);
        for (nl = memchr(in.buf, '\n', in.len); open && nl;
             nl = memchr(in.buf, '\n', in.len)) {
            size_t len = nl - in.buf + 1;

            if (!in_data) {
                *nl = '\0';
                open = command(fd, in.buf, &in_data);
            } else if (len == 3 && !memcmp(in.buf, ".\r\n", 3)) {
                in_data = false;
                s->got_message = true;
                reply(fd, "250 kept\r\n");
            } else {
                /* RFC 5321 4.5.2: drop the dot the client stuffed. */
                size_t skip = in.buf[0] == '.';

                strbuf_add(&s->msg, in.buf + skip, len - skip);
            }
            memmove(in.buf, in.buf + len, in.len - len);
            strbuf_setlen(&in, in.len - len);
        }
    }
    strbuf_release(&in);
}

static void *sink_main(void *arg)
{
    struct mail_sink *s = arg;
    int fd = accept_own(s);

    if (fd >= 0) {
        serve(s, fd);
        close(fd);
    }
    return NULL;
}

static void sink_free(struct mail_sink *s)
{
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    strbuf_release(&s->msg);
    free(s);
}

int mail_sink_start(struct mail_sink **out, struct iocm_err *err)
{
    struct mail_sink *s = xcalloc(1, sizeof(*s));
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    unsigned char rnd[8];
    char hex[2 * sizeof(rnd) + 1];
    size_t len;
    int rc = 0;

    s->listen_fd = s->wake[0] = s->wake[1] = -1;
    strbuf_init(&s->msg, 0);
    if (sodium_init() < 0)
        abort();
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(s->name, sizeof(s->name), "iocm-mail-%ld-%s", (long)getpid(), hex);

    /* An abstract name: sun_path starts with NUL and is not terminated. */
    len = strlen(s->name);
    memcpy(sun.sun_path + 1, s->name, len);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&sun,
             offsetof(struct sockaddr_un, sun_path) + 1 + len) < 0 ||
        listen(s->listen_fd, 4) < 0 || pipe2(s->wake, O_CLOEXEC) < 0) {
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot start the mail sink: %s",
                       strerror(errno));
        goto out;
    }
    if (pthread_create(&s->thread, NULL, sink_main, s) != 0) {
        rc =
            iocm_fail(err, IOCM_EINTERNAL, "cannot start the mail sink thread");
        goto out;
    }
    s->thread_started = true;
out:
    if (rc < 0) {
        sink_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

const char *mail_sink_socket(const struct mail_sink *sink)
{
    return sink->name;
}

int mail_sink_finish(struct mail_sink *sink, struct strbuf *msg,
                     struct iocm_err *err)
{
    int rc = 0;

    if (sink->thread_started) {
        ssize_t n = write(sink->wake[1], "x", 1);

        (void)n; /* a full pipe wakes the thread just as well */
        pthread_join(sink->thread, NULL);
    }
    if (!sink->got_message) {
        rc = iocm_fail(err, IOCM_EINTERNAL,
                       "the mail sink received no message: %s",
                       sink->why ? sink->why : "the client gave up");
        goto out;
    }
    strbuf_addbuf(msg, &sink->msg);
out:
    sink_free(sink);
    return rc;
}
