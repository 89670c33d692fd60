/*
 * A growable string buffer, the one string builder of iocm.
 *
 * Invariants (as in git): buf is never NULL and always NUL-terminated;
 * len is the string's length; alloc is 0 while buf points at a shared empty
 * string. STRBUF_INIT needs no release until something is added.
 * strbuf_detach() hands the string over to the caller, who frees it.
 */
#ifndef IOCM_UTIL_STRBUF_H
#define IOCM_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf {
    size_t alloc;
    size_t len;
    char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                                                            \
    {                                                                          \
        0, 0, strbuf_slopbuf                                                   \
    }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
/* Returns the string, which the caller frees; sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Makes room for extra more bytes beyond len. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen((sb), 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
__attribute__((format(printf, 2, 3))) void strbuf_addf(struct strbuf *sb,
                                                       const char *fmt, ...);
__attribute__((format(printf, 2, 0))) void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/* Removes leading and trailing ASCII white space. */
void strbuf_trim(struct strbuf *sb);
void strbuf_rtrim(struct strbuf *sb);
/* Lower-cases ASCII letters in place. */
void strbuf_tolower(struct strbuf *sb);

/*
 * Reads one line from fp into sb without its "\n" (and "\r\n").
 * Returns 0 when a line was read, EOF at end of file with nothing read.
 */
int strbuf_getline(struct strbuf *sb, FILE *fp);

/* Reads the whole of fp (appending). Returns 0, or -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, FILE *fp);

#endif
