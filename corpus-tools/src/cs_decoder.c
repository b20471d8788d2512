/* cs_decoder.c - the sources of an analysis decoded ahead. See cs_decoder.h. */
#include "cs_decoder.h"

#include "cs_error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    cs_decoded item;
    float *buf; /* the block's copy */
    size_t cap; /* floats */
} slot;

struct cs_decoder {
    char *const *paths;
    size_t n, cur; /* the source being decoded */
    int rate, channels, quality;
    cs_audio *info;
    cs_audio_reader r;
    int open, done; /* producer side: a source is open; no item follows */
    slot ring[CS_DECODER_SLOTS];
    size_t head, count; /* items ready (head: the one the caller holds, when holding) */
    int holding, finished, stop, threaded;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    pthread_t tid;
};

/* The producer's step: the next item into s. Returns 1 when an item was made, 0 when there is none (the end). */
static int produce(cs_decoder *d, slot *s)
{
    cs_decoded *it = &s->item;
    if (d->done) return 0;
    memset(it, 0, sizeof *it);
    it->source = d->cur;
    if (!d->open) {
        if (d->cur >= d->n) {
            d->done = 1;
            return 0;
        }
        memset(&d->r, 0, sizeof d->r);
        const int rc = cs_audio_open(d->paths[d->cur], d->rate, d->channels, d->quality, &d->r, &d->info[d->cur]);
        if (rc) { /* the reader holds nothing but its message */
            it->kind = CS_DECODED_END;
            it->rc = rc;
            memcpy(it->msg, d->r.msg, sizeof it->msg);
            d->done = 1;
            return 1;
        }
        d->open = 1;
    }
    const float *blk = NULL;
    size_t frames = 0;
    const int rc = cs_audio_next(&d->r, &blk, &frames);
    if (rc == 0 && frames > 0) {
        const size_t need = frames * (size_t)d->channels;
        if (need > s->cap) {
            float *b = realloc(s->buf, need * sizeof *b);
            if (!b) {
                it->kind = CS_DECODED_END;
                it->opened = 1;
                it->rc = CS_E_NOMEM;
                cs_audio_close(&d->r);
                d->open = 0;
                d->done = 1;
                return 1;
            }
            s->buf = b;
            s->cap = need;
        }
        memcpy(s->buf, blk, need * sizeof *blk);
        it->kind = CS_DECODED_BLOCK;
        it->data = s->buf;
        it->frames = frames;
        return 1;
    }
    it->kind = CS_DECODED_END;
    it->opened = 1;
    it->rc = rc;
    it->decoded = d->r.decoded;
    it->nonzero = d->r.nonzero;
    memcpy(it->msg, d->r.msg, sizeof it->msg);
    cs_audio_close(&d->r);
    d->open = 0;
    d->cur++;
    if (rc) d->done = 1;
    return 1;
}

static void *decoder_main(void *arg)
{
    cs_decoder *d = arg;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (d->count == CS_DECODER_SLOTS && !d->stop)
            pthread_cond_wait(&d->can_put, &d->mu);
        if (d->stop) break;
        slot *s = &d->ring[(d->head + d->count) % CS_DECODER_SLOTS]; /* no item: the caller never reads it */
        pthread_mutex_unlock(&d->mu);
        const int made = produce(d, s);
        pthread_mutex_lock(&d->mu);
        if (!made) {
            d->finished = 1;
            pthread_cond_signal(&d->can_get);
            break;
        }
        d->count++;
        pthread_cond_signal(&d->can_get);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

int cs_decoder_start(cs_decoder **out, char *const *paths, size_t n, int rate, int channels, int resampler,
                     cs_audio *info, int threaded)
{
    *out = NULL;
    cs_decoder *d = calloc(1, sizeof *d);
    if (!d) return CS_E_NOMEM;
    d->paths = paths;
    d->n = n;
    d->rate = rate;
    d->channels = channels;
    d->quality = resampler;
    d->info = info;
    if (threaded) {
        if (pthread_mutex_init(&d->mu, NULL) != 0) {
            free(d);
            return CS_E_INTERNAL;
        }
        pthread_cond_init(&d->can_put, NULL);
        pthread_cond_init(&d->can_get, NULL);
        if (pthread_create(&d->tid, NULL, decoder_main, d) != 0) {
            pthread_cond_destroy(&d->can_put);
            pthread_cond_destroy(&d->can_get);
            pthread_mutex_destroy(&d->mu);
            free(d);
            return CS_E_INTERNAL;
        }
        d->threaded = 1;
    }
    *out = d;
    return 0;
}

int cs_decoder_next(cs_decoder *d, cs_decoded *item)
{
    if (!d->threaded) { /* decode here, into slot 0 */
        if (!produce(d, &d->ring[0])) return 0;
        *item = d->ring[0].item;
        return 1;
    }
    pthread_mutex_lock(&d->mu);
    if (d->holding) { /* give the last item's slot back */
        d->head = (d->head + 1) % CS_DECODER_SLOTS;
        d->count--;
        d->holding = 0;
        pthread_cond_signal(&d->can_put);
    }
    while (d->count == 0 && !d->finished)
        pthread_cond_wait(&d->can_get, &d->mu);
    int got = 0;
    if (d->count > 0) {
        *item = d->ring[d->head].item;
        d->holding = 1;
        got = 1;
    }
    pthread_mutex_unlock(&d->mu);
    return got;
}

void cs_decoder_stop(cs_decoder *d)
{
    if (!d) return;
    if (d->threaded) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_signal(&d->can_put);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->tid, NULL);
        pthread_cond_destroy(&d->can_put);
        pthread_cond_destroy(&d->can_get);
        pthread_mutex_destroy(&d->mu);
    }
    if (d->open) cs_audio_close(&d->r);
    for (int i = 0; i < CS_DECODER_SLOTS; ++i)
        free(d->ring[i].buf);
    free(d);
}
