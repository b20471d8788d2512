/*
 * cs_plot.h - pictures of a corpus and of a render, written as standalone SVG by our own code:
 *   - the corpus map: every unit as a point at its first two principal components (PCA of the normalised
 *     descriptors), coloured by label;
 *   - the label timeline of a render: which label (and unit) played when.
 * Offline code (allocates, writes files).
 */
#ifndef CS_PLOT_H
#define CS_PLOT_H

#include "cs_bundle.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/**
 * The first two principal components of X (n x d, row-major): the data are centred, the covariance (d x d,
 * double) is diagonalised with cyclic Jacobi rotations (Golub & Van Loan, "Matrix Computations", 8.5), and
 * each row is projected on the two eigenvectors of largest eigenvalue (sign fixed so that the largest
 * |component| of each eigenvector is positive, for determinism). out: n x 2. var_explained[2] out (fraction of
 * the total variance per component; 0 when the total is 0). Returns 0, CS_E_ARG (n == 0, d == 0) or
 * CS_E_NOMEM.
 */
int cs_pca2(const float *X, size_t n, size_t d, double *out, double var_explained[2]);

/** Colour of label l of k as "#rrggbb" (an evenly spaced hue wheel, alternating lightness), in buf[8]. */
void cs_label_colour(int l, int k, char buf[8]);

/** Write the corpus map of bundle b to an SVG file. Returns 0 or a cs_err (message in err). */
int cs_plot_corpus(const cs_bundle *b, const char *path, char *err, size_t errlen);

/**
 * Write the label timeline of a render to an SVG file. labels/units: n values sampled at `rate` Hz (a render's
 * label and unit channels; -1 = nothing playing); a new block starts whenever the unit changes. Returns 0 or a
 * cs_err.
 */
int cs_plot_timeline(const float *labels, const float *units, size_t n, double rate, int num_labels, const char *path,
                     char *err, size_t errlen);

/**
 * Check that `frames` x `channels` interleaved floats are a render's label timeline for a corpus of
 * num_labels labels and num_units units: exactly 2 channels (label, unit), and every value an integer: a label
 * -2 ("any", SeqPredict before its first step), -1 (none) or 0..num_labels-1 (cs_label.h), a unit -1 (nothing
 * playing) or 0..num_units-1. Returns 0, or CS_E_FORMAT with a
 * one-line message naming the first bad frame (an audio recording, say, is refused before any SVG is written).
 */
int cs_plot_check_timeline(const float *data, size_t frames, int channels, uint32_t num_labels, uint32_t num_units,
                           char *err, size_t errlen);

/** Print the usage of `concatseq plot` to f. */
void cs_usage_plot(FILE *f);

/** Run `concatseq plot` with argv[0] = "plot"; returns the exit status (one error line on failure). */
int cs_cmd_plot(int argc, char **argv);

#endif
