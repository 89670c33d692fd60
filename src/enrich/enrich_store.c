/*
 * What enrichment reads and writes in the store: results (one per
 * indicator and provider), the attempt log the reports count, the cache
 * check and the pending-indicator queries. Portable SQL, placeholders only.
 */
#include "enrich/enrich_int.h"

#include <stdlib.h>

#include "db/db.h"
#include "ioc/ioc_repo.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/xalloc.h"

/* Served by the primary key (ioc_id, provider). */
static const char sql_fresh[] =
    "SELECT 1 FROM enrich_results WHERE ioc_id = ? AND provider = ? "
    "AND fetched_at > ?";

int enrich_store_is_fresh(struct db *db, int64_t ioc_id, const char *provider,
                          int64_t since, bool *is_fresh, struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_prepare_cached(db, sql_fresh, &st, err);

    *is_fresh = false;
    if (rc < 0)
        return rc;
    db_bind_int64(st, 1, ioc_id);
    db_bind_text(st, 2, provider);
    db_bind_int64(st, 3, since);
    rc = db_step(st, err);
    db_reset(st);
    if (rc < 0)
        return rc;
    *is_fresh = rc == DB_ROW;
    return 0;
}

static const char sql_attempt[] =
    "INSERT INTO enrich_attempts (ioc_id, provider, at, outcome, error) "
    "VALUES (?, ?, ?, ?, ?)";

/* Attempts per hour and outcome (enrich_hourly), kept with every attempt
 * for the reports' success rates. */
static const char sql_attempt_count[] =
    "INSERT INTO enrich_hourly (hour, outcome, n) VALUES (?, ?, 1) "
    "ON CONFLICT (hour, outcome) DO UPDATE SET n = enrich_hourly.n + 1";

int enrich_store_attempt(struct db *db, int64_t ioc_id, const char *provider,
                         int64_t at, const char *outcome, const char *error,
                         struct iocm_err *err)
{
    struct db_stmt *st;
    int rc = db_begin(db, err);

    if (rc < 0)
        return rc;
    rc = db_prepare_cached(db, sql_attempt, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, ioc_id);
        db_bind_text(st, 2, provider);
        db_bind_int64(st, 3, at);
        db_bind_text(st, 4, outcome);
        db_bind_text(st, 5, error);
        rc = db_step(st, err);
        db_reset(st);
    }
    if (rc >= 0)
        rc = db_prepare_cached(db, sql_attempt_count, &st, err);
    if (rc >= 0) {
        db_bind_int64(st, 1, at / 3600);
        db_bind_text(st, 2, outcome);
        rc = db_step(st, err);
        db_reset(st);
    }
    if (rc < 0) {
        db_rollback(db, NULL);
        return rc;
    }
    return db_commit(db, err);
}

static const char sql_upsert_result[] =
    "INSERT INTO enrich_results (ioc_id, provider, fetched_at, result) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (ioc_id, provider) DO UPDATE SET "
    "fetched_at = excluded.fetched_at, result = excluded.result";

int enrich_store_success(struct db *db, int64_t ioc_id, const char *provider,
                         int64_t at, const json_t *result, struct iocm_err *err)
{
    struct strbuf text = STRBUF_INIT;
    struct db_stmt *st;
    int rc;

    jsonx_dump_strbuf(result, &text, JSONX_COMPACT);
    rc = db_begin(db, err);
    if (rc < 0)
        goto out;
    rc = db_prepare_cached(db, sql_upsert_result, &st, err);
    if (rc == 0) {
        db_bind_int64(st, 1, ioc_id);
        db_bind_text(st, 2, provider);
        db_bind_int64(st, 3, at);
        db_bind_text(st, 4, text.buf);
        rc = db_step(st, err);
        db_reset(st);
    }
    if (rc >= 0)
        rc = enrich_store_attempt(db, ioc_id, provider, at, "success", NULL,
                                  err);
    if (rc >= 0)
        rc = ioc_repo_mark_enriched(db, ioc_id, err);
    if (rc < 0) {
        db_rollback(db, NULL);
        goto out;
    }
    rc = db_commit(db, err);
out:
    strbuf_release(&text);
    return rc;
}

static const char sql_results_for[] =
    "SELECT provider, fetched_at, result FROM enrich_results "
    "WHERE ioc_id = ? ORDER BY provider";

int enrich_results_for(struct db *db, int64_t ioc_id, json_t **out,
                       struct iocm_err *err)
{
    json_t *all = json_object();
    struct db_stmt *st;
    int rc;

    *out = NULL;
    rc = db_prepare_cached(db, sql_results_for, &st, err);
    if (rc < 0)
        goto out;
    db_bind_int64(st, 1, ioc_id);
    for (;;) {
        const char *text;
        json_t *result;

        rc = db_step(st, err);
        if (rc != DB_ROW)
            break;
        text = db_column_text(st, 2);
        result = text ? json_loads(text, 0, NULL) : NULL;
        /* A row that is not JSON (written by hand) is shown as it is. */
        if (!result)
            result = jsonx_string_or_null(text);
        json_object_set_new(
            all, db_column_text(st, 0),
            json_pack("{s:o, s:o}", "fetched_at",
                      jsonx_time_or_null(db_column_int64(st, 1)), "result",
                      result));
    }
    db_reset(st);
    if (rc < 0)
        goto out;
    rc = 0;
    *out = all;
    all = NULL;
out:
    json_decref(all);
    return rc;
}

/*
 * Appends the condition "pending under some rule" and binds nothing; the
 * parameters follow in bind_rules() order. The SQL's shape depends only on
 * the number of rules and their types, never on values.
 */
static void add_pending_where(struct strbuf *sql,
                              const struct enrich_pending_rule *rules,
                              size_t nrules)
{
    /* status 2 (active) is served by iocs_status_expires; the NOT EXISTS
     * by the primary key of enrich_results. */
    strbuf_addstr(sql, " FROM iocs WHERE status = 2 AND id > ? AND id <= ? "
                       "AND (");
    for (size_t i = 0; i < nrules; i++) {
        bool is_first = true;

        strbuf_addstr(sql, i ? " OR (type IN (" : "(type IN (");
        for (int t = 0; t < IOC_TYPE_COUNT; t++) {
            if (!(rules[i].types & ENRICH_TYPE_BIT(t)))
                continue;
            strbuf_addstr(sql, is_first ? "?" : ", ?");
            is_first = false;
        }
        strbuf_addstr(sql, ") AND NOT EXISTS (SELECT 1 FROM enrich_results r "
                           "WHERE r.ioc_id = iocs.id AND r.provider = ? "
                           "AND r.fetched_at > ?))");
    }
    strbuf_addch(sql, ')');
}

/* The number of parameters add_pending_where() asks for. */
static int pending_params(const struct enrich_pending_rule *rules,
                          size_t nrules)
{
    int n = 2;

    for (size_t i = 0; i < nrules; i++)
        n += __builtin_popcount(rules[i].types) + 2;
    return n;
}

static void bind_pending(struct db_stmt *st,
                         const struct enrich_pending_rule *rules, size_t nrules,
                         int64_t after, int64_t upto)
{
    int idx = 1;

    db_bind_int64(st, idx++, after);
    db_bind_int64(st, idx++, upto);
    for (size_t i = 0; i < nrules; i++) {
        for (int t = 0; t < IOC_TYPE_COUNT; t++)
            if (rules[i].types & ENRICH_TYPE_BIT(t))
                db_bind_text(st, idx++, ioc_type_name((enum ioc_type)t));
        db_bind_text(st, idx++, rules[i].provider);
        db_bind_int64(st, idx++, rules[i].fresh_from);
    }
}

int enrich_store_pending_count(struct db *db,
                               const struct enrich_pending_rule *rules,
                               size_t nrules, int64_t *count, int64_t *max_id,
                               struct iocm_err *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    int rc;

    *count = 0;
    *max_id = 0;
    if (!nrules)
        return 0;
    strbuf_addstr(&sql, "SELECT COUNT(*), MAX(id)");
    add_pending_where(&sql, rules, nrules);
    rc = db_prepare(db, sql.buf, &st, err);
    if (rc < 0)
        goto out;
    bind_pending(st, rules, nrules, 0, INT64_MAX);
    rc = db_step(st, err);
    if (rc < 0)
        goto out;
    if (rc == DB_ROW) {
        *count = db_column_int64(st, 0);
        *max_id = db_column_int64(st, 1);
    }
    rc = 0;
out:
    db_finalize(st);
    strbuf_release(&sql);
    return rc;
}

int enrich_store_pending_batch(struct db *db,
                               const struct enrich_pending_rule *rules,
                               size_t nrules, int64_t after, int64_t upto,
                               size_t max, struct enrich_pending_row **rows,
                               size_t *nr, size_t *alloc, int64_t *last_id,
                               struct iocm_err *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct db_stmt *st = NULL;
    size_t seen = 0;
    int64_t last = after;
    int rc;

    *nr = 0;
    *last_id = upto;
    if (!nrules)
        return 0;
    strbuf_addstr(&sql, "SELECT id, type, value");
    add_pending_where(&sql, rules, nrules);
    strbuf_addstr(&sql, " ORDER BY id LIMIT ?");
    rc = db_prepare(db, sql.buf, &st, err);
    if (rc < 0)
        goto out;
    bind_pending(st, rules, nrules, after, upto);
    db_bind_int64(st, pending_params(rules, nrules) + 1, (int64_t)max);
    for (;;) {
        enum ioc_type type;

        rc = db_step(st, err);
        if (rc != DB_ROW)
            break;
        seen++;
        last = db_column_int64(st, 0);
        /* A type this binary does not know cannot be enriched. */
        if (ioc_type_parse(db_column_text(st, 1), &type, NULL) < 0)
            continue;
        ALLOC_GROW(*rows, *nr + 1, *alloc);
        (*rows)[*nr].id = db_column_int64(st, 0);
        (*rows)[*nr].type = type;
        (*rows)[*nr].value = xstrdup(db_column_text(st, 2));
        (*nr)++;
    }
    if (rc < 0)
        goto out;
    rc = 0;
    /* A short batch was the last one. */
    *last_id = seen < max ? upto : last;
out:
    db_finalize(st);
    strbuf_release(&sql);
    return rc;
}
