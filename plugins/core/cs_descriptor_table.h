/*
 * cs_descriptor_table.h - the unit descriptors, written once: order, C identifier, name and unit.
 *
 * This X-macro table is the single source of the descriptor columns of a unit table (corpus-tools/BUNDLE.md),
 * of the names `concatseq analyze --descriptors` accepts and the manifest stores, and of the sclang names
 * (sc-classes/ConcatSeqFormat.sc is generated from it). Definitions: corpus-tools/DESCRIPTORS.md.
 *
 * X(ID, "name", "unit"): ID gives the enum constant CS_D_<ID> (column index), "name" is snake_case, "unit" is
 * "dB", "Hz", "s" or "" (dimensionless). Adding a descriptor: one line here, its computation in
 * corpus-tools/src/cs_describe.c and its row in corpus-tools/DESCRIPTORS.md, then regenerate the sclang
 * constants (`cmake --build build --target sclang-format`). Names that extend another by digits only form a
 * group that `--descriptors` and `--weights` accept by the shared name ("mfcc" = mfcc0 .. mfcc12).
 */
#ifndef CS_DESCRIPTOR_TABLE_H
#define CS_DESCRIPTOR_TABLE_H

#define CS_DESCRIPTOR_TABLE(X)                                                                                         \
    X(LOUDNESS, "loudness", "dB")         /* dBFS RMS of the unit's samples, floor -120 */                             \
    X(LOUDNESS_STD, "loudness_std", "dB") /* std over the unit's frames of frame loudness */                           \
    X(PEAK, "peak", "dB")                 /* dBFS of max |x|, floor -120 */                                            \
    X(CENTROID, "centroid", "Hz")         /* mean spectral centroid */                                                 \
    X(CENTROID_STD, "centroid_std", "Hz") /* std of the centroid */                                                    \
    X(SPREAD, "spread", "Hz")             /* mean spectral spread */                                                   \
    X(FLATNESS, "flatness", "")           /* mean spectral flatness, 0..1 */                                           \
    X(ROLLOFF, "rolloff", "Hz")           /* mean 95 % rolloff */                                                      \
    X(FLUX, "flux", "")                   /* mean spectral flux */                                                     \
    X(ZCR, "zcr", "Hz")                   /* mean zero-crossing rate */                                                \
    X(MFCC0, "mfcc0", "")                 /* mean MFCC c0..c12 (Slaney mel, DCT-II ortho) */                           \
    X(MFCC1, "mfcc1", "")                                                                                              \
    X(MFCC2, "mfcc2", "")                                                                                              \
    X(MFCC3, "mfcc3", "")                                                                                              \
    X(MFCC4, "mfcc4", "")                                                                                              \
    X(MFCC5, "mfcc5", "")                                                                                              \
    X(MFCC6, "mfcc6", "")                                                                                              \
    X(MFCC7, "mfcc7", "")                                                                                              \
    X(MFCC8, "mfcc8", "")                                                                                              \
    X(MFCC9, "mfcc9", "")                                                                                              \
    X(MFCC10, "mfcc10", "")                                                                                            \
    X(MFCC11, "mfcc11", "")                                                                                            \
    X(MFCC12, "mfcc12", "")                                                                                            \
    X(F0, "f0", "Hz")               /* mean f0 over voiced frames (confidence >= 0.5); 0 if none */                    \
    X(F0_CONF, "f0_confidence", "") /* mean YIN confidence, 0..1 */                                                    \
    X(DURATION, "duration", "s")    /* unit length */

/** Unit descriptor columns, in the order they are stored in the unit table. */
enum cs_unit_descriptor {
#define CS_DESCRIPTOR_ENUM_(id, name, unit) CS_D_##id,
    CS_DESCRIPTOR_TABLE(CS_DESCRIPTOR_ENUM_)
#undef CS_DESCRIPTOR_ENUM_
        CS_D_COUNT
};

/** Number of MFCC coefficients among the descriptors (c0..c12). */
#define CS_D_NUM_MFCC (CS_D_MFCC12 - CS_D_MFCC0 + 1)

#endif
