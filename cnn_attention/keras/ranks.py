"""Layers whose squeeze averages over every position (SE, ECA) take any rank.

A subclass sets SPATIAL_DIMS: 1 for sequences (N, L, C), 2 for images (N, H, W, C),
3 for volumes and video (N, D, H, W, C); nothing else changes.
"""

from cnn_attention.utils import check_feature_map


class AnyRank:
    SPATIAL_DIMS = 2

    def set_rank(self, channels: int) -> None:
        dims = self.SPATIAL_DIMS
        self.spatial_axes = tuple(range(1, 1 + dims))  # H, W (or L; D, H, W)
        self.gate_shape = (-1, *[1] * dims, channels)  # (N, 1, 1, C)

    def check(self, x) -> None:
        """ValueError unless `x` (a tensor or a shape) fits the layer's rank."""
        check_feature_map(
            x, self.channels, True, self.label, spatial_dims=self.SPATIAL_DIMS
        )


__all__ = [
    "AnyRank",
]
