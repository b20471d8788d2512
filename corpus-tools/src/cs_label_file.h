/*
 * cs_label_file.h - a label sequence chosen by the user (`concatseq train --labels FILE`): a pattern's history, a
 * performance log (ConcatSeqLabelRecorder writes one), MIDI notes mapped to labels.
 */
#ifndef CS_LABEL_FILE_H
#define CS_LABEL_FILE_H

#include <stddef.h>

/**
 * Read the label sequences of a text file. Labels are decimal integers 0 .. num_labels - 1 separated by white
 * space (one per line or several on a line); a line without labels (blank, or only a comment: `#` to the end of
 * the line) ends the current sequence, so sequences (sources) are separated by blank lines; sequences without
 * labels are dropped. Returns 0 with *seqs (n arrays of lens[i] labels, in file order) and *n >= 1, owned by the
 * caller (free with cs_label_sequences_free, cs_bundle.h); or CS_E_IO (cannot open or read), CS_E_FORMAT (a token
 * that is not an integer), CS_E_ARG (a label outside 0 .. num_labels - 1) or CS_E_EMPTY (no label at all), with
 * one line in err naming the file, the line and the token and what to do. O(file size); offline only.
 */
int cs_label_file_read(const char *path, int num_labels, int ***seqs, size_t **lens, int *n, char *err, size_t errlen);

#endif
