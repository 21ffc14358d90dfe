import warnings

import torch
import torch.nn as nn

from cnn_attention.reference.cbam_official import BasicBlock, Bottleneck

# Seed 004's dual-pooling network (its section 5, credited to the Kaggle master
# "gray"), verbatim but for formatting. The post imports torchvision's resnet18;
# torchvision is not installed here, so `resnet18` and `resnet50` below are
# stand-ins, the book's and not the seed's: torchvision's layout, parameter names
# and order of children, built from the official CBAM code's blocks (torchvision's
# too) without attention, and never a download.


class TorchvisionLayoutResNet(nn.Module):
    """Stand-in for torchvision.models.ResNet: conv1, bn1, relu, maxpool, layer1-4,
    avgpool, fc, in torchvision's order and with its parameter names."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(
                    self.inplanes, planes * block.expansion, 1, stride, bias=False
                ),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _no_download(name, pretrained, weights):
    if pretrained or weights is not None:
        warnings.warn(
            f"{name}(pretrained=True) would download ImageNet weights through "
            "torchvision, which is not installed here, and the book downloads "
            "nothing: this stand-in is randomly initialised. (torchvision >= 0.13 "
            "spells it weights=ResNet18_Weights.IMAGENET1K_V1; pretrained= is "
            "deprecated.)",
            stacklevel=3,
        )


def resnet18(pretrained=False, weights=None, num_classes=1000):
    """Stand-in for torchvision.models.resnet18: 11,689,512 parameters."""
    _no_download("resnet18", pretrained, weights)
    return TorchvisionLayoutResNet(BasicBlock, [2, 2, 2, 2], num_classes)


def resnet50(pretrained=False, weights=None, num_classes=1000):
    """Stand-in for torchvision.models.resnet50: 25,557,032 parameters."""
    _no_download("resnet50", pretrained, weights)
    return TorchvisionLayoutResNet(Bottleneck, [3, 4, 6, 3], num_classes)


# --- The seed's code ---
class res18(nn.Module):
    def __init__(self, num_classes):
        super(res18, self).__init__()
        self.base = resnet18(pretrained=True)
        self.feature = nn.Sequential(
            self.base.conv1,
            self.base.bn1,
            self.base.relu,
            self.base.maxpool,
            self.base.layer1,
            self.base.layer2,
            self.base.layer3,
            self.base.layer4,
        )
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.reduce_layer = nn.Conv2d(1024, 512, 1)
        self.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(512, num_classes))

    def forward(self, x):
        bs = x.shape[0]
        x = self.feature(x)
        x1 = self.avg_pool(x)
        x2 = self.max_pool(x)
        x = torch.cat([x1, x2], dim=1)
        x = self.reduce_layer(x).view(bs, -1)
        logits = self.fc(x)
        return logits


__all__ = [
    "TorchvisionLayoutResNet",
    "resnet18",
    "resnet50",
    "res18",
]
