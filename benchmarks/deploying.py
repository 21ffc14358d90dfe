"""Deploying: every attention module in every runtime, outputs checked, latency timed.

    python benchmarks/deploying.py            # 5 seeds, one thread everywhere
    python benchmarks/deploying.py --quick    # seconds; checks the pipeline

For each module (SE, ECA, CBAM, Coordinate Attention; the package's defaults) and each
random seed: new weights and a new input of shape (1, 64, 28, 28) (a batch of one, as
served); the PyTorch module in eager mode, TorchScript, torch.export and ONNX Runtime,
and its Keras twin (weights ported) called eagerly, saved and reloaded as .keras,
exported as a TensorFlow SavedModel, and converted to TensorFlow Lite (run by
LiteRT). Each runtime's output is compared with eager PyTorch's; then all eight are
timed in alternation (cnn_attention.utils.timed_rounds), one thread each, and the
median of each kept per seed.

Writes cnn_attention/results/deploying.json with its provenance. Run it on a quiet
machine: the file holds timings.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import torch  # noqa: E402
from provenance import Run, write_results  # noqa: E402  (beside this script)

import cnn_attention.keras as ck  # noqa: E402
import cnn_attention.torch as ct  # noqa: E402
from cnn_attention.keras.runtimes import KERAS_RUNTIMES  # noqa: E402
from cnn_attention.keras.runtimes import in_runtime as keras_runtime  # noqa: E402
from cnn_attention.torch.runtimes import TORCH_RUNTIMES  # noqa: E402
from cnn_attention.torch.runtimes import in_runtime as torch_runtime  # noqa: E402
from cnn_attention.utils import (  # noqa: E402
    port_weights,
    seed_everything,
    timed_rounds,
    to_channels_first,
    to_channels_last,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results" / "deploying.json"
MODULES = {"SE": "se", "ECA": "eca", "CBAM": "cbam", "CA": "coord"}
SHAPE = (1, 64, 28, 28)  # (N, C, H, W): one image, as served
THREADS = 1


def runtimes(name: str, seed: int) -> tuple[dict, np.ndarray]:
    """Every runtime of one module with the weights of `seed`, and its input."""
    seed_everything(seed)
    module = ct.create_attention(MODULES[name], SHAPE[1]).eval()
    with torch.no_grad():  # trained-looking weights: not the initial gates of 0.5
        for parameter in module.parameters():
            parameter.normal_(0, 0.3)
    x = np.random.default_rng(seed).normal(size=SHAPE).astype("float32")
    layer = ck.create_attention(MODULES[name], SHAPE[1], name=MODULES[name])
    layer(to_channels_last(x))
    port_weights(module, layer)
    functions = {
        runtime: torch_runtime(module, torch.from_numpy(x), runtime, THREADS)
        for runtime in TORCH_RUNTIMES
    }
    for runtime in KERAS_RUNTIMES:  # channels last in, channels first out
        run = keras_runtime(layer, to_channels_last(x), runtime, THREADS)
        functions[runtime] = lambda x, run=run: to_channels_first(
            run(to_channels_last(x))
        )
    return functions, x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="tiny run, any numbers")
    args = parser.parse_args()
    run = Run(args)
    if args.quick:
        args.seeds, args.repeats = 2, 5
    torch.set_num_threads(THREADS)
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    report = {"modules": {}}
    for name in MODULES:
        rows = {}
        for seed in range(args.seeds):
            functions, x = runtimes(name, seed)
            reference = functions["eager"](x)
            times = timed_rounds(
                *[lambda f=f, x=x: f(x) for f in functions.values()],
                repeats=args.repeats,
            )
            for (runtime, function), rounds in zip(functions.items(), times):
                row = rows.setdefault(runtime, {"ms": [], "max_difference": 0.0})
                row["ms"].append(round(float(np.median(rounds)), 4))
                gap = float(np.abs(function(x) - reference).max())
                row["max_difference"] = max(row["max_difference"], gap)
            print(name, seed, {r: row["ms"][-1] for r, row in rows.items()}, flush=True)
        report["modules"][name] = rows
    report["input_shape"] = list(SHAPE)
    report["runtimes"] = [*TORCH_RUNTIMES, *KERAS_RUNTIMES]
    record = run.record(
        ["modules"],
        seeds=list(range(args.seeds)),
        repeats=args.repeats,
        input_shape=list(SHAPE),
        threads=THREADS,
    )
    write_results(args.output, report, record)


if __name__ == "__main__":
    main()
