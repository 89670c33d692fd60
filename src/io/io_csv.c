/*
 * CSV (RFC 4180) with a header row naming the columns: the reader walks
 * the buffer record by record without an allocation per row, the writer
 * streams a row per record.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/isotime.h"
#include "util/xalloc.h"

/* Bytes that end an unquoted field. */
static const unsigned char field_stop[256] = {
    ['\n'] = 1,
    ['\r'] = 1,
    [','] = 1,
    ['"'] = 1,
};

/* The record being read: its fields, unquoted, each NUL-terminated in
 * buf at off[i]. */
struct csv_parser {
    const char *p;
    size_t n;
    size_t pos;
    size_t row; /* of the last record read, from 1 */
    struct strbuf buf;
    size_t *off;
    size_t nr, alloc;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Moves past the end of the current line, after a malformed record. */
static void skip_line(struct csv_parser *c)
{
    const char *nl = memchr(c->p + c->pos, '\n', c->n - c->pos);

    c->pos = nl ? (size_t)(nl - c->p) + 1 : c->n;
}

/* Reads a quoted field from c->pos (just past its quote) into buf. */
static int quoted_field(struct csv_parser *c, const char **why)
{
    for (;;) {
        const char *q = memchr(c->p + c->pos, '"', c->n - c->pos);

        if (!q) {
            c->pos = c->n;
            *why = "unterminated quoted field";
            return -1;
        }
        strbuf_add(&c->buf, c->p + c->pos, (size_t)(q - (c->p + c->pos)));
        c->pos = (size_t)(q - c->p) + 1;
        if (c->pos < c->n && c->p[c->pos] == '"') {
            strbuf_addch(&c->buf, '"');
            c->pos++;
            continue;
        }
        break;
    }
    while (c->pos < c->n && is_blank(c->p[c->pos]))
        c->pos++;
    if (c->pos < c->n && c->p[c->pos] != ',' && c->p[c->pos] != '\n' &&
        c->p[c->pos] != '\r') {
        *why = "unexpected character after a closing quote";
        skip_line(c);
        return -1;
    }
    return 0;
}

/*
 * Reads the next record. Returns 1 when one was read, 0 at the end of
 * the input, -1 when it is malformed (*why says how; the parser has moved
 * on to the next line).
 */
static int csv_next(struct csv_parser *c, const char **why)
{
    strbuf_reset(&c->buf);
    c->nr = 0;
    if (c->pos >= c->n)
        return 0;
    c->row++;
    for (;;) {
        size_t q = c->pos;

        ALLOC_GROW(c->off, c->nr + 1, c->alloc);
        c->off[c->nr++] = c->buf.len;
        while (q < c->n && is_blank(c->p[q]))
            q++;
        if (q < c->n && c->p[q] == '"') {
            c->pos = q + 1;
            if (quoted_field(c, why) < 0)
                return -1;
        } else {
            size_t b = c->pos, e = c->pos;

            while (e < c->n && !field_stop[(unsigned char)c->p[e]])
                e++;
            if (e < c->n && c->p[e] == '"') {
                *why = "quote inside an unquoted field";
                c->pos = e;
                skip_line(c);
                return -1;
            }
            c->pos = e;
            while (b < e && is_blank(c->p[b]))
                b++;
            while (e > b && is_blank(c->p[e - 1]))
                e--;
            strbuf_add(&c->buf, c->p + b, e - b);
        }
        /* Each field keeps its NUL so that it reads as a C string. */
        strbuf_addch(&c->buf, '\0');
        if (c->pos >= c->n)
            return 1;
        if (c->p[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->p[c->pos] == '\r')
            c->pos++;
        if (c->pos < c->n && c->p[c->pos] == '\n')
            c->pos++;
        return 1;
    }
}

static const char *field_at(const struct csv_parser *c, size_t i)
{
    return c->buf.buf + c->off[i];
}

/* A record of one empty field: a blank line. */
static bool is_blank_record(const struct csv_parser *c)
{
    return c->nr == 1 && !*field_at(c, 0);
}

/*
 * Maps the header's columns to fields (-1: ignored) into *cols. Fails
 * when no column is "value".
 */
static int read_header(struct io_reader *r, struct csv_parser *c, int **cols,
                       size_t *ncols, struct iocm_err *err)
{
    bool seen[IO_FIELD_COUNT] = { false };

    *ncols = c->nr;
    *cols = xcalloc(c->nr, sizeof(**cols));
    for (size_t i = 0; i < c->nr; i++) {
        const char *name = field_at(c, i);
        int f = io_field_lookup(name, strlen(name));
        char key[32];

        (*cols)[i] = -1;
        snprintf(key, sizeof(key), "column %zu", i + 1);
        if (f < 0) {
            io_warn_once(r, key, "%s: unknown column '%.80s' ignored", r->name,
                         name);
            continue;
        }
        if (seen[f]) {
            io_warn_once(r, key, "%s: duplicate column '%s' ignored", r->name,
                         io_field_names[f]);
            continue;
        }
        seen[f] = true;
        (*cols)[i] = f;
    }
    if (!seen[IO_FIELD_VALUE])
        return iocm_fail(err, IOCM_EINVAL,
                         "%s: the CSV header has no 'value' column", r->name);
    return 0;
}

/* Turns the current row into a record and delivers it. */
static int read_row(struct io_reader *r, struct csv_parser *c, const int *cols,
                    size_t ncols, struct io_record *rec)
{
    struct iocm_err err = IOCM_ERR_INIT;
    char where[32];

    snprintf(where, sizeof(where), "row %zu", c->row);
    if (c->nr > ncols) {
        io_invalid(r, where, "%zu fields, but the header has %zu", c->nr,
                   ncols);
        return 0;
    }
    io_record_clear(rec);
    for (size_t i = 0; i < c->nr; i++) {
        if (cols[i] < 0)
            continue;
        if (io_record_set(rec, (enum io_field)cols[i], field_at(c, i), &err) <
            0) {
            io_invalid(r, where, "%s", err.msg);
            return 0;
        }
    }
    if (!rec->ioc.value) {
        io_invalid(r, where, "empty value");
        return 0;
    }
    if (io_record_set_value(rec, rec->ioc.type, rec->ioc.value, &err) < 0) {
        io_invalid(r, where, "%s", err.msg);
        return 0;
    }
    return io_record_emit(r, rec);
}

static int csv_read(struct io_reader *r, const char *data, size_t len,
                    struct iocm_err *err)
{
    struct csv_parser c = { .p = data, .n = len, .buf = STRBUF_INIT };
    struct io_record rec;
    int *cols = NULL;
    size_t ncols = 0;
    const char *why = NULL;
    int rc = 0, got;

    io_record_init(&rec);
    /* The header is the first record that is not a blank line. */
    do {
        got = csv_next(&c, &why);
    } while (got == 1 && is_blank_record(&c));
    if (got == 0)
        goto out;
    if (got < 0) {
        rc = iocm_fail(err, IOCM_EINVAL, "%s: row %zu: invalid CSV header: %s",
                       r->name, c.row, why);
        goto out;
    }
    rc = read_header(r, &c, &cols, &ncols, err);
    if (rc < 0)
        goto out;
    for (got = csv_next(&c, &why); got != 0; got = csv_next(&c, &why)) {
        char where[32];

        if (got < 0) {
            snprintf(where, sizeof(where), "row %zu", c.row);
            io_invalid(r, where, "%s", why);
            continue;
        }
        if (is_blank_record(&c))
            continue;
        rc = read_row(r, &c, cols, ncols, &rec);
        if (rc < 0)
            goto out;
    }
out:
    free(cols);
    free(c.off);
    strbuf_release(&c.buf);
    io_record_release(&rec);
    return rc;
}

/* Appends s as one field, quoted when a reader would otherwise misread
 * it. */
static void add_field(struct strbuf *sb, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    bool needs_quotes;

    if (!len)
        return;
    needs_quotes =
        strpbrk(s, ",\"\r\n") || is_blank(s[0]) || is_blank(s[len - 1]);
    if (!needs_quotes) {
        strbuf_add(sb, s, len);
        return;
    }
    strbuf_addch(sb, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            strbuf_addch(sb, '"');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '"');
}

static void add_time(struct strbuf *sb, int64_t t)
{
    char buf[ISOTIME_LEN];

    if (!t)
        return;
    io_time_format(t, buf);
    strbuf_addstr(sb, buf);
}

static int csv_begin(struct io_writer *w, struct iocm_err *err)
{
    (void)err;
    for (int f = 0; f < IO_FIELD_COUNT; f++)
        strbuf_addf(&w->buf, "%s%s", f ? "," : "", io_field_names[f]);
    strbuf_addstr(&w->buf, "\r\n");
    return 0;
}

static int csv_write(struct io_writer *w, const struct ioc *ioc,
                     struct iocm_err *err)
{
    struct strbuf *sb = &w->buf;

    (void)err;
    add_field(sb, ioc->value);
    strbuf_addf(sb, ",%s,", ioc_type_name(ioc->type));
    if (ioc->severity != IOC_SEV_UNSET)
        strbuf_addstr(sb, ioc_severity_name(ioc->severity));
    strbuf_addch(sb, ',');
    if (ioc->confidence >= 0)
        strbuf_addf(sb, "%d", ioc->confidence);
    strbuf_addch(sb, ',');
    if (ioc->tlp != TLP_UNSET)
        strbuf_addstr(sb, tlp_name(ioc->tlp));
    strbuf_addch(sb, ',');
    add_field(sb, ioc->source);
    strbuf_addch(sb, ',');
    if (ioc->tags.nr) {
        struct strbuf tags = STRBUF_INIT;

        for (size_t i = 0; i < ioc->tags.nr; i++)
            strbuf_addf(&tags, "%s%s", i ? ";" : "", ioc->tags.v[i]);
        add_field(sb, tags.buf);
        strbuf_release(&tags);
    }
    strbuf_addch(sb, ',');
    add_field(sb, ioc->description);
    strbuf_addch(sb, ',');
    add_time(sb, ioc->first_seen);
    strbuf_addch(sb, ',');
    add_time(sb, ioc->last_seen);
    strbuf_addch(sb, ',');
    add_time(sb, ioc->expires_at);
    strbuf_addch(sb, ',');
    add_time(sb, ioc->created_at);
    strbuf_addch(sb, ',');
    add_field(sb, ioc->created_by);
    strbuf_addstr(sb, "\r\n");
    return 0;
}

static int csv_finish(struct io_writer *w, struct iocm_err *err)
{
    (void)w;
    (void)err;
    return 0;
}

const struct io_backend io_csv_backend = {
    .format = IO_FORMAT_CSV,
    .read = csv_read,
    .begin = csv_begin,
    .write = csv_write,
    .finish = csv_finish,
};
