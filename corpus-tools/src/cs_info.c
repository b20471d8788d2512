/* cs_info.c - `concatseq info`. See cs_info.h. */
#include "cs_info.h"

#include "cs_cli.h"

#include <math.h>
#include <string.h>

static double num(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* A string field of the manifest, made safe to print (cs_cli_safe: a crafted manifest cannot drive the
 * terminal). Every string info prints from the file comes through here. */
static const char *str(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cs_cli_safe(cJSON_IsString(v) ? v->valuestring : dflt);
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* " (name value, ...)\n": a method's parameters and results as the manifest records them (the methods write
 * them; every field but "method" and the "labels" list), so a new method needs nothing here. */
static void print_parameters(const cJSON *obj, FILE *out)
{
    const cJSON *item;
    int lead = 1;
    cJSON_ArrayForEach(item, obj)
    {
        if (!item->string || !strcmp(item->string, "method") || !strcmp(item->string, "labels")) continue;
        fprintf(out, "%s%s ", lead ? " (" : ", ", cs_cli_safe(item->string));
        if (cJSON_IsNumber(item))
            fprintf(out, "%.6g", item->valuedouble);
        else if (cJSON_IsString(item))
            fprintf(out, "%s", cs_cli_safe(item->valuestring));
        else
            fprintf(out, "%s", cJSON_IsTrue(item) ? "yes" : "no");
        lead = 0;
    }
    fprintf(out, "%s\n", lead ? "" : ")");
}

void cs_info_print(const cs_bundle *b, FILE *out)
{
    const cJSON *m = b->manifest;
    const cs_ut_view *v = &b->view;
    const double sr = num(m, "sample_rate", v->sample_rate);
    fprintf(out, "bundle       %s\n", cs_cli_safe(b->dir));
    fprintf(out, "format       %s v%d (%s)\n", str(m, "format", "?"), (int)num(m, "version", 0),
            str(m, "generator", "?"));
    fprintf(out, "audio        %.0f Hz, %d channel%s, %.3f s (%.0f frames)\n", sr, (int)num(m, "channels", 1),
            num(m, "channels", 1) == 1 ? "" : "s", num(m, "duration_s", 0), num(m, "frames", 0));

    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(m, "sources");
    fprintf(out, "sources      %d\n", cJSON_GetArraySize(srcs));
    const cJSON *s;
    int i = 0;
    cJSON_ArrayForEach(s, srcs)
    {
        fprintf(out, "  %3d  %-40s %6.0f Hz %d ch -> %9.3f s  %6.0f units\n", i++, base(str(s, "path", "?")),
                num(s, "original_rate", 0), (int)num(s, "original_channels", 0), num(s, "frames", 0) / sr,
                num(s, "units", 0));
    }

    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(m, "segmentation");
    fprintf(out, "units        %u, segmentation %s", v->num_units, str(seg, "method", "?"));
    print_parameters(seg, out);
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(m, "clustering");
    fprintf(out, "labels       %u, clustering %s", v->num_labels, str(cl, "method", "?"));
    print_parameters(cl, out);
    fprintf(out, "  label  units  mean duration (s)\n");
    for (uint32_t l = 0; l < v->num_labels; ++l) {
        uint32_t first = 0, count = cs_ut_label_count(v, (int32_t)l, &first);
        double dur = 0.0;
        for (uint32_t k = 0; k < count; ++k)
            dur += (double)cs_ut_unit_length(v, (uint32_t)v->members[first + k]);
        fprintf(out, "  %5u  %5u  %.4f%s\n", l, count, count ? dur / count / sr : 0.0,
                (int32_t)l == v->noise_label ? "  (noise)" : "");
    }

    fprintf(out, "descriptors  %u (normalisation %s)\n", v->num_descriptors,
            str(cJSON_GetObjectItemCaseSensitive(m, "normalisation"), "method", "?"));
    fprintf(out, "  %-16s %-4s %12s %12s %12s\n", "name", "unit", "min", "max", "weight");
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(m, "descriptors"))
    {
        fprintf(out, "  %-16s %-4s %12.4g %12.4g %12g\n", str(d, "name", "?"), str(d, "unit", ""), num(d, "min", NAN),
                num(d, "max", NAN), num(d, "weight", 1));
    }
}

void cs_info_print_units(const cs_bundle *b, FILE *out)
{
    const cs_ut_view *v = &b->view;
    const cJSON *descs = cJSON_GetObjectItemCaseSensitive(b->manifest, "descriptors");
    const int nd = cJSON_GetArraySize(descs);
    fprintf(out, "unit\tsource\tstart_frame\tlength_frames\tstart_s\tlength_s\tlabel\tsuccessor");
    for (int j = 0; j < nd; ++j) {
        const cJSON *d = cJSON_GetArrayItem(descs, j);
        const char *u = str(d, "unit", "");
        if (*u)
            fprintf(out, "\t%s_%s", str(d, "name", "?"), u);
        else
            fprintf(out, "\t%s", str(d, "name", "?"));
    }
    fputc('\n', out);
    for (uint32_t u = 0; u < v->num_units; ++u) {
        uint64_t s = cs_ut_unit_start(v, u), len = cs_ut_unit_length(v, u);
        fprintf(out, "%u\t%d\t%llu\t%llu\t%.6f\t%.6f\t%d\t%d", u, (int)v->rows[(size_t)u * v->stride + CS_UT_R_SOURCE],
                (unsigned long long)s, (unsigned long long)len, (double)s / v->sample_rate,
                (double)len / v->sample_rate, cs_ut_unit_label(v, u), cs_ut_unit_successor(v, u));
        const float *x = cs_ut_unit_descriptors(v, u);
        for (int j = 0; j < nd && (uint32_t)j < v->num_descriptors; ++j) {
            const cJSON *d = cJSON_GetArrayItem(descs, j);
            fprintf(out, "\t%.6g", (double)x[j] * num(d, "scale", 1.0) + num(d, "center", 0.0));
        }
        fputc('\n', out);
    }
}

void cs_usage_info(FILE *f)
{
    fprintf(f, "usage: concatseq info BUNDLE [--units]\n"
               "  without --units: the bundle's format, audio, sources, segmentation, labels and descriptor ranges\n"
               "  --units           the unit table as TSV on stdout, one line per unit: unit, source, start_frame,\n"
               "                    length_frames, start_s, length_s, label, successor, then every descriptor\n"
               "                    in its own units (columns named NAME_UNIT, e.g. centroid_Hz, duration_s)\n");
}

int cs_cmd_info(int argc, char **argv)
{
    const char *dir = NULL;
    int units = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--units"))
            units = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cs_usage_info(stdout);
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
