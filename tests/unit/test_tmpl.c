/*
 * Unit tests for tmpl/: error messages with file:line:column, escaping and
 * value formatting, compile-once-render-many, loaders (override folder
 * precedence, names, caching) and the nesting limit. The mustache spec's
 * own cases run in test_tmpl_spec.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs_testlib.h"
#include "tmpl/tmpl.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (!j)
        fail_msg("bad test JSON '%s': %s", text, jerr.text);
    return j;
}

/* Compiles src and renders it with data (JSON text) and partials (a JSON
 * object text, or NULL), appending to out. */
static int render_string(const char *src, const char *data,
                         const char *partials, struct strbuf *out,
                         struct iocm_err *err)
{
    json_t *ctx = parse_json(data);
    json_t *parts = partials ? parse_json(partials) : NULL;
    struct tmpl_loader *loader = tmpl_loader_new_from_json(parts);
    struct tmpl *t = NULL;
    int rc;

    rc = tmpl_compile("t.html", src, strlen(src), &t, err);
    if (rc == 0)
        rc = tmpl_render(t, ctx, loader, out, err);
    tmpl_free(t);
    tmpl_loader_free(loader);
    json_decref(parts);
    json_decref(ctx);
    return rc;
}

static const struct {
    const char *name;
    const char *src;
    const char *message;
} compile_errors[] = {
    { "daily_report.html",
      "<h1>Daily</h1>\n<ul>\n    {{#items}}\n  <li>{{value}}</li>\n</ul>\n",
      "daily_report.html:3:5: unclosed section 'items'" },
    { "t.html", "{{#a}}{{#b}}", "t.html:1:7: unclosed section 'b'" },
    { "t.html", "a\n  {{name", "t.html:2:3: unclosed tag: no '}}' after '{{'" },
    { "t.html", "x {{{raw}}", "t.html:1:3: unclosed tag: no '}}}' after '{{'" },
    { "t.html", "{{=<% %>=}}\n<%name%\n",
      "t.html:2:1: unclosed tag: no '%>' after '<%'" },
    { "t.html", "{{#a}}\n{{#b}}x{{/a}}\n",
      "t.html:2:8: section end 'a' does not match open section 'b' (opened at 2:1)" },
    { "t.html", "x\n  {{/a}}",
      "t.html:2:3: section end 'a' without an open section" },
    { "t.html", "{{=<% =}}",
      "t.html:1:1: invalid delimiter setting '<%': expected two delimiters without blanks or '='" },
    { "t.html", "ok\n{{= a b c =}}",
      "t.html:2:1: invalid delimiter setting 'a b c': expected two delimiters without blanks or '='" },
    { "t.html", "{{=<%= %>=}}",
      "t.html:1:1: invalid delimiter setting '<%= %>': expected two delimiters without blanks or '='" },
    { "t.html", "{{}}", "t.html:1:1: empty tag name" },
    { "t.html", "x {{# }}{{/}}", "t.html:1:3: empty tag name" },
    { "t.html", "\n\n{{> }}", "t.html:3:1: empty tag name" },
    { "t.html", "{{{ }}}", "t.html:1:1: empty tag name" },
    { "t.html", "{{a b}}", "t.html:1:1: invalid tag name 'a b'" },
    { "t.html", "{{#a..b}}{{/a..b}}",
      "t.html:1:1: invalid tag name 'a..b': empty part in dotted name" },
    { "t.html", "{{> foo bar}}", "t.html:1:1: invalid partial name 'foo bar'" },
    /* Columns count characters, not bytes: "é" is two bytes. */
    { "t.html", "h\xc3\xa9llo {{}}", "t.html:1:7: empty tag name" },
};

static void test_malformed_templates_fail_with_file_line_col(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(compile_errors); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct tmpl *t = (struct tmpl *)&err; /* must be reset to NULL */
        int rc;

        rc = tmpl_compile(compile_errors[i].name, compile_errors[i].src,
                          strlen(compile_errors[i].src), &t, &err);
        if (rc != IOCM_EINVAL || strcmp(err.msg, compile_errors[i].message))
            fail_msg("case %zu '%s': rc %d, message '%s', expected '%s'", i,
                     compile_errors[i].src, rc, err.msg,
                     compile_errors[i].message);
        assert_null(t);
    }
}

static const struct {
    const char *src;
    const char *data;
    const char *expected;
} renders[] = {
    /* The five characters that matter in HTML text and attributes. */
    { "{{s}}", "{\"s\": \"a & b < c > d \\\" e ' f\"}",
      "a &amp; b &lt; c &gt; d &quot; e &#39; f" },
    { "{{{s}}}|{{&s}}", "{\"s\": \"<b>&'\\\"</b>\"}",
      "<b>&'\"</b>|<b>&'\"</b>" },
    { "{{s}}", "{\"s\": \"caf\xc3\xa9 \xe2\x82\xac\"}",
      "caf\xc3\xa9 \xe2\x82\xac" },
    { "<a title=\"{{.}}\">", "\"x\\\"><script>\"",
      "<a title=\"x&quot;&gt;&lt;script&gt;\">" },
    /* Numbers print the way the spec and people expect. */
    { "{{n}}", "{\"n\": 1.5}", "1.5" },
    { "{{n}}", "{\"n\": 1.0}", "1" },
    { "{{n}}", "{\"n\": 1.210}", "1.21" },
    { "{{n}}", "{\"n\": 0.30000000000000004}", "0.30000000000000004" },
    { "{{n}}", "{\"n\": -0.25}", "-0.25" },
    { "{{n}}", "{\"n\": 42}", "42" },
    { "{{n}}", "{\"n\": -9007199254740993}", "-9007199254740993" },
    { "{{t}} {{f}} [{{z}}] [{{o}}] [{{a}}] [{{missing}}]",
      "{\"t\": true, \"f\": false, \"z\": null, \"o\": {\"k\": 1}, "
      "\"a\": [1]}",
      "true false [] [] [] []" },
    /* What is falsey for a section, and what is not. */
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": \"\"}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": 0}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": 0.0}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": []}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": null}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{}", "no" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": {}}", "yes" },
    { "{{#v}}yes{{/v}}{{^v}}no{{/v}}", "{\"v\": 3}", "yes" },
    { "{{#v}}<{{.}}>{{/v}}", "{\"v\": \"x\"}", "<x>" },
    /* Lists of objects, names resolved up the context stack. */
    { "{{#rows}}{{id}}:{{name}}@{{site}};{{/rows}}",
      "{\"site\": \"s\", \"rows\": [{\"id\": 1, \"name\": \"a\"}, "
      "{\"id\": 2, \"name\": \"b\", \"site\": \"t\"}]}",
      "1:a@s;2:b@t;" },
    { "{{a.b.c}}|{{#a.b}}{{c}}{{/a.b}}", "{\"a\": {\"b\": {\"c\": \"<\"}}}",
      "&lt;|&lt;" },
    /* A standalone section line leaves no blank line behind. */
    { "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n</ul>\n",
      "{\"items\": [\"a\", \"b\"]}",
      "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n" },
};

static void test_render_values_escaping_and_truthiness(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(renders); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf out = STRBUF_INIT;
        int rc;

        rc = render_string(renders[i].src, renders[i].data, NULL, &out, &err);
        if (rc != 0 || strcmp(out.buf, renders[i].expected))
            fail_msg("case %zu '%s': rc %d (%s), got '%s', expected '%s'", i,
                     renders[i].src, rc, err.msg, out.buf, renders[i].expected);
        strbuf_release(&out);
    }
}

static const struct {
    const char *src;
    const char *data;
    const char *partials;
    const char *expected;
} partial_renders[] = {
    /* A partial renders in the context where it is included. */
    { "{{#rows}}{{>row}}{{/rows}}", "{\"rows\": [{\"id\": 1}, {\"id\": 2}]}",
      "{\"row\": \"<{{id}}>\"}", "<1><2>" },
    /* Indents add up through nested standalone partials, and sections in
     * an indented partial keep the indent on every line they repeat. */
    { "a\n  {{>outer}}\nz\n", "{\"list\": [1, 2]}",
      "{\"outer\": \"o1\\n  {{>inner}}\\n{{#list}}\\n- {{.}}\\n{{/list}}\\n\", "
      "\"inner\": \"i1\\ni2\\n\"}",
      "a\n  o1\n    i1\n    i2\n  - 1\n  - 2\nz\n" },
    /* An inline partial is not indented. */
    { "  x {{>p}}\n", "{}", "{\"p\": \"a\\nb\"}", "  x a\nb\n" },
    /* Delimiters set in a template do not leak into its partials. */
    { "{{=<% %>=}}<%>p%>", "{\"v\": 1}", "{\"p\": \"{{v}}\"}", "1" },
};

static void test_partials_render_in_context_with_indentation(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(partial_renders); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf out = STRBUF_INIT;
        int rc;

        rc = render_string(partial_renders[i].src, partial_renders[i].data,
                           partial_renders[i].partials, &out, &err);
        if (rc != 0 || strcmp(out.buf, partial_renders[i].expected))
            fail_msg("case %zu '%s': rc %d (%s), got '%s', expected '%s'", i,
                     partial_renders[i].src, rc, err.msg, out.buf,
                     partial_renders[i].expected);
        strbuf_release(&out);
    }
}

static void test_compiled_template_renders_many_times_appending(void **state)
{
    static const char src[] = "{{#rows}}<td>{{v}}</td>{{/rows}}";
    static const char *const data[] = {
        "{\"rows\": [{\"v\": 1}, {\"v\": \"<\"}]}",
        "{\"rows\": []}",
        "{\"rows\": {\"v\": \"x\"}}",
    };
    static const char *const expected[] = {
        "head|<td>1</td><td>&lt;</td>",
        "head|<td>1</td><td>&lt;</td>",
        "head|<td>1</td><td>&lt;</td><td>x</td>",
    };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct tmpl *t = NULL;

    (void)state;
    assert_int_equal(tmpl_compile("rows", src, strlen(src), &t, &err), 0);
    assert_string_equal(tmpl_name(t), "rows");
    strbuf_addstr(&out, "head|");
    for (size_t i = 0; i < ARRAY_SIZE(data); i++) {
        json_t *ctx = parse_json(data[i]);

        assert_int_equal(tmpl_render(t, ctx, NULL, &out, &err), 0);
        assert_string_equal(out.buf, expected[i]);
        json_decref(ctx);
    }
    /* The template does not depend on one context: render the first again. */
    strbuf_reset(&out);
    {
        json_t *ctx = parse_json(data[0]);

        assert_int_equal(tmpl_render(t, ctx, NULL, &out, &err), 0);
        assert_string_equal(out.buf, "<td>1</td><td>&lt;</td>");
        json_decref(ctx);
    }
    tmpl_free(t);
    strbuf_release(&out);
}

static void test_source_need_not_be_nul_terminated(void **state)
{
    static const char src[] = "{{a}}{{b}}";
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    json_t *ctx = parse_json("{\"a\": 1, \"b\": 2}");
    struct tmpl *t = NULL;

    (void)state;
    /* Only "{{a}}" is the template; "{{b}}" lies beyond len. */
    assert_int_equal(tmpl_compile("t", src, 5, &t, &err), 0);
    assert_int_equal(tmpl_render(t, ctx, NULL, &out, &err), 0);
    assert_string_equal(out.buf, "1");
    /* Cut inside a tag, it is an unclosed tag. */
    tmpl_free(t);
    assert_int_equal(tmpl_compile("t", src, 4, &t, &err), IOCM_EINVAL);
    assert_string_equal(err.msg, "t:1:1: unclosed tag: no '}}' after '{{'");
    json_decref(ctx);
    strbuf_release(&out);
}

static const struct {
    const char *src;
    const char *partials;
    int code;
    const char *message;
} render_errors[] = {
    { "before {{>bad}} after", "{\"bad\": \"ok\\n{{#x}}\"}", IOCM_EINVAL,
      "bad:2:1: unclosed section 'x'" },
    { "{{#list}}{{>bad}}{{/list}}", "{\"bad\": 5}", IOCM_EINVAL,
      "partial 'bad' is not a string" },
    { "x\n  {{>self}}", "{\"self\": \"{{x}}{{>self}}\"}", IOCM_EINVAL,
      "self:1:6: partial 'self' nested deeper than 100 levels (does a partial include itself?)" },
    { "{{>a}}", "{\"a\": \"[{{>b}}]\", \"b\": \"({{>a}})\"}", IOCM_EINVAL,
      "b:1:2: partial 'a' nested deeper than 100 levels (does a partial include itself?)" },
};

static void test_render_failure_leaves_output_unchanged(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(render_errors); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf out = STRBUF_INIT;
        int rc;

        strbuf_addstr(&out, "kept");
        rc = render_string(render_errors[i].src, "{\"list\": [1, 2]}",
                           render_errors[i].partials, &out, &err);
        if (rc != render_errors[i].code ||
            strcmp(err.msg, render_errors[i].message))
            fail_msg("case %zu '%s': rc %d, message '%s', expected '%s'", i,
                     render_errors[i].src, rc, err.msg,
                     render_errors[i].message);
        assert_string_equal(out.buf, "kept");
        assert_int_equal(out.len, 4);
        strbuf_release(&out);
    }
}

static void test_missing_partial_is_empty_unless_loader_is_strict(void **state)
{
    static const char src[] = "[{{>nope}}]";
    struct tmpl_loader *loader = tmpl_loader_new_from_json(NULL);
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct tmpl *t = NULL;

    (void)state;
    assert_int_equal(tmpl_compile("page", src, strlen(src), &t, &err), 0);
    assert_int_equal(tmpl_render(t, NULL, loader, &out, &err), 0);
    assert_string_equal(out.buf, "[]");
    assert_int_equal(tmpl_render(t, NULL, NULL, &out, &err), 0);
    assert_string_equal(out.buf, "[][]");
    tmpl_loader_set_strict(loader, true);
    assert_int_equal(tmpl_render(t, NULL, loader, &out, &err), IOCM_ENOENT);
    assert_string_equal(err.msg, "page:1:2: partial 'nope' not found");
    assert_string_equal(out.buf, "[][]");
    tmpl_free(t);
    tmpl_loader_free(loader);
    strbuf_release(&out);
}

/* Builds "{{#a}}" n times, "x", "{{/a}}" n times. */
static void nested_sections(struct strbuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        strbuf_addstr(sb, "{{#a}}");
    strbuf_addch(sb, 'x');
    for (int i = 0; i < n; i++)
        strbuf_addstr(sb, "{{/a}}");
}

static void test_section_nesting_is_limited(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf src = STRBUF_INIT;
    struct strbuf out = STRBUF_INIT;
    json_t *ctx = parse_json("{\"a\": true}");
    struct tmpl *t = NULL;

    (void)state;
    nested_sections(&src, TMPL_MAX_DEPTH);
    assert_int_equal(tmpl_compile("deep", src.buf, src.len, &t, &err), 0);
    assert_int_equal(tmpl_render(t, ctx, NULL, &out, &err), 0);
    assert_string_equal(out.buf, "x");
    tmpl_free(t);

    strbuf_reset(&src);
    nested_sections(&src, TMPL_MAX_DEPTH + 1);
    assert_int_equal(tmpl_compile("deep", src.buf, src.len, &t, &err),
                     IOCM_EINVAL);
    assert_string_equal(err.msg,
                        "deep:1:601: sections nested deeper than 100 levels");
    json_decref(ctx);
    strbuf_release(&src);
    strbuf_release(&out);
}

/* Temporary template folders, removed with everything in them. */
struct fixture {
    char override_dir[64];
    char default_dir[64];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    struct strbuf path = STRBUF_INIT;
    FILE *fp;

    strbuf_addf(&path, "%s/%s", dir, name);
    fp = fopen(path.buf, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    strbuf_release(&path);
}

static int setup_dirs(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    snprintf(f->override_dir, sizeof(f->override_dir), "%s",
             "/tmp/iocm-tmpl-override-XXXXXX");
    snprintf(f->default_dir, sizeof(f->default_dir), "%s",
             "/tmp/iocm-tmpl-default-XXXXXX");
    if (!mkdtemp(f->override_dir) || !mkdtemp(f->default_dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown_dirs(void **state)
{
    struct fixture *f = *state;

    remove_tree(f->override_dir);
    remove_tree(f->default_dir);
    free(f);
    return 0;
}

static struct tmpl_loader *fixture_loader(const struct fixture *f)
{
    const char *dirs[] = { f->override_dir, "", f->default_dir, NULL };

    return tmpl_loader_new(dirs);
}

/* Renders name through a new loader over the fixture's folders. */
static void assert_renders(const struct fixture *f, const char *name,
                           const char *expected)
{
    struct tmpl_loader *loader = fixture_loader(f);
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    json_t *ctx = parse_json("{\"who\": \"<analyst>\"}");
    int rc;

    rc = tmpl_render_file(loader, name, ctx, &out, &err);
    if (rc != 0 || strcmp(out.buf, expected))
        fail_msg("'%s': rc %d (%s), got '%s', expected '%s'", name, rc, err.msg,
                 out.buf, expected);
    json_decref(ctx);
    strbuf_release(&out);
    tmpl_loader_free(loader);
}

static void test_override_folder_wins_file_by_file(void **state)
{
    const struct fixture *f = *state;

    write_file(f->default_dir, "report.html", "D report {{>row}}{{>foot}}");
    write_file(f->default_dir, "row.mustache", "D row {{who}};");
    write_file(f->default_dir, "foot", "D foot");
    assert_renders(f, "report.html", "D report D row &lt;analyst&gt;;D foot");

    /* Overriding one file leaves the others coming from the default. */
    write_file(f->override_dir, "report.html", "O report {{>row}}{{>foot}}");
    assert_renders(f, "report.html", "O report D row &lt;analyst&gt;;D foot");

    /* The override folder is searched completely (both spellings) before
     * the default: its "foot.mustache" beats the default's "foot". */
    write_file(f->override_dir, "foot.mustache", "O foot");
    assert_renders(f, "report.html", "O report D row &lt;analyst&gt;;O foot");

    /* In one folder, the exact name comes before the ".mustache" one. */
    write_file(f->override_dir, "row.mustache", "O row.mustache;");
    write_file(f->override_dir, "row", "O row;");
    assert_renders(f, "report.html", "O report O row;O foot");
}

static void test_loader_caches_compiled_templates(void **state)
{
    const struct fixture *f = *state;
    struct tmpl_loader *loader = fixture_loader(f);
    struct iocm_err err = IOCM_ERR_INIT;
    const struct tmpl *first = NULL;
    const struct tmpl *again = NULL;

    write_file(f->default_dir, "page", "v1");
    assert_int_equal(tmpl_loader_get(loader, "page", &first, &err), 0);
    assert_string_equal(tmpl_name(first), "page");
    /* A change on disk is not seen by a loader that has the template. */
    write_file(f->default_dir, "page", "v2 {{#broken}}");
    assert_int_equal(tmpl_loader_get(loader, "page", &again, &err), 0);
    assert_ptr_equal(first, again);
    tmpl_loader_free(loader);
}

static void test_loader_reports_malformed_file_with_position(void **state)
{
    const struct fixture *f = *state;
    struct tmpl_loader *loader = fixture_loader(f);
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct strbuf src = STRBUF_INIT;

    for (int i = 1; i < 12; i++)
        strbuf_addf(&src, "<p>line %d</p>\n", i);
    strbuf_addstr(&src, "    {{#items}}<li>{{value}}</li>\n</ul>\n");
    write_file(f->default_dir, "daily_report.html", src.buf);
    assert_int_equal(
        tmpl_render_file(loader, "daily_report.html", NULL, &out, &err),
        IOCM_EINVAL);
    assert_string_equal(err.msg,
                        "daily_report.html:12:5: unclosed section 'items'");
    assert_string_equal(out.buf, "");
    strbuf_release(&src);
    strbuf_release(&out);
    tmpl_loader_free(loader);
}

static void test_loader_refuses_names_outside_its_folders(void **state)
{
    static const char *const names[] = {
        "../secret", "/etc/passwd", "email/../../secret", "..", "",
    };
    const struct fixture *f = *state;
    struct tmpl_loader *loader = fixture_loader(f);

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        const struct tmpl *t = NULL;

        assert_int_equal(tmpl_loader_get(loader, names[i], &t, &err),
                         IOCM_EINVAL);
        assert_non_null(strstr(err.msg, "invalid template name"));
        assert_null(t);
    }
    tmpl_loader_free(loader);
}

static void test_loader_names_folders_when_template_is_missing(void **state)
{
    const struct fixture *f = *state;
    struct tmpl_loader *loader = fixture_loader(f);
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf expected = STRBUF_INIT;
    const struct tmpl *t = NULL;

    strbuf_addf(&expected, "template 'weekly.html' not found in '%s', '%s'",
                f->override_dir, f->default_dir);
    assert_int_equal(tmpl_loader_get(loader, "weekly.html", &t, &err),
                     IOCM_ENOENT);
    assert_string_equal(err.msg, expected.buf);
    assert_null(t);
    strbuf_release(&expected);
    tmpl_loader_free(loader);
}

static void test_loader_finds_templates_in_subfolders(void **state)
{
    const struct fixture *f = *state;
    struct strbuf sub = STRBUF_INIT;

    strbuf_addf(&sub, "%s/email", f->default_dir);
    assert_int_equal(mkdir(sub.buf, 0700), 0);
    write_file(sub.buf, "row.mustache", "r");
    write_file(f->default_dir, "page", "[{{>email/row}}]");
    assert_renders(f, "page", "[r]");
    strbuf_release(&sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_templates_fail_with_file_line_col),
        cmocka_unit_test(test_render_values_escaping_and_truthiness),
        cmocka_unit_test(test_partials_render_in_context_with_indentation),
        cmocka_unit_test(test_compiled_template_renders_many_times_appending),
        cmocka_unit_test(test_source_need_not_be_nul_terminated),
        cmocka_unit_test(test_render_failure_leaves_output_unchanged),
        cmocka_unit_test(test_missing_partial_is_empty_unless_loader_is_strict),
        cmocka_unit_test(test_section_nesting_is_limited),
        cmocka_unit_test_setup_teardown(test_override_folder_wins_file_by_file,
                                        setup_dirs, teardown_dirs),
        cmocka_unit_test_setup_teardown(test_loader_caches_compiled_templates,
                                        setup_dirs, teardown_dirs),
        cmocka_unit_test_setup_teardown(
            test_loader_reports_malformed_file_with_position, setup_dirs,
            teardown_dirs),
        cmocka_unit_test_setup_teardown(
            test_loader_refuses_names_outside_its_folders, setup_dirs,
            teardown_dirs),
        cmocka_unit_test_setup_teardown(
            test_loader_names_folders_when_template_is_missing, setup_dirs,
            teardown_dirs),
        cmocka_unit_test_setup_teardown(
            test_loader_finds_templates_in_subfolders, setup_dirs,
            teardown_dirs),
    };

    jsonx_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
