/*
 * test_ngram.c - n-gram baselines: every distribution sums to 1 with all probabilities > 0; KN of order 3
 * equals an independent dense re-implementation of the Chen & Goodman formulas; ML unigram / bigram on the
 * training data equal the empirical (conditional) entropies; KN on a second-order Markov source approaches
 * the source's entropy; k selection and the report are consistent.
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_ngram.h"
#include "cs_ngram_table.h"
#include "cs_rng.h"
#include "cs_test.h"
#include "cs_test_markov.h"
#include "cs_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The two-way split of the earlier tests: the last 10 % of each source validates, no test part. */
static const cs_split S2 = {0.1, 0.0};

static size_t n_train_of(size_t len, cs_split s)
{
    return cs_split_count(len, s, CS_PART_TRAIN);
}

static void test_sums(void)
{
    enum { V = 7 };
    static int a[600], b[35], c[3];
    cs_rng rng;
    cs_rng_seed(&rng, 3);
    for (int i = 0; i < 600; i++)
        a[i] = (int)cs_rng_below(&rng, 5); /* labels 5, 6 never occur */
    for (int i = 0; i < 35; i++)
        b[i] = (int)cs_rng_below(&rng, V);
    c[0] = 6;
    c[1] = 0;
    c[2] = 1;
    const int *seqs[3] = {a, b, c};
    const size_t lens[3] = {600, 35, 3};
    struct {
        cs_ngram_kind kind;
        int order;
        double param;
    } cases[] = {{CS_NGRAM_ADDK, 1, 0.1}, {CS_NGRAM_ADDK, 2, 0.01}, {CS_NGRAM_KN, 2, 0.0},  {CS_NGRAM_KN, 3, 0.0},
                 {CS_NGRAM_KN, 4, 0.0},   {CS_NGRAM_KN, 5, 0.0},    {CS_NGRAM_KN, 3, 0.75}, {CS_NGRAM_KN, 12, 0.0},
                 {CS_NGRAM_MKN, 2, 0.0},  {CS_NGRAM_MKN, 3, 0.0},   {CS_NGRAM_MKN, 7, 0.0}, {CS_NGRAM_MKN, 12, 0.0}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int err = -1;
        cs_ngram *m = cs_ngram_train(seqs, lens, 3, V, S2, cases[ci].kind, cases[ci].order, cases[ci].param, &err);
        CS_CHECK(m && err == 0, "train case %zu", ci);
        if (!m) continue;
        double worst = 0.0, pmin = 1.0;
        int hist[16];
        for (int trial = 0; trial < 300; trial++) {
            /* histories: seen ones (from a), random ones (mostly unseen), short ones (BOS padding) */
            size_t hl = trial % 14;
            if (trial < 100) {
                const size_t pos = 20 + cs_rng_below(&rng, 570);
                for (size_t j = 0; j < hl; j++)
                    hist[j] = a[pos - hl + j];
            } else {
                for (size_t j = 0; j < hl; j++)
                    hist[j] = (int)cs_rng_below(&rng, V);
            }
            double s = 0.0;
            for (int w = 0; w < V; w++) {
                const double p = cs_ngram_prob(m, hist, hl, w);
                pmin = fmin(pmin, p);
                s += p;
            }
            worst = fmax(worst, fabs(s - 1.0));
        }
        printf("case %zu (kind %d order %d): max |sum - 1| %.3g, min p %.3g\n", ci, (int)cases[ci].kind,
               cases[ci].order, worst, pmin);
        CS_CHECK(worst < 1e-12, "case %zu: distribution sums off by %.3g", ci, worst);
        CS_CHECK(pmin > 0.0, "case %zu: a probability is %.3g", ci, pmin);
        CS_CHECK(cs_ngram_prob(m, hist, 1, V) < 0.0 && cs_ngram_prob(m, hist, 1, -1) < 0.0, "bad label rejected");
        cs_ngram_free(m);
    }
}

/* Dense, independent interpolated-KN of order 3 (Chen & Goodman 1998), BOS = V. */
static void test_kn_reference(void)
{
    enum { V = 3, N = 250 };
    static int s1[N], s2[40];
    cs_rng rng;
    cs_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++)
        s1[i] = (int)(cs_rng_below(&rng, 7) % V);
    for (int i = 0; i < 40; i++)
        s2[i] = (int)cs_rng_below(&rng, V);
    const int *seqs[2] = {s1, s2};
    const size_t lens[2] = {N, 40};
    double c3[V + 1][V + 1][V] = {{{0}}}, c2[V + 1][V] = {{0}}, c1[V] = {0};
    for (int s = 0; s < 2; s++) {
        const size_t ntr = n_train_of(lens[s], S2);
        for (size_t i = 0; i < ntr; i++) {
            const int x = i >= 2 ? seqs[s][i - 2] : V, y = i >= 1 ? seqs[s][i - 1] : V;
            c3[x][y][seqs[s][i]] += 1.0;
        }
    }
    for (int y = 0; y <= V; y++)
        for (int w = 0; w < V; w++)
            for (int x = 0; x <= V; x++)
                c2[y][w] += c3[x][y][w] > 0.0;
    for (int w = 0; w < V; w++)
        for (int y = 0; y <= V; y++)
            c1[w] += c2[y][w] > 0.0;
    double n1[4] = {0}, n2[4] = {0}, D[4];
    for (int x = 0; x <= V; x++)
        for (int y = 0; y <= V; y++)
            for (int w = 0; w < V; w++) {
                n1[3] += c3[x][y][w] == 1.0;
                n2[3] += c3[x][y][w] == 2.0;
                if (x == 0) {
                    n1[2] += c2[y][w] == 1.0;
                    n2[2] += c2[y][w] == 2.0;
                    if (y == 0) {
                        n1[1] += c1[w] == 1.0;
                        n2[1] += c1[w] == 2.0;
                    }
                }
            }
    for (int k = 1; k <= 3; k++) {
        D[k] = n1[k] > 0 && n2[k] > 0 ? n1[k] / (n1[k] + 2 * n2[k]) : 0.75;
        D[k] = fmin(0.95, fmax(0.05, D[k]));
    }
    int err;
    cs_ngram *m = cs_ngram_train(seqs, lens, 2, V, S2, CS_NGRAM_KN, 3, 0.0, &err);
    CS_CHECK(m != NULL, "train");
    if (!m) return;
    for (int k = 1; k <= 3; k++)
        CS_CHECK_NEAR(cs_ngram_discount(m, k), D[k], 1e-15, "discount");
    double worst = 0.0;
    for (int x = 0; x <= V; x++)
        for (int y = 0; y <= V; y++) {
            if (x < V && y == V) continue; /* BOS only pads the start */
            double t1 = 0, t2 = 0, t3 = 0, u1 = 0, u2 = 0, u3 = 0;
            for (int w = 0; w < V; w++) {
                t1 += c1[w];
                u1 += c1[w] > 0;
                t2 += c2[y][w];
                u2 += c2[y][w] > 0;
                t3 += c3[x][y][w];
                u3 += c3[x][y][w] > 0;
            }
            for (int w = 0; w < V; w++) {
                double p = fmax(c1[w] - D[1], 0) / t1 + D[1] * u1 / t1 / V;
                if (t2 > 0) p = fmax(c2[y][w] - D[2], 0) / t2 + D[2] * u2 / t2 * p;
                if (t3 > 0) p = fmax(c3[x][y][w] - D[3], 0) / t3 + D[3] * u3 / t3 * p;
                int hist[2] = {x, y};
                const size_t hl = x == V ? (y == V ? 0 : 1) : 2;
                const double q = cs_ngram_prob(m, hl == 1 ? hist + 1 : hist, hl, w);
                worst = fmax(worst, fabs(p - q));
            }
        }
    printf("KN order 3 vs dense reference: max |diff| %.3g\n", worst);
    CS_CHECK(worst < 1e-14, "KN differs from the dense reference by %.3g", worst);
    cs_ngram_free(m);
}

static void test_ml_entropies(void)
{
    enum { V = 5, N = 3000 };
    static int s[N], t[500];
    double p[6][6][6];
    markov2(V, s, N, 21, p);
    markov2(V, t, 500, 22, p);
    const int *seqs[2] = {s, t};
    const size_t lens[2] = {N, 500};
    /* empirical entropies of the training parts, computed directly */
    double cu[V] = {0}, cb[V + 1][V] = {{0}}, tot = 0;
    for (int q = 0; q < 2; q++) {
        const size_t ntr = n_train_of(lens[q], S2);
        for (size_t i = 0; i < ntr; i++) {
            cu[seqs[q][i]] += 1;
            cb[i ? seqs[q][i - 1] : V][seqs[q][i]] += 1;
            tot += 1;
        }
    }
    double hu = 0, hb = 0;
    for (int w = 0; w < V; w++)
        if (cu[w] > 0) hu -= cu[w] / tot * log2(cu[w] / tot);
    for (int v = 0; v <= V; v++) {
        double r = 0;
        for (int w = 0; w < V; w++)
            r += cb[v][w];
        for (int w = 0; w < V; w++)
            if (cb[v][w] > 0) hb -= cb[v][w] / tot * log2(cb[v][w] / r);
    }
    int err;
    double bits;
    cs_ngram *m = cs_ngram_train(seqs, lens, 2, V, S2, CS_NGRAM_ADDK, 1, 0.0, &err);
    CS_CHECK(m && cs_ngram_eval(m, seqs, lens, 2, S2, CS_PART_TRAIN, &bits, NULL, NULL) == 0, "unigram");
    printf("ML unigram on training data %.9f, empirical entropy %.9f\n", bits, hu);
    CS_CHECK_NEAR(bits, hu, 1e-12, "unigram = empirical entropy");
    cs_ngram_free(m);
    m = cs_ngram_train(seqs, lens, 2, V, S2, CS_NGRAM_ADDK, 2, 0.0, &err);
    CS_CHECK(m && cs_ngram_eval(m, seqs, lens, 2, S2, CS_PART_TRAIN, &bits, NULL, NULL) == 0, "bigram");
    printf("ML bigram on training data %.9f, empirical conditional entropy %.9f\n", bits, hb);
    CS_CHECK_NEAR(bits, hb, 1e-12, "bigram = empirical conditional entropy");
    cs_ngram_free(m);
}

static void test_kn_markov(void)
{
    enum { V = 4, N = 60000 };
    static int s[N];
    double p[6][6][6];
    markov2(V, s, N, 31, p);
    const int *seqs[1] = {s};
    const size_t lens[1] = {N};
    const cs_split S3 = {0.1, 0.1};
    size_t t0, t1;
    cs_split_part(N, S3, CS_PART_TEST, &t0, &t1);
    double oracle = 0;
    for (size_t i = t0; i < t1; i++)
        oracle -= log2(p[s[i - 2]][s[i - 1]][s[i]]);
    oracle /= (double)(t1 - t0);
    cs_ngram_report rep;
    CS_CHECK(cs_ngram_baselines(seqs, lens, 1, V, S3, 6, &rep) == 0, "baselines");
    const cs_ngram_choice *b = rep.base;
    printf("markov2 V=4: oracle %.4f; test: unigram %.4f (k %g), bigram %.4f (k %g), KN %.4f (order %d), MKN %.4f "
           "(order %d); validation KN2..4 %.4f %.4f %.4f, MKN2..4 %.4f %.4f %.4f\n",
           oracle, b[CS_NG_UNIGRAM].test_bits, b[CS_NG_UNIGRAM].param, b[CS_NG_BIGRAM].test_bits, b[CS_NG_BIGRAM].param,
           b[CS_NG_KN].test_bits, b[CS_NG_KN].order, b[CS_NG_MKN].test_bits, b[CS_NG_MKN].order, rep.kn_val[2],
           rep.kn_val[3], rep.kn_val[4], rep.mkn_val[2], rep.mkn_val[3], rep.mkn_val[4]);
    CS_CHECK(fabs(b[CS_NG_KN].test_bits - oracle) < 0.02, "KN %.4f vs oracle %.4f", b[CS_NG_KN].test_bits, oracle);
    CS_CHECK(fabs(b[CS_NG_MKN].test_bits - oracle) < 0.02, "MKN %.4f vs oracle %.4f", b[CS_NG_MKN].test_bits, oracle);
    CS_CHECK(b[CS_NG_KN].order >= 3 && b[CS_NG_MKN].order >= 3, "orders %d %d", b[CS_NG_KN].order, b[CS_NG_MKN].order);
    CS_CHECK(rep.kn_val[2] > rep.kn_val[3] + 0.05 && b[CS_NG_UNIGRAM].val_bits > b[CS_NG_BIGRAM].val_bits,
             "lower orders are worse");
    CS_CHECK(rep.n_train == t0 - (t1 - t0) && rep.n_val == t1 - t0 && rep.n_test == t1 - t0, "split");
    /* the chosen order is the validation minimum, and the reported test bits are that model's */
    for (int n = 2; n <= 6; n++)
        CS_CHECK(rep.mkn_val[n] >= b[CS_NG_MKN].val_bits, "MKN order %d better on validation than the chosen", n);
    int err;
    double bits, b2;
    cs_ngram *m = cs_ngram_train(seqs, lens, 1, V, S3, CS_NGRAM_MKN, b[CS_NG_MKN].order, 0.0, &err);
    cs_ngram_eval(m, seqs, lens, 1, S3, CS_PART_TEST, &b2, NULL, NULL);
    CS_CHECK(b2 == b[CS_NG_MKN].test_bits, "MKN test bits %.9g vs %.9g", b2, b[CS_NG_MKN].test_bits);
    double sum = 0;
    for (size_t i = 0; i < rep.n_test; i++)
        sum += b[CS_NG_MKN].test_losses[i];
    CS_CHECK_NEAR(sum / (double)rep.n_test, b2, 1e-12, "test losses average to the test bits");
    cs_ngram_free(m);
    /* choose_k agrees with a direct evaluation at the chosen k */
    double k;
    CS_CHECK(cs_ngram_choose_k(seqs, lens, 1, V, S3, 2, &k, &bits) == 0, "choose_k");
    m = cs_ngram_train(seqs, lens, 1, V, S3, CS_NGRAM_ADDK, 2, k, &err);
    cs_ngram_eval(m, seqs, lens, 1, S3, CS_PART_VAL, &b2, NULL, NULL);
    CS_CHECK(bits == b2 && bits == b[CS_NG_BIGRAM].val_bits, "choose_k bits %.9g vs %.9g", bits, b2);
    cs_ngram_free(m);
    cs_ngram_report_free(&rep);
    /* errors */
    int bad[3] = {0, 4, 1};
    const int *bs[1] = {bad};
    const size_t bl[1] = {3};
    CS_CHECK(cs_ngram_train(bs, bl, 1, 4, S3, CS_NGRAM_KN, 3, 0.0, &err) == NULL && err != 0, "label range");
    CS_CHECK(cs_ngram_train(seqs, lens, 1, V, S3, CS_NGRAM_KN, CS_NGRAM_MAX_ORDER + 1, 0.0, &err) == NULL,
             "order above the maximum rejected");
    CS_CHECK(cs_ngram_train(seqs, lens, 1, V, (cs_split){0.5, 0.45}, CS_NGRAM_MKN, 3, 0.0, &err) == NULL,
             "split leaving < 10 %% training rejected");
}

/* One corpus of the fixture file: its sequences and split. */
typedef struct fx_corpus {
    char name[32];
    int V, n_seqs;
    cs_split split;
    int *seq[4];
    size_t len[4];
} fx_corpus;

static void fx_free(fx_corpus *c)
{
    for (int i = 0; i < c->n_seqs; i++)
        free(c->seq[i]);
    c->n_seqs = 0;
}

/* Read the next whitespace-separated integer from *p (advanced); -1 when there is none. */
static long next_long(char **p)
{
    char *end;
    const long v = strtol(*p, &end, 10);
    if (end == *p) return -1;
    *p = end;
    return v;
}

/* KN and modified KN against tests/scripts/ngram_reference.py (an independent Python implementation written
 * from Chen & Goodman 1998, committed as tests/fixtures/ngram_ref.txt): discounts, probabilities for real and
 * unseen histories of every length, validation and test bits. */
static void test_reference_fixture(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ngram_ref.txt", CS_FIXTURE_DIR);
    FILE *f = fopen(path, "r");
    CS_CHECK(f != NULL, "cannot open %s", path);
    if (!f) return;
    static char line[1 << 16];
    fx_corpus c = {0};
    cs_ngram *m = NULL;
    int models = 0, order = 0;
    long probs = 0;
    double worst_p = 0.0, worst_d = 0.0, worst_b = 0.0;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        if (!strncmp(line, "corpus ", 7)) {
            fx_free(&c);
            CS_CHECK(sscanf(line, "corpus %31s %d %d %lf %lf", c.name, &c.V, &c.n_seqs, &c.split.val, &c.split.test) ==
                             5 &&
                         c.n_seqs >= 1 && c.n_seqs <= 4,
                     "corpus line");
            const int n = c.n_seqs;
            c.n_seqs = 0;
            for (int i = 0; i < n && fgets(line, sizeof line, f); i++) {
                p = line + 4;
                const long len = next_long(&p);
                c.seq[i] = len > 0 ? malloc((size_t)len * sizeof(int)) : NULL;
                CS_CHECK(c.seq[i] != NULL, "%s: sequence %d", c.name, i);
                if (!c.seq[i]) break;
                for (long j = 0; j < len; j++)
                    c.seq[i][j] = (int)next_long(&p);
                c.len[i] = (size_t)len;
                c.n_seqs = i + 1;
            }
        } else if (!strncmp(line, "model ", 6)) {
            char kind[8];
            CS_CHECK(sscanf(line, "model %7s %d", kind, &order) == 2, "model line");
            int err;
            cs_ngram_free(m);
            m = cs_ngram_train((const int *const *)c.seq, c.len, c.n_seqs, c.V, c.split,
                               !strcmp(kind, "mkn") ? CS_NGRAM_MKN : CS_NGRAM_KN, order, 0.0, &err);
            CS_CHECK(m != NULL, "%s: train %s %d", c.name, kind, order);
            models++;
        } else if (!strncmp(line, "disc ", 5) && m) {
            int k;
            double d[3] = {0, 0, 0}, got[3] = {0, 0, 0};
            const int nd = sscanf(line, "disc %d %lf %lf %lf", &k, &d[0], &d[1], &d[2]) - 1;
            if (nd == 1)
                got[0] = cs_ngram_discount(m, k);
            else
                cs_ngram_mkn_discounts(m, k, got);
            for (int j = 0; j < nd; j++)
                worst_d = fmax(worst_d, fabs(got[j] - d[j]));
        } else if (!strncmp(line, "prob ", 5) && m) {
            p = line + 5;
            const int w = (int)next_long(&p);
            const double want = strtod(p, &p);
            const long hl = next_long(&p);
            int hist[CS_NGRAM_MAX_ORDER + 1];
            for (long j = 0; j < hl; j++)
                hist[j] = (int)next_long(&p);
            const double got = cs_ngram_prob(m, hist, (size_t)hl, w);
            worst_p = fmax(worst_p, fabs(got - want) / want);
            probs++;
        } else if (!strncmp(line, "bits ", 5) && m) {
            char part[8];
            double want, got = NAN;
            CS_CHECK(sscanf(line, "bits %7s %lf", part, &want) == 2, "bits line");
            cs_ngram_eval(m, (const int *const *)c.seq, c.len, c.n_seqs, c.split,
                          !strcmp(part, "val") ? CS_PART_VAL : CS_PART_TEST, &got, NULL, NULL);
            worst_b = fmax(worst_b, fabs(got - want));
        }
    }
    fclose(f);
    cs_ngram_free(m);
    fx_free(&c);
    printf("reference fixture: %d models, %ld probabilities: max rel |dp| %.3g, max |dD| %.3g, max |dbits| %.3g\n",
           models, probs, worst_p, worst_d, worst_b);
    CS_CHECK(models >= 24 && probs > 5000, "fixture too small (%d models, %ld probabilities)", models, probs);
    CS_CHECK(worst_p < 1e-12 && worst_d < 1e-12 && worst_b < 1e-12, "KN / MKN differ from the reference");
}

/* The split never leaks: changing labels of the test part changes no count, no choice made on validation and
 * no validation figure of any baseline (only the test figures may move). */
static void test_no_leak(void)
{
    enum { V = 6, N = 700, M = 300 };
    static int a[N], b[M], a2[N], b2[M];
    double p[6][6][6];
    markov2(V, a, N, 41, p);
    markov2(V, b, M, 42, p);
    memcpy(a2, a, sizeof a);
    memcpy(b2, b, sizeof b);
    const cs_split S3 = {0.1, 0.1};
    size_t t0, t1;
    cs_split_part(N, S3, CS_PART_TEST, &t0, &t1);
    for (size_t i = t0; i < t1; i++)
        a2[i] = (a2[i] + 1 + (int)(i % 3)) % V;
    cs_split_part(M, S3, CS_PART_TEST, &t0, &t1);
    b2[t0] = (b2[t0] + 1) % V;
    const int *s1[2] = {a, b}, *s2[2] = {a2, b2};
    const size_t lens[2] = {N, M};
    cs_ngram_report r1, r2;
    CS_CHECK(cs_ngram_baselines(s1, lens, 2, V, S3, 8, &r1) == 0 && cs_ngram_baselines(s2, lens, 2, V, S3, 8, &r2) == 0,
             "baselines");
    int same = 1, test_moved = 0;
    for (int i = 0; i < CS_NG_COUNT; i++) {
        same &= r1.base[i].order == r2.base[i].order && r1.base[i].param == r2.base[i].param &&
                r1.base[i].val_bits == r2.base[i].val_bits;
        test_moved |= r1.base[i].test_bits != r2.base[i].test_bits;
    }
    for (int n = 2; n <= 8; n++)
        same &= r1.kn_val[n] == r2.kn_val[n] && r1.mkn_val[n] == r2.mkn_val[n];
    CS_CHECK(same, "a test label changed a choice or a validation figure");
    CS_CHECK(test_moved, "the changed test labels moved no test figure (the test part is not scored?)");
    /* and the models themselves: every probability is the same */
    int err;
    cs_ngram *m1 = cs_ngram_train(s1, lens, 2, V, S3, CS_NGRAM_MKN, 4, 0.0, &err);
    cs_ngram *m2 = cs_ngram_train(s2, lens, 2, V, S3, CS_NGRAM_MKN, 4, 0.0, &err);
    int eq = m1 && m2;
    for (size_t i = 3; eq && i < N; i++)
        for (int w = 0; w < V; w++)
            eq &= cs_ngram_prob(m1, a + i - 3, 3, w) == cs_ngram_prob(m2, a + i - 3, 3, w);
    CS_CHECK(eq, "a test label changed a trained n-gram probability");
    cs_ngram_free(m1);
    cs_ngram_free(m2);
    cs_ngram_report_free(&r1);
    cs_ngram_report_free(&r2);
}

/* The core's table (what a server-side n-gram model runs) equals the trainer's model: every probability of
 * every history seen in the data and of random (unseen, short) ones, KN and MKN of several orders; the
 * validator refuses a damaged table. */
static void test_table(void)
{
    enum { V = 9, N = 900 };
    static int a[N], b[120];
    cs_rng rng;
    cs_rng_seed(&rng, 77);
    double p6[6][6][6];
    markov2(6, a, N, 78, p6);
    for (int i = 0; i < N; i++)
        a[i] = (a[i] * 3 + (int)cs_rng_below(&rng, 2)) % V;
    for (int i = 0; i < 120; i++)
        b[i] = (int)cs_rng_below(&rng, V);
    const int *seqs[2] = {a, b};
    const size_t lens[2] = {N, 120};
    const cs_split S3 = {0.1, 0.1};
    static const struct {
        cs_ngram_kind kind;
        int order;
    } cases[] = {{CS_NGRAM_KN, 2}, {CS_NGRAM_KN, 5}, {CS_NGRAM_MKN, 2}, {CS_NGRAM_MKN, 3}, {CS_NGRAM_MKN, 12}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int err;
        cs_ngram *m = cs_ngram_train(seqs, lens, 2, V, S3, cases[ci].kind, cases[ci].order, 0.0, &err);
        float *t = NULL;
        size_t nt = 0;
        CS_CHECK(m && cs_ngram_table_write(m, &t, &nt) == 0, "table of case %zu", ci);
        cs_ngt_view v;
        CS_CHECK(t && cs_ngt_parse(t, nt, &v) == CS_NGT_OK && v.total_floats == nt, "parse case %zu", ci);
        double worst = 0.0, sum_err = 0.0, q[V];
        int hist[16];
        for (int trial = 0; trial < 400 && t; trial++) {
            const size_t hl = (size_t)(trial % 14);
            if (trial < 300) {
                const size_t pos = 20 + cs_rng_below(&rng, N - 20);
                memcpy(hist, a + pos - hl, hl * sizeof *hist);
            } else {
                for (size_t j = 0; j < hl; j++)
                    hist[j] = (int)cs_rng_below(&rng, V);
            }
            CS_CHECK(cs_ngt_probs(&v, hist, hl, q) == 0, "probs");
            double s = 0.0;
            for (int w = 0; w < V; w++) {
                const double want = cs_ngram_prob(m, hist, hl, w);
                worst = fmax(worst, fabs(q[w] - want) / want);
                s += q[w];
            }
            sum_err = fmax(sum_err, fabs(s - 1.0));
        }
        printf("table case %zu (kind %d order %d, %zu floats): max rel |dp| %.3g, max |sum - 1| %.3g\n", ci,
               (int)cases[ci].kind, cases[ci].order, nt, worst, sum_err);
        CS_CHECK(worst < 2e-6 && sum_err < 1e-5, "table case %zu: rel %.3g, sum %.3g", ci, worst, sum_err);
        if (t && ci == 3) {
            /* damaged tables are refused, never read out of range */
            CS_CHECK(cs_ngt_parse(t, nt - 1, &v) == CS_NGT_E_TRUNCATED, "truncated");
            float keep = t[0];
            t[0] = 1.0f;
            CS_CHECK(cs_ngt_parse(t, nt, &v) == CS_NGT_E_MAGIC, "magic");
            t[0] = keep;
            const size_t c2 = (size_t)CS_NGT_HEADER_FLOATS(3) + (size_t)v.n_ctx[1] * 4 + 2 * (size_t)v.n_succ[1];
            keep = t[c2];
            t[c2] = (float)V + 1.0f; /* a history label above BOS */
            CS_CHECK(cs_ngt_parse(t, nt, &v) == CS_NGT_E_FORMAT, "label out of range");
            t[c2] = keep;
            const size_t s1 = (size_t)CS_NGT_HEADER_FLOATS(3) + (size_t)v.n_ctx[1] * 4;
            keep = t[s1 + 1];
            t[s1 + 1] = NAN;
            CS_CHECK(cs_ngt_parse(t, nt, &v) == CS_NGT_E_FORMAT, "NaN alpha");
            t[s1 + 1] = keep;
            CS_CHECK(cs_ngt_parse(t, nt, &v) == CS_NGT_OK, "restored");
            const int badh[1] = {V};
            CS_CHECK(cs_ngt_probs(&v, badh, 1, q) == CS_NGT_E_ARG, "history label out of range");
        }
        free(t);
        cs_ngram_free(m);
    }
}

/* A model file that is a mixture (network + the n-gram table, cs_model.h CS_MH_NGRAM_FLOATS): written, read back
 * with the table mapped and the weight kept, the network untouched (the same weights and checksum as without
 * the table); a damaged or truncated table is refused; cs_ngt_mix_logits equals the mixture formula. */
static void test_mixture_file(void)
{
    enum { V = 6, N = 500 };
    static int a[N];
    double p6[6][6][6];
    markov2(V, a, N, 91, p6);
    const int *seqs[1] = {a};
    const size_t lens[1] = {N};
    int err;
    cs_ngram *m = cs_ngram_train(seqs, lens, 1, V, (cs_split){0.1, 0.1}, CS_NGRAM_MKN, 3, 0.0, &err);
    float *tab = NULL;
    size_t nt = 0;
    CS_CHECK(m && cs_ngram_table_write(m, &tab, &nt) == 0, "table");
    cs_model_config c = {CS_MODEL_GRU, V, 16, 1, 0, 0, 0, 0};
    const size_t P = cs_model_param_count(&c);
    float *w = malloc(P * sizeof *w);
    cs_train_init_weights(&c, 3, w);
    char path[4200], plain[4200];
    snprintf(path, sizeof path, "%s/test_ngram_mix.wav", CS_BINARY_DIR);
    snprintf(plain, sizeof plain, "%s/test_ngram_plain.wav", CS_BINARY_DIR);
    CS_CHECK(cs_model_file_write_mix(path, &c, NULL, w, P, tab, nt, 0.4f) == 0, "write mixture");
    CS_CHECK(cs_model_file_write(plain, &c, NULL, w, P) == 0, "write network alone");
    float *buf = NULL, *pbuf = NULL;
    size_t n = 0, pn = 0;
    cs_model_view v, pv;
    int merr = 0;
    CS_CHECK(cs_model_file_load(path, &buf, &n, &v, &merr) == 0, "load mixture (%d)", merr);
    CS_CHECK(cs_model_file_load(plain, &pbuf, &pn, &pv, &merr) == 0, "load plain");
    if (buf && pbuf) {
        CS_CHECK(v.ngram_floats == nt && v.ngram == buf + CS_MODEL_HEADER_FLOATS + P && v.net_weight == 0.4f &&
                     v.total_floats == CS_MODEL_HEADER_FLOATS + P + nt,
                 "the table is mapped after the weights");
        CS_CHECK(pv.ngram_floats == 0 && pv.ngram == NULL && pv.net_weight == 1.0f, "no table: the network alone");
        CS_CHECK(v.checksum == pv.checksum && memcmp(v.weights, pv.weights, P * sizeof *w) == 0,
                 "the network is the same with and without the table");
        /* a reader that ignores floats 28..30 (every reader before the table) sees the plain model: the rest of
         * the header is the same */
        CS_CHECK(memcmp(buf, pbuf, 28 * sizeof *buf) == 0 && memcmp(buf + 31, pbuf + 31, 33 * sizeof *buf) == 0,
                 "header equal outside the table's fields");
        cs_model_view x;
        CS_CHECK(cs_model_parse(buf, n - 1, &x) == CS_MODEL_E_TRUNCATED, "truncated table");
        const size_t at = CS_MODEL_HEADER_FLOATS + P + (size_t)CS_NGT_HEADER_FLOATS(3) + 1;
        const float keep = buf[at];
        buf[at] = -3.0f;
        CS_CHECK(cs_model_parse(buf, n, &x) == CS_MODEL_E_NGRAM, "damaged table");
        buf[at] = keep;
        buf[CS_MH_NET_WEIGHT] = 1.5f;
        CS_CHECK(cs_model_parse_header(buf, n, &x) == CS_MODEL_E_HEADER, "weight above 1");
        buf[CS_MH_NET_WEIGHT] = 0.4f;
        /* the mixture's logits */
        cs_ngt_view t;
        CS_CHECK(cs_ngt_parse(v.ngram, v.ngram_floats, &t) == 0, "table of the file");
        float lg[V], want[V];
        double work[V], pn6[V];
        const int hist[3] = {1, 4, 2};
        double z = 0.0;
        for (int i = 0; i < V; i++) {
            lg[i] = (float)(0.3 * i - 1.0);
            z += exp((double)lg[i]);
        }
        cs_ngt_probs(&t, hist, 3, pn6);
        for (int i = 0; i < V; i++)
            want[i] = (float)log(0.4 * exp((double)lg[i]) / z + 0.6 * pn6[i]);
        CS_CHECK(cs_ngt_mix_logits(&t, hist, 3, 0.4f, work, lg) == 0, "mix");
        double worst = 0.0;
        for (int i = 0; i < V; i++)
            worst = fmax(worst, fabs((double)lg[i] - (double)want[i]));
        printf("mixture logits vs formula: max |diff| %.3g\n", worst);
        CS_CHECK(worst < 2e-5, "mixture logits differ by %.3g", worst);
    }
    remove(path);
    remove(plain);
    free(buf);
    free(pbuf);
    free(w);
    free(tab);
    cs_ngram_free(m);
}

int main(void)
{
    test_sums();
    test_kn_reference();
    test_ml_entropies();
    test_kn_markov();
    test_reference_fixture();
    test_no_leak();
    test_table();
    test_mixture_file();
    CS_TEST_END();
}
