"""tools/export_package.py: routing, output, and every mistake it must refuse loudly."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_exporter():
    spec = importlib.util.spec_from_file_location(
        "export_package", ROOT / "tools" / "export_package.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


exporter = load_exporter()


def write_notebook(path: Path, *sources: str) -> Path:
    cells = [
        {
            "cell_type": "code",
            "source": s,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
        for s in sources
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project: the exporter's ROOT points at it, with our ruff settings."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "cnn_attention").mkdir()
    (tmp_path / "cnn_attention" / "__init__.py").write_text('"""hand-written"""\n')
    monkeypatch.setattr(exporter, "ROOT", tmp_path)
    monkeypatch.setattr(exporter, "NOTEBOOKS", tmp_path / "notebooks")
    return tmp_path


def render(project, *notebooks):
    files = exporter.render_modules(list(notebooks))
    return {path.relative_to(project).as_posix(): text for path, text in files.items()}


def test_cells_are_routed_marked_and_their_imports_gathered(project):
    first = write_notebook(
        project / "notebooks" / "01_a.ipynb",
        "#| export torch.se\nimport torch\n\nclass SEModule:\n    pass",
        "print('not exported')",
        "#| export helpers\nimport math\n\nVALUE = 1\n_private = 2",
    )
    second = write_notebook(
        project / "notebooks" / "02_b.ipynb",
        "#| export helpers\nimport sys\n\ndef helper():\n    return VALUE",
    )
    files = render(project, first, second)
    assert set(files) == {
        "cnn_attention/torch/se.py",
        "cnn_attention/torch/__init__.py",
        "cnn_attention/helpers.py",
    }
    helpers = files["cnn_attention/helpers.py"]
    assert helpers.startswith(exporter.HEADER + "\n")
    assert "#   notebooks/01_a.ipynb\n#   notebooks/02_b.ipynb\n" in helpers
    # imports first, sorted; each chunk marked with its notebook and cell
    assert helpers.index("import math\nimport sys\n") < helpers.index(
        "# --- notebooks/01_a"
    )
    assert "# --- notebooks/01_a.ipynb, cell 2 ---\nVALUE = 1" in helpers
    assert "# --- notebooks/02_b.ipynb, cell 0 ---\ndef helper" in helpers
    assert "not exported" not in helpers
    assert helpers.endswith('__all__ = [\n    "VALUE",\n    "helper",\n]\n')
    init = files["cnn_attention/torch/__init__.py"]
    assert "from .se import SEModule" in init and '"SEModule"' in init


@pytest.mark.parametrize(
    "first_line",
    [
        "#| exports torch.se",
        "# | export torch.se",
        "#| Export torch.se",
        " #| export torch.se",
        "# export",
        "#export torch.se",
        "#| export torch.__init__",
        "#| export torch.layers.se",
        "#| export Torch.se",
    ],
)
def test_near_miss_directives_fail_naming_notebook_and_cell(project, first_line):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb", "x = 1", first_line + "\nX = 1"
    )
    with pytest.raises(
        exporter.ExportError, match=r"01_a.ipynb, cell 1, line 1: .* looks like"
    ):
        render(project, notebook)


def test_a_directive_below_the_first_line_fails(project):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb", "X = 1\n#| export utils"
    )
    with pytest.raises(exporter.ExportError, match=r"01_a.ipynb, cell 0, line 2"):
        render(project, notebook)


def test_ordinary_comments_that_mention_export_are_fine(project):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb", "# Export the model to ONNX below\nX = 1"
    )
    assert render(project, notebook) == {}


def test_a_cell_with_no_public_names_writes_a_valid_init(project):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb", "#| export torch.private\n_X = 1"
    )
    init = render(project, notebook)["cnn_attention/torch/__init__.py"]
    compile(init, "__init__.py", "exec")
    assert "from .private" not in init


def test_a_name_defined_twice_fails_naming_both_cells(project):
    first = write_notebook(
        project / "notebooks" / "01_a.ipynb", "#| export utils\nX = 1"
    )
    second = write_notebook(
        project / "notebooks" / "02_b.ipynb", "#| export utils\nX = 2"
    )
    message = r"02_b.ipynb, cell 0 defines 'X', already defined by notebooks/01_a.ipynb"
    with pytest.raises(exporter.ExportError, match=message):
        render(project, first, second)


def test_two_modules_of_one_subpackage_cannot_export_one_name(project):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb",
        "#| export torch.a\nclass Block:\n    pass",
        "#| export torch.b\nclass Block:\n    pass",
    )
    with pytest.raises(exporter.ExportError, match=r"defines 'Block', already defined"):
        render(project, notebook)


def test_invalid_python_fails_naming_notebook_and_cell(project):
    notebook = write_notebook(
        project / "notebooks" / "01_a.ipynb", "#| export utils\ndef f(:\n"
    )
    with pytest.raises(
        exporter.ExportError, match=r"01_a.ipynb, cell 0: the cell is not valid"
    ):
        render(project, notebook)


def test_a_notebook_that_is_not_json_fails_naming_it(project):
    broken = project / "notebooks" / "01_a.ipynb"
    broken.write_text("{not json")
    with pytest.raises(
        exporter.ExportError, match=r"01_a.ipynb is not a readable notebook"
    ):
        render(project, broken)


def test_notebooks_in_subfolders_fail(project):
    (project / "notebooks" / "drafts").mkdir()
    write_notebook(
        project / "notebooks" / "drafts" / "01_a.ipynb", "#| export utils\nX = 1"
    )
    with pytest.raises(
        exporter.ExportError, match=r"directly in notebooks/; found .*drafts"
    ):
        exporter.find_notebooks()


def test_a_hand_written_file_at_an_export_path_is_never_overwritten(project, capsys):
    write_notebook(project / "notebooks" / "01_a.ipynb", "#| export utils\nX = 1")
    hand_written = project / "cnn_attention" / "utils.py"
    hand_written.write_text("# mine\nY = 2\n")
    assert exporter.main([]) == 2
    assert hand_written.read_text() == "# mine\nY = 2\n"
    assert "cnn_attention/utils.py is hand-written" in capsys.readouterr().err


def test_only_files_starting_with_the_header_are_removed_as_stale(project):
    write_notebook(project / "notebooks" / "01_a.ipynb", "#| export utils\nX = 1")
    mentions_marker = project / "cnn_attention" / "notes.py"
    mentions_marker.write_text(f"# quoting the header: {exporter.HEADER}\n")
    stale = project / "cnn_attention" / "old.py"
    stale.write_text(exporter.HEADER + "\nZ = 3\n")
    assert exporter.main([]) == 0
    assert mentions_marker.exists() and not stale.exists()
    assert exporter.main(["--check"]) == 0


def test_check_mode_reports_out_of_sync_files(project, capsys):
    write_notebook(project / "notebooks" / "01_a.ipynb", "#| export utils\nX = 1")
    assert exporter.main(["--check"]) == 1
    assert (
        "out of sync with the notebooks: cnn_attention/utils.py"
        in capsys.readouterr().out
    )
    assert exporter.main([]) == 0 and exporter.main(["--check"]) == 0


def test_the_committed_package_is_in_sync_with_the_notebooks():
    assert load_exporter().main(["--check"]) == 0
