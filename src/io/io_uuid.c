/*
 * Name-based UUIDs (version 5, RFC 4122 section 4.3) for the ids of
 * exported STIX objects and MISP attributes: the same indicator gets the
 * same id in every export, so consumers deduplicate and version it.
 */
#include "io/io_int.h"

#include <string.h>

#include <openssl/evp.h>

#include "util/err.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes. */
static int uuid_parse(const char *s, unsigned char out[16])
{
    size_t k = 0;

    if (strlen(s) != IO_UUID_LEN - 1)
        return -1;
    for (size_t i = 0; i < IO_UUID_LEN - 1;) {
        int hi, lo;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return -1;
            continue;
        }
        hi = hex_value(s[i]);
        lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[k++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    return 0;
}

static void uuid_format(const unsigned char b[16], char out[IO_UUID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

/* SHA-1 of the namespace's bytes then the name; version and variant set. */
static void uuid5_bytes(const unsigned char ns[16], const char *name,
                        size_t len, char out[IO_UUID_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    /* Only an allocation can fail here, and xmalloc would abort too. */
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
        !EVP_DigestUpdate(ctx, ns, 16) || !EVP_DigestUpdate(ctx, name, len) ||
        !EVP_DigestFinal_ex(ctx, md, &md_len))
        abort();
    EVP_MD_CTX_free(ctx);
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
    uuid_format(md, out);
}

int io_uuid5(const char *ns, const char *name, size_t len,
             char out[IO_UUID_LEN], struct iocm_err *err)
{
    unsigned char nsb[16];

    if (uuid_parse(ns, nsb) < 0)
        return iocm_fail(err, IOCM_EINVAL, "invalid uuid '%.40s'", ns);
    uuid5_bytes(nsb, name, len, out);
    return 0;
}

/* IO_UUID_NAMESPACE as bytes. */
static void our_namespace(unsigned char out[16])
{
    if (uuid_parse(IO_UUID_NAMESPACE, out) < 0)
        abort();
}

void io_ioc_uuid(enum ioc_type type, const char *value, char out[IO_UUID_LEN])
{
    struct strbuf name = STRBUF_INIT;
    unsigned char ns[16];

    our_namespace(ns);
    strbuf_addf(&name, "%s:%s", ioc_type_name(type), value);
    uuid5_bytes(ns, name.buf, name.len, out);
    strbuf_release(&name);
}

void io_writer_sum_id(struct io_writer *w, const char *uuid)
{
    unsigned char b[16];
    uint64_t hi = 0, lo = 0, old;

    if (uuid_parse(uuid, b) < 0)
        return;
    for (size_t i = 0; i < 8; i++) {
        hi = hi << 8 | b[i];
        lo = lo << 8 | b[i + 8];
    }
    /* A sum does not depend on the order the ids come in. */
    old = w->id_sum[1];
    w->id_sum[1] += lo;
    w->id_sum[0] += hi + (w->id_sum[1] < old);
}

void io_writer_sum_uuid(const struct io_writer *w, const char *prefix,
                        char out[IO_UUID_LEN])
{
    struct strbuf name = STRBUF_INIT;
    unsigned char ns[16];

    our_namespace(ns);
    strbuf_addf(&name, "%s:%016llx%016llx:%llu", prefix,
                (unsigned long long)w->id_sum[0],
                (unsigned long long)w->id_sum[1], (unsigned long long)w->count);
    uuid5_bytes(ns, name.buf, name.len, out);
    strbuf_release(&name);
}
