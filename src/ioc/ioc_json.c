/*
 * The JSON form of an indicator, shared by `--json` listings, the HTTP API
 * and the reports, so every output names the fields the same way.
 */
#include "ioc/ioc_json.h"

#include "ioc/ioc.h"

#include "util/jsonx.h"

json_t *ioc_to_json(const struct ioc *ioc)
{
    json_t *tags = json_array();

    for (size_t i = 0; i < ioc->tags.nr; i++)
        json_array_append_new(tags, json_string(ioc->tags.v[i]));
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", (json_int_t)ioc->id, "type", ioc_type_name(ioc->type), "value",
        ioc->value, "severity", ioc_severity_name(ioc->severity), "confidence",
        ioc->confidence, "tlp", tlp_name(ioc->tlp), "source",
        ioc->source ? ioc->source : "", "description",
        ioc->description ? ioc->description : "", "tags", tags, "status",
        ioc_status_name(ioc->status), "false_positive", ioc->is_false_positive,
        "first_seen", jsonx_time_or_null(ioc->first_seen), "last_seen",
        jsonx_time_or_null(ioc->last_seen), "created_at",
        jsonx_time_or_null(ioc->created_at), "created_by",
        jsonx_string_or_null(ioc->created_by), "updated_at",
        jsonx_time_or_null(ioc->updated_at), "updated_by",
        jsonx_string_or_null(ioc->updated_by), "expires_at",
        jsonx_time_or_null(ioc->expires_at), "expiry_reason",
        jsonx_string_or_null(ioc->expiry_reason));
}
