"""Every number in a chapter's prose, tied to evidence.

    python tools/prose_evidence.py                          # every chapter
    python tools/prose_evidence.py notebooks/04_cbam.ipynb  # one or more chapters
    python tools/prose_evidence.py --counts --verbose       # and what supports each

The book's rule (GUIDE.md, "Numbers and claims"): every number in a chapter's prose is
printed by a cell of the same chapter, or read from a results file the chapter loads,
or marked as a quoted figure with its source. This tool lists the numbers that are
none of these, as ``chapter, cell N (markdown cell id X), line L: "number" in
"...context..."`` (N counts the notebook's cells from 0, L the cell's lines from 1),
and exits with 1 when there is any. ``tests/test_prose_evidence.py`` runs it on every
chapter.

**What is checked.** In the Markdown cells: every decimal (``0.957``, ``+1.07``,
``−0.57`` with the Unicode minus, ``1.5e-4``) and every number written with thousands
separators (``77,754``, ``2,530,992``; thin spaces, U+2009 and U+202F, too). A unit that
follows the number is read (``9.9 %``, ``25.56 M``, ``4.09 G``, ``3.5 ms``); the number
is what is checked. Plain integers (epochs, channels, seeds, kernel sizes) are not.

**What is not prose** (masked before the search, so its numbers are never checked):
fenced code and inline code; LaTeX math (``$...$``, ``$$...$$``, ``\\begin{...}``);
HTML comments and tags; link targets, bare URLs and arXiv/DOI identifiers; version
numbers (anything with two dots such as ``3.13.2``, ``v1.5``, and a number right after
the name of a tool: ``Python 3.12``, ``Keras 3.13``, ``TensorFlow 2.20``, ``version
2.1``); numbered references to parts of a text (``Figure 2.1``, ``Table 3.2``, ``section
4.1``, ``equation 2.3``); ISO dates.

**Evidence.** For each chapter:

- every number in its code cells' outputs: printed text (stdout, stderr), the text of
  an error, and ``text/plain``, ``text/html`` (tags removed) and ``text/markdown``
  results; never images;
- every number in each results file the chapter reads: a file of
  ``cnn_attention/results/`` counts as read when the chapter's code refers to results
  files at all (``"results"``, ``.json``, ``load_results``) and names the file's stem
  in a string literal: ``"results" / "bifpn.json"``, ``load_results("dual_pooling")``,
  or ``for name in ("coordinate_attention", "which_attention")`` feeding
  ``f"{name}.json"``. Numbers in a JSON file's values, keys and strings all count,
  except figure data: a numeric array of more than ``ARRAY_LIMIT`` (32) numbers (an
  attention map, a curve) reports no number, and its thousands of values would
  support almost any number by chance.

The code itself is **not** evidence. A number typed into a code cell is a setting or
an expectation, not something the chapter measured; when the prose restates a setting
(``a learning rate of 0.003``), the chapter can print it, or the prose can name the
code (``learning_rate=3e-3`` in backticks is code, and not checked).

**Matching, after rounding.** A prose number with *d* decimals matches an evidence value
*v* when *v* rounded to *d* decimals gives it; an exact half may round either way
(``|v - p| <= 0.5 * 10**-d``). Evidence printed with fewer decimals than the prose
matches only when it is equal (``0.96`` supports ``0.960``, not ``0.957``). Sign: a
number written without a sign matches either sign (prose says "a drop of 0.57" where a
cell prints ``-0.57``); a number written with ``+`` needs a non-negative value, one
written with ``−`` or ``-`` a negative one. Scale, only when the prose names the unit:
a number followed by ``%``, ``percent`` or ``points`` (percentage points) may also
match a fraction (``9.9 %`` by ``0.099``, ``+2.4 points`` by ``0.024``); one followed
by ``k``/``thousand``, ``M``/``million`` or ``G``/``billion`` (also ``GFLOPs``,
``MMACs`` and the like) may also match the full count (``25.56 M`` by ``25,557,032``).
``77,754`` matches ``77754``, ``77,754`` or ``77_754``.

**Quoted figures.** A number from a paper, a seed post or another outside source is
marked by a parenthetical that says so and names the source, which reads as ordinary
prose when Colab, GitHub or Jupyter render the Markdown:

    SE-ResNet-50 has 28.09 M parameters (quoted from the CBAM paper, Table 4).
    ... 3.86 GFLOPs for ResNet-50 (quoted: Hu et al., 2018, Table 2) ...
    ... 3.8 billion multiply-adds (a quoted figure: He et al., 2016, Table 1) ...

The rule: parentheses that contain the word ``quoted`` (optionally ``quoted figure`` or
``quoted figures``) followed by ``from`` or a colon, then the source: at least one
word other than filler such as "the", "a" or "source" (a link counts by its text). A
marker without a source (``(quoted)``, ``(a quoted figure)``, ``(quoted from the)``)
does not count. A marker covers every number on the source lines its parentheses span
(a table row, a list item's line, one line of a hard-wrapped paragraph), and nothing
beyond them: a quoted figure on the line before needs its own marker, and the book's
own numbers in the same sentence stay checked.

**Limits.** A number is checked against everything the chapter prints or reads, not
against the cell it talks about, so a number with one or two significant digits
(``0.5``, ``0.07``) can be supported by an unrelated value that rounds to it; numbers
in LaTeX math are not checked at all. ``--verbose`` shows what supports each number.
"""

from __future__ import annotations

import argparse
import bisect
import html
import json
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "cnn_attention" / "results"
CHAPTERS = ("notebooks/0*.ipynb", "notebooks/practice/*.ipynb")

MINUS = "\u2212"
SIGNS = "+\\-" + MINUS
SEPARATORS = ",\u2009\u202f"  # comma, thin space, narrow no-break space

# A number in prose: a decimal, or an integer with thousands separators. The optional
# sign must not be glued to a word ("ResNet-50"); the number must not be glued to a
# word, a decimal point or a thousands group on its left, nor to a digit on its right.
PROSE_NUMBER = re.compile(
    rf"""
    (?:(?<=[^\w.])|^)(?<!\d,)
    (?P<sign>[{SIGNS}])?
    (?<![\w.])
    (?P<body>
        \d{{1,3}}(?:[{SEPARATORS}]\d{{3}})+(?:\.\d+)?(?![\w])
      | \d+\.\d+(?:[eE][{SIGNS}]?\d+)?
    )
    (?!\d|[.,]\d)
    """,
    re.VERBOSE | re.MULTILINE,
)
PROSE_SIGNED = re.compile(rf"(?:^|(?<=[\s(\[{{|*_/,;:=~≈]))[{SIGNS}]$")
# A unit right after a number (one space or line break at most).
UNIT = re.compile(
    r"""\s?(?P<unit>
        %|percent(?:age\ points?)?\b|points?\b|pp\b
      | thousand\b|million\b|billion\b
      | [kKMG](?:FLOPs|MACs|FLOP|MAC)?\b
      | ms\b|s\b|times\b|x\b|×
    )""",
    re.VERBOSE,
)
SCALES = {
    "%": Decimal("0.01"),
    "percent": Decimal("0.01"),
    "percentage point": Decimal("0.01"),
    "percentage points": Decimal("0.01"),
    "point": Decimal("0.01"),
    "points": Decimal("0.01"),
    "pp": Decimal("0.01"),
    "k": Decimal(10) ** 3,
    "K": Decimal(10) ** 3,
    "thousand": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "million": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "billion": Decimal(10) ** 9,
}

# Any number in evidence: integers too, any separators, scientific notation.
EVIDENCE_NUMBER = re.compile(
    rf"""
    (?<![\w.])
    (?P<sign>[{SIGNS}])?
    (?P<body>
        \d{{1,3}}(?:[_{SEPARATORS}]\d{{3}})+(?:\.\d+)?(?:[eE][{SIGNS}]?\d+)?
      | \d+(?:\.\d+)?(?:[eE][{SIGNS}]?\d+)?
      | \.\d+(?:[eE][{SIGNS}]?\d+)?
    )
    (?!\d)
    """,
    re.VERBOSE,
)

# --- what is not prose ---

FENCE = re.compile(r"^(?P<indent>[ >]*)(?P<fence>`{3,}|~{3,})")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
INLINE_CODE = re.compile(r"(?P<ticks>`+)(?:(?!\n\s*\n).)+?(?P=ticks)", re.DOTALL)
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
ENVIRONMENT = re.compile(r"\\begin\{(?P<name>[\w*]+)\}.*?\\end\{(?P=name)\}", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?:\\.|[^$\\])+?\$", re.DOTALL)
PAREN_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
LINK_TARGET = re.compile(
    r"(?<=\])\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S.*$", re.MULTILINE)
AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>")
BARE_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>)\]]*")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
IDENTIFIER = re.compile(
    r"\barXiv:\s*\d{4}\.\d{4,5}(?:v\d+)?|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+", re.IGNORECASE
)
VERSION = re.compile(r"\bv?\d+(?:\.\d+){2,}\b|\bv\d+(?:\.\d+)+\b")
TOOL_VERSION = re.compile(
    r"""\b(?:python|pytorch|torch|torchvision|keras|tensorflow|tf|numpy|scipy|jax
        |jaxlib|timm|onnx|cuda|cudnn|nbformat|jupyter|jupyterlab|sphinx|ubuntu
        |scikit-learn|sklearn|matplotlib|pandas|versions?|release)
        \s*(?:==|>=|<=|~=|=)?\s*(?P<number>v?\d+(?:\.\d+)+)""",
    re.IGNORECASE | re.VERBOSE,
)
PART_NUMBER = re.compile(
    r"""\b(?:figures?|figs?\.|tables?|sections?|§|equations?|eqs?\.|chapters?
        |algorithms?|listings?|appendix|appendices)\s*(?P<number>\d+(?:\.\d+)+)""",
    re.IGNORECASE | re.VERBOSE,
)
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# A numeric array in a results file with more numbers than this is the data of a
# figure (an attention map, a curve), not a reported number: not evidence.
ARRAY_LIMIT = 32

# --- quoted figures ---

QUOTED = re.compile(r"\bquoted(?:\s+figures?)?\s*(?:from\b|:)", re.IGNORECASE)
FILLER = {
    "the",
    "a",
    "an",
    "of",
    "from",
    "in",
    "by",
    "source",
    "sources",
    "somewhere",
    "elsewhere",
    "it",
    "them",
    "here",
    "there",
    "this",
    "that",
    "figure",
    "figures",
}


@dataclass(frozen=True)
class Problem:
    """A number in a chapter's prose that no evidence supports."""

    chapter: str
    cell: int
    cell_id: str
    line: int
    number: str
    context: str

    def __str__(self) -> str:
        return (
            f"{self.chapter}, cell {self.cell} (markdown cell id {self.cell_id}), "
            f'line {self.line}: "{self.number}" in "{self.context}"'
        )


@dataclass(frozen=True)
class Claim:
    """A number found in a Markdown cell."""

    cell: int
    cell_id: str
    line: int
    column: int  # where the text starts on its line (0-based)
    text: str  # as written, sign included: "+0.073", "2,530,992"
    value: Decimal  # signed
    quantum: Decimal  # the place of the last digit written: 0.001 for "0.957"
    sign: str  # "+", "-" or "" (none written)
    unit: str
    quoted: bool  # on a line that a quoted-figure marker covers
    context: str


@dataclass
class Report:
    """What the check found in one chapter."""

    chapter: str
    results_files: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # for each claim: "quoted", the evidence that supports it, or "" (none)
    verdicts: list[str] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.claims)

    @property
    def quoted(self) -> int:
        return sum(claim.quoted for claim in self.claims)

    @property
    def supported(self) -> int:
        return self.checked - self.quoted - len(self.problems)


# --- masking ---


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] by spaces, keeping line breaks (offsets stay valid)."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _blank_all(text: str, pattern: re.Pattern, group: str | int = 0) -> str:
    for match in reversed(list(pattern.finditer(text))):
        if match.group(group) is not None:
            text = _blank(text, match.start(group), match.end(group))
    return text


def _blank_fences(text: str) -> str:
    lines = text.split("\n")
    fence = None
    for index, line in enumerate(lines):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group("fence")
            lines[index] = " " * len(line)
        elif fence is not None:
            closing = FENCE.match(line)
            if (
                closing
                and closing.group("fence")[0] == fence[0]
                and len(closing.group("fence")) >= len(fence)
                and not line[closing.end() :].strip()
            ):
                fence = None
            lines[index] = " " * len(line)
    return "\n".join(lines)


def _blank_inline_math(text: str) -> str:
    for match in reversed(list(INLINE_MATH.finditer(text))):
        if not re.search(r"\n\s*\n", match.group()):
            text = _blank(text, match.start(), match.end())
    return text


def mask_links(text: str) -> str:
    """Markdown with code blocks, comments, link targets and URLs blanked out."""
    text = _blank_fences(text)
    for pattern in (HTML_COMMENT, LINK_DEFINITION, LINK_TARGET, AUTOLINK, BARE_URL):
        text = _blank_all(text, pattern)
    return text


def mask_prose(text: str) -> str:
    """Markdown with everything that is not prose blanked out (same length, lines)."""
    text = mask_links(text)
    text = _blank_all(text, INLINE_CODE)
    for pattern in (DISPLAY_MATH, ENVIRONMENT, PAREN_MATH):
        text = _blank_all(text, pattern)
    text = _blank_inline_math(text)
    for pattern in (HTML_TAG, IDENTIFIER, DATE, VERSION):
        text = _blank_all(text, pattern)
    for pattern in (TOOL_VERSION, PART_NUMBER):
        text = _blank_all(text, pattern, "number")
    return text


# --- quoted figures ---


def _has_source(source: str) -> bool:
    words = re.findall(r"[^\W\d_]{2,}|\d+", source)
    return any(word.lower() not in FILLER for word in words)


def _enclosing_parentheses(text: str, position: int) -> tuple[int, int] | None:
    depth, start = 0, None
    for index in range(position - 1, -1, -1):
        char = text[index]
        if char == "\n" and index > 0 and text[index - 1] == "\n":
            return None  # a blank line: another paragraph
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                start = index
                break
            depth -= 1
    if start is None:
        return None
    depth = 0
    for index in range(position, len(text)):
        char = text[index]
        if char == "\n" and text[index + 1 : index + 2] == "\n":
            return None
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return start, index + 1
            depth -= 1
    return None


def _line_span(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end == -1 else end


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """The stretches of a Markdown cell that quoted-figure markers cover: the whole
    source lines that each marker's parentheses span."""
    marked = mask_links(text)
    spans = []
    for match in QUOTED.finditer(marked):
        parentheses = _enclosing_parentheses(marked, match.start())
        if parentheses is None:
            continue
        if not _has_source(marked[match.end() : parentheses[1] - 1]):
            continue
        start, _ = _line_span(marked, parentheses[0])
        _, end = _line_span(marked, parentheses[1] - 1)
        spans.append((start, end))
    return spans


# --- numbers ---


def _decimal(body: str) -> Decimal:
    cleaned = re.sub(rf"[_{SEPARATORS}]", "", body).replace(MINUS, "-")
    return Decimal(cleaned)


def _context(line: str, start: int, end: int, width: int = 110) -> str:
    line = line.rstrip()
    if len(line) <= width:
        return line.strip()
    half = (width - (end - start)) // 2
    left, right = max(0, start - half), min(len(line), end + half)
    return (
        ("..." if left else "")
        + line[left:right].strip()
        + ("..." if right < len(line) else "")
    )


def claims_in_markdown(text: str, cell: int = 0, cell_id: str = "") -> list[Claim]:
    """The numbers that the rule checks in one Markdown cell's source."""
    masked = mask_prose(text)
    spans = quoted_spans(text)
    lines = text.split("\n")
    found = []
    for match in PROSE_NUMBER.finditer(masked):
        sign = match.group("sign") or ""
        if sign and not PROSE_SIGNED.search(masked[: match.start("sign") + 1]):
            sign = ""
        body = match.group("body")
        try:
            magnitude = _decimal(body)
        except InvalidOperation:
            continue
        unit_match = UNIT.match(masked, match.end())
        unit = unit_match.group("unit") if unit_match else ""
        start = match.start("body") - len(sign)
        line_number = masked.count("\n", 0, start)
        line_start = masked.rfind("\n", 0, start) + 1
        found.append(
            Claim(
                cell=cell,
                cell_id=cell_id,
                line=line_number + 1,
                column=start - line_start,
                text=sign + body,
                value=-magnitude if sign in ("-", MINUS) else magnitude,
                quantum=Decimal(1).scaleb(_decimal(body).as_tuple().exponent),
                sign="-" if sign in ("-", MINUS) else sign,
                unit=unit,
                quoted=any(a <= start < b for a, b in spans),
                context=_context(
                    lines[line_number],
                    start - line_start,
                    match.end() - line_start,
                ),
            )
        )
    return found


# --- evidence ---


class Evidence:
    """The values a chapter prints or reads, each with where it came from; answers
    "does p appear there, after rounding?"."""

    def __init__(self, values=(), source: str = ""):
        self.sources: dict[Decimal, str] = {}
        self.values: list[Decimal] = []
        self.add(values, source)

    def add(self, values, source: str = "") -> None:
        for value in values:
            self.sources.setdefault(value, source)
        self.values = sorted(self.sources)

    def __len__(self) -> int:
        return len(self.values)

    def _near(self, target: Decimal, tolerance: Decimal) -> list[Decimal]:
        low = bisect.bisect_left(self.values, target - tolerance)
        high = bisect.bisect_right(self.values, target + tolerance)
        return self.values[low:high]

    def match(self, claim: Claim) -> Decimal | None:
        """The evidence value closest to the claim among those that support it (the
        claim's own sign first, then its unit's scale), or None."""
        magnitude = abs(claim.value)
        candidates = [(magnitude, claim.quantum)]
        scale = SCALES.get(_scale_key(claim.unit))
        if scale is not None:
            candidates.append((magnitude * scale, claim.quantum * scale))
        signs = {"+": (1,), "-": (-1,)}.get(claim.sign, (1, -1))
        for target, quantum in candidates:
            found = [
                (abs(value - sign * target), sign != signs[0], value)
                for sign in signs
                for value in self._near(sign * target, quantum / 2)
            ]
            if found:
                return min(found)[2]
        return None

    def supports(self, claim: Claim) -> bool:
        return self.match(claim) is not None


def _scale_key(unit: str) -> str:
    """MFLOPs, GMACs, kFLOP: the prefix decides the scale."""
    return unit[0] if re.fullmatch(r"[kKMG](?:FLOPs|MACs|FLOP|MAC)", unit) else unit


def numbers_in_text(text: str) -> list[Decimal]:
    """Every number in printed text (integers, decimals, separators, exponents)."""
    values = []
    for match in EVIDENCE_NUMBER.finditer(text):
        body = match.group("body")
        try:
            value = _decimal(body)
        except InvalidOperation:
            continue
        if match.group("sign") in ("-", MINUS):
            value = -value
        values.append(value)
        if re.search(rf"[_{SEPARATORS}]", body):  # "(16,256)" may be two numbers
            values.extend(_decimal(part) for part in re.split(r"[^\d.]", body) if part)
    return [value for value in values if value.is_finite()]


def _leaves(item) -> list:
    if isinstance(item, list):
        return [leaf for element in item for leaf in _leaves(element)]
    return [item]


def _is_number(item) -> bool:
    return isinstance(item, (int, float, Decimal)) and not isinstance(item, bool)


def numbers_in_json(data) -> list[Decimal]:
    """Every number in a JSON document: values, keys and numbers inside strings,
    except figure data (numeric arrays of more than ARRAY_LIMIT numbers)."""
    values = []
    stack = [data]
    while stack:
        item = stack.pop()
        if _is_number(item):
            values.append(Decimal(str(item)))
        elif isinstance(item, str):
            values.extend(numbers_in_text(item))
        elif isinstance(item, dict):
            for key, value in item.items():
                values.extend(numbers_in_text(str(key)))
                stack.append(value)
        elif isinstance(item, list):
            leaves = _leaves(item)
            if len(leaves) > ARRAY_LIMIT and all(map(_is_number, leaves)):
                continue  # the pixels of a figure, not a reported number
            stack.extend(item)
    return [value for value in values if value.is_finite()]


def numbers_in_file(path: Path) -> list[Decimal]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return numbers_in_json(json.loads(text, parse_float=Decimal))
    return numbers_in_text(text)


def _output_texts(output) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return [_joined(output.get("text", ""))]
    if kind == "error":
        traceback = "\n".join(output.get("traceback", []))
        return [output.get("evalue", ""), re.sub(r"\x1b\[[0-9;]*m", "", traceback)]
    texts = []
    for mime, value in output.get("data", {}).items():
        if mime == "text/html":
            texts.append(html.unescape(HTML_TAG.sub(" ", _joined(value))))
        elif mime in ("text/plain", "text/markdown", "text/latex"):
            texts.append(_joined(value))
    return texts


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


READS_RESULTS = re.compile(r"""["']results["']|results/|load_results|\.json\b""")
STRING_LITERAL = re.compile(r"""(?P<quote>["'])(?P<text>[\w./-]+?)(?P=quote)""")


def results_files(notebook, results_dir: Path = RESULTS) -> list[Path]:
    """The results files a chapter's code reads (see the module's docstring)."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    if not READS_RESULTS.search(code) or not Path(results_dir).is_dir():
        return []
    literals = {match.group("text") for match in STRING_LITERAL.finditer(code)}
    named = {Path(literal).name for literal in literals} | literals
    return [
        path
        for path in sorted(Path(results_dir).iterdir())
        if path.is_file() and (path.name in named or path.stem in named)
    ]


def chapter_evidence(notebook, results_dir: Path = RESULTS) -> Evidence:
    """Every number a chapter prints, and every number of the results it reads."""
    evidence = Evidence()
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            for text in _output_texts(output):
                evidence.add(numbers_in_text(text), f"output of cell {index}")
    for path in results_files(notebook, results_dir):
        evidence.add(numbers_in_file(path), f"results/{path.name}")
    return evidence


# --- the check ---


def _read(notebook) -> tuple[str, object]:
    if isinstance(notebook, (str, Path)):
        path = Path(notebook)
        return path.name, nbformat.read(path, as_version=4)
    return notebook.get("metadata", {}).get("name", "notebook"), notebook


def check(notebook, results_dir: Path = RESULTS, name: str | None = None) -> Report:
    """Every checked number of a chapter (a path or a notebook node) and its verdict."""
    chapter, notebook = _read(notebook)
    chapter = name or chapter
    evidence = chapter_evidence(notebook, results_dir)
    report = Report(
        chapter, [path.name for path in results_files(notebook, results_dir)]
    )
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        cell_id = cell.get("id", "") or ""
        for claim in claims_in_markdown(cell.source, index, cell_id):
            report.claims.append(claim)
            found = None if claim.quoted else evidence.match(claim)
            if claim.quoted:
                report.verdicts.append("quoted")
            elif found is not None:
                report.verdicts.append(f"{found} ({evidence.sources[found]})")
            else:
                report.verdicts.append("")
                report.problems.append(
                    Problem(
                        chapter,
                        index,
                        cell_id,
                        claim.line,
                        claim.text,
                        claim.context,
                    )
                )
    return report


def problems(notebook, results_dir: Path = RESULTS, name: str | None = None):
    """The numbers of a chapter's prose that no printed output or results file holds,
    and no quoted-figure marker covers."""
    return check(notebook, results_dir, name).problems


def chapters() -> list[Path]:
    return sorted(path for pattern in CHAPTERS for path in ROOT.glob(pattern))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every chapter"
    )
    parser.add_argument(
        "--counts", action="store_true", help="also print counts per chapter"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also print every supported number and its evidence",
    )
    arguments = parser.parse_args(argv)
    failed = False
    for path in arguments.notebooks or chapters():
        report = check(path)
        if arguments.verbose:
            for claim, verdict in zip(report.claims, report.verdicts):
                if verdict:
                    print(
                        f"  ok {report.chapter}, cell {claim.cell}, line {claim.line}: "
                        f'"{claim.text}{" " + claim.unit if claim.unit else ""}" '
                        f"<- {verdict}"
                    )
        for problem in report.problems:
            print(problem)
        failed = failed or bool(report.problems)
        if arguments.counts:
            print(
                f"# {report.chapter}: {report.checked} numbers checked, "
                f"{report.supported} supported by evidence, {report.quoted} quoted, "
                f"{len(report.problems)} unsupported; results files read: "
                f"{', '.join(report.results_files) or 'none'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
