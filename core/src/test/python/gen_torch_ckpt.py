"""Writes small torch.save checkpoints for TorchCheckpointTest (run with Debian's /usr/bin/python3,
torch 1.13). Values are deterministic so the test can recompute them without python.

  ckpt.pt       {"model": OrderedDict, "ema": OrderedDict, "steps": 3, "args": {...}}
  bare.pt       a bare OrderedDict state dict
  unknown.pt    holds a torch.ComplexFloatStorage-backed tensor (unsupported type)
  extras.pt     {"model": ..., "args": argparse.Namespace, "np": numpy scalar, "arr": numpy
                array}: metadata of classes the reader does not know, as official checkpoints
                carry
  values.json   the expected tensors (dtype, shape, values as float/int lists)
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "resources", "fixtures", "torch")
os.makedirs(out, exist_ok=True)


def ramp(n, scale=0.25, offset=-1.0):
    return torch.arange(n, dtype=torch.float32) * scale + offset


base = ramp(24).reshape(4, 6)
model = collections.OrderedDict()
model["x_embedder.proj.weight"] = ramp(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)  # F32
model["blocks.0.attn.qkv.weight"] = base.t()  # non-contiguous (transposed view), F32 [6,4]
model["blocks.0.attn.qkv.bias"] = base.reshape(-1)[5:11]  # storage offset 5, shares base's storage
model["half"] = ramp(6, 0.5, -1.5).half()  # F16
model["bf"] = ramp(5, 0.125, 0.3).bfloat16()  # BF16
model["index"] = torch.tensor([3, -2, 1 << 40], dtype=torch.int64)  # I64
model["counts"] = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
model["mask"] = torch.tensor([True, False, True])
model["scalar"] = torch.tensor(2.5, dtype=torch.float64)

ema = collections.OrderedDict()
ema["x_embedder.proj.weight"] = model["x_embedder.proj.weight"]  # same tensor: shared storage
ema["blocks.0.attn.qkv.weight"] = (base * 2).t().contiguous()
ema["half"] = model["half"] * 2

torch.save({"model": model, "ema": ema, "steps": 3, "args": {"model": "SiT-XS/2", "lr": 1e-4}},
           os.path.join(out, "ckpt.pt"))
torch.save(model, os.path.join(out, "bare.pt"))
torch.save({"model": {"w": torch.zeros(2, dtype=torch.complex64)}},
           os.path.join(out, "unknown.pt"))
torch.save({"model": collections.OrderedDict(w=torch.arange(3, dtype=torch.float32)),
            "args": argparse.Namespace(model="SiT-XL/2", lr=1e-4, epochs=80),
            "np": np.float64(1.5), "arr": np.arange(3)},
           os.path.join(out, "extras.pt"))


def describe(t):
    dtype = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL",
             torch.float64: "F64"}[t.dtype]
    c = t.contiguous()
    values = c.float().reshape(-1).tolist() if t.is_floating_point() else \
        c.long().reshape(-1).tolist()
    return {"dtype": dtype, "shape": list(t.shape), "values": values}


expected = {"model": {k: describe(v) for k, v in model.items()},
            "ema": {k: describe(v) for k, v in ema.items()}}
with open(os.path.join(out, "values.json"), "w") as f:
    json.dump(expected, f, indent=1)
