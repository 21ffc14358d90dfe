# This file was generated from notebooks/02_squeeze_excitation.ipynb
#   and notebooks/03_efficient_channel_attention.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

"""cnn_attention.keras: the modules of the book, one import away."""

from .activations import get_activation, get_gate
from .eca import ECAModule
from .se import SEModule
