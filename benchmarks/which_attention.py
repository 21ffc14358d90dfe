"""Which attention, when? Every module of the book on the same digits tasks.

    python benchmarks/which_attention.py            # 5 seeds, one thread
    python benchmarks/which_attention.py --seeds 2    # quicker, noisier
    python benchmarks/which_attention.py --only maps,keras   # refresh two parts
    python benchmarks/which_attention.py --quick      # seconds; checks the pipeline

How long each run took is in the file: provenance[...]["wall_seconds"], with the
parts that run produced.

Chapter 4's digits network (one basic block per stage, 16/32/64 channels) with each
attention module of the book in every block, on two tasks: plain digits at random
places (clutter=0) and cluttered digits (clutter=4); the same data, budget and seeds for
all, so that for a given seed only the module changes. A second axis puts chapter 5's
concatenated average-and-max head (catavgmax) under each module on the cluttered task.
For each configuration: test accuracy per seed, parameters, multiply-adds, training
seconds, and the CPU latency of one batch of 64 images as a ratio to the network without
attention, all timed in one run in alternation. Three more parts: the same network
trained in PyTorch and in Keras from the same initial weights and batches ("keras"), the
attention maps of the seed-0 models on six test images ("maps"), and every module on the
cluttered task with four times the epochs (--budget-epochs), same seeds ("budget").

Writes cnn_attention/results/which_attention.json (package data: the closing chapter
reads it in Colab too) and re-uses the parts it is not told to refresh.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from digits_protocol import (  # beside this script
    DIGITS_NETWORK,
    PROTOCOL,
    QUICK_SEEDS,
    use_quick_protocol,
)
from provenance import Run, merge  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cnn_attention.data import cluttered_digits  # noqa: E402
from cnn_attention.torch import count_multiply_adds  # noqa: E402
from cnn_attention.torch.pooling import pooling_head  # noqa: E402
from cnn_attention.torch.resnet import ResNet  # noqa: E402
from cnn_attention.torch.training import accuracy, train_classifier  # noqa: E402
from cnn_attention.utils import (  # noqa: E402
    count_parameters,
    median_milliseconds,
    seed_everything,
    to_channels_last,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results" / "which_attention.json"
# every module with its defaults (r = 16), as a reader would first try it
MODULES = {"none": None, "SE": "se", "ECA": "eca", "CBAM": "cbam", "CA": "coord"}
TASKS = {"plain": 0, "cluttered": 4}  # clutter fragments per image
MAP_IMAGES = 6  # test images whose attention maps are kept
PARTS = ("accuracy", "costs", "keras", "maps", "budget")


def task_data(clutter: int):
    train = cluttered_digits(PROTOCOL["train"], "train", clutter=clutter, seed=0)
    test = cluttered_digits(PROTOCOL["test"], "test", clutter=clutter, seed=1)
    return train, test


def build(attention, head=None, seed=0):
    seed_everything(seed)
    return ResNet(**DIGITS_NETWORK, attention=attention, head=head)


def train(model, train_set, seed):
    images, labels, _ = train_set
    started = time.perf_counter()
    losses = train_classifier(
        model,
        images,
        labels,
        epochs=PROTOCOL["epochs"],
        batch_size=PROTOCOL["batch_size"],
        learning_rate=PROTOCOL["learning_rate"],
        seed=seed,
        progress=False,
    )
    return losses, time.perf_counter() - started


def accuracy_runs(seeds: int) -> dict:
    """Accuracy of every module on both tasks, and with the concatenating head."""
    configurations = [
        (f"{module} | {task}", attention, None, task)
        for task in TASKS
        for module, attention in MODULES.items()
    ] + [
        (f"{module} | cluttered | catavgmax head", attention, "catavgmax", "cluttered")
        for module, attention in MODULES.items()
    ]
    data = {task: task_data(clutter) for task, clutter in TASKS.items()}
    results = {}
    for name, attention, head, task in configurations:
        train_set, (test_images, test_labels, _) = data[task]
        runs = []
        for seed in tqdm(range(seeds), desc=name, leave=False):
            model = build(attention, pooling_head(head) if head else None, seed)
            _, seconds = train(model, train_set, seed)
            runs.append((accuracy(model, test_images, test_labels), seconds))
        accuracies = [round(run[0], 4) for run in runs]
        results[name] = {
            "accuracy": accuracies,
            "mean": round(float(np.mean(accuracies)), 4),
            "std": round(float(np.std(accuracies, ddof=1)), 4) if seeds > 1 else 0.0,
            "train_seconds": round(float(np.mean([run[1] for run in runs])), 1),
        }
        row = results[name]
        print(f"{name:40} {row['mean']:.3f} +- {row['std']:.3f}", flush=True)
    return results


def longer_budget(seeds: int, epochs: int = 20) -> dict:
    """Every module on cluttered digits, four times the epochs: does the order hold?"""
    train_set, (test_images, test_labels, _) = task_data(TASKS["cluttered"])
    images, labels, _ = train_set
    results = {}
    for module, attention in MODULES.items():
        runs = []
        for seed in tqdm(range(seeds), desc=f"{module}, {epochs} epochs", leave=False):
            model = build(attention, seed=seed)
            train_classifier(
                model,
                images,
                labels,
                epochs=epochs,
                batch_size=PROTOCOL["batch_size"],
                learning_rate=PROTOCOL["learning_rate"],
                seed=seed,
                progress=False,
            )
            runs.append(round(accuracy(model, test_images, test_labels), 4))
        results[module] = {
            "accuracy": runs,
            "mean": round(float(np.mean(runs)), 4),
            "std": round(float(np.std(runs, ddof=1)), 4) if seeds > 1 else 0.0,
        }
        row = results[module]
        print(
            f"{module:6} {epochs} epochs {row['mean']:.3f} +- {row['std']:.3f}",
            flush=True,
        )
    return {"epochs": epochs, "seeds": seeds, "modules": results}


def costs(rounds: int = 3, repeats: int = 100) -> dict:
    """Parameters, multiply-adds and one-thread inference latency (ratio to none).

    Latency is measured in `rounds` independent rounds of `repeats` alternating calls;
    the file keeps the median round's milliseconds and ratio, and the range of the
    ratios over the rounds, which says how far one measurement can be trusted.
    """
    models = {module: build(attention).eval() for module, attention in MODULES.items()}
    batch = torch.as_tensor(task_data(4)[1][0][:64])
    # one thread, as in training: a busy machine slows it down far less than two
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            calls = [lambda model=model: model(batch) for model in models.values()]
            measured = np.array(
                [median_milliseconds(*calls, repeats=repeats) for _ in range(rounds)]
            )  # (rounds, modules)
    finally:
        torch.set_num_threads(threads)
    ratios = measured / measured[:, :1]
    middle = np.argsort(measured[:, 0])[rounds // 2]  # the median round of the baseline
    return {
        module: {
            "parameters": count_parameters(model),
            "multiply_adds": count_multiply_adds(model, (1, 1, 32, 32)),
            "latency_ms": round(float(measured[middle, index]), 3),
            "latency_ratio": round(float(ratios[middle, index]), 3),
            "latency_ratio_range": [
                round(float(ratios[:, index].min()), 3),
                round(float(ratios[:, index].max()), 3),
            ],
        }
        for index, (module, model) in enumerate(models.items())
    }


def keras_comparison() -> dict:
    """SE's network trained in both frameworks from the same weights and batches."""
    import keras

    from cnn_attention.keras.resnet import ResNet as KerasResNet
    from cnn_attention.keras.training import accuracy as keras_accuracy
    from cnn_attention.keras.training import train_classifier as keras_train
    from cnn_attention.utils import compare_torch_keras

    (train_images, train_labels, _), (test_images, test_labels, _) = task_data(4)
    torch_model = build("se", seed=0)
    keras_model = KerasResNet(**DIGITS_NETWORK, attention="se", name="digits_se")
    initial = compare_torch_keras(
        torch_model, keras_model, torch.as_tensor(test_images[:8])
    )
    torch_losses, _ = train(torch_model, (train_images, train_labels, None), seed=0)
    keras_losses = keras_train(
        keras_model,
        to_channels_last(train_images),
        train_labels,
        epochs=PROTOCOL["epochs"],
        batch_size=PROTOCOL["batch_size"],
        learning_rate=PROTOCOL["learning_rate"],
        seed=0,
        progress=False,
    )
    keras_test_accuracy = keras_accuracy(
        keras_model, to_channels_last(test_images), test_labels
    )
    return {
        "initial_difference": initial,
        "torch_losses": [round(v, 5) for v in torch_losses],
        "keras_losses": [round(v, 5) for v in keras_losses],
        "torch_accuracy": accuracy(torch_model, test_images, test_labels),
        "keras_accuracy": keras_test_accuracy,
        "keras_version": keras.__version__,
    }


def attention_maps() -> dict:
    """What the seed-0 models on cluttered digits attend to, on six test images."""
    train_set, (test_images, test_labels, test_boxes) = task_data(4)
    images = torch.as_tensor(test_images)
    maps = {"labels": test_labels[:MAP_IMAGES].tolist()}
    maps["boxes"] = test_boxes[:MAP_IMAGES].tolist()
    for module in ("SE", "ECA", "CBAM", "CA"):
        model = build(MODULES[module], seed=0)
        train(model, train_set, seed=0)
        model.eval()
        last = model.stages[-1][0].attention  # the 64-channel module of stage 3
        penultimate = model.stages[-2][0].attention  # the 32-channel one of stage 2
        with torch.no_grad():
            features = {}
            hooks = [
                block.register_forward_pre_hook(
                    lambda _m, inputs, key=key, store=features: store.update(
                        {key: inputs[0]}
                    )
                )
                for key, block in [("stage2", penultimate), ("stage3", last)]
            ]
            model(images)
            for hook in hooks:
                hook.remove()
            if module in ("SE", "ECA"):  # channel gates, averaged per class
                gates = gate_values(last, features["stage3"])  # (N, 64)
                maps[module] = [
                    gates[test_labels == digit].mean(axis=0).round(4).tolist()
                    for digit in range(10)
                ]
            elif module == "CBAM":
                maps[module] = {
                    stage: block.spatial_gate.attention(
                        block.channel_gate(features[stage][:MAP_IMAGES])
                    )[:, 0]
                    .numpy()
                    .round(4)
                    .tolist()
                    for stage, block in [("stage2", penultimate), ("stage3", last)]
                }
            else:
                maps[module] = {}
                for stage, block in [("stage2", penultimate), ("stage3", last)]:
                    a_h, a_w = block.attention(features[stage][:MAP_IMAGES])
                    # mean over channels: one profile per image and axis
                    maps[module][stage] = {
                        "a_h": a_h.mean(dim=1)[..., 0].numpy().round(4).tolist(),
                        "a_w": a_w.mean(dim=1)[:, 0].numpy().round(4).tolist(),
                    }
    return maps


def gate_values(module, features) -> np.ndarray:
    """The channel gates an SE or ECA module multiplies `features` by, (N, C)."""
    squeezed = features.mean(dim=(2, 3))  # (N, C)
    with torch.no_grad():
        if hasattr(module, "fc1"):  # SE: the excitation
            scores = module.fc2(module.act(module.fc1(squeezed)))
        else:  # ECA: the 1-D convolution across channels
            scores = module.conv(squeezed[:, None, :])[:, 0]
        return module.gate(scores).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help="parts to (re)compute",
    )
    parser.add_argument("--budget-epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    run = Run(args)
    if args.quick:
        use_quick_protocol()
        args.seeds, args.budget_epochs = QUICK_SEEDS, 2
    parts = args.only.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts {sorted(unknown)}; known: {list(PARTS)}")
    report = {}
    if args.output.exists():
        report = json.loads(args.output.read_text(encoding="utf-8"))
    if "accuracy" in parts:
        report["accuracy"] = accuracy_runs(args.seeds)
    if "costs" in parts:
        report["costs"] = costs(repeats=10 if args.quick else 100)
    if "keras" in parts:
        report["keras"] = keras_comparison()
    if "maps" in parts:
        report["maps"] = attention_maps()
    if "budget" in parts:
        report["budget"] = longer_budget(args.seeds, args.budget_epochs)
    report["protocol"] = {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds}
    for stale in ("environment", "seconds"):  # what files before provenance held
        report.pop(stale, None)
    record = run.record(
        parts,
        seeds=list(range(args.seeds)),
        **PROTOCOL,
        budget_epochs=args.budget_epochs,
        training_threads=1,  # train_classifier's default
        latency_threads=1,
    )
    report["provenance"] = merge(report.get("provenance", []), record)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
