/*
 * The face of the io module: format names and detection, the dispatch of
 * reads and writes to the format backends, and the reporting helpers
 * every reader shares.
 */
#include "io/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/io_int.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/xalloc.h"

static const char *const format_names[] = {
    [IO_FORMAT_TEXT] = "text", [IO_FORMAT_CSV] = "csv",
    [IO_FORMAT_JSON] = "json", [IO_FORMAT_STIX] = "stix",
    [IO_FORMAT_MISP] = "misp", [IO_FORMAT_AUTO] = "auto",
};

/* Indexed by enum io_format; AUTO has no backend. */
static const struct io_backend *const backends[] = {
    [IO_FORMAT_TEXT] = &io_text_backend, [IO_FORMAT_CSV] = &io_csv_backend,
    [IO_FORMAT_JSON] = &io_json_backend, [IO_FORMAT_STIX] = &io_stix_backend,
    [IO_FORMAT_MISP] = &io_misp_backend,
};

const char *io_format_name(enum io_format fmt)
{
    if ((unsigned)fmt >= ARRAY_SIZE(format_names))
        return "unknown";
    return format_names[fmt];
}

int io_format_parse(const char *s, enum io_format *out, struct iocm_err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
        if (!strcasecmp(s, format_names[i])) {
            *out = (enum io_format)i;
            return 0;
        }
    }
    return iocm_fail(err, IOCM_EINVAL,
                     "invalid format '%.80s': expected one of text, csv, "
                     "json, stix, misp, auto",
                     s);
}

void io_skip_bom(const char **data, size_t *len)
{
    if (*len >= 3 && !memcmp(*data, "\xef\xbb\xbf", 3)) {
        *data += 3;
        *len -= 3;
    }
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * True when s[0..n) holds "key" as an object key (not inside a string:
 * the quote before it is not escaped) followed by a colon and, when want
 * is not NULL, the string value "want".
 */
static bool has_key(const char *s, size_t n, const char *key, const char *want)
{
    size_t klen = strlen(key);
    const char *end = s + n;

    for (const char *p = memmem(s, n, key, klen); p;
         p = memmem(p + klen, (size_t)(end - p - klen), key, klen)) {
        const char *q = p + klen;

        if (p - s >= 1 && p[-1] == '"' && !(p - s >= 2 && p[-2] == '\\') &&
            q < end && *q == '"') {
            q++;
            while (q < end && is_json_space(*q))
                q++;
            if (q < end && *q == ':') {
                size_t wlen;

                if (!want)
                    return true;
                q++;
                while (q < end && is_json_space(*q))
                    q++;
                wlen = strlen(want);
                if ((size_t)(end - q) >= wlen + 2 && q[0] == '"' &&
                    !memcmp(q + 1, want, wlen) && q[wlen + 1] == '"')
                    return true;
            }
        }
    }
    return false;
}

/* True when the first line of s[0..n) is a CSV header with a "value"
 * column (quoted or not, any case). */
static bool is_csv_header(const char *s, size_t n)
{
    const char *eol = memchr(s, '\n', n);
    size_t end = eol ? (size_t)(eol - s) : n;
    size_t i = 0;

    while (i <= end) {
        size_t b = i, e;

        while (i < end && s[i] != ',')
            i++;
        e = i;
        while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '"'))
            b++;
        while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
                         s[e - 1] == '"' || s[e - 1] == '\r'))
            e--;
        if (e - b == 5 && !strncasecmp(s + b, "value", 5))
            return true;
        i++;
    }
    return false;
}

enum io_format io_detect_format(const char *head, size_t len)
{
    size_t i = 0;

    io_skip_bom(&head, &len);
    while (i < len && is_json_space(head[i]))
        i++;
    if (i < len && (head[i] == '{' || head[i] == '[')) {
        if (head[i] == '{' && has_key(head + i, len - i, "type", "bundle"))
            return IO_FORMAT_STIX;
        if (has_key(head + i, len - i, "Event", NULL) ||
            has_key(head + i, len - i, "Attribute", NULL) ||
            has_key(head + i, len - i, "response", NULL))
            return IO_FORMAT_MISP;
        if (head[i] == '[' && has_key(head + i, len - i, "spec_version", NULL))
            return IO_FORMAT_STIX;
        return IO_FORMAT_JSON;
    }
    if (is_csv_header(head + i, len - i))
        return IO_FORMAT_CSV;
    return IO_FORMAT_TEXT;
}

int io_read(enum io_format fmt, const char *data, size_t len, const char *name,
            const struct io_handler *h, struct iocm_err *err)
{
    struct io_reader r = { h, name ? name : "input", STRVEC_INIT };
    int rc;

    io_skip_bom(&data, &len);
    if (fmt == IO_FORMAT_AUTO)
        fmt = io_detect_format(data, len < 65536 ? len : 65536);
    if ((unsigned)fmt >= ARRAY_SIZE(backends) || !backends[fmt])
        return iocm_fail(err, IOCM_EINVAL, "invalid format %d", (int)fmt);
    rc = backends[fmt]->read(&r, data, len, err);
    strvec_clear(&r.warned);
    return rc;
}

/* Formats a report into a stack buffer: reports are one line, in UTF-8
 * even when they quote bytes of the input or are cut short, so that they
 * fit into JSON. */
#define REPORT_MAX 512

void io_invalid(struct io_reader *r, const char *where, const char *fmt, ...)
{
    char reason[REPORT_MAX], place[REPORT_MAX];
    va_list ap;

    if (!r->h->on_invalid)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(place, sizeof(place), "%s", where);
    r->h->on_invalid(r->h->ctx, io_utf8_repair(place), io_utf8_repair(reason));
}

void io_skipped(struct io_reader *r, const char *where, const char *fmt, ...)
{
    char reason[REPORT_MAX], place[REPORT_MAX];
    va_list ap;

    if (!r->h->on_skipped)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(place, sizeof(place), "%s", where);
    r->h->on_skipped(r->h->ctx, io_utf8_repair(place), io_utf8_repair(reason));
}

/* Distinct warnings of one read: a header of a million unknown columns
 * must neither flood the caller nor cost a quadratic search. */
#define WARN_MAX 50

void io_warn_once(struct io_reader *r, const char *key, const char *fmt, ...)
{
    char message[REPORT_MAX];
    va_list ap;

    if (r->warned.nr > WARN_MAX || strvec_contains(&r->warned, key))
        return;
    strvec_push(&r->warned, key);
    if (!r->h->on_warning)
        return;
    if (r->warned.nr > WARN_MAX) {
        r->h->on_warning(r->h->ctx, "too many warnings; no more are given");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    r->h->on_warning(r->h->ctx, io_utf8_repair(message));
}

int io_json_load(struct io_reader *r, const char *data, size_t len,
                 json_t **out, struct iocm_err *err)
{
    json_error_t jerr;

    *out =
        json_loadb(data, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!*out)
        return iocm_fail(err, IOCM_EINVAL, "%s: invalid JSON at line %d: %s",
                         r->name, jerr.line, jerr.text);
    return 0;
}

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    strbuf_add(data, buffer, size);
    return 0;
}

void io_json_append(struct io_writer *w, const json_t *j)
{
    json_dump_callback(j, dump_to_buf, &w->buf,
                       JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

void io_writer_flush_buf(struct io_writer *w)
{
    if (w->buf.len && fwrite(w->buf.buf, 1, w->buf.len, w->out) != w->buf.len)
        w->has_failed = true;
    strbuf_reset(&w->buf);
}

static int write_failed(struct io_writer *w, struct iocm_err *err)
{
    return iocm_fail(err, IOCM_EIO, "cannot write the %s export: %s",
                     io_format_name(w->backend->format),
                     errno ? strerror(errno) : "write error");
}

int io_writer_new(enum io_format fmt, FILE *out,
                  const struct io_export_options *opts,
                  struct io_writer **out_w, struct iocm_err *err)
{
    struct io_writer *w;
    int rc;

    *out_w = NULL;
    if ((unsigned)fmt >= ARRAY_SIZE(backends) || !backends[fmt])
        return iocm_fail(err, IOCM_EINVAL,
                         "cannot write format '%s': choose text, csv, json, "
                         "stix or misp",
                         io_format_name(fmt));
    w = xcalloc(1, sizeof(*w));
    w->backend = backends[fmt];
    w->out = out;
    if (opts)
        w->opts = *opts;
    if (!w->opts.now)
        w->opts.now = clock_now();
    strbuf_init(&w->buf, 0);
    errno = 0;
    rc = w->backend->begin(w, err);
    if (rc == 0) {
        io_writer_flush_buf(w);
        if (w->has_failed)
            rc = write_failed(w, err);
    }
    if (rc < 0) {
        io_writer_free(w);
        return rc;
    }
    *out_w = w;
    return 0;
}

int io_writer_write(struct io_writer *w, const struct ioc *ioc,
                    struct iocm_err *err)
{
    int rc;

    if ((unsigned)ioc->type >= IOC_TYPE_COUNT || !ioc->value)
        return iocm_fail(err, IOCM_EINVAL,
                         "cannot export an indicator without type and value");
    errno = 0;
    rc = w->backend->write(w, ioc, err);
    if (rc < 0)
        return rc;
    io_writer_flush_buf(w);
    if (w->has_failed)
        return write_failed(w, err);
    w->count++;
    return 0;
}

int io_writer_finish(struct io_writer *w, struct iocm_err *err)
{
    int rc;

    errno = 0;
    rc = w->backend->finish(w, err);
    if (rc < 0)
        return rc;
    io_writer_flush_buf(w);
    if (fflush(w->out) != 0 || ferror(w->out))
        w->has_failed = true;
    if (w->has_failed)
        return write_failed(w, err);
    return 0;
}

void io_writer_free(struct io_writer *w)
{
    if (!w)
        return;
    strbuf_release(&w->buf);
    free(w);
}
