/* test_plot.c - PCA of the corpus map against known principal axes; label colours; SVG files. */
#include "cs_plot.h"
#include "cs_rng.h"
#include "cs_test.h"

#include <stdlib.h>
#include <string.h>

/* cs_plot_check_timeline: only a 2-channel file of integer labels and units in range is a timeline. */
static void test_timeline_check(void)
{
    char err[256] = "";
    const float ok[8] = {0, 3, 1, 7, -1, -1, 15, 80};
    CS_CHECK(cs_plot_check_timeline(ok, 4, 2, 16, 81, err, sizeof err) == 0, "a timeline: %s", err);
    CS_CHECK(cs_plot_check_timeline(ok, 2, 4, 16, 81, err, sizeof err) != 0 && strstr(err, "has 4 channels"),
             "4 channels: %s", err);
    const float audio[4] = {0.25f, -0.5f, 0.0f, 0.0f};
    CS_CHECK(cs_plot_check_timeline(audio, 2, 2, 16, 81, err, sizeof err) != 0 && strstr(err, "frame 0: channel 0"),
             "audio: %s", err);
    const float big[4] = {0, 0, 16, 0};
    CS_CHECK(cs_plot_check_timeline(big, 2, 2, 16, 81, err, sizeof err) != 0 && strstr(err, "frame 1: channel 0"),
             "label 16 of 16: %s", err);
    const float unit[4] = {0, 81, 0, 0};
    CS_CHECK(cs_plot_check_timeline(unit, 2, 2, 16, 81, err, sizeof err) != 0 && strstr(err, "channel 1"),
             "unit 81 of 81: %s", err);
    const float any[4] = {-2, -1, 3, 7}; /* SeqPredict's "any" (-2) before its first step, as the demo records it */
    CS_CHECK(cs_plot_check_timeline(any, 2, 2, 16, 81, err, sizeof err) == 0, "label -2 (any): %s", err);
    const float below[2] = {-3, -1};
    CS_CHECK(cs_plot_check_timeline(below, 1, 2, 16, 81, err, sizeof err) != 0, "label -3 refused");
    const float unit2[2] = {0, -2};
    CS_CHECK(cs_plot_check_timeline(unit2, 1, 2, 16, 81, err, sizeof err) != 0, "unit -2 refused");
    const float nan2[2] = {NAN, 0};
    CS_CHECK(cs_plot_check_timeline(nan2, 1, 2, 16, 81, err, sizeof err) != 0, "NaN refused");
}

int main(void)
{
    test_timeline_check();
    /* points spread 10x along (1,1,0)/sqrt2, 3x along (0,0,1), 0.1x along (1,-1,0)/sqrt2 */
    enum { N = 4000, D = 3 };
    float *X = malloc(N * D * sizeof *X);
    double *P = malloc(N * 2 * sizeof *P);
    cs_rng rng;
    cs_rng_seed(&rng, 11);
    for (int i = 0; i < N; ++i) {
        double a = 10.0 * cs_rng_normal(&rng), b = 3.0 * cs_rng_normal(&rng), c = 0.1 * cs_rng_normal(&rng);
        X[i * D + 0] = (float)((a + c) / sqrt(2.0) + 5.0);
        X[i * D + 1] = (float)((a - c) / sqrt(2.0) - 2.0);
        X[i * D + 2] = (float)b;
    }
    double ve[2];
    CS_CHECK(cs_pca2(X, N, D, P, ve) == 0, "pca");
    CS_CHECK_NEAR(ve[0], 100.0 / 109.01, 0.02, "PC1 variance fraction");
    CS_CHECK_NEAR(ve[1], 9.0 / 109.01, 0.01, "PC2 variance fraction");
    /* PC1 is the projection on (1,1,0)/sqrt2 (up to sign, fixed positive), PC2 on the third axis */
    double c1 = 0, c2 = 0, n1 = 0, n2 = 0, p1 = 0, p2 = 0;
    for (int i = 0; i < N; ++i) {
        double a = ((double)X[i * D] - 5.0 + (double)X[i * D + 1] + 2.0) / sqrt(2.0), b = (double)X[i * D + 2];
        c1 += a * P[2 * i];
        c2 += b * P[2 * i + 1];
        n1 += a * a;
        n2 += b * b;
        p1 += P[2 * i] * P[2 * i];
        p2 += P[2 * i + 1] * P[2 * i + 1];
    }
    CS_CHECK(c1 / sqrt(n1 * p1) > 0.999, "PC1 along the first axis: %g", c1 / sqrt(n1 * p1));
    CS_CHECK(fabs(c2 / sqrt(n2 * p2)) > 0.999, "PC2 along the third axis: %g", c2 / sqrt(n2 * p2));
    CS_CHECK(cs_pca2(X, 0, D, P, ve) != 0, "empty refused");
    /* a single descriptor column still gives finite output */
    CS_CHECK(cs_pca2(X, N, 1, P, ve) == 0 && isfinite(P[0]) && P[1] == 0.0, "d = 1");

    char a[8], b[8];
    cs_label_colour(0, 16, a);
    cs_label_colour(1, 16, b);
    CS_CHECK(a[0] == '#' && strlen(a) == 7 && strcmp(a, b) != 0, "distinct colours %s %s", a, b);

    float lab[10] = {-1, 0, 0, 0, 2, 2, 1, 1, 1, -1}, uni[10] = {-1, 5, 5, 6, 9, 9, 3, 3, 3, -1};
    char err[256] = "", path[512];
    snprintf(path, sizeof path, "%s/test_plot_timeline.svg", CS_BINARY_DIR);
    CS_CHECK(cs_plot_timeline(lab, uni, 10, 10.0, 3, path, err, sizeof err) == 0, "timeline: %s", err);
    FILE *f = fopen(path, "r");
    char buf[8192] = "";
    size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[got] = '\0';
    if (f) fclose(f);
    CS_CHECK(strstr(buf, "<svg") && strstr(buf, "<!-- 4 blocks -->"), "4 blocks (units 5, 6, 9, 3)");
    CS_CHECK(cs_plot_timeline(lab, uni, 10, 10.0, 3, "/nonexistent/dir/x.svg", err, sizeof err) != 0, "unwritable");
    free(X);
    free(P);
    CS_TEST_END();
}
