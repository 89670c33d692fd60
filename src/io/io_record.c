/*
 * The record builder of the structured readers (csv, json, stix, misp):
 * field values as text become a struct ioc without an allocation per
 * record, and the checks every format shares (UTF-8, lengths, times).
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/isotime.h"
#include "util/utf8.h"
#include "util/xalloc.h"

const char *const io_field_names[IO_FIELD_COUNT] = {
    [IO_FIELD_VALUE] = "value",
    [IO_FIELD_TYPE] = "type",
    [IO_FIELD_SEVERITY] = "severity",
    [IO_FIELD_CONFIDENCE] = "confidence",
    [IO_FIELD_TLP] = "tlp",
    [IO_FIELD_SOURCE] = "source",
    [IO_FIELD_TAGS] = "tags",
    [IO_FIELD_DESCRIPTION] = "description",
    [IO_FIELD_FIRST_SEEN] = "first_seen",
    [IO_FIELD_LAST_SEEN] = "last_seen",
    [IO_FIELD_EXPIRES_AT] = "expires_at",
    [IO_FIELD_CREATED_AT] = "created_at",
    [IO_FIELD_CREATED_BY] = "created_by",
};

int io_field_lookup(const char *s, size_t len)
{
    for (int i = 0; i < IO_FIELD_COUNT; i++)
        if (strlen(io_field_names[i]) == len &&
            !strncasecmp(s, io_field_names[i], len))
            return i;
    return -1;
}

char *io_utf8_repair(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t len = strlen(s);

    for (size_t i = 0; i < len;) {
        size_t n = utf8_char_len(s + i, len - i);

        if (!n) {
            p[i++] = '?';
            continue;
        }
        i += n;
    }
    return s;
}

int io_time_parse(const char *s, int64_t *out, struct iocm_err *err)
{
    size_t n = strlen(s);
    int64_t v = 0;

    if (n == 0 || n > 11 || strspn(s, "0123456789") != n)
        return isotime_parse(s, out, err);
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    /* 253402300799 is 9999-12-31T23:59:59Z. */
    if (v > 253402300799LL)
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid time '%s': Unix seconds after year 9999", s);
    *out = v;
    return 0;
}

void io_time_format(int64_t t, char *buf)
{
    if (t < 0 || t > 253402300799LL) {
        buf[0] = '\0';
        return;
    }
    isotime_format(t, buf);
}

void io_record_init(struct io_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    strbuf_init(&rec->value, 0);
    strbuf_init(&rec->tagbuf, 0);
    io_record_clear(rec);
}

void io_record_clear(struct io_record *rec)
{
    ioc_init(&rec->ioc);
    strbuf_reset(&rec->value);
    strbuf_reset(&rec->tagbuf);
    rec->tag_nr = 0;
}

void io_record_release(struct io_record *rec)
{
    strbuf_release(&rec->value);
    strbuf_release(&rec->tagbuf);
    free(rec->tag_off);
    free(rec->tagv);
    memset(rec, 0, sizeof(*rec));
}

/* Fails with "invalid <field> '<s>': <why>", s cut to a readable length. */
static int fail_field(struct iocm_err *err, enum io_field f, const char *s,
                      const char *why)
{
    /* Bytes that are no UTF-8 are shown as '?' by the reports. */
    return iocm_fail(err, IOCM_EINVAL, "invalid %s '%.80s%s': %s",
                     io_field_names[f], s, strlen(s) > 80 ? "..." : "", why);
}

static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

int io_record_set_string(struct io_record *rec, enum io_field f, const char *s,
                         struct iocm_err *err)
{
    size_t len = strlen(s);
    bool is_text = f == IO_FIELD_DESCRIPTION;
    size_t max = is_text ? IO_TEXT_MAX : IO_NAME_MAX;

    if (!utf8_is_valid(s, len))
        return fail_field(err, f, s, "invalid utf-8");
    if (len > max)
        return iocm_fail(err, IOCM_EINVAL, "invalid %s: longer than %zu bytes",
                         io_field_names[f], max);
    /* A description may have lines; names are one line. */
    if (!is_text && has_control(s, len))
        return fail_field(err, f, s, "control character");
    switch (f) {
    case IO_FIELD_SOURCE:
        rec->ioc.source = len ? (char *)s : NULL;
        break;
    case IO_FIELD_DESCRIPTION:
        rec->ioc.description = len ? (char *)s : NULL;
        break;
    case IO_FIELD_CREATED_BY:
        rec->ioc.created_by = len ? (char *)s : NULL;
        break;
    default:
        return iocm_fail(err, IOCM_EINTERNAL, "field '%s' is no string",
                         io_field_names[f]);
    }
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int io_record_add_tag(struct io_record *rec, const char *s, size_t len,
                      struct iocm_err *err)
{
    size_t start;

    while (len && is_blank(*s)) {
        s++;
        len--;
    }
    while (len && is_blank(s[len - 1]))
        len--;
    if (!len)
        return 0;
    if (len > IO_NAME_MAX)
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid tags: a tag longer than %d bytes",
                         IO_NAME_MAX);
    if (!utf8_is_valid(s, len))
        return iocm_fail(err, IOCM_EINVAL, "invalid tags: invalid utf-8");
    if (has_control(s, len))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid tags: control character in a tag");
    start = rec->tagbuf.len;
    strbuf_grow(&rec->tagbuf, len + 1);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        rec->tagbuf.buf[start + i] =
            (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    /* Each tag keeps its NUL so that tagv can point into tagbuf. */
    rec->tagbuf.buf[start + len] = '\0';
    strbuf_setlen(&rec->tagbuf, start + len + 1);
    ALLOC_GROW(rec->tag_off, rec->tag_nr + 1, rec->tag_alloc);
    rec->tag_off[rec->tag_nr++] = start;
    return 0;
}

/* Adds the tags of a field separated by ';' or ','. */
static int add_tag_list(struct io_record *rec, const char *s,
                        struct iocm_err *err)
{
    while (*s) {
        size_t n = strcspn(s, ";,");
        int rc = io_record_add_tag(rec, s, n, err);

        if (rc < 0)
            return rc;
        s += n;
        if (*s)
            s++;
    }
    return 0;
}

int io_record_set(struct io_record *rec, enum io_field f, const char *s,
                  struct iocm_err *err)
{
    int64_t t;
    int rc;

    if (!*s)
        return 0;
    switch (f) {
    case IO_FIELD_VALUE:
        /* Kept raw: io_record_set_value() normalises it with the type. */
        rec->ioc.value = (char *)s;
        return 0;
    case IO_FIELD_TYPE:
        return ioc_type_parse(s, &rec->ioc.type, err);
    case IO_FIELD_SEVERITY:
        return ioc_severity_parse(s, &rec->ioc.severity, err);
    case IO_FIELD_CONFIDENCE:
        return ioc_confidence_parse(s, &rec->ioc.confidence, err);
    case IO_FIELD_TLP:
        return tlp_parse(s, &rec->ioc.tlp, err);
    case IO_FIELD_SOURCE:
    case IO_FIELD_DESCRIPTION:
    case IO_FIELD_CREATED_BY:
        return io_record_set_string(rec, f, s, err);
    case IO_FIELD_TAGS:
        return add_tag_list(rec, s, err);
    case IO_FIELD_FIRST_SEEN:
    case IO_FIELD_LAST_SEEN:
    case IO_FIELD_EXPIRES_AT:
    case IO_FIELD_CREATED_AT:
        rc = io_time_parse(s, &t, err);
        if (rc < 0)
            return iocm_err_prefix(err, "invalid %s", io_field_names[f]);
        if (f == IO_FIELD_FIRST_SEEN)
            rec->ioc.first_seen = t;
        else if (f == IO_FIELD_LAST_SEEN)
            rec->ioc.last_seen = t;
        else if (f == IO_FIELD_EXPIRES_AT)
            rec->ioc.expires_at = t;
        else
            rec->ioc.created_at = t;
        return 0;
    case IO_FIELD_COUNT:
        break;
    }
    return iocm_fail(err, IOCM_EINTERNAL, "unknown field %d", (int)f);
}

int io_record_set_value(struct io_record *rec, enum ioc_type type,
                        const char *raw, struct iocm_err *err)
{
    enum ioc_type t = type;
    int rc;

    strbuf_reset(&rec->value);
    rc = ioc_parse_value(raw, &t, &rec->value, err);
    if (rc < 0)
        return rc;
    rec->ioc.type = t;
    rec->ioc.value = rec->value.buf;
    return 0;
}

static int cmp_tag(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void io_record_seal(struct io_record *rec)
{
    size_t out = 0;

    ALLOC_GROW(rec->tagv, rec->tag_nr + 1, rec->tagv_alloc);
    for (size_t i = 0; i < rec->tag_nr; i++)
        rec->tagv[i] = rec->tagbuf.buf + rec->tag_off[i];
    if (rec->tag_nr > 1)
        qsort(rec->tagv, rec->tag_nr, sizeof(*rec->tagv), cmp_tag);
    for (size_t i = 0; i < rec->tag_nr; i++)
        if (!out || strcmp(rec->tagv[out - 1], rec->tagv[i]))
            rec->tagv[out++] = rec->tagv[i];
    rec->tagv[out] = NULL;
    /* alloc 0: the vector is borrowed and strvec_clear() leaves it be. */
    rec->ioc.tags.v = rec->tagv;
    rec->ioc.tags.nr = out;
    rec->ioc.tags.alloc = 0;
}

int io_record_emit(struct io_reader *r, struct io_record *rec)
{
    io_record_seal(rec);
    return r->h->on_ioc(r->h->ctx, &rec->ioc);
}
