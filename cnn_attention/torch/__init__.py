# This file was generated from notebooks/02_squeeze_excitation.ipynb, notebooks/03_efficient_channel_attention.ipynb by tools/export_package.py — do not edit.
# Change the notebook's '#| export' cells instead, then run `make export`.

"""cnn_attention.torch: the modules of the book, one import away."""

from .activations import make_activation, make_gate
from .eca import ECAModule
from .resnet import Bottleneck, resnet50
from .se import SEModule
