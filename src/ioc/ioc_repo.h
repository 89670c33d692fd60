/*
 * The IOC repository: every read and write of indicators in the store.
 * Writes take the acting user's name and "now" explicitly (the caller owns
 * the clock), and write their audit events in the same transaction.
 */
#ifndef IOCM_IOC_IOC_REPO_H
#define IOCM_IOC_IOC_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ioc/ioc.h"

struct db;
struct iocm_err;
struct strbuf;

/* What an upsert did to the stored indicator. */
enum ioc_upsert_outcome {
    IOC_UPSERT_CREATED,
    IOC_UPSERT_SEEN_AGAIN,  /* existed: last_seen moved, empty fields filled */
    IOC_UPSERT_REACTIVATED, /* existed as expired: active again */
};

/* Defaults applied to new indicators whose fields are unset. */
struct ioc_defaults {
    enum ioc_severity severity; /* IOC_SEV_MEDIUM */
    int confidence;             /* 50 */
    enum tlp tlp;               /* TLP_AMBER */
    enum ioc_status status;     /* IOC_STATUS_ACTIVE */
    /* Expiry in days per type when the input sets none; 0 = never. */
    long ttl_days[IOC_TYPE_COUNT];
};

void ioc_defaults_init(struct ioc_defaults *d);

/*
 * Changes to the maintained counts (ioc_counts), gathered while a batch is
 * written and applied once before it commits: a bulk import then costs one
 * counter update per type instead of one per row.
 */
#define IOC_STATUS_COUNT 5

/*
 * The hourly rollups of new indicators (table ioc_new_hourly): for each
 * hour of created_at, the non-draft indicators per type, severity, source,
 * creator and TLP, so that a report sums whole hours instead of counting rows.
 * A dimension is stored as text: the type's name, the severity's number,
 * the source as stored ('' when none), the creator's name.
 */
enum ioc_rollup_dim {
    IOC_ROLLUP_TYPE = 1,
    IOC_ROLLUP_SEVERITY = 2,
    IOC_ROLLUP_SOURCE = 3,
    IOC_ROLLUP_CREATOR = 4,
    /* Not a new-indicator count: active indicators by hour of expires_at
     * and TLP (its number as text), kept in table ioc_expiry_hourly. */
    IOC_ROLLUP_EXPIRY = 5,
    /* New indicators by TLP (its number as text). */
    IOC_ROLLUP_TLP = 6,
};
#define IOC_ROLLUP_HOUR      3600
#define IOC_ROLLUP_SLOTS     512
#define IOC_ROLLUP_NAME_SIZE 48
struct ioc_rollup_slot {
    int64_t hour;
    int64_t n;
    int dim; /* enum ioc_rollup_dim; 0: free */
    char name[IOC_ROLLUP_NAME_SIZE];
};

struct ioc_count_delta {
    int64_t n[IOC_TYPE_COUNT][IOC_STATUS_COUNT]
             [2]; /* [type][status][enriched] */
    bool is_dirty;
    /* Rollup changes, an open-addressing table held inline (no heap, so
     * dropping a delta is just init); written out when it fills up. */
    size_t rollup_nr;
    /* Per dimension, 1 + the slot last added to (0: none): rows of a
     * batch mostly share their hour, type, source and creator. */
    unsigned short rollup_last[IOC_ROLLUP_TLP + 1];
    struct ioc_rollup_slot rollup[IOC_ROLLUP_SLOTS];
};

void ioc_count_delta_init(struct ioc_count_delta *d);
void ioc_count_delta_add(struct ioc_count_delta *d, enum ioc_type type,
                         enum ioc_status status, bool is_enriched, int64_t by);
/* Writes the gathered changes and clears d. */
int ioc_counts_apply(struct db *db, struct ioc_count_delta *d,
                     struct iocm_err *err);
/*
 * Adds sign (+1 or -1) to the count of the stored row id's current type,
 * status and enrichment: call with -1 before changing a row and +1 after.
 */
int ioc_counts_track_row(struct db *db, int64_t id, int sign,
                         struct iocm_err *err);
/*
 * Adds by to the rollups of a new indicator (created_at, type, severity,
 * TLP, source, creator) in d; a draft is not new, so callers only note
 * non-drafts. May write d's rollups out when its table is full: db must
 * be in the transaction d is applied in.
 */
int ioc_rollup_note(struct db *db, struct ioc_count_delta *d,
                    int64_t created_at, enum ioc_type type,
                    enum ioc_severity severity, enum tlp tlp,
                    const char *source, const char *creator, int64_t by,
                    struct iocm_err *err);
/* The same for one dimension's name only (a source filled in later). */
int ioc_rollup_note_dim(struct db *db, struct ioc_count_delta *d,
                        enum ioc_rollup_dim dim, int64_t created_at,
                        const char *name, int64_t by, struct iocm_err *err);
/* Adds by to the expiry rollup of an active indicator expiring at
 * expires_at (not 0) with tlp. */
int ioc_rollup_note_expiry(struct db *db, struct ioc_count_delta *d,
                           int64_t expires_at, enum tlp tlp, int64_t by,
                           struct iocm_err *err);
/*
 * Adds sign (+1 or -1) to the rollups of the stored row id as it is now
 * (nothing when it is a draft): call with -1 before changing a row and +1
 * after. ioc_counts_track_row does it too.
 */
int ioc_rollups_track_row(struct db *db, int64_t id, int sign,
                          struct iocm_err *err);
/*
 * Compares every hourly rollup (new indicators, audit events, enrichment
 * attempts) with a recount from its table: *mismatches gets the number of
 * (hour, key) counts that differ, 0 when all agree (doctor, tests).
 */
int ioc_rollups_verify(struct db *db, int64_t *mismatches,
                       struct iocm_err *err);
/* Recomputes ioc_counts and every hourly rollup (new indicators, audit
 * events, enrichment attempts) from their tables (repair, doctor). */
int ioc_counts_rebuild(struct db *db, struct iocm_err *err);
/* Reads the maintained counts into out (zeroed first). */
int ioc_counts_read(struct db *db, struct ioc_count_delta *out,
                    struct iocm_err *err);

/* How an upsert runs. */
struct ioc_upsert_opts {
    const struct ioc_defaults *defaults;
    const char *actor;
    int64_t now;
    /* One audit event per indicator; bulk imports write one per import. */
    bool audit;
    /*
     * Where counter changes go. NULL: the upsert runs in a transaction of
     * its own and applies them. Set: the caller holds a transaction (a
     * batch) and applies them with ioc_counts_apply before committing.
     */
    struct ioc_count_delta *pending;
};

/*
 * Inserts in (value must be normalised) or, when (type, value) exists,
 * moves last_seen forward, fills the stored fields that are empty from in,
 * merges tags, and reactivates an expired indicator with a fresh expiry.
 * *id_out and *outcome_out may be NULL.
 */
int ioc_repo_upsert(struct db *db, const struct ioc *in,
                    const struct ioc_upsert_opts *opts, int64_t *id_out,
                    enum ioc_upsert_outcome *outcome_out, struct iocm_err *err);

/*
 * Upserts in[0..n) as n calls of ioc_repo_upsert would, one outcome each
 * into outcomes[0..n), only faster: within the caller's transaction
 * (opts->pending set, opts->audit false), the records are written in
 * (type, value) order (types in enum order), many rows a statement, so new
 * rows get their ids in that order rather than in in's. Other options run
 * the records one by one. After a failure the caller rolls back: which of
 * the records were written before it is unspecified.
 */
int ioc_repo_upsert_batch(struct db *db, const struct ioc *in, size_t n,
                          const struct ioc_upsert_opts *opts,
                          enum ioc_upsert_outcome *outcomes,
                          struct iocm_err *err);

/* Records a first successful enrichment of an indicator (for coverage). */
int ioc_repo_mark_enriched(struct db *db, int64_t id, struct iocm_err *err);

/* Loads the indicator with id, or fails with IOCM_ENOENT. */
int ioc_repo_get(struct db *db, int64_t id, struct ioc *out,
                 struct iocm_err *err);
/* Loads by (type, value), value normalised; IOCM_ENOENT when absent. */
int ioc_repo_find(struct db *db, enum ioc_type type, const char *value,
                  struct ioc *out, struct iocm_err *err);

/* Filters of `ioc list` and `export`; zero/NULL fields do not filter. */
struct ioc_filter {
    int type;     /* enum ioc_type, or -1 */
    int severity; /* minimum... exact enum ioc_severity, or 0 */
    int tlp;      /* exact enum tlp, or -1 */
    int max_tlp;  /* enum tlp ceiling, or -1 */
    int status;   /* enum ioc_status, or -1 for any */
    const char *source;
    const char *tag;
    const char *search; /* substring of value or description */
    int64_t since;      /* created_at >= since, 0 = no bound */
    int64_t until;      /* created_at < until, 0 = no bound */
    int include_false_positives;
    int64_t limit; /* 0 = no limit */
    int64_t offset;
};

void ioc_filter_init(struct ioc_filter *f);

/*
 * Calls fn for each matching indicator, newest first, streaming (constant
 * memory). The record passed to fn is borrowed for the call. fn returns 0
 * to go on, or a negative code that stops the walk and is returned.
 */
typedef int (*ioc_repo_each_fn)(const struct ioc *ioc, void *data);
int ioc_repo_each(struct db *db, const struct ioc_filter *filter,
                  ioc_repo_each_fn fn, void *data, struct iocm_err *err);
/* Counts the indicators matching filter (limit and offset ignored). */
int ioc_repo_count(struct db *db, const struct ioc_filter *filter, int64_t *out,
                   struct iocm_err *err);

/*
 * Stores the edited record new over old (same id) and audits action with
 * the changed fields as [old, new] pairs, plus the members of extra (may
 * be NULL; not taken over). Type and value never change.
 */
int ioc_repo_save(struct db *db, const struct ioc *old, const struct ioc *new,
                  const char *action, json_t *extra, const char *actor,
                  int64_t now, struct iocm_err *err);

/* Deletes the indicator and audits it. */
int ioc_repo_delete(struct db *db, const struct ioc *ioc, const char *actor,
                    int64_t now, struct iocm_err *err);

#endif
