"""Write the synthetic audio files the CLI tests need into a folder (deterministic, seeded).

usage: /usr/bin/python3 make_audio.py OUTDIR
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wavio import write_wav  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    sr = 44100
    t = np.arange(int(2.0 * sr)) / sr
    # a tonal, varied 2 s mono file: notes with decays, plus a little noise
    x = np.zeros_like(t)
    for k, f in enumerate([220, 330, 440, 262, 392, 523, 196, 294]):
        s = int(k * 0.25 * sr)
        n = np.arange(len(t) - s) / sr
        x[s:] += 0.3 * np.sin(2 * np.pi * f * n) * np.exp(-n * 6)
    x += 0.01 * rng.standard_normal(len(t))
    write_wav(f"{out}/tones.wav", x, sr, 1, "pcm16")
    # stereo float at 48 kHz
    t2 = np.arange(int(1.5 * 48000)) / 48000
    st = np.stack([0.4 * np.sin(2 * np.pi * 300 * t2), 0.2 * rng.standard_normal(len(t2))], axis=1)
    write_wav(f"{out}/stereo.wav", st, 48000, 2, "float")
    # 3 channels
    write_wav(f"{out}/three.wav", np.tile(x[:sr, None], (1, 3)) * 0.5, sr, 3, "float")
    # bad inputs
    write_wav(f"{out}/silence.wav", np.zeros(sr), sr, 1, "float")
    bad = x[:sr].copy()
    bad[1000] = np.nan
    write_wav(f"{out}/nan.wav", bad, sr, 1, "float")
    write_wav(f"{out}/tiny.wav", x[:200], sr, 1, "float")  # 4.5 ms: shorter than one unit
    open(f"{out}/empty.wav", "wb").close()                  # zero-length file
    write_wav(f"{out}/noframes.wav", [], sr, 1, "float")    # a valid header with no frames
    with open(f"{out}/notes.txt", "w") as f:
        f.write("not audio\n")


if __name__ == "__main__":
    main()
