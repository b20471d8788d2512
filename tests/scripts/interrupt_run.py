#!/usr/bin/python3
"""Interrupt a `concatseq analyze --progress lines` run at a chosen point, independent of timing
(tests/cli/bad_input.sh): the run's stdout is a one-page pipe pre-filled so that exactly the progress lines of
LINES_FILE fit; the run prints them (one write each: cs_progress_report flushes every line), then blocks in
its next write. Once it is blocked there (/proc/PID/wchan or /proc/PID/syscall: a write to fd 1), this script
records the temporary folders beside OUT (".NAME.partial-*") and their files, sends SIGINT to the pid it
started, waits for it to end (the pipe still full: the blocked write never completes) and reports one JSON object
on stdout:

    {"blocked": true|false, "lines": [the progress lines the run printed], "partial": {folder: [files]},
     "rc": exit status (128 + signal when killed by one), "stderr": what it wrote there,
     "bundle_after": OUT exists afterwards, "partial_after": [temporary folders left]}

"blocked" false means the run exited before it blocked (then no signal was sent): the caller fails on it.

Usage: interrupt_run.py LINES_FILE OUT -- COMMAND...
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import termios
import time

F_SETPIPE_SZ, PAGE = 1031, 4096


def blocked_in_write(pid):
    """1 when pid sleeps in a write to its stdout pipe."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            if "pipe_write" in f.read():
                return True
        with open("/proc/%d/syscall" % pid) as f:
            s = f.read().split()
        return len(s) > 1 and s[0] in ("1", "64") and s[1] == "0x1"  # write(1, ...) on x86-64 / aarch64
    except OSError:
        return False


def partial_folders(out):
    parent, name = os.path.split(os.path.abspath(out))
    found = {}
    for e in os.listdir(parent):
        if e.startswith("." + name + ".partial-"):
            p = os.path.join(parent, e)
            found[e] = sorted(os.listdir(p)) if os.path.isdir(p) else []
    return found


def main():
    lines_file, out, sep = sys.argv[1:4]
    cmd = sys.argv[4:]
    assert sep == "--" and cmd, __doc__
    with open(lines_file, "rb") as f:
        allowed = f.read()
    if len(allowed) >= PAGE:
        sys.exit("interrupt_run.py: %s: the lines must take fewer than %d bytes" % (lines_file, PAGE))
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, PAGE)
    os.write(w, b"\0" * (PAGE - len(allowed)))  # one page, merged into by the run's writes while they fit
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=w, stderr=err)
    os.close(w)
    blocked, partial = False, {}
    while p.poll() is None:
        avail = fcntl.ioctl(r, termios.FIONREAD, b"\0\0\0\0")
        if int.from_bytes(avail, sys.byteorder) == PAGE and blocked_in_write(p.pid):
            blocked = True
            partial = partial_folders(out)
            os.kill(p.pid, signal.SIGINT)
            try:  # before reading the pipe, so that the blocked write cannot complete
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
            break
        time.sleep(0.005)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    p.wait()
    err.seek(0)
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    text = data.lstrip(b"\0").decode(errors="replace")
    print(json.dumps({"blocked": blocked, "lines": text.splitlines(), "partial": partial, "rc": rc,
                      "stderr": err.read().decode(errors="replace"), "bundle_after": os.path.exists(out),
                      "partial_after": sorted(partial_folders(out))}))


if __name__ == "__main__":
    main()
