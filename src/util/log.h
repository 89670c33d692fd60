/*
 * Logging to stderr. stdout carries a command's primary output only.
 * Secrets (API keys, SMTP credentials, password hashes) are never logged.
 */
#ifndef IOCM_UTIL_LOG_H
#define IOCM_UTIL_LOG_H

enum log_level {
    LOG_LEVEL_ERROR,
    LOG_LEVEL_WARN,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *out);

__attribute__((format(printf, 2, 3))) void log_msg(enum log_level level,
                                                   const char *fmt, ...);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(fmt, ...)                                                    \
    log_msg(LOG_LEVEL_DEBUG, "%s: " fmt, __func__, ##__VA_ARGS__)

#endif
