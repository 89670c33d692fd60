/*
 * Private to src/io/: the table of format backends, the reader context
 * with its reporting helpers, the record builder the structured formats
 * share, and the STIX pattern parser. Not for other modules.
 */
#ifndef IOCM_IO_IO_INT_H
#define IOCM_IO_IO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "io/io.h"
#include "ioc/ioc.h"
#include "util/strbuf.h"
#include "util/strvec.h"

struct iocm_err;

/* Bounds on hostile input (bytes). */
#define IO_TEXT_MAX 65536 /* a description */
#define IO_NAME_MAX 1024  /* a source, a tag, a user name */

/* One read in progress: where reports go and what was said already. */
struct io_reader {
    const struct io_handler *h;
    const char *name;     /* for messages; never NULL */
    struct strvec warned; /* warning keys already given */
};

__attribute__((format(printf, 3, 4))) void
io_invalid(struct io_reader *r, const char *where, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void
io_skipped(struct io_reader *r, const char *where, const char *fmt, ...);
/* Gives message once per key. */
__attribute__((format(printf, 3, 4))) void
io_warn_once(struct io_reader *r, const char *key, const char *fmt, ...);

/* A writer; the backend keeps its state in the fields it needs. */
struct io_writer {
    const struct io_backend *backend;
    FILE *out;
    struct io_export_options opts;
    struct strbuf buf; /* one record's text, reused */
    uint64_t count;    /* records written */
    bool has_failed;   /* a write to out failed */
    /* stix, misp: sum of the ids written (a 128-bit number, big-endian
     * halves), which the container's id is derived from. */
    uint64_t id_sum[2];
    unsigned tlp_used; /* stix: 1 << tlp for each TLP referenced */
};

struct io_backend {
    enum io_format format;
    int (*read)(struct io_reader *r, const char *data, size_t len,
                struct iocm_err *err);
    int (*begin)(struct io_writer *w, struct iocm_err *err);
    int (*write)(struct io_writer *w, const struct ioc *ioc,
                 struct iocm_err *err);
    int (*finish)(struct io_writer *w, struct iocm_err *err);
};

extern const struct io_backend io_text_backend;
extern const struct io_backend io_csv_backend;
extern const struct io_backend io_json_backend;
extern const struct io_backend io_stix_backend;
extern const struct io_backend io_misp_backend;

/* Writes w->buf to w->out and empties it; remembers a failure. */
void io_writer_flush_buf(struct io_writer *w);
/* Adds the UUID string id (36 hex digits and dashes) to w->id_sum. */
void io_writer_sum_id(struct io_writer *w, const char *uuid);
/* The UUIDv5, in our namespace, of prefix and the sum of ids. */
void io_writer_sum_uuid(const struct io_writer *w, const char *prefix,
                        char out[IO_UUID_LEN]);
/* The UUIDv5 in IO_UUID_NAMESPACE of "<type>:<value>". */
void io_ioc_uuid(enum ioc_type type, const char *value, char out[IO_UUID_LEN]);

/* The fields of the flat formats, in the order of the CSV header. */
enum io_field {
    IO_FIELD_VALUE,
    IO_FIELD_TYPE,
    IO_FIELD_SEVERITY,
    IO_FIELD_CONFIDENCE,
    IO_FIELD_TLP,
    IO_FIELD_SOURCE,
    IO_FIELD_TAGS,
    IO_FIELD_DESCRIPTION,
    IO_FIELD_FIRST_SEEN,
    IO_FIELD_LAST_SEEN,
    IO_FIELD_EXPIRES_AT,
    IO_FIELD_CREATED_AT,
    IO_FIELD_CREATED_BY,
    IO_FIELD_COUNT,
};

extern const char *const io_field_names[IO_FIELD_COUNT];
/* The field named s[0..len) ignoring case, or -1. */
int io_field_lookup(const char *s, size_t len);

/*
 * A record being read. rec.ioc is what on_ioc gets: its strings are
 * borrowed from the input (the CSV row buffer, the jansson document) or
 * from the builder's buffers, so it is never released with ioc_release().
 */
struct io_record {
    struct ioc ioc;
    struct strbuf value;  /* the normalised value */
    struct strbuf tagbuf; /* tags, lower-cased, each NUL-terminated */
    size_t *tag_off;      /* where each tag starts in tagbuf */
    size_t tag_nr, tag_alloc;
    char **tagv; /* built by io_record_seal() */
    size_t tagv_alloc;
};

void io_record_init(struct io_record *rec);
/* Unsets every field for the next record, keeping the buffers. */
void io_record_clear(struct io_record *rec);
void io_record_release(struct io_record *rec);

/*
 * Sets field f from the text s (NUL-terminated; empty means unset). String
 * fields borrow s, which must outlive the record's delivery; tags are
 * split on ';' and ','. IO_FIELD_VALUE only keeps s as the raw value for
 * io_record_set_value(). On failure returns IOCM_EINVAL with a reason
 * such as "invalid severity 'urgent': ..." in err.
 */
int io_record_set(struct io_record *rec, enum io_field f, const char *s,
                  struct iocm_err *err);
/* Adds one tag (trimmed, lower-cased); an empty one is ignored. */
int io_record_add_tag(struct io_record *rec, const char *s, size_t len,
                      struct iocm_err *err);
/* Sets a string field, checking UTF-8 and length; s is borrowed. */
int io_record_set_string(struct io_record *rec, enum io_field f, const char *s,
                         struct iocm_err *err);
/*
 * Normalises raw as type (IOC_TYPE_COUNT: detected) into the record's
 * value. The other fields are kept, so one entry may give several records.
 */
int io_record_set_value(struct io_record *rec, enum ioc_type type,
                        const char *raw, struct iocm_err *err);
/* Sorts and deduplicates the tags into rec->ioc.tags; call before
 * delivering the record. */
void io_record_seal(struct io_record *rec);
/* Seals and hands the record to on_ioc. */
int io_record_emit(struct io_reader *r, struct io_record *rec);

/* ISO 8601 (isotime_parse()) or Unix seconds. */
int io_time_parse(const char *s, int64_t *out, struct iocm_err *err);
/* Writes t as "2026-12-04T08:00:00Z" (ISOTIME_LEN bytes), or "" when t is
 * outside years 1970-9999. */
void io_time_format(int64_t t, char *buf);
/* Strips a UTF-8 byte order mark from *data. */
void io_skip_bom(const char **data, size_t *len);

/* Text extraction's word lists (io_text_words.c); case-insensitive. */
bool io_text_is_tld(const char *s, size_t n);
bool io_text_is_file_ext(const char *s, size_t n);
/*
 * True when the number at s, inside the text that starts at start, is a
 * version: a version word ("version", "ver.", "build", "release",
 * "firmware", "agent" ...) is among the three words before it in its
 * sentence, with no address word ("at", "to", "ip", "c2" ...) in between,
 * or a product name is attached with '/' ("Chrome/120.0.1.2").
 * (io_text_versions.c)
 */
bool io_text_follows_version_word(const unsigned char *start,
                                  const unsigned char *s);

/*
 * JSON reading shared by json, stix and misp: parses one document
 * (duplicate keys refused), failing with "<name>: invalid JSON at line N:
 * <jansson's message>".
 */
int io_json_load(struct io_reader *r, const char *data, size_t len,
                 json_t **out, struct iocm_err *err);
/* Dumps j compactly (keys in insertion order) into w->buf. */
void io_json_append(struct io_writer *w, const json_t *j);

/*
 * STIX patterns: the subset that names indicator values. A parsed
 * pattern is the list of its comparisons; one that is a mappable
 * indicator has type < IOC_TYPE_COUNT and the literal in value, the
 * others carry why not in reason.
 */
struct io_stix_term {
    enum ioc_type type; /* IOC_TYPE_COUNT: not mappable */
    char *value;        /* the literal, unescaped */
    char *reason;       /* why not mappable, or NULL */
};

struct io_stix_pattern {
    struct io_stix_term *terms;
    size_t nr, alloc;
    /* Set when the pattern as a whole is no set of alternatives (AND,
     * FOLLOWEDBY, qualifiers): nothing of it is to be read. */
    char *unsupported;
};

void io_stix_pattern_init(struct io_stix_pattern *p);
void io_stix_pattern_release(struct io_stix_pattern *p);
/*
 * Parses pattern. Returns 0 (see terms and unsupported) or IOCM_EINVAL
 * for a syntax error, with the position in err's message.
 */
int io_stix_pattern_parse(const char *pattern, struct io_stix_pattern *out,
                          struct iocm_err *err);
/* Appends a STIX string literal holding s, quotes included. */
void io_stix_quote(struct strbuf *sb, const char *s);

/* The well-known TLP marking-definition ids; TLP_UNSET when id is none. */
enum tlp io_stix_tlp_of_id(const char *id);
/* The TLP 2.0 marking-definition id of tlp. */
const char *io_stix_tlp2_id(enum tlp tlp);

#endif
