/*
 * jansson glue: allocation through xmalloc (so out-of-memory aborts in one
 * place) and the output settings every JSON printer of iocm shares.
 */
#ifndef IOCM_UTIL_JSONX_H
#define IOCM_UTIL_JSONX_H

#include <jansson.h>
#include <stdio.h>

struct strbuf;

/* Routes jansson's allocations through xmalloc; call once at start-up. */
void jsonx_init(void);

/* Flags for output meant for people (--json): indented, keys in order. */
#define JSONX_PRETTY                                                           \
    (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
/* Flags for compact output (JSON lines, HTTP bodies). */
#define JSONX_COMPACT                                                          \
    (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* Appends the encoding of j to sb. */
void jsonx_dump_strbuf(const json_t *j, struct strbuf *sb, size_t flags);
/* Writes j and a newline to fp; returns 0 or -1. */
int jsonx_dump_file(const json_t *j, FILE *fp, size_t flags);

/* A JSON string, or JSON null when s is NULL. New reference. */
json_t *jsonx_string_or_null(const char *s);
/* An ISO 8601 UTC time string, or null when t is 0. New reference. */
json_t *jsonx_time_or_null(long long t);

#endif
