/*
 * cs_cluster_method.h - the clustering methods of `concatseq analyze` as one table: name, parameters with
 * their defaults, option parsing and checks, the run that turns normalised descriptors into labels, and what
 * the manifest records. Adding a method: its algorithm in cs_cluster.c/.h, its parameters in
 * cs_cluster_params below and one entry in cs_cluster_method.c; the CLI's parser and usage, the option checks,
 * the manifest and `info` follow from the table. Offline code.
 */
#ifndef CS_CLUSTER_METHOD_H
#define CS_CLUSTER_METHOD_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** k-means (cs_kmeans). k == 0: chosen from the number of units (cs_kmeans_auto_k). */
typedef struct cs_kmeans_params {
    int k;        /* clusters, 1..4096, or 0 = automatic (default) */
    int restarts; /* seeded restarts (n_init), 1..1000; default 4 */
    int max_iter; /* Lloyd iterations per restart, >= 1; default 300 (scikit-learn's) */
} cs_kmeans_params;

/** DBSCAN (cs_dbscan). */
typedef struct cs_dbscan_params {
    double eps;      /* radius in normalised, weighted descriptor space, > 0; default 3.0 */
    int min_samples; /* points within eps (itself included) that make a core point, >= 1; default 5 */
} cs_dbscan_params;

/** Affinity propagation (cs_affinity_propagation). */
typedef struct cs_ap_params {
    double damping;       /* [0.5, 1); default 0.5 */
    double preference;    /* finite, or NAN = the median similarity (default) */
    int max_iter;         /* >= 1; default 200 (scikit-learn's) */
    int convergence_iter; /* >= 1; default 15 */
} cs_ap_params;

/** The parameters of every method (only the chosen method's are used). */
typedef struct cs_cluster_params {
    cs_kmeans_params kmeans;
    cs_dbscan_params dbscan;
    cs_ap_params ap;
} cs_cluster_params;

/** Fill `p` with every method's defaults (the values listed above). */
void cs_cluster_params_default(cs_cluster_params *p);

/** The k-means K used when none is given: 16, or half the units (at least 1) when there are fewer than 32. */
#define CS_KMEANS_DEFAULT_K 16
int cs_kmeans_auto_k(size_t num_units);

/** What a run produced, beside the n labels. */
typedef struct cs_clustering {
    int num_labels;     /* labels 0..num_labels-1 are used */
    int noise_label;    /* the label of DBSCAN's noise units, or -1 */
    size_t noise_units; /* units with noise_label */
    int k_chosen;       /* k-means: K was chosen from the number of units (k == 0) */
    double inertia;     /* k-means: weighted squared distances to the centres; NAN for other methods */
    int converged;      /* affinity propagation: 1, or 0 = the last iteration's exemplars were used (warned) */
} cs_clustering;

/** One clustering method. Every function is offline code; none keeps state between calls. */
typedef struct cs_cluster_method {
    const char *name; /* --cluster NAME, and the manifest's clustering.method */
    /** Print this method's option lines for the usage text, with the defaults from `d`. */
    void (*usage)(FILE *f, const cs_cluster_params *d);
    /**
     * Take option `opt` with value `val` if it is this method's (returns 1; *bad = 1 if the value does not
     * parse), else return 0. Several methods may take the same option (--max-iter).
     */
    int (*parse)(cs_cluster_params *p, const char *opt, const char *val, int *bad);
    /** 0, or CS_E_ARG with a one-line message naming the option. */
    int (*check)(const cs_cluster_params *p, char *err, size_t errlen);
    /**
     * Label the n x d normalised descriptors X (row-major) with column weights w (d): labels (n ints, caller's)
     * get 0..out->num_labels-1. Returns 0 or a cs_err with a one-line message naming the option to change.
     */
    int (*run)(const float *X, size_t n, size_t d, const float *w, const cs_cluster_params *p, uint64_t seed,
               int threads, int *labels, cs_clustering *out, char *err, size_t errlen);
    /** Add the parameters and results to the manifest's "clustering" object (BUNDLE.md "Manifest"). */
    void (*manifest)(cJSON *cl, const cs_cluster_params *p, const cs_clustering *r);
} cs_cluster_method;

/** The methods, the default (k-means) first. */
extern const cs_cluster_method cs_cluster_methods[];
extern const int cs_num_cluster_methods;

/** Index of the method called `name` in cs_cluster_methods, or -1. */
int cs_cluster_method_find(const char *name);

#endif
