/*
 * fuzz_model_parse.c - libFuzzer entry point for the model parser and the inference step.
 *
 * The input bytes are taken as little-endian float32 values (a trailing partial float is dropped) and
 * copied into a heap block of exactly that size, so AddressSanitizer sees any over-read. Then:
 *   - cs_model_parse (full check) and cs_model_parse_header (header only) must not crash; a full parse
 *     that succeeds must imply a header parse that succeeds with the same configuration;
 *   - when the header parses (weights NOT verified: NaN, inf and huge weights reach the step on purpose),
 *     a state is placed in an exact-size heap block and up to 16 steps are run with tokens taken from the
 *     input, each followed by a cs_sample; every logit must be finite and every label in range (else abort);
 *   - when the model carries an n-gram table: a full parse that succeeds implies cs_ngt_parse succeeds, and a
 *     table that parses is mixed into every step's logits (cs_ngt_mix_logits), which must stay finite.
 * Built and run by tests/fuzz/run_fuzz.sh (clang -fsanitize=fuzzer,address,undefined); not part of CMake.
 */
#include "cs_model.h"
#include "cs_ngram_table.h"
#include "cs_sample.h"
#include "fuzz_files.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n;
    float *buf = fuzz_floats(data, size, &n);
    if (!buf) return 0;

    cs_model_view full, head;
    int ef = cs_model_parse(n ? buf : NULL, n, &full);
    int eh = cs_model_parse_header(n ? buf : NULL, n, &head);
    if (ef == 0 && (eh != 0 || memcmp(&full.cfg, &head.cfg, sizeof full.cfg) != 0)) abort();
    if (eh != 0 || head.cfg.vocab > 64 || head.n_weights > 200000) { /* keep each run fast */
        free(buf);
        return 0;
    }
    size_t bytes = cs_model_state_size(&head);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!mem || cs_model_state_init(&head, mem, bytes, &st) != 0) abort();
    size_t scratch_bytes = cs_sample_scratch_size(head.cfg.vocab);
    void *scratch = malloc(scratch_bytes);
    cs_rng rng;
    cs_rng_seed(&rng, size);
    cs_sample_params p;
    cs_sample_params_default(&p);
    p.top_k = 3;
    p.top_p = 0.9f;
    p.repetition_penalty = 1.5f;
    int hist[4] = {0, 1, 2, 3};
    cs_ngt_view tab;
    const int has_tab =
        head.ngram_floats && cs_ngt_parse(head.ngram, head.ngram_floats, &tab) == 0 && tab.V == head.cfg.vocab;
    if (ef == 0 && full.ngram_floats && !has_tab) abort();
    float mixed[64];
    double work[64];
    const float *lg = cs_model_logits(st);
    for (int t = 0; t < 16; t++) {
        for (int i = 0; i < head.cfg.vocab; i++)
            if (!isfinite(lg[i])) abort();
        if (has_tab) {
            memcpy(mixed, lg, (size_t)head.cfg.vocab * sizeof *mixed);
            if (cs_ngt_mix_logits(&tab, hist, 4, head.net_weight, work, mixed) != 0) abort();
            for (int i = 0; i < head.cfg.vocab; i++)
                if (!isfinite(mixed[i])) abort();
        }
        cs_sample_result r;
        int lab = cs_sample(lg, head.cfg.vocab, &p, hist, 4, NULL, &rng, scratch, scratch_bytes, &r);
        if (lab < 0 || lab >= head.cfg.vocab || !isfinite(r.prob) || !isfinite(r.entropy_bits)) abort();
        hist[t & 3] = lab;
        int tok = size > (size_t)t ? (int)data[size - 1 - (size_t)t] - 8 : lab; /* includes invalid tokens */
        /* a descriptor row for a model with descriptor inputs: floats of the input itself (NaN, inf, huge) */
        static float row[CS_MODEL_MAX_DESC_INPUTS];
        for (int i = 0; i < head.cfg.desc_inputs; i++) {
            const size_t at = ((size_t)t * 31u + (size_t)i * 4u) % (size ? size : 1);
            uint32_t u = 0;
            for (size_t k = 0; k < 4 && at + k < size; k++)
                u |= (uint32_t)data[at + k] << (8 * k);
            memcpy(&row[i], &u, sizeof u);
        }
        int e = cs_model_step_desc(st, tok, t & 1 ? row : NULL, &lg);
        if ((tok >= 0 && tok < head.cfg.vocab) != (e == 0)) abort();
    }
    free(scratch);
    free(mem);
    free(buf);
    return 0;
}
