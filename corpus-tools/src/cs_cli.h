/*
 * cs_cli.h - what every `concatseq` subcommand shares: the one-line error format and strict option parsing.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <stdint.h>

/** Print "concatseq CMD: error: <message>" and a newline on stderr; returns 1 (the exit status). */
__attribute__((format(printf, 2, 3))) int cs_cli_fail(const char *cmd, const char *fmt, ...);

/** The whole string must be a finite number (strtod). 0 and *out set, or -1. */
int cs_cli_parse_double(const char *s, double *out);

/** The whole string must be an integral number within int range (e.g. "12", "1e3"). 0 and *out set, or -1. */
int cs_cli_parse_int(const char *s, int *out);

/** A non-negative decimal integer that fits 64 bits. 0 and *out set, or -1. */
int cs_cli_parse_u64(const char *s, uint64_t *out);

#endif
