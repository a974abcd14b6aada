"""Writes the diffusion parity fixtures (run with Debian's /usr/bin/python3, torch 1.13):

    /usr/bin/python3 core/src/test/python/gen_diffusion_parity.py

Output: core/src/test/resources/fixtures/diffusion-parity/*.npy, read by
ai.igspark.diffusion.DiffusionParityTest. Every input the Java side needs (weights, data, draws,
noise) is stored, so the Java test never reproduces a random generator.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diffusion_reference as ref  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures",
                   "diffusion-parity")

C, H, W, HIDDEN, K = 2, 4, 4, 16, 3   # channels, height, width, hidden, classes (null id = K)
N = 4                                  # batch
GLOBAL_BATCH = 6                       # loss normaliser != N on purpose
LAM = 0.5


def save(name, t):
    a = t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t)
    np.save(os.path.join(OUT, name + ".npy"), a)


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20260127)
    weights = ref.TinyTwoHeadNet.random_weights(C, HIDDEN, K, H, W, gen)
    for k, v in weights.items():
        save("net." + k, v)
    net = ref.TinyTwoHeadNet(weights)

    # (a) loss with injected t / noise / dropout, both conventions
    x0 = torch.randn(N, C, H, W, generator=gen)
    y = torch.tensor([0, 2, 1, 2], dtype=torch.int64)
    t = torch.rand(N, generator=gen)
    noise = torch.randn(N, C, H, W, generator=gen)
    drop = torch.tensor([False, True, False, False])
    save("loss.x0", x0); save("loss.y", y); save("loss.t", t); save("loss.noise", noise)
    save("loss.drop", drop.to(torch.uint8))  # Npy reads u1, not bool
    total, per = ref.sit_loss(net, x0, y, t, noise, drop, K, LAM, GLOBAL_BATCH)
    save("loss.sit.total", total.reshape(1)); save("loss.sit.per_sample", per)
    total, per = ref.lightningdit_loss(net, x0, y, t, noise, drop, K, LAM, GLOBAL_BATCH)
    save("loss.lightningdit.total", total.reshape(1)); save("loss.lightningdit.per_sample", per)

    # (b) samplers with IG, CFG and both (SiT time, net in SiT convention)
    x_init = torch.randn(N, C, H, W, generator=gen)
    ys = torch.tensor([1, 0, 2, 1], dtype=torch.int64)
    save("sample.x_init", x_init); save("sample.y", ys)
    # interval ends lie between grid points: a bound exactly on a grid point is decided by
    # float rounding, differently in float64 (here) and float32 (Java)
    guidances = {
        "ig": dict(ig=1.7, ig_lo=0.35, ig_hi=1.0, cfg=1.0, cfg_lo=0.0, cfg_hi=1.0),
        "cfg": dict(ig=1.0, ig_lo=0.0, ig_hi=1.0, cfg=2.0, cfg_lo=0.0, cfg_hi=0.65),
        "both": dict(ig=1.4, ig_lo=0.0, ig_hi=1.0, cfg=1.35, cfg_lo=0.0, cfg_hi=0.65),
    }
    euler_steps, heun_steps, sde_steps = 10, 10, 12
    sde_noise = torch.randn(sde_steps - 1, N, C, H, W, generator=gen)
    save("sample.sde_noise", sde_noise)
    with torch.no_grad():
        for gname, g in guidances.items():
            save(f"sample.ode-euler.{gname}", ref.ode_euler(net, x_init, ys, K, g, euler_steps))
            save(f"sample.ode-heun.{gname}", ref.ode_heun(net, x_init, ys, K, g, heun_steps))
            save(f"sample.sde-em.{gname}",
                 ref.sde_em(net, x_init, ys, K, g, sde_steps, sde_noise))
        # the official step count, to show a float32 state is enough over 250 noisy steps
        long_noise = torch.randn(249, N, C, H, W, generator=gen)
        save("sample.sde_noise_250", long_noise)
        save("sample.sde-em.both.250",
             ref.sde_em(net, x_init, ys, K, guidances["both"], 250, long_noise))
        # LightningDiT: the same weights read as a LightningDiT-time net, heun2 over 13 grid
        # points with shift 0.3, IG at all t, CFG only for LightningDiT t >= 0.19
        g_ld = dict(ig=1.4, ig_lo=0.0, ig_hi=1.0, cfg=1.45, cfg_lo=0.19, cfg_hi=1.0)
        save("sample.ode-heun2.lightningdit",
             ref.lightningdit_heun2(net, x_init, ys, K, g_ld, 13, 0.3))

    # (c) two AdamW steps and two Muon steps on mixed-shape tensors
    shapes = {"a.weight": (8, 4), "b.weight": (4, 12), "conv.weight": (6, 3, 2, 2), "b.bias": (5,)}
    params0 = {k: torch.randn(*s, generator=gen) for k, s in shapes.items()}
    grads = [{k: torch.randn(*s, generator=gen) for k, s in shapes.items()} for _ in range(2)]
    for k in shapes:
        save(f"optim.param.{k}", params0[k])
        for i in range(2):
            save(f"optim.grad{i + 1}.{k}", grads[i][k])
    # AdamW: lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0.05
    params = {k: v.clone() for k, v in params0.items()}
    state = {k: (torch.zeros_like(v), torch.zeros_like(v)) for k, v in params.items()}
    for i in range(2):
        for k in params:
            ref.adamw_step(params[k], grads[i][k], *state[k], i + 1, 1e-3, (0.9, 0.999), 1e-8, 0.05)
        for k in params:
            save(f"optim.adamw.step{i + 1}.{k}", params[k])
    # Muon: lr 0.02, momentum 0.95, wd 0.01; Adam group betas (0.9, 0.95), eps 1e-8
    params = {k: v.clone() for k, v in params0.items()}
    mstate = {}
    for i in range(2):
        ref.muon_step(params, grads[i], mstate, 0.02)
        for k in params:
            save(f"optim.muon.step{i + 1}.{k}", params[k])
    print("wrote", len(os.listdir(OUT)), "files to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
