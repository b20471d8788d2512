/*
 * cs_model_cli.h - the model subcommands of `concatseq`: train, eval, sample, export-json, import-json.
 * Each takes (argc, argv) with argv[0] the subcommand name, prints one-line errors on stderr, and returns the
 * process exit status (0 ok, 1 error).
 */
#ifndef CS_MODEL_CLI_H
#define CS_MODEL_CLI_H

#include "cs_bundle.h"

#include <stddef.h>

int cs_cmd_train(int argc, char **argv);
int cs_cmd_eval(int argc, char **argv);
int cs_cmd_sample(int argc, char **argv);
int cs_cmd_export_json(int argc, char **argv);
int cs_cmd_import_json(int argc, char **argv);

/** Default model path of a bundle: BUNDLE/model.wav (owned string, free()). */
char *cs_default_model_path(const char *bundle);

/**
 * The label sequences of a bundle, one per source, units in time order (the order the model learns).
 * *seqs (n_sources arrays) and *lens are allocated; free with cs_label_sequences_free. Returns 0 or CS_E_NOMEM.
 */
int cs_label_sequences(const cs_bundle *b, int ***seqs, size_t **lens, int *n_seqs);
void cs_label_sequences_free(int **seqs, size_t *lens, int n_seqs);

/** The 64-bit corpus checksum of a bundle (its unit table's FNV-1a 64, from the manifest), or 0. */
unsigned long long cs_bundle_checksum(const cs_bundle *b);

#endif
