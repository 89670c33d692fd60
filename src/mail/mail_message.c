/*
 * Building a message: check every input, write the top-level headers,
 * let libcurl's MIME API build the multipart/alternative body and
 * serialise it through the in-process sink (see mail.h for why).
 */
#include "mail/mail.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "mail/mail_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The serialising transfer talks to our own thread: seconds, not minutes. */
#define SINK_TRANSFER_TIMEOUT_S 10L

void mail_eml_release(struct mail_eml *eml)
{
    free(eml->buf);
    free(eml->message_id);
    free(eml->sender);
    strvec_clear(&eml->rcpt);
    eml->buf = eml->message_id = eml->sender = NULL;
    eml->len = 0;
}

/* A caller's Message-ID must look like one: "<left@right>", printable, no
 * spaces or further angle brackets. */
static bool message_id_is_valid(const char *id)
{
    size_t len = strlen(id);
    const char *at = strchr(id, '@');

    if (len < 5 || len > 250 || id[0] != '<' || id[len - 1] != '>' || !at ||
        at == id + 1 || at == id + len - 2)
        return false;
    for (size_t i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)id[i];

        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>')
            return false;
    }
    return true;
}

static int check_inputs(const struct mail_message *msg, struct iocm_err *err)
{
    static const struct {
        const char *header;
        size_t offset;
    } headers[] = {
        { "From", offsetof(struct mail_message, from) },
        { "To", offsetof(struct mail_message, to) },
        { "Bcc", offsetof(struct mail_message, bcc) },
        { "Subject", offsetof(struct mail_message, subject) },
        { "Message-ID", offsetof(struct mail_message, message_id) },
    };
    int rc;

    for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
        const char *value =
            *(const char *const *)((const char *)msg + headers[i].offset);

        rc = mail_header_check(headers[i].header, value, err);
        if (rc < 0)
            return rc;
    }
    if (!msg->from || !*msg->from)
        return iocm_fail(err, IOCM_EINVAL, "no sender: From is empty");
    if (!msg->text || !msg->html)
        return iocm_fail(err, IOCM_EINVAL,
                         "a message needs both a text and an HTML part");
    if (!utf8_is_valid(msg->text, strlen(msg->text)))
        return iocm_fail(err, IOCM_EINVAL, "the text part is not UTF-8");
    if (!utf8_is_valid(msg->html, strlen(msg->html)))
        return iocm_fail(err, IOCM_EINVAL, "the HTML part is not UTF-8");
    if (msg->message_id && !message_id_is_valid(msg->message_id))
        return iocm_fail(err, IOCM_EINVAL,
                         "invalid header 'Message-ID': '%s' is not <id@domain>",
                         msg->message_id);
    return 0;
}

/* The envelope recipients: To then Bcc, each address once. */
static void collect_rcpt(struct strvec *rcpt,
                         const struct mail_address_list *to,
                         const struct mail_address_list *bcc)
{
    const struct mail_address_list *lists[] = { to, bcc };

    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        for (size_t i = 0; i < lists[l]->nr; i++)
            if (!strvec_contains(rcpt, lists[l]->v[i].addr))
                strvec_push(rcpt, lists[l]->v[i].addr);
}

static struct curl_slist *add_header(struct curl_slist *list,
                                     struct strbuf *line)
{
    struct curl_slist *grown = curl_slist_append(list, line->buf);

    if (!grown)
        abort(); /* out of memory, as xmalloc would */
    strbuf_reset(line);
    return grown;
}

/* The headers we write, in the order a reader expects them. libcurl adds
 * "Content-Type: multipart/alternative; boundary=..." in front, taking the
 * type from our Content-Type line. */
static struct curl_slist *top_headers(const struct mail_message *msg,
                                      const struct mail_address_list *from,
                                      const struct mail_address_list *to,
                                      const char *message_id)
{
    struct strbuf line = STRBUF_INIT;
    struct curl_slist *list = NULL;
    char date[MAIL_DATE_LEN];

    mail_header_add_addresses(&line, "From", from);
    list = add_header(list, &line);
    mail_header_add_addresses(&line, "To", to);
    list = add_header(list, &line);
    mail_header_add_text(&line, "Subject", msg->subject ? msg->subject : "");
    list = add_header(list, &line);
    mail_format_date(msg->date, date);
    strbuf_addf(&line, "Date: %s", date);
    list = add_header(list, &line);
    strbuf_addf(&line, "Message-ID: %s", message_id);
    list = add_header(list, &line);
    strbuf_addstr(&line, "MIME-Version: 1.0");
    list = add_header(list, &line);
    strbuf_addstr(&line, "Content-Type: multipart/alternative");
    list = add_header(list, &line);
    strbuf_release(&line);
    return list;
}

/* Adds one UTF-8 text part, quoted-printable so every line stays 7-bit and
 * short whatever the body holds. */
static CURLcode add_part(curl_mime *mime, const char *type, const char *body)
{
    struct strbuf crlf = STRBUF_INIT;
    curl_mimepart *part = curl_mime_addpart(mime);
    CURLcode cc;

    if (!part)
        return CURLE_OUT_OF_MEMORY;
    /* curl's encoder escapes a lone LF as =0A: hand it CRLF lines. */
    mail_add_crlf(&crlf, body);
    cc = curl_mime_data(part, crlf.buf, crlf.len);
    if (cc == CURLE_OK)
        cc = curl_mime_type(part, type);
    if (cc == CURLE_OK)
        cc = curl_mime_encoder(part, "quoted-printable");
    strbuf_release(&crlf);
    return cc;
}

/*
 * Runs the MIME tree through an SMTP transfer to the sink and appends what
 * arrived to out.
 */
static int serialise(CURL *curl, curl_mime *mime, struct curl_slist *headers,
                     const char *sender, const struct strvec *rcpt,
                     struct strbuf *out, struct iocm_err *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct mail_sink *sink = NULL;
    struct curl_slist *rcpt_list = NULL;
    struct strbuf from = STRBUF_INIT;
    struct iocm_err sink_err = IOCM_ERR_INIT;
    CURLcode cc;
    int rc;

    rc = mail_sink_start(&sink, err);
    if (rc < 0)
        goto out;
    strbuf_addf(&from, "<%s>", sender);
    for (size_t i = 0; i < rcpt->nr; i++) {
        struct strbuf one = STRBUF_INIT;
        struct curl_slist *grown;

        strbuf_addf(&one, "<%s>", rcpt->v[i]);
        grown = curl_slist_append(rcpt_list, one.buf);
        strbuf_release(&one);
        if (!grown)
            abort();
        rcpt_list = grown;
    }

    cc = curl_easy_setopt(curl, CURLOPT_URL, "smtp://localhost/iocm");
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_ABSTRACT_UNIX_SOCKET,
                              mail_sink_socket(sink));
    if (!cc) /* never through a proxy from the environment */
        cc = curl_easy_setopt(curl, CURLOPT_PROXY, "");
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_TIMEOUT, SINK_TRANSFER_TIMEOUT_S);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.buf);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt_list);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    if (!cc)
        cc = curl_easy_perform(curl);

    /* Always stop the sink; its verdict counts only if curl succeeded. */
    rc = mail_sink_finish(sink, out, &sink_err);
    if (cc != CURLE_OK)
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot serialise the message: %s",
                       errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (rc < 0)
        rc = iocm_fail(err, rc, "%s", sink_err.msg);
out:
    curl_slist_free_all(rcpt_list);
    strbuf_release(&from);
    return rc;
}

int mail_eml_build(const struct mail_message *msg, struct mail_eml *out,
                   struct iocm_err *err)
{
    struct mail_address_list from = MAIL_ADDRESS_LIST_INIT;
    struct mail_address_list to = MAIL_ADDRESS_LIST_INIT;
    struct mail_address_list bcc = MAIL_ADDRESS_LIST_INIT;
    struct curl_slist *headers = NULL;
    struct strbuf bytes = STRBUF_INIT;
    curl_mime *mime = NULL;
    CURL *curl = NULL;
    CURLcode cc;
    int rc;

    rc = check_inputs(msg, err);
    if (rc < 0)
        goto out;
    ALLOC_GROW(from.v, 1, from.alloc);
    rc = mail_address_parse(msg->from, &from.v[0], err);
    if (rc < 0)
        goto out;
    from.nr = 1;
    rc = mail_address_list_parse(&to, msg->to, err);
    if (rc == 0)
        rc = mail_address_list_parse(&bcc, msg->bcc, err);
    if (rc < 0)
        goto out;
    if (to.nr + bcc.nr == 0) {
        rc = iocm_fail(err, IOCM_EINVAL, "no recipients: To and Bcc are empty");
        goto out;
    }

    out->sender = xstrdup(from.v[0].addr);
    if (msg->message_id) {
        out->message_id = xstrdup(msg->message_id);
    } else {
        const char *domain = strrchr(out->sender, '@') + 1;
        struct strbuf lower = STRBUF_INIT;

        strbuf_addstr(&lower, domain);
        strbuf_tolower(&lower);
        out->message_id = mail_message_id_new(lower.buf);
        strbuf_release(&lower);
    }
    collect_rcpt(&out->rcpt, &to, &bcc);
    headers = top_headers(msg, &from, &to, out->message_id);

    curl = curl_easy_init();
    mime = curl ? curl_mime_init(curl) : NULL;
    if (!mime) {
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot initialise libcurl");
        goto out;
    }
    /* text/plain first: RFC 2046 puts the preferred part last. */
    cc = add_part(mime, "text/plain; charset=UTF-8", msg->text);
    if (cc == CURLE_OK)
        cc = add_part(mime, "text/html; charset=UTF-8", msg->html);
    if (cc != CURLE_OK) {
        rc = iocm_fail(err, IOCM_EINTERNAL, "cannot build the message: %s",
                       curl_easy_strerror(cc));
        goto out;
    }
    rc = serialise(curl, mime, headers, out->sender, &out->rcpt, &bytes, err);
    if (rc < 0)
        goto out;
    out->buf = strbuf_detach(&bytes, &out->len);
out:
    curl_mime_free(mime);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    strbuf_release(&bytes);
    mail_address_list_release(&bcc);
    mail_address_list_release(&to);
    mail_address_list_release(&from);
    return rc;
}
