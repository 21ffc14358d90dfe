"""A one-cell setup test for workshop participants: ``check_setup()``.

Run it right after a chapter's setup cell (in Colab that cell installs the book's
package), or anywhere locally::

    from cnn_attention.exercises.setup_check import check_setup

    check_setup()

It prints one line per check, ``✓`` or ``✗``, and under each ``✗`` what to do
(``→ ...``), then a verdict. It never raises for a failed check: it returns a
`SetupReport` (true when every check passed) that a test or a script can inspect. The
checks:

- Python is 3.10 or newer;
- PyTorch imports (its version);
- Keras imports (its version), and runs on the TensorFlow backend, as the chapters
  assume;
- the book's package is recent enough (``minimum_version``: a chapter may pass the
  version it was written for);
- the package this session runs is the one installed on disk: not a copy from another
  folder, and not an older copy still loaded after a reinstall (then only restarting
  the session helps);
- a small SE module gives the same output in PyTorch and in Keras once its weights are
  ported (``cnn_attention.utils.compare_torch_keras``, which uses ``port_weights``),
  and how long that took;
- the exercise checks are registered (``se.1`` and one exercise of every chapter), as
  the student copies' check cells need.

Like the rest of ``cnn_attention.exercises``, this module imports no framework at
module level: torch and keras are imported inside the checks, so a missing framework is
a ``✗`` line, not an ImportError. The check leaves the random state as it found it
(Python's, NumPy's and PyTorch's), so running it between a chapter's cells changes no
output of theirs.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

MINIMUM_PYTHON = (3, 10)
BACKEND = "tensorflow"
TOLERANCE = 1e-5
DISTRIBUTION = "cnn-attention"
# One exercise of every chapter: a package installed before a chapter's exercises
# existed lacks its id, and a student copy's check cell then says "unknown exercise".
DEFAULT_EXERCISES = (
    "shapes.1",
    "se.1",
    "eca.1",
    "cbam.1",
    "dualpool.1",
    "coord.1",
    "bifpn.1",
    "which.1",
)
RESTART = (
    "Runtime → Restart session (Jupyter: Kernel → Restart), then run the setup cell"
)
LOCAL = "locally, run `make test` once: it builds .venv with the pinned versions"

_VERSION = re.compile(r"^__version__\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_EXERCISE_ID = re.compile(
    r"^@exercise\(\s*[\"']([a-z][a-z0-9_]*\.[1-9][0-9]*)[\"']", re.MULTILINE
)


@dataclass(frozen=True)
class Check:
    """One check: what it looked at, whether it passed, and the fix when it did not."""

    name: str
    passed: bool
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        mark = "✓" if self.passed else "✗"
        shown = [f"{mark} {self.name}: {self.detail}"]
        if not self.passed and self.fix:
            shown.append(f"    → {self.fix}")
        return shown


@dataclass
class SetupReport:
    """The checks in the order they ran; true when every one passed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def __getitem__(self, name: str) -> Check:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}; checks: {self.names()}")

    def names(self) -> list[str]:
        return [check.name for check in self.checks]

    def verdict(self) -> str:
        total = len(self.checks)
        if self.ok:
            return f"Ready: all {total} checks passed."
        return (
            f"Not ready: {len(self.failed)} of {total} checks failed. Do what the → "
            "lines say, then run this cell again."
        )

    def __str__(self) -> str:
        lines = [line for check in self.checks for line in check.lines()]
        return "\n".join([*lines, self.verdict()])

    def _ipython_display_(self) -> None:
        """Show nothing: check_setup() printed every line as its check ran, and a
        cell that ends with the call would otherwise print them twice. Use
        ``print(report)`` to see them again."""


def check_setup(
    minimum_version: str | None = None,
    exercises: Iterable[str] = DEFAULT_EXERCISES,
    *,
    package: str | None = None,
    show: bool = True,
) -> SetupReport:
    """Check that this session can run the book's chapters; print and return the result.

    Args:
        minimum_version: the oldest ``cnn_attention`` version that will do (a chapter
            passes the version it was written for). None: the loaded version itself,
            so only an older copy still loaded in the session can fail this.
        exercises: exercise ids that must be registered.
        package: the pip requirement of the book's package (a chapter's setup cell
            holds it as ``BOOK_PACKAGE``); used in the fixes. None: the URL the
            installed package came from, when pip recorded one.
        show: print each check's line as it runs, then the verdict.
    """
    report = SetupReport()

    def run(name: str, check: Callable[[], Check]) -> Check:
        try:
            result = check()
        except Exception as error:  # a check that breaks is a failed check
            result = Check(
                name,
                False,
                f"the check itself failed ({type(error).__name__}: {error})",
                "show this line to the instructor",
            )
        report.checks.append(result)
        if show:
            print("\n".join(result.lines()), flush=True)
        return result

    # TensorFlow is quiet only when both are set before it is first imported.
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

    run("Python", _check_python)
    torch_ok = run("PyTorch", _check_torch).passed
    keras_ok = run("Keras", _check_keras).passed
    backend = "Keras backend"
    run(backend, _check_backend if keras_ok else _skipped(backend, "Keras"))
    install = _installation(package)
    run("cnn_attention version", lambda: _check_version(minimum_version, install))
    run("cnn_attention in this session", lambda: _check_fresh(install))
    se = "SE in both frameworks"
    both = torch_ok and keras_ok
    run(se, _check_se if both else _skipped(se, "PyTorch and Keras"))
    run("Exercise checks", lambda: _check_exercises(tuple(exercises), install))
    if show:
        print(report.verdict(), flush=True)
    return report


# --- the checks ------------------------------------------------------------------


def _skipped(name: str, needs: str) -> Callable[[], Check]:
    def check() -> Check:
        return Check(name, False, f"not run: needs {needs}", "fix the ✗ lines above")

    return check


def _check_python() -> Check:
    found = ".".join(str(part) for part in sys.version_info[:3])
    wanted = ".".join(str(part) for part in MINIMUM_PYTHON)
    if tuple(sys.version_info[:2]) >= tuple(MINIMUM_PYTHON):
        return Check("Python", True, found)
    return Check(
        "Python",
        False,
        f"{found}, older than {wanted}",
        f"use Python {wanted} or newer: Colab's runtime has it; {LOCAL}",
    )


def _check_torch() -> Check:
    try:
        import torch
    except Exception as error:
        return Check(
            "PyTorch",
            False,
            f"does not import ({type(error).__name__}: {error})",
            "in Colab, torch is preinstalled: do not install it yourself; "
            "Runtime → Disconnect and delete runtime gives a fresh one; " + LOCAL,
        )
    return Check("PyTorch", True, torch.__version__.split("+")[0])


def _check_keras() -> Check:
    try:
        import keras
    except Exception as error:
        return Check(
            "Keras",
            False,
            f"does not import ({type(error).__name__}: {error})",
            "in Colab, Keras and TensorFlow are preinstalled: do not install them "
            "yourself; Runtime → Disconnect and delete runtime gives a fresh one; "
            + LOCAL,
        )
    return Check("Keras", True, keras.__version__)


def _check_backend() -> Check:
    import keras

    backend = keras.backend.backend()
    if backend == BACKEND:
        return Check("Keras backend", True, backend)
    variable = os.environ.get("KERAS_BACKEND")
    if variable not in (None, BACKEND):
        cause = f'KERAS_BACKEND is "{variable}" in this environment'
    elif variable == BACKEND:
        cause = f'Keras was imported before KERAS_BACKEND was set to "{BACKEND}"'
    else:
        cause = "KERAS_BACKEND is not set and Keras's own config chose it"
    return Check(
        "Keras backend",
        False,
        f'{backend}, but the chapters need "{BACKEND}" ({cause})',
        f'{RESTART}: it sets os.environ["KERAS_BACKEND"] = "{BACKEND}" before '
        "anything imports keras (in your own code, set it before `import keras`)",
    )


@dataclass(frozen=True)
class _Installation:
    """The loaded package, and what pip installed on disk."""

    loaded_version: str
    loaded_file: Path
    installed_file: Path | None  # None: no pip record found
    installed_version: str | None  # the newest of the metadata's and the file's
    source: str | None  # "git+URL@revision" when pip installed it from git
    requirement: str  # for the fixes


def _installation(package: str | None) -> _Installation:
    import cnn_attention

    loaded_file = Path(cnn_attention.__file__).resolve()
    installed_file = installed_version = source = None
    try:
        from importlib import metadata

        distribution = metadata.distribution(DISTRIBUTION)
    except Exception:
        distribution = None
    if distribution is not None:
        direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
        url = direct_url.get("url", "")
        vcs = direct_url.get("vcs_info", {})
        if vcs.get("vcs") == "git":
            revision = vcs.get("requested_revision") or vcs.get("commit_id", "")
            source = f"git+{url}" + (f"@{revision}" if revision else "")
        if direct_url.get("dir_info", {}).get("editable") and url.startswith("file:"):
            from urllib.parse import unquote, urlparse

            root = Path(unquote(urlparse(url).path))
            installed_file = root / "cnn_attention" / "__init__.py"
        else:
            located = Path(distribution.locate_file("cnn_attention/__init__.py"))
            installed_file = located if located.is_file() else None
        versions = [distribution.version]
        if installed_file is not None and installed_file.is_file():
            installed_file = installed_file.resolve()
            match = _VERSION.search(installed_file.read_text(encoding="utf-8"))
            versions += [match.group(1)] if match else []
        installed_version = max(versions, key=_version_key)
    if package is not None:
        requirement = package
    elif source is not None:
        requirement = f"{DISTRIBUTION} @ {source}"
    else:
        requirement = f"{DISTRIBUTION} @ git+<repository URL>@main"
    return _Installation(
        cnn_attention.__version__,
        loaded_file,
        installed_file,
        installed_version,
        source,
        requirement,
    )


def _reinstall(install: _Installation) -> str:
    where = " (the repository URL is in the chapter's setup cell)" * (
        "<repository URL>" in install.requirement
    )
    return (
        f'run `%pip install --force-reinstall --no-deps "{install.requirement}"`'
        f"{where}, then {RESTART}"
    )


def _check_version(minimum: str | None, install: _Installation) -> Check:
    name = "cnn_attention version"
    found = install.loaded_version
    if minimum is None or _version_key(found) >= _version_key(minimum):
        wanted = "" if minimum is None else f" (at least {minimum} needed)"
        return Check(name, True, f"{found}{wanted}")
    return Check(
        name,
        False,
        f"{found}, older than {minimum}: a stale install",
        _reinstall(install),
    )


def _check_fresh(install: _Installation) -> Check:
    name = "cnn_attention in this session"
    where = str(install.loaded_file.parent)
    origin = f" ({install.source})" if install.source else ""
    if install.installed_file is None:
        return Check(name, True, f"imported from {where} (no pip install to compare)")
    installed = install.installed_file.parent
    if install.loaded_file != install.installed_file:
        return Check(
            name,
            False,
            f"imported from {where}, but pip installed it in {installed}",
            "a folder named cnn_attention in the working directory (or on sys.path) "
            f"hides the installed one: move it away, then {RESTART}",
        )
    newer = install.installed_version
    if newer is not None and _version_key(newer) > _version_key(install.loaded_version):
        return Check(
            name,
            False,
            f"runs {install.loaded_version}, but {newer} has been installed since: "
            "an old copy is still loaded",
            RESTART,
        )
    unloaded = _ids_on_disk(install) - _registered_ids()
    if unloaded:
        listed = ", ".join(sorted(unloaded)[:3]) + ", ..." * (len(unloaded) > 3)
        return Check(
            name,
            False,
            f"the files on disk define exercises this session lacks ({listed}): "
            "an old copy is still loaded",
            RESTART,
        )
    return Check(name, True, f"the installed copy, from {where}{origin}")


def _check_se() -> Check:
    import numpy as np
    import torch

    import cnn_attention.keras as ck
    import cnn_attention.torch as ct
    from cnn_attention.utils import compare_torch_keras

    python_state, numpy_state = random.getstate(), np.random.get_state()
    start = time.perf_counter()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            # biases drawn too, so that every ported weight matters
            module = ct.randomize(ct.SEModule(8, reduction=4))
            layer = ck.SEModule(8, reduction=4, name="setup_check_se")
            inputs = np.random.default_rng(0).standard_normal((2, 8, 5, 7))
            # (N, C, H, W) = (2, 8, 5, 7); compare_torch_keras gives Keras (2, 5, 7, 8)
            difference = compare_torch_keras(module, layer, inputs.astype("float32"))
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    seconds = time.perf_counter() - start
    name = "SE in both frameworks"
    if difference <= TOLERANCE:
        return Check(
            name,
            True,
            f"same output within {TOLERANCE:g} after porting the weights "
            f"({seconds:.2f} s)",
        )
    return Check(
        name,
        False,
        f"outputs differ by {difference:.3g} (more than {TOLERANCE:g})",
        "show this line to the instructor: the two frameworks disagree",
    )


def _check_exercises(ids: tuple[str, ...], install: _Installation) -> Check:
    name = "Exercise checks"
    try:
        import cnn_attention.exercises  # noqa: F401  (registers every chapter's checks)
    except Exception as error:
        return Check(
            name,
            False,
            f"cnn_attention.exercises does not import ({type(error).__name__}: "
            f"{error})",
            _reinstall(install),
        )
    registered = _registered_ids()
    missing = [exercise_id for exercise_id in ids if exercise_id not in registered]
    if missing:
        listed = ", ".join(missing)
        if set(missing) <= _ids_on_disk(install):
            return Check(
                name,
                False,
                f"unknown exercise {listed}: the installed files have it, but this "
                "session still runs an older copy",
                RESTART,
            )
        return Check(
            name,
            False,
            f"unknown exercise {listed}: the installed package is older than that",
            _reinstall(install),
        )
    shown = ", ".join(ids[:3]) + ", ..." * (len(ids) > 3)
    return Check(name, True, f"{len(registered)} registered, including {shown}")


# --- helpers ---------------------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    """(0, 2, 0) from "0.2.0", "0.2.0.dev1" or "0.2.0+local": release numbers only."""
    match = re.match(r"\d+(?:\.\d+)*", str(version).strip().lstrip("vV"))
    if match is None:
        raise ValueError(f"not a version number: {version!r}")
    parts = [int(part) for part in match.group(0).split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _registered_ids() -> set[str]:
    registry = sys.modules.get("cnn_attention.exercises.registry")
    return set(getattr(registry, "EXERCISES", {}))


def _ids_on_disk(install: _Installation) -> set[str]:
    """Exercise ids the installed files register, read from the source (not run).

    Empty until cnn_attention.exercises has been imported: only a loaded registry
    can be older than the files."""
    if "cnn_attention.exercises" not in sys.modules or install.installed_file is None:
        return set()
    folder = install.installed_file.parent / "exercises"
    found = set()
    for path in folder.glob("*.py"):
        found.update(_EXERCISE_ID.findall(path.read_text(encoding="utf-8")))
    return found


__all__ = ["Check", "SetupReport", "check_setup"]
