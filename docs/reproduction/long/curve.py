"""FD-FMNIST against training step for the four longer runs (docs/REPRODUCTION.md "Longer runs"),
from the JSONs that evaluate-pins.sh writes (RUN-step-N.json: one record without guidance, one
with the run's guidance). Prints a markdown table (mean of the two seeds, then each seed) and,
given OUT.png, draws the curves (points: seed mean; bars: the two seeds).

Usage: /usr/bin/python3 docs/reproduction/long/curve.py EVAL_DIR [OUT.png]
"""
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

src = Path(sys.argv[1])
# (model, guided) -> step -> [value per seed]
curves = defaultdict(lambda: defaultdict(list))
for f in sorted(src.glob("long-*-step-*.json")):
    m = re.fullmatch(r"long-(ig|baseline)-s(\d+)-step-(\d+)\.json", f.name)
    model, step = m.group(1), int(m.group(3))
    for r in json.loads(f.read_text()):
        guided = r["ig_scale"] != 1.0 or r["cfg_scale"] != 1.0
        curves[(model, guided)][step].append(r["value"])

labels = {("baseline", False): "baseline, no guidance",
          ("baseline", True): "baseline, CFG 2.0",
          ("ig", False): "IG model, no guidance (w = 1)",
          ("ig", True): "IG model, IG 2.0"}
steps = sorted({s for c in curves.values() for s in c})
print("| model, sampling | " + " | ".join(f"step {s:,}" for s in steps) + " |")
print("|---" * (len(steps) + 1) + "|")
for key, label in labels.items():
    cells = []
    for s in steps:
        v = curves[key].get(s, [])
        cells.append(f"{mean(v):.2f} ({', '.join(f'{x:.2f}' for x in v)})" if v else "—")
    print(f"| {label} | " + " | ".join(cells) + " |")

if len(sys.argv) > 2:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    styles = {("baseline", False): "k:o", ("baseline", True): "k-s",
              ("ig", False): "C0:o", ("ig", True): "C0-^"}
    for key, label in labels.items():
        pts = curves[key]
        xs = sorted(pts)
        ys = [mean(pts[x]) for x in xs]
        err = [[y - min(pts[x]) for x, y in zip(xs, ys)], [max(pts[x]) - y for x, y in zip(xs, ys)]]
        ax.errorbar(xs, ys, yerr=err, fmt=styles[key], capsize=3, label=label)
    ax.set_xlabel("training step (batch 32)")
    ax.set_ylabel("FD-FMNIST (lower is better, log scale)")
    ax.set_yscale("log")
    ax.set_title("sit-demo on Fashion-MNIST, seeds 0 and 1 (points: mean, bars: the two seeds)\n"
                 "500 samples, SDE 25 steps", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
