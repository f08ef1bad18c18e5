/* units.h — quantities with units in scenario files: time, size, rate,
 * length.  Every quantity in a scenario carries its unit ("5ms", "1KiB",
 * "250kbps", "120m"); a bare number is accepted only for zero. */
#ifndef KMSIM_UNITS_H
#define KMSIM_UNITS_H

#include <stddef.h>

typedef enum sim_dim {
    SIM_DIM_NONE,    /* dimensionless: plain number, no unit allowed */
    SIM_DIM_TIME,    /* ns us ms s min h       -> seconds */
    SIM_DIM_SIZE,    /* B KiB MiB GiB kB MB GB -> bytes   */
    SIM_DIM_RATE,    /* bps kbps Mbps Gbps     -> bits/s  */
    SIM_DIM_LENGTH,  /* mm cm m km             -> metres  */
    SIM_DIM_FREQ     /* Hz /s /min /h          -> per second */
} sim_dim;

/* Parses "<number><unit>" (optional spaces between) into SI base units
 * (seconds, bytes, bits/s, metres, 1/s).  The number may have a sign, decimals
 * and an exponent.  On error returns -1, writes a one-line reason to err
 * (e.g. "unknown time unit 'sec' (use ns, us, ms, s, min, h)") and, when
 * errcol is non-NULL, the 0-based offset in text where the problem is. */
int sim_units_parse(const char *text, sim_dim dim, double *out,
                    char *err, size_t errlen, size_t *errcol);

/* 1 when texts a and b name the same value: equal as text, or both parse
 * (sim_units_parse) in one dimension to numbers within a relative 1e-9 of
 * each other ("0.005s" and "5ms", "1KiB" and "1024B", "40" and "4e1");
 * else 0.  kmsim extension (issue 21): --where compares by value. */
int sim_units_same(const char *a, const char *b);

/* kmsim extension (issue 21): when text is a quantity with a unit ("5ms",
 * "1KiB", "250kbps", "120m", "2/s"), sets *si to its value in SI base
 * units (seconds, bytes, bits/s, metres, per second) and returns 0; -1
 * for a plain number, a name or a distribution (unit-free: no SI form). */
int sim_units_si(const char *text, double *si);

/* Human name of a dimension ("time", "size", ...) and its base unit
 * symbol ("s", "B", "bps", "m", "1/s", ""). */
const char *sim_dim_name(sim_dim dim);
const char *sim_dim_unit(sim_dim dim);

/* Writes v (SI base units) with a readable unit of its dimension, e.g.
 * "60s", "1.5ms", "64KiB", "250kbps", "120m", "2/s" ("%g" style; more
 * digits only when needed so that parsing the text gives v back exactly).
 * Always NUL-terminated. */
void sim_units_format(double v, sim_dim dim, char *buf, size_t len);

/* Length in bytes (1-4) of the well-formed UTF-8 sequence that starts at
 * s, or 0 if none does there (a continuation byte, an overlong form, an
 * encoded surrogate, beyond U+10FFFF, cut by the terminator).  *cp (may be
 * NULL) gets its code point. */
size_t sim_units_utf8(const char *s, unsigned long *cp);
/* Terminal columns of UTF-8 text s: one per character (continuation
 * bytes take none), for aligning the run and compare tables. */
size_t sim_units_cols(const char *s);

/* Length in bytes of the terminal-unsafe character that starts at s, or
 * 0: a C1 control (U+0080-U+009F); a format character (Unicode Cf: soft
 * hyphen, U+0600-U+0605, U+061C, bidirectional marks, overrides and
 * isolates, zero-width characters U+200B-U+200F, U+2060-U+206F, U+FEFF,
 * U+FFF9-U+FFFB, tags U+E0000-U+E0FFF ...); the line and paragraph
 * separators U+2028, U+2029; invisible fillers and variation selectors;
 * noncharacters — all in UTF-8.  *cp (may be NULL) gets its code point.
 * C0 controls and DEL are not counted (callers escape them already), nor
 * bytes that are not UTF-8 (sim_units_utf8 returns 0 for them). */
size_t sim_units_unsafe(const char *s, unsigned long *cp);

/* Copies `s` into buf for quoting inside a one-line message: control
 * characters are escaped (\n, \xHH), terminal-unsafe characters (see
 * sim_units_unsafe) as \uHHHH (\UHHHHHHHH beyond U+FFFF), bytes that are
 * not UTF-8 as \xHH, and text longer than 60 bytes is cut with "...".
 * Always NUL-terminated. */
void sim_units_quote(char *buf, size_t len, const char *s);

/* As sim_units_quote, for a path: a long one keeps its first and last 60
 * bytes (whole characters) around "...", so both the top and the name the
 * message is about stay visible.  512 bytes always hold the result. */
void sim_units_quote_path(char *buf, size_t len, const char *s);

#endif
