// SeqPredict - samples the next label of a sequence model (GRU or causal transformer) at each trigger.
// See sc-classes/SeqPredict.sc and HelpSource/Classes/SeqPredict.schelp for the user's side.
//
// A thin shim in SuperCollider's C-style plugin API. The logic (model binding and verification, edges,
// clamping, teacher forcing, history, the per-block work budget and its trigger queue) is
// plugins/core/cs_seqpredict.h, shared with the C tests; the model and sampling are the C core
// (plugins/core/cs_model.h, cs_sample.h). This file only looks the Buffers up (plugins/common/cs_sc_buffer.h,
// shared with ConcatPlay), hands RTAlloc/RTFree to the logic and posts messages.
//
// Real-time rules (shared/DESIGN.md): the model and mask Buffers are re-fetched every block (never cached); the
// model is re-parsed whenever the Buffer's data pointer, size, channels or header change, its weights are
// verified 8192 per block before use, and its state is RTAlloc'd (checked) when verified; a bad or missing
// model gives label -1 (probability 0, entropy 0) and ONE message per failing state, gated on verbosity. No
// assumption on block size or sample rate: the logic runs per sample on whatever the server hands over.
// Guidance (issue 10): the corpus Buffer (a unit table) is followed like ConcatPlay's (cs_seqp_corpus_bind: O(1)
// parse on change, then the bounded row check), the target is read per block through ConcatPlay's own
// cs_cp_target, and the guidance input at each trigger's sample; a corpus without a listening section, not a
// table, or guidance without a corpus: guidance off and one message per failing state.
//
// Outputs: [0] label (held between triggers; -1 before the first trigger and without a usable model),
//          [1] its probability (0..1), [2] the entropy of the distribution it came from, in bits.

#include "SC_PlugIn.h"

#include <string.h>

extern "C" {
#include "cs_concatplay.h"
#include "cs_model_desc.h"
#include "cs_seqpredict.h"
}

static InterfaceTable *ft;

#include "cs_sc_buffer.h"

// Inputs, in the order of SeqPredict.sc.
enum SeqPredictInput {
    kModel = 0,
    kTrig, // the logic's inputs follow, in enum cs_seqp_input order
    kTemperature,
    kTopK,
    kTopP,
    kPrime,
    kReset,
    kSeed,
    kPenalty,
    kHistoryLen,
    kMask,
    kCorpus,         // unit-table Buffer of the corpus (its listening section's centroids and weights), -1 = none
    kGuidance,       // model x target guidance weight, >= 0, read at each trigger's sample
    kTargetBuf,      // a Buffer of normalised descriptor values (used when no pair is given), -1 = none
    kNumTargetPairs, // how many (descriptor index, normalised value) pairs follow
    kTargetPairs,    // numTargetPairs x (descriptor index, normalised value), read per block
    kNumInputs = kTargetPairs
    // then the label cache weight (0..1, read at each trigger's sample) after the pairs (an odd number of inputs
    // after kTargetPairs); a SynthDef of an older SeqPredict.sc has none: cache off. Then, LAST, the unit input
    // (the unit played for the last label, ConcatPlay's unit output fed back; -1 = unknown), read at each
    // trigger's sample by a model with descriptor inputs: inputs after the pairs = cache + unit (2)
};

struct SeqPredict : public Unit {
    cs_seqp sp;
    int reportedStatus; // the failing binding status last posted (0 = none)
    int reportedErr;
    int reportedMask; // 1 after posting "no mask buffer", 2 after "mask allows nothing"
    bool reportedPrime, reportedDeferred, reportedDropped;
    bool reportedReduced;       // the small-state message was posted for the current placement
    uint64_t reportedNonfinite; // the count of non-finite steps last posted
    float modelNum;             // model buffer number of the last block (for messages)
    cs_seqp_corpus corpus;      // the corpus of guidance
    int reportedCorpus;         // the corpus state last posted about (0 = none)
    int reportedCorpusErr;
    bool reportedVocab;    // posted that the corpus's label count differs from the model's
    bool reportedNoCorpus; // posted that guidance > 0 has no corpus
    bool hasGuideInputs;   // the unit has the guidance inputs (a SynthDef of an older SeqPredict.sc has not)
    int cacheInput;        // index of the cache input, or -1
    int unitInput;         // index of the unit input (the last one), or -1
    bool reportedDesc;     // posted that a model with descriptor inputs has no usable corpus to read rows from
    bool inCtor;           // true during the constructor's one-sample call
};

extern "C" {
void SeqPredict_Ctor(SeqPredict *unit);
void SeqPredict_Dtor(SeqPredict *unit);
void SeqPredict_next(SeqPredict *unit, int inNumSamples);
void SeqPredict_next_off(SeqPredict *unit, int inNumSamples);
}

static bool sp_verbose(SeqPredict *unit)
{
    return unit->mWorld->mVerbosity >= 0;
}

// One message per failing binding state (the state is the status plus the model error, if any).
static void sp_report_binding(SeqPredict *unit, int status)
{
    cs_seqp *p = &unit->sp;
    if (status >= 0) { // ready or verifying: a later failure will be posted again
        unit->reportedStatus = 0;
        unit->reportedErr = 0;
        if (status != CS_SEQP_READY || !p->reduced) {
            unit->reportedReduced = false;
        } else if (!unit->reportedReduced) {
            unit->reportedReduced = true;
            if (sp_verbose(unit))
                Print("SeqPredict: buffer %g: real-time memory held only the model's small state (%lu of %lu bytes): "
                      "the same labels, each step slower; increase ServerOptions.memSize\n",
                      unit->modelNum, (unsigned long)p->mem_bytes, (unsigned long)cs_seqp_mem_size(&p->view));
        }
        return;
    }
    if (status == unit->reportedStatus && p->err == unit->reportedErr) return;
    unit->reportedStatus = status;
    unit->reportedErr = p->err;
    if (!sp_verbose(unit)) return;
    float b = unit->modelNum;
    switch (status) {
    case CS_SEQP_NO_BUFFER:
        Print("SeqPredict: no model in buffer %g (no such buffer, or it holds no data); label is -1\n", b);
        break;
    case CS_SEQP_NOT_MONO:
        Print("SeqPredict: buffer %g has %d channels, a model file has one; label is -1\n", b, p->channels);
        break;
    case CS_SEQP_BAD_HEADER:
    case CS_SEQP_BAD_WEIGHTS:
        Print("SeqPredict: buffer %g is not a usable model (%s); label is -1\n", b, cs_model_strerror(p->err));
        break;
    case CS_SEQP_NO_MEMORY:
        Print("SeqPredict: not enough real-time memory for the model state (%lu bytes; increase "
              "ServerOptions.memSize); label is -1\n",
              (unsigned long)p->need);
        break;
    default:
        Print("SeqPredict: buffer %g: unknown state %d; label is -1\n", b, status);
    }
}

// The corpus of guidance, every block: binding (cs_seqp_corpus_bind), one message per failing state, and the
// guide of this block (the target from the pairs or the target Buffer, as ConcatPlay reads it: cs_cp_target).
// Returns the guide, or NULL when guidance is off or the block is quiet (no event: cs_seqp_quiet; the guide is
// read by events only, the binding and its messages go on every block).
static const cs_seqp_guide *sp_corpus(SeqPredict *unit, cs_seqp_guide *guide, bool quiet)
{
    if (!unit->hasGuideInputs) return NULL;
    cs_seqp_corpus *c = &unit->corpus;
    float fc = IN0(kCorpus);
    int wanted = fc >= 0.f; // NaN: no
    SndBuf *cbuf = wanted ? cs_sc_buffer(unit, fc) : NULL;
    const float *cdata = cbuf ? cbuf->data : NULL;
    int state =
        cs_seqp_corpus_bind(c, wanted, cdata, cdata ? (uint32)cbuf->samples : 0, cdata ? (uint32)cbuf->channels : 0);
    if (state >= 0) {
        unit->reportedCorpus = 0;
    } else if (state != unit->reportedCorpus || c->err != unit->reportedCorpusErr) {
        unit->reportedCorpus = state;
        unit->reportedCorpusErr = c->err;
        if (sp_verbose(unit)) {
            if (state == CS_SEQP_CORPUS_NONE)
                Print("SeqPredict: no unit table in corpus buffer %g; guidance is off\n", fc);
            else
                Print("SeqPredict: corpus buffer %g: %s; guidance is off\n", fc, cs_ut_strerror(c->err));
        }
    }
    if (state != CS_SEQP_CORPUS_OK) {
        float g = IN0(kGuidance);
        if (state == CS_SEQP_CORPUS_OFF && g > 0.f && !unit->reportedNoCorpus) {
            unit->reportedNoCorpus = true;
            if (sp_verbose(unit))
                Print("SeqPredict: guidance %g needs a corpus (a ConcatCorpus or its unit-table Buffer); guidance is "
                      "off\n",
                      g);
        }
        return NULL;
    }
    if (unit->sp.model && (uint32)unit->sp.vocab != c->view.num_labels && !unit->reportedVocab) {
        unit->reportedVocab = true;
        if (sp_verbose(unit))
            Print("SeqPredict: the corpus in buffer %g has %u labels, the model %d; guidance counts labels without a "
                  "centroid as the farthest (was the model trained on this corpus?)\n",
                  fc, (unsigned)c->view.num_labels, unit->sp.vocab);
    }
    if (quiet) return NULL;
    // the target: pairs from the inputs, else a Buffer; read per block with an event (as ConcatPlay's)
    uint32 maxPairs = (unit->mNumInputs - kTargetPairs) / 2;
    if (maxPairs > CS_SELECT_MAX_TARGET_DIMS) maxPairs = CS_SELECT_MAX_TARGET_DIMS;
    float pairs[2 * CS_SELECT_MAX_TARGET_DIMS];
    for (uint32 i = 0; i < 2 * maxPairs; ++i)
        pairs[i] = IN0(kTargetPairs + i);
    SndBuf *gbuf = cs_sc_buffer(unit, IN0(kTargetBuf));
    bool gok = gbuf && gbuf->data && gbuf->samples > 0;
    cs_select_target target;
    if (!cs_cp_target(&target, gok ? gbuf->data : NULL, gok ? (uint32)gbuf->samples : 0, IN0(kNumTargetPairs), pairs,
                      maxPairs))
        return NULL;
    return cs_seqp_corpus_guide(c, &target, guide) ? guide : NULL;
}

// A model with descriptor inputs reads the played unit's row from the corpus: say once when it cannot (no corpus,
// or a corpus of another descriptor count), since the network then sees zeros for every unit.
static void sp_report_desc(SeqPredict *unit, const cs_ut_view *table)
{
    const cs_seqp *p = &unit->sp;
    if (!p->model || p->view.cfg.desc_inputs <= 0) return;
    bool ok = table && cs_model_desc_check(&p->view, table) == CS_MODEL_OK;
    if (ok || unit->reportedDesc) {
        unit->reportedDesc = unit->reportedDesc && !ok;
        return;
    }
    unit->reportedDesc = true;
    if (sp_verbose(unit))
        Print("SeqPredict: the model in buffer %g reads the descriptors of the unit played (%d inputs): give it its "
              "corpus (%s); until then it sees zeros\n",
              unit->modelNum, p->view.cfg.desc_inputs,
              table ? "this corpus has another number of descriptors" : "the corpus input");
}

void SeqPredict_next(SeqPredict *unit, int inNumSamples)
{
    cs_seqp *p = &unit->sp;
    World *world = unit->mWorld;

    // the model Buffer, every block
    unit->modelNum = IN0(kModel);
    SndBuf *mbuf = cs_sc_buffer(unit, unit->modelNum);
    const float *mdata = mbuf ? mbuf->data : NULL;
    size_t mfloats = mdata ? (size_t)(uint32)mbuf->samples : 0;
    int mchannels = mdata ? mbuf->channels : 0;
    int status = cs_seqp_bind(p, mdata, mfloats, mchannels, IN0(kSeed), cs_sc_alloc, cs_sc_free, world);
    sp_report_binding(unit, status);

    cs_seqp_io io;
    memset(&io, 0, sizeof io);
    bool anyAudio = false;
    for (int i = 0; i < CS_SEQP_NUM_INPUTS; ++i) {
        io.in[i] = IN(kTrig + i);
        io.step[i] = INRATE(kTrig + i) == calc_FullRate ? 1u : 0u;
        anyAudio = anyAudio || io.step[i];
    }
    // An audio-rate unit processes its block. A control-rate unit with an audio-rate input (a trigger from
    // Impulse.ar, say) scans that input's whole block and outputs the value after its last sample; the
    // constructor's call looks at sample 0 only.
    uint32 n = (uint32)inNumSamples;
    io.out_step = unit->mCalcRate == calc_FullRate ? 1u : 0u;
    // (BUFLENGTH is 1 for a control-rate unit: the audio block is FULLBUFLENGTH)
    if (!io.out_step && anyAudio && !unit->inCtor) n = (uint32)FULLBUFLENGTH;
    // the work budget is the block's, whatever the rate; the constructor's one sample gets a sample's worth
    // (at least one event), so the block that creates the unit does not spend two blocks' budget
    io.budget_samples = unit->inCtor ? 1u : (uint32)FULLBUFLENGTH;

    // the mask Buffer, every block (-1 or no Buffer: every label allowed)
    io.mask = NULL;
    io.mask_len = 0;
    float fmask = IN0(kMask);
    if (fmask >= 0.f) {
        SndBuf *kbuf = cs_sc_buffer(unit, fmask);
        if (kbuf && kbuf->data && kbuf->samples > 0) {
            io.mask = kbuf->data;
            io.mask_len = (size_t)(uint32)kbuf->samples;
            if (unit->reportedMask == 1) unit->reportedMask = 0;
        } else if (unit->reportedMask != 1) {
            unit->reportedMask = 1;
            if (sp_verbose(unit)) Print("SeqPredict: no mask in buffer %g; every label is allowed\n", fmask);
        }
    }

    // guidance: the corpus and target of this block, the guidance input at each trigger's sample
    cs_seqp_guide guide;
    io.guide = sp_corpus(unit, &guide, cs_seqp_quiet(p, &io, n) != 0);
    io.guidance = unit->hasGuideInputs ? IN(kGuidance) : NULL;
    io.guidance_step = unit->hasGuideInputs && INRATE(kGuidance) == calc_FullRate ? 1u : 0u;
    // the label cache: its weight at each trigger's sample (cs_label_cache.h)
    io.cache = unit->cacheInput >= 0 ? IN(unit->cacheInput) : NULL;
    io.cache_step = unit->cacheInput >= 0 && INRATE(unit->cacheInput) == calc_FullRate ? 1u : 0u;
    // descriptor inputs: the unit played for the last label, and the corpus table its row is read from
    io.unit = unit->unitInput >= 0 ? IN(unit->unitInput) : NULL;
    io.unit_step = unit->unitInput >= 0 && INRATE(unit->unitInput) == calc_FullRate ? 1u : 0u;
    io.table = unit->corpus.state == CS_SEQP_CORPUS_OK ? &unit->corpus.view : NULL;
    sp_report_desc(unit, io.table);

    io.out_label = OUT(0);
    io.out_prob = unit->mNumOutputs > 1 ? OUT(1) : NULL;
    io.out_entropy = unit->mNumOutputs > 2 ? OUT(2) : NULL;

    cs_seqp_process(p, &io, n);

    // messages about this block's steps, one per failing state
    if (p->prime_bad && !unit->reportedPrime) {
        unit->reportedPrime = true;
        if (sp_verbose(unit))
            Print("SeqPredict: prime %g is out of range (the model has %d labels: 0..%d, or -1 to sample); "
                  "sampling instead\n",
                  p->prime_value, p->vocab, p->vocab - 1);
    } else if (!p->prime_bad) {
        unit->reportedPrime = false;
    }
    if (p->mask_empty && unit->reportedMask != 2) {
        unit->reportedMask = 2;
        if (sp_verbose(unit)) Print("SeqPredict: the mask in buffer %g allows no label; it is ignored\n", fmask);
    } else if (!p->mask_empty && unit->reportedMask == 2) {
        unit->reportedMask = 0;
    }
    if (p->nonfinite != unit->reportedNonfinite) {
        // one message per failure; the re-verification that follows reports a bad model by itself
        unit->reportedNonfinite = p->nonfinite;
        if (sp_verbose(unit))
            Print("SeqPredict: the model in buffer %g gave a non-finite value (was the Buffer written while "
                  "playing?); label is -1 while its weights are verified again\n",
                  unit->modelNum);
    }
    // once each: triggers that waited for a later block (the per-block budget), triggers lost (queue full)
    if (p->deferred && !unit->reportedDeferred) {
        unit->reportedDeferred = true;
        if (sp_verbose(unit))
            Print("SeqPredict: triggers come faster than the per-block budget allows for this model (%llu "
                  "multiply-adds a step, %u per sample); the extra ones are stepped in the next blocks, in order\n",
                  (unsigned long long)p->step_madds, (unsigned)CS_SEQP_MADDS_PER_SAMPLE);
    }
    if (p->dropped && !unit->reportedDropped) {
        unit->reportedDropped = true;
        if (sp_verbose(unit))
            Print("SeqPredict: %llu trigger(s) dropped: more than %d were waiting for the per-block budget (or the "
                  "model went away with triggers waiting); use a smaller model or fewer triggers\n",
                  (unsigned long long)p->dropped, CS_SEQP_QUEUE);
    }
}

void SeqPredict_Ctor(SeqPredict *unit)
{
    // 1. state: everything zero / NULL, so that the destructor is safe whatever happens below
    unit->reportedStatus = unit->reportedErr = unit->reportedMask = 0;
    unit->reportedPrime = unit->reportedDeferred = unit->reportedDropped = unit->reportedReduced = false;
    unit->reportedNonfinite = 0;
    unit->modelNum = -1.f;
    unit->inCtor = true;
    cs_seqp_corpus_init(&unit->corpus);
    unit->reportedCorpus = unit->reportedCorpusErr = 0;
    unit->reportedVocab = unit->reportedNoCorpus = false;
    // a SynthDef built by an older SeqPredict.sc has the inputs up to the mask only: no guidance
    unit->hasGuideInputs = unit->mNumInputs >= (uint32)kTargetPairs;
    unit->cacheInput =
        unit->hasGuideInputs && (unit->mNumInputs - (uint32)kTargetPairs) % 2u == 1u ? (int)unit->mNumInputs - 1 : -1;
    unit->unitInput = -1;
    unit->reportedDesc = false;
    if (unit->hasGuideInputs) { // cache and unit after the pairs (numTargetPairs is fixed when the SynthDef is built)
        float np = IN0(kNumTargetPairs);
        long pairs = np >= 0.f && np <= 1024.f ? (long)np : -1;
        if (pairs >= 0 && (long)unit->mNumInputs - (long)kTargetPairs - 2 * pairs == 2) {
            unit->cacheInput = (int)unit->mNumInputs - 2;
            unit->unitInput = (int)unit->mNumInputs - 1;
        }
    }
    // seed < 0: the generator is seeded from the synth's RGen (the server's, unless RandSeed/RandID set it)
    uint64_t fallback = ((uint64_t)unit->mParent->mRGen->trand() << 32) ^ (uint64_t)unit->mParent->mRGen->trand();
    cs_seqp_init(&unit->sp, fallback);

    if (unit->mNumInputs < kCorpus || unit->mNumOutputs < 1) {
        if (sp_verbose(unit))
            Print("SeqPredict: needs %d inputs and 1..3 outputs (use SeqPredict.sc); label is -1\n", (int)kNumInputs);
        SETCALC(SeqPredict_next_off);
        SeqPredict_next_off(unit, 1);
        return;
    }
    // 2. calculation function; 3. one sample (binds the model: a small one is ready at once)
    SETCALC(SeqPredict_next);
    SeqPredict_next(unit, 1);
    unit->inCtor = false;
}

// A unit built with the wrong number of inputs: label -1, probability and entropy 0, forever.
void SeqPredict_next_off(SeqPredict *unit, int inNumSamples)
{
    for (uint32 c = 0; c < unit->mNumOutputs; ++c) {
        float *out = OUT(c);
        float v = c == 0 ? -1.f : 0.f;
        for (int i = 0; i < inNumSamples; ++i)
            out[i] = v;
    }
}

void SeqPredict_Dtor(SeqPredict *unit)
{
    cs_seqp_release(&unit->sp, cs_sc_free, unit->mWorld);
}

PluginLoad(SeqPredict)
{
    ft = inTable;
    DefineDtorUnit(SeqPredict);
}
