/*
 * Unit tests for mail/: address checks and recipient lists, refusal of
 * CR/LF in headers, RFC 2047 subjects and folding, the Date and Message-ID
 * formats, and the bytes of a built message (text part then HTML part,
 * both UTF-8 quoted-printable). No server is involved: delivery is tested
 * against a real SMTP server in test_mail_smtp.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "mail/mail.h"
#include "mail/mail_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const struct {
    const char *input;
    const char *name; /* expected display name, NULL for none */
    const char *addr; /* expected address; NULL: must be refused */
    const char *why;  /* part of the refusal message */
} address_cases[] = {
    { "alice@example.com", NULL, "alice@example.com", NULL },
    { "  Alice <alice@example.com>  ", "Alice", "alice@example.com", NULL },
    { "<bob@example.org>", NULL, "bob@example.org", NULL },
    { "\"Doe, Jane\" <jane@example.com>", "Doe, Jane", "jane@example.com",
      NULL },
    { "\"Say \\\"hi\\\"\" <hi@example.com>", "Say \"hi\"", "hi@example.com",
      NULL },
    { "J\xc3\xb6rg M\xc3\xbcller <jm@example.de>", "J\xc3\xb6rg M\xc3\xbcller",
      "jm@example.de", NULL },
    { "first.last+tag@sub.example.co.uk", NULL,
      "first.last+tag@sub.example.co.uk", NULL },
    { "o'brien@example.ie", NULL, "o'brien@example.ie", NULL },
    { "root@localhost", NULL, "root@localhost", NULL },
    { "x@a-b.example", NULL, "x@a-b.example", NULL },
    { "alice", NULL, NULL, "missing '@'" },
    { "alice@", NULL, NULL, "invalid domain" },
    { "@example.com", NULL, NULL, "empty local part" },
    { "alice@example", NULL, NULL, "domain needs a dot" },
    { "alice@-example.com", NULL, NULL, "invalid domain" },
    { "alice@example-.com", NULL, NULL, "invalid domain" },
    { "alice@exa_mple.com", NULL, NULL, "invalid domain" },
    { "alice@example..com", NULL, NULL, "invalid domain" },
    { "alice@10.0.0.1", NULL, NULL, "invalid domain" },
    { "alice@ex\xc3\xa4mple.com", NULL, NULL, "invalid domain" },
    { "alice..b@example.com", NULL, NULL, "two dots" },
    { ".alice@example.com", NULL, NULL, "starts or ends with a dot" },
    { "ali ce@example.com", NULL, NULL, "invalid character" },
    { "a@b@example.com", NULL, NULL, "invalid character" },
    { "Alice <alice@example.com", NULL, NULL, "'<' without '>'" },
    { "alice@example.com>", NULL, NULL, "'>' without '<'" },
    { "Alice \"x\" <a@example.com>", NULL, NULL, "quote" },
    { "\"Alice <a@example.com>", NULL, NULL, "unterminated" },
    { "   ", NULL, NULL, "empty" },
    { "Alice\r\n <a@example.com>", NULL, NULL, "line break" },
    { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "@example.com",
      NULL, NULL, "longer than 64" },
    { "a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      ".com",
      NULL, NULL, "invalid domain" },
};

static void test_address_validation_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(address_cases); i++) {
        struct mail_address a;
        struct iocm_err err = IOCM_ERR_INIT;
        int rc = mail_address_parse(address_cases[i].input, &a, &err);

        if (address_cases[i].addr) {
            if (rc != 0)
                fail_msg("'%s' refused: %s", address_cases[i].input, err.msg);
            assert_string_equal(a.addr, address_cases[i].addr);
            if (address_cases[i].name)
                assert_string_equal(a.name, address_cases[i].name);
            else
                assert_null(a.name);
            mail_address_release(&a);
        } else {
            if (rc != IOCM_EINVAL)
                fail_msg("'%s' accepted", address_cases[i].input);
            assert_null(a.addr);
            assert_non_null(strstr(err.msg, "invalid email address '"));
            if (!strstr(err.msg, address_cases[i].why))
                fail_msg("'%s': message '%s' lacks '%s'",
                         address_cases[i].input, err.msg, address_cases[i].why);
            /* The message is one line even for an input with CR/LF. */
            assert_null(strpbrk(err.msg, "\r\n"));
        }
    }
}

static const struct {
    const char *input;
    const char *addrs; /* the parsed addresses joined with '|' */
} list_cases[] = {
    { "a@x.org, b@y.org", "a@x.org|b@y.org" },
    { "  a@x.org ,b@y.org,, ,", "a@x.org|b@y.org" },
    { "\"Doe, Jane\" <j@x.org>, k@x.org", "j@x.org|k@x.org" },
    { "Ann <a@x.org>,Bo <b@x.org>", "a@x.org|b@x.org" },
    { "", "" },
    { NULL, "" },
};

static void test_recipient_list_parsing(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(list_cases); i++) {
        struct mail_address_list list = MAIL_ADDRESS_LIST_INIT;
        struct strbuf got = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;

        if (mail_address_list_parse(&list, list_cases[i].input, &err) != 0)
            fail_msg("'%s': %s", list_cases[i].input, err.msg);
        for (size_t j = 0; j < list.nr; j++)
            strbuf_addf(&got, "%s%s", j ? "|" : "", list.v[j].addr);
        assert_string_equal(got.buf, list_cases[i].addrs);
        strbuf_release(&got);
        mail_address_list_release(&list);
    }
}

static void test_recipient_list_error_appends_nothing(void **state)
{
    struct mail_address_list list = MAIL_ADDRESS_LIST_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    assert_int_equal(mail_address_list_parse(&list, "keep@x.org", &err), 0);
    assert_int_equal(mail_address_list_parse(
                         &list, "a@x.org, not-an-address, c@x.org", &err),
                     IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "'not-an-address'"));
    assert_int_equal(list.nr, 1);
    assert_string_equal(list.v[0].addr, "keep@x.org");
    mail_address_list_release(&list);
}

/* A message every test starts from: valid in every field. */
static struct mail_message sample_message(void)
{
    struct mail_message m = {
        .from = "IOCM Reports <reports@Example.ORG>",
        .to = "alice@example.com, \"Doe, Jane\" <jane@example.com>",
        .subject = "[TLP:AMBER] Daily IOC report",
        .text = "Daily report\n\n.hidden line\nCaf\xc3\xa9 12 new\n",
        .html = "<html><body><p style=\"color:#333\">Caf\xc3\xa9</p>"
                "</body></html>\n",
        .date = 1796371200,
    };

    return m;
}

static const struct {
    const char *header;
    size_t offset;
    const char *value;
} crlf_cases[] = {
    { "Subject", offsetof(struct mail_message, subject),
      "Report\r\nBcc: evil@example.com" },
    { "Subject", offsetof(struct mail_message, subject), "Report\nX: y" },
    { "From", offsetof(struct mail_message, from), "a@example.com\r\n" },
    { "To", offsetof(struct mail_message, to), "b@example.com\rX: y" },
    { "Bcc", offsetof(struct mail_message, bcc), "b@example.com\n" },
    { "Message-ID", offsetof(struct mail_message, message_id),
      "<a@b.c>\r\nX: y" },
};

static void test_header_with_crlf_is_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(crlf_cases); i++) {
        struct mail_message m = sample_message();
        struct mail_eml eml = MAIL_EML_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        char want[64];

        *(const char **)((char *)&m + crlf_cases[i].offset) =
            crlf_cases[i].value;
        assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
        snprintf(want, sizeof(want), "invalid header '%s'",
                 crlf_cases[i].header);
        if (!strstr(err.msg, want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, want);
        assert_null(eml.buf);
        mail_eml_release(&eml);
    }
}

static void test_bad_recipient_fails_before_building(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    m.to = "alice@example.com, bob@invalid_domain";
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "'bob@invalid_domain'"));
    assert_null(eml.buf);
    mail_eml_release(&eml);

    m.to = NULL;
    m.bcc = " , ";
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "no recipients"));
    mail_eml_release(&eml);

    m = sample_message();
    m.from = "a@example.com, b@example.com";
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    mail_eml_release(&eml);
}

/* Unfolds a header field and decodes its encoded-words, checking the
 * RFC 2047 limits on the way: words of at most 75 characters, lines of at
 * most 76. Appends the decoded value to out. */
static void decode_header(const char *field, struct strbuf *out)
{
    const char *colon = strchr(field, ':');
    const char *p = colon + 1;
    const char *line = field;

    for (const char *q = field;; q++) {
        if (*q == '\r' || !*q) {
            assert_true(q - line <= MAIL_LINE_MAX);
            if (!*q)
                break;
            assert_int_equal(q[1], '\n');
            assert_int_equal(q[2], ' ');
            line = q + 2;
        }
    }
    while (*p) {
        const char *word = strstr(p, "=?UTF-8?B?");

        if (!word) {
            /* Plain text: unfolding removes only the CRLF pairs. */
            for (const char *q = p == colon + 1 ? p + 1 : p; *q; q++)
                if (*q != '\r' && *q != '\n')
                    strbuf_addch(out, *q);
            break;
        }
        {
            const char *b64 = word + 10;
            const char *end = strstr(b64, "?=");
            unsigned char bin[64];
            size_t len;

            assert_non_null(end);
            assert_true(end + 2 - word <= MAIL_WORD_MAX);
            assert_int_equal(sodium_base642bin(bin, sizeof(bin), b64, end - b64,
                                               NULL, &len, NULL,
                                               sodium_base64_VARIANT_ORIGINAL),
                             0);
            /* Each word holds whole characters. */
            assert_true(utf8_is_valid((const char *)bin, len));
            strbuf_add(out, bin, len);
            p = end + 2;
        }
    }
}

static const struct {
    const char *subject;
    bool encoded;
    const char *exact; /* the whole header when fixed, else NULL */
} subject_cases[] = {
    { "Daily IOC report", false, "Subject: Daily IOC report" },
    { "", false, "Subject: " },
    { "[TLP:RED] T\xc3\xa4glicher Bericht", true, NULL },
    { "\xe6\x97\xa5\xe6\x8a\xa5\xef\xbc\x9a\xe6\x96\xb0\xe7\x9a\x84"
      "\xe5\xa8\x81\xe8\x83\x81\xe6\x8c\x87\xe6\xa0\x87 \xf0\x9f\x9a\xa8",
      true, NULL },
    { "Caf\xc3\xa9 \xe2\x80\x94 a much longer subject line that needs more "
      "than one encoded word \xc3\xa4\xc3\xb6\xc3\xbc and then some more "
      "words \xe2\x82\xac\xe2\x82\xac\xe2\x82\xac to be sure it folds twice",
      true, NULL },
    { "Weekly report: a plain ASCII subject that is long enough to need "
      "folding onto a second line of the header",
      false, NULL },
    { "Looks like =?UTF-8?B?abc?= but is not", true, NULL },
    { "Tab\there", false, "Subject: Tab\there" },
};

static void test_subject_rfc2047_encoding(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(subject_cases); i++) {
        struct strbuf field = STRBUF_INIT, decoded = STRBUF_INIT;

        mail_header_add_text(&field, "Subject", subject_cases[i].subject);
        if (subject_cases[i].exact)
            assert_string_equal(field.buf, subject_cases[i].exact);
        assert_int_equal(strstr(field.buf, "=?UTF-8?B?") != NULL,
                         subject_cases[i].encoded);
        for (size_t j = 0; j < field.len; j++)
            assert_true((unsigned char)field.buf[j] < 0x80);
        decode_header(field.buf, &decoded);
        assert_string_equal(decoded.buf, subject_cases[i].subject);
        strbuf_release(&field);
        strbuf_release(&decoded);
    }
}

static void test_display_names_quoted_or_encoded(void **state)
{
    struct mail_address_list list = MAIL_ADDRESS_LIST_INIT;
    struct strbuf field = STRBUF_INIT;

    (void)state;
    assert_int_equal(
        mail_address_list_parse(&list,
                                "\"Doe, Jane\" <j@x.org>, Plain Name <p@x.org>,"
                                " \"Say \\\"hi\\\"\" <h@x.org>, "
                                "J\xc3\xb6rg <jm@x.de>, bare@x.org",
                                NULL),
        0);
    mail_header_add_addresses(&field, "To", &list);
    assert_non_null(strstr(field.buf, "\"Doe, Jane\" <j@x.org>,"));
    assert_non_null(strstr(field.buf, " Plain Name <p@x.org>,"));
    assert_non_null(strstr(field.buf, "\"Say \\\"hi\\\"\" <h@x.org>"));
    assert_non_null(strstr(field.buf, "=?UTF-8?B?SsO2cmc=?= <jm@x.de>"));
    assert_non_null(strstr(field.buf, " bare@x.org"));
    assert_memory_equal(field.buf, "To: ", 4);
    strbuf_release(&field);
    mail_address_list_release(&list);

    mail_header_add_addresses(&field, "To", &list);
    assert_string_equal(field.buf, "To: undisclosed-recipients:;");
    strbuf_release(&field);
}

static const struct {
    int64_t t;
    const char *date;
} date_cases[] = {
    { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
    { 1709210096, "Thu, 29 Feb 2024 12:34:56 +0000" },
    { 946684799, "Fri, 31 Dec 1999 23:59:59 +0000" },
    { 1796371200, "Fri, 04 Dec 2026 08:00:00 +0000" },
};

static void test_date_is_rfc5322_utc(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(date_cases); i++) {
        char buf[MAIL_DATE_LEN];

        mail_format_date(date_cases[i].t, buf);
        assert_string_equal(buf, date_cases[i].date);
    }
}

/* "<" 32 lower-case hex digits "@" domain ">" */
static void assert_message_id_shape(const char *id, const char *domain)
{
    size_t dlen = strlen(domain);

    assert_int_equal(strlen(id), 1 + 32 + 1 + dlen + 1);
    assert_int_equal(id[0], '<');
    for (size_t i = 1; i <= 32; i++)
        assert_non_null(strchr("0123456789abcdef", id[i]));
    assert_int_equal(id[33], '@');
    assert_memory_equal(id + 34, domain, dlen);
    assert_int_equal(id[34 + dlen], '>');
}

static void test_message_id_is_random_at_sender_domain(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml a = MAIL_EML_INIT, b = MAIL_EML_INIT;
    char *direct = mail_message_id_new("example.net");

    (void)state;
    assert_message_id_shape(direct, "example.net");
    free(direct);

    assert_int_equal(mail_eml_build(&m, &a, NULL), 0);
    assert_int_equal(mail_eml_build(&m, &b, NULL), 0);
    /* The sender's domain, lower-cased. */
    assert_message_id_shape(a.message_id, "example.org");
    assert_string_not_equal(a.message_id, b.message_id);
    mail_eml_release(&a);
    mail_eml_release(&b);

    m.message_id = "<fixed.1@iocm.example>";
    assert_int_equal(mail_eml_build(&m, &a, NULL), 0);
    assert_non_null(
        strstr(a.buf, "\r\nMessage-ID: <fixed.1@iocm.example>\r\n"));
    mail_eml_release(&a);

    m.message_id = "no-brackets@iocm.example";
    assert_int_equal(mail_eml_build(&m, &a, NULL), IOCM_EINVAL);
    mail_eml_release(&a);
}

/* The position of needle in the message, failing when it is missing. */
static size_t find(const struct mail_eml *eml, const char *needle)
{
    const char *hit = strstr(eml->buf, needle);

    if (!hit)
        fail_msg("message lacks '%s':\n%s", needle, eml->buf);
    return hit - eml->buf;
}

static void test_eml_has_text_then_html_utf8_parts(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    char boundary[128], delim[140];
    size_t head_end, text, html, last = 0;
    const char *b;

    (void)state;
    m.bcc = "hidden@example.net, alice@example.com";
    if (mail_eml_build(&m, &eml, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(strlen(eml.buf), eml.len);

    /* Top-level headers, before the first blank line. */
    head_end = find(&eml, "\r\n\r\n");
    assert_true(find(&eml, "From: IOCM Reports <reports@Example.ORG>\r\n") <
                head_end);
    assert_true(find(&eml, "To: alice@example.com, \"Doe, Jane\" "
                           "<jane@example.com>\r\n") < head_end);
    assert_true(find(&eml, "Subject: [TLP:AMBER] Daily IOC report\r\n") <
                head_end);
    assert_true(find(&eml, "Date: Fri, 04 Dec 2026 08:00:00 +0000\r\n") <
                head_end);
    assert_true(find(&eml, "Message-ID: <") < head_end);
    assert_true(find(&eml, "MIME-Version: 1.0\r\n") < head_end);
    b = strstr(eml.buf, "Content-Type: multipart/alternative; boundary=");
    assert_non_null(b);
    assert_true((size_t)(b - eml.buf) < head_end);
    /* Bcc is envelope only. */
    assert_null(strstr(eml.buf, "Bcc"));
    assert_null(strstr(eml.buf, "hidden@example.net"));

    b += strlen("Content-Type: multipart/alternative; boundary=");
    snprintf(boundary, sizeof(boundary), "%.*s", (int)strcspn(b, "\r\n"), b);
    assert_true(strlen(boundary) > 10);

    /* Exactly two parts, text first, each UTF-8 quoted-printable. */
    snprintf(delim, sizeof(delim), "\r\n--%s\r\n", boundary);
    text = find(&eml, "Content-Type: text/plain; charset=UTF-8\r\n");
    html = find(&eml, "Content-Type: text/html; charset=UTF-8\r\n");
    assert_true(text < html);
    assert_true(find(&eml, delim) < text);
    assert_true(strstr(eml.buf + text, delim) < eml.buf + html);
    assert_non_null(strstr(eml.buf + text,
                           "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(eml.buf + html,
                           "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(eml.buf + text, "Caf=C3=A9 12 new\r\n"));
    assert_non_null(strstr(eml.buf + html, "Caf=C3=A9</p>"));
    /* A leading dot survives SMTP dot-stuffing in the sink. */
    assert_non_null(strstr(eml.buf + text, "\r\n.hidden line\r\n"));
    snprintf(delim, sizeof(delim), "\r\n--%s--\r\n", boundary);
    assert_int_equal(find(&eml, delim) + strlen(delim), eml.len);

    /* CRLF everywhere, 7-bit, no line past 998 characters and none in the
     * body past 78 (libcurl's Content-Type line with its boundary is 86). */
    for (size_t i = 0; i < eml.len; i++) {
        assert_true((unsigned char)eml.buf[i] < 0x80);
        if (eml.buf[i] == '\n') {
            assert_true(i > 0 && eml.buf[i - 1] == '\r');
            assert_true(i - last <= (i > head_end ? 78 : 998) + 1);
            last = i + 1;
        }
    }

    /* The envelope: sender from From, recipients To then Bcc, no repeat. */
    assert_string_equal(eml.sender, "reports@Example.ORG");
    assert_int_equal(eml.rcpt.nr, 3);
    assert_string_equal(eml.rcpt.v[0], "alice@example.com");
    assert_string_equal(eml.rcpt.v[1], "jane@example.com");
    assert_string_equal(eml.rcpt.v[2], "hidden@example.net");
    mail_eml_release(&eml);
}

static void test_bcc_only_message_has_undisclosed_to(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;

    (void)state;
    m.to = NULL;
    m.bcc = "a@example.com,b@example.com";
    assert_int_equal(mail_eml_build(&m, &eml, NULL), 0);
    find(&eml, "\r\nTo: undisclosed-recipients:;\r\n");
    assert_null(strstr(eml.buf, "a@example.com"));
    assert_int_equal(eml.rcpt.nr, 2);
    mail_eml_release(&eml);
}

static void test_bodies_get_crlf_not_escaped_lf(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;

    (void)state;
    m.text = "one\ntwo\r\nthree\rfour";
    m.html = "<p>x</p>";
    assert_int_equal(mail_eml_build(&m, &eml, NULL), 0);
    find(&eml, "\r\n\r\none\r\ntwo\r\nthree\r\nfour\r\n");
    assert_null(strstr(eml.buf, "=0A"));
    assert_null(strstr(eml.buf, "=0D"));
    mail_eml_release(&eml);
}

static void test_non_utf8_input_is_refused(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    m.subject = "Caf\xe9";
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "'Subject'"));
    m = sample_message();
    m.text = "Caf\xe9";
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "text part"));
    m = sample_message();
    m.html = NULL;
    assert_int_equal(mail_eml_build(&m, &eml, &err), IOCM_EINVAL);
    mail_eml_release(&eml);
}

static const struct {
    const char *s;
    bool valid;
} utf8_cases[] = {
    { "plain", true },
    { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa8", true },
    { "\xc3", false },             /* truncated */
    { "\xc0\xaf", false },         /* overlong '/' */
    { "\xed\xa0\x80", false },     /* surrogate */
    { "\xf4\x90\x80\x80", false }, /* past U+10FFFF */
    { "\xff", false },
    { "\xe2\x82", false },
};

static void test_utf8_validation(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(utf8_cases); i++)
        assert_int_equal(
            utf8_is_valid(utf8_cases[i].s, strlen(utf8_cases[i].s)),
            utf8_cases[i].valid);
}

static const struct {
    const char *host;
    bool loopback;
} loopback_cases[] = {
    { "localhost", true },
    { "LOCALHOST.", true },
    { "mail.localhost", true },
    { "127.0.0.1", true },
    { "127.1.2.3", true },
    { "::1", true },
    { "[::1]", true },
    { "::ffff:127.0.0.1", true },
    { "128.0.0.1", false },
    { "10.0.0.1", false },
    { "::2", false },
    { "mail.example.org", false },
    { "localhost.example.org", false },
    { "", false },
};

static void test_loopback_hosts(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(loopback_cases); i++)
        if (mail_host_is_loopback(loopback_cases[i].host) !=
            loopback_cases[i].loopback)
            fail_msg("'%s' should%s be loopback", loopback_cases[i].host,
                     loopback_cases[i].loopback ? "" : " not");
    assert_false(mail_host_is_loopback(NULL));
}

static void test_send_refuses_bad_server_name(void **state)
{
    struct mail_message m = sample_message();
    struct mail_eml eml = MAIL_EML_INIT;
    struct mail_transport t = { .server = "mail host/x", .port = 25 };
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    assert_int_equal(mail_eml_build(&m, &eml, NULL), 0);
    assert_int_equal(mail_send(&t, &eml, NULL, &err), IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "invalid mail server 'mail host/x'"));
    t.server = "user:secret@mail.example.org";
    assert_int_equal(mail_check(&t, &err), IOCM_EINVAL);
    mail_eml_release(&eml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_validation_table),
        cmocka_unit_test(test_recipient_list_parsing),
        cmocka_unit_test(test_recipient_list_error_appends_nothing),
        cmocka_unit_test(test_header_with_crlf_is_refused),
        cmocka_unit_test(test_bad_recipient_fails_before_building),
        cmocka_unit_test(test_subject_rfc2047_encoding),
        cmocka_unit_test(test_display_names_quoted_or_encoded),
        cmocka_unit_test(test_date_is_rfc5322_utc),
        cmocka_unit_test(test_message_id_is_random_at_sender_domain),
        cmocka_unit_test(test_eml_has_text_then_html_utf8_parts),
        cmocka_unit_test(test_bcc_only_message_has_undisclosed_to),
        cmocka_unit_test(test_bodies_get_crlf_not_escaped_lf),
        cmocka_unit_test(test_non_utf8_input_is_refused),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_send_refuses_bad_server_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
