"""Minimal RIFF/WAVE reader and writer for the tests (PCM16 and IEEE float32), independent of our C code.

The standard library's `wave` module does not read IEEE float WAV (format tag 3), which is what the bundle
and the model files use, so the tests carry this small reader of their own.
"""
import struct


def write_wav(path, frames, rate, channels=1, fmt="float"):
    """Write interleaved samples (a flat list or numpy array of floats) as float32 or 16-bit PCM WAV."""
    import numpy as np

    data = np.asarray(frames, dtype=np.float64).reshape(-1)
    if fmt == "float":
        payload = data.astype("<f4").tobytes()
        tag, bits = 3, 32
    else:
        payload = np.clip(np.round(data * 32767.0), -32768, 32767).astype("<i2").tobytes()
        tag, bits = 1, 16
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt_chunk) + 8 + len(payload)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk)
        f.write(b"data" + struct.pack("<I", len(payload)) + payload)


def read_wav(path):
    """Return (samples as numpy array shaped (frames, channels), rate, format tag, bits)."""
    import numpy as np

    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(blob):
        cid, size = blob[pos:pos + 4], struct.unpack("<I", blob[pos + 4:pos + 8])[0]
        body = blob[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
            if fmt[0] == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: real tag in the GUID
                fmt = (struct.unpack("<H", body[24:26])[0],) + fmt[1:]
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if tag == 3 and bits == 32:
        x = np.frombuffer(data, dtype="<f4")
    elif tag == 1 and bits == 16:
        x = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    else:
        raise ValueError(f"{path}: unsupported WAV format tag {tag} / {bits} bits")
    return x.reshape(-1, channels), rate, tag, bits
