/*
 * cs_bundle_write.c - writing a corpus bundle atomically (see cs_bundle.h and corpus-tools/BUNDLE.md "Writing").
 *
 * Everything is written into a hidden folder beside the target, ".NAME.partial-PID-XXXXXX", created with the
 * permissions of an ordinary new folder (0777 less the umask) and locked with flock(2) for as long as this
 * process lives. The commit is one rename: renameat2(RENAME_NOREPLACE) for a new bundle (so a folder that
 * appeared at the output path meanwhile, or a second run, makes this one fail instead of being replaced), and
 * renameat2(RENAME_EXCHANGE) for --force (the old bundle and the new one swap places in one step; the old one,
 * now at the hidden path, is then removed). Files in the old bundle that analyze did not write (a model that
 * `train` put there, a plot) are hard-linked into the new folder before the swap, so at every instant they are
 * in the bundle at the output path. Where a filesystem has no renameat2 the same guarantees come from a mkdir
 * lock (new bundle) or two renames with the interrupting signals blocked between them (--force).
 * A partial folder whose lock is free and whose process is gone belongs to a dead run (SIGKILL, power loss):
 * the next run on the same output removes it and says so.
 * One bundle write per process at a time (the signal handler's state is static).
 */
#define _GNU_SOURCE /* renameat2, flock */
#include "cs_bundle.h"
#include "cs_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CS_PATH_MAX   4096
#define PBUF          (2 * CS_PATH_MAX) /* a folder path plus one name */
#define CS_SIG_FILES  32
#define PARTIAL_INFIX ".partial-"

static const char *const own_names[] = {CS_BUNDLE_MANIFEST, CS_BUNDLE_AUDIO, CS_BUNDLE_UNITS, CS_BUNDLE_ROWS,
                                        CS_BUNDLE_FLUX};
#define NUM_OWN ((int)(sizeof own_names / sizeof own_names[0]))

/* --- interruption: the handler only uses async-signal-safe calls (unlink, rmdir, _exit) --- */
static char sig_dir[PBUF];
static char sig_names[CS_SIG_FILES][256];             /* the names in sig_dir to remove */
static char sig_files[CS_SIG_FILES][3 * CS_PATH_MAX]; /* sig_dir/sig_names[i], made before the handler needs them */
static volatile sig_atomic_t sig_nfiles;
static volatile sig_atomic_t sig_armed;
static int lock_fd = -1;

static void on_signal(int sig)
{
    if (sig_armed) {
        for (int i = 0; i < sig_nfiles; ++i)
            unlink(sig_files[i]);
        rmdir(sig_dir);
    }
    _exit(128 + sig);
}

/* Point the handler at folder `dir`: on SIGINT/SIGTERM/SIGHUP it removes the bundle's own files there. */
static void arm(const char *dir)
{
    sig_armed = 0;
    snprintf(sig_dir, sizeof sig_dir, "%s", dir);
    for (int i = 0; i < NUM_OWN; ++i) {
        snprintf(sig_names[i], sizeof sig_names[i], "%s", own_names[i]);
        snprintf(sig_files[i], sizeof sig_files[i], "%s/%s", dir, own_names[i]);
    }
    sig_nfiles = NUM_OWN;
    sig_armed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Also remove `name` in the armed folder on a signal (a hard link carried over from the old bundle). */
static void arm_add(const char *name)
{
    if (sig_nfiles >= CS_SIG_FILES) return; /* the next run's sweep removes what the handler could not */
    snprintf(sig_names[sig_nfiles], sizeof sig_names[0], "%s", name);
    snprintf(sig_files[sig_nfiles], sizeof sig_files[0], "%s/%s", sig_dir, name);
    sig_nfiles = sig_nfiles + 1;
}

static void block_signals(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigprocmask(SIG_BLOCK, &s, old);
}

static void restore_signals(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

static int is_own_name(const char *name)
{
    for (int i = 0; i < NUM_OWN; ++i)
        if (!strcmp(name, own_names[i])) return 1;
    return 0;
}

/* Split "a/b/name/" into parent "a/b" and base "name". Returns -1 when either does not fit. */
static int split_path(const char *dir, char *parent, size_t np, char *base, size_t nb)
{
    char t1[CS_PATH_MAX], t2[CS_PATH_MAX];
    int len = snprintf(t1, sizeof t1, "%s", dir);
    if (len < 0 || (size_t)len >= sizeof t1) return -1;
    while (len > 1 && t1[len - 1] == '/')
        t1[--len] = '\0';
    memcpy(t2, t1, (size_t)len + 1);
    int a = snprintf(parent, np, "%s", dirname(t1)), b = snprintf(base, nb, "%s", basename(t2));
    return a < 0 || (size_t)a >= np || b < 0 || (size_t)b >= nb ? -1 : 0;
}

/* renameat2 with a test hook: CONCATSEQ_TEST_NO_RENAMEAT2 set makes it fail with EINVAL, as on a filesystem
 * without RENAME_NOREPLACE/RENAME_EXCHANGE, so the tests reach the fallbacks. */
static int rename2(const char *from, const char *to, unsigned flags)
{
    if (getenv("CONCATSEQ_TEST_NO_RENAMEAT2")) {
        errno = EINVAL;
        return -1;
    }
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
}

static int unsupported(int e)
{
    return e == EINVAL || e == ENOSYS || e == ENOTSUP;
}

/* Does `dir` hold a sub-folder (which a hard link cannot carry over)? 1 with its name in `name`, else 0. */
static int has_subfolder(const char *dir, char *name, size_t nname)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[PBUF];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(name, nname, "%s", e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/*
 * Remove the partial folder `p` of a dead run, if everything in it is the bundle's own files or a second name
 * of a file that lives elsewhere too (st_nlink > 1: carried over from an old bundle). Otherwise leave it and
 * say what it holds. Reports through warn either way.
 */
static void remove_stale(const char *p, cs_warn_fn warn, void *user)
{
    DIR *d = opendir(p);
    if (!d) return;
    char keep[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !keep[0]) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_own_name(e->d_name)) continue;
        char f[3 * CS_PATH_MAX];
        struct stat st;
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        if (lstat(f, &st) != 0 || S_ISDIR(st.st_mode) || st.st_nlink < 2) snprintf(keep, sizeof keep, "%s", e->d_name);
    }
    if (keep[0]) {
        closedir(d);
        if (warn) warn(user, p, "left by an interrupted run; kept, since it holds a file analyze did not write");
        return;
    }
    rewinddir(d);
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char f[3 * CS_PATH_MAX];
        snprintf(f, sizeof f, "%s/%s", p, e->d_name);
        unlink(f);
    }
    closedir(d);
    if (rmdir(p) == 0 && warn) warn(user, p, "removed: a partial bundle left by an interrupted run");
}

/* Remove the partial folders ".BASE.partial-*" in `parent` whose lock no live process holds. */
static void sweep_stale(const char *parent, const char *base, cs_warn_fn warn, void *user)
{
    char prefix[1100];
    snprintf(prefix, sizeof prefix, ".%s" PARTIAL_INFIX, base);
    DIR *d = opendir(parent);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        char p[PBUF];
        snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
        /* ".BASE.partial-PID-XXXXXX": a run creates the folder before it can lock it, so a free lock alone does
         * not make it stale; its process must be gone too (kill(pid, 0) fails with ESRCH) */
        char *end = NULL;
        long pid = strtol(e->d_name + strlen(prefix), &end, 10);
        if (end && *end == '-' && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) continue;
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) remove_stale(p, warn, user);
        close(fd); /* a live run holds its lock: its folder is skipped */
    }
    closedir(d);
}

/* An existing output folder that --force may replace: a folder with a manifest and no sub-folder of its own. */
static int check_replaceable(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char man[PBUF], sub[256];
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a bundle directory", dir);
        return CS_E_EXISTS;
    }
    snprintf(man, sizeof man, "%s/%s", dir, CS_BUNDLE_MANIFEST);
    if (access(man, F_OK) != 0) {
        snprintf(err, errlen, "%s: exists and is not a ConcatSeq bundle; refusing to replace it", dir);
        return CS_E_EXISTS;
    }
    if (has_subfolder(dir, sub, sizeof sub)) {
        snprintf(err, errlen, "%s: holds the folder '%s', which analyze did not write; move it away first", dir, sub);
        return CS_E_EXISTS;
    }
    return 0;
}

int cs_bundle_begin(const char *dir, int force, cs_warn_fn warn, void *user, char **tmpdir, char *err, size_t errlen)
{
    *tmpdir = NULL;
    if (!dir || !*dir) {
        snprintf(err, errlen, "no output bundle given (-o BUNDLE)");
        return CS_E_ARG;
    }
    struct stat st;
    if (lstat(dir, &st) == 0) {
        if (!force) {
            snprintf(err, errlen, "%s: already exists (use --force to overwrite)", dir);
            return CS_E_EXISTS;
        }
        int rc = check_replaceable(dir, err, errlen);
        if (rc) return rc;
    }
    char parent[CS_PATH_MAX], base[1024];
    if (split_path(dir, parent, sizeof parent, base, sizeof base) != 0) {
        snprintf(err, errlen, "%.200s...: path too long", dir);
        return CS_E_ARG;
    }
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: output folder does not exist", parent);
        return CS_E_IO;
    }
    if (access(parent, W_OK) != 0) {
        snprintf(err, errlen, "%s: output folder is not writable", parent);
        return CS_E_IO;
    }
    sweep_stale(parent, base, warn, user);
    size_t n = strlen(parent) + strlen(base) + 64;
    char *t = malloc(n);
    if (!t) return CS_E_NOMEM;
    snprintf(t, n, "%s/.%s" PARTIAL_INFIX "%ld-XXXXXX", parent, base, (long)getpid());
    if (!mkdtemp(t)) {
        snprintf(err, errlen, "%s: cannot create a temporary folder (%s)", parent, strerror(errno));
        free(t);
        return CS_E_IO;
    }
    arm(t);
    /* mkdtemp makes the folder 0700; a bundle is an ordinary folder (0777 less the umask), so that a server
     * running as another user can read it, as model files are ordinary files */
    mode_t mask = umask(0);
    umask(mask);
    lock_fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (chmod(t, (mode_t)(0777 & ~mask)) != 0 || lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "%s: cannot prepare the temporary folder (%s)", t, strerror(errno));
        cs_bundle_abort(t);
        free(t);
        return CS_E_IO;
    }
    *tmpdir = t;
    return 0;
}

static void release(void)
{
    sig_armed = 0;
    if (lock_fd >= 0) close(lock_fd);
    lock_fd = -1;
}

/* Remove folder `d` holding the bundle's own files and the names carried over by hard links. */
static void remove_bundle_files(const char *d)
{
    for (int i = 0; i < sig_nfiles; ++i) {
        char p[3 * CS_PATH_MAX];
        int len = snprintf(p, sizeof p, "%s/%s", d, sig_names[i]);
        if (len > 0 && (size_t)len < sizeof p) unlink(p);
    }
    rmdir(d);
}

void cs_bundle_abort(const char *tmpdir)
{
    if (!tmpdir) return;
    remove_bundle_files(tmpdir);
    release();
}

/*
 * --force: give the new folder `tmpdir` a second name for every file of the old bundle `dir` that analyze did
 * not write (a hard link, so the file is in the bundle at the output path before and after the swap; a
 * file that cannot be linked is moved, and then lives in the new folder only).
 */
static int carry_foreign(const char *dir, const char *tmpdir, cs_warn_fn warn, void *user, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read (%s)", dir, strerror(errno));
        return CS_E_IO;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_own_name(e->d_name)) continue;
        char from[PBUF], to[PBUF];
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", tmpdir, e->d_name);
        if (linkat(AT_FDCWD, from, AT_FDCWD, to, 0) == 0)
            arm_add(e->d_name);
        else if (rename(from, to) != 0) {
            snprintf(err, errlen, "%s: cannot keep it in the new bundle (%s)", from, strerror(errno));
            rc = CS_E_IO;
            break;
        }
        if (warn)
            warn(user, from,
                 "not written by analyze: kept in the new bundle (a model trained on the old labels must be "
                 "retrained)");
    }
    closedir(d);
    return rc;
}

/* --force without renameat2: two renames with the interrupting signals blocked between them. */
static int swap_fallback(const char *tmpdir, const char *dir, char *err, size_t errlen)
{
    char aside[PBUF];
    snprintf(aside, sizeof aside, "%s.old", tmpdir); /* starts with ".NAME.partial-": a later sweep finds it */
    sigset_t old;
    block_signals(&old);
    int rc = 0;
    if (rename(dir, aside) != 0) {
        snprintf(err, errlen, "%s: cannot replace the existing bundle (%s)", dir, strerror(errno));
        rc = CS_E_IO;
    } else if (rename(tmpdir, dir) != 0) {
        snprintf(err, errlen, "%s: cannot move the new bundle into place (%s)", dir, strerror(errno));
        rename(aside, dir);
        rc = CS_E_IO;
    } else {
        remove_bundle_files(aside); /* signals are blocked: the handler cannot run with stale paths */
    }
    restore_signals(&old);
    return rc;
}

/* A new bundle without renameat2: mkdir is the lock (exactly one run creates the folder), then the finished
 * folder is renamed over the empty one, with the interrupting signals blocked between the two. */
static int create_fallback(const char *tmpdir, const char *dir, char *err, size_t errlen)
{
    sigset_t old;
    block_signals(&old);
    int rc = 0;
    if (mkdir(dir, 0700) != 0) {
        if (errno == EEXIST)
            snprintf(err, errlen, "%s: already exists (created while this run was writing; use --force)", dir);
        else
            snprintf(err, errlen, "%s: cannot create (%s)", dir, strerror(errno));
        rc = errno == EEXIST ? CS_E_EXISTS : CS_E_IO;
    } else if (rename(tmpdir, dir) != 0) {
        snprintf(err, errlen, "%s: cannot move the new bundle into place (%s)", dir, strerror(errno));
        rmdir(dir);
        rc = CS_E_IO;
    }
    restore_signals(&old);
    return rc;
}

/* --force over the existing bundle `dir`: carry its foreign files over, swap in one step, remove the old. */
static int replace(const char *tmpdir, const char *dir, cs_warn_fn warn, void *user, char *err, size_t errlen)
{
    int rc = check_replaceable(dir, err, errlen);
    if (rc == 0) rc = carry_foreign(dir, tmpdir, warn, user, err, errlen);
    if (rc) return rc;
    sigset_t old;
    block_signals(&old);
    if (rename2(tmpdir, dir, RENAME_EXCHANGE) == 0) {
        remove_bundle_files(tmpdir); /* the old bundle, now at the hidden path; the handler would do the same */
        restore_signals(&old);
        return 0;
    }
    int e = errno;
    restore_signals(&old);
    if (unsupported(e)) return swap_fallback(tmpdir, dir, err, errlen);
    snprintf(err, errlen, "%s: cannot replace the existing bundle (%s)", dir, strerror(e));
    return CS_E_IO;
}

int cs_bundle_commit(const char *tmpdir, const char *dir, int force, cs_warn_fn warn, void *user, char *err,
                     size_t errlen)
{
    struct stat st;
    int rc = 0;
    if (lstat(dir, &st) == 0) {
        if (force)
            rc = replace(tmpdir, dir, warn, user, err, errlen);
        else {
            snprintf(err, errlen, "%s: already exists (created while this run was writing; use --force)", dir);
            rc = CS_E_EXISTS;
        }
    } else if (rename2(tmpdir, dir, RENAME_NOREPLACE) != 0) {
        int e = errno;
        if (unsupported(e))
            rc = create_fallback(tmpdir, dir, err, errlen);
        else if (e == EEXIST || e == ENOTEMPTY) {
            snprintf(err, errlen, "%s: already exists (created while this run was writing; use --force)", dir);
            rc = CS_E_EXISTS;
        } else {
            snprintf(err, errlen, "%s: cannot move the new bundle into place (%s)", dir, strerror(e));
            rc = CS_E_IO;
        }
    }
    if (rc)
        cs_bundle_abort(tmpdir);
    else
        release();
    return rc;
}
