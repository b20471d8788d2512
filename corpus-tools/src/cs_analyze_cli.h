/*
 * cs_analyze_cli.h - the `concatseq analyze` subcommand: command-line parsing into cs_analyze_opts, the
 * usage text (defaults printed from cs_analyze_opts_default), progress and the closing summary.
 */
#ifndef CS_ANALYZE_CLI_H
#define CS_ANALYZE_CLI_H

#include <stdio.h>

/** Print the usage of `concatseq analyze` (every option with its default) to f. */
void cs_usage_analyze(FILE *f);

/**
 * Run `concatseq analyze` with argv[0] = "analyze". `--help` prints the usage on stdout and returns 0.
 * Returns the exit status: 0, or 1 after one error line on stderr ("concatseq analyze: error: ...").
 */
int cs_cmd_analyze(int argc, char **argv);

/** Print the usage of `concatseq merge` (its normalisation, clustering and run options) to f. */
void cs_usage_merge(FILE *f);

/**
 * Run `concatseq merge PART... -o BUNDLE` (argv[0] = "merge"): cs_merge with the normalisation, clustering and run
 * options of analyze; an analysis option is refused (the parts' are used). Exit status as cs_cmd_analyze's.
 */
int cs_cmd_merge(int argc, char **argv);

#endif
