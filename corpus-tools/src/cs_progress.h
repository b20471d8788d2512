/*
 * cs_progress.h - progress reporting for long CLI runs: a bar on stderr when it is a terminal, one parseable
 * line per step ("progress STAGE DONE TOTAL DETAIL" on stdout) for programs such as the sclang classes, or none.
 */
#ifndef CS_PROGRESS_H
#define CS_PROGRESS_H

#include <stddef.h>

enum cs_progress_mode { CS_PROGRESS_AUTO = 0, CS_PROGRESS_BAR, CS_PROGRESS_LINES, CS_PROGRESS_NONE };

typedef struct cs_progress {
    int mode;     /* resolved mode: BAR only when stderr is a terminal */
    int bar_open; /* a bar line is on screen and needs a newline before other output */
} cs_progress;

/** The mode named by a --progress value: "bar", "lines" or "none"; -1 for anything else. */
int cs_progress_mode_from_name(const char *name);

/** Resolve `mode` (AUTO: a bar if stderr is a TTY, else none; quiet forces none). */
void cs_progress_init(cs_progress *p, int mode, int quiet);

/** Report `done` of `total` steps of `stage` (detail may be ""); matches cs_progress_fn. */
void cs_progress_report(void *p, const char *stage, size_t done, size_t total, const char *detail);

/** End the bar line, if one is open (call before printing anything else). */
void cs_progress_finish(cs_progress *p);

#endif
