/*
 * The append-only audit log. Every mutation in iocm writes one event in
 * the same transaction as the change, so the log and the data never
 * disagree.
 */
#ifndef IOCM_AUDIT_AUDIT_H
#define IOCM_AUDIT_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct db;
struct iocm_err;

/* The actor recorded for commands run without --user. */
#define AUDIT_ACTOR_SYSTEM "system"

/*
 * Appends an event. object_id may be NULL; details may be NULL (stored as
 * {}); the function does not take over details (the caller still owns its
 * reference).
 */
int audit_log(struct db *db, int64_t at, const char *actor, const char *action,
              const char *object_type, const char *object_id, json_t *details,
              struct iocm_err *err);

/* One stored event, as handed to an audit_each callback: the strings are
 * borrowed for the duration of the call. */
struct audit_event {
    int64_t id;
    int64_t at;
    const char *actor;
    const char *action;
    const char *object_type;
    const char *object_id; /* may be NULL */
    const char *details;   /* JSON text */
};

struct audit_query {
    int64_t since; /* 0: no bound */
    int64_t until; /* 0: no bound */
    const char *actor;
    const char *action;
    int64_t limit; /* 0: no limit */
};

typedef int (*audit_each_fn)(const struct audit_event *ev, void *data);
/* Calls fn for each matching event, newest first. */
int audit_each(struct db *db, const struct audit_query *q, audit_each_fn fn,
               void *data, struct iocm_err *err);

/* Deletes events older than before; *deleted may be NULL. */
int audit_purge(struct db *db, int64_t before, int64_t *deleted,
                struct iocm_err *err);

#endif
