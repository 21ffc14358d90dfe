"""cnn_attention.stats: the t-intervals and the wording every chapter's verdict uses."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from cnn_attention.stats import compare, t_interval

accuracies = st.lists(
    st.floats(0.0, 1.0, allow_nan=False, width=32), min_size=2, max_size=12
)


def test_t_interval_matches_the_textbook_formula():
    values = [0.955, 0.943, 0.973, 0.959, 0.955]
    interval = t_interval(values)
    half = 2.7764451051977987 * np.std(values, ddof=1) / math.sqrt(5)  # t(0.975, 4)
    assert interval.mean == pytest.approx(np.mean(values))
    assert interval.high - interval.mean == pytest.approx(half)
    assert interval.mean - interval.low == pytest.approx(half)
    assert interval.n == 5


def test_paired_interval_is_scipys_interval_of_the_differences():
    a = [0.96, 0.958, 0.966, 0.963, 0.971, 0.957]
    b = [0.955, 0.943, 0.973, 0.959, 0.955, 0.957]
    result = compare(a, b, names=("max", "avg"))
    gaps = np.subtract(a, b)
    low, high = scipy_stats.t.interval(
        0.95, len(gaps) - 1, loc=gaps.mean(), scale=scipy_stats.sem(gaps)
    )
    assert (result.difference.low, result.difference.high) == pytest.approx((low, high))
    assert (result.up, result.down, result.tied) == (4, 1, 1)


def test_welch_interval_matches_scipy():
    a, b = [0.91, 0.92, 0.94, 0.90], [0.95, 0.94, 0.97, 0.96, 0.955]
    result = compare(a, b, paired=False)
    test = scipy_stats.ttest_ind(a, b, equal_var=False)
    low, high = test.confidence_interval(0.95)
    assert (result.difference.low, result.difference.high) == pytest.approx((low, high))
    assert result.verdict == "B beats A"


def test_the_wording_follows_the_interval():
    better = compare([0.97, 0.98, 0.975, 0.985], [0.95, 0.955, 0.96, 0.96])
    assert better.verdict == "A beats B" and better.detected
    worse = compare([0.95, 0.955, 0.96, 0.96], [0.97, 0.98, 0.975, 0.985])
    assert worse.verdict == "B beats A"
    unclear = compare([0.96, 0.95, 0.97], [0.955, 0.96, 0.96], names=("SE", "none"))
    assert unclear.verdict == "no difference detected with 3 seeds"
    assert not unclear.detected


def test_format_scales_and_wraps_at_88_columns():
    result = compare(
        [0.96, 0.97, 0.95], [0.94, 0.95, 0.95], names=("catavgmax", "average")
    )
    text = result.format(digits=2, scale=100)
    assert text.startswith("catavgmax - average: +1.33 [-1.54, +4.20], up on 2")
    assert all(len(line) <= 88 for line in text.splitlines())
    assert text.splitlines()[-1].strip() == "no difference detected with 3 seeds"
    assert str(t_interval([1.0, 2.0, 3.0])) == "2.000 [-0.484, 4.484]"


@given(accuracies, st.floats(-0.5, 0.5))
def test_shifting_one_side_shifts_the_paired_interval(values, shift):
    base = compare(values, values)
    shifted = compare([v + shift for v in values], values)
    assert base.difference.mean == 0 and base.tied == len(values)
    assert shifted.difference.mean == pytest.approx(shift, abs=1e-9)
    # a constant difference has no spread: the interval is the point itself
    assert shifted.difference.high - shifted.difference.low == pytest.approx(
        0, abs=1e-6
    )


@given(accuracies, accuracies)
def test_swapping_the_sides_mirrors_everything(a, b):
    b = (b * len(a))[: len(a)]
    forward, backward = compare(a, b), compare(b, a)
    assert forward.difference.mean == pytest.approx(-backward.difference.mean)
    assert forward.difference.low == pytest.approx(-backward.difference.high)
    assert (forward.up, forward.down) == (backward.down, backward.up)
    assert forward.detected == backward.detected
    assert forward.difference.low <= forward.difference.mean <= forward.difference.high


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: t_interval([0.9]), "at least 2 values"),
        (lambda: t_interval([]), "at least 2 values"),
        (lambda: t_interval("0.9 0.8"), "sequence of numbers"),
        (lambda: t_interval(0.9), "sequence of numbers"),
        (lambda: t_interval([True, False]), "not booleans"),
        (lambda: t_interval(["0.9", "0.8"]), "real numbers"),
        (lambda: t_interval([0.9, float("nan")]), "finite"),
        (lambda: t_interval([0.9, float("inf")]), "finite"),
        (lambda: t_interval([[0.9], [0.8]]), "real numbers"),
        (lambda: t_interval([0.9, 0.8], confidence=95), "in \\(0, 1\\)"),
        (lambda: t_interval([0.9, 0.8], confidence=True), "number in \\(0, 1\\)"),
        (lambda: compare([0.9, 0.8], [0.9, 0.8, 0.7]), "one result per seed"),
        (lambda: compare([0.9, 0.8], [0.9, 0.8], paired="yes"), "True or False"),
        (lambda: compare([0.9, 0.8], [0.9, 0.8], names=("A",)), "two non-empty"),
        (lambda: compare([0.9, 0.8], [0.9, 0.8]).format(scale=0), "positive"),
        (lambda: compare([0.9, 0.8], [0.9, 0.8]).format(digits=-1), "int >= 0"),
        (lambda: t_interval([0.9, 0.8]).format(digits=1.5), "int >= 0"),
    ],
)
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_numpy_scalars_and_arrays_are_accepted():
    interval = t_interval(np.array([0.9, 0.8, 0.85], dtype=np.float32))
    assert interval.mean == pytest.approx(0.85, abs=1e-6)
    assert compare(np.array([1, 2, 3]), [np.float64(1), 2, 4]).down == 1
