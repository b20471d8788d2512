/*
 * bench_train_kernels.c - each trainer kernel of the transformer (cs_train_kernels.h) in both sets, on the
 * shapes one window of tests/bench/run_train.sh's transformer gives it (T = 64, width 64, 8 heads of 8,
 * context 64, feed-forward 256, 24 labels), side by side in the same run: thread CPU time per call (median of
 * 15 repeats of a timed loop), and the portable / AVX2 ratio. The machine may be shared: the ratios are the
 * figures, the times indicative.
 *
 * Usage: bench_train_kernels [repeats_scale=1]
 */
#include "cs_rng.h"
#include "cs_train_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { T = 64, D = 64, NH = 8, HD = 8, CTX = 64, FF = 256, V = 24, REP = 15 };

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct ctx {
    const cs_train_kernels *k;
    float *qkv, *P, *o, *dout, *dqkv, *att, *x, *xh, *y, *rs, *gam, *bet, *dg, *db, *f, *df, *a, *w, *c;
} ctx;

/* One call of the kernel `which` with the shapes of one window (every head for the attention kernels). */
static void run(ctx *c, int which)
{
    const cs_train_kernels *k = c->k;
    const size_t ld = 3 * D;
    const float scale = 1.0f / sqrtf((float)HD);
    switch (which) {
    case 0:
        for (int h = 0; h < NH; h++)
            k->attn_fwd(T, CTX, HD, c->qkv + h * HD, c->qkv + D + h * HD, c->qkv + 2 * D + h * HD, ld, scale,
                        exp2f(-8.0f * (float)(h + 1) / NH), c->P + (size_t)h * T * T, c->o + h * HD, D, c->att);
        break;
    case 1:
        for (int h = 0; h < NH; h++)
            k->attn_bwd(T, CTX, HD, c->qkv + h * HD, c->qkv + D + h * HD, c->qkv + 2 * D + h * HD, ld,
                        c->P + (size_t)h * T * T, c->dout + h * HD, D, scale, c->dqkv + h * HD, c->dqkv + D + h * HD,
                        c->dqkv + 2 * D + h * HD, c->att);
        break;
    case 2:
        k->ln_fwd(T, D, c->x, c->gam, c->bet, 1e-5f, c->xh, c->y, c->rs);
        break;
    case 3:
        k->ln_bwd(T, D, c->dout, c->xh, c->rs, c->gam, c->y, c->dg, c->db);
        break;
    case 4:
        k->relu((size_t)T * FF, c->f);
        break;
    case 5:
        k->relu_bwd((size_t)T * FF, c->f, c->df);
        break;
    case 6:
        k->add_mul((size_t)T * D, c->x, c->y, NULL, c->a);
        break;
    case 7:
        k->mm_acc(T, 3 * D, D, c->x, c->w, c->c);
        break; /* QKV projection */
    case 8:
        k->mm_acc(T, FF, D, c->x, c->w, c->c);
        break; /* FF1 */
    case 9:
        k->mm_acc(T, D, FF, c->f, c->w, c->c);
        break; /* FF2 */
    case 10:
        k->mm_acc_tn(T, FF, D, c->f, c->x, c->c);
        break; /* FF1's weight gradient */
    case 11:
        k->mm_acc(T, V, D, c->x, c->w, c->c);
        break; /* head */
    default:
        break;
    }
}

static const char *names[] = {"attn_fwd x8 heads", "attn_bwd x8 heads", "ln_fwd 64x64",        "ln_bwd 64x64",
                              "relu 64x256",       "relu_bwd 64x256",   "add_mul 64x64",       "mm_acc 64x192x64",
                              "mm_acc 64x256x64",  "mm_acc 64x64x256",  "mm_acc_tn 256x64x64", "mm_acc 64x24x64"};
enum { NK = 12 };

static int cmpd(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *buf(cs_rng *rng, size_t n, float sc)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = sc * (2.0f * cs_rng_uniform(rng) - 1.0f);
    return p;
}

int main(int argc, char **argv)
{
    const int scale = argc > 1 && atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
    cs_rng rng;
    cs_rng_seed(&rng, 5);
    ctx c;
    c.qkv = buf(&rng, (size_t)T * 3 * D, 1.0f);
    c.P = buf(&rng, (size_t)NH * T * T, 0.0f);
    c.o = buf(&rng, (size_t)T * D, 0.0f);
    c.dout = buf(&rng, (size_t)T * D, 1.0f);
    c.dqkv = buf(&rng, (size_t)T * 3 * D, 0.0f);
    c.att = buf(&rng, cs_train_attn_scratch_floats(T, HD), 0.0f);
    c.x = buf(&rng, (size_t)T * FF, 1.0f);
    c.xh = buf(&rng, (size_t)T * D, 0.0f);
    c.y = buf(&rng, (size_t)T * D, 0.0f);
    c.rs = buf(&rng, T, 0.0f);
    c.gam = buf(&rng, D, 1.0f);
    c.bet = buf(&rng, D, 1.0f);
    c.dg = buf(&rng, D, 0.0f);
    c.db = buf(&rng, D, 0.0f);
    c.f = buf(&rng, (size_t)T * FF, 1.0f);
    c.df = buf(&rng, (size_t)T * FF, 1.0f);
    c.a = buf(&rng, (size_t)T * D, 0.0f);
    c.w = buf(&rng, (size_t)FF * 3 * D, 0.1f);
    c.c = buf(&rng, (size_t)T * FF * 3, 0.0f);
    printf("trainer kernels on one window of the bench transformer (T %d, width %d, %d heads of %d, ff %d)\n", T, D, NH,
           HD, FF);
    printf("%-22s %12s %12s %8s\n", "kernel", "portable us", "avx2 us", "ratio");
    for (int kk = 0; kk < NK; kk++) {
        double med[2];
        for (int set = 0; set < 2; set++) {
            c.k = cs_train_kernels_get(set ? CS_TK_AVX2 : CS_TK_PORTABLE);
            const int iters = 200 * scale;
            double t[REP];
            for (int r = 0; r < REP; r++) {
                memset(c.o, 0, (size_t)T * D * sizeof *c.o); /* keep accumulations bounded */
                memset(c.c, 0, (size_t)T * FF * 3 * sizeof *c.c);
                const double t0 = thread_cpu();
                for (int i = 0; i < iters; i++)
                    run(&c, kk);
                t[r] = (thread_cpu() - t0) / iters * 1e6;
            }
            qsort(t, REP, sizeof *t, cmpd);
            med[set] = t[REP / 2];
        }
        printf("%-22s %12.3f %12.3f %7.2fx\n", names[kk], med[0], med[1], med[0] / med[1]);
    }
    printf("(AVX2 set: %s on this CPU)\n", cs_train_kernels_get(CS_TK_AVX2)->name);
    return 0;
}
