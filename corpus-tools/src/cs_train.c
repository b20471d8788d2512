/*
 * cs_train.c - training of the sequence model: initialisation, a batched forward with caches and the
 * hand-written backward (GRU, pre-LN ALiBi transformer), sharded deterministic batches, Adam, schedule, early
 * stopping; evaluation through the core's forward step (the AVX2 set's transformer: a batched forward of the
 * same equations, tf_eval_seq). The configuration, tensor list and offsets come from
 * the core (cs_model.h). See cs_train.h for the documented semantics.
 *
 * Matrix convention: a weight W (out, in) is stored row-major as in PyTorch. Every optimiser step a
 * transposed copy WT (in, out) is made once, so that forward products y[m][:] += x[m][k] * WT[k][:] are
 * contiguous row updates (the same form serves dX = dY W and dW = dY^T X). The products, the GRU cell, the
 * attention heads, layer norm, the transformer's elementwise loops and the Adam update are the generic kernels
 * of cs_train_kernels.h (portable or AVX2/FMA, chosen once per engine), called from
 * the layers; see there for what differs between the two sets.
 */
#include "cs_train.h"

#include "cs_error.h"
#include "cs_rng.h"
#include "cs_train_kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXL   CS_MODEL_MAX_LAYERS
#define MAXT   64 /* >= the largest tensor count (5 + 12 * CS_MODEL_MAX_LAYERS = 53) */
#define LN_EPS 1e-5f
#define LN2    0.69314718055994530942
#define PI_D   3.14159265358979323846

/* ------------------------------------------------------------------------------------------------------ */
/* Layout: the core's tensor list and tensor offsets                                                        */
/* ------------------------------------------------------------------------------------------------------ */

typedef struct tlist {
    cs_model_tensor t[MAXT];
    int n;
} tlist;

/* Offsets (in floats from the start of the blob) of every tensor the forward and backward passes address. */
typedef struct layout {
    size_t n;
    size_t emb;
    size_t wih[MAXL], whh[MAXL], bih[MAXL], bhh[MAXL];
    size_t ln1w[MAXL], ln1b[MAXL], inw[MAXL], inb[MAXL], outw[MAXL], outb[MAXL];
    size_t ln2w[MAXL], ln2b[MAXL], ff1w[MAXL], ff1b[MAXL], ff2w[MAXL], ff2b[MAXL];
    size_t lnfw, lnfb, headw, headb;
    size_t descw; /* desc_proj.weight (W, Din), with descriptor inputs */
} layout;

static int build_tlist(const cs_model_config *m, tlist *tl)
{
    memset(tl, 0, sizeof *tl);
    if (cs_model_config_check(m) != CS_MODEL_OK) return CS_E_ARG;
    tl->n = cs_model_tensor_count(m);
    for (int i = 0; i < tl->n; i++)
        cs_model_tensor_info(m, i, &tl->t[i]);
    return CS_OK;
}

/* Offsets of the tensors, from the core's view mapped over `base` (any array of cs_model_param_count floats):
 * the slots of cs_model_view are the one mapping of tensor order to meaning. */
static void build_layout(const cs_model_config *m, const float *base, layout *ly)
{
    cs_model_view v;
    memset(ly, 0, sizeof *ly);
    if (cs_model_view_map(m, base, &v) != CS_MODEL_OK) return;
#define OFF(p) ((size_t)((p)-base))
    ly->n = v.n_weights;
    ly->emb = OFF(v.embedding);
    ly->headw = OFF(v.head_w);
    ly->headb = OFF(v.head_b);
    if (v.desc_w) ly->descw = OFF(v.desc_w);
    for (int l = 0; l < m->layers; l++) {
        if (m->arch == CS_MODEL_GRU) {
            ly->wih[l] = OFF(v.w_ih[l]);
            ly->whh[l] = OFF(v.w_hh[l]);
            ly->bih[l] = OFF(v.b_ih[l]);
            ly->bhh[l] = OFF(v.b_hh[l]);
            continue;
        }
        ly->ln1w[l] = OFF(v.ln1_w[l]);
        ly->ln1b[l] = OFF(v.ln1_b[l]);
        ly->inw[l] = OFF(v.in_w[l]);
        ly->inb[l] = OFF(v.in_b[l]);
        ly->outw[l] = OFF(v.out_w[l]);
        ly->outb[l] = OFF(v.out_b[l]);
        ly->ln2w[l] = OFF(v.ln2_w[l]);
        ly->ln2b[l] = OFF(v.ln2_b[l]);
        ly->ff1w[l] = OFF(v.ff1_w[l]);
        ly->ff1b[l] = OFF(v.ff1_b[l]);
        ly->ff2w[l] = OFF(v.ff2_w[l]);
        ly->ff2b[l] = OFF(v.ff2_b[l]);
    }
    if (m->arch == CS_MODEL_TRANSFORMER) {
        ly->lnfw = OFF(v.lnf_w);
        ly->lnfb = OFF(v.lnf_b);
    }
#undef OFF
}

int cs_train_init_weights(const cs_model_config *m, uint64_t seed, float *w)
{
    tlist tl;
    if (!w || build_tlist(m, &tl) != CS_OK) return CS_E_ARG;
    cs_rng rng;
    cs_rng_seed(&rng, seed ^ 0x1217A1A1D5EEDull);
    for (int i = 0; i < tl.n; i++) {
        const cs_model_tensor *t = &tl.t[i];
        float *p = w + t->offset;
        /* PyTorch's defaults (cs_model_init), drawn in layout order, row-major */
        float bound = 1.0f;
        if (t->init == CS_MODEL_INIT_UNIFORM) bound = 1.0f / sqrtf((float)t->fan_in);
        if (t->init == CS_MODEL_INIT_XAVIER) bound = sqrtf(6.0f / (float)(t->shape[0] + t->shape[1]));
        for (size_t j = 0; j < t->count; j++) {
            switch (t->init) {
            case CS_MODEL_INIT_NORMAL:
                p[j] = (float)cs_rng_normal(&rng) * bound;
                break;
            case CS_MODEL_INIT_UNIFORM:
            case CS_MODEL_INIT_XAVIER:
                p[j] = (2.0f * cs_rng_uniform(&rng) - 1.0f) * bound;
                break;
            case CS_MODEL_INIT_ONE:
                p[j] = 1.0f;
                break;
            default:
                p[j] = 0.0f;
                break;
            }
        }
    }
    return CS_OK;
}

/* Transposed copy of every product matrix (same offsets); vectors and the embedding copied as they are. */
static void make_transposed(const tlist *tl, const float *w, float *wt)
{
    for (int i = 0; i < tl->n; i++) {
        const cs_model_tensor *t = &tl->t[i];
        const float *src = w + t->offset;
        float *dst = wt + t->offset;
        if (t->product) {
            const size_t R = t->shape[0], Cc = t->shape[1];
            for (size_t r = 0; r < R; r++)
                for (size_t c = 0; c < Cc; c++)
                    dst[c * R + r] = src[r * Cc + c];
        } else {
            memcpy(dst, src, t->count * sizeof *dst);
        }
    }
}

/* ------------------------------------------------------------------------------------------------------ */
/* Kernels                                                                                                 */
/* ------------------------------------------------------------------------------------------------------ */

/* Y (M,N) = bias + X (M,K) WT (K,N). */
static void linear_fwd(const cs_train_kernels *k, int M, int N, int K, const float *X, const float *WT,
                       const float *bias, float *Y)
{
    for (int m = 0; m < M; m++) {
        if (bias)
            memcpy(Y + (size_t)m * N, bias, (size_t)N * sizeof *Y);
        else
            memset(Y + (size_t)m * N, 0, (size_t)N * sizeof *Y);
    }
    k->mm_acc(M, N, K, X, WT, Y);
}

/* dW (N,K) += dY^T (N,M) X (M,K); db (N) += column sums of dY (optional; rows m ascending, by the exact add_mul,
 * so both sets give the bits of the plain loop). */
static void linear_bwd_w(const cs_train_kernels *k, int M, int N, int K, const float *dY, const float *X, float *dW,
                         float *db)
{
    k->mm_acc_tn(M, N, K, dY, X, dW);
    if (db)
        for (int m = 0; m < M; m++)
            k->add_mul((size_t)N, db, dY + (size_t)m * N, NULL, db);
}

/* Softmax cross-entropy over the rows of logits (M,V): rows with tgt < 0 are ignored (gradient 0). Turns
 * logits into d loss / d logits scaled by `scale` (= 1 / total counted targets); returns the sum of nats. */
static double softmax_xent(int M, int V, float *logits, const int *tgt, float scale, float *logits_copy)
{
    double sum = 0.0;
    for (int m = 0; m < M; m++) {
        float *z = logits + (size_t)m * V;
        if (logits_copy) memcpy(logits_copy + (size_t)m * V, z, (size_t)V * sizeof *z);
        if (tgt[m] < 0) {
            memset(z, 0, (size_t)V * sizeof *z);
            continue;
        }
        float mx = z[0];
        for (int v = 1; v < V; v++)
            mx = z[v] > mx ? z[v] : mx;
        double s = 0.0;
        for (int v = 0; v < V; v++)
            s += exp((double)(z[v] - mx));
        const double lse = (double)mx + log(s);
        sum += lse - (double)z[tgt[m]];
        for (int v = 0; v < V; v++)
            z[v] = (float)exp((double)z[v] - lse) * scale;
        z[tgt[m]] -= scale;
    }
    return sum;
}

/* Inverted-dropout mask (values 0 or 1/(1-p)). */
static void dropout_mask(cs_rng *rng, float p, float *mask, size_t n)
{
    const float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = cs_rng_uniform(rng) < p ? 0.0f : keep;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Batch engine: shards of CS_TRAIN_SHARD windows                                                          */
/* ------------------------------------------------------------------------------------------------------ */

typedef struct gru_ws {
    float *X[2], *G[2], *GH[2], *HO[2], *MK[3];
    float *Y, *P, *dGI, *dGH, *dA, *dB, *dhn;
    float *Dp; /* descriptor inputs: (R, Din) the descriptor row of each row's input unit (0 for BOS) */
    int *in, *tg;
} gru_ws;

typedef struct tf_ws {
    float *S[MAXL + 1], *XH1[MAXL], *A1[MAXL], *RS1[MAXL], *QKV[MAXL], *PR[MAXL], *O[MAXL], *X2[MAXL];
    float *XH2[MAXL], *A2[MAXL], *RS2[MAXL], *F[MAXL], *MK1[MAXL], *MK2[MAXL], *MK0;
    float *XHF, *AF, *RSF, *P, *tmp, *dS, *dX2, *dA, *dQKV, *dO, *dF;
    float *att; /* scratch of the attention kernels: cs_train_attn_scratch_floats(T, head size) */
    float *Dp;  /* descriptor inputs: (T, Din) */
    int *in, *tg;
} tf_ws;

typedef struct engine {
    cs_model_config m;
    tlist tl;
    layout ly;
    size_t P;
    int T, max_win, n_shards_max;
    void **ws;
    float **wsmem;
    float *grads;              /* n_shards_max * P */
    float *wt;                 /* transposed weights */
    const cs_train_kernels *k; /* kernel set (cs_train_kernels_get(CS_TK_AUTO) at init) */
    double *loss;              /* per shard */
    /* per call */
    const float *w;
    const int *tgt;
    const float *desc; /* descriptor inputs: (n_win, T, Din) the row of each target's unit, or NULL */
    int n_win;
    float dropout, scale;
    const uint64_t *drop_seed;
    float *logits_out;
    int want_grad;
} engine;

static float *carve(float **p, size_t n)
{
    float *r = *p;
    *p += (n + 15) & ~(size_t)15;
    return r;
}

static size_t rup(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static size_t gru_ws_floats(const cs_model_config *m, int Bs, int T)
{
    const size_t H = (size_t)m->width, V = (size_t)m->vocab, R = (size_t)Bs * (size_t)T;
    size_t n = 0;
    n += 2 * (rup(R * H) + 2 * rup(R * 3 * H) + rup(R * H)); /* X, G, GH, HO */
    n += 3 * rup(R * H);                                     /* masks */
    n += rup(R * H) + rup(R * V) + 2 * rup(R * 3 * H) + 2 * rup(R * H) + rup((size_t)Bs * H);
    n += 2 * rup(R); /* in, tg as ints (same size as float) */
    n += rup(R * (size_t)m->desc_inputs);
    return n;
}

static void gru_ws_carve(const cs_model_config *m, int Bs, int T, float *mem, gru_ws *g)
{
    const size_t H = (size_t)m->width, V = (size_t)m->vocab, R = (size_t)Bs * (size_t)T;
    float *p = mem;
    for (int l = 0; l < 2; l++) {
        g->X[l] = carve(&p, R * H);
        g->G[l] = carve(&p, R * 3 * H);
        g->GH[l] = carve(&p, R * 3 * H);
        g->HO[l] = carve(&p, R * H);
    }
    for (int i = 0; i < 3; i++)
        g->MK[i] = carve(&p, R * H);
    g->Y = carve(&p, R * H);
    g->P = carve(&p, R * V);
    g->dGI = carve(&p, R * 3 * H);
    g->dGH = carve(&p, R * 3 * H);
    g->dA = carve(&p, R * H);
    g->dB = carve(&p, R * H);
    g->dhn = carve(&p, (size_t)Bs * H);
    g->Dp = carve(&p, R * (size_t)m->desc_inputs);
    g->in = (int *)(void *)carve(&p, R);
    g->tg = (int *)(void *)carve(&p, R);
}

static size_t tf_ws_floats(const cs_model_config *m, int T)
{
    const size_t D = (size_t)m->width, V = (size_t)m->vocab, F = (size_t)m->d_ff, L = (size_t)m->layers;
    const size_t t = (size_t)T, NH = (size_t)m->heads;
    size_t per = rup(t * D) * 8 + rup(t) * 2 + rup(t * 3 * D) + rup(NH * t * t) + rup(t * F);
    size_t n = (L + 1) * rup(t * D) + L * per + rup(t * D);
    n += rup(t * D) * 2 + rup(t) + rup(t * V) + rup(t * F) * 2 + rup(t * D) * 4 + rup(t * 3 * D);
    n += rup(cs_train_attn_scratch_floats(T, m->width / m->heads));
    n += 2 * rup(t);
    n += rup(t * (size_t)m->desc_inputs);
    return n;
}

static void tf_ws_carve(const cs_model_config *m, int T, float *mem, tf_ws *g)
{
    const size_t D = (size_t)m->width, V = (size_t)m->vocab, F = (size_t)m->d_ff, t = (size_t)T, NH = (size_t)m->heads;
    float *p = mem;
    for (int l = 0; l <= m->layers; l++)
        g->S[l] = carve(&p, t * D);
    for (int l = 0; l < m->layers; l++) {
        g->XH1[l] = carve(&p, t * D);
        g->A1[l] = carve(&p, t * D);
        g->RS1[l] = carve(&p, t);
        g->QKV[l] = carve(&p, t * 3 * D);
        g->PR[l] = carve(&p, NH * t * t);
        g->O[l] = carve(&p, t * D);
        g->X2[l] = carve(&p, t * D);
        g->XH2[l] = carve(&p, t * D);
        g->A2[l] = carve(&p, t * D);
        g->RS2[l] = carve(&p, t);
        g->F[l] = carve(&p, t * F);
        g->MK1[l] = carve(&p, t * D);
        g->MK2[l] = carve(&p, t * D);
    }
    g->MK0 = carve(&p, t * D);
    g->XHF = carve(&p, t * D);
    g->AF = carve(&p, t * D);
    g->RSF = carve(&p, t);
    g->P = carve(&p, t * V);
    g->tmp = carve(&p, t * F);
    g->dF = carve(&p, t * F);
    g->dS = carve(&p, t * D);
    g->dX2 = carve(&p, t * D);
    g->dA = carve(&p, t * D);
    g->dO = carve(&p, t * D);
    g->dQKV = carve(&p, t * 3 * D);
    g->att = carve(&p, cs_train_attn_scratch_floats(T, m->width / m->heads));
    g->Dp = carve(&p, t * (size_t)m->desc_inputs);
    g->in = (int *)(void *)carve(&p, t);
    g->tg = (int *)(void *)carve(&p, t);
}

/* ------------------------------------------ input layer ------------------------------------------------- */

/* A descriptor value as the core feeds it: NaN 0, clamped to +-CS_MODEL_DESC_CLAMP. */
static float desc_clamp(float d)
{
    d = d == d ? d : 0.0f;
    return d > CS_MODEL_DESC_CLAMP ? CS_MODEL_DESC_CLAMP : d < -CS_MODEL_DESC_CLAMP ? -CS_MODEL_DESC_CLAMP : d;
}

/* Descriptor inputs (cs_model.h): the input of row `row` is embedding[label] + desc_proj.weight d, d = the
 * descriptor row of the unit whose label is fed (the previous target: window position t - 1; zeros for BOS at
 * t = 0 and for padded positions), clamped as the core clamps it. Fills dst (Din floats). */
static void input_desc_row(const engine *e, int win, int t, float *dst)
{
    const int Din = e->m.desc_inputs;
    const int *tg = e->tgt + (size_t)win * e->T;
    if (t == 0 || tg[t - 1] < 0 || !e->desc) {
        memset(dst, 0, (size_t)Din * sizeof *dst);
        return;
    }
    const float *src = e->desc + ((size_t)win * e->T + (size_t)(t - 1)) * (size_t)Din;
    for (int i = 0; i < Din; i++)
        dst[i] = desc_clamp(src[i]);
}

/* Forward of the input layer for R rows: X (R, W) = embedding rows of `in` (+ Dp (R, Din) desc_proj^T). */
static void input_fwd(const engine *e, int R, const int *in, const float *Dp, float *X)
{
    const int W = e->m.width, Din = e->m.desc_inputs;
    for (int r = 0; r < R; r++)
        memcpy(X + (size_t)r * W, e->w + e->ly.emb + (size_t)in[r] * W, (size_t)W * sizeof(float));
    if (Din > 0) e->k->mm_acc(R, W, Din, Dp, e->wt + e->ly.descw, X);
}

/* Backward of input_fwd: dX (R, W) = d loss / d X (after any dropout mask was applied to it). */
static void input_bwd(const engine *e, int R, const int *in, const float *Dp, const float *dX, float *grad)
{
    const int W = e->m.width, Din = e->m.desc_inputs;
    for (int r = 0; r < R; r++)
        cs_tk_axpy(W, 1.0f, dX + (size_t)r * W, grad + e->ly.emb + (size_t)in[r] * W);
    if (Din > 0) linear_bwd_w(e->k, R, W, Din, dX, Dp, grad + e->ly.descw, NULL);
}

/* ---------------------------------------------- GRU ------------------------------------------------------ */

/* Forward + backward of windows [w0, w0 + Bs) of the batch. Rows are time-major: row = t * Bs + b. */
static void gru_backward(engine *e, gru_ws *g, int Bs, float *grad, int drop);

static double gru_shard(engine *e, gru_ws *g, int w0, int Bs, float *grad)
{
    const cs_model_config *m = &e->m;
    const layout *ly = &e->ly;
    const int H = m->width, V = m->vocab, L = m->layers, T = e->T, R = Bs * T, H3 = 3 * H;
    const float *w = e->w, *wt = e->wt;
    const size_t sH = (size_t)H, sH3 = (size_t)H3;

    for (int b = 0; b < Bs; b++) {
        const int *tg = e->tgt + (size_t)(w0 + b) * T;
        for (int t = 0; t < T; t++) {
            g->tg[t * Bs + b] = tg[t];
            const int prev = t == 0 ? V : tg[t - 1];
            g->in[t * Bs + b] = prev < 0 ? 0 : prev; /* padded positions feed label 0 (their loss is ignored) */
        }
    }
    const int drop = e->dropout > 0.0f && e->drop_seed;
    if (drop) {
        for (int b = 0; b < Bs; b++) {
            cs_rng rng;
            cs_rng_seed(&rng, e->drop_seed[w0 + b]);
            for (int s = 0; s <= L; s++)
                for (int t = 0; t < T; t++)
                    dropout_mask(&rng, e->dropout, g->MK[s] + ((size_t)t * Bs + b) * sH, sH);
        }
    }
    /* input layer: embedding (+ descriptor projection) */
    if (m->desc_inputs > 0)
        for (int b = 0; b < Bs; b++)
            for (int t = 0; t < T; t++)
                input_desc_row(e, w0 + b, t, g->Dp + ((size_t)t * Bs + b) * (size_t)m->desc_inputs);
    input_fwd(e, R, g->in, g->Dp, g->X[0]);
    if (drop)
        for (size_t i = 0; i < (size_t)R * sH; i++)
            g->X[0][i] *= g->MK[0][i];

    for (int l = 0; l < L; l++) {
        float *G = g->G[l], *GH = g->GH[l], *HO = g->HO[l];
        linear_fwd(e->k, R, H3, H, g->X[l], wt + ly->wih[l], w + ly->bih[l], G);
        for (int t = 0; t < T; t++) {
            float *gh = GH + (size_t)t * Bs * sH3;
            const float *hprev = t ? HO + (size_t)(t - 1) * Bs * sH : NULL;
            if (hprev)
                linear_fwd(e->k, Bs, H3, H, hprev, wt + ly->whh[l], w + ly->bhh[l], gh);
            else
                for (int b = 0; b < Bs; b++)
                    memcpy(gh + (size_t)b * sH3, w + ly->bhh[l], sH3 * sizeof(float));
            for (int b = 0; b < Bs; b++) {
                float *gi = G + ((size_t)t * Bs + b) * sH3;
                const float *ghb = gh + (size_t)b * sH3;
                const float *hp = hprev ? hprev + (size_t)b * sH : NULL;
                e->k->gru_gates(H, gi, ghb, hp, HO + ((size_t)t * Bs + b) * sH);
            }
        }
        float *next = l + 1 < L ? g->X[l + 1] : g->Y;
        if (drop)
            for (size_t i = 0; i < (size_t)R * sH; i++)
                next[i] = HO[i] * g->MK[l + 1][i];
        else
            memcpy(next, HO, (size_t)R * sH * sizeof(float));
    }
    linear_fwd(e->k, R, V, H, g->Y, wt + ly->headw, w + ly->headb, g->P);
    if (e->logits_out) {
        for (int b = 0; b < Bs; b++)
            for (int t = 0; t < T; t++)
                memcpy(e->logits_out + ((size_t)(w0 + b) * T + t) * V, g->P + ((size_t)t * Bs + b) * V,
                       (size_t)V * sizeof(float));
    }
    const double loss = softmax_xent(R, V, g->P, g->tg, e->scale, NULL);
    if (!e->want_grad) return loss;
    gru_backward(e, g, Bs, grad, drop);
    return loss;
}

/* Backward of gru_shard's forward (activations in g; g->P holds d loss / d logits): backpropagation through time,
 * layer by layer from the top; gradients accumulate into grad. */
static void gru_backward(engine *e, gru_ws *g, int Bs, float *grad, int drop)
{
    const cs_model_config *m = &e->m;
    const layout *ly = &e->ly;
    const int H = m->width, V = m->vocab, L = m->layers, T = e->T, R = Bs * T, H3 = 3 * H;
    const float *w = e->w;
    const size_t sH = (size_t)H, sH3 = (size_t)H3;
    linear_bwd_w(e->k, R, V, H, g->P, g->Y, grad + ly->headw, grad + ly->headb);
    float *dH = g->dA, *dX = g->dB;
    memset(dH, 0, (size_t)R * sH * sizeof(float));
    e->k->mm_acc(R, H, V, g->P, w + ly->headw, dH);
    if (drop)
        for (size_t i = 0; i < (size_t)R * sH; i++)
            dH[i] *= g->MK[L][i];
    for (int l = L - 1; l >= 0; l--) {
        const float *G = g->G[l], *GH = g->GH[l], *HO = g->HO[l];
        memset(g->dhn, 0, (size_t)Bs * sH * sizeof(float));
        for (int t = T - 1; t >= 0; t--) {
            for (int b = 0; b < Bs; b++) {
                const size_t row = (size_t)t * Bs + b;
                const float *gt = G + row * sH3, *ght = GH + row * sH3;
                const float *hp = t ? HO + ((size_t)(t - 1) * Bs + b) * sH : NULL;
                const float *dh_out = dH + row * sH;
                float *dhn = g->dhn + (size_t)b * sH;
                float *dgi = g->dGI + row * sH3, *dgh = g->dGH + row * sH3;
                for (int j = 0; j < H; j++) {
                    const float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
                    const float h0 = hp ? hp[j] : 0.0f;
                    const float dh = dh_out[j] + dhn[j];
                    const float dn = dh * (1.0f - z);
                    const float dz = dh * (h0 - n);
                    const float dan = dn * (1.0f - n * n);
                    const float dar = dan * ght[2 * H + j] * r * (1.0f - r);
                    const float daz = dz * z * (1.0f - z);
                    dgi[j] = dar;
                    dgi[H + j] = daz;
                    dgi[2 * H + j] = dan;
                    dgh[j] = dar;
                    dgh[H + j] = daz;
                    dgh[2 * H + j] = dan * r;
                    dhn[j] = dh * z;
                }
            }
            if (t > 0) e->k->mm_acc(Bs, H, H3, g->dGH + (size_t)t * Bs * sH3, w + ly->whh[l], g->dhn);
        }
        linear_bwd_w(e->k, R, H3, H, g->dGI, g->X[l], grad + ly->wih[l], grad + ly->bih[l]);
        if (T > 1) linear_bwd_w(e->k, (T - 1) * Bs, H3, H, g->dGH + (size_t)Bs * sH3, HO, grad + ly->whh[l], NULL);
        {
            float *db = grad + ly->bhh[l];
            for (int r = 0; r < R; r++) {
                const float *d = g->dGH + (size_t)r * sH3;
                for (int n = 0; n < H3; n++)
                    db[n] += d[n];
            }
        }
        memset(dX, 0, (size_t)R * sH * sizeof(float));
        e->k->mm_acc(R, H, H3, g->dGI, w + ly->wih[l], dX);
        if (drop)
            for (size_t i = 0; i < (size_t)R * sH; i++)
                dX[i] *= g->MK[l][i];
        float *tmp = dH;
        dH = dX;
        dX = tmp;
    }
    input_bwd(e, R, g->in, g->Dp, dH, grad);
}

/* ------------------------------------------- Transformer ------------------------------------------------- */

static float alibi_slope(int h, int NH)
{
    return exp2f(-8.0f * (float)(h + 1) / (float)NH);
}

static void tf_backward(engine *e, tf_ws *g, float *grad, int drop);

static double tf_window(engine *e, tf_ws *g, int win, float *grad)
{
    const cs_model_config *m = &e->m;
    const layout *ly = &e->ly;
    const int D = m->width, V = m->vocab, L = m->layers, T = e->T, F = m->d_ff, NH = m->heads, hd = D / NH;
    const int C = m->context;
    const float *w = e->w, *wt = e->wt;
    const float scale = 1.0f / sqrtf((float)hd);
    const size_t sD = (size_t)D, sT = (size_t)T;
    const int *tg = e->tgt + (size_t)win * T;
    for (int t = 0; t < T; t++) {
        g->tg[t] = tg[t];
        const int prev = t == 0 ? V : tg[t - 1];
        g->in[t] = prev < 0 ? 0 : prev;
    }
    const int drop = e->dropout > 0.0f && e->drop_seed;
    if (drop) {
        cs_rng rng;
        cs_rng_seed(&rng, e->drop_seed[win]);
        dropout_mask(&rng, e->dropout, g->MK0, sT * sD);
        for (int l = 0; l < L; l++) {
            dropout_mask(&rng, e->dropout, g->MK1[l], sT * sD);
            dropout_mask(&rng, e->dropout, g->MK2[l], sT * sD);
        }
    }
    if (m->desc_inputs > 0)
        for (int t = 0; t < T; t++)
            input_desc_row(e, win, t, g->Dp + (size_t)t * (size_t)m->desc_inputs);
    input_fwd(e, T, g->in, g->Dp, g->S[0]);
    if (drop) e->k->mul(sT * sD, g->S[0], g->MK0, g->S[0]);

    for (int l = 0; l < L; l++) {
        e->k->ln_fwd(T, D, g->S[l], w + ly->ln1w[l], w + ly->ln1b[l], LN_EPS, g->XH1[l], g->A1[l], g->RS1[l]);
        linear_fwd(e->k, T, 3 * D, D, g->A1[l], wt + ly->inw[l], w + ly->inb[l], g->QKV[l]);
        const float *qkv = g->QKV[l];
        float *O = g->O[l];
        memset(O, 0, sT * sD * sizeof(float));
        for (int h = 0; h < NH; h++) {
            const size_t ho = (size_t)h * hd;
            e->k->attn_fwd(T, C, hd, qkv + ho, qkv + sD + ho, qkv + 2 * sD + ho, 3 * sD, scale, alibi_slope(h, NH),
                           g->PR[l] + (size_t)h * sT * sT, O + ho, sD, g->att);
        }
        linear_fwd(e->k, T, D, D, O, wt + ly->outw[l], w + ly->outb[l], g->tmp);
        e->k->add_mul(sT * sD, g->S[l], g->tmp, drop ? g->MK1[l] : NULL, g->X2[l]);
        e->k->ln_fwd(T, D, g->X2[l], w + ly->ln2w[l], w + ly->ln2b[l], LN_EPS, g->XH2[l], g->A2[l], g->RS2[l]);
        linear_fwd(e->k, T, F, D, g->A2[l], wt + ly->ff1w[l], w + ly->ff1b[l], g->F[l]);
        e->k->relu(sT * (size_t)F, g->F[l]);
        linear_fwd(e->k, T, D, F, g->F[l], wt + ly->ff2w[l], w + ly->ff2b[l], g->tmp);
        e->k->add_mul(sT * sD, g->X2[l], g->tmp, drop ? g->MK2[l] : NULL, g->S[l + 1]);
    }
    e->k->ln_fwd(T, D, g->S[L], w + ly->lnfw, w + ly->lnfb, LN_EPS, g->XHF, g->AF, g->RSF);
    linear_fwd(e->k, T, V, D, g->AF, wt + ly->headw, w + ly->headb, g->P);
    const double loss =
        softmax_xent(T, V, g->P, g->tg, e->scale, e->logits_out ? e->logits_out + (size_t)win * sT * V : NULL);
    if (!e->want_grad) return loss;
    tf_backward(e, g, grad, drop);
    return loss;
}

/* Backward of tf_window's forward (activations in g; g->P holds d loss / d logits), block by block from the
 * top; gradients accumulate into grad. */
static void tf_backward(engine *e, tf_ws *g, float *grad, int drop)
{
    const cs_model_config *m = &e->m;
    const layout *ly = &e->ly;
    const int D = m->width, L = m->layers, T = e->T, F = m->d_ff, NH = m->heads, hd = D / NH;
    const int C = m->context, V = m->vocab;
    const float *w = e->w;
    const float scale = 1.0f / sqrtf((float)hd);
    const size_t sD = (size_t)D, sT = (size_t)T;
    linear_bwd_w(e->k, T, V, D, g->P, g->AF, grad + ly->headw, grad + ly->headb);
    memset(g->dA, 0, sT * sD * sizeof(float));
    e->k->mm_acc(T, D, V, g->P, w + ly->headw, g->dA);
    memset(g->dS, 0, sT * sD * sizeof(float));
    e->k->ln_bwd(T, D, g->dA, g->XHF, g->RSF, w + ly->lnfw, g->dS, grad + ly->lnfw, grad + ly->lnfb);
    for (int l = L - 1; l >= 0; l--) {
        /* S[l+1] = X2 + drop(FF2(relu(FF1(LN2(X2))))) */
        float *dff = g->dS; /* read-only until dX2 is copied back into dS below */
        if (drop) {
            dff = g->tmp;
            e->k->mul(sT * sD, g->dS, g->MK2[l], dff);
        }
        linear_bwd_w(e->k, T, D, F, dff, g->F[l], grad + ly->ff2w[l], grad + ly->ff2b[l]);
        memset(g->dF, 0, sT * (size_t)F * sizeof(float));
        e->k->mm_acc(T, F, D, dff, w + ly->ff2w[l], g->dF);
        e->k->relu_bwd(sT * (size_t)F, g->F[l], g->dF);
        linear_bwd_w(e->k, T, F, D, g->dF, g->A2[l], grad + ly->ff1w[l], grad + ly->ff1b[l]);
        memset(g->dA, 0, sT * sD * sizeof(float));
        e->k->mm_acc(T, D, F, g->dF, w + ly->ff1w[l], g->dA);
        memcpy(g->dX2, g->dS, sT * sD * sizeof(float));
        e->k->ln_bwd(T, D, g->dA, g->XH2[l], g->RS2[l], w + ly->ln2w[l], g->dX2, grad + ly->ln2w[l],
                     grad + ly->ln2b[l]);
        /* X2 = S[l] + drop(outproj(attn(LN1(S[l])))) */
        float *datt = g->dX2; /* read-only from here on */
        if (drop) {
            datt = g->tmp;
            e->k->mul(sT * sD, g->dX2, g->MK1[l], datt);
        }
        linear_bwd_w(e->k, T, D, D, datt, g->O[l], grad + ly->outw[l], grad + ly->outb[l]);
        memset(g->dO, 0, sT * sD * sizeof(float));
        e->k->mm_acc(T, D, D, datt, w + ly->outw[l], g->dO);
        memset(g->dQKV, 0, sT * 3 * sD * sizeof(float));
        const float *qkv = g->QKV[l];
        for (int h = 0; h < NH; h++) {
            const size_t ho = (size_t)h * hd;
            e->k->attn_bwd(T, C, hd, qkv + ho, qkv + sD + ho, qkv + 2 * sD + ho, 3 * sD, g->PR[l] + (size_t)h * sT * sT,
                           g->dO + ho, sD, scale, g->dQKV + ho, g->dQKV + sD + ho, g->dQKV + 2 * sD + ho, g->att);
        }
        linear_bwd_w(e->k, T, 3 * D, D, g->dQKV, g->A1[l], grad + ly->inw[l], grad + ly->inb[l]);
        memset(g->dA, 0, sT * sD * sizeof(float));
        e->k->mm_acc(T, D, 3 * D, g->dQKV, w + ly->inw[l], g->dA);
        memcpy(g->dS, g->dX2, sT * sD * sizeof(float));
        e->k->ln_bwd(T, D, g->dA, g->XH1[l], g->RS1[l], w + ly->ln1w[l], g->dS, grad + ly->ln1w[l], grad + ly->ln1b[l]);
    }
    if (drop) e->k->mul(sT * sD, g->dS, g->MK0, g->dS);
    input_bwd(e, T, g->in, g->Dp, g->dS, grad);
}

/* ---------------------------------------------- engine --------------------------------------------------- */

static void engine_free(engine *e)
{
    if (e->wsmem)
        for (int s = 0; s < e->n_shards_max; s++)
            free(e->wsmem[s]);
    if (e->ws)
        for (int s = 0; s < e->n_shards_max; s++)
            free(e->ws[s]);
    free(e->wsmem);
    free(e->ws);
    free(e->grads);
    free(e->wt);
    free(e->loss);
    memset(e, 0, sizeof *e);
}

static int engine_init(engine *e, const cs_model_config *m, int T, int max_win)
{
    memset(e, 0, sizeof *e);
    if (build_tlist(m, &e->tl) != CS_OK || T < 1 || max_win < 1) return CS_E_ARG;
    e->m = *m;
    e->k = cs_train_kernels_get(CS_TK_AUTO);
    e->P = cs_model_param_count(m);
    e->T = T;
    e->max_win = max_win;
    e->n_shards_max = (max_win + CS_TRAIN_SHARD - 1) / CS_TRAIN_SHARD;
    const int NS = e->n_shards_max;
    e->ws = calloc((size_t)NS, sizeof *e->ws);
    e->wsmem = calloc((size_t)NS, sizeof *e->wsmem);
    e->grads = malloc((size_t)NS * e->P * sizeof(float));
    e->wt = malloc(e->P * sizeof(float));
    e->loss = calloc((size_t)NS, sizeof(double));
    if (!e->ws || !e->wsmem || !e->grads || !e->wt || !e->loss) {
        engine_free(e);
        return CS_E_NOMEM;
    }
    build_layout(m, e->wt, &e->ly);
    for (int s = 0; s < NS; s++) {
        const int Bs = max_win - s * CS_TRAIN_SHARD < CS_TRAIN_SHARD ? max_win - s * CS_TRAIN_SHARD : CS_TRAIN_SHARD;
        size_t nf;
        if (m->arch == CS_MODEL_GRU) {
            nf = gru_ws_floats(m, Bs, T);
            e->ws[s] = calloc(1, sizeof(gru_ws));
        } else {
            nf = tf_ws_floats(m, T);
            e->ws[s] = calloc(1, sizeof(tf_ws));
        }
        e->wsmem[s] = malloc(nf * sizeof(float));
        if (!e->ws[s] || !e->wsmem[s]) {
            engine_free(e);
            return CS_E_NOMEM;
        }
        if (m->arch == CS_MODEL_GRU)
            gru_ws_carve(m, Bs, T, e->wsmem[s], (gru_ws *)e->ws[s]);
        else
            tf_ws_carve(m, T, e->wsmem[s], (tf_ws *)e->ws[s]);
    }
    return CS_OK;
}

static void engine_shard(engine *e, int s)
{
    const int w0 = s * CS_TRAIN_SHARD;
    const int Bs = e->n_win - w0 < CS_TRAIN_SHARD ? e->n_win - w0 : CS_TRAIN_SHARD;
    float *grad = e->grads + (size_t)s * e->P;
    if (e->want_grad) memset(grad, 0, e->P * sizeof(float));
    double loss = 0.0;
    if (e->m.arch == CS_MODEL_GRU) {
        loss = gru_shard(e, (gru_ws *)e->ws[s], w0, Bs, grad);
    } else {
        for (int b = 0; b < Bs; b++)
            loss += tf_window(e, (tf_ws *)e->ws[s], w0 + b, grad);
    }
    e->loss[s] = loss;
}

typedef struct par_job {
    void (*fn)(void *ctx, int task);
    void *ctx;
    int n_tasks, stride, first;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    for (int t = j->first; t < j->n_tasks; t += j->stride)
        j->fn(j->ctx, t);
    return NULL;
}

/* Run fn(ctx, 0..n_tasks-1), task t on thread t % n_threads (the calling thread is thread 0). Results must
 * not depend on which thread runs a task (each task writes its own outputs). If a thread cannot be created,
 * its tasks run on the calling thread. */
static void parallel_for(int n_tasks, int n_threads, void (*fn)(void *, int), void *ctx)
{
    enum { MAXTH = 64 };
    if (n_threads > MAXTH) n_threads = MAXTH;
    if (n_threads > n_tasks) n_threads = n_tasks;
    if (n_threads <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t);
        return;
    }
    pthread_t th[MAXTH];
    par_job jobs[MAXTH];
    int ok[MAXTH];
    for (int i = 0; i < n_threads; i++) {
        jobs[i].fn = fn;
        jobs[i].ctx = ctx;
        jobs[i].n_tasks = n_tasks;
        jobs[i].stride = n_threads;
        jobs[i].first = i;
        ok[i] = 0;
    }
    for (int i = 1; i < n_threads; i++)
        ok[i] = pthread_create(&th[i], NULL, par_worker, &jobs[i]) == 0;
    par_worker(&jobs[0]);
    for (int i = 1; i < n_threads; i++) {
        if (ok[i])
            pthread_join(th[i], NULL);
        else
            par_worker(&jobs[i]);
    }
}

static void engine_task(void *ctx, int s)
{
    engine_shard((engine *)ctx, s);
}

/* One batch: loss (sum of nats) and gradient of the mean loss into out_grad (if want_grad). */
static double engine_run(engine *e, const float *w, const int *tgt, int n_win, int n_threads, float dropout,
                         const uint64_t *seeds, float *out_grad, float *logits, long *count_out, int transpose)
{
    long count = 0;
    for (size_t i = 0; i < (size_t)n_win * (size_t)e->T; i++)
        count += tgt[i] >= 0;
    if (count_out) *count_out = count;
    e->w = w;
    e->tgt = tgt;
    e->n_win = n_win;
    e->dropout = dropout;
    e->drop_seed = seeds;
    e->scale = count ? 1.0f / (float)count : 0.0f;
    e->logits_out = logits;
    e->want_grad = out_grad != NULL;
    if (transpose) make_transposed(&e->tl, w, e->wt);
    const int NS = (n_win + CS_TRAIN_SHARD - 1) / CS_TRAIN_SHARD;
    parallel_for(NS, n_threads, engine_task, e);
    double loss = 0.0;
    for (int s = 0; s < NS; s++)
        loss += e->loss[s];
    if (out_grad) {
        memcpy(out_grad, e->grads, e->P * sizeof(float));
        for (int s = 1; s < NS; s++) {
            const float *g = e->grads + (size_t)s * e->P;
            for (size_t i = 0; i < e->P; i++)
                out_grad[i] += g[i];
        }
    }
    return loss;
}

int cs_train_loss_grad(const cs_model_config *m, const float *w, const int *targets, int n_win, int T, int n_threads,
                       double *loss, float *grad, float *logits)
{
    return cs_train_loss_grad_desc(m, w, targets, NULL, n_win, T, n_threads, loss, grad, logits);
}

int cs_train_loss_grad_desc(const cs_model_config *m, const float *w, const int *targets, const float *desc, int n_win,
                            int T, int n_threads, double *loss, float *grad, float *logits)
{
    if (!m || !w || !targets || n_win < 1 || T < 1 || cs_model_config_check(m) != CS_MODEL_OK) return CS_E_ARG;
    for (size_t i = 0; i < (size_t)n_win * (size_t)T; i++)
        if (targets[i] < -1 || targets[i] >= m->vocab) return CS_E_ARG;
    engine e;
    int err = engine_init(&e, m, T, n_win);
    if (err) return err;
    long count = 0;
    e.desc = desc;
    const double l =
        engine_run(&e, w, targets, n_win, n_threads < 1 ? 1 : n_threads, 0.0f, NULL, grad, logits, &count, 1);
    if (loss) *loss = count ? l / (double)count : 0.0;
    engine_free(&e);
    return CS_OK;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Evaluation: the core's forward step (or, AVX2 transformer, its batched equivalent)                     */
/* ------------------------------------------------------------------------------------------------------ */

/* -log2 softmax(z)[y] in double. */
static double nll_bits(const float *z, int V, int y)
{
    float mx = z[0];
    for (int v = 1; v < V; v++)
        mx = z[v] > mx ? z[v] : mx;
    double s = 0.0;
    for (int v = 0; v < V; v++)
        s += exp((double)(z[v] - mx));
    return ((double)mx + log(s) - (double)z[y]) / LN2;
}

/*
 * The transformer's evaluation for the AVX2 set: the core's sliding-window step (cs_model.h: BOS, then each
 * label; position p sees positions [p - C + 1, p] in every block) computed for many positions at once with the
 * trainer's forward kernels instead of one matrix-vector step per label. The sequence goes through in chunks of
 * EV_CHUNK positions; each block keeps the QKV rows of the C - 1 positions before the chunk (all a later
 * position's attention needs), so memory does not grow with n. The first C - 1 rows of a chunk's attention are
 * those kept rows again (their outputs are dropped). Logits are clamped as the core clamps them (NaN 0,
 * +-CS_MODEL_LOGIT_CLAMP). Same protocol as eval_seq_with (seq[0 .. n) scored from n_prime on, desc row i fed with
 * label i, or zeros); the values differ from the core's step in the last bits only (fused products, float layer norm,
 * the fast exp).
 */
enum { EV_CHUNK = 128 };

typedef struct tf_eval {
    engine e; /* only m, k, w, wt, ly and tl (input_fwd, linear_fwd) */
    float *mem, *wt, *X, *XH, *XN, *RS, *QKV[MAXL], *O, *TMP, *FF, *P, *att, *Dp, *Z;
    int *in;
} tf_eval;

static void tf_eval_free(tf_eval *v)
{
    free(v->wt);
    free(v->mem);
    free(v->in);
    memset(v, 0, sizeof *v);
}

static int tf_eval_init(tf_eval *v, const cs_model_config *m, const float *w, const cs_train_kernels *k)
{
    memset(v, 0, sizeof *v);
    const size_t D = (size_t)m->width, F = (size_t)m->d_ff, V = (size_t)m->vocab, Din = (size_t)m->desc_inputs;
    const size_t Tc = EV_CHUNK, Tm = Tc + (size_t)m->context - 1, hd = D / (size_t)m->heads, L = (size_t)m->layers;
    if (build_tlist(m, &v->e.tl) != CS_OK) return CS_E_ARG;
    const size_t P = cs_model_param_count(m);
    const size_t nf = rup(Tc * D) * 4 + rup(Tc) + L * rup(Tm * 3 * D) + rup(Tm * D) + rup(Tc * D) + rup(Tc * F) +
                      rup(Tm * Tm) + rup(cs_train_attn_scratch_floats((int)Tm, (int)hd)) + rup(Tc * Din) + rup(Tc * V);
    v->wt = malloc(P * sizeof(float));
    v->mem = malloc(nf * sizeof(float));
    v->in = malloc(Tc * sizeof(int));
    if (!v->wt || !v->mem || !v->in) {
        tf_eval_free(v);
        return CS_E_NOMEM;
    }
    float *p = v->mem;
    v->X = carve(&p, Tc * D);
    v->XH = carve(&p, Tc * D);
    v->XN = carve(&p, Tc * D);
    v->TMP = carve(&p, Tc * D);
    v->RS = carve(&p, Tc);
    for (size_t l = 0; l < L; l++)
        v->QKV[l] = carve(&p, Tm * 3 * D);
    v->O = carve(&p, Tm * D);
    v->FF = carve(&p, Tc * F);
    v->P = carve(&p, Tm * Tm);
    v->att = carve(&p, cs_train_attn_scratch_floats((int)Tm, (int)hd));
    v->Dp = carve(&p, Tc * Din);
    v->Z = carve(&p, Tc * V);
    make_transposed(&v->e.tl, w, v->wt);
    build_layout(m, w, &v->e.ly);
    v->e.m = *m;
    v->e.k = k;
    v->e.w = w;
    v->e.wt = v->wt;
    return CS_OK;
}

/* One block over the chunk's nc rows (x in v->X, nc >= 1), prev rows of this block's QKV kept before them. */
static void tf_eval_block(tf_eval *v, int l, int prev, int nc)
{
    const engine *e = &v->e;
    const cs_model_config *m = &e->m;
    const layout *ly = &e->ly;
    const int D = m->width, F = m->d_ff, NH = m->heads, hd = D / NH, C = m->context, Tq = prev + nc;
    const size_t sD = (size_t)D;
    const float *w = e->w, *wt = e->wt;
    float *qkv = v->QKV[l];
    e->k->ln_fwd(nc, D, v->X, w + ly->ln1w[l], w + ly->ln1b[l], LN_EPS, v->XH, v->XN, v->RS);
    linear_fwd(e->k, nc, 3 * D, D, v->XN, wt + ly->inw[l], w + ly->inb[l], qkv + (size_t)prev * 3 * sD);
    memset(v->O, 0, (size_t)Tq * sD * sizeof(float));
    for (int h = 0; h < NH; h++) {
        const size_t ho = (size_t)h * hd;
        e->k->attn_fwd(Tq, C, hd, qkv + ho, qkv + sD + ho, qkv + 2 * sD + ho, 3 * sD, 1.0f / sqrtf((float)hd),
                       alibi_slope(h, NH), v->P, v->O + ho, sD, v->att);
    }
    linear_fwd(e->k, nc, D, D, v->O + (size_t)prev * sD, wt + ly->outw[l], w + ly->outb[l], v->TMP);
    e->k->add_mul((size_t)nc * sD, v->X, v->TMP, NULL, v->X);
    e->k->ln_fwd(nc, D, v->X, w + ly->ln2w[l], w + ly->ln2b[l], LN_EPS, v->XH, v->XN, v->RS);
    linear_fwd(e->k, nc, F, D, v->XN, wt + ly->ff1w[l], w + ly->ff1b[l], v->FF);
    e->k->relu((size_t)nc * (size_t)F, v->FF);
    linear_fwd(e->k, nc, D, F, v->FF, wt + ly->ff2w[l], w + ly->ff2b[l], v->TMP);
    e->k->add_mul((size_t)nc * sD, v->X, v->TMP, NULL, v->X);
    const int keep = Tq < C - 1 ? Tq : C - 1; /* the rows the next chunk's positions still see */
    memmove(qkv, qkv + (size_t)(Tq - keep) * 3 * sD, (size_t)keep * 3 * sD * sizeof(float));
}

/* The kernel set tf_eval_seq runs for m: the AVX2 set for a transformer when the trainer's set is AVX2; NULL =
 * the core's step (GRU, or the portable set: evaluated as before the AVX2 sets, bit for bit). */
static const cs_train_kernels *tf_eval_kernels(const cs_model_config *m)
{
    const cs_train_kernels *k = cs_train_kernels_get(CS_TK_AUTO);
    return m->arch == CS_MODEL_TRANSFORMER && k->id == CS_TK_AVX2 ? k : NULL;
}

static int tf_eval_seq(const cs_model_config *m, const float *w, const cs_train_kernels *k, const int *seq,
                       const float *desc, size_t n, size_t n_prime, double *bits_sum, double *losses)
{
    const int V = m->vocab, D = m->width, Din = m->desc_inputs, C = m->context;
    for (size_t i = 0; i < n; i++)
        if (seq[i] < 0 || seq[i] >= V) return CS_E_ARG;
    tf_eval v;
    const int err = tf_eval_init(&v, m, w, k);
    if (err) return err;
    double sum = 0.0;
    for (size_t c0 = 0; c0 < n; c0 += EV_CHUNK) {
        const int nc = n - c0 < (size_t)EV_CHUNK ? (int)(n - c0) : EV_CHUNK;
        const int prev = c0 < (size_t)(C - 1) ? (int)c0 : C - 1;
        for (int t = 0; t < nc; t++) { /* position c0 + t is fed label c0 + t - 1 (BOS first) with its row */
            const size_t p = c0 + (size_t)t;
            v.in[t] = p == 0 ? V : seq[p - 1];
            for (int i = 0; i < Din; i++)
                v.Dp[(size_t)t * Din + i] = p > 0 && desc ? desc_clamp(desc[(p - 1) * (size_t)Din + (size_t)i]) : 0.0f;
        }
        input_fwd(&v.e, nc, v.in, v.Dp, v.X);
        for (int l = 0; l < m->layers; l++)
            tf_eval_block(&v, l, prev, nc);
        const layout *ly = &v.e.ly;
        k->ln_fwd(nc, D, v.X, w + ly->lnfw, w + ly->lnfb, LN_EPS, v.XH, v.XN, v.RS);
        linear_fwd(k, nc, V, D, v.XN, v.wt + ly->headw, w + ly->headb, v.Z);
        for (int t = 0; t < nc; t++) {
            const size_t p = c0 + (size_t)t;
            if (p < n_prime) continue;
            float *z = v.Z + (size_t)t * V;
            for (int i = 0; i < V; i++) /* the core's clamp of its logits (cs_model.h) */
                z[i] = z[i] != z[i]                   ? 0.0f
                       : z[i] > CS_MODEL_LOGIT_CLAMP  ? CS_MODEL_LOGIT_CLAMP
                       : z[i] < -CS_MODEL_LOGIT_CLAMP ? -CS_MODEL_LOGIT_CLAMP
                                                      : z[i];
            const double l = nll_bits(z, V, seq[p]);
            sum += l;
            if (losses) losses[p - n_prime] = l;
        }
    }
    tf_eval_free(&v);
    *bits_sum = sum;
    return CS_OK;
}

/* A core inference state over the weight blob `w` in malloc'ed memory (*mem, free() it), with the core kernel
 * that matches the trainer's kernel set (cs_train_kernels_get(CS_TK_AUTO)): the portable one for the portable
 * set (so CONCATSEQ_TRAIN_KERNELS=portable scores, and picks the best epoch, as before the AVX2 sets), the
 * core's AVX2 one (set 2: AVX2 on every AVX2 CPU, also an AVX-512 one) for the AVX2 set, whose weights already
 * depend on the set. Either is a fixed order: the same value for any thread count. NULL on bad config
 * (*err CS_E_ARG) or no memory (CS_E_NOMEM). */
static cs_model_state *eval_state_new(const cs_model_config *m, const float *w, void **mem, int *err)
{
    cs_model_view view;
    *mem = NULL;
    *err = CS_E_ARG;
    if (cs_model_view_map(m, w, &view) != CS_MODEL_OK) return NULL;
    const size_t bytes = cs_model_state_size(&view);
    *err = CS_E_NOMEM;
    *mem = malloc(bytes);
    cs_model_state *st = NULL;
    if (!*mem || cs_model_state_init(&view, *mem, bytes, &st) != CS_MODEL_OK) {
        free(*mem);
        *mem = NULL;
        return NULL;
    }
    cs_model_state_set_simd(st, cs_train_kernels_get(CS_TK_AUTO)->id == CS_TK_AVX2 ? 2 : 0);
    cs_model_reset(st);
    *err = CS_OK;
    return st;
}

/* Reset, prime with seq[0 .. n_prime), score seq[n_prime .. n): *bits_sum, and each loss into losses[i -
 * n_prime] when losses is not NULL. */
static int eval_seq_with(cs_model_state *st, const int *seq, const float *desc, size_t n, size_t n_prime,
                         double *bits_sum, double *losses)
{
    const int V = cs_model_state_config(st)->vocab;
    const size_t Din = (size_t)cs_model_state_config(st)->desc_inputs;
    cs_model_reset(st);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (seq[i] < 0 || seq[i] >= V) return CS_E_ARG;
        if (i >= n_prime) {
            const double l = nll_bits(cs_model_logits(st), V, seq[i]);
            sum += l;
            if (losses) losses[i - n_prime] = l;
        }
        if (i + 1 < n) cs_model_prime_desc(st, seq[i], desc && Din ? desc + i * Din : NULL);
    }
    *bits_sum = sum;
    return CS_OK;
}

int cs_train_eval_seq(const cs_model_config *m, const float *w, const int *seq, size_t n, size_t n_prime,
                      double *bits_sum)
{
    if (!m || !w || (!seq && n) || n_prime > n || !bits_sum) return CS_E_ARG;
    if (cs_model_config_check(m) != CS_MODEL_OK) return CS_E_ARG;
    const cs_train_kernels *k = tf_eval_kernels(m);
    if (k) return tf_eval_seq(m, w, k, seq, NULL, n, n_prime, bits_sum, NULL);
    void *mem;
    int err;
    cs_model_state *st = eval_state_new(m, w, &mem, &err);
    if (!st) return err;
    err = eval_seq_with(st, seq, NULL, n, n_prime, bits_sum, NULL);
    free(mem);
    return err;
}

int cs_split_check(cs_split s)
{
    if (!(s.val >= 0.0 && s.val <= CS_SPLIT_FRACTION_MAX) || !(s.test >= 0.0 && s.test <= CS_SPLIT_FRACTION_MAX) ||
        !(s.val + s.test <= CS_SPLIT_FRACTIONS_MAX))
        return CS_E_ARG;
    return CS_OK;
}

/* floor(f * len) for f clamped to [0, CS_SPLIT_FRACTION_MAX] (NaN = 0). */
static size_t part_size(size_t len, double f)
{
    if (!(f > 0.0)) return 0;
    if (f > CS_SPLIT_FRACTION_MAX) f = CS_SPLIT_FRACTION_MAX;
    return (size_t)floor(f * (double)len);
}

void cs_split_part(size_t len, cs_split s, cs_part part, size_t *from, size_t *to)
{
    const size_t n_test = part_size(len, s.test), n_val = part_size(len, s.val);
    const size_t n_train = len - n_test - n_val; /* both <= len / 2: no wrap */
    size_t a = 0, b = n_train;
    if (part == CS_PART_VAL) {
        a = n_train;
        b = n_train + n_val;
    } else if (part == CS_PART_TEST) {
        a = n_train + n_val;
        b = len;
    }
    if (from) *from = a;
    if (to) *to = b;
}

size_t cs_split_count(size_t len, cs_split s, cs_part part)
{
    size_t a, b;
    cs_split_part(len, s, part, &a, &b);
    return b - a;
}

cs_split cs_train_config_split(const cs_train_config *cfg)
{
    return (cs_split){cfg->val_fraction, cfg->test_fraction};
}

/* Training labels of a source under cfg's split. */
static size_t n_train_of(const cs_train_config *cfg, size_t len)
{
    return cs_split_count(len, cs_train_config_split(cfg), CS_PART_TRAIN);
}

static int auto_prime(const cs_model_config *m, int window, int prime)
{
    if (prime >= 0) return prime;
    return m->arch == CS_MODEL_GRU ? window : m->context - 1;
}

typedef struct eval_job {
    const cs_model_config *m;
    const float *w;
    const int *const *seqs;
    const float *const *descs; /* NULL, or per source its descriptor rows */
    const size_t *lens;
    cs_split split;
    cs_part part;
    int prime, n_threads;
    double *sums;
    int *errs;
    double **losses; /* per source: where its labels' losses go, or NULL */
} eval_job;

static void eval_task(void *ctx, int i)
{
    eval_job *j = ctx;
    size_t a, b;
    cs_split_part(j->lens[i], j->split, j->part, &a, &b);
    j->sums[i] = 0.0;
    j->errs[i] = CS_OK;
    if (a >= b) return;
    const size_t p = (size_t)j->prime < a ? (size_t)j->prime : a;
    const size_t Din = (size_t)j->m->desc_inputs;
    const float *d = j->descs && j->descs[i] && Din ? j->descs[i] + (a - p) * Din : NULL;
    const cs_train_kernels *k = tf_eval_kernels(j->m);
    if (k) {
        j->errs[i] = tf_eval_seq(j->m, j->w, k, j->seqs[i] + (a - p), d, b - (a - p), p, &j->sums[i], j->losses[i]);
        return;
    }
    void *mem;
    cs_model_state *st = eval_state_new(j->m, j->w, &mem, &j->errs[i]);
    if (!st) return;
    j->errs[i] = eval_seq_with(st, j->seqs[i] + (a - p), d, b - (a - p), p, &j->sums[i], j->losses[i]);
    free(mem);
}

int cs_train_eval_split(const cs_model_config *m, const float *w, const int *const *seqs, const size_t *lens,
                        int n_seqs, cs_split s, cs_part part, int prime, int n_threads, double *bits, size_t *n_scored,
                        double *losses)
{
    return cs_train_eval_split_desc(m, w, seqs, NULL, lens, n_seqs, s, part, prime, n_threads, bits, n_scored, losses);
}

int cs_train_eval_split_desc(const cs_model_config *m, const float *w, const int *const *seqs,
                             const float *const *descs, const size_t *lens, int n_seqs, cs_split s, cs_part part,
                             int prime, int n_threads, double *bits, size_t *n_scored, double *losses)
{
    if (!m || !w || !seqs || !lens || n_seqs < 1 || !bits || cs_model_config_check(m) != CS_MODEL_OK) return CS_E_ARG;
    if (cs_split_check(s) != CS_OK || part < CS_PART_TRAIN || part > CS_PART_TEST) return CS_E_ARG;
    prime = auto_prime(m, CS_TRAIN_EVAL_PRIME, prime);
    double *sums = calloc((size_t)n_seqs, sizeof *sums);
    int *errs = calloc((size_t)n_seqs, sizeof *errs);
    double **lp = calloc((size_t)n_seqs, sizeof *lp);
    if (!sums || !errs || !lp) {
        free(sums);
        free(errs);
        free(lp);
        return CS_E_NOMEM;
    }
    size_t count = 0;
    for (int i = 0; i < n_seqs; i++) {
        lp[i] = losses ? losses + count : NULL;
        count += cs_split_count(lens[i], s, part);
    }
    eval_job j = {m, w, seqs, descs, lens, s, part, prime, n_threads, sums, errs, lp};
    parallel_for(n_seqs, n_threads < 1 ? 1 : n_threads, eval_task, &j);
    double total = 0.0;
    int err = CS_OK;
    for (int i = 0; i < n_seqs; i++) {
        if (errs[i] && !err) err = errs[i];
        total += sums[i];
    }
    free(sums);
    free(errs);
    free(lp);
    if (err) return err;
    *bits = count ? total / (double)count : (double)NAN;
    if (n_scored) *n_scored = count;
    return CS_OK;
}

/* ------------------------------------------------------------------------------------------------------ */
/* Training loop                                                                                           */
/* ------------------------------------------------------------------------------------------------------ */

void cs_train_config_default(cs_train_config *cfg, int arch, int vocab)
{
    memset(cfg, 0, sizeof *cfg);
    const int tf = arch == CS_MODEL_TRANSFORMER;
    cfg->model.arch = arch;
    cfg->model.vocab = vocab;
    cfg->model.width = 64;
    cfg->model.layers = 2;
    cfg->model.heads = tf ? 8 : 0;
    cfg->model.context = tf ? 64 : 0;
    cfg->model.d_ff = tf ? CS_MODEL_TF_FF_MULT * cfg->model.width : 0;
    cfg->epochs = 30;
    cfg->window = 0; /* auto: cs_train_auto_window */
    cfg->batch = 0;  /* auto: cs_train_auto_batch */
    cfg->lr = tf ? 1e-3f : 3e-3f;
    cfg->beta1 = 0.9f;
    cfg->beta2 = 0.999f;
    cfg->adam_eps = 1e-8f;
    cfg->weight_decay = 0.0f;
    cfg->clip_norm = 1.0f;
    cfg->dropout = 0.0f;
    cfg->warmup_steps = 20;
    cfg->cosine = 1;
    cfg->min_lr_ratio = 0.1f;
    cfg->patience = 5;
    cfg->val_fraction = CS_SPLIT_VAL_DEFAULT;
    cfg->test_fraction = CS_SPLIT_TEST_DEFAULT;
    cfg->prime = -1;
    cfg->shuffle = 1;
    cfg->seed = 1;
    cfg->init_weights = NULL;
    cfg->n_threads = 1;
    cfg->progress = NULL;
    cfg->user = NULL;
}

int cs_train_auto_window(const cs_train_config *cfg, const size_t *lens, int n_seqs)
{
    if (!cfg || (!lens && n_seqs > 0)) return 0;
    if (cfg->window > 0) return cfg->window;
    if (cfg->model.arch == CS_MODEL_TRANSFORMER) return CS_TRAIN_TF_WINDOW_CONTEXTS * cfg->model.context;
    size_t total = 0;
    for (int s = 0; s < n_seqs; s++)
        total += n_train_of(cfg, lens[s]);
    const size_t win = total / CS_TRAIN_WINDOW_DIV;
    return win < CS_TRAIN_WINDOW_MIN ? CS_TRAIN_WINDOW_MIN : win > CS_TRAIN_WINDOW_MAX ? CS_TRAIN_WINDOW_MAX : (int)win;
}

int cs_train_auto_batch(const cs_train_config *cfg, int window, const size_t *lens, int n_seqs)
{
    if (!cfg || (!lens && n_seqs > 0) || window < 1) return 0;
    if (cfg->batch > 0) return cfg->batch;
    size_t windows = 0;
    for (int s = 0; s < n_seqs; s++)
        windows += (n_train_of(cfg, lens[s]) + (size_t)window - 1) / (size_t)window;
    const size_t b = windows / CS_TRAIN_BATCH_DIV;
    return b < CS_TRAIN_BATCH_MIN ? CS_TRAIN_BATCH_MIN : b > CS_TRAIN_BATCH_MAX ? CS_TRAIN_BATCH_MAX : (int)b;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t mix64(uint64_t a, uint64_t b)
{
    uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct window_ref {
    int src;
    size_t start;
    int len;
} window_ref;

static int check_config(const cs_train_config *c)
{
    if (!c || cs_model_config_check(&c->model) != CS_OK) return CS_E_ARG;
    if (c->epochs < 1 || c->window < 0 || c->window > 100000 || c->batch < 0 || c->batch > 100000) return CS_E_ARG;
    if (!(c->lr > 0.0f) || !(c->beta1 >= 0.0f && c->beta1 < 1.0f) || !(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return CS_E_ARG;
    if (!(c->adam_eps > 0.0f) || !(c->weight_decay >= 0.0f) || !(c->dropout >= 0.0f && c->dropout <= 0.9f))
        return CS_E_ARG;
    if (c->warmup_steps < 0 || !(c->min_lr_ratio >= 0.0f && c->min_lr_ratio <= 1.0f) || c->patience < 0)
        return CS_E_ARG;
    if (cs_split_check(cs_train_config_split(c)) != CS_OK || c->n_threads < 1) return CS_E_ARG;
    if (isnan(c->clip_norm)) return CS_E_ARG;
    return CS_OK;
}

/* The windows of one epoch into wins (returns their count): each source's training part cut at a seeded grid
 * offset in [0, T) (0 without shuffle), the first and last windows possibly shorter, then shuffled. The draws
 * from rng are in this order: one offset per source with training labels, then the Fisher-Yates swaps. */
static size_t epoch_windows(const cs_train_config *cfg, const size_t *lens, int n_seqs, int T, cs_rng *rng,
                            window_ref *wins)
{
    size_t nw = 0;
    for (int s = 0; s < n_seqs; s++) {
        const size_t ntr = n_train_of(cfg, lens[s]);
        if (!ntr) continue;
        size_t off = cfg->shuffle ? cs_rng_below(rng, (uint32_t)T) : 0;
        if (off > ntr) off = ntr;
        if (off) wins[nw++] = (window_ref){s, 0, (int)off};
        for (size_t st = off; st < ntr; st += (size_t)T) {
            const size_t len = ntr - st < (size_t)T ? ntr - st : (size_t)T;
            wins[nw++] = (window_ref){s, st, (int)len};
        }
    }
    if (cfg->shuffle)
        for (size_t i = nw; i > 1; i--) {
            const size_t j = cs_rng_below(rng, (uint32_t)i);
            const window_ref tmp = wins[i - 1];
            wins[i - 1] = wins[j];
            wins[j] = tmp;
        }
    return nw;
}

/* Scale g (P floats) so that its global L2 norm (computed in double) is at most clip; clip <= 0 = off. */
static void clip_gradient(float *g, size_t P, float clip)
{
    if (!(clip > 0.0f)) return;
    double nrm = 0.0;
    for (size_t i = 0; i < P; i++)
        nrm += (double)g[i] * (double)g[i];
    nrm = sqrt(nrm);
    if (nrm > (double)clip) {
        const float f = (float)((double)clip / (nrm + 1e-6));
        for (size_t i = 0; i < P; i++)
            g[i] *= f;
    }
}

/* The learning rate of 0-based optimiser step `step` of total_steps (warm-up, then cosine; cs_train.h). */
static double lr_at(const cs_train_config *cfg, long step, double total_steps)
{
    double lr = (double)cfg->lr;
    if (cfg->warmup_steps > 0 && step < cfg->warmup_steps) lr *= (double)(step + 1) / cfg->warmup_steps;
    if (cfg->cosine && total_steps > 0) {
        double pr = (double)step / total_steps;
        if (pr > 1.0) pr = 1.0;
        lr *= (double)cfg->min_lr_ratio + (1.0 - (double)cfg->min_lr_ratio) * 0.5 * (1.0 + cos(PI_D * pr));
    }
    return lr;
}

/* The state of one training run: weights, Adam moments, buffers of a batch. */
typedef struct trainer {
    const cs_train_config *cfg;
    const int *const *seqs;
    const size_t *lens;
    int n_seqs, T, B;
    size_t P, n_val;
    engine e;
    float *w, *best, *g, *am, *av;
    unsigned char *decay;
    window_ref *wins;
    int *tgt;
    float *desc; /* descriptor inputs: (B, T, Din) rows of the batch's targets, or NULL */
    uint64_t *seeds;
    long step;
    double total_steps, lr_now;
} trainer;

/* One Adam step (PyTorch's formulation) with decoupled weight decay on the decaying tensors; step is 1-based. */
static void adam_update(trainer *tr, double lr)
{
    const cs_train_config *cfg = tr->cfg;
    const double bc1 = 1.0 - pow((double)cfg->beta1, (double)tr->step);
    const double bc2 = 1.0 - pow((double)cfg->beta2, (double)tr->step);
    const float stepsize = (float)(lr / bc1), sbc2 = (float)sqrt(bc2);
    const float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->adam_eps;
    const float wd = (float)(lr * (double)cfg->weight_decay);
    tr->e.k->adam(tr->P, tr->w, tr->am, tr->av, tr->g, tr->decay, b1, b2, eps, stepsize, sbc2, wd);
}

/* The descriptor rows of window wr into dst (T rows of Din; rows past the window's length are zero). */
static void batch_desc_rows(const trainer *tr, const window_ref *wr, float *dst)
{
    const size_t Din = (size_t)tr->cfg->model.desc_inputs, T = (size_t)tr->T, n = (size_t)wr->len;
    memcpy(dst, tr->cfg->descs[wr->src] + wr->start * Din, n * Din * sizeof *dst);
    memset(dst + n * Din, 0, (T - n) * Din * sizeof *dst);
}

/* One epoch of optimiser steps over the shuffled windows; *bits = mean training loss in bits per label (NaN
 * without targets). Returns 0 or CS_E_NONFINITE (a non-finite loss). */
static int train_epoch(trainer *tr, cs_rng *rng, double *bits)
{
    const cs_train_config *cfg = tr->cfg;
    const int T = tr->T, B = tr->B;
    const size_t nw = epoch_windows(cfg, tr->lens, tr->n_seqs, T, rng, tr->wins);
    double ep_loss = 0.0;
    long ep_count = 0;
    for (size_t b0 = 0; b0 < nw; b0 += (size_t)B) {
        const int nb = nw - b0 < (size_t)B ? (int)(nw - b0) : B;
        for (int b = 0; b < nb; b++) {
            const window_ref *wr = &tr->wins[b0 + (size_t)b];
            int *row = tr->tgt + (size_t)b * T;
            for (int t = 0; t < T; t++)
                row[t] = t < wr->len ? tr->seqs[wr->src][wr->start + (size_t)t] : -1;
            if (tr->desc) batch_desc_rows(tr, wr, tr->desc + (size_t)b * T * (size_t)cfg->model.desc_inputs);
            tr->seeds[b] = mix64(mix64(cfg->seed, (uint64_t)tr->step), (uint64_t)b + 0x5EEDull);
        }
        long count = 0;
        tr->e.desc = tr->desc;
        const double lsum =
            engine_run(&tr->e, tr->w, tr->tgt, nb, cfg->n_threads, cfg->dropout, tr->seeds, tr->g, NULL, &count, 1);
        if (!isfinite(lsum)) return CS_E_NONFINITE;
        ep_loss += lsum;
        ep_count += count;
        clip_gradient(tr->g, tr->P, cfg->clip_norm);
        const double lr = lr_at(cfg, tr->step, tr->total_steps);
        tr->lr_now = lr;
        tr->step++;
        adam_update(tr, lr);
    }
    *bits = ep_count ? ep_loss / (double)ep_count / LN2 : (double)NAN;
    return CS_OK;
}

static void trainer_free(trainer *tr)
{
    engine_free(&tr->e);
    free(tr->w);
    free(tr->best);
    free(tr->g);
    free(tr->am);
    free(tr->av);
    free(tr->decay);
    free(tr->wins);
    free(tr->tgt);
    free(tr->desc);
    free(tr->seeds);
}

/* Check the labels, resolve window and batch, allocate and initialise (weights, decay mask, schedule length).
 * *n_train, *n_val out. Returns 0 or a cs_err (then everything allocated is freed). */
static int trainer_init(trainer *tr, const cs_train_config *cfg, const int *const *seqs, const size_t *lens, int n_seqs,
                        size_t *n_train, size_t *n_val)
{
    memset(tr, 0, sizeof *tr);
    const cs_model_config *m = &cfg->model;
    const int T = cs_train_auto_window(cfg, lens, n_seqs), B = cs_train_auto_batch(cfg, T, lens, n_seqs);
    size_t max_windows = 0, nwin0 = 0;
    *n_train = *n_val = 0;
    for (int s = 0; s < n_seqs; s++) {
        if (lens[s] && !seqs[s]) return CS_E_ARG;
        for (size_t i = 0; i < lens[s]; i++)
            if (seqs[s][i] < 0 || seqs[s][i] >= m->vocab) return CS_E_ARG;
        const size_t ntr = n_train_of(cfg, lens[s]);
        *n_train += ntr;
        *n_val += cs_split_count(lens[s], cs_train_config_split(cfg), CS_PART_VAL);
        if (ntr) max_windows += ntr / (size_t)T + 2;
        nwin0 += (ntr + (size_t)T - 1) / (size_t)T;
    }
    if (*n_train == 0) return CS_E_EMPTY;
    if (m->desc_inputs > 0) { /* descriptor inputs need every source's rows */
        if (!cfg->descs) return CS_E_ARG;
        for (int s = 0; s < n_seqs; s++)
            if (lens[s] && !cfg->descs[s]) return CS_E_ARG;
    }
    if (max_windows > (size_t)0x7fffffff) return CS_E_TOO_LARGE;
    *tr = (trainer){.cfg = cfg, .seqs = seqs, .lens = lens, .n_seqs = n_seqs, .T = T, .B = B, .n_val = *n_val};
    int err = engine_init(&tr->e, m, T, B);
    if (err) return err;
    const size_t P = tr->P = tr->e.P;
    tr->w = malloc(P * sizeof *tr->w);
    tr->best = malloc(P * sizeof *tr->best);
    tr->g = malloc(P * sizeof *tr->g);
    tr->am = calloc(P, sizeof *tr->am);
    tr->av = calloc(P, sizeof *tr->av);
    tr->decay = calloc(P, 1);
    tr->wins = malloc(max_windows * sizeof *tr->wins);
    tr->tgt = malloc((size_t)B * (size_t)T * sizeof *tr->tgt);
    tr->seeds = malloc((size_t)B * sizeof *tr->seeds);
    if (m->desc_inputs > 0) {
        tr->desc = malloc((size_t)B * (size_t)T * (size_t)m->desc_inputs * sizeof *tr->desc);
        if (!tr->desc) {
            trainer_free(tr);
            return CS_E_NOMEM;
        }
    }
    if (!tr->w || !tr->best || !tr->g || !tr->am || !tr->av || !tr->decay || !tr->wins || !tr->tgt || !tr->seeds) {
        trainer_free(tr);
        return CS_E_NOMEM;
    }
    if (cfg->init_weights)
        memcpy(tr->w, cfg->init_weights, P * sizeof *tr->w);
    else
        cs_train_init_weights(m, cfg->seed, tr->w);
    memcpy(tr->best, tr->w, P * sizeof *tr->w);
    for (int i = 0; i < tr->e.tl.n; i++)
        if (tr->e.tl.t[i].decay) memset(tr->decay + tr->e.tl.t[i].offset, 1, tr->e.tl.t[i].count);
    tr->total_steps = (double)cfg->epochs * (double)((nwin0 + (size_t)B - 1) / (size_t)B);
    tr->lr_now = (double)cfg->lr;
    return CS_OK;
}

int cs_train_run(const cs_train_config *cfg, const int *const *seqs, const size_t *lens, int n_seqs,
                 float **weights_out, cs_train_report *report)
{
    if (!weights_out || !seqs || !lens || n_seqs < 1 || check_config(cfg) != CS_OK) return CS_E_ARG;
    *weights_out = NULL;
    const cs_model_config *m = &cfg->model;
    const double t_start = now_seconds();
    trainer tr;
    size_t n_train, n_val;
    int err = trainer_init(&tr, cfg, seqs, lens, n_seqs, &n_train, &n_val);
    if (err) return err;
    const int prime = auto_prime(m, tr.T, cfg->prime);
    cs_rng rng;
    cs_rng_seed(&rng, mix64(cfg->seed, 0xDA7AULL));
    double best_val = INFINITY, best_train = NAN, last_train = NAN;
    int best_epoch = 0, epochs_run = 0, since_best = 0, stopped_early = 0, stopped = 0;
    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        const double t_ep = now_seconds();
        err = train_epoch(&tr, &rng, &last_train);
        if (err) goto done;
        epochs_run = epoch;
        double val = NAN;
        if (n_val) {
            err = cs_train_eval_split_desc(m, tr.w, seqs, cfg->descs, lens, n_seqs, cs_train_config_split(cfg),
                                           CS_PART_VAL, prime, cfg->n_threads, &val, NULL, NULL);
            if (err) goto done;
        }
        /* without validation every epoch is "best": the last epoch's weights are returned */
        const int is_best = n_val ? val < best_val : 1;
        if (is_best) {
            best_val = n_val ? val : (double)NAN;
            best_train = last_train;
            best_epoch = epoch;
            memcpy(tr.best, tr.w, tr.P * sizeof *tr.w);
            since_best = 0;
        } else {
            since_best++;
        }
        const double t_now = now_seconds();
        if (cfg->progress) {
            cs_train_epoch_info info = {epoch,        cfg->epochs,     last_train, val,
                                        t_now - t_ep, t_now - t_start, tr.lr_now,  is_best};
            if (cfg->progress(cfg->user, &info)) {
                stopped = 1;
                break;
            }
        }
        if (n_val && cfg->patience > 0 && since_best >= cfg->patience) {
            stopped_early = epoch < cfg->epochs;
            break;
        }
        if (n_val && !isfinite(val)) {
            err = CS_E_NONFINITE;
            goto done;
        }
    }
    *weights_out = tr.best;
    tr.best = NULL;
    if (report) {
        *report = (cs_train_report){.window = tr.T,
                                    .batch = tr.B,
                                    .epochs_run = epochs_run,
                                    .best_epoch = best_epoch,
                                    .best_val_bits = n_val ? best_val : (double)NAN,
                                    .has_val = n_val > 0,
                                    .train_bits = best_train,
                                    .last_train_bits = last_train,
                                    .stopped_early = stopped_early,
                                    .stopped = stopped,
                                    .n_params = tr.P,
                                    .n_train = n_train,
                                    .n_val = n_val,
                                    .steps = tr.step,
                                    .seconds = now_seconds() - t_start};
    }
done:
    trainer_free(&tr);
    return err;
}
