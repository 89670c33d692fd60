/*
 * Private to src/tmpl/: the compiled form of a template, shared by the
 * parser that builds it and the renderer that walks it, and the output
 * helpers (escaping, number formatting).
 */
#ifndef IOCM_TMPL_TMPL_INT_H
#define IOCM_TMPL_TMPL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct iocm_err;
struct strbuf;
struct tmpl_loader;

enum tmpl_node_type {
    TMPL_NODE_TEXT,     /* literal text */
    TMPL_NODE_VAR,      /* {{name}}, HTML-escaped */
    TMPL_NODE_RAW,      /* {{{name}}} or {{&name}} */
    TMPL_NODE_SECTION,  /* {{#name}} ... {{/name}} */
    TMPL_NODE_INVERTED, /* {{^name}} ... {{/name}} */
    TMPL_NODE_PARTIAL,  /* {{>name}} */
};

/*
 * A name as the parts of its dotted path: parts[first .. first + nr) of the
 * template's part table. nr == 0 is the implicit iterator ".".
 */
struct tmpl_path {
    size_t first;
    size_t nr;
};

/*
 * One node of the flat node array. A section's children are the nodes that
 * follow it up to (not including) index end, so rendering walks an array
 * instead of chasing pointers. Offsets point into the template's pool.
 */
struct tmpl_node {
    enum tmpl_node_type type;
    unsigned line; /* of the tag, from 1, for errors found while rendering */
    unsigned col;
    union {
        struct {
            size_t off;
            size_t len;
        } text;
        struct tmpl_path var; /* TMPL_NODE_VAR, TMPL_NODE_RAW */
        struct {
            struct tmpl_path path;
            size_t name; /* the name as written, NUL-terminated */
            size_t end;  /* index one past the last child */
            bool is_standalone;
        } section; /* TMPL_NODE_SECTION, TMPL_NODE_INVERTED */
        struct {
            size_t name;       /* NUL-terminated */
            size_t indent;     /* white space before a standalone tag */
            size_t indent_len; /* 0 when not standalone */
            bool is_standalone;
        } partial;
    } u;
};

struct tmpl {
    char *name;
    struct tmpl_node *nodes;
    size_t nr_nodes;
    const char **parts; /* dotted-name parts, each NUL-terminated in pool */
    size_t nr_parts;
    char *pool; /* text and names, owned */
};

/* Appends s[0..len) to out with & < > " ' replaced by HTML entities. */
void tmpl_escape_html(struct strbuf *out, const char *s, size_t len);

/*
 * Appends the interpolation of v (see tmpl.h for each type), escaped when
 * is_escaped. v may be NULL (a name that resolved to nothing).
 */
void tmpl_append_value(struct strbuf *out, const json_t *v, bool is_escaped);

/*
 * tmpl_loader_get() for the renderer: a template that does not exist is
 * not an error here but *out == NULL, so that a missing partial costs no
 * error message when it is allowed to render as nothing.
 */
int tmpl_loader_lookup(struct tmpl_loader *l, const char *name,
                       const struct tmpl **out, struct iocm_err *err);
bool tmpl_loader_is_strict(const struct tmpl_loader *l);

/* The section truth test shared by sections and inverted sections. */
bool tmpl_is_falsey(const json_t *v);

#endif
