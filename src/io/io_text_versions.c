/*
 * Text extraction: telling a version number from an IPv4 address. Both
 * are four dotted numbers ("version 2.4.1.7", "Chrome/120.0.1.2"), so the
 * words before the number decide, read backwards from it within its
 * sentence.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Words looked at before the number: "firmware version is 2.4.1.7". */
#define WORDS_BACK 3
/* Bytes looked at before the number: the look stays cheap on feeds of
 * one address a line and on long runs without spaces. */
#define LOOK_BACK_MAX 96
/* Longer words are neither of the lists below. */
#define WORD_MAX 16

/* Words that name what follows as a version, sorted. */
static const char *const version_words[] = {
    "agent",    "build", "builds",   "firmware",   "release",
    "releases", "rev",   "revision", "user-agent", "useragent",
    "v",        "ver",   "version",  "versions",
};

/*
 * Words that name what follows as a network address, sorted: they end the
 * look back, so "the agent connects to 2.4.1.7" and "C2 at 2.4.1.7" stay
 * addresses.
 */
static const char *const address_words[] = {
    "addr",    "address",  "addresses", "at",   "beacons", "c2", "cnc",
    "connect", "connects", "contacts",  "from", "host",    "ip", "ips",
    "ipv4",    "on",       "server",    "to",   "via",
};

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static bool is_in(const char *word, const char *const *list, size_t nr)
{
    return bsearch(word, list, nr, sizeof(list[0]), cmp_word) != NULL;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Punctuation a word may carry at its end without ending the sentence:
 * "version: 2.4.1.7", "build=2.4.1.7", "version (2.4.1.7)". */
static bool is_word_trailer(unsigned char c)
{
    return c == ':' || c == '=' || c == ',' || c == '#' || c == '(' ||
           c == '[' || c == '"' || c == '\'' || c == '-';
}

static bool is_sentence_end(unsigned char c)
{
    return c == '.' || c == '!' || c == '?' || c == ';';
}

/* Copies s[0..n) (n <= WORD_MAX) lower-cased into word, NUL-terminated. */
static void lower_copy(const unsigned char *s, size_t n, char *word)
{
    for (size_t i = 0; i < n; i++)
        word[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    word[n] = '\0';
}

/* Abbreviations with their period: "ver. 2.4.1.7", "v. 2", "rev. 3". */
static bool is_abbreviation(const char *word)
{
    return !strcmp(word, "ver") || !strcmp(word, "v") || !strcmp(word, "rev");
}

bool io_text_follows_version_word(const unsigned char *start,
                                  const unsigned char *s)
{
    const unsigned char *limit =
        s - start > LOOK_BACK_MAX ? s - LOOK_BACK_MAX : start;
    const unsigned char *p = s;

    for (int words = 0; words < WORDS_BACK; words++) {
        const unsigned char *e;
        char word[WORD_MAX + 1];
        size_t newlines = 0;
        bool is_attached = p == s;

        while (p > limit && is_space(p[-1])) {
            if (p[-1] == '\n')
                newlines++;
            p--;
        }
        /* A blank line ends a paragraph, and so the sentence. */
        if (newlines > 1 || p == limit)
            return false;
        e = p;
        while (p > limit && !is_space(p[-1]))
            p--;
        /* A word cut by the limit could read as anything. */
        if (p == limit && p > start && !is_space(p[-1]))
            return false;
        /* "Chrome/120.0.1.2": a product and its version. */
        if (is_attached && e - p >= 2 && e[-1] == '/' && is_alnum(e[-2]))
            return true;
        while (e > p && is_word_trailer(e[-1]))
            e--;
        /* "ver. 2.4.1.7" is a word; "... the end. 2.4.1.7" is not. */
        if (e > p && is_sentence_end(e[-1])) {
            if (e[-1] != '.' || e - p < 2 || e - p > WORD_MAX + 1)
                return false;
            lower_copy(p, (size_t)(e - 1 - p), word);
            return is_abbreviation(word);
        }
        if (e - p > WORD_MAX || e == p)
            continue;
        lower_copy(p, (size_t)(e - p), word);
        if (is_in(word, address_words, ARRAY_SIZE(address_words)))
            return false;
        if (is_in(word, version_words, ARRAY_SIZE(version_words)))
            return true;
    }
    return false;
}
