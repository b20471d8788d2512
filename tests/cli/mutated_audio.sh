#!/usr/bin/env bash
# Issue 14's "Keep" list: mutated audio files through `concatseq analyze`, no crash and no partial bundle left.
# A deterministic mutator (seeded; the same files every run) makes 200 files from real recordings: SuperCollider's
# a11wlk01.wav (PCM WAV), a Hydrogen drum kit's FLAC and WAV samples, and the first 200 kB of a lincity-ng Ogg
# Vorbis track: truncations, flipped header bits, random byte runs, absurd chunk sizes, and the combinations.
# Each run must end by itself (no signal, no timeout); a failing run names the file (or the option that cannot
# apply to what the file holds) on its error line and leaves
# neither the bundle nor a temporary folder; a succeeding run leaves a complete bundle. Bounded in time: every
# source is cut to a few seconds first, and the runs use small settings.
. "$(dirname "$0")/common.bash"
SND=$(a11wlk01) || { not_ok "a11wlk01.wav not found"; exit 1; }
FLAC=$(ls /usr/share/hydrogen/data/drumkits/*/*.flac 2>/dev/null | head -1)
HWAV=$(ls /usr/share/hydrogen/data/drumkits/*/*.wav 2>/dev/null | head -1)
OGG=$(ls /usr/share/games/lincity-ng/music/*/*.ogg /usr/share/lincity-ng/music/*.ogg 2>/dev/null | head -1)
mkdir -p "$W/m" "$W/out"
"$PY" - "$W/m" 200 "$SND" "${FLAC:-}" "${HWAV:-}" "${OGG:-}" <<'PY' || { not_ok "mutator"; exit 1; }
import os, random, struct, sys
out, count, srcs = sys.argv[1], int(sys.argv[2]), [s for s in sys.argv[3:] if s]
rng = random.Random(14)
bases = []
for s in srcs:
    b = open(s, "rb").read()
    bases.append((os.path.splitext(s)[1] or ".wav", b[:200000]))  # the Ogg (and long files) cut: a truncation too
def mutate(b, kind):
    b = bytearray(b)
    if kind in ("trunc", "trunc+flip"):
        b = b[: rng.randrange(0, len(b))]
    if kind in ("flip", "trunc+flip") and b:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(0, min(64, len(b)))
            b[i] ^= 1 << rng.randrange(8)
    if kind == "bytes" and len(b) > 64:
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(44, len(b))
            n = rng.randint(1, 64)
            b[i : i + n] = bytes(rng.randrange(256) for _ in range(min(n, len(b) - i)))
    if kind == "sizes" and len(b) >= 44:
        for off in rng.sample([4, 16, 40], rng.randint(1, 3)):  # RIFF size, fmt size, data size (in a plain WAV)
            b[off : off + 4] = struct.pack("<I", rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, len(b) * 1000]))
    return bytes(b)
kinds = ["trunc", "flip", "bytes", "sizes", "trunc+flip"]
for i in range(count):
    ext, b = bases[i % len(bases)]
    kind = kinds[(i // len(bases)) % len(kinds)]
    open(os.path.join(out, "m%03d_%s%s" % (i, kind.replace("+", "_"), ext)), "wb").write(mutate(b, kind))
PY
crashed=0 hung=0 nameless=0 partial=0 incomplete=0 good=0 bad=0
for f in "$W"/m/*; do
    name=$(basename "$f")
    b="$W/out/$name.corpus"
    timeout -k 5 20 "$CS" analyze "$f" -o "$b" --clusters 2 --progress none --quiet 2> "$W/err" > /dev/null
    rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then hung=$((hung + 1)); echo "  hung: $name" >&2; continue; fi
    if [ $rc -ge 128 ]; then crashed=$((crashed + 1)); echo "  crashed ($rc): $name" >&2; continue; fi
    if [ $rc -eq 0 ]; then
        good=$((good + 1))
        for part in corpus.json units.wav audio.wav; do
            [ -s "$b/$part" ] || { incomplete=$((incomplete + 1)); echo "  incomplete bundle: $name" >&2; break; }
        done
    else
        bad=$((bad + 1))
        # the error names the file, or the option that cannot apply to what it holds (e.g. --clusters 2 on one unit)
        grep -q -e "$name" -e ": error: --" "$W/err" || { nameless=$((nameless + 1)); echo "  error naming neither the file nor an option: $name: $(cat "$W/err")" >&2; }
        [ -e "$b" ] && { partial=$((partial + 1)); echo "  bundle left by a failed run: $name" >&2; }
    fi
    if ls -a "$W/out" | grep -q '\.partial-'; then partial=$((partial + 1)); echo "  temporary folder left: $name" >&2; fi
    rm -rf "$b"
done
echo "  $((good + bad + crashed + hung)) mutated files: $good analysed, $bad refused; $crashed crashed, $hung hung"
check "no crash ($crashed)" test $crashed -eq 0
check "no hang ($hung)" test $hung -eq 0
check "every error names the file or the option ($nameless neither)" test $nameless -eq 0
check "no partial bundle or temporary folder left ($partial)" test $partial -eq 0
check "every success leaves a complete bundle ($incomplete incomplete)" test $incomplete -eq 0
check "some mutated files still decode and analyse ($good), some are refused ($bad)" test $good -gt 0 -a $bad -gt 0
