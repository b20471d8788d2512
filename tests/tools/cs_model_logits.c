/*
 * cs_model_logits.c - print the logits of a model file's inference step (cs_model_step, the code SeqPredict
 * runs on the audio thread; a half-precision file runs its half kernels, not an expansion), for parity checks
 * from scripts (tests/scripts/torch_half_parity.py, models/train_torch.py's test).
 *
 * Usage: cs_model_logits MODEL [--portable] [TOKEN...]
 * Prints one line after the reset (the distribution of the first label) and one after each TOKEN: the V
 * logits with 9 significant digits, separated by spaces. --portable selects the portable kernels (default:
 * AVX2/FMA, with F16C for half weights, when the CPU has them). Exit 1 with one line on stderr when the file
 * is not a valid model or a token is outside 0..V-1.
 */
#include "cs_model.h"
#include "cs_model_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_logits(const float *lg, int V)
{
    for (int i = 0; i < V; i++)
        printf(i ? " %.9g" : "%.9g", (double)lg[i]);
    putchar('\n');
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cs_model_logits MODEL [--portable] [TOKEN...]\n");
        return 1;
    }
    float *buf = NULL;
    size_t n = 0;
    cs_model_view v;
    int merr = 0;
    if (cs_model_file_load(argv[1], &buf, &n, &v, &merr) != 0) {
        fprintf(stderr, "cs_model_logits: %s: not a valid model file (%s)\n", argv[1],
                merr ? cs_model_strerror(merr) : "cannot read it");
        return 1;
    }
    size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&v, mem, bytes, &st) != CS_MODEL_OK) {
        fprintf(stderr, "cs_model_logits: out of memory\n");
        return 1;
    }
    int first = 2;
    if (argc > 2 && !strcmp(argv[2], "--portable")) {
        cs_model_state_set_simd(st, 0);
        cs_model_reset(st);
        first = 3;
    }
    print_logits(cs_model_logits(st), v.cfg.vocab);
    int rc = 0;
    for (int i = first; i < argc && !rc; i++) {
        char *end = NULL;
        long tok = strtol(argv[i], &end, 10);
        const float *lg = NULL;
        if (!end || *end || cs_model_step(st, (int)tok, &lg) != CS_MODEL_OK || tok != (int)tok) {
            fprintf(stderr, "cs_model_logits: token %s: not a label 0..%d\n", argv[i], v.cfg.vocab - 1);
            rc = 1;
        } else {
            print_logits(lg, v.cfg.vocab);
        }
    }
    free(mem);
    free(buf);
    return rc;
}
