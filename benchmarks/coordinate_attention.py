"""Coordinate Attention on cluttered digits, over several seeds: accuracy and peaks.

    python benchmarks/coordinate_attention.py            # 5 seeds, one thread
    python benchmarks/coordinate_attention.py --seeds 2  # a quicker, noisier run
    python benchmarks/coordinate_attention.py --quick    # seconds; checks the pipeline

How long a run took is in the file: provenance[0]["wall_seconds"].

The network and protocol are chapter 4's (one basic block per stage, 16/32/64
channels, 5 epochs, the attention in every block), so the accuracies compare across
chapters; only the attention changes: none, SE, CBAM and Coordinate Attention, each
with its defaults. For Coordinate Attention it also measures, per stage, how often the
channel-averaged a_h peaks on the digit's rows, a_w on its columns, and both, trained
and at initialisation (cnn_attention.data.peaks_on_box). Writes
cnn_attention/results/coordinate_attention.json (package data, so that the chapter
reads it in Colab too), which chapter 6 reads and checks against a live re-run of
seed 0.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from digits_protocol import (  # beside this script
    DIGITS_NETWORK,
    PROTOCOL,
    QUICK_SEEDS,
    use_quick_protocol,
)
from provenance import Run

from cnn_attention.data import cluttered_digits, peaks_on_box
from cnn_attention.torch.coordatt import coordinate_attention_maps
from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.training import accuracy, train_classifier
from cnn_attention.utils import count_parameters, seed_everything

ROOT = Path(__file__).resolve().parents[1]
# Inside the package, so that the chapter finds the file in Colab too.
RESULTS = ROOT / "cnn_attention" / "results" / "coordinate_attention.json"
VARIANTS = {
    "no attention": None,
    "SE": "se",
    "CBAM": "cbam",
    "coordinate attention": "coord",
}
PEAK_KEYS = ("rows", "columns", "both")


def stage_peaks(model, images, boxes) -> list[dict]:
    """peaks_on_box of the channel-averaged a_h and a_w of every stage."""
    return [
        peaks_on_box(a_h.mean(axis=1), a_w.mean(axis=1), boxes)
        for a_h, a_w in coordinate_attention_maps(model, images)
    ]


def run(attention, seed: int, data) -> dict:
    """Accuracy, parameters, seconds, and (for "coord") peaks before and after."""
    train_images, train_labels, test_images, test_labels, test_boxes = data
    seed_everything(seed)
    model = ResNet(**DIGITS_NETWORK, attention=attention)
    result = {"parameters": count_parameters(model)}
    if attention == "coord":
        result["initial_peaks"] = stage_peaks(model, test_images, test_boxes)
    started = time.perf_counter()
    train_classifier(
        model,
        train_images,
        train_labels,
        epochs=PROTOCOL["epochs"],
        batch_size=PROTOCOL["batch_size"],
        learning_rate=PROTOCOL["learning_rate"],
        seed=seed,
        progress=False,
    )
    result["seconds"] = time.perf_counter() - started
    result["accuracy"] = accuracy(model, test_images, test_labels)
    if attention == "coord":
        result["peaks"] = stage_peaks(model, test_images, test_boxes)
    return result


def summary(values: list[float]) -> dict:
    values = [round(float(value), 4) for value in values]
    spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {
        "runs": values,
        "mean": round(float(np.mean(values)), 4),
        "std": round(spread, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    started = Run(args)
    if args.quick:
        use_quick_protocol()
        args.seeds = QUICK_SEEDS

    train_images, train_labels, _ = cluttered_digits(PROTOCOL["train"], "train", seed=0)
    test_images, test_labels, test_boxes = cluttered_digits(
        PROTOCOL["test"], "test", seed=1
    )
    data = (train_images, train_labels, test_images, test_labels, test_boxes)
    variants, peaks = {}, {}
    for name, attention in VARIANTS.items():
        runs = [run(attention, seed, data) for seed in range(args.seeds)]
        accuracies = summary([r["accuracy"] for r in runs])
        variants[name] = {
            "accuracy": accuracies["runs"],
            "mean": accuracies["mean"],
            "std": accuracies["std"],
            "parameters": runs[0]["parameters"],
            "train_seconds": round(float(np.mean([r["seconds"] for r in runs])), 1),
        }
        row = variants[name]
        print(
            f"{name:22} {row['mean']:.3f} +- {row['std']:.3f}  {row['parameters']:>7,} "
            f"parameters  {row['train_seconds']:5.1f} s/run",
            flush=True,
        )
        if attention == "coord":
            whens = (("trained", "peaks"), ("initialisation", "initial_peaks"))
            for when, key in whens:
                peaks[when] = [
                    {k: summary([r[key][stage][k] for r in runs]) for k in PEAK_KEYS}
                    for stage in range(len(runs[0][key]))
                ]
            # the chance rates depend on the data only, not on a model
            first = runs[0]["peaks"][0]
            peaks["chance"] = {k: round(first[f"chance_{k}"], 4) for k in PEAK_KEYS}
    report = {
        "protocol": {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds},
        "variants": variants,
        "peaks": peaks,
        "provenance": [
            started.record(
                ["variants", "peaks"],
                seeds=list(range(args.seeds)),
                **PROTOCOL,
                training_threads=1,  # train_classifier's default, for reproducibility
            )
        ],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
