/*
 * test_partial_settings.c - a partial bundle's settings object (cs_partial.h) gives back, through cJSON's printed
 * text, exactly the analysis settings it was made from (every double bitwise, for values that have no short
 * decimal form), for each segmentation method; cs_partial_differs names the first setting that differs (and finds
 * none between the defaults and a copy with fft size and hop spelled out); a missing or mistyped entry is an error
 * naming it.
 */
#include "cs_analyze.h"
#include "cs_partial.h"
#include "cs_test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* o -> settings -> printed text -> parsed -> applied to defaults */
static int round_trip(const cs_analyze_opts *o, cs_analyze_opts *back)
{
    cJSON *s = cs_partial_settings(o);
    char *text = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON *parsed = text ? cJSON_Parse(text) : NULL;
    char err[256] = "";
    cs_analyze_opts_default(back);
    const int rc = parsed ? cs_partial_apply(parsed, back, err, sizeof err) : -100;
    cJSON_Delete(s);
    cJSON_Delete(parsed);
    free(text);
    return rc;
}

static void methods(void)
{
    for (int seg = 0; seg < CS_SEG_COUNT; ++seg) {
        cs_analyze_opts o, back;
        cs_analyze_opts_default(&o);
        o.segment = seg;
        o.rate = 44100;
        o.channels = 2;
        o.resampler = 2;
        o.unit_ms = 0.1 + 0.2; /* 0.30000000000000004 */
        o.hop_ms = 100.0 / 3.0;
        o.onset.threshold = 1.0 / 7.0;
        o.onset.delta = 0.1 * 3.0;
        o.onset.median_s = 0.1 + 1e-17;
        o.onset.min_len_s = 0.05 / 3.0;
        o.onset.max_len_s = 2.0 / 3.0;
        o.onset.pre_s = 0.005 * 1.1;
        o.onset.refine_s = 0.03 / 7.0;
        o.novelty.kernel_s = 4.0 / 3.0;
        o.novelty.block_s = 0.1 / 3.0;
        o.novelty.threshold = 0.2 / 3.0;
        o.novelty.min_len_s = 1.0 / 3.0;
        o.novelty.max_len_s = 60.0 / 7.0;
        CS_CHECK(round_trip(&o, &back) == 0, "method %d: the settings apply", seg);
        char what[160] = "";
        CS_CHECK(!cs_partial_differs(&o, &back, what, sizeof what), "method %d: the same settings back (%s)", seg,
                 what);
        CS_CHECK(back.segment == seg && back.rate == 44100 && back.channels == 2 && back.resampler == 2,
                 "method %d: the ints back", seg);
        if (seg == CS_SEG_GRAIN)
            CS_CHECK(!memcmp(&back.unit_ms, &o.unit_ms, sizeof o.unit_ms) &&
                         !memcmp(&back.hop_ms, &o.hop_ms, sizeof o.hop_ms),
                     "grain: the doubles bitwise");
        if (seg == CS_SEG_ONSET)
            CS_CHECK(!memcmp(&back.onset, &o.onset, sizeof o.onset), "onset: every parameter bitwise");
        if (seg == CS_SEG_NOVELTY)
            CS_CHECK(!memcmp(&back.novelty, &o.novelty, sizeof o.novelty), "novelty: every parameter bitwise");
        cs_analyze_opts other = back;
        other.onset.refine_s = nextafter(back.onset.refine_s, 1.0);
        other.novelty.max_len_s = nextafter(back.novelty.max_len_s, 0.0);
        other.hop_ms = nextafter(back.hop_ms, 1e9);
        const int d = cs_partial_differs(&o, &other, what, sizeof what);
        const char *want = seg == CS_SEG_GRAIN ? "--hop-ms" : seg == CS_SEG_ONSET ? "--refine-ms" : "--max-s";
        CS_CHECK(d && !strncmp(what, want, strlen(want)), "method %d: one ulp of %s differs: '%s'", seg, want, what);
    }
}

static void defaults_and_errors(void)
{
    cs_analyze_opts a, b;
    cs_analyze_opts_default(&a);
    b = a;
    cs_frame_params fp;
    cs_analyze_frame_params(&a, &fp);
    b.fft_size = fp.fft_size, b.frame_hop = fp.hop; /* the defaults spelled out */
    char what[160] = "";
    CS_CHECK(!cs_partial_differs(&a, &b, what, sizeof what), "defaults = defaults spelled out (%s)", what);
    b.frame_hop = fp.hop / 2;
    CS_CHECK(cs_partial_differs(&a, &b, what, sizeof what) && strstr(what, "--frame-hop"), "hop differs: '%s'", what);
    b = a;
    b.resampler = a.resampler == 0 ? 1 : 0;
    CS_CHECK(cs_partial_differs(&a, &b, what, sizeof what) && strstr(what, "--resampler"), "resampler: '%s'", what);

    const char *bad[] = {"{}", "{\"rate\": 48000.5}", "[1]"};
    for (int i = 0; i < 3; ++i) {
        cJSON *j = cJSON_Parse(bad[i]);
        char err[256] = "";
        cs_analyze_opts o;
        cs_analyze_opts_default(&o);
        const int rc = cs_partial_apply(j, &o, err, sizeof err);
        CS_CHECK(rc != 0 && err[0], "'%s' is refused: '%s'", bad[i], err);
        cJSON_Delete(j);
    }
    cJSON *s = cs_partial_settings(&a);
    cJSON_ReplaceItemInObject(s, "segment", cJSON_CreateString("granular"));
    char err[256] = "";
    cs_analyze_opts o;
    cs_analyze_opts_default(&o);
    CS_CHECK(cs_partial_apply(s, &o, err, sizeof err) != 0 && strstr(err, "settings.segment"),
             "an unknown method names settings.segment: '%s'", err);
    cJSON_Delete(s);
}

int main(void)
{
    methods();
    defaults_and_errors();
    CS_TEST_END();
}
