"""Independent PyTorch reference of igspark's diffusion math, written from
docs/METHOD.md (§2.3–§2.5, §3, §10), for parity fixtures.

Everything here follows the official code's formulation, not the Java one:
the EM sampler keeps its state in float64 and goes through the score, the
LightningDiT loss and Heun sampler run in LightningDiT time (t = 1 is data),
Muon is MuonWithAuxAdam's update (with Newton-Schulz in float32 instead of
bfloat16, as the Java port must).
"""
import math

import torch
import torch.nn.functional as F


class TinyTwoHeadNet(torch.nn.Module):
    """Per-pixel two-head test network, identical to the Java test's TinyTwoHeadNet.

    h   = tanh(x W_in^T + b_in + t w_t + E[y] + P[pos])
    v_i = h W_i^T + b_i                      (intermediate head)
    v_f = tanh(h W_m^T + b_m) W_f^T + b_f    (final head)
    """

    NAMES = ["in.weight", "in.bias", "t.weight", "y.embedding", "pos.embedding",
             "head_i.weight", "head_i.bias", "mid.weight", "mid.bias",
             "head_f.weight", "head_f.bias"]

    def __init__(self, weights):
        super().__init__()
        self.w = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in weights.items()}

    @staticmethod
    def random_weights(channels, hidden, num_classes, height, width, gen):
        def n(*shape, scale):
            return torch.randn(*shape, generator=gen) * scale
        return {
            "in.weight": n(hidden, channels, scale=0.5),
            "in.bias": n(hidden, scale=0.1),
            "t.weight": n(hidden, scale=0.5),
            "y.embedding": n(num_classes + 1, hidden, scale=0.5),
            "pos.embedding": n(height * width, hidden, scale=0.3),
            "head_i.weight": n(channels, hidden, scale=0.3),
            "head_i.bias": n(channels, scale=0.1),
            "mid.weight": n(hidden, hidden, scale=0.3),
            "mid.bias": n(hidden, scale=0.1),
            "head_f.weight": n(channels, hidden, scale=0.3),
            "head_f.bias": n(channels, scale=0.1),
        }

    def forward(self, x, t, y):
        w = self.w
        n, c, hgt, wid = x.shape
        xs = x.permute(0, 2, 3, 1).reshape(n, hgt * wid, c)
        h = (xs @ w["in.weight"].T + w["in.bias"]
             + t.reshape(n, 1, 1) * w["t.weight"]
             + w["y.embedding"][y].reshape(n, 1, -1)
             + w["pos.embedding"].unsqueeze(0))
        h = torch.tanh(h)
        vi = h @ w["head_i.weight"].T + w["head_i.bias"]
        h2 = torch.tanh(h @ w["mid.weight"].T + w["mid.bias"])
        vf = h2 @ w["head_f.weight"].T + w["head_f.bias"]
        back = lambda v: v.reshape(n, hgt, wid, c).permute(0, 3, 1, 2)
        return back(vf), back(vi)


def mean_flat(x):
    return x.mean(dim=list(range(1, x.ndim)))


# ---------------------------------------------------------------- loss (§2.3)

def sit_loss(net, x0, y, t, noise, drop, num_classes, lam, global_batch):
    """SiT IGLoss: t = 0 data, x_t = (1-t) x0 + t eps, v* = eps - x0."""
    y = torch.where(drop, torch.full_like(y, num_classes), y)
    tb = t.reshape(-1, 1, 1, 1)
    xt = (1 - tb) * x0 + tb * noise
    target = noise - x0
    vf, vi = net(xt, t, y)
    lf = mean_flat((vf - target) ** 2)
    li = mean_flat((vi - target) ** 2)
    per = lf + lam * li
    return per.sum() / global_batch, per


def lightningdit_loss(net_ld, x1, y, t_sit, noise, drop, num_classes, lam, global_batch):
    """LightningDiT training_losses in its own time: t = 1 data, x_t = t x1 + (1-t) x0,
    u = x1 - x0, plus mean_HW(1 - cos_C(v_f, u)). The same draw as SiT time t_ld = 1 - t_sit."""
    y = torch.where(drop, torch.full_like(y, num_classes), y)
    t = 1 - t_sit
    tb = t.reshape(-1, 1, 1, 1)
    x0 = noise
    xt = tb * x1 + (1 - tb) * x0
    ut = x1 - x0
    vf, vi = net_ld(xt, t, y)
    mse = mean_flat((vf - ut) ** 2) + lam * mean_flat((vi - ut) ** 2)
    cos = mean_flat(1 - F.cosine_similarity(vf, ut, dim=1))
    per = mse + cos
    return per.sum() / global_batch, per


def sit_time(net_ld):
    """A LightningDiT-time net seen in SiT time (§10): t_ld = 1 - t_sit, both heads negated."""
    def net(x, t, y):
        vf, vi = net_ld(x, 1 - t, y)
        return -vf, -vi
    return net


# ------------------------------------------------------- guidance (§3.1-3.3)

def guided(net, x, t, y, null, g):
    """g = dict(ig, ig_lo, ig_hi, cfg, cfg_lo, cfg_hi); t is a python float in the net's time,
    intervals in the same time. Returns the guided velocity in the net's convention."""
    n = x.shape[0]
    use_cfg = g["cfg"] != 1 and g["cfg_lo"] <= t <= g["cfg_hi"]
    use_ig = g["ig"] != 1 and g["ig_lo"] <= t <= g["ig_hi"]
    if use_cfg:
        xin = torch.cat([x, x])
        yin = torch.cat([y, torch.full_like(y, null)])
    else:
        xin, yin = x, y
    tin = torch.full((xin.shape[0],), t, dtype=torch.float32)
    vf, vi = net(xin.float(), tin, yin)
    v = vi + g["ig"] * (vf - vi) if use_ig else vf
    if use_cfg:
        vc, vu = v[:n], v[n:]
        v = vu + g["cfg"] * (vc - vu)
    return v


# --------------------------------------------------------------- samplers (§3.4)

def ode_euler(net, x, y, null, g, steps):
    ts = torch.linspace(1, 0, steps + 1, dtype=torch.float64)
    for i in range(steps):
        t_cur, t_next = ts[i].item(), ts[i + 1].item()
        x = x + (t_next - t_cur) * guided(net, x, t_cur, y, null, g)
    return x


def ode_heun(net, x, y, null, g, steps):
    """REPA euler_sampler with heun=True: no correction on the last step."""
    ts = torch.linspace(1, 0, steps + 1, dtype=torch.float64)
    for i in range(steps):
        t_cur, t_next = ts[i].item(), ts[i + 1].item()
        d = guided(net, x, t_cur, y, null, g)
        x_next = x + (t_next - t_cur) * d
        if i < steps - 1:
            d2 = guided(net, x_next, t_next, y, null, g)
            x_next = x + (t_next - t_cur) * (0.5 * d + 0.5 * d2)
        x = x_next
    return x


def sde_em(net, x, y, null, g, steps, noises):
    """SiT euler_maruyama_ig_sampler: float64 state, score-based drift, CFG on the drift."""
    ts = torch.linspace(1.0, 0.04, steps, dtype=torch.float64)
    ts = torch.cat([ts, torch.tensor([0.0], dtype=torch.float64)])
    x = x.to(torch.float64)

    def drift(x_cur, t):
        n = x_cur.shape[0]
        use_cfg = g["cfg"] != 1 and g["cfg_lo"] <= t <= g["cfg_hi"]
        no_cfg = dict(g, cfg=1.0)
        if use_cfg:
            xin = torch.cat([x_cur, x_cur])
            yin = torch.cat([y, torch.full_like(y, null)])
        else:
            xin, yin = x_cur, y
        v = guided(net, xin, t, yin, null, no_cfg).to(torch.float64)
        # score from velocity for the linear path, then d = v - 0.5 g^2 s with g^2 = 2t
        alpha, d_alpha, sigma, d_sigma = 1 - t, -1.0, t, 1.0
        ratio = alpha / d_alpha
        var = sigma ** 2 - ratio * d_sigma * sigma
        s = (ratio * v - xin) / var
        d = v - 0.5 * (2 * t) * s
        if use_cfg:
            dc, du = d[:n], d[n:]
            d = du + g["cfg"] * (dc - du)
        return d

    for i in range(steps - 1):
        t_cur, t_next = ts[i].item(), ts[i + 1].item()
        dt = t_next - t_cur
        eps = noises[i].to(torch.float64)
        x = x + drift(x, t_cur) * dt + math.sqrt(2 * t_cur) * eps * math.sqrt(abs(dt))
    t_cur, t_next = ts[-2].item(), ts[-1].item()
    x = x + drift(x, t_cur) * (t_next - t_cur)
    return x.float()


def lightningdit_heun2(net_ld, x, y, null, g_ld, points, shift):
    """LightningDiT ODE in its own time (t = 0 noise): linspace(0, 1, points), timestep shift
    t' = s t / (1 + (s-1) t), torchdiffeq fixed-grid heun2 (every step corrected)."""
    ts = torch.linspace(0, 1, points, dtype=torch.float64)
    ts = shift * ts / (1 + (shift - 1) * ts)
    for i in range(points - 1):
        t0, t1 = ts[i].item(), ts[i + 1].item()
        dt = t1 - t0
        k1 = guided(net_ld, x, t0, y, null, g_ld)
        k2 = guided(net_ld, x + dt * k1, t1, y, null, g_ld)
        x = x + dt * (k1 + k2) / 2
    return x


# -------------------------------------------------------------- optimizers (§2.5)

def adamw_step(p, g, m, v, step, lr, betas, eps, wd):
    """torch.optim.AdamW's single-tensor update, written out."""
    b1, b2 = betas
    p.mul_(1 - lr * wd)
    m.mul_(b1).add_(g, alpha=1 - b1)
    v.mul_(b2).addcmul_(g, g, value=1 - b2)
    bc1 = 1 - b1 ** step
    bc2 = 1 - b2 ** step
    denom = (v.sqrt() / math.sqrt(bc2)).add_(eps)
    p.addcdiv_(m, denom, value=-lr / bc1)


def newton_schulz(G, steps=5):
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.float()  # official: bfloat16; fp32 here as in the Java port
    transposed = X.size(0) > X.size(1)
    if transposed:
        X = X.T
    X = X / (X.norm() + 1e-7)
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X.T if transposed else X


def muon_step(params, grads, state, lr, momentum=0.95, wd=0.01, betas=(0.9, 0.95), eps=1e-8,
              adam_wd=0.0, ns_steps=5):
    """MuonWithAuxAdam.step: ndim >= 2 -> Muon, else Adam (as docs/METHOD.md §2.5 describes it)."""
    for name, p in params.items():
        g = grads[name].clone()
        st = state.setdefault(name, {})
        if p.ndim >= 2:
            g_flat = g.reshape(g.size(0), -1)
            buf = st.setdefault("momentum_buffer", torch.zeros_like(g_flat))
            buf.lerp_(g_flat, 1 - momentum)
            u = g_flat.lerp(buf, momentum)
            o = newton_schulz(u, ns_steps)
            o = o * max(1, g_flat.size(0) / g_flat.size(1)) ** 0.5
            A, B = p.shape[:2]
            adjusted = lr * 0.2 * math.sqrt(max(A, B))
            p.mul_(1 - lr * wd)
            p.add_(o.reshape(p.shape), alpha=-adjusted)
        else:
            m = st.setdefault("exp_avg", torch.zeros_like(p))
            v = st.setdefault("exp_avg_sq", torch.zeros_like(p))
            st["step"] = st.get("step", 0) + 1
            m.lerp_(g, 1 - betas[0])
            v.lerp_(g.square(), 1 - betas[1])
            m_hat = m / (1 - betas[0] ** st["step"] + 1e-16)
            v_hat = v / (1 - betas[1] ** st["step"] + 1e-16)
            upd = m_hat / (v_hat.sqrt() + eps)
            p.mul_(1 - lr * adam_wd)
            p.add_(upd, alpha=-lr)
