/*
 * Internals of config/ shared by its files: the loaded key/value store, the
 * one-line parser the loader and the rewriter both use, and the value
 * checks behind the typed getters and the settings view.
 */
#ifndef IOCM_CONFIG_CONFIG_INT_H
#define IOCM_CONFIG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct iocm_err;
struct strbuf;

struct config_entry {
    char *key;
    char *value;
    unsigned line; /* 1-based line of the file; 0: from the environment */
};

struct config {
    char *path; /* the file read; NULL when there was none */
    char *name; /* how messages name the file: ".env", "/etc/iocm/.env" */
    struct config_entry *file; /* one per key, first-seen order */
    size_t file_nr, file_alloc;
    struct config_entry *env; /* the environment at load time */
    size_t env_nr, env_alloc;
};

/* Where an assignment sits in its line, as byte offsets into the line. */
struct config_line {
    bool is_assignment; /* false: blank or comment */
    size_t key_start, key_len;
    size_t value_start, value_end; /* the raw value, quotes included */
};

/*
 * Parses one line (without its line end) of len bytes. On success fills pl
 * and, for an assignment, sets value to the unquoted value and returns 0.
 * On a malformed line returns -1 and appends to why the reason, which
 * starts with "invalid line: " and never holds the value.
 */
int config_parse_line(const char *line, size_t len, struct config_line *pl,
                      struct strbuf *value, struct strbuf *why);

/* Whether s (len bytes) is [A-Za-z_][A-Za-z0-9_]*. */
bool config_key_valid(const char *s, size_t len);

/* The entry key takes its value from (the environment's first), or NULL. */
const struct config_entry *config_find(const struct config *cfg,
                                       const char *key);

/*
 * Fails with IOCM_ECONFIG and "invalid KEY 'value' at .env:3: why" for the
 * value e holds; the value is masked for secrets, control characters
 * escaped and long values shortened so the message is one line.
 */
int config_bad_value(const struct config *cfg, const struct config_entry *e,
                     const char *why, struct iocm_err *err);

/* Writes "expected a whole number from min to max" into buf. */
void config_range_words(long min, long max, char *buf, size_t size);

/* Appends "at .env:12" or "in the environment" for e. */
void config_where(const struct config *cfg, const struct config_entry *e,
                  struct strbuf *out);

/* Value parsers for the kinds of enum config_kind; each returns 0 or -1. */
int config_parse_bool(const char *s, bool *out);
int config_parse_long(const char *s, long min, long max, long *out);
int config_parse_tlp(const char *s, int *out);
int config_parse_time(const char *s, int *hour, int *minute);
int config_parse_weekday(const char *s, int *out);

/*
 * Checks value (non-empty) of known key k from entry e; returns 0 or the
 * error of config_bad_value.
 */
int config_check_value(const struct config *cfg, const struct config_key *k,
                       const struct config_entry *e, struct iocm_err *err);

/* Appends value with the password of a database URL masked. */
void config_mask_db_url(const char *value, struct strbuf *out);

/*
 * Appends len bytes of s for a one-line message: control characters as
 * \n, \t or \xNN, and at most max bytes of s followed by "..." when longer.
 */
void config_add_printable(struct strbuf *out, const char *s, size_t len,
                          size_t max);

#endif
