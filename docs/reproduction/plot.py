"""Plot FD-FMNIST against the IG scale from the metrics.json files of `igspark evaluate
--checkpoint`, one directory per training seed, each holding ig-model.json (IG on t ∈ [0, 1],
CFG 1 and 2), ig-model-interval.json (IG on t ∈ [0.3, 1]) and baseline.json (no IG head). With
several seeds a point is their mean and its bar spans the lowest to the highest seed.

Usage: /usr/bin/python3 docs/reproduction/plot.py OUT.png "TITLE" SEED_DIR [SEED_DIR...]
"""
import json
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out, title, dirs = sys.argv[1], sys.argv[2], [Path(d) for d in sys.argv[3:]]


def values(name, key=lambda r: (r["ig_scale"], r["cfg_scale"])):
    """{setting: [value per seed]} over the seed directories."""
    found = defaultdict(list)
    for d in dirs:
        for r in json.loads((d / name).read_text()):
            found[key(r)].append(r["value"])
    return found


def line(ax, points, style, label):
    xs = sorted(points)
    ys = [mean(points[x]) for x in xs]
    lo = [y - min(points[x]) for x, y in zip(xs, ys)]
    hi = [max(points[x]) - y for x, y in zip(xs, ys)]
    ax.errorbar(xs, ys, yerr=[lo, hi] if len(dirs) > 1 else None, fmt=style, capsize=3,
                label=label)


fig, ax = plt.subplots(figsize=(6.4, 4.0))
ig = values("ig-model.json")
for cfg, style in [(1.0, "o-"), (2.0, "s-")]:
    line(ax, {w: v for (w, c), v in ig.items() if c == cfg}, style,
         f"IG model, IG on t∈[0,1], CFG {cfg:g}")
interval = values("ig-model-interval.json", key=lambda r: r["ig_scale"])
line(ax, interval, "^--", "IG model, IG on t∈[0.3,1]")
for (_, cfg), v in sorted(values("baseline.json").items(), key=lambda kv: kv[0][1]):
    ax.axhline(mean(v), color="grey", linestyle=":" if cfg == 1.0 else "-.",
               label=f"baseline (no IG head), CFG {cfg:g}")
ax.set_xlabel("IG scale w")
ax.set_ylabel("FD-FMNIST (lower is better)")
seeds = f"\nmean of {len(dirs)} training seeds (bars: min–max)" if len(dirs) > 1 else ""
ax.set_title(title + seeds, fontsize=9)
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out, dpi=110)
