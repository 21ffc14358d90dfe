"""From a pretrained backbone: attention added to a trained network, then fine-tuned.

    python benchmarks/from_pretrained.py            # 5 seeds, two processes
    python benchmarks/from_pretrained.py --quick    # seconds; checks the pipeline

No ImageNet weights ship with the book (it downloads nothing), so the "pretrained
backbone" is the digits network without attention trained on plain digits with the
protocol of digits_protocol.py. Its state_dict is loaded with strict=False into the
same network with SE in every block, started three ways (as built: gates 0.5; open:
0.95; residual: exactly the identity; cnn_attention.torch.starts), and each network
is fine-tuned on the cluttered digits task (a new task, the same ten classes) with a
smaller learning rate. Two more arms: the pretrained plain network fine-tuned alike,
and SE trained from scratch with the same fine-tuning budget.

For each arm and seed: accuracy on plain digits right after loading (does the network
still compute what it learned?), on cluttered digits before and after fine-tuning.
Writes cnn_attention/results/from_pretrained.json with its provenance.
"""

from __future__ import annotations

from pathlib import Path

from digits_protocol import (  # beside this script
    DIGITS_NETWORK,
    PROTOCOL,
    apply_quick,
    digits_arguments,
    digits_task,
    map_in_processes,
)
from provenance import Run, write_results

from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.starts import open_gates, residual_gates
from cnn_attention.torch.training import accuracy, train_classifier
from cnn_attention.utils import seed_everything

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results" / "from_pretrained.json"
FINE_TUNING = dict(epochs=3, learning_rate=1e-3)  # a new task, a smaller step
CLUTTER = 4  # fragments per image in the fine-tuning task
STARTS = {"SE": None, "SE open": open_gates, "SE residual": residual_gates}
ARMS = ["plain", *STARTS, "SE scratch"]


def network(attention, seed):
    seed_everything(seed)
    return ResNet(**DIGITS_NETWORK, attention=attention)


def one_seed(seed: int) -> tuple[int, dict]:
    (plain_train, plain_test) = digits_task(0)
    (cluttered_train, cluttered_test) = digits_task(CLUTTER)
    pretrained = network(None, seed)
    train_classifier(
        pretrained,
        *plain_train[:2],
        epochs=PROTOCOL["epochs"],
        batch_size=PROTOCOL["batch_size"],
        learning_rate=PROTOCOL["learning_rate"],
        seed=seed,
        progress=False,
    )
    state = pretrained.state_dict()
    results = {"pretrained_plain_accuracy": accuracy(pretrained, *plain_test[:2])}
    for arm in ARMS:
        model = network(None if arm == "plain" else "se", seed)
        missing = []
        if arm != "SE scratch":
            loaded = model.load_state_dict(state, strict=False)
            assert not loaded.unexpected_keys, loaded.unexpected_keys
            missing = loaded.missing_keys
            assert all(".attention." in key for key in missing), missing
        if STARTS.get(arm):
            STARTS[arm](model)
        row = {
            "missing_keys": len(missing),
            "plain_after_loading": accuracy(model, *plain_test[:2]),
            "cluttered_before": accuracy(model, *cluttered_test[:2]),
        }
        train_classifier(
            model,
            *cluttered_train[:2],
            batch_size=PROTOCOL["batch_size"],
            seed=seed,
            progress=False,
            **FINE_TUNING,
        )
        row["cluttered_after"] = accuracy(model, *cluttered_test[:2])
        results[arm] = {key: round(value, 4) for key, value in row.items()}
    print(seed, {arm: results[arm]["cluttered_after"] for arm in ARMS}, flush=True)
    return seed, results


def main() -> None:
    parser = digits_arguments(__doc__, RESULTS)
    args = parser.parse_args()
    run = Run(args)
    apply_quick(args)
    if args.quick:
        FINE_TUNING["epochs"] = 1
    by_seed = dict(map_in_processes(one_seed, list(range(args.seeds)), args.jobs))
    seeds = range(args.seeds)
    report = {
        "backbone": {  # the plain network on plain digits, before any fine-tuning
            "accuracy": [by_seed[s]["pretrained_plain_accuracy"] for s in seeds]
        },
        "arms": {
            arm: {key: [by_seed[s][arm][key] for s in seeds] for key in by_seed[0][arm]}
            for arm in ARMS
        },
        "protocol": {**PROTOCOL, "network": DIGITS_NETWORK, "seeds": args.seeds},
        "fine_tuning": {**FINE_TUNING, "clutter": CLUTTER},
    }
    record = run.record(
        ["backbone", "arms"],
        seeds=list(seeds),
        **PROTOCOL,
        fine_tuning={**FINE_TUNING, "clutter": CLUTTER},
        training_threads=1,
        jobs=args.jobs,
    )
    write_results(args.output, report, record)


if __name__ == "__main__":
    main()
