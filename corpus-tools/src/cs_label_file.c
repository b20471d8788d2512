/*
 * cs_label_file.c - read `concatseq train --labels FILE` (see cs_label_file.h).
 */
#include "cs_label_file.h"

#include "cs_bundle.h"
#include "cs_error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Growing arrays of sequences being read. */
typedef struct label_seqs {
    int **seqs;
    size_t *lens, *caps;
    int n, cap; /* sequences begun (the last may still be empty), allocated */
} label_seqs;

static void seqs_free(label_seqs *s)
{
    cs_label_sequences_free(s->seqs, s->lens, s->n);
    free(s->caps);
}

/* Append label v to the current sequence, beginning one when `fresh`; 0 or CS_E_NOMEM. */
static int seqs_push(label_seqs *s, int fresh, int v)
{
    if (fresh || s->n == 0) {
        if (s->n == s->cap) {
            const int cap = s->cap ? 2 * s->cap : 4;
            int **q = realloc(s->seqs, (size_t)cap * sizeof *q);
            if (q) s->seqs = q;
            size_t *l = realloc(s->lens, (size_t)cap * sizeof *l);
            if (l) s->lens = l;
            size_t *c = realloc(s->caps, (size_t)cap * sizeof *c);
            if (c) s->caps = c;
            if (!q || !l || !c) return CS_E_NOMEM;
            s->cap = cap;
        }
        s->seqs[s->n] = NULL;
        s->lens[s->n] = s->caps[s->n] = 0;
        s->n++;
    }
    const int i = s->n - 1;
    if (s->lens[i] == s->caps[i]) {
        const size_t cap = s->caps[i] ? 2 * s->caps[i] : 256;
        int *q = realloc(s->seqs[i], cap * sizeof *q);
        if (!q) return CS_E_NOMEM;
        s->seqs[i] = q;
        s->caps[i] = cap;
    }
    s->seqs[i][s->lens[i]++] = v;
    return 0;
}

/* Take the labels of one line (comment already cut). *fresh: the next label begins a sequence; set to 1 when the
 * line holds no label. 0, or CS_E_* with the message. */
static int read_line(label_seqs *s, char *line, const char *path, size_t lineno, int num_labels, int *fresh, char *err,
                     size_t errlen)
{
    int any = 0;
    for (char *p = line;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        char *end = p;
        while (*end && !isspace((unsigned char)*end))
            end++;
        const char save = *end;
        *end = '\0';
        char *stop = NULL;
        errno = 0;
        const long v = strtol(p, &stop, 10);
        if (stop == p || *stop || errno) {
            snprintf(err, errlen, "--labels %s: line %zu: '%.40s' is not a label (write integers 0..%d)", path, lineno,
                     p, num_labels - 1);
            return CS_E_FORMAT;
        }
        if (v < 0 || v >= num_labels) {
            snprintf(err, errlen,
                     "--labels %s: line %zu: label %ld is out of range: the bundle has %d labels (0..%d); train on "
                     "the bundle these labels come from",
                     path, lineno, v, num_labels, num_labels - 1);
            return CS_E_ARG;
        }
        if (seqs_push(s, *fresh, (int)v)) {
            snprintf(err, errlen, "--labels %s: out of memory", path);
            return CS_E_NOMEM;
        }
        *fresh = 0;
        any = 1;
        *end = save;
        p = end;
    }
    if (!any) *fresh = 1;
    return 0;
}

int cs_label_file_read(const char *path, int num_labels, int ***seqs_out, size_t **lens_out, int *n_out, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--labels %s: cannot open (%s)", path, strerror(errno));
        return CS_E_IO;
    }
    label_seqs s;
    memset(&s, 0, sizeof s);
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0, fresh = 1;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        rc = read_line(&s, line, path, lineno, num_labels, &fresh, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "--labels %s: read error", path);
        rc = CS_E_IO;
    }
    free(line);
    fclose(f);
    if (rc == 0 && s.n == 0) {
        snprintf(err, errlen, "--labels %s: no label in the file (write integers 0..%d, one sequence per paragraph)",
                 path, num_labels - 1);
        rc = CS_E_EMPTY;
    }
    if (rc) {
        seqs_free(&s);
        return rc;
    }
    free(s.caps);
    *seqs_out = s.seqs;
    *lens_out = s.lens;
    *n_out = s.n;
    return 0;
}
