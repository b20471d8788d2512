/* cs_plot.c - PCA corpus map and label timeline as SVG. See cs_plot.h. */
#include "cs_plot.h"

#include "cs_cli.h"
#include "cs_error.h"
#include "cs_label.h"
#include "cs_palette.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cs_pca2(const float *X, size_t n, size_t d, double *out, double var_explained[2])
{
    if (n == 0 || d == 0) return CS_E_ARG;
    double *mean = calloc(d, sizeof *mean), *C = calloc(d * d, sizeof *C), *V = calloc(d * d, sizeof *V);
    if (!mean || !C || !V) {
        free(mean);
        free(C);
        free(V);
        return CS_E_NOMEM;
    }
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j)
            mean[j] += (double)X[i * d + j];
    for (size_t j = 0; j < d; ++j)
        mean[j] /= (double)n;
    for (size_t i = 0; i < n; ++i)
        for (size_t a = 0; a < d; ++a) {
            double xa = (double)X[i * d + a] - mean[a];
            for (size_t b = a; b < d; ++b)
                C[a * d + b] += xa * ((double)X[i * d + b] - mean[b]);
        }
    for (size_t a = 0; a < d; ++a)
        for (size_t b = a; b < d; ++b)
            C[b * d + a] = C[a * d + b] /= (double)n;
    for (size_t a = 0; a < d; ++a)
        V[a * d + a] = 1.0;
    /* cyclic Jacobi: bounded sweeps, each zeroing every off-diagonal pair once */
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0;
        for (size_t a = 0; a < d; ++a)
            for (size_t b = a + 1; b < d; ++b)
                off += C[a * d + b] * C[a * d + b];
        if (off < 1e-22) break;
        for (size_t p = 0; p < d; ++p)
            for (size_t q = p + 1; q < d; ++q) {
                double apq = C[p * d + q];
                if (fabs(apq) < 1e-300) continue;
                double theta = (C[q * d + q] - C[p * d + p]) / (2.0 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (size_t k = 0; k < d; ++k) {
                    double akp = C[k * d + p], akq = C[k * d + q];
                    C[k * d + p] = c * akp - s * akq;
                    C[k * d + q] = s * akp + c * akq;
                }
                for (size_t k = 0; k < d; ++k) {
                    double apk = C[p * d + k], aqk = C[q * d + k];
                    C[p * d + k] = c * apk - s * aqk;
                    C[q * d + k] = s * apk + c * aqk;
                }
                for (size_t k = 0; k < d; ++k) {
                    double vkp = V[k * d + p], vkq = V[k * d + q];
                    V[k * d + p] = c * vkp - s * vkq;
                    V[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    size_t e1 = 0, e2 = d > 1 ? 1 : 0;
    double total = 0.0;
    for (size_t a = 0; a < d; ++a)
        total += C[a * d + a];
    for (size_t a = 0; a < d; ++a)
        if (C[a * d + a] > C[e1 * d + e1]) e1 = a;
    e2 = e1 == 0 && d > 1 ? 1 : 0;
    for (size_t a = 0; a < d; ++a)
        if (a != e1 && C[a * d + a] > C[e2 * d + e2]) e2 = a;
    size_t comp[2] = {e1, e2};
    double sign[2];
    for (int c = 0; c < 2; ++c) {
        size_t big = 0;
        for (size_t k = 0; k < d; ++k)
            if (fabs(V[k * d + comp[c]]) > fabs(V[big * d + comp[c]])) big = k;
        sign[c] = V[big * d + comp[c]] < 0 ? -1.0 : 1.0;
        var_explained[c] = total > 0 && (d > 1 || c == 0) ? C[comp[c] * d + comp[c]] / total : 0.0;
    }
    for (size_t i = 0; i < n; ++i)
        for (int c = 0; c < 2; ++c) {
            double s = 0.0;
            if (d > 1 || c == 0)
                for (size_t k = 0; k < d; ++k)
                    s += ((double)X[i * d + k] - mean[k]) * V[k * d + comp[c]];
            out[2 * i + (size_t)c] = sign[c] * s;
        }
    free(mean);
    free(C);
    free(V);
    return 0;
}

void cs_label_colour(int l, int k, char buf[8])
{
    if (k < 1) k = 1;
    double h = fmod((double)l * 360.0 / (double)k + CS_PALETTE_HUE_OFFSET, 360.0);
    double light = (l % 2) ? CS_PALETTE_LIGHT_ODD : CS_PALETTE_LIGHT_EVEN, sat = CS_PALETTE_SATURATION;
    double c = (1.0 - fabs(2.0 * light - 1.0)) * sat, x = c * (1.0 - fabs(fmod(h / 60.0, 2.0) - 1.0));
    double m = light - c / 2.0, r = 0, g = 0, b = 0;
    if (h < 60) {
        r = c;
        g = x;
    } else if (h < 120) {
        r = x;
        g = c;
    } else if (h < 180) {
        g = c;
        b = x;
    } else if (h < 240) {
        g = x;
        b = c;
    } else if (h < 300) {
        r = x;
        b = c;
    } else {
        r = c;
        b = x;
    }
    snprintf(buf, 8, "#%02x%02x%02x", (unsigned)lround((r + m) * 255), (unsigned)lround((g + m) * 255),
             (unsigned)lround((b + m) * 255));
}

/* Open the SVG for writing through a temporary file renamed at the end (no half-written picture). */
static FILE *svg_open(const char *path, char *tmp, size_t ntmp, char *err, size_t errlen)
{
    snprintf(tmp, ntmp, "%s.partial-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) snprintf(err, errlen, "%s: cannot write (%s)", path, strerror(errno));
    return f;
}

static int svg_close(FILE *f, const char *tmp, const char *path, char *err, size_t errlen)
{
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        snprintf(err, errlen, "%s: write failed (is the disk full?)", path);
        return CS_E_IO;
    }
    return 0;
}

int cs_plot_corpus(const cs_bundle *b, const char *path, char *err, size_t errlen)
{
    const cs_ut_view *v = &b->view;
    const size_t n = v->num_units, d = v->num_descriptors;
    float *X = calloc(n * d, sizeof *X);
    double *P = calloc(n * 2, sizeof *P);
    if (!X || !P) {
        free(X);
        free(P);
        return CS_E_NOMEM;
    }
    for (uint32_t u = 0; u < n; ++u)
        memcpy(X + (size_t)u * d, cs_ut_unit_descriptors(v, u), d * sizeof *X);
    double ve[2];
    int rc = cs_pca2(X, n, d, P, ve);
    free(X);
    if (rc) {
        free(P);
        return rc;
    }
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (size_t i = 0; i < n; ++i)
        for (int c = 0; c < 2; ++c) {
            if (P[2 * i + c] < lo[c]) lo[c] = P[2 * i + c];
            if (P[2 * i + c] > hi[c]) hi[c] = P[2 * i + c];
        }
    for (int c = 0; c < 2; ++c)
        if (!(hi[c] > lo[c])) {
            lo[c] -= 1.0;
            hi[c] += 1.0;
        }
    const int W = 760, H = 620, L = 60, R = 150, T = 50, B = 60;
    char tmp[4300];
    FILE *f = svg_open(path, tmp, sizeof tmp, err, errlen);
    if (!f) {
        free(P);
        return CS_E_IO;
    }
    const int K = (int)v->num_labels;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fprintf(f,
            "<text x=\"%d\" y=\"28\" font-size=\"16\">Corpus map: %zu units, %d labels (PCA of %zu normalised "
            "descriptors)</text>\n",
            L, n, K, d);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", L, T, W - L - R,
            H - T - B);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">PC1 (%.1f%% of variance)</text>\n", L + (W - L - R) / 2,
            H - 20, 100.0 * ve[0]);
    fprintf(f,
            "<text transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\">PC2 (%.1f%% of variance)</text>\n",
            T + (H - T - B) / 2, 100.0 * ve[1]);
    const double r = n > 5000 ? 1.2 : n > 1000 ? 2.0 : 3.5;
    char col[8];
    for (size_t i = 0; i < n; ++i) {
        double x = L + (P[2 * i] - lo[0]) / (hi[0] - lo[0]) * (W - L - R);
        double y = H - B - (P[2 * i + 1] - lo[1]) / (hi[1] - lo[1]) * (H - T - B);
        int l = cs_ut_unit_label(v, (uint32_t)i);
        cs_label_colour(l, K, col);
        fprintf(f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.75\"><title>unit %zu, "
                "label %d</title></circle>\n",
                x, y, r, col, i, l);
    }
    int shown = K < 32 ? K : 32;
    for (int l = 0; l < shown; ++l) {
        cs_label_colour(l, K, col);
        int y = T + 8 + l * 17;
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\">label %d (%u)%s</text>\n",
                W - R + 14, y, col, W - R + 32, y + 11, l, cs_ut_label_count(v, l, NULL),
                l == v->noise_label ? " noise" : "");
    }
    if (K > shown)
        fprintf(f, "<text x=\"%d\" y=\"%d\">... %d more</text>\n", W - R + 14, T + 8 + shown * 17 + 11, K - shown);
    fprintf(f, "</svg>\n");
    free(P);
    return svg_close(f, tmp, path, err, errlen);
}

int cs_plot_timeline(const float *labels, const float *units, size_t n, double rate, int num_labels, const char *path,
                     char *err, size_t errlen)
{
    if (n == 0 || !(rate > 0) || num_labels < 1) {
        snprintf(err, errlen, "%s: empty timeline", path);
        return CS_E_ARG;
    }
    const int W = 1000, L = 70, R = 20, T = 50, B = 50;
    const int rowh = num_labels > 40 ? 4 : num_labels > 16 ? 8 : 16;
    const int H = T + B + rowh * num_labels;
    const double dur = (double)n / rate;
    char tmp[4300];
    FILE *f = svg_open(path, tmp, sizeof tmp, err, errlen);
    if (!f) return CS_E_IO;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"16\">Label timeline of the render (%.1f s)</text>\n", L, dur);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n", L, T, W - L - R,
            rowh * num_labels);
    for (int s = 0; s <= (int)dur; s += dur > 60 ? 10 : dur > 10 ? 5 : 1) {
        double x = L + (double)s / dur * (W - L - R);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%d\" "
                "text-anchor=\"middle\">%d s</text>\n",
                x, T, x, T + rowh * num_labels, x, H - 25, s);
    }
    fprintf(f, "<text transform=\"translate(20,%d) rotate(-90)\" text-anchor=\"middle\">label</text>\n",
            T + rowh * num_labels / 2);
    size_t blocks = 0;
    char col[8];
    size_t i = 0;
    while (i < n) {
        float lab = labels[i], unit = units[i];
        size_t j = i + 1;
        while (j < n && units[j] == unit && labels[j] == lab)
            j++;
        if (isfinite(lab) && lab >= 0 && lab < (float)num_labels) {
            int l = (int)lab;
            double x0 = L + (double)i / (double)n * (W - L - R), x1 = L + (double)j / (double)n * (W - L - R);
            cs_label_colour(l, num_labels, col);
            fprintf(f,
                    "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\"><title>%.3f s: label %d, "
                    "unit %.0f</title></rect>\n",
                    x0, T + (num_labels - 1 - l) * rowh, x1 - x0 > 0.5 ? x1 - x0 : 0.5, rowh - 1, col, (double)i / rate,
                    l, (double)unit);
            blocks++;
        }
        i = j;
    }
    for (int l = 0; l<num_labels; l += num_labels> 16 ? 4 : 1)
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n", L - 6,
                T + (num_labels - 1 - l) * rowh + rowh - 2, l);
    fprintf(f, "<!-- %zu blocks -->\n</svg>\n", blocks);
    return svg_close(f, tmp, path, err, errlen);
}

int cs_plot_check_timeline(const float *data, size_t frames, int channels, uint32_t num_labels, uint32_t num_units,
                           char *err, size_t errlen)
{
    if (channels != 2) {
        snprintf(err, errlen, "has %d channels; a timeline has 2 (label, unit)", channels);
        return CS_E_FORMAT;
    }
    const double limit[2] = {(double)num_labels, (double)num_units};
    /* labels follow the label contract (cs_label.h): -1 none, -2 any (SeqPredict before its first step) */
    const double lowest[2] = {(double)CS_LABEL_ANY, -1.0};
    const char *what[2] = {"label", "unit"};
    for (size_t i = 0; i < frames; ++i)
        for (int c = 0; c < 2; ++c) {
            double v = (double)data[i * 2 + (size_t)c];
            if (!(v == floor(v) && v >= lowest[c] && v < limit[c])) {
                snprintf(err, errlen, "frame %zu: channel %d holds %g, not a %s (%.0f..%.0f); not a label timeline", i,
                         c, v, what[c], lowest[c], limit[c] - 1.0);
                return CS_E_FORMAT;
            }
        }
    return 0;
}

void cs_usage_plot(FILE *f)
{
    fprintf(f, "usage: concatseq plot BUNDLE [-o CORPUS.svg] [--timeline RENDER.wav [-t TIMELINE.svg]]\n"
               "  -o SVG            corpus map: units at their first two principal components, coloured by\n"
               "                    label (default BUNDLE/corpus.svg)\n"
               "  --timeline WAV    a render's label and unit channels (exactly 2: channel 0 label, 1 unit;\n"
               "                    integers, -1 = silence); anything else is refused\n"
               "  -t SVG            where the label timeline goes (default: WAV with .svg)\n"
               "  --timeline-rate HZ  frames per second of the timeline (default: the file's sample rate;\n"
               "                    a RecordBuf.kr recording runs at the control rate, e.g. 48000 / 64 = 750)\n");
}

typedef struct plot_args {
    const char *dir, *out, *tl, *tl_out;
    double tl_rate;
    int help;
} plot_args;

static int plot_parse(int argc, char **argv, plot_args *p)
{
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            p->help = 1;
            return 0;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = NULL;
        if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            dst = &p->out;
        else if (!strcmp(a, "--timeline"))
            dst = &p->tl;
        else if (!strcmp(a, "-t") || !strcmp(a, "--timeline-output"))
            dst = &p->tl_out;
        if (dst) {
            if (!v) return cs_cli_fail("plot", "%s: missing value", a);
            *dst = v;
            ++i;
        } else if (!strcmp(a, "--timeline-rate")) {
            if (!v || cs_cli_parse_double(v, &p->tl_rate) || !(p->tl_rate > 0.0))
                return cs_cli_fail("plot", "--timeline-rate: must be > 0 Hz");
            ++i;
        } else if (a[0] == '-')
            return cs_cli_fail("plot", "unknown option %s", a);
        else if (!p->dir)
            p->dir = a;
        else
            return cs_cli_fail("plot", "unexpected argument %s", a);
    }
    if (!p->dir) return cs_cli_fail("plot", "no BUNDLE given (usage: concatseq plot BUNDLE [-o SVG])");
    return 0;
}

/* Read, check and draw the timeline file p->tl of a render of bundle b. */
static int plot_timeline_file(const cs_bundle *b, const plot_args *p)
{
    float *data = NULL;
    size_t frames = 0;
    int ch = 0, rate = 0;
    char err[1024] = "", tdef[4200];
    int rc = cs_read_float_wav(p->tl, &data, &frames, &ch, &rate);
    if (rc) return cs_cli_fail("plot", "%s: %s", p->tl, cs_strerror(rc));
    if (cs_plot_check_timeline(data, frames, ch, b->view.num_labels, b->view.num_units, err, sizeof err)) {
        free(data);
        return cs_cli_fail("plot", "%s: %s", p->tl, err);
    }
    float *lab = malloc(frames * sizeof *lab), *uni = malloc(frames * sizeof *uni);
    if (!lab || !uni) {
        free(lab);
        free(uni);
        free(data);
        return cs_cli_fail("plot", "out of memory");
    }
    for (size_t i = 0; i < frames; ++i) {
        lab[i] = data[i * 2];
        uni[i] = data[i * 2 + 1];
    }
    free(data);
    const char *tl_out = p->tl_out;
    if (!tl_out) {
        snprintf(tdef, sizeof tdef, "%s", p->tl);
        char *dot = strrchr(tdef, '.'), *slash = strrchr(tdef, '/');
        if (dot && (!slash || dot > slash)) *dot = '\0';
        strncat(tdef, ".svg", sizeof tdef - strlen(tdef) - 1);
        tl_out = tdef;
    }
    rc = cs_plot_timeline(lab, uni, frames, p->tl_rate > 0.0 ? p->tl_rate : rate, (int)b->view.num_labels, tl_out, err,
                          sizeof err);
    free(lab);
    free(uni);
    if (rc) return cs_cli_fail("plot", "%s", err);
    printf("wrote %s\n", tl_out);
    return 0;
}

int cs_cmd_plot(int argc, char **argv)
{
    plot_args p;
    memset(&p, 0, sizeof p);
    int rc = plot_parse(argc, argv, &p);
    if (rc || p.help) {
        if (p.help) cs_usage_plot(stdout);
        return rc;
    }
    cs_bundle b;
    char err[1024] = "", def[4200];
    if (cs_bundle_read(p.dir, &b, err, sizeof err)) return cs_cli_fail("plot", "%s", err);
    if (!p.out) {
        snprintf(def, sizeof def, "%s/corpus.svg", p.dir);
        p.out = def;
    }
    rc = cs_plot_corpus(&b, p.out, err, sizeof err);
    if (rc)
        rc = cs_cli_fail("plot", "%s", err[0] ? err : cs_strerror(rc));
    else {
        printf("wrote %s\n", p.out);
        if (p.tl) rc = plot_timeline_file(&b, &p);
    }
    cs_bundle_free(&b);
    return rc;
}
