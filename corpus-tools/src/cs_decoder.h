/*
 * cs_decoder.h - the sources of an analysis decoded ahead (issue 14 item 2): one decoder thread runs
 * cs_audio_open / cs_audio_next over the sources in order and hands the blocks over through a queue of
 * CS_DECODER_SLOTS blocks, so that the next block (and the next source) is decoded and resampled while the caller
 * writes and analyses the current one. The caller sees exactly the blocks cs_audio_next gives, in the same order,
 * with or without the thread: the bytes of the analysis do not depend on it. Memory: CS_DECODER_SLOTS blocks of at
 * most 65 536 + 257 frames x channels floats, plus one cs_audio_reader. Offline code (threads, allocation).
 */
#ifndef CS_DECODER_H
#define CS_DECODER_H

#include "cs_audio.h"

#include <stddef.h>
#include <stdint.h>

#define CS_DECODER_SLOTS 4

enum cs_decoded_kind {
    CS_DECODED_BLOCK = 0, /* frames x channels samples of source `source` at the corpus rate */
    CS_DECODED_END = 1    /* source `source` ended: rc (0, or the error of cs_audio_open / cs_audio_next) */
};

/** One item from the decoder; `data` is valid until the next cs_decoder_next call. */
typedef struct cs_decoded {
    int kind;
    size_t source;
    const float *data;
    size_t frames;
    /* CS_DECODED_END: */
    int rc;          /* 0 or a cs_error; after an error the decoder gives nothing more */
    int opened;      /* 0 when cs_audio_open failed (nothing was decoded) */
    int64_t decoded; /* frames that decoded at the file's rate (cs_audio_reader.decoded) */
    int nonzero;     /* a sample was not exactly 0 */
    char msg[256];   /* the reader's message for rc ("" when cs_strerror says it) */
} cs_decoded;

typedef struct cs_decoder cs_decoder;

/**
 * Start decoding the n sources `paths` (borrowed: they must stay valid until cs_decoder_stop) as cs_audio_open
 * does (rate, channels, resampler); info[i] is filled when source i is opened, before its first item. With
 * `threaded` a decoder thread decodes ahead; without, cs_decoder_next decodes each block when asked. Returns 0,
 * CS_E_NOMEM or CS_E_INTERNAL (no thread could be started: then decode without one).
 */
int cs_decoder_start(cs_decoder **out, char *const *paths, size_t n, int rate, int channels, int resampler,
                     cs_audio *info, int threaded);

/** The next item, in source order: 1 and *item, or 0 when every source has ended (or one failed). Blocks while the
 *  decoder thread is behind. The previous item's data are given back. */
int cs_decoder_next(cs_decoder *d, cs_decoded *item);

/** Stop the decoder thread (also in the middle of a source), close the file and free everything. Safe on NULL. */
void cs_decoder_stop(cs_decoder *d);

#endif
