"""A PyTorch module in the runtimes it is deployed to, each as a NumPy function.

    run = in_runtime(module, example, "onnxruntime")
    y = run(x)  # x: NumPy (N, C, H, W) -> NumPy output

The practice page "Deploying" runs every attention module in each, checks the outputs
against eager PyTorch and times them (benchmarks/deploying.py).
"""

import io
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from cnn_attention.arguments import check_choice, check_positive_int

TORCH_RUNTIMES = ("eager", "torchscript", "torch.export", "onnxruntime")


def _check(module, example) -> None:
    if not isinstance(module, nn.Module):
        raise ValueError(
            f"module must be a torch.nn.Module, got {type(module).__name__}"
        )
    if not isinstance(example, torch.Tensor) or not example.is_floating_point():
        raise ValueError(
            "example must be a floating-point torch.Tensor input of the module, got "
            f"{type(example).__name__}"
        )


def _numpy_function(call) -> Callable[[np.ndarray], np.ndarray]:
    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return call(torch.from_numpy(np.ascontiguousarray(x))).numpy()

    return run


def in_runtime(
    module: nn.Module, example: torch.Tensor, runtime: str, threads: int = 1
) -> Callable[[np.ndarray], np.ndarray]:
    """`module` (put in eval mode) exported for `runtime`, as x -> output in NumPy.

    runtime: "eager" (the module itself), "torchscript" (torch.jit.script, saved and
    loaded again), "torch.export" (torch.export.export's program), or "onnxruntime"
    (torch.onnx.export, run by an onnxruntime session with `threads` threads). The
    export sees `example` (its shape is fixed, batch size included, except in eager
    mode and TorchScript).
    """
    _check(module, example)
    check_choice("runtime", runtime, TORCH_RUNTIMES)
    check_positive_int("threads", threads)
    module = module.eval()
    if runtime == "eager":
        return _numpy_function(module)
    if runtime == "torchscript":
        buffer = io.BytesIO()
        torch.jit.save(torch.jit.script(module), buffer)
        buffer.seek(0)
        return _numpy_function(torch.jit.load(buffer))
    if runtime == "torch.export":
        program = torch.export.export(module, (example,))
        return _numpy_function(program.module())
    import onnxruntime  # only this runtime needs it

    exported = torch.onnx.export(module, (example,), dynamo=True, verbose=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        exported.model_proto.SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
    )
    name = session.get_inputs()[0].name

    def run(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: np.ascontiguousarray(x, dtype=np.float32)})[0]

    return run


__all__ = [
    "TORCH_RUNTIMES",
    "in_runtime",
]
