/*
 * test_train_kernels.c - the trainer's two kernel sets (cs_train_kernels.h): each product against a float64
 * reference on awkward shapes (column tails 1..7, 8, 16, row tails, inner dimensions past the AVX2 block),
 * the AVX2 products independent of the tile that computes a row, evaluation on the core kernel of the set,
 * the Adam update bit-identical in both sets, the GRU cell within the fast functions' bound, and whole
 * trainings: each set byte-identical for 1 and 2 threads, and the two sets' validation losses within 0.5 %.
 *
 * Tolerances (stated): a product element within 1e-6 * sum_k |a_k b_k| + |c| of the float64 value (float32
 * rounding of K terms grows like K * 6e-8; K <= 130 here); GRU cell outputs within 1e-6 absolute (libm vs the
 * 1.5e-7 bounds of cs_fastmath.h, through the n and z combination).
 * Off x86 (or without AVX2/FMA) the AVX2 request falls back to portable: the comparisons still run, trivially.
 */
#include "cs_rng.h"
#include "cs_test.h"
#include "cs_train.h"
#include "cs_train_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill(cs_rng *rng, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * cs_rng_uniform(rng) - 1.0f;
}

/* One shape: C += A B and dW += dY^T X by both sets against float64. */
static double check_products(const cs_train_kernels *k, int M, int N, int K, cs_rng *rng)
{
    float *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B);
    float *C = malloc((size_t)M * N * sizeof *C), *C0 = malloc((size_t)M * N * sizeof *C0);
    float *dY = malloc((size_t)K * M * sizeof *dY), *X = malloc((size_t)K * N * sizeof *X);
    float *dW = malloc((size_t)M * N * sizeof *dW);
    fill(rng, A, (size_t)M * K);
    fill(rng, B, (size_t)K * N);
    fill(rng, C0, (size_t)M * N);
    fill(rng, dY, (size_t)K * M);
    fill(rng, X, (size_t)K * N);
    memcpy(C, C0, (size_t)M * N * sizeof *C);
    memcpy(dW, C0, (size_t)M * N * sizeof *C);
    k->mm_acc(M, N, K, A, B, C);
    /* the transposed product with inner dimension K: dW (M,N) += dY^T X, dY (K,M), X (K,N) */
    k->mm_acc_tn(K, M, N, dY, X, dW);
    double worst = 0.0;
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = (double)C0[(size_t)m * N + n], a = fabs(s), s2 = s, a2 = a;
            for (int q = 0; q < K; q++) {
                const double t = (double)A[(size_t)m * K + q] * (double)B[(size_t)q * N + n];
                const double t2 = (double)dY[(size_t)q * M + m] * (double)X[(size_t)q * N + n];
                s += t;
                a += fabs(t);
                s2 += t2;
                a2 += fabs(t2);
            }
            const double e1 = fabs((double)C[(size_t)m * N + n] - s) / a,
                         e2 = fabs((double)dW[(size_t)m * N + n] - s2) / a2;
            worst = fmax(worst, fmax(e1, e2));
        }
    free(A);
    free(B);
    free(C);
    free(C0);
    free(dY);
    free(X);
    free(dW);
    return worst;
}

static void test_products(void)
{
    static const int Ms[] = {1, 3, 4, 5, 6, 8, 10, 11, 13, 16}; /* the 6-, 4- and 1-row AVX2 tiles and their mixes */
    static const int Ns[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 40, 192};
    static const int Ks[] = {1, 5, 64, 130};
    cs_rng rng;
    cs_rng_seed(&rng, 11);
    for (int set = CS_TK_PORTABLE; set <= CS_TK_AVX2; set++) {
        const cs_train_kernels *k = cs_train_kernels_get(set);
        double worst = 0.0;
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
                for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
                    const double e = check_products(k, Ms[a], Ns[b], Ks[c], &rng);
                    CS_CHECK(e <= 1e-6, "%s: product %dx%dx%d error %.3g of its scale", k->name, Ms[a], Ns[b], Ks[c],
                             e);
                    worst = fmax(worst, e);
                }
        printf("%s products: worst error %.3g of sum |terms|\n", k->name, worst);
    }
}

/* Every element of an AVX2 product is its K terms added in order onto C, fused, whatever tile (6, 4 or 1 rows;
 * 16, 8 or masked columns; K blocks) computes it: M rows at once give the bits of M one-row products. */
static void test_products_tile_free(void)
{
    static const int Ms[] = {6, 7, 10, 12, 17};
    static const int Ns[] = {5, 16, 24, 37};
    static const int Ks[] = {3, 64, 130, 300};
    cs_rng rng;
    cs_rng_seed(&rng, 15);
    const cs_train_kernels *k = cs_train_kernels_get(CS_TK_AVX2);
    int bad = 0, n_shapes = 0;
    for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++) {
                const int M = Ms[a], N = Ns[b], K = Ks[c];
                float *A = malloc((size_t)M * K * sizeof *A), *B = malloc((size_t)K * N * sizeof *B);
                float *C1 = malloc((size_t)M * N * sizeof *C1), *C2 = malloc((size_t)M * N * sizeof *C2);
                float *dY = malloc((size_t)K * M * sizeof *dY), *W1 = malloc((size_t)M * N * sizeof *W1);
                float *W2 = malloc((size_t)M * N * sizeof *W2), *col = malloc((size_t)K * sizeof *col);
                fill(&rng, A, (size_t)M * K);
                fill(&rng, B, (size_t)K * N);
                fill(&rng, C1, (size_t)M * N);
                fill(&rng, dY, (size_t)K * M);
                memcpy(C2, C1, (size_t)M * N * sizeof *C1);
                memcpy(W1, C1, (size_t)M * N * sizeof *C1);
                memcpy(W2, C1, (size_t)M * N * sizeof *C1);
                k->mm_acc(M, N, K, A, B, C1);
                k->mm_acc_tn(K, M, N, dY, B, W1); /* W (M,N) += dY^T B with dY (K,M) */
                for (int m = 0; m < M; m++) {
                    k->mm_acc(1, N, K, A + (size_t)m * K, B, C2 + (size_t)m * N);
                    for (int q = 0; q < K; q++)
                        col[q] = dY[(size_t)q * M + m];
                    k->mm_acc_tn(K, 1, N, col, B, W2 + (size_t)m * N);
                }
                bad += memcmp(C1, C2, (size_t)M * N * sizeof *C1) != 0;
                bad += memcmp(W1, W2, (size_t)M * N * sizeof *W1) != 0;
                n_shapes++;
                free(A);
                free(B);
                free(C1);
                free(C2);
                free(dY);
                free(W1);
                free(W2);
                free(col);
            }
    CS_CHECK(bad == 0, "%s products: %d of %d shapes differ from their one-row products", k->name, bad, 2 * n_shapes);
}

static void markov(int *seq, int n, int V, uint64_t seed);

/* Validation (cs_train_eval_seq / cs_train_eval_split) steps the core with the kernel that matches the trainer's
 * set: the same bits as a core state set to the portable kernel (portable set) or, for the GRU, to the core's
 * AVX2 one (set 2; AVX2 set). The AVX2 set's transformer runs the trainer's own forward (test_eval_transformer). */
static double core_bits(const cs_model_config *m, const float *w, const int *seq, size_t n, size_t n_prime, int simd)
{
    cs_model_view view;
    if (cs_model_view_map(m, w, &view) != CS_MODEL_OK) return NAN;
    const size_t bytes = cs_model_state_size(&view);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&view, mem, bytes, &st) != CS_MODEL_OK) {
        free(mem);
        return NAN;
    }
    cs_model_state_set_simd(st, simd);
    cs_model_reset(st);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (i >= n_prime) {
            const float *z = cs_model_logits(st);
            float mx = z[0];
            for (int v = 1; v < m->vocab; v++)
                mx = z[v] > mx ? z[v] : mx;
            double e = 0.0;
            for (int v = 0; v < m->vocab; v++)
                e += exp((double)(z[v] - mx));
            sum += ((double)mx + log(e) - (double)z[seq[i]]) / log(2.0);
        }
        if (i + 1 < n) cs_model_prime(st, seq[i]);
    }
    free(mem);
    return sum;
}

static void test_eval_kernel(int arch)
{
    enum { N = 300, V = 8 };
    static int seq[N];
    markov(seq, N, V, 16);
    cs_train_config cfg;
    cs_train_config_default(&cfg, arch, V);
    cfg.model.width = 32;
    cfg.model.layers = 2;
    if (arch == CS_MODEL_TRANSFORMER) {
        cfg.model.heads = 4;
        cfg.model.context = 16;
        cfg.model.d_ff = 4 * 32;
    }
    const size_t P = cs_model_param_count(&cfg.model);
    float *w = malloc(P * sizeof *w);
    CS_CHECK(w && cs_train_init_weights(&cfg.model, 17, w) == 0, "init weights");
    if (!w) return;
    double got[2] = {0.0, 0.0};
    for (int set = 0; set < 2; set++) {
        setenv("CONCATSEQ_TRAIN_KERNELS", set ? "avx2" : "portable", 1);
        const int avx2 = cs_train_kernels_get(CS_TK_AUTO)->id == CS_TK_AVX2;
        CS_CHECK(cs_train_eval_seq(&cfg.model, w, seq, N, 20, &got[set]) == 0, "eval_seq");
        if (arch == CS_MODEL_TRANSFORMER && avx2) continue; /* the trainer's forward: test_eval_transformer */
        const double want = core_bits(&cfg.model, w, seq, N, 20, avx2 ? 2 : 0);
        CS_CHECK(got[set] == want, "%s, %s set: eval %.17g, the core's %s kernel %.17g",
                 arch == CS_MODEL_GRU ? "GRU" : "transformer", set ? "avx2" : "portable", got[set],
                 avx2 ? "AVX2" : "portable", want);
    }
    unsetenv("CONCATSEQ_TRAIN_KERNELS");
    if (cs_train_kernels_have_avx2())
        CS_CHECK(got[0] != got[1] && fabs(got[1] - got[0]) <= 1e-5 * got[0],
                 "eval: portable %.17g vs AVX2 %.17g (expected a last-bits difference)", got[0], got[1]);
    free(w);
}

/* The AVX2 set evaluates a transformer with the trainer's chunked forward (cs_train.c tf_eval_seq): every
 * label's loss within 2e-5 bits of the core's portable step, on sequences shorter than the context, across the
 * chunk boundaries (128 positions), with the largest context (its kept rows as many as a chunk's), priming short and
 * long, and descriptor inputs with NaN and out-of-range values. */
static void test_eval_transformer(void)
{
    static const int Cs[] = {1, 3, 16, CS_MODEL_TF_MAX_CONTEXT};
    static const int Ns[] = {2, 3, 17, 129, 257, 300, 650};
    static const int primes[] = {-1, 0, 5, 300};
    enum { V = 8, Din = 3, NMAX = 650 };
    static int seq[NMAX];
    static float desc[NMAX * Din];
    static double loss[2][NMAX];
    markov(seq, NMAX, V, 18);
    cs_rng rng;
    cs_rng_seed(&rng, 19);
    for (int i = 0; i < NMAX * Din; i++)
        desc[i] = (i % 97 == 5) ? NAN : (i % 89 == 7) ? 1e9f : 3.0f * (2.0f * cs_rng_uniform(&rng) - 1.0f);
    double worst = 0.0;
    int runs = 0;
    for (size_t c = 0; c < sizeof Cs / sizeof *Cs; c++)
        for (int din = 0; din <= Din; din += Din) {
            cs_train_config cfg;
            cs_train_config_default(&cfg, CS_MODEL_TRANSFORMER, V);
            cfg.model.width = 32;
            cfg.model.layers = 2;
            cfg.model.heads = 4;
            cfg.model.context = Cs[c];
            cfg.model.d_ff = 4 * 32;
            cfg.model.desc_inputs = din;
            const size_t P = cs_model_param_count(&cfg.model);
            float *w = malloc(P * sizeof *w);
            if (!w || cs_train_init_weights(&cfg.model, 20 + c, w) != 0) {
                CS_CHECK(0, "init weights");
                free(w);
                return;
            }
            for (size_t n = 0; n < sizeof Ns / sizeof *Ns; n++)
                for (size_t q = 0; q < sizeof primes / sizeof *primes; q++) {
                    const int *seqs[1] = {seq};
                    const float *descs[1] = {desc};
                    const size_t lens[1] = {(size_t)Ns[n]};
                    const cs_split sp = {0.5, 0.0};
                    double bits[2];
                    size_t ns[2];
                    for (int set = 0; set < 2; set++) {
                        setenv("CONCATSEQ_TRAIN_KERNELS", set ? "avx2" : "portable", 1);
                        const int e =
                            cs_train_eval_split_desc(&cfg.model, w, seqs, din ? descs : NULL, lens, 1, sp, CS_PART_VAL,
                                                     primes[q], 1, &bits[set], &ns[set], loss[set]);
                        CS_CHECK(e == 0, "eval_split C %d n %d prime %d", Cs[c], Ns[n], primes[q]);
                    }
                    runs++;
                    CS_CHECK(ns[0] == ns[1] && ns[0] == (size_t)Ns[n] / 2, "scored %zu and %zu labels of %d", ns[0],
                             ns[1], Ns[n]);
                    for (size_t i = 0; i < ns[0] && ns[0] == ns[1]; i++) {
                        const double d = fabs(loss[1][i] - loss[0][i]);
                        worst = fmax(worst, d);
                        CS_CHECK(d <= 2e-5, "C %d Din %d n %d prime %d: label %zu loss %.9g vs the core's %.9g", Cs[c],
                                 din, Ns[n], primes[q], i, loss[1][i], loss[0][i]);
                    }
                }
            free(w);
        }
    unsetenv("CONCATSEQ_TRAIN_KERNELS");
    printf("transformer evaluation, %s forward vs the core's portable step: %d runs, worst |diff| %.3g bits\n",
           cs_train_kernels_get(CS_TK_AVX2)->name, runs, worst);
}

static void test_adam_same(void)
{
    enum { n = 203 };
    static float w[2][n], m[2][n], v[2][n], g[n];
    static unsigned char decay[n];
    cs_rng rng;
    cs_rng_seed(&rng, 12);
    fill(&rng, w[0], n);
    fill(&rng, m[0], n);
    fill(&rng, v[0], n);
    for (int i = 0; i < n; i++) {
        v[0][i] = fabsf(v[0][i]) * 1e-3f;
        decay[i] = (unsigned char)(i % 3 != 0);
    }
    memcpy(w[1], w[0], sizeof w[0]);
    memcpy(m[1], m[0], sizeof m[0]);
    memcpy(v[1], v[0], sizeof v[0]);
    for (int step = 0; step < 5; step++) {
        fill(&rng, g, n);
        const float wd = step % 2 ? 0.0f : 3e-4f;
        for (int s = 0; s < 2; s++)
            cs_train_kernels_get(s ? CS_TK_AVX2 : CS_TK_PORTABLE)
                ->adam(n, w[s], m[s], v[s], g, decay, 0.9f, 0.999f, 1e-8f, 1e-3f, 0.7f, wd);
    }
    CS_CHECK(memcmp(w[0], w[1], sizeof w[0]) == 0 && memcmp(m[0], m[1], sizeof m[0]) == 0 &&
                 memcmp(v[0], v[1], sizeof v[0]) == 0,
             "Adam: the AVX2 set differs from the portable one");
    int changed = 0;
    for (int i = 0; i < n; i++)
        changed += m[0][i] != 0.0f;
    CS_CHECK(changed == n, "Adam moved %d of %d moments", changed, n);
}

static void test_gates(void)
{
    enum { H = 29 }; /* three 8-lane blocks and a scalar tail */
    float gi[2][3 * H], gh[3 * H], hp[H], ho[2][H];
    cs_rng rng;
    cs_rng_seed(&rng, 13);
    double worst = 0.0;
    for (int rep = 0; rep < 200; rep++) {
        fill(&rng, gi[0], 3 * H);
        fill(&rng, gh, 3 * H);
        fill(&rng, hp, H);
        const float sc = rep < 100 ? 3.0f : 12.0f; /* saturating arguments too */
        for (int j = 0; j < 3 * H; j++) {
            gi[0][j] *= sc;
            gh[j] *= sc;
        }
        memcpy(gi[1], gi[0], sizeof gi[0]);
        for (int s = 0; s < 2; s++)
            cs_train_kernels_get(s ? CS_TK_AVX2 : CS_TK_PORTABLE)->gru_gates(H, gi[s], gh, rep % 2 ? hp : NULL, ho[s]);
        for (int j = 0; j < 3 * H; j++)
            worst = fmax(worst, fabs((double)gi[0][j] - (double)gi[1][j]));
        for (int j = 0; j < H; j++)
            worst = fmax(worst, fabs((double)ho[0][j] - (double)ho[1][j]));
    }
    printf("GRU cell: AVX2 vs portable max |diff| %.3g\n", worst);
    CS_CHECK(worst <= 1e-6, "GRU cell: AVX2 vs portable differ by %.3g", worst);
}

static int quiet(void *user, const cs_train_epoch_info *info)
{
    (void)user;
    (void)info;
    return 0;
}

/* A seeded second-order Markov sequence over V labels (3 likely successors per context). */
static void markov(int *seq, int n, int V, uint64_t seed)
{
    int succ[8][8][3];
    cs_rng rng;
    cs_rng_seed(&rng, seed);
    for (int a = 0; a < V; a++)
        for (int b = 0; b < V; b++)
            for (int q = 0; q < 3; q++)
                succ[a][b][q] = (int)cs_rng_below(&rng, (uint32_t)V);
    seq[0] = 0;
    seq[1] = 1;
    for (int i = 2; i < n; i++) {
        const float u = cs_rng_uniform(&rng);
        seq[i] = succ[seq[i - 2]][seq[i - 1]][u < 0.6f ? 0 : u < 0.9f ? 1 : 2];
    }
}

static void test_training(int arch)
{
    enum { N = 3000, V = 8 };
    static int seq[N];
    markov(seq, N, V, 14);
    const int *seqs[1] = {seq};
    const size_t lens[1] = {N};
    cs_train_config cfg;
    cs_train_config_default(&cfg, arch, V);
    cfg.model.width = arch == CS_MODEL_GRU ? 24 : 32; /* 24: the GRU cell's 8-lane blocks and 3H = 72 columns */
    cfg.model.layers = 2;
    if (arch == CS_MODEL_TRANSFORMER) {
        cfg.model.heads = 4;
        cfg.model.context = 16;
        cfg.model.d_ff = 4 * cfg.model.width;
    }
    cfg.epochs = arch == CS_MODEL_GRU ? 8 : 6;
    cfg.batch = 20; /* 3 shards, the last one partial */
    cfg.dropout = 0.1f;
    cfg.weight_decay = 0.01f;
    cfg.progress = quiet;
    const size_t P = cs_model_param_count(&cfg.model);
    const char *nm = arch == CS_MODEL_GRU ? "GRU" : "transformer";
    double val[2] = {0.0, 0.0};
    float *first[2] = {NULL, NULL};
    for (int set = 0; set < 2; set++) {
        setenv("CONCATSEQ_TRAIN_KERNELS", set ? "avx2" : "portable", 1);
        const char *kn = cs_train_kernels_get(CS_TK_AUTO)->name;
        float *w[2] = {NULL, NULL};
        cs_train_report rep;
        for (int th = 0; th < 2; th++) {
            cfg.n_threads = th + 1;
            CS_CHECK(cs_train_run(&cfg, seqs, lens, 1, &w[th], &rep) == 0 && w[th], "%s %s training", nm, kn);
        }
        if (w[0] && w[1])
            CS_CHECK(memcmp(w[0], w[1], P * sizeof(float)) == 0, "%s, %s kernels: 1 vs 2 threads differ", nm, kn);
        val[set] = rep.best_val_bits;
        first[set] = w[0];
        free(w[1]);
        printf("%s, %s kernels: validation %.5f bits/label (epoch %d)\n", nm, kn, rep.best_val_bits, rep.best_epoch);
    }
    unsetenv("CONCATSEQ_TRAIN_KERNELS");
    const double rel = fabs(val[1] - val[0]) / val[0];
    CS_CHECK(rel <= 0.005, "%s: AVX2 validation %.5f vs portable %.5f (%.3g relative > 0.5 %%)", nm, val[1], val[0],
             rel);
    if (cs_train_kernels_have_avx2() && first[0] && first[1])
        CS_CHECK(memcmp(first[0], first[1], P * sizeof(float)) != 0,
                 "%s: the AVX2 and portable runs are identical (the AVX2 set did not run)", nm);
    free(first[0]);
    free(first[1]);
}

int main(void)
{
    printf("this CPU selects the %s kernels\n", cs_train_kernels_get(CS_TK_AUTO)->name);
    setenv("CONCATSEQ_TRAIN_KERNELS", "portable", 1);
    CS_CHECK(cs_train_kernels_get(CS_TK_AUTO)->id == CS_TK_PORTABLE, "CONCATSEQ_TRAIN_KERNELS=portable not obeyed");
    unsetenv("CONCATSEQ_TRAIN_KERNELS");
    CS_CHECK(cs_train_kernels_get(CS_TK_AUTO)->id == (cs_train_kernels_have_avx2() ? CS_TK_AVX2 : CS_TK_PORTABLE),
             "the automatic choice is not the best set of this CPU");
    test_products();
    test_products_tile_free();
    test_eval_kernel(CS_MODEL_GRU);
    test_eval_kernel(CS_MODEL_TRANSFORMER);
    test_eval_transformer();
    test_adam_same();
    test_gates();
    test_training(CS_MODEL_GRU);
    test_training(CS_MODEL_TRANSFORMER);
    CS_TEST_END();
}
