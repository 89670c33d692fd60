/*
 * Private interfaces of mail/: header encoding and folding, the Date and
 * Message-ID formats, and the in-process SMTP sink that turns a libcurl MIME
 * tree into bytes. Unit tests include this header to pin the formats.
 */
#ifndef IOCM_MAIL_MAIL_INT_H
#define IOCM_MAIL_MAIL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iocm_err;
struct mail_address_list;
struct strbuf;

/* Folded header lines are kept to this many characters where a fold is
 * possible (RFC 2047 asks at most 76 for lines with encoded-words). */
#define MAIL_LINE_MAX 76
/* RFC 2047: an encoded-word is at most 75 characters. */
#define MAIL_WORD_MAX 75

/* Room for "Thu, 04 Dec 2026 08:00:00 +0000" with any int fields. */
#define MAIL_DATE_LEN 64

/* Writes t as an RFC 5322 date in UTC into buf (MAIL_DATE_LEN bytes). */
void mail_format_date(int64_t t, char *buf);

/* Returns "<32 random hex digits@domain>"; the caller frees it. */
char *mail_message_id_new(const char *domain);

/* True for a host name: labels of letters, digits and inner hyphens, 1-63
 * characters each, 253 at most in all. */
bool mail_hostname_is_valid(const char *host, size_t len);

/*
 * Refuses a header value holding CR or LF (IOCM_EINVAL naming the header),
 * or one that is not UTF-8. value may be NULL (nothing to check).
 */
int mail_header_check(const char *name, const char *value,
                      struct iocm_err *err);

/*
 * Appends "Name: value" without the final CRLF, folded with CRLF + space
 * where a line would pass MAIL_LINE_MAX. An unstructured value (Subject)
 * that is not plain printable ASCII becomes RFC 2047 B encoded-words of
 * whole UTF-8 characters, each at most MAIL_WORD_MAX characters. The value
 * must have passed mail_header_check().
 */
void mail_header_add_text(struct strbuf *sb, const char *name,
                          const char *value);

/* Appends "Name: a, Display <b>" for list, folded between addresses and
 * with display names quoted or RFC 2047-encoded as they need. An empty
 * list gives "Name: undisclosed-recipients:;". */
void mail_header_add_addresses(struct strbuf *sb, const char *name,
                               const struct mail_address_list *list);

/* Appends s to sb with every line ending (LF, CR or CRLF) made CRLF. */
void mail_add_crlf(struct strbuf *sb, const char *s);

/*
 * The sink: an SMTP server on an abstract Unix socket, served by a thread,
 * that accepts one connection from this very process and keeps the DATA it
 * receives (dot-unstuffed). Start it, point a libcurl SMTP transfer at
 * mail_sink_socket() with CURLOPT_ABSTRACT_UNIX_SOCKET, then finish it.
 */
struct mail_sink;

int mail_sink_start(struct mail_sink **out, struct iocm_err *err);
/* The abstract socket's name (without the leading NUL). */
const char *mail_sink_socket(const struct mail_sink *sink);
/*
 * Stops the sink, joins its thread and frees it. Appends the message it
 * received to msg and returns 0, or IOCM_EINTERNAL when no whole message
 * arrived.
 */
int mail_sink_finish(struct mail_sink *sink, struct strbuf *msg,
                     struct iocm_err *err);

#endif
