/*
 * bench_segment.c - cost of segmentation beside its peers, in the same run:
 *   - cs_frames_analyze (1 thread), which every segmentation needs first;
 *   - cs_segment_onset and cs_segment_novelty;
 *   - Foote's novelty evaluated directly from a stored band of the cosine SSM (n_blocks x 2L floats) with
 *     the 2-D kernel sum per block (O(n_blocks * L^2)), against the library's rank-one evaluation
 *     (cs_segment_novelty_curve, O(n_blocks * L * 15), no SSM).
 * Usage: bench_segment [minutes (default 10)]. Synthetic 48 kHz audio: 20 s sections of four timbres with
 * clicks every 0.37 s. Prints times, ratios and the largest curve difference. The unit count is not a
 * detection score: a one-sample click lies ~15 dB below the frame energy of the two noise timbres.
 */
#include "cs_error.h"
#include "cs_frames.h"
#include "cs_rng.h"
#include "cs_segment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define PI   3.14159265358979323846
#define D    15

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The direct evaluation: block features as in cs_segment.h, z-scored, a stored cosine band, 2-D kernel. */
static float *novelty_band_direct(const cs_frames *f, size_t B, size_t L, size_t *nb_out, size_t *band_bytes)
{
    const size_t nf = f->n_frames, nb = (nf + B - 1) / B, W = 2 * L;
    double *w = calloc(nb * D, sizeof *w);
    float *band = malloc(nb * W * sizeof *band); /* band[a*W + d] = S(a, a + d) */
    double *k = malloc(W * W * sizeof *k);
    float *nov = calloc(nb, sizeof *nov);
    if (!w || !band || !k || !nov) {
        free(w), free(band), free(k), free(nov);
        return NULL;
    }
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * B, i1 = i0 + B < nf ? i0 + B : nf;
        for (size_t i = i0; i < i1; i++) {
            const float *fr = f->data + i * CS_FF_COUNT;
            for (int c = 0; c < 12; c++)
                w[b * D + c] += (double)fr[CS_FF_MFCC0 + 1 + c];
            w[b * D + 12] += (double)fr[CS_FF_CENTROID];
            w[b * D + 13] += (double)fr[CS_FF_FLATNESS];
            w[b * D + 14] += 20.0 * log10((double)fr[CS_FF_RMS] + 1e-6);
        }
        for (int c = 0; c < D; c++)
            w[b * D + c] /= (double)(i1 - i0);
    }
    for (int c = 0; c < D; c++) {
        double m = 0, v = 0;
        for (size_t b = 0; b < nb; b++)
            m += w[b * D + c];
        m /= (double)nb;
        for (size_t b = 0; b < nb; b++)
            v += (w[b * D + c] - m) * (w[b * D + c] - m);
        double sd = sqrt(v / (double)nb);
        for (size_t b = 0; b < nb; b++)
            w[b * D + c] = sd > 1e-9 * (1 + fabs(m)) ? (w[b * D + c] - m) / sd : 0;
    }
    for (size_t a = 0; a < nb; a++) {
        for (size_t d = 0; d < W; d++) {
            double dot = 0, na = 0, nbb = 0;
            if (a + d < nb) {
                for (int c = 0; c < D; c++) {
                    dot += w[a * D + c] * w[(a + d) * D + c];
                    na += w[a * D + c] * w[a * D + c];
                    nbb += w[(a + d) * D + c] * w[(a + d) * D + c];
                }
            }
            band[a * W + d] = (na > 0 && nbb > 0) ? (float)(dot / sqrt(na * nbb)) : 0.0f;
        }
    }
    double sigma = 0.5 * (double)L, den = 0;
    for (size_t u = 0; u < W; u++)
        for (size_t v = 0; v < W; v++) {
            double xu = (double)u - (double)L + 0.5, xv = (double)v - (double)L + 0.5;
            double g = exp(-0.5 * (xu * xu + xv * xv) / (sigma * sigma)); /* radial Gaussian taper */
            k[u * W + v] = ((u < L) == (v < L) ? 1.0 : -1.0) * g;
            den += fabs(k[u * W + v]);
        }
    for (size_t b = 1; b < nb; b++) {
        double s = 0;
        for (size_t u = 0; u < W; u++) {
            long a = (long)b + (long)u - (long)L;
            if (a < 0 || a >= (long)nb) continue;
            for (size_t v = 0; v < W; v++) {
                long c = (long)b + (long)v - (long)L;
                if (c < 0 || c >= (long)nb) continue;
                long lo = a < c ? a : c, dd = a < c ? c - a : a - c;
                s += k[u * W + v] * (double)band[(size_t)lo * W + (size_t)dd];
            }
        }
        nov[b] = (float)(s / den);
    }
    *nb_out = nb;
    *band_bytes = nb * W * sizeof *band;
    free(w);
    free(band);
    free(k);
    return nov;
}

int main(int argc, char **argv)
{
    double minutes = argc > 1 ? atof(argv[1]) : 10.0;
    if (!(minutes > 0.05 && minutes < 240.0)) {
        fprintf(stderr, "usage: bench_segment [minutes]\n");
        return 2;
    }
    const size_t n = (size_t)(minutes * 60.0 * RATE), sec = 20 * RATE, click = (size_t)(0.37 * RATE);
    float *x = malloc(n * sizeof *x);
    if (!x) return 1;
    cs_rng r;
    cs_rng_seed(&r, 1);
    double lp = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / RATE, v = 0;
        switch ((i / sec) % 4) {
        case 0:
            v = 0.3 * sin(2 * PI * 440 * t);
            break;
        case 1:
            v = 0.1 * cs_rng_normal(&r);
            break;
        case 2:
            for (int k = 1; k <= 10; k++)
                v += 0.15 / k * sin(2 * PI * 220 * k * t);
            break;
        default:
            lp += 0.05 * (cs_rng_normal(&r) - lp), v = lp;
            break;
        }
        if (i % click == 0) v += 0.8;
        x[i] = (float)v;
    }

    cs_frame_params fp;
    cs_frame_params_default(&fp, RATE);
    cs_frames f;
    memset(&f, 0, sizeof f);
    double t0 = now_s();
    int err = cs_frames_analyze(x, n, &fp, 1, &f);
    double t_frames = now_s() - t0;
    free(x);
    if (err) {
        fprintf(stderr, "cs_frames_analyze: %s\n", cs_strerror(err));
        return 1;
    }

    cs_onset_params op;
    cs_onset_params_default(&op);
    cs_novelty_params np;
    cs_novelty_params_default(&np);
    cs_segments s = {0};
    t0 = now_s();
    err = cs_segment_onset(&f, n, &op, &s);
    double t_onset = now_s() - t0;
    size_t n_onset = s.n;
    t0 = now_s();
    err |= cs_segment_novelty(&f, n, &np, &s);
    double t_nov = now_s() - t0;
    size_t n_nov = s.n;
    float *curve = NULL;
    size_t nb = 0, B = 0;
    t0 = now_s();
    err |= cs_segment_novelty_curve(&f, n, &np, &curve, &nb, &B);
    double t_curve = now_s() - t0;
    if (err) {
        fprintf(stderr, "segmentation failed\n");
        return 1;
    }
    size_t L = (size_t)llround(np.kernel_s * RATE / (2.0 * (double)B * f.hop));
    size_t nb2 = 0, band_bytes = 0;
    t0 = now_s();
    float *direct = novelty_band_direct(&f, B, L, &nb2, &band_bytes);
    double t_direct = now_s() - t0;
    double maxdiff = 0;
    for (size_t b = 0; direct && b < nb && nb2 == nb; b++) {
        double dd = fabs((double)curve[b] - (double)direct[b]);
        if (dd > maxdiff) maxdiff = dd;
    }

    printf("source: %.1f min at %d Hz, %zu frames (hop %d), %zu novelty blocks of %zu frames, L = %zu\n", minutes, RATE,
           f.n_frames, f.hop, nb, B, L);
    printf("cs_frames_analyze (1 thread)   %8.3f s\n", t_frames);
    printf("cs_segment_onset               %8.3f s  (%.4f x analysis)  %zu units\n", t_onset, t_onset / t_frames,
           n_onset);
    printf("cs_segment_novelty             %8.3f s  (%.4f x analysis)  %zu sections\n", t_nov, t_nov / t_frames, n_nov);
    printf("novelty curve, rank-one        %8.3f s  memory %zu kB (block features)\n", t_curve,
           nb * D * sizeof(double) / 1024);
    printf("novelty curve, direct band SSM %8.3f s  memory %zu kB (band)  -> rank-one is %.1f x faster\n", t_direct,
           band_bytes / 1024, t_direct / t_curve);
    printf("full n x n float SSM would need %.1f MB; max |rank-one - direct| = %.2g\n",
           (double)nb * (double)nb * 4.0 / 1048576.0, maxdiff);
    free(curve);
    free(direct);
    cs_segments_free(&s);
    cs_frames_free(&f);
    return 0;
}
