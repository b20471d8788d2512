/*
 * cs_export.h - `concatseq export`: a bundle's units in other tools' formats. Today FluCoMa's (Tremblay et al.,
 * "Enabling Programmatic Data Mining as Musicking: The Fluid Corpus Manipulation Toolkit", CMJ 45(2), 2021):
 * the normalised descriptors as a FluidDataSet and the labels as a FluidLabelSet, in the JSON that their
 * `write` methods produce and their `read` methods take (flucoma-core, data/FluidJSON.hpp):
 *
 *   dataset.json   {"cols": D, "data": {"0": [D numbers], "1": [...], ...}}   one point per unit
 *   labelset.json  {"cols": 1, "data": {"0": ["3"], "1": ["0"], ...}}          the unit's label, as a string
 *
 * The ids are the unit indices in decimal (unit u of the bundle is id "u" in both files, so FluidKDTree's
 * answers are unit indices for ConcatPlay); the columns are the unit table's descriptors in the order of
 * corpus-tools/BUNDLE.md ("Unit descriptors"; names in corpus.json's `descriptors`), normalised as in the unit
 * table (raw = value * scale + center). Offline code (allocates, writes files).
 */
#ifndef CS_EXPORT_H
#define CS_EXPORT_H

#include "cs_bundle.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

#define CS_EXPORT_FLUID_DATASET  "dataset.json"
#define CS_EXPORT_FLUID_LABELSET "labelset.json"

/**
 * The FluidDataSet document of bundle b (owned, cJSON_Delete): every unit's num_descriptors normalised
 * descriptors (float32 values of the unit table, printed so that they read back to the same float). NULL when
 * out of memory.
 */
cJSON *cs_export_fluid_dataset(const cs_bundle *b);

/** The FluidLabelSet document of bundle b (owned, cJSON_Delete): every unit's label 0..num_labels-1 as a decimal
 *  string (the DBSCAN noise label too: it is an ordinary label in the table). NULL when out of memory. */
cJSON *cs_export_fluid_labelset(const cs_bundle *b);

/**
 * Write bundle b into folder dir (made when missing, its parent must exist) as CS_EXPORT_FLUID_DATASET and
 * CS_EXPORT_FLUID_LABELSET. Each file is written to a temporary file in dir and renamed into place, so a reader
 * never sees a half-written file and an error leaves no file behind. Without force an existing file of either
 * name is CS_E_EXISTS (checked before anything is written). Returns 0 or a cs_err with a one-line message
 * naming the file in err.
 */
int cs_export_flucoma(const cs_bundle *b, const char *dir, int force, char *err, size_t errlen);

/** Print the usage of `concatseq export` to f. */
void cs_usage_export(FILE *f);

/** Run `concatseq export` with argv[0] = "export"; returns the exit status (one error line on failure). */
int cs_cmd_export(int argc, char **argv);

#endif
