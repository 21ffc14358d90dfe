"""The book's modules for PyTorch, one import away (imports torch only)."""

from .activations import create_activation, create_gate
from .bifpn import (
    BiFPN,
    BiFPNLayer,
    BiFPNNode,
    ChannelAdapter,
    ExtraLevel,
    WeightedFusion,
    check_features,
    same_max_pool,
    upsample_to,
    yet_another_efficientdet_keys,
)
from .bifpn_toy import fusion_toy_batch, train_fusion_toy
from .blocks import ConvNormAct
from .cbam import (
    CBAM,
    ChannelGate,
    SpatialGate,
    global_pool,
    official_cbam_keys,
    official_resnet_keys,
    seed_cbam_keys,
)
from .checks import check_input
from .coordatt import (
    CoordinateAttention,
    coordinate_attention_maps,
    official_coordatt_keys,
)
from .costs import count_multiply_adds
from .eca import ECAModule, ECAModule1d, ECAModule3d
from .factory import (
    ATTENTION_MODULES,
    ConfigMixin,
    create_attention,
    register_attention,
)
from .mobilenet import (
    ConvNormReLU6,
    InvertedResidual,
    MobileNetV2,
    mobilenet_v2,
    official_mobilenet_keys,
)
from .pooling import (
    DualPoolHead,
    GeM,
    GlobalPool,
    PoolingHead,
    dual_pool_head,
    pooling_head,
    seed_dual_pool_keys,
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
from .se import SEModule, SEModule1d, SEModule3d, senet_pytorch_keys
from .testing import randomize
from .training import accuracy, predict, recalibrate_batch_norm, train_classifier

__all__ = [
    "randomize",
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
    "check_features",
    "check_input",
    "coordinate_attention_maps",
    "count_multiply_adds",
    "create_activation",
    "create_attention",
    "create_gate",
    "dual_pool_head",
    "fusion_toy_batch",
    "global_pool",
    "mobilenet_v2",
    "official_cbam_keys",
    "official_coordatt_keys",
    "official_mobilenet_keys",
    "official_resnet_keys",
    "pooling_head",
    "predict",
    "recalibrate_batch_norm",
    "register_attention",
    "resnet18",
    "resnet34",
    "resnet50",
    "same_max_pool",
    "seed_cbam_keys",
    "seed_dual_pool_keys",
    "senet_pytorch_keys",
    "train_classifier",
    "train_fusion_toy",
    "upsample_to",
    "yet_another_efficientdet_keys",
]
