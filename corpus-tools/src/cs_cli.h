/*
 * cs_cli.h - what every `concatseq` subcommand shares: the one-line error format and strict option parsing.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stddef.h>
#include <stdint.h>

/**
 * `s` made safe to print on a terminal: every byte that could drive it - C0 controls (0x00-0x1f, so ESC, CR,
 * BEL, newline and tab too), DEL (0x7f), the UTF-8 encodings of the C1 controls (U+0080-U+009F, e.g. CSI), and
 * bytes that are not well-formed UTF-8 (a lone 0x9b is CSI on an 8-bit terminal) - becomes "\xNN" (each byte),
 * and a backslash becomes "\\" so the result is unambiguous; well-formed printable UTF-8 is kept. What every
 * string that comes from a file (manifest fields, paths found in a folder, model metadata) and every message
 * holding one goes through before the CLI prints it. NULL gives "(null)". Returns a static buffer, one of 8
 * used in turn (so up to 8 results can appear in one printf); a result longer than 8191 bytes is cut and ends
 * in "...". Not thread-safe (the CLI prints from one thread).
 */
const char *cs_cli_safe(const char *s);

/** Print "concatseq CMD: error: <message>" and a newline on stderr, the message through cs_cli_safe (it may hold
 *  a path or a string from a file); returns 1 (the exit status). */
__attribute__((format(printf, 2, 3))) int cs_cli_fail(const char *cmd, const char *fmt, ...);

/** The whole string must be a finite number (strtod). 0 and *out set, or -1. */
int cs_cli_parse_double(const char *s, double *out);

/** The whole string must be an integral number within int range (e.g. "12", "1e3"). 0 and *out set, or -1. */
int cs_cli_parse_int(const char *s, int *out);

/** A non-negative decimal integer that fits 64 bits. 0 and *out set, or -1. */
int cs_cli_parse_u64(const char *s, uint64_t *out);

/** The core's allocator callbacks (cs_cp_alloc_fn / cs_seqp_alloc_fn / cs_cl_alloc_fn and their free) on the
 *  process heap, for the CLI, which runs the real-time core offline: malloc / free; `user` is unused. */
void *cs_cli_heap_alloc(void *user, size_t bytes);
void cs_cli_heap_free(void *user, void *ptr);

#endif
