"""Run tests/hostile.py's cases everywhere and count the outcomes.

    python tools/hostile_run.py                 # table of counts per category
    python tools/hostile_run.py --defects       # also list every defect
    python tools/hostile_run.py --output F.json # every outcome, for a before/after

The framework-free cases and the PyTorch cases run in one process; the Keras cases
once per backend (TensorFlow, JAX, torch), each in its own process, since Keras picks
its backend once per process. Exits with status 1 when any case is a defect
(silent, wrong, failed or unclear).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile import CATEGORIES, DEFECTS  # noqa: E402

RUNS = {
    "framework-free": ("tensorflow", ["free"]),
    "PyTorch": ("tensorflow", ["torch"]),
    "Keras on TensorFlow": ("tensorflow", ["keras"]),
    "Keras on JAX": ("jax", ["keras"]),
    "Keras on torch": ("torch", ["keras"]),
}


def run(backend: str, kinds: list) -> dict:
    environment = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "JAX_PLATFORMS": "cpu",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "hostile.py"), *kinds],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
    )
    if result.returncode:
        raise SystemExit(f"{kinds} on {backend} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defects", action="store_true", help="list every defect")
    parser.add_argument("--output", help="write every outcome to this JSON file")
    parser.add_argument("--only", choices=list(RUNS), action="append")
    arguments = parser.parse_args()
    outcomes = {label: run(*RUNS[label]) for label in (arguments.only or list(RUNS))}
    header = f"| {'where':<22} | " + " | ".join(CATEGORIES) + " | cases |"
    print(header)
    print("|" + "---|" * (len(CATEGORIES) + 2))
    totals = dict.fromkeys(CATEGORIES, 0)
    for label, results in outcomes.items():
        counts = dict.fromkeys(CATEGORIES, 0)
        for category, _ in results.values():
            counts[category] += 1
            totals[category] += 1
        cells = " | ".join(str(counts[c]) for c in CATEGORIES)
        print(f"| {label:<22} | {cells} | {len(results)} |")
    cells = " | ".join(str(totals[c]) for c in CATEGORIES)
    print(f"| {'all':<22} | {cells} | {sum(totals.values())} |")
    if arguments.defects:
        for label, results in outcomes.items():
            for name, (category, detail) in results.items():
                if category in DEFECTS:
                    print(f"[{label}] {category}: {name} -- {detail}")
    if arguments.output:
        Path(arguments.output).write_text(json.dumps(outcomes, indent=1))
    defects = sum(totals[category] for category in DEFECTS)
    if defects:
        raise SystemExit(f"{defects} defects (run with --defects to list them)")


if __name__ == "__main__":
    main()
