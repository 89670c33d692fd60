/*
 * SMTP delivery with libcurl: one session per attempt, TLS as configured
 * and verified, the protocol trace watched through CURLOPT_DEBUGFUNCTION
 * to learn which step failed and what the server said. Lines we send are
 * never kept (AUTH carries the credentials); only the address of each RCPT
 * is read from them.
 */
#include "mail/mail.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "mail/mail_int.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* curl 7.69 named the option with three Ls; 8.2 added the right spelling
 * and deprecated the old one. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define DEFAULT_TIMEOUT_S 30L
/* Replies quoted in messages are cut here so that a message fits. */
#define REPLY_MAX 400
/* Backoff between attempts never grows past five minutes. */
#define BACKOFF_MAX_MS (5L * 60 * 1000)

/* What the protocol trace tells about the session so far. */
struct trace {
    const char *step;      /* "connect", "ehlo", "starttls", "auth", ... */
    bool quitting;         /* QUIT went out: later replies explain nothing */
    bool authenticated;    /* the server accepted AUTH (235) */
    struct strbuf partial; /* the reply being read, lines joined */
    struct strbuf reply;   /* the last whole reply to the current command */
    int code;              /* its code; 0 when none came yet */
    char *rcpt;            /* the address of the RCPT in flight */
    const char *where;     /* "host:port", for debug lines */
    const char *secret;    /* the password, masked wherever a reply has it */
    struct mail_result *res;
};

void mail_result_init(struct mail_result *res)
{
    res->refused = NULL;
    res->refused_nr = res->refused_alloc = 0;
    res->reply = NULL;
}

void mail_result_release(struct mail_result *res)
{
    for (size_t i = 0; i < res->refused_nr; i++) {
        free(res->refused[i].addr);
        free(res->refused[i].reply);
    }
    free(res->refused);
    free(res->reply);
    mail_result_init(res);
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && !strncasecmp(s, prefix, n);
}

/* The exact command line "word\r\n". */
static bool is_line(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len == n + 2 && !strncasecmp(s, word, n) && s[n] == '\r';
}

static void on_command(struct trace *t, const char *s, size_t len)
{
    if (t->quitting)
        return;
    if (is_line(s, len, "QUIT")) {
        /* The reply that explains the session's end came before. */
        t->quitting = true;
        return;
    }
    /* A new command: the reply we keep must be the answer to it. */
    t->code = 0;
    strbuf_reset(&t->reply);
    if (starts_with(s, len, "MAIL FROM:")) {
        t->step = "mail from";
    } else if (starts_with(s, len, "RCPT TO:")) {
        const char *lt = memchr(s, '<', len);
        const char *gt = lt ? memchr(lt, '>', s + len - lt) : NULL;

        t->step = "rcpt";
        free(t->rcpt);
        t->rcpt = gt ? xstrndup(lt + 1, gt - lt - 1) : NULL;
    } else if (!strcmp(t->step, "auth")) {
        /* Inside AUTH every line is a credential: leave it unread. */
    } else if (starts_with(s, len, "EHLO ") || starts_with(s, len, "HELO ")) {
        t->step = "ehlo";
    } else if (is_line(s, len, "STARTTLS")) {
        t->step = "starttls";
    } else if (starts_with(s, len, "AUTH ")) {
        t->step = "auth";
    } else if (is_line(s, len, "DATA")) {
        t->step = "data";
    } else if (is_line(s, len, "NOOP")) {
        t->step = "noop";
    }
}

static void add_refusal(struct mail_result *res, const char *addr,
                        const char *reply)
{
    ALLOC_GROW(res->refused, res->refused_nr + 1, res->refused_alloc);
    res->refused[res->refused_nr].addr = xstrdup(addr);
    res->refused[res->refused_nr].reply = xstrdup(reply);
    res->refused_nr++;
}

/* Replaces every copy of secret in sb: a server could echo anything. */
static void scrub(struct strbuf *sb, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *hit = n ? strstr(sb->buf, secret) : NULL;

    /* Searching on after each replacement, so a secret like "*" ends. */
    while (hit) {
        struct strbuf rest = STRBUF_INIT;
        size_t at = hit - sb->buf;

        strbuf_addstr(&rest, hit + n);
        strbuf_setlen(sb, at);
        strbuf_addstr(sb, "***");
        strbuf_addbuf(sb, &rest);
        strbuf_release(&rest);
        hit = strstr(sb->buf + at + 3, secret);
    }
}

/* One line of a server reply: "250-first", ..., "250 last". */
static void on_reply_line(struct trace *t, const char *s, size_t len)
{
    bool last;
    int code;

    if (t->quitting)
        return;
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    if (len < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
        s[2] < '0' || s[2] > '9')
        return;
    code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    last = len == 3 || s[3] != '-';
    if (t->partial.len == 0)
        strbuf_add(&t->partial, s, 3);
    if (len > 4 && t->partial.len < REPLY_MAX) {
        strbuf_addch(&t->partial, ' ');
        strbuf_add(&t->partial, s + 4, len - 4);
    }
    if (!last)
        return;

    scrub(&t->partial, t->secret);
    if (t->partial.len > REPLY_MAX)
        strbuf_setlen(&t->partial, REPLY_MAX);
    strbuf_reset(&t->reply);
    strbuf_addbuf(&t->reply, &t->partial);
    strbuf_reset(&t->partial);
    t->code = code;
    log_debug("smtp %s: %s: %s", t->where, t->step, t->reply.buf);
    if (!strcmp(t->step, "rcpt") && code >= 400 && t->rcpt)
        add_refusal(t->res, t->rcpt, t->reply.buf);
    if (!strcmp(t->step, "auth") && code == 235)
        t->authenticated = true;
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
                    void *arg)
{
    struct trace *t = arg;

    (void)curl;
    /* Only protocol lines: curl's own text and the message body are not
     * needed, and TLS records are opaque. */
    if (type == CURLINFO_HEADER_OUT)
        on_command(t, data, size);
    else if (type == CURLINFO_HEADER_IN)
        on_reply_line(t, data, size);
    return 0;
}

struct upload {
    const char *buf;
    size_t len, pos;
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb;

    if (n > u->len - u->pos)
        n = u->len - u->pos;
    memcpy(dst, u->buf + u->pos, n);
    u->pos += n;
    return n;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb; /* the NOOP reply's text: the trace has it */
}

bool mail_host_is_loopback(const char *host)
{
    struct strbuf h = STRBUF_INIT;
    unsigned char a[16];
    bool loop = false;

    if (!host)
        return false;
    strbuf_addstr(&h, host);
    if (h.len >= 2 && h.buf[0] == '[' && h.buf[h.len - 1] == ']') {
        memmove(h.buf, h.buf + 1, h.len - 2);
        strbuf_setlen(&h, h.len - 2);
    }
    if (h.len && h.buf[h.len - 1] == '.')
        strbuf_setlen(&h, h.len - 1);
    strbuf_tolower(&h);

    if (!strcmp(h.buf, "localhost") ||
        (h.len > 10 && !strcmp(h.buf + h.len - 10, ".localhost"))) {
        loop = true;
    } else if (inet_pton(AF_INET, h.buf, a) == 1) {
        loop = a[0] == 127;
    } else if (inet_pton(AF_INET6, h.buf, a) == 1) {
        static const unsigned char one[16] = { [15] = 1 };
        static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

        loop = !memcmp(a, one, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
    }
    strbuf_release(&h);
    return loop;
}

/* A session: one libcurl handle and what its trace learns. */
struct session {
    CURL *curl;
    struct trace trace;
    struct strbuf where; /* "host:port" */
    struct strbuf url;
    struct curl_slist *rcpt;
    struct strbuf from;
    struct upload upload;
    char errbuf[CURL_ERROR_SIZE];
};

static bool server_is_valid(const char *s)
{
    unsigned char a[16];

    return mail_hostname_is_valid(s, strlen(s)) ||
           inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Sets one option unless an earlier one failed; cc holds the first error. */
#define SET(handle, opt, val)                                                  \
    do {                                                                       \
        if (cc == CURLE_OK)                                                    \
            cc = curl_easy_setopt((handle), (opt), (val));                     \
    } while (0)

/* Sets up everything a session needs but the request itself. */
static int session_open(struct session *s, const struct mail_transport *t,
                        struct mail_result *res, struct iocm_err *err)
{
    long timeout = t->timeout_s > 0 ? t->timeout_s : DEFAULT_TIMEOUT_S;
    long port = t->port;
    bool v6;
    CURLcode cc = CURLE_OK;

    memset(s, 0, sizeof(*s));
    strbuf_init(&s->where, 0);
    strbuf_init(&s->url, 0);
    strbuf_init(&s->from, 0);
    strbuf_init(&s->trace.partial, 0);
    strbuf_init(&s->trace.reply, 0);
    s->trace.step = "connect";
    s->trace.res = res;

    if (!t->server || !server_is_valid(t->server))
        return iocm_fail(err, IOCM_EINVAL, "invalid mail server '%s'",
                         t->server ? t->server : "");
    if (port <= 0)
        port = t->use_ssl ? 465 : t->use_tls ? 587 : 25;
    if (port > 65535)
        return iocm_fail(err, IOCM_EINVAL, "invalid mail port %ld", port);
    v6 = strchr(t->server, ':') != NULL;
    strbuf_addf(&s->where, v6 ? "[%s]:%ld" : "%s:%ld", t->server, port);
    strbuf_addf(&s->url, "%s://%s", t->use_ssl ? "smtps" : "smtp",
                s->where.buf);
    s->trace.where = s->where.buf;
    s->trace.secret = t->password;

    s->curl = curl_easy_init();
    if (!s->curl)
        return iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libcurl");
    SET(s->curl, CURLOPT_URL, s->url.buf);
    SET(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(s->curl, CURLOPT_PROXY,
        ""); /* never through a proxy from the environment */
    SET(s->curl, CURLOPT_NOSIGNAL, 1L);
    SET(s->curl, CURLOPT_FORBID_REUSE, 1L);
    SET(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
    SET(s->curl, CURLOPT_CONNECTTIMEOUT, timeout);
    SET(s->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
    SET(s->curl, CURLOPT_TIMEOUT, timeout);
    /* STARTTLS or nothing: CURLUSESSL_ALL fails when it is not offered. */
    if (t->use_tls && !t->use_ssl)
        SET(s->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    SET(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    SET(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file && *t->ca_file)
        SET(s->curl, CURLOPT_CAINFO, t->ca_file);
    if (t->username && *t->username) {
        SET(s->curl, CURLOPT_USERNAME, t->username);
        SET(s->curl, CURLOPT_PASSWORD, t->password ? t->password : "");
    }
    /* The debug callback sees the protocol only when verbose is on; it
     * replaces curl's own printing, so nothing reaches stderr. */
    SET(s->curl, CURLOPT_DEBUGFUNCTION, on_debug);
    SET(s->curl, CURLOPT_DEBUGDATA, &s->trace);
    SET(s->curl, CURLOPT_VERBOSE, 1L);
    if (cc != CURLE_OK)
        return iocm_fail(err, IOCM_EINTERNAL, "cannot set up libcurl: %s",
                         curl_easy_strerror(cc));
    return 0;
}

static void session_close(struct session *s)
{
    curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->rcpt);
    strbuf_release(&s->where);
    strbuf_release(&s->url);
    strbuf_release(&s->from);
    strbuf_release(&s->trace.partial);
    strbuf_release(&s->trace.reply);
    free(s->trace.rcpt);
}

static bool is_tls_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
        return true;
    default:
        return false;
    }
}

/* Failures that another attempt may not meet. */
static bool is_transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return true;
    default:
        return false;
    }
}

/* Runs the session and turns its outcome into 0 or a classified error. */
static int session_run(struct session *s, const struct mail_transport *t,
                       struct iocm_err *err)
{
    struct trace *tr = &s->trace;
    struct strbuf msg = STRBUF_INIT;
    CURLcode cc = curl_easy_perform(s->curl);
    const char *step;
    int code;

    if (cc == CURLE_OK) {
        if (tr->reply.len && tr->res) {
            free(tr->res->reply);
            tr->res->reply = xstrdup(tr->reply.buf);
        }
        return 0;
    }

    step = tr->step;
    if (cc == CURLE_USE_SSL_FAILED)
        step = "starttls";
    else if (is_tls_error(cc) && !strcmp(step, "connect"))
        step = "tls";
    strbuf_addf(&msg, "smtp %s: %s failed: ", s->where.buf, step);

    if (cc == CURLE_USE_SSL_FAILED) {
        code = IOCM_ENET;
        strbuf_addstr(&msg, "the server does not offer STARTTLS");
    } else if (tr->code >= 400) {
        code = tr->code < 500 ? IOCM_ETEMPFAIL : IOCM_ENET;
        strbuf_addbuf(&msg, &tr->reply);
    } else {
        code = is_transient(cc) ? IOCM_ETEMPFAIL : IOCM_ENET;
        strbuf_addstr(&msg, s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc));
    }
    if (!strcmp(step, "rcpt") && tr->res && tr->res->refused_nr) {
        strbuf_addstr(&msg, " (refused:");
        for (size_t i = 0; i < tr->res->refused_nr; i++)
            strbuf_addf(&msg, " %s", tr->res->refused[i].addr);
        strbuf_addch(&msg, ')');
    }
    scrub(&msg, t->password);
    iocm_fail(err, code, "%s", msg.buf);
    strbuf_release(&msg);
    return code;
}

int mail_send(const struct mail_transport *t, const struct mail_eml *eml,
              struct mail_result *res, struct iocm_err *err)
{
    struct mail_result own = MAIL_RESULT_INIT;
    struct session s;
    CURLcode cc = CURLE_OK;
    int rc;

    if (res)
        mail_result_release(res);
    else
        res = &own;
    rc = session_open(&s, t, res, err);
    if (rc < 0)
        goto out;
    if (!eml->buf || !eml->sender || eml->rcpt.nr == 0) {
        rc = iocm_fail(err, IOCM_EINVAL, "no message or no recipients");
        goto out;
    }

    strbuf_addf(&s.from, "<%s>", eml->sender);
    for (size_t i = 0; i < eml->rcpt.nr; i++) {
        struct strbuf one = STRBUF_INIT;
        struct curl_slist *grown;

        strbuf_addf(&one, "<%s>", eml->rcpt.v[i]);
        grown = curl_slist_append(s.rcpt, one.buf);
        strbuf_release(&one);
        if (!grown)
            abort(); /* out of memory, as xmalloc would */
        s.rcpt = grown;
    }
    s.upload.buf = eml->buf;
    s.upload.len = eml->len;

    SET(s.curl, CURLOPT_MAIL_FROM, s.from.buf);
    SET(s.curl, CURLOPT_MAIL_RCPT, s.rcpt);
    /* One refused recipient must not stop the others. */
    SET(s.curl, MAIL_RCPT_ALLOWFAILS, 1L);
    SET(s.curl, CURLOPT_UPLOAD, 1L);
    SET(s.curl, CURLOPT_READFUNCTION, on_read);
    SET(s.curl, CURLOPT_READDATA, &s.upload);
    SET(s.curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)eml->len);
    if (cc != CURLE_OK) {
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot set up libcurl: %s",
                       curl_easy_strerror(cc));
        goto out;
    }
    rc = session_run(&s, t, err);
out:
    session_close(&s);
    mail_result_release(&own);
    return rc;
}

int mail_check(const struct mail_transport *t, struct iocm_err *err)
{
    struct mail_result res = MAIL_RESULT_INIT;
    struct session s;
    CURLcode cc = CURLE_OK;
    int rc;

    rc = session_open(&s, t, &res, err);
    if (rc < 0)
        goto out;
    /* Without recipients or upload, curl's SMTP sends this one command
     * after connect, TLS and AUTH: the whole session but a message. */
    SET(s.curl, CURLOPT_CUSTOMREQUEST, "NOOP");
    SET(s.curl, CURLOPT_WRITEFUNCTION, on_write);
    if (cc != CURLE_OK) {
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot set up libcurl: %s",
                       curl_easy_strerror(cc));
        goto out;
    }
    rc = session_run(&s, t, err);
    /* curl skips AUTH when the server offers none; a connection test must
     * say that the credentials were never tried. */
    if (rc == 0 && t->username && *t->username && !s.trace.authenticated)
        rc = iocm_fail(err, IOCM_ENET,
                       "smtp %s: auth failed: the server does not offer AUTH",
                       s.where.buf);
out:
    session_close(&s);
    mail_result_release(&res);
    return rc;
}

#undef SET

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int mail_send_with_retries(const struct mail_transport *t,
                           const struct mail_eml *eml, int retries,
                           long backoff_base_ms, int *attempts_out,
                           struct mail_result *res, struct iocm_err *err)
{
    long wait_ms = backoff_base_ms > 0 ? backoff_base_ms : 0;
    int attempts = 0;
    int rc;

    for (;;) {
        attempts++;
        rc = mail_send(t, eml, res, err);
        if (rc != IOCM_ETEMPFAIL || attempts > retries)
            break;
        log_debug("attempt %d failed, retrying in %ld ms", attempts, wait_ms);
        sleep_ms(wait_ms);
        wait_ms = wait_ms > BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : wait_ms * 2;
    }
    if (attempts_out)
        *attempts_out = attempts;
    return rc;
}
