/*
 * The indicator model: types, severities, TLP, statuses, the record, and
 * the value functions (detect, refang, validate and normalise, defang).
 * Values are always stored in their normalised form, so (type, value) is a
 * reliable identity.
 */
#ifndef IOCM_IOC_IOC_H
#define IOCM_IOC_IOC_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strvec.h"

struct iocm_err;
struct strbuf;

enum ioc_type {
    IOC_TYPE_IPV4,
    IOC_TYPE_IPV6,
    IOC_TYPE_CIDR,
    IOC_TYPE_DOMAIN,
    IOC_TYPE_URL,
    IOC_TYPE_EMAIL,
    IOC_TYPE_MD5,
    IOC_TYPE_SHA1,
    IOC_TYPE_SHA256,
    IOC_TYPE_SHA512,
    IOC_TYPE_SSDEEP,
    IOC_TYPE_CVE,
    IOC_TYPE_ASN,
    IOC_TYPE_FILENAME,
    IOC_TYPE_COUNT,
};

/* Stored as these integers, so ordering by severity is ordering by rank. */
enum ioc_severity {
    IOC_SEV_UNSET = 0,
    IOC_SEV_LOW = 1,
    IOC_SEV_MEDIUM = 2,
    IOC_SEV_HIGH = 3,
    IOC_SEV_CRITICAL = 4,
};

/* TLP 2.0, stored as these integers: a larger value is more restrictive. */
enum tlp {
    TLP_UNSET = -1,
    TLP_CLEAR = 0,
    TLP_GREEN = 1,
    TLP_AMBER = 2,
    TLP_AMBER_STRICT = 3,
    TLP_RED = 4,
};

enum ioc_status {
    IOC_STATUS_UNSET = -1,
    IOC_STATUS_DRAFT = 0,
    IOC_STATUS_REVIEW = 1,
    IOC_STATUS_ACTIVE = 2,
    IOC_STATUS_ARCHIVED = 3,
    IOC_STATUS_EXPIRED = 4,
};

/*
 * One indicator. Strings are owned by the record (ioc_release frees them).
 * As input to the repository, unset fields are: severity IOC_SEV_UNSET,
 * confidence -1, tlp TLP_UNSET, status IOC_STATUS_UNSET, strings NULL,
 * times 0.
 */
struct ioc {
    int64_t id;
    enum ioc_type type;
    char *value; /* normalised */
    enum ioc_severity severity;
    int confidence; /* 0-100; -1 unset */
    enum tlp tlp;
    char *source;
    char *description;
    struct strvec tags; /* lower-case, sorted, unique */
    enum ioc_status status;
    bool is_false_positive;
    int64_t first_seen; /* Unix seconds UTC; 0 unset */
    int64_t last_seen;
    int64_t created_at;
    int64_t updated_at;
    int64_t expires_at; /* 0: never expires */
    bool no_expiry;     /* input only: explicitly never expires */
    char *created_by;   /* user name */
    char *updated_by;
    char *expiry_reason;
};

/* Sets every field of ioc to unset. */
void ioc_init(struct ioc *ioc);
/* Frees the strings of ioc and leaves it as ioc_init does. */
void ioc_release(struct ioc *ioc);

/* Names and parsing of the enums. Parsing is case-insensitive and returns
 * 0 or IOCM_EINVAL with a message listing the accepted names. */
const char *ioc_type_name(enum ioc_type type);
int ioc_type_parse(const char *s, enum ioc_type *out, struct iocm_err *err);
const char *ioc_severity_name(enum ioc_severity sev);
int ioc_severity_parse(const char *s, enum ioc_severity *out,
                       struct iocm_err *err);
/* "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED". */
const char *tlp_name(enum tlp tlp);
/* Accepts "TLP:AMBER" and "amber" alike, and "WHITE" as CLEAR. */
int tlp_parse(const char *s, enum tlp *out, struct iocm_err *err);
const char *ioc_status_name(enum ioc_status status);
int ioc_status_parse(const char *s, enum ioc_status *out, struct iocm_err *err);
/* Parses 0-100. */
int ioc_confidence_parse(const char *s, int *out, struct iocm_err *err);

/*
 * Appends raw with defanging undone to out: hxxp(s) and similar schemes,
 * [.] (.) {.} [dot] (dot), [@] [at] (at), [:] [://], and surrounding
 * white space removed.
 */
void ioc_refang(const char *raw, struct strbuf *out);

/*
 * Detects the type of an already refanged value. Returns 0, or IOCM_EINVAL
 * when it looks like no indicator type.
 */
int ioc_detect(const char *value, enum ioc_type *out, struct iocm_err *err);

/*
 * Refangs, validates raw strictly as type and appends its normalised form
 * to out. On failure returns IOCM_EINVAL with a message such as
 * "invalid domain 'a..b': empty label" and leaves out unchanged.
 */
int ioc_normalize(enum ioc_type type, const char *raw, struct strbuf *out,
                  struct iocm_err *err);

/*
 * Refangs raw, detects its type when *type is IOC_TYPE_COUNT (otherwise
 * uses *type), and normalises it into out.
 */
int ioc_parse_value(const char *raw, enum ioc_type *type, struct strbuf *out,
                    struct iocm_err *err);

/* Appends a defanged form of a normalised value, safe to show in mail:
 * hxxps://evil[.]example/path, 198[.]51[.]100[.]7, user[@]evil[.]example,
 * 2001[:]db8[:][:]1. Hashes, CVEs and ASNs are appended as they are. */
void ioc_defang(enum ioc_type type, const char *value, struct strbuf *out);

/*
 * Additions to the contract above (src/ioc value functions):
 *
 * - IOC_VALUE_MAX bounds every value, before and after normalisation: a
 *   URL longer than this is refused (PostgreSQL cannot index a much
 *   longer (type, value) pair).
 * - ioc_init() sets type to IOC_TYPE_COUNT, "not known yet".
 * - The *_name() functions return "unset" ("UNSET" for TLP) for the unset
 *   markers and "unknown" for values outside their enum, never NULL.
 * - Normal forms: a CIDR block has its host bits cleared (10.1.2.3/8 is
 *   10.0.0.0/8); a URL keeps user info, an explicit port, path, query and
 *   fragment as given, an empty path becoming "/"; an email keeps the
 *   case of its local part.
 * - Detection takes a name ending in a real TLD for a domain (update.zip,
 *   setup.sh); only extensions no TLD shares (exe, dll, pdf, ps1 ...) make
 *   a file name, or a TLD-like one on a name that cannot be a host
 *   (my_tool.py). A bare number is no ASN unless the type says so.
 */
#define IOC_VALUE_MAX 2048 /* bytes */

#endif
