/*
 * Aligned text tables; see cli_table.h.
 */
#include "cli/cli_table.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void cli_table_init(struct cli_table *t, size_t ncols, size_t max_width)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    t->max_width = max_width;
}

void cli_table_release(struct cli_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Copies s cut to max characters with a final "…". */
static char *cut(const char *s, size_t max)
{
    size_t chars = 0;
    const char *p = s;

    if (!max || utf8_width(s) <= max)
        return xstrdup(s);
    for (; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars == max)
            break;
    }
    {
        size_t keep = (size_t)(p - s);
        char *out = xmalloc(keep + 4);

        memcpy(out, s, keep);
        memcpy(out + keep, "\xe2\x80\xa6", 4);
        return out;
    }
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
    ALLOC_GROW(t->cells, (t->nrows + 1) * t->ncols, t->alloc);
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] =
            cut(cells[c] ? cells[c] : "", t->max_width);
    t->nrows++;
}

void cli_table_print(const struct cli_table *t, FILE *fp)
{
    size_t *width = xcalloc(t->ncols, sizeof(*width));

    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = utf8_width(t->cells[r * t->ncols + c]);

            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            int last = c + 1 == t->ncols;

            fputs(cell, fp);
            if (!last)
                for (size_t pad = utf8_width(cell); pad < width[c] + 2; pad++)
                    fputc(' ', fp);
        }
        fputc('\n', fp);
    }
    free(width);
}
