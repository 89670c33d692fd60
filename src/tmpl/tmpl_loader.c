/*
 * Template loaders: where templates and partials come from (folders searched
 * in order, so an override folder wins file by file, or an in-memory JSON
 * object) and the cache of their compiled forms.
 */
#include "tmpl/tmpl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpl/tmpl_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Larger files are surely not templates; refuse them before reading. */
#define TMPL_MAX_FILE_SIZE (16L * 1024 * 1024)

/* The suffix tried after the bare name, so "{{> footer}}" can find the
 * file "footer.mustache". */
static const char mustache_suffix[] = ".mustache";

struct loader_entry {
    char *name;
    struct tmpl *t; /* NULL: known not to exist */
};

struct tmpl_loader {
    /* Guards entries: the web server renders from several threads. */
    pthread_mutex_t lock;
    char **dirs; /* file loader: folders, first wins */
    size_t nr_dirs;
    bool is_in_memory;
    json_t *partials; /* in-memory loader: name -> source; a reference */
    bool is_strict;
    /* Every name asked for, found or not, so that a partial inside a loop
     * costs one lookup here rather than file system calls. Entries are
     * never removed, so the templates handed out stay valid. */
    struct loader_entry *entries;
    size_t nr_entries;
    size_t alloc_entries;
};

static struct tmpl_loader *loader_alloc(void)
{
    struct tmpl_loader *l = xcalloc(1, sizeof(*l));

    pthread_mutex_init(&l->lock, NULL);
    return l;
}

struct tmpl_loader *tmpl_loader_new(const char *const *dirs)
{
    struct tmpl_loader *l = loader_alloc();
    size_t n = 0;

    while (dirs && dirs[n])
        n++;
    l->dirs = xcalloc(n ? n : 1, sizeof(*l->dirs));
    for (size_t i = 0; i < n; i++)
        if (dirs[i][0])
            l->dirs[l->nr_dirs++] = xstrdup(dirs[i]);
    return l;
}

struct tmpl_loader *tmpl_loader_new_from_json(json_t *partials)
{
    struct tmpl_loader *l = loader_alloc();

    l->is_in_memory = true;
    l->partials = json_incref(partials);
    return l;
}

void tmpl_loader_free(struct tmpl_loader *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nr_entries; i++) {
        free(l->entries[i].name);
        tmpl_free(l->entries[i].t);
    }
    free(l->entries);
    for (size_t i = 0; i < l->nr_dirs; i++)
        free(l->dirs[i]);
    free(l->dirs);
    json_decref(l->partials);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

void tmpl_loader_set_strict(struct tmpl_loader *l, bool is_strict)
{
    l->is_strict = is_strict;
}

bool tmpl_loader_is_strict(const struct tmpl_loader *l)
{
    return l->is_strict;
}

/* A name must stay inside the template folders: no "..", not absolute. */
static bool is_safe_name(const char *name)
{
    const char *part = name;

    if (!*name || *name == '/')
        return false;
    for (;;) {
        size_t len = strcspn(part, "/");

        if (len == 2 && part[0] == '.' && part[1] == '.')
            return false;
        if (!part[len])
            return true;
        part += len + 1;
    }
}

/*
 * Reads path into src. A path that does not exist, or is not a regular
 * file, leaves *is_found false and is no error.
 */
static int read_file(const char *path, struct strbuf *src, bool *is_found,
                     struct iocm_err *err)
{
    struct stat st;
    FILE *fp = NULL;
    int rc = 0;

    *is_found = false;
    fp = fopen(path, "rb");
    if (!fp) {
        if (errno != ENOENT && errno != ENOTDIR)
            rc = iocm_fail(err, IOCM_EIO, "cannot open '%s': %s", path,
                           strerror(errno));
        goto out;
    }
    if (fstat(fileno(fp), &st) < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot stat '%s': %s", path,
                       strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode))
        goto out;
    if (st.st_size > TMPL_MAX_FILE_SIZE) {
        rc = iocm_fail(err, IOCM_EINVAL,
                       "template '%s' is larger than %ld bytes", path,
                       TMPL_MAX_FILE_SIZE);
        goto out;
    }
    if (strbuf_read_file(src, fp) < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", path,
                       strerror(errno));
        goto out;
    }
    *is_found = true;
out:
    if (fp)
        fclose(fp);
    return rc;
}

/* Finds name in the folders: "<dir>/<name>", then "<dir>/<name>.mustache",
 * folder by folder. */
static int load_from_dirs(struct tmpl_loader *l, const char *name,
                          struct strbuf *src, bool *is_found,
                          struct iocm_err *err)
{
    struct strbuf path = STRBUF_INIT;
    int rc = 0;

    *is_found = false;
    if (!is_safe_name(name)) {
        rc = iocm_fail(
            err, IOCM_EINVAL,
            "invalid template name '%s': must be relative, without '..'", name);
        goto out;
    }
    for (size_t i = 0; i < l->nr_dirs && !*is_found; i++) {
        for (int with_suffix = 0; with_suffix < 2 && !*is_found;
             with_suffix++) {
            strbuf_reset(&path);
            strbuf_addf(&path, "%s/%s%s", l->dirs[i], name,
                        with_suffix ? mustache_suffix : "");
            rc = read_file(path.buf, src, is_found, err);
            if (rc < 0)
                goto out;
        }
    }
out:
    strbuf_release(&path);
    return rc;
}

static int load_from_json(struct tmpl_loader *l, const char *name,
                          struct strbuf *src, bool *is_found,
                          struct iocm_err *err)
{
    json_t *v = json_object_get(l->partials, name);

    *is_found = false;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return iocm_fail(err, IOCM_EINVAL, "partial '%s' is not a string",
                         name);
    strbuf_add(src, json_string_value(v), json_string_length(v));
    *is_found = true;
    return 0;
}

static struct loader_entry *find_entry(struct tmpl_loader *l, const char *name)
{
    for (size_t i = 0; i < l->nr_entries; i++)
        if (!strcmp(l->entries[i].name, name))
            return &l->entries[i];
    return NULL;
}

int tmpl_loader_lookup(struct tmpl_loader *l, const char *name,
                       const struct tmpl **out, struct iocm_err *err)
{
    struct strbuf src = STRBUF_INIT;
    struct loader_entry *e;
    struct tmpl *t = NULL;
    bool is_found = false;
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&l->lock);
    e = find_entry(l, name);
    if (e) {
        *out = e->t;
        goto out;
    }
    if (l->is_in_memory)
        rc = load_from_json(l, name, &src, &is_found, err);
    else
        rc = load_from_dirs(l, name, &src, &is_found, err);
    if (rc < 0)
        goto out;
    if (is_found) {
        rc = tmpl_compile(name, src.buf, src.len, &t, err);
        if (rc < 0)
            goto out;
    }
    /* Found or not, the answer is kept; a failure above is not, so that
     * it is reported each time. */
    ALLOC_GROW(l->entries, l->nr_entries + 1, l->alloc_entries);
    l->entries[l->nr_entries].name = xstrdup(name);
    l->entries[l->nr_entries].t = t;
    l->nr_entries++;
    *out = t;
out:
    pthread_mutex_unlock(&l->lock);
    strbuf_release(&src);
    return rc;
}

int tmpl_loader_get(struct tmpl_loader *l, const char *name,
                    const struct tmpl **out, struct iocm_err *err)
{
    struct strbuf where = STRBUF_INIT;
    int rc;

    rc = tmpl_loader_lookup(l, name, out, err);
    if (rc < 0 || *out)
        return rc;
    for (size_t i = 0; i < l->nr_dirs; i++)
        strbuf_addf(&where, "%s'%s'", i ? ", " : "", l->dirs[i]);
    if (l->is_in_memory)
        rc = iocm_fail(err, IOCM_ENOENT, "template '%s' not found", name);
    else
        rc = iocm_fail(err, IOCM_ENOENT, "template '%s' not found in %s", name,
                       where.len ? where.buf : "no folder");
    strbuf_release(&where);
    return rc;
}
