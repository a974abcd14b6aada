"""Independent PyTorch reference of the IG networks (SiT and LightningDiT), written from
docs/METHOD.md §2.2, §4 and §10, with the official state-dict names.

It exists only to produce parity fixtures for the Java port (gen_model_parity.py); it is not a
copy of the official code. Runs on torch 1.13 (Debian's /usr/bin/python3).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def modulate(x, shift, scale):
    # adaLN: x·(1+scale)+shift, per sample, broadcast over tokens (§4.1).
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def sincos_1d(dim, pos):
    # [sin(pos·ω_k), cos(pos·ω_k)], ω_k = 10000^(−k/(dim/2)).
    omega = torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = pos.reshape(-1, 1).double() * omega.reshape(1, -1)
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1)


def sincos_2d(dim, grid):
    # First half encodes the column (w) index, second half the row (h) index; tokens row-major.
    rows = torch.arange(grid).repeat_interleave(grid)
    cols = torch.arange(grid).repeat(grid)
    return torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1).float()


class PatchEmbed(nn.Module):
    def __init__(self, p, c, d):
        super().__init__()
        self.proj = nn.Conv2d(c, d, kernel_size=p, stride=p, bias=True)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimestepEmbedder(nn.Module):
    def __init__(self, d, freq=256):
        super().__init__()
        self.freq = freq
        self.mlp = nn.Sequential(nn.Linear(freq, d), nn.SiLU(), nn.Linear(d, d))

    def forward(self, t):
        half = self.freq // 2
        f = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
        args = t.float()[:, None] * f[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # cos first (§10)
        return self.mlp(emb)


class LabelEmbedder(nn.Module):
    def __init__(self, num_classes, d):
        super().__init__()
        self.embedding_table = nn.Embedding(num_classes + 1, d)  # last row = null class

    def forward(self, y):
        return self.embedding_table(y)


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def layer_norm(d):
    return nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)


class Rope2d(nn.Module):
    """EVA-style 2D RoPE: interleaved pairs; first half of a head's dims rotate by the row index,
    second half by the column index (§4.2)."""

    def __init__(self, head_dim, grid):
        super().__init__()
        half = head_dim // 2
        theta = 1.0 / 10000 ** (torch.arange(0, half, 2).float() / half)  # half/2 frequencies
        pos = torch.arange(grid).float()
        ang = torch.outer(pos, theta).repeat_interleave(2, dim=1)  # [grid, half], pairs adjacent
        rows = ang[:, None, :].expand(grid, grid, half)
        cols = ang[None, :, :].expand(grid, grid, half)
        full = torch.cat([rows, cols], dim=-1).reshape(grid * grid, head_dim)
        self.register_buffer("freqs_cos", full.cos())
        self.register_buffer("freqs_sin", full.sin())

    def forward(self, x):
        pairs = x.reshape(*x.shape[:-1], -1, 2)
        rotated = torch.stack([-pairs[..., 1], pairs[..., 0]], dim=-1).reshape(x.shape)
        return x * self.freqs_cos + rotated * self.freqs_sin


class Attention(nn.Module):
    def __init__(self, d, heads, qk_norm=False):
        super().__init__()
        self.heads = heads
        self.head_dim = d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.q_norm = RMSNorm(self.head_dim) if qk_norm else nn.Identity()
        self.k_norm = RMSNorm(self.head_dim) if qk_norm else nn.Identity()
        self.proj = nn.Linear(d, d)

    def forward(self, x, rope=None):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q, k = self.q_norm(q), self.k_norm(k)
        if rope is not None:
            q, k = rope(q), rope(k)
        a = (q @ k.transpose(-2, -1)) * self.head_dim ** -0.5
        out = a.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(n, t, d))


class Mlp(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.fc1 = nn.Linear(d, h)
        self.fc2 = nn.Linear(h, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class SwiGLU(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.w12 = nn.Linear(d, 2 * h)
        self.w3 = nn.Linear(h, d)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        light = cfg["family"] == "lightningdit"
        self.norm1 = RMSNorm(d) if light else layer_norm(d)
        self.attn = Attention(d, cfg["num_heads"], cfg.get("qk_norm", False))
        self.norm2 = RMSNorm(d) if light else layer_norm(d)
        if light:
            self.mlp = SwiGLU(d, cfg["swiglu_hidden_size"])
        else:
            self.mlp = Mlp(d, int(d * cfg["mlp_ratio"]))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))

    def forward(self, x, c, rope=None):
        sh1, sc1, g1, sh2, sc2, g2 = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + g1.unsqueeze(1) * self.attn(modulate(self.norm1(x), sh1, sc1), rope)
        x = x + g2.unsqueeze(1) * self.mlp(modulate(self.norm2(x), sh2, sc2))
        return x


class FinalLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        p = cfg["patch_size"]
        light = cfg["family"] == "lightningdit"
        self.norm_final = RMSNorm(d) if light else layer_norm(d)
        self.linear = nn.Linear(d, p * p * cfg["in_channels"])
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 2 * d))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class IgNet(nn.Module):
    """SiT or LightningDiT with the IG head final_layer_xr after block ig_depth (1-based)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["hidden_size"]
        p = cfg["patch_size"]
        grid = cfg["input_size"] // p
        self.x_embedder = PatchEmbed(p, cfg["in_channels"], d)
        self.t_embedder = TimestepEmbedder(d)
        self.y_embedder = LabelEmbedder(cfg["num_classes"], d)
        self.pos_embed = nn.Parameter(sincos_2d(d, grid)[None], requires_grad=False)
        light = cfg["family"] == "lightningdit"
        if light and cfg.get("rope", True):  # registered before the blocks, as upstream does
            self.feat_rope = Rope2d(d // cfg["num_heads"], grid)
        else:
            self.feat_rope = None
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["depth"])])
        self.final_layer = FinalLayer(cfg)
        if cfg["ig_depth"] > 0:
            self.final_layer_xr = FinalLayer(cfg)

    def unpatchify(self, x):
        n = x.shape[0]
        p = self.cfg["patch_size"]
        c = self.cfg["in_channels"]
        g = self.cfg["input_size"] // p
        x = x.reshape(n, g, g, p, p, c)
        return torch.einsum("nhwpqc->nchpwq", x).reshape(n, c, g * p, g * p)

    def forward(self, x, t, y):
        x = self.x_embedder(x) + self.pos_embed
        c = self.t_embedder(t) + self.y_embedder(y)
        inter = None
        for i, block in enumerate(self.blocks):
            x = block(x, c, self.feat_rope)
            if i + 1 == self.cfg["ig_depth"]:
                inter = self.unpatchify(self.final_layer_xr(x, c))
        return self.unpatchify(self.final_layer(x, c)), inter
