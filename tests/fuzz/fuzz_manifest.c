/*
 * fuzz_manifest.c - libFuzzer entry point for reading a bundle (cs_bundle_read: the manifest's JSON, its
 * format, version, unit and source counts against the unit table) and the helpers used after it.
 *
 * Input: the manifest text, one NUL byte, then the unit table as little-endian float32 values (no NUL: the
 * whole input is the manifest and the table is empty). Both are written to a scratch bundle folder
 * (fuzz_files.h; units.wav as a float WAV). cs_bundle_read must not crash and, on failure, must say why in
 * one line (a non-empty message without a newline); on success cs_label_sequences must give num_sources
 * sequences of num_units labels in all, each label in range, and cs_bundle_checksum must answer (else abort).
 * Built and run by tests/fuzz/run_fuzz.sh; not part of CMake.
 */
#include "cs_bundle.h"
#include "fuzz_files.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[320], err[1024] = "";
    const char *d = fuzz_dir();
    const uint8_t *nul = memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : size;
    snprintf(path, sizeof path, "%s/corpus.json", d);
    fuzz_write(path, data, mlen);
    size_t n;
    float *table = fuzz_floats(nul ? nul + 1 : data, nul ? size - mlen - 1 : 0, &n);
    if (!table) return 0;
    snprintf(path, sizeof path, "%s/units.wav", d);
    unlink(path);
    if (n && cs_write_float_wav(path, table, n, 1, 48000, err, sizeof err) != 0) abort();
    free(table);

    cs_bundle b;
    if (cs_bundle_read(d, &b, err, sizeof err) != 0) {
        if (!err[0] || strchr(err, '\n')) abort();
        return 0;
    }
    int **seqs = NULL, nseq = 0;
    size_t *lens = NULL;
    if (cs_label_sequences(&b, &seqs, &lens, &nseq) == 0) {
        size_t total = 0;
        if (nseq != (int)b.view.num_sources) abort();
        for (int s = 0; s < nseq; ++s) {
            total += lens[s];
            for (size_t i = 0; i < lens[s]; ++i)
                if (seqs[s][i] < 0 || seqs[s][i] >= (int)b.view.num_labels) abort();
        }
        if (total != b.view.num_units) abort();
        cs_label_sequences_free(seqs, lens, nseq);
    }
    (void)cs_bundle_checksum(&b);
    cs_bundle_free(&b);
    return 0;
}
