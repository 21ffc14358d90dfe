"""A small Keras training loop, the twin of cnn_attention/torch/training.py: same
batches, same optimiser settings, same schedule (chapter 8 compares the two).
"""

import keras
import numpy as np
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
    model: keras.Model,
    images,
    labels,
    epochs: int = 5,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[float]:
    """The PyTorch train_classifier's twin for (N, H, W, C) images and a Keras model.

    The same batches (cnn_attention.data.batch_indices with the same `seed`), Adam
    with PyTorch's epsilon (1e-8; Keras's default is 1e-7), the learning rate decayed
    to zero on a cosine over all steps, cross-entropy on logits. Compiles `model`
    and returns each epoch's mean training loss; a tqdm bar shows the epochs.
    """
    images = np.asarray(images)
    check_batching(count_images(images.shape), batch_size, epochs, seed)
    check_real("learning_rate", learning_rate, positive=True)
    check_bool("progress", progress)
    # out-of-range labels must be refused here: on JAX the loss would quietly be 0
    num_classes = model(images[:1], training=False).shape[-1]
    labels = check_labels(labels, len(images), num_classes)
    steps = epochs * len(batch_starts(len(images), batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, epsilon=1e-8),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    losses = []
    epochs_of_batches = batch_indices(len(images), batch_size, epochs, seed)
    name = type(model).__name__
    for batches in tqdm(
        epochs_of_batches, total=epochs, desc=name, disable=not progress
    ):
        total = 0.0
        for batch in batches:
            # Keras before 3.14 (Colab's 3.13) returns the running mean over the
            # epoch's batches so far unless the metrics are reset: this batch's loss.
            model.reset_metrics()
            loss = model.train_on_batch(images[batch], labels[batch])
            total += float(loss) * len(batch)
        losses.append(total / len(images))
    return losses


def accuracy(model: keras.Model, images, labels, batch_size: int = 256) -> float:
    """Fraction of (N, H, W, C) `images` that `model` classifies as `labels`
    ((N,) or (N, 1))."""
    check_positive_int("batch_size", batch_size)
    images = np.asarray(images)
    labels = check_labels(labels, count_images(images.shape))
    logits = model.predict(images, batch_size=batch_size, verbose=0)
    return float((np.argmax(logits, axis=1) == labels).mean())


__all__ = [
    "train_classifier",
    "accuracy",
]
