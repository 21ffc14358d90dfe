"""Choosing the knobs: reduction ratios, ECA's kernel, CBAM's spatial kernel.

    python benchmarks/knobs.py              # 5 seeds, two processes of one thread
    python benchmarks/knobs.py --quick      # seconds; checks the pipeline

Chapter 4's digits network (16/32/64 channels) on plain digits with the protocol of
digits_protocol.py, the same seeds, data and batches for every configuration:

- SE and CBAM with r = 2, 4, 8, 16, 32 (hidden width C // r, floored at 1 unit: at 16
  channels r = 32 would leave none, and the package refuses a zero-width bottleneck)
  and with a fixed hidden width of 8 in every block;
- ECA with k = 3, 5, 7, 9 and the adaptive psi(C) (3 at these widths);
- CBAM (r = 16) with a 3 x 3 spatial kernel against the paper's 7 x 7.

For each configuration: test accuracy per seed, parameters, and the CPU latency of a
batch of 64 images as a ratio to the network without attention (every configuration
timed in alternation in one process, one thread, after the training).
Writes cnn_attention/results/knobs.json with its provenance.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
from digits_protocol import (  # beside this script
    DIGITS_NETWORK,
    PROTOCOL,
    apply_quick,
    digits_arguments,
    digits_task,
    map_in_processes,
)
from provenance import Run, write_results

from cnn_attention.torch import CBAM, ECAModule, SEModule
from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.training import accuracy, train_classifier
from cnn_attention.utils import count_parameters, seed_everything, timed_rounds

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results" / "knobs.json"
RATIOS = (2, 4, 8, 16, 32)
FIXED_HIDDEN = 8
KERNELS = (3, 5, 7, 9)


def reduced(module, r):
    """module with hidden width C // r, at least 1."""
    return functools.partial(_with_hidden, module, r)


def _with_hidden(module, r, channels):
    return module(channels, hidden_channels=max(1, channels // r))


CONFIGURATIONS = {"none": None}
for _r in RATIOS:
    CONFIGURATIONS[f"SE r={_r}"] = reduced(SEModule, _r)
CONFIGURATIONS[f"SE hidden={FIXED_HIDDEN}"] = functools.partial(
    SEModule, hidden_channels=FIXED_HIDDEN
)
for _r in RATIOS:
    CONFIGURATIONS[f"CBAM r={_r}"] = reduced(CBAM, _r)
CONFIGURATIONS[f"CBAM hidden={FIXED_HIDDEN}"] = functools.partial(
    CBAM, hidden_channels=FIXED_HIDDEN
)
CONFIGURATIONS["CBAM spatial 3"] = functools.partial(CBAM, kernel_size=3)
for _k in KERNELS:
    CONFIGURATIONS[f"ECA k={_k}"] = functools.partial(ECAModule, kernel_size=_k)
CONFIGURATIONS["ECA adaptive"] = ECAModule


def build(name: str, seed: int) -> ResNet:
    seed_everything(seed)
    return ResNet(**DIGITS_NETWORK, attention=CONFIGURATIONS[name])


def one_run(task: tuple) -> tuple:
    name, seed = task
    (train_images, train_labels, _), (test_images, test_labels, _) = digits_task(0)
    model = build(name, seed)
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
    return task, round(accuracy(model, test_images, test_labels), 4)


def latency_ratios(repeats: int) -> dict:
    """Each configuration's median time for one batch of 64, over none's."""
    torch.set_num_threads(1)
    batch = torch.as_tensor(digits_task(0)[1][0][:64])
    models = [build(name, 0).eval() for name in CONFIGURATIONS]
    with torch.inference_mode():
        times = timed_rounds(*[lambda m=m: m(batch) for m in models], repeats=repeats)
    medians = [float(np.median(t)) for t in times]
    return {
        name: {"ms": round(ms, 3), "ratio": round(ms / medians[0], 3)}
        for name, ms in zip(CONFIGURATIONS, medians)
    }


def main() -> None:
    parser = digits_arguments(__doc__, RESULTS)
    parser.add_argument("--repeats", type=int, default=100, help="latency rounds")
    args = parser.parse_args()
    run = Run(args)
    apply_quick(args)
    if args.quick:
        args.repeats = 5
    tasks = [(name, seed) for name in CONFIGURATIONS for seed in range(args.seeds)]
    tasks.sort(key=lambda task: "CBAM" not in task[0])  # the slowest first
    runs = dict(map_in_processes(one_run, tasks, args.jobs))
    latency = latency_ratios(args.repeats)
    report = {
        "configurations": {
            name: {
                "accuracy": [runs[name, seed] for seed in range(args.seeds)],
                "parameters": count_parameters(build(name, 0)),
                **latency[name],
            }
            for name in CONFIGURATIONS
        },
        "protocol": {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds},
    }
    record = run.record(
        ["configurations"],
        seeds=list(range(args.seeds)),
        **PROTOCOL,
        ratios=list(RATIOS),
        fixed_hidden=FIXED_HIDDEN,
        kernels=list(KERNELS),
        training_threads=1,
        latency_threads=1,
        latency_batch=64,
        latency_repeats=args.repeats,
        jobs=args.jobs,
    )
    write_results(args.output, report, record)


if __name__ == "__main__":
    main()
