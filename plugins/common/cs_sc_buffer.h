// cs_sc_buffer.h - the Buffer lookup of the ConcatSeq UGen shims (ConcatPlay.cpp, SeqPredict.cpp), in one place.
//
// A UGen reads its Buffers by number every block (never caching the SndBuf or its data across blocks), as
// SuperCollider's own buffer UGens do: numbers below the World's buffer count are global Buffers, the next
// ones the synth's LocalBufs. C++ (the SC plugin headers), header-only; include it after SC_PlugIn.h.
#ifndef CS_SC_BUFFER_H
#define CS_SC_BUFFER_H

#include "SC_PlugIn.h"

// The Buffer with this number (global, or local to the unit's synth), or NULL: NaN, negative and numbers
// beyond 1e9 (as floats) give NULL. O(1), RT-safe. The returned Buffer may still hold no data (check ->data).
static inline SndBuf *cs_sc_buffer(Unit *unit, float fbufnum)
{
    if (!(fbufnum >= 0.f) || fbufnum > 1.0e9f) return NULL;
    uint32 bufnum = (uint32)fbufnum;
    World *world = unit->mWorld;
    if (bufnum < world->mNumSndBufs) return world->mSndBufs + bufnum;
    uint32 local = bufnum - world->mNumSndBufs;
    Graph *parent = unit->mParent;
    if (parent->localBufNum > 0 && local < (uint32)parent->localBufNum) return parent->mLocalSndBufs + local;
    return NULL;
}

// The host's allocator for the core (cs_cp_alloc_fn / cs_seqp_alloc_fn): RTAlloc / RTFree on the World in
// `user`. Both need `ft` (the InterfaceTable) to be declared before this header is included.
static inline void *cs_sc_alloc(void *user, size_t bytes)
{
    return RTAlloc((World *)user, bytes);
}
static inline void cs_sc_free(void *user, void *ptr)
{
    RTFree((World *)user, ptr);
}

#endif
