/*
 * The mustache parser: turns template source into the flat node array of
 * tmpl_int.h in one pass, applying the spec's standalone-line rules, so
 * that rendering never looks at the source again.
 */
#include "tmpl/tmpl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl/tmpl_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct parser {
    const char *name;
    const char *src;
    size_t len;
    struct iocm_err *err;

    /* The current delimiters; they point into src or at string literals. */
    const char *open;
    size_t open_len;
    const char *close;
    size_t close_len;

    /* Line and column of src[scanned], advanced as tags are found. */
    size_t scanned;
    unsigned line;
    unsigned col;

    struct tmpl_node *nodes;
    size_t nr_nodes;
    size_t alloc_nodes;
    size_t *parts; /* pool offsets of dotted-name parts */
    size_t nr_parts;
    size_t alloc_parts;
    struct strbuf pool;
    size_t *open_sections; /* node indices, innermost last */
    size_t nr_open;
    size_t alloc_open;
    /* The last node is text that the next text may extend: true only while
     * no other node (or section end) came in between. */
    bool can_merge_text;
};

/* One tag, as found in the source. */
struct tag {
    char sigil;       /* '!' '#' '^' '/' '>' '=' '{' '&', or 0 */
    size_t start;     /* offset of the opening delimiter */
    size_t end;       /* offset just past the closing delimiter */
    const char *body; /* the content between sigil and closing, trimmed */
    size_t body_len;
    unsigned line;
    unsigned col;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Moves the line/column count up to offset off, which never goes back. */
static void locate(struct parser *ps, size_t off, unsigned *line, unsigned *col)
{
    for (; ps->scanned < off; ps->scanned++) {
        unsigned char c = (unsigned char)ps->src[ps->scanned];

        if (c == '\n') {
            ps->line++;
            ps->col = 1;
        } else if ((c & 0xC0) != 0x80) {
            /* Count characters, not bytes: UTF-8 continuation bytes are
             * part of the character before them. */
            ps->col++;
        }
    }
    *line = ps->line;
    *col = ps->col;
}

__attribute__((format(printf, 4, 5))) static int
parse_fail(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return iocm_fail(ps->err, IOCM_EINVAL, "%s:%u:%u: %s", ps->name, line, col,
                     what);
}

static struct tmpl_node *add_node(struct parser *ps, enum tmpl_node_type type,
                                  const struct tag *tag)
{
    struct tmpl_node *node;

    ALLOC_GROW(ps->nodes, ps->nr_nodes + 1, ps->alloc_nodes);
    node = &ps->nodes[ps->nr_nodes++];
    memset(node, 0, sizeof(*node));
    node->type = type;
    if (tag) {
        node->line = tag->line;
        node->col = tag->col;
    }
    ps->can_merge_text = false;
    return node;
}

/* Copies s[0..len) into the pool, NUL-terminated; returns its offset. */
static size_t pool_add(struct parser *ps, const char *s, size_t len)
{
    size_t off = ps->pool.len;

    strbuf_add(&ps->pool, s, len);
    strbuf_addch(&ps->pool, '\0');
    return off;
}

static void add_text(struct parser *ps, size_t from, size_t to)
{
    struct tmpl_node *last;

    if (from >= to)
        return;
    /* Text that was split only by a comment or a delimiter change becomes
     * one node: fewer nodes to walk and fewer appends when rendering. */
    if (ps->can_merge_text) {
        last = &ps->nodes[ps->nr_nodes - 1];
        strbuf_setlen(&ps->pool, ps->pool.len - 1); /* drop its NUL */
        strbuf_add(&ps->pool, ps->src + from, to - from);
        strbuf_addch(&ps->pool, '\0');
        last->u.text.len += to - from;
        return;
    }
    last = add_node(ps, TMPL_NODE_TEXT, NULL);
    last->u.text.off = pool_add(ps, ps->src + from, to - from);
    last->u.text.len = to - from;
    ps->can_merge_text = true;
}

/*
 * Checks the name of a variable or section and stores its dotted parts.
 * "." is the implicit iterator; otherwise no part may be empty and the name
 * holds no white space.
 */
static int add_path(struct parser *ps, const struct tag *tag,
                    struct tmpl_path *path)
{
    const char *s = tag->body;
    size_t len = tag->body_len;
    size_t start = 0;

    path->first = ps->nr_parts;
    path->nr = 0;
    if (len == 1 && s[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (is_space(s[i]))
            return parse_fail(ps, tag->line, tag->col,
                              "invalid tag name '%.*s'", (int)len, s);
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (i == start)
            return parse_fail(
                ps, tag->line, tag->col,
                "invalid tag name '%.*s': empty part in dotted name", (int)len,
                s);
        ALLOC_GROW(ps->parts, ps->nr_parts + 1, ps->alloc_parts);
        ps->parts[ps->nr_parts++] = pool_add(ps, s + start, i - start);
        path->nr++;
        start = i + 1;
    }
    return 0;
}

/*
 * A standalone tag is alone on its line but for blanks: the whole line,
 * its blanks and its line ending, disappears from the output. On true,
 * [*line_start, *line_end) is that line.
 */
static bool is_standalone(const struct parser *ps, const struct tag *tag,
                          size_t *line_start, size_t *line_end)
{
    const char *src = ps->src;
    size_t ls = tag->start;
    size_t le = tag->end;

    /* Only blanks can be passed here, so this never walks back over an
     * earlier tag: a tag always ends in a non-blank delimiter. */
    while (ls > 0 && is_blank(src[ls - 1]))
        ls--;
    if (ls > 0 && src[ls - 1] != '\n')
        return false;
    while (le < ps->len && is_blank(src[le]))
        le++;
    if (le < ps->len) {
        if (src[le] == '\n')
            le++;
        else if (src[le] == '\r' && le + 1 < ps->len && src[le + 1] == '\n')
            le += 2;
        else
            return false;
    }
    *line_start = ls;
    *line_end = le;
    return true;
}

/*
 * Finds the tag whose opening delimiter is at start: its type, its end and
 * its trimmed content.
 */
static int scan_tag(struct parser *ps, size_t start, struct tag *tag)
{
    const char *src = ps->src;
    size_t body = start + ps->open_len;
    char want_before_close = 0; /* '}' for {{{x}}}, '=' for {{=a b=}} */
    size_t search;
    const char *hit;

    memset(tag, 0, sizeof(*tag));
    tag->start = start;
    locate(ps, start, &tag->line, &tag->col);
    if (body < ps->len && src[body] && strchr("!#^/>={&", src[body])) {
        tag->sigil = src[body];
        body++;
    }
    if (tag->sigil == '{')
        want_before_close = '}';
    else if (tag->sigil == '=')
        want_before_close = '=';

    search = body;
    for (;;) {
        hit = memmem(src + search, ps->len - search, ps->close, ps->close_len);
        if (!hit)
            return parse_fail(ps, tag->line, tag->col,
                              "unclosed tag: no '%.*s%.*s' after '%.*s'",
                              want_before_close ? 1 : 0, &want_before_close,
                              (int)ps->close_len, ps->close, (int)ps->open_len,
                              ps->open);
        search = (size_t)(hit - src);
        if (!want_before_close ||
            (search > body && src[search - 1] == want_before_close))
            break;
        search++;
    }
    tag->end = search + ps->close_len;
    if (want_before_close)
        search--;

    while (body < search && is_space(src[body]))
        body++;
    while (search > body && is_space(src[search - 1]))
        search--;
    tag->body = src + body;
    tag->body_len = search - body;
    if (tag->body_len == 0 && tag->sigil != '!' && tag->sigil != '=')
        return parse_fail(ps, tag->line, tag->col, "empty tag name");
    return 0;
}

/* {{=<% %>=}}: exactly two delimiters, with no blank or '=' in them. */
static int set_delimiters(struct parser *ps, const struct tag *tag)
{
    const char *s = tag->body;
    size_t len = tag->body_len;
    size_t i = 0, open_end, close_start;

    while (i < len && !is_space(s[i]) && s[i] != '=')
        i++;
    open_end = i;
    while (i < len && is_space(s[i]))
        i++;
    close_start = i;
    while (i < len && !is_space(s[i]) && s[i] != '=')
        i++;
    if (open_end == 0 || close_start == open_end || i == close_start ||
        i != len)
        return parse_fail(
            ps, tag->line, tag->col,
            "invalid delimiter setting '%.*s': expected two delimiters without blanks or '='",
            (int)len, s);
    ps->open = s;
    ps->open_len = open_end;
    ps->close = s + close_start;
    ps->close_len = len - close_start;
    return 0;
}

static int open_section(struct parser *ps, const struct tag *tag,
                        bool standalone)
{
    struct tmpl_path path;
    struct tmpl_node *node;
    int rc;

    if (ps->nr_open >= TMPL_MAX_DEPTH)
        return parse_fail(ps, tag->line, tag->col,
                          "sections nested deeper than %d levels",
                          TMPL_MAX_DEPTH);
    rc = add_path(ps, tag, &path);
    if (rc < 0)
        return rc;
    node = add_node(
        ps, tag->sigil == '#' ? TMPL_NODE_SECTION : TMPL_NODE_INVERTED, tag);
    node->u.section.path = path;
    node->u.section.name = pool_add(ps, tag->body, tag->body_len);
    node->u.section.is_standalone = standalone;
    ALLOC_GROW(ps->open_sections, ps->nr_open + 1, ps->alloc_open);
    ps->open_sections[ps->nr_open++] = ps->nr_nodes - 1;
    return 0;
}

static int close_section(struct parser *ps, const struct tag *tag)
{
    struct tmpl_node *node;
    const char *name;

    if (!ps->nr_open)
        return parse_fail(ps, tag->line, tag->col,
                          "section end '%.*s' without an open section",
                          (int)tag->body_len, tag->body);
    node = &ps->nodes[ps->open_sections[ps->nr_open - 1]];
    name = ps->pool.buf + node->u.section.name;
    if (strlen(name) != tag->body_len ||
        memcmp(name, tag->body, tag->body_len) != 0)
        return parse_fail(
            ps, tag->line, tag->col,
            "section end '%.*s' does not match open section '%s' (opened at %u:%u)",
            (int)tag->body_len, tag->body, name, node->line, node->col);
    node->u.section.end = ps->nr_nodes;
    ps->nr_open--;
    ps->can_merge_text = false;
    return 0;
}

static int add_partial(struct parser *ps, const struct tag *tag,
                       bool standalone, size_t line_start)
{
    struct tmpl_node *node;

    for (size_t i = 0; i < tag->body_len; i++)
        if (is_space(tag->body[i]))
            return parse_fail(ps, tag->line, tag->col,
                              "invalid partial name '%.*s'", (int)tag->body_len,
                              tag->body);
    node = add_node(ps, TMPL_NODE_PARTIAL, tag);
    node->u.partial.name = pool_add(ps, tag->body, tag->body_len);
    node->u.partial.is_standalone = standalone;
    if (standalone) {
        node->u.partial.indent_len = tag->start - line_start;
        node->u.partial.indent =
            pool_add(ps, ps->src + line_start, node->u.partial.indent_len);
    }
    return 0;
}

static int add_tag(struct parser *ps, const struct tag *tag, bool standalone,
                   size_t line_start)
{
    struct tmpl_path path;
    struct tmpl_node *node;
    int rc;

    switch (tag->sigil) {
    case '!':
        return 0;
    case '=':
        return set_delimiters(ps, tag);
    case '#':
    case '^':
        return open_section(ps, tag, standalone);
    case '/':
        return close_section(ps, tag);
    case '>':
        return add_partial(ps, tag, standalone, line_start);
    default:
        rc = add_path(ps, tag, &path);
        if (rc < 0)
            return rc;
        node = add_node(ps, tag->sigil ? TMPL_NODE_RAW : TMPL_NODE_VAR, tag);
        node->u.var = path;
        return 0;
    }
}

static void parser_release(struct parser *ps)
{
    free(ps->nodes);
    free(ps->parts);
    free(ps->open_sections);
    strbuf_release(&ps->pool);
}

static struct tmpl *parser_finish(struct parser *ps)
{
    struct tmpl *t = xcalloc(1, sizeof(*t));

    t->name = xstrdup(ps->name);
    t->nodes = ps->nodes;
    t->nr_nodes = ps->nr_nodes;
    t->pool = strbuf_detach(&ps->pool, NULL);
    t->nr_parts = ps->nr_parts;
    t->parts = xcalloc(ps->nr_parts ? ps->nr_parts : 1, sizeof(*t->parts));
    for (size_t i = 0; i < ps->nr_parts; i++)
        t->parts[i] = t->pool + ps->parts[i];
    ps->nodes = NULL;
    ps->nr_nodes = 0;
    return t;
}

int tmpl_compile(const char *name, const char *src, size_t len,
                 struct tmpl **out, struct iocm_err *err)
{
    struct parser ps = { 0 };
    size_t text_start = 0;
    int rc = 0;

    *out = NULL;
    ps.name = name ? name : "template";
    ps.src = src;
    ps.len = len;
    ps.err = err;
    ps.open = "{{";
    ps.open_len = 2;
    ps.close = "}}";
    ps.close_len = 2;
    ps.line = 1;
    ps.col = 1;
    strbuf_init(&ps.pool, len + 16);

    for (;;) {
        const char *hit =
            memmem(src + text_start, len - text_start, ps.open, ps.open_len);
        struct tag tag;
        size_t line_start = 0, line_end = 0;
        bool standalone = false;

        if (!hit) {
            add_text(&ps, text_start, len);
            break;
        }
        rc = scan_tag(&ps, (size_t)(hit - src), &tag);
        if (rc < 0)
            goto out;
        /* Interpolation always prints something in place, so it is never
         * standalone; every other tag may be. */
        if (tag.sigil && tag.sigil != '{' && tag.sigil != '&')
            standalone = is_standalone(&ps, &tag, &line_start, &line_end);
        add_text(&ps, text_start, standalone ? line_start : tag.start);
        rc = add_tag(&ps, &tag, standalone, line_start);
        if (rc < 0)
            goto out;
        text_start = standalone ? line_end : tag.end;
    }
    if (ps.nr_open) {
        const struct tmpl_node *node =
            &ps.nodes[ps.open_sections[ps.nr_open - 1]];

        rc = parse_fail(&ps, node->line, node->col, "unclosed section '%s'",
                        ps.pool.buf + node->u.section.name);
        goto out;
    }
    *out = parser_finish(&ps);
out:
    parser_release(&ps);
    return rc;
}

void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->nodes);
    free((void *)t->parts);
    free(t->pool);
    free(t);
}

const char *tmpl_name(const struct tmpl *t)
{
    return t->name;
}
