/*
 * The growable string buffer; see strbuf.h for its invariants.
 */
#include "util/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
    sb->alloc = 0;
    sb->len = 0;
    sb->buf = strbuf_slopbuf;
    if (hint)
        strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *s;

    if (!sb->alloc)
        strbuf_grow(sb, 0);
    s = sb->buf;
    if (len)
        *len = sb->len;
    strbuf_init(sb, 0);
    return s;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    int was_empty = !sb->alloc;

    if (need < sb->len) {
        fprintf(stderr, "iocm: string length overflow\n");
        abort();
    }
    if (need <= sb->alloc)
        return;
    if (was_empty)
        sb->buf = NULL;
    sb->alloc = sb->alloc ? sb->alloc : 32;
    while (sb->alloc < need)
        sb->alloc =
            sb->alloc < (1u << 20) ? sb->alloc * 2 : sb->alloc + sb->alloc / 2;
    sb->buf = xrealloc(sb->buf, sb->alloc);
    if (was_empty)
        sb->buf[0] = '\0';
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->alloc) {
        /* Nothing to truncate in the shared empty string. */
        return;
    }
    sb->len = len;
    sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    strbuf_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
    strbuf_grow(sb, 1);
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
}

void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other)
{
    strbuf_add(sb, other->buf, other->len);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(sb->buf + sb->len, sb->alloc ? sb->alloc - sb->len : 0, fmt,
                  cp);
    va_end(cp);
    if (n < 0) {
        fprintf(stderr, "iocm: bad format string '%s'\n", fmt);
        abort();
    }
    if (!sb->alloc || (size_t)n >= sb->alloc - sb->len) {
        strbuf_grow(sb, (size_t)n);
        n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
    }
    sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_rtrim(struct strbuf *sb)
{
    while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
        sb->len--;
    if (sb->alloc)
        sb->buf[sb->len] = '\0';
}

void strbuf_trim(struct strbuf *sb)
{
    size_t skip = 0;

    strbuf_rtrim(sb);
    while (skip < sb->len && isspace((unsigned char)sb->buf[skip]))
        skip++;
    if (skip) {
        memmove(sb->buf, sb->buf + skip, sb->len - skip + 1);
        sb->len -= skip;
    }
}

void strbuf_tolower(struct strbuf *sb)
{
    for (size_t i = 0; i < sb->len; i++)
        sb->buf[i] = (char)tolower((unsigned char)sb->buf[i]);
}

int strbuf_getline(struct strbuf *sb, FILE *fp)
{
    int c;

    strbuf_reset(sb);
    while ((c = getc(fp)) != EOF) {
        if (c == '\n')
            break;
        strbuf_addch(sb, c);
    }
    if (c == EOF && sb->len == 0)
        return EOF;
    if (sb->len && sb->buf[sb->len - 1] == '\r')
        strbuf_setlen(sb, sb->len - 1);
    return 0;
}

int strbuf_read_file(struct strbuf *sb, FILE *fp)
{
    size_t n;

    for (;;) {
        strbuf_grow(sb, 65536);
        n = fread(sb->buf + sb->len, 1, sb->alloc - sb->len - 1, fp);
        sb->len += n;
        sb->buf[sb->len] = '\0';
        if (n == 0)
            break;
    }
    return ferror(fp) ? -1 : 0;
}
