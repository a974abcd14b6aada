"""Generates a tiny stand-in for the TorchScript Inception of docs/METRICS.md §7, and fixtures.

The stand-in has the extractor interface, not Inception's weights: forward(x) takes uint8 NCHW
images of any size and returns (pool [N,2048], spatial [N,2023], logits [N,1008]) in float32.
Outputs written to ../resources/fixtures/inception-standin/:

  standin.pt          the contract-conforming module (torch.jit.script, torch 1.13)
  wrong_shape.pt      same, but its pool output is [N,1000]: violates the contract
  reference.npz       arr_0: 48 uint8 images (48,32,32,3) NHWC  (an ADM-style reference batch)
  samples.npz         arr_0: 40 uint8 images (40,32,32,3) NHWC  (an ADM-style sample batch)
  expected.npz        pool/spatial/logits of the first 4 reference images (torch eager),
                      standin_sha256 (hex digits as uint8), the samples' pool mean and
                      pool/spatial covariance traces (for --save-stats), and
                      fid, sfid, is_mean, is_std, precision, recall of samples vs reference,
                      computed here in float64 from the torch features

Run: /usr/bin/python3 gen_inception_standin.py
"""
import hashlib
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "../resources/fixtures/inception-standin")


class InceptionStandIn(nn.Module):
    def __init__(self, pool_dim: int = 2048):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.branch = nn.Conv2d(16, 7, 1)  # the "Mixed_6d.branch1x1" stand-in, 7 channels kept
        self.pool_proj = nn.Linear(32, pool_dim)
        # bias-free classifier, low rank to keep the file small
        self.cls_a = nn.Parameter(torch.randn(pool_dim, 8) / 2.0)
        self.cls_b = nn.Parameter(torch.randn(8, 1008) * 3.0)

    def forward(self, x: torch.Tensor):
        x = (x.float() - 128.0) / 128.0  # ADM normalisation
        x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
        h = F.relu(self.conv(x))  # [N,16,32,32]
        s = F.relu(self.branch(F.adaptive_avg_pool2d(h, 17)))  # [N,7,17,17]
        spatial = s.permute(0, 2, 3, 1).reshape(s.shape[0], 17 * 17 * 7)  # HWC order
        g = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
        pool = F.relu(self.pool_proj(g))
        logits = pool @ (self.cls_a @ self.cls_b)
        return pool, spatial, logits


def images(rng, n, shift):
    base = rng.integers(0, 256, size=(n, 32, 32, 3))
    grad = np.linspace(0, 60, 32)[None, :, None, None]
    return np.clip(base * 0.6 + grad + shift, 0, 255).astype(np.uint8)


def features(model, nhwc):
    with torch.no_grad():
        p, s, l = model(torch.from_numpy(nhwc).permute(0, 3, 1, 2).contiguous())
    return p.numpy(), s.numpy(), l.numpy()


def fid(x1, x2):
    x1 = x1.astype(np.float64)
    x2 = x2.astype(np.float64)
    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)

    def factor(s):
        w, u = np.linalg.eigh((s + s.T) / 2)
        keep = w > len(w) * np.finfo(float).eps * w.max()
        return u[:, keep] * np.sqrt(w[keep])

    tr = np.linalg.svd(factor(s1).T @ factor(s2), compute_uv=False).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr)


def inception_score(logits, split=5000):
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    scores = []
    for i in range(0, len(p), split):
        c = p[i:i + split]
        kl = (c * (np.log(c) - np.log(c.mean(0, keepdims=True)))).sum(1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def prec_recall(ref, smp, k=3):
    ref = ref.astype(np.float64)
    smp = smp.astype(np.float64)

    def d2(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)

    rr = np.partition(d2(ref, ref), k, axis=1)[:, k]
    rs = np.partition(d2(smp, smp), k, axis=1)[:, k]
    cross = d2(smp, ref)
    precision = (cross <= rr[None, :]).any(1).mean()
    recall = (cross <= rs[:, None]).any(0).mean()
    return float(precision), float(recall)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = InceptionStandIn().eval()
    torch.jit.save(torch.jit.script(model), os.path.join(OUT, "standin.pt"))
    torch.manual_seed(0)
    wrong = InceptionStandIn(pool_dim=1000).eval()
    torch.jit.save(torch.jit.script(wrong), os.path.join(OUT, "wrong_shape.pt"))

    rng = np.random.default_rng(2026)
    ref = images(rng, 48, 0)
    smp = images(rng, 40, 4)
    np.savez(os.path.join(OUT, "reference.npz"), arr_0=ref)
    np.savez(os.path.join(OUT, "samples.npz"), arr_0=smp)

    rp, rs, rl = features(model, ref)
    sp, ss, sl = features(model, smp)
    is_mean, is_std = inception_score(sl)
    precision, recall = prec_recall(rp, sp)
    np.savez(os.path.join(OUT, "expected.npz"),
             pool=rp[:4], spatial=rs[:4], logits=rl[:4],
             fid=np.float64(fid(rp, sp)), sfid=np.float64(fid(rs, ss)),
             is_mean=np.float64(is_mean), is_std=np.float64(is_std),
             precision=np.float64(precision), recall=np.float64(recall),
             samples_pool_mean=sp.astype(np.float64).mean(0),
             samples_pool_trace=np.float64(np.trace(np.cov(sp.astype(np.float64), rowvar=False))),
             samples_spatial_trace=np.float64(
                 np.trace(np.cov(ss.astype(np.float64), rowvar=False))),
             standin_sha256=np.frombuffer(sha256(os.path.join(OUT, "standin.pt")).encode(),
                                          dtype=np.uint8))
    print("fid", fid(rp, sp), "sfid", fid(rs, ss), "is", is_mean, "P/R", precision, recall)


if __name__ == "__main__":
    main()
