"""Why did attention make my model worse? The candidate causes, one at a time.

    python benchmarks/why_worse.py              # 5 seeds, two processes of one thread
    python benchmarks/why_worse.py --jobs 1     # one process
    python benchmarks/why_worse.py --quick      # seconds; checks the pipeline

The closing chapter found every module behind the plain network on the digits task
after 5 epochs (and still behind after 20). This script changes one thing at a time
on chapter 4's digits network (one basic block per stage, 16/32/64 channels, plain
digits at random places), for the network without attention ("none") and with SE
in every block, started three ways:

- "SE": as built (every gate sigmoid(about 0) = 0.5: the branch starts halved);
- "SE open": the last layer's bias at 3, gates start at sigmoid(3) = 0.95
  (cnn_attention.torch.starts.open_gates);
- "SE residual": gate 1 + tanh(score), last layer zero: identity at the start
  (cnn_attention.torch.starts.residual_gates).

Conditions (each against the protocol of digits_protocol.py; the same seeds, data and
batches for every arm, so for a given seed only the arm changes):

- "base": the protocol itself; here Coordinate Attention (gates start at 0.25) runs
  the three starts too;
- "epochs 20": four times the training budget;
- "lr 1e-3", "lr 1e-2": the learning rate a third of, and about three times, 3e-3;
- "width 0.5", "width 2": 8/16/32 and 32/64/128 channels (SE's r = 8 at width 0.5,
  where 16 would leave no hidden unit);
- "attention before BN": the module between the block's second convolution and its
  BatchNorm, so BatchNorm re-normalises whatever scale the gates give (the "none"
  arm has nothing to move: its runs are the base condition's).

For each run: test accuracy, the last epoch's training loss, and the mean gate of
every attention module at the start and at the end (on 256 test images).

Writes cnn_attention/results/why_worse.json with its provenance.
"""

from __future__ import annotations

import time
from pathlib import Path

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
from torch import nn

from cnn_attention.torch import CoordinateAttention, SEModule
from cnn_attention.torch.resnet import BasicBlock, ResNet
from cnn_attention.torch.starts import open_gates, residual_gates
from cnn_attention.torch.training import accuracy, train_classifier
from cnn_attention.utils import seed_everything

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results" / "why_worse.json"
OPEN_BIAS = 3.0  # sigmoid(3) = 0.953
GATE_IMAGES = 256  # test images on which the mean gates are measured
STARTS = {"": None, " open": "open", " residual": "residual"}
SE_ARMS = ["none", "SE", "SE open", "SE residual"]
CONDITIONS = {
    # name: (changes to the protocol and network, arms)
    "base": ({}, SE_ARMS + ["CA", "CA open", "CA residual"]),
    "epochs 20": ({"epochs": 20}, SE_ARMS),
    "lr 1e-3": ({"learning_rate": 1e-3}, SE_ARMS),
    "lr 1e-2": ({"learning_rate": 1e-2}, SE_ARMS),
    # r = 16 would leave 8 // 16 = 0 hidden units: r = 8 keeps base's 1/2/4
    "width 0.5": ({"widths": (8, 16, 32), "reduction": 8}, SE_ARMS),
    "width 2": ({"widths": (32, 64, 128)}, SE_ARMS),
    "attention before BN": ({"before_norm": True}, SE_ARMS[1:]),
}


def attention_before_norm(model: ResNet) -> None:
    """Move each block's attention between its second convolution and BatchNorm."""
    for block in model.modules():
        if isinstance(block, BasicBlock):
            conv2 = block.conv2
            block.conv2 = nn.Sequential(conv2.conv, block.attention, conv2.bn)
            block.attention = nn.Identity()


def build(
    arm: str, seed: int, widths=None, before_norm=False, reduction=None
) -> nn.Module:
    module, start = arm, None
    for suffix, how in STARTS.items():
        if suffix and arm.endswith(suffix):
            module, start = arm[: -len(suffix)], how
    attention = {"none": None, "SE": "se", "CA": "coord"}[module]
    seed_everything(seed)
    network = {**DIGITS_NETWORK, **({"widths": widths} if widths else {})}
    options = {"reduction": reduction} if reduction and attention else None
    model = ResNet(**network, attention=attention, attention_kwargs=options)
    if start == "open":
        open_gates(model, OPEN_BIAS)
    elif start == "residual":
        residual_gates(model)
    if before_norm:
        attention_before_norm(model)
    return model


@torch.no_grad()
def mean_gates(model: nn.Module, images) -> list[float]:
    """Each attention module's gate averaged over images, channels and positions."""
    gates, hooks = [], []

    def record(module, inputs, output):
        # the module returns x * gate: gate = output / x where x is not ~0
        x = inputs[0]
        mask = x.abs() > 1e-3
        gates.append(float((output[mask] / x[mask]).mean()))

    for module in model.modules():
        if isinstance(module, (SEModule, CoordinateAttention)):
            hooks.append(module.register_forward_hook(record))
    was_training = model.training
    model.eval()
    model(torch.as_tensor(images[:GATE_IMAGES]))
    model.train(was_training)
    for hook in hooks:
        hook.remove()
    return [round(gate, 4) for gate in gates]


def one_run(task: tuple) -> tuple:
    condition, arm, seed = task
    changes, _ = CONDITIONS[condition]
    (train_images, train_labels, _), (test_images, test_labels, _) = digits_task(0)
    model = build(
        arm,
        seed,
        changes.get("widths"),
        changes.get("before_norm", False),
        changes.get("reduction"),
    )
    gates_start = mean_gates(model, test_images)
    started = time.perf_counter()
    losses = train_classifier(
        model,
        train_images,
        train_labels,
        epochs=changes.get("epochs", PROTOCOL["epochs"]),
        batch_size=PROTOCOL["batch_size"],
        learning_rate=changes.get("learning_rate", PROTOCOL["learning_rate"]),
        seed=seed,
        progress=False,
    )
    seconds = time.perf_counter() - started
    print(task, round(accuracy(model, test_images, test_labels), 4), flush=True)
    return task, {
        "accuracy": round(accuracy(model, test_images, test_labels), 4),
        "final_loss": round(losses[-1], 5),
        "gates_start": gates_start,
        "gates_end": mean_gates(model, test_images),
        "seconds": round(seconds, 1),
    }


def cost(task: tuple) -> float:  # rough relative cost, to start long runs first
    changes, _ = CONDITIONS[task[0]]
    width = (changes.get("widths") or DIGITS_NETWORK["widths"])[0] / 16
    return changes.get("epochs", 5) * width**1.5


def main() -> None:
    parser = digits_arguments(__doc__, RESULTS)
    args = parser.parse_args()
    run = Run(args)
    apply_quick(args)
    if args.quick:
        CONDITIONS["epochs 20"][0]["epochs"] = 2
    tasks = [
        (condition, arm, seed)
        for condition, (_, arms) in CONDITIONS.items()
        for arm in arms
        for seed in range(args.seeds)
    ]
    tasks.sort(key=cost, reverse=True)
    runs = {}
    for task, result in map_in_processes(one_run, tasks, args.jobs):
        runs[task] = result
    report = {"conditions": {}}
    for condition, (changes, arms) in CONDITIONS.items():
        report["conditions"][condition] = {
            "changes": {
                key: list(v) if isinstance(v, tuple) else v
                for key, v in changes.items()
            },
            "arms": {
                arm: {
                    key: [runs[condition, arm, seed][key] for seed in range(args.seeds)]
                    for key in runs[condition, arm, 0]
                }
                for arm in arms
            },
        }
    report["protocol"] = {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds}
    report["open_bias"] = OPEN_BIAS
    record = run.record(
        ["conditions"],
        seeds=list(range(args.seeds)),
        **PROTOCOL,
        conditions={name: changes for name, (changes, _) in CONDITIONS.items()},
        open_bias=OPEN_BIAS,
        training_threads=1,
        jobs=args.jobs,
    )
    write_results(args.output, report, record)


if __name__ == "__main__":
    main()
