"""Every results file the chapters read says how it was made (benchmarks/provenance)."""

import argparse
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = sorted((ROOT / "cnn_attention" / "results").glob("*.json"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import provenance  # noqa: E402

RECORD_KEYS = {
    "parts",
    "commit",
    "uncommitted_changes",
    "command",
    "arguments",
    "settings",
    "versions",
    "machine",
    "started",
    "wall_seconds",
}
# Top-level keys that describe the run rather than hold its numbers.
NOT_PARTS = {
    "provenance",
    "protocol",
    "steps",
    "open_bias",  # why_worse.json
    "fine_tuning",  # from_pretrained.json
    "input_shape",  # deploying.json
    "runtimes",
}


def test_every_benchmark_script_has_a_results_file_and_a_make_results_entry():
    makefile = (ROOT / "Makefile").read_text()
    scripts = re.search(r"RESULT_SCRIPTS := (.*)", makefile).group(1).split()
    assert sorted(scripts) == sorted(path.stem for path in RESULTS)
    for script in scripts:
        assert "provenance" in (ROOT / "benchmarks" / f"{script}.py").read_text()


@pytest.mark.parametrize("path", RESULTS, ids=lambda path: path.name)
def test_results_file_records_its_provenance(path):
    report = json.loads(path.read_text(encoding="utf-8"))
    records = report.get("provenance")
    assert isinstance(records, list) and records, f"{path.name} has no provenance"
    produced = []
    for record in records:
        assert RECORD_KEYS <= set(record), RECORD_KEYS - set(record)
        assert re.fullmatch(r"[0-9a-f]{40}", record["commit"]), record["commit"]
        assert record["uncommitted_changes"] == [], "made from a dirty tree"
        assert record["command"].startswith(f"python benchmarks/{path.stem}.py")
        assert {"python", "torch", "numpy"} <= set(record["versions"])
        assert record["machine"]["cores"] >= 1 and record["wall_seconds"] >= 0
        assert "seeds" in record["settings"]
        assert not record["arguments"].get("quick"), "a --quick run was committed"
        produced += record["parts"]
    # every part of the file comes from exactly one recorded run
    assert len(produced) == len(set(produced))
    # (cbam_improvements.py refreshes variant by variant: its parts are the variants)
    parts = report["variants"] if path.stem == "cbam_improvements" else report
    assert set(produced) == set(parts) - NOT_PARTS


def test_a_run_records_the_command_and_settings(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/demo.py", "--seeds", "3"])
    run = provenance.Run(argparse.Namespace(seeds=3, output=Path("out.json")))
    record = run.record(["accuracy"], seeds=[0, 1, 2], epochs=5)
    assert record["command"] == "python benchmarks/demo.py --seeds 3"
    assert record["arguments"] == {"seeds": 3, "output": "out.json"}
    assert record["settings"] == {"seeds": [0, 1, 2], "epochs": 5}
    assert record["parts"] == ["accuracy"]
    json.dumps(record)  # what goes into the file must be JSON


def test_merge_keeps_the_older_runs_for_the_parts_not_refreshed():
    first = {"parts": ["accuracy", "costs", "maps"], "commit": "a"}
    second = {"parts": ["maps"], "commit": "b"}
    third = {"parts": ["accuracy", "costs"], "commit": "c"}
    merged = provenance.merge([first], second)
    assert merged == [{"parts": ["accuracy", "costs"], "commit": "a"}, second]
    assert provenance.merge(merged, third) == [second, third]


def test_changed_files_leave_out_the_results_and_keep_the_first_letter(monkeypatch):
    porcelain = (
        " M cnn_attention/results/bifpn.json\n M benchmarks/bifpn.py\nM  README.md\n"
    )
    monkeypatch.setattr(provenance, "_git", lambda *arguments: porcelain)
    assert provenance.changed_files() == ["benchmarks/bifpn.py", "README.md"]
