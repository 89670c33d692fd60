/*
 * jansson glue; see jsonx.h.
 */
#include "util/jsonx.h"

#include <stdlib.h>

#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void jsonx_init(void)
{
    json_set_alloc_funcs(xmalloc, free);
}

static int dump_to_strbuf(const char *buffer, size_t size, void *data)
{
    strbuf_add(data, buffer, size);
    return 0;
}

void jsonx_dump_strbuf(const json_t *j, struct strbuf *sb, size_t flags)
{
    json_dump_callback(j, dump_to_strbuf, sb, flags | JSON_ENCODE_ANY);
}

int jsonx_dump_file(const json_t *j, FILE *fp, size_t flags)
{
    if (json_dumpf(j, fp, flags | JSON_ENCODE_ANY) < 0)
        return -1;
    return fputc('\n', fp) == EOF ? -1 : 0;
}

json_t *jsonx_string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *jsonx_time_or_null(long long t)
{
    char buf[ISOTIME_LEN];

    if (!t)
        return json_null();
    isotime_format(t, buf);
    return json_string(buf);
}
