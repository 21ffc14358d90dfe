"""Write the companion package `cnn_attention` from the notebooks' export cells.

A code cell whose first line is ``#| export <module>`` is copied, in notebook order,
into ``cnn_attention/<module>.py`` (a dot is a folder: ``torch.se`` ->
``cnn_attention/torch/se.py``). Several notebooks may feed one module. Every chunk is
marked with the notebook and cell it came from, the imports of all chunks are gathered
at the top, and ruff sorts and formats the result. Each subpackage gets a generated
``__init__.py`` that re-exports the public names of its modules, so readers write
``from cnn_attention.torch import SEModule``.

    python tools/export_package.py          # rewrite the generated files
    python tools/export_package.py --check  # exit 1, listing files that differ

Anything that looks like a directive but is not one, a cell that is not Python, a name
defined twice, or a hand-written file where a generated one would go stops the export
with a message naming the notebook and the cell.

Why a script of our own rather than nbdev: one notebook must feed *several* modules
(PyTorch and Keras code must land in separate files, so importing one framework never
imports the other), the output must be stable with no settings.ini or per-notebook
conventions, and the test suite needs a --check mode. This file is the whole mechanism.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "cnn_attention"
NOTEBOOKS = ROOT / "notebooks"
# `utils` or `torch.se`: a module, or a module inside one subpackage.
PART = r"[a-z][a-z0-9_]*"
DIRECTIVE = re.compile(rf"^#\| export (?P<module>{PART}(\.{PART})?)$")
# Anything a hurried author might write for a directive: '# export', '#| Export x',
# '# | exports x', ' #| export x'. Ordinary comments ('# Export to ONNX') have
# more words.
NEAR_MISS = re.compile(r"^\s*#\s*\|?\s*exports?\b\s*\S*\s*$", re.IGNORECASE)
# The first line of every generated file: how the exporter recognises its own files.
HEADER = (
    "# Generated from the book's notebooks by tools/export_package.py: do not edit."
)
# Subpackages whose modules are not re-exported: the seeds' and the papers' code,
# kept for comparison, and each module imports a different framework.
NOT_REEXPORTED = {"reference"}


class ExportError(ValueError):
    """An export cell, notebook or target file the exporter refuses."""


@dataclass
class Chunk:
    module: str
    notebook: str  # file name, e.g. 02_squeeze_excitation.ipynb
    cell: int  # index of the cell in the notebook, counting every cell from 0
    code: str  # the cell without its directive line

    @property
    def where(self) -> str:
        return f"notebooks/{self.notebook}, cell {self.cell}"


def read_cells(notebook: Path) -> list[dict]:
    try:
        return json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise ExportError(
            f"{notebook.name} is not a readable notebook: {error}"
        ) from None


def export_chunks(notebook: Path) -> list[Chunk]:
    """Every export cell of a notebook, checked for near-miss directives and syntax."""
    chunks = []
    for index, cell in enumerate(read_cells(notebook)):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        lines = ("".join(source) if isinstance(source, list) else source).splitlines()
        where = f"{notebook.name}, cell {index}"
        match = DIRECTIVE.match(lines[0]) if lines else None
        for number, line in enumerate(
            lines[1:] if match else lines, start=2 if match else 1
        ):
            if NEAR_MISS.match(line) or line.lstrip().startswith("#| export"):
                raise ExportError(
                    f"{where}, line {number}: {line!r} looks like an export directive "
                    "but "
                    "is not one. Write exactly '#| export <module>' (lower case, e.g. "
                    "'#| export torch.se') as the first line of the cell."
                )
        if not match:
            continue
        module = match["module"]
        code = "\n".join(lines[1:]).strip("\n")
        try:
            ast.parse(code)
        except SyntaxError as error:
            raise ExportError(
                f"{where}: the cell is not valid Python "
                f"(line {error.lineno + 1} of the cell: {error.msg})"
            ) from None
        chunks.append(Chunk(module, notebook.name, index, code))
    return chunks


def public_names(tree: ast.Module) -> list[str]:
    """Top-level functions, classes and assigned names that do not start with _."""
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [
                target.id for target in node.targets if isinstance(target, ast.Name)
            ]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def split_imports(code: str) -> tuple[list[str], str]:
    """(top-level import statements, the code without them)."""
    tree = ast.parse(code)
    lines = code.splitlines()
    imports, drop = [], set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
            drop.update(range(node.lineno - 1, node.end_lineno))
    body = "\n".join(line for number, line in enumerate(lines) if number not in drop)
    return imports, re.sub(r"\n{3,}", "\n\n", body).strip("\n")


def header(notebooks: list[str]) -> str:
    sources = "".join(f"#   notebooks/{name}\n" for name in notebooks)
    change = "# Change the '#| export' cells of\n"
    return f"{HEADER}\n{change}{sources}# then run `make export`.\n"


def format_all(names: list[str]) -> str:
    return "__all__ = [\n" + "".join(f'    "{name}",\n' for name in names) + "]\n"


def ruff(text: str, path: Path) -> str:
    """Sort the imports and format the file as ruff does, with our settings."""
    for command in (
        ["check", "--select", "I", "--fix", "--quiet"],
        ["format", "--quiet"],
    ):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *command,
                "--stdin-filename",
                str(path),
                "-",
            ],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if result.returncode not in (0, 1) or not result.stdout:
            raise ExportError(
                f"ruff failed on {path.relative_to(ROOT)}: {result.stderr}"
            )
        text = result.stdout
    return text


def render_module(module: str, chunks: list[Chunk], path: Path) -> str:
    imports, bodies = [], []
    for chunk in chunks:
        chunk_imports, body = split_imports(chunk.code)
        imports += [line for line in chunk_imports if line not in imports]
        if body:
            bodies.append(f"# --- {chunk.where} ---\n{body}")
    notebooks = list(dict.fromkeys(chunk.notebook for chunk in chunks))
    names = public_names(ast.parse("\n".join(chunk.code for chunk in chunks)))
    text = header(notebooks) + "\n" + "\n".join(imports) + "\n\n\n"
    text += "\n\n\n".join(bodies) + "\n\n\n" + format_all(names)
    return ruff(text, path)


def module_path(module: str) -> Path:
    return ROOT / PACKAGE / Path(*module.split(".")).with_suffix(".py")


def check_unique_names(chunks: list[Chunk]) -> dict[str, list[str]]:
    """module -> its public names; refuses a name defined twice in one namespace."""
    names_of: dict[str, list[str]] = {}
    defined: dict[tuple[str, str], Chunk] = {}
    for chunk in chunks:
        # A subpackage's __init__ re-exports all its modules: their names must differ.
        parent = chunk.module.rsplit(".", 1)[0] if "." in chunk.module else None
        scope = chunk.module if parent in (None, *NOT_REEXPORTED) else parent
        for name in public_names(ast.parse(chunk.code)):
            key = (scope, name)
            if key in defined and defined[key] is not chunk:
                first = defined[key]
                raise ExportError(
                    f"{chunk.where} defines {name!r}, already defined by {first.where} "
                    f"(module {first.module}); rename one of them"
                )
            defined[key] = chunk
            names_of.setdefault(chunk.module, []).append(name)
    return names_of


def render_modules(notebooks: list[Path]) -> dict[Path, str]:
    """Every generated file, path -> text, computed from the notebooks alone."""
    chunks = [chunk for notebook in notebooks for chunk in export_chunks(notebook)]
    names_of = check_unique_names(chunks)
    by_module: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        by_module[chunk.module].append(chunk)

    files: dict[Path, str] = {}
    subpackages: dict[str, list[str]] = defaultdict(list)
    for module in sorted(by_module):
        path = module_path(module)
        files[path] = render_module(module, by_module[module], path)
        if "." in module:
            subpackages[module.split(".")[0]].append(module)

    for parent, modules in sorted(subpackages.items()):
        notebooks_of = sorted({c.notebook for m in modules for c in by_module[m]})
        path = ROOT / PACKAGE / parent / "__init__.py"
        text = header(notebooks_of) + f'"""{DOCSTRINGS[parent]}"""\n\n'
        if parent not in NOT_REEXPORTED:
            exported = []
            for module in modules:
                leaf = module.split(".")[1]
                names = names_of.get(module, [])
                if names and not leaf.startswith("_"):
                    text += f"from .{leaf} import {', '.join(names)}\n"
                    exported += names
            text += "\n" + format_all(sorted(exported))
        files[path] = ruff(text, path)
    return files


DOCSTRINGS = {
    "torch": "The book's modules for PyTorch, one import away (imports torch only).",
    "keras": "The book's layers for Keras 3, one import away (imports keras only).",
    "reference": (
        "The seeds' and the papers' original code, transcribed for the book to run.\n\n"
        "Not part of the package's API: import the module you need; each imports its\n"
        "own framework.\n"
    ),
}


def is_generated(path: Path) -> bool:
    with path.open(encoding="utf-8") as file:
        return file.readline().startswith(HEADER)


def find_notebooks() -> list[Path]:
    nested = [
        path
        for path in NOTEBOOKS.rglob("*.ipynb")
        if path.parent != NOTEBOOKS and ".ipynb_checkpoints" not in path.parts
    ]
    if nested:
        raise ExportError(
            "chapters must sit directly in notebooks/; found "
            + ", ".join(str(path.relative_to(ROOT)) for path in nested)
        )
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, write nothing")
    args = parser.parse_args(argv)

    try:
        wanted = render_modules(find_notebooks())
    except ExportError as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 2
    on_disk = set((ROOT / PACKAGE).rglob("*.py"))
    hand_written = [p for p in wanted if p in on_disk and not is_generated(p)]
    if hand_written:
        for path in hand_written:
            print(
                f"export failed: {path.relative_to(ROOT)} is hand-written (it has no "
                "generated header); a notebook exports to the same path. Rename the "
                "module in the '#| export' line or move the file.",
                file=sys.stderr,
            )
        return 2
    stale = sorted(p for p in on_disk - set(wanted) if is_generated(p))
    differing = [
        path
        for path, text in wanted.items()
        if path not in on_disk or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in differing:
            print(f"out of sync with the notebooks: {path.relative_to(ROOT)}")
        for path in stale:
            print(
                f"generated file no notebook exports any more: {path.relative_to(ROOT)}"
            )
        return 1 if differing or stale else 0

    for path in differing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        path.unlink()
        print(f"removed {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
