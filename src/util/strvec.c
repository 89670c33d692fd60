/*
 * The string vector; see strvec.h.
 */
#include "util/strvec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

const char *strvec_empty[] = { NULL };

void strvec_init(struct strvec *sv)
{
    sv->v = (char **)strvec_empty;
    sv->nr = 0;
    sv->alloc = 0;
}

void strvec_clear(struct strvec *sv)
{
    if (sv->alloc) {
        for (size_t i = 0; i < sv->nr; i++)
            free(sv->v[i]);
        free(sv->v);
    }
    strvec_init(sv);
}

void strvec_push_nodup(struct strvec *sv, char *s)
{
    if (!sv->alloc)
        sv->v = NULL;
    ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
    sv->v[sv->nr++] = s;
    sv->v[sv->nr] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
    strvec_push_nodup(sv, xstrdup(s));
}

int strvec_contains(const struct strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->nr; i++)
        if (strcmp(sv->v[i], s) == 0)
            return 1;
    return 0;
}

void strvec_split(struct strvec *sv, const char *s, char sep)
{
    while (*s) {
        const char *end = strchr(s, sep);
        const char *stop = end ? end : s + strlen(s);
        const char *b = s;
        const char *e = stop;

        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e > b)
            strvec_push_nodup(sv, xstrndup(b, (size_t)(e - b)));
        if (!end)
            break;
        s = end + 1;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort_unique(struct strvec *sv)
{
    size_t out = 0;

    if (sv->nr < 2)
        return;
    qsort(sv->v, sv->nr, sizeof(*sv->v), cmp_str);
    for (size_t i = 0; i < sv->nr; i++) {
        if (out && strcmp(sv->v[out - 1], sv->v[i]) == 0) {
            free(sv->v[i]);
            continue;
        }
        sv->v[out++] = sv->v[i];
    }
    sv->nr = out;
    sv->v[out] = NULL;
}
