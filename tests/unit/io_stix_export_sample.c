/*
 * Writes a STIX 2.1 bundle with an indicator of every type and every TLP
 * to stdout, for tests/js/test_stix_schema.sh to validate against the
 * OASIS schemas.
 */
#include <stdio.h>

#include "io/io.h"
#include "ioc/ioc.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/strvec.h"

static const struct {
    enum ioc_type type;
    const char *value;
    enum tlp tlp;
} samples[] = {
    { IOC_TYPE_IPV4, "198.51.100.7", TLP_CLEAR },
    { IOC_TYPE_IPV6, "2001:db8::1", TLP_GREEN },
    { IOC_TYPE_CIDR, "203.0.113.0/24", TLP_AMBER },
    { IOC_TYPE_CIDR, "2001:db8::/32", TLP_AMBER_STRICT },
    { IOC_TYPE_DOMAIN, "evil.example", TLP_RED },
    { IOC_TYPE_URL, "https://evil.example/it's/a?q=1#x", TLP_AMBER },
    { IOC_TYPE_EMAIL, "phish@evil.example", TLP_GREEN },
    { IOC_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e", TLP_CLEAR },
    { IOC_TYPE_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", TLP_CLEAR },
    { IOC_TYPE_SHA256,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      TLP_RED },
    { IOC_TYPE_SHA512,
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
      TLP_AMBER },
    { IOC_TYPE_SSDEEP, "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", TLP_GREEN },
    { IOC_TYPE_CVE, "CVE-2021-44228", TLP_CLEAR },
    { IOC_TYPE_ASN, "AS64500", TLP_AMBER },
    { IOC_TYPE_FILENAME, "invoice.pdf.exe", TLP_UNSET },
};

int main(void)
{
    struct io_export_options opts = { false, 1767225600 };
    struct iocm_err err = IOCM_ERR_INIT;
    struct io_writer *w = NULL;
    int rc;

    jsonx_init();
    rc = io_writer_new(IO_FORMAT_STIX, stdout, &opts, &w, &err);
    for (size_t i = 0; rc == 0 && i < sizeof(samples) / sizeof(samples[0]);
         i++) {
        struct strbuf value = STRBUF_INIT;
        enum ioc_type type = samples[i].type;
        struct ioc ioc;

        ioc_init(&ioc);
        rc = ioc_parse_value(samples[i].value, &type, &value, &err);
        if (rc < 0)
            break;
        ioc.type = type;
        ioc.value = strbuf_detach(&value, NULL);
        ioc.tlp = samples[i].tlp;
        ioc.severity = (enum ioc_severity)(i % 5);
        ioc.confidence = (int)(i * 7 % 101);
        ioc.source = i % 2 ? NULL : "unit-test feed";
        ioc.description = i % 3 ? "seen in \"campaign\" X" : NULL;
        if (i % 2)
            strvec_push(&ioc.tags, "apt-example");
        ioc.first_seen = 1767225600 - 86400 * (int64_t)i;
        ioc.last_seen = 1767225600;
        ioc.created_at = 1767225600 - 3600;
        ioc.updated_at = i % 2 ? 1767225600 : 0;
        ioc.expires_at = i % 4 ? 1767225600 + 86400 * 30 : 0;
        ioc.created_by = "analyst";
        rc = io_writer_write(w, &ioc, &err);
        /* Only value and tags are ours to free; the rest are literals. */
        free(ioc.value);
        strvec_clear(&ioc.tags);
    }
    if (rc == 0)
        rc = io_writer_finish(w, &err);
    io_writer_free(w);
    if (rc < 0) {
        fprintf(stderr, "io_stix_export_sample: %s\n", err.msg);
        return 1;
    }
    return 0;
}
