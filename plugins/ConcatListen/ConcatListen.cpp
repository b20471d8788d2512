// ConcatListen - labels an input signal with a corpus's own analysis: per completed frame, onset event or grain
// the corpus's normalised descriptors, the nearest label and its distance, and a trigger (see
// sc-classes/ConcatListen.sc and HelpSource/Classes/ConcatListen.schelp). A thin shim in SuperCollider's C-style
// plugin API: the logic (table binding, listener memory, normalisation, the budgeted label search) is
// plugins/core/cs_concatlisten.h over the streaming listener cs_listener.h; this file only looks the Buffer up
// (plugins/common/cs_sc_buffer.h), marshals inputs and outputs, hands RTAlloc/RTFree and the FFT over and posts
// messages.
//
// The FFT: one cs_fft_host (plugins/core/cs_fft.h: FFTW plans of every power of two up to kMaxFFT, made here in
// PluginLoad, on the server's loading thread, never on the audio thread); executing those plans on the UGen's
// RTAlloc'd arrays is real-time safe. The CLI uses the same host, so live and offline frames are the same numbers.
//
// Real-time rules (shared design): every allocation is RTAlloc, checked; the table Buffer is re-fetched every
// block and re-bound when its data pointer, size or channel count changes (the header at once, O(1)); a bad,
// missing or old-format table gives label -1, trig 0 and ONE message per failing state; inputs are clamped by the
// core; block size and sample rate are read from the server.
//
// Outputs (control rate), in this order:
//   [0]          trig: 1 for one control period when a unit's label is known, else 0
//   [1]          label: the nearest label (held; -1 before the first unit and while the table fails)
//   [2]          distance: weighted mean squared distance to that label's centroid (normalised units, held)
//   [3 .. 3+n-1] the n selected normalised descriptors of the unit (held)
//   [3+n]        age: seconds from the unit's first sample to the end of the block of its trigger (held)

#include "SC_PlugIn.h"

#include <math.h>
#include <string.h>

extern "C" {
#include "cs_concatlisten.h"
#include "cs_fft.h"
}

static InterfaceTable *ft;

#include "cs_sc_buffer.h"

// Inputs, in the order of ConcatListen.sc.
enum ConcatListenInput {
    kIn = 0,
    kUnitBuf,
    kMode,
    kReset, // a rising edge ends the signal (its last units complete) and starts a new one; sample-accurate at ar
    kSelect // n descriptor column indices follow (n = outputs - 4)
};

static const int kMaxFFT = CS_FRAME_MAX_FFT; // every size an analyser can ask for (cs_frame.h)
static cs_fft_host *gFFTHost = NULL;
static cs_fft_ops gFFTOps;

struct ConcatListen : public Unit {
    cs_concatlisten cl;
    float heldAge; // ar: the age output (counted to the trigger's sample, held)
    uint32 numSelect;
    int reportedState;
    bool approxReported;
};

extern "C" {
void ConcatListen_Ctor(ConcatListen *unit);
void ConcatListen_Dtor(ConcatListen *unit);
void ConcatListen_next(ConcatListen *unit, int inNumSamples);
void ConcatListen_next_a(ConcatListen *unit, int inNumSamples);
}

static bool cl_verbose(ConcatListen *unit)
{
    return unit->mWorld->mVerbosity >= 0;
}

static void cl_write(ConcatListen *unit, const cs_cl_out *o)
{
    OUT0(0) = o->trig;
    OUT0(1) = o->label;
    OUT0(2) = o->distance;
    for (uint32 i = 0; i < unit->numSelect; ++i)
        OUT0(3 + i) = o->desc ? o->desc[i] : 0.f;
    OUT0(3 + unit->numSelect) = o->age;
}

// One message when a failing table state begins.
static void cl_report_state(ConcatListen *unit, int state, float fbuf)
{
    if (state == unit->reportedState) return;
    unit->reportedState = state;
    if (state == CS_CL_OK || !cl_verbose(unit)) return;
    const cs_concatlisten *cl = &unit->cl;
    switch (state) {
    case CS_CL_NO_TABLE:
        Print("ConcatListen: no unit table in buffer %g; label is -1\n", fbuf);
        break;
    case CS_CL_BAD_TABLE:
        if (cl->table_err == CS_UT_E_VERSION)
            Print("ConcatListen: buffer %g: %s; rebuild the bundle with `concatseq analyze --force`; label is -1\n",
                  fbuf, cs_ut_strerror(cl->table_err));
        else
            Print("ConcatListen: buffer %g: %s; label is -1\n", fbuf, cs_ut_strerror(cl->table_err));
        break;
    case CS_CL_NO_LISTEN:
        Print("ConcatListen: the unit table in buffer %g has no listening section (an older bundle); rebuild it "
              "with `concatseq analyze --force`; label is -1\n",
              fbuf);
        break;
    case CS_CL_NO_FFT:
        Print("ConcatListen: no FFT plans (FFTW planning failed when the plugin loaded) or a bad sample rate; label "
              "is -1\n");
        break;
    case CS_CL_NO_MEMORY:
        Print("ConcatListen: not enough real-time memory for the listener (%u bytes; increase ServerOptions.memSize); "
              "label is -1\n",
              (unsigned)cl->need);
        break;
    default:
        Print("ConcatListen: the analysis settings of the unit table in buffer %g cannot be used at %g Hz "
              "(fft %d, hop %d); label is -1\n",
              fbuf, FULLRATE, cl->config.frame.fft_size, cl->config.frame.hop);
    }
}

// The block's work: follow the table, post the messages, run the core over the input block.
static void cl_block(ConcatListen *unit, cs_cl_out *o)
{
    cs_concatlisten *cl = &unit->cl;
    const float fbuf = IN0(kUnitBuf);
    SndBuf *tbuf = cs_sc_buffer(unit, fbuf);
    const float *tdata = tbuf ? tbuf->data : NULL;
    int state = cs_cl_bind(cl, tdata, tdata ? (uint32)tbuf->samples : 0, tdata ? (uint32)tbuf->channels : 0,
                           cs_sc_alloc, cs_sc_free, unit->mWorld);
    cl_report_state(unit, state, fbuf);
    if (state == CS_CL_OK && cl->approximate && !unit->approxReported && cl_verbose(unit))
        Print("ConcatListen: the corpus was analysed at %g Hz, the server runs at %g Hz: listening with fft %d, hop %d "
              "(scaled); descriptors and labels are approximate\n",
              cl->view.sample_rate, FULLRATE, cl->config.frame.fft_size, cl->config.frame.hop);
    unit->approxReported = state == CS_CL_OK && cl->approximate;
    const bool resetAudio = INRATE(kReset) == calc_FullRate;
    cs_cl_process(cl, IN(kIn), (uint32)FULLBUFLENGTH, IN(kReset), resetAudio ? 1u : 0u, o);
}

// Control rate: one value per output and block.
void ConcatListen_next(ConcatListen *unit, int)
{
    cs_cl_out o;
    cl_block(unit, &o);
    cl_write(unit, &o);
}

// Audio rate: the trigger is a one-sample impulse at the sample the unit was known (cs_cl_out.offset); the other
// outputs take their new values for the whole block (from its first sample, so that a UGen reading them once per
// block, such as ConcatPlay's target, sees the values of the trigger); age is counted to the trigger's sample.
void ConcatListen_next_a(ConcatListen *unit, int inNumSamples)
{
    cs_cl_out o;
    cl_block(unit, &o);
    const int n = inNumSamples;
    const bool trig = o.trig > 0.f;
    const int off = trig ? ((int)o.offset < n ? (int)o.offset : n - 1) : 0;
    const float age = trig ? o.age - (float)((double)(n - off) / FULLRATE) : unit->heldAge;
    unit->heldAge = age >= 0.f ? age : 0.f;
    const float values[3] = {0.f, o.label, o.distance};
    for (uint32 c = 1; c < 4 + unit->numSelect; ++c) {
        const float v = c < 3 ? values[c] : (c < 3 + unit->numSelect ? (o.desc ? o.desc[c - 3] : 0.f) : unit->heldAge);
        float *out = OUT(c);
        for (int i = 0; i < n; ++i)
            out[i] = v;
    }
    float *tout = OUT(0);
    memset(tout, 0, (size_t)n * sizeof(float));
    if (trig) tout[off] = 1.f;
}

void ConcatListen_Ctor(ConcatListen *unit)
{
    // 1. state: zeroed, so that the Dtor is safe whatever happens below
    memset(&unit->cl, 0, sizeof unit->cl);
    unit->reportedState = CS_CL_OK;
    unit->approxReported = false;
    unit->numSelect = unit->mNumOutputs >= 4 ? unit->mNumOutputs - 4 : 0;
    // 2. calculation function (audio rate: the sample-accurate trigger of ConcatListen.ar)
    unit->heldAge = 0.f;
    if (unit->mCalcRate == calc_FullRate)
        SETCALC(ConcatListen_next_a);
    else
        SETCALC(ConcatListen_next);
    if (unit->mNumOutputs < 4 || unit->mNumInputs < (uint32)kSelect + unit->numSelect ||
        unit->numSelect > CS_CL_MAX_SELECT || INRATE(kIn) != calc_FullRate) {
        if (cl_verbose(unit))
            Print("ConcatListen: needs an audio-rate input and 0 .. %d descriptors; outputs are 0\n", CS_CL_MAX_SELECT);
        SETCALC(ClearUnitOutputs);
        ClearUnitOutputs(unit, 1);
        return;
    }
    float sel[CS_CL_MAX_SELECT];
    for (uint32 i = 0; i < unit->numSelect; ++i)
        sel[i] = IN0(kSelect + i);
    // a failure (no FFT plans, bad rate) leaves the state CS_CL_NO_FFT: reported once by the first block
    cs_cl_open(&unit->cl, FULLRATE, IN0(kMode), sel, unit->numSelect, gFFTHost ? &gFFTOps : NULL);
    unit->cl.trig_gap = unit->mCalcRate != calc_FullRate; // .kr: a 0 between two reports (cs_concatlisten.h)
    // 3. one sample: the held outputs of "nothing heard yet"
    cs_cl_out o;
    memset(&o, 0, sizeof o);
    o.label = -1.f;
    cl_write(unit, &o);
}

void ConcatListen_Dtor(ConcatListen *unit)
{
    cs_cl_close(&unit->cl, cs_sc_free, unit->mWorld);
}

PluginLoad(ConcatListen)
{
    ft = inTable;
    // the FFT plans, once per server process, on the loading thread (FFTW planning is not real-time safe)
    gFFTHost = cs_fft_host_new(kMaxFFT);
    if (gFFTHost) gFFTOps = cs_fft_host_ops(gFFTHost);
    DefineDtorUnit(ConcatListen);
}
