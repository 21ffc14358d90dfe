"""The Colab install path, for real.

A chapter's setup cell runs, in Colab only, ``%pip install -q --no-deps
git+<repository URL>@main`` (the requirement may sit in a variable of the cell).
This test runs that same command, read
from the notebook, with the URL replaced by a local git repository whose main branch
holds a snapshot of this working tree (tracked files plus untracked ones git does not
ignore, so uncommitted edits count). It installs into a fresh virtual environment that
holds only NumPy, imports the framework-free modules there, and checks that neither
torch nor Keras came along.

pip may reach the package index for the build requirement (setuptools); nothing else.
"""

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENT = re.compile(
    r"^(?:cnn-attention @ )?git\+(?P<url>[^\s@]+)@(?P<branch>\S+)$"
)
FRAMEWORKS = ("torch", "keras", "tensorflow")


def setup_cell(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    return "".join(code[0]["source"]) if code else ""


def pip_install_arguments(source):
    """What follows `pip install` in a setup cell: from a subprocess argument list
    (``[sys.executable, "-m", "pip", "install", ...]``) or a ``%pip``/``!pip`` line,
    whose ``{NAME}`` IPython expands from the cell's string constants."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        tree = None
    constants = {
        target.id: node.value.value
        for node in (tree.body if tree else [])
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, (ast.List, ast.Tuple)):
            words = [
                item.value if isinstance(item, ast.Constant) else None
                for item in node.elts
            ]
            if "pip" in words and "install" in words[words.index("pip") :]:
                after = words[words.index("install", words.index("pip")) + 1 :]
                assert None not in after, f"pip arguments must be literals: {after}"
                return after
    for line in source.splitlines():
        match = re.match(r"^\s*[%!]\s*(?:python -m )?pip install\s+(.*)$", line)
        if match:
            expanded = re.sub(r"\{(\w+)\}", lambda m: constants[m[1]], match[1])
            return shlex.split(expanded)
    return None


def colab_install_command():
    """(notebook, pip arguments) of the first notebook whose setup cell installs."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        arguments = pip_install_arguments(setup_cell(path))
        if arguments and any(REQUIREMENT.match(word) for word in arguments):
            return path.name, arguments
    raise AssertionError("no notebook's setup cell runs `pip install` of cnn-attention")


def run(command, timeout, **kwargs):
    """Run a command; on failure or timeout, fail with its output."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, **kwargs
        )
    except subprocess.TimeoutExpired as error:
        raise AssertionError(
            f"timed out after {timeout} s: {shlex.join(map(str, command))}\n"
            f"{error.stdout or ''}{error.stderr or ''}"
        ) from None
    assert result.returncode == 0, (
        f"exit {result.returncode}: {shlex.join(map(str, command))}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


def snapshot_working_tree(destination, environment):
    """A git repository at `destination` whose main branch holds the working tree."""
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        timeout=60,
        cwd=ROOT,
    )
    names = sorted({name for name in listed.split("\0") if name})
    for name in names:
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git = ["git", "-C", str(destination)]
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    run([*git, "init", "-q", "-b", "main"], timeout=60, env=environment)
    run([*git, "add", "-A"], timeout=60, env=environment)
    run(
        [*git, *identity, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snap"],
        timeout=60,
        env=environment,
    )


def numpy_pin():
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return re.search(r"^numpy==\S+", text, re.MULTILINE)[0]


PROBE = """
import importlib.util, json, sys
import cnn_attention, cnn_attention.utils, cnn_attention.arguments
import cnn_attention.exercises, cnn_attention.figures
print(json.dumps({
    "file": cnn_attention.__file__,
    "figures": cnn_attention.figures.figure_names(),
    "svg": cnn_attention.figures.figure_svg("se_block")[:5],
    "installed": [m for m in %r if importlib.util.find_spec(m) is not None],
    "imported": [m for m in %r if m in sys.modules],
}))
"""


def test_colab_setup_cell_installs_the_package_without_frameworks(tmp_path):
    notebook, arguments = colab_install_command()
    assert "--no-deps" in arguments, f"{notebook}: Colab must keep its torch and TF"
    (requirement,) = [word for word in arguments if REQUIREMENT.match(word)]
    sys.path.insert(0, str(ROOT / "tools"))
    import set_repository

    assert REQUIREMENT.match(requirement)["url"] == set_repository.configured_url()
    assert REQUIREMENT.match(requirement)["branch"] == "main"

    environment = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"}
    }
    environment.update(GIT_TERMINAL_PROMPT="0", PIP_NO_INPUT="1")
    repository = tmp_path / "repository"
    repository.mkdir()
    snapshot_working_tree(repository, environment)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=120, env=environment)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "install", "-q", numpy_pin()], timeout=300, env=environment)

    # `file://localhost/...`: the pip that venv bundles (23.x) refuses an empty host.
    local = requirement.replace(
        REQUIREMENT.match(requirement)["url"], f"file://localhost{repository}"
    )
    command = [local if word == requirement else word for word in arguments]
    run([*pip, "install", *command], timeout=300, env=environment, cwd=tmp_path)

    probe = PROBE % (FRAMEWORKS, FRAMEWORKS)
    report = json.loads(
        run([python, "-c", probe], timeout=60, env=environment, cwd=tmp_path)
    )
    assert Path(report["file"]).is_relative_to(venv), report["file"]
    assert report["installed"] == [], f"the install brought {report['installed']}"
    assert report["imported"] == []
    # the diagrams travel as package data: Colab has no file beside the notebook
    assert {"se_block", "eca_module"} <= set(report["figures"]), report["figures"]
    assert report["svg"] == "<?xml"
    # the one version number, written in cnn_attention/__init__.py
    version = re.search(
        r'^__version__ = "(.+)"',
        (ROOT / "cnn_attention" / "__init__.py").read_text("utf-8"),
        re.MULTILINE,
    )[1]
    shown = run([*pip, "show", "cnn-attention"], timeout=60, env=environment)
    assert f"Version: {version}" in shown
