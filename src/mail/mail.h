/*
 * Email for iocm: building RFC 5322 messages (multipart/alternative, text
 * then HTML, UTF-8) and delivering them over SMTP with libcurl. Callers
 * pass plain structs; nothing here reads the configuration.
 *
 * How a message becomes bytes. libcurl's MIME API (curl_mime_init,
 * curl_mime_addpart, curl_mime_encoder, CURLOPT_MIMEPOST) builds the
 * structure: boundaries, part headers, quoted-printable bodies. libcurl
 * offers no way to serialise a MIME tree except by running a transfer, and
 * `iocm report show --format eml` must print the very bytes that
 * `report send` sends. So mail_eml_build() runs that transfer once against
 * an SMTP sink inside this process (a thread listening on a private
 * abstract Unix socket that accepts only our own process as peer) and keeps
 * what the sink received. mail_send() then uploads exactly those bytes to
 * the real server, so the eml output, the bytes on the wire and the bytes
 * of every retry are the same message with the same Message-ID. We write
 * the top-level headers ourselves (From, To, Subject in RFC 2047, Date,
 * Message-ID, MIME-Version); libcurl adds the multipart Content-Type.
 *
 * Ownership: every struct here that is filled by a function is released by
 * its _release function; strings in the input structs are borrowed.
 */
#ifndef IOCM_MAIL_MAIL_H
#define IOCM_MAIL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strvec.h"

struct iocm_err;

/* One mailbox: "Jane Doe <jane@example.org>" or "jane@example.org". */
struct mail_address {
    char *name; /* display name (UTF-8), NULL when none */
    char *addr; /* "local@domain", as given */
};

/*
 * Parses one mailbox, "addr", "<addr>", "Name <addr>" or
 * "\"Doe, Jane\" <addr>". The address is checked pragmatically: a dot-atom
 * local part of at most 64 characters, '@', a host name with at least two
 * labels (or "localhost"). Fails with IOCM_EINVAL naming s.
 */
int mail_address_parse(const char *s, struct mail_address *out,
                       struct iocm_err *err);
void mail_address_release(struct mail_address *a);

struct mail_address_list {
    struct mail_address *v;
    size_t nr, alloc;
};

#define MAIL_ADDRESS_LIST_INIT                                                 \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

/*
 * Appends the mailboxes of a comma-separated list ("a@x.org, Bo <b@y.org>");
 * spaces around items are allowed, empty items skipped, and a comma inside
 * a quoted display name does not split. On error nothing is appended and
 * the message names the bad address.
 */
int mail_address_list_parse(struct mail_address_list *list, const char *s,
                            struct iocm_err *err);
void mail_address_list_release(struct mail_address_list *list);

/* What a caller wants sent. All strings are borrowed, UTF-8. */
struct mail_message {
    const char *from;       /* one mailbox; also the envelope sender */
    const char *to;         /* comma-separated; NULL or "" with bcc only */
    const char *bcc;        /* comma-separated; envelope only, never a
                               header, so recipients stay hidden */
    const char *subject;    /* RFC 2047-encoded when not plain ASCII */
    const char *text;       /* the text/plain part; LF or CRLF line ends */
    const char *html;       /* the text/html part */
    int64_t date;           /* Unix seconds, written in UTC (+0000) */
    const char *message_id; /* "<id@domain>"; NULL: a random one */
};

/* A built message: the bytes to print or send, and its envelope. */
struct mail_eml {
    char *buf; /* the RFC 5322 message, CRLF line ends */
    size_t len;
    char *message_id;   /* "<...@domain>", as in the header */
    char *sender;       /* envelope sender: the From address */
    struct strvec rcpt; /* envelope recipients, To then Bcc, no repeats */
};

#define MAIL_EML_INIT                                                          \
    {                                                                          \
        NULL, 0, NULL, NULL, STRVEC_INIT                                       \
    }

/*
 * Builds msg into out (which the caller releases, also on failure).
 * Checks everything before building: header values with CR or LF are
 * refused naming the header, every address is validated, there must be at
 * least one recipient. IOCM_EINVAL for bad input, IOCM_EINTERNAL when
 * libcurl fails to serialise.
 */
int mail_eml_build(const struct mail_message *msg, struct mail_eml *out,
                   struct iocm_err *err);
void mail_eml_release(struct mail_eml *eml);

/* How to reach the SMTP server. Strings are borrowed. */
struct mail_transport {
    const char *server;   /* host name or IP address, no port */
    long port;            /* 0: 465 with use_ssl, 587 with use_tls, else 25 */
    bool use_tls;         /* STARTTLS required: never falls back to plain */
    bool use_ssl;         /* implicit TLS (smtps://); wins over use_tls */
    const char *username; /* NULL or "": no AUTH */
    const char *password; /* secret: never in a message or a log line */
    const char *ca_file;  /* PEM bundle; NULL: the system's CA store */
    long timeout_s;       /* connect and whole-session limit; 0: 30 */
};

/* A recipient the server refused while others were accepted. */
struct mail_refusal {
    char *addr;  /* the bare address */
    char *reply; /* the server's reply, "550 5.1.1 user unknown" */
};

/* What a delivery attempt learnt beyond success or failure. */
struct mail_result {
    struct mail_refusal *refused;
    size_t refused_nr, refused_alloc;
    char *reply; /* the server's final reply to the message; NULL if none */
};

#define MAIL_RESULT_INIT                                                       \
    {                                                                          \
        NULL, 0, 0, NULL                                                       \
    }

void mail_result_init(struct mail_result *res);
void mail_result_release(struct mail_result *res);

/*
 * Delivers eml over SMTP: connect, TLS as t says (certificates verified),
 * AUTH when a user name is set, MAIL FROM, RCPT TO for every recipient (one
 * refused recipient does not stop the others: they are listed in res and
 * the call still succeeds), DATA. Returns 0, IOCM_ETEMPFAIL for what is
 * worth retrying (connection refused, timeouts, 4xx replies) or IOCM_ENET
 * for what is not (5xx replies, TLS verification, STARTTLS not offered,
 * authentication refused). The message names the server, the step that
 * failed and the server's reply:
 * "smtp mx.example.org:587: data failed: 554 5.7.1 message refused".
 * res may be NULL; when given it is reset first.
 */
int mail_send(const struct mail_transport *t, const struct mail_eml *eml,
              struct mail_result *res, struct iocm_err *err);

/*
 * mail_send() retried up to `retries` more times while it fails with
 * IOCM_ETEMPFAIL, waiting backoff_base_ms, then twice that, and so on (at
 * most five minutes). *attempts_out (may be NULL) gets the number of
 * attempts made. Permanent failures are never retried.
 */
int mail_send_with_retries(const struct mail_transport *t,
                           const struct mail_eml *eml, int retries,
                           long backoff_base_ms, int *attempts_out,
                           struct mail_result *res, struct iocm_err *err);

/*
 * The connection test of `iocm mail test`: connects, sets up TLS, logs in
 * when a user name is set and sends NOOP, without sending a message.
 * Errors as for mail_send(), naming the step that failed; a user name set
 * for a server that offers no AUTH is an auth failure here (mail_send()
 * lets the server decide whether it needs one).
 */
int mail_check(const struct mail_transport *t, struct iocm_err *err);

/* True for "localhost", names under ".localhost", 127.0.0.0/8 and ::1. The
 * caller warns before sending in plain text to any other host. */
bool mail_host_is_loopback(const char *host);

#endif
