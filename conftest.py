"""Test-wide set-up: a quiet environment, stderr out of nbval, notebook timings."""

import os
from collections import defaultdict

# TensorFlow is quiet only with both variables set before it is imported; the nbval
# kernels inherit them.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Two test workers share two cores. OpenMP threads that spin while they wait for work
# then starve each other: a chapter cell that takes 2 s alone took 51 s beside another
# worker. Waiting threads that sleep instead change no result and remove the stall.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_collectstart(collector):
    """Leave stderr (framework warnings, progress noise) out of nbval's comparison."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


# The "Attention in practice" pages train several networks each: make test-slow runs
# them under nbval, so that make test stays within 5 minutes on two cores.
PRACTICE = "notebooks/practice/"


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        if item.nodeid.startswith(PRACTICE):
            item.add_marker(pytest.mark.slow)


def pytest_runtest_logreport(report):
    """Add up cell durations per notebook (runs on the xdist controller too)."""
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.section(
            "notebook run times (sum of cell durations, kernel start excluded)"
        )
        for path, seconds in sorted(_notebook_seconds.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
