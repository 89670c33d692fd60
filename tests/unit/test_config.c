/*
 * Unit tests for config/: the .env grammar line by line, the file lookup
 * order and the environment's precedence, typed getters and their error
 * messages, the settings view and its validation, secret masking, the
 * per-type lifetimes, the atomic rewrite, and the shipped .env.example.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "fs_testlib.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/strvec.h"
#include "util/xalloc.h"

/* The shipped example file, passed by meson as the first argument. */
static const char *env_example_path;

/* Names the tests set in the environment besides the known keys. */
static const char *const extra_env_names[] = {
    "IOCM_ENV_FILE",
    "IOCM_TEST_ONLY_IN_ENV",
    "CUSTOM_API_KEY",
};

struct fixture {
    char dir[64];
    char cwd[PATH_MAX];
};

static void clear_environment(void)
{
    for (size_t i = 0; i < config_keys_count; i++)
        unsetenv(config_keys[i].name);
    for (size_t i = 0; i < sizeof(extra_env_names) / sizeof(*extra_env_names);
         i++)
        unsetenv(extra_env_names[i]);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || !getcwd(f->cwd, sizeof(f->cwd)))
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s", "/tmp/iocm-config-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    clear_environment();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = chdir(f->cwd);

    clear_environment();
    remove_tree(f->dir);
    free(f);
    return rc;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* dir/name into buf (PATH_MAX bytes). */
static const char *path_in(const struct fixture *f, const char *name, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/%s", f->dir, name);
    return buf;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* The whole file, which the caller frees. */
static char *read_whole(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    FILE *fp = fopen(path, "r");

    assert_non_null(fp);
    assert_int_equal(strbuf_read_file(&sb, fp), 0);
    fclose(fp);
    return strbuf_detach(&sb, NULL);
}

static struct config *load_ok(const char *text)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;

    if (config_load_string(".env", text, &cfg, &err) < 0)
        fail_msg("cannot load '%s': %s", text, err.msg);
    return cfg;
}

/* Loads text and returns the settings error message (empty on success). */
static void settings_error(const char *text, struct iocm_err *err)
{
    struct config *cfg = load_ok(text);
    struct config_settings s;

    iocm_err_clear(err);
    config_settings_load(cfg, &s, err);
    config_settings_release(&s);
    config_free(cfg);
}

/* ---- the .env grammar ---------------------------------------------------- */

static const struct {
    const char *rule;
    const char *text;
    const char *key;
    const char *value; /* NULL: the key is unset */
    unsigned line;
} parse_cases[] = {
    { "plain", "A=1\n", "A", "1", 1 },
    { "comment line", "# A=1\nA=2\n", "A", "2", 2 },
    { "indented comment", "   # A=1\n", "A", NULL, 0 },
    { "blank lines", "\n\n  \t\nA=x\n", "A", "x", 4 },
    { "export prefix", "export A=1\n", "A", "1", 1 },
    { "export and a tab", "export\tA=1", "A", "1", 1 },
    { "export glued is a key", "exportA=1", "exportA", "1", 1 },
    { "unquoted is trimmed", "A =   hello world  \n", "A", "hello world", 1 },
    { "leading blanks", "  \tA=1", "A", "1", 1 },
    { "comment after value", "A=value # note\n", "A", "value", 1 },
    { "tab before comment", "A=value\t# note", "A", "value", 1 },
    { "hash inside a value", "A=abc#def\n", "A", "abc#def", 1 },
    { "hash right after =", "A=#fff", "A", "#fff", 1 },
    { "only a comment", "A= # nothing\n", "A", "", 1 },
    { "empty value", "A=\n", "A", "", 1 },
    { "single quotes are literal", "A='a \\n $B \"q\" # x'\n", "A",
      "a \\n $B \"q\" # x", 1 },
    { "comment after single quotes", "A='v' # c", "A", "v", 1 },
    { "double-quote escapes", "A=\"l1\\nl2\\tx\\\"y\\\\z\\$H\"", "A",
      "l1\nl2\tx\"y\\z$H", 1 },
    { "unknown escape kept", "A=\"C:\\path\"", "A", "C:\\path", 1 },
    { "hash in double quotes", "A=\"a # b\"", "A", "a # b", 1 },
    { "quotes keep blanks", "A='  x  '", "A", "  x  ", 1 },
    { "comment glued to quote", "A=\"v\"# c", "A", "v", 1 },
    { "quote inside unquoted", "A=it's", "A", "it's", 1 },
    { "CRLF", "A=1\r\nB=two\r\n", "B", "two", 2 },
    { "CRLF after quotes", "A=\"x\"\r\n", "A", "x", 1 },
    { "CRLF after comment", "A=1 # c\r\n", "A", "1", 1 },
    { "duplicate: last wins", "A=1\nB=2\nA=3\n", "A", "3", 3 },
    { "no final newline", "A=1\nB=2", "B", "2", 2 },
    { "byte order mark",
      "\xEF\xBB\xBF"
      "A=1\n",
      "A", "1", 1 },
    { "underscores and digits", "_A_1=ok", "_A_1", "ok", 1 },
    { "no expansion", "A=$HOME", "A", "$HOME", 1 },
    { "= in value", "A=b=c", "A", "b=c", 1 },
    { "lower-case key", "a=1", "a", "1", 1 },
    { "not another key", "A=1", "B", NULL, 0 },
};

static void test_env_file_grammar(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
        struct config *cfg = load_ok(parse_cases[i].text);
        const char *v = config_get(cfg, parse_cases[i].key);
        struct strbuf origin = STRBUF_INIT;
        char want[32];

        if (!parse_cases[i].value) {
            if (v)
                fail_msg("%s: %s is '%s', expected unset", parse_cases[i].rule,
                         parse_cases[i].key, v);
            assert_int_equal(config_origin(cfg, parse_cases[i].key, &origin),
                             IOCM_ENOENT);
        } else {
            if (!v || strcmp(v, parse_cases[i].value) != 0)
                fail_msg("%s: %s is '%s', expected '%s'", parse_cases[i].rule,
                         parse_cases[i].key, v ? v : "(unset)",
                         parse_cases[i].value);
            snprintf(want, sizeof(want), ".env:%u", parse_cases[i].line);
            assert_int_equal(config_origin(cfg, parse_cases[i].key, &origin),
                             0);
            assert_string_equal(origin.buf, want);
        }
        strbuf_release(&origin);
        config_free(cfg);
    }
}

static const struct {
    const char *rule;
    const char *text;
    const char *message;
} malformed_cases[] = {
    { "no =", "A=1\nB=2\n# c\n\nJUSTTEXT\n",
      ".env:5: invalid line: expected KEY=value" },
    { "export without =", "export A\n",
      ".env:1: invalid line: expected KEY=value" },
    { "CRLF keeps line numbers", "A=1\r\nB=2\r\nbad\r\n",
      ".env:3: invalid line: expected KEY=value" },
    { "key starts with a digit", "1A=x",
      ".env:1: invalid line: bad key '1A': expected KEY=value, KEY made of "
      "letters, digits and '_', not starting with a digit" },
    { "dash in key", "\n\nMY-KEY=x",
      ".env:3: invalid line: bad key 'MY-KEY': expected KEY=value, KEY made "
      "of letters, digits and '_', not starting with a digit" },
    { "blank in key", "MY KEY = x",
      ".env:1: invalid line: bad key 'MY KEY': expected KEY=value, KEY made "
      "of letters, digits and '_', not starting with a digit" },
    { "empty key", "A=1\n=x",
      ".env:2: invalid line: bad key '': expected KEY=value, KEY made of "
      "letters, digits and '_', not starting with a digit" },
    { "unterminated double quote", "A=1\nB=\"abc\nC=2\n",
      ".env:2: invalid line: unterminated double quote in the value of 'B'" },
    { "unterminated single quote", "A='abc",
      ".env:1: invalid line: unterminated single quote in the value of 'A'" },
    { "escaped quote does not close", "A=\"abc\\\"",
      ".env:1: invalid line: unterminated double quote in the value of 'A'" },
    { "quote ends on its line", "A='a\nb'",
      ".env:1: invalid line: unterminated single quote in the value of 'A'" },
    { "text after closing quote", "A=\"a\"b",
      ".env:1: invalid line: unexpected text after the closing quote of the "
      "value of 'A'" },
};

static void test_malformed_lines_fail_with_file_and_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(malformed_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct config *cfg = (void *)&err; /* any non-NULL pointer */
        int rc;

        rc = config_load_string(".env", malformed_cases[i].text, &cfg, &err);
        if (rc != IOCM_ECONFIG)
            fail_msg("%s: loaded (rc %d)", malformed_cases[i].rule, rc);
        assert_null(cfg);
        assert_string_equal(err.msg, malformed_cases[i].message);
    }
}

static void test_malformed_line_message_hides_the_value(void **state)
{
    static const char *const texts[] = {
        "MAIL_PASSWORD hunter2\n",
        "MAIL_PASSWORD=\"hunter2\n",
        "MAIL_PASSWORD='hunter2'hunter2\n",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct config *cfg = NULL;

        assert_int_equal(config_load_string(".env", texts[i], &cfg, &err),
                         IOCM_ECONFIG);
        if (strstr(err.msg, "hunter2"))
            fail_msg("message shows the value: %s", err.msg);
    }
}

static void test_file_keys_listed_once_in_first_seen_order(void **state)
{
    struct config *cfg;

    (void)state;
    setenv("IOCM_TEST_ONLY_IN_ENV", "x", 1);
    cfg = load_ok("B=1\n# A=0\nA=2\nB=3\n");
    assert_int_equal(config_count(cfg), 2);
    assert_string_equal(config_key_at(cfg, 0), "B");
    assert_string_equal(config_key_at(cfg, 1), "A");
    assert_null(config_key_at(cfg, 2));
    assert_string_equal(config_get(cfg, "B"), "3");
    assert_null(config_path(cfg));
    config_free(cfg);
}

/* ---- the environment ----------------------------------------------------- */

static void test_environment_overrides_file(void **state)
{
    struct strbuf origin = STRBUF_INIT;
    struct config *cfg;

    (void)state;
    setenv("MAIL_SERVER", "env.example.org", 1);
    cfg = load_ok("MAIL_SERVER=file.example.org\nMAIL_PORT=25\n");
    assert_string_equal(config_get(cfg, "MAIL_SERVER"), "env.example.org");
    assert_int_equal(config_origin(cfg, "MAIL_SERVER", &origin), 0);
    assert_string_equal(origin.buf, "environment");
    strbuf_reset(&origin);
    assert_string_equal(config_get(cfg, "MAIL_PORT"), "25");
    assert_int_equal(config_origin(cfg, "MAIL_PORT", &origin), 0);
    assert_string_equal(origin.buf, ".env:2");
    strbuf_release(&origin);
    config_free(cfg);
}

static void test_environment_only_key_is_visible(void **state)
{
    struct config *cfg;

    (void)state;
    setenv("IOCM_TEST_ONLY_IN_ENV", "v", 1);
    cfg = load_ok("");
    assert_string_equal(config_get(cfg, "IOCM_TEST_ONLY_IN_ENV"), "v");
    assert_int_equal(config_count(cfg), 0);
    config_free(cfg);
}

static void test_environment_is_read_at_load_only(void **state)
{
    struct config *cfg;

    (void)state;
    setenv("MAIL_SERVER", "before.example.org", 1);
    cfg = load_ok("");
    setenv("MAIL_SERVER", "after.example.org", 1);
    setenv("IOCM_TEST_ONLY_IN_ENV", "late", 1);
    assert_string_equal(config_get(cfg, "MAIL_SERVER"), "before.example.org");
    assert_null(config_get(cfg, "IOCM_TEST_ONLY_IN_ENV"));
    config_free(cfg);
}

static void test_empty_environment_value_means_default(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg;
    long port = 0;

    (void)state;
    setenv("MAIL_PORT", "", 1);
    cfg = load_ok("MAIL_PORT=25\n");
    assert_string_equal(config_get(cfg, "MAIL_PORT"), "");
    assert_int_equal(config_get_port(cfg, "MAIL_PORT", 587, &port, &err), 0);
    assert_int_equal(port, 587);
    config_free(cfg);
}

static void test_bad_environment_value_names_the_environment(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg;
    long port = 0;

    (void)state;
    setenv("MAIL_PORT", "abc", 1);
    cfg = load_ok("MAIL_PORT=25\n");
    assert_int_equal(config_get_port(cfg, "MAIL_PORT", 587, &port, &err),
                     IOCM_ECONFIG);
    assert_string_equal(err.msg, "invalid MAIL_PORT 'abc' in the environment: "
                                 "expected a port number 1-65535");
    config_free(cfg);
}

/* ---- finding the file ---------------------------------------------------- */

static void test_load_reads_explicit_file(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf origin = STRBUF_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];
    char want[PATH_MAX + 8];

    path_in(*state, "custom.env", path);
    write_file(path, "# custom\nA=1\n", 0600);
    assert_int_equal(config_load(path, &cfg, &err), 0);
    assert_string_equal(config_path(cfg), path);
    assert_string_equal(config_get(cfg, "A"), "1");
    assert_int_equal(config_origin(cfg, "A", &origin), 0);
    snprintf(want, sizeof(want), "%s:2", path);
    assert_string_equal(origin.buf, want);
    strbuf_release(&origin);
    config_free(cfg);
}

static void test_load_missing_explicit_file_fails(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];
    char want[PATH_MAX + 80];

    path_in(*state, "missing.env", path);
    assert_int_equal(config_load(path, &cfg, &err), IOCM_ECONFIG);
    assert_null(cfg);
    snprintf(want, sizeof(want),
             "cannot read configuration file '%s': No such file or directory",
             path);
    assert_string_equal(err.msg, want);
}

static void test_load_uses_IOCM_ENV_FILE(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];

    path_in(*state, "from-env.env", path);
    write_file(path, "A=from-env-file\n", 0600);
    setenv("IOCM_ENV_FILE", path, 1);
    assert_int_equal(config_load(NULL, &cfg, &err), 0);
    assert_string_equal(config_path(cfg), path);
    assert_string_equal(config_get(cfg, "A"), "from-env-file");
    config_free(cfg);
}

static void test_explicit_path_beats_IOCM_ENV_FILE(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char explicit_path[PATH_MAX];
    char env_path[PATH_MAX];

    path_in(*state, "explicit.env", explicit_path);
    path_in(*state, "named.env", env_path);
    write_file(explicit_path, "A=explicit\n", 0600);
    write_file(env_path, "A=named\n", 0600);
    setenv("IOCM_ENV_FILE", env_path, 1);
    assert_int_equal(config_load(explicit_path, &cfg, &err), 0);
    assert_string_equal(config_get(cfg, "A"), "explicit");
    config_free(cfg);
}

static void test_load_missing_IOCM_ENV_FILE_fails(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];

    path_in(*state, "nowhere.env", path);
    setenv("IOCM_ENV_FILE", path, 1);
    assert_int_equal(config_load(NULL, &cfg, &err), IOCM_ECONFIG);
    assert_non_null(strstr(err.msg, "(named by IOCM_ENV_FILE)"));
    assert_non_null(strstr(err.msg, path));
}

static void test_missing_default_dotenv_is_empty(void **state)
{
    struct fixture *f = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;

    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(config_load(NULL, &cfg, &err), 0);
    assert_null(config_path(cfg));
    assert_int_equal(config_count(cfg), 0);
    config_free(cfg);
}

static void test_default_dotenv_read_from_working_directory(void **state)
{
    struct fixture *f = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    struct config_settings s;
    char path[PATH_MAX];

    write_file(path_in(f, ".env", path), "\nMAIL_PORT=abc\n", 0600);
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(config_load(NULL, &cfg, &err), 0);
    assert_string_equal(config_path(cfg), ".env");
    assert_int_equal(config_settings_load(cfg, &s, &err), IOCM_ECONFIG);
    assert_string_equal(err.msg, "invalid MAIL_PORT 'abc' at .env:2: "
                                 "expected a port number 1-65535");
    config_settings_release(&s);
    config_free(cfg);
}

static void test_load_rereads_the_file_every_time(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];

    path_in(*state, "reread.env", path);
    write_file(path, "DAILY_REPORT_RECIPIENTS=a@example.org\n", 0600);
    assert_int_equal(config_load(path, &cfg, &err), 0);
    config_free(cfg);
    write_file(path, "DAILY_REPORT_RECIPIENTS=b@example.org\n", 0600);
    assert_int_equal(config_load(path, &cfg, &err), 0);
    assert_string_equal(config_get(cfg, "DAILY_REPORT_RECIPIENTS"),
                        "b@example.org");
    config_free(cfg);
}

static void test_file_errors_name_the_file_path(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];
    char want[PATH_MAX + 64];

    path_in(*state, "broken.env", path);
    write_file(path, "A=1\r\nbroken\r\n", 0600);
    assert_int_equal(config_load(path, &cfg, &err), IOCM_ECONFIG);
    snprintf(want, sizeof(want), "%s:2: invalid line: expected KEY=value",
             path);
    assert_string_equal(err.msg, want);
}

static void test_nul_byte_is_a_malformed_line(void **state)
{
    static const char text[] = "A=1\nB=x\0y\n";
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];
    char want[PATH_MAX + 64];
    FILE *fp;

    path_in(*state, "nul.env", path);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, sizeof(text) - 1, fp), sizeof(text) - 1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(config_load(path, &cfg, &err), IOCM_ECONFIG);
    snprintf(want, sizeof(want), "%s:2: invalid line: it holds a NUL byte",
             path);
    assert_string_equal(err.msg, want);
}

/* ---- typed getters ------------------------------------------------------- */

static const struct {
    const char *value;
    bool expected;
} bool_good[] = {
    { "true", true }, { "TRUE", true }, { "False", false },
    { "1", true },    { "0", false },   { "yes", true },
    { "NO", false },  { "On", true },   { "oFF", false },
};

static const char *const bool_bad[] = { "maybe", "2", "t", "truee", "y", "-1" };

static void test_bool_getter_accepts_the_usual_words(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bool_good); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;
        bool b = !bool_good[i].expected;

        strbuf_addf(&text, "REPORT_ENABLED=%s\n", bool_good[i].value);
        cfg = load_ok(text.buf);
        assert_int_equal(config_get_bool(cfg, "REPORT_ENABLED",
                                         !bool_good[i].expected, &b, &err),
                         0);
        if (b != bool_good[i].expected)
            fail_msg("'%s' read as %d", bool_good[i].value, b);
        config_free(cfg);
        strbuf_release(&text);
    }
}

static void test_bool_getter_rejects_other_words_naming_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bool_bad); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf text = STRBUF_INIT;
        struct strbuf want = STRBUF_INIT;
        struct config *cfg;
        bool b = true;

        strbuf_addf(&text, "# reports\n\nREPORT_ENABLED=%s\n", bool_bad[i]);
        strbuf_addf(&want,
                    "invalid REPORT_ENABLED '%s' at .env:3: expected true or "
                    "false",
                    bool_bad[i]);
        cfg = load_ok(text.buf);
        assert_int_equal(
            config_get_bool(cfg, "REPORT_ENABLED", false, &b, &err),
            IOCM_ECONFIG);
        assert_string_equal(err.msg, want.buf);
        assert_true(b); /* left alone */
        config_free(cfg);
        strbuf_release(&text);
        strbuf_release(&want);
    }
}

static const struct {
    const char *value; /* NULL: key unset */
    long min, max;
    long expected;       /* when message is NULL */
    const char *message; /* the error after "invalid N 'v' at .env:1: " */
} int_cases[] = {
    { "42", 0, 100, 42, NULL },
    { "-5", -10, 10, -5, NULL },
    { "0", 0, 10, 0, NULL },
    { "10", 0, 10, 10, NULL },
    { NULL, 0, 10, 7, NULL },
    { "", 0, 10, 7, NULL },
    { "11", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "-1", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "abc", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "4x", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "+5", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "0x5", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "5.0", 0, 10, 0, "expected a whole number from 0 to 10" },
    { "99999999999999999999", 0, LONG_MAX, 0,
      "expected a whole number of at least 0" },
    { "x", LONG_MIN, LONG_MAX, 0, "expected a whole number" },
};

static void test_int_getter_checks_format_and_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(int_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;
        long n = -99;
        int rc;

        if (int_cases[i].value)
            strbuf_addf(&text, "N=%s\n", int_cases[i].value);
        cfg = load_ok(text.buf);
        rc = config_get_int(cfg, "N", 7, int_cases[i].min, int_cases[i].max, &n,
                            &err);
        if (!int_cases[i].message) {
            if (rc != 0)
                fail_msg("'%s': %s", int_cases[i].value, err.msg);
            assert_int_equal(n, int_cases[i].expected);
        } else {
            struct strbuf want = STRBUF_INIT;

            strbuf_addf(&want, "invalid N '%s' at .env:1: %s",
                        int_cases[i].value, int_cases[i].message);
            assert_int_equal(rc, IOCM_ECONFIG);
            assert_string_equal(err.msg, want.buf);
            assert_int_equal(n, -99);
            strbuf_release(&want);
        }
        config_free(cfg);
        strbuf_release(&text);
    }
}

static void test_port_getter_error_names_key_file_and_line(void **state)
{
    static const char *const bad[] = { "abc", "0", "65536", "-25", "" };
    static const char *const messages[] = {
        "invalid MAIL_PORT 'abc' at .env:12: expected a port number 1-65535",
        "invalid MAIL_PORT '0' at .env:12: expected a port number 1-65535",
        "invalid MAIL_PORT '65536' at .env:12: expected a port number 1-65535",
        "invalid MAIL_PORT '-25' at .env:12: expected a port number 1-65535",
        NULL, /* empty: the default */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;
        long port = 0;
        int rc;

        for (int l = 1; l < 12; l++)
            strbuf_addf(&text, "# line %d\n", l);
        strbuf_addf(&text, "MAIL_PORT=%s\n", bad[i]);
        cfg = load_ok(text.buf);
        rc = config_get_port(cfg, "MAIL_PORT", 2525, &port, &err);
        if (messages[i]) {
            assert_int_equal(rc, IOCM_ECONFIG);
            assert_string_equal(err.msg, messages[i]);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(port, 2525);
        }
        config_free(cfg);
        strbuf_release(&text);
    }
}

static void test_string_getter_reads_empty_as_default(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = load_ok("A=value\nB=\n");
    const char *s = NULL;

    (void)state;
    assert_int_equal(config_get_string(cfg, "A", "def", &s, &err), 0);
    assert_string_equal(s, "value");
    assert_int_equal(config_get_string(cfg, "B", "def", &s, &err), 0);
    assert_string_equal(s, "def");
    assert_int_equal(config_get_string(cfg, "C", NULL, &s, &err), 0);
    assert_null(s);
    config_free(cfg);
}

static void test_list_getter_splits_on_commas_and_appends(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = load_ok("L= a@x.org ,b@y.org,, c@z.org ,\nEMPTY=\n");
    struct strvec sv = STRVEC_INIT;

    (void)state;
    strvec_push(&sv, "kept");
    assert_int_equal(config_get_list(cfg, "L", &sv, &err), 0);
    assert_int_equal(sv.nr, 4);
    assert_string_equal(sv.v[0], "kept");
    assert_string_equal(sv.v[1], "a@x.org");
    assert_string_equal(sv.v[2], "b@y.org");
    assert_string_equal(sv.v[3], "c@z.org");
    assert_int_equal(config_get_list(cfg, "EMPTY", &sv, &err), 0);
    assert_int_equal(config_get_list(cfg, "UNSET", &sv, &err), 0);
    assert_int_equal(sv.nr, 4);
    strvec_clear(&sv);
    config_free(cfg);
}

static void test_error_shows_bad_value_on_one_line(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf text = STRBUF_INIT;
    struct config *cfg;
    long n;

    (void)state;
    cfg = load_ok("N=\"1\\n2\\t3\"\n");
    assert_int_equal(config_get_int(cfg, "N", 0, 0, 9, &n, &err), IOCM_ECONFIG);
    assert_string_equal(err.msg, "invalid N '1\\n2\\t3' at .env:1: expected a "
                                 "whole number from 0 to 9");
    config_free(cfg);

    strbuf_addstr(&text, "N=");
    for (int i = 0; i < 100; i++)
        strbuf_addch(&text, 'x');
    cfg = load_ok(text.buf);
    assert_int_equal(config_get_int(cfg, "N", 0, 0, 9, &n, &err), IOCM_ECONFIG);
    assert_non_null(strstr(err.msg, "xxx...' at .env:1"));
    assert_true(strlen(err.msg) < 200);
    config_free(cfg);
    strbuf_release(&text);
}

static void test_error_never_shows_a_secret(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = load_ok("CUSTOM_API_KEY=hunter2\n");
    long n;

    (void)state;
    assert_int_equal(config_get_int(cfg, "CUSTOM_API_KEY", 0, 0, 9, &n, &err),
                     IOCM_ECONFIG);
    assert_string_equal(err.msg, "invalid CUSTOM_API_KEY '********' at "
                                 ".env:1: expected a whole number from 0 to 9");
    config_free(cfg);
}

/* ---- settings ------------------------------------------------------------ */

static void test_settings_defaults(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = load_ok("# nothing set\nMAIL_PORT=\n");
    struct config_settings s;

    (void)state;
    assert_int_equal(config_settings_load(cfg, &s, &err), 0);
    assert_string_equal(s.database_url, "sqlite:data/iocm.db");
    assert_null(s.template_dir);
    assert_null(s.mail.server);
    assert_int_equal(s.mail.port, 587);
    assert_true(s.mail.use_tls);
    assert_false(s.mail.use_ssl);
    assert_null(s.mail.username);
    assert_null(s.mail.password);
    assert_null(s.mail.sender);
    assert_null(s.mail.ca_file);
    assert_int_equal(s.mail.timeout, 30);
    assert_int_equal(s.mail.retries, 3);
    assert_true(s.report.enabled);
    assert_int_equal(s.report.daily_recipients.nr, 0);
    assert_int_equal(s.report.weekly_recipients.nr, 0);
    assert_int_equal(s.report.max_tlp, 2); /* TLP_AMBER */
    assert_string_equal(s.report.timezone, "UTC");
    assert_true(s.report.defang);
    assert_int_equal(s.report.daily_hour, 8);
    assert_int_equal(s.report.daily_minute, 0);
    assert_int_equal(s.report.weekly_day, 1);
    assert_int_equal(s.ioc_default_ttl_days, 90);
    assert_true(s.auto_expire_enabled);
    assert_string_equal(s.server_listen, "127.0.0.1:8080");
    assert_null(s.secret_key);
    assert_null(s.public_url);
    assert_int_equal(s.draft_retention_days, 0);
    assert_int_equal(s.audit_retention_days, 0);
    config_settings_release(&s);
    config_free(cfg);
}

static void test_settings_read_every_field(void **state)
{
    static const char text[] =
        "DATABASE_URL=postgresql://iocm:pw@db.example.org/iocm\n"
        "TEMPLATE_DIR=/srv/iocm/templates\n"
        "MAIL_SERVER=smtp.example.org\n"
        "MAIL_PORT=2525\n"
        "MAIL_USE_TLS=no\n"
        "MAIL_USERNAME=iocm\n"
        "MAIL_PASSWORD='s3cret #1'\n"
        "MAIL_DEFAULT_SENDER=\"IOC Manager <iocm@example.org>\"\n"
        "MAIL_CA_FILE=/etc/ssl/ca.pem\n"
        "MAIL_TIMEOUT=5\n"
        "MAIL_RETRIES=0\n"
        "REPORT_ENABLED=off\n"
        "DAILY_REPORT_RECIPIENTS=soc@example.org, ir@example.org\n"
        "WEEKLY_REPORT_RECIPIENTS=ciso@example.org\n"
        "REPORT_MAX_TLP=tlp:green\n"
        "REPORT_TIMEZONE=Europe/Paris\n"
        "REPORT_DEFANG=false\n"
        "REPORT_DAILY_TIME=7:45\n"
        "REPORT_WEEKLY_DAY=Friday\n"
        "IOC_DEFAULT_TTL_DAYS=0\n"
        "IOC_AUTO_EXPIRE_ENABLED=no\n"
        "SERVER_LISTEN=[::1]:9090\n"
        "SECRET_KEY=0123456789abcdef\n"
        "PUBLIC_URL=https://iocm.example.org\n"
        "DRAFT_RETENTION_DAYS=30\n"
        "AUDIT_RETENTION_DAYS=365\n";
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = load_ok(text);
    struct config_settings s;

    (void)state;
    if (config_settings_load(cfg, &s, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(s.database_url,
                        "postgresql://iocm:pw@db.example.org/iocm");
    assert_string_equal(s.template_dir, "/srv/iocm/templates");
    assert_string_equal(s.mail.server, "smtp.example.org");
    assert_int_equal(s.mail.port, 2525);
    assert_false(s.mail.use_tls);
    assert_false(s.mail.use_ssl);
    assert_string_equal(s.mail.username, "iocm");
    assert_string_equal(s.mail.password, "s3cret #1");
    assert_string_equal(s.mail.sender, "IOC Manager <iocm@example.org>");
    assert_string_equal(s.mail.ca_file, "/etc/ssl/ca.pem");
    assert_int_equal(s.mail.timeout, 5);
    assert_int_equal(s.mail.retries, 0);
    assert_false(s.report.enabled);
    assert_int_equal(s.report.daily_recipients.nr, 2);
    assert_string_equal(s.report.daily_recipients.v[1], "ir@example.org");
    assert_int_equal(s.report.weekly_recipients.nr, 1);
    assert_int_equal(s.report.max_tlp, 1);
    assert_string_equal(s.report.timezone, "Europe/Paris");
    assert_false(s.report.defang);
    assert_int_equal(s.report.daily_hour, 7);
    assert_int_equal(s.report.daily_minute, 45);
    assert_int_equal(s.report.weekly_day, 5);
    assert_int_equal(s.ioc_default_ttl_days, 0);
    assert_false(s.auto_expire_enabled);
    assert_string_equal(s.server_listen, "[::1]:9090");
    assert_string_equal(s.secret_key, "0123456789abcdef");
    assert_string_equal(s.public_url, "https://iocm.example.org");
    assert_int_equal(s.draft_retention_days, 30);
    assert_int_equal(s.audit_retention_days, 365);
    config_settings_release(&s);
    config_free(cfg);
}

static const struct {
    const char *text;
    long port;
    bool use_tls, use_ssl;
} mail_tls_cases[] = {
    { "", 587, true, false },
    { "MAIL_USE_SSL=true\n", 465, false, true },
    { "MAIL_USE_SSL=true\nMAIL_USE_TLS=false\n", 465, false, true },
    { "MAIL_USE_SSL=true\nMAIL_PORT=1465\n", 1465, false, true },
    { "MAIL_USE_TLS=false\n", 587, false, false },
    { "MAIL_USE_TLS=false\nMAIL_USE_SSL=false\nMAIL_PORT=25\n", 25, false,
      false },
};

static void test_settings_mail_port_follows_tls_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(mail_tls_cases); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        struct config *cfg = load_ok(mail_tls_cases[i].text);
        struct config_settings s;

        if (config_settings_load(cfg, &s, &err) < 0)
            fail_msg("'%s': %s", mail_tls_cases[i].text, err.msg);
        assert_int_equal(s.mail.port, mail_tls_cases[i].port);
        assert_int_equal(s.mail.use_tls, mail_tls_cases[i].use_tls);
        assert_int_equal(s.mail.use_ssl, mail_tls_cases[i].use_ssl);
        config_settings_release(&s);
        config_free(cfg);
    }
}

static const struct {
    const char *value;
    int tlp;
} tlp_cases[] = {
    { "CLEAR", 0 },        { "white", 0 },   { "TLP:WHITE", 0 },
    { "green", 1 },        { "Amber", 2 },   { "tlp:amber+strict", 3 },
    { "AMBER+STRICT", 3 }, { "TLP:RED", 4 },
};

static const struct {
    const char *value;
    int hour, minute;
} time_cases[] = {
    { "00:00", 0, 0 },
    { "8:05", 8, 5 },
    { "08:30", 8, 30 },
    { "23:59", 23, 59 },
};

static const struct {
    const char *value;
    int day;
} weekday_cases[] = {
    { "sun", 0 }, { "Monday", 1 }, { "TUE", 2 },      { "wednesday", 3 },
    { "thu", 4 }, { "fri", 5 },    { "Saturday", 6 }, { "SUNDAY", 0 },
};

static void test_settings_report_values_parse(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config_settings s;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(tlp_cases); i++) {
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;

        strbuf_addf(&text, "REPORT_MAX_TLP=%s\n", tlp_cases[i].value);
        cfg = load_ok(text.buf);
        assert_int_equal(config_settings_load(cfg, &s, &err), 0);
        assert_int_equal(s.report.max_tlp, tlp_cases[i].tlp);
        config_settings_release(&s);
        config_free(cfg);
        strbuf_release(&text);
    }
    for (size_t i = 0; i < ARRAY_SIZE(time_cases); i++) {
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;

        strbuf_addf(&text, "REPORT_DAILY_TIME=%s\n", time_cases[i].value);
        cfg = load_ok(text.buf);
        assert_int_equal(config_settings_load(cfg, &s, &err), 0);
        assert_int_equal(s.report.daily_hour, time_cases[i].hour);
        assert_int_equal(s.report.daily_minute, time_cases[i].minute);
        config_settings_release(&s);
        config_free(cfg);
        strbuf_release(&text);
    }
    for (size_t i = 0; i < ARRAY_SIZE(weekday_cases); i++) {
        struct strbuf text = STRBUF_INIT;
        struct config *cfg;

        strbuf_addf(&text, "REPORT_WEEKLY_DAY=%s\n", weekday_cases[i].value);
        cfg = load_ok(text.buf);
        assert_int_equal(config_settings_load(cfg, &s, &err), 0);
        assert_int_equal(s.report.weekly_day, weekday_cases[i].day);
        config_settings_release(&s);
        config_free(cfg);
        strbuf_release(&text);
    }
}

static const struct {
    const char *text;
    const char *message;
} settings_errors[] = {
    { "MAIL_USE_TLS=true\nMAIL_USE_SSL=yes\n",
      "invalid mail settings: MAIL_USE_TLS and MAIL_USE_SSL are both true (at "
      ".env:1, at .env:2): set MAIL_USE_SSL for implicit TLS (port 465) or "
      "MAIL_USE_TLS for STARTTLS (port 587), not both" },
    { "REPORT_TIMEZONE=Mars/Olympus\n",
      "invalid REPORT_TIMEZONE 'Mars/Olympus' at .env:1: expected an IANA "
      "time zone such as UTC or Europe/Paris" },
    { "REPORT_TIMEZONE=../../etc/passwd\n",
      "invalid REPORT_TIMEZONE '../../etc/passwd' at .env:1: expected an IANA "
      "time zone such as UTC or Europe/Paris" },
    { "REPORT_DAILY_TIME=24:00\n",
      "invalid REPORT_DAILY_TIME '24:00' at .env:1: expected a time HH:MM "
      "from 00:00 to 23:59" },
    { "REPORT_DAILY_TIME=08:60\n",
      "invalid REPORT_DAILY_TIME '08:60' at .env:1: expected a time HH:MM "
      "from 00:00 to 23:59" },
    { "REPORT_DAILY_TIME=8h\n",
      "invalid REPORT_DAILY_TIME '8h' at .env:1: expected a time HH:MM from "
      "00:00 to 23:59" },
    { "REPORT_DAILY_TIME=0800\n",
      "invalid REPORT_DAILY_TIME '0800' at .env:1: expected a time HH:MM from "
      "00:00 to 23:59" },
    { "REPORT_DAILY_TIME=08:00:00\n",
      "invalid REPORT_DAILY_TIME '08:00:00' at .env:1: expected a time HH:MM "
      "from 00:00 to 23:59" },
    { "REPORT_DAILY_TIME=08:5\n",
      "invalid REPORT_DAILY_TIME '08:5' at .env:1: expected a time HH:MM from "
      "00:00 to 23:59" },
    { "REPORT_WEEKLY_DAY=someday\n",
      "invalid REPORT_WEEKLY_DAY 'someday' at .env:1: expected a day of the "
      "week: mon, tue, wed, thu, fri, sat or sun" },
    { "REPORT_WEEKLY_DAY=mo\n",
      "invalid REPORT_WEEKLY_DAY 'mo' at .env:1: expected a day of the week: "
      "mon, tue, wed, thu, fri, sat or sun" },
    { "REPORT_MAX_TLP=PURPLE\n",
      "invalid REPORT_MAX_TLP 'PURPLE' at .env:1: expected CLEAR, GREEN, "
      "AMBER, AMBER+STRICT or RED" },
    { "REPORT_MAX_TLP=TLP:\n",
      "invalid REPORT_MAX_TLP 'TLP:' at .env:1: expected CLEAR, GREEN, AMBER, "
      "AMBER+STRICT or RED" },
    { "REPORT_MAX_TLP=AMBER STRICT\n",
      "invalid REPORT_MAX_TLP 'AMBER STRICT' at .env:1: expected CLEAR, "
      "GREEN, AMBER, AMBER+STRICT or RED" },
    { "# mail\nMAIL_PORT=70000\n",
      "invalid MAIL_PORT '70000' at .env:2: expected a port number 1-65535" },
    { "MAIL_RETRIES=11\n",
      "invalid MAIL_RETRIES '11' at .env:1: expected a whole number from 0 to "
      "10" },
    { "MAIL_TIMEOUT=0\n",
      "invalid MAIL_TIMEOUT '0' at .env:1: expected a whole number from 1 to "
      "3600" },
    { "\n\nREPORT_ENABLED=maybe\n",
      "invalid REPORT_ENABLED 'maybe' at .env:3: expected true or false" },
    { "REPORT_DEFANG=2\n",
      "invalid REPORT_DEFANG '2' at .env:1: expected true or false" },
    { "IOC_TTL_IPV4_DAYS=-1\n",
      "invalid IOC_TTL_IPV4_DAYS '-1' at .env:1: expected a whole number from "
      "0 to 36500" },
    { "IOC_DEFAULT_TTL_DAYS=forever\n",
      "invalid IOC_DEFAULT_TTL_DAYS 'forever' at .env:1: expected a whole "
      "number from 0 to 36500" },
    { "DAILY_REPORT_RECIPIENTS=soc@example.org; ir@example.org\n",
      "invalid DAILY_REPORT_RECIPIENTS 'soc@example.org; ir@example.org' at "
      ".env:1: 'soc@example.org; ir@example.org' is not an email address "
      "(expected addresses separated by commas)" },
    { "WEEKLY_REPORT_RECIPIENTS=a@example.org,bob\n",
      "invalid WEEKLY_REPORT_RECIPIENTS 'a@example.org,bob' at .env:1: 'bob' "
      "is not an email address (expected addresses separated by commas)" },
    { "MAIL_DEFAULT_SENDER=IOC Manager\n",
      "invalid MAIL_DEFAULT_SENDER 'IOC Manager' at .env:1: expected an email "
      "address, optionally as Name <address>" },
    { "DATABASE_URL=mysql://iocm:hunter2@db/iocm\n",
      "invalid DATABASE_URL 'mysql://iocm:********@db/iocm' at .env:1: "
      "expected sqlite:PATH or postgresql://USER@HOST/DB" },
    { "DATABASE_URL=sqlite:\n",
      "invalid DATABASE_URL 'sqlite:' at .env:1: expected sqlite:PATH or "
      "postgresql://USER@HOST/DB" },
    { "SERVER_LISTEN=8080\n",
      "invalid SERVER_LISTEN '8080' at .env:1: expected HOST:PORT such as "
      "127.0.0.1:8080 or [::1]:8080" },
    { "SERVER_LISTEN=::1:8080\n",
      "invalid SERVER_LISTEN '::1:8080' at .env:1: expected HOST:PORT such as "
      "127.0.0.1:8080 or [::1]:8080" },
    { "SERVER_LISTEN=localhost:99999\n",
      "invalid SERVER_LISTEN 'localhost:99999' at .env:1: expected HOST:PORT "
      "such as 127.0.0.1:8080 or [::1]:8080" },
    { "PUBLIC_URL=iocm.example.org\n",
      "invalid PUBLIC_URL 'iocm.example.org' at .env:1: expected an http:// "
      "or https:// URL" },
    { "LOG_LEVEL=loud\n",
      "invalid LOG_LEVEL 'loud' at .env:1: expected error, warn, info or "
      "debug" },
    { "ENRICH_VIRUSTOTAL_RATE_PER_MIN=-1\n",
      "invalid ENRICH_VIRUSTOTAL_RATE_PER_MIN '-1' at .env:1: expected a "
      "whole number from 0 to 100000" },
};

static void test_settings_reject_bad_values_before_any_work(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(settings_errors); i++) {
        struct iocm_err err = IOCM_ERR_INIT;

        settings_error(settings_errors[i].text, &err);
        if (err.code != IOCM_ECONFIG)
            fail_msg("'%s' was accepted", settings_errors[i].text);
        assert_string_equal(err.msg, settings_errors[i].message);
    }
}

static void test_settings_tls_and_ssl_error_names_environment(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    setenv("MAIL_USE_SSL", "1", 1);
    settings_error("MAIL_USE_TLS=on\n", &err);
    assert_int_equal(err.code, IOCM_ECONFIG);
    assert_non_null(strstr(err.msg, "(at .env:1, in the environment)"));
}

static void test_settings_after_failure_are_safe_to_release(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg =
        load_ok("DAILY_REPORT_RECIPIENTS=a@example.org\nREPORT_TIMEZONE=No/"
                "Where\n");
    struct config_settings s;
    struct config_settings zero;

    (void)state;
    memset(&zero, 0, sizeof(zero));
    config_settings_release(&zero);
    assert_int_equal(config_settings_load(cfg, &s, &err), IOCM_ECONFIG);
    assert_int_equal(s.report.daily_recipients.nr, 0);
    config_settings_release(&s);
    config_settings_release(&s);
    config_free(cfg);
}

/* ---- secrets ------------------------------------------------------------- */

static const struct {
    const char *text;
    const char *key;
    const char *shown;
} display_cases[] = {
    { "MAIL_PASSWORD=hunter2", "MAIL_PASSWORD", "********" },
    { "MAIL_PASSWORD=", "MAIL_PASSWORD", "********" },
    { "SECRET_KEY=abc", "SECRET_KEY", "********" },
    { "VIRUSTOTAL_API_KEY=k", "VIRUSTOTAL_API_KEY", "********" },
    { "ABUSEIPDB_API_KEY=k", "ABUSEIPDB_API_KEY", "********" },
    { "CUSTOM_API_KEY=k", "CUSTOM_API_KEY", "********" },
    { "SLACK_TOKEN=t", "SLACK_TOKEN", "********" },
    { "DATABASE_URL=postgresql://user:secret@host/db", "DATABASE_URL",
      "postgresql://user:********@host/db" },
    { "DATABASE_URL=postgres://u:p%40ss@db.example.org:5432/iocm?sslmode="
      "require",
      "DATABASE_URL",
      "postgres://u:********@db.example.org:5432/iocm?sslmode=require" },
    { "DATABASE_URL=postgresql://h/db?user=u&password=secret&sslmode=require",
      "DATABASE_URL",
      "postgresql://h/db?user=u&password=********&sslmode=require" },
    { "DATABASE_URL=postgresql://h/db?password=secret", "DATABASE_URL",
      "postgresql://h/db?password=********" },
    { "DATABASE_URL=postgresql://user@host/db", "DATABASE_URL",
      "postgresql://user@host/db" },
    { "DATABASE_URL=postgresql://host:5432/db", "DATABASE_URL",
      "postgresql://host:5432/db" },
    { "DATABASE_URL=sqlite:data/iocm.db", "DATABASE_URL",
      "sqlite:data/iocm.db" },
    { "MAIL_SERVER=smtp.example.org", "MAIL_SERVER", "smtp.example.org" },
    { "MAIL_USERNAME=iocm", "MAIL_USERNAME", "iocm" },
    { "", "MAIL_PASSWORD", "" },
};

static void test_display_masks_secrets(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(display_cases); i++) {
        struct config *cfg = load_ok(display_cases[i].text);
        struct strbuf out = STRBUF_INIT;

        config_display_value(cfg, display_cases[i].key, &out);
        if (strcmp(out.buf, display_cases[i].shown) != 0)
            fail_msg("'%s' shown as '%s', expected '%s'", display_cases[i].text,
                     out.buf, display_cases[i].shown);
        strbuf_release(&out);
        config_free(cfg);
    }
}

static void test_secret_keys_are_flagged(void **state)
{
    static const char *const secret[] = {
        "MAIL_PASSWORD",     "SECRET_KEY",    "VIRUSTOTAL_API_KEY",
        "ABUSEIPDB_API_KEY", "OTHER_API_KEY", "SMTP_PASSWORD",
        "WEBHOOK_SECRET",    "GITHUB_TOKEN",
    };
    static const char *const plain[] = {
        "MAIL_USERNAME",      "MAIL_SERVER",    "DATABASE_URL",
        "VIRUSTOTAL_API_URL", "REPORT_ENABLED", "UNKNOWN_KEY",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(secret); i++)
        if (!config_key_is_secret(secret[i]))
            fail_msg("%s is not secret", secret[i]);
    for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
        if (config_key_is_secret(plain[i]))
            fail_msg("%s is secret", plain[i]);
}

/* ---- lifetimes ----------------------------------------------------------- */

static const struct {
    const char *type;
    long days;
} builtin_ttls[] = {
    { "ipv4", 30 },  { "ipv6", 30 },      { "cidr", 90 },  { "domain", 90 },
    { "url", 30 },   { "email", 180 },    { "md5", 0 },    { "sha1", 0 },
    { "sha256", 0 }, { "sha512", 0 },     { "ssdeep", 0 }, { "cve", 0 },
    { "asn", 365 },  { "filename", 365 },
};

static void test_ttl_builtin_defaults_per_type(void **state)
{
    struct config *cfg = load_ok("");

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(builtin_ttls); i++) {
        long days = config_ioc_ttl_days(cfg, builtin_ttls[i].type, -1);
        struct strbuf key = STRBUF_INIT;

        strbuf_addf(&key, "IOC_TTL_%s_DAYS", builtin_ttls[i].type);
        for (size_t c = 0; c < key.len; c++)
            key.buf[c] = (char)toupper((unsigned char)key.buf[c]);
        if (!config_known_key(key.buf))
            fail_msg("%s is not a known key", key.buf);
        strbuf_release(&key);

        if (days != builtin_ttls[i].days)
            fail_msg("%s: %ld days, expected %ld", builtin_ttls[i].type, days,
                     builtin_ttls[i].days);
    }
    assert_int_equal(config_ioc_ttl_days(cfg, "future-type", 42), 42);
    config_free(cfg);
}

static void test_ttl_precedence(void **state)
{
    struct config *cfg;

    (void)state;
    cfg = load_ok("IOC_TTL_IPV4_DAYS=7\n");
    assert_int_equal(config_ioc_ttl_days(cfg, "ipv4", 90), 7);
    assert_int_equal(config_ioc_ttl_days(cfg, "ipv6", 90), 30);
    config_free(cfg);

    /* An explicit default covers every type without its own key. */
    cfg = load_ok("IOC_DEFAULT_TTL_DAYS=60\nIOC_TTL_URL_DAYS=5\n"
                  "IOC_TTL_MD5_DAYS=\n");
    assert_int_equal(config_ioc_ttl_days(cfg, "url", 90), 5);
    assert_int_equal(config_ioc_ttl_days(cfg, "ipv4", 90), 60);
    assert_int_equal(config_ioc_ttl_days(cfg, "md5", 90), 60);
    assert_int_equal(config_ioc_ttl_days(cfg, "future-type", 90), 60);
    config_free(cfg);

    setenv("IOC_TTL_DOMAIN_DAYS", "14", 1);
    cfg = load_ok("IOC_TTL_DOMAIN_DAYS=200\n");
    assert_int_equal(config_ioc_ttl_days(cfg, "domain", 90), 14);
    config_free(cfg);
}

/* ---- the known keys ------------------------------------------------------ */

static void test_known_keys_table_is_consistent(void **state)
{
    static const char *const providers[] = { "GEOIP", "ASN", "DNS",
                                             "VIRUSTOTAL", "ABUSEIPDB" };
    struct iocm_err err = IOCM_ERR_INIT;
    struct strbuf text = STRBUF_INIT;
    struct config_settings s;
    struct config *cfg;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(providers); i++) {
        strbuf_reset(&text);
        strbuf_addf(&text, "ENRICH_%s_CACHE_DAYS", providers[i]);
        if (!config_known_key(text.buf))
            fail_msg("%s is not a known key", text.buf);
        strbuf_reset(&text);
        strbuf_addf(&text, "ENRICH_%s_RATE_PER_MIN", providers[i]);
        if (!config_known_key(text.buf))
            fail_msg("%s is not a known key", text.buf);
    }
    strbuf_reset(&text);
    for (size_t i = 0; i < config_keys_count; i++) {
        const struct config_key *k = &config_keys[i];

        assert_ptr_equal(config_known_key(k->name), k); /* and unique */
        assert_non_null(k->description);
        if (k->def)
            strbuf_addf(&text, "%s=%s\n", k->name, k->def);
    }
    assert_null(config_known_key("NOT_A_KEY"));
    assert_null(config_known_key("mail_server"));

    /* Every built-in default passes its own check. */
    cfg = load_ok(text.buf);
    if (config_settings_load(cfg, &s, &err) < 0)
        fail_msg("defaults do not validate: %s", err.msg);
    config_settings_release(&s);
    config_free(cfg);
    strbuf_release(&text);
}

static void test_env_example_documents_every_key_with_defaults(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    struct config *empty = load_ok("");
    struct config_settings s;

    (void)state;
    if (config_load(env_example_path, &cfg, &err) < 0)
        fail_msg("%s", err.msg);
    if (config_settings_load(cfg, &s, &err) < 0)
        fail_msg("%s", err.msg);
    config_settings_release(&s);
    for (size_t i = 0; i < config_count(cfg); i++)
        if (!config_known_key(config_key_at(cfg, i)))
            fail_msg(".env.example sets unknown key %s", config_key_at(cfg, i));
    for (size_t i = 0; i < config_keys_count; i++) {
        const struct config_key *k = &config_keys[i];
        const char *v = config_get(cfg, k->name);

        if (!v)
            fail_msg(".env.example does not document %s", k->name);
        if (k->def && strcmp(v, k->def) != 0)
            fail_msg(".env.example sets %s=%s, the built-in default is %s",
                     k->name, v, k->def);
    }
    for (size_t i = 0; i < ARRAY_SIZE(builtin_ttls); i++)
        assert_int_equal(config_ioc_ttl_days(cfg, builtin_ttls[i].type, -1),
                         config_ioc_ttl_days(empty, builtin_ttls[i].type, -1));
    config_free(empty);
    config_free(cfg);
}

/* ---- the atomic rewrite -------------------------------------------------- */

static void assert_mode_0600(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

/* Only the names in want[] are in dir: no temporary file is left. */
static void assert_dir_holds(const char *dir, const char *const *want, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t seen = 0;

    assert_non_null(d);
    for (de = readdir(d); de; de = readdir(d)) {
        bool known = false;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        for (size_t i = 0; i < n; i++)
            known = known || strcmp(de->d_name, want[i]) == 0;
        if (!known)
            fail_msg("unexpected file '%s' in %s", de->d_name, dir);
        seen++;
    }
    closedir(d);
    assert_int_equal(seen, n);
}

static void test_write_replaces_in_place_and_appends(void **state)
{
    static const char before[] =
        "# iocm settings\n"
        "export MAIL_SERVER=old.example.org # primary relay\n"
        "\n"
        "MAIL_PORT = 25\n"
        "REPORT_ENABLED=true\n"
        "MAIL_PORT=26\n"
        "TEMPLATE_DIR= # none yet\n";
    static const char after[] =
        "# iocm settings\n"
        "export MAIL_SERVER=new.example.org # primary relay\n"
        "\n"
        "MAIL_PORT = 587\n"
        "REPORT_ENABLED=true\n"
        "TEMPLATE_DIR= /srv/t # none yet\n"
        "MAIL_PASSWORD='p@ss word$1'\n"
        "DAILY_REPORT_RECIPIENTS=a@example.org,b@example.org\n";
    static const char *const keys[] = { "MAIL_SERVER", "MAIL_PORT",
                                        "MAIL_PASSWORD", "TEMPLATE_DIR",
                                        "DAILY_REPORT_RECIPIENTS" };
    static const char *const values[] = { "new.example.org", "587",
                                          "p@ss word$1", "/srv/t",
                                          "a@example.org,b@example.org" };
    static const char *const names[] = { ".env" };
    struct fixture *f = *state;
    struct iocm_err err = IOCM_ERR_INIT;
    struct config *cfg = NULL;
    char path[PATH_MAX];
    char *text;

    path_in(f, ".env", path);
    write_file(path, before, 0644);
    if (config_write_updates(path, keys, values, ARRAY_SIZE(keys), &err) < 0)
        fail_msg("%s", err.msg);
    text = read_whole(path);
    assert_string_equal(text, after);
    free(text);
    assert_mode_0600(path);
    assert_dir_holds(f->dir, names, ARRAY_SIZE(names));

    assert_int_equal(config_load(path, &cfg, &err), 0);
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        assert_string_equal(config_get(cfg, keys[i]), values[i]);
    config_free(cfg);
}

static const char *const round_trip_values[] = {
    "",
    "plain",
    "with space",
    "it's",
    "line1\nline2",
    "tab\there",
    "quote\"d",
    "back\\slash",
    "$HOME",
    "#hash",
    "a #b",
    "`id`",
    "caf\xc3\xa9",
    "' leading quote",
    "\"both' quotes\"",
    "trailing ",
    "postgresql://u:p@h/db?sslmode=require",
};

static void test_write_values_read_back_unchanged(void **state)
{
    char path[PATH_MAX];

    path_in(*state, "values.env", path);
    for (size_t i = 0; i < ARRAY_SIZE(round_trip_values); i++) {
        const char *key = "VALUE";
        struct iocm_err err = IOCM_ERR_INIT;
        struct config *cfg = NULL;

        if (config_write_updates(path, &key, &round_trip_values[i], 1, &err) <
            0)
            fail_msg("'%s': %s", round_trip_values[i], err.msg);
        if (config_load(path, &cfg, &err) < 0)
            fail_msg("'%s' does not read back: %s", round_trip_values[i],
                     err.msg);
        assert_string_equal(config_get(cfg, "VALUE"), round_trip_values[i]);
        assert_int_equal(config_count(cfg), 1);
        config_free(cfg);
    }
}

static void test_write_creates_a_missing_file_0600(void **state)
{
    static const char *const keys[] = { "SECRET_KEY" };
    static const char *const values[] = { "abc" };
    struct iocm_err err = IOCM_ERR_INIT;
    char path[PATH_MAX];
    char *text;

    path_in(*state, "new.env", path);
    assert_int_equal(config_write_updates(path, keys, values, 1, &err), 0);
    text = read_whole(path);
    assert_string_equal(text, "SECRET_KEY=abc\n");
    free(text);
    assert_mode_0600(path);
}

static void test_write_keeps_crlf_and_completes_last_line(void **state)
{
    static const char *const keys[] = { "A", "C" };
    static const char *const values[] = { "one", "3" };
    struct iocm_err err = IOCM_ERR_INIT;
    char path[PATH_MAX];
    char *text;

    path_in(*state, "crlf.env", path);
    write_file(path, "# c\r\nA=1\r\nB=2", 0600);
    assert_int_equal(config_write_updates(path, keys, values, 2, &err), 0);
    text = read_whole(path);
    assert_string_equal(text, "# c\r\nA=one\r\nB=2\r\nC=3\r\n");
    free(text);
}

static void test_write_last_update_of_a_key_wins(void **state)
{
    static const char *const keys[] = { "A", "B", "A" };
    static const char *const values[] = { "first", "b", "second" };
    struct iocm_err err = IOCM_ERR_INIT;
    char path[PATH_MAX];
    char *text;

    path_in(*state, "dup.env", path);
    write_file(path, "A=0\n", 0600);
    assert_int_equal(config_write_updates(path, keys, values, 3, &err), 0);
    text = read_whole(path);
    assert_string_equal(text, "A=second\nB=b\n");
    free(text);
}

static const struct {
    const char *key;
    const char *value;
    int code;
    const char *message;
} write_refusals[] = {
    { "BAD-KEY", "x", IOCM_EINVAL,
      "invalid configuration key 'BAD-KEY': expected letters, digits and "
      "'_', not starting with a digit" },
    { "9LIVES", "x", IOCM_EINVAL,
      "invalid configuration key '9LIVES': expected letters, digits and '_', "
      "not starting with a digit" },
    { "A", "bell\a", IOCM_EINVAL,
      "invalid value for A: it holds a control character" },
    { "A", "cr\r", IOCM_EINVAL,
      "invalid value for A: it holds a control character" },
};

static void test_write_refuses_bad_input_leaving_file_alone(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = { ".env" };
    char path[PATH_MAX];

    path_in(f, ".env", path);
    write_file(path, "A=1\n", 0644);
    for (size_t i = 0; i < ARRAY_SIZE(write_refusals); i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        char *text;

        assert_int_equal(config_write_updates(path, &write_refusals[i].key,
                                              &write_refusals[i].value, 1,
                                              &err),
                         write_refusals[i].code);
        assert_string_equal(err.msg, write_refusals[i].message);
        text = read_whole(path);
        assert_string_equal(text, "A=1\n");
        free(text);
    }
    assert_dir_holds(f->dir, names, ARRAY_SIZE(names));
}

static void test_write_refuses_a_malformed_file(void **state)
{
    static const char *const keys[] = { "A" };
    static const char *const values[] = { "2" };
    struct iocm_err err = IOCM_ERR_INIT;
    char path[PATH_MAX];
    char want[PATH_MAX + 64];
    char *text;

    path_in(*state, "bad.env", path);
    write_file(path, "A=1\nJUNK\n", 0600);
    assert_int_equal(config_write_updates(path, keys, values, 1, &err),
                     IOCM_ECONFIG);
    snprintf(want, sizeof(want), "%s:2: invalid line: expected KEY=value",
             path);
    assert_string_equal(err.msg, want);
    text = read_whole(path);
    assert_string_equal(text, "A=1\nJUNK\n");
    free(text);
}

static void test_write_through_a_symlink_updates_its_target(void **state)
{
    static const char *const keys[] = { "A" };
    static const char *const values[] = { "2" };
    struct iocm_err err = IOCM_ERR_INIT;
    char target[PATH_MAX];
    char link[PATH_MAX];
    struct stat st;
    char *text;

    path_in(*state, "real.env", target);
    path_in(*state, "link.env", link);
    write_file(target, "A=1\n", 0600);
    assert_int_equal(symlink("real.env", link), 0);
    assert_int_equal(config_write_updates(link, keys, values, 1, &err), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    text = read_whole(target);
    assert_string_equal(text, "A=2\n");
    free(text);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        TEST(test_env_file_grammar),
        TEST(test_malformed_lines_fail_with_file_and_line),
        TEST(test_malformed_line_message_hides_the_value),
        TEST(test_file_keys_listed_once_in_first_seen_order),
        TEST(test_environment_overrides_file),
        TEST(test_environment_only_key_is_visible),
        TEST(test_environment_is_read_at_load_only),
        TEST(test_empty_environment_value_means_default),
        TEST(test_bad_environment_value_names_the_environment),
        TEST(test_load_reads_explicit_file),
        TEST(test_load_missing_explicit_file_fails),
        TEST(test_load_uses_IOCM_ENV_FILE),
        TEST(test_explicit_path_beats_IOCM_ENV_FILE),
        TEST(test_load_missing_IOCM_ENV_FILE_fails),
        TEST(test_missing_default_dotenv_is_empty),
        TEST(test_default_dotenv_read_from_working_directory),
        TEST(test_load_rereads_the_file_every_time),
        TEST(test_file_errors_name_the_file_path),
        TEST(test_nul_byte_is_a_malformed_line),
        TEST(test_bool_getter_accepts_the_usual_words),
        TEST(test_bool_getter_rejects_other_words_naming_line),
        TEST(test_int_getter_checks_format_and_range),
        TEST(test_port_getter_error_names_key_file_and_line),
        TEST(test_string_getter_reads_empty_as_default),
        TEST(test_list_getter_splits_on_commas_and_appends),
        TEST(test_error_shows_bad_value_on_one_line),
        TEST(test_error_never_shows_a_secret),
        TEST(test_settings_defaults),
        TEST(test_settings_read_every_field),
        TEST(test_settings_mail_port_follows_tls_mode),
        TEST(test_settings_report_values_parse),
        TEST(test_settings_reject_bad_values_before_any_work),
        TEST(test_settings_tls_and_ssl_error_names_environment),
        TEST(test_settings_after_failure_are_safe_to_release),
        TEST(test_display_masks_secrets),
        TEST(test_secret_keys_are_flagged),
        TEST(test_ttl_builtin_defaults_per_type),
        TEST(test_ttl_precedence),
        TEST(test_known_keys_table_is_consistent),
        TEST(test_env_example_documents_every_key_with_defaults),
        TEST(test_write_replaces_in_place_and_appends),
        TEST(test_write_values_read_back_unchanged),
        TEST(test_write_creates_a_missing_file_0600),
        TEST(test_write_keeps_crlf_and_completes_last_line),
        TEST(test_write_last_update_of_a_key_wins),
        TEST(test_write_refuses_bad_input_leaving_file_alone),
        TEST(test_write_refuses_a_malformed_file),
        TEST(test_write_through_a_symlink_updates_its_target),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/.env.example\n", argv[0]);
        return 2;
    }
    env_example_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
