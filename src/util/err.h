/*
 * The one error pattern of iocm: a function that can fail returns 0 or a
 * negative IOCM_E* code and writes the detail into an optional
 * struct iocm_err. Library code never prints; cli/ and web/ turn an error
 * into output through iocm_err_exit_code() and iocm_err_http_status().
 */
#ifndef IOCM_UTIL_ERR_H
#define IOCM_UTIL_ERR_H

enum iocm_errcode {
    IOCM_OK = 0,
    IOCM_EINVAL = -1,     /* bad input: a value, a file's content */
    IOCM_EUSAGE = -2,     /* bad command line */
    IOCM_ECONFIG = -3,    /* bad configuration */
    IOCM_ENOENT = -4,     /* no such object */
    IOCM_EEXIST = -5,     /* object exists already */
    IOCM_EIO = -6,        /* file or stream I/O */
    IOCM_EDB = -7,        /* database */
    IOCM_EPERM = -8,      /* not allowed for this user */
    IOCM_ESTATE = -9,     /* illegal state transition */
    IOCM_ENET = -10,      /* network, SMTP, HTTP */
    IOCM_ETEMPFAIL = -11, /* transient: worth retrying */
    IOCM_EINTERNAL = -12,
};

struct iocm_err {
    int code;
    char msg[1024];
};

#define IOCM_ERR_INIT                                                          \
    {                                                                          \
        0, ""                                                                  \
    }

/*
 * Fills err (when not NULL) with code and the formatted message and returns
 * code, so that `return iocm_fail(err, IOCM_EINVAL, "...")` reads naturally.
 */
__attribute__((format(printf, 3, 4))) int
iocm_fail(struct iocm_err *err, int code, const char *fmt, ...);

/* Prepends "prefix: " to an existing message; returns err->code. */
__attribute__((format(printf, 2, 3))) int iocm_err_prefix(struct iocm_err *err,
                                                          const char *fmt, ...);

void iocm_err_clear(struct iocm_err *err);

/* 2 for usage and configuration errors, 1 for everything else. */
int iocm_err_exit_code(int code);
/* The HTTP status that stands for code. */
int iocm_err_http_status(int code);
/* A short stable name for JSON error bodies: "invalid", "not_found", ... */
const char *iocm_err_name(int code);

#endif
