/*
 * The mustache template engine used by report emails and the web UI: the
 * spec's core modules (interpolation, sections, inverted sections, comments,
 * partials, set delimiters), no lambdas, rendering a jansson context.
 *
 * Ownership, stated once for the whole API:
 * - tmpl_compile() hands a compiled template to the caller, who frees it
 *   with tmpl_free(). A compiled template is immutable: render it any number
 *   of times, from any number of threads at once.
 * - A loader owns every template tmpl_loader_get() returns; those stay valid
 *   until tmpl_loader_free(). A loader may be shared between threads (its
 *   cache is locked).
 * - Context trees are borrowed: rendering never changes or keeps them.
 * - Rendering appends to a caller's strbuf; when it fails, the strbuf is
 *   left exactly as it was (no partial output).
 *
 * Semantics where the spec leaves a choice to the implementation:
 * - Falsey for sections: missing, null, false, "", 0, 0.0 and [] (as in
 *   mustache.js); {} is truthy. A list renders its section once per item; any
 *   other truthy value once, pushed as the new context.
 * - Interpolation: strings as they are; integers in decimal; reals in the
 *   shortest form that reads back to the same double (1.5, 1.0 -> "1",
 *   1.210 -> "1.21"); true/false as "true"/"false"; null, missing, objects
 *   and arrays as nothing. {{x}} escapes & < > " ' as &amp; &lt; &gt; &quot;
 *   &#39;; {{{x}}} and {{&x}} do not escape.
 * - Tag names hold no white space; a dotted name has no empty part.
 * - A partial that cannot be found renders as nothing (the spec), unless the
 *   loader is strict (tmpl_loader_set_strict()), when it is an error. A
 *   partial that exists but does not compile is always an error.
 * - Sections and partials nest at most TMPL_MAX_DEPTH deep when rendering,
 *   which stops a partial that includes itself forever.
 *
 * Errors are IOCM_EINVAL for a malformed template, with the message
 * "<name>:<line>:<column>: <what>", e.g.
 * "daily_report.html:12:5: unclosed section 'items'" (lines and columns from
 * 1, columns counted in UTF-8 characters).
 */
#ifndef IOCM_TMPL_TMPL_H
#define IOCM_TMPL_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct iocm_err;
struct strbuf;

struct tmpl;        /* a compiled template, immutable */
struct tmpl_loader; /* where templates and partials come from, and a cache */

/* How deep sections and partials may nest while rendering. */
#define TMPL_MAX_DEPTH 100

/*
 * Compiles the len bytes at src (need not be NUL-terminated). name is used
 * in error messages and copied. On success *out is the caller's.
 */
int tmpl_compile(const char *name, const char *src, size_t len,
                 struct tmpl **out, struct iocm_err *err);
void tmpl_free(struct tmpl *t);
/* The name given to tmpl_compile(); borrowed from t. */
const char *tmpl_name(const struct tmpl *t);

/*
 * A loader reading files from dirs, a NULL-terminated list searched in
 * order, so that an override folder (TEMPLATE_DIR) placed before the
 * default folder wins file by file. Empty strings are skipped, so an unset
 * option can be passed as "". The strings are copied.
 *
 * In each folder, in order, the name is looked up as "<dir>/<name>" and then
 * as "<dir>/<name>.mustache": "{{> footer}}" finds "footer.mustache", and
 * "daily_report.html" finds itself. Names may hold subfolders ("email/row")
 * but not ".." parts nor start with "/".
 */
struct tmpl_loader *tmpl_loader_new(const char *const *dirs);
/*
 * A loader whose templates are the string members of partials, an object of
 * name -> template source (the spec tests' "partials"). The loader takes its
 * own reference to partials; NULL means an empty loader.
 */
struct tmpl_loader *tmpl_loader_new_from_json(json_t *partials);
void tmpl_loader_free(struct tmpl_loader *l);
/* When strict, a partial that cannot be found fails the render. */
void tmpl_loader_set_strict(struct tmpl_loader *l, bool is_strict);

/*
 * Finds, compiles and caches the template called name. *out is borrowed
 * from the loader. IOCM_ENOENT when no folder has it, IOCM_EINVAL for a
 * bad name or a malformed template, IOCM_EIO when a file cannot be read.
 */
int tmpl_loader_get(struct tmpl_loader *l, const char *name,
                    const struct tmpl **out, struct iocm_err *err);

/*
 * Renders t with the context ctx (any JSON value; NULL is an empty
 * context), appending to out. Partials come from partials, which may be
 * NULL (then every partial renders as nothing).
 */
int tmpl_render(const struct tmpl *t, json_t *ctx, struct tmpl_loader *partials,
                struct strbuf *out, struct iocm_err *err);
/* tmpl_loader_get() then tmpl_render() with the same loader for partials. */
int tmpl_render_file(struct tmpl_loader *l, const char *name, json_t *ctx,
                     struct strbuf *out, struct iocm_err *err);

#endif
