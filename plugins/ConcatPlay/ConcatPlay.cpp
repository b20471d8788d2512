// ConcatPlay - plays corpus units as grains, chosen by label and policy (see sc-classes/ConcatPlay.sc and
// HelpSource/Classes/ConcatPlay.schelp). A thin shim in SuperCollider's C-style plugin API: the logic (player
// creation, Buffer validation, LRU memory, the descriptor target) is plugins/core/cs_concatplay.h, the voices,
// triggers and gapless chain plugins/core/cs_player.h, selection cs_select.h; this file only looks the Buffers
// up (plugins/common/cs_sc_buffer.h), marshals inputs and outputs, hands RTAlloc/RTFree over and posts messages.
//
// Real-time rules (shared design): every allocation is RTAlloc, checked; both Buffers are re-fetched every
// block (never cached across blocks); the unit table is re-validated when its data pointer, size, channel count
// or write generation (World::mSndBufUpdates) changes, its header at once, its rows ONCE for every instance
// (cs_concatplay.h): by the plugin command below, off the audio thread, or else by the first instance, a bounded
// share of one per-block budget that all instances draw on (select 2 acts as random until an instance's LRU lists
// are filled; a table that fails the check is then refused), and every value read from it is range-checked where
// it is used (a /b_set into a playing Buffer changes neither); a bad or missing Buffer gives silence and ONE message
// per failing state; inputs are clamped by the core; block size and sample rate are read from the server.
//
// Plugin command `/cmd concatseqCheck bufnum [completion message]` (ConcatCorpus.load sends it after reading the
// unit table; an NRT Score made by ConcatCorpus.scoreLoadCommands too): stage 2, on the server's NRT thread, runs
// the full row check of the Buffer's current data (the NRT mirror of the Buffer); stage 3, on the audio thread,
// records the result in the registry only if the Buffer still has the data, size and channels that stage 2 checked
// (its write generation is taken then), else drops it. Safe against buffer commands racing with it: the NRT thread
// runs every stage 2 and 4 in order, so a /b_free or /b_alloc sent before the check has already replaced the mirror
// when stage 2 reads it, and one sent after it frees the old data only in its own stage 4, after this stage 2; any
// asynchronous Buffer command bumps the generation in its stage 3, which makes an older record miss. A bad table
// gets one line from stage 2 (naming the Buffer, the fault and `concatseq analyze --force`); the reply is
// `/done concatseqCheck` (stage 4), and the completion message, if any, is performed in stage 3. The registry is one
// per process (cs_cp_shared_host: one World per process) and lock-free (C11 atomics), so units on parallel threads
// (supernova's parallel groups) and stage 3 may use it at once.
// Outputs: numChannels audio channels, then
//   [numChannels]     the index of the last unit started (held; -1 before the first);
//   [numChannels + 1] the "next" gate of a gapless chain (see cs_player.h): rises `lead` s before the next unit.

#include "SC_PlugIn.h"

#include <math.h>
#include <string.h>

extern "C" {
#include "cs_concatplay.h"
}

static InterfaceTable *ft;

#include "cs_sc_buffer.h"

// The tables checked once for every instance, and the block budget they share (cs_concatplay.h).
static cs_cp_shared *gShared;

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

struct ConcatPlay : public Unit {
    cs_concatplay cp;
    uint32 numChannels;
    int reportedState, reportedSelect;
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

// Output silence on every channel, -1 (or the last unit) on the unit output, 0 on the gate.
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
    float uv = unit->cp.player ? unit->cp.player->unit_value : -1.f;
    for (int i = 0; i < n; ++i) {
        uo[i] = uv;
        no[i] = 0.f;
    }
}

// One message when a failing Buffer state begins.
static void cp_report_state(ConcatPlay *unit, int state, float fa, float ft_)
{
    if (state == unit->reportedState) return;
    unit->reportedState = state;
    if (state == CS_CP_OK || !cp_verbose(unit)) return;
    switch (state) {
    case CS_CP_NO_TABLE:
        Print("ConcatPlay: no unit table in buffer %g; output is silent\n", ft_);
        break;
    case CS_CP_BAD_TABLE:
        Print("ConcatPlay: buffer %g: %s; output is silent\n", ft_, cs_ut_strerror(unit->cp.table_err));
        break;
    case CS_CP_NO_AUDIO:
        Print("ConcatPlay: no audio in buffer %g; output is silent\n", fa);
        break;
    default:
        Print("ConcatPlay: channels or frames differ from the unit table's in audio buffer %g; output is silent\n", fa);
    }
}

// One message when a failing selection state begins (label out of range, empty label, unit out of range, a
// table written since validation). A rest (label -1) is not a failure.
static void cp_report_select(ConcatPlay *unit, const cs_ut_view *view)
{
    const cs_player *p = unit->cp.player;
    int st = p->last_status == CS_SELECT_REST ? CS_SELECT_OK : p->last_status;
    if (st == unit->reportedSelect) return;
    unit->reportedSelect = st;
    if (st == CS_SELECT_OK || !cp_verbose(unit)) return;
    if (st == CS_SELECT_E_LABEL_EMPTY)
        Print("ConcatPlay: label %g has no units; nothing plays until another label is asked for\n", p->last_value);
    else if (st == CS_SELECT_E_LABEL_RANGE)
        Print("ConcatPlay: label %g is out of range (the corpus has %u labels; -1 = rest, -2 = any)\n", p->last_value,
              view ? view->num_labels : 0u);
    else if (st == CS_SELECT_E_UNIT_RANGE)
        Print("ConcatPlay: unit %g is out of range (the corpus has %u units)\n", p->last_value,
              view ? view->num_units : 0u);
    else
        Print("ConcatPlay: %s\n", cs_select_strerror(st));
}

void ConcatPlay_next(ConcatPlay *unit, int inNumSamples)
{
    cs_concatplay *cp = &unit->cp;
    const float fa = IN0(kAudioBuf), ft_ = IN0(kUnitBuf);

    // both Buffers, every block
    SndBuf *tbuf = cs_sc_buffer(unit, ft_), *abuf = cs_sc_buffer(unit, fa);
    const float *tdata = tbuf ? tbuf->data : NULL, *adata = abuf ? abuf->data : NULL;
    World *world = unit->mWorld;
    // the table's identity: a global Buffer has a number and a write generation; a LocalBuf neither (-1)
    const int32 tnum = (tbuf && tbuf < world->mSndBufs + world->mNumSndBufs && tbuf >= world->mSndBufs)
                           ? (int32)(tbuf - world->mSndBufs)
                           : -1;
    const uint32 tgen = (tnum >= 0 && world->mSndBufUpdates) ? (uint32)world->mSndBufUpdates[tnum].writes : 0u;
    cs_player_io io;
    int state =
        cs_cp_bind_shared(cp, gShared, (uint64_t)(uint32)world->mBufCounter, tdata, tdata ? (uint32)tbuf->samples : 0,
                          tdata ? (uint32)tbuf->channels : 0, tnum, tgen, adata, adata ? (uint32)abuf->frames : 0,
                          adata ? (uint32)abuf->channels : 0, cs_sc_alloc, cs_sc_free, world, &io);
    cp_report_state(unit, state, fa, ft_);
    if (cp->lru_failed && !unit->lruReported && cp_verbose(unit))
        Print("ConcatPlay: not enough real-time memory for the LRU lists of %u units "
              "(increase ServerOptions.memSize); select 2 acts as random\n",
              cp->view.num_units);
    unit->lruReported = cp->lru_failed != 0;

    // the descriptor target for select 3: (index, value) pairs from the inputs, else a Buffer; read per block
    float pairs[2 * CS_SELECT_MAX_TARGET_DIMS];
    uint32 maxPairs = (unit->mNumInputs - kTargetPairs) / 2;
    if (maxPairs > CS_SELECT_MAX_TARGET_DIMS) maxPairs = CS_SELECT_MAX_TARGET_DIMS;
    for (uint32 i = 0; i < 2 * maxPairs; ++i)
        pairs[i] = IN0(kTargetPairs + i);
    SndBuf *gbuf = cs_sc_buffer(unit, IN0(kTargetBuf));
    bool gok = gbuf && gbuf->data && gbuf->samples > 0;
    cs_select_target target;
    int hasTarget = cs_cp_target(&target, gok ? gbuf->data : NULL, gok ? (uint32)gbuf->samples : 0,
                                 IN0(kNumTargetPairs), pairs, maxPairs);

    static const int map[CS_PLAYER_NUM_INPUTS] = {kTrig,    kLabel,  kUnit, kRate, kAmp,     kAttack,
                                                  kRelease, kSelect, kPan,  kDur,  kGapless, kLead};
    for (int i = 0; i < CS_PLAYER_NUM_INPUTS; ++i) {
        io.in[i] = IN(map[i]);
        io.step[i] = INRATE(map[i]) == calc_FullRate ? 1u : 0u;
    }
    io.out = unit->mOutBuf;
    io.unit_out = OUT(unit->numChannels);
    io.next_out = OUT(unit->numChannels + 1);
    io.target = hasTarget ? &target : NULL;

    cs_player_process(cp->player, &io, (uint32)inNumSamples);
    cp_report_select(unit, io.table);
}

// After a failed allocation: silence, forever.
void ConcatPlay_next_off(ConcatPlay *unit, int inNumSamples)
{
    cp_silence(unit, inNumSamples);
}

void ConcatPlay_Ctor(ConcatPlay *unit)
{
    // 1. state: the core's state zeroed by cs_cp_open, so that the Dtor is safe whatever happens below
    unit->reportedState = CS_CP_OK;
    unit->reportedSelect = CS_SELECT_OK;
    unit->lruReported = false;
    unit->numChannels = unit->mNumOutputs >= 3 ? unit->mNumOutputs - 2 : 1;
    memset(&unit->cp, 0, sizeof unit->cp);

    // 2. calculation function (silence until the player exists); 3. one sample: silence, unit -1, gate 0
    SETCALC(ConcatPlay_next_off);
    if (unit->mNumOutputs < 3 || unit->numChannels > CS_GRAIN_MAX_OUTPUTS || unit->mNumInputs < kTargetPairs) {
        if (cp_verbose(unit))
            Print("ConcatPlay: needs 1 .. %d channels and %d inputs; output is silent\n", CS_GRAIN_MAX_OUTPUTS,
                  (int)kTargetPairs);
        ClearUnitOutputs(unit, 1);
        return;
    }
    // seed < 0: from the synth's generator (the server's, unless RandSeed/RandID set it)
    uint64_t fallback = (uint64_t)unit->mParent->mRGen->trand();
    int r = cs_cp_open(&unit->cp, IN0(kMaxVoices), IN0(kSeed), fallback, unit->numChannels, SAMPLERATE, cs_sc_alloc,
                       unit->mWorld);
    if (r != CS_CP_OPEN_OK) {
        if (cp_verbose(unit)) {
            if (r == CS_CP_OPEN_NO_MEMORY)
                Print("ConcatPlay: not enough real-time memory for %u voices (%u bytes; increase "
                      "ServerOptions.memSize); output is silent\n",
                      unit->cp.max_voices, (unsigned)unit->cp.need);
            else
                Print("ConcatPlay: bad sample rate %g or channel count %u; output is silent\n", SAMPLERATE,
                      unit->numChannels);
        }
        cp_silence(unit, 1);
        return;
    }
    SETCALC(ConcatPlay_next);
    cp_silence(unit, 1);
}

void ConcatPlay_Dtor(ConcatPlay *unit)
{
    cs_cp_close(&unit->cp, cs_sc_free, unit->mWorld);
}

// ------------------------------------------------------------------------------ /cmd concatseqCheck bufnum

struct CheckCmd {
    int32 bufnum;
    const float *data; // what stage 2 checked (the NRT mirror's), compared in stage 3, never read there
    uint32 samples, channels;
    int result;
};

// Stage 2, NRT thread: the full check of the Buffer's current data. O(units), allowed here (not the audio thread).
static bool check_stage2(World *world, void *cmdData)
{
    CheckCmd *c = (CheckCmd *)cmdData;
    SndBuf *buf = world->mSndBufsNonRealTimeMirror + c->bufnum;
    c->data = buf->data;
    c->samples = buf->data ? (uint32)buf->samples : 0;
    c->channels = buf->data ? (uint32)buf->channels : 0;
    cs_ut_view view;
    if (!c->data)
        c->result = CS_UT_E_NULL;
    else if (c->channels != 1)
        c->result = CS_UT_E_DIMS;
    else
        c->result = cs_ut_parse(c->data, c->samples, 1, &view);
    if (c->result != CS_UT_OK && world->mVerbosity >= 0)
        Print("concatseqCheck: buffer %d is not a valid unit table (%s); ConcatPlay refuses it (rebuild the bundle "
              "with `concatseq analyze --force`)\n",
              (int)c->bufnum, cs_ut_strerror(c->result));
    return true;
}

// Stage 3, audio thread: record the result if the Buffer still holds what was checked. O(CS_CP_SHARED_TABLES).
static bool check_stage3(World *world, void *cmdData)
{
    CheckCmd *c = (CheckCmd *)cmdData;
    const SndBuf *buf = world->mSndBufs + c->bufnum;
    if (c->data && buf->data == c->data && (uint32)buf->samples == c->samples && (uint32)buf->channels == c->channels) {
        const uint32 gen = world->mSndBufUpdates ? (uint32)world->mSndBufUpdates[c->bufnum].writes : 0u;
        const cs_cp_table_id id = {c->data, c->samples, c->channels, c->bufnum, gen};
        cs_cp_shared_put(gShared, &id, c->result);
    }
    return true;
}

static bool check_stage4(World *, void *)
{
    return true; // /done concatseqCheck
}

static void check_cleanup(World *world, void *cmdData)
{
    RTFree(world, cmdData);
}

// Stage 1, audio thread: read the Buffer number (and the completion message), hand the rest over.
static void check_cmd(World *world, void *, struct sc_msg_iter *args, void *replyAddr)
{
    const int bufnum = args->geti(-1);
    if (bufnum < 0 || (uint32)bufnum >= world->mNumSndBufs) {
        if (world->mVerbosity >= 0)
            Print("concatseqCheck: no Buffer %d (give the number of the unit table's Buffer, 0 .. %u)\n", bufnum,
                  world->mNumSndBufs ? world->mNumSndBufs - 1 : 0u);
        return;
    }
    CheckCmd *c = (CheckCmd *)RTAlloc(world, sizeof(CheckCmd));
    if (!c) {
        if (world->mVerbosity >= 0)
            Print("concatseqCheck: not enough real-time memory; ConcatPlay checks buffer %d itself\n", bufnum);
        return;
    }
    c->bufnum = bufnum;
    c->data = NULL;
    c->samples = c->channels = 0;
    c->result = CS_UT_E_NULL;
    const int msgSize = args->getbsize();
    char *msgData = NULL;
    if (msgSize > 0) {
        msgData = (char *)RTAlloc(world, (size_t)msgSize); // the server frees it after use
        if (!msgData) {
            RTFree(world, c);
            if (world->mVerbosity >= 0)
                Print("concatseqCheck: not enough real-time memory; ConcatPlay checks buffer %d itself\n", bufnum);
            return;
        }
        args->getb(msgData, msgSize);
    }
    DoAsynchronousCommand(world, replyAddr, "concatseqCheck", c, check_stage2, check_stage3, check_stage4,
                          check_cleanup, msgSize > 0 ? msgSize : 0, msgData);
}

PluginLoad(ConcatPlay)
{
    ft = inTable;
    gShared = cs_cp_shared_host();
    cs_cp_shared_init(gShared);
    DefinePlugInCmd("concatseqCheck", check_cmd, NULL);
    // CantAlias: the outputs are cleared before the inputs are read (sample-accurate inputs at any sample),
    // so an output buffer must never be one of the input wires.
    DefineDtorCantAliasUnit(ConcatPlay);
}
