/*
 * fuzz_files.h - the private scratch folder of the file-level fuzzers (fuzz_manifest.c, fuzz_model_json.c):
 * the readers they exercise take paths, so each input is written to a file there first (on the tmpfs
 * /dev/shm when it exists). One folder per process, made once, reused by every run.
 */
#ifndef FUZZ_FILES_H
#define FUZZ_FILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The scratch folder (made on first use; aborts when it cannot be made: the fuzzer would test nothing). */
static const char *fuzz_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/concatseq-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* Write n bytes to path (replacing it); aborts on a write error. */
static void fuzz_write(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(bytes, 1, n, f) != n) || fclose(f) != 0) abort();
}

#endif
