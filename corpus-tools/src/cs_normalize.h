/*
 * cs_normalize.h - per-descriptor normalisation of the unit descriptor matrix before clustering.
 */
#ifndef CS_NORMALIZE_H
#define CS_NORMALIZE_H

#include <stddef.h>

enum cs_norm_method {
    CS_NORM_ZSCORE = 0, /* (x - mean) / std (population std) */
    CS_NORM_ROBUST = 1  /* (x - median) / (IQR / 1.349): the IQR of a normal distribution is 1.349 sigma */
};

/**
 * Compute the statistics of each column of X (n x d, row-major) and normalise X in place.
 * center[d] and scale[d] receive the statistics (mean/std or median/IQR-scale). A column whose scale is 0
 * (constant) or not finite gets scale 1, so it normalises to 0. Returns 0, CS_E_ARG (n == 0) or CS_E_NOMEM.
 */
int cs_normalize(float *X, size_t n, size_t d, int method, double *center, double *scale);

#endif
