#!/usr/bin/env bash
# The Tidal parameter file (sc-classes/tidal/ConcatSeqParams.hs) loads in a real Tidal (Debian's
# libghc-tidal-dev, through ghci, as BootTidal.hs's `:script` does), every parameter has the type and the
# name SuperDirt will see, and a pattern using them carries them in its events. Skipped (status 77), with a
# message, when Tidal is not installed.
. "$(dirname "$0")/common.bash"
if ! command -v ghci >/dev/null || ! ghc-pkg list tidal 2>/dev/null | grep -q tidal; then
    echo "SKIPPED: Tidal is not installed (Debian package libghc-tidal-dev)"
    trap - EXIT # common.bash's summary would turn the skip into a pass
    exit 77
fi
cat > "$W/check.ghci" <<GHCI
:set -XOverloadedStrings
import Sound.Tidal.Context
:script $SRC/sc-classes/tidal/ConcatSeqParams.hs
:t cstemp
:t cstopk
:t cstopp
:t cspenalty
:t csseed
:t csreset
:t cssel
mapM_ (putStrLn . ("PRIME " ++) . show . value) (queryArc (s "walk*8" # n "2 -1 -1 -1 2 -1 -1 -1") (Arc 0 2))
mapM_ (print . value) (queryArc (s "walk" # n 3 # cstemp 0.9 # cstopk 4 # cstopp 0.8 # cspenalty 1.2 # csseed 7 # csreset 1 # cssel 2) (Arc 0 1))
GHCI
timeout 300 ghci -v0 < "$W/check.ghci" > "$W/ghci.out" 2>&1
check "ghci ran the file" [ $? -eq 0 ]
cat "$W/ghci.out"
check "no error from ghci" bash -c "! grep -qiE 'error|not in scope|parse' '$W/ghci.out'"
for p in cstemp cstopp cspenalty; do
    check "$p is a float parameter" grep -q "^$p :: Pattern Double -> ControlPattern" "$W/ghci.out"
done
for p in cstopk csseed csreset cssel; do
    check "$p is an integer parameter" grep -q "^$p :: Pattern Int -> ControlPattern" "$W/ghci.out"
done
for kv in 'cstemp 0.9' 'cstopk 4' 'cstopp 0.8' 'cspenalty 1.2' 'csseed 7' 'csreset 1' 'cssel 2' 'n 3' 's walk'; do
    check "the event carries ${kv% *} = ${kv#* }" grep -qE "(^|, )${kv% *}: \"?${kv#* }" "$W/ghci.out"
done
# the Tidal guide's priming line: with s "walk*8", n "2 -1 -1 -1 2 -1 -1 -1" primes every fourth event (each event
# takes the n at its onset), 4 in two cycles
check "the guide shows the priming line tested here" grep -q 'n "2 -1 -1 -1 2 -1 -1 -1"' "$SRC/HelpSource/Guides/ConcatSeq_Tidal.schelp"
check "n \"2 -1 -1 -1 2 -1 -1 -1\" primes events 0, 4, 8, 12 of 16" test \
    "$(grep '^PRIME' "$W/ghci.out" | grep -n 'n: 2.0n' | cut -d: -f1 | tr '\n' ' ')" = "1 5 9 13 "
check "16 events in two cycles" test "$(grep -c '^PRIME' "$W/ghci.out")" = 16
