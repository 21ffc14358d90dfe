from torch import nn

from cnn_attention.reference import seed_003

# The book's experiment on seed 003's "improvements": each one applied alone to the
# post's own CBAM (its "paper source code"), so that a difference in accuracy can be
# traced to one change. The last variant is the post's final listing as written.


class Sequential(nn.Module):
    """channel attention, then spatial attention: the seed's CBAM with other parts."""

    def __init__(self, channel: nn.Module, spatial: nn.Module):
        super().__init__()
        self.channel, self.spatial = channel, spatial

    def forward(self, x):
        return self.spatial(self.channel(x))


class ResidualSum(nn.Module):
    """Improvement 5 alone: x + ca(x) + sa(x), with the seed's plain parts."""

    def __init__(self, channel: nn.Module, spatial: nn.Module):
        super().__init__()
        self.channel, self.spatial = channel, spatial

    def forward(self, x):
        return x + self.channel(x) + self.spatial(x)


def _paper(channels, **_):
    return Sequential(seed_003.ChannelAttention(channels), seed_003.SpatialAttention(7))


def _with_init(channels, **_):
    return _paper(channels).apply(seed_003.init_weights)


def _dynamic_width(channels, **_):
    # get_ratio returns a hidden width; the seed's ChannelAttention takes a ratio
    ratio = channels // seed_003.get_ratio(channels)
    channel = seed_003.ChannelAttention(channels, ratio=ratio)
    return Sequential(channel, seed_003.SpatialAttention(7))


VARIANTS = {
    "seed 003 CBAM (paper code)": _paper,
    "1: separate MLPs + BN": lambda channels, **_: Sequential(
        seed_003.ChannelAttentionSeparateBN(channels), seed_003.SpatialAttention(7)
    ),
    "2: deep spatial + residual": lambda channels, **_: Sequential(
        seed_003.ChannelAttention(channels), seed_003.SpatialAttentionDeep(7)
    ),
    "3: get_ratio width": _dynamic_width,
    "4: He init, zero bias": _with_init,
    "5: x + ca(x) + sa(x)": lambda channels, **_: ResidualSum(
        seed_003.ChannelAttention(channels), seed_003.SpatialAttention(7)
    ),
    "the post's final listing": lambda channels, **_: seed_003.CBAMParallel(
        channels, 7
    ),
}


__all__ = [
    "Sequential",
    "ResidualSum",
    "VARIANTS",
]
