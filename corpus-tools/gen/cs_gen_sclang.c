/*
 * cs_gen_sclang.c - writes sc-classes/ConcatSeqFormat.sc, the sclang face of the C core's file layouts.
 *
 * The unit-table and model layouts, the split-integer base, the descriptor names, the selection policies, the
 * special label values, the guidance limits and the label palette (corpus-tools/src/cs_palette.h, the colours of
 * `concatseq plot`) are defined once, in the core's headers (cs_unit_table.h,
 * cs_model.h, cs_descriptor_table.h, cs_select.h, cs_label.h, cs_seqpredict.h). The classes must not write them again,
 * so this program prints them as an sclang class from those headers. The committed file is checked against
 * this program's output by the ctest `format_sclang` (tests/CMakeLists.txt); regenerate it with
 * `cmake --build build --target sclang-format`.
 *
 * Usage: cs_gen_sclang > sc-classes/ConcatSeqFormat.sc. Prints to stdout; exit 0, or 1 if stdout fails.
 */
#include "../src/cs_palette.h"
#include "cs_descriptor_table.h"
#include "cs_label.h"
#include "cs_label_cache.h"
#include "cs_model.h"
#include "cs_ngram_table.h"
#include "cs_select.h"
#include "cs_seqpredict.h"
#include "cs_split.h"
#include "cs_unit_table.h"

#include <stdio.h>

static void constant(const char *name, long value, const char *doc)
{
    printf("\t// %s\n\t*%s { ^%ld }\n", doc, name, value);
}

/* The label palette of `concatseq plot` (cs_palette.h; cs_label_colour in cs_plot.c) as an sclang method. */
static void palette_section(void)
{
    printf("\n\t// ---- label palette (corpus-tools/src/cs_palette.h; the colours of `concatseq plot`) ----\n");
    printf("\t// Colour of label l of k labels as [red, green, blue], Integers 0..255: HSL with hue\n"
           "\t// (l * 360 / k + %g) mod 360, saturation %g, lightness %g (even l) or %g (odd l); the same bytes as\n"
           "\t// the \"#rrggbb\" fills of `concatseq plot`. l: 0..k-1; k < 1 counts as 1.\n",
           CS_PALETTE_HUE_OFFSET, CS_PALETTE_SATURATION, CS_PALETTE_LIGHT_EVEN, CS_PALETTE_LIGHT_ODD);
    printf("\t*labelColour { arg l, k;\n"
           "\t\tvar h, light, c, x, m, rgb;\n"
           "\t\tk = max(k, 1);\n"
           "\t\th = (l * 360.0 / k + %g) %% 360.0;\n"
           "\t\tlight = if(l.odd) { %g } { %g };\n"
           "\t\tc = (1.0 - abs(2.0 * light - 1.0)) * %g;\n"
           "\t\tx = c * (1.0 - abs(((h / 60.0) %% 2.0) - 1.0));\n"
           "\t\tm = light - (c / 2.0);\n"
           "\t\trgb = case { h < 60 } { [c, x, 0] } { h < 120 } { [x, c, 0] } { h < 180 } { [0, c, x] }\n"
           "\t\t\t{ h < 240 } { [0, x, c] } { h < 300 } { [x, 0, c] } { [c, 0, x] };\n"
           "\t\t^rgb.collect { |v| ((v + m) * 255).round.asInteger }\n"
           "\t}\n",
           CS_PALETTE_HUE_OFFSET, CS_PALETTE_LIGHT_ODD, CS_PALETTE_LIGHT_EVEN, CS_PALETTE_SATURATION);
}

/* The model file's constants, limits and split-integer readers (cs_model.h, cs_split.h; models/FORMAT.md). */
static void model_section(void)
{
    printf("\n\t// ---- model file (model.wav) ----\n");
    constant("modelMagic", CS_MODEL_MAGIC, "float 0 of a model file");
    constant("modelVersion", CS_MODEL_VERSION, "the model-format version written (split integers (hi, lo))");
    constant("modelVersionMin", CS_MODEL_VERSION_MIN,
             "the oldest model-format version read (version 1: split integers (lo, hi))");
    constant("modelHeader", CS_MODEL_HEADER_FLOATS, "floats in the model header; weights start here");
    static const struct {
        const char *name;
        long value;
    } mh[] = {{"mhMagic", CS_MH_MAGIC},
              {"mhVersion", CS_MH_VERSION},
              {"mhHeaderFloats", CS_MH_HEADER_FLOATS},
              {"mhArch", CS_MH_ARCH},
              {"mhVocab", CS_MH_VOCAB},
              {"mhWidth", CS_MH_WIDTH},
              {"mhLayers", CS_MH_LAYERS},
              {"mhHeads", CS_MH_HEADS},
              {"mhContext", CS_MH_CONTEXT},
              {"mhDFF", CS_MH_DFF},
              {"mhNumWeights", CS_MH_NWEIGHTS},
              {"mhChecksum", CS_MH_CHECKSUM},
              {"mhCorpusSum", CS_MH_CORPUS_SUM},
              {"mhSeed", CS_MH_SEED},
              {"mhEpochs", CS_MH_EPOCHS},
              {"mhTrainTokens", CS_MH_TRAIN_TOKENS},
              {"mhTrainLoss", CS_MH_TRAIN_LOSS},
              {"mhValLoss", CS_MH_VAL_LOSS},
              {"mhNgramFloats", CS_MH_NGRAM_FLOATS},
              {"mhNetWeight", CS_MH_NET_WEIGHT},
              {"mhDescInputs", CS_MH_DESC_INPUTS},
              {"mhDescSet", CS_MH_DESC_SET},
              {"mhDescDurMean", CS_MH_DESC_DUR_MEAN},
              {"mhDescDurStd", CS_MH_DESC_DUR_STD},
              {"mhPrecision", CS_MH_PRECISION},
              {"mhPrecisionLayout", CS_MH_PRECISION_LAYOUT}};
    for (size_t i = 0; i < sizeof mh / sizeof mh[0]; i++)
        constant(mh[i].name, mh[i].value, "model header field (float index)");
    constant("archGRU", CS_MODEL_GRU, "model header arch value of a GRU");
    constant("modelMaxDescInputs", CS_MODEL_MAX_DESC_INPUTS, "the most descriptor inputs a model may have");
    constant("descSetTableDur", CS_MODEL_DESC_SET_TABLE_DUR,
             "descriptor-input set 1: the table's normalised descriptors, then the duration term");
    constant("descClamp", (long)CS_MODEL_DESC_CLAMP, "every descriptor input is clamped to +-this (NaN -> 0)");
    constant("ngramMagic", CS_NGT_MAGIC, "float 0 of a model file's n-gram table (plugins/core/cs_ngram_table.h)");
    constant("ngramVersion", CS_NGT_VERSION, "the n-gram table's version");
    constant("ngramMaxOrder", CS_NGT_MAX_ORDER, "the n-gram table's largest order");
    constant("cacheHalfLife", CS_LCACHE_HALF_LIFE, "the label cache's half-life in labels (cs_label_cache.h)");
    printf("\t// the label cache's per-label decay 2^(-1/half-life) and the count below which a decayed count is 0,\n"
           "\t// both float32 values (exactly as the core holds them)\n\t*cacheDecay { ^%.17g }\n"
           "\t*cacheFloor { ^%.17g }\n",
           (double)CS_LCACHE_DECAY, (double)CS_LCACHE_FLOOR);
    constant("archTransformer", CS_MODEL_TRANSFORMER, "model header arch value of a transformer");
    constant("precisionHalf", CS_MODEL_PRECISION_HALF,
             "model header precision value of IEEE half weights, two per float (0: float32)");
    constant("halfHiBias", CS_MODEL_HALF_HI_BIAS, "added to the magnitude of the high half of a packed float");
    printf("\t// architecture names by header arch value (as the CLI and the JSON form spell them)\n"
           "\t*archNames { ^#[");
    for (int a = 0; a < CS_MODEL_ARCH_COUNT; a++)
        printf("%s\\%s", a ? ", " : "", cs_model_arch_name(a));
    printf("] }\n");
    static const struct {
        const char *name;
        long value;
        const char *doc;
    } lim[] = {{"modelMaxVocab", CS_MODEL_MAX_VOCAB, "largest label count of a model"},
               {"gruMinWidth", CS_MODEL_GRU_MIN_H, "smallest GRU hidden size"},
               {"gruMaxWidth", CS_MODEL_GRU_MAX_H, "largest GRU hidden size"},
               {"gruMaxLayers", CS_MODEL_GRU_MAX_LAYERS, "most GRU layers"},
               {"tfMinWidth", CS_MODEL_TF_MIN_D, "smallest transformer width"},
               {"tfMaxWidth", CS_MODEL_TF_MAX_D, "largest transformer width"},
               {"tfMaxLayers", CS_MODEL_TF_MAX_LAYERS, "most transformer layers"},
               {"tfMaxContext", CS_MODEL_TF_MAX_CONTEXT, "longest transformer context (labels)"},
               {"tfFFMult", CS_MODEL_TF_FF_MULT, "transformer d_ff = tfFFMult * width"},
               {"modelWeightLimit", (long)CS_MODEL_WEIGHT_LIMIT, "largest |weight| a valid model holds"}};
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
        constant(lim[i].name, lim[i].value, lim[i].doc);
    printf("\t// the `count` split-integer pieces at float `index` of model header (or data) `h`, most significant\n"
           "\t// first whatever the file's version (version %d stored them least significant first)\n"
           "\t*modelPieces { arg h, index, count;\n"
           "\t\tvar p = (index .. index + count - 1).collect { |i| h[i] };\n"
           "\t\t^if(h[%d] < %d) { p.reverse } { p }\n"
           "\t}\n",
           CS_MODEL_VERSION_MIN, CS_MH_VERSION, CS_MODEL_VERSION);
    printf("\t// the split integer at float `index` (count pieces) of model header `h`, as one number\n"
           "\t*modelSplit { arg h, index, count; ^this.joinPieces(this.modelPieces(h, index, count)) }\n");
}

/* The unit table's listening section (version 3; BUNDLE.md "Listening section"). */
static void listen_section(void)
{
    printf(
        "\n\t// ---- unit table: listening section, at the split offset of header fields utListenOffsetHi/Lo ----\n");
    constant("listenMagic", CS_UT_LISTEN_MAGIC, "float 0 of the listening section");
    constant("listenVersion", CS_UT_LISTEN_VERSION, "listening-section version");
    constant("listenFixed", CS_UT_LISTEN_FIXED,
             "fixed floats of the section; then center, scale, weight (numDescriptors each), centroids");
    static const struct {
        const char *name;
        long value;
    } f[] = {{"lsSampleRate", CS_UT_L_SAMPLE_RATE},
             {"lsFFTSize", CS_UT_L_FFT_SIZE},
             {"lsHop", CS_UT_L_HOP},
             {"lsMelBands", CS_UT_L_N_MELS},
             {"lsMelFMin", CS_UT_L_MEL_FMIN},
             {"lsMelFMax", CS_UT_L_MEL_FMAX},
             {"lsRolloff", CS_UT_L_ROLLOFF},
             {"lsYinThreshold", CS_UT_L_YIN_THRESHOLD},
             {"lsF0Min", CS_UT_L_F0_MIN},
             {"lsF0Max", CS_UT_L_F0_MAX},
             {"lsSegmentation", CS_UT_L_SEGMENTATION},
             {"lsGrainLenHi", CS_UT_L_GRAIN_LEN_HI},
             {"lsGrainLenLo", CS_UT_L_GRAIN_LEN_LO},
             {"lsGrainHopHi", CS_UT_L_GRAIN_HOP_HI},
             {"lsGrainHopLo", CS_UT_L_GRAIN_HOP_LO},
             {"lsOnsetThreshold", CS_UT_L_ONSET_THRESHOLD},
             {"lsOnsetDelta", CS_UT_L_ONSET_DELTA},
             {"lsOnsetDeltaAbs", CS_UT_L_ONSET_DELTA_ABS},
             {"lsOnsetMedian", CS_UT_L_ONSET_MEDIAN_S},
             {"lsOnsetMinLen", CS_UT_L_ONSET_MIN_LEN_S},
             {"lsOnsetMaxLen", CS_UT_L_ONSET_MAX_LEN_S},
             {"lsOnsetPre", CS_UT_L_ONSET_PRE_S},
             {"lsOnsetRefine", CS_UT_L_ONSET_REFINE_S},
             {"lsMeanFlux", CS_UT_L_MEAN_FLUX},
             {"lsNormMethod", CS_UT_L_NORM_METHOD}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        constant(f[i].name, f[i].value, "listening-section field (offset from the section)");
}

int main(void)
{
    printf("// ConcatSeqFormat: the constants of ConcatSeq's file layouts, for the classes.\n"
           "// GENERATED by corpus-tools/gen/cs_gen_sclang.c from the C core's headers: do not edit.\n"
           "// Regenerate: cmake --build build --target sclang-format (the test format_sclang fails when stale).\n"
           "// Layouts: corpus-tools/BUNDLE.md (unit table), models/FORMAT.md (model file).\n"
           "ConcatSeqFormat {\n");

    printf("\n\t// ---- split integers: value = hi * splitBase + lo ----\n");
    constant("splitBase", (long)CS_SPLIT_BASE, "base of every split integer in both formats");
    printf("\t// join a split integer (hi, lo) into one exact number (a Float beyond 2^31)\n"
           "\t*join { arg hi, lo; ^(hi * %ld) + lo }\n",
           (long)CS_SPLIT_BASE);
    printf("\t// join pieces given most significant first (any count) into one number (exact below 2^53)\n"
           "\t*joinPieces { arg pieces; ^pieces.inject(0, { |v, x| (v * %ld) + x }) }\n",
           (long)CS_SPLIT_BASE);

    printf("\n\t// ---- unit table (units.wav) ----\n");
    constant("unitTableMagic", CS_UT_MAGIC, "float 0 of a unit table");
    constant("unitTableVersion", CS_UT_VERSION, "the unit-table version these classes read");
    constant("unitTableHeader", CS_UT_HEADER, "floats in the unit-table header");
    constant("unitRowFixed", CS_UT_ROW_FIXED, "fixed floats per unit row before the descriptors");
    constant("maxUnits", CS_UT_MAX_UNITS, "largest unit count a table can hold");
    static const struct {
        const char *name;
        long value;
    } uth[] = {{"utMagic", CS_UT_H_MAGIC},
               {"utVersion", CS_UT_H_VERSION},
               {"utNumUnits", CS_UT_H_NUM_UNITS},
               {"utNumDescriptors", CS_UT_H_NUM_DESCRIPTORS},
               {"utStride", CS_UT_H_STRIDE},
               {"utHeaderSize", CS_UT_H_HEADER_SIZE},
               {"utSampleRate", CS_UT_H_SAMPLE_RATE},
               {"utChannels", CS_UT_H_CHANNELS},
               {"utFramesHi", CS_UT_H_FRAMES_HI},
               {"utFramesLo", CS_UT_H_FRAMES_LO},
               {"utNumLabels", CS_UT_H_NUM_LABELS},
               {"utNumSources", CS_UT_H_NUM_SOURCES},
               {"utNoiseLabel", CS_UT_H_NOISE_LABEL},
               {"utLabelsOffsetHi", CS_UT_H_LABELS_OFFSET_HI},
               {"utLabelsOffsetLo", CS_UT_H_LABELS_OFFSET_LO},
               {"utMembersOffsetHi", CS_UT_H_MEMBERS_OFFSET_HI},
               {"utMembersOffsetLo", CS_UT_H_MEMBERS_OFFSET_LO},
               {"utIndexOffsetHi", CS_UT_H_INDEX_OFFSET_HI},
               {"utIndexOffsetLo", CS_UT_H_INDEX_OFFSET_LO},
               {"utListenOffsetHi", CS_UT_H_LISTEN_OFFSET_HI},
               {"utListenOffsetLo", CS_UT_H_LISTEN_OFFSET_LO}};
    for (size_t i = 0; i < sizeof uth / sizeof uth[0]; i++)
        constant(uth[i].name, uth[i].value, "unit-table header field (float index)");
    static const struct {
        const char *name;
        long value;
    } row[] = {{"rowStartHi", CS_UT_R_START_HI},    {"rowStartLo", CS_UT_R_START_LO},
               {"rowLengthHi", CS_UT_R_LENGTH_HI},  {"rowLengthLo", CS_UT_R_LENGTH_LO},
               {"rowLabel", CS_UT_R_LABEL},         {"rowSource", CS_UT_R_SOURCE},
               {"rowSuccessor", CS_UT_R_SUCCESSOR}, {"rowDescriptors", CS_UT_R_DESCRIPTORS}};
    for (size_t i = 0; i < sizeof row / sizeof row[0]; i++)
        constant(row[i].name, row[i].value, "unit-row field (offset in a row)");

    listen_section();
    model_section();

    printf("\n\t// ---- descriptors, in unit-table column order (corpus-tools/DESCRIPTORS.md) ----\n");
    printf("\t// every descriptor name `concatseq analyze --descriptors` accepts, in column order\n"
           "\t*descriptorNames { ^#[");
#define CS_GEN_NAME_(id, name, unit) printf("%s\\%s", CS_D_##id == 0 ? "" : ", ", name);
    CS_DESCRIPTOR_TABLE(CS_GEN_NAME_)
#undef CS_GEN_NAME_
    printf("] }\n\t// the unit of each descriptor (\"dB\", \"Hz\", \"s\", or \"\" for dimensionless)\n"
           "\t*descriptorUnits { ^#[");
#define CS_GEN_UNIT_(id, name, unit) printf("%s\"%s\"", CS_D_##id == 0 ? "" : ", ", unit);
    CS_DESCRIPTOR_TABLE(CS_GEN_UNIT_)
#undef CS_GEN_UNIT_
    printf("] }\n");

    printf("\n\t// ---- ConcatPlay: selection policies and label values (cs_select.h, cs_label.h) ----\n");
    printf("\t// the selection policies by number (ConcatPlay's `select`):");
#define CS_GEN_POLICY_DOC_(id, name, summary) printf("\n\t//   %d %s: %s", CS_SELECT_##id, #name, summary);
    CS_SELECT_POLICY_TABLE(CS_GEN_POLICY_DOC_)
#undef CS_GEN_POLICY_DOC_
    printf("\n\t*selectPolicies { ^#[");
#define CS_GEN_POLICY_(id, name, summary) printf("%s\\%s", CS_SELECT_##id == 0 ? "" : ", ", #name);
    CS_SELECT_POLICY_TABLE(CS_GEN_POLICY_)
#undef CS_GEN_POLICY_
    printf("] }\n");
    constant("labelNone", CS_LABEL_NONE,
             "label \"none\": SeqPredict's output without a usable model; ConcatPlay rests (silence)");
    constant("labelAny", CS_LABEL_ANY, "label \"any\": ConcatPlay plays any unit (SeqPredict's before its first step)");

    printf("\n\t// ---- SeqPredict: model x target guidance (cs_seqpredict.h) ----\n");
    constant("guideMaxPairs", CS_SELECT_MAX_TARGET_DIMS,
             "target pairs a SeqPredict (or ConcatPlay) target uses at most");
    constant("guideMaxTerms", CS_SEQP_GUIDE_MAX_TERMS, "target descriptors guidance compares at most");
    constant("guideMaxGuidance", (long)CS_SEQP_MAX_GUIDANCE, "largest guidance (larger values are clamped to it)");
    palette_section();
    printf("}\n");
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
