"""Offline data for the chapters' short training runs: scikit-learn's digits, placed
in larger canvases with clutter ("cluttered digits"), and batch order helpers that
both frameworks' training loops share.
"""

import functools

import numpy as np

from cnn_attention.arguments import check_choice, check_positive_int, check_seed

SOURCE_SPLIT_SEED = 1234  # fixes which of the 1,797 digits are train and which test
TEST_DIGITS = 500


@functools.lru_cache(maxsize=1)
def _source_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # ships inside scikit-learn: no download

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    order = np.random.default_rng(SOURCE_SPLIT_SEED).permutation(len(images))
    return images[order], digits.target[order].astype(np.int64)


def source_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits, (n, 8, 8) in [0, 1], and their labels.

    A fixed permutation splits the 1,797 digits into 1,297 for training and 500 for
    testing, so a test image never shows a digit (or a fragment of one) seen in
    training.
    """
    images, labels = _source_digits()
    check_choice("split", split, ("train", "test"))
    if split == "train":
        return images[:-TEST_DIGITS], labels[:-TEST_DIGITS]
    return images[-TEST_DIGITS:], labels[-TEST_DIGITS:]


def cluttered_digits(
    count: int,
    split: str = "train",
    canvas_size: int = 32,
    scale: int = 2,
    clutter: int = 4,
    fragment_size: int = 6,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits at random places on a larger canvas, among fragments of other digits.

    Each image holds one digit, scaled `scale` times (16 x 16 by default), placed at
    a random position, and `clutter` square fragments of other digits of the same
    split, placed where they do not overlap it: strokes that look like parts of
    digits but are not the one to classify. clutter=0 gives plain digits at random
    places. Pixels are in [0, 1].

    Returns images (count, 1, S, S) float32 in PyTorch layout (to_channels_last
    gives Keras's), labels (count,) int64, and each digit's box (count, 4) as
    (top, left, bottom, right), bottom and right exclusive.
    """
    for name, value in [
        ("count", count),
        ("canvas_size", canvas_size),
        ("scale", scale),
    ]:
        check_positive_int(name, value)
    check_positive_int("fragment_size", fragment_size)
    check_seed("seed", seed)
    if isinstance(clutter, bool) or not isinstance(clutter, int) or clutter < 0:
        raise ValueError(f"clutter must be a non-negative int, got {clutter!r}")
    side = 8 * scale
    if canvas_size < side:
        raise ValueError(
            f"canvas_size={canvas_size} cannot hold a {side} x {side} digit "
            f"(8 pixels x scale={scale})"
        )
    if fragment_size > side:
        raise ValueError(
            f"fragment_size={fragment_size} is larger than a digit ({side})"
        )
    sources, source_labels = source_digits(split)
    digits = np.kron(sources, np.ones((scale, scale), np.float32))  # (n, side, side)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(digits), count)
    corners = rng.integers(0, canvas_size - side + 1, (count, 2))  # (top, left)
    images = np.zeros((count, canvas_size, canvas_size), np.float32)
    for image, pick, (top, left) in zip(images, picks, corners):
        for _ in range(clutter):
            source = digits[rng.integers(len(digits))]
            row, column = rng.integers(0, side - fragment_size + 1, 2)
            fragment = source[
                row : row + fragment_size, column : column + fragment_size
            ]
            for _attempt in range(20):  # a place beside the digit, not on it
                y, x = rng.integers(0, canvas_size - fragment_size + 1, 2)
                apart_rows = y + fragment_size <= top or y >= top + side
                apart_columns = x + fragment_size <= left or x >= left + side
                if apart_rows or apart_columns:
                    window = image[y : y + fragment_size, x : x + fragment_size]
                    np.maximum(window, fragment, out=window)
                    break
        window = image[top : top + side, left : left + side]
        np.maximum(window, digits[pick], out=window)
    boxes = np.concatenate([corners, corners + side], axis=1)
    return images[:, None], source_labels[picks], boxes


def batch_indices(count: int, batch_size: int, epochs: int, seed: int = 0):
    """The mini-batches of a training run: for each epoch, a list of index arrays.

    A NumPy generator seeded with `seed` shuffles each epoch, so the PyTorch and the
    Keras training loops of the book see the same batches in the same order. A last
    batch of a single image joins the batch before it: BatchNorm cannot normalise
    one value per channel in training (PyTorch refuses it), and one image's step
    would be as large as a full batch's.
    """
    check_batching(count, batch_size, epochs, seed)
    rng = np.random.default_rng(seed)
    starts = batch_starts(count, batch_size)
    for _ in range(epochs):
        order = rng.permutation(count)
        yield [order[start:end] for start, end in zip(starts, starts[1:] + [count])]


def count_images(shape) -> int:
    """How many images a batch of this shape holds; ValueError for none at all."""
    shape = tuple(shape)
    if not shape or shape[0] == 0:
        raise ValueError(f"need at least one image, got images of shape {shape}")
    return int(shape[0])


def check_batching(count: int, batch_size: int, epochs: int, seed: int) -> None:
    for name, value in [
        ("count", count),
        ("batch_size", batch_size),
        ("epochs", epochs),
    ]:
        check_positive_int(name, value)
    check_seed("seed", seed)


def batch_starts(count: int, batch_size: int) -> list:
    """Where each batch of an epoch starts (a last batch of one joins the previous)."""
    starts = list(range(0, count, batch_size))
    if len(starts) > 1 and count - starts[-1] == 1:
        starts.pop()
    return starts


def check_labels(labels, count: int, num_classes: int | None = None) -> np.ndarray:
    """Class labels as a (count,) int64 array: a vector or a column (count, 1) of
    integers in [0, num_classes)."""
    array = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]  # a column of labels, as Keras often has them
    if array.ndim != 1 or len(array) != count:
        raise ValueError(
            f"labels must be a vector of {count} class indices, as many labels as "
            f"images, or a ({count}, 1) column; got shape {array.shape}"
        )
    if array.dtype.kind not in "iu" and count:
        raise ValueError(f"labels must be integers (class indices), got {array.dtype}")
    if count and array.min() < 0:
        raise ValueError(f"labels must be >= 0, got {array.min()}")
    if num_classes is not None and count and array.max() >= num_classes:
        raise ValueError(
            f"labels must be below the model's {num_classes} outputs (classes "
            f"0..{num_classes - 1}); got {array.max()}"
        )
    return array.astype(np.int64)


def box_cells(boxes, size: int, canvas_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Which rows and which columns of a size x size map lie on each digit's box.

    A cell covers canvas_size / size pixels and counts as on the box when its centre
    is inside. `boxes` (N, 4) are (top, left, bottom, right) as cluttered_digits
    returns them. Returns two (N, size) boolean arrays: rows, columns.
    """
    check_positive_int("size", size)
    check_positive_int("canvas_size", canvas_size)
    if canvas_size % size:
        raise ValueError(f"size={size} must divide canvas_size={canvas_size}")
    boxes = np.asarray(boxes)
    centres = (np.arange(size) + 0.5) * (canvas_size // size)  # in canvas pixels
    rows = (centres >= boxes[:, 0:1]) & (centres < boxes[:, 2:3])
    columns = (centres >= boxes[:, 1:2]) & (centres < boxes[:, 3:4])
    return rows, columns


def peaks_on_box(row_profiles, column_profiles, boxes, canvas_size: int = 32) -> dict:
    """How often a profile's maximum lies on the digit, and how often by chance.

    row_profiles (N, H) and column_profiles (N, W) hold one value per row and per
    column of a map (for example a_h and a_w averaged over channels). "rows" is the
    fraction of images whose largest row value lies on the digit's rows, "columns"
    the same for columns, "both" the fraction with both; "chance_*" are the rates
    of a maximum placed at random (the share of rows, columns, cells on the box).
    """
    row_profiles, column_profiles = (
        np.asarray(row_profiles),
        np.asarray(column_profiles),
    )
    rows, _ = box_cells(boxes, row_profiles.shape[1], canvas_size)
    _, columns = box_cells(boxes, column_profiles.shape[1], canvas_size)
    images = np.arange(len(rows))
    row_hits = rows[images, row_profiles.argmax(axis=1)]
    column_hits = columns[images, column_profiles.argmax(axis=1)]
    return {
        "rows": float(row_hits.mean()),
        "columns": float(column_hits.mean()),
        "both": float((row_hits & column_hits).mean()),
        "chance_rows": float(rows.mean()),
        "chance_columns": float(columns.mean()),
        "chance_both": float((rows.mean(axis=1) * columns.mean(axis=1)).mean()),
    }


__all__ = [
    "SOURCE_SPLIT_SEED",
    "TEST_DIGITS",
    "source_digits",
    "cluttered_digits",
    "batch_indices",
    "batch_starts",
    "check_batching",
    "count_images",
    "check_labels",
    "box_cells",
    "peaks_on_box",
]
