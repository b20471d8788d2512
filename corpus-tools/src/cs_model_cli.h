/*
 * cs_model_cli.h - the model subcommands of `concatseq`: train, eval, sample, export-json, import-json.
 * Each takes (argc, argv) with argv[0] the subcommand name, prints one-line errors on stderr, and returns the
 * process exit status (0 ok, 1 error).
 */
#ifndef CS_MODEL_CLI_H
#define CS_MODEL_CLI_H

#include "cs_bundle.h"
#include "cs_model.h"

#include <stddef.h>

int cs_cmd_train(int argc, char **argv);
int cs_cmd_eval(int argc, char **argv);
int cs_cmd_sample(int argc, char **argv);
int cs_cmd_export_json(int argc, char **argv);
int cs_cmd_import_json(int argc, char **argv);

/**
 * Load the model file `path` (whole, into *buf: *n floats, owned, free()) and its view, and check it against the
 * bundle: the same label count, then the same corpus checksum unless any_corpus. Returns 0, or prints one line
 * "concatseq CMD: error: ..." naming the file and the fix (--any-corpus) and returns 1 (*buf is then NULL).
 */
int cs_cli_load_model(const char *cmd, const char *path, const cs_bundle *b, int any_corpus, float **buf, size_t *n,
                      cs_model_view *view);

#endif
