"""Print the REPRODUCTION.md table (markdown) from one directory per training seed, each holding
the ig-model.json, ig-model-interval.json and baseline.json of `igspark evaluate --checkpoint`.
With several seeds: the mean, then every seed's value.

Usage: /usr/bin/python3 docs/reproduction/table.py SEED_DIR [SEED_DIR...]
"""
import json
import sys
from pathlib import Path
from statistics import mean

dirs = [Path(d) for d in sys.argv[1:]]


def rows(name):
    per_seed = [json.loads((d / name).read_text()) for d in dirs]
    for i, r in enumerate(per_seed[0]):
        yield r, [s[i]["value"] for s in per_seed], [s[i]["classifier_score"] for s in per_seed]


def setting(r, model):
    ig, cfg, lo = r["ig_scale"], r["cfg_scale"], r["ig_interval"][0]
    if model == "baseline":
        return "no guidance" if cfg == 1 else f"CFG {cfg:g}"
    parts = []
    if ig != 1:
        parts.append(f"IG {ig:g}" + (f" on t ∈ [{lo:g}, 1]" if lo > 0 else ""))
    if cfg != 1:
        parts.append(f"CFG {cfg:g}")
    return " + ".join(parts) or "auxiliary loss only (w = 1)"


head = "| model | sampling | FD-FMNIST" + (" mean | per seed" if len(dirs) > 1 else "")
print(head + " | classifier score |")
print("|---" * (head.count("|") + 1) + "|")
for name, model, label in [("baseline.json", "baseline", "baseline (no IG head)"),
                           ("ig-model.json", "ig", "IG model"),
                           ("ig-model-interval.json", "ig", "IG model")]:
    for r, fd, score in rows(name):
        seeds = (" | " + ", ".join(f"{v:.2f}" for v in fd)) if len(dirs) > 1 else ""
        print(f"| {label} | {setting(r, model)} | {mean(fd):.2f}{seeds} | {mean(score):.3f} |")
