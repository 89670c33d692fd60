/*
 * Rewriting a .env file for the admin UI: values replaced where they stand,
 * everything else (comments, order, line ends) kept, and the new file put
 * in place atomically with mode 0600 because it holds secrets.
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_int.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Characters that read back the same with no quotes, in a shell too. */
static bool is_bare_safe(const char *v)
{
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (!(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || strchr("_-./:@+,=%~^", c)))
            return false;
    }
    return true;
}

/* Appends v as a value token that config_parse_line reads back as v. */
static void add_value_token(struct strbuf *out, const char *v)
{
    if (is_bare_safe(v)) {
        strbuf_addstr(out, v);
    } else if (!strchr(v, '\'') && !strchr(v, '\n')) {
        /* Single quotes are literal both here and in a shell. */
        strbuf_addf(out, "'%s'", v);
    } else {
        strbuf_addch(out, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '\n')
                strbuf_addstr(out, "\\n");
            else if (*p == '\t')
                strbuf_addstr(out, "\\t");
            else if (*p == '"' || *p == '\\' || *p == '$')
                strbuf_addf(out, "\\%c", *p);
            else
                strbuf_addch(out, *p);
        }
        strbuf_addch(out, '"');
    }
}

static int check_updates(const char *const *keys, const char *const *values,
                         size_t n, struct iocm_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!config_key_valid(keys[i], strlen(keys[i])))
            return iocm_fail(err, IOCM_EINVAL,
                             "invalid configuration key '%s': expected "
                             "letters, digits and '_', not starting with a "
                             "digit",
                             keys[i]);
        for (const char *p = values[i]; *p; p++) {
            unsigned char c = (unsigned char)*p;

            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                return iocm_fail(err, IOCM_EINVAL,
                                 "invalid value for %s: it holds a control "
                                 "character",
                                 keys[i]);
        }
    }
    return 0;
}

/* The update for key: the last of keys[] naming it, or -1. */
static long update_index(const char *const *keys, size_t n, const char *key,
                         size_t klen)
{
    for (size_t i = n; i-- > 0;)
        if (strlen(keys[i]) == klen && memcmp(keys[i], key, klen) == 0)
            return (long)i;
    return -1;
}

/*
 * Builds the new text from the old: a replaced assignment keeps what
 * precedes its value ("export KEY = ") and what follows it (a comment).
 */
static int rewrite_text(const char *name, const struct strbuf *old,
                        const char *const *keys, const char *const *values,
                        size_t n, bool *done, struct strbuf *out,
                        struct iocm_err *err)
{
    struct strbuf value = STRBUF_INIT;
    struct strbuf why = STRBUF_INIT;
    const char *p = old->buf;
    const char *end = old->buf + old->len;
    const char *eol = "\n";
    unsigned lineno = 1;
    int rc = 0;

    if (old->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        strbuf_add(out, p, 3);
        p += 3;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t ll = (size_t)((nl ? nl : end) - p);
        struct config_line pl;
        long u;

        if (ll && p[ll - 1] == '\r') {
            ll--;
            if (lineno == 1)
                eol = "\r\n";
        }
        strbuf_reset(&value);
        if (config_parse_line(p, ll, &pl, &value, &why) < 0) {
            rc = iocm_fail(err, IOCM_ECONFIG, "%s:%u: %s", name, lineno,
                           why.buf);
            goto out;
        }
        u = pl.is_assignment
                ? update_index(keys, n, p + pl.key_start, pl.key_len)
                : -1;
        if (u < 0) {
            strbuf_add(out, p, (size_t)(next - p));
        } else if (!done[u]) {
            strbuf_add(out, p, pl.value_start);
            add_value_token(out, values[u]);
            /* "KEY= # note" had an empty value right before its '#'. */
            if (pl.value_end < ll && p[pl.value_end] == '#')
                strbuf_addch(out, ' ');
            strbuf_add(out, p + pl.value_end,
                       (size_t)(next - p) - pl.value_end);
            done[u] = true;
        }
        /* else: a later duplicate of a replaced key, which would win on
         * read; it is dropped. */
        p = next;
        lineno++;
    }
    if (out->len && out->buf[out->len - 1] != '\n')
        strbuf_addstr(out, eol);
    for (size_t i = 0; i < n; i++) {
        if (done[i] ||
            update_index(keys, n, keys[i], strlen(keys[i])) != (long)i)
            continue;
        strbuf_addf(out, "%s=", keys[i]);
        add_value_token(out, values[i]);
        strbuf_addstr(out, eol);
    }
out:
    strbuf_release(&value);
    strbuf_release(&why);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/*
 * Makes the rename durable across a crash. Best effort: the new file is in
 * place already, so a failure here (some file systems cannot fsync a
 * folder) must not report the update as failed.
 */
static void sync_folder(const char *file)
{
    char *copy = xstrdup(file);
    char *slash = strrchr(copy, '/');
    int fd;

    if (slash == copy)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    fd = open(slash ? copy : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

int config_write_updates(const char *path, const char *const *keys,
                         const char *const *values, size_t n,
                         struct iocm_err *err)
{
    struct strbuf old = STRBUF_INIT;
    struct strbuf text = STRBUF_INIT;
    struct strbuf tmp = STRBUF_INIT;
    bool *done = NULL;
    char *target = NULL;
    struct stat st;
    FILE *fp = NULL;
    int fd = -1;
    int rc;

    rc = check_updates(keys, values, n, err);
    if (rc < 0)
        goto out;
    /* Renaming over a symbolic link would replace the link itself. */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);

        if (!real) {
            rc = iocm_fail(err, IOCM_EIO, "cannot resolve '%s': %s", path,
                           strerror(errno));
            goto out;
        }
        target = xstrdup(real);
        free(real);
    } else {
        target = xstrdup(path);
    }

    fp = fopen(target, "r");
    if (!fp && errno != ENOENT) {
        rc = iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", target,
                       strerror(errno));
        goto out;
    }
    if (fp && strbuf_read_file(&old, fp) < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot read '%s': %s", target,
                       strerror(errno));
        goto out;
    }
    done = xcalloc(n ? n : 1, sizeof(*done));
    rc = rewrite_text(path, &old, keys, values, n, done, &text, err);
    if (rc < 0)
        goto out;

    strbuf_addf(&tmp, "%s.tmp-XXXXXX", target);
    fd = mkstemp(tmp.buf);
    if (fd < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot create a file beside '%s': %s",
                       target, strerror(errno));
        strbuf_reset(&tmp);
        goto out;
    }
    if (fchmod(fd, 0600) < 0 || write_all(fd, text.buf, text.len) < 0 ||
        fsync(fd) < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", tmp.buf,
                       strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = iocm_fail(err, IOCM_EIO, "cannot write '%s': %s", tmp.buf,
                       strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp.buf, target) < 0) {
        rc = iocm_fail(err, IOCM_EIO, "cannot replace '%s': %s", target,
                       strerror(errno));
        goto out;
    }
    strbuf_reset(&tmp); /* in place now: nothing to clean up */
    sync_folder(target);
out:
    if (fd >= 0)
        close(fd);
    if (tmp.len)
        unlink(tmp.buf);
    if (fp)
        fclose(fp);
    free(done);
    free(target);
    strbuf_release(&tmp);
    strbuf_release(&text);
    strbuf_release(&old);
    return rc;
}
