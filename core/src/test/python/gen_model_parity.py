"""Writes the model parity fixtures under
core/src/test/resources/fixtures/model-parity/<name>/:

  model.yaml          the igspark model config (a preset plus overrides)
  state.npz           every state-dict entry, float32, official names (random NON-ZERO weights,
                      so zero-initialised heads cannot hide bugs)
  x.npy t.npy y.npy   a small batch of inputs (y holds the null class too)
  v_final.npy v_intermediate.npy   the reference outputs of ig_reference.IgNet
  grads.npz           gradients of L = mean(v_final²) + 0.5·mean(v_intermediate²) for a few
                      parameters (checks backward through both heads)
  checkpoint.pt       torch.save({"model": other weights, "ema": the state above, "steps": 7})

Run with Debian's python (torch 1.13):  /usr/bin/python3 core/src/test/python/gen_model_parity.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ig_reference import IgNet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "fixtures", "model-parity")

# Must match ai.igspark.model.Presets (sit-tiny, lightningdit-tiny) plus the overrides below.
CONFIGS = {
    "sit-tiny": (
        dict(family="sit", input_size=8, in_channels=4, patch_size=2, hidden_size=32, depth=3,
             num_heads=2, mlp_ratio=4.0, num_classes=10, ig_depth=1),
        "preset: sit-tiny\n",
    ),
    # qk_norm on, ig_depth 2: exercises the q/k RMSNorm and a head in the middle of the stack.
    "lightningdit-tiny": (
        dict(family="lightningdit", input_size=4, in_channels=8, patch_size=1, hidden_size=32,
             depth=3, num_heads=2, mlp_ratio=4.0, num_classes=10, ig_depth=2, qk_norm=True,
             rope=True, swiglu_hidden_size=int(2 / 3 * int(32 * 4.0))),
        "preset: lightningdit-tiny\nqk_norm: true\nig_depth: 2\n",
    ),
}

GRAD_KEYS = [
    "x_embedder.proj.weight", "y_embedder.embedding_table.weight", "t_embedder.mlp.0.weight",
    "blocks.0.attn.qkv.weight", "blocks.0.attn.q_norm.weight", "blocks.1.norm1.weight",
    "blocks.1.mlp.fc1.bias", "blocks.0.mlp.w12.weight", "blocks.2.adaLN_modulation.1.weight",
    "final_layer.adaLN_modulation.1.bias", "final_layer_xr.linear.weight",
    "final_layer_xr.norm_final.weight",
]


def randomize(model, gen):
    """Non-zero random values for every trainable parameter; frozen pos_embed and buffers keep
    their computed values."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "pos_embed":
                continue
            if name.endswith("norm_final.weight") or ".norm" in name or "_norm." in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif "embedding_table" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / np.sqrt(fan_in))


def main():
    for name, (cfg, yaml_text) in CONFIGS.items():
        torch.manual_seed(0)
        gen = torch.Generator().manual_seed(1234 + len(name))
        model = IgNet(cfg).eval()
        randomize(model, gen)
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.yaml"), "w") as f:
            f.write(yaml_text)

        n = 3
        x = torch.randn(n, cfg["in_channels"], cfg["input_size"], cfg["input_size"], generator=gen)
        t = torch.tensor([0.0, 0.37, 1.0], dtype=torch.float32)
        y = torch.tensor([0, 7, cfg["num_classes"]], dtype=torch.int64)  # last row: null class
        v_final, v_inter = model(x, t, y)
        loss = v_final.pow(2).mean() + 0.5 * v_inter.pow(2).mean()
        loss.backward()
        params = dict(model.named_parameters())
        grads = {k: params[k].grad.numpy() for k in GRAD_KEYS if k in params}
        np.savez(os.path.join(d, "grads.npz"), **grads)
        v_final, v_inter = v_final.detach(), v_inter.detach()

        state = {k: v.detach().float().contiguous().numpy() for k, v in model.state_dict().items()}
        np.savez(os.path.join(d, "state.npz"), **state)
        for key, arr in [("x", x), ("t", t), ("y", y), ("v_final", v_final),
                         ("v_intermediate", v_inter)]:
            np.save(os.path.join(d, key + ".npy"), arr.numpy())

        other = {k: (v + 0.01 if v.is_floating_point() else v).clone()
                 for k, v in model.state_dict().items()}
        ema = {k: v.clone() for k, v in model.state_dict().items()}
        torch.save({"model": other, "ema": ema, "steps": 7}, os.path.join(d, "checkpoint.pt"))
        print(name, "params:", sum(v.size for k, v in state.items()),
              "|v_final| max", float(v_final.abs().max()),
              "|v_intermediate| max", float(v_inter.abs().max()))


if __name__ == "__main__":
    main()
