/* cs_progress.c - progress bar and progress lines. See cs_progress.h. */
#include "cs_progress.h"

#include "cs_cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cs_progress_init(cs_progress *p, int mode, int quiet)
{
    p->bar_open = 0;
    if (quiet) mode = CS_PROGRESS_NONE;
    if (mode == CS_PROGRESS_AUTO) mode = isatty(STDERR_FILENO) ? CS_PROGRESS_BAR : CS_PROGRESS_NONE;
    if (mode == CS_PROGRESS_BAR && !isatty(STDERR_FILENO)) mode = CS_PROGRESS_NONE;
    p->mode = mode;
}

void cs_progress_report(void *user, const char *stage, size_t done, size_t total, const char *detail)
{
    cs_progress *p = user;
    if (!p) return;
    if (p->mode == CS_PROGRESS_LINES) {
        printf("progress %s %zu %zu %s\n", stage, done, total, cs_cli_safe(detail ? detail : ""));
        fflush(stdout);
    } else if (p->mode == CS_PROGRESS_BAR) {
        const int width = 30;
        double f = total ? (double)done / (double)total : 1.0;
        if (f > 1.0) f = 1.0;
        int fill = (int)(f * width + 0.5);
        char bar[64];
        for (int i = 0; i < width; ++i)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        const char *d = detail ? detail : "";
        const char *slash = strrchr(d, '/');
        if (slash && slash[1]) d = slash + 1;
        fprintf(stderr, "\r%-8s [%s] %3d%% %-30.30s", stage, bar, (int)(f * 100.0 + 0.5), cs_cli_safe(d));
        fflush(stderr);
        p->bar_open = 1;
    }
}

void cs_progress_finish(cs_progress *p)
{
    if (p && p->bar_open) {
        fputc('\n', stderr);
        p->bar_open = 0;
    }
}

int cs_progress_mode_from_name(const char *name)
{
    if (!name) return -1;
    return !strcmp(name, "bar")     ? CS_PROGRESS_BAR
           : !strcmp(name, "lines") ? CS_PROGRESS_LINES
           : !strcmp(name, "none")  ? CS_PROGRESS_NONE
                                    : -1;
}
