/*
 * The schema, as migrations in order. Never edit a released migration:
 * add a new one. Enumerations are stored as the integers of ioc/ioc.h
 * (severity 1-4, tlp 0-4, status 0-4); times are Unix seconds UTC.
 */
#include "db/db_schema.h"

static const char migration_1[] =
    "CREATE TABLE users ("
    "  id @ID@,"
    "  username TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT,"
    "  role TEXT NOT NULL,"
    "  is_reviewer INTEGER NOT NULL DEFAULT 0,"
    "  is_disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL"
    ");"
    "CREATE TABLE api_tokens ("
    "  id @ID@,"
    "  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  created_at BIGINT NOT NULL,"
    "  last_used_at BIGINT,"
    "  revoked_at BIGINT"
    ");"
    "CREATE TABLE iocs ("
    "  id @ID@,"
    "  type TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  severity INTEGER NOT NULL,"
    "  confidence INTEGER NOT NULL,"
    "  tlp INTEGER NOT NULL,"
    "  source TEXT NOT NULL DEFAULT '',"
    "  description TEXT NOT NULL DEFAULT '',"
    "  tags TEXT NOT NULL DEFAULT '',"
    "  status INTEGER NOT NULL,"
    "  is_false_positive INTEGER NOT NULL DEFAULT 0,"
    "  first_seen BIGINT NOT NULL,"
    "  last_seen BIGINT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  updated_by TEXT NOT NULL,"
    "  expires_at BIGINT,"
    "  expiry_reason TEXT,"
    "  is_enriched INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (type, value)"
    ");"
    /* Report windows and "newest first" listings. */
    "CREATE INDEX iocs_created_at ON iocs (created_at);"
    /* Active counts, expiry runs and the "expiring soon" list. */
    "CREATE INDEX iocs_status_expires ON iocs (status, expires_at);"
    /* Indicators per type, status and enrichment, kept by the repository
     * in the same transaction as every change, so reports count active
     * indicators without scanning the table. */
    "CREATE TABLE ioc_counts ("
    "  type TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  is_enriched INTEGER NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (type, status, is_enriched)"
    ");"
    "CREATE TABLE audit_events ("
    "  id @ID@,"
    "  at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object_type TEXT NOT NULL,"
    "  object_id TEXT,"
    "  details TEXT NOT NULL DEFAULT '{}'"
    ");"
    /* Weekly user activity and `audit list --since`. */
    "CREATE INDEX audit_events_at ON audit_events (at);"
    "CREATE TABLE enrich_results ("
    "  ioc_id BIGINT NOT NULL REFERENCES iocs(id) ON DELETE CASCADE,"
    "  provider TEXT NOT NULL,"
    "  fetched_at BIGINT NOT NULL,"
    "  result TEXT NOT NULL,"
    "  PRIMARY KEY (ioc_id, provider)"
    ");"
    "CREATE TABLE enrich_attempts ("
    "  id @ID@,"
    "  ioc_id BIGINT NOT NULL REFERENCES iocs(id) ON DELETE CASCADE,"
    "  provider TEXT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  error TEXT"
    ");"
    /* The daily report's enrichment success rate over its window. */
    "CREATE INDEX enrich_attempts_at ON enrich_attempts (at);"
    "CREATE INDEX enrich_attempts_ioc ON enrich_attempts (ioc_id);"
    "CREATE TABLE report_sends ("
    "  id @ID@,"
    "  kind TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  recipients TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  message_id TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  is_forced INTEGER NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL"
    ");"
    "CREATE INDEX report_sends_period ON report_sends (kind, period);"
    /* A report is sent once per period: a run claims the period by
     * inserting its row, and a second run (or one at the same moment)
     * hits this index. Failed sends and --force sends do not hold it. */
    "CREATE UNIQUE INDEX report_sends_once ON report_sends (kind, period) "
    "WHERE is_forced = 0 AND status <> 'failed';";

/*
 * Hourly rollups, kept by the repository, the audit log and the
 * enrichment store in the same transaction as every write (as ioc_counts
 * is): a report sums the whole hours of its windows from here and reads
 * only the partial hours at their edges from the tables, so its cost
 * follows its window, not the table. An hour is time / 3600. Filled from
 * the existing rows.
 */
#define ROLLUP_FILL(dim, col)                                                  \
    "INSERT INTO ioc_new_hourly (dim, hour, name, n) "                         \
    "SELECT " dim ", created_at / 3600, " col ", COUNT(*) FROM iocs "          \
    "WHERE status <> 0 GROUP BY created_at / 3600, " col ";"
static const char migration_2[] =
    /* New (non-draft) indicators by hour of created_at and dim: 1 type,
     * 2 severity (its number as text), 3 source, 4 creator, 6 TLP (its
     * number as text). */
    "CREATE TABLE ioc_new_hourly ("
    "  dim INTEGER NOT NULL,"
    "  hour BIGINT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (dim, hour, name)"
    ");"
    "CREATE TABLE audit_hourly ("
    "  hour BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (hour, actor, action)"
    ");"
    "CREATE TABLE enrich_hourly ("
    "  hour BIGINT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (hour, outcome)"
    ");"
    /* Active indicators by hour of expires_at and TLP, for the weekly
     * report's "expiring in the next 7 days". */
    "CREATE TABLE ioc_expiry_hourly ("
    "  hour BIGINT NOT NULL,"
    "  tlp INTEGER NOT NULL,"
    "  n BIGINT NOT NULL,"
    "  PRIMARY KEY (hour, tlp)"
    ");"
    /* clang-format off */
    ROLLUP_FILL("1", "type")
    ROLLUP_FILL("2", "CAST(severity AS TEXT)")
    ROLLUP_FILL("3", "source")
    ROLLUP_FILL("4", "created_by")
    ROLLUP_FILL("6", "CAST(tlp AS TEXT)")
    /* clang-format on */
    "INSERT INTO audit_hourly (hour, actor, action, n) "
    "SELECT at / 3600, actor, action, COUNT(*) FROM audit_events "
    "GROUP BY at / 3600, actor, action;"
    "INSERT INTO enrich_hourly (hour, outcome, n) "
    "SELECT at / 3600, outcome, COUNT(*) FROM enrich_attempts "
    "GROUP BY at / 3600, outcome;"
    "INSERT INTO ioc_expiry_hourly (hour, tlp, n) "
    "SELECT expires_at / 3600, tlp, COUNT(*) FROM iocs "
    "WHERE status = 2 AND expires_at IS NOT NULL "
    "GROUP BY expires_at / 3600, tlp;";

const struct db_migration db_migrations[] = {
    { 1, "users, tokens, iocs, audit, enrichment, report sends", migration_1 },
    { 2, "hourly rollups of new, expiring and enriched indicators and audit",
      migration_2 },
};

const size_t db_migrations_count =
    sizeof(db_migrations) / sizeof(db_migrations[0]);
