"""Seed 003's five CBAM "improvements", trained on cluttered digits over several seeds.

    python benchmarks/cbam_improvements.py             # 5 seeds, one thread
    python benchmarks/cbam_improvements.py --seeds 2   # a quicker, noisier run
    python benchmarks/cbam_improvements.py --quick     # seconds; checks the pipeline

How long a run took is in the file: provenance[...]["wall_seconds"].

Every variant goes into the same small ResNet (chapter 4's DIGITS_NETWORK: one basic
block per stage, 16/32/64 channels, the attention in every block), trained for the
same budget with the same data and seeds; only the attention module changes. Writes
cnn_attention/results/cbam_improvements.json (package data, so that the chapter reads
it in Colab too), which chapter 4 reads and checks against a live re-run of one
variant.
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
from provenance import Run, merge

from cnn_attention.data import cluttered_digits
from cnn_attention.reference.seed_003_ablation import VARIANTS
from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.training import (
    accuracy,
    recalibrate_batch_norm,
    train_classifier,
)
from cnn_attention.utils import count_parameters, seed_everything

ROOT = Path(__file__).resolve().parents[1]
# Inside the package, so that the chapter finds the file in Colab too.
RESULTS = ROOT / "cnn_attention" / "results" / "cbam_improvements.json"
CONTEXT = {  # two references for the seed's variants: no attention, official CBAM
    "no attention": None,
    "CBAM, official design": "cbam",
}


def run_variant(attention, seed: int, data) -> tuple[float, int, float, float]:
    """(test accuracy, parameters, training seconds, accuracy after recalibrating
    the BatchNorm statistics on the training images) of one variant and seed."""
    train_images, train_labels, test_images, test_labels = data
    seed_everything(seed)
    model = ResNet(**DIGITS_NETWORK, attention=attention)
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
    seconds = time.perf_counter() - started
    recalibrated = recalibrate_batch_norm(model, train_images)
    return (
        accuracy(model, test_images, test_labels),
        count_parameters(model),
        seconds,
        accuracy(recalibrated, test_images, test_labels),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--variants", default="", help="comma-separated names: update only these"
    )
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    run = Run(args)
    if args.quick:
        use_quick_protocol()
        args.seeds = QUICK_SEEDS

    train_images, train_labels, _ = cluttered_digits(PROTOCOL["train"], "train", seed=0)
    test_images, test_labels, _ = cluttered_digits(PROTOCOL["test"], "test", seed=1)
    data = (train_images, train_labels, test_images, test_labels)
    variants = {**CONTEXT, **VARIANTS}
    results, records = {}, []
    if args.variants:  # keep the others from the existing file
        previous = json.loads(args.output.read_text(encoding="utf-8"))
        results, records = previous["variants"], previous["provenance"]
        wanted = args.variants.split(",")
        unknown = set(wanted) - set(variants)
        if unknown:
            raise SystemExit(
                f"unknown variants {sorted(unknown)}; known: {list(variants)}"
            )
        variants = {name: variants[name] for name in wanted}
    for name, attention in variants.items():
        runs = [run_variant(attention, seed, data) for seed in range(args.seeds)]
        accuracies = [round(run[0], 4) for run in runs]
        results[name] = {
            "accuracy": accuracies,
            "mean": round(float(np.mean(accuracies)), 4),
            "std": round(float(np.std(accuracies, ddof=1)), 4)
            if args.seeds > 1
            else 0.0,
            "parameters": runs[0][1],
            "train_seconds": round(float(np.mean([run[2] for run in runs])), 1),
            "recalibrated": [round(run[3], 4) for run in runs],
        }
        row = results[name]
        print(
            f"{name:32} {row['mean']:.3f} +- {row['std']:.3f}  {row['parameters']:>7,} "
            f"parameters  {row['train_seconds']:5.1f} s/run",
            flush=True,
        )
    report = {
        "protocol": {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds},
        "variants": {name: results[name] for name in {**CONTEXT, **VARIANTS}},
        "provenance": merge(
            records,
            run.record(
                list(variants),
                seeds=list(range(args.seeds)),
                **PROTOCOL,
                training_threads=1,  # train_classifier's default
            ),
        ),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
