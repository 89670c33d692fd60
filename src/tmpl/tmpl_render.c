/*
 * The renderer: walks a compiled template's node array against a stack of
 * JSON contexts, appending to the output. The context stack and partial
 * indentation live in frames on the C stack, so rendering allocates
 * nothing but output.
 */
#include "tmpl/tmpl.h"

#include <string.h>

#include "tmpl/tmpl_int.h"
#include "util/err.h"
#include "util/strbuf.h"

/* One level of the context stack; names resolve from the top down. */
struct frame {
    json_t *val;
    const struct frame *up;
};

/*
 * The indentation of a standalone partial tag, prefixed to every line the
 * partial's own text starts. Partials nested in indented partials add
 * their indent to the outer one.
 */
struct indent {
    const char *s;
    size_t len;
    const struct indent *outer;
};

struct render {
    struct strbuf *out;
    struct tmpl_loader *loader;
    struct iocm_err *err;
    int depth; /* sections and partials entered */
    /* A line of indented partial text has begun in the template but nothing
     * of it is written yet: the indent is owed before the next output. */
    bool is_indent_owed;
};

static int render_nodes(struct render *r, const struct tmpl *t, size_t from,
                        size_t to, const struct frame *ctx,
                        const struct indent *ind);

static void put_indent(struct strbuf *out, const struct indent *ind)
{
    if (!ind)
        return;
    put_indent(out, ind->outer);
    strbuf_add(out, ind->s, ind->len);
}

static void pay_indent(struct render *r, const struct indent *ind)
{
    if (ind && r->is_indent_owed) {
        put_indent(r->out, ind);
        r->is_indent_owed = false;
    }
}

static void render_text(struct render *r, const struct tmpl *t,
                        const struct tmpl_node *node, const struct indent *ind)
{
    const char *s = t->pool + node->u.text.off;
    size_t len = node->u.text.len;
    const char *nl;

    if (!ind) {
        strbuf_add(r->out, s, len);
        return;
    }
    /* Indent each line of the text, but not after its final newline: what
     * follows may be a standalone line that disappears. */
    while (len) {
        pay_indent(r, ind);
        nl = memchr(s, '\n', len);
        if (!nl) {
            strbuf_add(r->out, s, len);
            return;
        }
        strbuf_add(r->out, s, (size_t)(nl - s) + 1);
        len -= (size_t)(nl - s) + 1;
        s = nl + 1;
        r->is_indent_owed = true;
    }
}

/*
 * Resolves a name: its first part against the nearest context that has it,
 * each further part only inside the value before it (so "a.b" never falls
 * back to an outer "b"). NULL when any part is missing.
 */
static json_t *lookup(const struct tmpl *t, const struct tmpl_path *path,
                      const struct frame *ctx)
{
    json_t *v = NULL;

    if (path->nr == 0)
        return ctx ? ctx->val : NULL;
    for (; ctx; ctx = ctx->up) {
        if (json_is_object(ctx->val)) {
            v = json_object_get(ctx->val, t->parts[path->first]);
            if (v)
                break;
        }
    }
    for (size_t i = 1; v && i < path->nr; i++)
        v = json_is_object(v) ? json_object_get(v, t->parts[path->first + i])
                              : NULL;
    return v;
}

static int enter(struct render *r, const struct tmpl *t,
                 const struct tmpl_node *node, const char *what,
                 const char *name)
{
    if (r->depth >= TMPL_MAX_DEPTH)
        return iocm_fail(r->err, IOCM_EINVAL,
                         "%s:%u:%u: %s '%s' nested deeper than %d levels%s",
                         t->name, node->line, node->col, what, name,
                         TMPL_MAX_DEPTH,
                         node->type == TMPL_NODE_PARTIAL
                             ? " (does a partial include itself?)"
                             : "");
    r->depth++;
    return 0;
}

static int render_section(struct render *r, const struct tmpl *t, size_t index,
                          const struct frame *ctx, const struct indent *ind)
{
    const struct tmpl_node *node = &t->nodes[index];
    json_t *v = lookup(t, &node->u.section.path, ctx);
    bool is_shown = tmpl_is_falsey(v) == (node->type == TMPL_NODE_INVERTED);
    struct frame f = { v, ctx };
    int rc;

    /* A standalone section tag is gone from the output with its line; an
     * inline one sits where the line's text begins. */
    if (!node->u.section.is_standalone)
        pay_indent(r, ind);
    if (!is_shown)
        return 0;
    rc = enter(r, t, node, "section", t->pool + node->u.section.name);
    if (rc < 0)
        return rc;
    if (node->type == TMPL_NODE_INVERTED) {
        rc = render_nodes(r, t, index + 1, node->u.section.end, ctx, ind);
    } else if (json_is_array(v)) {
        for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
            f.val = json_array_get(v, i);
            rc = render_nodes(r, t, index + 1, node->u.section.end, &f, ind);
        }
    } else {
        rc = render_nodes(r, t, index + 1, node->u.section.end, &f, ind);
    }
    r->depth--;
    return rc;
}

static int render_partial(struct render *r, const struct tmpl *t,
                          const struct tmpl_node *node, const struct frame *ctx,
                          const struct indent *ind)
{
    const char *name = t->pool + node->u.partial.name;
    struct indent own = { t->pool + node->u.partial.indent,
                          node->u.partial.indent_len, ind };
    const struct indent *child_ind = NULL;
    const struct tmpl *p = NULL;
    int rc;

    if (!node->u.partial.is_standalone)
        pay_indent(r, ind);
    if (!r->loader)
        return 0;
    rc = tmpl_loader_lookup(r->loader, name, &p, r->err);
    if (rc < 0)
        return rc;
    if (!p) {
        if (!tmpl_loader_is_strict(r->loader))
            return 0;
        return iocm_fail(r->err, IOCM_ENOENT,
                         "%s:%u:%u: partial '%s' not found", t->name,
                         node->line, node->col, name);
    }
    rc = enter(r, t, node, "partial", name);
    if (rc < 0)
        return rc;
    /* Only a standalone partial is indented, by its own blanks and those of
     * the partials around it. */
    if (node->u.partial.is_standalone) {
        child_ind = own.len ? &own : ind;
        r->is_indent_owed = true;
    }
    rc = render_nodes(r, p, 0, p->nr_nodes, ctx, child_ind);
    /* The standalone tag's line ending went with it, so the including
     * template goes on at the start of a line; an inline one mid-line. */
    r->is_indent_owed = node->u.partial.is_standalone;
    r->depth--;
    return rc;
}

static int render_nodes(struct render *r, const struct tmpl *t, size_t from,
                        size_t to, const struct frame *ctx,
                        const struct indent *ind)
{
    const struct tmpl_node *node;
    int rc = 0;

    for (size_t i = from; rc == 0 && i < to;) {
        node = &t->nodes[i];
        switch (node->type) {
        case TMPL_NODE_TEXT:
            render_text(r, t, node, ind);
            i++;
            break;
        case TMPL_NODE_VAR:
        case TMPL_NODE_RAW:
            pay_indent(r, ind);
            tmpl_append_value(r->out, lookup(t, &node->u.var, ctx),
                              node->type == TMPL_NODE_VAR);
            i++;
            break;
        case TMPL_NODE_SECTION:
        case TMPL_NODE_INVERTED:
            rc = render_section(r, t, i, ctx, ind);
            i = node->u.section.end;
            break;
        case TMPL_NODE_PARTIAL:
            rc = render_partial(r, t, node, ctx, ind);
            i++;
            break;
        }
    }
    return rc;
}

int tmpl_render(const struct tmpl *t, json_t *ctx, struct tmpl_loader *partials,
                struct strbuf *out, struct iocm_err *err)
{
    struct render r = { out, partials, err, 0, false };
    struct frame root = { ctx, NULL };
    size_t old_len = out->len;
    int rc;

    rc = render_nodes(&r, t, 0, t->nr_nodes, ctx ? &root : NULL, NULL);
    if (rc < 0)
        strbuf_setlen(out, old_len);
    return rc;
}

int tmpl_render_file(struct tmpl_loader *l, const char *name, json_t *ctx,
                     struct strbuf *out, struct iocm_err *err)
{
    const struct tmpl *t;
    int rc;

    rc = tmpl_loader_get(l, name, &t, err);
    if (rc < 0)
        return rc;
    return tmpl_render(t, ctx, l, out, err);
}
