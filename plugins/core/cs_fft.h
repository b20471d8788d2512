/*
 * cs_fft.h - the FFTW host of cs_frame.h's FFT interface, used by BOTH the CLI and the server plugins: the same
 * plans (FFTW_ESTIMATE, single precision) and the same aligned arrays give the same bits in both.
 *
 * A host plans, once, an r2c and a c2r transform for every power of two 2..max_n, each twice: on arrays with
 * FFTW's SIMD alignment (used whenever the caller's arrays have it too, which the frame analyser guarantees:
 * its arrays are 64-byte aligned) and with FFTW_UNALIGNED (used for any other caller memory, so new-array
 * execution is legal on whatever it is given). Executing a plan is real-time safe (FFTW's new-array execute
 * functions allocate nothing and take no lock); making and destroying the host is not.
 */
#ifndef CS_FFT_H
#define CS_FFT_H

#include "cs_frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The plans of one host (opaque). */
typedef struct cs_fft_host cs_fft_host;

/**
 * Plan every power of two 2..max_n (max_n a power of two, 2..65536; CS_FRAME_MAX_FFT serves every analyser
 * configuration), r2c and c2r, aligned and unaligned. NOT real-time safe: allocates and plans, under the
 * process-wide planner lock (cs_fft_planner_lock). A plugin makes one host in its PluginLoad, the CLI one per
 * process (or per analysis). About 60 plans; a few ms with FFTW_ESTIMATE. Returns NULL when max_n is invalid,
 * memory runs out or FFTW cannot plan (nothing is left allocated).
 */
cs_fft_host *cs_fft_host_new(int max_n);

/**
 * The cs_fft_ops of a host (ctx = the host, max_n = its max_n). The ops stay valid until cs_fft_host_free; any
 * number of threads may execute them at once (each on its own arrays). Sizes that are not a power of two in
 * 2..max_n are not transformed (out is zeroed: never reached through the analyser, which checks max_n at init).
 * A NULL host gives ops whose functions are NULL.
 */
cs_fft_ops cs_fft_host_ops(cs_fft_host *h);

/** Destroy the plans and free the host (under the planner lock). NULL is a no-op. NOT real-time safe. */
void cs_fft_host_free(cs_fft_host *h);

/**
 * The process-wide lock around FFTW's planner (fftwf_plan_* and fftwf_destroy_plan are not thread-safe): any
 * of our code that plans or destroys an FFTW plan takes it; executing a plan does not. Not real-time safe.
 */
void cs_fft_planner_lock(void);
void cs_fft_planner_unlock(void);

#ifdef __cplusplus
}
#endif

#endif
