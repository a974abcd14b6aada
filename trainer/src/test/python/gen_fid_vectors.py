"""Writes the metric fixtures of ../resources/fixtures/fid-vectors/ (FID, IS, precision/recall).

The large INPUT arrays (int8 matrices behind the exact covariances, raw feature matrices, a
probability matrix, point sets) are not stored: they come from a counter-based splitmix64
stream and exact integer arithmetic, implemented identically here and in the Java tests
(ai.igspark.eval.FixtureRandom, ai.igspark.eval.FidVectors). Only what numpy / scipy / mpmath
compute FROM those inputs is written: scalars in expected.csv, and small .npy arrays where a test
compares a whole array. expected.csv also holds the sha256 of every generated input, so a drift
between the Python and the Java recipe fails a Java test instead of silently changing the data.

Input construction uses only exact operations: 64-bit integer arithmetic, integer floor
division, division of two integers below 2^53 (one correctly rounded IEEE division) and a cast
to float32. No exp, log, sqrt or floating-point matrix product touches an input value.

Run (Debian python3 with python3-numpy, python3-scipy, python3-mpmath):

    /usr/bin/python3 trainer/src/test/python/gen_fid_vectors.py            # write everything
    /usr/bin/python3 trainer/src/test/python/gen_fid_vectors.py --mpmath-a4 # slow extra check

--mpmath-a4 additionally evaluates the d = 2048 trace with 40-digit mpmath on the exact
512 x 512 integer Gram matrix (about 7 minutes) and only prints the comparison; it gave
9.529085123598915306..., whose correctly rounded double is the stored a4_d2048.trace_sqrt.
"""
import csv
import hashlib
import math
import os
import sys
import time
from fractions import Fraction

import mpmath
import numpy as np
import scipy
from scipy import linalg

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "../resources/fixtures/fid-vectors")

# ---------------------------------------------------------------------------------------------
# The random stream of the recipes (mirrored by FixtureRandom.java)
# ---------------------------------------------------------------------------------------------
# Value i (0-based) of the stream with seed s is mix(s + (i + 1) * GOLDEN) mod 2^64, i.e.
# splitmix64 started at state s. Seeds are SALT + tag; tags are listed with each recipe.
GOLDEN = 0x9E3779B97F4A7C15
SALT = 0x6A09E667F3BCC908  # first 64 fraction bits of sqrt(2), a nothing-up-my-sleeve constant
U64 = np.uint64


def stream(tag, n):
    """n raw 64-bit values of the stream SALT + tag, as uint64."""
    with np.errstate(over="ignore"):
        z = U64((SALT + tag) % 2**64) + np.arange(1, n + 1, dtype=U64) * U64(GOLDEN)
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def ints(tag, n, lo, hi):
    """n integers in [lo, hi]: lo + (top 53 bits of each value) mod (hi - lo + 1), as int64."""
    span = U64(hi - lo + 1)
    return np.int64(lo) + ((stream(tag, n) >> U64(11)) % span).astype(np.int64)


def raw_stream_first(tag, n):
    return [int(v) for v in stream(tag, n)]


# ---------------------------------------------------------------------------------------------
# expected.csv
# ---------------------------------------------------------------------------------------------
ROWS = []


def put(name, value, note=""):
    if isinstance(value, (float, np.floating)):
        value = repr(float(value))
    ROWS.append((name, str(value), note))


def record_input(name, arr, dtype):
    """sha256 of the array's C-order little-endian bytes in the given dtype, and its shape."""
    a = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    assert np.array_equal(a, arr), name + " does not fit " + dtype
    put(f"input.{name}.sha256", hashlib.sha256(a.tobytes()).hexdigest(),
        f"{dtype} {'x'.join(map(str, a.shape))} little-endian C order")
    return a


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(arr))


def upper(sym):
    """Row-major upper triangle (a <= b) of a square matrix, as one vector."""
    d = sym.shape[0]
    return np.concatenate([sym[a, a:] for a in range(d)])


# ---------------------------------------------------------------------------------------------
# (a) Gaussians with exact covariances
# ---------------------------------------------------------------------------------------------
# sigma_k = H_k^T H_k / (4096 m_k) with H_k an int8 matrix of m_k rows (m_k a power of two): the
# unbiased sample covariance of the 2 m_k + 1 points mu_k, mu_k + h_i / 64, mu_k - h_i / 64.
# Every entry is an exact double (integer sums < 2^53 over a power of two), rank sigma_k =
# rank H_k, and tr (sigma_1 sigma_2)^(1/2) = (sum of singular values of the integer matrix
# H_1 H_2^T) / (4096 sqrt(m_1 m_2)).
#
# H = clip(floor((E * g + T @ L + 8) / 16), -127, 127), with
#   E   (m x d) sum of two uniform integers in [-8, 8]          tags base+1, base+2 (H1)
#   g   (d)     column gains 4 + top*knee // (knee + j'), decaying like 1/j
#   T   (m x 4) uniform integers in [-6, 6]                      tag base+3
#   L   (4 x d) uniform integers in [-20, 20]                    tag base+4
# H2 uses tags base+5..base+8 the same way. For a "close" case H2 shares g and L with H1 (same
# distribution, other draws); otherwise g2 uses a permuted column order (j' = (5j + 3) mod d)
# and its own top/knee, and L2 is its own draw.
# mu1 = uniform integers in [0, 52428] / 65536 (tag base+9); mu2 = mu1 + uniform integers in
# [-w, w] / 65536 (tag base+10).  base = 1000 * case index.
A_CASES = [
    # name, index, d, m1, m2, close, w
    ("a1_d8", 1, 8, 16, 32, False, 17000),
    ("a2_d64", 2, 64, 256, 128, True, 2300),
    ("a3_d256", 3, 256, 1024, 64, False, 17000),    # sigma2 singular: rank 64 of 256
    ("a4_d2048", 4, 2048, 512, 2048, False, 17000),  # sigma1 singular: rank 512 of 2048
]
A_LATENTS = 4
SCALE = 4096


def gains(d, top, knee, permuted):
    j = np.arange(d, dtype=np.int64)
    if permuted:
        j = (5 * j + 3) % d
    return 4 + (top * knee) // (knee + j)


def h_matrix(tag0, m, d, g, loads):
    e = (ints(tag0 + 1, m * d, -8, 8) + ints(tag0 + 2, m * d, -8, 8)).reshape(m, d)
    t = ints(tag0 + 3, m * A_LATENTS, -6, 6).reshape(m, A_LATENTS)
    raw = e * g[None, :] + t @ loads  # int64, exact
    return np.clip(np.floor_divide(raw + 8, 16), -127, 127).astype(np.int8)


def a_inputs(index, d, m1, m2, close, w):
    base = 1000 * index
    g1 = gains(d, 92, 32, False)
    l1 = ints(base + 4, A_LATENTS * d, -20, 20).reshape(A_LATENTS, d)
    if close:
        g2, l2 = g1, l1
    else:
        g2 = gains(d, 110, 24, True)
        l2 = ints(base + 8, A_LATENTS * d, -20, 20).reshape(A_LATENTS, d)
    h1 = h_matrix(base, m1, d, g1, l1)
    h2 = h_matrix(base + 4, m2, d, g2, l2)
    mu1_int = ints(base + 9, d, 0, 52428)
    mu2_int = mu1_int + ints(base + 10, d, -w, w)
    return h1, h2, mu1_int, mu2_int


def mp_trace_sqrt(gram, dps=40):
    """sum of sqrt(eigenvalues) of an exact integer PSD matrix, in mpmath (dps digits)."""
    mpmath.mp.dps = dps
    n = gram.shape[0]
    mat = mpmath.matrix([[int(gram[i, j]) for j in range(n)] for i in range(n)])
    ev = mpmath.eigsy(mat, eigvals_only=True)
    return mpmath.fsum(mpmath.sqrt(v) for v in ev if v > 0)


def exact_gram_of(k_int):
    """The smaller Gram matrix of an int64 matrix, exact in int64 (bound checked)."""
    bound = int(np.abs(k_int).max()) ** 2 * max(k_int.shape)
    assert bound < 2**62, "Gram matrix could overflow int64"
    return k_int @ k_int.T if k_int.shape[0] <= k_int.shape[1] else k_int.T @ k_int


def fid_sqrtm(mu1, s1, mu2, s2):
    """The common pytorch-fid / ADM formula: scipy sqrtm of the product, real part."""
    covmean = linalg.sqrtm(s1 @ s2, disp=False)[0]
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def trace_sqrt_eigen(s1, s2):
    """eigh(s1) -> F = U sqrt(max(lam, 0)); sum sqrt(max(eigvalsh(F^T s2 F), 0))."""
    lam, u = np.linalg.eigh(s1)
    f = u * np.sqrt(np.clip(lam, 0, None))
    m = f.T @ s2 @ f
    ev = np.linalg.eigvalsh(0.5 * (m + m.T))
    return float(np.sum(np.sqrt(np.clip(ev, 0, None))))


def gen_a(mpmath_a4):
    for name, index, d, m1, m2, close, w in A_CASES:
        t0 = time.time()
        h1, h2, mu1_int, mu2_int = a_inputs(index, d, m1, m2, close, w)
        mu1 = mu1_int / 65536.0  # exact
        mu2 = mu2_int / 65536.0
        record_input(f"{name}.H1", h1, "i1")
        record_input(f"{name}.H2", h2, "i1")
        record_input(f"{name}.mu1", mu1, "f8")
        record_input(f"{name}.mu2", mu2, "f8")
        assert int(np.abs(h1).max()) <= 127 and int(np.abs(h2).max()) <= 127
        h1f = h1.astype(np.float64)
        h2f = h2.astype(np.float64)
        # Any summation order is exact: every partial sum is an integer below d * 127^2 < 2^53.
        k_f = h1f @ h2f.T
        k_int = h1.astype(np.int64) @ h2.astype(np.int64).T if d <= 256 else k_f.astype(np.int64)
        assert np.array_equal(k_f, k_int.astype(np.float64))
        rank1 = int(np.linalg.matrix_rank(h1f))
        rank2 = int(np.linalg.matrix_rank(h2f))
        assert rank1 == min(m1, d) and rank2 == min(m2, d), (rank1, rank2)
        # exact scalar terms
        dmu = mu1_int - mu2_int
        mean_sq = Fraction(int(np.sum(dmu * dmu)), 2**32)
        tr1 = Fraction(int(np.sum(h1.astype(np.int64) ** 2)), SCALE * m1)
        tr2 = Fraction(int(np.sum(h2.astype(np.int64) ** 2)), SCALE * m2)
        denom = SCALE * math.sqrt(m1 * m2)  # exact for a4 (m1 m2 = 2^20), else within 1 ulp
        # route 1: double SVD of the exact integer matrix K = H1 H2^T
        tr_svd = float(np.sum(linalg.svdvals(k_f))) / denom
        # route 2: square roots of the eigenvalues of the (exact integer, then rounded) Gram
        gram = exact_gram_of(k_int)
        ev = np.linalg.eigvalsh(gram.astype(np.float64))
        tr_gram = float(np.sum(np.sqrt(np.clip(ev, 0, None)))) / denom
        put(f"{name}.d", d)
        put(f"{name}.n1", 2 * m1 + 1, f"feature vectors behind sigma1 (m1 = {m1} rows of H1)")
        put(f"{name}.n2", 2 * m2 + 1, f"feature vectors behind sigma2 (m2 = {m2} rows of H2)")
        put(f"{name}.rank_sigma1", rank1, "numpy matrix_rank of H1")
        put(f"{name}.rank_sigma2", rank2, "numpy matrix_rank of H2")
        put(f"{name}.mean_sq_dist", float(mean_sq), "||mu1 - mu2||^2, exact then rounded")
        put(f"{name}.trace_sigma1", float(tr1), "exact (a dyadic rational)")
        put(f"{name}.trace_sigma2", float(tr2), "exact (a dyadic rational)")
        if gram.shape[0] <= 128:
            tr_mp = mp_trace_sqrt(gram) / (mpmath.mpf(SCALE) * mpmath.sqrt(m1 * m2))
            fid_mp = (mpmath.mpf(mean_sq.numerator) / mean_sq.denominator
                      + mpmath.mpf(tr1.numerator) / tr1.denominator
                      + mpmath.mpf(tr2.numerator) / tr2.denominator - 2 * tr_mp)
            tr_expected, fid_expected = float(tr_mp), float(fid_mp)
            how = f"40-digit mpmath eigenvalues of the exact {gram.shape[0]}x{gram.shape[0]} Gram"
            put(f"{name}.trace_sqrt_svd_relerr", abs(tr_svd - tr_expected) / tr_expected,
                "double SVD of H1 H2^T against mpmath (how good the a4 route is)")
        else:
            tr_expected = tr_svd
            fid_expected = float(mean_sq + tr1 + tr2 - 2 * Fraction(tr_svd))
            how = "double SVD of the exact integer H1 H2^T"
        put(f"{name}.trace_sqrt_gram_relerr", abs(tr_gram - tr_expected) / tr_expected,
            "second double route (eigenvalues of the rounded Gram) against the expected trace")
        put(f"{name}.trace_sqrt", tr_expected, "tr (sigma1 sigma2)^(1/2): " + how)
        put(f"{name}.fid", fid_expected, "expected FID; trace by " + how)
        # other methods on the same input, for the tolerances (not read by tests)
        s1 = (h1f.T @ h1f) / (SCALE * m1)
        s2 = (h2f.T @ h2f) / (SCALE * m2)
        fid_eig = float(mean_sq + tr1 + tr2) - 2 * trace_sqrt_eigen(s1, s2)
        put(f"{name}.fid_symmetric_eigen", fid_eig,
            "numpy eigh(sigma1) then eigvalsh(F^T sigma2 F), negatives clamped (information)")
        if d <= 256:
            put(f"{name}.fid_sqrtm", fid_sqrtm(mu1, s1, mu2, s2),
                f"pytorch-fid formula, scipy {scipy.__version__} sqrtm (information)")
        if mpmath_a4 and d == 2048:
            t1 = time.time()
            tr_mp = mp_trace_sqrt(gram) / (mpmath.mpf(SCALE) * mpmath.sqrt(m1 * m2))
            print(f"{name}: mpmath trace {mpmath.nstr(tr_mp, 25)} -> {float(tr_mp)!r}, "
                  f"double SVD {tr_svd!r}, rel diff {abs(float(tr_mp) - tr_svd) / tr_svd:.3g} "
                  f"({time.time() - t1:.0f} s)")
        print(f"{name}: fid {fid_expected!r} (eigen {fid_eig!r}), svd vs gram "
              f"{abs(tr_svd - tr_gram) / tr_svd:.2g}, {time.time() - t0:.1f} s")


# ---------------------------------------------------------------------------------------------
# (b) raw float64 feature matrices
# ---------------------------------------------------------------------------------------------
# X = max(R, 0) / q (one correctly rounded division per entry), R an int64 matrix:
#   R1 = b + T1 @ A + E1,   R2 = b + b // 10 + T2 @ ((7 A + 3 B) // 10) + E2
#   b (d)  uniform in [1500, 3000]  tag base+1     q (d) uniform in [700, 1300]  tag base+2
#   A, B (6 x d): row 0 uniform in [60, 100] (a factor every feature loads positively on,
#        so no covariance entry is near zero), rows 1-5 uniform in [-40, 40]
#        A: tags base+3 (rows 1-5), base+4 (row 0); B: tags base+5, base+6
#   T1, T2 (n x 6) uniform in [-16, 16]  tags base+7, base+9
#   E1, E2 (n x d) uniform in [-500, 500] tags base+8, base+10
# base = 5000 + 1000 * case index.
B_CASES = [
    # name, index, d, n1, n2
    ("b1_500x64", 1, 64, 500, 400),
    ("b2_3000x256", 2, 256, 3000, 1500),
]
B_LATENTS = 6


def b_loadings(tag_rest, tag_first, d):
    load = np.empty((B_LATENTS, d), dtype=np.int64)
    load[0] = ints(tag_first, d, 60, 100)
    load[1:] = ints(tag_rest, (B_LATENTS - 1) * d, -40, 40).reshape(B_LATENTS - 1, d)
    return load


def b_inputs(index, d, n1, n2):
    base = 5000 + 1000 * index
    b = ints(base + 1, d, 1500, 3000)
    q = ints(base + 2, d, 700, 1300)
    la = b_loadings(base + 3, base + 4, d)
    lb = b_loadings(base + 5, base + 6, d)
    t1 = ints(base + 7, n1 * B_LATENTS, -16, 16).reshape(n1, B_LATENTS)
    e1 = ints(base + 8, n1 * d, -500, 500).reshape(n1, d)
    t2 = ints(base + 9, n2 * B_LATENTS, -16, 16).reshape(n2, B_LATENTS)
    e2 = ints(base + 10, n2 * d, -500, 500).reshape(n2, d)
    r1 = b[None, :] + t1 @ la + e1
    r2 = (b + b // 10)[None, :] + t2 @ ((7 * la + 3 * lb) // 10) + e2
    x1 = np.maximum(r1, 0) / q[None, :]
    x2 = np.maximum(r2, 0) / q[None, :]
    return x1, x2


def cov_extended(x):
    """Two-pass covariance in x87 extended precision (64-bit mantissa): an accuracy yardstick."""
    xl = x.astype(np.longdouble)
    xc = xl - xl.mean(axis=0)
    return np.einsum("ia,ib->ab", xc, xc) / (x.shape[0] - 1)


def factor_rows(x):
    """R with R^T R = Xc^T Xc / (n - 1) (QR of the centred, scaled features)."""
    xc = (x - x.mean(axis=0)) / math.sqrt(x.shape[0] - 1)
    return np.linalg.qr(xc, mode="r")


def gen_b():
    for name, index, d, n1, n2 in B_CASES:
        x1, x2 = b_inputs(index, d, n1, n2)
        record_input(f"{name}.X1", x1, "f8")
        record_input(f"{name}.X2", x2, "f8")
        stats = []
        for which, x in ((1, x1), (2, x2)):
            mu = np.mean(x, axis=0)
            sigma = np.cov(x, rowvar=False)
            put(f"{name}.np_cov_asymmetry{which}", float(np.max(np.abs(sigma - sigma.T))),
                "np.cov output minus its transpose; the upper triangle (a <= b) is stored")
            corr = sigma / np.sqrt(np.outer(np.diag(sigma), np.diag(sigma)))
            ext = cov_extended(x)
            relerr = float(np.max(np.abs((sigma - ext) / ext)))
            save(f"{name}_mu{which}", mu)
            save(f"{name}_sigma{which}_upper", upper(sigma))
            put(f"{name}.min_abs_correlation{which}", float(np.min(np.abs(corr))),
                "smallest |correlation| of two features (no covariance entry is near zero)")
            put(f"{name}.np_cov_relerr{which}", relerr,
                "max relative deviation of np.cov from an extended-precision two-pass covariance")
            put(f"{name}.zero_fraction{which}", float(np.mean(x == 0)), "ReLU-clipped entries")
            stats.append((mu, sigma))
        (mu1, s1), (mu2, s2) = stats
        r1, r2 = factor_rows(x1), factor_rows(x2)
        tr_factor = float(np.sum(linalg.svdvals(r1 @ r2.T)))
        tr_eigen = trace_sqrt_eigen(s1, s2)
        diff = mu1 - mu2
        mean_sq = float(diff @ diff)
        fid = mean_sq + float(np.trace(s1)) + float(np.trace(s2)) - 2 * tr_factor
        put(f"{name}.mean_sq_dist", mean_sq)
        put(f"{name}.trace_sigma1", float(np.trace(s1)))
        put(f"{name}.trace_sigma2", float(np.trace(s2)))
        put(f"{name}.trace_sqrt", tr_factor, "singular values of R1 R2^T, R from QR of features")
        put(f"{name}.fid", fid, "expected FID of the raw features")
        put(f"{name}.fid_symmetric_eigen",
            mean_sq + float(np.trace(s1)) + float(np.trace(s2)) - 2 * tr_eigen,
            "eigen route on np.cov output (information)")
        put(f"{name}.fid_sqrtm", fid_sqrtm(mu1, s1, mu2, s2),
            f"pytorch-fid formula, scipy {scipy.__version__} (information)")
        print(f"{name}: fid {fid!r}, min|corr| {float(np.min(np.abs(corr))):.3f}")


# ---------------------------------------------------------------------------------------------
# (c) Inception Score
# ---------------------------------------------------------------------------------------------
# 1000 x 1008 float32 "softmax outputs" built without exp: P[i, c] = float32(W[i, c] / S_i),
# S_i = sum_c W[i, c] (exact integer), one correctly rounded division then a cast to float32.
#   W[i, c] uniform in [1, 32]                                      tag 9004
#   top class cls_i = (u_i v_i x_i) // 10^6, u, v, x uniform in [0, 999]  tags 9001-9003
#     (strongly skewed towards low class numbers; classes 1000-1007 never win)
#   W[i, cls_i] = uniform in [1000, 100000]                         tag 9005
#     (the top class holds ~6% ... ~86% of its row: confident, not one-hot)
IS_N, IS_C = 1000, 1008


def c_inputs():
    u = ints(9001, IS_N, 0, 999)
    v = ints(9002, IS_N, 0, 999)
    x = ints(9003, IS_N, 0, 999)
    cls = (u * v * x) // 1000000
    w = ints(9004, IS_N * IS_C, 1, 32).reshape(IS_N, IS_C)
    w[np.arange(IS_N), cls] = ints(9005, IS_N, 1000, 100000)
    s = w.sum(axis=1)
    return (w / s[:, None]).astype(np.float32)


def chunk_score(part):
    marginal = np.mean(part, axis=0, keepdims=True)
    kl = part * (np.log(part) - np.log(marginal))
    return np.exp(np.mean(np.sum(kl, axis=1)))


def scores_consecutive(p, size):
    """ADM: consecutive chunks of `size` rows, the last one may be short."""
    return [chunk_score(p[i:i + size]) for i in range(0, len(p), size)]


def scores_equal(p, splits):
    """improved-gan / torch-fidelity: rows [i n / s, (i + 1) n / s)."""
    n = len(p)
    return [chunk_score(p[i * n // splits:(i + 1) * n // splits]) for i in range(splits)]


def gen_c():
    p32 = c_inputs()
    assert p32.min() > 0
    record_input("c.probs", p32, "f4")
    p = p32.astype(np.float64)  # used as stored: upcast, no renormalisation
    put("c.row_sum_max_abs_dev", float(np.max(np.abs(p.sum(axis=1) - 1))),
        "rows sum to 1 within float32 rounding")
    s = scores_consecutive(p, 100)
    assert len(s) == 10
    put("c.adm_split100.mean", float(np.mean(s)), "10 chunks of 100 rows, float64")
    put("c.adm_split100.std", float(np.std(s)), "population std (ddof 0) of the chunk scores")
    put("c.adm_split100.mean_float32_numpy", float(np.mean(scores_consecutive(p32, 100))),
        "the same in float32 numpy arithmetic (information)")
    s = scores_consecutive(p, 5000)
    assert len(s) == 1
    put("c.adm_split5000.mean", float(np.mean(s)), "chunk size 5000: one chunk of all 1000 rows")
    s = scores_equal(p, 10)
    put("c.equal10.mean", float(np.mean(s)), "10 equal splits (same partition as split100 here)")
    put("c.equal10.std", float(np.std(s)))
    s = scores_consecutive(p[:950], 100)
    assert len(s) == 10
    put("c.first950.adm_split100.mean", float(np.mean(s)), "9 chunks of 100 and one of 50")
    put("c.first950.adm_split100.std", float(np.std(s)))
    s = scores_equal(p[:950], 10)
    put("c.first950.equal10.mean", float(np.mean(s)), "10 splits of 95 rows")
    put("c.first950.equal10.std", float(np.std(s)))
    print("c: IS done")


# ---------------------------------------------------------------------------------------------
# (d) Precision / recall, k = 3
# ---------------------------------------------------------------------------------------------
# Points are integer vectors F / 1024 (exact in float32 and float64) on a curved 2-D sheet in
# 16-D: F = (C0 u + C1 v + C2 (u*u // 512) + C3 (u*v // 512)) // 8 + noise, C (4 x 16) uniform in
# [-16, 16]. Reference: u, v uniform in [-512, 512], noise uniform in [-48, 48]. Samples: a
# shifted, narrower sheet (u = 200 + [-320, 320], v in [-320, 320]) -> lower recall; the first
# 75 sample rows get noise in [-320, 320] (off the sheet) -> lower precision.
# Tags 10000 + 100 * attempt + (1 C, 2 u_ref, 3 v_ref, 4 noise_ref, 5 u_smp, 6 v_smp,
# 7 noise_smp, 8 off-sheet noise_smp). The first attempt whose every decision has at least 2%
# slack is kept.
PR_D, PR_REF, PR_SMP, PR_OFF, PR_K = 16, 300, 250, 75, 3
SLACK = 0.02


def d_inputs(attempt):
    base = 10000 + 100 * attempt
    c = ints(base + 1, 4 * PR_D, -16, 16).reshape(4, PR_D)

    def sheet(u, v):
        return (np.outer(u, c[0]) + np.outer(v, c[1]) + np.outer((u * u) // 512, c[2])
                + np.outer((u * v) // 512, c[3])) // 8

    ur = ints(base + 2, PR_REF, -512, 512)
    vr = ints(base + 3, PR_REF, -512, 512)
    ref = sheet(ur, vr) + ints(base + 4, PR_REF * PR_D, -48, 48).reshape(PR_REF, PR_D)
    us = 200 + ints(base + 5, PR_SMP, -320, 320)
    vs = ints(base + 6, PR_SMP, -320, 320)
    near = ints(base + 7, PR_SMP * PR_D, -48, 48).reshape(PR_SMP, PR_D)
    far = ints(base + 8, PR_SMP * PR_D, -320, 320).reshape(PR_SMP, PR_D)
    noise = np.where(np.arange(PR_SMP)[:, None] < PR_OFF, far, near)
    smp = sheet(us, vs) + noise
    return ref, smp  # int64; the features are these / 1024


def sq_dist_int(a, b):
    diff = a[:, None, :] - b[None, :, :]
    return np.sum(diff * diff, axis=2)  # exact int64


def kth_radius(self_dist, k):
    d = self_dist.astype(np.float64).copy()
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def pr_decisions(d_ref, d_smp, d_rs, k):
    r_ref = kth_radius(d_ref, k)
    r_smp = kth_radius(d_smp, k)
    smp_in = np.any(d_rs <= r_ref[:, None], axis=0)
    ref_in = np.any(d_rs <= r_smp[None, :], axis=1)
    return r_ref, r_smp, smp_in, ref_in


def fragile(d_rs, r_ref, r_smp):
    """Decisions whose deciding ball boundary is within SLACK (relative) of the point, and the
    smallest relative slack of all decisions."""
    slack_smp = np.max((r_ref[:, None] - d_rs) / r_ref[:, None], axis=0)  # per sample
    slack_ref = np.max((r_smp[None, :] - d_rs) / r_smp[None, :], axis=1)  # per reference row
    both = np.abs(np.concatenate([slack_smp, slack_ref]))
    return int(np.sum(both < SLACK)), float(np.min(both))


def fp32_expansion(a, b):
    a, b = a.astype(np.float32), b.astype(np.float32)
    na, nb = np.sum(a * a, axis=1), np.sum(b * b, axis=1)
    return np.maximum(na[:, None] - 2 * (a @ b.T) + nb[None, :], np.float32(0))


def gen_d():
    for attempt in range(200):
        ref_i, smp_i = d_inputs(attempt)
        d_ref, d_smp, d_rs = sq_dist_int(ref_i, ref_i), sq_dist_int(smp_i, smp_i), sq_dist_int(
            ref_i, smp_i)
        r_ref, r_smp, smp_in, ref_in = pr_decisions(d_ref, d_smp, d_rs, PR_K)
        if r_ref.min() <= 0 or r_smp.min() <= 0:
            continue
        count, min_slack = fragile(d_rs, r_ref, r_smp)
        if count == 0:
            break
    else:
        raise SystemExit("no attempt without fragile precision/recall decisions")
    ref, smp = ref_i / 1024.0, smp_i / 1024.0
    record_input("d.reference", ref, "f8")
    record_input("d.samples", smp, "f8")
    # the squared distances are integers / 2^20, exact in double
    save("d_radii_reference", r_ref / 2**20)
    save("d_radii_samples", r_smp / 2**20)
    save("d_samples_in_reference_manifold", smp_in.astype(np.uint8))
    save("d_reference_in_samples_manifold", ref_in.astype(np.uint8))
    put("d.attempt", attempt, "first attempt with no decision within 2% of a ball boundary")
    put("d.fragile_decisions_2pct", count, "decisions within 2% of their ball boundary")
    put("d.min_relative_slack", min_slack, "smallest |r - dist| / r over all deciding balls")
    put("d.k", PR_K)
    put("d.precision", float(np.mean(smp_in)), f"{int(smp_in.sum())}/{PR_SMP} samples inside "
        "some reference ball (exact squared distances)")
    put("d.recall", float(np.mean(ref_in)), f"{int(ref_in.sum())}/{PR_REF} reference rows inside "
        "some sample ball")
    f_ref, f_smp, f_rs = fp32_expansion(ref, ref), fp32_expansion(smp, smp), fp32_expansion(ref,
                                                                                            smp)
    _, _, s32, r32 = pr_decisions(f_ref, f_smp, f_rs, PR_K)
    assert np.array_equal(s32, smp_in) and np.array_equal(r32, ref_in)
    put("d.same_decisions_fp32_expansion", 1,
        "float32 |u|^2 - 2 u.v + |v|^2 distances give every decision unchanged")
    # the hand-checkable 1-D example of PrecisionRecallTest
    tr = np.array([0, 1, 2, 3, 4, 10, 11, 12, 13])[:, None]
    ts = np.array([1, 2, 3, 5, 17, 20, 21, 22, 23])[:, None]
    t_rs = sq_dist_int(tr, ts)
    rr, rs, si, ri = pr_decisions(sq_dist_int(tr, tr), sq_dist_int(ts, ts), t_rs, PR_K)
    assert rr.tolist() == [9, 4, 4, 4, 9, 9, 4, 4, 9]
    assert rs.tolist() == [16, 9, 4, 16, 25, 9, 4, 4, 9]
    assert si.sum() == 4 and ri.sum() == 7
    assert np.any(t_rs < rs[None, :], axis=1).sum() == 6  # '<' instead of '<=' loses the tie
    put("d_tiny.precision", float(np.mean(si)), "4/9")
    put("d_tiny.recall", float(np.mean(ri)), "7/9 with <=; 6/9 with <")
    print(f"d: attempt {attempt}, precision {np.mean(smp_in)}, recall {np.mean(ref_in)}, "
          f"min slack {min_slack:.4f}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy"):
            os.remove(os.path.join(OUT, f))
    put("versions", f"numpy {np.__version__} scipy {scipy.__version__} mpmath {mpmath.__version__}",
        "what wrote this file")
    put("stream.first3", " ".join(str(v) for v in raw_stream_first(-SALT, 3)),
        "first three values of the stream with state 0 (splitmix64's published test vector)")
    put("stream.tag1.first3", " ".join(str(v) for v in raw_stream_first(1, 3)),
        "first three raw values of the stream SALT + 1")
    gen_a("--mpmath-a4" in sys.argv)
    gen_b()
    gen_c()
    gen_d()
    with open(os.path.join(OUT, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "value", "note"])
        w.writerows(ROWS)
    print("wrote", len(ROWS), "rows to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
