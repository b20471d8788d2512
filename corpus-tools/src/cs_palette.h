/*
 * cs_palette.h - the label palette of every corpus picture: `concatseq plot` (cs_plot.c, cs_label_colour) and
 * the sclang corpus map (ConcatCorpusMap, through ConcatSeqFormat.labelColour, generated from these numbers by
 * corpus-tools/gen/cs_gen_sclang.c). Label l of k has the HSL colour
 *   hue = (l * 360 / k + CS_PALETTE_HUE_OFFSET) mod 360 degrees, saturation CS_PALETTE_SATURATION,
 *   lightness CS_PALETTE_LIGHT_EVEN for even l and CS_PALETTE_LIGHT_ODD for odd l (neighbours stay apart),
 * each channel rounded to 0..255. Constants only.
 */
#ifndef CS_PALETTE_H
#define CS_PALETTE_H

/** Hue of label 0, degrees. */
#define CS_PALETTE_HUE_OFFSET 15.0
/** Saturation of every label, 0..1. */
#define CS_PALETTE_SATURATION 0.75
/** Lightness of the even labels, 0..1. */
#define CS_PALETTE_LIGHT_EVEN 0.55
/** Lightness of the odd labels, 0..1. */
#define CS_PALETTE_LIGHT_ODD 0.40

#endif
