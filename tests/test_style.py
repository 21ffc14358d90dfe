"""Code style, as ruff sees it: lint and format, 88-character lines.

The web book clips code lines at about 90 characters, so the limit covers the
notebooks' code cells too. Run `ruff format .` to fix formatting; long comments and
strings need a hand.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ruff(*arguments):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_ruff_finds_no_lint_errors():
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr


def test_every_file_is_formatted():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr
