#!/bin/bash
# stall.sh ROOTPID [PERIOD] [STOP] [LOG]: a busy machine, made on purpose, to find the tests that assume how fast
# something happens. Until the process ROOTPID ends, every PERIOD seconds (3) it stops each jackd, scsynth and
# sclang that descends from ROOTPID for STOP seconds (0.7) with SIGSTOP, then continues them (SIGCONT), and
# appends a line per stall to LOG (/dev/null). Only descendants of ROOTPID are touched, never a process by
# name. Used to reproduce the flakes of tests/sc (HARD, issue "CI must not flake"): e.g.
#   bash tests/sc/seqpredict_rt.sh & bash tests/scripts/stall.sh $! 1 1.2
# made the fixed waits of the old seqpredict_rt.scd and concatplay_bset.scd fail.
root=${1:?ROOTPID}
period=${2:-3}
stop=${3:-0.7}
log=${4:-/dev/null}
descendants() {
    local p
    for p in $(ps -o pid= --ppid "$1" 2> /dev/null); do
        echo "$p"
        descendants "$p"
    done
}
while kill -0 "$root" 2> /dev/null; do
    sleep "$period"
    pids=()
    for p in $(descendants "$root"); do
        case "$(cat "/proc/$p/comm" 2> /dev/null)" in jackd | scsynth | sclang) pids+=("$p") ;; esac
    done
    [ ${#pids[@]} -eq 0 ] && continue
    kill -STOP "${pids[@]}" 2> /dev/null
    echo "$(date +%T) stopped ${pids[*]} for $stop s" >> "$log"
    sleep "$stop"
    kill -CONT "${pids[@]}" 2> /dev/null
done
