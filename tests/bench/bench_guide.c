/*
 * bench_guide.c - the cost of model x target guidance (cs_seqp_guide_logits, plugins/core/cs_seqpredict.h) beside
 * its peer on the same step, the sampler (cs_sample, temperature 1, no truncation), to calibrate
 * CS_SEQP_GUIDE_MADDS_PER_TERM the way CS_SEQP_SAMPLE_MADDS_PLAIN was (the sampler's 200 multiply-add equivalents
 * per label). For V labels in {64, 256, 4096} and T target terms in {1, 4, 26}, warm (one step's data in cache):
 * median ns per call of each, ns per (label, term + 1) of guidance, and the implied multiply-add equivalents per
 * term = 200 * (guide ns per label and term + 1) / (sampler ns per label). One core, one thread.
 * Output: one line per case, "guide V <v> T <t> guide_ns <x> sample_ns <y> ns_per_term <z> madds_per_term <m>".
 * Usage: bench_guide [--quick]
 */
#include "cs_rng.h"
#include "cs_sample.h"
#include "cs_seqpredict.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile float sink;

int main(int argc, char **argv)
{
    const int quick = argc > 1 && !strcmp(argv[1], "--quick");
    const int reps = quick ? 101 : 1001, inner = 8;
    const int vs[] = {64, 256, 4096}, ts[] = {1, 4, 26};
    enum { D = 26 };
    double *times = malloc((size_t)reps * sizeof *times);
    for (size_t a = 0; a < sizeof vs / sizeof vs[0]; a++) {
        const int V = vs[a];
        float *logits = malloc((size_t)V * sizeof *logits), *out = malloc((size_t)V * sizeof *out);
        float *cent = malloc((size_t)V * D * sizeof *cent), wts[D], labels_sec[2 * 4096];
        double *work = malloc((size_t)V * sizeof *work);
        size_t sb = cs_sample_scratch_size(V);
        void *scratch = malloc(sb);
        for (int k = 0; k < V; k++) {
            logits[k] = sinf(0.37f * (float)k) * 3.0f;
            labels_sec[2 * k] = (float)k, labels_sec[2 * k + 1] = 1.0f;
            for (int d = 0; d < D; d++)
                cent[k * D + d] = cosf(0.11f * (float)(k * D + d));
        }
        for (int d = 0; d < D; d++)
            wts[d] = 1.0f;
        for (size_t b = 0; b < sizeof ts / sizeof ts[0]; b++) {
            const int T = ts[b];
            cs_seqp_guide g;
            memset(&g, 0, sizeof g);
            g.centroids = cent;
            g.weight = wts;
            g.labels = labels_sec;
            g.num_labels = (uint32_t)V;
            g.num_descriptors = D;
            g.target.num_dims = (uint32_t)T;
            for (int j = 0; j < T; j++)
                g.target.dim[j] = (uint32_t)j, g.target.value[j] = 0.1f * (float)j;
            for (int r = 0; r < reps; r++) {
                double t0 = now_ns();
                for (int i = 0; i < inner; i++)
                    cs_seqp_guide_logits(logits, V, &g, 1.0f + 0.001f * (float)i, work, out);
                times[r] = (now_ns() - t0) / inner;
                sink = out[r % V];
            }
            qsort(times, (size_t)reps, sizeof *times, cmp_double);
            const double guide_ns = times[reps / 2];
            cs_sample_params sp;
            cs_sample_params_default(&sp);
            cs_rng rng;
            cs_rng_seed(&rng, 1);
            cs_sample_result res;
            for (int r = 0; r < reps; r++) {
                double t0 = now_ns();
                for (int i = 0; i < inner; i++)
                    cs_sample(out, V, &sp, NULL, 0, NULL, &rng, scratch, sb, &res);
                times[r] = (now_ns() - t0) / inner;
                sink = (float)res.label;
            }
            qsort(times, (size_t)reps, sizeof *times, cmp_double);
            const double sample_ns = times[reps / 2];
            const double per_term = guide_ns / ((double)V * (T + 1));
            const double madds = 200.0 * per_term / (sample_ns / V);
            printf("guide V %d T %d guide_ns %.0f sample_ns %.0f ns_per_term %.3f madds_per_term %.1f\n", V, T,
                   guide_ns, sample_ns, per_term, madds);
        }
        free(logits);
        free(out);
        free(cent);
        free(work);
        free(scratch);
    }
    free(times);
    return 0;
}
