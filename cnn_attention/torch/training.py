"""A small, repeatable PyTorch training loop for the chapters' short runs, with
accuracy, prediction and BatchNorm recalibration helpers.
"""

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from cnn_attention.arguments import check_bool, check_positive_int, check_real
from cnn_attention.data import (
    batch_indices,
    batch_starts,
    check_batching,
    check_labels,
    count_images,
)


def train_classifier(
    model: nn.Module,
    images,
    labels,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
    threads: int | None = 1,
) -> list[float]:
    """Train with Adam (cosine-decayed) and cross-entropy; return each epoch's loss.

    `images` (N, C, H, W) and `labels` (N,) may be NumPy arrays or tensors. The
    batches come from cnn_attention.data.batch_indices, shuffled by `seed` (the
    Keras loop of the book uses the same batches), so two runs from the same initial
    weights are identical on the same machine. A tqdm bar shows progress (on
    stderr, which the book's tests do not compare). `threads` sets PyTorch's thread
    count while training (restored after): one thread trains the book's small
    networks about as fast as two, is not slowed down badly by a busy machine, and
    gives the same numbers on every machine with the same libraries; None keeps the
    current setting.
    """
    images = torch.as_tensor(images)
    check_batching(count_images(images.shape), batch_size, epochs, seed)
    check_real("learning_rate", learning_rate, positive=True)
    check_bool("progress", progress)
    if threads is not None:
        check_positive_int("threads", threads)
    labels = torch.from_numpy(
        check_labels(labels, len(images), _num_outputs(model, images))
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    # cosine decay to zero: the last steps are small, so the final weights do not
    # depend on where the last noisy batch happened to push them
    steps = epochs * len(batch_starts(len(images), batch_size))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    losses = []
    model.train()
    epochs_of_batches = batch_indices(len(images), batch_size, epochs, seed)
    name = type(model).__name__
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    try:
        for batches in tqdm(
            epochs_of_batches, total=epochs, desc=name, disable=not progress
        ):
            total = 0.0
            for batch in map(torch.from_numpy, batches):
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item() * len(batch)
            losses.append(total / len(images))
    finally:
        torch.set_num_threads(previous_threads)
    return losses


@torch.no_grad()
def _num_outputs(model: nn.Module, images: torch.Tensor) -> int:
    """How many classes `model` scores: its output width on one image (eval mode,
    so BatchNorm's statistics are left alone)."""
    was_training = model.training
    model.eval()
    try:
        return model(images[:1]).shape[-1]
    finally:
        model.train(was_training)


@torch.no_grad()
def predict(model: nn.Module, images, batch_size: int = 256) -> np.ndarray:
    """Class predictions (N,) of `model` in eval mode (an empty batch gives (0,))."""
    check_positive_int("batch_size", batch_size)
    model.eval()
    images = torch.as_tensor(images)
    if len(images) == 0:
        return np.zeros(0, np.int64)
    batches = [
        model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)
    ]
    return torch.cat(batches).argmax(dim=1).numpy()


def accuracy(model: nn.Module, images, labels) -> float:
    """Fraction of `images` that `model` classifies as `labels` ((N,) or (N, 1))."""
    labels = check_labels(labels, count_images(np.shape(images)))
    return float((predict(model, images) == labels).mean())


@torch.no_grad()
def recalibrate_batch_norm(
    model: nn.Module, images, batch_size: int = 250
) -> nn.Module:
    """A copy of `model` whose BatchNorm statistics are averaged over `images`.

    Every BatchNorm layer forgets its running statistics and re-estimates them as a
    cumulative average (momentum None) over one pass in training mode, without
    gradients. Returned in eval mode; `model` itself is left as it was.
    """
    import copy

    check_positive_int("batch_size", batch_size)
    images = torch.as_tensor(images)
    if images.dim() == 0 or len(images) == 0:
        raise ValueError(
            "recalibrate_batch_norm needs images to average over; got images of "
            f"shape {tuple(images.shape)} (the statistics would be reset to 0 and 1)"
        )
    model = copy.deepcopy(model)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    images = torch.as_tensor(images)
    for start in range(0, len(images), batch_size):
        model(images[start : start + batch_size])
    return model.eval()


__all__ = [
    "train_classifier",
    "predict",
    "accuracy",
    "recalibrate_batch_norm",
]
