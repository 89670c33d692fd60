/*
 * What interpolation writes: HTML escaping of the five characters that
 * matter in text and attribute values, and the text form of JSON scalars.
 */
#include "tmpl/tmpl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* The entity for each byte that needs one; NULL for bytes copied as is. */
static const char *const html_entity[256] = {
    ['&'] = "&amp;",  ['<'] = "&lt;",   ['>'] = "&gt;",
    ['"'] = "&quot;", ['\''] = "&#39;",
};

void tmpl_escape_html(struct strbuf *out, const char *s, size_t len)
{
    size_t start = 0;

    /* Copy runs of safe bytes in one go: most text has no entity at all. */
    for (size_t i = 0; i < len; i++) {
        const char *entity = html_entity[(unsigned char)s[i]];

        if (!entity)
            continue;
        strbuf_add(out, s + start, i - start);
        strbuf_addstr(out, entity);
        start = i + 1;
    }
    strbuf_add(out, s + start, len - start);
}

/*
 * The shortest "%.Ng" that reads back as the same double: 15 digits are
 * enough for most values and never show binary noise (1.21, not
 * 1.2099999999999999); 17 always round-trip.
 */
static int format_real(char *buf, size_t size, double d)
{
    int n = 0;

    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* A locale with a decimal comma must not leak into the output. */
    for (int i = 0; i < n; i++)
        if (buf[i] == ',')
            buf[i] = '.';
    return n;
}

void tmpl_append_value(struct strbuf *out, const json_t *v, bool is_escaped)
{
    char num[64];
    int n;

    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        if (is_escaped)
            tmpl_escape_html(out, json_string_value(v), json_string_length(v));
        else
            strbuf_add(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        strbuf_add(out, num, (size_t)n);
        break;
    case JSON_REAL:
        n = format_real(num, sizeof(num), json_real_value(v));
        strbuf_add(out, num, (size_t)n);
        break;
    case JSON_TRUE:
        strbuf_add(out, "true", 4);
        break;
    case JSON_FALSE:
        strbuf_add(out, "false", 5);
        break;
    case JSON_NULL:
    case JSON_OBJECT:
    case JSON_ARRAY:
        break;
    }
}

bool tmpl_is_falsey(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
    case JSON_FALSE:
        return true;
    case JSON_STRING:
        return json_string_length(v) == 0;
    case JSON_INTEGER:
        return json_integer_value(v) == 0;
    case JSON_REAL:
        return json_real_value(v) == 0.0;
    case JSON_ARRAY:
        return json_array_size(v) == 0;
    case JSON_TRUE:
    case JSON_OBJECT:
        return false;
    }
    return true;
}
