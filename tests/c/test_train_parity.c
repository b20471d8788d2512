/*
 * test_train_parity.c - our training forward/backward against PyTorch (tests/scripts/train_reference.py,
 * fixtures tests/fixtures/train_{gru,tf}_*; the reference runs in float64 from the same float32 weights).
 *
 * Tolerances (stated):
 *   loss:    |ours - ref| <= 1e-5 * |ref|
 *   logits:  |ours - ref| <= 1e-5 * max |ref logit| of the fixture (relative to the logit scale)
 *   grads:   |ours - ref| <= 1e-4 * max |ref grad| of that tensor (per tensor, layout order)
 * Also: tensor names/shapes (the core's cs_model_tensor_info) equal torch's, the gradient is identical with 1
 * and 2 threads, and the inference core's forward step (cs_model_step, what evaluation and SeqPredict run,
 * both kernels) reproduces the reference logits window by window within 2e-5 of the logit scale (its
 * exp/tanh/sigmoid are the bounded-error ones of cs_fastmath.h). All of it runs twice: with the trainer kernel
 * set this CPU selects (AVX2/FMA on x86 with both) and with the portable set (CONCATSEQ_TRAIN_KERNELS=portable).
 * The fixtures grud / tfd add descriptor inputs (desc_proj.weight, the previous unit's descriptor row added to
 * the embedding): the same checks through cs_train_loss_grad_desc and cs_model_step_desc.
 */
#include "cs_model.h"
#include "cs_test.h"
#include "cs_train.h"
#include "cs_train_kernels.h"

#include <stdlib.h>
#include <string.h>

static void *read_all(const char *name, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CS_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) ((char *)buf)[n] = '\0';
    *size = (size_t)n;
    return buf;
}

/* One fixture: read it, then compare names, loss, logits, gradients, thread independence and the inference
 * core, in that order (about 125 lines: one straight sequence of checks over the same buffers). */
static void run_case(const char *tag)
{
    char name[256];
    size_t sz;
    snprintf(name, sizeof name, "train_%s_meta.txt", tag);
    char *meta = read_all(name, &sz);
    CS_CHECK(meta != NULL, "missing fixture %s", name);
    if (!meta) return;
    cs_model_config m;
    memset(&m, 0, sizeof m);
    int B = 0, T = 0, pos = 0;
    char kind[8] = {0};
    if (sscanf(meta, "%7s%n", kind, &pos) != 1) return;
    const int with_desc = kind[strlen(kind) - 1] == 'd'; /* "grud", "tfd": descriptor inputs */
    char *eol = strchr(meta, '\n');
    CS_CHECK(eol != NULL, "%s: meta has no target lines", tag);
    if (!eol) return;
    *eol = '\0'; /* scan the first line only */
    if (strncmp(kind, "gru", 3) == 0) {
        m.arch = CS_MODEL_GRU;
        CS_CHECK(sscanf(meta + pos, "%d %d %d %d %d %d", &m.vocab, &m.width, &m.layers, &B, &T, &m.desc_inputs) ==
                     5 + with_desc,
                 "meta");
    } else {
        m.arch = CS_MODEL_TRANSFORMER;
        CS_CHECK(sscanf(meta + pos, "%d %d %d %d %d %d %d %d", &m.vocab, &m.width, &m.layers, &m.heads, &m.context, &B,
                        &T, &m.desc_inputs) == 7 + with_desc,
                 "meta");
        m.d_ff = CS_MODEL_TF_FF_MULT * m.width;
    }
    const size_t Din = (size_t)m.desc_inputs;
    float *desc = NULL;
    if (with_desc) {
        snprintf(name, sizeof name, "train_%s_desc.f32", tag);
        desc = read_all(name, &sz);
        CS_CHECK(desc && Din > 0 && sz == (size_t)B * T * Din * sizeof(float), "%s: desc fixture", tag);
        if (!desc || sz != (size_t)B * T * Din * sizeof(float)) return;
    }
    *eol = '\n';
    const int V = m.vocab;
    int *tg = malloc((size_t)B * T * sizeof *tg);
    char *p = eol;
    for (int i = 0; i < B * T; i++)
        tg[i] = (int)strtol(p, &p, 10);

    const size_t P = cs_model_param_count(&m);
    CS_CHECK(P > 0, "%s: the fixture's shape is not a valid model configuration", tag);
    snprintf(name, sizeof name, "train_%s_weights.f32", tag);
    float *w = read_all(name, &sz);
    CS_CHECK(w && sz == P * sizeof(float), "%s: %zu bytes, expected %zu floats", tag, sz, P);
    snprintf(name, sizeof name, "train_%s_ref.f64", tag);
    double *ref = read_all(name, &sz);
    const size_t NL = (size_t)B * T * V;
    CS_CHECK(ref && sz == (1 + NL + P) * sizeof(double), "%s ref size %zu", tag, sz);
    if (!w || !ref || sz != (1 + NL + P) * sizeof(double)) return;

    /* names and shapes */
    snprintf(name, sizeof name, "train_%s_names.txt", tag);
    char *names = read_all(name, &sz);
    CS_CHECK(names != NULL, "names");
    int nt = cs_model_tensor_count(&m);
    {
        char *q = names;
        for (int i = 0; i < nt && q; i++) {
            char nm[128];
            int r = 0, c = 0, used = 0;
            if (sscanf(q, "%127s %d %d%n", nm, &r, &c, &used) != 3) break;
            q += used;
            cs_model_tensor ti;
            cs_model_tensor_info(&m, i, &ti);
            CS_CHECK(strcmp(nm, ti.name) == 0 && (size_t)r == ti.shape[0] && (size_t)c == ti.shape[1],
                     "%s tensor %d: %s %zux%zu vs %s %dx%d", tag, i, ti.name, ti.shape[0], ti.shape[1], nm, r, c);
        }
    }

    double loss = 0.0, loss2 = 0.0;
    float *grad = malloc(P * sizeof *grad), *grad2 = malloc(P * sizeof *grad2);
    float *logits = malloc(NL * sizeof *logits);
    CS_CHECK(cs_train_loss_grad_desc(&m, w, tg, desc, B, T, 1, &loss, grad, logits) == 0, "loss_grad");
    CS_CHECK(cs_train_loss_grad_desc(&m, w, tg, desc, B, T, 2, &loss2, grad2, NULL) == 0, "loss_grad 2 threads");
    CS_CHECK(memcmp(grad, grad2, P * sizeof *grad) == 0 && loss == loss2, "%s: 1 vs 2 threads differ", tag);
    printf("%s: loss ours %.9f ref %.9f\n", tag, loss, ref[0]);
    CS_CHECK(fabs(loss - ref[0]) <= 1e-5 * fabs(ref[0]), "%s loss %.9g vs %.9g", tag, loss, ref[0]);

    double lmax = 0.0, lerr = 0.0;
    for (size_t i = 0; i < NL; i++)
        lmax = fmax(lmax, fabs(ref[1 + i]));
    for (size_t i = 0; i < NL; i++)
        lerr = fmax(lerr, fabs((double)logits[i] - ref[1 + i]));
    printf("%s: max logit error %.3g (scale %.3g)\n", tag, lerr, lmax);
    CS_CHECK(lerr <= 1e-5 * lmax, "%s logits error %.3g > 1e-5 * %.3g", tag, lerr, lmax);

    double worst = 0.0;
    for (int i = 0; i < nt; i++) {
        cs_model_tensor ti;
        cs_model_tensor_info(&m, i, &ti);
        const size_t n = ti.count;
        const double *rg = ref + 1 + NL + ti.offset;
        double gmax = 0.0, err = 0.0;
        for (size_t k = 0; k < n; k++)
            gmax = fmax(gmax, fabs(rg[k]));
        for (size_t k = 0; k < n; k++)
            err = fmax(err, fabs((double)grad[ti.offset + k] - rg[k]));
        const double rel = gmax > 0 ? err / gmax : err;
        worst = fmax(worst, rel);
        CS_CHECK(gmax > 0.0, "%s %s: reference gradient is all zero (fixture would test nothing)", tag, ti.name);
        CS_CHECK(rel <= 1e-4, "%s %s: grad error %.3g relative to max %.3g", tag, ti.name, rel, gmax);
    }
    printf("%s: worst per-tensor relative gradient error %.3g\n", tag, worst);

    /* the inference core's forward step reproduces the logits */
    cs_model_view view;
    CS_CHECK(cs_model_view_map(&m, w, &view) == 0, "%s view", tag);
    const size_t bytes = cs_model_state_size(&view);
    void *mem = malloc(bytes);
    cs_model_state *st = NULL;
    CS_CHECK(cs_model_state_init(&view, mem, bytes, &st) == 0, "%s core state", tag);
    for (int simd = 0; st && simd < 2; simd++) {
        cs_model_state_set_simd(st, simd);
        double serr = 0.0;
        for (int b = 0; b < B; b++) {
            cs_model_reset(st);
            for (int t = 0; t < T; t++) {
                const int prev = t > 0 ? tg[b * T + t - 1] : -1;
                const float *row = desc && prev >= 0 ? desc + ((size_t)b * T + (size_t)(t - 1)) * Din : NULL;
                if (t > 0) cs_model_step_desc(st, prev < 0 ? 0 : prev, row, NULL);
                const float *z = cs_model_logits(st);
                for (int v = 0; v < V; v++)
                    serr = fmax(serr, fabs((double)z[v] - ref[1 + ((size_t)b * T + t) * V + v]));
            }
        }
        printf("%s: inference core (simd %d) max logit error %.3g\n", tag, simd, serr);
        CS_CHECK(serr <= 2e-5 * lmax, "%s inference core logits error %.3g", tag, serr);
    }
    free(mem);

    free(desc);
    free(meta);
    free(names);
    free(tg);
    free(w);
    free(ref);
    free(grad);
    free(grad2);
    free(logits);
}

int main(void)
{
    /* the kernel set this CPU selects, then the portable set forced as a user would (cs_train_kernels.h) */
    unsetenv("CONCATSEQ_TRAIN_KERNELS");
    for (int pass = 0; pass < 2; pass++) {
        if (pass) setenv("CONCATSEQ_TRAIN_KERNELS", "portable", 1);
        printf("trainer kernels: %s\n", cs_train_kernels_get(CS_TK_AUTO)->name);
        run_case("gru");
        run_case("tf");
        run_case("grud");
        run_case("tfd");
    }
    CS_TEST_END();
}
