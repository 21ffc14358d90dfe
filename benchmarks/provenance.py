"""How a results file was made: recorded by every benchmark script beside its numbers.

Each run adds one record to the file's "provenance" list: the git commit and the tracked
files that differed from it (results files aside; an empty list is a clean tree), the
exact command and its arguments, the settings that decide the numbers (seeds, epochs,
batch size, threads), the library versions, the machine, the start time and the wall
time, and which parts of the file this run produced. A script that refreshes only some
parts of a file (--only, --variants) keeps the older records for the parts it did not
touch, so a file assembled from several runs says which part came from which.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = "cnn_attention/results/"
LIBRARIES = (
    "torch",
    "keras",
    "tensorflow-cpu",
    "tensorflow",
    "jax",
    "numpy",
    "onnxruntime",  # deploying.json
    "ai-edge-litert",
)


def _git(*arguments: str) -> str:
    """git's output as it is (porcelain lines start with a space: never strip)."""
    try:
        return subprocess.run(
            ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def changed_files() -> list[str]:
    """Tracked files that differ from HEAD, except the results files this pipeline
    itself writes (a run of several scripts rewrites them)."""
    status = _git("status", "--porcelain", "--untracked-files=no").splitlines()
    paths = [line[3:] for line in status if len(line) > 3]  # "XY path"
    return [path for path in paths if not path.startswith(RESULTS_DIR)]


def _versions() -> dict:
    versions = {"python": platform.python_version()}
    for library in LIBRARIES:
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


class Run:
    """Start when the script starts; `record(...)` when its numbers are final.

    `settings` are the values that decide the numbers (seeds, epochs, batch size,
    threads ...): pass what the script actually used, not its defaults."""

    def __init__(self, arguments) -> None:
        self.arguments = {
            key: str(value) if isinstance(value, Path) else value
            for key, value in vars(arguments).items()
        }
        self.started = time.perf_counter()
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        # the code that runs is the code at the start: a checkout may move meanwhile
        self.commit = (
            _git("rev-parse", "HEAD").strip() or "unknown (not a git checkout)"
        )
        self.changed = changed_files()

    def record(self, parts: list[str], **settings) -> dict:
        script = Path(sys.argv[0]).resolve()
        try:
            script = script.relative_to(ROOT)
        except ValueError:
            pass
        return {
            "parts": list(parts),
            "commit": self.commit,
            "uncommitted_changes": self.changed,
            "command": " ".join(["python", str(script), *sys.argv[1:]]),
            "arguments": self.arguments,
            "settings": settings,
            "versions": _versions(),
            "machine": {
                "processor": platform.processor() or platform.machine(),
                "machine": platform.machine(),
                "system": platform.system(),
                "cores": os.cpu_count(),
            },
            "started": self.started_at.isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - self.started),
        }


def merge(previous: list[dict], new: dict) -> list[dict]:
    """The records of a file after a run that produced `new["parts"]`."""
    kept = []
    for record in previous:
        parts = [part for part in record.get("parts", []) if part not in new["parts"]]
        if parts:
            kept.append({**record, "parts": parts})
    return [*kept, new]


def write_results(path: Path, report: dict, record: dict) -> None:
    """Write `report` to `path` with its provenance: the records of an earlier file
    at `path` merged with this run's `record`."""
    previous = []
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8")).get("provenance", [])
    report["provenance"] = merge(previous, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
