import torch
import torch.nn as nn

# Seed 003's PyTorch code, verbatim but for formatting. The post defines several
# classes under the same names; the later versions are renamed here (the new name
# says which "improvement" it is) so that all of them can sit in one module.


# --- The post's "paper source code" ---
class ChannelAttention(nn.Module):
    def __init__(self, in_channels, ratio=16):
        super(ChannelAttention, self).__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Sequential(
            nn.Conv2d(in_channels, in_channels // ratio, 1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels // ratio, in_channels, 1, bias=False),
        )
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        avg_out = self.fc(self.avg_pool(x))
        max_out = self.fc(self.max_pool(x))
        out = avg_out + max_out
        out = self.sigmoid(out)
        return out * x


class SpatialAttention(nn.Module):
    def __init__(self, kernel_size=7):
        super(SpatialAttention, self).__init__()
        assert kernel_size in (3, 7), "kernel size must be 3 or 7"
        padding = 3 if kernel_size == 7 else 1
        self.conv1 = nn.Conv2d(2, 1, kernel_size, padding=padding, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        avg_out = torch.mean(x, dim=1, keepdim=True)
        max_out, _ = torch.max(x, dim=1, keepdim=True)
        out = torch.cat([avg_out, max_out], dim=1)
        out = self.sigmoid(self.conv1(out))
        return out * x


class CBAM(nn.Module):
    def __init__(self, in_channels, ratio=16, kernel_size=3):
        super(CBAM, self).__init__()
        self.channelattention = ChannelAttention(in_channels, ratio=ratio)
        self.spatialattention = SpatialAttention(kernel_size=kernel_size)

    def forward(self, x):
        x = self.channelattention(x)
        x = self.spatialattention(x)
        return x


# --- Improvement 1: separate branches with BatchNorm (the post's ChannelAttention) ---
class ChannelAttentionSeparateBN(nn.Module):
    def __init__(self, in_channels, ratio=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        # separate fully connected branches
        self.fc_avg = nn.Sequential(
            nn.Conv2d(in_channels, in_channels // ratio, 1, bias=False),
            nn.BatchNorm2d(in_channels // ratio),  # BN added
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels // ratio, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),  # the output layer may take BN too
        )
        self.fc_max = nn.Sequential(
            nn.Conv2d(in_channels, in_channels // ratio, 1, bias=False),
            nn.BatchNorm2d(in_channels // ratio),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels // ratio, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),
        )
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        avg_out = self.fc_avg(self.avg_pool(x))
        max_out = self.fc_max(self.max_pool(x))
        out = self.sigmoid(avg_out + max_out)
        return x * out


# --- Improvement 2: a deeper spatial branch (the post's SpatialAttention) ---
class SpatialAttentionDeep(nn.Module):
    def __init__(self, kernel_size=7):
        super().__init__()
        padding = kernel_size // 2
        self.conv = nn.Sequential(
            nn.Conv2d(2, 32, kernel_size, padding=padding, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.Conv2d(32, 1, kernel_size, padding=padding, bias=False),  # deeper conv
            nn.BatchNorm2d(1),
        )
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        avg_out = torch.mean(x, dim=1, keepdim=True)
        max_out, _ = torch.max(x, dim=1, keepdim=True)
        cat = torch.cat([avg_out, max_out], dim=1)
        out = self.conv(cat) + cat.mean(dim=1, keepdim=True)  # residual connection
        return x * self.sigmoid(out)


# --- Improvements 3, 4 and 5 (one listing in the post) ---
# Improvement 3: dynamic ratio
def get_ratio(in_channels, min_ratio=16):
    """Compute the ratio dynamically, to avoid division by zero with few channels."""
    return max(in_channels // min_ratio, 4)  # keep the smallest split ratio at 4


# Improvement 4: better initialisation
def init_weights(m):
    """He initialisation + zero biases."""
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)


# Improvements 1 and 3: channel attention with the dynamic ratio
class ChannelAttentionImproved(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        ratio = get_ratio(in_channels)  # the dynamic ratio
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Sequential(
            nn.Conv2d(in_channels, ratio, 1, bias=False),
            nn.BatchNorm2d(ratio),
            nn.ReLU(),
            nn.Conv2d(ratio, in_channels, 1, bias=False),
            nn.BatchNorm2d(in_channels),
        )
        self.sigmoid = nn.Sigmoid()
        self.apply(init_weights)  # apply the initialisation

    def forward(self, x):
        avg_out = self.fc(self.avg_pool(x))
        max_out = self.fc(self.max_pool(x))
        weight = self.sigmoid(avg_out + max_out)
        return x * weight


# Improvement 1: spatial attention
class SpatialAttentionImproved(nn.Module):
    def __init__(self, kernel_size=7):
        super().__init__()
        padding = kernel_size // 2
        self.conv = nn.Sequential(
            nn.Conv2d(2, 32, kernel_size, padding=padding, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 1, kernel_size, padding=padding, bias=False),
            nn.BatchNorm2d(1),
        )
        self.sigmoid = nn.Sigmoid()
        self.apply(init_weights)

    def forward(self, x):
        avg_out = torch.mean(x, dim=1, keepdim=True)
        max_out, _ = torch.max(x, dim=1, keepdim=True)
        cat = torch.cat([avg_out, max_out], dim=1)
        weight = self.sigmoid(self.conv(cat))
        return x * weight


# Improvement 5: parallel attention fusion
class CBAMParallel(nn.Module):
    def __init__(self, in_channels, kernel_size=7):
        super().__init__()
        self.ca = ChannelAttentionImproved(in_channels)
        self.sa = SpatialAttentionImproved(kernel_size)
        self.apply(init_weights)  # initialise the whole module

    def forward(self, x):
        # channel and spatial attention computed in parallel
        ca_out = self.ca(x)  # channel attention branch
        sa_out = self.sa(x)  # spatial attention branch
        # residual fusion (original + channel features + spatial features)
        return x + ca_out + sa_out


__all__ = [
    "ChannelAttention",
    "SpatialAttention",
    "CBAM",
    "ChannelAttentionSeparateBN",
    "SpatialAttentionDeep",
    "get_ratio",
    "init_weights",
    "ChannelAttentionImproved",
    "SpatialAttentionImproved",
    "CBAMParallel",
]
