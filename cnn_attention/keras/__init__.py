# This file was generated from notebooks/02_squeeze_excitation.ipynb, notebooks/03_efficient_channel_attention.ipynb by tools/export_package.py — do not edit.
# Change the notebook's '#| export' cells instead, then run `make export`.

"""cnn_attention.keras: the modules of the book, one import away."""

from .activations import get_activation, get_gate
from .eca import ECAModule
from .se import SEModule
