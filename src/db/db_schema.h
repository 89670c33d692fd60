/*
 * The versioned schema. Each migration is portable SQL run in its own
 * transaction; the token @ID@ stands for an auto-increment primary key and
 * is replaced by the driver (the one place the dialects differ here).
 */
#ifndef IOCM_DB_DB_SCHEMA_H
#define IOCM_DB_DB_SCHEMA_H

#include <stddef.h>

struct db_migration {
    int version;
    const char *description;
    const char *sql;
};

extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;

#endif
