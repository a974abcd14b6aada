"""Reads an igspark run directory for the notebooks (docs/checkpoints.md, docs/notebooks.md).

    <run>/run.yaml                          resolved configuration
    <run>/metrics.jsonl                     one JSON object per line, `kind` names the record
    <run>/metrics-<UTC>-<nonce>.jsonl       per-session parts (filesystems without append),
                                            read after metrics.jsonl, in name order
    <run>/eval/step-00050000/metrics.json   the eval records of that step (one per setting)
    <run>/eval/step-00050000/grid.png       samples of the first setting (grid-<setting>.png more)

A resumed run logs again the steps between its last checkpoint and the crash, so readers keep
the last record per (kind, step) -- and, for `eval`, per guidance setting too, since one step
is evaluated under several settings in a sweep.

Only the local disk is read: copy a remote run first (`hdfs dfs -get`, `aws s3 sync`).
"""

import json
import os
import re
from pathlib import Path

import pandas as pd

# The keys that tell one evaluation setting of a step from another (docs/checkpoints.md "Metrics
# records"; the trainer's MetricsSchemaTest checks that every key read here is in the schema).
SETTING_KEYS = ("metric", "label_mode", "sampler", "steps", "num_samples",
                "ig_scale", "ig_interval", "cfg_scale", "cfg_interval")

# FD-FMNIST is a Frechet distance in a small classifier's feature space: never call it FID.
METRIC_LABELS = {"fid": "FID", "fd_fmnist": "FD-FMNIST"}

CHECKOUT = Path(__file__).resolve().parent.parent
_STEP_DIR = re.compile(r"^step-(\d+)$")


def default_run_dir():
    """$IGSPARK_RUN_DIR, else the demo's run directory runs/demo-fmnist of this checkout.

    A relative $IGSPARK_RUN_DIR is taken from the checkout's root, where bin/igspark runs (the
    kernel's working directory is notebooks/, not the shell's).
    """
    env = os.environ.get("IGSPARK_RUN_DIR")
    if env:
        return CHECKOUT / _local(env)  # an absolute path replaces CHECKOUT
    return CHECKOUT / "runs" / "demo-fmnist"


def _local(location):
    # file:/x and file:///x name the local disk; other schemes must be copied here first.
    if location.startswith("file:"):
        return re.sub(r"^file:(//)?", "", location)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", location):
        raise ValueError(f"{location}: only local run directories can be read; copy it first "
                         "(e.g. hdfs dfs -get) and point IGSPARK_RUN_DIR at the copy")
    return location


def metrics_files(run_dir):
    """metrics.jsonl (if present), then the per-session parts in name order."""
    run_dir = Path(run_dir)
    main = run_dir / "metrics.jsonl"
    parts = sorted(p for p in run_dir.glob("metrics-*.jsonl") if p.is_file())
    return ([main] if main.is_file() else []) + parts


def read_records(run_dir):
    """Every record in file order; skips lines that are not JSON objects (cut by a crash)."""
    records = []
    for path in metrics_files(run_dir):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
    return records


def setting_of(record):
    """The evaluation setting of an eval record, hashable (intervals become tuples)."""
    return tuple(_hashable(record.get(k)) for k in SETTING_KEYS)


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


def _identity(record):
    key = (record.get("kind"), record.get("step"))
    return key + setting_of(record) if record.get("kind") == "eval" else key


def latest_records(records):
    """The last record per (kind, step) -- per (kind, step, setting) for eval -- in log order."""
    last = {}
    for i, r in enumerate(records):
        last[_identity(r)] = i
    keep = sorted(last.values())
    return [records[i] for i in keep]


def metric_label(metric):
    """Axis label of a metric key: 'FID', 'FD-FMNIST', else the key itself."""
    return METRIC_LABELS.get(metric, metric)


def setting_label(row, keys=("label_mode", "ig_scale", "cfg_scale")):
    """A short legend label, e.g. 'balanced, IG 1.5, CFG 1' (other keys as 'sampler sde')."""
    names = {"ig_scale": "IG", "cfg_scale": "CFG"}
    parts = []
    for k in keys:
        v = row.get(k)
        if v is None or (isinstance(v, float) and pd.isna(v)):
            continue
        if k in names:
            parts.append(f"{names[k]} {v:g}")
        elif k == "label_mode":
            parts.append(str(v))
        else:
            parts.append(f"{k} {list(v) if isinstance(v, tuple) else v}")
    return ", ".join(parts)


class Run:
    """One run directory, its records read once (call reload() to see new ones)."""

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else default_run_dir()
        if not self.path.is_dir():
            raise FileNotFoundError(f"run directory {self.path} does not exist "
                                    "(set IGSPARK_RUN_DIR to a run directory)")
        self.reload()

    def reload(self):
        self.raw = read_records(self.path)
        self.records = latest_records(self.raw)
        return self

    def frame(self, kind):
        """The deduplicated records of one kind as a DataFrame sorted by step."""
        rows = [r for r in self.records if r.get("kind") == kind]
        df = pd.DataFrame(rows)
        if df.empty:
            return pd.DataFrame(columns=["kind", "step"])
        return df.sort_values("step", kind="stable").reset_index(drop=True)

    def train(self):
        return self.frame("train")

    def segments(self):
        return self.frame("segment")

    def retries(self):
        return self.frame("retry")

    def evals(self):
        """Eval records with hashable settings (intervals as tuples) and a `label` column."""
        df = self.frame("eval")
        if df.empty:
            return df
        for k in ("ig_interval", "cfg_interval"):
            if k in df:
                df[k] = df[k].map(_hashable)
        # Label mode, IG and CFG always; other setting keys only when they vary in this run, so
        # that one curve never mixes two settings.
        keys = ["label_mode", "ig_scale", "cfg_scale"] + [
            k for k in SETTING_KEYS
            if k not in ("metric", "label_mode", "ig_scale", "cfg_scale") and k in df
            and df[k].map(repr).nunique() > 1]
        df["label"] = [setting_label(r, keys) for r in df.to_dict("records")]
        return df

    def relogged_steps(self):
        """Train steps logged more than once (a resumed segment re-ran them)."""
        steps = pd.Series([r.get("step") for r in self.raw if r.get("kind") == "train"])
        return sorted(steps[steps.duplicated()].unique().tolist())

    def resumes(self):
        """Steps where the logged train steps went back: a retry or a new session resumed there."""
        steps = [r.get("step") for r in self.raw if r.get("kind") == "train"]
        return [b for a, b in zip(steps, steps[1:]) if a is not None and b is not None and b <= a]

    def config_text(self):
        p = self.path / "run.yaml"
        return p.read_text(encoding="utf-8") if p.is_file() else ""

    def eval_dirs(self):
        """[(step, directory)] of eval/step-N, by step."""
        root = self.path / "eval"
        if not root.is_dir():
            return []
        found = []
        for d in root.iterdir():
            m = _STEP_DIR.match(d.name)
            if m and d.is_dir():
                found.append((int(m.group(1)), d))
        return sorted(found)

    def grids(self, step_dir):
        """grid.png first, then the sweep's grid-<setting>.png in name order."""
        d = Path(step_dir)
        main = [d / "grid.png"] if (d / "grid.png").is_file() else []
        return main + sorted(d.glob("grid-*.png"))

    def demo_grids(self):
        """The grids `igspark demo` writes, demo/grid-<setting>.png, in the demo's order."""
        d = self.path / "demo"
        order = {name: i for i, name in enumerate(("none", "ig", "cfg", "ig-cfg"))}
        found = d.glob("grid-*.png") if d.is_dir() else []
        return sorted(found, key=lambda p: (order.get(p.stem[len("grid-"):], len(order)), p.name))

    def eval_metrics(self, step_dir):
        """The list in eval/step-N/metrics.json ([] if absent)."""
        p = Path(step_dir) / "metrics.json"
        if not p.is_file():
            return []
        data = json.loads(p.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]


def sweeps(evals):
    """Groups of eval rows that share step, metric and label mode but differ in IG or CFG scale.

    Yields (step, metric, label_mode, rows) for each group with more than one (ig, cfg) pair.
    """
    if evals.empty or "ig_scale" not in evals or "cfg_scale" not in evals:
        return
    keys = [k for k in ("step", "metric", "label_mode") if k in evals]
    for key, rows in evals.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        if rows[["ig_scale", "cfg_scale"]].drop_duplicates().shape[0] > 1:
            named = dict(zip(keys, key))
            yield named.get("step"), named.get("metric"), named.get("label_mode"), rows
