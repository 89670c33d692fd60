/*
 * MaxMind database glue shared by the geoip and asn providers: opening a
 * database once per session, and looking up the address of an indicator
 * together with the network the database answered for.
 */
#include "enrich/enrich_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/xalloc.h"

int enrich_mmdb_open(const char *path, const char *key, MMDB_s **out,
                     struct strbuf *note, struct iocm_err *err)
{
    MMDB_s *mmdb;
    int status;

    *out = NULL;
    if (!path || !*path) {
        strbuf_addf(note, "no database (%s is not set)", key);
        return 0;
    }
    if (access(path, F_OK) < 0 && errno == ENOENT) {
        strbuf_addf(note, "database '%s' does not exist (%s)", path, key);
        return 0;
    }
    mmdb = xcalloc(1, sizeof(*mmdb));
    status = MMDB_open(path, MMDB_MODE_MMAP, mmdb);
    if (status != MMDB_SUCCESS) {
        int saved = errno;

        free(mmdb);
        if (status == MMDB_IO_ERROR)
            return iocm_fail(err, IOCM_ECONFIG, "cannot open '%s' (%s): %s",
                             path, key, strerror(saved));
        return iocm_fail(err, IOCM_ECONFIG, "cannot open '%s' (%s): %s", path,
                         key, MMDB_strerror(status));
    }
    *out = mmdb;
    return 0;
}

void enrich_mmdb_close(MMDB_s *mmdb)
{
    if (!mmdb)
        return;
    MMDB_close(mmdb);
    free(mmdb);
}

/* Writes addr (text) masked to prefix bits, then "/prefix", into out. */
static void add_network(struct strbuf *out, const char *addr, int prefix)
{
    unsigned char bytes[16];
    char text[INET6_ADDRSTRLEN];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int nbits = family == AF_INET ? 32 : 128;

    if (inet_pton(family, addr, bytes) != 1)
        return;
    for (int bit = prefix; bit < nbits; bit++)
        bytes[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
    if (!inet_ntop(family, bytes, text, sizeof(text)))
        return;
    strbuf_addf(out, "%s/%d", text, prefix);
}

int enrich_mmdb_lookup(MMDB_s *mmdb, enum ioc_type type, const char *value,
                       MMDB_lookup_result_s *res, struct strbuf *network,
                       struct iocm_err *err)
{
    struct strbuf addr = STRBUF_INIT;
    const char *slash = type == IOC_TYPE_CIDR ? strchr(value, '/') : NULL;
    int gai_error = 0, mmdb_error = MMDB_SUCCESS;
    int prefix, rc = 0;

    /* A network is looked up by its first address. */
    if (slash)
        strbuf_add(&addr, value, (size_t)(slash - value));
    else
        strbuf_addstr(&addr, value);
    *res = MMDB_lookup_string(mmdb, addr.buf, &gai_error, &mmdb_error);
    if (gai_error) {
        rc = iocm_fail(err, IOCM_EINVAL, "invalid address '%s': %s", addr.buf,
                       gai_strerror(gai_error));
        goto out;
    }
    if (mmdb_error != MMDB_SUCCESS) {
        rc = iocm_fail(err, IOCM_EIO, "cannot look up '%s': %s", addr.buf,
                       MMDB_strerror(mmdb_error));
        goto out;
    }
    if (!res->found_entry)
        goto out;
    /* An IPv6 database holds IPv4 under ::/96, so its prefix counts those
     * 96 bits too. */
    prefix = res->netmask;
    if (!strchr(addr.buf, ':') && mmdb->metadata.ip_version == 6)
        prefix = prefix >= 96 ? prefix - 96 : 0;
    add_network(network, addr.buf, prefix);
out:
    strbuf_release(&addr);
    return rc;
}
