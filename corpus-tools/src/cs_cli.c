/* cs_cli.c - shared error format and option parsing of the concatseq subcommands. See cs_cli.h. */
#include "cs_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (2..4), or 0 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    int n = c >= 0xc2 && c <= 0xdf ? 2 : (c >= 0xe0 && c <= 0xef ? 3 : (c >= 0xf0 && c <= 0xf4 ? 4 : 0));
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))) return 0;
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))) return 0;
    return n;
}

const char *cs_cli_safe(const char *s)
{
    enum { SLOTS = 8, CAP = 8192 };
    static char bufs[SLOTS][CAP];
    static int next;
    char *out = bufs[next];
    next = (next + 1) % SLOTS;
    if (!s) s = "(null)";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    static const char hex[] = "0123456789abcdef";
    while (*p) {
        int n = *p < 0x80 ? 1 : utf8_len(p);
        int c1 = n == 2 && p[0] == 0xc2 && p[1] <= 0x9f; /* U+0080..U+009F */
        int esc = n == 0 || c1 || *p < 0x20 || *p == 0x7f;
        int take = n ? n : 1;
        size_t need = esc ? (size_t)take * 4 : (*p == '\\' ? 2 : (size_t)take);
        if (o + need + 4 > CAP) {
            memcpy(out + o, "...", 4);
            return out;
        }
        for (int i = 0; i < take; i++) {
            if (esc) {
                out[o++] = '\\', out[o++] = 'x', out[o++] = hex[p[i] >> 4], out[o++] = hex[p[i] & 15];
            } else {
                if (p[i] == '\\') out[o++] = '\\';
                out[o++] = (char)p[i];
            }
        }
        p += take;
    }
    out[o] = '\0';
    return out;
}

int cs_cli_fail(const char *cmd, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "concatseq %s: error: %s\n", cs_cli_safe(cmd), cs_cli_safe(msg));
    return 1;
}

int cs_cli_parse_double(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cs_cli_parse_int(const char *s, int *out)
{
    double v;
    if (cs_cli_parse_double(s, &v) || v != floor(v) || v < -2147483647.0 || v > 2147483647.0) return -1;
    *out = (int)v;
    return 0;
}

int cs_cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = (uint64_t)v;
    return 0;
}

void *cs_cli_heap_alloc(void *user, size_t bytes)
{
    (void)user;
    return malloc(bytes);
}

void cs_cli_heap_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}
