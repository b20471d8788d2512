#!/usr/bin/env bash
# Every subcommand listed by `concatseq help` prints its own usage: `help X` is exactly `X --help`, begins with
# "usage: concatseq X", and exits 0; the usage of analyze shows the defaults the program uses.
. "$(dirname "$0")/common.bash"

general=$("$CS" help)
check "help lists commands" grep -q "^commands:" <<<"$general"
cmds=$(sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' <<<"$general" | grep -v -x -e help -e version)
check "help lists the subcommands" [ "$(wc -w <<<"$cmds")" -ge 8 ]
for c in $cmds; do
    h=$("$CS" help "$c"); rc1=$?
    d=$("$CS" "$c" --help); rc2=$?
    check "help $c exits 0" [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
    check "help $c is $c --help" [ "$h" = "$d" ]
    check "help $c is the usage of $c" grep -q "^usage: concatseq $c" <<<"$h"
done
expect_error "help of an unknown command" "unknown command 'frob'" "" -- "$CS" help frob

u=$("$CS" help analyze)
check "analyze usage: the default K rule" grep -q -- "--clusters K (default: 16, or half the units when there are fewer than 32)" <<<"$u"
check "analyze usage: the fft size default" grep -q -- "--fft-size N .*default 2048 at 48 kHz" <<<"$u"
check "analyze usage: every clustering method" grep -q -- "--cluster kmeans|dbscan|ap" <<<"$u"
check "analyze usage: mfcc group from the table" grep -q "mfcc0..mfcc12" <<<"$u"
