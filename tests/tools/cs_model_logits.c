/*
 * cs_model_logits.c - print the logits of a model file's inference step (cs_model_step, the code SeqPredict
 * runs on the audio thread; a half-precision file runs its half kernels, not an expansion), for parity checks
 * from scripts (tests/scripts/torch_half_parity.py, models/train_torch.py's test).
 *
 * Usage: cs_model_logits MODEL [--portable] [--bundle BUNDLE [--rows]] [TOKEN[:UNIT]...]
 * Prints one line after the reset (the distribution of the first label) and one after each TOKEN: the V
 * logits with 9 significant digits, separated by spaces. --portable selects the portable kernels (default:
 * AVX2/FMA, with F16C for half weights, when the CPU has them). A model with descriptor inputs needs
 * --bundle (the corpus whose unit table it reads): TOKEN:UNIT feeds label TOKEN with the descriptor row of
 * unit UNIT (cs_model_desc_row, as SeqPredict does with its `unit` input; UNIT -1 = unknown: the label's
 * centroid), a bare TOKEN the row of unit -1. --rows prints, before each step's logits, the row fed as
 * "d " + Din floats (9 significant digits: float32 round-trips). Exit 1 with one line on stderr when the file
 * is not a valid model, the bundle does not match it, or a token is outside 0..V-1.
 */
#include "cs_bundle.h"
#include "cs_model.h"
#include "cs_model_desc.h"
#include "cs_model_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_floats(const char *prefix, const float *x, int n)
{
    fputs(prefix, stdout);
    for (int i = 0; i < n; i++)
        printf(i ? " %.9g" : "%.9g", (double)x[i]);
    putchar('\n');
}

/* Parse TOKEN or TOKEN:UNIT; 0 or -1 when it is not two integers. */
static int parse_token(const char *s, long *tok, long *unit)
{
    char *end = NULL;
    *tok = strtol(s, &end, 10);
    *unit = -1;
    if (end == s) return -1;
    if (*end == ':') {
        const char *u = end + 1;
        *unit = strtol(u, &end, 10);
        if (end == u) return -1;
    }
    return *end ? -1 : 0;
}

/* Feed the tokens argv[first..argc) and print each step; 0 or 1 (one line on stderr). */
static int run_tokens(cs_model_state *st, const cs_model_view *v, const cs_bundle *b, int rows, char **argv, int first,
                      int argc)
{
    const int Din = v->cfg.desc_inputs;
    float desc[CS_MODEL_MAX_DESC_INPUTS + 1] = {0};
    for (int i = first; i < argc; i++) {
        long tok = 0, unit = -1;
        const float *lg = NULL;
        if (parse_token(argv[i], &tok, &unit) != 0 || tok != (int)tok || unit != (int32_t)unit) {
            fprintf(stderr, "cs_model_logits: token %s: not LABEL or LABEL:UNIT\n", argv[i]);
            return 1;
        }
        if (Din > 0) cs_model_desc_row(v, &b->view, (int32_t)unit, (int32_t)tok, desc);
        if (cs_model_step_desc(st, (int)tok, Din > 0 ? desc : NULL, &lg) != CS_MODEL_OK) {
            fprintf(stderr, "cs_model_logits: token %s: not a label 0..%d\n", argv[i], v->cfg.vocab - 1);
            return 1;
        }
        if (rows && Din > 0) print_floats("d ", desc, Din);
        print_floats("", lg, v->cfg.vocab);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cs_model_logits MODEL [--portable] [--bundle BUNDLE [--rows]] [TOKEN[:UNIT]...]\n");
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
    int first = 2, portable = 0, rows = 0;
    const char *bundle = NULL;
    for (; first < argc; first++) {
        if (!strcmp(argv[first], "--portable"))
            portable = 1;
        else if (!strcmp(argv[first], "--rows"))
            rows = 1;
        else if (!strcmp(argv[first], "--bundle") && first + 1 < argc)
            bundle = argv[++first];
        else
            break;
    }
    cs_bundle b;
    memset(&b, 0, sizeof b);
    char err[512];
    if (v.cfg.desc_inputs > 0 && !bundle) {
        fprintf(stderr, "cs_model_logits: %s reads descriptor inputs: give --bundle BUNDLE\n", argv[1]);
        return 1;
    }
    if (bundle && cs_bundle_read(bundle, &b, err, sizeof err) != 0) {
        fprintf(stderr, "cs_model_logits: %s\n", err);
        return 1;
    }
    if (bundle && cs_model_desc_check(&v, &b.view) != CS_MODEL_OK) {
        fprintf(stderr, "cs_model_logits: %s reads %d descriptor inputs, %s has %u descriptors (+ 1)\n", argv[1],
                v.cfg.desc_inputs, bundle, b.view.num_descriptors);
        return 1;
    }
    size_t bytes = cs_model_state_size(&v);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&v, mem, bytes, &st) != CS_MODEL_OK) {
        fprintf(stderr, "cs_model_logits: out of memory\n");
        return 1;
    }
    if (portable) {
        cs_model_state_set_simd(st, 0);
        cs_model_reset(st);
    }
    print_floats("", cs_model_logits(st), v.cfg.vocab);
    int rc = run_tokens(st, &v, &b, rows, argv, first, argc);
    if (bundle) cs_bundle_free(&b);
    free(mem);
    free(buf);
    return rc;
}
