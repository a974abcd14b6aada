"""PyTorch side of `igspark bench step` (docs/benchmarks/step.md). Runs on Debian's
/usr/bin/python3 (python3-torch, torch 1.13) next to ig_reference.py.

  trace  WEIGHTS OUT --batch N   load igspark's exported safetensors into ig_reference.IgNet
                                 (official names, strict) and save torch.jit.trace(x, t, y) ->
                                 (v_final, v_intermediate) to OUT
  eager  WEIGHTS --batch N --threads T --warmup W --reps R
                                 time IG training steps in eager mode (forward, the SiT IG loss of
                                 ai.igspark.diffusion.IgLoss, backward, clip 1.0, AdamW) and print
                                 one JSON line: step wall and CPU seconds, torch version and its
                                 build configuration
"""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ig_reference import IgNet  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    # The format is an 8-byte little-endian header length, a JSON header, then raw tensors;
    # Debian has no python3-safetensors, and numpy reads it in a few lines.
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, meta


def load_model(weights):
    state, meta = read_safetensors(weights)
    cfg = json.loads(meta["igspark.model_config"])
    model = IgNet(cfg)
    model.load_state_dict(state, strict=True)
    return model, cfg


def example_inputs(cfg, n, gen):
    s, c, k = cfg["input_size"], cfg["in_channels"], cfg["num_classes"]
    x = torch.randn(n, c, s, s, generator=gen)
    t = torch.rand(n, generator=gen)
    y = torch.randint(0, k, (n,), generator=gen)
    return x, t, y


def trace(args):
    model, cfg = load_model(args.weights)
    x, t, y = example_inputs(cfg, args.batch, torch.Generator().manual_seed(0))
    traced = torch.jit.trace(model, (x, t, y))
    traced.save(args.out)
    print(json.dumps({"traced": args.out, "torch": torch.__version__}))


def eager(args):
    torch.set_num_threads(args.threads)
    model, cfg = load_model(args.weights)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]  # pos_embed stays frozen
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    gen = torch.Generator().manual_seed(0)
    n, k = args.batch, cfg["num_classes"]
    x0, _, y = example_inputs(cfg, n, gen)

    def step():
        # docs/METHOD.md §2.3, SiT track, as ai.igspark.diffusion.IgLoss computes it.
        t = torch.rand(n, generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        drop = torch.rand(n, generator=gen) < 0.1
        tb = t.view(n, 1, 1, 1)
        xt = (1 - tb) * x0 + tb * noise
        target = noise - x0
        y_in = torch.where(drop, torch.full_like(y, k), y)
        v_final, v_inter = model(xt, t, y_in)
        l_final = (v_final - target).pow(2).reshape(n, -1).mean(1)
        l_inter = (v_inter - target).pow(2).reshape(n, -1).mean(1)
        loss = (l_final + 0.5 * l_inter).sum() / n
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        return float(loss)

    for _ in range(args.warmup):
        step()
    seconds, cpu_seconds = [], []
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()  # process CPU: every thread
        step()
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
    print(json.dumps({
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "torch": torch.__version__,
        "config": torch.__config__.show(),
    }))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("trace")
    t.add_argument("weights")
    t.add_argument("out")
    t.add_argument("--batch", type=int, required=True)
    e = sub.add_parser("eager")
    e.add_argument("weights")
    e.add_argument("--batch", type=int, required=True)
    e.add_argument("--threads", type=int, required=True)
    e.add_argument("--warmup", type=int, default=1)
    e.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    trace(args) if args.mode == "trace" else eager(args)


if __name__ == "__main__":
    main()
