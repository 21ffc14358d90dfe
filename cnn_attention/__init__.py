"""Attention modules for convolutional networks, in PyTorch and Keras 3.

Ordinary, hand-maintained source. The book's chapters build a minimal version of each
module from scratch and prove it equal to the one here; this package adds what code
reused in other models needs: argument checks, configs, weight ports between the
frameworks, loaders for the official checkpoints, and a factory by name.

- ``cnn_attention.torch``: PyTorch modules (imports torch only)
- ``cnn_attention.keras``: Keras 3 layers (imports keras only; any backend)
- ``cnn_attention.utils``: framework-free helpers: seeding, shape checks, parameter
  counts, weight porting, the PyTorch-versus-Keras check
- ``cnn_attention.stats``: the one way to compare trained models: paired t-intervals
  and the verdict's wording ("A beats B" only when the interval excludes 0)
- ``cnn_attention.arguments``, ``cnn_attention.costs``: argument checks, size rules
  and cost formulas both frameworks share
- ``cnn_attention.reference``: the seeds' and the papers' code, for comparison only
- ``cnn_attention.exercises``: the answer key of the chapters' exercises
- ``cnn_attention.figures``: the diagrams the chapters show, ``show_figure(name)``

Importing this package imports neither framework. Keras models saved with the book's
layers load after ``import cnn_attention.keras``, which registers the layers.
"""

# The one version number: pyproject.toml reads it from here.
__version__ = "0.2.0"
