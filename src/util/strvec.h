/*
 * A NULL-terminated, growable array of owned strings (tags, recipients,
 * arguments). v is never NULL once initialised; strvec_clear frees all.
 */
#ifndef IOCM_UTIL_STRVEC_H
#define IOCM_UTIL_STRVEC_H

#include <stddef.h>

struct strvec {
    char **v;
    size_t nr;
    size_t alloc;
};

extern const char *strvec_empty[];
#define STRVEC_INIT                                                            \
    {                                                                          \
        (char **)strvec_empty, 0, 0                                            \
    }

void strvec_init(struct strvec *sv);
void strvec_clear(struct strvec *sv);
/* Pushes a copy of s. */
void strvec_push(struct strvec *sv, const char *s);
/* Takes over s, which must come from the x*alloc family. */
void strvec_push_nodup(struct strvec *sv, char *s);
int strvec_contains(const struct strvec *sv, const char *s);
/*
 * Splits s on sep, trimming white space around each part and skipping empty
 * parts: "a, b,,c " gives a, b, c.
 */
void strvec_split(struct strvec *sv, const char *s, char sep);
/* Sorts and removes duplicates. */
void strvec_sort_unique(struct strvec *sv);

#endif
