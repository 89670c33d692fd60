/*
 * The geoip provider: country, city and coordinates of an address from a
 * GeoLite2/GeoIP2 City or Country database (GEOIP_DB_PATH), opened once
 * per session. A network's result is that of its first address.
 */
#include "enrich/enrich.h"

#include "enrich/enrich_int.h"
#include "util/err.h"

static int geoip_init(const struct enrich_settings *s, void **state,
                      struct strbuf *note, struct iocm_err *err)
{
    MMDB_s *mmdb = NULL;
    int rc =
        enrich_mmdb_open(s->geoip_db_path, "GEOIP_DB_PATH", &mmdb, note, err);

    *state = mmdb;
    return rc;
}

/* Sets key in obj to the string at path in e, when there is one. */
static void set_string(json_t *obj, const char *key, MMDB_entry_s *e,
                       const char *const *path)
{
    MMDB_entry_data_s d;

    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return;
    json_object_set_new(obj, key, json_stringn(d.utf8_string, d.data_size));
}

static void set_double(json_t *obj, const char *key, MMDB_entry_s *e,
                       const char *const *path)
{
    MMDB_entry_data_s d;

    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_DOUBLE)
        return;
    json_object_set_new(obj, key, json_real(d.double_value));
}

/* Sets key to obj when obj has members; takes obj over. */
static void set_nonempty(json_t *parent, const char *key, json_t *obj)
{
    if (json_object_size(obj))
        json_object_set_new(parent, key, obj);
    else
        json_decref(obj);
}

static enum enrich_outcome geoip_lookup(void *state, enum ioc_type type,
                                        const char *value,
                                        struct enrich_answer *ans,
                                        struct iocm_err *err)
{
    static const char *const iso_code[] = { "country", "iso_code", NULL };
    static const char *const country_name[] = { "country", "names", "en",
                                                NULL };
    static const char *const reg_iso_code[] = { "registered_country",
                                                "iso_code", NULL };
    static const char *const reg_name[] = { "registered_country", "names", "en",
                                            NULL };
    static const char *const city_name[] = { "city", "names", "en", NULL };
    static const char *const latitude[] = { "location", "latitude", NULL };
    static const char *const longitude[] = { "location", "longitude", NULL };
    struct strbuf network = STRBUF_INIT;
    MMDB_lookup_result_s res;
    json_t *result, *country, *registered, *location;

    if (enrich_mmdb_lookup(state, type, value, &res, &network, err) < 0) {
        strbuf_release(&network);
        return ENRICH_FAILURE;
    }
    result = json_object();
    json_object_set_new(result, "found", json_boolean(res.found_entry));
    if (res.found_entry) {
        json_object_set_new(result, "network", json_string(network.buf));
        country = json_object();
        set_string(country, "iso_code", &res.entry, iso_code);
        set_string(country, "name", &res.entry, country_name);
        set_nonempty(result, "country", country);
        /* Where the network is registered, which may differ from where it
         * is used: some networks have only this. */
        registered = json_object();
        set_string(registered, "iso_code", &res.entry, reg_iso_code);
        set_string(registered, "name", &res.entry, reg_name);
        set_nonempty(result, "registered_country", registered);
        set_string(result, "city", &res.entry, city_name);
        location = json_object();
        set_double(location, "latitude", &res.entry, latitude);
        set_double(location, "longitude", &res.entry, longitude);
        set_nonempty(result, "location", location);
    }
    strbuf_release(&network);
    ans->result = result;
    return ENRICH_SUCCESS;
}

static void geoip_cleanup(void *state)
{
    enrich_mmdb_close(state);
}

const struct enrich_provider enrich_geoip_provider = {
    .name = "geoip",
    .slot = ENRICH_GEOIP,
    .applies_to = ENRICH_TYPE_BIT(IOC_TYPE_IPV4) |
                  ENRICH_TYPE_BIT(IOC_TYPE_IPV6) |
                  ENRICH_TYPE_BIT(IOC_TYPE_CIDR),
    .init = geoip_init,
    .lookup = geoip_lookup,
    .cleanup = geoip_cleanup,
};
