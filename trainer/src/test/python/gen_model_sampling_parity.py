"""Writes the sampler and optimizer parity fixtures for the REAL tiny IG models (run with Debian's
/usr/bin/python3, torch 1.13):

    /usr/bin/python3 trainer/src/test/python/gen_model_sampling_parity.py

The weights are the random non-zero ones of fixtures/model-parity/<model>/state.npz (official
names, written by gen_model_parity.py), the network is ig_reference.IgNet, the samplers, loss and
optimizers are diffusion_reference's. Output per model, under
trainer/src/test/resources/fixtures/model-sampling-parity/<model>/:

  sample.x_init.npy sample.y.npy sample.sde_noise.npy     sampler inputs (2 samples)
  sample.<sampler>.<guidance>.npy                          final latents, SiT time, 5 steps
  sample.ode-heun2.lightningdit.npy                        (LightningDiT only) in its own time
  loss.{x0,y,t,noise,drop}.npy                             a fixed IG-loss batch and its draws
  grads.npz        gradients of that loss (the model's own convention and loss) for the
                   optimizer parameters below
  adamw.npz        those parameters after one AdamW step with grads.npz injected
  muon.npz         those parameters after one Muon step with grads.npz injected

The optimizer parameters are the embedders, block 0 and both final layers: every distinct
parameter shape and kind of the model (blocks 1.. repeat block 0's shapes), about half of the
trainable floats, which keeps the fixtures under 1 MB. The gradients are injected rather than
recomputed in Java because Adam's first step is g/(|g| + eps): a gradient that is zero in exact
arithmetic but ~1e-9 in float32 (SiT's attention key bias: softmax ignores a per-query constant)
would make the step differ by a good fraction of lr between any two implementations.
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
# The reference modules and the model fixtures live with the core module's tests.
CORE_TESTS = os.path.join(HERE, "..", "..", "..", "..", "core", "src", "test")
sys.path.insert(0, os.path.join(CORE_TESTS, "python"))
import diffusion_reference as ref  # noqa: E402
from gen_model_parity import CONFIGS  # noqa: E402
from ig_reference import IgNet  # noqa: E402

FIXTURES = os.path.join(HERE, "..", "resources", "fixtures")
OUT = os.path.join(FIXTURES, "model-sampling-parity")

N = 2                 # samples
STEPS = 5             # ode-euler, ode-heun, ode-heun2 steps; sde-em takes STEPS + 1 evaluations
SDE_STEPS = STEPS + 1
LAM = 0.5
GLOBAL_BATCH = 4      # loss normaliser != batch on purpose
ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, wd=0.05)
MUON_LR = 0.02

# Interval ends lie between grid points (see gen_diffusion_parity.py): SiT-time grids here are
# {1, .8, .6, .4, .2, 0} and {1, .808, .616, .424, .232, .04, 0}.
GUIDANCES = {
    "ig": dict(ig=1.7, ig_lo=0.35, ig_hi=1.0, cfg=1.0, cfg_lo=0.0, cfg_hi=1.0),
    "cfg": dict(ig=1.0, ig_lo=0.0, ig_hi=1.0, cfg=2.0, cfg_lo=0.0, cfg_hi=0.65),
    "both": dict(ig=1.4, ig_lo=0.0, ig_hi=1.0, cfg=1.35, cfg_lo=0.0, cfg_hi=0.65),
}
# LightningDiT heun2 in its own time: IG everywhere, CFG for t_ld >= 0.19 (shifted grid
# {0, .070, .167, .310, .545, 1}).
GUIDANCE_LD = dict(ig=1.4, ig_lo=0.0, ig_hi=1.0, cfg=1.45, cfg_lo=0.19, cfg_hi=1.0)
SHIFT = 0.3


def optimizer_params(names, depth):
    later_blocks = tuple(f"blocks.{i}." for i in range(1, depth))
    return [n for n in names if not n.startswith(later_blocks)]


def save(d, name, t):
    a = t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t)
    np.save(os.path.join(d, name + ".npy"), a)


def load_model(name, cfg):
    model = IgNet(cfg).eval()
    state = np.load(os.path.join(CORE_TESTS, "resources", "fixtures", "model-parity", name, "state.npz"))
    model.load_state_dict({k: torch.from_numpy(state[k]) for k in state.files})
    return model


def sampling(d, model, cfg, gen):
    k = cfg["num_classes"]
    lightning = cfg["family"] == "lightningdit"
    sit_net = ref.sit_time(model) if lightning else model
    c, s = cfg["in_channels"], cfg["input_size"]
    x_init = torch.randn(N, c, s, s, generator=gen)
    y = torch.tensor([3, 8], dtype=torch.int64)
    noise = torch.randn(SDE_STEPS - 1, N, c, s, s, generator=gen)
    save(d, "sample.x_init", x_init)
    save(d, "sample.y", y)
    save(d, "sample.sde_noise", noise)
    with torch.no_grad():
        for gname, g in GUIDANCES.items():
            outs = {
                "ode-euler": ref.ode_euler(sit_net, x_init, y, k, g, STEPS),
                "ode-heun": ref.ode_heun(sit_net, x_init, y, k, g, STEPS),
                "sde-em": ref.sde_em(sit_net, x_init, y, k, g, SDE_STEPS, noise),
            }
            for sampler, out in outs.items():
                save(d, f"sample.{sampler}.{gname}", out)
                print(f"  {sampler}.{gname}: |x| max {float(out.abs().max()):.3f}")
        if lightning:
            out = ref.lightningdit_heun2(model, x_init, y, k, GUIDANCE_LD, STEPS + 1, SHIFT)
            save(d, "sample.ode-heun2.lightningdit", out)
            print(f"  ode-heun2.lightningdit: |x| max {float(out.abs().max()):.3f}")


def optimizers(d, model, cfg, gen):
    k = cfg["num_classes"]
    c, s = cfg["in_channels"], cfg["input_size"]
    x0 = torch.randn(3, c, s, s, generator=gen)
    y = torch.tensor([1, 9, 4], dtype=torch.int64)
    t = torch.rand(3, generator=gen)
    noise = torch.randn(3, c, s, s, generator=gen)
    drop = torch.tensor([False, True, False])
    for key, v in [("x0", x0), ("y", y), ("t", t), ("noise", noise),
                   ("drop", drop.to(torch.uint8))]:
        save(d, "loss." + key, v)
    if cfg["family"] == "lightningdit":
        total, _ = ref.lightningdit_loss(model, x0, y, t, noise, drop, k, LAM, GLOBAL_BATCH)
    else:
        total, _ = ref.sit_loss(model, x0, y, t, noise, drop, k, LAM, GLOBAL_BATCH)
    model.zero_grad()
    total.backward()
    params = dict(model.named_parameters())
    names = optimizer_params([n for n, p in params.items() if p.requires_grad], cfg["depth"])
    grads = {n: params[n].grad.detach().clone() for n in names}
    np.savez(os.path.join(d, "grads.npz"), **{n: g.numpy() for n, g in grads.items()})

    with torch.no_grad():
        p = {n: params[n].detach().clone() for n in names}
        for n in names:
            m, v = torch.zeros_like(p[n]), torch.zeros_like(p[n])
            ref.adamw_step(p[n], grads[n], m, v, 1, ADAMW["lr"], ADAMW["betas"], ADAMW["eps"],
                           ADAMW["wd"])
        np.savez(os.path.join(d, "adamw.npz"), **{n: a.numpy() for n, a in p.items()})
        p = {n: params[n].detach().clone() for n in names}
        ref.muon_step(p, grads, {}, MUON_LR)
        np.savez(os.path.join(d, "muon.npz"), **{n: a.numpy() for n, a in p.items()})
    print(f"  loss {float(total):.4f}, {len(names)} optimizer parameters, "
          f"{sum(g.numel() for g in grads.values())} floats, "
          f"|g| max {max(float(g.abs().max()) for g in grads.values()):.4f}")


def main():
    for name, (cfg, _) in CONFIGS.items():
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        gen = torch.Generator().manual_seed(4321 + len(name))
        model = load_model(name, cfg)
        print(name)
        sampling(d, model, cfg, gen)
        optimizers(d, model, cfg, gen)
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {total / 1024:.0f} kB to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
