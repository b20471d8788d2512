#!/usr/bin/python3
"""Write the control signals of the SeqPredict NRT tests as a 3-channel float32 WAV.

usage: seqpredict_schedule.py OUT.wav RATE SECONDS NUM_LABELS [SEED] [--dense N]

channel 0  trigger: single-sample pulses of 1 at irregular positions (gaps 300..4000 samples), plus bursts of
           triggers 3 samples apart (several steps inside one block), nothing in the first 0.05 s (the model is
           verified by then); with --dense N: a pulse every N samples from 0.05 s on (benchmark)
channel 1  prime: -1, except stretches holding a label 0..NUM_LABELS-1 (teacher forcing) and one stretch
           holding NUM_LABELS + 5 (out of range: SeqPredict samples instead)
channel 2  reset: one single-sample pulse at 45 % of the duration
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wavio  # noqa: E402


def main():
    args = [a for a in sys.argv[1:]]
    dense = 0
    if "--dense" in args:
        i = args.index("--dense")
        dense = int(args[i + 1])
        del args[i:i + 2]
    out, rate, seconds, vocab = args[0], int(args[1]), float(args[2]), int(args[3])
    seed = int(args[4]) if len(args) > 4 else 1
    rnd = random.Random(seed)
    n = int(round(rate * seconds))
    trig = [0.0] * n
    prime = [-1.0] * n
    reset = [0.0] * n
    start = int(0.05 * rate)
    pos = start
    if dense:
        for p in range(start, n, dense):
            trig[p] = 1.0
    else:
        while pos < n:
            trig[pos] = 1.0
            if rnd.random() < 0.15:  # a burst: 2..4 more triggers 3 samples apart
                for k in range(1, rnd.randint(3, 5)):
                    if pos + 3 * k < n:
                        trig[pos + 3 * k] = 1.0
                pos += 12
            pos += rnd.randint(300, 4000)
        # teacher forcing stretches, and one out-of-range prime
        p = start
        while p < n:
            length = rnd.randint(2000, 9000)
            r = rnd.random()
            value = -1.0
            if r < 0.3:
                value = float(rnd.randrange(vocab))
            elif r < 0.36:
                value = float(vocab + 5)
            for i in range(p, min(n, p + length)):
                prime[i] = value
            p += length
        reset[int(0.45 * n)] = 1.0
    frames = []
    for i in range(n):
        frames += [trig[i], prime[i], reset[i]]
    wavio.write_wav(out, frames, rate, channels=3)
    print(f"{sum(1 for i in range(n) if trig[i] > 0)} triggers in {n} samples")


if __name__ == "__main__":
    main()
