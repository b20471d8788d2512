/*
 * test_sample_same.c - the vectorised cs_sample against the scalar sampler it replaced (cs_sample_ref.h): same
 * seed -> same labels, flags and candidate counts, and the reported probability and entropy within float
 * rounding, over random logits (with NaN, -inf, +inf and huge values), masks (none, random, all zero),
 * histories, temperatures (argmax and tiny included), top-k and top-p, at vocabularies 1..4096 including sizes
 * that are not a multiple of the 8-lane blocks, with unaligned scratch. Also the sampler stays inside its
 * scratch (guard bytes after it) and consumes exactly one uniform per call. Both paths: the library's (AVX2 when
 * the CPU has it) and the portable one (cs_sample.c built here again with CS_SAMPLE_SIMD 0).
 */
#include "cs_sample.h"
#include "cs_sample_portable.h" /* cs_sample_portable: the portable path, beside the library's */
#include "cs_sample_ref.h"
#include "cs_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GUARD 64

static unsigned char scratch_a[4096 * 17 + 64 + 3 + GUARD], scratch_b[4096 * 17 + 64 + 3];

static float random_logit(cs_rng *g, int kind)
{
    float x = 6.0f * cs_rng_uniform(g) - 3.0f;
    switch (kind) {
    case 1: /* with specials */ {
        uint32_t r = cs_rng_below(g, 40);
        if (r == 0) return NAN;
        if (r == 1) return -INFINITY;
        if (r == 2) return INFINITY;
        if (r == 3) return 2e30f;
        if (r == 4) return -2e30f;
        return x;
    }
    case 2: /* peaked */
        return 20.0f * x;
    case 3: /* ties */
        return (float)cs_rng_below(g, 3);
    default:
        return x;
    }
}

int main(void)
{
    static const int sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 255, 256, 257, 1000, 4096};
    static const float temps[] = {1.0f, 0.7f, 2.0f, 0.0f, 1e-30f, 50.0f};
    static const float tops[] = {1.0f, 0.9f, 0.5f, 0.0f, 0.999f};
    static const float pens[] = {1.0f, 1.2f, 0.8f};
    float *lg = malloc(4096 * sizeof(float));
    unsigned char *mask = malloc(4096);
    int hist[32];
    cs_rng g;
    cs_rng_seed(&g, 12);
    long cases = 0, label_diff = 0, portable_diff = 0;
    double worst_prob = 0.0, worst_h = 0.0, worst_portable = 0.0;
    for (int rep = 0; rep < 40; rep++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int V = sizes[si];
            const int kind = (int)cs_rng_below(&g, 4), mkind = (int)cs_rng_below(&g, 4);
            for (int i = 0; i < V; i++) {
                lg[i] = random_logit(&g, kind);
                mask[i] = mkind == 1 ? (unsigned char)(cs_rng_below(&g, 3) != 0) : (unsigned char)(mkind != 2);
            }
            const int nh = (int)cs_rng_below(&g, 33);
            for (int j = 0; j < nh; j++)
                hist[j] = (int)cs_rng_below(&g, (uint32_t)V + 2) - 1; /* some outside 0..V-1 */
            cs_sample_params p;
            cs_sample_params_default(&p);
            p.temperature = temps[cs_rng_below(&g, 6)];
            uint32_t kk = cs_rng_below(&g, 5);
            p.top_k = kk == 0 ? 0 : kk == 1 ? 1 : kk == 2 ? 16 : kk == 3 ? V - 1 : V + 3;
            p.top_p = tops[cs_rng_below(&g, 5)];
            p.repetition_penalty = pens[cs_rng_below(&g, 3)];
            const unsigned char *mk = mkind == 0 ? NULL : mask;
            cs_rng ra, rb;
            uint64_t seed = cs_rng_next(&g);
            cs_rng_seed(&ra, seed);
            cs_rng_seed(&rb, seed);
            memset(scratch_a + 3 + cs_sample_scratch_size(V), 0xA5, GUARD);
            for (int d = 0; d < 50; d++) {
                cs_sample_result a, b;
                cs_rng rc = ra;
                cs_sample_result c;
                int lc = cs_sample_portable(lg, V, &p, hist, nh, mk, &rc, scratch_a + 3, cs_sample_scratch_size(V), &c);
                int la = cs_sample(lg, V, &p, hist, nh, mk, &ra, scratch_a + 3, cs_sample_scratch_size(V), &a);
                int lb = cs_sample_ref(lg, V, &p, hist, nh, mk, &rb, scratch_b + 3, cs_sample_scratch_size(V), &b);
                cases++;
                if (lc != lb || c.flags != b.flags || c.candidates != b.candidates) portable_diff++;
                double dpc = fabs((double)c.prob - (double)b.prob) / (double)b.prob;
                worst_portable = dpc > worst_portable ? dpc : worst_portable;
                if (la != lb || a.flags != b.flags || a.candidates != b.candidates) {
                    if (label_diff++ < 5)
                        printf("V %d T %g k %d p %g pen %g mask %d kind %d: label %d/%d flags %d/%d cand %d/%d\n", V,
                               (double)p.temperature, p.top_k, (double)p.top_p, (double)p.repetition_penalty, mkind,
                               kind, la, lb, a.flags, b.flags, a.candidates, b.candidates);
                    continue;
                }
                double dp = fabs((double)a.prob - (double)b.prob) / (double)b.prob;
                double dh = fabs((double)a.entropy_bits - (double)b.entropy_bits);
                worst_prob = dp > worst_prob ? dp : worst_prob;
                worst_h = dh > worst_h ? dh : worst_h;
            }
            CS_CHECK(cs_rng_next(&ra) == cs_rng_next(&rb), "V %d: the random streams diverged", V);
            int guard_ok = 1;
            for (int q = 0; q < GUARD; q++)
                guard_ok &= scratch_a[3 + cs_sample_scratch_size(V) + (size_t)q] == 0xA5;
            CS_CHECK(guard_ok, "V %d: cs_sample wrote past its scratch", V);
        }
    }
    printf("%ld draws: %ld differ in label/flags/candidates; worst relative prob difference %.3g, entropy %.3g bits\n",
           cases, label_diff, worst_prob, worst_h);
    printf("portable path: %ld differ, worst relative prob difference %.3g\n", portable_diff, worst_portable);
    CS_CHECK(portable_diff == 0, "portable path: %ld of %ld draws differ from the scalar sampler", portable_diff,
             cases);
    CS_CHECK(worst_portable <= 1e-6, "portable path: probability differs by %.3g (relative)", worst_portable);
    CS_CHECK(label_diff == 0, "%ld of %ld draws differ from the scalar sampler", label_diff, cases);
    CS_CHECK(worst_prob <= 1e-5, "probability differs by %.3g (relative)", worst_prob);
    CS_CHECK(worst_h <= 1e-4, "entropy differs by %.3g bits", worst_h);
    free(lg);
    free(mask);
    CS_TEST_END();
}
