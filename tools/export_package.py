"""Write the companion package `cnn_attention` from the notebooks' export cells.

A code cell whose first line is ``#| export <module>`` is copied, in notebook order, into
``cnn_attention/<module>.py`` (dots become folders: ``torch.se`` -> ``cnn_attention/torch/se.py``).
Several notebooks may feed one module; the header names them all. Each subpackage gets a generated
``__init__.py`` that re-exports the public names of its modules, so readers write
``from cnn_attention.torch import SEModule``.

    python tools/export_package.py          # rewrite the generated files
    python tools/export_package.py --check  # exit 1 and list the files that differ (used by the tests)

Why a script of our own rather than nbdev: we need one notebook to feed *several* modules (PyTorch and
Keras code must land in separate files, so importing one framework never imports the other), a stable
output that needs no settings.ini or nbdev conventions in every notebook, and a --check mode the test
suite can call. This file is the whole mechanism.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cnn_attention"
NOTEBOOKS = ROOT / "notebooks"
# `utils` or `torch.se`: a top-level module or one inside a subpackage (one level is all the book needs).
DIRECTIVE = re.compile(r"^#\|\s*export\s+(?P<module>[A-Za-z_]\w*(\.[A-Za-z_]\w*)?)\s*$")
MARKER = (
    "generated from notebooks/"  # how we recognise (and may delete) a generated file
)
# Modules kept importable but not re-exported: the seeds' original code, quoted for comparison.
NOT_REEXPORTED = {"seed_code"}


def export_cells(notebook: Path) -> list[tuple[str, str]]:
    """(module, source without the directive line) for every export cell of one notebook."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    exported = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        match = DIRECTIVE.match(lines[0]) if lines else None
        if lines and not match and re.match(r"^#\|\s*export\b", lines[0]):
            raise ValueError(
                f"{notebook.name}: bad directive {lines[0]!r}; write '#| export utils' or "
                "'#| export torch.se' (at most one subpackage level)"
            )
        if match:
            exported.append((match["module"], "\n".join(lines[1:]).strip("\n")))
    return exported


def public_names(source: str) -> list[str]:
    """Top-level functions, classes and constants that do not start with an underscore."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def header(sources: list[str]) -> str:
    origin = "\n#   and ".join(f"notebooks/{name}" for name in sources).removeprefix(
        "notebooks/"
    )
    return (
        f"# This file was {MARKER}{origin} — do not edit.\n"
        "# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).\n"
    )


def format_all(names: list[str]) -> str:
    """`__all__`, one name per line so that diffs stay readable."""
    return "__all__ = [\n" + "".join(f"    {name!r},\n" for name in names) + "]\n"


def render_modules(notebooks: list[Path]) -> dict[Path, str]:
    """Every generated file, path -> text, computed from the notebooks alone."""
    chunks: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    for notebook in notebooks:
        for module, code in export_cells(notebook):
            chunks[module].append(code)
            if notebook.name not in sources[module]:
                sources[module].append(notebook.name)

    files: dict[Path, str] = {}
    subpackages: dict[str, list[str]] = defaultdict(list)
    for module in sorted(chunks):
        body = "\n\n\n".join(chunks[module])
        names = public_names(body)
        text = f"{header(sources[module])}\n{body}\n\n\n{format_all(names)}"
        parts = module.split(".")
        files[ROOT / PACKAGE / Path(*parts[:-1]) / f"{parts[-1]}.py"] = text
        parent = ".".join(parts[:-1])
        if parent:
            subpackages[parent].append(module)

    for parent, modules in sorted(subpackages.items()):
        notebooks_of = sorted({name for module in modules for name in sources[module]})
        lines = [
            header(notebooks_of),
            f'"""{PACKAGE}.{parent}: the modules of the book, one import away."""\n',
        ]
        for module in modules:
            if module.rsplit(".", 1)[-1] in NOT_REEXPORTED:
                continue
            names = public_names("\n".join(chunks[module]))
            lines.append(f"from .{module.rsplit('.', 1)[-1]} import {', '.join(names)}")
        files[ROOT / PACKAGE / Path(*parent.split(".")) / "__init__.py"] = (
            "\n".join(lines) + "\n"
        )
    return files


def generated_on_disk() -> set[Path]:
    return {
        path
        for path in (ROOT / PACKAGE).rglob("*.py")
        if MARKER in path.read_text(encoding="utf-8")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report differences, write nothing"
    )
    args = parser.parse_args(argv)

    wanted = render_modules(sorted(NOTEBOOKS.glob("*.ipynb")))
    stale = generated_on_disk() - set(wanted)
    differing = [
        path
        for path, text in wanted.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in differing:
            print(f"out of sync with the notebooks: {path.relative_to(ROOT)}")
        for path in sorted(stale):
            print(
                f"generated file no notebook exports any more: {path.relative_to(ROOT)}"
            )
        return 1 if differing or stale else 0

    for path in differing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for path in sorted(stale):
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
