/*
 * fuzz_files.h - what the fuzzers of tests/fuzz share: input bytes as floats in an exact-size heap block, and
 * the private scratch folder of the file-level fuzzers (fuzz_manifest.c, fuzz_model_json.c): the readers they
 * exercise take paths, so each input is written to a file there first (on the tmpfs /dev/shm when it exists).
 * One folder per process, made once, reused by every run.
 */
#ifndef FUZZ_FILES_H
#define FUZZ_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes as little-endian float32 values (a trailing partial float dropped) in a heap block of exactly
 * *n floats (1 byte when n = 0), so AddressSanitizer sees any over-read; NULL when out of memory. free() it. */
static inline float *fuzz_floats(const uint8_t *data, size_t size, size_t *n)
{
    *n = size / 4;
    float *buf = malloc(*n ? *n * sizeof(float) : 1);
    if (buf && *n) memcpy(buf, data, *n * sizeof(float));
    return buf;
}

/* The scratch folder (made on first use; aborts when it cannot be made: the fuzzer would test nothing). */
static inline const char *fuzz_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/concatseq-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* Write n bytes to path (replacing it); aborts on a write error. */
static inline void fuzz_write(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(bytes, 1, n, f) != n) || fclose(f) != 0) abort();
}

#endif
