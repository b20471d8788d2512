/* cs_normalize.c - z-score and robust normalisation of descriptor columns. See cs_normalize.h. */
#include "cs_normalize.h"

#include "cs_error.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolated quantile of sorted v (numpy's default method). */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double f = pos - (double)i;
    if (i + 1 >= n) return v[n - 1];
    return v[i] + f * (v[i + 1] - v[i]);
}

int cs_normalize(float *X, size_t n, size_t d, int method, double *center, double *scale)
{
    if (n == 0 || d == 0 || (method != CS_NORM_ZSCORE && method != CS_NORM_ROBUST)) return CS_E_ARG;
    double *col = malloc(n * sizeof *col);
    if (!col) return CS_E_NOMEM;
    for (size_t j = 0; j < d; ++j) {
        for (size_t i = 0; i < n; ++i)
            col[i] = (double)X[i * d + j];
        double c, s;
        if (method == CS_NORM_ZSCORE) {
            double m = 0.0;
            for (size_t i = 0; i < n; ++i)
                m += col[i];
            m /= (double)n;
            double v = 0.0;
            for (size_t i = 0; i < n; ++i)
                v += (col[i] - m) * (col[i] - m);
            c = m;
            s = sqrt(v / (double)n);
        } else {
            qsort(col, n, sizeof *col, cmp_double);
            c = quantile(col, n, 0.5);
            s = (quantile(col, n, 0.75) - quantile(col, n, 0.25)) / 1.349;
        }
        if (!(s > 1e-12) || !isfinite(s)) s = 1.0;
        center[j] = c;
        scale[j] = s;
        for (size_t i = 0; i < n; ++i)
            X[i * d + j] = (float)(((double)X[i * d + j] - c) / s);
    }
    free(col);
    return 0;
}
