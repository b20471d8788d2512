/*
 * cs_analyze_cli.c - `concatseq analyze`: its options as one table (name, kind, field of cs_analyze_opts),
 * the clustering methods' options from cs_cluster_methods, and a usage text that prints the defaults from
 * cs_analyze_opts_default(). See cs_analyze_cli.h.
 */
#include "cs_analyze_cli.h"

#include "cs_analyze.h"
#include "cs_audio.h"
#include "cs_cli.h"
#include "cs_progress.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The normalisation and clustering options (analyze's and merge's). */
static void usage_clustering(FILE *f, const cs_analyze_opts *d)
{
    fprintf(f, "  --normalize zscore|robust   (default %s)\nclustering:\n  --cluster ",
            cs_normalize_names[d->normalize]);
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        fprintf(f, "%s%s", m ? "|" : "", cs_cluster_methods[m].name);
    fprintf(f, "  (default %s)\n", cs_cluster_methods[d->cluster].name);
    for (int m = 0; m < cs_num_cluster_methods; ++m)
        cs_cluster_methods[m].usage(f, &d->cl);
    fprintf(f,
            "  --descriptors a,b,...  cluster on these descriptors only (names as in `info`; a group name such as\n"
            "                         'mfcc' selects every descriptor named by it and a number: mfcc0..mfcc%d)\n"
            "  --weights a=w,...      per-descriptor clustering weights, groups as above (default 1)\n"
            "  --seed N               (default %llu)\n",
            CS_D_NUM_MFCC - 1, (unsigned long long)d->seed);
}

/* The run options (analyze's and merge's). */
static void usage_run(FILE *f)
{
    fprintf(f, "run:\n"
               "  -o, --output BUNDLE    output bundle directory (required)\n"
               "  --force                replace an existing bundle; files in it that analyze did not write (a\n"
               "                         model, a plot) are kept in the new bundle, and a warning names each\n"
               "  --threads N            worker threads (default: online CPUs)\n"
               "  --progress bar|lines|none   (default: a bar when stderr is a terminal)\n"
               "  --quiet                print nothing but errors\n");
}

void cs_usage_merge(FILE *f)
{
    cs_analyze_opts d;
    cs_analyze_opts_default(&d);
    fprintf(f, "usage: concatseq merge PART... -o BUNDLE [options]\n"
               "PART: partial bundles of `concatseq analyze --partial`, all made with the same analysis options and\n"
               "      no source in two. Their sources are taken in the order of the PARTs, each part's in its own\n"
               "      order; the bundle is byte for byte the one `concatseq analyze` of those sources in that order\n"
               "      writes with the options below (BUNDLE.md \"Partial bundles (shards)\").\n"
               "normalisation:\n");
    usage_clustering(f, &d);
    usage_run(f);
}

void cs_usage_analyze(FILE *f)
{
    cs_analyze_opts d;
    cs_analyze_opts_default(&d);
    cs_frame_params fp;
    cs_analyze_frame_params(&d, &fp);
    const cs_onset_params *on = &d.onset;
    const cs_novelty_params *nv = &d.novelty;
    fprintf(f,
            "usage: concatseq analyze SOURCE... -o BUNDLE [options]\n"
            "SOURCE: audio files or folders (recursive, sorted); any format libsndfile reads. After `--` every\n"
            "        argument is a SOURCE, even one starting with - (concatseq analyze -o B -- -take1.wav).\n"
            "input:\n"
            "  --rate HZ              corpus sample rate (default %d)\n"
            "  --channels N           1 mixes to mono (default); N keeps N channels (mono files are copied)\n"
            "  --resampler NAME       soxr-hq (default), soxr-vhq (libsoxr), src-best, src-medium, src-fastest,\n"
            "                         src-zoh, src-linear (libsamplerate); a file at --rate is not resampled\n"
            "  --resample-quality Q   libsamplerate converter 0 best .. 4 linear (= --resampler src-...)\n"
            "  --strict               a non-audio or digitally silent file inside a folder is an error\n"
            "                         (default: skipped with a warning; a silent file named as SOURCE, or the\n"
            "                         only one, is always an error)\n",
            d.rate);
    fprintf(f,
            "segmentation:\n"
            "  --segment grain|onset|novelty   (default %s)\n"
            "  grain:   --unit-ms MS (%g) --hop-ms MS (%g)\n"
            "  onset:   --threshold T (%g; lower finds more) --delta D (%g, x mean flux) --median-ms MS (%g)\n"
            "           --min-ms MS (%g) --max-ms MS (%g, >= 2 x min) --pre-ms MS (%g) --refine-ms MS (%g)\n"
            "  novelty: --kernel-s S (%g) --block-s S (%g) --novelty-threshold T (%g, 0..1) --min-s S (%g)\n"
            "           --max-s S (%g, >= 2 x min)\n",
            cs_segment_names[d.segment], d.unit_ms, d.hop_ms, on->threshold, on->delta, on->median_s * 1e3,
            on->min_len_s * 1e3, on->max_len_s * 1e3, on->pre_s * 1e3, on->refine_s * 1e3, nv->kernel_s, nv->block_s,
            nv->threshold, nv->min_len_s, nv->max_len_s);
    fprintf(f,
            "analysis:\n"
            "  --fft-size N           frame size, power of two (default %d at 48 kHz, scaled with the rate)\n"
            "  --frame-hop N          frame hop in samples (default fft-size / 4)\n",
            fp.fft_size);
    usage_clustering(f, &d);
    fprintf(f,
            "  --labels-from A        no clustering: analyse as bundle A was (its rate, frame analysis), normalise\n"
            "                         with A's statistics and give each unit A's nearest label (its weighted\n"
            "                         centroid), so a model trained on A plays these units (eval, sample and\n"
            "                         ConcatCorpus accept it here); a label nearest to no unit gets the unit\n"
            "                         nearest its centroid. Not with --rate, --fft-size, --frame-hop, --normalize,\n"
            "                         --descriptors, --weights or clustering options\n"
            "shards (BUNDLE.md \"Partial bundles (shards)\"):\n"
            "  --partial              write a partial bundle of these sources: units, raw descriptors, settings,\n"
            "                         no normalisation and no labels; `concatseq merge` joins the parts. Not with\n"
            "                         normalisation or clustering options, which go to merge\n"
            "  --list                 print the audio files analyze would take, in its order, one per line; no -o\n"
            "  --files-from LIST      also take the files LIST names, one per line, after the SOURCEs, as if found\n"
            "                         in a folder (a silent one is skipped): a slice of --list's output is a shard\n");
    usage_run(f);
}

/* --- the option table --- */
enum opt_kind { OPT_INT, OPT_POS_INT, OPT_DOUBLE, OPT_MS, OPT_U64, OPT_FLAG, OPT_CHOICE };

typedef struct analyze_option {
    const char *name;
    int kind;
    size_t offset;              /* of the field in cs_analyze_opts */
    const char *const *choices; /* OPT_CHOICE: the names, index = value */
    int nchoices;
} analyze_option;

#define F(field) offsetof(cs_analyze_opts, field)
static const analyze_option options[] = {
    {"--rate", OPT_INT, F(rate), NULL, 0},
    {"--channels", OPT_INT, F(channels), NULL, 0},
    {"--resampler", OPT_CHOICE, F(resampler), cs_resampler_names, CS_RESAMPLER_COUNT},
    {"--resample-quality", OPT_INT, F(resampler), NULL, 0},
    {"--strict", OPT_FLAG, F(strict), NULL, 0},
    {"--segment", OPT_CHOICE, F(segment), cs_segment_names, CS_SEG_COUNT},
    {"--unit-ms", OPT_DOUBLE, F(unit_ms), NULL, 0},
    {"--hop-ms", OPT_DOUBLE, F(hop_ms), NULL, 0},
    {"--threshold", OPT_DOUBLE, F(onset.threshold), NULL, 0},
    {"--delta", OPT_DOUBLE, F(onset.delta), NULL, 0},
    {"--median-ms", OPT_MS, F(onset.median_s), NULL, 0},
    {"--min-ms", OPT_MS, F(onset.min_len_s), NULL, 0},
    {"--max-ms", OPT_MS, F(onset.max_len_s), NULL, 0},
    {"--pre-ms", OPT_MS, F(onset.pre_s), NULL, 0},
    {"--refine-ms", OPT_MS, F(onset.refine_s), NULL, 0},
    {"--kernel-s", OPT_DOUBLE, F(novelty.kernel_s), NULL, 0},
    {"--block-s", OPT_DOUBLE, F(novelty.block_s), NULL, 0},
    {"--novelty-threshold", OPT_DOUBLE, F(novelty.threshold), NULL, 0},
    {"--min-s", OPT_DOUBLE, F(novelty.min_len_s), NULL, 0},
    {"--max-s", OPT_DOUBLE, F(novelty.max_len_s), NULL, 0},
    {"--fft-size", OPT_INT, F(fft_size), NULL, 0},
    {"--frame-hop", OPT_POS_INT, F(frame_hop), NULL, 0},
    {"--normalize", OPT_CHOICE, F(normalize), cs_normalize_names, 2},
    {"--seed", OPT_U64, F(seed), NULL, 0},
    {"--threads", OPT_INT, F(threads), NULL, 0},
    {"--force", OPT_FLAG, F(force), NULL, 0},
    {"--partial", OPT_FLAG, F(partial), NULL, 0},
};
#undef F

static const analyze_option *find_option(const char *name)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; ++i)
        if (!strcmp(options[i].name, name)) return &options[i];
    return NULL;
}

/* Store `val` into the field of `o` that `opt` names; 0, or -1 if the value does not parse. */
static int set_option(cs_analyze_opts *o, const analyze_option *opt, const char *val)
{
    char *field = (char *)o + opt->offset;
    double d;
    int n;
    switch (opt->kind) {
    case OPT_INT:
        return cs_cli_parse_int(val, (int *)(void *)field);
    case OPT_POS_INT:
        if (cs_cli_parse_int(val, &n) || n < 1) return -1;
        *(int *)(void *)field = n;
        return 0;
    case OPT_DOUBLE:
        return cs_cli_parse_double(val, (double *)(void *)field);
    case OPT_MS:
        if (cs_cli_parse_double(val, &d)) return -1;
        *(double *)(void *)field = d * 1e-3;
        return 0;
    case OPT_U64:
        return cs_cli_parse_u64(val, (uint64_t *)(void *)field);
    case OPT_CHOICE:
        for (int c = 0; c < opt->nchoices; ++c)
            if (!strcmp(val, opt->choices[c])) {
                *(int *)(void *)field = c;
                return 0;
            }
        return -1;
    default:
        return -1;
    }
}

/* --- descriptor names and groups, from the descriptor table --- */

/* Does descriptor `d` answer to `name`: its own name, or a group name that its name extends by digits only
 * ("mfcc" -> mfcc0 .. mfcc12)? */
static int descriptor_matches(int d, const char *name)
{
    const char *dn = cs_descriptor_name(d);
    size_t len = strlen(name);
    if (!strcmp(dn, name)) return 1;
    if (len == 0 || strncmp(dn, name, len) != 0 || !dn[len]) return 0;
    for (const char *p = dn + len; *p; ++p)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

/* Set sel[d] = value for every descriptor `name` matches; returns how many. */
static int set_descriptors(const char *name, float *sel, float value)
{
    int n = 0;
    for (int d = 0; d < CS_D_COUNT; ++d)
        if (descriptor_matches(d, name)) {
            sel[d] = value;
            n++;
        }
    return n;
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
        if (!set_descriptors(t, sel, 1.0f)) {
            snprintf(bad, nbad, "%s", t);
            return -1;
        }
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
        if (!set_descriptors(t, w, (float)v)) {
            snprintf(bad, nbad, "%s", t);
            return -1;
        }
    }
    return 0;
}

static void warn_cli(void *user, const char *path, const char *reason)
{
    cs_progress_finish(user);
    fprintf(stderr, "concatseq analyze: warning: %s: %s\n", cs_cli_safe(path), cs_cli_safe(reason));
}

/* What the command line asks for beside cs_analyze_opts. */
typedef struct analyze_cli {
    const char *out, *selection, *weights;
    const char *from_a;     /* the first option given that --labels-from takes from A instead */
    const char *clustering; /* the first normalisation or clustering option given (merge's, not --partial's) */
    const char *analysis;   /* the first analysis option given (analyze's, not merge's) */
    int merge;              /* parsing `concatseq merge`: the SOURCEs are PARTs */
    int list;               /* --list: print the files analyze takes, in its order, and stop */
    int quiet, progress, help;
    char **sources;
    size_t nsources;
} analyze_cli;

/* Take option argv[*i] (and its value); 0, or 1 after printing the one-line error. */
static int parse_one(int argc, char **argv, int *i, cs_analyze_opts *o, analyze_cli *c)
{
    const char *a = argv[*i], *cmd = c->merge ? "merge" : "analyze";
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return c->help = 1, 0;
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) return c->quiet = 1, 0;
    if (!strcmp(a, "--list") && !c->merge) return c->list = 1, 0;
    const analyze_option *opt = find_option(a);
    static const char *const run_options[] = {"--normalize", "--seed", "--threads", "--force"};
    int run = 0;
    for (size_t t = 0; t < sizeof run_options / sizeof *run_options; ++t)
        run |= !strcmp(a, run_options[t]);
    if (!c->analysis && ((opt && !run) || !strcmp(a, "--labels-from") || !strcmp(a, "--files-from"))) c->analysis = a;
    if (!c->clustering && (!strcmp(a, "--normalize") || !strcmp(a, "--seed") || !strcmp(a, "--labels-from")))
        c->clustering = a;
    if (opt && opt->kind == OPT_FLAG) return *(int *)(void *)((char *)o + opt->offset) = 1, 0;
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!v) return cs_cli_fail(cmd, "%s: missing value", a);
    ++*i;
    int bad = 0, known = 1;
    static const char *const taken_from_a[] = {"--rate",        "--fft-size", "--frame-hop", "--normalize",
                                               "--descriptors", "--weights",  "--cluster"};
    for (size_t t = 0; t < sizeof taken_from_a / sizeof *taken_from_a && !c->from_a; ++t)
        if (!strcmp(a, taken_from_a[t])) c->from_a = taken_from_a[t];
    if (opt)
        bad = set_option(o, opt, v) != 0;
    else if (!strcmp(a, "--labels-from"))
        o->labels_from = v;
    else if (!strcmp(a, "--files-from"))
        o->files_from = v;
    else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
        c->out = v;
    else if (!strcmp(a, "--descriptors"))
        c->selection = v, c->clustering = c->clustering ? c->clustering : a;
    else if (!strcmp(a, "--weights"))
        c->weights = v, c->clustering = c->clustering ? c->clustering : a;
    else if (!strcmp(a, "--cluster"))
        bad = (o->cluster = cs_cluster_method_find(v)) < 0, c->clustering = c->clustering ? c->clustering : a;
    else if (!strcmp(a, "--progress")) {
        static const char *const modes[] = {"bar", "lines", "none"};
        static const int values[] = {CS_PROGRESS_BAR, CS_PROGRESS_LINES, CS_PROGRESS_NONE};
        bad = 1;
        for (int m = 0; m < 3; ++m)
            if (!strcmp(v, modes[m])) c->progress = values[m], bad = 0;
    } else {
        known = 0;
        for (int m = 0; m < cs_num_cluster_methods; ++m) {
            int b = 0;
            if (cs_cluster_methods[m].parse(&o->cl, a, v, &b)) known = 1, bad |= b;
        }
        if (known && !c->from_a) c->from_a = a; /* a clustering option */
        if (known && !c->clustering) c->clustering = a;
    }
    if (!known)
        return cs_cli_fail(cmd,
                           "unknown option %s (see `concatseq help %s`; a SOURCE whose name starts "
                           "with - goes after --)",
                           a, cmd);
    if (bad) return cs_cli_fail(cmd, "%s %s: not a valid value (see `concatseq help %s`)", a, v, cmd);
    return 0;
}

static int parse_args(int argc, char **argv, cs_analyze_opts *o, analyze_cli *c)
{
    const char *cmd = c->merge ? "merge" : "analyze";
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (a[0] != '-' || !strcmp(a, "-")) {
            c->sources[c->nsources++] = argv[i];
            continue;
        }
        if (parse_one(argc, argv, &i, o, c)) return 1;
        if (c->help) return 0;
    }
    char badname[256];
    if (c->weights && parse_weights(c->weights, o->weights, badname, sizeof badname))
        return cs_cli_fail(cmd, "--weights: bad entry '%s' (use name=weight with names from `concatseq info`)",
                           badname);
    if (c->selection && parse_selection(c->selection, o->weights, badname, sizeof badname))
        return cs_cli_fail(cmd, "--descriptors: unknown descriptor '%s'", badname);
    if (o->labels_from && c->from_a)
        return cs_cli_fail(cmd,
                           "%s: not with --labels-from (the units are analysed, normalised and labelled as %s was: "
                           "leave %s out)",
                           c->from_a, o->labels_from, c->from_a);
    if (c->merge && c->analysis)
        return cs_cli_fail("merge",
                           "%s: not an option of merge (the analysis settings are the parts'; give it to `concatseq "
                           "analyze --partial`)",
                           c->analysis);
    if (o->partial && c->clustering)
        return cs_cli_fail(cmd,
                           "%s: not with --partial (a part is not normalised or clustered: give it to `concatseq "
                           "merge`)",
                           c->clustering);
    if (c->nsources == 0 && !(o->files_from && !c->merge))
        return cs_cli_fail(cmd, "%s",
                           c->merge ? "no PART given (usage: concatseq merge PART... -o BUNDLE)"
                                    : "no SOURCE given (usage: concatseq analyze SOURCE... -o BUNDLE)");
    if (!c->out && !c->list) return cs_cli_fail(cmd, "%s", "no output bundle given (-o BUNDLE)");
    return 0;
}

static void print_summary(const char *out, const cs_analyze_report *rep, int cluster, const char *from, int partial,
                          int merge)
{
    if (partial) {
        printf("wrote partial bundle %s: %zu source%s, %.3f s, %zu units", cs_cli_safe(out), rep->sources,
               rep->sources == 1 ? "" : "s", rep->seconds_audio, rep->units);
        if (rep->skipped) printf(", %zu silent file%s skipped", rep->skipped, rep->skipped == 1 ? "" : "s");
        printf(" (`concatseq merge` makes a bundle of the parts)\n");
        return;
    }
    printf("wrote %s: %zu source%s, %.3f s, %zu units, %zu labels", cs_cli_safe(out), rep->sources,
           rep->sources == 1 ? "" : "s", rep->seconds_audio, rep->units, rep->labels);
    if (rep->noise_units) printf(" (%zu noise units)", rep->noise_units);
    if (rep->skipped) printf(", %zu silent file%s skipped", rep->skipped, rep->skipped == 1 ? "" : "s");
    printf("\n");
    if (from)
        printf("labels from %s: %zu of %zu labels given their nearest unit, %zu empty; mean distance of a label's "
               "units to its centroid %.4f, of random units %.4f (weighted by %s's label counts)\n",
               cs_cli_safe(from), rep->nearest_filled, rep->labels, rep->empty_labels, rep->mapped_distance,
               rep->random_distance, cs_cli_safe(from));
    else if (rep->k_chosen)
        printf("clusters: %zu, chosen from %zu units (--cluster %s without --clusters: %d, or half the units when "
               "there are fewer than %d)\n",
               rep->labels, rep->units, cs_cluster_methods[cluster].name, CS_KMEANS_DEFAULT_K, 2 * CS_KMEANS_DEFAULT_K);
    if (merge)
        printf("time: reading the parts %.3f s, clustering %.3f s, write %.3f s\n", rep->seconds_decode,
               rep->seconds_cluster, rep->seconds_write);
    else
        printf("time: decode %.3f s, analysis %.3f s (%.0fx real time), clustering %.3f s, write %.3f s\n",
               rep->seconds_decode, rep->seconds_analyze,
               rep->seconds_analyze > 0 ? rep->seconds_audio / rep->seconds_analyze : 0.0, rep->seconds_cluster,
               rep->seconds_write);
}

/* `concatseq analyze` (merge 0) or `concatseq merge` (1): one parser, one summary. */
static int run_command(int argc, char **argv, int merge)
{
    const char *cmd = merge ? "merge" : "analyze";
    cs_analyze_opts o;
    cs_analyze_opts_default(&o);
    analyze_cli c;
    memset(&c, 0, sizeof c);
    c.merge = merge;
    c.progress = CS_PROGRESS_AUTO;
    c.sources = calloc((size_t)argc + 1, sizeof *c.sources);
    if (!c.sources) return cs_cli_fail(cmd, "%s", "out of memory");
    int rc = parse_args(argc, argv, &o, &c);
    if (rc || c.help) {
        if (c.help) (merge ? cs_usage_merge : cs_usage_analyze)(stdout);
        free(c.sources);
        return rc;
    }
    if (c.list) { /* the files, one per line, for --files-from (e.g. split into shards) */
        cs_pathlist files;
        char err[1024] = "";
        o.warn = c.quiet ? NULL : warn_cli;
        rc = cs_analyze_sources(c.sources, c.nsources, &o, &files, err, sizeof err);
        for (size_t i = 0; rc == 0 && i < files.n; ++i)
            printf("%s\n", files.v[i]);
        cs_pathlist_free(&files);
        free(c.sources);
        return rc ? cs_cli_fail(cmd, "%s", err) : 0;
    }
    cs_progress prog_state;
    cs_progress_init(&prog_state, c.progress, c.quiet);
    o.progress = cs_progress_report;
    o.progress_user = &prog_state;
    o.warn = c.quiet ? NULL : warn_cli;
    cs_analyze_report rep;
    char err[1024] = "";
    rc = merge ? cs_merge(c.sources, c.nsources, c.out, &o, &rep, err, sizeof err)
               : cs_analyze(c.sources, c.nsources, c.out, &o, &rep, err, sizeof err);
    cs_progress_finish(&prog_state);
    free(c.sources);
    if (rc) return cs_cli_fail(cmd, "%s", err);
    if (!c.quiet) print_summary(c.out, &rep, o.cluster, o.labels_from, o.partial, merge);
    return 0;
}

int cs_cmd_analyze(int argc, char **argv)
{
    return run_command(argc, argv, 0);
}

int cs_cmd_merge(int argc, char **argv)
{
    return run_command(argc, argv, 1);
}
