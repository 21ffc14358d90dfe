"""The workshop's core path through each chapter: what it holds, how long it takes,
whether it fits the budget, and whether it stands on its own.

    python tools/core_path.py                # every chapter, the budget, the total
    python tools/core_path.py notebooks/04_cbam.ipynb
    python tools/core_path.py --run notebooks/04_cbam.ipynb   # also run it alone

Every ``##`` section of a chapter says in its heading whether it is **core** or
**optional**: ``## Shape walkthrough (core)``. A ``###`` heading may carry its own
label, which holds until the next heading of its level or above; without one it
inherits its section's. The title and the introduction before the first ``##`` are
core. Two sections carry no label: ``Exercises`` (each exercise is graded ★, ★★ or
★★★ instead) and ``References``.

**The reading model.** For each chapter the tool counts, on the core path and off it,
the code cells, the non-blank lines of code and the words of prose (Markdown without
code, links or math). A reader's time is then

- 1.25 minutes per code cell, to read it, run it and compare its output;
- plus prose at 110 words a minute (technical text with equations);
- plus code at 25 lines a minute;
- exercises apart: 5 minutes for ★, 10 for ★★, 15 for ★★★ (to attempt, then check).

**The budget** (``BUDGET``): a chapter's core path holds at most 30 code cells, 350
lines of code and 2,500 words, and takes at most 60 minutes by the model; the core
paths of all chapters together take at most 7.5 hours, so that chapters 1-8 fit three
3-hour workshop sessions with the ★ exercises (book/how_to_use.md).

**Standing on its own.** A workshop runs the core cells and skips the rest, so no
core cell may read a name that an optional cell bound last: `dependency_problems`
checks it statically (every name a core cell reads, in notebook order, must last have
been bound by a core cell, or be a builtin). That is much cheaper than running the
core path in a fresh kernel, which ``--run`` still does for authors.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEL = re.compile(
    r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*(?:\((?P<label>core|optional)\))?\s*$"
)
UNLABELLED = ("Exercises", "References")

MINUTES_PER_CODE_CELL = 1.25
PROSE_WORDS_PER_MINUTE = 110
CODE_LINES_PER_MINUTE = 25
EXERCISE_MINUTES = {1: 5, 2: 10, 3: 15}
STARS = re.compile(r"\*\*Exercise\b[^*]*?(?P<stars>★+)")


@dataclass(frozen=True)
class Budget:
    minutes: float = 60
    code_cells: int = 30
    code_lines: int = 350
    words: int = 2500
    book_minutes: float = 7.5 * 60  # all chapters' core paths together


BUDGET = Budget()
# Names a notebook has without any cell binding them.
NOTEBOOK_NAMES = set(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit"}


@dataclass
class Part:
    """What one path (core or optional) of a chapter holds."""

    code_cells: list = field(default_factory=list)  # their sources
    indices: list = field(default_factory=list)  # their positions in the notebook
    code_lines: int = 0
    words: int = 0

    def reading_minutes(self) -> float:
        return (
            MINUTES_PER_CODE_CELL * len(self.code_cells)
            + self.words / PROSE_WORDS_PER_MINUTE
            + self.code_lines / CODE_LINES_PER_MINUTE
        )


@dataclass
class Chapter:
    name: str
    core: Part
    optional: Part
    sections: list  # (heading, label)
    exercises: list  # number of stars of each exercise
    problems: list  # headings without a label

    def over_budget(self, budget: Budget = BUDGET) -> list[str]:
        """What the core path exceeds, in words; empty when it fits."""
        core = self.core
        measured = [
            ("code cells", len(core.code_cells), budget.code_cells),
            ("lines of code", core.code_lines, budget.code_lines),
            ("words", core.words, budget.words),
            ("minutes", round(core.reading_minutes()), budget.minutes),
        ]
        return [
            f"{value} {what} (budget {limit})"
            for what, value, limit in measured
            if value > limit
        ]


def prose_words(markdown: str) -> int:
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"`[^`]*`", " code ", text)
    return len(re.findall(r"[^\W\d_][\w'’-]*", text))


def code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def read_chapter(path: Path) -> Chapter:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    core, optional = Part(), Part()
    section_label, sub_label = "core", None  # before the first ##: the introduction
    in_back_matter = False
    sections, problems, exercises = [], [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            # Attribute each stretch of a Markdown cell to the label in force there.
            chunk = []
            for line in cell.source.splitlines() + ["# end"]:
                match = LABEL.match(line) if line.startswith("#") else None
                if match is None:
                    chunk.append(line)
                    continue
                if not in_back_matter:
                    label = sub_label or section_label
                    (core if label == "core" else optional).words += prose_words(
                        "\n".join(chunk)
                    )
                chunk = []
                if line == "# end":
                    break
                level, title = len(match["level"]), match["title"]
                if level == 2:
                    in_back_matter = title in UNLABELLED
                    sub_label = None
                    if in_back_matter:
                        sections.append((title, None))
                    elif match["label"] is None:
                        problems.append(f"## {title}")
                        section_label = "core"
                    else:
                        section_label = match["label"]
                        sections.append((title, section_label))
                elif level == 3 and not in_back_matter:
                    sub_label = match["label"]
                    if sub_label:
                        sections.append((f"  {title}", sub_label))
            exercises += [len(m["stars"]) for m in STARS.finditer(cell.source)]
        elif cell.cell_type == "code" and not in_back_matter:
            part = core if (sub_label or section_label) == "core" else optional
            part.code_cells.append(cell.source)
            part.indices.append(index)
            part.code_lines += code_lines(cell.source)
    return Chapter(path.name, core, optional, sections, exercises, problems)


# --- Does the core path stand on its own? ------------------------------------------


def python_source(cell_source: str) -> str:
    """A code cell as Python: IPython's %magics and !shell lines become `pass`."""
    lines = []
    for line in cell_source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[: len(line) - len(stripped)] + "pass"
        lines.append(line)
    return "\n".join(lines)


class _Names(ast.NodeVisitor):
    """The names a piece of code reads and binds, in the order Python evaluates them.

    `events` holds ("read" | "bind", name, what) triples; `what` says what an import,
    a def or a class binds (None for other bindings). The free names of functions,
    classes, lambdas and comprehensions count as reads where they are defined (they
    read the notebook's names when called); names local to such a scope do not.
    """

    def __init__(self):
        self.events: list[tuple[str, str, str | None]] = []

    def read(self, name: str) -> None:
        self.events.append(("read", name, None))

    def bind(self, name: str, what: str | None = None) -> None:
        self.events.append(("bind", name, what))

    def visit_Name(self, node: ast.Name):
        if isinstance(node.ctx, ast.Load):
            self.read(node.id)
        else:
            self.bind(node.id)

    # Python evaluates the right-hand side before it binds the targets.
    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self.read(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for statement in node.body + node.orelse:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.bind(node.name)
        for statement in node.body:
            self.visit(statement)

    def visit_Import(self, node):
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            self.bind(
                name, f"import {alias.name}" + (f" as {name}" * bool(alias.asname))
            )

    def visit_ImportFrom(self, node):
        for alias in node.names:
            module = "." * node.level + (node.module or "")
            self.bind(alias.asname or alias.name, f"from {module} import {alias.name}")

    # Nested scopes.
    def _inner(self, local: set[str], nodes: list) -> None:
        inner = _Names()
        for node in nodes:
            inner.visit(node)
        local = local | {name for kind, name, _ in inner.events if kind == "bind"}
        for kind, name, _ in inner.events:
            if kind == "read" and name not in local:
                self.read(name)

    @staticmethod
    def _arguments(arguments: ast.arguments) -> set[str]:
        named = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
        named += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        return {argument.arg for argument in named}

    def _defaults(self, arguments: ast.arguments) -> None:
        for default in arguments.defaults + arguments.kw_defaults:
            if default is not None:
                self.visit(default)

    def visit_FunctionDef(self, node):
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._defaults(node.args)
        self._inner(self._arguments(node.args), node.body)
        self.bind(node.name, f"def {node.name} (line {node.lineno})")

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._defaults(node.args)
        self._inner(self._arguments(node.args), [node.body])

    def visit_ClassDef(self, node):
        for expression in node.decorator_list + node.bases:
            self.visit(expression)
        for keyword in node.keywords:
            self.visit(keyword.value)
        self._inner(set(), node.body)
        self.bind(node.name, f"class {node.name} (line {node.lineno})")

    def _comprehension(self, node):
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        parts = [generator.target for generator in node.generators]
        parts += [generator.iter for generator in rest]
        parts += [test for generator in node.generators for test in generator.ifs]
        parts += [getattr(node, name, None) for name in ("elt", "key", "value")]
        self._inner(set(), [part for part in parts if part is not None])

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = (
        _comprehension
    )


def cell_names(source: str) -> tuple[set[str], dict[str, str | None]]:
    """(names the cell reads before binding them, {name it binds: what it binds})."""
    names = _Names()
    names.visit(ast.parse(python_source(source)))
    reads, binds = set(), {}
    for kind, name, what in names.events:
        if kind == "read" and name not in binds:
            reads.add(name)
        elif kind == "bind":
            binds[name] = what
    return reads, binds


def code_cells(path: Path) -> list[tuple[int, str]]:
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    return [
        (i, cell.source) for i, cell in enumerate(cells) if cell.cell_type == "code"
    ]


def dependency_problems(path: Path, chapter: Chapter | None = None) -> list[str]:
    """Core cells that read a name whose last binding is in an optional cell.

    Running the core path alone, such a cell would fail or see another value. Binding
    the same import again is harmless (`import torch` in both).
    """
    chapter = chapter or read_chapter(path)
    core = set(chapter.core.indices)
    counted = core | set(chapter.optional.indices)  # exercises' cells are neither
    last: dict[str, tuple[int, str | None]] = {}  # name -> (cell, what) last bound
    core_import: dict[str, str | None] = {}  # name -> what a core cell bound last
    problems = []
    for index, source in code_cells(path):
        if index not in counted:
            continue
        reads, binds = cell_names(source)
        if index in core:
            for name in sorted(reads - NOTEBOOK_NAMES):
                cell, what = last.get(name, (index, None))
                same_import = what is not None and what == core_import.get(name)
                if cell not in core and not same_import:
                    problems.append(
                        f"{path.name}: core cell {index} reads `{name}`, last bound "
                        f"by optional cell {cell}"
                    )
            core_import.update(binds)
        for name, what in binds.items():
            last[name] = (index, what)
    return problems


def rebinding_problems(path: Path) -> list[str]:
    """Names that one cell's def, class or import binds and another's binds anew.

    A chapter keeps its PyTorch and Keras versions apart by name (`TorchMinimalSE`,
    `KerasMinimalSE`), so that no cell silently changes what an earlier name means.
    Plain variables (`x`, `model`) may be reassigned.
    """
    first: dict[str, tuple[int, str]] = {}
    problems = []
    for index, source in code_cells(path):
        for name, what in cell_names(source)[1].items():
            if what is None:
                continue
            if what.startswith(("def ", "class ")):
                what = f"{what.split(' (')[0]} in cell {index}"
            known = first.setdefault(name, (index, what))
            if known[1] != what:
                problems.append(
                    f"{path.name}: cell {index} rebinds `{name}` ({what}), which cell "
                    f"{known[0]} bound ({known[1]})"
                )
    return problems


# --- Running it, reporting it ------------------------------------------------------


def run_core_path(path: Path, chapter: Chapter) -> float:
    """Run the chapter's core code cells alone in a fresh kernel; return the seconds.

    Raises the first error a cell hits."""
    import nbformat
    from nbclient import NotebookClient

    for name, value in {
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "KERAS_BACKEND": "tensorflow",
    }.items():
        os.environ.setdefault(name, value)
    original = nbformat.read(path, as_version=4)
    cells = [original.cells[index] for index in chapter.core.indices]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=original.metadata)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return time.perf_counter() - started


def exercise_minutes(stars: list, only: int | None = None) -> int:
    return sum(EXERCISE_MINUTES[n] for n in stars if only is None or n == only)


def report(chapter: Chapter, seconds: float | None = None) -> str:
    core, optional = chapter.core, chapter.optional
    run = "" if seconds is None else f"; runs alone in {seconds:.0f} s"

    def counts(part: Part) -> str:
        return (
            f"{len(part.code_cells):3d} code cells, {part.code_lines:4d} lines of "
            f"code, {part.words:5d} words; about {part.reading_minutes():3.0f} min"
        )

    over = chapter.over_budget()
    lines = [
        f"{chapter.name}",
        f"  core:     {counts(core)}{run}",
        f"  budget:   {'OVER: ' + ', '.join(over) if over else 'fits'}",
        f"  optional: {counts(optional)}",
        f"  exercises: {' '.join('★' * n for n in chapter.exercises) or 'none'}; about "
        f"{exercise_minutes(chapter.exercises)} min (★ only: "
        f"{exercise_minutes(chapter.exercises, only=1)} min)",
    ]
    for title, label in chapter.sections:
        lines.append(f"    {label or '-':8s} {title}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--run", action="store_true", help="also run each core path alone, timed"
    )
    parser.add_argument("--brief", action="store_true", help="leave out the sections")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    status, total = 0, 0.0
    for path in paths:
        chapter = read_chapter(path)
        if chapter.problems:
            print(f"{path.name}: sections without (core) or (optional):", end=" ")
            print(", ".join(chapter.problems))
            status = 1
        for problem in dependency_problems(path, chapter) + rebinding_problems(path):
            print(problem)
            status = 1
        status |= bool(chapter.over_budget())
        seconds = run_core_path(path, chapter) if args.run else None
        text = report(chapter, seconds)
        if args.brief:
            text = "\n".join(line for line in text.splitlines() if line[:4] != "    ")
        print(text, flush=True)
        total += chapter.core.reading_minutes()
    if not args.notebooks:
        fits = total <= BUDGET.book_minutes
        print(
            f"all core paths: about {total:.0f} min "
            f"(budget {BUDGET.book_minutes:.0f}): {'fits' if fits else 'OVER'}"
        )
        status |= not fits
    return status


if __name__ == "__main__":
    sys.exit(main())
