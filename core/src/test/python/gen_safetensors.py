"""Writes a small safetensors file by hand (there is no safetensors package here), following the
format: u64 little-endian header length, JSON header (padded with spaces to 8 bytes), raw data.
Run with Debian's /usr/bin/python3. Also writes python.json with the values the test expects.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "resources", "fixtures", "safetensors")
os.makedirs(out, exist_ok=True)

ramp = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.37 - 1.1
tensors = {
    "f32": ("F32", ramp.shape, ramp.astype("<f4").tobytes()),
    "f16": ("F16", ramp.shape, ramp.astype("<f2").tobytes()),
    # bfloat16 via torch (round to nearest even), stored as the raw 16-bit patterns
    "bf16": ("BF16", ramp.shape,
             torch.from_numpy(ramp).bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()),
    "f64": ("F64", (2,), np.array([1e-300, -2.5], dtype="<f8").tobytes()),
    "i64": ("I64", (3,), np.array([1 << 40, -7, 0], dtype="<i8").tobytes()),
    "i32": ("I32", (2, 1), np.array([[5], [-5]], dtype="<i4").tobytes()),
    "u8": ("U8", (4,), np.array([0, 1, 128, 255], dtype="u1").tobytes()),
    "empty": ("F32", (0, 3), b""),
    "scalar": ("F32", (), np.array(4.5, dtype="<f4").tobytes()),
}
header = {"__metadata__": {"format": "pt", "writer": "gen_safetensors.py"}}
offset = 0
data = b""
for name, (dtype, shape, raw) in tensors.items():
    header[name] = {"dtype": dtype, "shape": list(shape),
                    "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    data += raw
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(os.path.join(out, "python.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)

expected = {
    "f32": ramp.reshape(-1).tolist(),
    "f16": ramp.astype(np.float16).astype(np.float32).reshape(-1).tolist(),
    "bf16": torch.from_numpy(ramp).bfloat16().float().reshape(-1).tolist(),
}
with open(os.path.join(out, "python.json"), "w") as f:
    json.dump(expected, f, indent=1)
