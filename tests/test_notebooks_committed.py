"""The notebooks as committed: run top to bottom, errors only where tagged.

nbval compares committed outputs with a fresh run, but a notebook committed *without*
outputs would pass it trivially. These checks close that gap.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the chapters and the "Attention in practice" pages
NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/*.ipynb"))


def code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        cell
        for cell in cells
        if cell["cell_type"] == "code" and "".join(cell["source"]).strip()
    ]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3, [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_executed_top_to_bottom_in_one_kernel(path):
    counts = [cell["execution_count"] for cell in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}: run `make execute` (a fresh kernel, "
        "top to bottom)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_most_cells_show_output(path):
    """A chapter prints shapes and checks at almost every step: no output, no test."""
    cells = code_cells(path)
    with_output = sum(bool(cell["outputs"]) for cell in cells)
    assert with_output >= 0.6 * len(cells), (
        f"{path.name}: only {with_output}/{len(cells)} cells have output"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_cell_stops_the_notebook_with_an_error(path):
    """A chapter shows an error on purpose with `with expect_error(...)`, which prints
    the message and lets the notebook run on: Colab's "Run all" stops at the first
    uncaught error, even in a cell tagged raises-exception."""
    for index, cell in enumerate(code_cells(path)):
        errors = [out for out in cell["outputs"] if out["output_type"] == "error"]
        tags = cell.get("metadata", {}).get("tags", [])
        assert not errors, f"{path.name} code cell {index}: use expect_error"
        assert "raises-exception" not in tags, f"{path.name} code cell {index}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_ignored_outputs_are_rare_tagged_and_asserted(path):
    """Ignored outputs carry the nbval-ignore-output tag (no comment readers see)."""
    cells = code_cells(path)
    for cell in cells:
        assert "NBVAL_IGNORE_OUTPUT" not in "".join(cell["source"]), (
            f"{path.name}: use the nbval-ignore-output tag, not the comment"
        )
    ignored = [
        cell
        for cell in cells
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", [])
    ]
    assert len(ignored) <= 0.25 * len(cells), (
        f"{path.name}: {len(ignored)}/{len(cells)} cells ignore output"
    )
    for cell in ignored:
        assert "assert" in "".join(cell["source"]), (
            "a cell whose output is ignored must assert what matters"
        )


def repository_url():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    return re.search(r"^repository:\s*\n\s+url:\s*(\S+)", config, re.MULTILINE)[1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_colab_setup_installs_this_repository_without_touching_frameworks(path):
    """The repository URL lives in _config.yml; a notebook that installs must use it."""
    setup = "".join(code_cells(path)[0]["source"])
    if "pip" not in setup:
        code = "".join("".join(cell["source"]) for cell in code_cells(path))
        assert not re.search(r"^\s*(from|import) cnn_attention", code, re.MULTILINE), (
            f"{path.name} imports cnn_attention but does not install it in Colab"
        )
        return
    assert "google.colab" in setup, (
        "install only in Colab; locally `make` installs the package"
    )
    assert f"git+{repository_url()}" in setup
    assert "--no-deps" in setup, "never reinstall torch or TensorFlow in Colab"


def test_importing_one_framework_never_imports_the_other():
    probe = (
        "import sys, cnn_attention.utils, cnn_attention.arguments, cnn_attention.{0}; "
        "print(sorted(m for m in ('torch', 'keras', 'tensorflow') if m in sys.modules))"
    )
    seen = {}
    for framework in ("torch", "keras"):
        result = subprocess.run(
            [sys.executable, "-c", probe.format(framework)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        seen[framework] = result.stdout.split("\n")[-2]
    assert seen["torch"] == "['torch']"
    assert "torch" not in seen["keras"] and "keras" in seen["keras"]
