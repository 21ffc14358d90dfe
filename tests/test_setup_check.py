"""The participants' one-cell setup test: cnn_attention.exercises.setup_check.

Every failure is simulated in this process (monkeypatching what the check reads), never
by re-importing a framework: a wrong Keras backend, a stale or shadowed package, an
old copy still loaded, a framework that does not import, a check that crashes.
"""

import random
import re
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import torch

import cnn_attention
from cnn_attention.exercises import registry, setup_check
from cnn_attention.exercises.setup_check import SetupReport, check_setup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_workshop  # noqa: E402

NAMES = [
    "Python",
    "PyTorch",
    "Keras",
    "Keras backend",
    "cnn_attention version",
    "cnn_attention in this session",
    "SE in both frameworks",
    "Exercise checks",
]


def printed_checks(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in ("✓", "✗")]


def test_every_check_passes_here(capsys):
    report = check_setup()
    shown = capsys.readouterr().out
    assert report.names() == NAMES
    assert report.ok and bool(report), str(report)
    assert report.failed == []
    assert "✗" not in shown and "→" not in shown
    assert "same output within 1e-05" in report["SE in both frameworks"].detail
    assert "se.1" in report["Exercise checks"].detail


def test_one_line_per_check_then_the_verdict(capsys, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    report = check_setup(minimum_version="99.0")
    lines = capsys.readouterr().out.splitlines()
    assert [line[2:].split(":")[0] for line in printed_checks("\n".join(lines))] == [
        *NAMES
    ]
    assert len(report.failed) == 2
    # a failed check's fix is on the next line, indented; the verdict comes last
    fixes = [line for line in lines if line.startswith("    → ")]
    assert len(fixes) == 2
    assert len(lines) == len(NAMES) + len(fixes) + 1
    assert lines[-1] == report.verdict()
    assert lines[-1].startswith("Not ready: 2 of 8 checks failed")
    assert str(report).splitlines() == lines


def test_a_wrong_keras_backend_is_reported_with_its_fix(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    check = check_setup(show=False)["Keras backend"]
    assert not check.passed
    assert 'jax, but the chapters need "tensorflow"' in check.detail
    assert 'KERAS_BACKEND is "jax" in this environment' in check.detail
    assert 'os.environ["KERAS_BACKEND"] = "tensorflow"' in check.fix
    assert "Restart session" in check.fix
    # the variable says tensorflow, yet Keras runs on torch: imported too early
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    check = check_setup(show=False)["Keras backend"]
    assert "imported before KERAS_BACKEND was set" in check.detail


def test_a_stale_version_is_reported_with_the_reinstall_line():
    requirement = "cnn-attention @ git+https://github.com/owner/book@main"
    report = check_setup("0.99", package=requirement, show=False)
    check = report["cnn_attention version"]
    assert not check.passed
    assert (
        check.detail == f"{cnn_attention.__version__}, older than 0.99: a stale install"
    )
    assert f'%pip install --force-reinstall --no-deps "{requirement}"' in check.fix
    assert "Restart session" in check.fix
    assert [failed.name for failed in report.failed] == ["cnn_attention version"]
    passed = check_setup(cnn_attention.__version__, show=False)
    assert passed["cnn_attention version"].passed


def test_an_old_copy_still_loaded_is_reported(monkeypatch):
    """The files on disk hold a newer version than the module this session loaded."""
    monkeypatch.setattr(cnn_attention, "__version__", "0.0.1")
    check = check_setup(show=False)["cnn_attention in this session"]
    assert not check.passed
    assert "an old copy is still loaded" in check.detail
    assert check.fix == setup_check.RESTART


def test_exercises_missing_from_the_loaded_registry(monkeypatch):
    """Registered on disk but not in this session: restart; not on disk: reinstall."""
    monkeypatch.delitem(registry.EXERCISES, "se.1")
    report = check_setup(show=False)
    assert "(se.1)" in report["cnn_attention in this session"].detail
    check = report["Exercise checks"]
    assert check.detail.startswith("unknown exercise se.1: the installed files have")
    assert check.fix == setup_check.RESTART
    check = check_setup(exercises=["se.99"], show=False)["Exercise checks"]
    assert check.detail.startswith("unknown exercise se.99: the installed package")
    assert "--force-reinstall" in check.fix


def test_a_package_hidden_by_another_folder(monkeypatch, tmp_path):
    elsewhere = tmp_path / "cnn_attention" / "__init__.py"
    monkeypatch.setattr(cnn_attention, "__file__", str(elsewhere))
    check = check_setup(show=False)["cnn_attention in this session"]
    assert not check.passed
    assert f"imported from {elsewhere.parent}" in check.detail
    assert "hides the installed one" in check.fix


def test_failing_checks_do_not_raise(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails
    monkeypatch.setitem(sys.modules, "cnn_attention.exercises", None)
    monkeypatch.setattr(setup_check, "MINIMUM_PYTHON", (99, 0))
    report = check_setup()
    assert not report
    failed = {check.name: check for check in report.failed}
    assert list(failed) == [
        "Python",
        "PyTorch",
        "SE in both frameworks",
        "Exercise checks",
    ]
    assert "older than 99.0" in failed["Python"].detail
    assert failed["PyTorch"].detail.startswith("does not import (")
    assert failed["SE in both frameworks"].detail == "not run: needs PyTorch and Keras"
    assert "does not import" in failed["Exercise checks"].detail
    assert all(check.fix for check in failed.values())
    assert len(printed_checks(capsys.readouterr().out)) == len(NAMES)


def test_a_check_that_crashes_is_a_failed_check(monkeypatch):
    def broken(*arguments):
        raise RuntimeError("simulated")

    monkeypatch.setattr("cnn_attention.utils.compare_torch_keras", broken)
    check = check_setup(show=False)["SE in both frameworks"]
    assert not check.passed
    assert check.detail == "the check itself failed (RuntimeError: simulated)"


def test_the_random_state_is_left_as_found():
    def draws():
        keras_draw = float(keras.random.uniform((1,))[0])
        return (
            random.random(),
            float(np.random.rand()),
            float(torch.rand(1)),
            keras_draw,
        )

    for run_the_check in (False, True):
        keras.utils.set_random_seed(3)  # Python, NumPy and the backend
        torch.manual_seed(3)
        if run_the_check:
            check_setup(show=False)
        else:
            expected = draws()
    assert draws() == expected


def test_the_report_shows_nothing_more_in_a_notebook(capsys):
    report = check_setup()
    capsys.readouterr()
    assert report._ipython_display_() is None  # the cell's value adds no output
    assert capsys.readouterr().out == ""
    assert isinstance(report, SetupReport)
    with pytest.raises(KeyError, match="no check named 'GPU'"):
        report["GPU"]


@pytest.mark.parametrize(
    "version, key",
    [
        ("0.2.0", (0, 2)),
        ("0.2", (0, 2)),
        ("0.10.1.dev3", (0, 10, 1)),
        ("1+local", (1,)),
    ],
)
def test_version_keys(version, key):
    assert setup_check._version_key(version) == key


def test_every_default_exercise_id_is_registered():
    assert set(setup_check.DEFAULT_EXERCISES) <= set(registry.EXERCISES)
    chapters = {exercise_id.split(".")[0] for exercise_id in registry.EXERCISES}
    assert {i.split(".")[0] for i in setup_check.DEFAULT_EXERCISES} == chapters - {
        "demo"
    }


def test_the_checklist_page_runs_the_same_cell_and_explains_every_check(capsys):
    """book/instructor_checklist.md: its participants' cell runs, and the page says
    what a ✗ on each check means."""
    page = (ROOT / "book" / "instructor_checklist.md").read_text(encoding="utf-8")
    cells = re.findall(r"```python\n(.*?)\n```", page, re.DOTALL)
    cell = next(cell for cell in cells if "check_setup(" in cell)
    assert cell == make_workshop.SETUP_CHECK, "the student copies' cell, as it is"
    package = "git+https://github.com/cnn-attention-book/cnn-attention-book@main"
    exec(compile(cell, "instructor_checklist.md", "exec"), {"BOOK_PACKAGE": package})
    assert len(printed_checks(capsys.readouterr().out)) == len(NAMES)
    for name in NAMES:
        assert f"**{name}**" in page, f"the page does not explain the check {name!r}"
