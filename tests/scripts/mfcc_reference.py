#!/usr/bin/python3
"""Independent numpy reference for the frame features of corpus-tools/DESCRIPTORS.md.

Written from the definitions in DESCRIPTORS.md (not from cs_frames.c): a straightforward float64
implementation with dense matrices, a direct STFT via numpy.fft.rfft, and cumulative sums. It writes

  tests/fixtures/mfcc_signal.bin    the test signal: n_samples raw little-endian float32 samples
  tests/fixtures/mfcc_expected.bin  little-endian float64: a header of 16 values
                                      [0] magic 1296452419 (ASCII "CMFC" read as an int)  [1] version 1
                                      [2] sample_rate  [3] n_samples  [4] fft_size  [5] hop  [6] n_mels
                                      [7] mel_fmin  [8] mel_fmax  [9] rolloff  [10] n_frames  [11] n_cols
                                      [12..15] 0
                                    then n_frames rows of n_cols values:
                                      rms, peak, centroid, spread, flatness, rolloff, flux, zcr,
                                      log mel energies L_0..L_{n_mels-1}, mfcc c_0..c_12,
                                      YIN f0 (Hz, 0 = unvoiced), YIN confidence

YIN is included too (f0 and confidence), with the difference function summed directly, O(W tau_max).
Both sides read the same float32 samples, so differences come only from arithmetic (the C side uses
float32 FFTs). tests/c/test_mfcc.c compares against this file.

The signal (0.75 s at 48 kHz, deterministic: numpy PCG64 with seed 20240611): seeded Gaussian noise at
-40 dBFS everywhere except a digital-silence gap, an exponential chirp 100 Hz -> 8 kHz (0.0 - 0.4 s), a
harmonic tone of 220 Hz with 8 partials (0.35 - 0.75 s), a click at 0.5 s, and exact zeros from 0.60 s to
0.68 s (longer than a frame plus a hop, so some frames are fully silent and test the log floor).

Usage: /usr/bin/python3 tests/scripts/mfcc_reference.py [fixture_dir]
"""
import os
import sys

import numpy as np

SR = 48000
N_FFT = 2048
HOP = 512
N_MELS = 40
FMIN = 20.0
FMAX = 16000.0
ROLLOFF = 0.85
N_MFCC = 13
FLUX_LAMBDA = 1000.0
POWER_FLOOR = 1e-10
MEL_FLOOR = 1e-10
SILENT_RMS = 1e-7
YIN_THRESHOLD = 0.15
F0_MIN = 50.0
F0_MAX = 2000.0
YIN_SILENT_RMS = 1e-7
MAGIC = 1296452419
SEED = 20240611


def make_signal():
    rng = np.random.default_rng(SEED)
    n = int(0.75 * SR)
    t = np.arange(n) / SR
    x = 0.01 * rng.standard_normal(n)
    # exponential chirp 100 Hz -> 8 kHz over 0.4 s, amplitude 0.3
    T = 0.4
    f0, f1 = 100.0, 8000.0
    k = np.log(f1 / f0) / T
    ch = 0.3 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)
    ch[t >= T] = 0.0
    x += ch
    # harmonic tone, 220 Hz, partials 1/h, 10 ms linear fade-in at 0.35 s
    tone = sum(np.sin(2 * np.pi * 220.0 * h * t + 0.3 * h) / h for h in range(1, 9))
    env = np.clip((t - 0.35) / 0.01, 0.0, 1.0)
    x += 0.2 * tone * env
    x[int(0.5 * SR)] += 0.8  # a click
    x[int(0.60 * SR):int(0.68 * SR)] = 0.0  # digital silence
    return x.astype(np.float32)


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3.0)
    log = 15.0 + np.log(np.maximum(f, 1e-300) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f < 1000.0, lin, log)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    lin = m * (200.0 / 3.0)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m < 15.0, lin, log)


def mel_filterbank():
    """Dense (n_mels, K) Slaney triangles with area normalisation, per DESCRIPTORS.md."""
    K = N_FFT // 2 + 1
    fk = np.arange(K) * SR / N_FFT
    edges = mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2))
    W = np.zeros((N_MELS, K))
    for m in range(N_MELS):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (fk - lo) / (c - lo)
        down = (hi - fk) / (hi - c)
        W[m] = np.maximum(0.0, np.minimum(up, down)) * 2.0 / (hi - lo)
    return W


def dct_matrix():
    m = np.arange(N_MELS)
    D = np.zeros((N_MFCC, N_MELS))
    for q in range(N_MFCC):
        s = np.sqrt((1.0 if q == 0 else 2.0) / N_MELS)
        D[q] = s * np.cos(np.pi * q * (2 * m + 1) / (2 * N_MELS))
    return D


def yin_frame(x, c):
    """YIN per DESCRIPTORS.md, with the difference function summed directly (no FFT)."""
    tmin = max(2, int(np.floor(SR / F0_MAX)))
    tmax = int(np.ceil(SR / F0_MIN))
    W = 64
    while W <= tmax:
        W *= 2
    a = np.zeros(2 * W)
    lo, hi = max(0, c - W), min(len(x), c + W)
    if hi > lo:
        a[lo - (c - W):hi - (c - W)] = x[lo:hi]
    if np.sum(a * a) <= 2 * W * YIN_SILENT_RMS ** 2:
        return 0.0, 0.0
    d = np.array([np.sum((a[:W] - a[t:t + W]) ** 2) for t in range(tmax + 2)])
    cum = np.cumsum(d)  # cum[t] = sum_{j=1}^{t} d(j) since d(0) = 0
    dn = np.ones(tmax + 2)
    nz = cum[1:] > 0
    dn[1:][nz] = d[1:][nz] * np.arange(1, tmax + 2)[nz] / cum[1:][nz]
    for t in range(tmin, tmax + 1):
        if dn[t] < YIN_THRESHOLD:
            while t + 1 <= tmax and dn[t + 1] < dn[t]:
                t += 1
            den = d[t - 1] - 2 * d[t] + d[t + 1]
            delta = float(np.clip(0.5 * (d[t - 1] - d[t + 1]) / den, -0.5, 0.5)) if den > 0 else 0.0
            return SR / (t + delta), float(np.clip(1.0 - dn[t], 0.0, 1.0))
    return 0.0, float(np.clip(1.0 - dn[tmin:tmax + 1].min(), 0.0, 1.0))


def analyze(x32):
    x = x32.astype(np.float64)
    n = len(x)
    K = N_FFT // 2 + 1
    n_frames = n // HOP + 1
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    fk = np.arange(K) * SR / N_FFT
    pad = np.concatenate([np.zeros(N_FFT), x, np.zeros(N_FFT)])  # pad[j + N_FFT] = x[j]
    W = mel_filterbank()
    D = dct_matrix()
    rows = []
    L_prev = np.zeros(K)
    for i in range(n_frames):
        c = i * HOP
        seg = pad[c - N_FFT // 2 + N_FFT: c + N_FFT // 2 + N_FFT]
        X = np.fft.rfft(w * seg)
        P = np.abs(X) ** 2
        mag = np.abs(X)
        rms = np.sqrt(np.sum((w * seg) ** 2) / np.sum(w ** 2))
        a = max(0, c - HOP // 2)
        b = min(n, c - HOP // 2 + HOP)
        peak = np.max(np.abs(x[a:b])) if b > a else 0.0
        if rms < SILENT_RMS:
            centroid = spread = roll = 0.0
        else:
            centroid = np.sum(fk * mag) / np.sum(mag)
            spread = np.sqrt(np.sum((fk - centroid) ** 2 * mag) / np.sum(mag))
            cum = np.cumsum(P)
            kr = int(np.argmax(cum >= ROLLOFF * cum[-1]))
            roll = fk[kr]
        Pf = np.maximum(P, POWER_FLOOR)
        flat = min(1.0, np.exp(np.mean(np.log(Pf))) / np.mean(Pf))
        A = 2.0 * mag / np.sum(w)
        L = np.log1p(FLUX_LAMBDA * A)
        flux = np.sum(np.maximum(0.0, L - L_prev)) / K
        L_prev = L
        a = max(0, c - N_FFT // 2)
        b = min(n, c + N_FFT // 2)
        if b - a >= 2:
            neg = x[a:b] < 0.0
            zcr = np.count_nonzero(neg[1:] != neg[:-1]) * SR / (b - a - 1)
        else:
            zcr = 0.0
        E = W @ P
        Lm = np.log(np.maximum(E, MEL_FLOOR))
        mfcc = D @ Lm
        f0, conf = yin_frame(x, c)
        rows.append(np.concatenate([[rms, peak, centroid, spread, flat, roll, flux, zcr], Lm, mfcc, [f0, conf]]))
    return np.array(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fixtures")
    x = make_signal()
    feats = analyze(x)
    n_frames, n_cols = feats.shape
    header = np.zeros(16)
    header[:12] = [MAGIC, 1, SR, len(x), N_FFT, HOP, N_MELS, FMIN, FMAX, ROLLOFF, n_frames, n_cols]
    x.astype("<f4").tofile(os.path.join(out_dir, "mfcc_signal.bin"))
    np.concatenate([header, feats.ravel()]).astype("<f8").tofile(os.path.join(out_dir, "mfcc_expected.bin"))
    print(f"{len(x)} samples, {n_frames} frames x {n_cols} columns; "
          f"c0 range {feats[:, -15].min():.3f}..{feats[:, -15].max():.3f}, voiced {np.count_nonzero(feats[:, -2])}")


if __name__ == "__main__":
    main()
