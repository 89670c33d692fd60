/*
 * Helpers shared by the enrich test programs: a store per case (SQLite in
 * a temporary folder, or PostgreSQL when IOCM_TEST_PG_URL is set),
 * indicators and attempt rows, a fake clock, and child processes (the fake
 * API server, dnsmasq) started and stopped by the tests.
 */
#ifndef IOCM_TESTS_ENRICH_TESTLIB_H
#define IOCM_TESTS_ENRICH_TESTLIB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "tests/unit/store_testlib.h"

struct db;

/* Opens and migrates a fresh store (test_store_open) on the backend the
 * environment names; test_store_close closes it. */
void tl_store_open(struct test_store *ts);
/* "sqlite" or "postgresql", for messages. */
const char *tl_store_kind(void);

/* Inserts an indicator (status: 2 active) and returns its id. */
int64_t tl_add_ioc(struct db *db, const char *type, const char *value,
                   int status);
/* Attempts of (ioc_id, provider) with outcome (NULL: any). */
int64_t tl_attempts(struct db *db, int64_t ioc_id, const char *provider,
                    const char *outcome);
/* All attempt rows, whatever they are. */
int64_t tl_attempts_total(struct db *db);
/* The error of the latest attempt of (ioc_id, provider); "" when NULL;
 * the caller frees. */
char *tl_attempt_error(struct db *db, int64_t ioc_id, const char *provider);
/* The stored result of (ioc_id, provider), or NULL; a new reference. */
json_t *tl_result(struct db *db, int64_t ioc_id, const char *provider);
/* fetched_at of (ioc_id, provider), or -1. */
int64_t tl_fetched_at(struct db *db, int64_t ioc_id, const char *provider);
/* iocs.is_enriched of ioc_id. */
int64_t tl_is_enriched(struct db *db, int64_t ioc_id);

/* A fake monotonic clock: sleeping moves it on and adds up the sleep. */
struct tl_clock {
    int64_t now_ms;
    int64_t slept_ms;
    int sleeps;
};

int64_t tl_clock_ms(void *data);
void tl_sleep_ms(void *data, int64_t ms);

/* A child process whose stdout's first line the test reads. */
struct tl_proc {
    pid_t pid;
    int out_fd;
};

/*
 * Starts argv[0] (a path) with argv; when first_line is not NULL, waits
 * up to timeout_ms for its first stdout line. Returns 0 or -1.
 */
int tl_proc_start(struct tl_proc *p, char *const argv[], char *first_line,
                  size_t size, int timeout_ms);
/* Sends SIGTERM, waits for the child; does nothing when not started. */
void tl_proc_stop(struct tl_proc *p);
/* True when the child has exited of itself (it is then reaped). */
bool tl_proc_has_exited(struct tl_proc *p);

/* A loopback port nothing listens on right now (bound and released). */
int tl_free_port(int socktype);
/* True when a socktype socket can bind the loopback port right now. */
bool tl_port_is_free(int socktype, int port);
/* Milliseconds of the monotonic clock. */
int64_t tl_now_ms(void);

#endif
