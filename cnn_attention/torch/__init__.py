# This file was generated from notebooks/02_squeeze_excitation.ipynb
#   and notebooks/03_efficient_channel_attention.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

"""cnn_attention.torch: the modules of the book, one import away."""

from .activations import make_activation, make_gate
from .eca import ECAModule
from .resnet import Bottleneck, resnet50
from .se import SEModule
