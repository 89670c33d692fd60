/*
 * STIX 2.1: indicators (and vulnerabilities for CVEs) read from a bundle,
 * with TLP from marking definitions; and a bundle written object by
 * object with deterministic ids, so that exporting the same records twice
 * gives the same bytes.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/isotime.h"
#include "util/xalloc.h"

/* The extension that carries TLP 2.0 in marking definitions. */
#define TLP2_EXTENSION                                                         \
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
/* The created time of the TLP 2.0 marking definitions. */
#define TLP2_CREATED "2022-10-01T00:00:00.000Z"

/* The well-known marking definitions of TLP 1.0 (STIX 2.1 section 7.2.1.4)
 * and TLP 2.0 (the OASIS TLP 2.0 extension). */
static const struct {
    const char *id;
    enum tlp tlp;
    bool is_tlp2;
} tlp_ids[] = {
    { "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR,
      false },
    { "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN,
      false },
    { "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER,
      false },
    { "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED,
      false },
    { "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR,
      true },
    { "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN,
      true },
    { "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER,
      true },
    { "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
      TLP_AMBER_STRICT, true },
    { "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED,
      true },
};

/* The TLP 2.0 names of the extension's tlp_2_0 property, by enum tlp. */
static const char *const tlp2_names[] = {
    [TLP_CLEAR] = "clear", [TLP_GREEN] = "green",
    [TLP_AMBER] = "amber", [TLP_AMBER_STRICT] = "amber+strict",
    [TLP_RED] = "red",
};

enum tlp io_stix_tlp_of_id(const char *id)
{
    for (size_t i = 0; i < ARRAY_SIZE(tlp_ids); i++)
        if (!strcmp(id, tlp_ids[i].id))
            return tlp_ids[i].tlp;
    return TLP_UNSET;
}

const char *io_stix_tlp2_id(enum tlp tlp)
{
    for (size_t i = 0; i < ARRAY_SIZE(tlp_ids); i++)
        if (tlp_ids[i].is_tlp2 && tlp_ids[i].tlp == tlp)
            return tlp_ids[i].id;
    return NULL;
}

struct stix_reader {
    struct io_reader *r;
    json_t *markings;   /* id -> TLP (integer) of the bundle's markings */
    json_t *identities; /* id -> name of the bundle's identities */
    struct io_record rec;
    struct io_stix_pattern pat;
};

static const char *string_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The TLP a marking-definition object stands for, or TLP_UNSET. */
static enum tlp marking_tlp(const json_t *obj)
{
    const char *def_type = string_of(obj, "definition_type");
    const json_t *ext;
    const char *name;
    enum tlp tlp;

    if (def_type && !strcmp(def_type, "tlp")) {
        const char *level =
            string_of(json_object_get(obj, "definition"), "tlp");

        if (level && tlp_parse(level, &tlp, NULL) == 0)
            return tlp;
    }
    ext = json_object_get(json_object_get(obj, "extensions"), TLP2_EXTENSION);
    if (ext) {
        const char *level = string_of(ext, "tlp_2_0");

        if (level && tlp_parse(level, &tlp, NULL) == 0)
            return tlp;
    }
    name = string_of(obj, "name");
    if (name && !strncasecmp(name, "TLP:", 4) &&
        tlp_parse(name, &tlp, NULL) == 0)
        return tlp;
    return TLP_UNSET;
}

/* Indexes the marking definitions and identities of the bundle. */
static void index_objects(struct stix_reader *sr, const json_t *objects)
{
    size_t i;
    json_t *obj;

    json_array_foreach(objects, i, obj)
    {
        const char *type = string_of(obj, "type");
        const char *id = string_of(obj, "id");

        if (!type || !id)
            continue;
        if (!strcmp(type, "marking-definition")) {
            enum tlp tlp = marking_tlp(obj);

            if (tlp != TLP_UNSET)
                json_object_set_new(sr->markings, id, json_integer(tlp));
        } else if (!strcmp(type, "identity") && string_of(obj, "name")) {
            json_object_set(sr->identities, id, json_object_get(obj, "name"));
        }
    }
}

/* The most restrictive TLP among an object's marking references. */
static enum tlp object_tlp(const struct stix_reader *sr, const json_t *obj)
{
    const json_t *refs = json_object_get(obj, "object_marking_refs");
    enum tlp best = TLP_UNSET;
    size_t i;
    json_t *ref;

    json_array_foreach(refs, i, ref)
    {
        const char *id = json_string_value(ref);
        enum tlp tlp;

        if (!id)
            continue;
        tlp = io_stix_tlp_of_id(id);
        if (tlp == TLP_UNSET && json_object_get(sr->markings, id))
            tlp =
                (enum tlp)json_integer_value(json_object_get(sr->markings, id));
        if (tlp > best)
            best = tlp;
    }
    return best;
}

/* Reads the time property key into *out when it is there. */
static int get_time(const json_t *obj, const char *key, int64_t *out,
                    struct iocm_err *err)
{
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_string(v))
        return iocm_fail(err, IOCM_EINVAL, "invalid %s: expected a timestamp",
                         key);
    if (isotime_parse(json_string_value(v), out, err) < 0)
        return iocm_err_prefix(err, "%s", key);
    return 0;
}

/* Reads a string property into a record field when it is there. */
static int get_string(struct io_record *rec, const json_t *obj, const char *key,
                      enum io_field f, struct iocm_err *err)
{
    const json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (!json_is_string(v))
        return iocm_fail(err, IOCM_EINVAL, "invalid %s: expected a string",
                         key);
    return io_record_set_string(rec, f, json_string_value(v), err);
}

/*
 * The properties indicators and vulnerabilities share: confidence,
 * labels, markings, times, description and our custom properties.
 */
static int common_fields(struct stix_reader *sr, const json_t *obj,
                         struct iocm_err *err)
{
    struct io_record *rec = &sr->rec;
    const json_t *v;
    const char *s;
    size_t i;
    json_t *label;
    int rc;

    v = json_object_get(obj, "confidence");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 100)
            return iocm_fail(err, IOCM_EINVAL,
                             "invalid confidence: expected an integer from 0 "
                             "to 100");
        rec->ioc.confidence = (int)json_integer_value(v);
    }
    json_array_foreach(json_object_get(obj, "labels"), i, label)
    {
        if (!json_is_string(label))
            return iocm_fail(err, IOCM_EINVAL,
                             "invalid labels: expected strings");
        rc = io_record_add_tag(rec, json_string_value(label),
                               json_string_length(label), err);
        if (rc < 0)
            return rc;
    }
    rec->ioc.tlp = object_tlp(sr, obj);
    rc = get_time(obj, "created", &rec->ioc.created_at, err);
    if (rc == 0)
        rc = get_time(obj, "modified", &rec->ioc.updated_at, err);
    if (rc == 0)
        rc = get_time(obj, "x_iocm_last_seen", &rec->ioc.last_seen, err);
    if (rc == 0)
        rc = get_time(obj, "x_iocm_expires_at", &rec->ioc.expires_at, err);
    if (rc == 0)
        rc = get_string(rec, obj, "description", IO_FIELD_DESCRIPTION, err);
    if (rc == 0)
        rc = get_string(rec, obj, "x_iocm_source", IO_FIELD_SOURCE, err);
    if (rc == 0)
        rc =
            get_string(rec, obj, "x_iocm_created_by", IO_FIELD_CREATED_BY, err);
    if (rc < 0)
        return rc;
    s = string_of(obj, "x_iocm_severity");
    if (s && ioc_severity_parse(s, &rec->ioc.severity, err) < 0)
        return IOCM_EINVAL;
    if (!rec->ioc.source) {
        /* Who made the object: the identity's name. */
        const char *ref = string_of(obj, "created_by_ref");
        const char *name =
            ref ? json_string_value(json_object_get(sr->identities, ref))
                : NULL;

        if (name)
            rc = io_record_set_string(rec, IO_FIELD_SOURCE, name, err);
    }
    return rc;
}

/* Delivers one value of an object with the fields already read. */
static int deliver(struct stix_reader *sr, enum ioc_type type,
                   const char *value, const char *where)
{
    struct iocm_err err = IOCM_ERR_INIT;

    if (io_record_set_value(&sr->rec, type, value, &err) < 0) {
        io_invalid(sr->r, where, "%s", err.msg);
        return 0;
    }
    return io_record_emit(sr->r, &sr->rec);
}

static int read_indicator(struct stix_reader *sr, const json_t *obj,
                          const char *where)
{
    struct iocm_err err = IOCM_ERR_INIT;
    const char *pattern_type = string_of(obj, "pattern_type");
    const char *pattern = string_of(obj, "pattern");
    const char *name = string_of(obj, "name");
    char *description;
    int rc = 0;

    if (pattern_type && strcmp(pattern_type, "stix")) {
        io_skipped(sr->r, where, "pattern_type '%.40s' is not read",
                   pattern_type);
        return 0;
    }
    if (!pattern) {
        io_invalid(sr->r, where, "no pattern");
        return 0;
    }
    io_stix_pattern_release(&sr->pat);
    if (io_stix_pattern_parse(pattern, &sr->pat, &err) < 0) {
        io_invalid(sr->r, where, "%s", err.msg);
        return 0;
    }
    if (sr->pat.unsupported) {
        io_skipped(sr->r, where, "%s: %.200s", sr->pat.unsupported, pattern);
        return 0;
    }
    io_record_clear(&sr->rec);
    if (common_fields(sr, obj, &err) < 0 ||
        get_time(obj, "created", &sr->rec.ioc.first_seen, &err) < 0 ||
        get_time(obj, "valid_from", &sr->rec.ioc.first_seen, &err) < 0 ||
        get_time(obj, "valid_until", &sr->rec.ioc.expires_at, &err) < 0) {
        io_invalid(sr->r, where, "%s", err.msg);
        return 0;
    }
    description = sr->rec.ioc.description;
    for (size_t i = 0; i < sr->pat.nr && rc == 0; i++) {
        const struct io_stix_term *t = &sr->pat.terms[i];

        if (t->type == IOC_TYPE_COUNT) {
            io_skipped(sr->r, where, "%s", t->reason);
            continue;
        }
        if (io_record_set_value(&sr->rec, t->type, t->value, &err) < 0) {
            io_invalid(sr->r, where, "%s", err.msg);
            continue;
        }
        /* A name that is only the value says nothing more. */
        sr->rec.ioc.description = description;
        if (!description && name && strcmp(name, t->value) &&
            strcmp(name, sr->rec.ioc.value) &&
            io_record_set_string(&sr->rec, IO_FIELD_DESCRIPTION, name, &err) <
                0) {
            io_invalid(sr->r, where, "%s", err.msg);
            continue;
        }
        rc = io_record_emit(sr->r, &sr->rec);
    }
    return rc;
}

/* A vulnerability object: a CVE by its name or its external reference. */
static int read_vulnerability(struct stix_reader *sr, const json_t *obj,
                              const char *where)
{
    struct iocm_err err = IOCM_ERR_INIT;
    const char *cve = string_of(obj, "name");
    size_t i;
    json_t *ref;

    if (cve && strncasecmp(cve, "cve-", 4))
        cve = NULL;
    json_array_foreach(json_object_get(obj, "external_references"), i, ref)
    {
        const char *src = string_of(ref, "source_name");

        if (!cve && src && !strcmp(src, "cve"))
            cve = string_of(ref, "external_id");
    }
    if (!cve) {
        io_skipped(sr->r, where, "vulnerability without a CVE id");
        return 0;
    }
    io_record_clear(&sr->rec);
    if (common_fields(sr, obj, &err) < 0 ||
        get_time(obj, "created", &sr->rec.ioc.first_seen, &err) < 0 ||
        get_time(obj, "x_iocm_first_seen", &sr->rec.ioc.first_seen, &err) < 0) {
        io_invalid(sr->r, where, "%s", err.msg);
        return 0;
    }
    return deliver(sr, IOC_TYPE_CVE, cve, where);
}

static int read_object(struct stix_reader *sr, const json_t *obj, size_t index)
{
    const char *type = string_of(obj, "type");
    const char *id = string_of(obj, "id");
    char where[160];

    if (id)
        snprintf(where, sizeof(where), "%.150s", id);
    else
        snprintf(where, sizeof(where), "object %zu", index);
    if (!json_is_object(obj) || !type) {
        io_invalid(sr->r, where, "not a STIX object");
        return 0;
    }
    if (!strcmp(type, "marking-definition") || !strcmp(type, "identity"))
        return 0;
    if (json_is_true(json_object_get(obj, "revoked"))) {
        io_skipped(sr->r, where, "revoked");
        return 0;
    }
    if (!strcmp(type, "indicator"))
        return read_indicator(sr, obj, where);
    if (!strcmp(type, "vulnerability"))
        return read_vulnerability(sr, obj, where);
    io_skipped(sr->r, where, "not an indicator (type '%.60s')", type);
    return 0;
}

static int stix_read(struct io_reader *r, const char *data, size_t len,
                     struct iocm_err *err)
{
    struct stix_reader sr = { .r = r };
    json_t *root = NULL;
    const json_t *objects;
    size_t i;
    json_t *obj;
    int rc;

    for (i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' &&
            data[i] != '\n')
            break;
    if (i == len)
        return 0;
    rc = io_json_load(r, data, len, &root, err);
    if (rc < 0)
        return rc;
    if (json_is_array(root)) {
        objects = root;
    } else {
        const char *type = string_of(root, "type");

        if (!type || strcmp(type, "bundle")) {
            rc = iocm_fail(err, IOCM_EINVAL,
                           "%s: not a STIX bundle: expected an object with "
                           "\"type\": \"bundle\"",
                           r->name);
            goto out;
        }
        objects = json_object_get(root, "objects");
        if (objects && !json_is_array(objects)) {
            rc = iocm_fail(err, IOCM_EINVAL,
                           "%s: invalid STIX bundle: objects is no array",
                           r->name);
            goto out;
        }
    }
    sr.markings = json_object();
    sr.identities = json_object();
    io_record_init(&sr.rec);
    io_stix_pattern_init(&sr.pat);
    index_objects(&sr, objects);
    json_array_foreach(objects, i, obj)
    {
        rc = read_object(&sr, obj, i + 1);
        if (rc < 0)
            break;
    }
    io_stix_pattern_release(&sr.pat);
    io_record_release(&sr.rec);
out:
    json_decref(sr.identities);
    json_decref(sr.markings);
    json_decref(root);
    return rc;
}

/* STIX timestamps carry milliseconds (created and modified must). */
static json_t *stix_time(int64_t t)
{
    char buf[ISOTIME_LEN];
    char out[ISOTIME_LEN + 4];

    io_time_format(t, buf);
    if (!buf[0])
        io_time_format(0, buf);
    /* "2026-12-04T08:00:00Z" -> "2026-12-04T08:00:00.000Z". */
    memcpy(out, buf, 19);
    memcpy(out + 19, ".000Z", 6);
    return json_string(out);
}

/* The pattern of a record, or NULL for a type no pattern holds (cve). */
static void add_pattern(struct strbuf *sb, const struct ioc *ioc)
{
    const char *path;

    switch (ioc->type) {
    case IOC_TYPE_IPV4:
        path = "ipv4-addr:value";
        break;
    case IOC_TYPE_IPV6:
        path = "ipv6-addr:value";
        break;
    case IOC_TYPE_CIDR:
        path = strchr(ioc->value, ':') ? "ipv6-addr:value" : "ipv4-addr:value";
        break;
    case IOC_TYPE_DOMAIN:
        path = "domain-name:value";
        break;
    case IOC_TYPE_URL:
        path = "url:value";
        break;
    case IOC_TYPE_EMAIL:
        path = "email-addr:value";
        break;
    case IOC_TYPE_MD5:
        path = "file:hashes.MD5";
        break;
    case IOC_TYPE_SHA1:
        path = "file:hashes.'SHA-1'";
        break;
    case IOC_TYPE_SHA256:
        path = "file:hashes.'SHA-256'";
        break;
    case IOC_TYPE_SHA512:
        path = "file:hashes.'SHA-512'";
        break;
    case IOC_TYPE_SSDEEP:
        path = "file:hashes.SSDEEP";
        break;
    case IOC_TYPE_FILENAME:
        path = "file:name";
        break;
    case IOC_TYPE_ASN:
        /* An integer: "AS64500" is autonomous-system:number = 64500. */
        strbuf_addf(sb, "[autonomous-system:number = %s]", ioc->value + 2);
        return;
    default:
        return;
    }
    strbuf_addf(sb, "[%s = ", path);
    io_stix_quote(sb, ioc->value);
    strbuf_addch(sb, ']');
}

/* Adds the properties of a record that both object types carry. */
static void add_common(struct io_writer *w, json_t *obj, const struct ioc *ioc)
{
    if (ioc->confidence >= 0)
        json_object_set_new(obj, "confidence", json_integer(ioc->confidence));
    if (ioc->tags.nr) {
        json_t *labels = json_array();

        for (size_t i = 0; i < ioc->tags.nr; i++)
            json_array_append_new(labels, json_string(ioc->tags.v[i]));
        json_object_set_new(obj, "labels", labels);
    }
    if (ioc->tlp >= TLP_CLEAR && ioc->tlp <= TLP_RED) {
        json_object_set_new(obj, "object_marking_refs",
                            json_pack("[s]", io_stix_tlp2_id(ioc->tlp)));
        w->tlp_used |= 1u << ioc->tlp;
    }
    if (ioc->severity != IOC_SEV_UNSET)
        json_object_set_new(obj, "x_iocm_severity",
                            json_string(ioc_severity_name(ioc->severity)));
    /* The store keeps "" for an unset text: left out like NULL. */
    if (ioc->source && *ioc->source)
        json_object_set_new(obj, "x_iocm_source", json_string(ioc->source));
    if (ioc->last_seen)
        json_object_set_new(obj, "x_iocm_last_seen", stix_time(ioc->last_seen));
    if (ioc->created_by && *ioc->created_by)
        json_object_set_new(obj, "x_iocm_created_by",
                            json_string(ioc->created_by));
}

/* Appends the separator before an object and the object itself. */
static void add_object(struct io_writer *w, const json_t *obj, bool is_first)
{
    strbuf_addstr(&w->buf, is_first ? ",\"objects\":[\n" : ",\n");
    io_json_append(w, obj);
}

static int stix_begin(struct io_writer *w, struct iocm_err *err)
{
    (void)err;
    strbuf_addstr(&w->buf, "{\"type\":\"bundle\"");
    return 0;
}

static int stix_write(struct io_writer *w, const struct ioc *ioc,
                      struct iocm_err *err)
{
    struct strbuf id = STRBUF_INIT, pattern = STRBUF_INIT;
    char uuid[IO_UUID_LEN];
    bool is_cve = ioc->type == IOC_TYPE_CVE;
    int64_t now = w->opts.now;
    int64_t created = ioc->created_at ? ioc->created_at : now;
    int64_t modified = ioc->updated_at > created ? ioc->updated_at : created;
    int64_t valid_from = ioc->first_seen ? ioc->first_seen : created;
    json_t *obj;

    io_ioc_uuid(ioc->type, ioc->value, uuid);
    io_writer_sum_id(w, uuid);
    strbuf_addf(&id, "%s--%s", is_cve ? "vulnerability" : "indicator", uuid);
    obj = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s}", "type",
                    is_cve ? "vulnerability" : "indicator", "spec_version",
                    "2.1", "id", id.buf, "created", stix_time(created),
                    "modified", stix_time(modified), "name", ioc->value);
    if (!obj) {
        strbuf_release(&id);
        return iocm_fail(err, IOCM_EINVAL,
                         "cannot export %s '%.80s': invalid utf-8",
                         ioc_type_name(ioc->type), ioc->value);
    }
    if (ioc->description && *ioc->description)
        json_object_set_new(obj, "description", json_string(ioc->description));
    if (is_cve) {
        json_object_set_new(obj, "external_references",
                            json_pack("[{s:s, s:s}]", "source_name", "cve",
                                      "external_id", ioc->value));
        if (ioc->first_seen)
            json_object_set_new(obj, "x_iocm_first_seen",
                                stix_time(ioc->first_seen));
        if (ioc->expires_at)
            json_object_set_new(obj, "x_iocm_expires_at",
                                stix_time(ioc->expires_at));
    } else {
        add_pattern(&pattern, ioc);
        json_object_set_new(obj, "indicator_types",
                            json_pack("[s]", "malicious-activity"));
        json_object_set_new(obj, "pattern", json_string(pattern.buf));
        json_object_set_new(obj, "pattern_type", json_string("stix"));
        json_object_set_new(obj, "pattern_version", json_string("2.1"));
        json_object_set_new(obj, "valid_from", stix_time(valid_from));
        /* valid_until must come after valid_from; else ours carries it. */
        if (ioc->expires_at > valid_from)
            json_object_set_new(obj, "valid_until", stix_time(ioc->expires_at));
        else if (ioc->expires_at)
            json_object_set_new(obj, "x_iocm_expires_at",
                                stix_time(ioc->expires_at));
    }
    add_common(w, obj, ioc);
    add_object(w, obj, w->count == 0);
    json_decref(obj);
    strbuf_release(&pattern);
    strbuf_release(&id);
    return 0;
}

/* The TLP 2.0 marking definition of tlp, as the extension defines it. */
static json_t *tlp2_marking(enum tlp tlp)
{
    char name[32];

    snprintf(name, sizeof(name), "TLP:%s", tlp_name(tlp));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "type",
                     "marking-definition", "spec_version", "2.1", "id",
                     io_stix_tlp2_id(tlp), "created", TLP2_CREATED, "name",
                     name, "extensions", TLP2_EXTENSION, "extension_type",
                     "property-extension", "tlp_2_0", tlp2_names[tlp]);
}

static int stix_finish(struct io_writer *w, struct iocm_err *err)
{
    char uuid[IO_UUID_LEN];

    (void)err;
    for (enum tlp tlp = TLP_CLEAR; tlp <= TLP_RED; tlp++) {
        json_t *obj;

        if (!(w->tlp_used & (1u << tlp)))
            continue;
        obj = tlp2_marking(tlp);
        io_writer_sum_id(w,
                         io_stix_tlp2_id(tlp) + strlen("marking-definition--"));
        add_object(w, obj, false);
        json_decref(obj);
    }
    if (w->count)
        strbuf_addstr(&w->buf, "\n]");
    io_writer_sum_uuid(w, "stix-bundle", uuid);
    strbuf_addf(&w->buf, ",\"id\":\"bundle--%s\"}\n", uuid);
    return 0;
}

const struct io_backend io_stix_backend = {
    .format = IO_FORMAT_STIX,
    .read = stix_read,
    .begin = stix_begin,
    .write = stix_write,
    .finish = stix_finish,
};
