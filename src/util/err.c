/*
 * Error values and the one table that maps them to exit codes and HTTP
 * statuses.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

int iocm_fail(struct iocm_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int iocm_err_prefix(struct iocm_err *err, const char *fmt, ...)
{
    char prefix[512];
    char *old;
    va_list ap;

    if (!err)
        return IOCM_EINTERNAL;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    old = xstrdup(err->msg);
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
    free(old);
    return err->code;
}

void iocm_err_clear(struct iocm_err *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

static const struct {
    int code;
    int exit_code;
    int http_status;
    const char *name;
} err_table[] = {
    { IOCM_EINVAL, 1, 400, "invalid" },
    { IOCM_EUSAGE, 2, 400, "usage" },
    { IOCM_ECONFIG, 2, 500, "configuration" },
    { IOCM_ENOENT, 1, 404, "not_found" },
    { IOCM_EEXIST, 1, 409, "exists" },
    { IOCM_EIO, 1, 500, "io" },
    { IOCM_EDB, 1, 500, "database" },
    { IOCM_EPERM, 1, 403, "forbidden" },
    { IOCM_ESTATE, 1, 409, "conflict" },
    { IOCM_ENET, 1, 502, "network" },
    { IOCM_ETEMPFAIL, 1, 503, "unavailable" },
    { IOCM_EINTERNAL, 1, 500, "internal" },
};

static int find(int code)
{
    for (size_t i = 0; i < ARRAY_SIZE(err_table); i++)
        if (err_table[i].code == code)
            return (int)i;
    return -1;
}

int iocm_err_exit_code(int code)
{
    int i = find(code);

    if (code == 0)
        return 0;
    return i < 0 ? 1 : err_table[i].exit_code;
}

int iocm_err_http_status(int code)
{
    int i = find(code);

    if (code == 0)
        return 200;
    return i < 0 ? 500 : err_table[i].http_status;
}

const char *iocm_err_name(int code)
{
    int i = find(code);

    return i < 0 ? "internal" : err_table[i].name;
}
