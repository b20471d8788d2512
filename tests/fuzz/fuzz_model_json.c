/*
 * fuzz_model_json.c - libFuzzer entry point for the model JSON import (cs_model_import_json: cJSON, the
 * config, the tensors by name and shape, nested or flat data) and the export back.
 *
 * The input bytes are the JSON text, written to a scratch file (fuzz_files.h). Import must not crash; when it
 * succeeds the model file it wrote must load (cs_model_file_load: fully validated), export to JSON and import
 * again to the same floats (else abort). Built and run by tests/fuzz/run_fuzz.sh; not part of CMake.
 */
#include "cs_model_io.h"
#include "fuzz_files.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[320], model[320], json[320], again[320];
    const char *d = fuzz_dir();
    snprintf(in, sizeof in, "%s/in.json", d);
    snprintf(model, sizeof model, "%s/model.wav", d);
    snprintf(json, sizeof json, "%s/out.json", d);
    snprintf(again, sizeof again, "%s/again.wav", d);
    fuzz_write(in, data, size);
    unlink(model);
    if (cs_model_import_json(in, model, NULL) != 0) return 0;
    float *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    cs_model_view va, vb;
    if (cs_model_file_load(model, &a, &na, &va, NULL) != 0) abort();
    if (cs_model_export_json(model, json, NULL) != 0 || cs_model_import_json(json, again, NULL) != 0) abort();
    if (cs_model_file_load(again, &b, &nb, &vb, NULL) != 0 || na != nb || memcmp(a, b, na * sizeof *a) != 0) abort();
    free(a);
    free(b);
    return 0;
}
