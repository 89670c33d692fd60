/*
 * The asn provider: the autonomous system number and organisation that
 * announce an address, from a GeoLite2 ASN database (ASN_DB_PATH), opened
 * once per session. A network's result is that of its first address.
 */
#include "enrich/enrich.h"

#include "enrich/enrich_int.h"
#include "util/err.h"

static int asn_init(const struct enrich_settings *s, void **state,
                    struct strbuf *note, struct iocm_err *err)
{
    MMDB_s *mmdb = NULL;
    int rc = enrich_mmdb_open(s->asn_db_path, "ASN_DB_PATH", &mmdb, note, err);

    *state = mmdb;
    return rc;
}

static enum enrich_outcome asn_lookup(void *state, enum ioc_type type,
                                      const char *value,
                                      struct enrich_answer *ans,
                                      struct iocm_err *err)
{
    static const char *const number[] = { "autonomous_system_number", NULL };
    static const char *const org[] = { "autonomous_system_organization", NULL };
    struct strbuf network = STRBUF_INIT;
    MMDB_lookup_result_s res;
    MMDB_entry_data_s d;
    json_t *result;

    if (enrich_mmdb_lookup(state, type, value, &res, &network, err) < 0) {
        strbuf_release(&network);
        return ENRICH_FAILURE;
    }
    result = json_object();
    json_object_set_new(result, "found", json_boolean(res.found_entry));
    if (res.found_entry) {
        json_object_set_new(result, "network", json_string(network.buf));
        if (MMDB_aget_value(&res.entry, &d, number) == MMDB_SUCCESS &&
            d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
            json_object_set_new(result, "asn", json_integer(d.uint32));
        if (MMDB_aget_value(&res.entry, &d, org) == MMDB_SUCCESS &&
            d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING)
            json_object_set_new(result, "organization",
                                json_stringn(d.utf8_string, d.data_size));
    }
    strbuf_release(&network);
    ans->result = result;
    return ENRICH_SUCCESS;
}

static void asn_cleanup(void *state)
{
    enrich_mmdb_close(state);
}

const struct enrich_provider enrich_asn_provider = {
    .name = "asn",
    .slot = ENRICH_ASN,
    .applies_to = ENRICH_TYPE_BIT(IOC_TYPE_IPV4) |
                  ENRICH_TYPE_BIT(IOC_TYPE_IPV6) |
                  ENRICH_TYPE_BIT(IOC_TYPE_CIDR),
    .init = asn_init,
    .lookup = asn_lookup,
    .cleanup = asn_cleanup,
};
