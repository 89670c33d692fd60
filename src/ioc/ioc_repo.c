/*
 * The IOC repository: the SQL that stores and reads indicators. Every
 * statement is portable SQL shared by both drivers; each write is audited
 * in the caller's transaction (ioc_repo_upsert opens one when the caller
 * has not).
 */
#include "ioc/ioc_repo.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "db/db.h"
#include "ioc/ioc_repo_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The columns every read selects, in the order row_to_ioc reads them. */
#define IOC_COLUMNS                                                            \
    "id, type, value, severity, confidence, tlp, source, description, tags, "  \
    "status, is_false_positive, first_seen, last_seen, created_at, "           \
    "created_by, updated_at, updated_by, expires_at, expiry_reason"

void ioc_defaults_init(struct ioc_defaults *d)
{
    d->severity = IOC_SEV_MEDIUM;
    d->confidence = 50;
    d->tlp = TLP_AMBER;
    d->status = IOC_STATUS_ACTIVE;
    for (int i = 0; i < IOC_TYPE_COUNT; i++)
        d->ttl_days[i] = 0;
}

void ioc_filter_init(struct ioc_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->type = -1;
    f->tlp = -1;
    f->max_tlp = -1;
    f->status = -1;
}

static char *dup_column(struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);

    return s ? xstrdup(s) : NULL;
}

static void row_to_ioc(struct db_stmt *st, struct ioc *ioc)
{
    const char *type = db_column_text(st, 1);
    const char *tags = db_column_text(st, 8);
    enum ioc_type t = IOC_TYPE_FILENAME;

    ioc_init(ioc);
    ioc->id = db_column_int64(st, 0);
    if (type)
        ioc_type_parse(type, &t, NULL);
    ioc->type = t;
    ioc->value = dup_column(st, 2);
    ioc->severity = (enum ioc_severity)db_column_int64(st, 3);
    ioc->confidence = (int)db_column_int64(st, 4);
    ioc->tlp = (enum tlp)db_column_int64(st, 5);
    ioc->source = dup_column(st, 6);
    ioc->description = dup_column(st, 7);
    if (tags && *tags)
        strvec_split(&ioc->tags, tags, ',');
    ioc->status = (enum ioc_status)db_column_int64(st, 9);
    ioc->is_false_positive = db_column_int64(st, 10) != 0;
    ioc->first_seen = db_column_int64(st, 11);
    ioc->last_seen = db_column_int64(st, 12);
    ioc->created_at = db_column_int64(st, 13);
    ioc->created_by = dup_column(st, 14);
    ioc->updated_at = db_column_int64(st, 15);
    ioc->updated_by = dup_column(st, 16);
    ioc->expires_at = db_column_int64(st, 17);
    ioc->expiry_reason = dup_column(st, 18);
}

/* Tags are stored as one sorted, comma-joined, lower-case string. */
static void join_tags(const struct strvec *tags, struct strbuf *out)
{
    for (size_t i = 0; i < tags->nr; i++) {
        if (i)
            strbuf_addch(out, ',');
        strbuf_addstr(out, tags->v[i]);
    }
}

/* The union of the stored tags and new ones, joined. */
static void merge_tags(const char *stored, const struct strvec *more,
                       struct strbuf *out)
{
    struct strvec all = STRVEC_INIT;

    if (stored && *stored)
        strvec_split(&all, stored, ',');
    for (size_t i = 0; i < more->nr; i++)
        strvec_push(&all, more->v[i]);
    strvec_sort_unique(&all);
    join_tags(&all, out);
    strvec_clear(&all);
}

static int64_t expiry_for(const struct ioc *in, const struct ioc_defaults *d,
                          int64_t now)
{
    long days;

    if (in->no_expiry)
        return 0;
    if (in->expires_at)
        return in->expires_at;
    days = d->ttl_days[in->type];
    return days > 0 ? now + (int64_t)days * 86400 : 0;
}

static void bind_time_or_null(struct db_stmt *st, int idx, int64_t t)
{
    if (t)
        db_bind_int64(st, idx, t);
    else
        db_bind_null(st, idx);
}

static json_t *audit_details(const struct ioc *ioc)
{
    return json_pack("{s:s, s:s}", "type", ioc_type_name(ioc->type), "value",
                     ioc->value);
}

static int audit_ioc(struct db *db, int64_t now, const char *actor,
                     const char *action, int64_t id, json_t *details,
                     struct iocm_err *err)
{
    char idbuf[24];
    int rc;

    snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
    rc = audit_log(db, now, actor, action, "ioc", idbuf, details, err);
    json_decref(details);
    return rc;
}

static const char sql_insert_returning[] = SQL_INSERT " RETURNING id";
/* Bulk imports need no id: without RETURNING, SQLite need not buffer a
 * result per row, and the changed-row count says whether it was new. */
static const char sql_insert[] = SQL_INSERT;

void ioc_new_row_resolve(const struct ioc *in, const struct ioc_upsert_opts *o,
                         struct strbuf *tags, struct ioc_new_row *r)
{
    const struct ioc_defaults *d = o->defaults;
    int64_t now = o->now;

    r->in = in;
    r->type = ioc_type_name(in->type);
    r->value = in->value;
    r->severity = in->severity ? in->severity : d->severity;
    r->confidence = in->confidence >= 0 ? in->confidence : d->confidence;
    r->tlp = in->tlp != TLP_UNSET ? in->tlp : d->tlp;
    r->source = in->source ? in->source : "";
    r->description = in->description ? in->description : "";
    strbuf_reset(tags);
    join_tags(&in->tags, tags);
    r->tags = tags->buf;
    r->status = in->status != IOC_STATUS_UNSET ? in->status : d->status;
    r->is_false_positive = in->is_false_positive;
    r->first_seen = in->first_seen ? in->first_seen : now;
    r->last_seen =
        in->last_seen > r->first_seen ? in->last_seen : r->first_seen;
    r->created_at = in->created_at ? in->created_at : now;
    r->created_by = in->created_by ? in->created_by : o->actor;
    r->updated_at = r->created_at > now ? r->created_at : now;
    r->updated_by = o->actor;
    r->expires_at = expiry_for(in, d, r->created_at);
}

void ioc_new_row_bind_shared(struct db_stmt *st, int first,
                             const struct ioc_new_row *r)
{
    db_bind_int64(st, first, r->severity);
    db_bind_int64(st, first + 1, r->confidence);
    db_bind_int64(st, first + 2, r->tlp);
    db_bind_text_ref(st, first + 3, r->source);
    db_bind_text_ref(st, first + 4, r->description);
    db_bind_text_ref(st, first + 5, r->tags);
    db_bind_int64(st, first + 6, r->status);
    db_bind_int64(st, first + 7, r->is_false_positive);
    db_bind_int64(st, first + 8, r->first_seen);
    db_bind_int64(st, first + 9, r->last_seen);
    db_bind_int64(st, first + 10, r->created_at);
    db_bind_text_ref(st, first + 11, r->created_by);
    db_bind_int64(st, first + 12, r->updated_at);
    db_bind_text_ref(st, first + 13, r->updated_by);
}

void ioc_new_row_bind(struct db_stmt *st, int base, const struct ioc_new_row *r)
{
    db_bind_text_ref(st, base + 1, r->type);
    db_bind_text_ref(st, base + 2, r->value);
    ioc_new_row_bind_shared(st, base + 3, r);
    bind_time_or_null(st, base + 17, r->expires_at);
}

/* Most shared strings are one string: the defaults' or the actor. */
static bool same_str(const char *a, const char *b)
{
    return a == b || strcmp(a, b) == 0;
}

bool ioc_new_row_shares(const struct ioc_new_row *a,
                        const struct ioc_new_row *b)
{
    return a->severity == b->severity && a->confidence == b->confidence &&
           a->tlp == b->tlp && a->status == b->status &&
           a->is_false_positive == b->is_false_positive &&
           a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
           a->created_at == b->created_at && a->updated_at == b->updated_at &&
           same_str(a->source, b->source) &&
           same_str(a->description, b->description) &&
           same_str(a->tags, b->tags) &&
           same_str(a->created_by, b->created_by) &&
           same_str(a->updated_by, b->updated_by);
}

int ioc_new_row_count(struct db *db, const struct ioc_new_row *r,
                      const struct ioc_upsert_opts *o, int64_t by,
                      struct iocm_err *err)
{
    int rc = 0;

    ioc_count_delta_add(o->pending, r->in->type, r->status, false, by);
    if (r->status == IOC_STATUS_DRAFT)
        return 0;
    if (r->status == IOC_STATUS_ACTIVE && r->expires_at)
        rc = ioc_rollup_note_expiry(db, o->pending, r->expires_at, r->tlp, by,
                                    err);
    if (rc < 0)
        return rc;
    return ioc_rollup_note(db, o->pending, r->created_at, r->in->type,
                           r->severity, r->tlp, r->source, r->created_by, by,
                           err);
}

/*
 * Inserts in unless (type, value) exists. *id gets the new row's id when
 * want_id (else 1 for "inserted"), 0 when the row existed.
 */
static int insert_new(struct db *db, const struct ioc *in,
                      const struct ioc_upsert_opts *o, bool want_id,
                      int64_t *id, struct iocm_err *err)
{
    struct strbuf tags = STRBUF_INIT;
    struct ioc_new_row row;
    struct db_stmt *st;
    int rc;

    rc = db_prepare_cached(db, want_id ? sql_insert_returning : sql_insert, &st,
                           err);
    if (rc < 0)
        return rc;
    ioc_new_row_resolve(in, o, &tags, &row);
    ioc_new_row_bind(st, 0, &row);
    rc = db_step(st, err);
    if (want_id) {
        *id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
        if (rc == DB_ROW)
            rc = db_step(st, err);
    } else {
        *id = rc == DB_DONE && db_changes(db) == 1 ? 1 : 0;
    }
    db_reset(st);
    strbuf_release(&tags);
    if (rc < 0)
        return rc;
    if (!*id)
        return 0;
    return ioc_new_row_count(db, &row, o, 1, err);
}

static const char sql_find_for_update[] =
    "SELECT id, status, source, description, tags, last_seen, is_enriched, "
    "created_at, tlp FROM iocs WHERE type = ? AND value = ?";

static const char sql_seen_again[] =
    "UPDATE iocs SET last_seen = ?, source = ?, description = ?, tags = ?, "
    "updated_at = ?, updated_by = ? WHERE id = ?";

static const char sql_reactivate[] =
    "UPDATE iocs SET last_seen = ?, source = ?, description = ?, tags = ?, "
    "updated_at = ?, updated_by = ?, status = 2, expires_at = ?, "
    "expiry_reason = NULL WHERE id = ?";

int ioc_repo_update_existing(struct db *db, const struct ioc *in,
                             const struct ioc_upsert_opts *o, int64_t *id,
                             enum ioc_upsert_outcome *outcome,
                             struct iocm_err *err)
{
    const char *actor = o->actor;
    int64_t now = o->now;
    bool is_enriched, is_draft;
    int64_t created_at, expires_at = 0;
    enum tlp tlp;
    struct strbuf source = STRBUF_INIT, description = STRBUF_INIT;
    struct strbuf tags = STRBUF_INIT;
    struct db_stmt *find, *upd;
    int64_t last_seen;
    int rc;

    rc = db_prepare_cached(db, sql_find_for_update, &find, err);
    if (rc < 0)
        return rc;
    db_bind_text(find, 1, ioc_type_name(in->type));
    db_bind_text(find, 2, in->value);
    rc = db_step(find, err);
    if (rc != DB_ROW) {
        db_reset(find);
        return rc < 0 ? rc
                      : iocm_fail(err, IOCM_EDB,
                                  "indicator '%s' vanished during upsert",
                                  in->value);
    }
    *id = db_column_int64(find, 0);
    *outcome = db_column_int64(find, 1) == IOC_STATUS_EXPIRED
                   ? IOC_UPSERT_REACTIVATED
                   : IOC_UPSERT_SEEN_AGAIN;
    strbuf_addstr(&source, db_column_text(find, 2));
    strbuf_addstr(&description, db_column_text(find, 3));
    merge_tags(db_column_text(find, 4), &in->tags, &tags);
    last_seen = db_column_int64(find, 5);
    is_enriched = db_column_int64(find, 6) != 0;
    is_draft = db_column_int64(find, 1) == IOC_STATUS_DRAFT;
    created_at = db_column_int64(find, 7);
    tlp = (enum tlp)db_column_int64(find, 8);
    db_reset(find);

    /* A source filled in moves a new indicator from "unknown" in the
     * rollups. */
    if (!source.len && in->source && *in->source && !is_draft) {
        rc = ioc_rollup_note_dim(db, o->pending, IOC_ROLLUP_SOURCE, created_at,
                                 "", -1, err);
        if (rc == 0)
            rc = ioc_rollup_note_dim(db, o->pending, IOC_ROLLUP_SOURCE,
                                     created_at, in->source, 1, err);
        if (rc < 0)
            goto out;
    }

    if (!source.len && in->source)
        strbuf_addstr(&source, in->source);
    if (!description.len && in->description)
        strbuf_addstr(&description, in->description);
    if (in->last_seen > last_seen)
        last_seen = in->last_seen;
    else if (!in->last_seen && now > last_seen)
        last_seen = now;

    rc = db_prepare_cached(db,
                           *outcome == IOC_UPSERT_REACTIVATED ? sql_reactivate
                                                              : sql_seen_again,
                           &upd, err);
    if (rc < 0)
        goto out;
    db_bind_int64(upd, 1, last_seen);
    db_bind_text(upd, 2, source.buf);
    db_bind_text(upd, 3, description.buf);
    db_bind_text(upd, 4, tags.buf);
    db_bind_int64(upd, 5, now);
    db_bind_text(upd, 6, actor);
    if (*outcome == IOC_UPSERT_REACTIVATED) {
        expires_at = expiry_for(in, o->defaults, now);
        bind_time_or_null(upd, 7, expires_at);
        db_bind_int64(upd, 8, *id);
    } else {
        db_bind_int64(upd, 7, *id);
    }
    rc = db_step(upd, err);
    db_reset(upd);
    if (rc > 0)
        rc = 0;
    if (rc == 0 && *outcome == IOC_UPSERT_REACTIVATED) {
        ioc_count_delta_add(o->pending, in->type, IOC_STATUS_EXPIRED,
                            is_enriched, -1);
        ioc_count_delta_add(o->pending, in->type, IOC_STATUS_ACTIVE,
                            is_enriched, 1);
        if (expires_at)
            rc =
                ioc_rollup_note_expiry(db, o->pending, expires_at, tlp, 1, err);
    }
out:
    strbuf_release(&source);
    strbuf_release(&description);
    strbuf_release(&tags);
    return rc;
}

int ioc_repo_upsert(struct db *db, const struct ioc *in,
                    const struct ioc_upsert_opts *opts, int64_t *id_out,
                    enum ioc_upsert_outcome *outcome_out, struct iocm_err *err)
{
    static const char *const actions[] = {
        [IOC_UPSERT_CREATED] = "ioc.create",
        [IOC_UPSERT_SEEN_AGAIN] = "ioc.seen",
        [IOC_UPSERT_REACTIVATED] = "ioc.reactivate",
    };
    enum ioc_upsert_outcome outcome = IOC_UPSERT_CREATED;
    struct ioc_upsert_opts o = *opts;
    struct ioc_count_delta local;
    int64_t id = 0;
    int rc;
    /* A batch (pending counters) runs inside the caller's transaction,
     * which a failure rolls back whole: no savepoint per row. */
    bool own_tx = !o.pending;

    if (own_tx) {
        ioc_count_delta_init(&local);
        o.pending = &local;
        rc = db_begin(db, err);
        if (rc < 0)
            return rc;
    }
    rc = insert_new(db, in, &o, o.audit || id_out, &id, err);
    if (rc == 0 && !id)
        rc = ioc_repo_update_existing(db, in, &o, &id, &outcome, err);
    if (rc == 0 && o.audit)
        rc = audit_ioc(db, o.now, o.actor, actions[outcome], id,
                       audit_details(in), err);
    if (own_tx) {
        if (rc == 0)
            rc = ioc_counts_apply(db, &local, err);
        if (rc < 0) {
            db_rollback(db, NULL);
            return rc;
        }
        rc = db_commit(db, err);
    }
    if (rc < 0)
        return rc;
    if (id_out)
        *id_out = id;
    if (outcome_out)
        *outcome_out = outcome;
    return 0;
}

static const char sql_get[] = "SELECT " IOC_COLUMNS " FROM iocs WHERE id = ?";
static const char sql_find[] =
    "SELECT " IOC_COLUMNS " FROM iocs WHERE type = ? AND value = ?";

static int load_one(struct db_stmt *st, struct ioc *out, const char *what,
                    struct iocm_err *err)
{
    int rc = db_step(st, err);

    if (rc == DB_ROW) {
        row_to_ioc(st, out);
        rc = 0;
    } else if (rc == DB_DONE) {
        rc = iocm_fail(err, IOCM_ENOENT, "no indicator %s", what);
    }
    db_reset(st);
    return rc;
}

int ioc_repo_get(struct db *db, int64_t id, struct ioc *out,
                 struct iocm_err *err)
{
    struct db_stmt *st;
    char what[40];
    int rc = db_prepare_cached(db, sql_get, &st, err);

    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, id);
    snprintf(what, sizeof(what), "with id %lld", (long long)id);
    return load_one(st, out, what, err);
}

int ioc_repo_find(struct db *db, enum ioc_type type, const char *value,
                  struct ioc *out, struct iocm_err *err)
{
    struct strbuf what = STRBUF_INIT;
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_find, &st, err);

    if (rc < 0)
        return rc;
    db_bind_text(st, 1, ioc_type_name(type));
    db_bind_text(st, 2, value);
    strbuf_addf(&what, "'%s' of type %s", value, ioc_type_name(type));
    rc = load_one(st, out, what.buf, err);
    strbuf_release(&what);
    return rc;
}

/*
 * Appends the WHERE clause of a filter to sql and binds nothing: the
 * parameters are bound in the same order by bind_filter. Both walk the
 * filter fields in one fixed order.
 */
static void build_where(const struct ioc_filter *f, struct strbuf *sql)
{
    strbuf_addstr(sql, " WHERE 1 = 1");
    if (f->type >= 0)
        strbuf_addstr(sql, " AND type = ?");
    if (f->severity > 0)
        strbuf_addstr(sql, " AND severity = ?");
    if (f->tlp >= 0)
        strbuf_addstr(sql, " AND tlp = ?");
    if (f->max_tlp >= 0)
        strbuf_addstr(sql, " AND tlp <= ?");
    if (f->status >= 0)
        strbuf_addstr(sql, " AND status = ?");
    if (f->source)
        strbuf_addstr(sql, " AND source = ?");
    if (f->tag)
        strbuf_addstr(sql, " AND (',' || tags || ',') LIKE ? ESCAPE '\\'");
    if (f->search)
        strbuf_addstr(sql, " AND (LOWER(value) LIKE LOWER(?) ESCAPE '\\' "
                           "OR LOWER(description) LIKE LOWER(?) ESCAPE '\\')");
    if (f->since)
        strbuf_addstr(sql, " AND created_at >= ?");
    if (f->until)
        strbuf_addstr(sql, " AND created_at < ?");
    if (!f->include_false_positives)
        strbuf_addstr(sql, " AND is_false_positive = 0");
}

/* LIKE patterns: the user's text matches literally. */
static void like_pattern(const char *prefix, const char *s, const char *suffix,
                         struct strbuf *out)
{
    strbuf_addstr(out, prefix);
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            strbuf_addch(out, '\\');
        strbuf_addch(out, *s);
    }
    strbuf_addstr(out, suffix);
}

static int bind_filter(struct db_stmt *st, const struct ioc_filter *f)
{
    struct strbuf pat = STRBUF_INIT;
    int i = 1;

    if (f->type >= 0)
        db_bind_text(st, i++, ioc_type_name((enum ioc_type)f->type));
    if (f->severity > 0)
        db_bind_int64(st, i++, f->severity);
    if (f->tlp >= 0)
        db_bind_int64(st, i++, f->tlp);
    if (f->max_tlp >= 0)
        db_bind_int64(st, i++, f->max_tlp);
    if (f->status >= 0)
        db_bind_int64(st, i++, f->status);
    if (f->source)
        db_bind_text(st, i++, f->source);
    if (f->tag) {
        like_pattern("%,", f->tag, ",%", &pat);
        db_bind_text(st, i++, pat.buf);
        strbuf_reset(&pat);
    }
    if (f->search) {
        like_pattern("%", f->search, "%", &pat);
        db_bind_text(st, i++, pat.buf);
        db_bind_text(st, i++, pat.buf);
    }
    if (f->since)
        db_bind_int64(st, i++, f->since);
    if (f->until)
        db_bind_int64(st, i++, f->until);
    strbuf_release(&pat);
    return i;
}

int ioc_repo_each(struct db *db, const struct ioc_filter *filter,
                  ioc_repo_each_fn fn, void *data, struct iocm_err *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    struct ioc ioc;
    int rc, next;

    strbuf_addstr(&sql, "SELECT " IOC_COLUMNS " FROM iocs");
    build_where(filter, &sql);
    /* Served by iocs_created_at. */
    strbuf_addstr(&sql, " ORDER BY created_at DESC, id DESC");
    if (filter->limit > 0)
        strbuf_addstr(&sql, " LIMIT ? OFFSET ?");
    rc = db_prepare(db, sql.buf, &st, err);
    if (rc < 0)
        goto out;
    next = bind_filter(st, filter);
    if (filter->limit > 0) {
        db_bind_int64(st, next, filter->limit);
        db_bind_int64(st, next + 1, filter->offset);
    }
    while ((rc = db_step(st, err)) == DB_ROW) {
        row_to_ioc(st, &ioc);
        rc = fn(&ioc, data);
        ioc_release(&ioc);
        if (rc < 0)
            goto out;
    }
out:
    db_finalize(st);
    strbuf_release(&sql);
    return rc < 0 ? rc : 0;
}

int ioc_repo_count(struct db *db, const struct ioc_filter *filter, int64_t *out,
                   struct iocm_err *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    int rc;

    strbuf_addstr(&sql, "SELECT COUNT(*) FROM iocs");
    build_where(filter, &sql);
    rc = db_prepare(db, sql.buf, &st, err);
    if (rc < 0)
        goto out;
    bind_filter(st, filter);
    rc = db_step(st, err);
    *out = rc == DB_ROW ? db_column_int64(st, 0) : 0;
out:
    db_finalize(st);
    strbuf_release(&sql);
    return rc < 0 ? rc : 0;
}

/* Records "field": [old, new] in changes when a field changes. */
static void note_change_str(json_t *changes, const char *field, const char *old,
                            const char *new_value)
{
    if (strcmp(old ? old : "", new_value ? new_value : "") == 0)
        return;
    json_object_set_new(changes, field, json_pack("[s?s?]", old, new_value));
}

static void note_change_int(json_t *changes, const char *field, int64_t old,
                            int64_t new_value)
{
    if (old == new_value)
        return;
    json_object_set_new(
        changes, field,
        json_pack("[II]", (json_int_t)old, (json_int_t)new_value));
}

static const char sql_update[] =
    "UPDATE iocs SET severity = ?, confidence = ?, tlp = ?, source = ?, "
    "description = ?, tags = ?, status = ?, is_false_positive = ?, "
    "expires_at = ?, expiry_reason = ?, updated_at = ?, updated_by = ? "
    "WHERE id = ?";

int ioc_repo_save(struct db *db, const struct ioc *old, const struct ioc *new,
                  const char *action, json_t *extra, const char *actor,
                  int64_t now, struct iocm_err *err)
{
    struct strbuf tags = STRBUF_INIT, old_tags = STRBUF_INIT;
    json_t *changes = json_object();
    struct db_stmt *st;
    int rc;

    join_tags(&new->tags, &tags);
    join_tags(&old->tags, &old_tags);
    note_change_str(changes, "severity", ioc_severity_name(old->severity),
                    ioc_severity_name(new->severity));
    note_change_int(changes, "confidence", old->confidence, new->confidence);
    note_change_str(changes, "tlp", tlp_name(old->tlp), tlp_name(new->tlp));
    note_change_str(changes, "source", old->source, new->source);
    note_change_str(changes, "description", old->description, new->description);
    note_change_str(changes, "tags", old_tags.buf, tags.buf);
    note_change_str(changes, "status", ioc_status_name(old->status),
                    ioc_status_name(new->status));
    note_change_int(changes, "false_positive", old->is_false_positive,
                    new->is_false_positive);
    note_change_int(changes, "expires_at", old->expires_at, new->expires_at);

    rc = db_begin(db, err);
    if (rc < 0)
        goto out;
    rc = ioc_counts_track_row(db, new->id, -1, err);
    if (rc < 0)
        goto fail;
    rc = db_prepare_cached(db, sql_update, &st, err);
    if (rc < 0)
        goto fail;
    db_bind_int64(st, 1, new->severity);
    db_bind_int64(st, 2, new->confidence);
    db_bind_int64(st, 3, new->tlp);
    db_bind_text(st, 4, new->source ? new->source : "");
    db_bind_text(st, 5, new->description ? new->description : "");
    db_bind_text(st, 6, tags.buf);
    db_bind_int64(st, 7, new->status);
    db_bind_int64(st, 8, new->is_false_positive);
    bind_time_or_null(st, 9, new->expires_at);
    db_bind_text(st, 10, new->expiry_reason);
    db_bind_int64(st, 11, now);
    db_bind_text(st, 12, actor);
    db_bind_int64(st, 13, new->id);
    rc = db_step(st, err);
    db_reset(st);
    /* Deleted meanwhile: an audit event would record an edit that never
     * happened. */
    if (rc >= 0 && db_changes(db) == 0)
        rc = iocm_fail(err, IOCM_ENOENT, "no indicator with id %lld",
                       (long long)new->id);
    if (rc >= 0)
        rc = ioc_counts_track_row(db, new->id, 1, err);
    if (rc < 0)
        goto fail;
    json_object_set_new(changes, "value", json_string(old->value));
    json_object_set_new(changes, "type", json_string(ioc_type_name(old->type)));
    if (extra)
        json_object_update(changes, extra);
    rc = audit_ioc(db, now, actor, action, new->id, json_incref(changes), err);
    if (rc < 0)
        goto fail;
    rc = db_commit(db, err);
    goto out;
fail:
    db_rollback(db, NULL);
out:
    json_decref(changes);
    strbuf_release(&tags);
    strbuf_release(&old_tags);
    return rc;
}

static const char sql_delete[] = "DELETE FROM iocs WHERE id = ?";

/* The indicator's enrichment attempts go with it (ON DELETE CASCADE):
 * their hourly counts too. */
static const char sql_untrack_attempts[] =
    "INSERT INTO enrich_hourly (hour, outcome, n) "
    "SELECT at / 3600, outcome, -COUNT(*) FROM enrich_attempts "
    "WHERE ioc_id = ? GROUP BY at / 3600, outcome "
    "ON CONFLICT (hour, outcome) DO UPDATE SET n = enrich_hourly.n + "
    "excluded.n";

int ioc_repo_delete(struct db *db, const struct ioc *ioc, const char *actor,
                    int64_t now, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = ioc_counts_track_row(db, ioc->id, -1, err);
    if (rc == 0)
        rc = db_prepare_cached(db, sql_untrack_attempts, &st, err);
    if (rc < 0)
        goto fail;
    db_bind_int64(st, 1, ioc->id);
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        goto fail;
    rc = db_prepare_cached(db, sql_delete, &st, err);
    if (rc < 0)
        goto fail;
    db_bind_int64(st, 1, ioc->id);
    rc = db_step(st, err);
    db_reset(st);
    /* Deleted meanwhile (another user, a second request): only the delete
     * that removed the row is audited. */
    if (rc >= 0 && db_changes(db) == 0)
        rc = iocm_fail(err, IOCM_ENOENT, "no indicator with id %lld",
                       (long long)ioc->id);
    if (rc < 0)
        goto fail;
    rc = audit_ioc(db, now, actor, "ioc.delete", ioc->id, audit_details(ioc),
                   err);
    if (rc < 0)
        goto fail;
    return db_commit(db, err);
fail:
    db_rollback(db, NULL);
    return rc;
}

static const char sql_mark_enriched[] =
    "UPDATE iocs SET is_enriched = 1 WHERE id = ? AND is_enriched = 0";

int ioc_repo_mark_enriched(struct db *db, int64_t id, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc;

    rc = db_begin(db, err);
    if (rc < 0)
        return rc;
    rc = ioc_counts_track_row(db, id, -1, err);
    if (rc == 0)
        rc = db_prepare_cached(db, sql_mark_enriched, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, id);
        rc = db_step(st, err);
        db_reset(st);
    }
    if (rc >= 0)
        rc = ioc_counts_track_row(db, id, 1, err);
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}
