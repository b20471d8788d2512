/*
 * cs_cluster.h - clustering normalised unit descriptors into labels.
 * X is (n, d) row-major float; an optional weight per column w (NULL = all 1) scales each column before
 * distances are taken (squared Euclidean distance sum_j w_j (x_j - y_j)^2). Weights must be finite and >= 0
 * with at least one > 0 (else CS_E_ARG); a zero-weight column is ignored entirely (same labels as without the
 * column). X must be finite (else CS_E_NONFINITE). Offline code: every function allocates, none is
 * real-time safe. Seeded and deterministic: the same inputs and seed give the same bytes, whatever n_threads
 * (n_threads < 1 means 1; at most 64 threads are used; the parallel loops run over fixed blocks and partial
 * sums are reduced in block order). Thread-safe: calls share no state.
 * Reference implementation of all three: scikit-learn 1.2 (sklearn.cluster); parity fixtures are written by
 * tests/scripts/cluster_reference.py and checked by tests/c/test_cluster.c.
 */
#ifndef CS_CLUSTER_H
#define CS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/** Largest n cs_affinity_propagation accepts: it holds three n x n float32 matrices (12 n^2 bytes, 1.2 GB at
 * the limit) and each of its iterations is O(n^2). */
#define CS_AP_MAX_N 10000
/** Bytes of those matrices per n^2 (three of floats), for the CLI's memory figure. */
#define CS_AP_BYTES_PER_N2 12

/**
 * k-means: k-means++ initialisation (Arthur & Vassilvitskii 2007, scikit-learn's greedy variant: 2 + floor(ln k)
 * candidates per centre, the one that lowers the potential most is kept), n_init seeded restarts (restart r
 * draws from its own cs_rng stream seeded from seed and r), Lloyd iterations (Lloyd 1982) accelerated with
 * Hamerly's bounds (Hamerly, SDM 2010: same assignments, fewer distances), as scikit-learn's
 * _kmeans_single_lloyd: stop when no label changed, or when the summed squared centre shift is <= tol times the
 * mean variance of the weighted columns (zero-weight columns left out), or after max_iter; if stopped by tol
 * or max_iter, one more assignment makes the labels match the centres. Keeps the restart with least inertia
 * (the first on ties).
 * Empty clusters (scikit-learn's rule): after an assignment, each empty cluster, in index order, is moved onto
 * the point farthest from its own centre (ties: lowest index), which leaves its old cluster's mean; a cluster
 * emptied that way keeps its previous centre. Points are not relabelled until the next assignment.
 * Centre sums are accumulated in double; distances are float with a double inertia.
 * In:  X (n, d), w (d) or NULL, k in 1..n, n_init >= 1, max_iter >= 1, tol >= 0 (scikit-learn's default 1e-4).
 * Out: labels: n ints (0..k-1); centroids: k*d floats or NULL (plain descriptor space: the weighted-space mean
 *      divided back by sqrt(w_j); for a zero-weight column, the members' plain mean, 0 for an empty cluster);
 *      inertia or NULL: sum over points of the weighted squared distance to the own centre.
 * Errors: CS_E_ARG (NULL X/labels, d == 0, k <= 0, n_init < 1, max_iter < 1, tol < 0 or not finite, bad w),
 *      CS_E_TOO_FEW (k > n), CS_E_NONFINITE, CS_E_TOO_LARGE (n > INT_MAX), CS_E_NOMEM, CS_E_INTERNAL.
 * Cost: O(n_init (n k d log k + iterations x (points re-examined) k d)); memory O(n d + n k / 4096 k d).
 */
int cs_kmeans(const float *X, size_t n, size_t d, const float *w, int k, int n_init, int max_iter, double tol,
              uint64_t seed, int n_threads, int *labels, float *centroids, double *inertia);

/**
 * DBSCAN (Ester, Kriegel, Sander & Xu, KDD 1996) with scikit-learn's semantics exactly: a point is core when at
 * least min_samples points, itself included, lie within eps (inclusive: squared distance <= eps^2, summed in
 * double); clusters are grown from each not yet labelled core point in index order (so cluster 0 contains the
 * lowest-index core point, etc.); a border point (not core, within eps of a core point) belongs to the first
 * cluster that reaches it, i.e. the lowest-numbered cluster among its core neighbours; other points are noise,
 * label -1 (the CLI maps noise to a label of its own, documented in the bundle spec).
 * Neighbour search: exact, by sorting on the column of largest weighted variance and comparing only points
 * within eps on it: O(n^2 d) worst case (all points within eps on that column), far less on spread data;
 * threaded over points. Neighbour lists of core points are kept while they total <= 2^26 entries (256 MB);
 * beyond that they are recomputed during expansion (slower, single-threaded, same result).
 * Out: labels: n ints (-1 or 0..n_clusters-1); n_clusters.
 * Errors: CS_E_ARG (NULL pointers, d == 0, eps <= 0 or not finite, min_samples < 1, bad w), CS_E_EMPTY (n == 0),
 *      CS_E_NONFINITE, CS_E_TOO_LARGE (n > INT_MAX), CS_E_NOMEM, CS_E_INTERNAL.
 */
int cs_dbscan(const float *X, size_t n, size_t d, const float *w, double eps, int min_samples, int n_threads,
              int *labels, int *n_clusters);

/**
 * Affinity propagation (Frey & Dueck, Science 2007) as scikit-learn 1.2's affinity_propagation, with float32
 * matrices (scikit-learn: float64; similarities computed in double and rounded once, column sums accumulated in
 * double; on the scikit-learn fixtures the results are the same; agreement with float64 on real bundles: README.md):
 * similarity S[i][k] = -(weighted squared distance), preference on the diagonal (NAN = the median of S over all
 * n^2 entries, its zero diagonal included, as AffinityPropagation does), damping in [0.5, 1) (sklearn default
 * 0.5), max_iter (200), convergence_iter (15: converged when the exemplar set has not changed for that many
 * iterations and is not empty). As scikit-learn, tiny noise (eps |S| + 100 tiny) N(0,1) is added to S to break
 * ties; ours comes from cs_rng (each row its own stream from seed), not numpy's RandomState, with float32's
 * eps and tiny (about one ulp of a similarity): it changes nothing but exact ties. Degenerate input (n == 1 or all
 * off-diagonal similarities equal) returns at once, as scikit-learn: each point its own exemplar if the preference is
 * >= that similarity, else one cluster around point 0. The final exemplars are refined and the points assigned as
 * scikit-learn does. Out: labels: n ints, 0..n_clusters-1, clusters numbered in order of exemplar index; exemplars: n
 * ints, the first n_clusters are the exemplars' point indices (increasing), the rest -1; n_clusters; converged 0/1. Not
 * converged (converged = 0): like scikit-learn, the exemplars of the last iteration are still refined and returned when
 * there are any (scikit-learn warns "did not converge ... may return degenerate cluster centers"); if there are none,
 * n_clusters = 0 and every label is -1 (scikit-learn's result). Both return 0: the CLI should warn on converged == 0
 * (suggest a larger damping or max_iter), and refuse to write labels when n_clusters == 0. Memory: 12 n^2 bytes (+ 8
 * n^2 / 64 of per-block column sums); time O(n^2) per iteration, one pass over the rows threaded in fixed blocks
 * (results identical for any n_threads). Errors: CS_E_ARG (NULL pointers, d == 0, damping outside [0.5, 1), max_iter <
 * 1, convergence_iter < 1, infinite preference, bad w), CS_E_EMPTY (n == 0), CS_E_TOO_LARGE (n > CS_AP_MAX_N),
 * CS_E_NONFINITE, CS_E_NOMEM, CS_E_INTERNAL.
 */
int cs_affinity_propagation(const float *X, size_t n, size_t d, const float *w, double damping, int max_iter,
                            int convergence_iter, double preference, uint64_t seed, int n_threads, int *labels,
                            int *exemplars, int *n_clusters, int *converged);

#endif
