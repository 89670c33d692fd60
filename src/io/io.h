/*
 * Import and export formats: bytes to indicator records and records to
 * bytes, for plain text, CSV, JSON, STIX 2.1 and MISP. Nothing here touches
 * the store: the import and export commands feed the records to it.
 */
#ifndef IOCM_IO_IO_H
#define IOCM_IO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ioc;
struct iocm_err;

enum io_format {
    IO_FORMAT_TEXT,
    IO_FORMAT_CSV,
    IO_FORMAT_JSON,
    IO_FORMAT_STIX,
    IO_FORMAT_MISP,
    IO_FORMAT_AUTO, /* reading only: io_detect_format() chooses */
};

/* "text", "csv", "json", "stix", "misp", "auto". */
const char *io_format_name(enum io_format fmt);
/* Case-insensitive; IOCM_EINVAL with the accepted names otherwise. */
int io_format_parse(const char *s, enum io_format *out, struct iocm_err *err);

/*
 * Guesses the format from the first bytes of an input (a few KiB are
 * plenty): a JSON object with "type": "bundle" is stix; a JSON object or
 * array with an "Event", "Attribute" or "response" key is misp; any other
 * JSON array or object (JSON lines) is json; a first line that is a CSV
 * header with a "value" column is csv; everything else is text. Never
 * returns IO_FORMAT_AUTO.
 */
enum io_format io_detect_format(const char *head, size_t len);

/*
 * What a reader reports. The callbacks but on_ioc may be NULL. Locations
 * ("where") read "line 12" (text, JSON lines), "row 12" (CSV, the header
 * being row 1), "object 3" (JSON array elements, from 1),
 * "indicator--<uuid>" (STIX) or "attribute <uuid>" (MISP).
 */
struct io_handler {
    /*
     * A valid indicator: value normalised, type set, the other fields as
     * the input gave them or unset (ioc_init()). Strings and tags are
     * borrowed for the call. Returns 0 to go on, or a negative IOCM_E*
     * code that stops the reading and is returned by io_read(), which
     * leaves err untouched then (a handler reports through its ctx).
     */
    int (*on_ioc)(void *ctx, const struct ioc *ioc);
    /* An entry that could not be used; reason is one line. */
    void (*on_invalid)(void *ctx, const char *where, const char *reason);
    /* An entry left out on purpose: an unmapped MISP attribute type, a
     * STIX object that is no indicator, a pattern with AND. */
    void (*on_skipped)(void *ctx, const char *where, const char *reason);
    /* Once per unknown CSV column or JSON field name; after 50, one
     * message says that no more are given. */
    void (*on_warning)(void *ctx, const char *message);
    void *ctx;
};

/*
 * Reads the whole input data[0..len) (callers read or map files) in format
 * fmt; name (a file name, or NULL for "input") starts error messages. A
 * UTF-8 byte order mark is skipped; empty input reads as no indicators.
 * Fails with IOCM_EINVAL only when the input is unusable as a whole: JSON
 * that does not parse where the format needs one document (stix, misp, a
 * json array), a CSV header without a "value" column, a document of the
 * wrong shape. Bad entries go to on_invalid and never stop the valid ones.
 * A json array is read element by element, so a syntax error late in it
 * fails the read after the elements before it were delivered: import it in
 * one transaction.
 *
 * The formats, as read:
 *
 * text: every indicator in free text (a blog post, a report, a feed with
 *   one value a line), including defanged forms (hxxp://, [.], (dot), [@],
 *   [:]//, zero-width characters). One pass over the buffer; URLs are
 *   taken whole (the file name in a URL's path is no indicator of its own)
 *   and trailing punctuation, quotes and unbalanced brackets are not part
 *   of them; a host with a port or a path but no scheme
 *   (evil.example:443, evil.example/login.php) gives the host. Each distinct
 *   (type, value) is delivered once. To keep prose from turning into
 *   indicators: domains must end in a known top-level domain, a file name
 *   needs an extension that carries code or documents (exe, dll, ps1,
 *   docm, zip ...; not js, html or txt, too common in prose), numbers
 *   with fewer or more than four dotted parts are versions, so are four
 *   parts after a version word in the same sentence ("version 2.4.1.7",
 *   "ver. 2.4.1.7", "build", "release", "firmware", "agent", up to three
 *   words back, no address word such as "at", "to", "ip" or "c2" in
 *   between) or after a product name and '/' ("Chrome/120.0.1.2"), and a
 *   candidate that fails validation is silently no indicator unless it
 *   was defanged (someone meant it): then it goes to on_invalid. A
 *   defanged name is taken as the domain its writer meant even when its
 *   TLD is unknown to us.
 *
 * csv: RFC 4180 (quoted fields, doubled quotes, line breaks inside
 *   quotes, CRLF or LF) with a header naming the columns, in any order
 *   and case: value (required), type, severity, confidence, tlp, source,
 *   tags, description, first_seen, last_seen, expires_at, created_at,
 *   created_by. Unknown columns are ignored with one on_warning each.
 *   Unquoted fields are trimmed of spaces and tabs. tags are separated by
 *   ';' or ',' inside the field. Times are ISO 8601 (or Unix seconds); an
 *   empty field is unset; a missing type is detected from the value. A
 *   row with more fields than the header, a quote inside an unquoted
 *   field or a bad value goes to on_invalid ("row 7", "invalid severity
 *   'urgent': ..."); a row with fewer fields leaves the rest unset.
 *
 * json: an array of objects, or objects one after another (JSON lines),
 *   with the field names of csv; tags as an array of strings (a string
 *   is split like a csv field); times as ISO 8601 strings or Unix seconds;
 *   confidence as a number; null is unset. Unknown field names: one
 *   on_warning each. Nesting deeper than jansson's limit (2048) is a
 *   syntax error, never a crash.
 *
 * stix: a STIX 2.1 bundle (or a bare array of STIX objects). Each
 *   indicator with pattern_type "stix" gives one record per comparison of
 *   its pattern, which may be an OR of: [ipv4-addr:value = '...'] (a CIDR
 *   value gives a cidr), ipv6-addr:value, domain-name:value, url:value,
 *   email-addr:value, file:hashes.'SHA-256' (MD5, SHA-1, SHA-512, SSDEEP;
 *   quoted or not), file:name, autonomous-system:number = 64500. A
 *   pattern with AND, FOLLOWEDBY, qualifiers, another operator than '=' or
 *   no mappable comparison goes to on_skipped with the indicator's id; a
 *   comparison of another object in an OR goes to on_skipped while the
 *   others are read; a syntax error or a bad value goes to on_invalid.
 *   Fields: object_marking_refs -> tlp (TLP 1.0 and 2.0 by their
 *   well-known ids or by marking-definition objects in the bundle; the
 *   most restrictive wins), confidence, labels -> tags, description (else
 *   name, unless it is just the value), valid_from -> first_seen (else
 *   created), created -> created_at, modified -> updated_at,
 *   valid_until -> expires_at, created_by_ref -> source (the identity's
 *   name). A vulnerability object named CVE-... gives a cve record.
 *   Revoked objects and all other object types are reported skipped;
 *   marking definitions and identities are read silently. Our own custom
 *   properties (see the writer) are read back.
 *
 * misp: {"Event": {...}}, a list of those, {"response": [...]} or a bare
 *   event, with its "Attribute" list and the attributes of its "Object"
 *   list. Attribute types: ip-src, ip-dst (an address or a CIDR),
 *   ip-src|port, ip-dst|port, domain, hostname, hostname|port, domain|ip
 *   (two records), url, uri when it holds an absolute URL,
 *   email, email-src, email-dst, email-reply-to, target-email,
 *   whois-registrant-email, md5, sha1, sha256, sha512, ssdeep, filename,
 *   filename|md5 and the other filename|hash types and malware-sample
 *   (two records), vulnerability -> cve, AS -> asn. Other types and
 *   deleted attributes go to on_skipped ("attribute <uuid>"). Tags of the
 *   event and of the attribute are merged; tlp:* sets the tlp (the
 *   attribute's wins, then the most restrictive); our iocm:* tags (see
 *   the writer) set their fields; the rest become tags. to_ids false is
 *   kept as the tag "misp:to_ids=false" (the value is context, not for
 *   detection; confidence is left alone). comment -> description (the
 *   event's info is not copied into every record: it describes the event),
 *   first_seen (else timestamp) -> first_seen, last_seen -> last_seen,
 *   the event's threat_level_id (1 high, 2 medium, 3 low) -> severity,
 *   the event's Orgc name -> source, unless a tag says otherwise. link
 *   attributes are references, not indicators, and are skipped.
 */
int io_read(enum io_format fmt, const char *data, size_t len, const char *name,
            const struct io_handler *h, struct iocm_err *err);

/*
 * Replaces each byte of s that is no part of well-formed UTF-8 (a cut
 * sequence included) by '?', in place, and returns s: the reports of
 * io_read() are repaired so, and so should a file name be before it goes
 * into JSON.
 */
char *io_utf8_repair(char *s);

/* Options of the writers. */
struct io_export_options {
    bool defang; /* text only: values defanged (ioc_defang()) */
    /* Unix seconds (0: clock_now()): STIX created/modified and MISP
     * timestamps of records that have none; the MISP event's date. */
    int64_t now;
};

/*
 * The writers stream: each record is written when it is given, in constant
 * memory, so exports of any size fit. A writer writes to out and never
 * closes it. Ownership: io_writer_new() gives the caller a writer that
 * io_writer_free() frees; records passed to io_writer_write() stay the
 * caller's.
 *
 * text: one value a line (blocklists), defanged when asked to.
 * csv: the header "value,type,severity,confidence,tlp,source,tags,
 *   description,first_seen,last_seen,expires_at,created_at,created_by",
 *   then a row per record, CRLF line ends, fields quoted when they hold a
 *   comma, quote, line break or leading or trailing white space; tags
 *   joined by ';' (so a tag holding ';' or ',' does not survive a round
 *   trip); unset fields empty; times ISO 8601 UTC. Values are written as
 *   they are: a spreadsheet may take a field starting with '=' for a
 *   formula, so open exports of untrusted data as text.
 * json: one JSON array, an element a line, with the csv field names in
 *   that order; unset fields are left out, tags are an array.
 * stix: a bundle with an indicator per record (a vulnerability object for
 *   a cve) and, after them, the TLP 2.0 marking-definition objects of the
 *   TLPs used. Indicator ids are UUIDv5 of "<type>:<value>" in the
 *   namespace IO_UUID_NAMESPACE, so a value keeps its id across exports;
 *   the bundle's id, written last, is a UUIDv5 of the ids it holds, so
 *   exporting the same records twice gives the same bytes. Fields:
 *   pattern, pattern_type "stix", pattern_version "2.1", indicator_types
 *   ["malicious-activity"], name (the value), description, created and
 *   modified (created_at and updated_at, else now), valid_from
 *   (first_seen, else created), valid_until (expires_at when after
 *   valid_from), confidence, labels (tags), object_marking_refs (TLP 2.0);
 *   what STIX has no property for goes into custom properties:
 *   x_iocm_severity, x_iocm_source, x_iocm_last_seen, x_iocm_created_by,
 *   and x_iocm_expires_at when valid_until cannot carry it.
 * misp: one event ("info": "iocm export", unpublished, distribution 0)
 *   whose attributes are the records: ip-dst (ipv4, ipv6, cidr), domain,
 *   url, email, md5, sha1, sha256, sha512, ssdeep, filename,
 *   vulnerability (cve), AS (asn); to_ids true (false for records tagged
 *   misp:to_ids=false); uuid as for STIX; comment (description);
 *   first_seen, last_seen; timestamp (updated_at, else created_at, else
 *   now); Tag: tlp:<level>, the tags, and iocm:severity="high",
 *   iocm:confidence="80", iocm:source="...", iocm:expires_at="<ISO 8601>"
 *   for the fields MISP has no attribute property for. The event's uuid
 *   is written last, derived like the STIX bundle's id.
 *
 * Round trips through csv, json, stix and misp keep value, type,
 * severity, confidence, tlp, source, tags, description, first_seen,
 * last_seen and expires_at; csv and json keep created_at and created_by
 * too. A record must have a first_seen for that: STIX requires valid_from
 * (the writer falls back to created) and MISP reads the attribute's
 * timestamp when first_seen is missing.
 */
struct io_writer;

/* Writes what comes before the first record (a header, "[", the bundle's
 * opening); IOCM_EINVAL for IO_FORMAT_AUTO, IOCM_EIO on a write error. */
int io_writer_new(enum io_format fmt, FILE *out,
                  const struct io_export_options *opts,
                  struct io_writer **out_w, struct iocm_err *err);
/* Writes one record (its value normalised, its type set). */
int io_writer_write(struct io_writer *w, const struct ioc *ioc,
                    struct iocm_err *err);
/* Writes what closes the document and flushes out; IOCM_EIO when any
 * write failed. */
int io_writer_finish(struct io_writer *w, struct iocm_err *err);
void io_writer_free(struct io_writer *w);

/*
 * The UUIDv5 namespace (RFC 4122 section 4.3) of the ids iocm derives for
 * STIX objects and MISP attributes. Chosen at random once; never change
 * it, or re-exported objects get new ids.
 */
#define IO_UUID_NAMESPACE "08edd80c-0bf4-469b-b96c-c1e0e8db6349"

/* "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" plus NUL. */
#define IO_UUID_LEN 37
/*
 * Writes the UUIDv5 of name[0..len) in namespace ns (a UUID string such as
 * IO_UUID_NAMESPACE) into out. Returns 0, or IOCM_EINVAL when ns is no UUID.
 */
int io_uuid5(const char *ns, const char *name, size_t len,
             char out[IO_UUID_LEN], struct iocm_err *err);

#endif
