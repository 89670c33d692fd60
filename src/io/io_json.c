/*
 * JSON: an array of indicator objects, or JSON lines, with the CSV field
 * names. Both are read one object at a time (jansson stops after each
 * value), so a large import never holds the whole document as a tree;
 * the writer streams an array element by element.
 */
#include "io/io_int.h"

#include <string.h>

#include "util/err.h"
#include "util/isotime.h"

/* How each value is parsed: objects one at a time, duplicates refused. */
#define PARSE_FLAGS                                                            \
    (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

struct json_reader {
    struct io_reader *r;
    const char *p;
    size_t n;
    size_t pos;
    size_t line; /* of p[pos] */
    struct io_record rec;
};

/* Moves pos past white space, counting lines. */
static void skip_space(struct json_reader *jr)
{
    while (jr->pos < jr->n) {
        char c = jr->p[jr->pos];

        if (c == '\n')
            jr->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        jr->pos++;
    }
}

/* Moves pos forward by n bytes, counting lines. */
static void advance(struct json_reader *jr, size_t n)
{
    const char *p = jr->p + jr->pos, *end = p + n;

    for (p = memchr(p, '\n', n); p;
         p = memchr(p + 1, '\n', (size_t)(end - p - 1)))
        jr->line++;
    jr->pos += n;
}

/* Sets field f from a JSON value of any sensible type. */
static int set_field(struct io_record *rec, enum io_field f, json_t *v,
                     struct iocm_err *err)
{
    size_t i;
    json_t *tag;

    if (json_is_string(v))
        return io_record_set(rec, f, json_string_value(v), err);
    if (f == IO_FIELD_TAGS && json_is_array(v)) {
        json_array_foreach(v, i, tag)
        {
            int rc;

            if (!json_is_string(tag))
                return iocm_fail(err, IOCM_EINVAL,
                                 "invalid tags: expected strings");
            rc = io_record_add_tag(rec, json_string_value(tag),
                                   json_string_length(tag), err);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);

        if (f == IO_FIELD_CONFIDENCE) {
            if (n < 0 || n > 100)
                return iocm_fail(err, IOCM_EINVAL,
                                 "invalid confidence %lld: expected an "
                                 "integer from 0 to 100",
                                 (long long)n);
            rec->ioc.confidence = (int)n;
            return 0;
        }
        if (f == IO_FIELD_FIRST_SEEN || f == IO_FIELD_LAST_SEEN ||
            f == IO_FIELD_EXPIRES_AT || f == IO_FIELD_CREATED_AT) {
            char digits[32];

            if (n < 0)
                return iocm_fail(err, IOCM_EINVAL,
                                 "invalid %s: negative Unix time",
                                 io_field_names[f]);
            snprintf(digits, sizeof(digits), "%lld", (long long)n);
            return io_record_set(rec, f, digits, err);
        }
    }
    return iocm_fail(err, IOCM_EINVAL, "invalid %s: expected %s",
                     io_field_names[f],
                     f == IO_FIELD_TAGS         ? "an array of strings"
                     : f == IO_FIELD_CONFIDENCE ? "an integer"
                                                : "a string");
}

/* Turns one parsed value into a record and delivers it. */
static int read_object(struct json_reader *jr, json_t *obj, const char *where)
{
    struct io_record *rec = &jr->rec;
    struct iocm_err err = IOCM_ERR_INIT;
    const char *key;
    json_t *v;

    if (!json_is_object(obj)) {
        io_invalid(jr->r, where, "not an object");
        return 0;
    }
    io_record_clear(rec);
    json_object_foreach(obj, key, v)
    {
        int f = io_field_lookup(key, strlen(key));

        if (f < 0) {
            io_warn_once(jr->r, key, "%s: unknown field '%.80s' ignored",
                         jr->r->name, key);
            continue;
        }
        if (json_is_null(v))
            continue;
        if (set_field(rec, (enum io_field)f, v, &err) < 0) {
            io_invalid(jr->r, where, "%s", err.msg);
            return 0;
        }
    }
    if (!rec->ioc.value) {
        io_invalid(jr->r, where, "no value");
        return 0;
    }
    if (io_record_set_value(rec, rec->ioc.type, rec->ioc.value, &err) < 0) {
        io_invalid(jr->r, where, "%s", err.msg);
        return 0;
    }
    return io_record_emit(jr->r, rec);
}

/* "[ {...}, {...} ]": a syntax error ends the read, as nothing after it
 * can be trusted to be where it seems. */
static int read_array(struct json_reader *jr, struct iocm_err *err)
{
    size_t index = 0;

    jr->pos++;
    for (;;) {
        json_error_t jerr;
        char where[32];
        json_t *obj;
        int rc;

        skip_space(jr);
        if (jr->pos >= jr->n)
            return iocm_fail(err, IOCM_EINVAL,
                             "%s: line %zu: the array is not closed",
                             jr->r->name, jr->line);
        if (index == 0 && jr->p[jr->pos] == ']') {
            jr->pos++;
            break;
        }
        obj = json_loadb(jr->p + jr->pos, jr->n - jr->pos, PARSE_FLAGS, &jerr);
        if (!obj)
            return iocm_fail(err, IOCM_EINVAL,
                             "%s: invalid JSON at line %zu: %s", jr->r->name,
                             jr->line + (size_t)jerr.line - 1, jerr.text);
        snprintf(where, sizeof(where), "object %zu", ++index);
        rc = read_object(jr, obj, where);
        json_decref(obj);
        if (rc < 0)
            return rc;
        advance(jr, (size_t)jerr.position);
        skip_space(jr);
        if (jr->pos < jr->n && jr->p[jr->pos] == ',') {
            jr->pos++;
            continue;
        }
        if (jr->pos < jr->n && jr->p[jr->pos] == ']') {
            jr->pos++;
            break;
        }
        return iocm_fail(err, IOCM_EINVAL,
                         "%s: invalid JSON at line %zu: expected ',' or ']' "
                         "after an element",
                         jr->r->name, jr->line);
    }
    skip_space(jr);
    if (jr->pos < jr->n)
        return iocm_fail(err, IOCM_EINVAL,
                         "%s: invalid JSON at line %zu: data after the array",
                         jr->r->name, jr->line);
    return 0;
}

/* JSON lines: a line that does not parse is reported and skipped. */
static int read_lines(struct json_reader *jr)
{
    for (skip_space(jr); jr->pos < jr->n; skip_space(jr)) {
        json_error_t jerr;
        char where[32];
        json_t *obj;
        int rc;

        snprintf(where, sizeof(where), "line %zu", jr->line);
        obj = json_loadb(jr->p + jr->pos, jr->n - jr->pos, PARSE_FLAGS, &jerr);
        if (!obj) {
            const char *nl = memchr(jr->p + jr->pos, '\n', jr->n - jr->pos);

            io_invalid(jr->r, where, "invalid JSON: %s", jerr.text);
            jr->pos = nl ? (size_t)(nl - jr->p) : jr->n;
            continue;
        }
        rc = read_object(jr, obj, where);
        json_decref(obj);
        if (rc < 0)
            return rc;
        advance(jr, (size_t)jerr.position);
    }
    return 0;
}

static int json_read(struct io_reader *r, const char *data, size_t len,
                     struct iocm_err *err)
{
    struct json_reader jr = { .r = r, .p = data, .n = len, .line = 1 };
    int rc = 0;

    io_record_init(&jr.rec);
    skip_space(&jr);
    if (jr.pos == jr.n)
        goto out;
    if (jr.p[jr.pos] == '[')
        rc = read_array(&jr, err);
    else if (jr.p[jr.pos] == '{')
        rc = read_lines(&jr);
    else
        rc = iocm_fail(err, IOCM_EINVAL,
                       "%s: not JSON indicators: expected an array of "
                       "objects or one object a line",
                       r->name);
out:
    io_record_release(&jr.rec);
    return rc;
}

static void set_time(json_t *obj, const char *key, int64_t t)
{
    char buf[ISOTIME_LEN];

    if (!t)
        return;
    io_time_format(t, buf);
    if (buf[0])
        json_object_set_new(obj, key, json_string(buf));
}

/* The store keeps "" for an unset text: left out like NULL. */
static void set_string(json_t *obj, const char *key, const char *s)
{
    if (s && *s)
        json_object_set_new(obj, key, json_string(s));
}

static int json_begin(struct io_writer *w, struct iocm_err *err)
{
    (void)err;
    strbuf_addch(&w->buf, '[');
    return 0;
}

static int json_write(struct io_writer *w, const struct ioc *ioc,
                      struct iocm_err *err)
{
    json_t *obj = json_object();

    (void)err;
    set_string(obj, "value", ioc->value);
    set_string(obj, "type", ioc_type_name(ioc->type));
    if (ioc->severity != IOC_SEV_UNSET)
        set_string(obj, "severity", ioc_severity_name(ioc->severity));
    if (ioc->confidence >= 0)
        json_object_set_new(obj, "confidence", json_integer(ioc->confidence));
    if (ioc->tlp != TLP_UNSET)
        set_string(obj, "tlp", tlp_name(ioc->tlp));
    set_string(obj, "source", ioc->source);
    if (ioc->tags.nr) {
        json_t *tags = json_array();

        for (size_t i = 0; i < ioc->tags.nr; i++)
            json_array_append_new(tags, json_string(ioc->tags.v[i]));
        json_object_set_new(obj, "tags", tags);
    }
    set_string(obj, "description", ioc->description);
    set_time(obj, "first_seen", ioc->first_seen);
    set_time(obj, "last_seen", ioc->last_seen);
    set_time(obj, "expires_at", ioc->expires_at);
    set_time(obj, "created_at", ioc->created_at);
    set_string(obj, "created_by", ioc->created_by);
    strbuf_addstr(&w->buf, w->count ? ",\n" : "\n");
    io_json_append(w, obj);
    json_decref(obj);
    return 0;
}

static int json_finish(struct io_writer *w, struct iocm_err *err)
{
    (void)err;
    strbuf_addstr(&w->buf, w->count ? "\n]\n" : "]\n");
    return 0;
}

const struct io_backend io_json_backend = {
    .format = IO_FORMAT_JSON,
    .read = json_read,
    .begin = json_begin,
    .write = json_write,
    .finish = json_finish,
};
