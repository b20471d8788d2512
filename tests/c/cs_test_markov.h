/*
 * cs_test_markov.h - a random second-order Markov source of V <= 6 labels for the n-gram tests (test_ngram.c,
 * test_seqpredict_ngram.c): transition rows exp(4 u) normalised (u uniform from cs_rng seeded with `seed`), into
 * p; the sequence starts 0, 1. Include in one test file (static).
 */
#ifndef CS_TEST_MARKOV_H
#define CS_TEST_MARKOV_H

#include "cs_rng.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static void markov2(int V, int *seq, size_t n, uint64_t seed, double p[6][6][6])
{
    cs_rng rng;
    cs_rng_seed(&rng, seed);
    for (int a = 0; a < V; a++)
        for (int b = 0; b < V; b++) {
            double s = 0.0;
            for (int c = 0; c < V; c++)
                s += p[a][b][c] = exp(4.0 * cs_rng_uniform_double(&rng));
            for (int c = 0; c < V; c++)
                p[a][b][c] /= s;
        }
    seq[0] = 0;
    seq[1] = 1;
    for (size_t i = 2; i < n; i++) {
        const double u = cs_rng_uniform_double(&rng);
        double c = 0.0;
        int k = V - 1;
        for (int v = 0; v < V; v++) {
            c += p[seq[i - 2]][seq[i - 1]][v];
            if (u < c) {
                k = v;
                break;
            }
        }
        seq[i] = k;
    }
}

#endif
