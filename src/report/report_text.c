/*
 * Aligned plain-text tables and bars for the text part of report emails.
 * The template engine does no padding, so the view carries every cell
 * already padded to its column's width, counted in characters (UTF-8 code
 * points), not bytes.
 */
#include "report/report_int.h"

#include <string.h>

#include "util/strbuf.h"

size_t report_text_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static void pad(struct strbuf *sb, const char *s, size_t width, bool right)
{
    size_t w = report_text_width(s);

    if (right)
        for (size_t i = w; i < width; i++)
            strbuf_addch(sb, ' ');
    strbuf_addstr(sb, s);
    if (!right)
        for (size_t i = w; i < width; i++)
            strbuf_addch(sb, ' ');
}

static const char *cell(json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));

    return s ? s : "";
}

/* Builds {<key>: padded cell, ..., "line": the cells joined} for one row,
 * the last column not padded on the right so lines carry no trailing
 * blanks. */
static json_t *text_row(const struct report_text_col *cols, size_t ncols,
                        const size_t *widths, json_t *src, bool is_header)
{
    struct strbuf line = STRBUF_INIT, c = STRBUF_INIT;
    json_t *row = json_object();

    for (size_t i = 0; i < ncols; i++) {
        const char *s = is_header ? cols[i].header : cell(src, cols[i].key);
        bool is_last = i + 1 == ncols;

        strbuf_reset(&c);
        pad(&c, s, is_last && !cols[i].is_right ? 0 : widths[i],
            cols[i].is_right);
        json_object_set_new(row, cols[i].key, json_string(c.buf));
        if (i)
            strbuf_addstr(&line, "  ");
        strbuf_addbuf(&line, &c);
    }
    strbuf_rtrim(&line);
    json_object_set_new(row, "line", json_string(line.buf));
    strbuf_release(&line);
    strbuf_release(&c);
    return row;
}

json_t *report_text_table(const struct report_text_col *cols, size_t ncols,
                          json_t *rows)
{
    size_t widths[REPORT_TEXT_MAX_COLS] = { 0 };
    struct strbuf rule = STRBUF_INIT;
    size_t nrows = json_array_size(rows);
    json_t *table, *out_rows;

    if (ncols > REPORT_TEXT_MAX_COLS)
        ncols = REPORT_TEXT_MAX_COLS;
    for (size_t c = 0; c < ncols; c++) {
        widths[c] = report_text_width(cols[c].header);
        for (size_t i = 0; i < nrows; i++) {
            json_t *row = json_array_get(rows, i);
            size_t w = report_text_width(cell(row, cols[c].key));

            if (w > widths[c])
                widths[c] = w;
        }
    }
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            strbuf_addstr(&rule, "  ");
        for (size_t k = 0; k < widths[c]; k++)
            strbuf_addch(&rule, '-');
    }
    out_rows = json_array();
    for (size_t i = 0; i < nrows; i++)
        json_array_append_new(
            out_rows,
            text_row(cols, ncols, widths, json_array_get(rows, i), false));
    table = json_object();
    json_object_set_new(table, "header",
                        text_row(cols, ncols, widths, NULL, true));
    json_object_set_new(table, "rule", json_string(rule.buf));
    json_object_set_new(table, "rows", out_rows);
    strbuf_release(&rule);
    return table;
}

void report_text_bar(struct strbuf *out, int64_t n, int64_t max, size_t width)
{
    size_t fill = 0;

    if (max > 0 && n > 0) {
        fill = (size_t)((n * (int64_t)width + max / 2) / max);
        if (!fill)
            fill = 1;
    }
    for (size_t i = 0; i < fill; i++)
        strbuf_addstr(out, "\xe2\x96\x88"); /* U+2588 FULL BLOCK */
    for (size_t i = fill; i < width; i++)
        strbuf_addch(out, ' ');
}
