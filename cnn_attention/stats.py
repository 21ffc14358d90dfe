"""The book's one way to say "A beats B": 95 % t-intervals and the wording that follows.

Every chapter and benchmark that compares trained models goes through here, so that
the same rule holds everywhere:

- When both runs share their random seeds (same initial weights, same batches), the
  comparison is **paired**: the interval is a t-interval on the per-seed differences,
  with n - 1 degrees of freedom. Otherwise it is Welch's interval on the two means.
- "A beats B" only when the whole interval lies above 0 (and "B beats A" below);
  otherwise "no difference detected with n seeds" -- which is not "they are equal".
- Next to the interval, how many seeds went each way.

    >>> from cnn_attention.stats import compare
    >>> print(compare([0.96, 0.97, 0.95], [0.94, 0.95, 0.95], names=("max", "avg")))
    max - avg: +0.013 [-0.015, +0.042], up on 2, down on 0, tied on 1 of 3 seeds:
      no difference detected with 3 seeds
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _t_quantile(probability: float, degrees_of_freedom: float) -> float:
    from scipy import stats  # imported late: only comparisons need scipy

    return float(stats.t.ppf(probability, degrees_of_freedom))


def _as_sample(values, name: str) -> np.ndarray:
    """A 1-D float array of finite numbers, or a ValueError that says what was wrong."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}")
    items = list(values)
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(
            item, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"{name} must hold only real numbers (not booleans), got {item!r}"
            )
    sample = np.asarray(items, dtype=np.float64)
    if sample.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {sample.shape}")
    if len(sample) < 2:
        raise ValueError(
            f"{name} needs at least 2 values for an interval, got {len(sample)}"
        )
    if not np.all(np.isfinite(sample)):
        raise ValueError(f"{name} must be finite, got {sample.tolist()}")
    return sample


def _check_confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    return float(confidence)


def _check_digits(digits) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be an int >= 0, got {digits!r}")
    return digits


@dataclass(frozen=True)
class Interval:
    """A mean with its t-interval: `low <= mean <= high`, from `n` values."""

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    def format(self, digits: int = 3, sign: bool = False) -> str:
        """'0.957 [0.944, 0.970]'; with sign=True, '+0.013 [-0.016, +0.042]'."""
        spec = f"{'+' if sign else ''}.{_check_digits(digits)}f"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def __str__(self) -> str:
        return self.format()


def t_interval(values, confidence: float = 0.95) -> Interval:
    """The mean of `values` with its t-interval (n - 1 degrees of freedom)."""
    sample = _as_sample(values, "values")
    confidence = _check_confidence(confidence)
    n = len(sample)
    half = _t_quantile(0.5 + confidence / 2, n - 1) * sample.std(ddof=1) / math.sqrt(n)
    mean = float(sample.mean())
    return Interval(mean, mean - half, mean + half, n, confidence)


@dataclass(frozen=True)
class Comparison:
    """A minus B: the interval of the difference, the seeds each way, the verdict."""

    names: tuple
    difference: Interval
    paired: bool
    up: int  # seeds where A > B (paired comparisons only; else 0)
    down: int
    tied: int

    @property
    def n(self) -> int:
        return self.difference.n

    @property
    def verdict(self) -> str:
        """ "A beats B" only when the interval excludes 0; the wording the book uses."""
        first, second = self.names
        if self.difference.low > 0:
            return f"{first} beats {second}"
        if self.difference.high < 0:
            return f"{second} beats {first}"
        return f"no difference detected with {self.n} seeds"

    @property
    def detected(self) -> bool:
        return self.difference.low > 0 or self.difference.high < 0

    def format(self, digits: int = 3, scale: float = 1.0) -> str:
        """One line: difference [interval], seeds each way, verdict.

        `scale` multiplies the numbers shown (100 for percentage points)."""
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        d = self.difference
        shown = Interval(d.mean * scale, d.low * scale, d.high * scale, d.n)
        line = f"{self.names[0]} - {self.names[1]}: {shown.format(digits, sign=True)}"
        if self.paired:
            line += f", up on {self.up}, down on {self.down}, tied on {self.tied}"
            line += f" of {self.n} seeds"
        if len(line) + 2 + len(self.verdict) <= 88:  # the book's printed-line width
            return f"{line}: {self.verdict}"
        return f"{line}:\n  {self.verdict}"

    def __str__(self) -> str:
        return self.format()


def compare(
    a, b, *, paired: bool = True, names=("A", "B"), confidence: float = 0.95
) -> Comparison:
    """Compare two sets of results (accuracies, losses): A minus B.

    paired=True when a[i] and b[i] come from the same random seed (the book's
    benchmarks draw the same initial weights and batches for every variant): the
    t-interval of the differences, n - 1 degrees of freedom. paired=False gives
    Welch's interval, for runs that share nothing."""
    if not isinstance(paired, bool):
        raise ValueError(f"paired must be True or False, got {paired!r}")
    if (
        not isinstance(names, (tuple, list))
        or len(names) != 2
        or not all(isinstance(name, str) and name for name in names)
    ):
        raise ValueError(f"names must be two non-empty strings, got {names!r}")
    first, second = _as_sample(a, "a"), _as_sample(b, "b")
    confidence = _check_confidence(confidence)
    if paired:
        if len(first) != len(second):
            raise ValueError(
                "a paired comparison needs one result per seed on both sides, got "
                f"{len(first)} and {len(second)} (pass paired=False if the runs "
                "share no seeds)"
            )
        gaps = first - second
        difference = t_interval(gaps, confidence)
        up, down = int((gaps > 0).sum()), int((gaps < 0).sum())
        return Comparison(
            tuple(names), difference, True, up, down, len(gaps) - up - down
        )
    # Welch: separate variances, Welch-Satterthwaite degrees of freedom.
    va, vb = first.var(ddof=1) / len(first), second.var(ddof=1) / len(second)
    mean = float(first.mean() - second.mean())
    if va + vb == 0:
        half = 0.0
    else:
        dof = (va + vb) ** 2 / (va**2 / (len(first) - 1) + vb**2 / (len(second) - 1))
        half = _t_quantile(0.5 + confidence / 2, dof) * math.sqrt(va + vb)
    n = min(len(first), len(second))
    difference = Interval(mean, mean - half, mean + half, n, confidence)
    return Comparison(tuple(names), difference, False, 0, 0, 0)


__all__ = ["Interval", "Comparison", "t_interval", "compare"]
