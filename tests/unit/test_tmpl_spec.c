/*
 * Runs every case of the official mustache spec (the core modules' JSON
 * files in the folder given as argv[1], or $TMPL_SPEC_DIR) through the
 * template engine, and fails on any mismatch or when no case was found.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl/tmpl.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/strbuf.h"
#include "util/strvec.h"

static const char *spec_dir;

struct tally {
    int run;
    int passed;
};

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spec's JSON files in spec_dir, sorted so the report reads the same
 * on every machine. */
static void list_spec_files(struct strvec *files)
{
    DIR *dir = opendir(spec_dir);
    struct dirent *de;
    size_t len;

    if (!dir)
        fail_msg("cannot open spec folder '%s'", spec_dir);
    while ((de = readdir(dir)) != NULL) {
        len = strlen(de->d_name);
        if (len > 5 && !strcmp(de->d_name + len - 5, ".json"))
            strvec_push(files, de->d_name);
    }
    closedir(dir);
    qsort(files->v, files->nr, sizeof(*files->v), compare_names);
}

/* Runs one spec case; returns true when the output is exactly expected. */
static bool run_case(const char *file, json_t *tc)
{
    const char *name = json_string_value(json_object_get(tc, "name"));
    json_t *tmpl_src = json_object_get(tc, "template");
    json_t *expected = json_object_get(tc, "expected");
    struct tmpl_loader *loader =
        tmpl_loader_new_from_json(json_object_get(tc, "partials"));
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct tmpl *t = NULL;
    bool is_match = false;
    int rc;

    if (!name || !json_is_string(tmpl_src) || !json_is_string(expected)) {
        printf("%s: malformed case '%s'\n", file, name ? name : "?");
        goto out;
    }
    rc = tmpl_compile(name, json_string_value(tmpl_src),
                      json_string_length(tmpl_src), &t, &err);
    if (rc == 0)
        rc = tmpl_render(t, json_object_get(tc, "data"), loader, &out, &err);
    if (rc < 0) {
        printf("MISMATCH %s: %s\n  error: %s\n", file, name, err.msg);
        goto out;
    }
    is_match = out.len == json_string_length(expected) &&
               !memcmp(out.buf, json_string_value(expected), out.len);
    if (!is_match)
        printf("MISMATCH %s: %s\n  template: %s\n  expected: [%s]\n"
               "  got:      [%s]\n",
               file, name, json_string_value(tmpl_src),
               json_string_value(expected), out.buf);
out:
    tmpl_free(t);
    tmpl_loader_free(loader);
    strbuf_release(&out);
    return is_match;
}

static void run_file(const char *file, struct tally *total)
{
    struct strbuf path = STRBUF_INIT;
    struct tally tally = { 0, 0 };
    json_error_t jerr;
    json_t *doc;
    json_t *cases;
    json_t *tc;
    size_t i;

    strbuf_addf(&path, "%s/%s", spec_dir, file);
    doc = json_load_file(path.buf, 0, &jerr);
    if (!doc)
        fail_msg("%s:%d: %s", path.buf, jerr.line, jerr.text);
    cases = json_object_get(doc, "tests");
    json_array_foreach(cases, i, tc)
    {
        tally.run++;
        if (run_case(file, tc))
            tally.passed++;
    }
    printf("%-20s %3d run, %3d passed\n", file, tally.run, tally.passed);
    total->run += tally.run;
    total->passed += tally.passed;
    json_decref(doc);
    strbuf_release(&path);
}

static void test_spec_cases_all_render_as_expected(void **state)
{
    struct strvec files = STRVEC_INIT;
    struct tally total = { 0, 0 };

    (void)state;
    list_spec_files(&files);
    for (size_t i = 0; i < files.nr; i++)
        run_file(files.v[i], &total);
    printf("%-20s %3d run, %3d passed (%zu files)\n", "total", total.run,
           total.passed, files.nr);
    strvec_clear(&files);
    assert_true(total.run > 0);
    assert_int_equal(total.passed, total.run);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_cases_all_render_as_expected),
    };

    spec_dir = getenv("TMPL_SPEC_DIR");
    if (argc > 1)
        spec_dir = argv[1];
    if (!spec_dir) {
        fprintf(stderr, "usage: %s SPEC_DIR (or set TMPL_SPEC_DIR)\n", argv[0]);
        return 2;
    }
    jsonx_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
