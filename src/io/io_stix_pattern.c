/*
 * The STIX 2.1 patterning language, parsed in full by a tokenizer and a
 * recursive-descent parser so that a pattern is either understood or
 * refused with the place it went wrong. What iocm reads from it is the
 * subset that names indicator values: an OR of equality comparisons such
 * as [ipv4-addr:value = '198.51.100.7'] or file:hashes.'SHA-256' = '...'.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/xalloc.h"

/* Nesting of brackets and parentheses a pattern may use. */
#define DEPTH_MAX 64

enum tok_kind {
    TOK_END,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COLON,
    TOK_DOT,
    TOK_COMMA,
    TOK_STAR,
    TOK_OP,        /* = != < <= > >= */
    TOK_STRING,    /* '...', unescaped into the parser's str */
    TOK_TIMESTAMP, /* t'...' */
    TOK_HEX,       /* h'...' */
    TOK_BINARY,    /* b'...' */
    TOK_INT,
    TOK_FLOAT,
    TOK_WORD, /* identifiers, keywords, true and false */
};

struct parser {
    const char *src;
    size_t pos; /* after the current token */
    size_t at;  /* where the current token starts */
    enum tok_kind kind;
    const char *text; /* the current token's bytes */
    size_t len;
    struct strbuf str; /* the current string literal, unescaped */
    int depth;
    struct io_stix_pattern *out;
    struct iocm_err *err;
};

static bool is_word_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_word_char(char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int syntax(struct parser *ps, const char *what)
{
    return iocm_fail(ps->err, IOCM_EINVAL, "invalid pattern: %s at offset %zu",
                     what, ps->at);
}

/* Reads the quoted literal whose quote is at src[pos] into str. */
static int lex_quoted(struct parser *ps)
{
    const char *s = ps->src;
    size_t i = ps->pos + 1;

    strbuf_reset(&ps->str);
    for (;;) {
        char c = s[i];

        if (!c)
            return syntax(ps, "unterminated string");
        if (c == '\'')
            break;
        if (c == '\\') {
            /* The only escapes STIX has. */
            if (s[i + 1] != '\'' && s[i + 1] != '\\')
                return syntax(ps, "invalid escape in string");
            c = s[++i];
        }
        strbuf_addch(&ps->str, c);
        i++;
    }
    ps->pos = i + 1;
    return 0;
}

static int lex(struct parser *ps)
{
    const char *s = ps->src;
    size_t i = ps->pos;

    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    ps->at = ps->pos = i;
    ps->text = s + i;
    ps->len = 1;
    switch (s[i]) {
    case '\0':
        ps->kind = TOK_END;
        ps->len = 0;
        return 0;
    case '[':
        ps->kind = TOK_LBRACKET;
        break;
    case ']':
        ps->kind = TOK_RBRACKET;
        break;
    case '(':
        ps->kind = TOK_LPAREN;
        break;
    case ')':
        ps->kind = TOK_RPAREN;
        break;
    case ':':
        ps->kind = TOK_COLON;
        break;
    case '.':
        ps->kind = TOK_DOT;
        break;
    case ',':
        ps->kind = TOK_COMMA;
        break;
    case '*':
        ps->kind = TOK_STAR;
        break;
    case '=':
        ps->kind = TOK_OP;
        break;
    case '!':
        if (s[i + 1] != '=')
            return syntax(ps, "unexpected '!'");
        ps->kind = TOK_OP;
        ps->len = 2;
        break;
    case '<':
    case '>':
        ps->kind = TOK_OP;
        ps->len = s[i + 1] == '=' ? 2 : 1;
        break;
    case '\'':
        ps->kind = TOK_STRING;
        return lex_quoted(ps);
    default:
        if ((s[i] == 't' || s[i] == 'h' || s[i] == 'b') && s[i + 1] == '\'') {
            ps->kind = s[i] == 't'   ? TOK_TIMESTAMP
                       : s[i] == 'h' ? TOK_HEX
                                     : TOK_BINARY;
            ps->pos = i + 1;
            return lex_quoted(ps);
        }
        if (is_digit(s[i]) || (s[i] == '-' && is_digit(s[i + 1]))) {
            size_t j = i + 1;

            while (is_digit(s[j]))
                j++;
            ps->kind = TOK_INT;
            if (s[j] == '.' && is_digit(s[j + 1])) {
                for (j++; is_digit(s[j]); j++)
                    ;
                ps->kind = TOK_FLOAT;
            }
            ps->len = j - i;
            break;
        }
        if (is_word_start(s[i])) {
            size_t j = i + 1;

            while (is_word_char(s[j]))
                j++;
            ps->kind = TOK_WORD;
            ps->len = j - i;
            break;
        }
        return syntax(ps, "unexpected character");
    }
    ps->pos = i + ps->len;
    return 0;
}

/* True when the current token is the keyword w (keywords are upper case). */
static bool is_keyword(const struct parser *ps, const char *w)
{
    return ps->kind == TOK_WORD && ps->len == strlen(w) &&
           !memcmp(ps->text, w, ps->len);
}

static int expect(struct parser *ps, enum tok_kind kind, const char *what)
{
    if (ps->kind != kind)
        return syntax(ps, what);
    return lex(ps);
}

/* Records why the pattern as a whole cannot be read (the first reason). */
static void unsupported(struct parser *ps, const char *why)
{
    if (!ps->out->unsupported)
        ps->out->unsupported = xstrdup(why);
}

static void add_term(struct parser *ps, enum ioc_type type, const char *value,
                     const char *reason)
{
    struct io_stix_pattern *p = ps->out;
    struct io_stix_term *t;

    ALLOC_GROW(p->terms, p->nr + 1, p->alloc);
    t = &p->terms[p->nr++];
    t->type = type;
    t->value = xstrdup(value);
    t->reason = reason ? xstrdup(reason) : NULL;
}

/* Hash names of file:hashes and the types they give. */
static const struct {
    const char *name;
    enum ioc_type type;
} hash_names[] = {
    { "MD5", IOC_TYPE_MD5 },       { "SHA-1", IOC_TYPE_SHA1 },
    { "SHA1", IOC_TYPE_SHA1 },     { "SHA-256", IOC_TYPE_SHA256 },
    { "SHA256", IOC_TYPE_SHA256 }, { "SHA-512", IOC_TYPE_SHA512 },
    { "SHA512", IOC_TYPE_SHA512 }, { "SSDEEP", IOC_TYPE_SSDEEP },
};

/* Object paths with a string value and the types they give. */
static const struct {
    const char *path;
    enum ioc_type type;
} value_paths[] = {
    { "ipv4-addr:value", IOC_TYPE_IPV4 },
    { "ipv6-addr:value", IOC_TYPE_IPV6 },
    { "domain-name:value", IOC_TYPE_DOMAIN },
    { "url:value", IOC_TYPE_URL },
    { "email-addr:value", IOC_TYPE_EMAIL },
    { "file:name", IOC_TYPE_FILENAME },
};

/* The type of a string literal at path, or IOC_TYPE_COUNT. */
static enum ioc_type path_type(const char *path, const char *literal)
{
    for (size_t i = 0; i < ARRAY_SIZE(value_paths); i++) {
        if (strcmp(path, value_paths[i].path))
            continue;
        /* An address object's value may be a CIDR block. */
        if (i < 2 && strchr(literal, '/'))
            return IOC_TYPE_CIDR;
        return value_paths[i].type;
    }
    if (!strncmp(path, "file:hashes.", 12))
        for (size_t i = 0; i < ARRAY_SIZE(hash_names); i++)
            if (!strcasecmp(path + 12, hash_names[i].name))
                return hash_names[i].type;
    return IOC_TYPE_COUNT;
}

/* Maps one comparison to a term. */
static void comparison(struct parser *ps, const char *path, const char *op,
                       bool is_negated, enum tok_kind lit_kind,
                       const char *literal)
{
    char reason[200];
    enum ioc_type type;

    if (is_negated || strcmp(op, "=")) {
        snprintf(reason, sizeof(reason), "comparison '%s %s%s' is no value",
                 path, is_negated ? "NOT " : "", op);
        add_term(ps, IOC_TYPE_COUNT, literal, reason);
        return;
    }
    if (!strcmp(path, "autonomous-system:number") && lit_kind == TOK_INT &&
        literal[0] != '-') {
        char asn[32];

        snprintf(asn, sizeof(asn), "AS%s", literal);
        add_term(ps, IOC_TYPE_ASN, asn, NULL);
        return;
    }
    type = path_type(path, literal);
    if (type == IOC_TYPE_COUNT) {
        snprintf(reason, sizeof(reason), "object path '%.120s' is no indicator",
                 path);
        add_term(ps, IOC_TYPE_COUNT, literal, reason);
        return;
    }
    if (lit_kind != TOK_STRING) {
        snprintf(reason, sizeof(reason), "'%s' compared with no string", path);
        add_term(ps, IOC_TYPE_COUNT, literal, reason);
        return;
    }
    add_term(ps, type, literal, NULL);
}

/* The literal of the current token, as text, into lit; advances. */
static int literal(struct parser *ps, enum tok_kind *kind, struct strbuf *lit)
{
    *kind = ps->kind;
    strbuf_reset(lit);
    switch (ps->kind) {
    case TOK_STRING:
    case TOK_TIMESTAMP:
    case TOK_HEX:
    case TOK_BINARY:
        strbuf_addbuf(lit, &ps->str);
        break;
    case TOK_INT:
    case TOK_FLOAT:
        strbuf_add(lit, ps->text, ps->len);
        break;
    case TOK_WORD:
        if (!is_keyword(ps, "true") && !is_keyword(ps, "false"))
            return syntax(ps, "expected a literal");
        strbuf_add(lit, ps->text, ps->len);
        break;
    default:
        return syntax(ps, "expected a literal");
    }
    return lex(ps);
}

/* ObjectType ':' component ('.' component | '[' index ']')* into path. */
static int object_path(struct parser *ps, struct strbuf *path)
{
    strbuf_reset(path);
    if (ps->kind != TOK_WORD)
        return syntax(ps, "expected an object path");
    strbuf_add(path, ps->text, ps->len);
    if (lex(ps) < 0 || expect(ps, TOK_COLON, "expected ':' in object path") < 0)
        return IOCM_EINVAL;
    strbuf_addch(path, ':');
    for (bool is_first = true;; is_first = false) {
        if (!is_first && ps->kind == TOK_LBRACKET) {
            if (lex(ps) < 0)
                return IOCM_EINVAL;
            if (ps->kind != TOK_INT && ps->kind != TOK_STAR)
                return syntax(ps, "expected an index or '*'");
            strbuf_addch(path, '[');
            strbuf_add(path, ps->text, ps->len);
            strbuf_addch(path, ']');
            if (lex(ps) < 0 || expect(ps, TOK_RBRACKET, "expected ']'") < 0)
                return IOCM_EINVAL;
            continue;
        }
        if (!is_first) {
            if (ps->kind != TOK_DOT)
                return 0;
            if (lex(ps) < 0)
                return IOCM_EINVAL;
            strbuf_addch(path, '.');
        }
        if (ps->kind == TOK_WORD)
            strbuf_add(path, ps->text, ps->len);
        else if (ps->kind == TOK_STRING)
            strbuf_addbuf(path, &ps->str);
        else
            return syntax(ps, "expected a property name");
        if (lex(ps) < 0)
            return IOCM_EINVAL;
    }
}

/* The operator keywords that take a string (or set) literal. */
static const char *const word_ops[] = {
    "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET",
};

static int comparison_or(struct parser *ps);

/* A comparison, a parenthesised comparison expression, or EXISTS. */
static int comparison_test(struct parser *ps)
{
    struct strbuf path = STRBUF_INIT, lit = STRBUF_INIT;
    char op[16] = "";
    bool is_negated = false;
    enum tok_kind kind;
    int rc = 0;

    if (ps->kind == TOK_LPAREN) {
        if (++ps->depth > DEPTH_MAX)
            return syntax(ps, "nested too deeply");
        if (lex(ps) < 0 || comparison_or(ps) < 0)
            return IOCM_EINVAL;
        ps->depth--;
        return expect(ps, TOK_RPAREN, "expected ')'");
    }
    if (is_keyword(ps, "NOT") || is_keyword(ps, "EXISTS")) {
        bool is_not = is_keyword(ps, "NOT");

        if (lex(ps) < 0)
            return IOCM_EINVAL;
        if (is_not && !is_keyword(ps, "EXISTS"))
            return syntax(ps, "expected EXISTS after NOT");
        if (is_not && lex(ps) < 0)
            return IOCM_EINVAL;
        rc = object_path(ps, &path);
        if (rc == 0)
            add_term(ps, IOC_TYPE_COUNT, "", "EXISTS tests no value");
        goto out;
    }
    rc = object_path(ps, &path);
    if (rc < 0)
        goto out;
    if (is_keyword(ps, "NOT")) {
        is_negated = true;
        rc = lex(ps);
        if (rc < 0)
            goto out;
    }
    if (ps->kind == TOK_OP) {
        memcpy(op, ps->text, ps->len);
        op[ps->len] = '\0';
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(word_ops); i++)
            if (is_keyword(ps, word_ops[i]))
                snprintf(op, sizeof(op), "%s", word_ops[i]);
        if (!op[0]) {
            rc = syntax(ps, "expected a comparison operator");
            goto out;
        }
    }
    rc = lex(ps);
    if (rc < 0)
        goto out;
    if (!strcmp(op, "IN")) {
        /* A set: ('a', 'b'); read and refused as a whole. */
        rc = expect(ps, TOK_LPAREN, "expected '(' after IN");
        while (rc == 0) {
            rc = literal(ps, &kind, &lit);
            if (rc < 0 || ps->kind != TOK_COMMA)
                break;
            rc = lex(ps);
        }
        if (rc == 0)
            rc = expect(ps, TOK_RPAREN, "expected ')' after a set");
        if (rc == 0)
            comparison(ps, path.buf, op, is_negated, TOK_END, "");
        goto out;
    }
    rc = literal(ps, &kind, &lit);
    if (rc == 0)
        comparison(ps, path.buf, op, is_negated, kind, lit.buf);
out:
    strbuf_release(&lit);
    strbuf_release(&path);
    return rc;
}

static int comparison_and(struct parser *ps)
{
    if (comparison_test(ps) < 0)
        return IOCM_EINVAL;
    while (is_keyword(ps, "AND")) {
        unsupported(ps, "pattern requires several comparisons (AND)");
        if (lex(ps) < 0 || comparison_test(ps) < 0)
            return IOCM_EINVAL;
    }
    return 0;
}

static int comparison_or(struct parser *ps)
{
    if (comparison_and(ps) < 0)
        return IOCM_EINVAL;
    while (is_keyword(ps, "OR"))
        if (lex(ps) < 0 || comparison_and(ps) < 0)
            return IOCM_EINVAL;
    return 0;
}

/* WITHIN n SECONDS, REPEATS n TIMES, START t'..' STOP t'..'. */
static int qualifiers(struct parser *ps)
{
    for (;;) {
        const char *unit = NULL;
        enum tok_kind want;

        if (is_keyword(ps, "WITHIN")) {
            unit = "SECONDS";
            want = TOK_INT;
        } else if (is_keyword(ps, "REPEATS")) {
            unit = "TIMES";
            want = TOK_INT;
        } else if (is_keyword(ps, "START")) {
            unit = "STOP";
            want = TOK_TIMESTAMP;
        } else {
            return 0;
        }
        unsupported(ps, "pattern has qualifiers (WITHIN, REPEATS, START)");
        if (lex(ps) < 0)
            return IOCM_EINVAL;
        if (ps->kind != want && !(want == TOK_INT && ps->kind == TOK_FLOAT))
            return syntax(ps, "invalid qualifier");
        if (lex(ps) < 0)
            return IOCM_EINVAL;
        if (!is_keyword(ps, unit))
            return syntax(ps, "invalid qualifier");
        if (lex(ps) < 0)
            return IOCM_EINVAL;
        if (want == TOK_TIMESTAMP) {
            if (ps->kind != TOK_TIMESTAMP)
                return syntax(ps, "expected a timestamp after STOP");
            if (lex(ps) < 0)
                return IOCM_EINVAL;
        }
    }
}

static int observation_sequence(struct parser *ps);

/* '[' comparisons ']' or '(' observations ')', then qualifiers. */
static int observation(struct parser *ps)
{
    if (++ps->depth > DEPTH_MAX)
        return syntax(ps, "nested too deeply");
    if (ps->kind == TOK_LBRACKET) {
        if (lex(ps) < 0 || comparison_or(ps) < 0 ||
            expect(ps, TOK_RBRACKET, "expected ']'") < 0)
            return IOCM_EINVAL;
    } else if (ps->kind == TOK_LPAREN) {
        if (lex(ps) < 0 || observation_sequence(ps) < 0 ||
            expect(ps, TOK_RPAREN, "expected ')'") < 0)
            return IOCM_EINVAL;
    } else {
        return syntax(ps, "expected '['");
    }
    ps->depth--;
    return qualifiers(ps);
}

static int observation_and(struct parser *ps)
{
    if (observation(ps) < 0)
        return IOCM_EINVAL;
    while (is_keyword(ps, "AND")) {
        unsupported(ps, "pattern requires several observations (AND)");
        if (lex(ps) < 0 || observation(ps) < 0)
            return IOCM_EINVAL;
    }
    return 0;
}

static int observation_or(struct parser *ps)
{
    if (observation_and(ps) < 0)
        return IOCM_EINVAL;
    while (is_keyword(ps, "OR"))
        if (lex(ps) < 0 || observation_and(ps) < 0)
            return IOCM_EINVAL;
    return 0;
}

static int observation_sequence(struct parser *ps)
{
    if (observation_or(ps) < 0)
        return IOCM_EINVAL;
    while (is_keyword(ps, "FOLLOWEDBY")) {
        unsupported(ps, "pattern is a sequence (FOLLOWEDBY)");
        if (lex(ps) < 0 || observation_or(ps) < 0)
            return IOCM_EINVAL;
    }
    return 0;
}

void io_stix_pattern_init(struct io_stix_pattern *p)
{
    memset(p, 0, sizeof(*p));
}

void io_stix_pattern_release(struct io_stix_pattern *p)
{
    for (size_t i = 0; i < p->nr; i++) {
        free(p->terms[i].value);
        free(p->terms[i].reason);
    }
    free(p->terms);
    free(p->unsupported);
    io_stix_pattern_init(p);
}

int io_stix_pattern_parse(const char *pattern, struct io_stix_pattern *out,
                          struct iocm_err *err)
{
    struct parser ps = { 0 };
    int rc;

    ps.src = pattern;
    ps.out = out;
    ps.err = err;
    strbuf_init(&ps.str, 0);
    rc = lex(&ps);
    if (rc == 0)
        rc = observation_sequence(&ps);
    if (rc == 0 && ps.kind != TOK_END)
        rc = syntax(&ps, "unexpected text after the pattern");
    strbuf_release(&ps.str);
    return rc;
}

void io_stix_quote(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *s);
    }
    strbuf_addch(sb, '\'');
}
