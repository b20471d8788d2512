/*
 * main.c - the `concatseq` command-line program: one table of subcommands (name, arguments, summary, run).
 * Every subcommand prints its own usage on `--help`, and `concatseq help NAME` runs exactly that; every failure
 * is one line on stderr and a non-zero exit.
 */
#include "cs_analyze_cli.h"
#include "cs_cli.h"
#include "cs_info.h"
#include "cs_model_cli.h"
#include "cs_plot.h"

#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 2

typedef struct subcommand {
    const char *name;
    const char *args;                  /* the argument line of the general usage */
    const char *summary;               /* one line */
    int (*run)(int argc, char **argv); /* argv[0] is the name; "--help" prints its own usage and returns 0 */
} subcommand;

static const subcommand commands[] = {
    {"analyze", "SOURCE... -o BUNDLE [options]", "cut, describe and cluster audio into a corpus bundle",
     cs_cmd_analyze},
    {"info", "BUNDLE [--units]", "summary of a bundle, or its unit table as TSV", cs_cmd_info},
    {"train", "BUNDLE [-o MODEL] [options]", "fit a GRU or causal transformer to the label sequence", cs_cmd_train},
    {"eval", "BUNDLE [MODEL] [--json]", "held-out bits per label: model vs n-gram baselines", cs_cmd_eval},
    {"sample", "BUNDLE [MODEL] -n N [options]", "sample labels (and units) as SeqPredict does", cs_cmd_sample},
    {"plot", "BUNDLE [-o SVG] [--timeline WAV]", "corpus map (PCA by label), render timeline", cs_cmd_plot},
    {"export-json", "MODEL [-o JSON]", "model file -> JSON with PyTorch tensor names", cs_cmd_export_json},
    {"import-json", "JSON -o MODEL", "JSON -> model file", cs_cmd_import_json},
};
#define NUM_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: concatseq COMMAND [options]\n\ncommands:\n");
    for (int c = 0; c < NUM_COMMANDS; ++c) {
        char left[128];
        snprintf(left, sizeof left, "%s %s", commands[c].name, commands[c].args);
        fprintf(f, "  %-42s %s\n", left, commands[c].summary);
    }
    fprintf(f, "  %-42s %s\n", "help [COMMAND]", "this text, or the usage of COMMAND");
    fprintf(f, "  %-42s %s\n", "version", "print the version");
}

static const subcommand *find_command(const char *name)
{
    for (int c = 0; c < NUM_COMMANDS; ++c)
        if (!strcmp(commands[c].name, name)) return &commands[c];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    const subcommand *cmd = find_command(name);
    if (cmd) return cmd->run(argc - 1, argv + 1);
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("concatseq %s\n", CONCATSEQ_VERSION);
        return 0;
    }
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        cmd = find_command(argv[2]);
        if (!cmd) {
            fprintf(stderr, "concatseq help: error: unknown command '%s' (`concatseq help` lists them)\n",
                    cs_cli_safe(argv[2]));
            return EXIT_USAGE;
        }
        char *h[3] = {argv[2], "--help", NULL};
        return cmd->run(2, h);
    }
    fprintf(stderr, "concatseq: unknown command '%s'\n", cs_cli_safe(name));
    usage(stderr);
    return EXIT_USAGE;
}
