/*
 * cs_info.h - `concatseq info`: a readable summary of a corpus bundle, or its unit table as TSV.
 */
#ifndef CS_INFO_H
#define CS_INFO_H

#include "cs_bundle.h"

#include <stdio.h>

/** Print the summary of bundle `b` (sources, duration, units, labels with counts and mean duration,
 *  descriptor ranges with units) to `out`. */
void cs_info_print(const cs_bundle *b, FILE *out);

/** Print the unit table as TSV with a header line: unit, source, start and length (frames and seconds),
 *  label, successor, then every descriptor in its own unit (normalisation undone). */
void cs_info_print_units(const cs_bundle *b, FILE *out);

/** Print the usage of `concatseq info` to f. */
void cs_usage_info(FILE *f);

/** Run `concatseq info` with argv[0] = "info"; returns the exit status (one error line on failure). */
int cs_cmd_info(int argc, char **argv);

#endif
