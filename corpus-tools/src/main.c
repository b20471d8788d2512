/*
 * main.c - the `concatseq` command-line program: one table of subcommands (name, arguments, summary, run).
 * Every subcommand prints its own usage on `--help`, and `concatseq help NAME` runs exactly that; every failure
 * is one line on stderr and a non-zero exit.
 */
#include "cs_analyze_cli.h"
#include "cs_cli.h"
#include "cs_export.h"
#include "cs_info.h"
#include "cs_model_cli.h"
#include "cs_mosaic.h"
#include "cs_plot.h"

#include <stdio.h>
#include <stdlib.h>
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
    {"merge", "PART... -o BUNDLE [options]", "normalise and cluster partial bundles (analyze --partial) into one",
     cs_cmd_merge},
    {"info", "BUNDLE [--units]", "summary of a bundle, or its unit table as TSV", cs_cmd_info},
    {"train", "BUNDLE [-o MODEL] [options]", "fit a GRU or causal transformer to the label sequence", cs_cmd_train},
    {"eval", "BUNDLE [MODEL] [--json]", "held-out bits per label: model vs n-gram baselines", cs_cmd_eval},
    {"sample", "BUNDLE [MODEL] -n N [options]", "sample labels (and units) as SeqPredict does", cs_cmd_sample},
    {"mosaic", "BUNDLE TARGET -o OUT.wav [options]", "render a target recording from the corpus's units",
     cs_cmd_mosaic},
    {"plot", "BUNDLE [-o SVG] [--timeline WAV]", "corpus map (PCA by label), render timeline", cs_cmd_plot},
    {"export", "BUNDLE --flucoma DIR [--force]", "units as FluCoMa FluidDataSet + FluidLabelSet JSON", cs_cmd_export},
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
    fprintf(f, "\nevery command: `--` ends the options; later arguments are paths, even ones starting with -\n");
}

/*
 * `--` ends the options of every subcommand (POSIX): each later argument is an operand, a path, even when it
 * starts with '-' (a file named "-x.wav", or "--force"). The subcommands' parsers take any word starting with
 * '-' for an option, so here the first "--" is removed and every later word that starts with '-' gets a "./"
 * prefix: such a path is always relative, so "./" names the same file, and no parser takes it for an option.
 * argv[0] (the subcommand name) is kept. Returns the new argument count; *out is argv itself when there is no
 * "--", else one malloc'd block (the array, then the prefixed strings; the caller frees it) or NULL when out
 * of memory.
 */
static int end_of_options(int argc, char **argv, char ***out)
{
    int dd = 1;
    while (dd < argc && strcmp(argv[dd], "--") != 0)
        ++dd;
    *out = argv;
    if (dd == argc) return argc;
    size_t bytes = (size_t)argc * sizeof(char *);
    for (int i = dd + 1; i < argc; ++i)
        if (argv[i][0] == '-') bytes += strlen(argv[i]) + 3;
    char **v = malloc(bytes);
    if (!v) return *out = NULL, 0;
    char *text = (char *)(v + argc);
    int n = 0;
    for (int i = 0; i < argc; ++i) {
        if (i == dd) continue;
        if (i < dd || argv[i][0] != '-') {
            v[n++] = argv[i];
            continue;
        }
        size_t len = strlen(argv[i]);
        memcpy(text, "./", 2);
        memcpy(text + 2, argv[i], len + 1);
        v[n++] = text;
        text += len + 3;
    }
    v[n] = NULL; /* argc slots: n = argc - 1 words and the terminator */
    *out = v;
    return n;
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
    if (cmd) {
        char **args;
        int n = end_of_options(argc - 1, argv + 1, &args);
        if (!args) {
            fprintf(stderr, "concatseq %s: error: out of memory\n", name);
            return 1;
        }
        int rc = cmd->run(n, args);
        if (args != argv + 1) free(args);
        return rc;
    }
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
