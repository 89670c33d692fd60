/*
 * The top-level headers we write ourselves: RFC 5322 dates, Message-IDs,
 * RFC 2047 encoded-words for non-ASCII subjects and display names, and
 * folding so that lines stay short. libcurl writes the MIME headers.
 */
#include "mail/mail_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "mail/mail.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* An unbroken run longer than this is encoded so that it can be folded:
 * RFC 5322 allows 998 characters on a line. */
#define RUN_MAX 900

void mail_format_date(int64_t t, char *buf)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;

    /* Names from tables, not strftime, so the locale cannot change them. */
    tz_localtime(t, NULL, &tm);
    snprintf(buf, MAIL_DATE_LEN, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *mail_message_id_new(const char *domain)
{
    unsigned char rnd[16];
    char hex[2 * sizeof(rnd) + 1];
    struct strbuf id = STRBUF_INIT;

    /* 128 random bits make a collision as good as impossible; sodium_init()
     * is idempotent and safe to call from several threads. */
    if (sodium_init() < 0)
        abort();
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    strbuf_addf(&id, "<%s@%s>", hex, domain);
    return strbuf_detach(&id, NULL);
}

int mail_header_check(const char *name, const char *value, struct iocm_err *err)
{
    if (!value)
        return 0;
    if (strpbrk(value, "\r\n"))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid header '%s': the value contains CR or LF",
                         name);
    if (!utf8_is_valid(value, strlen(value)))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid header '%s': the value is not UTF-8", name);
    return 0;
}

/* A header being written: where the current line started, so folds know
 * the column. */
struct hdr {
    struct strbuf *sb;
    size_t line_start;
    size_t first_col; /* the column just after "Name:" */
};

static void hdr_begin(struct hdr *h, struct strbuf *sb, const char *name)
{
    h->sb = sb;
    h->line_start = sb->len;
    strbuf_addf(sb, "%s:", name);
    h->first_col = sb->len - h->line_start;
}

static size_t hdr_col(const struct hdr *h)
{
    return h->sb->len - h->line_start;
}

static void hdr_fold(struct hdr *h)
{
    strbuf_addstr(h->sb, "\r\n");
    h->line_start = h->sb->len;
}

/*
 * Appends a chunk that begins with white space, folding before it (the
 * CRLF goes in front of that white space, so unfolding gives the value
 * back) when it would pass the line limit and something is on the line.
 */
static void hdr_chunk(struct hdr *h, const char *s, size_t len)
{
    if (hdr_col(h) + len > MAIL_LINE_MAX && hdr_col(h) > h->first_col)
        hdr_fold(h);
    strbuf_add(h->sb, s, len);
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* Bytes of the UTF-8 sequence starting with lead byte c. */
static size_t utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xf0)
        return 4;
    return c >= 0xe0 ? 3 : 2;
}

/*
 * Appends s as " =?UTF-8?B?...?=" words. Each holds whole characters, so a
 * decoder never sees half of one, and is sized to fill the current line
 * without passing MAIL_LINE_MAX (nor MAIL_WORD_MAX).
 */
static void hdr_encoded_words(struct hdr *h, const char *s, size_t len)
{
    static const char prefix[] = " =?UTF-8?B?";
    const size_t overhead = sizeof(prefix) - 1 + 2; /* " =?UTF-8?B?" "?=" */
    char b64[MAIL_WORD_MAX + 1];
    size_t whole = overhead + (len + 2) / 3 * 4;
    size_t pos = 0;

    /* A short value (a display name) goes whole onto the next line rather
     * than split across two words: some decoders keep the space between
     * the halves. */
    if (whole <= MAIL_WORD_MAX + 1 && hdr_col(h) + whole > MAIL_LINE_MAX &&
        hdr_col(h) > h->first_col)
        hdr_fold(h);
    while (pos < len) {
        size_t room = MAIL_LINE_MAX - hdr_col(h);
        size_t take = 0, max_bytes;

        if (room > MAIL_WORD_MAX + 1)
            room = MAIL_WORD_MAX + 1;
        max_bytes = room > overhead ? (room - overhead) / 4 * 3 : 0;
        while (pos + take < len) {
            size_t n = utf8_len((unsigned char)s[pos + take]);

            if (take + n > max_bytes)
                break;
            take += n;
        }
        if (take == 0 && hdr_col(h) > h->first_col) {
            hdr_fold(h);
            continue;
        }
        if (take == 0) /* cannot happen with a sane limit; stay safe */
            take = utf8_len((unsigned char)s[pos]);
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + pos,
                          take, sodium_base64_VARIANT_ORIGINAL);
        strbuf_addf(h->sb, "%s%s?=", prefix, b64);
        pos += take;
    }
}

/* Whether value must be encoded: non-ASCII, controls, something a decoder
 * would take for an encoded-word, or a run too long to fold. */
static bool needs_encoding(const char *value)
{
    size_t run = 0;

    if (strstr(value, "=?"))
        return true;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p >= 0x7f || (*p < 0x20 && *p != '\t'))
            return true;
        run = is_wsp((char)*p) ? 0 : run + 1;
        if (run > RUN_MAX)
            return true;
    }
    return false;
}

/* Appends plain ASCII text as chunks that each start with the white space
 * before a word, folding between words. The first chunk gets the space
 * that follows "Name:". */
static void hdr_words(struct hdr *h, const char *s)
{
    struct strbuf chunk = STRBUF_INIT;
    const char *p = s;

    while (*p) {
        const char *start = p;

        while (is_wsp(*p))
            p++;
        while (*p && !is_wsp(*p))
            p++;
        strbuf_reset(&chunk);
        if (!is_wsp(*start))
            strbuf_addch(&chunk, ' ');
        strbuf_add(&chunk, start, p - start);
        hdr_chunk(h, chunk.buf, chunk.len);
    }
    strbuf_release(&chunk);
}

void mail_header_add_text(struct strbuf *sb, const char *name,
                          const char *value)
{
    struct hdr h;

    hdr_begin(&h, sb, name);
    if (!*value)
        strbuf_addch(sb, ' ');
    else if (needs_encoding(value))
        hdr_encoded_words(&h, value, strlen(value));
    else
        hdr_words(&h, value);
}

/* RFC 5322 specials, plus the dot: a name holding one is quoted. */
static bool needs_quotes(const char *s)
{
    return strpbrk(s, "()<>[]:;@\\,.\"") != NULL;
}

static void hdr_phrase(struct hdr *h, const char *name)
{
    struct strbuf q = STRBUF_INIT;

    if (needs_encoding(name)) {
        hdr_encoded_words(h, name, strlen(name));
    } else if (needs_quotes(name)) {
        strbuf_addstr(&q, " \"");
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                strbuf_addch(&q, '\\');
            strbuf_addch(&q, *p);
        }
        strbuf_addch(&q, '"');
        hdr_chunk(h, q.buf, q.len);
    } else {
        hdr_words(h, name);
    }
    strbuf_release(&q);
}

void mail_header_add_addresses(struct strbuf *sb, const char *name,
                               const struct mail_address_list *list)
{
    struct strbuf chunk = STRBUF_INIT;
    struct hdr h;

    hdr_begin(&h, sb, name);
    if (list->nr == 0)
        strbuf_addstr(sb, " undisclosed-recipients:;");
    for (size_t i = 0; i < list->nr; i++) {
        const struct mail_address *a = &list->v[i];

        if (i > 0)
            strbuf_addch(sb, ',');
        strbuf_reset(&chunk);
        if (a->name) {
            hdr_phrase(&h, a->name);
            strbuf_addf(&chunk, " <%s>", a->addr);
        } else {
            strbuf_addf(&chunk, " %s", a->addr);
        }
        hdr_chunk(&h, chunk.buf, chunk.len);
    }
    strbuf_release(&chunk);
}

void mail_add_crlf(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '\r') {
            if (s[1] == '\n')
                s++;
            strbuf_addstr(sb, "\r\n");
        } else if (*s == '\n') {
            strbuf_addstr(sb, "\r\n");
        } else {
            strbuf_addch(sb, *s);
        }
    }
}
