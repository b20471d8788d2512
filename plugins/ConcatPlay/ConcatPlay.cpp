// ConcatPlay - plays corpus units as grains, chosen by label and policy (see sc-classes/ConcatPlay.sc and
// HelpSource/Classes/ConcatPlay.schelp). A thin shim in SuperCollider's C-style plugin API: all DSP, selection
// and scheduling is the C core (plugins/core/cs_grain.h, cs_select.h); this file only fetches Buffers, validates
// them, allocates with RTAlloc and posts messages.
//
// Real-time rules (shared/DESIGN.md): every allocation is RTAlloc, checked; both Buffers are re-fetched every
// block (never cached across blocks); the unit table is re-validated only when its data pointer, size or
// channel count changes; a bad or missing Buffer gives silence and ONE message per failing state; inputs are
// clamped by the core; block size and sample rate are read from the server.
//
// Outputs: numChannels audio channels, then
//   [numChannels]     the index of the last unit started (held; -1 before the first);
//   [numChannels + 1] the "next" gate of a gapless chain (see cs_grain.h): rises `lead` s before the next unit.

#include "SC_PlugIn.h"

#include <math.h>
#include <string.h>

extern "C" {
#include "cs_grain.h"
#include "cs_select.h"
#include "cs_unit_table.h"
}

static InterfaceTable *ft;

// Inputs, in the order of ConcatPlay.sc (the corpus expands to its two Buffers).
enum ConcatPlayInput {
    kAudioBuf = 0,
    kUnitBuf,
    kTrig,
    kLabel,
    kUnit,
    kRate,
    kAmp,
    kAttack,
    kRelease,
    kSelect,
    kPan,
    kDur,
    kGapless,
    kLead,
    kSeed,
    kMaxVoices,
    kTargetBuf,
    kNumTargetPairs,
    kTargetPairs // numTargetPairs x (descriptor index, normalised value)
};

// Failing states: each is posted once when it begins.
enum ConcatPlayState {
    kStateOK = 0,
    kStateNoAudio,
    kStateNoTable,
    kStateBadTable,
    kStateMismatch,
};

struct ConcatPlay : public Unit {
    cs_player *player; // RTAlloc'd, NULL on failure
    uint32 numChannels;
    // unit table validation cache: re-parse only when any of these change
    const float *tableData;
    uint32 tableSamples, tableChannels;
    int tableErr;
    cs_ut_view view;
    void *lruMem; // RTAlloc'd LRU lists, sized from the table
    size_t lruSize;
    int state, reportedState, reportedSelect;
    bool lruReported;
};

extern "C" {
void ConcatPlay_Ctor(ConcatPlay *unit);
void ConcatPlay_Dtor(ConcatPlay *unit);
void ConcatPlay_next(ConcatPlay *unit, int inNumSamples);
void ConcatPlay_next_off(ConcatPlay *unit, int inNumSamples);
}

static bool cp_verbose(ConcatPlay *unit)
{
    return unit->mWorld->mVerbosity >= 0;
}

// The Buffer with this number (global or local to the synth), or NULL if there is none.
static SndBuf *cp_buffer(ConcatPlay *unit, float fbufnum)
{
    if (!(fbufnum >= 0.f) || fbufnum > 1.0e9f) return NULL;
    uint32 bufnum = (uint32)fbufnum;
    World *world = unit->mWorld;
    if (bufnum < world->mNumSndBufs) return world->mSndBufs + bufnum;
    int local = (int)(bufnum - world->mNumSndBufs);
    Graph *parent = unit->mParent;
    if (local < parent->localBufNum) return parent->mLocalSndBufs + local;
    return NULL;
}

// Output silence on every channel, -1 on the unit output, 0 on the gate.
static void cp_silence(ConcatPlay *unit, int n)
{
    if (unit->mNumOutputs < 3) {
        ClearUnitOutputs(unit, n);
        return;
    }
    for (uint32 c = 0; c < unit->numChannels; ++c)
        memset(OUT(c), 0, (size_t)n * sizeof(float));
    float *uo = OUT(unit->numChannels);
    float *no = OUT(unit->numChannels + 1);
    float uv = unit->player ? unit->player->unit_value : -1.f;
    for (int i = 0; i < n; ++i) {
        uo[i] = uv;
        no[i] = 0.f;
    }
}

static void cp_report(ConcatPlay *unit, int state, const char *what, float bufnum, int err)
{
    unit->state = state;
    if (state == unit->reportedState) return;
    unit->reportedState = state;
    if (state == kStateOK || !cp_verbose(unit)) return;
    if (err)
        Print("ConcatPlay: %s %g: %s; output is silent\n", what, bufnum, cs_ut_strerror(err));
    else
        Print("ConcatPlay: %s %g; output is silent\n", what, bufnum);
}

// Re-validate the unit table if its Buffer changed; returns the view or NULL.
static const cs_ut_view *cp_table(ConcatPlay *unit, SndBuf *buf)
{
    const float *data = buf->data;
    uint32 samples = (uint32)buf->samples, channels = (uint32)buf->channels;
    if (data != unit->tableData || samples != unit->tableSamples || channels != unit->tableChannels) {
        unit->tableData = data;
        unit->tableSamples = samples;
        unit->tableChannels = channels;
        if (!data)
            unit->tableErr = CS_UT_E_NULL;
        else if (channels != 1)
            unit->tableErr = CS_UT_E_DIMS;
        else
            // one O(units) pass over the rows, only when the Buffer changes
            unit->tableErr = cs_ut_parse(data, samples, 1, &unit->view);
        // a new table: new LRU lists, fade the voices of the old corpus, forget the last unit
        if (unit->player) {
            cs_player_release_all(unit->player);
            cs_player_set_lru(unit->player, NULL);
        }
        if (unit->lruMem) {
            RTFree(unit->mWorld, unit->lruMem);
            unit->lruMem = NULL;
            unit->lruSize = 0;
        }
        if (unit->tableErr == CS_UT_OK && unit->player) {
            size_t need = cs_select_lru_size(unit->view.num_units, unit->view.num_labels);
            unit->lruMem = need ? RTAlloc(unit->mWorld, need) : NULL;
            cs_select_lru *lru = unit->lruMem ? cs_select_lru_init(unit->lruMem, need, &unit->view) : NULL;
            if (lru) {
                unit->lruSize = need;
                cs_player_set_lru(unit->player, lru);
            } else if (!unit->lruReported && cp_verbose(unit)) {
                unit->lruReported = true;
                Print("ConcatPlay: not enough real-time memory for the LRU lists of %u units "
                      "(increase ServerOptions.memSize); select 2 acts as random\n",
                      unit->view.num_units);
            }
        }
    }
    return unit->tableErr == CS_UT_OK ? &unit->view : NULL;
}

void ConcatPlay_next(ConcatPlay *unit, int inNumSamples)
{
    cs_player *p = unit->player;
    const float fa = IN0(kAudioBuf), ft_ = IN0(kUnitBuf);

    // both Buffers, every block
    SndBuf *tbuf = cp_buffer(unit, ft_);
    const cs_ut_view *view = NULL;
    if (!tbuf || !tbuf->data) {
        cp_report(unit, kStateNoTable, "no unit table in buffer", ft_, 0);
    } else {
        view = cp_table(unit, tbuf);
        if (!view) cp_report(unit, kStateBadTable, "buffer", ft_, unit->tableErr);
    }
    SndBuf *abuf = view ? cp_buffer(unit, fa) : NULL;
    if (view) {
        if (!abuf || !abuf->data) {
            view = NULL;
            cp_report(unit, kStateNoAudio, "no audio in buffer", fa, 0);
        } else if ((uint32)abuf->channels != view->channels || (uint64_t)(uint32)abuf->frames != view->audio_frames) {
            view = NULL;
            cp_report(unit, kStateMismatch, "channels or frames differ from the unit table's in audio buffer", fa, 0);
        } else {
            cp_report(unit, kStateOK, "", 0.f, 0);
        }
    }

    // the descriptor target for select 3: a Buffer of D values and/or (index, value) pairs, read per block
    cs_select_target target;
    target.num_dims = 0;
    target.full = NULL;
    target.full_len = 0;
    SndBuf *gbuf = cp_buffer(unit, IN0(kTargetBuf));
    if (gbuf && gbuf->data && gbuf->samples > 0) {
        target.full = gbuf->data;
        target.full_len = (uint32)gbuf->samples;
    }
    float np = IN0(kNumTargetPairs);
    uint32 maxPairs = (unit->mNumInputs - kTargetPairs) / 2;
    uint32 npairs = (np >= 1.f) ? (uint32)sc_min(np, (float)maxPairs) : 0;
    if (npairs > CS_SELECT_MAX_TARGET_DIMS) npairs = CS_SELECT_MAX_TARGET_DIMS;
    for (uint32 i = 0; i < npairs; ++i) {
        float d = IN0(kTargetPairs + 2 * i);
        target.dim[target.num_dims] = (d >= 0.f && d < 4096.f) ? (uint32)d : 4096u; // 4096: ignored
        target.value[target.num_dims] = IN0(kTargetPairs + 2 * i + 1);
        target.num_dims++;
    }
    if (target.full && target.num_dims) // pairs given: they win; the Buffer is ignored
        target.full = NULL;

    cs_player_io io;
    static const int map[CS_PLAYER_NUM_INPUTS] = {kTrig,    kLabel,  kUnit, kRate, kAmp,     kAttack,
                                                  kRelease, kSelect, kPan,  kDur,  kGapless, kLead};
    for (int i = 0; i < CS_PLAYER_NUM_INPUTS; ++i) {
        io.in[i] = IN(map[i]);
        io.step[i] = INRATE(map[i]) == calc_FullRate ? 1u : 0u;
    }
    io.out = unit->mOutBuf;
    io.unit_out = OUT(unit->numChannels);
    io.next_out = OUT(unit->numChannels + 1);
    io.audio = view ? abuf->data : NULL;
    io.audio_frames = view ? (uint64_t)(uint32)abuf->frames : 0;
    io.audio_channels = view ? (uint32)abuf->channels : 0;
    io.table = view;
    io.target = (target.full || target.num_dims) ? &target : NULL;

    cs_player_process(p, &io, (uint32)inNumSamples);

    // one message per failing selection state (label out of range, empty label, unit out of range)
    int st = p->last_status;
    if (st != unit->reportedSelect) {
        unit->reportedSelect = st;
        if (st != CS_SELECT_OK && cp_verbose(unit)) {
            if (st == CS_SELECT_E_LABEL_EMPTY)
                Print("ConcatPlay: label %g has no units; nothing plays until another label is asked for\n",
                      p->last_value);
            else if (st == CS_SELECT_E_LABEL_RANGE)
                Print("ConcatPlay: label %g is out of range (the corpus has %u labels; -1 = any)\n", p->last_value,
                      view ? view->num_labels : 0u);
            else if (st == CS_SELECT_E_UNIT_RANGE)
                Print("ConcatPlay: unit %g is out of range (the corpus has %u units)\n", p->last_value,
                      view ? view->num_units : 0u);
            else
                Print("ConcatPlay: %s\n", cs_select_strerror(st));
        }
    }
}

// After a failed allocation: silence, forever.
void ConcatPlay_next_off(ConcatPlay *unit, int inNumSamples)
{
    cp_silence(unit, inNumSamples);
}

void ConcatPlay_Ctor(ConcatPlay *unit)
{
    // pointers start NULL so that the Dtor is safe whatever happens below
    unit->player = NULL;
    unit->lruMem = NULL;
    unit->lruSize = 0;
    unit->tableData = NULL;
    unit->tableSamples = unit->tableChannels = 0;
    unit->tableErr = CS_UT_E_NULL;
    memset(&unit->view, 0, sizeof unit->view);
    unit->state = unit->reportedState = kStateOK;
    unit->reportedSelect = CS_SELECT_OK;
    unit->lruReported = false;
    unit->numChannels = unit->mNumOutputs >= 3 ? unit->mNumOutputs - 2 : 1;

    // the constructor's one sample: silence, unit -1, gate 0 (the player's state at rest)
    SETCALC(ConcatPlay_next_off);
    if (unit->mNumOutputs < 3 || unit->numChannels > CS_GRAIN_MAX_OUTPUTS || unit->mNumInputs < kTargetPairs) {
        if (cp_verbose(unit))
            Print("ConcatPlay: needs 1 .. %d channels and %d inputs; output is silent\n", CS_GRAIN_MAX_OUTPUTS,
                  (int)kTargetPairs);
        ClearUnitOutputs(unit, 1);
        return;
    }

    float mv = IN0(kMaxVoices);
    uint32 maxVoices = CS_GRAIN_DEFAULT_VOICES;
    if (mv == mv) maxVoices = (uint32)sc_clip(mv, 1.f, (float)CS_GRAIN_MAX_VOICES);
    float fseed = IN0(kSeed);
    uint64_t seed;
    if (fseed >= 0.f && fseed < 1.0e15f)
        seed = (uint64_t)fseed;
    else
        seed = (uint64_t)unit->mParent->mRGen->trand(); // seed < 0: from the synth's generator

    size_t size = cs_player_size(maxVoices, unit->numChannels);
    void *mem = RTAlloc(unit->mWorld, size);
    if (!mem) {
        if (cp_verbose(unit))
            Print("ConcatPlay: not enough real-time memory for %u voices (%u bytes; increase ServerOptions.memSize); "
                  "output is silent\n",
                  maxVoices, (unsigned)size);
        cp_silence(unit, 1);
        return;
    }
    unit->player = cs_player_init(mem, size, maxVoices, unit->numChannels, SAMPLERATE, seed);
    if (!unit->player) {
        RTFree(unit->mWorld, mem);
        if (cp_verbose(unit)) Print("ConcatPlay: bad sample rate %g; output is silent\n", SAMPLERATE);
        cp_silence(unit, 1);
        return;
    }
    SETCALC(ConcatPlay_next);
    cp_silence(unit, 1);
}

void ConcatPlay_Dtor(ConcatPlay *unit)
{
    if (unit->lruMem) RTFree(unit->mWorld, unit->lruMem);
    if (unit->player) RTFree(unit->mWorld, unit->player);
}

PluginLoad(ConcatPlay)
{
    ft = inTable;
    // CantAlias: the outputs are cleared before the inputs are read (sample-accurate inputs at any sample),
    // so an output buffer must never be one of the input wires.
    DefineDtorCantAliasUnit(ConcatPlay);
}
