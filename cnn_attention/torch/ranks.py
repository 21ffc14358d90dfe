"""Modules whose squeeze averages over every position (SE, ECA) take any rank.

A subclass sets SPATIAL_DIMS: 1 for sequences (N, C, L), 2 for images (N, C, H, W),
3 for volumes and video (N, C, D, H, W); nothing else changes.
"""


class AnyRank:
    SPATIAL_DIMS = 2

    def set_rank(self, channels: int) -> None:
        # attributes, not class constants: TorchScript compiles what an instance holds
        self.spatial_dims = self.SPATIAL_DIMS
        # the squeeze's axes: H, W (or L; or D, H, W)
        self.spatial_axes = list(range(2, 2 + self.spatial_dims))
        self.gate_shape = [-1, channels] + [1] * self.spatial_dims  # (N, C, 1, 1)


__all__ = [
    "AnyRank",
]
