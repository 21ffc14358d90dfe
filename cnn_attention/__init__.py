"""Attention modules for convolutional networks, in PyTorch and Keras 3.

The code is generated from the book's notebooks (see tools/export_package.py):

- ``cnn_attention.utils``  framework-free helpers: seeding, shape checks, parameter counts, weight porting
- ``cnn_attention.arguments``  framework-free argument checks and size rules both implementations share
- ``cnn_attention.torch``  PyTorch modules (imports torch only)
- ``cnn_attention.keras``  Keras 3 layers (imports keras only; any backend)

Importing this package imports neither framework.
"""

__version__ = "0.1.0"
