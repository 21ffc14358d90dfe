"""Does dual pooling help? Every head of chapter 5 on cluttered digits, several seeds.

    python benchmarks/dual_pooling.py             # 10 seeds, one thread
    python benchmarks/dual_pooling.py --seeds 5   # a quicker, noisier run
    python benchmarks/dual_pooling.py --quick     # seconds; checks the pipeline

How long a run took is in the file: provenance[0]["wall_seconds"].

Every head goes on the same small ResNet (chapter 4's digits network: one basic block
per stage, 16/32/64 channels, no attention), trained with the same data, budget and
seeds as chapter 4's comparison; only the head changes. For a given seed the backbone
starts from the same weights and sees the batches in the same order whatever the head
(the head's weights are drawn last), so the differences between heads are paired.
Training runs in one thread: the numbers are then reproducible on one machine, and the
chapter re-runs one of them live. Writes cnn_attention/results/dual_pooling.json
(package data, so that the chapter reads it in Colab too).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from digits_protocol import (  # beside this script
    DIGITS_NETWORK,
    PROTOCOL,
    QUICK_SEEDS,
    use_quick_protocol,
)
from provenance import Run

from cnn_attention.data import cluttered_digits
from cnn_attention.torch.pooling import dual_pool_head, pooling_head
from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.training import accuracy, train_classifier
from cnn_attention.utils import count_parameters, seed_everything

ROOT = Path(__file__).resolve().parents[1]
# Inside the package, so that the chapter finds the file in Colab too.
RESULTS = ROOT / "cnn_attention" / "results" / "dual_pooling.json"
THREADS = 1
HEADS = {
    "avg": pooling_head("avg"),  # ResNet's default head, the baseline
    "max": pooling_head("max"),
    "avgmax": pooling_head("avgmax"),
    "catavgmax": pooling_head("catavgmax"),
    "catmaxavg": pooling_head("catmaxavg"),
    "gem": pooling_head("gem"),
    "seed 004's head": dual_pool_head(),
    "seed 004's head, no dropout": dual_pool_head(dropout=0.0),
}
BASELINE = "avg"


def run_head(head, seed: int, data) -> dict:
    """Test accuracy, parameters, training seconds (and GeM's learned p) of one run."""
    train_images, train_labels, test_images, test_labels = data
    seed_everything(seed)
    model = ResNet(**DIGITS_NETWORK, head=head)
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
    run = {
        "accuracy": round(accuracy(model, test_images, test_labels), 4),
        "parameters": count_parameters(model),
        "seconds": time.perf_counter() - started,
    }
    exponent = dict(model.named_parameters()).get("head.pool.gem.p")
    if exponent is not None:
        run["p"] = round(exponent.item(), 3)
    return run


def summarize(runs: list[dict], baseline: list[dict] | None) -> dict:
    accuracies = [run["accuracy"] for run in runs]
    row = {
        "accuracy": accuracies,
        "mean": round(float(np.mean(accuracies)), 4),
        "std": round(float(np.std(accuracies, ddof=1)), 4) if len(runs) > 1 else 0.0,
        "parameters": runs[0]["parameters"],
        "train_seconds": round(float(np.mean([run["seconds"] for run in runs])), 1),
    }
    if baseline is not None:  # paired by seed: same backbone start, same batches
        differences = np.array(accuracies) - [run["accuracy"] for run in baseline]
        row["vs_baseline"] = {
            "mean": round(float(differences.mean()), 4),
            "std": round(float(differences.std(ddof=1)), 4) if len(runs) > 1 else 0.0,
            "better": int((differences > 0).sum()),
            "worse": int((differences < 0).sum()),
        }
    if "p" in runs[0]:
        row["p"] = [run["p"] for run in runs]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    started = Run(args)
    if args.quick:
        use_quick_protocol()
        args.seeds = QUICK_SEEDS
    torch.set_num_threads(THREADS)

    train_images, train_labels, _ = cluttered_digits(PROTOCOL["train"], "train", seed=0)
    test_images, test_labels, _ = cluttered_digits(PROTOCOL["test"], "test", seed=1)
    data = (train_images, train_labels, test_images, test_labels)
    all_runs, results = {}, {}
    for name, head in HEADS.items():
        all_runs[name] = [run_head(head, seed, data) for seed in range(args.seeds)]
        baseline = None if name == BASELINE else all_runs[BASELINE]
        results[name] = {"head": repr(head), **summarize(all_runs[name], baseline)}
        row = results[name]
        print(
            f"{name:28} {row['mean']:.3f} +- {row['std']:.3f}  "
            f"{row['parameters']:>7,} parameters  {row['train_seconds']:5.1f} s/run",
            flush=True,
        )
    report = {
        "protocol": {
            **PROTOCOL,
            "network": DIGITS_NETWORK,
            "seeds": args.seeds,
            "threads": THREADS,
            "baseline": BASELINE,
        },
        "heads": results,
        "provenance": [
            started.record(
                ["heads"],
                seeds=list(range(args.seeds)),
                **PROTOCOL,
                training_threads=THREADS,
            )
        ],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
