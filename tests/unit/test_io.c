/*
 * Unit tests of the io module: format names and detection, text
 * extraction (tables and the golden files in tests/data/io/text), the CSV,
 * JSON, STIX and MISP readers on valid, malformed and hostile input, the
 * STIX pattern parser, the writers, and round trips through each format.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/io.h"
#include "io/io_int.h"
#include "ioc/ioc.h"
#include "iocm_build.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

/* What a read delivered and reported. */
struct collect {
    struct strbuf out;      /* a line per record */
    struct strbuf invalid;  /* "where: reason" lines */
    struct strbuf skipped;  /* "where: reason" lines */
    struct strbuf warnings; /* a line per warning */
    bool is_verbose;        /* out lines carry every set field */
    struct ioc *recs;       /* copies of the records */
    size_t nr, alloc;
    size_t stop_after; /* 0: never stop */
};

static void collect_init(struct collect *c, bool is_verbose)
{
    memset(c, 0, sizeof(*c));
    strbuf_init(&c->out, 0);
    strbuf_init(&c->invalid, 0);
    strbuf_init(&c->skipped, 0);
    strbuf_init(&c->warnings, 0);
    c->is_verbose = is_verbose;
}

static void collect_release(struct collect *c)
{
    for (size_t i = 0; i < c->nr; i++)
        ioc_release(&c->recs[i]);
    free(c->recs);
    strbuf_release(&c->out);
    strbuf_release(&c->invalid);
    strbuf_release(&c->skipped);
    strbuf_release(&c->warnings);
}

static void add_time(struct strbuf *sb, const char *key, int64_t t)
{
    char buf[ISOTIME_LEN];

    if (!t)
        return;
    isotime_format(t, buf);
    strbuf_addf(sb, " %s=%s", key, buf);
}

/* "type value" and, verbose, " sev=high conf=80 ..." for the set fields. */
static void describe(struct strbuf *sb, const struct ioc *ioc, bool is_verbose)
{
    strbuf_addf(sb, "%s %s", ioc_type_name(ioc->type), ioc->value);
    if (!is_verbose)
        return;
    if (ioc->severity != IOC_SEV_UNSET)
        strbuf_addf(sb, " sev=%s", ioc_severity_name(ioc->severity));
    if (ioc->confidence >= 0)
        strbuf_addf(sb, " conf=%d", ioc->confidence);
    if (ioc->tlp != TLP_UNSET)
        strbuf_addf(sb, " tlp=%s", tlp_name(ioc->tlp));
    if (ioc->source)
        strbuf_addf(sb, " src=%s", ioc->source);
    if (ioc->description)
        strbuf_addf(sb, " desc=%s", ioc->description);
    for (size_t i = 0; i < ioc->tags.nr; i++)
        strbuf_addf(sb, "%s%s", i ? "," : " tags=", ioc->tags.v[i]);
    add_time(sb, "fs", ioc->first_seen);
    add_time(sb, "ls", ioc->last_seen);
    add_time(sb, "exp", ioc->expires_at);
    add_time(sb, "ca", ioc->created_at);
    if (ioc->created_by)
        strbuf_addf(sb, " by=%s", ioc->created_by);
}

static void copy_ioc(struct ioc *dst, const struct ioc *src)
{
    ioc_init(dst);
    dst->type = src->type;
    dst->value = xstrdup(src->value);
    dst->severity = src->severity;
    dst->confidence = src->confidence;
    dst->tlp = src->tlp;
    dst->source = xstrdup(src->source);
    dst->description = xstrdup(src->description);
    for (size_t i = 0; i < src->tags.nr; i++)
        strvec_push(&dst->tags, src->tags.v[i]);
    dst->first_seen = src->first_seen;
    dst->last_seen = src->last_seen;
    dst->created_at = src->created_at;
    dst->updated_at = src->updated_at;
    dst->expires_at = src->expires_at;
    dst->created_by = xstrdup(src->created_by);
}

static int on_ioc(void *ctx, const struct ioc *ioc)
{
    struct collect *c = ctx;

    describe(&c->out, ioc, c->is_verbose);
    strbuf_addch(&c->out, '\n');
    ALLOC_GROW(c->recs, c->nr + 1, c->alloc);
    copy_ioc(&c->recs[c->nr++], ioc);
    if (c->stop_after && c->nr >= c->stop_after)
        return IOCM_EINTERNAL;
    return 0;
}

static void on_invalid(void *ctx, const char *where, const char *reason)
{
    strbuf_addf(&((struct collect *)ctx)->invalid, "%s: %s\n", where, reason);
}

static void on_skipped(void *ctx, const char *where, const char *reason)
{
    strbuf_addf(&((struct collect *)ctx)->skipped, "%s: %s\n", where, reason);
}

static void on_warning(void *ctx, const char *message)
{
    strbuf_addf(&((struct collect *)ctx)->warnings, "%s\n", message);
}

/* Reads data in fmt into c; returns io_read()'s code, message in err. */
static int read_into(struct collect *c, enum io_format fmt, const char *data,
                     size_t len, struct iocm_err *err)
{
    struct io_handler h = { on_ioc, on_invalid, on_skipped, on_warning, c };

    return io_read(fmt, data, len, "t", &h, err);
}

/* True when hay holds needle; prints both otherwise, for the log. */
static bool contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle))
        return true;
    print_error("'%s' not found in:\n%s\n", needle, hay);
    return false;
}

static void assert_str(const char *name, const char *got, const char *want)
{
    size_t i = 0;

    if (!strcmp(got, want))
        return;
    while (got[i] == want[i])
        i++;
    print_error("case '%s': differs at byte %zu:\n--- got\n%s\n--- want\n%s\n",
                name, i, got + i, want + i);
    fail();
}

/* ---- format names and detection ---- */

static void test_format_names_parse_both_ways(void **state)
{
    enum io_format fmt;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (enum io_format f = IO_FORMAT_TEXT; f <= IO_FORMAT_AUTO; f++) {
        assert_int_equal(io_format_parse(io_format_name(f), &fmt, NULL), 0);
        assert_int_equal(fmt, f);
    }
    assert_int_equal(io_format_parse("STIX", &fmt, NULL), 0);
    assert_int_equal(fmt, IO_FORMAT_STIX);
    assert_int_equal(io_format_parse("xml", &fmt, &err), IOCM_EINVAL);
    assert_true(contains(err.msg, "invalid format 'xml'"));
    assert_int_equal(io_read((enum io_format)42, "x", 1, NULL, NULL, &err),
                     IOCM_EINVAL);
    assert_string_equal(io_format_name((enum io_format)42), "unknown");
}

static const struct {
    const char *head;
    enum io_format want;
} detect_cases[] = {
    { "{\"type\": \"bundle\", \"id\": \"bundle--1\"}", IO_FORMAT_STIX },
    { "\xef\xbb\xbf  {\"id\":\"x\",\"type\":\"bundle\"", IO_FORMAT_STIX },
    { "[{\"type\":\"indicator\",\"spec_version\":\"2.1\"}]", IO_FORMAT_STIX },
    { "{\"Event\": {\"info\": \"x\"", IO_FORMAT_MISP },
    { "[{\"Event\":{}}]", IO_FORMAT_MISP },
    { "{\"response\": [", IO_FORMAT_MISP },
    { "{\"info\":\"x\",\"Attribute\":[]}", IO_FORMAT_MISP },
    { "[{\"value\":\"1.2.3.4\"}]", IO_FORMAT_JSON },
    { "{\"value\":\"1.2.3.4\",\"description\":\"\\\"Event\\\": no\"}",
      IO_FORMAT_JSON },
    { "{\"value\":\"x\",\"type\":\"domain\"}\n", IO_FORMAT_JSON },
    { "value,type\n1.2.3.4,ipv4\n", IO_FORMAT_CSV },
    { "\"Type\", \"VALUE\"\r\nipv4,1.2.3.4\r\n", IO_FORMAT_CSV },
    { "type,indicator\nipv4,1.2.3.4\n", IO_FORMAT_TEXT },
    { "The actor used evil.example, value and more.\n", IO_FORMAT_TEXT },
    { "", IO_FORMAT_TEXT },
};

static void test_detect_format_from_first_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(detect_cases); i++) {
        enum io_format got = io_detect_format(detect_cases[i].head,
                                              strlen(detect_cases[i].head));

        if (got != detect_cases[i].want)
            print_error("case %zu: got %s\n", i, io_format_name(got));
        assert_int_equal(got, detect_cases[i].want);
    }
}

static void test_auto_reads_the_detected_format(void **state)
{
    static const char csv[] = "value,severity\nevil.example,high\n";
    struct collect c;

    (void)state;
    collect_init(&c, true);
    assert_int_equal(read_into(&c, IO_FORMAT_AUTO, csv, strlen(csv), NULL), 0);
    assert_string_equal(c.out.buf, "domain evil.example sev=high\n");
    collect_release(&c);
}

static void test_uuid5_matches_rfc4122(void **state)
{
    char out[IO_UUID_LEN];
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    /* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"). */
    assert_int_equal(io_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                              "python.org", 10, out, NULL),
                     0);
    assert_string_equal(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    assert_int_equal(io_uuid5("not-a-uuid", "x", 1, out, &err), IOCM_EINVAL);
}

/* ---- text ---- */

static const struct {
    const char *name;
    const char *input;
    const char *want;
} text_cases[] = {
    { "defanged forms",
      "hxxp://evil[.]example/a hxxps[:]//x(.)example/b http[://]y.example "
      "c2[.]example bad(dot)example user[@]mail[.]example u2[at]m(dot)example "
      "198.51.100[.]7 10\\.1\\.2\\.3",
      "url http://evil.example/a\nurl https://x.example/b\n"
      "url http://y.example/\ndomain c2.example\ndomain bad.example\n"
      "email user@mail.example\nemail u2@m.example\nipv4 198.51.100.7\n"
      "ipv4 10.1.2.3\n" },
    { "version numbers are not addresses",
      "versions 1.2.3, v10.0.19041.1, 10.0.19041.1, 2.0 and 4.1.2.7.8; "
      "python3.10 openssl-3.0.19 802.11ac",
      "" },
    { "a four-part number that is a valid address is one",
      "we saw 1.2.3.4 shipped", "ipv4 1.2.3.4\n" },
    { "a four-part number after a version word is a version",
      "reports version 2.4.1.7 in its user agent; build 1.2.3.4, "
      "Firmware ver. 5.6.7.8 (release: 9.9.9.9) agent=3.3.3.3 "
      "rev 4.4.4.4 ver:6.6.6.6 v 7.7.7.7 User-Agent 8.8.4.4",
      "" },
    { "address words keep four-part numbers addresses",
      "version 2 beacons to 2.4.1.7; the agent connects to 1.2.3.4, "
      "build server at 5.6.7.8, C2 9.9.9.9 and IP:3.3.3.3",
      "ipv4 2.4.1.7\nipv4 1.2.3.4\nipv4 5.6.7.8\nipv4 9.9.9.9\n"
      "ipv4 3.3.3.3\n" },
    { "version words end with their sentence",
      "Update to the latest release. 2.4.1.7 served the payload.\n\n"
      "version\n\n1.2.3.4 and version 2 of the loader used 5.6.7.8",
      "ipv4 2.4.1.7\nipv4 1.2.3.4\nipv4 5.6.7.8\n" },
    { "defanged four-part numbers are addresses whatever the words",
      "version 2.4.1[.]7", "ipv4 2.4.1.7\n" },
    { "file names in URLs belong to the URL",
      "http://evil.example/payload.exe and evil.example/setup.msi",
      "url http://evil.example/payload.exe\ndomain evil.example\n" },
    { "trailing punctuation and wrapping",
      "(http://x.example/a). evil.example. \"q.example\", 'r.example'; "
      "<https://s.example/b>, [1.2.3.4] {t.example}",
      "url http://x.example/a\ndomain evil.example\ndomain q.example\n"
      "domain r.example\nurl https://s.example/b\nipv4 1.2.3.4\n"
      "domain t.example\n" },
    { "balanced parentheses stay in a URL",
      "see https://en.wikipedia.org/wiki/Foo_(bar)) and "
      "[link](https://md.example/p)",
      "url https://en.wikipedia.org/wiki/Foo_(bar)\n"
      "url https://md.example/p\n" },
    { "URLs in HTML attributes and lists",
      "<a href=\"http://h.example/x?a=1&b=2\">x</a> "
      "http://l1.example/1,http://l2.example/2",
      "url http://h.example/x?a=1&b=2\nurl http://l1.example/1\n"
      "url http://l2.example/2\n" },
    { "each value once, whatever its case",
      "evil.example EVIL.EXAMPLE evil.example. 1.2.3.4 1.2.3.4",
      "domain evil.example\nipv4 1.2.3.4\n" },
    { "ports and labels around values",
      "IP:198.51.100.7 evil.example:8443 1.2.3.4:80/admin "
      "mailto:x@evil.example",
      "ipv4 198.51.100.7\ndomain evil.example\nipv4 1.2.3.4\n"
      "email x@evil.example\n" },
    { "hashes only at their exact lengths",
      "d41d8cd98f00b204e9800998ecf8427e "
      "D41D8CD98F00B204E9800998ECF8427E0 "
      "da39a3ee5e6b4b0d3255bfef95601890afd80709 sha256:"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "md5 d41d8cd98f00b204e9800998ecf8427e\n"
      "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
      "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
      "\n" },
    { "IPv6, CIDR, but neither times nor MACs",
      "2001:db8::1 fe80::1%eth0 2001:db8::/32 10.0.0.0/8 12:30:45 "
      "00:11:22:33:44:55 dead::beef std::string",
      "ipv6 2001:db8::1\nipv6 fe80::1\ncidr 2001:db8::/32\ncidr 10.0.0.0/8\n" },
    { "ssdeep, CVE and ASN",
      "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C CVE-2021-44228 cve-2014-0160 "
      "AS64500 as64501 ASN AS",
      "ssdeep 3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C\n"
      "cve CVE-2021-44228\ncve CVE-2014-0160\nasn AS64500\n" },
    { "ssdeep whose base64 holds ://, next to a URL",
      "96:s75JjiZ2Erdb+8tj/sLwP7nbUKSO0R://RzwXYZfp68s seen. "
      "3:http://x.example/a and 96:s75JjiZ2Erdb+8tj/sLwP7nbUKSO0R://Rzw.",
      "ssdeep 96:s75JjiZ2Erdb+8tj/sLwP7nbUKSO0R://RzwXYZfp68s\n"
      "url http://x.example/a\n"
      "ssdeep 96:s75JjiZ2Erdb+8tj/sLwP7nbUKSO0R://Rzw\n" },
    { "file names with telling extensions only",
      "dropped invoice.pdf.exe, C:\\Users\\Public\\svc.dll and run.ps1; "
      "not Node.js, index.html, README.md or notes.txt",
      "filename invoice.pdf.exe\nfilename svc.dll\nfilename run.ps1\n" },
    { "prose is no domain",
      "e.g. i.e. U.S. etc. array.map System.Console self.assertEqual a.b", "" },
    { "known TLDs and IDN", "evil.top bad.co.uk x.xn--p1ai m\xc3\xbcnchen.de",
      "domain evil.top\ndomain bad.co.uk\ndomain x.xn--p1ai\n"
      "domain xn--mnchen-3ya.de\n" },
    { "defanged names are domains whatever their TLD",
      "evil[.]zip payload.zip c2[.]internal",
      "domain evil.zip\nfilename payload.zip\ndomain c2.internal\n" },
    { "typographic quotes and no-break spaces separate",
      "\xe2\x80\x9chttps://q.example/x\xe2\x80\x9d \xc2\xa0"
      "evil.example\xc2\xa0\xe2\x80\x94"
      "bad.example\xe2\x80\xa6",
      "url https://q.example/x\ndomain evil.example\ndomain bad.example\n" },
    { "invisible characters defang",
      "evil\xe2\x80\x8b.example bad\xc2\xad.example "
      "hxxp://x\xe2\x81\xa0.example/p\xe2\x80\x8b q",
      "domain evil.example\ndomain bad.example\nurl http://x.example/p\n" },
    { "log4shell", "${jndi:ldap://attacker.example:1389/Exploit}",
      "url ldap://attacker.example:1389/Exploit\n" },
    { "emails need a domain with a TLD",
      "admin@localhost root@host a@b.example x@@y.example @handle "
      "first.last+tag@mail.example",
      "email a@b.example\nemail first.last+tag@mail.example\n" },
    { "nothing but separators", "\t\r\n ,;()[]{}<>\"'`|^", "" },
};

static void test_text_extracts_indicators(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(text_cases); i++) {
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(read_into(&c, IO_FORMAT_TEXT, text_cases[i].input,
                                   strlen(text_cases[i].input), NULL),
                         0);
        assert_str(text_cases[i].name, c.out.buf, text_cases[i].want);
        collect_release(&c);
    }
}

/*
 * Repeats are delivered once while fewer than 65,536 other values came
 * between; after that many the reader has forgotten the value and
 * delivers it again (the store then counts it seen again).
 */
static void test_text_delivers_repeats_once_within_its_window(void **state)
{
    struct strbuf text = STRBUF_INIT;
    struct collect c;
    size_t evil = 0;

    (void)state;
    strbuf_addstr(&text, "evil.example\n");
    for (unsigned i = 0; i < 1000; i++)
        strbuf_addf(&text, "10.0.%u.%u\n", i >> 8, i & 0xff);
    strbuf_addstr(&text, "again evil.example here\n");
    for (unsigned i = 0; i < 70000; i++)
        strbuf_addf(&text, "10.%u.%u.%u\n", 1 + (i >> 16), i >> 8 & 0xff,
                    i & 0xff);
    strbuf_addstr(&text, "evil.example\n");
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, text.buf, text.len, NULL),
                     0);
    assert_int_equal(c.nr, 1 + 1000 + 70000 + 1);
    for (size_t i = 0; i < c.nr; i++)
        evil += !strcmp(c.recs[i].value, "evil.example");
    assert_int_equal(evil, 2);
    assert_string_equal(c.recs[c.nr - 1].value, "evil.example");
    collect_release(&c);
    strbuf_release(&text);
}

static void test_text_reports_defanged_values_that_fail(void **state)
{
    static const char input[] = "fine 1.2.3.4\n"
                                "999[.]1.1.1 is bad, 999.1.1.2 is quiet\n"
                                "so is hxxp://[.]/\n";
    struct collect c;

    (void)state;
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, input, strlen(input), NULL),
                     0);
    assert_string_equal(c.out.buf, "ipv4 1.2.3.4\n");
    assert_true(contains(c.invalid.buf, "line 2: invalid ipv4 '999.1.1.1'"));
    assert_true(contains(c.invalid.buf, "line 3: invalid url 'http://./'"));
    assert_null(strstr(c.invalid.buf, "999.1.1.2"));
    collect_release(&c);
}

/* Reads path whole into sb; fails the test when it cannot. */
static void read_file(const char *path, struct strbuf *sb)
{
    FILE *fp = fopen(path, "rb");

    if (!fp)
        print_error("cannot open %s\n", path);
    assert_non_null(fp);
    assert_int_equal(strbuf_read_file(sb, fp), 0);
    fclose(fp);
}

#define TEXT_DATA IOCM_SOURCE_DIR "/tests/data/io/text"

static void test_text_golden_files(void **state)
{
    DIR *dir = opendir(TEXT_DATA);
    struct dirent *de;
    size_t cases = 0;

    (void)state;
    assert_non_null(dir);
    for (de = readdir(dir); de; de = readdir(dir)) {
        struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, path = STRBUF_INIT;
        size_t len = strlen(de->d_name);
        struct collect c;

        if (len < 4 || strcmp(de->d_name + len - 3, ".in"))
            continue;
        strbuf_addf(&path, "%s/%s", TEXT_DATA, de->d_name);
        read_file(path.buf, &in);
        strbuf_setlen(&path, path.len - 3);
        strbuf_addstr(&path, ".out");
        read_file(path.buf, &want);
        collect_init(&c, false);
        assert_int_equal(read_into(&c, IO_FORMAT_TEXT, in.buf, in.len, NULL),
                         0);
        assert_str(de->d_name, c.out.buf, want.buf);
        collect_release(&c);
        strbuf_release(&path);
        strbuf_release(&want);
        strbuf_release(&in);
        cases++;
    }
    closedir(dir);
    assert_true(cases >= 2);
}

/* A buffer of n bytes of c (not NUL-terminated in the middle). */
static char *repeat(char c, size_t n)
{
    char *s = xmalloc(n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_text_survives_hostile_input(void **state)
{
    static const char bom[] = "\xef\xbb\xbf"
                              "evil.example";
    static const char nul[] = "a\0evil.example\0b";
    static const char bad_utf8[] = "\xff\xfe evil.example \xc3\x28.example "
                                   "x\xed\xa0\x80.com \xf4\x90\x80\x80";
    size_t big = 1 << 20;
    char *s;
    struct collect c;
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, "", 0, NULL), 0);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, bom, strlen(bom), NULL), 0);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, nul, sizeof(nul) - 1, NULL),
                     0);
    assert_int_equal(
        read_into(&c, IO_FORMAT_TEXT, bad_utf8, strlen(bad_utf8), NULL), 0);
    assert_string_equal(c.out.buf, "domain evil.example\n"
                                   "domain evil.example\n"
                                   "domain evil.example\n");
    collect_release(&c);

    /* A 1 MiB token, a 1 MiB run of brackets, a 1 MiB defanged URL. */
    collect_init(&c, false);
    s = repeat('a', big);
    memcpy(s + big - 12, ".example.co", 11);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, s, big, NULL), 0);
    free(s);
    s = repeat('[', big);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, s, big, NULL), 0);
    free(s);
    strbuf_addstr(&sb, "hxxp://evil[.]example/");
    strbuf_grow(&sb, big);
    for (size_t i = 0; i < big; i++)
        strbuf_addch(&sb, 'p');
    strbuf_addstr(&sb, " then ok.example");
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain ok.example\n");
    assert_true(contains(c.invalid.buf, "line 1: invalid url: longer than"));
    /* A URL trailed by 1 MiB of closing brackets: linear, not quadratic. */
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "http://t.example/");
    for (size_t i = 0; i < big; i++)
        strbuf_addch(&sb, ")]}"[i % 3]);
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf,
                        "domain ok.example\nurl http://t.example/\n");
    strbuf_release(&sb);
    collect_release(&c);
}

static void test_text_handler_can_stop_the_read(void **state)
{
    static const char input[] = "a.example b.example c.example";
    struct collect c;

    (void)state;
    collect_init(&c, false);
    c.stop_after = 2;
    assert_int_equal(read_into(&c, IO_FORMAT_TEXT, input, strlen(input), NULL),
                     IOCM_EINTERNAL);
    assert_int_equal(c.nr, 2);
    collect_release(&c);
}

/* ---- CSV ---- */

static const struct {
    const char *name;
    const char *input;
    const char *want;    /* verbose records */
    const char *invalid; /* reported, in order */
    const char *warnings;
} csv_cases[] = {
    { "minimal", "value\nevil.example\n1.2.3.4\n",
      "domain evil.example\nipv4 1.2.3.4\n", "", "" },
    { "every column, any case and order",
      "Tags,VALUE,type,Severity,confidence,tlp,source,description,"
      "first_seen,last_seen,expires_at,created_at,created_by\r\n"
      "apt;C2,  evil.example  ,domain,HIGH,80,tlp:amber,feed A,"
      "\"said \"\"hi\"\", then left\",2026-01-01,2026-01-02T03:04:05Z,"
      "1798761600,2026-01-01T00:00:00+01:00,alice\r\n",
      "domain evil.example sev=high conf=80 tlp=AMBER src=feed A "
      "desc=said \"hi\", then left tags=apt,c2 fs=2026-01-01T00:00:00Z "
      "ls=2026-01-02T03:04:05Z exp=2027-01-01T00:00:00Z "
      "ca=2025-12-31T23:00:00Z by=alice\n",
      "", "" },
    { "line breaks inside quotes, tags with commas",
      "value,description,tags\n"
      "hxxp://evil[.]example/a,\"line one\nline two\",\"x, y;z\"\n",
      "url http://evil.example/a desc=line one\nline two tags=x,y,z\n", "",
      "" },
    { "blank lines and a missing final newline",
      "\n\nvalue\n\nevil.example\n\n1.2.3.4",
      "domain evil.example\nipv4 1.2.3.4\n", "", "" },
    { "fewer fields leave the rest unset",
      "value,severity,confidence\nevil.example\n", "domain evil.example\n", "",
      "" },
    { "unknown and duplicate columns are warned about once",
      "value,colour,value\nevil.example,red,x\nbad.example,blue,y\n",
      "domain evil.example\ndomain bad.example\n", "",
      "t: unknown column 'colour' ignored\n"
      "t: duplicate column 'value' ignored\n" },
    { "a bad field names the row",
      "value,severity\nevil.example,high\nbad.example,urgent\n"
      "ok.example,low\n",
      "domain evil.example sev=high\ndomain ok.example sev=low\n",
      "row 3: invalid severity 'urgent': expected one of low, medium, high, "
      "critical\n",
      "" },
    { "bad values of every kind",
      "value,type,confidence,tlp,first_seen\n"
      "1.2.3.999,,,,\n"
      "evil.example,ipv4,,,\n"
      "evil.example,,101,,\n"
      "evil.example,,,BROWN,\n"
      "evil.example,,,,yesterday\n"
      ",domain,,,\n"
      "evil.example,sha1,,,\n",
      "",
      "row 2: invalid ipv4 '1.2.3.999': octet out of range\n"
      "row 3: invalid ipv4 'evil.example': invalid character 'e'\n"
      "row 4: invalid confidence '101': expected an integer from 0 to 100\n"
      "row 5: invalid tlp 'BROWN': expected one of CLEAR, GREEN, AMBER, "
      "AMBER+STRICT, RED\n"
      "row 6: invalid first_seen: invalid time 'yesterday': expected ISO 8601 "
      "such as 2026-12-04T08:00:00Z\n"
      "row 7: empty value\n"
      "row 8: invalid sha1 'evil.example': expected 40 hex digits, got 12\n",
      "" },
    { "bad quoting is reported and the next row read",
      "value,description\n"
      "a.example,say \"hi\"\n"
      "b.example,\"closed\" then text\n"
      "c.example,one,two\n"
      "d.example,fine\n"
      "e.example,\"never closed\n"
      "f.example,lost\n",
      "domain d.example desc=fine\n",
      "row 2: quote inside an unquoted field\n"
      "row 3: unexpected character after a closing quote\n"
      "row 4: 3 fields, but the header has 2\n"
      "row 6: unterminated quoted field\n",
      "" },
    { "invalid UTF-8 and control characters in fields",
      "value,source,tags,description\n"
      "a.example,\xff\xfe,,\n"
      "b.example,ok,\"a\x01\",\n"
      "c.example,ok,,\"tab\tand\nnewline are fine\"\n",
      "domain c.example src=ok desc=tab\tand\nnewline are fine\n",
      "row 2: invalid source '\?\?': invalid utf-8\n"
      "row 3: invalid tags: control character in a tag\n",
      "" },
    { "empty input", "", "", "", "" },
    { "header only", "value,type\r\n", "", "", "" },
};

static void test_csv_reads_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(csv_cases); i++) {
        struct collect c;
        struct iocm_err err = IOCM_ERR_INIT;
        int rc;

        collect_init(&c, true);
        rc = read_into(&c, IO_FORMAT_CSV, csv_cases[i].input,
                       strlen(csv_cases[i].input), &err);
        if (rc)
            print_error("case '%s': %s\n", csv_cases[i].name, err.msg);
        assert_int_equal(rc, 0);
        assert_str(csv_cases[i].name, c.out.buf, csv_cases[i].want);
        assert_str(csv_cases[i].name, c.invalid.buf, csv_cases[i].invalid);
        assert_str(csv_cases[i].name, c.warnings.buf, csv_cases[i].warnings);
        collect_release(&c);
    }
}

static const struct {
    const char *input;
    const char *message;
} csv_fatal_cases[] = {
    { "type,indicator\nipv4,1.2.3.4\n",
      "t: the CSV header has no 'value' column" },
    { "\"value,type\n1.2.3.4,ipv4\n",
      "t: row 1: invalid CSV header: unterminated quoted field" },
};

static void test_csv_without_value_column_is_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(csv_fatal_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(read_into(&c, IO_FORMAT_CSV, csv_fatal_cases[i].input,
                                   strlen(csv_fatal_cases[i].input), &err),
                         IOCM_EINVAL);
        assert_string_equal(err.msg, csv_fatal_cases[i].message);
        assert_int_equal(c.nr, 0);
        collect_release(&c);
    }
}

static void test_warnings_are_bounded(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct collect c;
    size_t lines = 0;

    (void)state;
    strbuf_addstr(&sb, "value");
    for (int i = 0; i < 200000; i++)
        strbuf_addf(&sb, ",x%d", i);
    strbuf_addstr(&sb, "\na.example\n");
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_CSV, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain a.example\n");
    for (const char *p = c.warnings.buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 51);
    assert_true(contains(c.warnings.buf, "t: unknown column 'x0' ignored\n"));
    assert_true(contains(c.warnings.buf, "too many warnings; no more are "
                                         "given\n"));
    collect_release(&c);
    strbuf_release(&sb);
}

/* Reports go into JSON summaries: they must be UTF-8 even when they quote
 * bytes that are not or cut a character in two. */
static void test_reports_are_utf8_even_cut_short(void **state)
{
    static const struct {
        const char *in, *want;
    } repairs[] = {
        { "caf\xc3\xa9", "caf\xc3\xa9" },
        { "caf\xe9!", "caf?!" },
        { "\xe3\x81\x82\xe3\x81", "\xe3\x81\x82\?\?" },
        { "\xed\xa0\x80", "\?\?\?" },
        { "", "" },
    };
    struct strbuf sb = STRBUF_INIT;
    struct collect c;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(repairs); i++) {
        char *s = xstrdup(repairs[i].in);

        assert_string_equal(io_utf8_repair(s), repairs[i].want);
        free(s);
    }
    /* A column name of 300 three-byte characters, cut at 80 bytes. */
    strbuf_addstr(&sb, "value,");
    for (int i = 0; i < 300; i++)
        strbuf_addstr(&sb, "\xe3\x81\x82");
    strbuf_addstr(&sb, ",source\na.example,x,caf\xe9\n");
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_CSV, sb.buf, sb.len, NULL), 0);
    assert_true(utf8_is_valid(c.warnings.buf, c.warnings.len));
    /* "\?" keeps trigraphs away. */
    assert_true(contains(c.warnings.buf, "\xe3\x81\x82\?\?' ignored\n"));
    assert_true(contains(c.invalid.buf,
                         "row 2: invalid source 'caf?': invalid utf-8\n"));
    collect_release(&c);
    strbuf_release(&sb);
}

static void test_csv_huge_fields_are_refused_not_fatal(void **state)
{
    size_t big = 1 << 20;
    struct strbuf sb = STRBUF_INIT;
    struct collect c;
    char *s = repeat('x', big);

    (void)state;
    strbuf_addstr(&sb, "\xef\xbb\xbfvalue,description\n");
    strbuf_addf(&sb, "a.example,\"%s\"\n", s);
    strbuf_addf(&sb, "%s.example,\n", s);
    strbuf_addstr(&sb, "ok.example,fine\n");
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_CSV, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain ok.example\n");
    assert_true(contains(c.invalid.buf, "row 2: invalid description: longer "
                                        "than 65536 bytes\n"));
    assert_true(contains(c.invalid.buf, "row 3: invalid "));
    collect_release(&c);
    strbuf_release(&sb);
    free(s);
}

/* ---- JSON ---- */

static const struct {
    const char *name;
    const char *input;
    const char *want;
    const char *invalid;
    const char *warnings;
} json_cases[] = {
    { "array of objects with every field",
      "[{\"value\":\"evil.example\",\"type\":\"domain\",\"severity\":\"high\","
      "\"confidence\":80,\"tlp\":\"AMBER+STRICT\",\"source\":\"s\","
      "\"tags\":[\"B\",\"a\",\"b\"],\"description\":\"d\","
      "\"first_seen\":\"2026-01-01T00:00:00Z\",\"last_seen\":1767225600,"
      "\"expires_at\":null,\"created_at\":\"2026-01-01\","
      "\"created_by\":\"bob\"}]",
      "domain evil.example sev=high conf=80 tlp=AMBER+STRICT src=s desc=d "
      "tags=a,b fs=2026-01-01T00:00:00Z ls=2026-01-01T00:00:00Z "
      "ca=2026-01-01T00:00:00Z by=bob\n",
      "", "" },
    { "JSON lines, one bad line among good ones",
      "{\"value\":\"a.example\"}\n"
      "{\"value\": \"b.example\", oops}\n"
      "\n"
      "{\"value\":\"c.example\",\"tags\":\"x;y\"}\r\n"
      "{\"value\":\"1.2.3.4\"} {\"value\":\"5.6.7.8\"}\n",
      "domain a.example\ndomain c.example tags=x,y\nipv4 1.2.3.4\n"
      "ipv4 5.6.7.8\n",
      "line 2: invalid JSON: string or '}' expected near 'oops'\n", "" },
    { "an object may span lines",
      "{\n  \"value\": \"a.example\",\n  \"confidence\": \"7\"\n}\n"
      "{\"value\": 5}\n",
      "domain a.example conf=7\n", "line 5: invalid value: expected a string\n",
      "" },
    { "elements that are not usable",
      "[{\"value\":\"a.example\"}, 7, {\"type\":\"ipv4\"}, "
      "{\"value\":\"b.example\",\"confidence\":300},"
      "{\"value\":\"c.example\",\"tags\":[1]},"
      "{\"value\":\"d.example\",\"first_seen\":-5}]",
      "domain a.example\n",
      "object 2: not an object\n"
      "object 3: no value\n"
      "object 4: invalid confidence 300: expected an integer from 0 to 100\n"
      "object 5: invalid tags: expected strings\n"
      "object 6: invalid first_seen: negative Unix time\n",
      "" },
    { "unknown fields are warned about once",
      "[{\"value\":\"a.example\",\"id\":1,\"status\":\"active\"},"
      "{\"value\":\"b.example\",\"id\":2}]",
      "domain a.example\ndomain b.example\n", "",
      "t: unknown field 'id' ignored\nt: unknown field 'status' ignored\n" },
    { "duplicate keys in a line are refused",
      "{\"value\":\"a.example\",\"value\":\"b.example\"}\n"
      "{\"value\":\"c.example\"}\n",
      "domain c.example\n",
      "line 1: invalid JSON: duplicate object key near '\"value\"'\n", "" },
    { "empty array and empty input", "  [ ]  ", "", "", "" },
    { "nothing at all", "\n\n", "", "", "" },
};

static void test_json_reads_objects(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(json_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;
        int rc;

        collect_init(&c, true);
        rc = read_into(&c, IO_FORMAT_JSON, json_cases[i].input,
                       strlen(json_cases[i].input), &err);
        if (rc)
            print_error("case '%s': %s\n", json_cases[i].name, err.msg);
        assert_int_equal(rc, 0);
        assert_str(json_cases[i].name, c.out.buf, json_cases[i].want);
        assert_str(json_cases[i].name, c.invalid.buf, json_cases[i].invalid);
        assert_str(json_cases[i].name, c.warnings.buf, json_cases[i].warnings);
        collect_release(&c);
    }
}

static const struct {
    const char *input;
    const char *message;
} json_fatal_cases[] = {
    { "[{\"value\":\"a.example\"}, {\"value\": }]",
      "t: invalid JSON at line 1: unexpected token near '}'" },
    { "[{\"value\":\"a.example\"}\n{\"value\":\"b.example\"}]",
      "t: invalid JSON at line 2: expected ',' or ']' after an element" },
    { "[{\"value\":\"a.example\"}] trailing",
      "t: invalid JSON at line 1: data after the array" },
    { "[{\"value\":\"a.example\"},", "t: line 1: the array is not closed" },
    { "value\n1.2.3.4\n",
      "t: not JSON indicators: expected an array of objects or one object a "
      "line" },
    { "[\"\xff\"]",
      "t: invalid JSON at line 1: unable to decode byte 0xff near '\"'" },
};

static void test_json_unusable_documents_fail(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(json_fatal_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(read_into(&c, IO_FORMAT_JSON,
                                   json_fatal_cases[i].input,
                                   strlen(json_fatal_cases[i].input), &err),
                         IOCM_EINVAL);
        assert_str(json_fatal_cases[i].input, err.msg,
                   json_fatal_cases[i].message);
        collect_release(&c);
    }
}

static void test_json_huge_fields_are_refused_not_fatal(void **state)
{
    size_t big = 1 << 20;
    char *s = repeat('x', big);
    struct strbuf sb = STRBUF_INIT;
    struct collect c;

    (void)state;
    strbuf_addf(&sb, "{\"value\":\"a.example\",\"description\":\"%s\"}\n", s);
    strbuf_addf(&sb, "{\"value\":\"%s.example\"}\n", s);
    strbuf_addf(&sb, "{\"value\":\"b.example\",\"tags\":[\"%s\"]}\n", s);
    strbuf_addstr(&sb, "{\"value\":\"ok.example\"}\n");
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_JSON, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain ok.example\n");
    assert_str("huge json", c.invalid.buf,
               "line 1: invalid description: longer than 65536 bytes\n"
               "line 2: invalid domain 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': longer than "
               "2048 bytes\n"
               "line 3: invalid tags: a tag longer than 1024 bytes\n");
    collect_release(&c);
    strbuf_release(&sb);
    free(s);
}

/* 100,000 nested arrays (or objects), inside an array or alone. */
static char *deep_json(const char *prefix, char open, char close)
{
    size_t depth = 100000, plen = strlen(prefix);
    char *s = xmalloc(plen + 2 * depth + 2);

    memcpy(s, prefix, plen);
    for (size_t i = 0; i < depth; i++)
        s[plen + i] = open;
    for (size_t i = 0; i < depth; i++)
        s[plen + depth + i] = close;
    s[plen + 2 * depth] = '\0';
    return s;
}

static void test_deep_nesting_fails_cleanly(void **state)
{
    static const struct {
        enum io_format fmt;
        const char *prefix;
        char open, close;
        int rc;
    } cases[] = {
        { IO_FORMAT_JSON, "[", '[', ']', IOCM_EINVAL },
        { IO_FORMAT_JSON, "", '[', ']', IOCM_EINVAL },
        { IO_FORMAT_STIX, "", '[', ']', IOCM_EINVAL },
        { IO_FORMAT_MISP, "", '[', ']', IOCM_EINVAL },
        { IO_FORMAT_TEXT, "", '(', ')', 0 },
        { IO_FORMAT_CSV, "value\n", '"', '"', 0 },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = deep_json(cases[i].prefix, cases[i].open, cases[i].close);
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(read_into(&c, cases[i].fmt, s, strlen(s), &err),
                         cases[i].rc);
        if (cases[i].rc)
            assert_true(contains(err.msg, "maximum parsing depth reached"));
        assert_int_equal(c.nr, 0);
        collect_release(&c);
        free(s);
    }
}

static void test_deep_nesting_in_json_lines_is_one_bad_line(void **state)
{
    char *s = deep_json("{\"value\":\"a.example\"}\n{\"x\":", '[', ']');
    struct strbuf sb = STRBUF_INIT;
    struct collect c;

    (void)state;
    strbuf_addf(&sb, "%s}\n{\"value\":\"b.example\"}\n", s);
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_JSON, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain a.example\ndomain b.example\n");
    assert_true(contains(c.invalid.buf, "line 2: invalid JSON: maximum parsing "
                                        "depth reached"));
    collect_release(&c);
    strbuf_release(&sb);
    free(s);
}

/* Empty input, white space and a byte order mark: no records, no error. */
static void test_empty_input_reads_as_nothing(void **state)
{
    static const char *const inputs[] = { "", "\xef\xbb\xbf", "  \r\n\t" };

    (void)state;
    for (enum io_format f = IO_FORMAT_TEXT; f <= IO_FORMAT_AUTO; f++) {
        for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
            struct iocm_err err = IOCM_ERR_INIT;
            struct collect c;

            collect_init(&c, false);
            assert_int_equal(
                read_into(&c, f, inputs[i], strlen(inputs[i]), &err), 0);
            assert_int_equal(c.nr, 0);
            assert_string_equal(c.invalid.buf, "");
            collect_release(&c);
        }
    }
}

static void test_bom_is_skipped_by_every_reader(void **state)
{
    static const struct {
        enum io_format fmt;
        const char *input;
    } cases[] = {
        { IO_FORMAT_TEXT, "\xef\xbb\xbf"
                          "a.example" },
        { IO_FORMAT_CSV, "\xef\xbb\xbfvalue\na.example\n" },
        { IO_FORMAT_JSON, "\xef\xbb\xbf[{\"value\":\"a.example\"}]" },
        { IO_FORMAT_STIX,
          "\xef\xbb\xbf{\"type\":\"bundle\",\"objects\":[{\"type\":"
          "\"indicator\",\"id\":\"indicator--1\",\"pattern_type\":\"stix\","
          "\"pattern\":\"[domain-name:value = 'a.example']\"}]}" },
        { IO_FORMAT_MISP, "\xef\xbb\xbf{\"Event\":{\"Attribute\":[{\"type\":"
                          "\"domain\",\"value\":\"a.example\"}]}}" },
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;
        int rc;

        collect_init(&c, false);
        rc = read_into(&c, cases[i].fmt, cases[i].input, strlen(cases[i].input),
                       &err);
        if (rc)
            print_error("%s: %s\n", io_format_name(cases[i].fmt), err.msg);
        assert_int_equal(rc, 0);
        assert_str(io_format_name(cases[i].fmt), c.out.buf,
                   "domain a.example\n");
        collect_release(&c);
    }
}

/* ---- STIX patterns ---- */

static const struct {
    const char *pattern;
    const char *want; /* "type value" per term, "-" reason for others;
                         "!" unsupported; "E" message for syntax errors */
} pattern_cases[] = {
    { "[ipv4-addr:value = '198.51.100.7']", "ipv4 198.51.100.7\n" },
    { "[ipv4-addr:value = '198.51.100.0/24']", "cidr 198.51.100.0/24\n" },
    { "[ipv6-addr:value='2001:db8::1']", "ipv6 2001:db8::1\n" },
    { "[domain-name:value = 'evil.example'] OR [url:value = "
      "'http://evil.example/it\\'s']",
      "domain evil.example\nurl http://evil.example/it's\n" },
    { "[email-addr:value = 'a@b.example' OR file:name = 'x.exe']",
      "email a@b.example\nfilename x.exe\n" },
    { "[file:hashes.'SHA-256' = 'abc' OR file:hashes.MD5 = 'def' OR "
      "file:hashes.'SHA-1' = 'g' OR file:hashes.SHA512 = 'h' OR "
      "file:hashes.sha1 = 'i' OR file:hashes.'SSDEEP' = 'j']",
      "sha256 abc\nmd5 def\nsha1 g\nsha512 h\nsha1 i\nssdeep j\n" },
    { "([autonomous-system:number = 64500] OR ([domain-name:value = "
      "'a\\\\b']))",
      "asn AS64500\ndomain a\\b\n" },
    { "[process:name = 'x.exe' OR domain-name:value != 'y.example' OR "
      "url:value MATCHES '^http' OR ipv4-addr:value = 5]",
      "- object path 'process:name' is no indicator\n"
      "- comparison 'domain-name:value !=' is no value\n"
      "- comparison 'url:value MATCHES' is no value\n"
      "- 'ipv4-addr:value' compared with no string\n" },
    { "[domain-name:value NOT = 'a.example' OR file:name IN ('a', 'b') OR "
      "file:extensions.'windows-pebinary-ext'.sections[*].name = 'x']",
      "- comparison 'domain-name:value NOT =' is no value\n"
      "- comparison 'file:name IN' is no value\n"
      "- object path 'file:extensions.windows-pebinary-ext.sections[*].name' "
      "is no indicator\n" },
    { "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8']",
      "! pattern requires several comparisons (AND)\n" },
    { "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']",
      "! pattern requires several observations (AND)\n" },
    { "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [file:name = 'a']",
      "! pattern is a sequence (FOLLOWEDBY)\n" },
    { "[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES WITHIN 60 SECONDS",
      "! pattern has qualifiers (WITHIN, REPEATS, START)\n" },
    { "[file:name = 'a'] START t'2016-06-01T00:00:00Z' STOP "
      "t'2016-07-01T00:00:00Z'",
      "! pattern has qualifiers (WITHIN, REPEATS, START)\n" },
    { "[ipv4-addr:value = '1.2.3.4'", "E invalid pattern: expected ']' at "
                                      "offset 28" },
    { "[ipv4-addr:value = '1.2.3.4]",
      "E invalid pattern: unterminated string at offset 19" },
    { "ipv4-addr:value = '1.2.3.4'", "E invalid pattern: expected '[' at "
                                     "offset 0" },
    { "[ipv4-addr:value = 'a\\b']",
      "E invalid pattern: invalid escape in string at offset 19" },
    { "[ipv4-addr:value = '1' or file:name = 'b']",
      "E invalid pattern: expected ']' at offset 23" },
    { "[ipv4-addr:value = '1'] extra", "E invalid pattern: unexpected text "
                                       "after the pattern at offset 24" },
    { "[ipv4-addr = '1']",
      "E invalid pattern: expected ':' in object path at offset 11" },
    { "", "E invalid pattern: expected '[' at offset 0" },
};

static void test_stix_pattern_parser(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(pattern_cases); i++) {
        struct io_stix_pattern p;
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf got = STRBUF_INIT;

        io_stix_pattern_init(&p);
        if (io_stix_pattern_parse(pattern_cases[i].pattern, &p, &err) < 0) {
            strbuf_addf(&got, "E %s", err.msg);
        } else if (p.unsupported) {
            strbuf_addf(&got, "! %s\n", p.unsupported);
        } else {
            for (size_t k = 0; k < p.nr; k++) {
                const struct io_stix_term *t = &p.terms[k];

                if (t->type == IOC_TYPE_COUNT)
                    strbuf_addf(&got, "- %s\n", t->reason);
                else
                    strbuf_addf(&got, "%s %s\n", ioc_type_name(t->type),
                                t->value);
            }
        }
        assert_str(pattern_cases[i].pattern, got.buf, pattern_cases[i].want);
        strbuf_release(&got);
        io_stix_pattern_release(&p);
    }
}

static void test_stix_pattern_nesting_is_bounded(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct io_stix_pattern p;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (int i = 0; i < 100000; i++)
        strbuf_addch(&sb, '(');
    io_stix_pattern_init(&p);
    assert_int_equal(io_stix_pattern_parse(sb.buf, &p, &err), IOCM_EINVAL);
    assert_true(contains(err.msg, "nested too deeply"));
    io_stix_pattern_release(&p);
    strbuf_release(&sb);
}

static void test_stix_quote_escapes(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    io_stix_quote(&sb, "it's a\\b");
    assert_string_equal(sb.buf, "'it\\'s a\\\\b'");
    strbuf_release(&sb);
}

/* ---- STIX reader ---- */

#define IND(id, rest)                                                          \
    "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" id \
    "\",\"pattern_type\":\"stix\"," rest "}"

static const char stix_bundle[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
    /* TLP by well-known ids, labels, name as description, times. */
    IND("a", "\"pattern\":\"[ipv4-addr:value = '198.51.100.7'] OR "
             "[domain-name:value = 'Evil.Example']\","
             "\"name\":\"C2 of X\",\"confidence\":85,"
             "\"labels\":[\"APT-X\",\"c2\"],"
             "\"created\":\"2026-01-01T00:00:00.000Z\","
             "\"modified\":\"2026-01-02T00:00:00.000Z\","
             "\"valid_from\":\"2026-01-01T12:00:00Z\","
             "\"valid_until\":\"2026-02-01T00:00:00Z\","
             "\"object_marking_refs\":[\"marking-definition--"
             "34098fce-860f-48ae-8e50-ebd3cc5e41da\"]") ","
    /* The most restrictive of several markings; custom TLP 2.0 marking. */
    IND("b", "\"pattern\":\"[url:value = 'http://x.example/a']\","
             "\"description\":\"landing page\",\"name\":\"n\","
             "\"valid_from\":\"2026-01-03T00:00:00Z\","
             "\"created_by_ref\":\"identity--org\","
             "\"object_marking_refs\":[\"marking-definition--"
             "94868c89-83c2-464b-929b-a1a8aa3c8487\","
             "\"marking-definition--custom2\"]") ","
    /* TLP 1.0 marking object of the bundle; our custom properties. */
    IND("c",
        "\"pattern\":\"[file:hashes.'SHA-256' = "
        "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855'"
        "]\",\"name\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
        "95991b7852b855\",\"valid_from\":\"2026-01-04T00:00:00Z\","
        "\"x_iocm_severity\":\"critical\",\"x_iocm_source\":\"ours\","
        "\"x_iocm_last_seen\":\"2026-01-05T00:00:00Z\","
        "\"x_iocm_expires_at\":\"2026-01-03T00:00:00Z\","
        "\"object_marking_refs\":[\"marking-definition--custom1\"]") "," IND("d",
                                                                             "\"pattern\":\"[ipv4-addr:value = '1.2.3.4' AND "
                                                                             "ipv4-addr:value = '5.6.7.8']\",\"valid_from\":\"2026-01-01T00:00:00Z\"") "," IND("e",
                                                                                                                                                               "\"pattern\":\"[process:name = 'evil.exe' OR "
                                                                                                                                                               "email-addr:value = 'x@evil.example']\","
                                                                                                                                                               "\"valid_from\":\"2026-01-01T00:00:00Z\"") "," IND("f",
                                                                                                                                                                                                                  "\"pattern\":\"[ipv4-addr:value = '1.2.3.4'\","
                                                                                                                                                                                                                  "\"valid_from\":\"2026-01-01T00:00:00Z\"") "," IND("g", "\"pattern\":\"[ipv4-addr:value = '1.2.3.999']\","
                                                                                                                                                                                                                                                                          "\"valid_from\":\"2026-01-01T00:00:00Z\"") ","
                                                                                                                                                                                                                                                                                                                     "{\"type\":\"indicator\",\"id\":\"indicator--h\",\"pattern_type\":"
                                                                                                                                                                                                                                                                                                                     "\"yara\",\"pattern\":\"rule x {}\"}," IND(
                                                                                                                                                                                                                                                                                                                         "i", "\"pattern\":\"[domain-name:value = 'gone.example']\","
                                                                                                                                                                                                                                                                                                                              "\"revoked\":true") "," IND("j", "\"pattern\":\"[domain-name:value = 'conf.example']\","
                                                                                                                                                                                                                                                                                                                                                               "\"confidence\":101") ","
                                                                                                                                                                                                                                                                                                                                                                                     "{\"type\":\"malware\",\"id\":\"malware--k\",\"name\":\"X\"},"
                                                                                                                                                                                                                                                                                                                                                                                     "{\"type\":\"vulnerability\",\"id\":\"vulnerability--l\","
                                                                                                                                                                                                                                                                                                                                                                                     "\"name\":\"Log4Shell\",\"created\":\"2026-01-06T00:00:00.000Z\","
                                                                                                                                                                                                                                                                                                                                                                                     "\"external_references\":[{\"source_name\":\"cve\","
                                                                                                                                                                                                                                                                                                                                                                                     "\"external_id\":\"CVE-2021-44228\"}]},"
                                                                                                                                                                                                                                                                                                                                                                                     "{\"type\":\"identity\",\"id\":\"identity--org\",\"name\":\"ACME CERT\"},"
                                                                                                                                                                                                                                                                                                                                                                                     "{\"type\":\"marking-definition\",\"id\":\"marking-definition--custom1\","
                                                                                                                                                                                                                                                                                                                                                                                     "\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}},"
                                                                                                                                                                                                                                                                                                                                                                                     "{\"type\":\"marking-definition\",\"id\":\"marking-definition--custom2\","
                                                                                                                                                                                                                                                                                                                                                                                     "\"name\":\"TLP:AMBER+STRICT\",\"extensions\":{\"extension-definition--"
                                                                                                                                                                                                                                                                                                                                                                                     "60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":{\"extension_type\":"
                                                                                                                                                                                                                                                                                                                                                                                     "\"property-extension\",\"tlp_2_0\":\"amber+strict\"}}},"
                                                                                                                                                                                                                                                                                                                                                                                     "42]}";

static void test_stix_reads_indicators(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct collect c;

    (void)state;
    collect_init(&c, true);
    assert_int_equal(
        read_into(&c, IO_FORMAT_STIX, stix_bundle, strlen(stix_bundle), &err),
        0);
    assert_str(
        "stix", c.out.buf,
        "ipv4 198.51.100.7 conf=85 tlp=GREEN desc=C2 of X tags=apt-x,c2 "
        "fs=2026-01-01T12:00:00Z exp=2026-02-01T00:00:00Z "
        "ca=2026-01-01T00:00:00Z\n"
        "domain evil.example conf=85 tlp=GREEN desc=C2 of X tags=apt-x,c2 "
        "fs=2026-01-01T12:00:00Z exp=2026-02-01T00:00:00Z "
        "ca=2026-01-01T00:00:00Z\n"
        "url http://x.example/a tlp=AMBER+STRICT src=ACME CERT "
        "desc=landing page fs=2026-01-03T00:00:00Z\n"
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        " sev=critical tlp=RED src=ours fs=2026-01-04T00:00:00Z "
        "ls=2026-01-05T00:00:00Z exp=2026-01-03T00:00:00Z\n"
        "email x@evil.example fs=2026-01-01T00:00:00Z\n"
        "cve CVE-2021-44228 fs=2026-01-06T00:00:00Z ca=2026-01-06T00:00:00Z\n");
    assert_str("stix invalid", c.invalid.buf,
               "indicator--f: invalid pattern: expected ']' at offset 28\n"
               "indicator--g: invalid ipv4 '1.2.3.999': octet out of range\n"
               "indicator--j: invalid confidence: expected an integer from 0 "
               "to 100\n"
               "object 16: not a STIX object\n");
    assert_str("stix skipped", c.skipped.buf,
               "indicator--d: pattern requires several comparisons (AND): "
               "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = "
               "'5.6.7.8']\n"
               "indicator--e: object path 'process:name' is no indicator\n"
               "indicator--h: pattern_type 'yara' is not read\n"
               "indicator--i: revoked\n"
               "malware--k: not an indicator (type 'malware')\n");
    collect_release(&c);
}

static const struct {
    const char *input;
    const char *message;
} stix_fatal_cases[] = {
    { "{\"type\":\"report\"}",
      "t: not a STIX bundle: expected an object with \"type\": \"bundle\"" },
    { "{\"type\":\"bundle\",\"objects\":{}}",
      "t: invalid STIX bundle: objects is no array" },
    { "{\"type\":\"bundle\",", "t: invalid JSON at line 1: string or '}' "
                               "expected near end of file" },
    { "{\"type\":\"bundle\",\"type\":\"bundle\"}",
      "t: invalid JSON at line 1: duplicate object key near '\"type\"'" },
    { "{\"type\":\"bundle\",\"id\":\"\xc3\x28\"}",
      "t: invalid JSON at line 1: unable to decode byte 0xc3 near '\"'" },
};

static void test_stix_unusable_documents_fail(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(stix_fatal_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(read_into(&c, IO_FORMAT_STIX,
                                   stix_fatal_cases[i].input,
                                   strlen(stix_fatal_cases[i].input), &err),
                         IOCM_EINVAL);
        assert_str(stix_fatal_cases[i].input, err.msg,
                   stix_fatal_cases[i].message);
        collect_release(&c);
    }
}

static void test_stix_huge_pattern_is_invalid_not_fatal(void **state)
{
    size_t big = 1 << 20;
    char *s = repeat('a', big);
    struct strbuf sb = STRBUF_INIT;
    struct collect c;

    (void)state;
    strbuf_addf(
        &sb,
        "[" IND("a", "\"pattern\":\"[domain-name:value = '%s.com']\"") "," IND(
            "b", "\"pattern\":\"[domain-name:value = "
                 "'ok.example']\"") "]",
        s);
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_STIX, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain ok.example\n");
    assert_true(contains(c.invalid.buf, "indicator--a: invalid domain"));
    collect_release(&c);
    strbuf_release(&sb);
    free(s);
}

/* ---- MISP reader ---- */

#define ATTR(uuid, type, value, rest)                                          \
    "{\"uuid\":\"" uuid "\",\"type\":\"" type "\",\"value\":\"" value          \
    "\",\"to_ids\":true" rest "}"

static const char misp_event
    [] = "{\"Event\":{\"info\":\"Campaign X\",\"threat_level_id\":\"1\","
         "\"Orgc\":{\"name\":\"CIRCL\"},"
         "\"Tag\":[{\"name\":\"tlp:amber\"},{\"name\":\"Campaign:X\"}],"
         "\"Attribute\":[" ATTR("a1", "ip-dst", "198.51.100.7",
                                ",\"comment\":\"c2\",\"timestamp\":\"1767225600\","
                                "\"first_seen\":\"2026-01-02T00:00:00.000000+00:00\","
                                "\"last_seen\":\"2026-01-03T00:00:00.000000+00:00\"") "," ATTR("a2",
                                                                                               "ip-src|port",
                                                                                               "2001:db8::1|443",
                                                                                               ",\"Tag\":[{\"name\":\"tlp:red\"},{\"name\":\"iocm:severity=\\\"low\\\"\"},"
                                                                                               "{\"name\":\"iocm:confidence=\\\"40\\\"\"},"
                                                                                               "{\"name\":\"iocm:source=\\\"Feed \\\\\\\"Q\\\\\\\"\\\"\"},"
                                                                                               "{\"name\":\"iocm:expires_at=\\\"2026-03-01T00:00:00Z\\\"\"}]") ","
                                                                                                                                                               "{\"uuid\":\"a3\",\"type\":\"domain|ip\",\"value\":"
                                                                                                                                                               "\"evil.example|203.0.113.0/24\",\"to_ids\":false}," ATTR("a4",
                                                                                                                                                                                                                         "filename|sha256",
                                                                                                                                                                                                                         "drop.exe|"
                                                                                                                                                                                                                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                                                                                                                                                                                                                         "") "," ATTR("a5", "vulnerability", "cve-2021-44228", "") "," ATTR("a6",
                                                                                                                                                                                                                                                                                            "AS",
                                                                                                                                                                                                                                                                                            "64500", "") "," ATTR("a7",
                                                                                                                                                                                                                                                                                                                  "regkey", "HKLM\\\\Software\\\\X", "") "," ATTR("a8",
                                                                                                                                                                                                                                                                                                                                                                  "url",
                                                                                                                                                                                                                                                                                                                                                                  "http://x.example/a", ",\"deleted\":true") "," ATTR("a9",
                                                                                                                                                                                                                                                                                                                                                                                                                      "ip-dst",
                                                                                                                                                                                                                                                                                                                                                                                                                      "evil.example",
                                                                                                                                                                                                                                                                                                                                                                                                                      "") "," ATTR("a10",
                                                                                                                                                                                                                                                                                                                                                                                                                                   "uri",
                                                                                                                                                                                                                                                                                                                                                                                                                                   "/just/a/path", "") "," ATTR("a11",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                "email-src",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                "Sender@Evil.Example", "") "," ATTR("a12",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                    "hostname|port", "mail.evil.example|25", "") "," ATTR("a13",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "domain|ip",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "no-bar.example",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                          "") "," ATTR("a14",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "md5",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                       "D41D8CD98F00B204E9800998ECF8427E", ",\"Tag\":[{\"name\":\"iocm:severity=\\\"urgent\\\"\"}]") "],"
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                     "\"Object\":[{\"name\":\"file\",\"Attribute\":[" ATTR(
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "o1",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "ssdeep", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", "") ","
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "{\"type\":\"link\",\"value\":\"https://blog.example/report\"}]}]}}";

static void test_misp_reads_attributes(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct collect c;

    (void)state;
    collect_init(&c, true);
    assert_int_equal(
        read_into(&c, IO_FORMAT_MISP, misp_event, strlen(misp_event), &err), 0);
    assert_str(
        "misp", c.out.buf,
        "ipv4 198.51.100.7 sev=high tlp=AMBER src=CIRCL desc=c2 tags=campaign:x "
        "fs=2026-01-02T00:00:00Z ls=2026-01-03T00:00:00Z\n"
        "ipv6 2001:db8::1 sev=low conf=40 tlp=RED src=Feed \\\"Q\\\" "
        "tags=campaign:x exp=2026-03-01T00:00:00Z\n"
        "domain evil.example sev=high tlp=AMBER src=CIRCL "
        "tags=campaign:x,misp:to_ids=false\n"
        "cidr 203.0.113.0/24 sev=high tlp=AMBER src=CIRCL "
        "tags=campaign:x,misp:to_ids=false\n"
        "filename drop.exe sev=high tlp=AMBER src=CIRCL tags=campaign:x\n"
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        " sev=high tlp=AMBER src=CIRCL tags=campaign:x\n"
        "cve CVE-2021-44228 sev=high tlp=AMBER src=CIRCL tags=campaign:x\n"
        "asn AS64500 sev=high tlp=AMBER src=CIRCL tags=campaign:x\n"
        "email Sender@evil.example sev=high tlp=AMBER src=CIRCL "
        "tags=campaign:x\n"
        "domain mail.evil.example sev=high tlp=AMBER src=CIRCL "
        "tags=campaign:x\n"
        "ssdeep 3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C sev=high tlp=AMBER "
        "src=CIRCL tags=campaign:x\n");
    assert_str("misp invalid", c.invalid.buf,
               "attribute a9: invalid ipv4 'evil.example': invalid character "
               "'e'\n"
               "attribute a13: invalid domain|ip 'no-bar.example': expected "
               "two values separated by '|'\n"
               "attribute a14: invalid severity 'urgent': expected one of "
               "low, medium, high, critical\n");
    assert_str("misp skipped", c.skipped.buf,
               "attribute a7: attribute type 'regkey' is not read\n"
               "attribute a8: deleted\n"
               "attribute a10: uri '/just/a/path' is no absolute URL\n"
               "attribute 16: attribute type 'link' is not read\n");
    collect_release(&c);
}

static const struct {
    const char *name;
    const char *input;
    const char *want;
    const char *invalid;
} misp_shape_cases[] = {
    { "a list of events",
      "[{\"Event\":{\"Attribute\":[{\"type\":\"domain\",\"value\":"
      "\"a.example\"}]}},{\"Event\":{\"Attribute\":[{\"type\":\"domain\","
      "\"value\":\"b.example\"}]}},{\"nothing\":1}]",
      "domain a.example\ndomain b.example\n", "object 3: not a MISP event\n" },
    { "a response list",
      "{\"response\":[{\"Event\":{\"threat_level_id\":3,\"Attribute\":[{"
      "\"type\":\"domain\",\"value\":\"a.example\"}]}}]}",
      "domain a.example sev=low\n", "" },
    { "attributes of a search",
      "{\"response\":{\"Attribute\":[{\"type\":\"sha1\",\"value\":"
      "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\",\"timestamp\":1767225600}"
      "]}}",
      "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709 "
      "fs=2026-01-01T00:00:00Z\n",
      "" },
    { "a bare event; attribute TLP wins, then the most restrictive",
      "{\"info\":\"x\",\"Tag\":[\"tlp:red\"],\"Attribute\":[{\"type\":"
      "\"domain\",\"value\":\"a.example\",\"Tag\":[{\"name\":\"tlp:green\"},"
      "{\"name\":\"TLP:WHITE\"}]},{\"type\":\"url\",\"value\":"
      "\"http://a.example/\",\"to_ids\":\"0\"}]}",
      "domain a.example tlp=GREEN\n"
      "url http://a.example/ tlp=RED tags=misp:to_ids=false\n",
      "" },
    { "malformed attributes",
      "{\"Event\":{\"Attribute\":[{\"type\":\"domain\"},7,{\"type\":\"md5\","
      "\"value\":\"abc\",\"first_seen\":\"soon\"}]}}",
      "",
      "attribute 1: not a MISP attribute with type and value\n"
      "attribute 2: not a MISP attribute with type and value\n"
      "attribute 3: first_seen: invalid time 'soon': expected ISO 8601 such "
      "as 2026-12-04T08:00:00Z\n" },
};

static void test_misp_reads_every_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(misp_shape_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;
        int rc;

        collect_init(&c, true);
        rc = read_into(&c, IO_FORMAT_MISP, misp_shape_cases[i].input,
                       strlen(misp_shape_cases[i].input), &err);
        if (rc)
            print_error("case '%s': %s\n", misp_shape_cases[i].name, err.msg);
        assert_int_equal(rc, 0);
        assert_str(misp_shape_cases[i].name, c.out.buf,
                   misp_shape_cases[i].want);
        assert_str(misp_shape_cases[i].name, c.invalid.buf,
                   misp_shape_cases[i].invalid);
        collect_release(&c);
    }
}

static void test_misp_unusable_documents_fail(void **state)
{
    static const char *const inputs[] = {
        "{\"info\":\"no attributes\"}",
        "\"just a string\"",
        "{\"Event\":",
        "[{\"Event\":{}},{\"Event\":{},\"Event\":{}}]",
        "{\"Event\":{\"info\":\"\xff\",\"Attribute\":[]}}",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;

        collect_init(&c, false);
        assert_int_equal(
            read_into(&c, IO_FORMAT_MISP, inputs[i], strlen(inputs[i]), &err),
            IOCM_EINVAL);
        assert_true(contains(err.msg, "t: "));
        assert_int_equal(c.nr, 0);
        collect_release(&c);
    }
}

static void test_misp_huge_value_is_invalid_not_fatal(void **state)
{
    size_t big = 1 << 20;
    char *s = repeat('a', big);
    struct strbuf sb = STRBUF_INIT;
    struct collect c;

    (void)state;
    strbuf_addf(&sb,
                "{\"Event\":{\"Attribute\":[" ATTR(
                    "big", "url", "http://x.example/%s",
                    "") "," ATTR("ok", "domain", "ok.example", "") "]}}",
                s);
    collect_init(&c, false);
    assert_int_equal(read_into(&c, IO_FORMAT_MISP, sb.buf, sb.len, NULL), 0);
    assert_string_equal(c.out.buf, "domain ok.example\n");
    assert_true(contains(c.invalid.buf, "attribute big: invalid url"));
    collect_release(&c);
    strbuf_release(&sb);
    free(s);
}

/* ---- writers ---- */

/* Writes recs in fmt into a memory stream; returns the text (caller
 * frees). */
static char *write_all(enum io_format fmt, const struct ioc *recs, size_t n,
                       bool is_defanged)
{
    struct io_export_options opts = { is_defanged, T0 };
    struct iocm_err err = IOCM_ERR_INIT;
    struct io_writer *w = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int rc;

    assert_non_null(fp);
    rc = io_writer_new(fmt, fp, &opts, &w, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = io_writer_write(w, &recs[i], &err);
    if (rc == 0)
        rc = io_writer_finish(w, &err);
    if (rc)
        print_error("%s writer: %s\n", io_format_name(fmt), err.msg);
    assert_int_equal(rc, 0);
    io_writer_free(w);
    fclose(fp);
    return buf;
}

/* A record of every type, with fields set and unset in turn, and the
 * characters that need quoting or escaping in each format. */
static const struct {
    enum ioc_type type;
    const char *value;
} sample_values[] = {
    { IOC_TYPE_IPV4, "198.51.100.7" },
    { IOC_TYPE_IPV6, "2001:db8::1" },
    { IOC_TYPE_CIDR, "203.0.113.0/24" },
    { IOC_TYPE_CIDR, "2001:db8::/32" },
    { IOC_TYPE_DOMAIN, "xn--mnchen-3ya.example" },
    { IOC_TYPE_URL, "https://evil.example/it's/a,b?q=\"1\"#x" },
    { IOC_TYPE_EMAIL, "Phish@evil.example" },
    { IOC_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e" },
    { IOC_TYPE_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
    { IOC_TYPE_SHA256,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { IOC_TYPE_SHA512,
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
    { IOC_TYPE_SSDEEP, "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C" },
    { IOC_TYPE_CVE, "CVE-2021-44228" },
    { IOC_TYPE_ASN, "AS64500" },
    { IOC_TYPE_FILENAME, "in voice, \"final\".pdf.exe" },
};

static const char *const sample_descriptions[] = {
    NULL,
    "plain",
    "comma, \"quotes\" and\nnew line",
    " padded ",
    "caf\xc3\xa9 \xe2\x80\x94 unicode; semi",
};

static struct ioc *sample_records(size_t *n)
{
    struct ioc *recs = xcalloc(ARRAY_SIZE(sample_values), sizeof(*recs));

    for (size_t i = 0; i < ARRAY_SIZE(sample_values); i++) {
        struct ioc *r = &recs[i];

        ioc_init(r);
        r->type = sample_values[i].type;
        r->value = xstrdup(sample_values[i].value);
        r->severity = (enum ioc_severity)(i % 5);
        r->confidence = i % 3 ? (int)(i * 7) : -1;
        r->tlp = (enum tlp)((int)(i % 6) - 1);
        r->source =
            i % 4 ? xstrdup(i % 2 ? "Feed \"Q\", inc" : "abuse.ch") : NULL;
        r->description =
            xstrdup(sample_descriptions[i % ARRAY_SIZE(sample_descriptions)]);
        if (i % 3 == 1) {
            strvec_push(&r->tags, "apt-x");
            strvec_push(&r->tags, "c2");
        }
        if (i == 4)
            strvec_push(&r->tags, "misp:to_ids=false");
        r->first_seen = T0 - 86400 * (int64_t)(i + 1);
        r->last_seen = i % 2 ? T0 : 0;
        /* Before first_seen now and then: STIX's valid_until cannot be. */
        r->expires_at = i % 3 == 2 ? T0 - 86400 * 30 : i % 3 ? T0 + 86400 : 0;
        r->created_at = T0 - 3600;
        r->updated_at = T0;
        r->created_by = xstrdup("alice");
    }
    *n = ARRAY_SIZE(sample_values);
    return recs;
}

static void free_records(struct ioc *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ioc_release(&recs[i]);
    free(recs);
}

static void assert_same_tags(const struct ioc *a, const struct ioc *b)
{
    assert_int_equal(a->tags.nr, b->tags.nr);
    for (size_t i = 0; i < a->tags.nr; i++)
        assert_string_equal(a->tags.v[i], b->tags.v[i]);
}

static void assert_same_string(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void test_round_trips_keep_every_field(void **state)
{
    static const enum io_format formats[] = {
        IO_FORMAT_CSV,
        IO_FORMAT_JSON,
        IO_FORMAT_STIX,
        IO_FORMAT_MISP,
    };
    size_t n;
    struct ioc *recs = sample_records(&n);

    (void)state;
    for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
        char *text = write_all(formats[f], recs, n, false);
        struct iocm_err err = IOCM_ERR_INIT;
        struct collect c;
        int rc;

        collect_init(&c, false);
        rc = read_into(&c, formats[f], text, strlen(text), &err);
        if (rc || c.invalid.len || c.skipped.len || c.nr != n)
            print_error("%s: %s\n%s%s%s", io_format_name(formats[f]), err.msg,
                        c.invalid.buf, c.skipped.buf, text);
        assert_int_equal(rc, 0);
        assert_int_equal(c.nr, n);
        for (size_t i = 0; i < n; i++) {
            const struct ioc *a = &recs[i], *b = &c.recs[i];

            assert_int_equal(a->type, b->type);
            assert_string_equal(a->value, b->value);
            assert_int_equal(a->severity, b->severity);
            assert_int_equal(a->confidence, b->confidence);
            assert_int_equal(a->tlp, b->tlp);
            assert_same_string(a->source, b->source);
            assert_same_string(a->description, b->description);
            assert_same_tags(a, b);
            assert_int_equal(a->first_seen, b->first_seen);
            assert_int_equal(a->last_seen, b->last_seen);
            assert_int_equal(a->expires_at, b->expires_at);
            if (formats[f] == IO_FORMAT_CSV || formats[f] == IO_FORMAT_JSON) {
                assert_int_equal(a->created_at, b->created_at);
                assert_same_string(a->created_by, b->created_by);
            }
        }
        collect_release(&c);
        free(text);
    }
    free_records(recs, n);
}

static void test_csv_writer_quotes_per_rfc4180(void **state)
{
    size_t n;
    struct ioc *recs = sample_records(&n);
    char *text = write_all(IO_FORMAT_CSV, recs + 2, 4, false);

    (void)state;
    assert_str("csv", text,
               "value,type,severity,confidence,tlp,source,tags,description,"
               "first_seen,last_seen,expires_at,created_at,created_by\r\n"
               "203.0.113.0/24,cidr,medium,14,GREEN,abuse.ch,,"
               "\"comma, \"\"quotes\"\" and\nnew line\","
               "2025-12-29T00:00:00Z,,2025-12-02T00:00:00Z,"
               "2025-12-31T23:00:00Z,alice\r\n"
               "2001:db8::/32,cidr,high,,AMBER,\"Feed \"\"Q\"\", inc\","
               ",\" padded \",2025-12-28T00:00:00Z,"
               "2026-01-01T00:00:00Z,,2025-12-31T23:00:00Z,alice\r\n"
               "xn--mnchen-3ya.example,domain,critical,28,AMBER+STRICT,,"
               "apt-x;c2;misp:to_ids=false,"
               "caf\xc3\xa9 \xe2\x80\x94 unicode; semi,2025-12-27T00:00:00Z,,"
               "2026-01-02T00:00:00Z,2025-12-31T23:00:00Z,alice\r\n"
               "\"https://evil.example/it's/a,b?q=\"\"1\"\"#x\",url,,35,RED,"
               "\"Feed \"\"Q\"\", inc\",,,2025-12-26T00:00:00Z,"
               "2026-01-01T00:00:00Z,2025-12-02T00:00:00Z,"
               "2025-12-31T23:00:00Z,alice\r\n");
    free(text);
    free_records(recs, n);
}

static void test_json_writer_streams_an_array(void **state)
{
    size_t n;
    struct ioc *recs = sample_records(&n);
    char *empty = write_all(IO_FORMAT_JSON, recs, 0, false);
    char *text = write_all(IO_FORMAT_JSON, recs, 2, false);

    (void)state;
    assert_string_equal(empty, "[]\n");
    assert_str(
        "json", text,
        "[\n"
        "{\"value\":\"198.51.100.7\",\"type\":\"ipv4\","
        "\"first_seen\":\"2025-12-31T00:00:00Z\","
        "\"created_at\":\"2025-12-31T23:00:00Z\","
        "\"created_by\":\"alice\"},\n"
        "{\"value\":\"2001:db8::1\",\"type\":\"ipv6\",\"severity\":"
        "\"low\",\"confidence\":7,\"tlp\":\"CLEAR\",\"source\":"
        "\"Feed \\\"Q\\\", inc\",\"tags\":[\"apt-x\",\"c2\"],"
        "\"description\":\"plain\",\"first_seen\":"
        "\"2025-12-30T00:00:00Z\",\"last_seen\":\"2026-01-01T00:00:00Z\","
        "\"expires_at\":\"2026-01-02T00:00:00Z\",\"created_at\":"
        "\"2025-12-31T23:00:00Z\",\"created_by\":\"alice\"}\n"
        "]\n");
    free(text);
    free(empty);
    free_records(recs, n);
}

/* The store gives "" for a text never set: writers leave it out as they
 * leave out NULL, not as "source": "" or an iocm:source="" tag. */
static void test_writers_leave_out_empty_texts(void **state)
{
    static const enum io_format formats[] = { IO_FORMAT_JSON, IO_FORMAT_STIX,
                                              IO_FORMAT_MISP };
    static const char *const absent[] = {
        "\"source\"",    "\"description\"",   "\"created_by\"",
        "x_iocm_source", "x_iocm_created_by", "iocm:source"
    };
    struct ioc rec;

    (void)state;
    ioc_init(&rec);
    rec.type = IOC_TYPE_DOMAIN;
    rec.value = xstrdup("empty-texts.example");
    rec.source = xstrdup("");
    rec.description = xstrdup("");
    rec.created_by = xstrdup("");
    rec.first_seen = T0;
    for (size_t f = 0; f < ARRAY_SIZE(formats); f++) {
        char *text = write_all(formats[f], &rec, 1, false);

        assert_non_null(strstr(text, "empty-texts.example"));
        for (size_t i = 0; i < ARRAY_SIZE(absent); i++) {
            if (strstr(text, absent[i]))
                print_error("%s: %s in:\n%s\n", io_format_name(formats[f]),
                            absent[i], text);
            assert_null(strstr(text, absent[i]));
        }
        free(text);
    }
    ioc_release(&rec);
}

static void test_text_writer_one_value_a_line(void **state)
{
    size_t n;
    struct ioc *recs = sample_records(&n);
    char *plain = write_all(IO_FORMAT_TEXT, recs, 2, false);
    char *defanged = write_all(IO_FORMAT_TEXT, recs, 2, true);

    (void)state;
    assert_string_equal(plain, "198.51.100.7\n2001:db8::1\n");
    assert_string_equal(defanged, "198[.]51[.]100[.]7\n2001[:]db8[:][:]1\n");
    free(defanged);
    free(plain);
    free_records(recs, n);
}

static void test_stix_export_is_deterministic(void **state)
{
    size_t n;
    struct ioc *recs = sample_records(&n);
    struct ioc *reversed = xcalloc(n, sizeof(*reversed));
    char *a = write_all(IO_FORMAT_STIX, recs, n, false);
    char *b = write_all(IO_FORMAT_STIX, recs, n, false);
    char *empty = write_all(IO_FORMAT_STIX, recs, 0, false);
    char *r, *id_a, *id_r;
    json_t *bundle;
    json_error_t jerr;

    (void)state;
    assert_string_equal(a, b);
    /* The bundle id does not depend on the order of the records. */
    for (size_t i = 0; i < n; i++)
        reversed[i] = recs[n - 1 - i];
    r = write_all(IO_FORMAT_STIX, reversed, n, false);
    id_a = strstr(a, "\"id\":\"bundle--");
    id_r = strstr(r, "\"id\":\"bundle--");
    assert_non_null(id_a);
    assert_non_null(id_r);
    assert_memory_equal(id_a, id_r, 50);
    /* One object per record and a marking definition per TLP used. */
    bundle = json_loads(a, 0, &jerr);
    assert_non_null(bundle);
    assert_int_equal(json_array_size(json_object_get(bundle, "objects")),
                     n + 5);
    json_decref(bundle);
    assert_string_equal(empty, "{\"type\":\"bundle\",\"id\":\"bundle--"
                               "238349ba-de98-5f9d-a1a7-67320371c21e\"}\n");
    free(empty);
    free(r);
    free(b);
    free(a);
    free(reversed);
    free_records(recs, n);
}

static void test_misp_export_is_one_event(void **state)
{
    size_t n;
    struct ioc *recs = sample_records(&n);
    char *text = write_all(IO_FORMAT_MISP, recs, n, false);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    json_t *event, *attrs, *a4;

    (void)state;
    assert_non_null(doc);
    event = json_object_get(doc, "Event");
    assert_string_equal(json_string_value(json_object_get(event, "date")),
                        "2026-01-01");
    assert_non_null(json_string_value(json_object_get(event, "uuid")));
    attrs = json_object_get(event, "Attribute");
    assert_int_equal(json_array_size(attrs), n);
    a4 = json_array_get(attrs, 4);
    assert_string_equal(json_string_value(json_object_get(a4, "type")),
                        "domain");
    assert_true(json_is_false(json_object_get(a4, "to_ids")));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(attrs, 13), "type")),
        "AS");
    json_decref(doc);
    free(text);
    free_records(recs, n);
}

static void test_writer_reports_write_errors(void **state)
{
    struct io_export_options opts = { false, T0 };
    struct iocm_err err = IOCM_ERR_INIT;
    struct io_writer *w = NULL;
    size_t n;
    struct ioc *recs = sample_records(&n);
    FILE *fp = fopen("/dev/full", "w");
    int rc = 0;

    (void)state;
    if (!fp) {
        free_records(recs, n);
        skip();
    }
    assert_int_equal(io_writer_new(IO_FORMAT_CSV, fp, &opts, &w, &err), 0);
    for (size_t i = 0; rc == 0 && i < 20000; i++)
        rc = io_writer_write(w, &recs[i % n], &err);
    if (rc == 0)
        rc = io_writer_finish(w, &err);
    assert_int_equal(rc, IOCM_EIO);
    assert_true(contains(err.msg, "cannot write the csv export"));
    io_writer_free(w);
    fclose(fp);
    assert_int_equal(io_writer_new(IO_FORMAT_AUTO, stdout, &opts, &w, &err),
                     IOCM_EINVAL);
    assert_null(w);
    free_records(recs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names_parse_both_ways),
        cmocka_unit_test(test_detect_format_from_first_bytes),
        cmocka_unit_test(test_auto_reads_the_detected_format),
        cmocka_unit_test(test_uuid5_matches_rfc4122),
        cmocka_unit_test(test_text_extracts_indicators),
        cmocka_unit_test(test_text_delivers_repeats_once_within_its_window),
        cmocka_unit_test(test_text_reports_defanged_values_that_fail),
        cmocka_unit_test(test_text_golden_files),
        cmocka_unit_test(test_text_survives_hostile_input),
        cmocka_unit_test(test_text_handler_can_stop_the_read),
        cmocka_unit_test(test_csv_reads_rows),
        cmocka_unit_test(test_csv_without_value_column_is_refused),
        cmocka_unit_test(test_csv_huge_fields_are_refused_not_fatal),
        cmocka_unit_test(test_warnings_are_bounded),
        cmocka_unit_test(test_reports_are_utf8_even_cut_short),
        cmocka_unit_test(test_json_reads_objects),
        cmocka_unit_test(test_json_unusable_documents_fail),
        cmocka_unit_test(test_json_huge_fields_are_refused_not_fatal),
        cmocka_unit_test(test_deep_nesting_fails_cleanly),
        cmocka_unit_test(test_deep_nesting_in_json_lines_is_one_bad_line),
        cmocka_unit_test(test_empty_input_reads_as_nothing),
        cmocka_unit_test(test_bom_is_skipped_by_every_reader),
        cmocka_unit_test(test_stix_pattern_parser),
        cmocka_unit_test(test_stix_pattern_nesting_is_bounded),
        cmocka_unit_test(test_stix_quote_escapes),
        cmocka_unit_test(test_stix_reads_indicators),
        cmocka_unit_test(test_stix_unusable_documents_fail),
        cmocka_unit_test(test_stix_huge_pattern_is_invalid_not_fatal),
        cmocka_unit_test(test_misp_reads_attributes),
        cmocka_unit_test(test_misp_reads_every_shape),
        cmocka_unit_test(test_misp_unusable_documents_fail),
        cmocka_unit_test(test_misp_huge_value_is_invalid_not_fatal),
        cmocka_unit_test(test_round_trips_keep_every_field),
        cmocka_unit_test(test_csv_writer_quotes_per_rfc4180),
        cmocka_unit_test(test_json_writer_streams_an_array),
        cmocka_unit_test(test_text_writer_one_value_a_line),
        cmocka_unit_test(test_writers_leave_out_empty_texts),
        cmocka_unit_test(test_stix_export_is_deterministic),
        cmocka_unit_test(test_misp_export_is_one_event),
        cmocka_unit_test(test_writer_reports_write_errors),
    };

    jsonx_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
