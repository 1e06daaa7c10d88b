/* common/text_safe.h - text that leaves the library (log lines, error
 * messages, state rows in the destination) made safe in one place:
 *
 * - cut at a byte count only on a UTF-8 character boundary: a cut through a
 *   multi-byte character makes the text invalid UTF-8, which the destination
 *   refuses (SQLSTATE 22021) and Java's NewStringUTF may not survive;
 * - control characters (C0, DEL) shown visibly (\n, \r, \t, \x1b, ...): a
 *   table or column name holding a newline must not forge a log line or a
 *   stored message line.
 *
 * Every place that cuts a message at a byte count uses pgcdc_utf8_cut (or the
 * helpers built on it); pgcdc_log and the stored table-state messages go
 * through pgcdc_text_escape_controls. */
#ifndef PGCDC_COMMON_TEXT_SAFE_H
#define PGCDC_COMMON_TEXT_SAFE_H

#include <stddef.h>

/* The largest length <= max at which s can be cut without splitting a UTF-8
 * character (s's own length if it is shorter). s is NUL-terminated: when it
 * is at least max long, the byte at max (the next character's, or the NUL)
 * is read to tell whether the cut splits one. */
size_t pgcdc_utf8_cut(const char *s, size_t max);

/* pgcdc_utf8_cut as an int for printf's "%.*s": ("%.*s", PGCDC_UTF8_PREC(s, 100), s). */
#define PGCDC_UTF8_PREC(s, max) ((int)pgcdc_utf8_cut((s), (max)))

/* Copies src into dst (size bytes with the NUL), cut on a character
 * boundary. Returns dst. */
char *pgcdc_text_copy(char *dst, size_t size, const char *src);

/* Removes an incomplete UTF-8 character at the end of s: what a snprintf
 * into a fixed buffer leaves when it cut through one. */
void pgcdc_utf8_trim(char *s);

/* Copies src into dst (size bytes with the NUL) with every control
 * character shown visibly - \n \r \t, others as \xNN - and cut on a
 * character boundary (an escape is never cut in half). Returns dst. */
char *pgcdc_text_escape_controls(char *dst, size_t size, const char *src);

/* Multi-line text (a server message with DETAIL, HINT, CONTEXT lines; SQL)
 * made one line in place: each run of whitespace (newline, CR, tab, space)
 * becomes one space, none at the start; a cut character at the end is
 * removed. Other control characters are left for pgcdc_text_escape_controls. */
void pgcdc_text_one_line(char *s);

#endif
