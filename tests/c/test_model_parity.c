/*
 * test_model_parity.c - the C GRU and transformer steps against PyTorch.
 *
 * Fixtures (tests/scripts/model_reference.py, torch 1.13, float64 forward on the float32 weights):
 *   model_<arch>.bin        the complete model buffer written by the Python script (header + weights)
 *   model_<arch>_steps.txt  the tokens fed after BOS and the reference logits after each token
 * Criterion, per step: max_i |c_i - ref_i| / max(1, max_i |ref_i|) <= 1e-5 (a relative error for logits
 * larger than 1, an absolute one below). Checked with both matrix-vector kernels (portable and AVX2/FMA when
 * the CPU has it), with cs_model_step and with cs_model_prime + cs_model_logits, after a reset in the
 * middle (the state must restart exactly), and through the file path: write the model with
 * cs_model_file_write, read it back, export it to JSON and import it again: the weights must be
 * bit-identical and the logits the same.
 */
#include "cs_model.h"
#include "cs_model_io.h"
#include "cs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_STEPS 64
#define TOL       1e-5

typedef struct fixture {
    float *buf;
    size_t n;
    int vocab, ntok;
    int tokens[MAX_STEPS];
    double logits[MAX_STEPS + 1][16];
} fixture;

static int load_fixture(const char *name, fixture *f)
{
    char path[1024];
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "%s/model_%s.bin", CS_FIXTURE_DIR, name);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long bytes = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->n = (size_t)bytes / sizeof(float);
    f->buf = malloc(f->n * sizeof(float));
    size_t got = fread(f->buf, sizeof(float), f->n, fp);
    fclose(fp);
    if (got != f->n) return -1;

    snprintf(path, sizeof path, "%s/model_%s_steps.txt", CS_FIXTURE_DIR, name);
    fp = fopen(path, "r");
    if (!fp) return -1;
    char line[8192];
    int row = 0;
    while (fgets(line, sizeof line, fp)) {
        char *p = line;
        int used = 0;
        if (line[0] == '#') continue;
        if (sscanf(p, "vocab %d", &f->vocab) == 1) continue;
        if (sscanf(p, "tokens %d%n", &f->ntok, &used) == 1) {
            p += used;
            for (int i = 0; i < f->ntok && i < MAX_STEPS; i++) {
                sscanf(p, "%d%n", &f->tokens[i], &used);
                p += used;
            }
            continue;
        }
        if (sscanf(p, "logits %d%n", &row, &used) == 1 && row <= MAX_STEPS) {
            p += used;
            for (int i = 0; i < f->vocab && i < 16; i++) {
                sscanf(p, "%lf%n", &f->logits[row][i], &used);
                p += used;
            }
        }
    }
    fclose(fp);
    return (f->vocab > 0 && f->vocab <= 16 && f->ntok > 0 && f->ntok <= MAX_STEPS) ? 0 : -1;
}

static double step_error(const float *c, const double *ref, int V)
{
    double maxdiff = 0.0, maxref = 1.0;
    for (int i = 0; i < V; i++) {
        double d = fabs((double)c[i] - ref[i]);
        if (!(d <= maxdiff)) maxdiff = d; /* NaN propagates as a failure */
        if (fabs(ref[i]) > maxref) maxref = fabs(ref[i]);
    }
    return maxdiff / maxref;
}

/* Run BOS + all tokens; returns the worst per-step error. mode 0: step; 1: prime + logits. */
static double run_sequence(cs_model_state *st, const fixture *f, int mode)
{
    double worst = 0.0;
    cs_model_reset(st);
    double e = step_error(cs_model_logits(st), f->logits[0], f->vocab);
    if (!(e <= worst)) worst = e;
    for (int t = 0; t < f->ntok; t++) {
        const float *lg = NULL;
        if (mode == 0) {
            CS_CHECK(cs_model_step(st, f->tokens[t], &lg) == 0, "step %d", t);
        } else {
            CS_CHECK(cs_model_prime(st, f->tokens[t]) == 0, "prime %d", t);
            lg = cs_model_logits(st);
        }
        e = step_error(lg, f->logits[t + 1], f->vocab);
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

static void check_model(const char *name, const float *buf, size_t n, const fixture *f, const char *via)
{
    cs_model_view view;
    int err = cs_model_parse(buf, n, &view);
    CS_CHECK(err == 0, "%s (%s): parse: %s", name, via, cs_model_strerror(err));
    if (err) return;
    CS_CHECK(view.cfg.vocab == f->vocab, "%s vocab", name);
    size_t bytes = cs_model_state_size(&view);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    CS_CHECK(cs_model_state_init(&view, mem, bytes, &st) == 0 && st, "%s init", name);
    if (!st) {
        free(mem);
        return;
    }
    for (int simd = 0; simd <= 1; simd++) {
        int active = cs_model_state_set_simd(st, simd);
        if (simd && !active) continue;
        for (int mode = 0; mode <= 1; mode++) {
            double worst = run_sequence(st, f, mode);
            printf("%-12s %-10s kernel %-8s %-6s max rel err %.3g\n", name, via, active ? "avx2" : "portable",
                   mode ? "prime" : "step", worst);
            CS_CHECK(worst <= TOL, "%s (%s) kernel %d mode %d: error %.3g > %.1g", name, via, active, mode, worst, TOL);
        }
        /* a second pass after a reset must give the same numbers, bit for bit */
        float first[16], again[16];
        const float *lg;
        cs_model_reset(st);
        for (int t = 0; t < f->ntok; t++)
            cs_model_step(st, f->tokens[t], &lg);
        memcpy(first, lg, sizeof(float) * (size_t)f->vocab);
        cs_model_reset(st);
        for (int t = 0; t < f->ntok; t++)
            cs_model_step(st, f->tokens[t], &lg);
        memcpy(again, lg, sizeof(float) * (size_t)f->vocab);
        CS_CHECK(memcmp(first, again, sizeof(float) * (size_t)f->vocab) == 0, "%s reset reproduces", name);
        CS_CHECK(cs_model_position(st) == f->ntok + 1, "%s position %ld", name, cs_model_position(st));
    }
    /* an out-of-range token is refused and changes nothing */
    const float *before = NULL, *after = NULL;
    cs_model_reset(st);
    float keep[16];
    memcpy(keep, cs_model_logits(st), sizeof(float) * (size_t)f->vocab);
    CS_CHECK(cs_model_step(st, f->vocab, &before) == CS_MODEL_E_TOKEN, "BOS as a step token is refused");
    CS_CHECK(cs_model_step(st, -1, &after) == CS_MODEL_E_TOKEN, "-1 refused");
    CS_CHECK(after && memcmp(after, keep, sizeof(float) * (size_t)f->vocab) == 0, "state unchanged by a bad token");
    CS_CHECK(cs_model_position(st) == 1, "position unchanged by a bad token");
    free(mem);
}

static void check_file_paths(const char *name, const fixture *f)
{
    cs_model_view view;
    if (cs_model_parse(f->buf, f->n, &view) != 0) return;
    char wav[1024], json[1024], wav2[1024];
    snprintf(wav, sizeof wav, "%s/test_model_parity_%s.wav", CS_BINARY_DIR, name);
    snprintf(json, sizeof json, "%s/test_model_parity_%s.json", CS_BINARY_DIR, name);
    snprintf(wav2, sizeof wav2, "%s/test_model_parity_%s_back.wav", CS_BINARY_DIR, name);
    int err = cs_model_file_write(wav, &view.cfg, &view.meta, view.weights, view.n_weights);
    CS_CHECK(err == 0, "%s write wav: %d", name, err);
    float *buf = NULL;
    size_t n = 0;
    err = cs_model_file_read(wav, &buf, &n);
    CS_CHECK(err == 0 && n == f->n, "%s read wav: %d, %zu floats", name, err, n);
    if (buf && n == f->n) {
        /* our writer and the Python writer must produce the same buffer, header included */
        CS_CHECK(memcmp(buf, f->buf, n * sizeof(float)) == 0, "%s: C writer == Python writer, bit for bit", name);
        check_model(name, buf, n, f, "wav");
    }
    free(buf);
    buf = NULL;

    err = cs_model_export_json(wav, json, NULL);
    CS_CHECK(err == 0, "%s export json: %d", name, err);
    err = cs_model_import_json(json, wav2, NULL);
    CS_CHECK(err == 0, "%s import json: %d", name, err);
    err = cs_model_file_read(wav2, &buf, &n);
    CS_CHECK(err == 0 && n == f->n, "%s read imported: %d", name, err);
    if (buf && n == f->n) {
        CS_CHECK(memcmp(buf, f->buf, n * sizeof(float)) == 0, "%s: json round trip bit-identical", name);
        check_model(name, buf, n, f, "json");
    }
    free(buf);
    unlink(wav);
    unlink(json);
    unlink(wav2);
}

int main(void)
{
    const char *names[2] = {"gru", "transformer"};
    for (int i = 0; i < 2; i++) {
        fixture f;
        int err = load_fixture(names[i], &f);
        CS_CHECK(err == 0, "load fixture %s", names[i]);
        if (err) continue;
        check_model(names[i], f.buf, f.n, &f, "fixture");
        check_file_paths(names[i], &f);
        free(f.buf);
    }
    /* the transformer fixture must exercise the sliding window (sequence longer than the context) */
    fixture t;
    if (load_fixture("transformer", &t) == 0) {
        cs_model_view v;
        if (cs_model_parse(t.buf, t.n, &v) == 0)
            CS_CHECK(t.ntok + 1 > 2 * v.cfg.context, "window exercised: %d tokens, context %d", t.ntok + 1,
                     v.cfg.context);
        free(t.buf);
    }
    CS_TEST_END();
}
