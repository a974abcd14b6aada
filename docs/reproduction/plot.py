"""Plot docs/img/reproduction.png from the metrics.json files of `igspark evaluate --checkpoint`.

Usage: /usr/bin/python3 docs/reproduction/plot.py IG.json INTERVAL.json BASELINE.json OUT.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ig, interval, baseline, out = sys.argv[1:5]
load = lambda p: json.load(open(p))  # noqa: E731
fig, ax = plt.subplots(figsize=(6.4, 4.0))
for cfg, style in [(1.0, "o-"), (2.0, "s-")]:
    rows = sorted((r["ig_scale"], r["value"]) for r in load(ig) if r["cfg_scale"] == cfg)
    ax.plot([x for x, _ in rows], [y for _, y in rows], style,
            label=f"IG model, IG on t∈[0,1], CFG {cfg:g}")
rows = sorted((r["ig_scale"], r["value"]) for r in load(interval))
ax.plot([x for x, _ in rows], [y for _, y in rows], "^--", label="IG model, IG on t∈[0.3,1]")
for r in load(baseline):
    ax.axhline(r["value"], color="grey", linestyle=":" if r["cfg_scale"] == 1.0 else "-.",
               label=f"baseline (no IG head), CFG {r['cfg_scale']:g}")
ax.set_xlabel("IG scale w")
ax.set_ylabel("FD-FMNIST (lower is better)")
ax.set_title("sit-demo, 800 steps, 500 samples, SDE 25 steps")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out, dpi=110)
