/*
 * fuzz_files.h - what the fuzzers of tests/fuzz share: input bytes as floats in an exact-size heap block, and
 * the private scratch folder of the file-level fuzzers (fuzz_manifest.c, fuzz_model_json.c): the readers they
 * exercise take paths, so each input is written to a file there first (on the tmpfs /dev/shm when it exists).
 * One folder per process, made once, reused by every run, removed with its files at exit.
 */
#ifndef FUZZ_FILES_H
#define FUZZ_FILES_H

#include <dirent.h>
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

static char fuzz_scratch[256];

/* atexit: remove the scratch folder and the files in it (the fuzzers make no sub-folders). */
static inline void fuzz_dir_remove(void)
{
    DIR *d = opendir(fuzz_scratch);
    struct dirent *e;
    char path[600];
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_scratch, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(fuzz_scratch);
}

/* The scratch folder (made on first use; aborts when it cannot be made: the fuzzer would test nothing). */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_scratch[0]) {
        snprintf(fuzz_scratch, sizeof fuzz_scratch, "%s/concatseq-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fuzz_scratch)) abort();
        atexit(fuzz_dir_remove);
    }
    return fuzz_scratch;
}

/* Write n bytes to path (replacing it); aborts on a write error. */
static inline void fuzz_write(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(bytes, 1, n, f) != n) || fclose(f) != 0) abort();
}

#endif
