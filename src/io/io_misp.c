/*
 * MISP event JSON: attributes (of the event and of its objects) read by
 * type into records, with TLP and our own fields from tags; and one event
 * written attribute by attribute.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/isotime.h"
#include "util/xalloc.h"

/* How the value of a MISP attribute type becomes records. */
enum misp_map {
    MAP_ONE,       /* the value, of type */
    MAP_IP,        /* an address or a CIDR block */
    MAP_IP_PORT,   /* "ip|port" */
    MAP_HOST_PORT, /* "host|port" */
    MAP_DOMAIN_IP, /* "domain|ip": two records */
    MAP_FILE_HASH, /* "filename|hash": two records */
    MAP_URI,       /* a URL when absolute */
};

static const struct {
    const char *name;
    enum misp_map map;
    enum ioc_type type;
} misp_types[] = {
    { "AS", MAP_ONE, IOC_TYPE_ASN },
    { "domain", MAP_ONE, IOC_TYPE_DOMAIN },
    { "domain|ip", MAP_DOMAIN_IP, IOC_TYPE_DOMAIN },
    { "email", MAP_ONE, IOC_TYPE_EMAIL },
    { "email-dst", MAP_ONE, IOC_TYPE_EMAIL },
    { "email-reply-to", MAP_ONE, IOC_TYPE_EMAIL },
    { "email-src", MAP_ONE, IOC_TYPE_EMAIL },
    { "filename", MAP_ONE, IOC_TYPE_FILENAME },
    { "filename|md5", MAP_FILE_HASH, IOC_TYPE_MD5 },
    { "filename|sha1", MAP_FILE_HASH, IOC_TYPE_SHA1 },
    { "filename|sha256", MAP_FILE_HASH, IOC_TYPE_SHA256 },
    { "filename|sha512", MAP_FILE_HASH, IOC_TYPE_SHA512 },
    { "filename|ssdeep", MAP_FILE_HASH, IOC_TYPE_SSDEEP },
    { "hostname", MAP_ONE, IOC_TYPE_DOMAIN },
    { "hostname|port", MAP_HOST_PORT, IOC_TYPE_DOMAIN },
    { "ip-dst", MAP_IP, IOC_TYPE_IPV4 },
    { "ip-dst|port", MAP_IP_PORT, IOC_TYPE_IPV4 },
    { "ip-src", MAP_IP, IOC_TYPE_IPV4 },
    { "ip-src|port", MAP_IP_PORT, IOC_TYPE_IPV4 },
    { "malware-sample", MAP_FILE_HASH, IOC_TYPE_MD5 },
    { "md5", MAP_ONE, IOC_TYPE_MD5 },
    { "sha1", MAP_ONE, IOC_TYPE_SHA1 },
    { "sha256", MAP_ONE, IOC_TYPE_SHA256 },
    { "sha512", MAP_ONE, IOC_TYPE_SHA512 },
    { "ssdeep", MAP_ONE, IOC_TYPE_SSDEEP },
    { "target-email", MAP_ONE, IOC_TYPE_EMAIL },
    { "uri", MAP_URI, IOC_TYPE_URL },
    { "url", MAP_ONE, IOC_TYPE_URL },
    { "vulnerability", MAP_ONE, IOC_TYPE_CVE },
    { "whois-registrant-email", MAP_ONE, IOC_TYPE_EMAIL },
};

/* What the writer writes for each type: MISP type and category. */
static const struct {
    const char *type;
    const char *category;
} export_types[IOC_TYPE_COUNT] = {
    [IOC_TYPE_IPV4] = { "ip-dst", "Network activity" },
    [IOC_TYPE_IPV6] = { "ip-dst", "Network activity" },
    [IOC_TYPE_CIDR] = { "ip-dst", "Network activity" },
    [IOC_TYPE_DOMAIN] = { "domain", "Network activity" },
    [IOC_TYPE_URL] = { "url", "Network activity" },
    [IOC_TYPE_EMAIL] = { "email", "Payload delivery" },
    [IOC_TYPE_MD5] = { "md5", "Payload delivery" },
    [IOC_TYPE_SHA1] = { "sha1", "Payload delivery" },
    [IOC_TYPE_SHA256] = { "sha256", "Payload delivery" },
    [IOC_TYPE_SHA512] = { "sha512", "Payload delivery" },
    [IOC_TYPE_SSDEEP] = { "ssdeep", "Payload delivery" },
    [IOC_TYPE_CVE] = { "vulnerability", "External analysis" },
    [IOC_TYPE_ASN] = { "AS", "Network activity" },
    [IOC_TYPE_FILENAME] = { "filename", "Payload delivery" },
};

/* The tag kept for an attribute with to_ids false, and read back. */
#define TAG_NOT_FOR_IDS "misp:to_ids=false"

/* What an event gives each of its attributes. */
struct misp_event {
    const json_t *tags;         /* the event's Tag list */
    enum ioc_severity severity; /* from threat_level_id */
    const char *source;         /* the creating organisation */
};

struct misp_reader {
    struct io_reader *r;
    struct io_record rec;
    struct strbuf source; /* an iocm:source tag's value */
    size_t index;         /* attributes read, for those without uuid */
};

static const char *string_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* MISP writes booleans and numbers as JSON values or as strings. */
static bool is_false(const json_t *v)
{
    const char *s = json_string_value(v);

    if (s)
        return !strcmp(s, "0") || !strcasecmp(s, "false");
    return json_is_false(v) || (json_is_integer(v) && !json_integer_value(v));
}

static bool is_true(const json_t *v)
{
    return v && !json_is_null(v) && !is_false(v);
}

/*
 * Reads our machine tag iocm:<key>="<value>" into the record. Returns 1
 * when the tag was one of ours, 0 when it is an ordinary tag, or
 * IOCM_EINVAL when its value is bad.
 */
static int machine_tag(struct misp_reader *mr, const char *name,
                       struct iocm_err *err)
{
    struct io_record *rec = &mr->rec;
    const char *eq = strchr(name, '=');
    char value[IO_NAME_MAX + 1];
    size_t klen, vlen;
    int64_t t;

    if (strncasecmp(name, "iocm:", 5) || !eq)
        return 0;
    name += 5;
    klen = (size_t)(eq - name);
    eq++;
    vlen = strlen(eq);
    if (vlen >= 2 && eq[0] == '"' && eq[vlen - 1] == '"') {
        eq++;
        vlen -= 2;
    }
    if (vlen > IO_NAME_MAX)
        return iocm_fail(err, IOCM_EINVAL, "invalid iocm tag: too long");
    memcpy(value, eq, vlen);
    value[vlen] = '\0';
    if (klen == 8 && !strncasecmp(name, "severity", 8))
        return ioc_severity_parse(value, &rec->ioc.severity, err) < 0
                   ? IOCM_EINVAL
                   : 1;
    if (klen == 10 && !strncasecmp(name, "confidence", 10))
        return ioc_confidence_parse(value, &rec->ioc.confidence, err) < 0
                   ? IOCM_EINVAL
                   : 1;
    if (klen == 6 && !strncasecmp(name, "source", 6)) {
        strbuf_reset(&mr->source);
        strbuf_add(&mr->source, value, vlen);
        return io_record_set_string(rec, IO_FIELD_SOURCE, mr->source.buf, err) <
                       0
                   ? IOCM_EINVAL
                   : 1;
    }
    if (klen == 10 && !strncasecmp(name, "expires_at", 10)) {
        if (io_time_parse(value, &t, err) < 0)
            return iocm_err_prefix(err, "iocm:expires_at");
        rec->ioc.expires_at = t;
        return 1;
    }
    return 0;
}

/* Reads a Tag list: TLP into *tlp (the most restrictive), ours into
 * their fields, the others as tags. */
static int read_tags(struct misp_reader *mr, const json_t *tags, enum tlp *tlp,
                     struct iocm_err *err)
{
    size_t i;
    json_t *tag;

    json_array_foreach(tags, i, tag)
    {
        const char *name = json_is_string(tag) ? json_string_value(tag)
                                               : string_of(tag, "name");
        enum tlp t;
        int rc;

        if (!name)
            continue;
        if (!strncasecmp(name, "tlp:", 4) && tlp_parse(name, &t, NULL) == 0) {
            if (t > *tlp)
                *tlp = t;
            continue;
        }
        rc = machine_tag(mr, name, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            rc = io_record_add_tag(&mr->rec, name, strlen(name), err);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* Reads a time given as ISO 8601 or Unix seconds, string or number. */
static int get_time(const json_t *obj, const char *key, int64_t *out,
                    struct iocm_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char digits[32];
    const char *s = json_string_value(v);

    if (json_is_integer(v)) {
        snprintf(digits, sizeof(digits), "%lld",
                 (long long)json_integer_value(v));
        s = digits;
    }
    if (!s || !*s)
        return 0;
    if (io_time_parse(s, out, err) < 0)
        return iocm_err_prefix(err, "%s", key);
    return 0;
}

/* The fields of an attribute but its value. */
static int attribute_fields(struct misp_reader *mr, const struct misp_event *ev,
                            const json_t *attr, struct iocm_err *err)
{
    struct io_record *rec = &mr->rec;
    enum tlp event_tlp = TLP_UNSET, attr_tlp = TLP_UNSET;
    const char *comment = string_of(attr, "comment");
    int rc;

    io_record_clear(rec);
    rec->ioc.severity = ev->severity;
    if (ev->source) {
        rc = io_record_set_string(rec, IO_FIELD_SOURCE, ev->source, err);
        if (rc < 0)
            return rc;
    }
    rc = read_tags(mr, ev->tags, &event_tlp, err);
    if (rc == 0)
        rc = read_tags(mr, json_object_get(attr, "Tag"), &attr_tlp, err);
    if (rc < 0)
        return rc;
    /* The attribute's own marking wins over its event's. */
    rec->ioc.tlp = attr_tlp != TLP_UNSET ? attr_tlp : event_tlp;
    if (is_false(json_object_get(attr, "to_ids"))) {
        rc = io_record_add_tag(rec, TAG_NOT_FOR_IDS, strlen(TAG_NOT_FOR_IDS),
                               err);
        if (rc < 0)
            return rc;
    }
    if (comment && *comment) {
        rc = io_record_set_string(rec, IO_FIELD_DESCRIPTION, comment, err);
        if (rc < 0)
            return rc;
    }
    rc = get_time(attr, "timestamp", &rec->ioc.first_seen, err);
    if (rc == 0)
        rc = get_time(attr, "first_seen", &rec->ioc.first_seen, err);
    if (rc == 0)
        rc = get_time(attr, "last_seen", &rec->ioc.last_seen, err);
    return rc;
}

/* Delivers value[0..len) as a record of type. */
static int deliver(struct misp_reader *mr, enum ioc_type type,
                   const char *value, size_t len, const char *where)
{
    struct iocm_err err = IOCM_ERR_INIT;
    char *copy = xstrndup(value, len);
    int rc = 0;

    if (io_record_set_value(&mr->rec, type, copy, &err) < 0)
        io_invalid(mr->r, where, "%s", err.msg);
    else
        rc = io_record_emit(mr->r, &mr->rec);
    free(copy);
    return rc;
}

/* The type of an address attribute's value. */
static enum ioc_type ip_type(const char *s, size_t len)
{
    if (memchr(s, '/', len))
        return IOC_TYPE_CIDR;
    return memchr(s, ':', len) ? IOC_TYPE_IPV6 : IOC_TYPE_IPV4;
}

static int read_attribute(struct misp_reader *mr, const struct misp_event *ev,
                          const json_t *attr)
{
    struct iocm_err err = IOCM_ERR_INIT;
    const char *uuid = string_of(attr, "uuid");
    const char *type = string_of(attr, "type");
    const char *value = string_of(attr, "value");
    const char *bar, *right;
    enum misp_map map;
    char where[80];
    size_t k, vlen, left;
    int rc;

    mr->index++;
    if (uuid)
        snprintf(where, sizeof(where), "attribute %.60s", uuid);
    else
        snprintf(where, sizeof(where), "attribute %zu", mr->index);
    if (!json_is_object(attr) || !type || !value) {
        io_invalid(mr->r, where, "not a MISP attribute with type and value");
        return 0;
    }
    if (is_true(json_object_get(attr, "deleted"))) {
        io_skipped(mr->r, where, "deleted");
        return 0;
    }
    for (k = 0; k < ARRAY_SIZE(misp_types); k++)
        if (!strcmp(type, misp_types[k].name))
            break;
    if (k == ARRAY_SIZE(misp_types)) {
        io_skipped(mr->r, where, "attribute type '%.60s' is not read", type);
        return 0;
    }
    if (attribute_fields(mr, ev, attr, &err) < 0) {
        io_invalid(mr->r, where, "%s", err.msg);
        return 0;
    }
    map = misp_types[k].map;
    vlen = strlen(value);
    switch (map) {
    case MAP_ONE:
        return deliver(mr, misp_types[k].type, value, vlen, where);
    case MAP_IP:
        return deliver(mr, ip_type(value, vlen), value, vlen, where);
    case MAP_URI:
        if (!strstr(value, "://")) {
            io_skipped(mr->r, where, "uri '%.80s' is no absolute URL", value);
            return 0;
        }
        return deliver(mr, IOC_TYPE_URL, value, vlen, where);
    default:
        break;
    }
    /* The composite types: "left|right". */
    bar = strchr(value, '|');
    if (!bar) {
        io_invalid(mr->r, where,
                   "invalid %s '%.80s': expected two values separated by '|'",
                   type, value);
        return 0;
    }
    left = (size_t)(bar - value);
    right = bar + 1;
    switch (map) {
    case MAP_DOMAIN_IP:
        rc = deliver(mr, IOC_TYPE_DOMAIN, value, left, where);
        if (rc == 0)
            rc = deliver(mr, ip_type(right, strlen(right)), right,
                         strlen(right), where);
        return rc;
    case MAP_FILE_HASH:
        rc = deliver(mr, IOC_TYPE_FILENAME, value, left, where);
        if (rc == 0)
            rc = deliver(mr, misp_types[k].type, right, strlen(right), where);
        return rc;
    case MAP_HOST_PORT:
        return deliver(mr, IOC_TYPE_DOMAIN, value, left, where);
    default:
        /* MAP_IP_PORT: the port is no indicator of its own. */
        return deliver(mr, ip_type(value, left), value, left, where);
    }
}

/* threat_level_id: 1 high, 2 medium, 3 low, 4 undefined. */
static enum ioc_severity threat_level(const json_t *event)
{
    const json_t *v = json_object_get(event, "threat_level_id");
    long level = 0;

    if (json_is_integer(v))
        level = (long)json_integer_value(v);
    else if (json_is_string(v))
        level = strtol(json_string_value(v), NULL, 10);
    switch (level) {
    case 1:
        return IOC_SEV_HIGH;
    case 2:
        return IOC_SEV_MEDIUM;
    case 3:
        return IOC_SEV_LOW;
    default:
        return IOC_SEV_UNSET;
    }
}

/* An event: its attributes, then the attributes of its objects. */
static int read_event(struct misp_reader *mr, const json_t *event)
{
    struct misp_event ev = {
        json_object_get(event, "Tag"),
        threat_level(event),
        string_of(json_object_get(event, "Orgc"), "name"),
    };
    size_t i, j;
    json_t *attr, *obj;
    int rc;

    json_array_foreach(json_object_get(event, "Attribute"), i, attr)
    {
        rc = read_attribute(mr, &ev, attr);
        if (rc < 0)
            return rc;
    }
    json_array_foreach(json_object_get(event, "Object"), i, obj)
    {
        json_array_foreach(json_object_get(obj, "Attribute"), j, attr)
        {
            rc = read_attribute(mr, &ev, attr);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* {"Event": {...}} or a bare event; NULL when v is neither. */
static const json_t *event_of(const json_t *v)
{
    const json_t *event = json_object_get(v, "Event");

    if (json_is_object(event))
        return event;
    if (json_object_get(v, "Attribute") || json_object_get(v, "Object"))
        return v;
    return NULL;
}

/* A list of events; an entry that is none is reported. */
static int read_list(struct misp_reader *mr, const json_t *list)
{
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v)
    {
        const json_t *event = event_of(v);
        char where[32];
        int rc;

        if (!event) {
            snprintf(where, sizeof(where), "object %zu", i + 1);
            io_invalid(mr->r, where, "not a MISP event");
            continue;
        }
        rc = read_event(mr, event);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int misp_read(struct io_reader *r, const char *data, size_t len,
                     struct iocm_err *err)
{
    struct misp_reader mr = { .r = r, .source = STRBUF_INIT };
    const json_t *event, *response;
    json_t *root = NULL;
    size_t i;
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
    io_record_init(&mr.rec);
    response = json_object_get(root, "response");
    event = event_of(root);
    if (json_is_array(root))
        rc = read_list(&mr, root);
    else if (event)
        rc = read_event(&mr, event);
    else if (json_is_array(response))
        rc = read_list(&mr, response);
    else if (event_of(response))
        rc = read_event(&mr, event_of(response));
    else
        rc = iocm_fail(err, IOCM_EINVAL,
                       "%s: not MISP: expected an object with \"Event\", a "
                       "list of events or a \"response\"",
                       r->name);
    io_record_release(&mr.rec);
    strbuf_release(&mr.source);
    json_decref(root);
    return rc;
}

/* MISP's own time form: "2026-12-04T08:00:00.000000+00:00". */
static void set_misp_time(json_t *obj, const char *key, int64_t t)
{
    char buf[ISOTIME_LEN], out[40];

    if (!t)
        return;
    io_time_format(t, buf);
    if (!buf[0])
        return;
    snprintf(out, sizeof(out), "%.19s.000000+00:00", buf);
    json_object_set_new(obj, key, json_string(out));
}

static json_t *tag_of(const char *name)
{
    return json_pack("{s:s}", "name", name);
}

static int misp_begin(struct io_writer *w, struct iocm_err *err)
{
    char day[ISOTIME_LEN];

    (void)err;
    io_time_format(w->opts.now, day);
    strbuf_addf(&w->buf,
                "{\"Event\":{\"info\":\"iocm export\",\"date\":\"%.10s\","
                "\"timestamp\":\"%lld\",\"published\":false,"
                "\"analysis\":\"2\",\"threat_level_id\":\"4\","
                "\"distribution\":\"0\",\"Attribute\":[",
                day, (long long)w->opts.now);
    return 0;
}

static int misp_write(struct io_writer *w, const struct ioc *ioc,
                      struct iocm_err *err)
{
    struct strbuf tag = STRBUF_INIT;
    char uuid[IO_UUID_LEN];
    int64_t stamp = ioc->updated_at   ? ioc->updated_at
                    : ioc->created_at ? ioc->created_at
                                      : w->opts.now;
    bool is_for_ids = true;
    json_t *obj, *tags = json_array();

    io_ioc_uuid(ioc->type, ioc->value, uuid);
    io_writer_sum_id(w, uuid);
    if (ioc->tlp >= TLP_CLEAR && ioc->tlp <= TLP_RED) {
        strbuf_addf(&tag, "tlp:%s", tlp_name(ioc->tlp));
        strbuf_tolower(&tag);
        json_array_append_new(tags, tag_of(tag.buf));
    }
    for (size_t i = 0; i < ioc->tags.nr; i++) {
        if (!strcmp(ioc->tags.v[i], TAG_NOT_FOR_IDS))
            is_for_ids = false;
        else
            json_array_append_new(tags, tag_of(ioc->tags.v[i]));
    }
    if (ioc->severity != IOC_SEV_UNSET) {
        strbuf_reset(&tag);
        strbuf_addf(&tag, "iocm:severity=\"%s\"",
                    ioc_severity_name(ioc->severity));
        json_array_append_new(tags, tag_of(tag.buf));
    }
    if (ioc->confidence >= 0) {
        strbuf_reset(&tag);
        strbuf_addf(&tag, "iocm:confidence=\"%d\"", ioc->confidence);
        json_array_append_new(tags, tag_of(tag.buf));
    }
    /* The store keeps "" for an unset source: no tag then. */
    if (ioc->source && *ioc->source) {
        strbuf_reset(&tag);
        strbuf_addf(&tag, "iocm:source=\"%s\"", ioc->source);
        json_array_append_new(tags, tag_of(tag.buf));
    }
    if (ioc->expires_at) {
        char t[ISOTIME_LEN];

        io_time_format(ioc->expires_at, t);
        strbuf_reset(&tag);
        strbuf_addf(&tag, "iocm:expires_at=\"%s\"", t);
        json_array_append_new(tags, tag_of(tag.buf));
    }
    strbuf_reset(&tag);
    strbuf_addf(&tag, "%lld", (long long)stamp);
    obj = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "uuid", uuid,
                    "type", export_types[ioc->type].type, "category",
                    export_types[ioc->type].category, "value", ioc->value,
                    "to_ids", is_for_ids, "distribution", "5", "comment",
                    ioc->description ? ioc->description : "", "timestamp",
                    tag.buf);
    strbuf_release(&tag);
    if (!obj) {
        json_decref(tags);
        return iocm_fail(err, IOCM_EINVAL,
                         "cannot export %s '%.80s': invalid utf-8",
                         ioc_type_name(ioc->type), ioc->value);
    }
    set_misp_time(obj, "first_seen", ioc->first_seen);
    set_misp_time(obj, "last_seen", ioc->last_seen);
    if (json_array_size(tags))
        json_object_set_new(obj, "Tag", tags);
    else
        json_decref(tags);
    strbuf_addstr(&w->buf, w->count ? ",\n" : "\n");
    io_json_append(w, obj);
    json_decref(obj);
    return 0;
}

static int misp_finish(struct io_writer *w, struct iocm_err *err)
{
    char uuid[IO_UUID_LEN];

    (void)err;
    io_writer_sum_uuid(w, "misp-event", uuid);
    strbuf_addf(&w->buf, "%s],\"uuid\":\"%s\"}}\n", w->count ? "\n" : "", uuid);
    return 0;
}

const struct io_backend io_misp_backend = {
    .format = IO_FORMAT_MISP,
    .read = misp_read,
    .begin = misp_begin,
    .write = misp_write,
    .finish = misp_finish,
};
