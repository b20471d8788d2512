/*
 * test_sample_pack.c - cs_sample's register path for top-k (cs_sample.c: the radix-4 search on the weights' bits,
 * the left-pack of the labels above the threshold by a 256-entry permutation table, the ranking by counting in
 * registers) on every lane pattern: for each block of 8 labels and each of the 255 non-empty subsets of its lanes,
 * the subset is made the top of the distribution (some of its members tied in pairs, so the lower index must rank
 * first) and drawn from with top-k = its size (the draw must stay inside it) and with top-k = its size + 1 (one more
 * label from the rest: the boundary inside a tie group of the rest). Same seed -> the same label and candidate count
 * as the scalar sampler of cs_sample_ref.h, the probability within 1e-5; at 64 labels (the register search), 61
 * (a padded tail block) and 200 (the bisection through memory, then the same packing and ranking).
 */
#include "cs_sample.h"
#include "cs_sample_ref.h"
#include "cs_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned char sa[4096 * 17 + 64], sb[4096 * 17 + 64];

int main(void)
{
    static const int sizes[] = {64, 61, 200};
    float lg[256];
    cs_rng g;
    cs_rng_seed(&g, 2026);
    long draws = 0, diff = 0, outside = 0;
    double worst = 0.0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int V = sizes[si];
        for (int blk = 0; 8 * blk < V; blk++) {
            for (unsigned m = 1; m < 256; m++) {
                int in[256] = {0}, size = 0;
                for (int i = 0; i < V; i++) /* the rest: below the subset, in tie pairs */
                    lg[i] = -2.0f + 0.25f * (float)((i / 2) % 7);
                for (int j = 0; j < 8; j++) {
                    const int i = 8 * blk + j;
                    if (!(m >> j & 1u) || i >= V) continue;
                    lg[i] = 3.0f + 0.5f * (float)(size / 2); /* pairs of equal logits inside the subset */
                    in[i] = 1;
                    size++;
                }
                if (!size) continue;
                for (int extra = 0; extra < 2; extra++) {
                    cs_sample_params p;
                    cs_sample_params_default(&p);
                    p.top_k = size + extra;
                    p.temperature = 0.8f;
                    const uint64_t seed = cs_rng_next(&g);
                    cs_rng ra, rb;
                    cs_rng_seed(&ra, seed);
                    cs_rng_seed(&rb, seed);
                    for (int d = 0; d < 12; d++) {
                        cs_sample_result a, b;
                        const int la = cs_sample(lg, V, &p, NULL, 0, NULL, &ra, sa, sizeof sa, &a);
                        const int lb = cs_sample_ref(lg, V, &p, NULL, 0, NULL, &rb, sb, sizeof sb, &b);
                        draws++;
                        if (!extra && (la < 0 || !in[la])) outside++;
                        if (la != lb || a.candidates != b.candidates) {
                            if (diff++ < 5)
                                printf("V %d block %d lanes 0x%02x k %d: label %d/%d candidates %d/%d\n", V, blk, m,
                                       p.top_k, la, lb, a.candidates, b.candidates);
                            continue;
                        }
                        const double dp = fabs((double)a.prob - (double)b.prob) / (double)b.prob;
                        worst = dp > worst ? dp : worst;
                    }
                }
            }
        }
    }
    printf("%ld draws: %ld differ from the scalar sampler, %ld outside the top k; worst relative probability "
           "difference %.3g\n",
           draws, diff, outside, worst);
    CS_CHECK(draws > 50000, "only %ld draws", draws);
    CS_CHECK(diff == 0, "%ld of %ld draws differ from the scalar sampler", diff, draws);
    CS_CHECK(outside == 0, "%ld draws outside the top k", outside);
    CS_CHECK(worst <= 1e-5, "probability differs by %.3g (relative)", worst);
    CS_TEST_END();
}
