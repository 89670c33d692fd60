/*
 * What the repository's single-row and batch writers share: the INSERT
 * of a new indicator and its columns resolved from an entry and the
 * defaults. Private to src/ioc/.
 */
#ifndef IOCM_IOC_IOC_REPO_INT_H
#define IOCM_IOC_IOC_REPO_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ioc/ioc_repo.h"

struct db_stmt;
struct strbuf;

#define SQL_INSERT_COLUMNS_LIST                                                \
    "type, value, severity, confidence, tlp, source, description, tags, "      \
    "status, is_false_positive, first_seen, last_seen, created_at, "           \
    "created_by, updated_at, updated_by, expires_at"
#define SQL_INSERT_HEAD     "INSERT INTO iocs (" SQL_INSERT_COLUMNS_LIST ") VALUES "
#define SQL_INSERT_ROW      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define SQL_INSERT_COLUMNS  17 /* placeholders per row */
#define SQL_INSERT_CONFLICT " ON CONFLICT (type, value) DO NOTHING"
#define SQL_INSERT          SQL_INSERT_HEAD SQL_INSERT_ROW SQL_INSERT_CONFLICT

/*
 * The columns of a new row, in SQL_INSERT_HEAD's order. Strings are
 * borrowed from the entry, the options and the caller's tags buffer.
 */
struct ioc_new_row {
    const struct ioc *in;
    const char *type, *value;
    /* The 14 columns that ioc_new_row_bind_shared binds. */
    int64_t severity, confidence, tlp;
    const char *source, *description, *tags;
    int64_t status, is_false_positive, first_seen, last_seen, created_at;
    const char *created_by;
    int64_t updated_at;
    const char *updated_by;
    int64_t expires_at; /* 0: none */
};

/* The row in gets, with o's defaults for what it leaves unset; tags
 * receives its joined tags. */
void ioc_new_row_resolve(const struct ioc *in, const struct ioc_upsert_opts *o,
                         struct strbuf *tags, struct ioc_new_row *r);
/* Binds every column at placeholders base+1 .. base+17 (by reference:
 * r's strings must not change until the statement has run). */
void ioc_new_row_bind(struct db_stmt *st, int base,
                      const struct ioc_new_row *r);
/* Binds the columns from severity to updated_by at first .. first+13. */
void ioc_new_row_bind_shared(struct db_stmt *st, int first,
                             const struct ioc_new_row *r);
/* True when a and b agree on the columns ioc_new_row_bind_shared binds. */
bool ioc_new_row_shares(const struct ioc_new_row *a,
                        const struct ioc_new_row *b);
/* Counts by rows like r, just inserted, in o->pending: counters and
 * rollups. */
int ioc_new_row_count(struct db *db, const struct ioc_new_row *r,
                      const struct ioc_upsert_opts *o, int64_t by,
                      struct iocm_err *err);

/*
 * The indicator in exists: moves last_seen, fills empty fields and makes
 * an expired one active again; *id and *outcome get what it was.
 */
int ioc_repo_update_existing(struct db *db, const struct ioc *in,
                             const struct ioc_upsert_opts *o, int64_t *id,
                             enum ioc_upsert_outcome *outcome,
                             struct iocm_err *err);

#endif
