/* cs_error.c - one string table for the tools' error codes. */
#include "cs_error.h"

const char *cs_strerror(int err)
{
    switch (err) {
    case CS_OK:
        return "no error";
    case CS_E_NOMEM:
        return "out of memory";
    case CS_E_ARG:
        return "invalid argument";
    case CS_E_IO:
        return "input/output error";
    case CS_E_FORMAT:
        return "not an audio file libsndfile can read";
    case CS_E_EMPTY:
        return "no audio data";
    case CS_E_SHORT:
        return "shorter than one unit";
    case CS_E_NONFINITE:
        return "contains NaN or infinite samples";
    case CS_E_SILENT:
        return "digital silence";
    case CS_E_CHANNELS:
        return "channel count cannot be served";
    case CS_E_TOO_FEW:
        return "too few units";
    case CS_E_EXISTS:
        return "already exists (use --force to overwrite)";
    case CS_E_TOO_LARGE:
        return "too large for this method";
    case CS_E_TRUNCATED:
        return "the header counts more data than the file holds";
    case CS_E_INTERNAL:
        return "internal library error";
    default:
        return "unknown error";
    }
}
