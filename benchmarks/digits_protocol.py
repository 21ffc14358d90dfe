"""The digits benchmark's network, training budget and data, shared by the scripts.

Chapter 4 (CBAM) introduced them and chapters 5, 6 and 8 reuse them, so that accuracies
compare across chapters: the chapters spell the same values out for their readers.
"""

import argparse
import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cnn_attention.data import cluttered_digits

# A three-stage ResNet of one basic block per stage for 32 x 32 one-channel images.
DIGITS_NETWORK = dict(
    block="basic",
    layers=(1, 1, 1),
    widths=(16, 32, 64),
    num_classes=10,
    in_channels=1,
    stem="small",
)
# Images per split, and train_classifier's budget: 5 epochs of 32 batches.
PROTOCOL = dict(train=2000, test=1000, epochs=5, batch_size=64, learning_rate=3e-3)

# `--quick` (make results QUICK=1): the whole pipeline in seconds per configuration.
# Its numbers mean nothing; it proves that every script still runs and writes its file.
QUICK_PROTOCOL = dict(train=256, test=128, epochs=1, batch_size=64, learning_rate=3e-3)
QUICK_SEEDS = 2


@functools.cache
def digits_task(clutter: int = 0) -> tuple:
    """(train, test) of the digits task with `clutter` fragments per image, each
    (images, labels, boxes), drawn as every digits benchmark draws them."""
    return (
        cluttered_digits(PROTOCOL["train"], "train", clutter=clutter, seed=0),
        cluttered_digits(PROTOCOL["test"], "test", clutter=clutter, seed=1),
    )


def map_in_processes(function, tasks: list, jobs: int) -> list:
    """[function(task) for task in tasks], in `jobs` processes (PyTorch training in
    one thread each). Forked, so the workers see what the parent set up (--quick's
    smaller protocol)."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        return list(pool.map(function, tasks))


def use_quick_protocol() -> None:
    """Shrink PROTOCOL in place, for every script and helper that reads it."""
    PROTOCOL.update(QUICK_PROTOCOL)


def digits_arguments(doc: str, output: Path) -> argparse.ArgumentParser:
    """The options every multi-seed digits benchmark takes: --seeds, --jobs, --output,
    --quick (a script adds its own); `doc`'s first line describes the script."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="processes, 1 thread each")
    parser.add_argument("--output", type=Path, default=output)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    return parser


def apply_quick(args) -> None:
    """--quick: the tiny protocol and QUICK_SEEDS, for the script and its workers."""
    if args.quick:
        use_quick_protocol()
        args.seeds = QUICK_SEEDS
