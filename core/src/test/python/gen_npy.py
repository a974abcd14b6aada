"""Fixtures for the npy/npz/half-precision tests, written by numpy (the reference).

Run with Debian's python: /usr/bin/python3 gen_npy.py  (writes ../resources/fixtures/npy/)
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures", "npy")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

np.save(os.path.join(out, "f4_2x3.npy"), np.arange(6, dtype=np.float32).reshape(2, 3) / 7)
np.save(os.path.join(out, "i8_5.npy"), np.array([-3, 0, 2, 2**40, 9], dtype=np.int64))
np.save(os.path.join(out, "u1_2x2x3.npy"), rng.integers(0, 256, (2, 2, 3), dtype=np.uint8))
np.save(os.path.join(out, "f8_scalar.npy"), np.float64(3.25))

# Half precision: every finite f16 bit pattern, its float32 value, and float32 inputs with their
# correctly rounded f16 bits (ties, subnormals, overflow), so Java's conversions are checked both ways.
all_bits = np.arange(0, 2**16, dtype=np.uint32).astype(np.uint16)
halves = all_bits.view(np.float16)
finite = np.isfinite(halves)
np.save(os.path.join(out, "f16_bits.npy"), all_bits[finite].view(np.int16))
np.save(os.path.join(out, "f16_as_f32.npy"), halves[finite].astype(np.float32))
probe = np.concatenate([
    rng.normal(0, 1, 2000).astype(np.float32),
    rng.normal(0, 1e-5, 500).astype(np.float32),     # subnormal range
    (rng.normal(0, 1, 500) * 60000).astype(np.float32),  # near/over the f16 max
    np.array([0.0, -0.0, 65504.0, 65519.0, 65520.0, 1 + 2**-11, 1 + 3 * 2**-11, 2**-24, 2**-25,
              2**-25 * 1.0000001, 5.960464477539063e-08], dtype=np.float32),
]).astype(np.float32)
np.save(os.path.join(out, "f32_probe.npy"), probe)
np.save(os.path.join(out, "f32_probe_as_f16_bits.npy"), probe.astype(np.float16).view(np.int16))

np.savez(os.path.join(out, "stats.npz"), mu=np.linspace(0, 1, 4), sigma=np.eye(4) * 2.0)
np.savez_compressed(os.path.join(out, "compressed.npz"), arr_0=np.arange(12, dtype=np.uint8).reshape(1, 2, 2, 3))
