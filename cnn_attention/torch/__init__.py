# Generated from the book's notebooks by tools/export_package.py: do not edit.
# Change the '#| export' cells of
#   notebooks/01_tensor_shapes.ipynb
#   notebooks/02_squeeze_excitation.ipynb
#   notebooks/03_efficient_channel_attention.ipynb
# then run `make export`.
"""The book's modules for PyTorch, one import away (imports torch only)."""

from .activations import create_activation, create_gate
from .blocks import ConvNormAct
from .checks import check_input
from .costs import count_multiply_adds
from .eca import ECAModule
from .factory import (
    ATTENTION_MODULES,
    ConfigMixin,
    create_attention,
    register_attention,
)
from .resnet import (
    BLOCKS,
    BasicBlock,
    Bottleneck,
    ClassifierHead,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
)
from .se import SEModule, senet_pytorch_keys

__all__ = [
    "ATTENTION_MODULES",
    "BLOCKS",
    "BasicBlock",
    "Bottleneck",
    "ClassifierHead",
    "ConfigMixin",
    "ConvNormAct",
    "ECAModule",
    "ResNet",
    "SEModule",
    "check_input",
    "count_multiply_adds",
    "create_activation",
    "create_attention",
    "create_gate",
    "register_attention",
    "resnet18",
    "resnet34",
    "resnet50",
    "senet_pytorch_keys",
]
