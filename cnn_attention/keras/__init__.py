"""The book's layers for Keras 3, one import away (imports keras only)."""

from .activations import create_activation, create_gate
from .bifpn import (
    BiFPN,
    BiFPNLayer,
    BiFPNNode,
    ChannelAdapter,
    ExtraLevel,
    WeightedFusion,
    check_features,
    efficientdet_batch_norm,
    upsample_to,
)
from .blocks import ConvNormAct, batch_norm
from .cbam import CBAM, ChannelGate, SpatialGate, global_pool
from .coordatt import CoordinateAttention
from .eca import ECAModule, ECAModule1d, ECAModule3d
from .factory import (
    ATTENTION_MODULES,
    ConfigMixin,
    create_attention,
    register_attention,
)
from .mobilenet import ConvNormReLU6, InvertedResidual, MobileNetV2, mobilenet_v2
from .pooling import (
    DualPoolHead,
    GeM,
    GlobalPool,
    PoolingHead,
    dual_pool_head,
    pooling_head,
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
from .se import SEModule, SEModule1d, SEModule3d
from .training import accuracy, train_classifier

__all__ = [
    "ATTENTION_MODULES",
    "BLOCKS",
    "BasicBlock",
    "BiFPN",
    "BiFPNLayer",
    "BiFPNNode",
    "Bottleneck",
    "CBAM",
    "ChannelAdapter",
    "ChannelGate",
    "ClassifierHead",
    "ConfigMixin",
    "ConvNormAct",
    "ConvNormReLU6",
    "CoordinateAttention",
    "DualPoolHead",
    "ECAModule",
    "ECAModule1d",
    "ECAModule3d",
    "ExtraLevel",
    "GeM",
    "GlobalPool",
    "InvertedResidual",
    "MobileNetV2",
    "PoolingHead",
    "ResNet",
    "SEModule",
    "SEModule1d",
    "SEModule3d",
    "SpatialGate",
    "WeightedFusion",
    "accuracy",
    "batch_norm",
    "check_features",
    "create_activation",
    "create_attention",
    "create_gate",
    "dual_pool_head",
    "efficientdet_batch_norm",
    "global_pool",
    "mobilenet_v2",
    "pooling_head",
    "register_attention",
    "resnet18",
    "resnet34",
    "resnet50",
    "train_classifier",
    "upsample_to",
]
