#ifndef IOCM_UTIL_UTF8_H
#define IOCM_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the UTF-8 sequence at s[0..n) (n > 0): 1 to 4, or 0 when it is
 * malformed — a stray continuation byte, a truncated sequence, an overlong
 * form, a UTF-16 surrogate or a code point past U+10FFFF.
 */
size_t utf8_char_len(const char *s, size_t n);

/* True when s[0..len) is well-formed UTF-8 throughout. */
bool utf8_is_valid(const char *s, size_t len);

#endif
