/*
 * cs_test_listen.h - one listening description for the tests that build a version 3 unit table
 * (cs_ut_encode_listen): the values `analyze` fills in for a11wlk01's grains at 48 kHz, with the caller's
 * normalisation centres, scales and clustering weights (num_descriptors each, borrowed). Header-only.
 */
#ifndef CS_TEST_LISTEN_H
#define CS_TEST_LISTEN_H

#include "cs_onset.h"
#include "cs_unit_table.h"

#include <string.h>

static inline cs_ut_listen cs_test_listen_config(const float *center, const float *scale, const float *weight)
{
    cs_ut_listen l;
    memset(&l, 0, sizeof l);
    l.frame = (cs_ut_frame_config){48000.f, 2048, 512, 40, 20.f, 16000.f, 0.85f, 0.15f, 50.f, 2000.f};
    l.segmentation = CS_UT_SEG_GRAIN;
    l.grain_len = 4800;
    l.grain_hop = 2400;
    l.onset_threshold = 0.5f;
    l.onset_delta = 0.1f;
    l.onset_delta_abs = cs_onset_delta_abs(0.1f, 0.0407997185f);
    l.onset_median_s = 0.1f;
    l.onset_min_len_s = 0.05f;
    l.onset_max_len_s = 2.f;
    l.onset_pre_s = 0.005f;
    l.onset_refine_s = 0.03f;
    l.mean_flux = 0.0407997185f;
    l.norm_method = CS_UT_NORM_ROBUST;
    l.center = center;
    l.scale = scale;
    l.weight = weight;
    return l;
}

#endif
