/*
 * main.c - the `concatseq` command-line program: one subcommand per job, a one-line error on stderr and a
 * non-zero exit for every failure.
 */
#include "cs_analyze.h"
#include "cs_bundle.h"
#include "cs_cli.h"
#include "cs_error.h"
#include "cs_info.h"
#include "cs_model_cli.h"
#include "cs_plot.h"
#include "cs_progress.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "concatseq";

#define EXIT_USAGE 2

static void usage(FILE *f)
{
    fprintf(f, "usage: concatseq COMMAND [options]\n"
               "\n"
               "commands:\n"
               "  analyze SOURCE... -o BUNDLE [options]   cut, describe and cluster audio into a corpus bundle\n"
               "  info BUNDLE [--units]                    summary of a bundle, or its unit table as TSV\n"
               "  train BUNDLE [-o MODEL] [options]        fit a GRU or causal transformer to the label sequence\n"
               "  eval BUNDLE [MODEL] [--json]             held-out bits per label: model vs n-gram baselines\n"
               "  sample BUNDLE [MODEL] -n N [options]     sample labels (and units) as SeqPredict does\n"
               "  export-json MODEL [-o JSON]              model file -> JSON with PyTorch tensor names\n"
               "  plot BUNDLE [-o SVG] [--timeline WAV -t SVG]  corpus map (PCA by label), render timeline\n"
               "  import-json JSON -o MODEL                JSON -> model file\n"
               "  help [COMMAND]                           this text, or the options of COMMAND\n"
               "  version                                  print the version\n");
}

static void usage_analyze(FILE *f)
{
    fprintf(f, "usage: concatseq analyze SOURCE... -o BUNDLE [options]\n"
               "SOURCE: audio files or folders (recursive, sorted); any format libsndfile reads.\n"
               "input:\n"
               "  --rate HZ              corpus sample rate (default 48000)\n"
               "  --channels N           1 mixes to mono (default); N keeps N channels (mono files are copied)\n"
               "  --resample-quality Q   libsamplerate converter 0 best .. 4 linear (default 1, sinc medium)\n"
               "  --strict               a non-audio file inside a folder is an error (default: skipped, warned)\n"
               "segmentation:\n"
               "  --segment grain|onset|novelty   (default grain)\n"
               "  grain:   --unit-ms MS (100) --hop-ms MS (100)\n"
               "  onset:   --threshold T (0.5; lower finds more) --delta D (0.1, x mean flux) --median-ms MS (100)\n"
               "           --min-ms MS (50) --max-ms MS (2000, >= 2 x min) --pre-ms MS (5) --refine-ms MS (30)\n"
               "  novelty: --kernel-s S (4) --block-s S (0.1) --novelty-threshold T (0.2, 0..1) --min-s S (1)\n"
               "           --max-s S (60, >= 2 x min)\n"
               "analysis:\n"
               "  --fft-size N           frame size, power of two (default 2048 at 48 kHz)\n"
               "  --frame-hop N          frame hop in samples (default fft-size / 4)\n"
               "  --normalize zscore|robust   (default zscore)\n"
               "clustering:\n"
               "  --cluster kmeans|dbscan|ap  (default kmeans)\n"
               "  kmeans:  --clusters K (16) --restarts N (4) --max-iter N (300)\n"
               "  dbscan:  --eps E (3.0) --min-samples N (5); noise units get a label of their own (the last)\n"
               "  ap:      --damping D (0.5) --preference P (median similarity) --max-iter N (200)\n"
               "           --convergence-iter N (15)\n"
               "  --descriptors a,b,...  cluster on these descriptors only (names as in `info`; 'mfcc' = all 13)\n"
               "  --weights a=w,...      per-descriptor clustering weights (default 1)\n"
               "  --seed N               (default 1)\n"
               "run:\n"
               "  -o, --output BUNDLE    output bundle directory (required)\n"
               "  --force                replace an existing bundle\n"
               "  --threads N            worker threads (default: online CPUs)\n"
               "  --progress bar|lines|none   (default: a bar when stderr is a terminal)\n"
               "  --quiet                print nothing but errors\n");
}

static int descriptor_index(const char *name)
{
    for (int d = 0; d < CS_D_COUNT; ++d)
        if (!strcmp(cs_descriptor_name(d), name)) return d;
    return -1;
}

/* --descriptors a,b,c: every other descriptor gets weight 0. */
static int parse_selection(const char *list, float *w, char *bad, size_t nbad)
{
    float sel[CS_D_COUNT] = {0};
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    int any = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "mfcc")) {
            for (int k = 0; k < 13; ++k)
                sel[CS_D_MFCC0 + k] = 1.0f;
            any = 1;
            continue;
        }
        int d = descriptor_index(t);
        if (d < 0) {
            snprintf(bad, nbad, "%s", t);
            return -1;
        }
        sel[d] = 1.0f;
        any = 1;
    }
    if (!any) {
        snprintf(bad, nbad, "%s", list);
        return -1;
    }
    for (int d = 0; d < CS_D_COUNT; ++d)
        w[d] = sel[d] > 0.0f ? w[d] : 0.0f;
    return 0;
}

/* --weights a=1.5,b=0 */
static int parse_weights(const char *list, float *w, char *bad, size_t nbad)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        double v;
        if (!eq) {
            snprintf(bad, nbad, "%s", t);
            return -1;
        }
        *eq = '\0';
        if (cs_cli_parse_double(eq + 1, &v) || v < 0.0) {
            snprintf(bad, nbad, "%s=%s", t, eq + 1);
            return -1;
        }
        if (!strcmp(t, "mfcc")) {
            for (int k = 0; k < 13; ++k)
                w[CS_D_MFCC0 + k] = (float)v;
            continue;
        }
        int d = descriptor_index(t);
        if (d < 0) {
            snprintf(bad, nbad, "%s", t);
            return -1;
        }
        w[d] = (float)v;
    }
    return 0;
}

static void warn_skip(void *user, const char *path, const char *reason)
{
    cs_progress_finish(user);
    fprintf(stderr, "%s analyze: warning: %s: %s\n", prog, path, reason);
}

static int cmd_analyze(int argc, char **argv)
{
    cs_analyze_opts o;
    cs_analyze_opts_default(&o);
    const char *out = NULL, *selection = NULL, *weights = NULL;
    int quiet = 0, pmode = CS_PROGRESS_AUTO;
    char **sources = calloc((size_t)argc + 1, sizeof *sources);
    size_t ns = 0;
    if (!sources) return cs_cli_fail("analyze", "%s", "out of memory");
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; ++i) {
        const char *a = argv[i];
        if (a[0] != '-' || !strcmp(a, "-")) {
            sources[ns++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_analyze(stdout);
            free(sources);
            return 0;
        }
        if (!strcmp(a, "--force")) {
            o.force = 1;
            continue;
        }
        if (!strcmp(a, "--strict")) {
            o.strict = 1;
            continue;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            rc = cs_cli_fail("analyze", "%s: missing value", a);
            break;
        }
        ++i;
        double d;
        int n;
        int bad = 0;
#define OPT(name) (!strcmp(a, name))
        if (OPT("-o") || OPT("--output"))
            out = v;
        else if (OPT("--rate"))
            bad = cs_cli_parse_int(v, &o.rate);
        else if (OPT("--channels"))
            bad = cs_cli_parse_int(v, &o.channels);
        else if (OPT("--resample-quality"))
            bad = cs_cli_parse_int(v, &o.src_quality);
        else if (OPT("--segment")) {
            if (!strcmp(v, "grain"))
                o.segment = CS_SEG_GRAIN;
            else if (!strcmp(v, "onset"))
                o.segment = CS_SEG_ONSET;
            else if (!strcmp(v, "novelty"))
                o.segment = CS_SEG_NOVELTY;
            else
                bad = 1;
        } else if (OPT("--unit-ms"))
            bad = cs_cli_parse_double(v, &o.unit_ms);
        else if (OPT("--hop-ms"))
            bad = cs_cli_parse_double(v, &o.hop_ms);
        else if (OPT("--threshold"))
            bad = cs_cli_parse_double(v, &o.onset.threshold);
        else if (OPT("--median-ms")) {
            bad = cs_cli_parse_double(v, &d);
            o.onset.median_s = d * 1e-3;
        } else if (OPT("--min-ms")) {
            bad = cs_cli_parse_double(v, &d);
            o.onset.min_len_s = d * 1e-3;
        } else if (OPT("--max-ms")) {
            bad = cs_cli_parse_double(v, &d);
            o.onset.max_len_s = d * 1e-3;
        } else if (OPT("--pre-ms")) {
            bad = cs_cli_parse_double(v, &d);
            o.onset.pre_s = d * 1e-3;
        } else if (OPT("--delta"))
            bad = cs_cli_parse_double(v, &o.onset.delta);
        else if (OPT("--refine-ms")) {
            bad = cs_cli_parse_double(v, &d);
            o.onset.refine_s = d * 1e-3;
        } else if (OPT("--kernel-s"))
            bad = cs_cli_parse_double(v, &o.novelty.kernel_s);
        else if (OPT("--block-s"))
            bad = cs_cli_parse_double(v, &o.novelty.block_s);
        else if (OPT("--novelty-threshold"))
            bad = cs_cli_parse_double(v, &o.novelty.threshold);
        else if (OPT("--min-s"))
            bad = cs_cli_parse_double(v, &o.novelty.min_len_s);
        else if (OPT("--max-s"))
            bad = cs_cli_parse_double(v, &o.novelty.max_len_s);
        else if (OPT("--fft-size"))
            bad = cs_cli_parse_int(v, &o.fft_size);
        else if (OPT("--frame-hop")) {
            bad = cs_cli_parse_int(v, &n);
            o.frame_hop = n;
            if (!bad && n < 1) bad = 1;
        } else if (OPT("--normalize")) {
            if (!strcmp(v, "zscore"))
                o.normalize = 0;
            else if (!strcmp(v, "robust"))
                o.normalize = 1;
            else
                bad = 1;
        } else if (OPT("--cluster")) {
            if (!strcmp(v, "kmeans"))
                o.cluster = CS_CLUSTER_KMEANS;
            else if (!strcmp(v, "dbscan"))
                o.cluster = CS_CLUSTER_DBSCAN;
            else if (!strcmp(v, "ap"))
                o.cluster = CS_CLUSTER_AP;
            else
                bad = 1;
        } else if (OPT("--clusters") || OPT("-k"))
            bad = cs_cli_parse_int(v, &o.clusters);
        else if (OPT("--restarts"))
            bad = cs_cli_parse_int(v, &o.restarts);
        else if (OPT("--max-iter")) {
            bad = cs_cli_parse_int(v, &o.max_iter);
            if (!bad && o.max_iter < 1) bad = 1;
        } else if (OPT("--eps"))
            bad = cs_cli_parse_double(v, &o.eps);
        else if (OPT("--min-samples"))
            bad = cs_cli_parse_int(v, &o.min_samples);
        else if (OPT("--damping"))
            bad = cs_cli_parse_double(v, &o.damping);
        else if (OPT("--preference"))
            bad = cs_cli_parse_double(v, &o.preference);
        else if (OPT("--convergence-iter"))
            bad = cs_cli_parse_int(v, &o.ap_convergence);
        else if (OPT("--descriptors"))
            selection = v;
        else if (OPT("--weights"))
            weights = v;
        else if (OPT("--seed"))
            bad = cs_cli_parse_u64(v, &o.seed);
        else if (OPT("--threads"))
            bad = cs_cli_parse_int(v, &o.threads);
        else if (OPT("--progress")) {
            if (!strcmp(v, "bar"))
                pmode = CS_PROGRESS_BAR;
            else if (!strcmp(v, "lines"))
                pmode = CS_PROGRESS_LINES;
            else if (!strcmp(v, "none"))
                pmode = CS_PROGRESS_NONE;
            else
                bad = 1;
        } else {
            rc = cs_cli_fail("analyze", "unknown option %s (see `concatseq help analyze`)", a);
            break;
        }
#undef OPT
        if (bad) {
            fprintf(stderr, "%s analyze: error: %s %s: not a valid value\n", prog, a, v);
            rc = 1;
        }
    }
    if (rc) {
        free(sources);
        return rc;
    }
    char badname[256];
    if (weights && parse_weights(weights, o.weights, badname, sizeof badname)) {
        free(sources);
        return cs_cli_fail("analyze", "--weights: bad entry '%s' (use name=weight with names from `concatseq info`)",
                           badname);
    }
    if (selection && parse_selection(selection, o.weights, badname, sizeof badname)) {
        free(sources);
        return cs_cli_fail("analyze", "--descriptors: unknown descriptor '%s'", badname);
    }
    if (ns == 0) {
        free(sources);
        return cs_cli_fail("analyze", "%s", "no SOURCE given (usage: concatseq analyze SOURCE... -o BUNDLE)");
    }
    if (!out) {
        free(sources);
        return cs_cli_fail("analyze", "%s", "no output bundle given (-o BUNDLE)");
    }
    cs_progress prog_state;
    cs_progress_init(&prog_state, pmode, quiet);
    o.progress = cs_progress_report;
    o.progress_user = &prog_state;
    o.warn = quiet ? NULL : warn_skip;

    cs_analyze_report rep;
    char err[1024] = "";
    rc = cs_analyze(sources, ns, out, &o, &rep, err, sizeof err);
    cs_progress_finish(&prog_state);
    free(sources);
    if (rc) return cs_cli_fail("analyze", "%s", err);
    if (!quiet) {
        printf("wrote %s: %zu source%s, %.3f s, %zu units, %zu labels", out, rep.sources, rep.sources == 1 ? "" : "s",
               rep.seconds_audio, rep.units, rep.labels);
        if (rep.noise_units) printf(" (%zu noise units)", rep.noise_units);
        printf("\ntime: decode %.3f s, analysis %.3f s (%.0fx real time), clustering %.3f s, write %.3f s\n",
               rep.seconds_decode, rep.seconds_analyze,
               rep.seconds_analyze > 0 ? rep.seconds_audio / rep.seconds_analyze : 0.0, rep.seconds_cluster,
               rep.seconds_write);
    }
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    const char *dir = NULL;
    int units = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--units"))
            units = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: concatseq info BUNDLE [--units]\n");
            return 0;
        } else if (argv[i][0] == '-')
            return cs_cli_fail("info", "unknown option %s", argv[i]);
        else if (!dir)
            dir = argv[i];
        else
            return cs_cli_fail("info", "unexpected argument %s", argv[i]);
    }
    if (!dir) return cs_cli_fail("info", "%s", "no BUNDLE given (usage: concatseq info BUNDLE [--units])");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(dir, &b, err, sizeof err)) return cs_cli_fail("info", "%s", err);
    if (units)
        cs_info_print_units(&b, stdout);
    else
        cs_info_print(&b, stdout);
    cs_bundle_free(&b);
    if (fflush(stdout) != 0) return cs_cli_fail("info", "%s", "cannot write to standard output");
    return 0;
}

static int cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *tl = NULL, *tl_out = NULL;
    double tl_rate = 0.0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: concatseq plot BUNDLE [-o CORPUS.svg] [--timeline RENDER.wav [-t TIMELINE.svg]]\n"
                   "  -o SVG            corpus map: units at their first two principal components, coloured by\n"
                   "                    label (default BUNDLE/corpus.svg)\n"
                   "  --timeline WAV    a render's label and unit channels (channel 0 label, 1 unit; -1 = silence)\n"
                   "  -t SVG            where the label timeline goes (default: WAV with .svg)\n"
                   "  --timeline-rate HZ  frames per second of the timeline (default: the file's sample rate;\n"
                   "                    a RecordBuf.kr recording runs at the control rate, e.g. 48000 / 64 = 750)\n");
            return 0;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!v) return cs_cli_fail("plot", "-o: missing value");
            out = v;
            ++i;
        } else if (!strcmp(a, "--timeline")) {
            if (!v) return cs_cli_fail("plot", "--timeline: missing value");
            tl = v;
            ++i;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--timeline-output")) {
            if (!v) return cs_cli_fail("plot", "-t: missing value");
            tl_out = v;
            ++i;
        } else if (!strcmp(a, "--timeline-rate")) {
            char *end = NULL;
            tl_rate = v ? strtod(v, &end) : 0.0;
            if (!v || *end || !(tl_rate > 0.0) || !isfinite(tl_rate))
                return cs_cli_fail("plot", "--timeline-rate: must be > 0 Hz");
            ++i;
        } else if (a[0] == '-')
            return cs_cli_fail("plot", "unknown option %s", a);
        else if (!dir)
            dir = a;
        else
            return cs_cli_fail("plot", "unexpected argument %s", a);
    }
    if (!dir) return cs_cli_fail("plot", "no BUNDLE given (usage: concatseq plot BUNDLE [-o SVG])");
    cs_bundle b;
    char err[1024] = "";
    if (cs_bundle_read(dir, &b, err, sizeof err)) return cs_cli_fail("plot", "%s", err);
    char def[4200], tdef[4200];
    if (!out) {
        snprintf(def, sizeof def, "%s/corpus.svg", dir);
        out = def;
    }
    int rc = cs_plot_corpus(&b, out, err, sizeof err);
    if (rc) {
        cs_bundle_free(&b);
        return cs_cli_fail("plot", "%s", err[0] ? err : cs_strerror(rc));
    }
    printf("wrote %s\n", out);
    if (tl) {
        float *data = NULL;
        size_t frames = 0;
        int ch = 0, rate = 0;
        rc = cs_read_float_wav(tl, &data, &frames, &ch, &rate);
        if (rc || ch < 2) {
            free(data);
            cs_bundle_free(&b);
            return cs_cli_fail("plot", "%s: %s", tl, rc ? cs_strerror(rc) : "needs 2 channels (label, unit)");
        }
        float *lab = malloc(frames * sizeof *lab), *uni = malloc(frames * sizeof *uni);
        if (!lab || !uni) {
            free(lab);
            free(uni);
            free(data);
            cs_bundle_free(&b);
            return cs_cli_fail("plot", "out of memory");
        }
        for (size_t i = 0; i < frames; ++i) {
            lab[i] = data[i * (size_t)ch];
            uni[i] = data[i * (size_t)ch + 1];
        }
        if (!tl_out) {
            snprintf(tdef, sizeof tdef, "%s", tl);
            char *dot = strrchr(tdef, '.'), *slash = strrchr(tdef, '/');
            if (dot && (!slash || dot > slash)) *dot = '\0';
            strncat(tdef, ".svg", sizeof tdef - strlen(tdef) - 1);
            tl_out = tdef;
        }
        rc = cs_plot_timeline(lab, uni, frames, tl_rate > 0.0 ? tl_rate : rate, (int)b.view.num_labels, tl_out, err,
                              sizeof err);
        free(lab);
        free(uni);
        free(data);
        if (rc) {
            cs_bundle_free(&b);
            return cs_cli_fail("plot", "%s", err);
        }
        printf("wrote %s\n", tl_out);
    }
    cs_bundle_free(&b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "analyze")) return cmd_analyze(argc - 1, argv + 1);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "train")) return cs_cmd_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1);
    if (!strcmp(cmd, "eval")) return cs_cmd_eval(argc - 1, argv + 1);
    if (!strcmp(cmd, "sample")) return cs_cmd_sample(argc - 1, argv + 1);
    if (!strcmp(cmd, "export-json")) return cs_cmd_export_json(argc - 1, argv + 1);
    if (!strcmp(cmd, "import-json")) return cs_cmd_import_json(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("concatseq %s\n", CONCATSEQ_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "analyze"))
            usage_analyze(stdout);
        else if (argc > 2 && strcmp(argv[2], "info") != 0) {
            char *h[2] = {argv[2], "--help"};
            if (!strcmp(argv[2], "train")) return cs_cmd_train(2, h);
            if (!strcmp(argv[2], "eval")) return cs_cmd_eval(2, h);
            if (!strcmp(argv[2], "sample")) return cs_cmd_sample(2, h);
            if (!strcmp(argv[2], "export-json")) return cs_cmd_export_json(2, h);
            if (!strcmp(argv[2], "import-json")) return cs_cmd_import_json(2, h);
            usage(stdout);
        } else
            usage(stdout);
        return 0;
    }
    fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
    usage(stderr);
    return EXIT_USAGE;
}
