/*
 * cs_cluster.h - clustering normalised unit descriptors into labels.
 * X is (n, d) row-major float; an optional weight per column w (NULL = all 1) scales each column before
 * distances are taken (squared Euclidean distance sum_j w_j (x_j - y_j)^2). Offline code: allocates.
 * Seeded and deterministic; results do not depend on n_threads.
 */
#ifndef CS_CLUSTER_H
#define CS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/**
 * k-means: k-means++ initialisation (Arthur & Vassilvitskii 2007, greedy variant as scikit-learn), n_init
 * seeded restarts, Lloyd iterations until the centroid shift is below tol (relative to the data variance,
 * like scikit-learn) or max_iter. Keeps the restart with least inertia.
 * labels: n ints out (0..k-1); centroids: k*d floats out (in weighted space divided back by sqrt w: i.e.
 * plain descriptor space); inertia: sum of weighted squared distances out.
 * Errors: CS_E_ARG, CS_E_TOO_FEW (k > n), CS_E_NOMEM.
 */
int cs_kmeans(const float *X, size_t n, size_t d, const float *w, int k, int n_init, int max_iter, double tol,
              uint64_t seed, int n_threads, int *labels, float *centroids, double *inertia);

/**
 * DBSCAN (Ester et al. 1996) with scikit-learn's semantics: a point is core when at least min_samples
 * points (itself included) lie within eps; clusters are numbered in order of the lowest-index core point;
 * noise gets -1 here (the CLI maps noise to a label of its own, documented in the bundle spec).
 * n_clusters out. Errors: CS_E_ARG, CS_E_NOMEM.
 */
int cs_dbscan(const float *X, size_t n, size_t d, const float *w, double eps, int min_samples, int n_threads,
              int *labels, int *n_clusters);

/**
 * Affinity propagation (Frey & Dueck 2007) as scikit-learn: similarity -squared distance, preference
 * (NAN = median similarity), damping 0.5..1, max_iter, convergence_iter. labels 0..n_clusters-1 in order
 * of exemplar index; exemplars: n ints out (first n_clusters used). converged out (0/1).
 * Memory O(n^2): CS_E_TOO_LARGE above max_n = 20000 units.
 */
int cs_affinity_propagation(const float *X, size_t n, size_t d, const float *w, double damping, int max_iter,
                            int convergence_iter, double preference, uint64_t seed, int n_threads, int *labels,
                            int *exemplars, int *n_clusters, int *converged);

#endif
