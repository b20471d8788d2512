/*
 * bench_train.c - GRU and transformer training speed (peer: tests/bench/bench_train_torch.py, driver:
 * run_train.sh).
 *
 * Usage: bench_train DATA_FILE [n_threads=2] [epochs=10] [arch=gru|transformer]
 * Writes DATA_FILE (text: "V N" then N labels), a 20000-label sequence from a seeded second-order Markov chain
 * over V = 24 labels (each context has 3 likely successors), so the PyTorch peer trains on the same data,
 * then trains: GRU H = 64, L = 2, Adam lr 3e-3, or the default transformer (width 64, 2 blocks, 8 heads,
 * context 64, feed-forward 256, ALiBi), Adam lr 1e-3; both with window 64, batch 16, constant lr (no warm-up,
 * no decay), clip 1.0, no dropout, no early stopping, last 10 % validation (primed with 64 labels), epochs as
 * given.
 * Prints one line per epoch and a final line "RESULT c seconds=<wall> cpu=<process CPU s> val_bits=<best val>
 * last_val_bits=<...> ... kernels=<the trainer kernel set: CONCATSEQ_TRAIN_KERNELS, else this CPU's best>".
 */
#include "cs_rng.h"
#include "cs_train.h"
#include "cs_train_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double last_val;

static int on_epoch(void *user, const cs_train_epoch_info *info)
{
    (void)user;
    last_val = info->val_bits;
    printf("c epoch %2d  train %.4f  val %.4f bits/label  %.2f s\n", info->epoch, info->train_bits, info->val_bits,
           info->seconds);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_FILE [n_threads] [epochs] [gru|transformer]\n", argv[0]);
        return 2;
    }
    const int n_threads = argc > 2 ? atoi(argv[2]) : 2;
    const int epochs = argc > 3 ? atoi(argv[3]) : 10;
    const char *arch_name = argc > 4 ? argv[4] : "gru";
    const int tf = strcmp(arch_name, "transformer") == 0;
    if (!tf && strcmp(arch_name, "gru") != 0) {
        fprintf(stderr, "bench_train: arch '%s' is not gru or transformer\n", arch_name);
        return 2;
    }
    enum { V = 24, N = 20000 };
    static int seq[N];
    /* second-order Markov chain: context (a, b) -> 3 candidate successors with probabilities .6 .3 .1 */
    static int succ[V][V][3];
    cs_rng rng;
    cs_rng_seed(&rng, 2024);
    for (int a = 0; a < V; a++)
        for (int b = 0; b < V; b++)
            for (int k = 0; k < 3; k++)
                succ[a][b][k] = (int)cs_rng_below(&rng, V);
    seq[0] = 0;
    seq[1] = 1;
    for (int i = 2; i < N; i++) {
        const float u = cs_rng_uniform(&rng);
        const int k = u < 0.6f ? 0 : u < 0.9f ? 1 : 2;
        seq[i] = succ[seq[i - 2]][seq[i - 1]][k];
    }
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fprintf(f, "%d %d\n", V, N);
    for (int i = 0; i < N; i++)
        fprintf(f, "%d%c", seq[i], i % 32 == 31 ? '\n' : ' ');
    fclose(f);

    cs_train_config cfg;
    cs_train_config_default(&cfg, tf ? CS_MODEL_TRANSFORMER : CS_MODEL_GRU, V);
    cfg.model.width = 64;
    cfg.model.layers = 2;
    if (tf) { /* the default transformer (cs_train_config_default): 8 heads, context 64, feed-forward 4 x 64 */
        cfg.model.heads = 8;
        cfg.model.context = 64;
        cfg.model.d_ff = 4 * 64;
    }
    cfg.epochs = epochs;
    cfg.window = 64;
    cfg.batch = 16; /* the PyTorch peer gets the same value from run_train.sh */
    cfg.lr = tf ? 1e-3f : 3e-3f;
    cfg.warmup_steps = 0;
    cfg.cosine = 0;
    cfg.clip_norm = 1.0f;
    cfg.patience = 0;
    cfg.prime = 64;
    cfg.seed = 7;
    cfg.n_threads = n_threads;
    cfg.progress = on_epoch;
    const int *seqs[1] = {seq};
    const size_t lens[1] = {N};
    float *w = NULL;
    cs_train_report rep;
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    const int err = cs_train_run(&cfg, seqs, lens, 1, &w, &rep);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (err) {
        fprintf(stderr, "training failed: %d\n", err);
        return 1;
    }
    const double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    const double cpu = (double)(c1.tv_sec - c0.tv_sec) + 1e-9 * (double)(c1.tv_nsec - c0.tv_nsec);
    printf("RESULT c seconds=%.3f cpu=%.3f val_bits=%.5f last_val_bits=%.5f params=%zu steps=%ld threads=%d "
           "kernels=%s arch=%s\n",
           secs, cpu, rep.best_val_bits, last_val, rep.n_params, rep.steps, n_threads,
           cs_train_kernels_get(CS_TK_AUTO)->name, arch_name);
    free(w);
    return 0;
}
