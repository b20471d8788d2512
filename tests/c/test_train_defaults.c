/*
 * test_train_defaults.c - training defaults belong to the trainer: a direct cs_train_run with
 * cs_train_config_default gives the same model as `concatseq train BUNDLE --arch gru` with no other option.
 *
 * A small corpus (10 s of tone bursts, 50 ms grains: 200 units, 6 labels) is analysed by the built `concatseq`
 * program; then, in this process, cs_cmd_train (the CLI's own entry point, no options) writes BUNDLE/model.wav
 * and cs_train_run is called on the bundle's label sequences with the default configuration only. Their weight
 * blobs must be equal bit for bit, and so must the model configurations. Before the defaults moved into the
 * trainer, the CLI picked a window of training labels / 8 (here 22) and a batch of windows / 16 while the
 * trainer's default was 64 and 32, so the two models differed. The network's size follows the corpus size
 * (corpus-tools/src/cs_size_defaults.h, the one table train applies and prints): the direct call applies the row
 * of the same number of training labels, so the defaults are still written once.
 */
#include "cs_bundle.h"
#include "cs_model.h"
#include "cs_model_cli.h"
#include "cs_model_io.h"
#include "cs_size_defaults.h"
#include "cs_test.h"
#include "cs_train.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 10 s of 48 kHz tone bursts, 0.1 s each, over 6 pitches in a fixed order with some repetition. */
static int write_tones(const char *path)
{
    enum { RATE = 48000, N = 10 * RATE };
    static float x[N];
    static const double hz[6] = {220.0, 330.0, 440.0, 550.0, 660.0, 880.0};
    static const int order[12] = {0, 1, 2, 0, 3, 4, 1, 5, 2, 2, 4, 3};
    for (int i = 0; i < N; i++) {
        const int burst = i / (RATE / 10);
        x[i] = (float)(0.3 * sin(2.0 * 3.14159265358979323846 * hz[order[burst % 12]] * (double)i / RATE));
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = RATE;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) return -1;
    const sf_count_t w = sf_writef_float(sf, x, N);
    sf_close(sf);
    return w == N ? 0 : -1;
}

int main(void)
{
    char dir[256], wav[300], bundle[300], cmd[2048];
    snprintf(dir, sizeof dir, "%s/tests/work/train_defaults", CS_BINARY_DIR);
    snprintf(wav, sizeof wav, "%s/tones.wav", dir);
    snprintf(bundle, sizeof bundle, "%s/tones.corpus", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    CS_CHECK(system(cmd) == 0, "work directory %s", dir);
    CS_CHECK(write_tones(wav) == 0, "write %s", wav);
    snprintf(cmd, sizeof cmd,
             "'%s/corpus-tools/concatseq' analyze '%s' -o '%s' --unit-ms 50 --hop-ms 50 --clusters 6 --quiet",
             CS_BINARY_DIR, wav, bundle);
    CS_CHECK(system(cmd) == 0, "analyze: %s", cmd);

    /* the CLI, no options but the architecture (the default, --arch auto, may write another candidate; its GRU
     * candidate is this very training) */
    char *argv[] = {"train", bundle, "--arch", "gru", NULL};
    CS_CHECK(cs_cmd_train(4, argv) == 0, "concatseq train BUNDLE --arch gru");
    char *path = cs_default_model_path(bundle);
    float *file = NULL;
    size_t n = 0;
    cs_model_view view;
    int merr = 0;
    CS_CHECK(cs_model_file_load(path, &file, &n, &view, &merr) == 0, "load %s (%d)", path, merr);

    /* the trainer, called directly with its defaults */
    cs_bundle b;
    char err[512] = "";
    CS_CHECK(cs_bundle_read(bundle, &b, err, sizeof err) == 0, "read bundle: %s", err);
    int **seqs = NULL, nseq = 0;
    size_t *lens = NULL;
    CS_CHECK(cs_label_sequences(&b, &seqs, &lens, &nseq) == 0, "label sequences");
    cs_train_config cfg;
    cs_train_config_default(&cfg, CS_MODEL_GRU, (int)b.view.num_labels);
    size_t n_train = 0;
    for (int s = 0; s < nseq; s++)
        n_train += cs_split_count(lens[s], cs_train_config_split(&cfg), CS_PART_TRAIN);
    cs_size_defaults_apply(&cfg, n_train);
    float *w = NULL;
    cs_train_report rep;
    CS_CHECK(cs_train_run(&cfg, (const int *const *)seqs, lens, nseq, &w, &rep) == 0 && w, "cs_train_run");
    printf("defaults: %u units, %d labels, window %d, batch %d, %zu weights, best epoch %d of %d\n", b.view.num_units,
           (int)b.view.num_labels, rep.window, rep.batch, rep.n_params, rep.best_epoch, rep.epochs_run);
    CS_CHECK(rep.window < 64, "a small corpus gets the trainer's short auto window (%d)", rep.window);
    if (file && w) {
        CS_CHECK(memcmp(&view.cfg, &cfg.model, sizeof cfg.model) == 0, "same configuration");
        CS_CHECK(view.n_weights == rep.n_params && memcmp(view.weights, w, rep.n_params * sizeof *w) == 0,
                 "concatseq train with no options == cs_train_run with cs_train_config_default and the size row, "
                 "bit for bit");
        CS_CHECK(view.meta.epochs == (uint32_t)rep.best_epoch && view.meta.seed == cfg.seed, "same epoch and seed");
    }
    free(w);
    cs_label_sequences_free(seqs, lens, nseq);
    cs_bundle_free(&b);
    free(file);
    free(path);
    CS_TEST_END();
}
