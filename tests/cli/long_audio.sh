#!/usr/bin/env bash
# Memory does not grow with the length of the audio (issue 14, item 3): `analyze` of 30 minutes of 48 kHz
# mono audio (330 MB as float, 173 MB as the 16-bit source) peaks below 150 MB of resident memory, since the
# audio is decoded, resampled and analysed in blocks and written to the bundle as it comes. The peak comes from
# getrusage (RUSAGE_CHILDREN) of the run alone. Before streaming the peak was about twice the float audio.
. "$(dirname "$0")/common.bash"

SRCWAV="$W/long.wav"
# one second of a tone over noise, repeated: 16-bit PCM, 1800 s
"$PY" - "$SRCWAV" <<'PYEOF'
import math, random, struct, sys
rate, secs = 48000, 1800
random.seed(1)
one = b"".join(struct.pack("<h", int(32767 * (0.3 * math.sin(2 * math.pi * 440 * i / rate) * math.exp(-4 * i / rate)
                                               + 0.02 * (random.random() * 2 - 1)))) for i in range(rate))
n = len(one) * secs
with open(sys.argv[1], "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16))
    f.write(b"data" + struct.pack("<I", n))
    for _ in range(secs):
        f.write(one)
PYEOF
peak=$("$PY" - "$CS" "$SRCWAV" "$W/long.corpus" <<'PYEOF'
import resource, subprocess, sys
cs, src, out = sys.argv[1:4]
r = subprocess.run([cs, "analyze", src, "-o", out, "--threads", "2", "--clusters", "8", "--quiet"])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)
PYEOF
)
check "30-minute analysis succeeded" [ "$peak" -gt 0 ]
echo "peak RSS of analyze on 30 min of audio: $peak kB"
check "peak RSS below 150 MB (the float audio is 330 MB)" [ "$peak" -lt 153600 ]
check "the bundle holds all of the audio" "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["frames"] != 1800 * 48000)' "$W/long.corpus/corpus.json"
rm -rf "$SRCWAV" "$W/long.corpus"
