"""BiFPN chapter's numbers that need more time than a chapter may take.

    python benchmarks/bifpn.py            # writes cnn_attention/results/bifpn.json
    python benchmarks/bifpn.py --seeds 3  # a quicker, smaller run (not for committing)
    python benchmarks/bifpn.py --quick    # seconds; checks the pipeline

Times are medians on an idle machine only: run it when nothing else runs.

1. CPU time of one fusion node (three 8 x 64 x 64 x 64 maps) with each fusion method,
   and of what the node does after fusing (swish, separable 3 x 3 convolution, BN, as
   "after_fusion"): medians of alternating, warmed-up calls, one thread
   (cnn_attention.utils.median_milliseconds).
2. The toy task of the chapter (cnn_attention.torch.bifpn_toy): for each signal level
   (P3, P4, P5) and fusion ("fast", "softmax"), the normalised fusion weights of P4_td
   and P3_out after training, for seeds 0 .. --seeds - 1, in one thread (reproducible,
   and faster for these tiny tensors). The chapter re-runs seeds 0 and 1 and checks
   that they agree with this file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from provenance import Run  # beside this script

from cnn_attention.torch.bifpn import BiFPNNode, WeightedFusion
from cnn_attention.torch.bifpn_toy import train_fusion_toy
from cnn_attention.utils import median_milliseconds

# Inside the package, so that the chapter finds the file in Colab too.
RESULTS = Path(__file__).resolve().parents[1] / "cnn_attention" / "results"
RESULTS = RESULTS / "bifpn.json"
METHODS = ("unbounded", "softmax", "fast", "sum")
FUSION_SHAPE = (8, 64, 64, 64)  # each of the three maps one fusion node adds


def fusion_speed(repeats: int) -> dict:
    torch.manual_seed(0)
    maps = [torch.randn(*FUSION_SHAPE) for _ in range(3)]  # (N, C, H, W) each
    fusions = [WeightedFusion(3, method) for method in METHODS]
    # What the node does after fusing, swish -> depthwise 3x3 -> pointwise -> BN, to
    # set the fusion's cost against: the same node's own weights, eval mode.
    node = BiFPNNode(4, (4, 4, 4), (64, 64, 64), channels=FUSION_SHAPE[1]).eval()
    after_fusion = lambda: node.bn(node.pointwise(node.depthwise(node.act(maps[0]))))  # noqa: E731
    with torch.no_grad():
        calls = [lambda f=f: f(maps) for f in fusions] + [after_fusion]
        timings = median_milliseconds(*calls, repeats=repeats)
    return {name: round(ms, 3) for name, ms in zip((*METHODS, "after_fusion"), timings)}


def toy(seeds: int, steps: int) -> dict:
    results = {}
    for fusion in ("fast", "softmax"):
        results[fusion] = {}
        for level in range(3):
            runs = [
                train_fusion_toy(level, seed, steps, fusion) for seed in range(seeds)
            ]
            results[fusion][str(level)] = [
                {key: _rounded(value) for key, value in run.items()} for run in runs
            ]
            print(fusion, f"signal in P{level + 3}, first run:", runs[0])
    return results


def _rounded(value):
    if isinstance(value, list):
        return [round(v, 4) for v in value]
    return round(value, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    started = Run(args)
    if args.quick:
        args.seeds, args.steps, args.repeats = 2, 10, 5
    torch.set_num_threads(1)
    results = {
        "fusion_ms": fusion_speed(args.repeats),
        "steps": args.steps,
        "toy": toy(args.seeds, args.steps),
    }
    results["provenance"] = [
        started.record(
            ["fusion_ms", "toy"],
            seeds=list(range(args.seeds)),
            steps=args.steps,
            fusion_batch=FUSION_SHAPE[0],
            fusion_shape=list(FUSION_SHAPE),
            repeats=args.repeats,
            threads=1,
        )
    ]
    print("fusion, ms:", results["fusion_ms"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("wrote", args.output)


if __name__ == "__main__":
    main()
