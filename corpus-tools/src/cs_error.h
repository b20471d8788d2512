/*
 * cs_error.h - error codes of the offline tools. Functions return 0 on success or a negative cs_err;
 * only the CLI prints, with cs_strerror() and the file or option concerned (libsamplerate's habit).
 */
#ifndef CS_ERROR_H
#define CS_ERROR_H

typedef enum cs_err {
    CS_OK = 0,
    CS_E_NOMEM = -1,      /* allocation failed */
    CS_E_ARG = -2,        /* invalid argument or option value */
    CS_E_IO = -3,         /* file could not be opened, read or written */
    CS_E_FORMAT = -4,     /* file is not in a format we read */
    CS_E_EMPTY = -5,      /* no data (zero-length file, empty folder) */
    CS_E_SHORT = -6,      /* input shorter than one unit / frame */
    CS_E_NONFINITE = -7,  /* NaN or infinite sample or value */
    CS_E_SILENT = -8,     /* input is digital silence */
    CS_E_CHANNELS = -9,   /* channel count cannot be served */
    CS_E_TOO_FEW = -10,   /* fewer units than clusters requested, or similar */
    CS_E_EXISTS = -11,    /* output exists and --force was not given */
    CS_E_TOO_LARGE = -12, /* problem too large for the chosen method */
    CS_E_INTERNAL = -13,  /* a library call failed unexpectedly */
    CS_E_TRUNCATED = -14  /* a file's header counts more data than the file holds */
} cs_err;

/** Callback for warnings that do not stop a run (a skipped file, a removed leftover): (user, path, reason);
 * the CLI prints "concatseq analyze: warning: PATH: REASON". */
typedef void (*cs_warn_fn)(void *user, const char *path, const char *reason);

/** Static, one-line English description of `err` (never NULL). Thread-safe. */
const char *cs_strerror(int err);

#endif
