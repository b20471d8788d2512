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

#endif
