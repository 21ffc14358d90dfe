"""Every number in a chapter's prose is tied to evidence (tools/prose_evidence.py).

Each chapter passes when every decimal and every number with thousands separators in
its Markdown appears, after rounding, in its printed outputs or in a results file its
code reads, or is marked on its line as a quoted figure with its source:
"(quoted from the CBAM paper, Table 4)". The unit tests below show that the check
finds what it should, on synthetic notebooks and on a real chapter with a planted
wrong number.
"""

import json
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import prose_evidence  # noqa: E402
from prose_evidence import claims_in_markdown, problems  # noqa: E402

CHAPTERS = prose_evidence.chapters()  # the chapters and the practice pages

READ_TOY = 'results = json.loads((files("cnn_attention") / "results" / "toy.json"))'


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_every_number_in_the_prose_is_printed_read_or_quoted(path):
    found = problems(path)
    if found:
        pytest.fail(
            f"{len(found)} number(s) in the prose of {path.name} that no output of "
            "the chapter prints, no results file it reads holds, and no quoted-figure "
            "marker covers (mark a figure from a paper or seed post on its line, e.g. "
            '"(quoted from the CBAM paper, Table 4)"):\n'
            + "\n".join(str(problem) for problem in found),
            pytrace=False,
        )


# --- synthetic notebooks ----------------------------------------------------------


def notebook(markdown, printed="", code="print(...)"):
    """A markdown cell (id "prose") after a code cell that printed `printed`."""
    cells = [
        new_code_cell(
            code,
            id="code",
            outputs=[new_output("stream", name="stdout", text=printed)]
            if printed
            else [],
        ),
        new_markdown_cell(markdown, id="prose"),
    ]
    return new_notebook(cells=cells)


def unsupported(markdown, printed="", code="print(...)", results_dir=None):
    """The numbers of `markdown` that the check reports."""
    found = problems(
        notebook(markdown, printed, code),
        results_dir=results_dir or prose_evidence.RESULTS,
        name="synthetic.ipynb",
    )
    return [problem.number for problem in found]


def checked(markdown):
    return [claim.text for claim in claims_in_markdown(markdown)]


def test_a_planted_wrong_number_is_reported_naming_the_number_and_the_cell():
    found = problems(
        notebook(
            "The network reached 0.957 test accuracy.",
            printed="test accuracy 0.912\n",
        ),
        name="synthetic.ipynb",
    )
    assert len(found) == 1
    problem = found[0]
    assert (problem.number, problem.cell, problem.cell_id, problem.line) == (
        "0.957",
        1,
        "prose",
        1,
    )
    assert str(problem) == (
        'synthetic.ipynb, cell 1 (markdown cell id prose), line 1: "0.957" in '
        '"The network reached 0.957 test accuracy."'
    )


def test_a_correct_number_passes_after_rounding():
    printed = "accuracy 0.95749, interval [0.9575, 0.96]\n"
    assert unsupported("It reached 0.957, that is 0.96 or 1.0.", printed) == []
    # an exact half rounds either way
    assert unsupported("Between 0.957 and 0.958.", "0.9575\n") == []
    # rounding to the nearest only
    assert unsupported("It reached 0.958.", "accuracy 0.95749\n") == ["0.958"]
    # evidence printed with fewer decimals supports only an equal number
    assert unsupported("It reached 0.960.", "accuracy 0.96\n") == []
    assert unsupported("It reached 0.957.", "accuracy 0.96\n") == ["0.957"]


def test_a_number_on_a_line_marked_as_quoted_with_its_source_passes():
    text = (
        "SE-ResNet-50 has 28.09 M parameters (quoted from the CBAM paper, Table 4).\n"
        "ResNet-50 costs 3.8 billion multiply-adds (a quoted figure: He et al., "
        "2016).\n"
        "The paper reports 74.3 % (quoted: [Hou et al., 2021](https://arxiv.org/abs/"
        "2103.02907), Table 2).\n"
        "Seed 003 reports 0.917 (quoted from seed 003).\n"
    )
    assert unsupported(text) == []
    report = prose_evidence.check(notebook(text), name="synthetic.ipynb")
    assert (report.checked, report.quoted) == (4, 4)


def test_quoted_without_a_source_or_on_another_line_does_not_count():
    assert unsupported("The paper reports 3.86 (quoted).") == ["3.86"]
    assert unsupported("The paper reports 3.86 (a quoted figure).") == ["3.86"]
    assert unsupported("The paper reports 3.86 (quoted from the).") == ["3.86"]
    assert unsupported("The paper reports 3.86, as quoted: Hu et al.") == ["3.86"]
    assert unsupported(
        "The paper reports 3.86 GFLOPs and\n3.87 (quoted from the SE paper)."
    ) == ["3.86"]


def test_math_code_links_versions_and_references_are_not_checked():
    text = (
        "In math $0.123 + 4{,}567$ and\n\n$$x = 0.321$$\n\n"
        "in code `lr=0.234`, a link [the data](https://example.org/0.456/1,234),\n"
        "https://example.org/v0.567, [arXiv:1709.01507](https://arxiv.org/abs/"
        "1709.01507), keras 3.13.2, Keras 3.13, torch 2.5, TensorFlow 2.20,\n"
        "Python 3.12, version 1.2, ResNet v1.5, Figure 2.1, Table 3.2, section 4.1,\n"
        "2024-05-01, <!-- 0.678 --> and trained for 5 epochs on 64 channels.\n"
        "```python\nmomentum = 0.789\n```\n"
    )
    assert checked(text) == []
    # the text of a link is prose
    assert checked("[0.345](https://example.org/0.456)") == ["0.345"]


def test_a_possessive_is_not_a_version():
    assert checked("PyTorch's 0.01 is Keras's 0.99.") == ["0.01", "0.99"]


def test_what_is_checked_signs_units_and_separators():
    text = (
        "+1.07, −0.57 and -0.25 [−1.44, +0.30]; 9.9 % of 25.56 M, 4.7e-4 GFLOPs,\n"
        "ranges 0.58–0.65, 77,754 and 2,530,992 parameters, 77\u2009754 too, **0.870**."
    )
    assert checked(text) == [
        "+1.07",
        "−0.57",
        "-0.25",
        "−1.44",
        "+0.30",
        "9.9",
        "25.56",
        "4.7e-4",
        "0.58",
        "0.65",
        "77,754",
        "2,530,992",
        "77\u2009754",
        "0.870",
    ]
    units = [claim.unit for claim in claims_in_markdown("9.9 %, 25.56 M, 4.7e-4 G")]
    assert units == ["%", "M", "G"]


def test_thousands_separators_match_plain_and_grouped_integers():
    assert unsupported("It has 77,754 parameters.", "parameters: 77754\n") == []
    assert unsupported("It has 77,754 parameters.", "parameters: 77,754\n") == []
    assert unsupported("It has 77,754 parameters.", "parameters: 77_754\n") == []
    assert unsupported("It has 77\u2009754 parameters.", "77754\n") == []
    assert unsupported("It has 77,754 parameters.", "parameters: 77755\n") == ["77,754"]


def test_the_unicode_minus_and_signs():
    assert unsupported("A loss of −0.57.", "difference -0.57\n") == []
    assert unsupported("A loss of −0.57.", "difference 0.57\n") == ["−0.57"]
    assert unsupported("A gain of +0.57.", "difference -0.57\n") == ["+0.57"]
    assert unsupported("A gain of +0.57.", "difference 0.57\n") == []
    assert unsupported("A gain of +0.57.", "difference +0.57\n") == []
    # without a sign the prose may give the size of a signed difference
    assert unsupported("It lost 0.57.", "difference -0.57\n") == []
    assert unsupported("It lost 0.57.", "difference \u22120.57\n") == []


def test_units_scale_percentages_and_counts():
    assert unsupported("SE adds 9.9 %.", "share 0.0990\n") == []
    assert unsupported("SE adds 9.9 %.", "share 9.9 %\n") == []
    assert unsupported("SE adds 9.9 %.", "share 0.0980\n") == ["9.9"]
    assert unsupported("A loss of 2.4 points.", "-0.024\n") == []
    assert unsupported("It has 25.56 M parameters.", "25,557,032\n") == []
    assert unsupported("It costs 4.09 G multiply-adds.", "4089184256\n") == []
    assert unsupported("It costs 4.09 multiply-adds.", "4089184256\n") == ["4.09"]


def test_all_kinds_of_output_are_evidence_but_code_is_not():
    cells = [
        new_code_cell(
            "momentum = 0.123\nshow()",
            id="code",
            outputs=[
                new_output(
                    "execute_result", {"text/plain": "0.234"}, execution_count=1
                ),
                new_output("display_data", {"text/html": "<td>0.345</td>"}),
                new_output("display_data", {"text/markdown": "**0.456**"}),
                new_output(
                    "error", ename="ValueError", evalue="got 0.567", traceback=[]
                ),
                new_output("display_data", {"image/png": "MC42Nzg="}),
            ],
        ),
        new_markdown_cell("0.234, 0.345, 0.456, 0.567; not 0.123 nor 0.678.", id="x"),
    ]
    found = problems(new_notebook(cells=cells), name="synthetic.ipynb")
    assert [problem.number for problem in found] == ["0.123", "0.678"]


def write_results(folder, name, data):
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data))
    return folder


def test_a_number_supported_only_by_a_results_file_the_chapter_reads(tmp_path):
    results = write_results(tmp_path / "results", "toy", {"accuracy": [0.9123, 0.87]})
    write_results(results, "other", {"accuracy": 0.5555})
    text = "It reached 0.912 (0.870 on another seed), not 0.556."
    assert unsupported(text, code=READ_TOY, results_dir=results) == ["0.556"]
    # the same prose without the code that reads the file
    assert unsupported(text, code="print(1)", results_dir=results) == [
        "0.912",
        "0.870",
        "0.556",
    ]
    # the other ways the chapters name a results file
    for code in (
        'results = load_results("toy")',
        'for name in ("toy", "x"):\n    read(files("p") / "results" / f"{name}.json")',
    ):
        assert unsupported(text, code=code, results_dir=results) == ["0.556"]


def test_figure_data_in_a_results_file_is_not_evidence(tmp_path):
    pixels = [[round(0.001 * (i * 8 + j), 3) for j in range(8)] for i in range(8)]
    results = write_results(tmp_path / "results", "toy", {"maps": pixels})
    assert unsupported("A pixel is 0.012.", code=READ_TOY, results_dir=results) == [
        "0.012"
    ]
    results = write_results(tmp_path / "results", "toy", {"seeds": pixels[1]})
    assert unsupported("A seed gave 0.012.", code=READ_TOY, results_dir=results) == []


def supported_claim(path):
    """A chapter's first number supported by evidence, with three decimals or more."""
    chapter = nbformat.read(path, as_version=4)
    report = prose_evidence.check(chapter, name=path.name)
    for claim, verdict in zip(report.claims, report.verdicts):
        if verdict and not claim.quoted and claim.quantum <= Decimal("0.001"):
            return chapter, report, claim
    return None


def test_a_wrong_number_planted_in_a_real_chapter_is_reported():
    path = ROOT / "notebooks" / "04_cbam.ipynb"
    # the CBAM chapter states its results to three decimals; any chapter will do
    chapter, before, claim = next(
        found for found in map(supported_claim, [path, *CHAPTERS]) if found is not None
    )
    evidence = prose_evidence.chapter_evidence(chapter)
    wrong = next(
        candidate
        for step in range(1, 200)
        for candidate in [abs(claim.value) + 7 * step * claim.quantum]
        if not evidence.supports(replace(claim, value=candidate, sign=""))
    )
    cell = chapter.cells[claim.cell]
    lines = cell.source.split("\n")
    line, start = lines[claim.line - 1], claim.column
    lines[claim.line - 1] = line[:start] + str(wrong) + line[start + len(claim.text) :]
    cell.source = "\n".join(lines)

    after = problems(chapter, name=before.chapter)
    planted = [problem for problem in after if problem not in before.problems]
    assert [(p.number, p.cell, p.cell_id) for p in planted] == [
        (str(wrong), claim.cell, cell.get("id", ""))
    ]
    assert f'"{planted[0].number}"' in str(planted[0])
    assert f"cell {claim.cell} (markdown cell id {cell.id})" in str(planted[0])


def test_the_command_line_lists_problems_and_fails(tmp_path, capsys):
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(notebook("It reached 0.957.", "0.957\n"), good)
    nbformat.write(notebook("It reached 0.958.", "0.957\n"), bad)
    assert prose_evidence.main([str(good)]) == 0
    assert capsys.readouterr().out == ""
    assert prose_evidence.main([str(good), str(bad)]) == 1
    assert capsys.readouterr().out == (
        'bad.ipynb, cell 1 (markdown cell id prose), line 1: "0.958" in '
        '"It reached 0.958."\n'
    )
