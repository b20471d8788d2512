/*
 * test_sample_trunc.c - cs_sample's truncation by threshold (a bisection on the weights' bits, then the prefix
 * ranked by vector compares or sorted) and its repetition penalty (stamps, 8 history positions per gather) against
 * the scalar sampler of cs_sample_ref.h, on the cases the random mix of test_sample_same meets rarely: top-k
 * boundaries inside a group of equal weights (the lower index must win), nuclei whose edge falls on a tie, flat
 * distributions (the prefix longer than the 64 labels the vector ranking takes), very peaked ones (the bisection
 * at its end), top-k 1 / 2 / 63 / 64 / 65 around the ranking's limit, top-p 0 / tiny / near 1, and histories of
 * 1..200 labels with repeats and labels outside 0..V-1 (the gather's lanes and the scalar tail). Same seed -> the
 * same label, flags and candidate count as the reference, the probability within 1e-5: the portable path on every
 * draw; the library's (AVX2 when the CPU has it) on every shape but the flat one, whose distinct weights lie
 * within the FMA's rounding of each other (cs_sample.h: the weights differ from the reference by float rounding,
 * which can swap two ranks there).
 */
#include "cs_sample.h"
#include "cs_sample_portable.h" /* cs_sample_portable: the portable path, beside the library's */
#include "cs_sample_ref.h"
#include "cs_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned char sa[4096 * 17 + 64], sb[4096 * 17 + 64], sc[4096 * 17 + 64];

/* logits of one of six shapes */
static void make_logits(cs_rng *g, int kind, int V, float *lg)
{
    for (int i = 0; i < V; i++) {
        float x = 6.0f * cs_rng_uniform(g) - 3.0f;
        switch (kind) {
        case 0: /* a few tie groups */
            lg[i] = (float)cs_rng_below(g, 4);
            break;
        case 1: /* flat */
            lg[i] = 0.001f * x;
            break;
        case 2: /* peaked */
            lg[i] = 30.0f * x;
            break;
        case 3: /* all equal */
            lg[i] = 1.5f;
            break;
        case 4: /* ties on a spread: pairs of equal values */
            lg[i] = (float)(i / 2 % 17) * 0.37f;
            break;
        default: /* a trained model's spread */
            lg[i] = x;
        }
    }
}

int main(void)
{
    static const int sizes[] = {5, 8, 13, 31, 64, 72, 129, 256, 1024};
    static const int ks[] = {0, 1, 2, 3, 16, 63, 64, 65, 200};
    static const float ps[] = {1.0f, 0.0f, 1e-6f, 0.3f, 0.5f, 0.9f, 0.99f, 0.9999f};
    static const float pens[] = {1.0f, 1.2f, 0.7f, 3.0f};
    float *lg = malloc(4096 * sizeof(float));
    int hist[200];
    cs_rng g;
    cs_rng_seed(&g, 77);
    long draws = 0, diff = 0, pdiff = 0;
    double worst = 0.0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int V = sizes[si];
        for (int kind = 0; kind < 6; kind++) {
            make_logits(&g, kind, V, lg);
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
                for (size_t pi = 0; pi < sizeof ps / sizeof ps[0]; pi++) {
                    cs_sample_params p;
                    cs_sample_params_default(&p);
                    p.top_k = ks[ki];
                    p.top_p = ps[pi];
                    p.temperature = kind == 2 ? 1.0f : 0.5f + cs_rng_uniform(&g);
                    p.repetition_penalty = pens[cs_rng_below(&g, 4)];
                    const int nh = (int)cs_rng_below(&g, 201);
                    for (int j = 0; j < nh; j++) /* repeats, and some outside 0..V-1 */
                        hist[j] = (int)cs_rng_below(&g, (uint32_t)(V < 12 ? V + 2 : 12)) - 1 +
                                  (cs_rng_below(&g, 8) == 0 ? V : 0);
                    cs_rng ra, rb, rc;
                    const uint64_t seed = cs_rng_next(&g);
                    cs_rng_seed(&ra, seed);
                    cs_rng_seed(&rb, seed);
                    cs_rng_seed(&rc, seed);
                    for (int d = 0; d < 12; d++) {
                        cs_sample_result a, b, c;
                        int la = cs_sample(lg, V, &p, hist, nh, NULL, &ra, sa, sizeof sa, &a);
                        int lb = cs_sample_ref(lg, V, &p, hist, nh, NULL, &rb, sb, sizeof sb, &b);
                        int lc = cs_sample_portable(lg, V, &p, hist, nh, NULL, &rc, sc, sizeof sc, &c);
                        draws++;
                        if (lc != lb || c.flags != b.flags || c.candidates != b.candidates || c.prob != b.prob) {
                            if (pdiff++ < 5)
                                printf("portable: V %d kind %d k %d p %g pen %g nh %d: label %d/%d\n", V, kind, p.top_k,
                                       (double)p.top_p, (double)p.repetition_penalty, nh, lc, lb);
                        }
                        if (kind == 1) continue; /* flat: ranks within the FMA's rounding, see the file comment */
                        if (la != lb || a.flags != b.flags || a.candidates != b.candidates) {
                            if (diff++ < 5)
                                printf("V %d kind %d k %d p %g pen %g nh %d: label %d/%d cand %d/%d\n", V, kind,
                                       p.top_k, (double)p.top_p, (double)p.repetition_penalty, nh, la, lb, a.candidates,
                                       b.candidates);
                            continue;
                        }
                        double dp = fabs((double)a.prob - (double)b.prob) / (double)b.prob;
                        worst = dp > worst ? dp : worst;
                    }
                }
            }
        }
    }
    printf("%ld draws: %ld differ from the scalar sampler (portable path: %ld); worst relative probability "
           "difference %.3g\n",
           draws, diff, pdiff, worst);
    CS_CHECK(pdiff == 0, "portable path: %ld of %ld draws differ from the scalar sampler", pdiff, draws);
    CS_CHECK(diff == 0, "%ld of %ld draws differ from the scalar sampler", diff, draws);
    CS_CHECK(worst <= 1e-5, "probability differs by %.3g (relative)", worst);
    free(lg);
    CS_TEST_END();
}
