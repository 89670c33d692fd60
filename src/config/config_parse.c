/*
 * Reading the configuration: the .env line grammar (see config.h), the
 * file lookup order (--env, IOCM_ENV_FILE, ./.env), the snapshot of the
 * process environment, and key lookup with the environment winning.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')

/* Printed keys are shortened: a bad "key" may be a pasted secret. */
#define SHOWN_KEY_MAX 40

bool config_key_valid(const char *s, size_t len)
{
    if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

/* Reads a quoted value starting at the quote line[*pos]; on return *pos is
 * just past the closing quote. Returns -1 when the line ends first. */
static int read_quoted(const char *line, size_t len, size_t *pos,
                       struct strbuf *value)
{
    char quote = line[*pos];
    size_t i = *pos + 1;

    while (i < len) {
        char c = line[i++];

        if (c == quote) {
            *pos = i;
            return 0;
        }
        /* Only these escapes exist, so a Windows path in double quotes
         * keeps its backslashes. */
        if (quote == '"' && c == '\\' && i < len) {
            switch (line[i]) {
            case 'n':
                c = '\n';
                i++;
                break;
            case 't':
                c = '\t';
                i++;
                break;
            case '"':
            case '\\':
            case '$':
                c = line[i++];
                break;
            default:
                break;
            }
        }
        strbuf_addch(value, c);
    }
    return -1;
}

int config_parse_line(const char *line, size_t len, struct config_line *pl,
                      struct strbuf *value, struct strbuf *why)
{
    size_t i = 0;

    memset(pl, 0, sizeof(*pl));
    if (memchr(line, '\0', len)) {
        strbuf_addstr(why, "invalid line: it holds a NUL byte");
        return -1;
    }
    while (i < len && IS_BLANK(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return 0;
    /* "export KEY=v" lets the same file be sourced by a shell. */
    if (len - i > 6 && memcmp(line + i, "export", 6) == 0 &&
        IS_BLANK(line[i + 6])) {
        i += 6;
        while (i < len && IS_BLANK(line[i]))
            i++;
    }

    pl->key_start = i;
    while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_'))
        i++;
    pl->key_len = i - pl->key_start;
    while (i < len && IS_BLANK(line[i]))
        i++;
    if (!memchr(line + pl->key_start, '=', len - pl->key_start)) {
        strbuf_addstr(why, "invalid line: expected KEY=value");
        return -1;
    }
    if (i >= len || line[i] != '=' ||
        !config_key_valid(line + pl->key_start, pl->key_len)) {
        const char *k = line + pl->key_start;
        size_t klen =
            (size_t)((const char *)memchr(k, '=', len - pl->key_start) - k);

        while (klen && IS_BLANK(k[klen - 1]))
            klen--;
        strbuf_addstr(why, "invalid line: bad key '");
        config_add_printable(why, k, klen, SHOWN_KEY_MAX);
        strbuf_addstr(why, "': expected KEY=value, KEY made of letters, "
                           "digits and '_', not starting with a digit");
        return -1;
    }

    i++; /* past the '=' */
    while (i < len && IS_BLANK(line[i]))
        i++;
    pl->value_start = i;
    if (i < len && (line[i] == '\'' || line[i] == '"')) {
        const char *kind = line[i] == '"' ? "double" : "single";

        if (read_quoted(line, len, &i, value) < 0) {
            strbuf_addf(why,
                        "invalid line: unterminated %s quote in the value "
                        "of '%.*s'",
                        kind, (int)pl->key_len, line + pl->key_start);
            return -1;
        }
        pl->value_end = i;
        while (i < len && IS_BLANK(line[i]))
            i++;
        if (i < len && line[i] != '#') {
            strbuf_addf(why,
                        "invalid line: unexpected text after the closing "
                        "quote of the value of '%.*s'",
                        (int)pl->key_len, line + pl->key_start);
            return -1;
        }
    } else {
        size_t end = len;

        /* "a#b" keeps its '#'; a '#' after a blank starts a comment (p - 1
         * is at least the '='). */
        for (size_t p = i; p < len; p++) {
            if (line[p] == '#' && IS_BLANK(line[p - 1])) {
                end = p;
                break;
            }
        }
        while (end > i && IS_BLANK(line[end - 1]))
            end--;
        pl->value_end = end;
        strbuf_add(value, line + i, end - i);
    }
    pl->is_assignment = true;
    return 0;
}

static struct config_entry *find_entry(struct config_entry *v, size_t nr,
                                       const char *key)
{
    for (size_t i = 0; i < nr; i++)
        if (strcmp(v[i].key, key) == 0)
            return &v[i];
    return NULL;
}

/* A later duplicate replaces the value in place, so the key keeps its
 * first-seen position for config_key_at(). */
static void set_file_entry(struct config *cfg, const char *key, size_t klen,
                           struct strbuf *value, unsigned line)
{
    char *k = xstrndup(key, klen);
    struct config_entry *e = find_entry(cfg->file, cfg->file_nr, k);

    if (e) {
        free(k);
        free(e->value);
    } else {
        ALLOC_GROW(cfg->file, cfg->file_nr + 1, cfg->file_alloc);
        e = &cfg->file[cfg->file_nr++];
        e->key = k;
    }
    e->value = strbuf_detach(value, NULL);
    e->line = line;
}

static int parse_text(struct config *cfg, const char *text, size_t len,
                      struct iocm_err *err)
{
    struct strbuf value = STRBUF_INIT;
    struct strbuf why = STRBUF_INIT;
    const char *p = text;
    const char *end = text + len;
    unsigned lineno = 1;
    int rc = 0;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)((nl ? nl : end) - p);
        struct config_line pl;

        if (ll && p[ll - 1] == '\r')
            ll--;
        strbuf_reset(&value);
        if (config_parse_line(p, ll, &pl, &value, &why) < 0) {
            rc = iocm_fail(err, IOCM_ECONFIG, "%s:%u: %s", cfg->name, lineno,
                           why.buf);
            goto out;
        }
        if (pl.is_assignment)
            set_file_entry(cfg, p + pl.key_start, pl.key_len, &value, lineno);
        if (!nl)
            break;
        p = nl + 1;
        lineno++;
    }
out:
    strbuf_release(&value);
    strbuf_release(&why);
    return rc;
}

/* Copies the environment once so later setenv() (TZ, tests) cannot move
 * the strings config_get() hands out. The first of duplicate names wins,
 * as with getenv(). */
static void snapshot_environment(struct config *cfg)
{
    for (char **ep = environ; ep && *ep; ep++) {
        const char *eq = strchr(*ep, '=');
        struct config_entry *e;
        char *key;

        if (!eq || !config_key_valid(*ep, (size_t)(eq - *ep)))
            continue;
        key = xstrndup(*ep, (size_t)(eq - *ep));
        if (find_entry(cfg->env, cfg->env_nr, key)) {
            free(key);
            continue;
        }
        ALLOC_GROW(cfg->env, cfg->env_nr + 1, cfg->env_alloc);
        e = &cfg->env[cfg->env_nr++];
        e->key = key;
        e->value = xstrdup(eq + 1);
        e->line = 0;
    }
}

static struct config *config_new(const char *name, const char *path)
{
    struct config *cfg = xcalloc(1, sizeof(*cfg));

    cfg->name = xstrdup(name);
    cfg->path = xstrdup(path);
    snapshot_environment(cfg);
    return cfg;
}

int config_load_string(const char *name, const char *text, struct config **out,
                       struct iocm_err *err)
{
    struct config *cfg = config_new(name, NULL);
    int rc;

    *out = NULL;
    rc = parse_text(cfg, text, strlen(text), err);
    if (rc < 0) {
        config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int config_load(const char *explicit_path, struct config **out,
                struct iocm_err *err)
{
    struct strbuf text = STRBUF_INIT;
    struct config *cfg = NULL;
    const char *path = explicit_path;
    const char *named_by = "";
    bool must_exist = true;
    FILE *fp = NULL;
    int rc = 0;

    *out = NULL;
    if (!path) {
        path = getenv("IOCM_ENV_FILE");
        named_by = " (named by IOCM_ENV_FILE)";
        if (!path || !*path) {
            path = ".env";
            named_by = "";
            must_exist = false;
        }
    }
    fp = fopen(path, "r");
    if (!fp && errno == ENOENT && !must_exist) {
        cfg = config_new(path, NULL);
        goto out;
    }
    if (!fp || strbuf_read_file(&text, fp) < 0) {
        rc = iocm_fail(err, IOCM_ECONFIG,
                       "cannot read configuration file '%s'%s: %s", path,
                       named_by, strerror(errno));
        goto out;
    }
    cfg = config_new(path, path);
    rc = parse_text(cfg, text.buf, text.len, err);
out:
    if (fp)
        fclose(fp);
    strbuf_release(&text);
    if (rc < 0) {
        config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

static void free_entries(struct config_entry *v, size_t nr)
{
    for (size_t i = 0; i < nr; i++) {
        free(v[i].key);
        free(v[i].value);
    }
    free(v);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free_entries(cfg->file, cfg->file_nr);
    free_entries(cfg->env, cfg->env_nr);
    free(cfg->name);
    free(cfg->path);
    free(cfg);
}

const char *config_path(const struct config *cfg)
{
    return cfg->path;
}

const struct config_entry *config_find(const struct config *cfg,
                                       const char *key)
{
    const struct config_entry *e = find_entry(cfg->env, cfg->env_nr, key);

    return e ? e : find_entry(cfg->file, cfg->file_nr, key);
}

const char *config_get(const struct config *cfg, const char *key)
{
    const struct config_entry *e = config_find(cfg, key);

    return e ? e->value : NULL;
}

int config_origin(const struct config *cfg, const char *key, struct strbuf *out)
{
    const struct config_entry *e = config_find(cfg, key);

    if (!e)
        return IOCM_ENOENT;
    if (e->line)
        strbuf_addf(out, "%s:%u", cfg->name, e->line);
    else
        strbuf_addstr(out, "environment");
    return 0;
}

void config_where(const struct config *cfg, const struct config_entry *e,
                  struct strbuf *out)
{
    if (e->line)
        strbuf_addf(out, "at %s:%u", cfg->name, e->line);
    else
        strbuf_addstr(out, "in the environment");
}

size_t config_count(const struct config *cfg)
{
    return cfg->file_nr;
}

const char *config_key_at(const struct config *cfg, size_t i)
{
    return i < cfg->file_nr ? cfg->file[i].key : NULL;
}
