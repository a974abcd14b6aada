"""Writes the fixture of the `igspark bench step` smoke test (StepBenchmarkTest), which runs
without Python: trainer/src/test/resources/fixtures/step-bench/

  weights.safetensors   sit-tiny weights, float32, official names, random non-zero values, the
                        model config in the metadata as igspark exports it ({"preset": ...})
  sit-tiny-ig.pt        torch.jit.trace of ig_reference.IgNet with those weights:
                        (x, t, y) -> (v_final, v_intermediate), traced at batch 2

Run with Debian's python (torch 1.13):
    /usr/bin/python3 trainer/src/test/python/gen_step_torchscript.py
The benchmark itself traces at run time with step_torch.py
(trainer/src/main/resources/ai/igspark/bench).
"""
import json
import os
import sys

import numpy as np
import torch

# ig_reference.py lives with the core module's tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                "core", "src", "test", "python"))
from gen_model_parity import CONFIGS, randomize  # noqa: E402
from ig_reference import IgNet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "fixtures", "step-bench")


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        b = t.detach().float().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset,
                                                                                 offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    cfg, _ = CONFIGS["sit-tiny"]
    torch.manual_seed(0)
    model = IgNet(cfg).eval()
    randomize(model, torch.Generator().manual_seed(99))
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "weights.safetensors"), model.state_dict(),
                      {"format": "pt", "igspark.model_config": json.dumps({"preset": "sit-tiny"})})
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, cfg["in_channels"], cfg["input_size"], cfg["input_size"], generator=gen)
    t = torch.rand(2, generator=gen)
    y = torch.randint(0, cfg["num_classes"], (2,), generator=gen)
    torch.jit.trace(model, (x, t, y)).save(os.path.join(OUT, "sit-tiny-ig.pt"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
