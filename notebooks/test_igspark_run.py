"""Unit tests of igspark_run (run by trainer's NotebooksTest, or: cd notebooks &&
/usr/bin/python3 -m unittest test_igspark_run)."""

import json
import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import igspark_run


def _write(path, records, tail=""):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")


def _eval(step, ig, cfg, value, label_mode="balanced"):
    return {"kind": "eval", "step": step, "metric": "fd_fmnist", "value": value,
            "label_mode": label_mode, "ig_scale": ig, "cfg_scale": cfg,
            "ig_interval": [0.0, 1.0], "cfg_interval": [0.0, 1.0]}


class ReadRecordsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.run = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_parts_are_read_after_the_main_file_in_name_order(self):
        _write(self.run / "metrics.jsonl", [{"kind": "train", "step": 1}])
        _write(self.run / "metrics-20260101-000002-bbbbbb.jsonl", [{"kind": "train", "step": 3}])
        _write(self.run / "metrics-20260101-000001-aaaaaa.jsonl", [{"kind": "train", "step": 2}])
        steps = [r["step"] for r in igspark_run.read_records(self.run)]
        self.assertEqual([1, 2, 3], steps)

    def test_a_line_cut_by_a_crash_is_skipped(self):
        _write(self.run / "metrics.jsonl", [{"kind": "train", "step": 1}],
               tail='{"kind": "train", "st\n[1, 2]\n')
        self.assertEqual([{"kind": "train", "step": 1}], igspark_run.read_records(self.run))

    def test_the_last_record_per_kind_and_step_wins(self):
        records = [{"kind": "train", "step": 10, "loss": 1.0},
                   {"kind": "segment", "step": 10},
                   {"kind": "train", "step": 10, "loss": 0.5}]
        latest = igspark_run.latest_records(records)
        self.assertEqual([{"kind": "segment", "step": 10},
                          {"kind": "train", "step": 10, "loss": 0.5}], latest)

    def test_eval_records_of_one_step_with_different_settings_are_all_kept(self):
        records = [_eval(100, 0.0, 1.0, 30.0), _eval(100, 1.5, 1.0, 20.0),
                   _eval(100, 1.5, 1.0, 19.0)]
        latest = igspark_run.latest_records(records)
        self.assertEqual([30.0, 19.0], [r["value"] for r in latest])

    def test_run_frames_are_deduplicated_and_sorted_by_step(self):
        _write(self.run / "metrics.jsonl",
               [{"kind": "train", "step": 20, "loss": 2.0},
                {"kind": "train", "step": 30, "loss": 3.0}])
        _write(self.run / "metrics-20260101-000001-aaaaaa.jsonl",
               [{"kind": "train", "step": 20, "loss": 1.0},
                {"kind": "train", "step": 10, "loss": 0.5}])
        run = igspark_run.Run(self.run)
        train = run.train()
        self.assertEqual([10, 20, 30], train["step"].tolist())
        self.assertEqual([0.5, 1.0, 3.0], train["loss"].tolist())
        self.assertEqual([20], run.relogged_steps())
        self.assertEqual([20, 10], run.resumes())

    def test_eval_dirs_are_found_by_step_and_grids_listed_main_first(self):
        for step in (200, 50):
            d = self.run / "eval" / f"step-{step:08d}"
            d.mkdir(parents=True)
            (d / "grid.png").write_bytes(b"")
            (d / "grid-ig1.5.png").write_bytes(b"")
        (self.run / "eval" / "notes").mkdir()
        run = igspark_run.Run(self.run)
        dirs = run.eval_dirs()
        self.assertEqual([50, 200], [s for s, _ in dirs])
        self.assertEqual(["grid.png", "grid-ig1.5.png"], [p.name for p in run.grids(dirs[0][1])])

    def test_demo_grids_are_listed_in_the_demos_order(self):
        self.assertEqual([], igspark_run.Run(self.run).demo_grids())
        (self.run / "demo").mkdir()
        for setting in ("ig-cfg", "cfg", "none", "ig", "other"):
            (self.run / "demo" / f"grid-{setting}.png").write_bytes(b"")
        names = [p.name for p in igspark_run.Run(self.run).demo_grids()]
        self.assertEqual(["grid-none.png", "grid-ig.png", "grid-cfg.png", "grid-ig-cfg.png",
                          "grid-other.png"], names)

    def test_sweeps_group_settings_of_one_step(self):
        _write(self.run / "metrics.jsonl",
               [_eval(100, 0.0, 1.0, 30.0), _eval(200, 0.0, 1.0, 25.0),
                _eval(200, 1.5, 1.0, 20.0), _eval(200, 1.5, 2.0, 18.0)])
        run = igspark_run.Run(self.run)
        found = list(igspark_run.sweeps(run.evals()))
        self.assertEqual(1, len(found))
        step, metric, label_mode, rows = found[0]
        self.assertEqual((200, "fd_fmnist", "balanced"), (step, metric, label_mode))
        self.assertEqual(3, len(rows))

    def test_eval_labels_name_setting_keys_that_vary_in_the_run(self):
        other = dict(_eval(100, 1.5, 1.0, 20.0), ig_interval=[0.0, 0.5])
        _write(self.run / "metrics.jsonl", [_eval(100, 1.5, 1.0, 21.0), other])
        labels = igspark_run.Run(self.run).evals()["label"].tolist()
        self.assertEqual(["balanced, IG 1.5, CFG 1, ig_interval [0.0, 1.0]",
                          "balanced, IG 1.5, CFG 1, ig_interval [0.0, 0.5]"], labels)


class LabelsTest(unittest.TestCase):
    def test_fd_fmnist_is_never_labelled_fid(self):
        self.assertEqual("FD-FMNIST", igspark_run.metric_label("fd_fmnist"))
        self.assertEqual("FID", igspark_run.metric_label("fid"))

    def test_setting_label_names_ig_and_cfg(self):
        row = {"label_mode": "random", "ig_scale": 1.5, "cfg_scale": 1.0}
        self.assertEqual("random, IG 1.5, CFG 1", igspark_run.setting_label(row))


class RunDirTest(unittest.TestCase):
    def test_environment_variable_names_the_run_directory(self):
        with mock.patch.dict(os.environ, {"IGSPARK_RUN_DIR": "file:///tmp/some-run"}):
            self.assertEqual(Path("/tmp/some-run"), igspark_run.default_run_dir())

    def test_a_relative_run_directory_is_taken_from_the_checkout_root(self):
        with mock.patch.dict(os.environ, {"IGSPARK_RUN_DIR": "runs/x"}):
            self.assertEqual(Path(__file__).resolve().parent.parent / "runs" / "x",
                             igspark_run.default_run_dir())

    def test_default_is_the_demo_run_of_this_checkout(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertEqual(Path(__file__).resolve().parent.parent / "runs" / "demo-fmnist",
                             igspark_run.default_run_dir())

    def test_remote_run_directories_are_refused_with_their_name(self):
        with mock.patch.dict(os.environ, {"IGSPARK_RUN_DIR": "hdfs://nn/runs/x"}):
            with self.assertRaisesRegex(ValueError, "hdfs://nn/runs/x"):
                igspark_run.default_run_dir()

    def test_a_missing_run_directory_is_named(self):
        with self.assertRaisesRegex(FileNotFoundError, "no-such-run"):
            igspark_run.Run("/nonexistent/no-such-run")


if __name__ == "__main__":
    unittest.main()
